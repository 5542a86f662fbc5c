import { createContext, useContext } from "react";
import type { Conflict, Directory, Role, SessionState } from "./types";

export type View =
  | { kind: "patients" }
  | { kind: "patient"; id: string }
  | { kind: "patient-new" }
  | { kind: "patient-edit"; id: string }
  | { kind: "agenda" }
  | { kind: "chart"; id: string }
  | { kind: "catalogue" };

export type AppState = {
  session: SessionState;
  directory: Directory | null;
  /** Bumped whenever data changed (a `data-changed` event or a local write): screens reload. */
  dataVersion: number;
  changed: () => void;
  conflicts: Conflict[];
  navigate: (v: View) => void;
  can: Permissions;
};

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const v = useContext(AppContext);
  if (!v) throw new Error("useApp outside AppContext");
  return v;
}

// Per shared/DOMAIN.md: patient and agenda documents by role (R or W; viewer gets neither).
const WRITERS: Role[] = ["admin", "gerente", "recepcao", "clinico"];
const READERS: Role[] = [...WRITERS, "comercial", "financeiro"];
// docs/CHART.md: the chart document only ever reaches admin and clínico.
const CLINICAL: Role[] = ["admin", "clinico"];
// The procedure catalogue and legend are edited by admin and gerente.
const CATALOGUE_EDITORS: Role[] = ["admin", "gerente"];

export type Permissions = {
  patients: boolean;
  writePatients: boolean;
  agenda: boolean;
  writeAgenda: boolean;
  /** the clinical chart (prontuário), read and write */
  chart: boolean;
  /** the procedure catalogue and legend settings */
  catalogue: boolean;
};

export function permissions(role: Role | undefined): Permissions {
  const has = (list: Role[]) => !!role && list.includes(role);
  const read = has(READERS);
  const write = has(WRITERS);
  return {
    patients: read,
    writePatients: write,
    agenda: read,
    writeAgenda: write,
    chart: has(CLINICAL),
    catalogue: has(CATALOGUE_EDITORS),
  };
}
