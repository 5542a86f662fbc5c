// The chart as it was at the end of a past day: a date, the days on which it
// changed, and the way back to the current chart. A past day is read-only.
import { useTranslation } from "react-i18next";
import { dayToBr, isDay } from "../../dates";

type Props = {
  asOf: string | null;
  /** days on which the chart changed, ascending */
  history: string[];
  today: string;
  onChange: (day: string | null) => void;
};

export function AsOfControl({ asOf, history, today, onChange }: Props) {
  const { t } = useTranslation();
  const newestFirst = [...history].reverse();
  return (
    <div className="as-of">
      <div className="as-of-controls" role="group" aria-label={t("chart.asOf.group")}>
        <label htmlFor="as-of">{t("chart.asOf.label")}</label>
        <input
          id="as-of"
          type="date"
          name="as_of"
          data-testid="as-of"
          value={asOf ?? ""}
          max={today}
          list="as-of-days"
          onChange={(e) => {
            const v = e.target.value;
            if (!v) onChange(null);
            else if (isDay(v)) onChange(v);
          }}
        />
        <datalist id="as-of-days">
          {newestFirst.map((d) => (
            <option key={d} value={d} label={dayToBr(d)} />
          ))}
        </datalist>
        {history.length > 0 && (
          <select
            aria-label={t("chart.asOf.history")}
            data-testid="as-of-history"
            value=""
            onChange={(e) => e.target.value && onChange(e.target.value)}
          >
            <option value="">{t("chart.asOf.historyPick")}</option>
            {newestFirst.map((d) => (
              <option key={d} value={d}>
                {dayToBr(d)}
              </option>
            ))}
          </select>
        )}
        <button
          type="button"
          className="secondary"
          data-testid="as-of-clear"
          aria-label={t("chart.asOf.currentLabel")}
          disabled={!asOf}
          onClick={() => onChange(null)}
        >
          {t("chart.asOf.current")}
        </button>
      </div>
      {asOf && (
        <p className="as-of-banner" role="status" data-testid="as-of-banner">
          {t("chart.asOf.banner", { date: dayToBr(asOf) })}
        </p>
      )}
    </div>
  );
}
