import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "./api";
import { errorText } from "./errors";
import type { ApiError, SessionState } from "./types";
import { Login } from "./screens/Login";
import { Shell } from "./screens/Shell";

export function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<SessionState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setError(null);
    api.session().then(
      (s) => live && setSession(s),
      (e: ApiError) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  // A command refused with "locked" (the session ended elsewhere): show the login.
  useEffect(() => {
    const again = () => api.session().then(setSession, () => undefined);
    window.addEventListener(api.LOCKED_EVENT, again);
    return () => window.removeEventListener(api.LOCKED_EVENT, again);
  }, []);

  if (error) {
    return (
      <main className="center-page">
        <p role="alert">
          {t("app.startError")} {errorText(t, error)}
        </p>
        <button type="button" className="primary" onClick={() => setAttempt((a) => a + 1)}>
          {t("app.retry")}
        </button>
      </main>
    );
  }
  if (!session) {
    return (
      <main className="center-page" aria-busy="true">
        <p role="status">{t("app.loading")}</p>
      </main>
    );
  }
  if (session.state !== "ready") {
    // key: a fresh form (and known users) for every new state
    return <Login key={`${session.state}:${session.server ?? ""}`} session={session} onSession={setSession} />;
  }
  return <Shell key={session.user?.user_id ?? ""} session={session} onSession={setSession} />;
}
