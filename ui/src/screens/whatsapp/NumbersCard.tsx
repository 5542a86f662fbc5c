// The clinic's WhatsApp numbers, which live on the server (their access
// tokens never leave it): listed for admin and gerente, connected, given a
// new token after Meta asked for one, and removed by the admin. Online
// only, so the card says so when the server cannot be reached.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { InputField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { useApp } from "../../context";
import { errorText } from "../../errors";
import type { ApiError, NewWhatsappNumber, WhatsappNumber } from "../../types";

type Field = keyof NewWhatsappNumber;
const BLANK: NewWhatsappNumber = { phone_number_id: "", display_phone_number: "", waba_id: "", access_token: "" };
const DIGITS = /^\d{1,32}$/;

export function NumbersCard() {
  const { t } = useTranslation();
  const { can } = useApp();
  const [numbers, setNumbers] = useState<WhatsappNumber[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => {
    setLoadError(null);
    api.whatsappNumbers().then(
      (list) => setNumbers([...list].sort((a, b) => a.display_phone_number.localeCompare(b.display_phone_number))),
      (e: ApiError) => setLoadError(errorText(t, e)),
    );
  }, [t]);
  useEffect(load, [load]);

  const changed = (text: string) => {
    setNotice(text);
    load();
  };

  return (
    <section className="card wa-numbers" aria-labelledby="wa-numbers-title" data-testid="wa-numbers">
      <h2 id="wa-numbers-title">{t("whatsapp.numbers.title")}</h2>
      <p className="muted small">{t("whatsapp.numbers.help")}</p>
      {loadError ? (
        <div className="form-error" role="alert" data-testid="wa-numbers-error">
          <p>
            {t("whatsapp.numbers.loadFailed")} {loadError}
          </p>
          <button type="button" className="link-button" data-testid="wa-numbers-retry" onClick={load}>
            {t("whatsapp.numbers.retry")}
          </button>
        </div>
      ) : numbers === null ? (
        <p className="muted" role="status">
          {t("whatsapp.numbers.loading")}
        </p>
      ) : numbers.length === 0 ? (
        <p className="muted" data-testid="wa-numbers-none">
          {t("whatsapp.numbers.none")}
        </p>
      ) : (
        <ul className="wa-number-list">
          {numbers.map((n) => (
            <NumberItem key={n.phone_number_id} number={n} manage={can.whatsappNumbers} onChanged={changed} />
          ))}
        </ul>
      )}
      <p className="muted small" role="status" data-testid="wa-numbers-notice">
        {notice ?? ""}
      </p>
      {can.whatsappNumbers && numbers !== null && (
        <AddNumberForm onAdded={(n) => changed(t("whatsapp.numbers.added", { number: n.display_phone_number }))} />
      )}
    </section>
  );
}

function NumberItem({
  number: n,
  manage,
  onChanged,
}: {
  number: WhatsappNumber;
  manage: boolean;
  onChanged: (notice: string) => void;
}) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<"view" | "token" | "remove">("view");
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = n.phone_number_id;

  async function run(action: () => Promise<unknown>, notice: string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await action();
      setMode("view");
      setToken("");
      onChanged(notice);
    } catch (e) {
      setError(errorText(t, e as ApiError));
    } finally {
      setBusy(false);
    }
  }

  function renew(e: FormEvent) {
    e.preventDefault();
    if (!token.trim()) {
      setError(t("whatsapp.numbers.errors.access_token"));
      return;
    }
    void run(
      () => api.renewWhatsappToken(id, token.trim()),
      t("whatsapp.numbers.renewed", { number: n.display_phone_number }),
    );
  }

  const reauth = n.needs_reauth_at !== null;
  return (
    <li className="wa-number" data-testid={`wa-number-${id}`} data-reauth={reauth}>
      <h3>{n.display_phone_number}</h3>
      <p className="small muted">
        {t("whatsapp.numbers.ids", { id, waba: n.waba_id })}
      </p>
      {reauth ? (
        <p className="tag tag-danger" data-testid={`wa-number-reauth-${id}`}>
          {t("whatsapp.numbers.reauth")}
          {n.needs_reauth_reason ? ` (${n.needs_reauth_reason})` : ""}
        </p>
      ) : (
        <p className="tag" data-testid={`wa-number-ok-${id}`}>
          {t("whatsapp.numbers.active")}
        </p>
      )}
      {manage && mode === "view" && (
        <div className="form-actions">
          <button type="button" data-testid={`wa-number-token-${id}`} onClick={() => setMode("token")}>
            {t("whatsapp.numbers.renew")}
          </button>
          <button type="button" className="danger-outline" data-testid={`wa-number-remove-${id}`} onClick={() => setMode("remove")}>
            {t("whatsapp.numbers.remove")}
          </button>
        </div>
      )}
      {manage && mode === "token" && (
        <form onSubmit={renew} noValidate data-testid={`wa-number-token-form-${id}`}>
          <InputField
            id={`wa-number-new-token-${id}`}
            label={t("whatsapp.numbers.fields.access_token")}
            type="password"
            autoComplete="off"
            value={token}
            error={error}
            onChange={(v) => {
              setToken(v);
              setError(null);
            }}
          />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy} data-testid={`wa-number-token-save-${id}`}>
              {t("whatsapp.numbers.renewSave")}
            </button>
            <button type="button" onClick={() => setMode("view")}>
              {t("whatsapp.numbers.cancel")}
            </button>
          </div>
        </form>
      )}
      {manage && mode === "remove" && (
        <div role="alertdialog" aria-labelledby={`wa-number-remove-q-${id}`}>
          <p id={`wa-number-remove-q-${id}`}>{t("whatsapp.numbers.removeQuestion", { number: n.display_phone_number })}</p>
          <FormError message={error} />
          <div className="form-actions">
            <button
              type="button"
              className="danger"
              disabled={busy}
              data-testid={`wa-number-remove-confirm-${id}`}
              onClick={() =>
                void run(
                  () => api.removeWhatsappNumber(id),
                  t("whatsapp.numbers.removed", { number: n.display_phone_number }),
                )
              }
            >
              {t("whatsapp.numbers.removeConfirm")}
            </button>
            <button type="button" onClick={() => setMode("view")}>
              {t("whatsapp.numbers.cancel")}
            </button>
          </div>
        </div>
      )}
    </li>
  );
}

