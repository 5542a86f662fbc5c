import { useTranslation } from "react-i18next";
import type { SyncStatus } from "../types";

type Props = {
  status: SyncStatus | null;
  conflictCount: number;
  onShowConflicts: () => void;
  onLoginAgain: () => void;
  /** Conversations whose answer to a reminder needs the front desk (0 for roles that cannot answer). */
  attentionCount?: number;
  onShowInbox?: () => void;
};

export function Alerts({
  status,
  conflictCount,
  onShowConflicts,
  onLoginAgain,
  attentionCount = 0,
  onShowInbox,
}: Props) {
  const { t } = useTranslation();
  const items: { key: string; kind: string; content: React.ReactNode }[] = [];
  if (status?.needs_login) {
    items.push({
      key: "login",
      kind: "alert-danger",
      content: (
        <>
          <span>{t("alerts.needsLogin")}</span>
          <button type="button" className="link-button" onClick={onLoginAgain}>
            {t("alerts.loginAgain")}
          </button>
        </>
      ),
    });
  }
  if (conflictCount > 0) {
    items.push({
      key: "conflicts",
      kind: "alert-warning",
      content: (
        <>
          <span>{t("alerts.conflicts", { count: conflictCount })}</span>
          <button type="button" className="link-button" onClick={onShowConflicts}>
            {t("alerts.showConflicts")}
          </button>
        </>
      ),
    });
  }
  if (attentionCount > 0 && onShowInbox) {
    items.push({
      key: "inbox-attention",
      kind: "alert-warning",
      content: (
        <>
          <span>{t("alerts.inboxAttention", { count: attentionCount })}</span>
          <button type="button" className="link-button" onClick={onShowInbox}>
            {t("alerts.openInbox")}
          </button>
        </>
      ),
    });
  }
  if (status?.quarantined) {
    items.push({
      key: "quarantine",
      kind: "alert-danger",
      content: <span>{t("alerts.quarantined", { count: status.quarantined })}</span>,
    });
  }
  if (status?.last_error) {
    items.push({
      key: "sync-error",
      kind: "alert-warning",
      content: <span>{t("alerts.syncError", { error: status.last_error })}</span>,
    });
  }
  return (
    <section className="alerts" data-testid="alerts" data-count={items.length} aria-label={t("alerts.title")}>
      <ul>
        {items.map((i) => (
          <li key={i.key} className={i.kind} data-alert={i.key}>
            {i.content}
          </li>
        ))}
      </ul>
    </section>
  );
}
