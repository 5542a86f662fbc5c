// One conversation: who it is with (and the patient it belongs to, or ways
// to link one), the messages as bubbles, and the reply box. Keyed by the
// conversation: another conversation starts afresh.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { FormError } from "../../components/FormError";
import { useApp } from "../../context";
import { errorText } from "../../errors";
import type { ApiError, ConversationRow, InboxThread, MediaData, MessageView } from "../../types";
import { Composer } from "./Composer";
import { ConvertLeadDialog, LinkPatientDialog } from "./LinkDialogs";
import { assigneeText, contactLabel, fileSize, isAutomatic, MEDIA_KINDS, messageTime, STATUS_TICK } from "./labels";

type Props = {
  thread: InboxThread;
  now: number;
  onSent: (m: MessageView) => void;
  onWindowClosed: () => void;
  /** The conversation as the shell now has it (after linking or registering). */
  onConversation: (c: ConversationRow) => void;
};

export function Thread({ thread, now, onSent, onWindowClosed, onConversation }: Props) {
  const { t } = useTranslation();
  const { can } = useApp();
  const c = thread.conversation;
  const listRef = useRef<HTMLOListElement>(null);
  const last = thread.messages[thread.messages.length - 1];

  // Keep the newest message in view.
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [c.id, thread.messages.length, last?.id]);

  return (
    <section className="thread" data-testid="inbox-thread" data-id={c.id} aria-labelledby="thread-title">
      <ThreadHeader conversation={c} onConversation={onConversation} />
      <ol ref={listRef} className="thread-messages" role="log" aria-label={t("inbox.messages")} tabIndex={0}>
        {thread.messages.length === 0 && <li className="muted">{t("inbox.noMessages")}</li>}
        {thread.messages.map((m) => (
          <Bubble key={m.id} m={m} now={now} />
        ))}
      </ol>
      {can.writeInbox ? (
        <Composer
          key={c.id}
          conversation={c}
          templates={thread.templates}
          onSent={onSent}
          onWindowClosed={onWindowClosed}
        />
      ) : (
        <p className="muted small composer-readonly" data-testid="inbox-readonly">
          {t("inbox.readOnly")}
        </p>
      )}
    </section>
  );
}

function ThreadHeader({
  conversation: c,
  onConversation,
}: {
  conversation: ConversationRow;
  onConversation: (c: ConversationRow) => void;
}) {
  const { t } = useTranslation();
  const { can, navigate, session } = useApp();
  const me = session.user?.user_id ?? null;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<"link" | "convert" | null>(null);
  const name = contactLabel(t, c);

  async function act(f: () => Promise<ConversationRow>) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onConversation(await f());
    } catch (e) {
      setError(errorText(t, e as ApiError));
    } finally {
      setBusy(false);
    }
  }
  const link = (patientId: string) => act(() => api.inboxLinkPatient(c.id, patientId));
  const mine = c.assignee?.user_id === me;

  return (
    <header className="thread-head">
      <div className="thread-contact">
        <h2 id="thread-title" data-testid="inbox-contact">
          {name}
          {c.lead && <span className="tag tag-lead">{t("inbox.lead")}</span>}
        </h2>
        <p className="muted small">
          {c.contact_name?.trim() && c.phone ? `${c.phone} · ` : ""}
          {t("inbox.via", { number: c.display_number })}
        </p>
        <p className="thread-assignee small" data-testid="inbox-thread-assignee" data-mine={mine}>
          <span>{c.assignee ? assigneeText(t, c.assignee, me) : t("inbox.assignee.none")}</span>
          {can.writeInbox && (
            <button
              type="button"
              className="small-button secondary"
              data-testid={mine ? "inbox-release" : "inbox-take"}
              disabled={busy}
              onClick={() => void act(() => api.inboxAssign(c.id, !mine))}
            >
              {mine ? t("inbox.assignee.release") : c.assignee ? t("inbox.assignee.takeOver") : t("inbox.assignee.take")}
            </button>
          )}
        </p>
        <Tags conversation={c} onConversation={onConversation} />
      </div>
      <div className="thread-patient">
        {c.patient_id ? (
          <p>
            <span className="muted">{t("inbox.linkedTo")} </span>
            {can.patients ? (
              <button
                type="button"
                className="link-button"
                data-testid="inbox-patient"
                aria-label={t("inbox.openPatient", { name: c.patient_name ?? "" })}
                onClick={() => navigate({ kind: "patient", id: c.patient_id as string })}
              >
                {c.patient_name ?? t("inbox.unknownPatient")}
              </button>
            ) : (
              <strong data-testid="inbox-patient">{c.patient_name ?? t("inbox.unknownPatient")}</strong>
            )}
          </p>
        ) : can.writeInbox ? (
          <div className="thread-actions" role="group" aria-label={t("inbox.linkGroup")}>
            {c.suggested_patients.map((p) => (
              <button
                key={p.id}
                type="button"
                className="small-button"
                data-testid={`inbox-link-${p.id}`}
                disabled={busy}
                onClick={() => void link(p.id)}
              >
                {t("inbox.linkTo", { name: p.name })}
              </button>
            ))}
            <button
              type="button"
              className="small-button secondary"
              data-testid="inbox-link-search"
              disabled={busy}
              onClick={() => setDialog("link")}
            >
              {t("inbox.linkSearch")}
            </button>
            <button
              type="button"
              className="small-button primary"
              data-testid="inbox-convert"
              disabled={busy}
              onClick={() => setDialog("convert")}
            >
              {t("inbox.convert")}
            </button>
          </div>
        ) : (
          <p className="muted small">{t("inbox.notLinked")}</p>
        )}
        <FormError message={error} testId="inbox-link-error" />
      </div>
      {c.attention && (
        <p className="attention-banner" data-testid="inbox-attention" data-reason={c.attention.reason}>
          {t(`inbox.attention.banner.${c.attention.reason}`, { defaultValue: t("inbox.attention.bannerOther") })}
        </p>
      )}
      {dialog === "link" && (
        <LinkPatientDialog
          conversation={c}
          onClose={() => setDialog(null)}
          onLinked={(row) => {
            setDialog(null);
            onConversation(row);
          }}
        />
      )}
      {dialog === "convert" && (
        <ConvertLeadDialog
          conversation={c}
          onClose={() => setDialog(null)}
          onConverted={(row) => {
            setDialog(null);
            onConversation(row);
          }}
        />
      )}
    </header>
  );
}

