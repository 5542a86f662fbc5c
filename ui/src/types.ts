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
  /** Changes set aside instead of stopping sync (refused by the server or invalid here). */
  quarantined?: number;
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
  /** The patient's clinical alerts, when this workstation holds the chart. */
  patient_alerts?: Alert[];
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

// ----- the clinical chart (docs/CHART.md) -----

export type EntryStatus =
  | "condicao"
  | "planejado"
  | "aprovado"
  | "realizado"
  | "existente"
  | "existente-outro"
  | "invalidado";

export const ENTRY_STATUSES: EntryStatus[] = [
  "condicao",
  "planejado",
  "aprovado",
  "realizado",
  "existente",
  "existente-outro",
  "invalidado",
];

export type Baseline = "presente" | "ausente" | "deciduo" | "implante" | "supranumerario";
export const BASELINES: Baseline[] = ["presente", "ausente", "deciduo", "implante", "supranumerario"];

export type Surface = "M" | "D" | "O" | "I" | "V" | "L" | "P";

export type Drawing = "surface" | "crown" | "extraction" | "endo" | "implant" | "sealant" | "mark" | "region";
export const DRAWINGS: Drawing[] = ["surface", "crown", "extraction", "endo", "implant", "sealant", "mark", "region"];

export type AppliesTo = "surface" | "tooth" | "region";
export const APPLIES_TO: AppliesTo[] = ["surface", "tooth", "region"];

export type ToothType = "anterior" | "posterior" | "permanent" | "deciduous";
export const TOOTH_TYPES: ToothType[] = ["anterior", "posterior", "permanent", "deciduous"];

export type Procedure = {
  code: string;
  name: string;
  fee_cents: number;
  /** 8 digits, or null */
  tuss: string | null;
  /** "surface": asks for faces; "tooth": whole tooth; "region": arch/quadrant/sextant/mouth */
  applies_to: AppliesTo;
  /** empty = every tooth; else any of these */
  tooth_types: string[];
  /** a condition (cárie, fratura…) rather than a procedure */
  condition: boolean;
  drawing: Drawing;
  /** overrides the legend colour for this code, e.g. "#2e7d32" */
  colour: string | null;
  active: boolean;
};

export type Legend = Record<EntryStatus, string>;

export type Catalogue = { procedures: Procedure[]; legend: Legend };

export type NewEntry = {
  /** a tooth code ("36") or a region ("upper", "Q2", "S6", "mouth") */
  region: string;
  surfaces: Surface[];
  cervical: boolean;
  code: string;
  status: EntryStatus;
  professional_id: string;
  /** YYYY-MM-DD */
  date: string;
  note: string;
  phase: number | null;
};

export type Entry = NewEntry & {
  id: string;
  name: string;
  tuss: string | null;
  fee_cents: number | null;
  locked: boolean;
  invalidated_reason: string | null;
  appointment_id: string | null;
  created_at: string;
  created_by: string;
  colour: string;
  drawing: Drawing;
  /** the same region and surface charted by someone else concurrently */
  concurrent: boolean;
};

export type AnamnesisForm = {
  allergies: string[];
  medications: string[];
  conditions: Record<string, boolean>;
  anticoagulants: boolean;
  pregnant: boolean | null;
  notes: string;
};

export type Anamnesis = AnamnesisForm & { updated_at: string | null; updated_by: string | null };

/** kind: "allergy" | "anticoagulant" | "pregnant" | "condition"; label: the allergy or condition key */
export type Alert = { kind: string; label: string };

/** What a signature proves (arcada_core::signing::Verification). */
export type Verification =
  | { state: "valid" }
  | { state: "tampered"; reason: "text_changed" | "bad_signature" | "other_signer" | "forged_key" }
  | { state: "unverifiable"; reason: "no_key" | "key_pending" | "unknown_key" | "no_server_key" };
/** text: the note as signed; content_hash: its SHA-256, hex; key_id/ed25519: the professional's key and signature. */
export type Signature = {
  id: string;
  note_id: string;
  by: string;
  at: string;
  content_hash: string;
  text: string;
  key_id?: string | null;
  ed25519?: string | null;
  verification?: Verification;
};

export type Note = {
  id: string;
  professional_id: string;
  /** YYYY-MM-DD */
  visit_date: string;
  text: string;
  signed: Signature | null;
  /** The same draft signed offline on another workstation too: each signature stays, frozen. */
  also_signed?: Signature[];
  amends: string | null;
  amended_by: string[];
  /** edited elsewhere after signing: the edits were not applied */
  diverged: boolean;
  created_at: string;
};

export type NewNote = {
  professional_id: string;
  visit_date: string;
  text: string;
  /** the signed note this one corrects */
  amends: string | null;
};

export type PlanPhase = { phase: number; entries: string[]; total_cents: number; done_cents: number };

export type Plan = { phases: PlanPhase[]; total_cents: number; done_cents: number; pending_cents: number };

