// The legend: one colour per entry status (red to do, blue done by default).
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { InputField } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { errorText } from "../../errors";
import { ENTRY_STATUSES, type ApiError, type Catalogue, type Legend } from "../../types";

export function LegendForm({ legend, onSaved }: { legend: Legend; onSaved: (c: Catalogue) => void }) {
  const { t } = useTranslation();
  const [colours, setColours] = useState<Legend>(legend);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    setSaving(true);
    setError(null);
    try {
      const c = await api.saveLegend(colours);
      setColours(c.legend);
      onSaved(c);
    } catch (err) {
      setError(errorText(t, err as ApiError));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="card legend-form" data-testid="legend-form" onSubmit={submit} noValidate aria-labelledby="legend-title">
      <h2 id="legend-title">{t("catalogue.legend")}</h2>
      <p className="muted small">{t("catalogue.legendHelp")}</p>
      <div className="legend-grid">
        {ENTRY_STATUSES.map((s) => (
          <InputField
            key={s}
            id={`legend-${s}`}
            name={s}
            type="color"
            label={t(`chart.status.${s}`)}
            value={colours[s] ?? "#000000"}
            onChange={(v) => setColours((c) => ({ ...c, [s]: v }))}
          />
        ))}
      </div>
      <FormError message={error} testId="legend-error" />
      <button type="submit" className="primary" data-testid="legend-save" disabled={saving}>
        {t("catalogue.legendSave")}
      </button>
    </form>
  );
}
