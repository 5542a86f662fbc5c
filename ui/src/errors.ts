// ApiError → the text people read, chosen by code (and field), falling back to the message.
import type { TFunction } from "i18next";
import i18n from "./i18n";
import type { ApiError, PatientField } from "./types";

export function errorText(t: TFunction, err: ApiError): string {
  const key = `errors.${err.code}`;
  if (i18n.exists(key)) return t(key);
  return err.message || t("errors.generic");
}

/**
 * The form field an error belongs to: its `field` when the form has such a
 * field, else the one its code implies (`byCode`), else null.
 */
export function errorField<F extends string>(
  err: ApiError,
  fields: readonly F[],
  byCode: Partial<Record<string, F>> = {},
): F | null {
  if (err.field && (fields as readonly string[]).includes(err.field)) return err.field as F;
  return byCode[err.code] ?? null;
}

export const PATIENT_FIELDS: PatientField[] = ["name", "social_name", "birth_date", "sex", "cpf", "email", "phones"];

/** The form field a patient error belongs to: its `field`, or the one its code implies. */
export function patientErrorField(err: ApiError): PatientField | null {
  if (err.field && (PATIENT_FIELDS as string[]).includes(err.field)) return err.field as PatientField;
  if (err.field === "phone") return "phones";
  switch (err.code) {
    case "invalid_cpf":
    case "duplicate_cpf":
      return "cpf";
    case "invalid_phone":
      return "phones";
    case "invalid_birth_date":
      return "birth_date";
    case "invalid_email":
      return "email";
    case "invalid_sex":
      return "sex";
    case "invalid_name":
      return "name";
    default:
      return null;
  }
}

/** The pt-BR message shown under a patient-form field for a server error. */
export function patientFieldText(t: TFunction, field: PatientField, err: ApiError): string {
  if (err.code === "duplicate_cpf") return t("form.errors.cpf_duplicate");
  const specific: Partial<Record<string, string>> = {
    invalid_cpf: "form.errors.cpf_invalid",
    invalid_phone: "form.errors.phones_invalid",
    invalid_birth_date: "form.errors.birth_date_invalid",
    invalid_email: "form.errors.email_invalid",
    invalid_sex: "form.errors.sex_invalid",
    invalid_name: field === "social_name" ? "form.errors.social_name_invalid" : "form.errors.name_invalid",
  };
  const key = specific[err.code];
  return key ? t(key) : errorText(t, err);
}