function Bubble({ m, now }: { m: MessageView; now: number }) {
  const { t, i18n } = useTranslation();
  const inbound = m.direction === "recebida";
  const automatic = isAutomatic(m);
  const kindLabel = t(`inbox.kinds.${m.kind}`, { defaultValue: m.kind });
  const parts: React.ReactNode[] = [];

  if (m.template) {
    parts.push(
      <p key="tpl" className="msg-template" data-testid={`msg-template-${m.id}`}>
        {t("inbox.templateLabel", { name: m.template.name })}
      </p>,
    );
  }
  if (m.media || (MEDIA_KINDS.includes(m.kind) && !m.text)) {
    const media = m.media;
    const meta = [media?.mime_type ?? kindLabel, media?.size != null ? fileSize(media.size, i18n.language) : ""]
      .filter(Boolean)
      .join(" · ");
    parts.push(
      <span key="media" className="file-chip" data-testid={`msg-media-${m.id}`}>
        <span aria-hidden="true">📎</span>
        <span className="file-name">{media?.filename ?? kindLabel}</span>
        <span className="muted">{meta}</span>
        {media?.error && <span className="file-error">{t("inbox.mediaError", { error: media.error })}</span>}
      </span>,
    );
    if (media?.blob) parts.push(<MediaPreview key="preview" id={m.id} blob={media.blob} media={media} />);
  }
  if (m.location) {
    const { latitude, longitude, name, address } = m.location;
    const coords = `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
    const place = [name, address].filter(Boolean).join(" — ");
    parts.push(
      <p key="loc" className="msg-location" data-testid={`msg-location-${m.id}`}>
        {place ? t("inbox.locationPlace", { place, coords }) : t("inbox.location", { coords })}
      </p>,
    );
  }
  if (m.text) {
    parts.push(
      <p key="text" className="msg-text">
        {m.kind === "reaction" ? t("inbox.reaction", { emoji: m.text }) : m.text}
      </p>,
    );
  } else if (m.template && m.template.params.length > 0) {
    parts.push(
      <p key="params" className="muted small">
        {t("inbox.templateParams", { list: m.template.params.join(", ") })}
      </p>,
    );
  }
  if (parts.length === 0) {
    parts.push(
      <p key="kind" className="muted msg-text">
        {kindLabel}
      </p>,
    );
  }

  const statusText =
    m.status === "falhou" && m.error ? t("inbox.failed", { title: m.error.title }) : t(`inbox.status.${m.status}`);
  const iso = new Date(m.at * 1000).toISOString();

  return (
    <li
      className={`msg ${inbound ? "msg-in" : "msg-out"}${automatic ? " msg-auto" : ""}`}
      data-testid={`msg-${m.id}`}
      data-direction={m.direction}
      data-status={m.status}
      data-kind={m.kind}
      data-automatic={automatic || undefined}
    >
      <span className="visually-hidden">{inbound ? t("inbox.fromContact") : t("inbox.fromClinic")}</span>
      {!inbound && m.author_name && (
        <span className="msg-author">
          {m.author_name}
          {automatic && (
            <span className="tag tag-auto" data-testid={`msg-auto-${m.id}`}>
              {t("inbox.automatic")}
            </span>
          )}
        </span>
      )}
      {parts}
      <span className="msg-meta">
        <time dateTime={iso}>{messageTime(m.at, i18n.language, now)}</time>
        {!inbound && (
          <span className={`msg-status status-${m.status}`} data-testid={`msg-status-${m.id}`}>
            {STATUS_TICK[m.status] && (
              <span className="tick" aria-hidden="true">
                {STATUS_TICK[m.status]}{" "}
              </span>
            )}
            {statusText}
          </span>
        )}
      </span>
    </li>
  );
}

/**
 * A media file the server keeps: images shown inline, other files opened on
 * request. Kept on the workstation once shown (recent ones are fetched
 * ahead by sync), so they show offline; one never fetched says when it
 * will be there.
 */
function MediaPreview({ id, blob, media }: { id: string; blob: string; media: NonNullable<MessageView["media"]> }) {
  const { t } = useTranslation();
  const image = (media.mime_type ?? "").startsWith("image/");
  const [data, setData] = useState<MediaData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api.inboxMedia(blob).then(
      (d) => {
        setData(d);
        setError(null);
        return d;
      },
      (e: ApiError) => {
        setError(e.code === "server_unreachable" ? t("inbox.mediaOffline") : errorText(t, e));
        return null;
      },
    );
  useEffect(() => {
    if (image) void load();
  }, [blob, image]);
  const url = data ? `data:${data.mime_type};base64,${data.data}` : null;
  if (error) return <p className="file-error" data-testid={`msg-media-error-${id}`}>{error}</p>;
  if (image) {
    return url ? (
      <img className="msg-image" src={url} alt={media.filename ?? t("inbox.image")} data-testid={`msg-image-${id}`} />
    ) : (
      <p className="muted small">{t("inbox.mediaLoading")}</p>
    );
  }
  const open = async () => {
    const d = data ?? (await load());
    if (!d) return;
    const a = document.createElement("a");
    a.href = `data:${d.mime_type};base64,${d.data}`;
    a.download = media.filename ?? blob.replace("sha256:", "").slice(0, 12);
    a.click();
  };
  return (
    <button type="button" className="link-button" data-testid={`msg-open-${id}`} onClick={() => void open()}>
      {t("inbox.openFile")}
    </button>
  );
}

/** The conversation's labels: each with its "×" for those who write, and a box that suggests the labels in use. */
function Tags({
  conversation: c,
  onConversation,
}: {
  conversation: ConversationRow;
  onConversation: (c: ConversationRow) => void;
}) {
  const { t } = useTranslation();
  const { can } = useApp();
  const [text, setText] = useState("");
  const [known, setKnown] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (can.writeInbox) api.inboxTags().then(setKnown, () => undefined);
  }, [can.writeInbox, c.tags.length]);

  async function onChange(tag: string, on: boolean): Promise<boolean> {
    if (busy) return false;
    setBusy(true);
    setError(null);
    try {
      onConversation(await api.inboxTag(c.id, tag, on));
      return true;
    } catch (e) {
      const apiErr = e as ApiError;
      setError(apiErr.field === "tag" ? t("inbox.tags.invalid") : errorText(t, apiErr));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add(e: FormEvent) {
    e.preventDefault();
    const tag = text.trim();
    if (!tag) return;
    if (await onChange(tag, true)) setText("");
  }

  if (!can.writeInbox && c.tags.length === 0) return null;
  return (
    <div className="thread-tags" data-testid="inbox-thread-tags">
      {c.tags.map((tag) => (
        <span key={tag} className="tag tag-label" data-tag={tag}>
          {tag}
          {can.writeInbox && (
            <button
              type="button"
              className="tag-remove"
              aria-label={t("inbox.tags.remove", { tag })}
              data-testid={`inbox-untag-${tag}`}
              disabled={busy}
              onClick={() => void onChange(tag, false)}
            >
              ×
            </button>
          )}
        </span>
      ))}
      {can.writeInbox && (
        <form className="tag-add" onSubmit={add}>
          <input
            data-testid="inbox-tag-input"
            aria-label={t("inbox.tags.new")}
            placeholder={t("inbox.tags.new")}
            list="inbox-tag-suggestions"
            maxLength={30}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
          <datalist id="inbox-tag-suggestions">
            {known
              .filter((k) => !c.tags.some((x) => x.toLowerCase() === k.toLowerCase()))
              .map((k) => (
                <option key={k} value={k} />
              ))}
          </datalist>
          <button type="submit" className="small-button secondary" data-testid="inbox-tag-add" disabled={busy || !text.trim()}>
            {t("inbox.tags.add")}
          </button>
        </form>
      )}
      {error && (
        <p className="form-error small" role="alert" data-testid="inbox-tag-error">
          {error}
        </p>
      )}
    </div>
  );
}
