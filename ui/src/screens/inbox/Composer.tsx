// The reply box. Within WhatsApp's 24-hour window: free text (Enter sends,
// Shift+Enter breaks the line). Outside it: only an approved template, with
// one input per parameter and a preview of the message as it will read.
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { errorText } from "../../errors";
import type { ApiError, ConversationRow, MessageView, TemplateOption } from "../../types";
import { fillTemplate, MAX_TEXT } from "./labels";

type Props = {
  conversation: ConversationRow;
  templates: TemplateOption[];
  onSent: (m: MessageView) => void;
  /** The shell said the window is closed: switch to templates. */
  onWindowClosed: () => void;
};

const keyOf = (tpl: TemplateOption) => `${tpl.name}|${tpl.language}`;

export function Composer({ conversation, templates, onSent, onWindowClosed }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tplKey, setTplKey] = useState<string>("");
  const [params, setParams] = useState<string[]>([]);
  const textRef = useRef<HTMLTextAreaElement>(null);

  const tpl = templates.find((x) => keyOf(x) === tplKey) ?? templates[0] ?? null;
  const values = tpl ? Array.from({ length: tpl.params }, (_, i) => params[i] ?? "") : [];

  function failed(e: unknown) {
    const err = e as ApiError;
    setError(errorText(t, err));
    setNotice(null);
    if (err.code === "window_closed") onWindowClosed();
  }

  async function sendText() {
    if (sending) return;
    const body = text.trim();
    if (!body) {
      setError(t("errors.empty"));
      return;
    }
    if ([...body].length > MAX_TEXT) {
      setError(t("errors.too_long"));
      return;
    }
    setSending(true);
    setError(null);
    try {
      const m = await api.inboxReply(conversation.id, body);
      setText("");
      setNotice(t("inbox.queued"));
      onSent(m);
    } catch (e) {
      failed(e);
    } finally {
      setSending(false);
      textRef.current?.focus();
    }
  }

  async function sendTemplate() {
    if (sending || !tpl) return;
    const filled = values.map((v) => v.trim());
    if (filled.some((v) => !v)) {
      setError(t("inbox.paramsMissing"));
      return;
    }
    setSending(true);
    setError(null);
    try {
      const m = await api.inboxSendTemplate(conversation.id, tpl.name, tpl.language, filled);
      setParams([]);
      setNotice(t("inbox.queued"));
      onSent(m);
    } catch (e) {
      failed(e);
    } finally {
      setSending(false);
    }
  }

  const messages = (
    <>
      <FormError message={error} testId="inbox-send-error" />
      <p className="muted small" role="status" data-testid="inbox-send-notice">
        {notice ?? ""}
      </p>
    </>
  );

  if (!conversation.window_open) {
    return (
      <section className="composer" aria-labelledby="composer-title" data-testid="inbox-composer" data-mode="template">
        <h3 id="composer-title" className="visually-hidden">
          {t("inbox.sendTemplate")}
        </h3>
        <p className="window-notice" data-testid="inbox-window-closed">
          {t("inbox.windowClosed")}
        </p>
        {templates.length === 0 || !tpl ? (
          <p className="muted">{t("inbox.noTemplates")}</p>
        ) : (
          <form
            className="template-form"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              void sendTemplate();
            }}
          >
            <div className="field">
              <label htmlFor="inbox-template">{t("inbox.template")}</label>
              <select
                id="inbox-template"
                data-testid="inbox-template"
                value={keyOf(tpl)}
                onChange={(e) => {
                  setTplKey(e.target.value);
                  setParams([]);
                  setError(null);
                }}
              >
                {templates.map((x) => (
                  <option key={keyOf(x)} value={keyOf(x)}>
                    {x.name} ({x.language})
                  </option>
                ))}
              </select>
            </div>
            {values.length > 0 && (
              <div className="field-row">
                {values.map((v, i) => {
                  const n = i + 1;
                  return (
                    <div className="field" key={`${keyOf(tpl)}-${n}`}>
                      <label htmlFor={`inbox-template-param-${n}`}>{t("inbox.param", { n })}</label>
                      <input
                        id={`inbox-template-param-${n}`}
                        data-testid={`inbox-template-param-${n}`}
                        value={v}
                        autoComplete="off"
                        onChange={(e) => {
                          const next = [...values];
                          next[i] = e.target.value;
                          setParams(next);
                          setError(null);
                        }}
                      />
                    </div>
                  );
                })}
              </div>
            )}
            <p className="preview-label small muted" id="inbox-template-preview-label">
              {t("inbox.preview")}
            </p>
            <p
              className="template-preview"
              data-testid="inbox-template-preview"
              aria-labelledby="inbox-template-preview-label"
            >
              {fillTemplate(tpl.body, values)}
            </p>
            {messages}
            <FormActions
              submit={sending ? t("inbox.sending") : t("inbox.sendTemplate")}
              submitTestId="inbox-send-template"
              busy={sending}
            />
          </form>
        )}
      </section>
    );
  }

  const length = [...text].length;
  return (
    <section className="composer" aria-labelledby="composer-title" data-testid="inbox-composer" data-mode="text">
      <h3 id="composer-title" className="visually-hidden">
        {t("inbox.reply")}
      </h3>
      <form
        className="composer-row"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void sendText();
        }}
      >
        <div className="field">
          <label htmlFor="inbox-reply" className="visually-hidden">
            {t("inbox.reply")}
          </label>
          <textarea
            id="inbox-reply"
            ref={textRef}
            data-testid="inbox-reply"
            rows={2}
            value={text}
            placeholder={t("inbox.replyHint")}
            readOnly={sending}
            aria-busy={sending || undefined}
            aria-describedby="inbox-reply-hint"
            aria-invalid={length > MAX_TEXT || undefined}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
              setNotice(null);
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                void sendText();
              }
            }}
          />
          <span id="inbox-reply-hint" className="muted small">
            {t("inbox.replyHint")}
            {length > MAX_TEXT - 500 && ` · ${t("inbox.count", { count: length, max: MAX_TEXT })}`}
          </span>
        </div>
        <button type="submit" className="primary" data-testid="inbox-send" disabled={sending || !text.trim()}>
          {sending ? t("inbox.sending") : t("inbox.send")}
        </button>
      </form>
      {messages}
    </section>
  );
}
