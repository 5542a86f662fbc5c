// First run (state "new": server, e-mail, password) and the locked
// workstation (same form with the server read-only, plus offline unlock).
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { InputField } from "../components/Field";
import * as api from "../api";
import { FormError } from "../components/FormError";
import { errorText } from "../errors";
import { LanguageSwitch } from "../components/LanguageSwitch";
import type { ApiError, SessionState } from "../types";

export const DEFAULT_SERVER = "http://127.0.0.1:8787";

type Props = { session: SessionState; onSession: (s: SessionState) => void };

export function Login({ session, onSession }: Props) {
  const { t } = useTranslation();
  const isNew = session.state === "new";
  const [server, setServer] = useState(session.server ?? DEFAULT_SERVER);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  // One error at a time, shown in the form that caused it, always as data-testid="login-error".
  const [failure, setFailure] = useState<{ from: "login" | "unlock"; text: string } | null>(null);
  const error = failure?.from === "login" ? failure.text : null;
  const unlockError = failure?.from === "unlock" ? failure.text : null;
  const setError = (text: string | null) => setFailure(text ? { from: "login", text } : null);
  const setUnlockError = (text: string | null) => setFailure(text ? { from: "unlock", text } : null);

  const known = session.known_users ?? [];
  const [unlockEmail, setUnlockEmail] = useState(known[0]?.email ?? "");
  const [unlockPassword, setUnlockPassword] = useState("");
  const [unlockBusy, setUnlockBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const srv = (isNew ? server : (session.server ?? server)).trim();
    if (!srv) return setError(t("login.serverMissing"));
    if (!email.trim() || !password) return setError(t("login.missing"));
    setBusy(true);
    setError(null);
    try {
      const s = await api.login(srv, email.trim(), password);
      setPassword("");
      onSession(s);
    } catch (err) {
      setError(errorText(t, err as ApiError));
    } finally {
      setBusy(false);
    }
  }

  async function submitUnlock(e: FormEvent) {
    e.preventDefault();
    if (unlockBusy) return;
    if (!unlockEmail || !unlockPassword) return setUnlockError(t("login.unlockMissing"));
    setUnlockBusy(true);
    setUnlockError(null);
    try {
      const s = await api.unlock(unlockEmail, unlockPassword);
      setUnlockPassword("");
      onSession(s);
    } catch (err) {
      setUnlockError(errorText(t, err as ApiError));
    } finally {
      setUnlockBusy(false);
    }
  }

  return (
    <main className="login-page">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <section className="login-card" aria-labelledby="login-title">
        <h1 id="login-title" className="brand-title">
          {t("app.name")}
        </h1>
        <h2 className="login-subtitle">{t("login.title")}</h2>
        {isNew ? (
          <p className="muted">{t("login.firstRun")}</p>
        ) : (
          session.org_name && <p className="muted">{t("login.clinic", { name: session.org_name })}</p>
        )}
        <form onSubmit={submit} noValidate aria-busy={busy}>
          <InputField
            id="login-server"
            label={t("login.server")}
            type="url"
            value={isNew ? server : (session.server ?? "")}
            readOnly={!isNew}
            onChange={setServer}
            autoComplete="url"
          />
          <InputField
            id="login-email"
            label={t("login.email")}
            type="email"
            value={email}
            onChange={setEmail}
            autoComplete="username"
            autoFocus
          />
          <InputField
            id="login-password"
            label={t("login.password")}
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
          />
          <FormError message={error} testId="login-error" />
          {busy && (
            <p className="progress" role="status">
              <span className="spinner" aria-hidden="true" /> {t("login.progress")}
            </p>
          )}
          <button type="submit" className="primary wide" data-testid="login-submit" disabled={busy}>
            {t("login.submit")}
          </button>
        </form>

        {!isNew && known.length > 0 && (
          <form className="unlock" onSubmit={submitUnlock} noValidate aria-labelledby="unlock-title">
            <h2 id="unlock-title">{t("login.unlockTitle")}</h2>
            <p className="muted small">{t("login.unlockHelp")}</p>
            <div className="field">
              <label htmlFor="unlock-user">{t("login.unlockUser")}</label>
              <select
                id="unlock-user"
                data-testid="unlock-user"
                value={unlockEmail}
                onChange={(e) => setUnlockEmail(e.target.value)}
              >
                {known.map((u) => (
                  <option key={u.user_id} value={u.email}>
                    {u.email} — {t(`roles.${u.role}`)}
                  </option>
                ))}
              </select>
            </div>
            <InputField
              id="unlock-password"
              label={t("login.unlockPassword")}
              type="password"
              value={unlockPassword}
              onChange={setUnlockPassword}
              autoComplete="current-password"
            />
            <FormError message={unlockError} testId="login-error" form="unlock" />
            {unlockBusy && (
              <p className="progress" role="status">
                <span className="spinner" aria-hidden="true" /> {t("login.unlockProgress")}
              </p>
            )}
            <button type="submit" className="secondary wide" data-testid="unlock-submit" disabled={unlockBusy}>
              {t("login.unlockSubmit")}
            </button>
          </form>
        )}
      </section>
    </main>
  );
}