export type ChartView = {
  patient_id: string;
  as_of: string | null;
  anamnesis: Anamnesis;
  alerts: Alert[];
  /** tooth → baseline; a missing tooth is presente */
  baseline: Record<string, Baseline>;
  /** every entry, invalidated ones included, oldest first */
  entries: Entry[];
  /** oldest first */
  notes: Note[];
  plan: Plan;
  /** days (YYYY-MM-DD) on which the chart changed, ascending */
  history: string[];
};

// ----- the WhatsApp inbox -----

/** A conversation as the inbox lists it (the shell sorts: waiting first, oldest wait first, then by last_at desc). */
export type ConversationRow = {
  id: string;
  contact_name: string | null;
  /** display form, "+55 11 98765-4321" */
  phone: string | null;
  patient_id: string | null;
  patient_name: string | null;
  lead: boolean;
  unread: number;
  /** unix seconds: the contact's unanswered message */
  waiting_since: number | null;
  /** unix seconds */
  last_at: number | null;
  last_text: string | null;
  /** within 24 h of the contact's last message: free-form replies allowed */
  window_open: boolean;
  phone_number_id: string;
  /** the clinic's number this conversation runs on */
  display_number: string;
  /** local patients whose phone matches, when not linked */
  suggested_patients: { id: string; name: string }[];
  /** an answer to a reminder the front desk must act on; cleared by replying */
  attention: Attention | null;
  /** who took it to answer; null while anyone may */
  assignee: Assignee | null;
  /** the clinic's labels ("orçamento", "urgência") */
  tags: string[];
};

export type AttentionReason = "resposta-incerta" | "pediu-remarcar" | "cancelou";

export type Attention = {
  reason: AttentionReason;
  /** the inbound message that raised it */
  message_id: string;
  /** the appointment the reminder was for */
  appointment_id: string | null;
  /** unix seconds */
  at: number;
};

export type MessageDirection = "recebida" | "enviada";

export type MessageStatus =
  | "recebida"
  | "na-fila"
  | "enviando"
  | "enviada"
  | "entregue"
  | "lida"
  | "falhou"
  | "precisa-modelo"
  | "incerta";

export type MessageView = {
  id: string;
  direction: MessageDirection;
  /** text, image, audio, video, document, sticker, location, contacts, interactive, button, reaction, template, unsupported */
  kind: string;
  text: string | null;
  /** unix seconds */
  at: number;
  author_name: string | null;
  /** Sent by the server on its own (a reminder, a thank-you reply). */
  automatic: boolean;
  status: MessageStatus;
  error: { code: string; title: string } | null;
  media: {
    /** `sha256:<hex>` once the server keeps the file; fetched with `inbox_media`. */
    blob?: string | null;
    mime_type: string | null;
    filename: string | null;
    size: number | null;
    error: string | null;
  } | null;
  location: { latitude: number; longitude: number; name: string | null; address: string | null } | null;
  template: { name: string; language: string; params: string[] } | null;
};

/** An approved template: `body` holds {{1}} {{2}} … placeholders, `params` of them. */
export type TemplateOption = { name: string; language: string; body: string; params: number };

/** A conversation opened: its messages oldest first and the templates it may use. */
export type InboxThread = { conversation: ConversationRow; messages: MessageView[]; templates: TemplateOption[] };

// ----- WhatsApp settings (kept in the directory: admin and gerente write them) -----

/** A template approved by Meta for the clinic's account; `body` holds {{1}} {{2}} … */
export type WhatsappTemplate = { name: string; language: string; body: string; params: number; buttons: string[] };

/** `template` is a key of `WhatsappSettings.templates` ("name:language"). */
export type ReminderSettings = {
  template: string;
  hours_before: number;
  /** site wall-clock "HH:MM"; null: at any hour (settings saved before sending hours existed) */
  sending_hours?: SendingHours | null;
};

export type SendingHours = { from: string; until: string };

/** `name` is the e-mail the person signs in with, when known. */
export type Assignee = { user_id: string; name: string | null; at: number };

/** A WhatsApp number as the server lists it (never its token). */
export type WhatsappNumber = {
  org_id: string;
  phone_number_id: string;
  display_phone_number: string;
  waba_id: string;
  created_at: number;
  /** unix seconds when Meta refused its token; nothing goes out through it until a new one */
  needs_reauth_at: number | null;
  needs_reauth_reason: string | null;
};

export type NewWhatsappNumber = {
  phone_number_id: string;
  display_phone_number: string;
  waba_id: string;
  access_token: string;
};

export type WhatsappSettings = {
  /** keyed "name:language" */
  templates: Record<string, WhatsappTemplate>;
  /** appointment reminders; off while null */
  reminder: ReminderSettings | null;
};

/** A conversation's media file as fetched from the server. */
export type MediaData = { mime_type: string; data: string /* base64 */ };
