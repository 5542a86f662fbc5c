// Charting: a procedure or condition on the selected tooth (and faces) or on
// a region, with its status, professional, date, plan phase and a note; and
// the tooth's baseline (present, missing, primary, implant, supernumerary).
import { useMemo, useState, type FormEvent } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { CheckboxField, InputField, SelectField, TextAreaField } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { isDay } from "../../dates";
import { errorField, errorText } from "../../errors";
import i18n from "../../i18n";
import { BASELINES, type ApiError, type Baseline, type EntryStatus, type NewEntry, type Procedure, type Surface } from "../../types";
import { type Selection, useChart } from "./chartContext";
import { LockIcon } from "./ChartBits";
import { CHARTABLE, regionLabel } from "./labels";
import { REGIONS, fitsTooth, isTooth, surfacesOf } from "./teeth";

const FIELDS = ["region", "code", "surfaces", "status", "professional_id", "date", "phase", "note"] as const;
type Field = (typeof FIELDS)[number];
type Errors = Partial<Record<Field, string>>;

const BY_CODE: Partial<Record<string, Field>> = {
  invalid_tooth: "region",
  invalid_region: "region",
  invalid_surface: "surfaces",
  unknown_procedure: "code",
  invalid_date: "date",
};

/** The text under a field for the core's refusal: ours for a plain "invalid" on a field we can explain. */
function refusalText(t: TFunction, field: Field, err: ApiError): string {
  const key = `chart.entry.invalid.${field}`;
  return err.code === "invalid" && i18n.exists(key) ? t(key) : errorText(t, err);
}

type Props = {
  selection: Selection;
  onSelection: (s: Selection) => void;
  /** the professional proposed at first */
  defaultProfessional: string;
};

