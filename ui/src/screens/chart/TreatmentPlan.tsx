// The treatment plan: entries with a phase, grouped by phase, with their fees
// (from the catalogue when charted), per-phase and overall totals, what was
// done and what is pending.
import { useTranslation } from "react-i18next";
import { formatMoney } from "../../format";
import type { Entry } from "../../types";
import { useChart } from "./chartContext";
import { StatusChip } from "./ChartBits";
import { regionLabel } from "./labels";

export function TreatmentPlan() {
  const { t, i18n } = useTranslation();
  const { view } = useChart();
  const plan = view.plan;
  const byId = new Map(view.entries.map((e) => [e.id, e]));
  const money = (cents: number | null) => (cents == null ? "—" : formatMoney(cents, i18n.language));

  return (
    <section className="plan" data-testid="plan" aria-labelledby="plan-title">
      <h2 id="plan-title">{t("chart.plan.title")}</h2>
      {plan.phases.length === 0 && <p className="muted">{t("chart.plan.empty")}</p>}
      {plan.phases.map((ph) => {
        const entries = ph.entries.map((id) => byId.get(id)).filter((e): e is Entry => !!e);
        const headingId = `plan-phase-${ph.phase}`;
        return (
          <section key={ph.phase} className="plan-phase card" data-testid="plan-phase" data-phase={ph.phase} aria-labelledby={headingId}>
            <h3 id={headingId}>{t("chart.plan.phase", { n: ph.phase })}</h3>
            <div className="table-wrap">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">{t("chart.entries.region")}</th>
                    <th scope="col">{t("chart.entries.procedure")}</th>
                    <th scope="col">{t("chart.entries.status")}</th>
                    <th scope="col" className="num">
                      {t("chart.plan.fee")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => (
                    <tr key={e.id} data-entry-id={e.id} data-status={e.status}>
                      <td>
                        {regionLabel(t, e.region)}
                        {e.surfaces.length > 0 && <span className="muted"> · {e.surfaces.join("")}</span>}
                      </td>
                      <td>{e.name}</td>
                      <td>
                        <StatusChip status={e.status} colour={e.colour} />
                      </td>
                      <td className="num money">{money(e.fee_cents)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row" colSpan={3}>
                      {t("chart.plan.phaseTotal")}
                    </th>
                    <td className="num money" data-testid="plan-phase-total">
                      {money(ph.total_cents)}
                    </td>
                  </tr>
                  <tr>
                    <th scope="row" colSpan={3}>
                      {t("chart.plan.phaseDone")}
                    </th>
                    <td className="num money" data-testid="plan-phase-done">
                      {money(ph.done_cents)}
                    </td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </section>
        );
      })}
      <dl className="plan-summary" aria-label={t("chart.plan.summary")}>
        <div>
          <dt>{t("chart.plan.total")}</dt>
          <dd className="money" data-testid="plan-total">
            {money(plan.total_cents)}
          </dd>
        </div>
        <div>
          <dt>{t("chart.plan.done")}</dt>
          <dd className="money" data-testid="plan-done">
            {money(plan.done_cents)}
          </dd>
        </div>
        <div>
          <dt>{t("chart.plan.pending")}</dt>
          <dd className="money" data-testid="plan-pending">
            {money(plan.pending_cents)}
          </dd>
        </div>
      </dl>
    </section>
  );
}
