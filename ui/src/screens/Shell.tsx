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
import { InboxScreen } from "./inbox/InboxScreen";
import { inboxCounts } from "./inbox/labels";
import { WhatsappSettingsScreen } from "./whatsapp/WhatsappSettingsScreen";

type Props = { session: SessionState; onSession: (s: SessionState) => void; initialView?: View };

export function Shell({ session, onSession, initialView }: Props) {
  const { t } = useTranslation();
  const can = useMemo(() => permissions(session.user?.role), [session.user?.role]);
  const [view, setView] = useState<View>(initialView ?? (can.agenda ? { kind: "agenda" } : { kind: "patients" }));
  const [dataVersion, setDataVersion] = useState(0);
  const [directory, setDirectory] = useState<Directory | null>(null);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  // unread messages (the nav badge) and conversations needing the front desk (the alerts list)
  const [inbox, setInbox] = useState({ unread: 0, attention: 0 });
  const setInboxUnread = useCallback((n: number) => setInbox((c) => (c.unread === n ? c : { ...c, unread: n })), []);
  const setInboxAttention = useCallback(
    (n: number) => setInbox((c) => (c.attention === n ? c : { ...c, attention: n })),
    [],
  );
  const inboxUnread = inbox.unread;
  const inboxAttention = inbox.attention;
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

  // The nav badge and the attention alert: the inbox screen reports them itself while it is shown.
  const onInbox = view.kind === "inbox";
  useEffect(() => {
    if (!can.inbox || onInbox) return;
    let live = true;
    api
      .inboxList()
      .then((rows) => {
        if (!live) return;
        const counts = inboxCounts(rows);
        setInbox((c) => (c.unread === counts.unread && c.attention === counts.attention ? c : counts));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [dataVersion, can.inbox, onInbox]);

  async function lock() {
    try {
      onSession(await api.lock());
    } catch {
      // Locking is local; if it failed, ask the shell what state we are in.
      api.session().then(onSession, () => undefined);
    }
  }

  const app: AppState = {
    session,
    directory,
    dataVersion,
    changed,
    conflicts,
    navigate: setView,
    can,
    inboxUnread,
    setInboxUnread,
    inboxAttention,
    setInboxAttention,
  };
  const user = session.user;
  const section =
    view.kind === "agenda" || view.kind === "catalogue" || view.kind === "inbox" || view.kind === "whatsapp-settings"
      ? view.kind
      : "patients";

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
              {can.inbox && (
                <button
                  type="button"
                  data-testid="nav-inbox"
                  aria-current={section === "inbox" ? "page" : undefined}
                  onClick={() => setView({ kind: "inbox" })}
                >
                  {t("header.inbox")}
                  {inboxUnread > 0 && (
                    <>
                      <span className="nav-badge" data-testid="nav-inbox-unread" data-count={inboxUnread} aria-hidden="true">
                        {inboxUnread > 99 ? "99+" : inboxUnread}
                      </span>
                      <span className="visually-hidden">{t("header.inboxUnread", { count: inboxUnread })}</span>
                    </>
                  )}
                </button>
              )}
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
              {can.whatsappSettings && (
                <button
                  type="button"
                  data-testid="nav-whatsapp-settings"
                  aria-current={section === "whatsapp-settings" ? "page" : undefined}
                  onClick={() => setView({ kind: "whatsapp-settings" })}
                >
                  {t("header.whatsappSettings")}
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
              attentionCount={can.writeInbox ? inboxAttention : 0}
              onShowInbox={() => setView({ kind: "inbox" })}
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
    case "inbox":
      return can.inbox ? <InboxScreen initialId={view.id} /> : <NoAccess what="inbox.noAccess" />;
    case "whatsapp-settings":
      return can.whatsappSettings ? <WhatsappSettingsScreen /> : <NoAccess what="app.readOnly" />;
  }
}

function NoAccess({ what }: { what: string }) {
  const { t } = useTranslation();
  return <p className="notice">{t(what)}</p>;
}
