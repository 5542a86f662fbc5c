// The working app: header (clinic, user, nav, language, lock), the sync
// indicator and alerts (always visible), and the current screen.
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../api";
import { AppContext, permissions, useApp, type AppState, type View } from "../context";
import { useSyncStatus, useTauriEvent } from "../hooks";
import { SyncIndicator } from "../components/SyncIndicator";
import { Alerts } from "../components/Alerts";
import { LanguageSwitch } from "../components/LanguageSwitch";
import type { Conflict, Directory, SessionState } from "../types";
import { PatientsScreen } from "./patients/PatientsScreen";
import { PatientPage } from "./patients/PatientPage";
import { PatientFormScreen } from "./patients/PatientFormScreen";
import { AgendaScreen } from "./agenda/AgendaScreen";
import { ChartScreen } from "./chart/ChartScreen";
import { CatalogueScreen } from "./catalogue/CatalogueScreen";

type Props = { session: SessionState; onSession: (s: SessionState) => void; initialView?: View };

export function Shell({ session, onSession, initialView }: Props) {
  const { t } = useTranslation();
  const can = useMemo(() => permissions(session.user?.role), [session.user?.role]);
  const [view, setView] = useState<View>(initialView ?? (can.agenda ? { kind: "agenda" } : { kind: "patients" }));
  const [dataVersion, setDataVersion] = useState(0);
  const [directory, setDirectory] = useState<Directory | null>(null);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const status = useSyncStatus();

  const changed = useCallback(() => setDataVersion((v) => v + 1), []);
  useTauriEvent(api.onDataChanged, changed);

  useEffect(() => {
    let live = true;
    api
      .directory()
      .then((d) => live && setDirectory(d))
      .catch(() => undefined);
    if (can.agenda) {
      api
        .conflicts()
        .then((c) => live && setConflicts(c))
        .catch(() => undefined);
    }
    return () => {
      live = false;
    };
  }, [dataVersion, can.agenda]);

  async function lock() {
    try {
      onSession(await api.lock());
    } catch {
      // Locking is local; if it failed, ask the shell what state we are in.
      api.session().then(onSession, () => undefined);
    }
  }

  const app: AppState = { session, directory, dataVersion, changed, conflicts, navigate: setView, can };
  const user = session.user;
  const section = view.kind === "agenda" || view.kind === "catalogue" ? view.kind : "patients";

  return (
    <AppContext.Provider value={app}>
      <div className="shell">
        <header className="app-header">
          <div className="header-row">
            <div className="brand">
              <span className="brand-mark" aria-hidden="true">
                A
              </span>
              <span className="brand-name">{t("app.name")}</span>
              <span className="org-name" data-testid="org-name">
                {session.org_name ?? directory?.org_name ?? ""}
              </span>
            </div>
            <nav aria-label={t("header.nav")} className="main-nav">
              <button
                type="button"
                data-testid="nav-patients"
                aria-current={section === "patients" ? "page" : undefined}
                onClick={() => setView({ kind: "patients" })}
                disabled={!can.patients}
              >
                {t("header.patients")}
              </button>
              <button
                type="button"
                data-testid="nav-agenda"
                aria-current={section === "agenda" ? "page" : undefined}
                onClick={() => setView({ kind: "agenda" })}
                disabled={!can.agenda}
              >
                {t("header.agenda")}
              </button>
              {can.catalogue && (
                <button
                  type="button"
                  data-testid="nav-catalogue"
                  aria-current={section === "catalogue" ? "page" : undefined}
                  onClick={() => setView({ kind: "catalogue" })}
                >
                  {t("header.catalogue")}
                </button>
              )}
            </nav>
            <div className="header-tools">
              {user && (
                <span className="user" aria-label={t("header.user")} data-testid="current-user">
                  <span className="user-email">{user.email}</span>
                  <span className="role-badge">{t(`roles.${user.role}`)}</span>
                </span>
              )}
              <LanguageSwitch />
              <button type="button" className="secondary" data-testid="lock-button" onClick={lock}>
                {t("header.lock")}
              </button>
            </div>
          </div>
          <div className="status-row">
            <SyncIndicator status={status} />
            <Alerts
              status={status}
              conflictCount={conflicts.length}
              onShowConflicts={() => setView({ kind: "agenda" })}
              onLoginAgain={lock}
            />
          </div>
        </header>
        <main className="app-main">
          {!can.patients && !can.agenda ? (
            <p className="notice">{t("app.noAccess", { role: user ? t(`roles.${user.role}`) : "" })}</p>
          ) : (
            <Screen view={view} />
          )}
        </main>
      </div>
    </AppContext.Provider>
  );
}

function Screen({ view }: { view: View }) {
  const { can } = useApp();
  switch (view.kind) {
    case "patients":
      return <PatientsScreen />;
    case "patient":
      return <PatientPage id={view.id} />;
    case "patient-new":
      return <PatientFormScreen />;
    case "patient-edit":
      return <PatientFormScreen id={view.id} />;
    case "agenda":
      return <AgendaScreen />;
    case "chart":
      // roles without the chart never see any of it (the core refuses it too)
      return can.chart ? <ChartScreen id={view.id} /> : <NoAccess what="chart.noAccess" />;
    case "catalogue":
      return can.catalogue ? <CatalogueScreen /> : <NoAccess what="app.readOnly" />;
  }
}

function NoAccess({ what }: { what: string }) {
  const { t } = useTranslation();
  return <p className="notice">{t(what)}</p>;
}
