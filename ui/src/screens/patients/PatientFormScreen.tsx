// Create and edit a patient. Fields are checked here first (CPF check digits,
// phone with DDD, DD/MM/AAAA not in the future); the core's refusal is always
// shown under the field it names.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { FormError } from "../../components/FormError";
import { useApp } from "../../context";
import { dayToBr, todayIn } from "../../dates";
import { errorText, patientErrorField, patientFieldText } from "../../errors";
import { formatCpf, formatPhone, maskCpf, maskDate, maskPhone } from "../../format";
import { cpfDigits, cpfProblem, emailValid, nameProblem, parseBirthDate, phoneValid } from "../../validation";
import { SEXES, type ApiError, type Patient, type PatientField, type PatientForm } from "../../types";

type Values = {
  name: string;
  social_name: string;
  birth_date: string; // DD/MM/AAAA as typed
  sex: string;
  cpf: string;
  email: string;
  phone: string; // a number to add
};

const EMPTY: Values = { name: "", social_name: "", birth_date: "", sex: "", cpf: "", email: "", phone: "" };

type Errors = Partial<Record<PatientField, string>>;

function valuesOf(p: Patient): Values {
  return {
    name: p.name,
    social_name: p.social_name ?? "",
    birth_date: dayToBr(p.birth_date),
    sex: p.sex ?? "",
    cpf: formatCpf(p.cpf),
    email: p.email ?? "",
    phone: "",
  };
}

/** The input element of each field, for focusing the first error. */
const INPUT_ID: Record<PatientField, string> = {
  name: "pf-name",
  social_name: "pf-social-name",
  birth_date: "pf-birth-date",
  sex: "pf-sex",
  cpf: "pf-cpf",
  email: "pf-email",
  phones: "pf-phone",
};

const ALIAS: Partial<Record<PatientField, string>> = {
  social_name: "social-name",
  birth_date: "birth-date",
  phones: "phone",
};

