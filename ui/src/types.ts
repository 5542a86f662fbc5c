// The Tauri command contract's types (snake_case, as the shell sends them).

export type Role = "admin" | "gerente" | "recepcao" | "comercial" | "clinico" | "financeiro" | "viewer";

export const ROLES: Role[] = ["admin", "gerente", "recepcao", "comercial", "clinico", "financeiro", "viewer"];

export type SessionUser = { user_id: string; email: string; role: Role };

export type KnownUser = SessionUser & { last_login: number };

/** new = no clinic on this workstation; locked = clinic here, nobody signed in; ready = working. */
export type SessionState = {
  state: "new" | "locked" | "ready";
  server: string | null;
  org_name: string | null;
  user: SessionUser | null;
  known_users: KnownUser[];
};

export type SyncState = "offline" | "connecting" | "syncing" | "up_to_date";

export type SyncStatus = {
  state: SyncState;
  pending: number;
  /** ms since the epoch */
  last_success: number | null;
  last_error: string | null;
  needs_login: boolean;
  running: boolean;
  updated_at: number;
};

export type PatientHit = {
  id: string;
  name: string;
  social_name: string | null;
  /** YYYY-MM-DD */
  birth_date: string | null;
  /** 11 digits */
  cpf: string | null;
  /** E.164 */
  phones: string[];
  email: string | null;
};

export type Sex = "feminino" | "masculino" | "intersexo" | "nao-informado";
export const SEXES: Sex[] = ["feminino", "masculino", "intersexo", "nao-informado"];

export type Consent = { granted: boolean; at: string; by: string };

export type Patient = {
  id: string;
  name: string;
  social_name: string | null;
  birth_date: string | null;
  sex: Sex | null;
  cpf: string | null;
  phones: Record<string, { number: string; label: string | null }>;
  email: string | null;
  consents: Record<string, Consent>;
  tags: string[];
  created_at: string;
};

/** On update an empty string clears an optional field; an omitted field is unchanged. */
export type PatientForm = {
  name?: string;
  social_name?: string;
  birth_date?: string;
  sex?: string;
  cpf?: string;
  email?: string;
  phones?: string[];
  remove_phones?: string[];
};

export type PatientField = "name" | "social_name" | "birth_date" | "sex" | "cpf" | "email" | "phones";

export type Professional = { id: string; name: string; cro: string | null; active: boolean };
export type Chair = { id: string; name: string; active: boolean; site_id: string };

export type Weekday = "seg" | "ter" | "qua" | "qui" | "sex" | "sab" | "dom";
export type OpeningPeriod = { day: Weekday; open: string; close: string };

export type Directory = {
  org_name: string;
  site: { id: string; name: string; timezone: string; hours: OpeningPeriod[] };
  professionals: Professional[];
  chairs: Chair[];
};

export type AppointmentStatus =
  | "agendado"
  | "confirmado"
  | "chegou"
  | "em-atendimento"
  | "concluido"
  | "faltou"
  | "cancelado"
  | "remarcado";

export type Appointment = {
  id: string;
  agenda_id: string;
  site_id: string;
  patient_id: string;
  patient_name: string | null;
  professional_id: string;
  chair_id: string;
  /** YYYY-MM-DD HH:MM */
  start: string;
  /** YYYY-MM-DD HH:MM */
  end: string;
  duration_min: number;
  status: AppointmentStatus;
  procedures: string[];
  notes: string;
};

/** Neither id set: the block covers the whole site. */
export type Block = {
  id: string;
  professional_id: string | null;
  chair_id: string | null;
  start: string;
  end: string;
  reason: string;
};

export type Conflict = {
  id: string;
  resource: "professional" | "chair";
  resource_id: string;
  day: string;
  appointments: [Appointment, Appointment];
};

export type AgendaRange = { appointments: Appointment[]; blocks: Block[] };

export type ApiError = { code: string; message: string; field?: string };
