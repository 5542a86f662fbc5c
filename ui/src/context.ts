import { createContext, useContext } from "react";
import type { Conflict, Directory, Role, SessionState } from "./types";

export type View =
  | { kind: "patients" }
  | { kind: "patient"; id: string }
  | { kind: "patient-new" }
  | { kind: "patient-edit"; id: string }
  | { kind: "agenda" };

export type AppState = {
  session: SessionState;
  directory: Directory | null;
  /** Bumped whenever data changed (a `data-changed` event or a local write): screens reload. */
  dataVersion: number;
  changed: () => void;
  conflicts: Conflict[];
  navigate: (v: View) => void;
  can: { patients: boolean; writePatients: boolean; agenda: boolean; writeAgenda: boolean };
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

export function permissions(role: Role | undefined) {
  const read = !!role && READERS.includes(role);
  const write = !!role && WRITERS.includes(role);
  return { patients: read, writePatients: write, agenda: read, writeAgenda: write };
}
