// How chart values read: alerts, regions, conditions, in the current language.
import type { TFunction } from "i18next";
import i18n from "../../i18n";
import type { Alert, Entry, EntryStatus } from "../../types";
import { isTooth } from "./teeth";

/** The systemic conditions the anamnesis asks about (docs/CHART.md). */
export const CONDITIONS = [
  "diabetes",
  "hipertensao",
  "cardiopatia",
  "asma",
  "epilepsia",
  "hepatite",
  "hiv",
  "coagulopatia",
  "marca-passo",
  "bisfosfonatos",
  "tabagismo",
];

export function conditionLabel(t: TFunction, key: string): string {
  const k = `chart.conditions.${key}`;
  return i18n.exists(k) ? t(k) : key;
}

/** "Alergia: penicilina", "Anticoagulante", "Gestante", "Diabetes" … */
export function alertLabel(t: TFunction, a: Alert): string {
  switch (a.kind) {
    case "allergy":
      return t("chart.alert.allergy", { label: a.label });
    case "anticoagulant":
      return t("chart.alert.anticoagulant");
    case "pregnant":
      return t("chart.alert.pregnant");
    case "condition":
      return conditionLabel(t, a.label);
    default:
      return a.label || a.kind;
  }
}

/** "Dente 36", "Arcada superior", "Quadrante 2", "Sextante 6", "Boca toda". */
export function regionLabel(t: TFunction, region: string): string {
  if (isTooth(region)) return t("chart.regions.tooth", { tooth: region });
  const m = /^([QS])(\d)$/i.exec(region);
  if (m) return t(m[1].toUpperCase() === "Q" ? "chart.regions.quadrant" : "chart.regions.sextant", { n: m[2] });
  const k = `chart.regions.${region.toLowerCase()}`;
  return i18n.exists(k) ? t(k) : region;
}

export const isInvalidated = (e: Entry) => e.status === "invalidado" || e.invalidated_reason != null;

/** What can be charted or set (invalidado is reached by invalidating, with a reason). */
export const CHARTABLE: EntryStatus[] = ["condicao", "planejado", "aprovado", "realizado", "existente", "existente-outro"];
