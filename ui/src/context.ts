import { createContext, useContext } from "react";
import type { Conflict, Directory, Role, SessionState } from "./types";

export type View =
  | { kind: "patients" }
  | { kind: "patient"; id: string }
  | { kind: "patient-new" }
  | { kind: "patient-edit"; id: string }
  | { kind: "agenda" }
  | { kind: "chart"; id: string }
  | { kind: "catalogue" }
  | { kind: "inbox"; id?: string }
  | { kind: "whatsapp-settings" };

export type AppState = {
  session: SessionState;
  directory: Directory | null;
  /** Bumped whenever data changed (a `data-changed` event or a local write): screens reload. */
  dataVersion: number;
  changed: () => void;
  conflicts: Conflict[];
  navigate: (v: View) => void;
  can: Permissions;
  /** Unread inbound WhatsApp messages across conversations (the nav badge). */
  inboxUnread: number;
  /** The inbox screen reports the total as it reads and marks conversations. */
  setInboxUnread: (n: number) => void;
  /** Conversations whose answer to a reminder needs the front desk (the alerts list). */
  inboxAttention: number;
  /** The inbox screen reports it as it reads and answers conversations. */
  setInboxAttention: (n: number) => void;
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
// WhatsApp conversations: the front desk and sales answer them; clínico only reads.
const INBOX_WRITERS: Role[] = ["admin", "gerente", "recepcao", "comercial"];
const INBOX_READERS: Role[] = [...INBOX_WRITERS, "clinico"];
// WhatsApp templates and reminders live in the directory, which admin and gerente write.
const DIRECTORY_WRITERS: Role[] = ["admin", "gerente"];

export type Permissions = {
  patients: boolean;
  writePatients: boolean;
  agenda: boolean;
  writeAgenda: boolean;
  /** the clinical chart (prontuário), read and write */
  chart: boolean;
  /** the procedure catalogue and legend settings */
  catalogue: boolean;
  /** the WhatsApp inbox */
  inbox: boolean;
  /** reply, link a conversation to a patient, register a lead */
  writeInbox: boolean;
  /** the WhatsApp settings: templates and appointment reminders */
  whatsappSettings: boolean;
  /** connect, re-authorise and remove WhatsApp numbers (the server decides too) */
  whatsappNumbers: boolean;
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
    inbox: has(INBOX_READERS),
    writeInbox: has(INBOX_WRITERS),
    whatsappSettings: has(DIRECTORY_WRITERS),
    whatsappNumbers: role === "admin",
  };
}
