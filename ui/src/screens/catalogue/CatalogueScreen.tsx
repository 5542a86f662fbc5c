// Settings for admin and gerente: the procedure catalogue the chart charts
// from (name, fee, TUSS, where it applies, how it is drawn) and the legend's
// colour for each status.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { useLoaded } from "../../hooks";
import { Loading } from "../../components/Loading";
import { formatMoney } from "../../format";
import type { Catalogue, Procedure } from "../../types";
import { LegendForm } from "./LegendForm";
import { ProcedureDialog } from "./ProcedureDialog";

export function CatalogueScreen() {
  const { t, i18n } = useTranslation();
  const { data: catalogue, error, setData: setCatalogue } = useLoaded(api.catalogue);
  const [notice, setNotice] = useState<string | null>(null);
  // null: no dialog; "new": a new procedure; else the one edited
  const [editing, setEditing] = useState<Procedure | "new" | null>(null);

  if (!catalogue) return <Loading error={error} label={t("catalogue.loading")} />;

  function saved(c: Catalogue, message: string) {
    setCatalogue(c);
    setNotice(message);
  }

  const yes = t("catalogue.yes");
  return (
    <section className="screen catalogue" data-testid="catalogue-screen" aria-labelledby="catalogue-title">
      <div className="screen-head">
        <h1 id="catalogue-title">{t("catalogue.title")}</h1>
        <button type="button" className="primary" data-testid="procedure-new" onClick={() => setEditing("new")}>
          {t("catalogue.new")}
        </button>
      </div>
      <p className="muted small" role="status">
        {notice ?? ""}
      </p>
      <section className="card" aria-labelledby="procedures-title">
        <h2 id="procedures-title">{t("catalogue.procedures")}</h2>
        {catalogue.procedures.length === 0 ? (
          <p className="muted">{t("catalogue.empty")}</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table" data-testid="procedures">
              <thead>
                <tr>
                  <th scope="col">{t("catalogue.code")}</th>
                  <th scope="col">{t("catalogue.name")}</th>
                  <th scope="col" className="num">
                    {t("catalogue.fee")}
                  </th>
                  <th scope="col">{t("catalogue.tuss")}</th>
                  <th scope="col">{t("catalogue.appliesToLabel")}</th>
                  <th scope="col">{t("catalogue.toothTypesLabel")}</th>
                  <th scope="col">{t("catalogue.conditionShort")}</th>
                  <th scope="col">{t("catalogue.drawingLabel")}</th>
                  <th scope="col">{t("catalogue.colour")}</th>
                  <th scope="col">{t("catalogue.active")}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t("catalogue.edit")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {catalogue.procedures.map((p) => (
                  <tr key={p.code} data-testid="procedure-row" data-code={p.code} className={p.active ? undefined : "inactive"}>
                    <td>
                      <code>{p.code}</code>
                    </td>
                    <td>{p.name}</td>
                    <td className="num money">{formatMoney(p.fee_cents, i18n.language)}</td>
                    <td>{p.tuss ?? "—"}</td>
                    <td>{t(`catalogue.appliesTo.${p.applies_to}`)}</td>
                    <td>
                      {p.tooth_types.length
                        ? p.tooth_types.map((x) => t(`catalogue.toothTypes.${x}`, { defaultValue: x })).join(", ")
                        : t("catalogue.allTeeth")}
                    </td>
                    <td>{p.condition ? yes : "—"}</td>
                    <td>{t(`catalogue.drawings.${p.drawing}`)}</td>
                    <td>
                      {p.colour ? (
                        <span className="swatch" style={{ background: p.colour }} title={p.colour} aria-label={p.colour} role="img" />
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>{p.active ? t("catalogue.active") : t("catalogue.inactive")}</td>
                    <td>
                      <button
                        type="button"
                        className="small-button"
                        data-testid="procedure-edit"
                        aria-label={t("catalogue.editLabel", { name: p.name })}
                        onClick={() => setEditing(p)}
                      >
                        {t("catalogue.edit")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <LegendForm legend={catalogue.legend} onSaved={(c) => saved(c, t("catalogue.legendSaved"))} />
      {editing && (
        <ProcedureDialog
          procedure={editing === "new" ? null : editing}
          taken={catalogue.procedures.map((p) => p.code)}
          onClose={() => setEditing(null)}
          onSaved={(c) => {
            setEditing(null);
            saved(c, t("catalogue.saved"));
          }}
        />
      )}
    </section>
  );
}
