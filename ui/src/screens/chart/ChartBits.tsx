// Small pieces the chart's tables share: the padlock of a locked entry and
// a status chip in its legend colour.
import { useTranslation } from "react-i18next";
import type { EntryStatus } from "../../types";
import { useChart } from "./chartContext";

/** A padlock drawn, not an emoji: the clinic's machines may lack emoji fonts. */
export function LockIcon({ label }: { label?: string }) {
  const a11y = label ? { role: "img", "aria-label": label, "data-testid": "entry-locked" } : { "aria-hidden": true };
  return (
    <svg className="lock" viewBox="0 0 12 14" width="12" height="14" {...a11y}>
      {label && <title>{label}</title>}
      <rect x="1" y="6" width="10" height="7.5" rx="1.5" fill="currentColor" />
      <path d="M3.2 6V4.2a2.8 2.8 0 0 1 5.6 0V6" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

/** A status with its legend colour. */
export function StatusChip({ status, colour }: { status: EntryStatus; colour?: string }) {
  const { t } = useTranslation();
  const { catalogue } = useChart();
  const c = catalogue?.legend[status] ?? colour;
  return (
    <span className={`entry-status status-${status}`} data-testid="entry-status-chip" data-status={status}>
      <span className="swatch" style={c ? { background: c } : undefined} aria-hidden="true" />
      {t(`chart.status.${status}`)}
    </span>
  );
}