function AddNumberForm({ onAdded }: { onAdded: (n: WhatsappNumber) => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<NewWhatsappNumber>(BLANK);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function edit(field: Field, value: string) {
    setForm((f) => ({ ...f, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
    setFormError(null);
  }

  function check(): Partial<Record<Field, string>> {
    const found: Partial<Record<Field, string>> = {};
    if (!DIGITS.test(form.phone_number_id.trim())) found.phone_number_id = t("whatsapp.numbers.errors.phone_number_id");
    if (!form.display_phone_number.trim()) found.display_phone_number = t("whatsapp.numbers.errors.display_phone_number");
    if (!DIGITS.test(form.waba_id.trim())) found.waba_id = t("whatsapp.numbers.errors.waba_id");
    if (!form.access_token.trim()) found.access_token = t("whatsapp.numbers.errors.access_token");
    return found;
  }

  function refuse(found: Partial<Record<Field, string>>, text: string) {
    setErrors(found);
    setFormError(text);
    const first = (Object.keys(BLANK) as Field[]).find((f) => found[f]);
    if (first) window.setTimeout(() => document.getElementById(`wa-new-${first}`)?.focus(), 0);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const found = check();
    if (Object.keys(found).length > 0) return refuse(found, t("form.fix"));
    setBusy(true);
    try {
      const added = await api.addWhatsappNumber({
        phone_number_id: form.phone_number_id.trim(),
        display_phone_number: form.display_phone_number.trim(),
        waba_id: form.waba_id.trim(),
        access_token: form.access_token.trim(),
      });
      setForm(BLANK);
      setErrors({});
      setFormError(null);
      onAdded(added);
    } catch (err) {
      const apiErr = err as ApiError;
      const field = apiErr.field as Field | undefined;
      if (apiErr.code === "exists") {
        refuse({ phone_number_id: t("whatsapp.numbers.errors.exists") }, t("form.fix"));
      } else if (field && field in BLANK) {
        refuse({ [field]: t(`whatsapp.numbers.errors.${field}`) }, t("form.fix"));
      } else {
        setFormError(errorText(t, apiErr));
      }
    } finally {
      setBusy(false);
    }
  }

  const field = (name: Field, extra: Record<string, string> = {}) => (
    <InputField
      id={`wa-new-${name}`}
      label={t(`whatsapp.numbers.fields.${name}`)}
      value={form[name]}
      error={errors[name]}
      onChange={(v) => edit(name, v)}
      {...extra}
    />
  );
  return (
    <form className="wa-number-add" data-testid="wa-number-add" onSubmit={submit} noValidate aria-labelledby="wa-add-title">
      <h3 id="wa-add-title">{t("whatsapp.numbers.addTitle")}</h3>
      <div className="field-row">
        {field("display_phone_number", { placeholder: "+55 11 3333-4444" })}
        {field("phone_number_id", { inputMode: "numeric" })}
        {field("waba_id", { inputMode: "numeric" })}
      </div>
      {field("access_token", { type: "password", autoComplete: "off" })}
      <FormError message={formError} testId="wa-number-add-error" />
      <FormActions
        submit={busy ? t("whatsapp.saving") : t("whatsapp.numbers.add")}
        submitTestId="wa-number-add-save"
        busy={busy}
      />
    </form>
  );
}
