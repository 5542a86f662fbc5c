// Charted entries as a table: where, faces, what, status, who, when, note.
// Locked entries (realizado) show a lock; invalidated ones are struck through
// with their reason. Actions: change the status, mark realizado (confirmed:
// it locks), invalidate (with a reason).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { FormError } from "../../components/FormError";
import { dayToBr } from "../../dates";
import { errorText } from "../../errors";
import type { ChartView, Entry, EntryStatus } from "../../types";
import { useChart } from "./chartContext";
import { LockIcon, StatusChip } from "./ChartBits";
import { CHARTABLE, isInvalidated, regionLabel } from "./labels";

type Props = {
  entries: Entry[];
  title: string;
  testId: string;
  /** the column of teeth/regions (not needed when every row is the same tooth) */
  showRegion?: boolean;
  /** show only the newest this many, with a button for older ones (a ten-year chart has thousands) */
  pageSize?: number;
};

type Pending = { kind: "done" | "invalidate"; entry: Entry };

export function EntryTable({ entries, title, testId, showRegion = true, pageSize }: Props) {
  const { t } = useTranslation();
  const [limit, setLimit] = useState(pageSize ?? Infinity);
  // Entries come oldest first; the newest `limit` are shown, still in that order.
  const shown = entries.length > limit ? entries.slice(entries.length - limit) : entries;
  const older = entries.length - shown.length;
  const { patientId, write } = useChart();
  const [pending, setPending] = useState<Pending | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = `${testId}-title`;

  async function setStatus(entry: Entry, status: EntryStatus) {
    if (status === "realizado") {
      setPending({ kind: "done", entry });
      return;
    }
    setError(null);
    const err = await write(() => api.chartSetStatus(patientId, entry.id, status, null));
    if (err) setError(errorText(t, err));
  }

  /** For the dialogs: throws so that the dialog shows the error. */
  async function confirm(command: () => Promise<ChartView>) {
    const err = await write(command);
    if (err) throw err;
    setPending(null);
  }

  const what = pending && {
    name: pending.entry.name,
    region: regionLabel(t, pending.entry.region),
  };

  return (
    <section className="entries" data-testid={testId} aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <FormError message={error} testId={`${testId}-error`} />
      {entries.length === 0 ? (
        <p className="muted">{t("chart.entries.none")}</p>
      ) : (
        <div className="table-wrap">
          {older > 0 && (
            <p className="entries-more">
              <span className="small muted">{t("chart.entries.showing", { shown: shown.length, total: entries.length })}</span>{" "}
              <button
                type="button"
                className="link-button"
                data-testid={`${testId}-older`}
                onClick={() => setLimit((l) => l + (pageSize ?? older))}
              >
                {t("chart.entries.older", { count: Math.min(older, pageSize ?? older) })}
              </button>
            </p>
          )}
          <table className="data-table entry-table">
            <thead>
              <tr>
                {showRegion && <th scope="col">{t("chart.entries.region")}</th>}
                <th scope="col">{t("chart.entries.surfaces")}</th>
                <th scope="col">{t("chart.entries.procedure")}</th>
                <th scope="col">{t("chart.entries.status")}</th>
                <th scope="col">{t("chart.entries.professional")}</th>
                <th scope="col">{t("chart.entries.date")}</th>
                <th scope="col">{t("chart.entries.note")}</th>
                <th scope="col">{t("chart.entries.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <EntryRow key={e.id} entry={e} showRegion={showRegion} onStatus={setStatus} onPending={setPending} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pending?.kind === "done" && what && (
        <ConfirmDialog
          testId="done"
          title={t("chart.entries.doneTitle")}
          message={t("chart.entries.doneMessage", what)}
          confirmLabel={t("chart.entries.markDone")}
          onClose={() => setPending(null)}
          onConfirm={() => confirm(() => api.chartSetStatus(patientId, pending.entry.id, "realizado", null))}
        />
      )}
      {pending?.kind === "invalidate" && what && (
        <ConfirmDialog
          testId="invalidate"
          danger
          title={t("chart.entries.invalidateTitle")}
          message={t("chart.entries.invalidateMessage", what)}
          confirmLabel={t("chart.entries.invalidate")}
          reason={{ label: t("chart.entries.invalidateReason"), maxLength: 500 }}
          onClose={() => setPending(null)}
          onConfirm={(reason) => confirm(() => api.chartInvalidate(patientId, pending.entry.id, reason))}
        />
      )}
    </section>
  );
}

type RowProps = {
  entry: Entry;
  showRegion: boolean;
  onStatus: (e: Entry, s: EntryStatus) => void;
  onPending: (p: Pending) => void;
};

function EntryRow({ entry: e, showRegion, onStatus, onPending }: RowProps) {
  const { t } = useTranslation();
  const { readOnly, personName } = useChart();
  const invalid = isInvalidated(e);
  const faces = [e.surfaces.join(""), e.cervical ? t("chart.entries.cervical") : ""].filter(Boolean).join(" · ");
  const struck = invalid ? "struck" : undefined;
  return (
    <tr
      data-testid="entry-row"
      data-entry-id={e.id}
      data-region={e.region}
      data-code={e.code}
      data-status={e.status}
      data-locked={e.locked ? "true" : undefined}
      className={invalid ? "invalidated" : undefined}
    >
      {showRegion && <td className={struck}>{regionLabel(t, e.region)}</td>}
      <td className={struck}>{faces || "—"}</td>
      <td className={struck}>{e.name}</td>
      <td>
        <StatusChip status={e.status} colour={e.colour} />
        {e.locked && (
          <LockIcon label={t("chart.entries.locked")} />
        )}
      </td>
      <td className={struck}>{personName(e.professional_id)}</td>
      <td className={struck}>{dayToBr(e.date)}</td>
      <td>
        {e.note && <span className={struck}>{e.note}</span>}
        {invalid && (
          <p className="invalid-reason small" data-testid="entry-invalidated">
            {t("chart.entries.invalidated", { reason: e.invalidated_reason ?? "" })}
          </p>
        )}
        {e.concurrent && (
          <p className="concurrent small" data-testid="entry-concurrent">
            ⚠ {t("chart.entries.concurrent")}
          </p>
        )}
      </td>
      <td className="entry-actions">
        {!invalid && !e.locked && (
          <>
            <label htmlFor={`entry-status-${e.id}`} className="visually-hidden">
              {t("chart.entries.statusOf", { name: e.name })}
            </label>
            <select
              id={`entry-status-${e.id}`}
              data-testid="entry-row-status"
              value={e.status}
              disabled={readOnly}
              onChange={(ev) => onStatus(e, ev.target.value as EntryStatus)}
            >
              {CHARTABLE.map((s) => (
                <option key={s} value={s}>
                  {t(`chart.status.${s}`)}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="small-button"
              data-testid="entry-done"
              disabled={readOnly}
              onClick={() => onPending({ kind: "done", entry: e })}
            >
              {t("chart.entries.markDone")}
            </button>
          </>
        )}
        {!invalid && (
          <button
            type="button"
            className="small-button danger-outline"
            data-testid="entry-invalidate"
            disabled={readOnly}
            onClick={() => onPending({ kind: "invalidate", entry: e })}
          >
            {t("chart.entries.invalidate")}
          </button>
        )}
      </td>
    </tr>
  );
}