export function EntryForm({ selection, onSelection, defaultProfessional }: Props) {
  const { t } = useTranslation();
  const { patientId, catalogue, readOnly, professionals, today, write } = useChart();
  const [code, setCode] = useState("");
  const [status, setStatus] = useState<EntryStatus | null>(null);
  const [professional, setProfessional] = useState(defaultProfessional);
  const [date, setDate] = useState(today);
  const [phase, setPhase] = useState("");
  const [note, setNote] = useState("");
  const [cervical, setCervical] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [saving, setSaving] = useState(false);

  const target = selection.target;
  const tooth = target && isTooth(target) ? target : null;

  const choices = useMemo(
    () =>
      (catalogue?.procedures ?? []).filter(
        (p) => p.active && (tooth ? fitsTooth(p, tooth) : target ? p.applies_to === "region" : false),
      ),
    [catalogue, tooth, target],
  );
  const procedure: Procedure | undefined = choices.find((p) => p.code === code);
  const wantsFaces = !!tooth && (!procedure || procedure.applies_to === "surface");
  const effectiveStatus: EntryStatus = status ?? (procedure?.condition ? "condicao" : "planejado");

  function clearError(field: Field) {
    setDone(false);
    setFormError(null);
    if (errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
  }

  function toggleSurface(s: Surface, on: boolean) {
    clearError("surfaces");
    const set = new Set(selection.surfaces);
    if (on) set.add(s);
    else set.delete(s);
    onSelection({ ...selection, surfaces: surfacesOf(tooth ?? "").filter((x) => set.has(x)) });
  }

  function check(): Errors {
    const found: Errors = {};
    if (!target) found.region = t("chart.entry.errors.region");
    if (!procedure) found.code = t("chart.entry.errors.code");
    if (procedure?.applies_to === "surface" && tooth && selection.surfaces.length === 0 && !cervical)
      found.surfaces = t("chart.entry.errors.surfaces");
    if (!professional) found.professional_id = t("chart.entry.errors.professional_id");
    if (!isDay(date)) found.date = t("chart.entry.errors.date");
    if (phase.trim() && !/^[1-9]\d?$/.test(phase.trim())) found.phase = t("chart.entry.errors.phase");
    return found;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving || readOnly) return;
    const found = check();
    setErrors(found);
    setDone(false);
    if (Object.keys(found).length > 0 || !procedure || !target) return;
    const faces = procedure.applies_to === "surface" && tooth;
    const entry: NewEntry = {
      region: target,
      surfaces: faces ? selection.surfaces : [],
      cervical: faces ? cervical : false,
      code: procedure.code,
      status: effectiveStatus,
      professional_id: professional,
      date,
      note: note.trim(),
      phase: phase.trim() ? Number(phase) : null,
    };
    setSaving(true);
    setFormError(null);
    const err = await write(() => api.chartAddEntry(patientId, entry));
    setSaving(false);
    if (err) {
      const field = errorField(err, FIELDS, BY_CODE);
      if (field) setErrors({ [field]: refusalText(t, field, err) });
      else setFormError(errorText(t, err));
      return;
    }
    // ready for the next finding on the same tooth; professional, date and phase stay
    setCode("");
    setStatus(null);
    setNote("");
    setCervical(false);
    onSelection({ ...selection, surfaces: [] });
    setDone(true);
  }

  const targetOptions = [
    ...(tooth ? [{ id: tooth, name: regionLabel(t, tooth) }] : []),
    ...REGIONS.map((r) => ({ id: r, name: regionLabel(t, r), group: t("chart.regions.group") })),
  ];
  const codeOptions = choices.map((p) => ({
    id: p.code,
    name: p.name,
    group: p.condition ? t("chart.entry.conditions") : t("chart.entry.procedures"),
  }));

  return (
    <form className="entry-form" data-testid="entry-form" onSubmit={submit} noValidate aria-labelledby="entry-form-title">
      <h3 id="entry-form-title">{t("chart.entry.title")}</h3>
      <SelectField
        id="entry-region"
        name="region"
        label={t("chart.entry.target")}
        value={target ?? ""}
        allowEmpty
        options={targetOptions}
        disabled={readOnly}
        error={errors.region}
        onChange={(v) => {
          clearError("region");
          onSelection({ target: v || null, surfaces: [] });
        }}
      />
      {!target && <p className="muted small">{t("chart.entry.pickTooth")}</p>}
      <SelectField
        id="entry-code"
        name="code"
        label={t("chart.entry.code")}
        value={procedure ? code : ""}
        allowEmpty
        options={codeOptions}
        disabled={readOnly || !target}
        error={errors.code}
        onChange={(v) => {
          clearError("code");
          setCode(v);
          setStatus(null);
        }}
      />
      {wantsFaces && tooth && (
        <fieldset
          className="faces"
          aria-invalid={errors.surfaces ? true : undefined}
          aria-describedby={errors.surfaces ? "entry-surfaces-error" : undefined}
          data-testid="entry-surfaces"
        >
          <legend>{t("chart.entry.surfaces")}</legend>
          <div className="check-row">
            {surfacesOf(tooth).map((s) => (
              <CheckboxField
                key={s}
                id={`entry-surface-${s}`}
                name="surfaces"
                value={s}
                title={t(`chart.surfaces.${s}`)}
                label={
                  <>
                    <strong>{s}</strong> <span className="muted small">{t(`chart.surfaces.${s}`)}</span>
                  </>
                }
                checked={selection.surfaces.includes(s)}
                disabled={readOnly}
                onChange={(on) => toggleSurface(s, on)}
              />
            ))}
            <CheckboxField
              id="entry-cervical"
              name="cervical"
              label={t("chart.entry.cervical")}
              checked={cervical}
              disabled={readOnly}
              onChange={setCervical}
            />
          </div>
          {errors.surfaces && (
            <p className="field-error" id="entry-surfaces-error" data-testid="entry-surfaces-error">
              {errors.surfaces}
            </p>
          )}
        </fieldset>
      )}
      <div className="field-row">
        <SelectField
          id="entry-status"
          name="status"
          label={t("chart.entry.status")}
          value={effectiveStatus}
          options={CHARTABLE.map((s) => ({ id: s, name: t(`chart.status.${s}`) }))}
          disabled={readOnly}
          error={errors.status}
          onChange={(v) => {
            clearError("status");
            setStatus(v as EntryStatus);
          }}
        />
        <SelectField
          id="entry-professional"
          name="professional_id"
          label={t("chart.entry.professional")}
          value={professional}
          allowEmpty
          options={professionals.map((p) => ({ id: p.id, name: p.name }))}
          disabled={readOnly}
          error={errors.professional_id}
          onChange={(v) => {
            clearError("professional_id");
            setProfessional(v);
          }}
        />
      </div>
      {effectiveStatus === "realizado" && (
        <p className="hint-lock small">
          <LockIcon /> {t("chart.entry.lockHint")}
        </p>
      )}
      <div className="field-row">
        <InputField
          id="entry-date"
          name="date"
          type="date"
          label={t("chart.entry.date")}
          value={date}
          max={today}
          disabled={readOnly}
          error={errors.date}
          onChange={(v) => {
            clearError("date");
            setDate(v);
          }}
        />
        <InputField
          id="entry-phase"
          name="phase"
          type="number"
          min={1}
          max={99}
          step={1}
          inputMode="numeric"
          label={t("chart.entry.phase")}
          value={phase}
          disabled={readOnly}
          error={errors.phase}
          onChange={(v) => {
            clearError("phase");
            setPhase(v);
          }}
        />
      </div>
      <TextAreaField
        id="entry-note"
        name="note"
        rows={2}
        maxLength={2000}
        label={t("chart.entry.note")}
        value={note}
        disabled={readOnly}
        error={errors.note}
        onChange={(v) => {
          clearError("note");
          setNote(v);
        }}
      />
      <FormError message={formError} testId="entry-error" />
      <p className="muted small" role="status">
        {done ? t("chart.entry.saved") : ""}
      </p>
      <button type="submit" className="primary" data-testid="entry-save" disabled={readOnly || saving}>
        {saving ? t("chart.entry.saving") : t("chart.entry.save")}
      </button>
    </form>
  );
}

/** The selected tooth's baseline, set as soon as it is chosen. */
export function BaselineSelect({ tooth }: { tooth: string }) {
  const { t } = useTranslation();
  const { patientId, view, readOnly, write } = useChart();
  const [error, setError] = useState<string | null>(null);
  const value: Baseline = view.baseline[tooth] ?? "presente";
  return (
    <div className="baseline-select">
      <SelectField
        id="baseline"
        name="baseline"
        label={t("chart.baseline.label", { tooth })}
        value={value}
        options={BASELINES.map((b) => ({ id: b, name: t(`chart.baseline.${b}`) }))}
        disabled={readOnly}
        error={error}
        onChange={async (v) => {
          setError(null);
          const err = await write(() => api.chartSetBaseline(patientId, tooth, v as Baseline));
          if (err) setError(errorText(t, err));
        }}
      />
    </div>
  );
}