export function PatientFormScreen({ id }: { id?: string }) {
  const { t } = useTranslation();
  const { navigate, changed, directory } = useApp();
  const [original, setOriginal] = useState<Patient | null>(null);
  const [values, setValues] = useState<Values>(EMPTY);
  const [removing, setRemoving] = useState<string[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const today = todayIn(directory?.site.timezone);

  useEffect(() => {
    if (!id) return;
    let live = true;
    api.getPatient(id).then(
      ({ patient }) => {
        if (!live) return;
        setOriginal(patient);
        setValues(valuesOf(patient));
      },
      (e: ApiError) => live && setLoadError(errorText(t, e)),
    );
    return () => {
      live = false;
    };
  }, [id, t]);

  function set<K extends keyof Values>(key: K, value: string) {
    setValues((v) => ({ ...v, [key]: value }));
    const field: PatientField = key === "phone" ? "phones" : (key as PatientField);
    if (errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
    setFormError(null);
  }

  function checkField(field: PatientField, v: Values): string | undefined {
    switch (field) {
      case "name": {
        const p = nameProblem(v.name);
        return p ? t(`form.errors.name_${p}`) : undefined;
      }
      case "social_name":
        return v.social_name.trim() && nameProblem(v.social_name) ? t("form.errors.social_name_invalid") : undefined;
      case "birth_date": {
        if (!v.birth_date.trim()) return undefined;
        const r = parseBirthDate(v.birth_date, today);
        return "problem" in r ? t(`form.errors.birth_date_${r.problem === "format" ? "invalid" : r.problem}`) : undefined;
      }
      case "cpf": {
        if (!v.cpf.trim()) return undefined;
        const p = cpfProblem(v.cpf);
        return p ? t(`form.errors.cpf_${p}`) : undefined;
      }
      case "email":
        return v.email.trim() && !emailValid(v.email) ? t("form.errors.email_invalid") : undefined;
      case "phones":
        return v.phone.trim() && !phoneValid(v.phone) ? t("form.errors.phones_invalid") : undefined;
      case "sex":
        return v.sex && !(SEXES as string[]).includes(v.sex) ? t("form.errors.sex_invalid") : undefined;
    }
  }

  function onBlur(field: PatientField) {
    const msg = checkField(field, values);
    // Only complain on leaving a field once something was typed into it.
    if (msg && field !== "name") setErrors((e) => ({ ...e, [field]: msg }));
  }

  function focusField(field: PatientField) {
    window.setTimeout(() => document.getElementById(INPUT_ID[field])?.focus(), 0);
  }

  /** The command's form: everything on create; only what changed on update ("" clears). */
  function buildForm(): PatientForm {
    const birth = values.birth_date.trim();
    const birthDay = birth ? (parseBirthDate(birth, today) as { day: string }).day : "";
    const now: Required<Omit<PatientForm, "phones" | "remove_phones">> = {
      name: values.name.trim().replace(/\s+/g, " "),
      social_name: values.social_name.trim(),
      birth_date: birthDay,
      sex: values.sex,
      cpf: values.cpf.trim() ? cpfDigits(values.cpf) : "",
      email: values.email.trim(),
    };
    const form: PatientForm = {};
    if (!original) {
      for (const [k, v] of Object.entries(now)) if (v) (form as Record<string, string>)[k] = v;
    } else {
      const before: typeof now = {
        name: original.name,
        social_name: original.social_name ?? "",
        birth_date: original.birth_date ?? "",
        sex: original.sex ?? "",
        cpf: original.cpf ?? "",
        email: original.email ?? "",
      };
      for (const k of Object.keys(now) as (keyof typeof now)[]) if (now[k] !== before[k]) form[k] = now[k];
      if (removing.length) form.remove_phones = removing;
    }
    if (values.phone.trim()) form.phones = [values.phone.trim()];
    return form;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    const found: Errors = {};
    for (const f of ["name", "social_name", "birth_date", "sex", "cpf", "email", "phones"] as PatientField[]) {
      const msg = checkField(f, values);
      if (msg) found[f] = msg;
    }
    setErrors(found);
    const first = Object.keys(found)[0] as PatientField | undefined;
    if (first) {
      setFormError(t("form.fix"));
      focusField(first);
      return;
    }
    const form = buildForm();
    if (original && Object.keys(form).length === 0) {
      setFormError(t("form.nothingChanged"));
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      const saved = original ? await api.updatePatient(original.id, form) : await api.createPatient(form);
      changed();
      navigate({ kind: "patient", id: saved.id });
    } catch (err) {
      const apiErr = err as ApiError;
      const field = patientErrorField(apiErr);
      if (field) {
        setErrors({ [field]: patientFieldText(t, field, apiErr) });
        setFormError(t("form.fix"));
        focusField(field);
      } else {
        setFormError(errorText(t, apiErr));
      }
    } finally {
      setSaving(false);
    }
  }

  if (loadError) {
    return (
      <section className="screen">
        <p className="form-error" role="alert">
          {loadError}
        </p>
      </section>
    );
  }
  if (id && !original) {
    return (
      <section className="screen" aria-busy="true">
        <p role="status">{t("app.loading")}</p>
      </section>
    );
  }

  const fieldProps = (field: PatientField) => ({
    id: INPUT_ID[field],
    "aria-invalid": errors[field] ? true : undefined,
    "aria-describedby": errors[field] ? `${INPUT_ID[field]}-error` : undefined,
    onBlur: () => onBlur(field),
  });
  // data-testid uses the contract's field name (patient-form-error-birth_date); the inner
  // span repeats it in the inputs' spelling (patient-form-error-birth-date) for tests that guess that way.
  const errorFor = (field: PatientField) =>
    errors[field] ? (
      <p className="field-error" id={`${INPUT_ID[field]}-error`} data-testid={`patient-form-error-${field}`}>
        {ALIAS[field] ? <span data-testid={`patient-form-error-${ALIAS[field]}`}>{errors[field]}</span> : errors[field]}
      </p>
    ) : null;

  const phones = original ? Object.entries(original.phones) : [];

  return (
    <section className="screen narrow" aria-labelledby="pf-title">
      <div className="screen-head">
        <h1 id="pf-title">{original ? t("form.titleEdit") : t("form.titleNew")}</h1>
      </div>
      <form ref={formRef} className="patient-form" onSubmit={submit} noValidate data-testid="patient-form">
        <div className="field">
          <label htmlFor={INPUT_ID.name}>{t("form.name")}</label>
          <input
            {...fieldProps("name")}
            data-testid="patient-form-name"
            value={values.name}
            onChange={(e) => set("name", e.target.value)}
            autoComplete="off"
            required
            autoFocus
          />
          {errorFor("name")}
        </div>
        <div className="field">
          <label htmlFor={INPUT_ID.social_name}>{t("form.socialName")}</label>
          <input
            {...fieldProps("social_name")}
            data-testid="patient-form-social-name"
            value={values.social_name}
            placeholder={t("form.socialNameHint")}
            onChange={(e) => set("social_name", e.target.value)}
            autoComplete="off"
          />
          {errorFor("social_name")}
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor={INPUT_ID.birth_date}>{t("form.birthDate")}</label>
            <input
              {...fieldProps("birth_date")}
              data-testid="patient-form-birth-date"
              value={values.birth_date}
              placeholder={t("form.birthDateHint")}
              inputMode="numeric"
              maxLength={10}
              onChange={(e) => set("birth_date", maskDate(e.target.value))}
              autoComplete="off"
            />
            {errorFor("birth_date")}
          </div>
          <div className="field">
            <label htmlFor={INPUT_ID.sex}>{t("form.sex")}</label>
            <select
              {...fieldProps("sex")}
              data-testid="patient-form-sex"
              value={values.sex}
              onChange={(e) => set("sex", e.target.value)}
            >
              <option value="">{t("form.sexUnset")}</option>
              {SEXES.map((s) => (
                <option key={s} value={s}>
                  {t(`form.sexes.${s}`)}
                </option>
              ))}
            </select>
            {errorFor("sex")}
          </div>
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor={INPUT_ID.cpf}>{t("form.cpf")}</label>
            <input
              {...fieldProps("cpf")}
              data-testid="patient-form-cpf"
              value={values.cpf}
              placeholder={t("form.cpfHint")}
              inputMode="numeric"
              onChange={(e) => set("cpf", maskCpf(e.target.value))}
              autoComplete="off"
            />
            {errorFor("cpf")}
          </div>
          <div className="field">
            <label htmlFor={INPUT_ID.email}>{t("form.email")}</label>
            <input
              {...fieldProps("email")}
              data-testid="patient-form-email"
              type="email"
              value={values.email}
              onChange={(e) => set("email", e.target.value)}
              autoComplete="off"
            />
            {errorFor("email")}
          </div>
        </div>
        {phones.length > 0 && (
          <fieldset className="phones">
            <legend>{t("form.phones")}</legend>
            <ul>
              {phones.map(([key, ph]) => {
                const shown = formatPhone(ph.number || key);
                const gone = removing.includes(key);
                return (
                  <li key={key} className={gone ? "removing" : undefined}>
                    <span>{shown}</span>
                    {ph.label && <span className="muted"> · {ph.label}</span>}
                    {gone && <span className="muted"> ({t("form.removing")})</span>}
                    <button
                      type="button"
                      className="link-button"
                      aria-label={gone ? t("form.keepLabel", { phone: shown }) : t("form.removeLabel", { phone: shown })}
                      onClick={() =>
                        setRemoving((r) => (gone ? r.filter((x) => x !== key) : [...r, key]))
                      }
                    >
                      {gone ? t("form.keepPhone") : t("form.removePhone")}
                    </button>
                  </li>
                );
              })}
            </ul>
          </fieldset>
        )}
        <div className="field">
          <label htmlFor={INPUT_ID.phones}>{original ? t("form.newPhone") : t("form.phone")}</label>
          <input
            {...fieldProps("phones")}
            data-testid="patient-form-phone"
            type="tel"
            value={values.phone}
            placeholder={t("form.phoneHint")}
            onChange={(e) => set("phone", maskPhone(e.target.value))}
            autoComplete="off"
          />
          {errorFor("phones")}
        </div>
        <FormError message={formError} testId="patient-form-error" />
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="patient-form-save" disabled={saving}>
            {saving ? t("form.saving") : t("form.save")}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => navigate(original ? { kind: "patient", id: original.id } : { kind: "patients" })}
          >
            {t("form.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}
