// The medical history (anamnese): allergies, medications, systemic
// conditions, anticoagulants, pregnancy, notes. It feeds the alerts shown on
// the chart and on the agenda.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { CheckboxField, TextAreaField } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { errorField, errorText } from "../../errors";
import { formatDateTime } from "../../format";
import type { AnamnesisForm } from "../../types";
import { useChart } from "./chartContext";
import { CONDITIONS, conditionLabel } from "./labels";

const FIELDS = ["allergies", "medications", "conditions", "anticoagulants", "pregnant", "notes"] as const;
type Field = (typeof FIELDS)[number];

/** "penicilina, dipirona\nlátex" → ["penicilina", "dipirona", "látex"] */
export function splitList(s: string): string[] {
  return [...new Set(s.split(/[\n,;]/).map((x) => x.trim()).filter(Boolean))];
}

const PREGNANT: { value: string; key: string; as: boolean | null }[] = [
  { value: "sim", key: "yes", as: true },
  { value: "nao", key: "no", as: false },
  { value: "", key: "unknown", as: null },
];

type Values = {
  allergies: string;
  medications: string;
  conditions: Record<string, boolean>;
  anticoagulants: boolean;
  pregnant: boolean | null;
  notes: string;
};

const valuesOf = (a: AnamnesisForm): Values => ({
  allergies: a.allergies.join("\n"),
  medications: a.medications.join("\n"),
  conditions: a.conditions ?? {},
  anticoagulants: a.anticoagulants,
  pregnant: a.pregnant,
  notes: a.notes,
});

export function AnamnesisPanel() {
  const { t, i18n } = useTranslation();
  const { patientId, view, readOnly, write, personName } = useChart();
  const a = view.anamnesis;
  const [values, setValues] = useState<Values>(() => valuesOf(a));
  const [shownAt, setShownAt] = useState(a.updated_at);
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);

  // A newer anamnesis arrived (saved here or synced): show it, unless edits are under way.
  if (a.updated_at !== shownAt && !dirty) {
    setShownAt(a.updated_at);
    setValues(valuesOf(a));
  }

  // the listed conditions, then any other the record holds
  const keys = [...CONDITIONS, ...Object.keys(values.conditions).filter((k) => !CONDITIONS.includes(k))];

  function set<K extends keyof Values>(key: K, value: Values[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    setDirty(true);
    setSaved(false);
    setFormError(null);
    setErrors({});
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving || readOnly) return;
    const form: AnamnesisForm = {
      allergies: splitList(values.allergies),
      medications: splitList(values.medications),
      conditions: Object.fromEntries(keys.map((k) => [k, !!values.conditions[k]])),
      anticoagulants: values.anticoagulants,
      pregnant: values.pregnant,
      notes: values.notes.trim(),
    };
    setSaving(true);
    setFormError(null);
    setErrors({});
    const err = await write(() => api.chartSaveAnamnesis(patientId, form));
    setSaving(false);
    if (!err) {
      setDirty(false);
      setSaved(true);
      return;
    }
    const field = errorField(err, FIELDS);
    if (field) setErrors({ [field]: errorText(t, err) });
    else setFormError(errorText(t, err));
  }

  return (
    <form className="anamnesis card" data-testid="anamnesis" onSubmit={submit} noValidate aria-labelledby="anamnesis-title">
      <div className="section-head">
        <h2 id="anamnesis-title">{t("chart.anamnesis.title")}</h2>
        <p className="muted small" data-testid="anamnesis-updated">
          {a.updated_at
            ? a.updated_by
              ? t("chart.anamnesis.updated", { at: formatDateTime(a.updated_at, i18n.language), by: personName(a.updated_by) })
              : t("chart.anamnesis.updatedAt", { at: formatDateTime(a.updated_at, i18n.language) })
            : t("chart.anamnesis.never")}
        </p>
      </div>
      <div className="field-row">
        <TextAreaField
          id="anamnesis-allergies"
          name="allergies"
          label={t("chart.anamnesis.allergies")}
          hint={t("chart.anamnesis.listHint")}
          rows={3}
          value={values.allergies}
          disabled={readOnly}
          error={errors.allergies}
          onChange={(v) => set("allergies", v)}
        />
        <TextAreaField
          id="anamnesis-medications"
          name="medications"
          label={t("chart.anamnesis.medications")}
          hint={t("chart.anamnesis.listHint")}
          rows={3}
          value={values.medications}
          disabled={readOnly}
          error={errors.medications}
          onChange={(v) => set("medications", v)}
        />
      </div>
      <fieldset className="conditions" aria-describedby={errors.conditions ? "anamnesis-conditions-error" : undefined}>
        <legend>{t("chart.anamnesis.conditions")}</legend>
        <div className="check-grid">
          {keys.map((k) => (
            <CheckboxField
              key={k}
              id={`anamnesis-condition-${k}`}
              name="conditions"
              value={k}
              label={conditionLabel(t, k)}
              checked={!!values.conditions[k]}
              disabled={readOnly}
              onChange={(on) => set("conditions", { ...values.conditions, [k]: on })}
            />
          ))}
        </div>
        {errors.conditions && (
          <p className="field-error" id="anamnesis-conditions-error">
            {errors.conditions}
          </p>
        )}
      </fieldset>
      <div className="field-row">
        <CheckboxField
          id="anamnesis-anticoagulants"
          name="anticoagulants"
          label={t("chart.anamnesis.anticoagulants")}
          checked={values.anticoagulants}
          disabled={readOnly}
          onChange={(on) => set("anticoagulants", on)}
        />
        <fieldset className="radio-group" data-testid="anamnesis-pregnant">
          <legend>{t("chart.anamnesis.pregnant")}</legend>
          {PREGNANT.map((o) => (
            <label key={o.key} className="check">
              <input
                type="radio"
                name="pregnant"
                value={o.value}
                data-testid={`anamnesis-pregnant-${o.key}`}
                checked={values.pregnant === o.as}
                disabled={readOnly}
                onChange={() => set("pregnant", o.as)}
              />
              <span>{t(`chart.anamnesis.${o.key}`)}</span>
            </label>
          ))}
          {errors.pregnant && <p className="field-error">{errors.pregnant}</p>}
        </fieldset>
      </div>
      <TextAreaField
        id="anamnesis-notes"
        name="notes"
        label={t("chart.anamnesis.notes")}
        rows={3}
        value={values.notes}
        disabled={readOnly}
        error={errors.notes}
        onChange={(v) => set("notes", v)}
      />
      <FormError message={formError} testId="anamnesis-error" />
      <p className="muted small" role="status">
        {saved ? t("chart.anamnesis.saved") : ""}
      </p>
      <button type="submit" className="primary" data-testid="anamnesis-save" disabled={readOnly || saving}>
        {t("chart.anamnesis.save")}
      </button>
    </form>
  );
}
