import { useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../api";
import type { SyncStatus } from "../types";

function lastSyncText(t: (k: string, o?: Record<string, unknown>) => string, lang: string, ms: number | null) {
  if (ms == null) return t("sync.never");
  const when = new Date(ms);
  const time = when.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hour12: false });
  const sameDay = when.toDateString() === new Date().toDateString();
  if (sameDay) return t("sync.lastToday", { time });
  const date = when.toLocaleDateString(lang, { day: "2-digit", month: "2-digit" });
  return t("sync.lastOther", { date, time });
}

export function SyncIndicator({ status }: { status: SyncStatus | null }) {
  const { t, i18n } = useTranslation();
  const [asking, setAsking] = useState(false);
  const state = status?.state ?? "connecting";
  const pending = status?.pending ?? 0;

  async function syncNow() {
    setAsking(true);
    try {
      await api.syncNow();
    } catch {
      // the status events say what happened
    } finally {
      setAsking(false);
    }
  }

  return (
    <div
      className={`sync sync-${state}`}
      data-testid="sync-indicator"
      data-state={state}
      role="status"
      aria-live="polite"
      aria-label={t("sync.label")}
    >
      <span className="sync-dot" aria-hidden="true" />
      <span className="sync-state">{t(`sync.state.${state}`)}</span>
      <span className="sync-pending" data-testid="sync-pending" data-count={pending}>
        {t("sync.pending", { count: pending })}
      </span>
      <span className="sync-last" data-testid="sync-last">
        {lastSyncText(t, i18n.language, status?.last_success ?? null)}
      </span>
      <button type="button" className="link-button" onClick={syncNow} disabled={asking} data-testid="sync-now">
        {t("sync.now")}
      </button>
    </div>
  );
}
