// The patient's name and the clinical alerts (allergies, anticoagulants,
// pregnancy, systemic conditions) a dentist must see before touching a tooth.
import { useTranslation } from "react-i18next";
import type { Alert } from "../../types";
import { alertLabel } from "./labels";

export function ChartHeader({ name, alerts }: { name: string; alerts: Alert[] }) {
  const { t } = useTranslation();
  return (
    <div className="screen-head chart-head">
      <div>
        <h1 id="chart-patient-name" data-testid="chart-patient-name">
          {name || t("chart.title")}
        </h1>
        <p className="muted">{t("chart.title")}</p>
      </div>
      <div className="chart-alerts-wrap">
        <div role="alert" aria-label={t("chart.alerts")} data-testid="chart-alerts" data-count={alerts.length}>
          {alerts.length > 0 && (
            <ul className="alert-chips">
              {alerts.map((a) => (
                <li key={`${a.kind}:${a.label}`} className={`alert-chip alert-chip-${a.kind}`} data-alert-kind={a.kind}>
                  <span aria-hidden="true">⚠</span> {alertLabel(t, a)}
                </li>
              ))}
            </ul>
          )}
        </div>
        {alerts.length === 0 && <p className="muted small">{t("chart.noAlerts")}</p>}
      </div>
    </div>
  );
}
