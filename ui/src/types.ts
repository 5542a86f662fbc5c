// The Tauri command contract's types (snake_case, as the shell sends them).
// They are generated from the Rust types into ./generated/types.ts (its
// header says how); this file adds only what the UI itself needs: lists of
// a union's values for pickers and checks, and a few names of its own.
import type {
  AppliesTo,
  Baseline,
  Catalogue,
  Drawing,
  EntryStatus,
  PatientForm,
  Role,
  Sex,
  ToothType,
} from "./generated/types";

export type * from "./generated/types";

/**
 * Every value of the string union `T`, each once, in the order given: a value
 * missing from the list (say, a role added in Rust) is a compile error.
 */
function every<T extends string>() {
  return <const A extends readonly T[]>(
    values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : { missing: Exclude<T, A[number]> }),
  ): T[] => [...values];
}

export const ROLES = every<Role>()(["admin", "gerente", "recepcao", "comercial", "clinico", "financeiro", "viewer"]);

export const SEXES = every<Sex>()(["feminino", "masculino", "intersexo", "nao-informado"]);

export const ENTRY_STATUSES = every<EntryStatus>()([
  "condicao",
  "planejado",
  "aprovado",
  "realizado",
  "existente",
  "existente-outro",
  "invalidado",
]);

export const BASELINES = every<Baseline>()(["presente", "ausente", "deciduo", "implante", "supranumerario"]);

export const DRAWINGS = every<Drawing>()(["surface", "crown", "extraction", "endo", "implant", "sealant", "mark", "region"]);

export const APPLIES_TO = every<AppliesTo>()(["surface", "tooth", "region"]);

export const TOOTH_TYPES = every<ToothType>()(["anterior", "posterior", "permanent", "deciduous"]);

/** Odontogram colours by status, as the catalogue answers and save_legend takes them. */
export type Legend = Catalogue["legend"];

/** The patient form's fields an error can point at. */
export type PatientField = Exclude<keyof PatientForm, "remove_phones">;
