// Generated from the Rust types of the desktop's commands (arcada-core,
// arcada-desktop) by ts-rs: do not edit by hand. To regenerate:
//   ARCADA_WRITE_UI_TYPES=1 cargo test -p arcada-desktop --features ts --test ui_types
// scripts/test fails when this file differs from a fresh generation.

// ----- session and sync -----

/**
 * The seven roles a member of an organisation can have.
 */
export type Role = "admin" | "gerente" | "recepcao" | "comercial" | "clinico" | "financeiro" | "viewer";

/**
 * A person who has logged in on this workstation.
 */
export type KnownUser = { user_id: string, email: string, role: Role, 
/**
 * ms since epoch
 */
last_login: number, };

/**
 * Whether anyone may work on this workstation now.
 */
export type SessionAccess = "new" | "locked" | "ready";

/**
 * Who works on this workstation, for the sign-in screen.
 */
export type SessionState = { state: SessionAccess, 
/**
 * The server this workstation syncs with; none for a standalone clinic.
 */
server: string | null, org_name: string | null, 
/**
 * The signed-in user, when `state` is `ready` and they logged in from
 * this workstation (a standalone clinic's user has no account).
 */
user: KnownUser | null, 
/**
 * Who may unlock offline, most recent first.
 */
known_users: Array<KnownUser>, };

export type SyncState = "offline" | "connecting" | "syncing" | "up_to_date";

/**
 * What the UI and `arcada sync status` show.
 */
export type SyncStatus = { state: SyncState, 
/**
 * Local changes the server has not acknowledged yet.
 */
pending: number, 
/**
 * Changes set aside instead of stopping sync (refused by the server,
 * or not valid here): someone should look at them.
 */
quarantined: number, 
/**
 * When the last round finished with everything exchanged (ms since epoch).
 */
last_success: number | null, last_error: string | null, 
/**
 * The session ended (revoked, expired, removed): log in again.
 */
needs_login: boolean, 
/**
 * Whether an engine is running for this workstation now.
 */
running: boolean, 
/**
 * When the status was last written (ms since epoch).
 */
updated_at: number, };

export type ApiError = { code: string, message: string, field?: string, };

// ----- patients -----

/**
 * A patient found by search.
 */
export type PatientHit = { id: string, name: string, social_name: string | null, birth_date: string | null, cpf: string | null, phones: Array<string>, email: string | null, };

/**
 * The kind of a document, which decides who may read and write it.
 */
export type DocClass = "directory" | "patient" | "chart" | "agenda" | "ledger" | "conversation";

/**
 * Sex as recorded for clinical purposes.
 */
export type Sex = "feminino" | "masculino" | "intersexo" | "nao-informado";

export type PhoneEntry = { number: string, 
/**
 * `celular`, `residencial`, `trabalho` …
 */
label: string | null, whatsapp: boolean, 
/**
 * Milliseconds since the epoch when it was added: orders the list.
 */
added_at: number, };

export type Address = { street: string, number: string | null, complement: string | null, district: string | null, city: string, state: string, postal_code: string | null, };

export type Guardian = { name: string, relationship: string | null, cpf: string | null, phone: string | null, };

export type Consent = { granted: boolean, at: string, by: string, };

export type Patient = { class: DocClass, schema: number, id: string, name: string, 
/**
 * Nome social: the name the patient goes by, shown instead of `name`.
 */
social_name: string | null, 
/**
 * ISO date, `YYYY-MM-DD`.
 */
birth_date: string | null, sex: Sex | null, 
/**
 * The 11 digits, no punctuation.
 */
cpf: string | null, 
/**
 * Keyed by E.164 number: two workstations adding the same number merge
 * into one entry, different numbers into two.
 */
phones: { [key in string]: PhoneEntry }, email: string | null, address: Address | null, guardian: Guardian | null, 
/**
 * Keyed by consent kind (`lgpd`, `imagem`, `tratamento`).
 */
consents: { [key in string]: Consent }, tags: Array<string>, preferred_channel: string | null, created_at: string, created_by: string, };

/**
 * A patient and their appointments to come.
 */
export type PatientPage = { patient: Patient, 
/**
 * From today on, cancelled ones included (the desk sees what happened).
 */
upcoming: Array<Appointment>, };

/**
 * Patient fields as the form sends them; omitted means unchanged, and on
 * update an empty string clears an optional field.
 */
export type PatientForm = { name?: string, social_name?: string, birth_date?: string, sex?: string, cpf?: string, email?: string, phones?: Array<string>, remove_phones?: Array<string>, };

// ----- directory and agenda -----

export type Professional = { id: string, name: string, 
/**
 * Registration with the Conselho Regional de Odontologia, e.g. `CRO-SP 12345`.
 */
cro: string | null, active: boolean, };

export type Chair = { id: string, site_id: string, name: string, active: boolean, };

/**
 * Days of the week, as stored in opening hours.
 */
export type Weekday = "seg" | "ter" | "qua" | "qui" | "sex" | "sab" | "dom";

/**
 * One opening period: weekday slug (`seg` … `dom`) and `HH:MM` times.
 */
export type OpeningPeriod = { day: Weekday, open: string, close: string, };

export type Site = { id: string, name: string, 
/**
 * IANA zone the site's wall-clock times are in.
 */
timezone: string, hours: Array<OpeningPeriod>, };

/**
 * The clinic's people and rooms at this workstation's site.
 */
export type Directory = { org_name: string, site: Site, professionals: Array<Professional>, chairs: Array<Chair>, };

/**
 * Where an appointment is in its day.
 */
export type AppointmentStatus = "agendado" | "confirmado" | "chegou" | "em-atendimento" | "concluido" | "faltou" | "cancelado" | "remarcado";

/**
 * An appointment as the UI shows it.
 */
export type Appointment = { id: string, agenda_id: string, site_id: string, patient_id: string, patient_name: string | null, professional_id: string, chair_id: string, start: string, end: string, duration_min: number, 
/**
 * An [`AppointmentStatus`] slug: the projection writes nothing else.
 */
status: AppointmentStatus, procedures: Array<string>, notes: string, 
/**
 * The patient's anamnesis alerts, when this workstation holds the chart.
 */
patient_alerts: Array<Alert>, };

export type Block = { id: string, 
/**
 * The professional blocked, or none.
 */
professional_id: string | null, 
/**
 * The chair blocked, or none. With neither, the whole site is closed.
 */
chair_id: string | null, start: string, end: string, reason: string, };

/**
 * Which resource two bookings compete for.
 */
export type Resource = "professional" | "chair";

/**
 * Two appointments that hold the same professional or chair at once.
 */
export type Conflict = { id: string, 
/**
 * A [`Resource`](arcada_core::agenda::Resource) as it displays,
 * which is as serde writes it.
 */
resource: Resource, resource_id: string, day: string, appointments: [Appointment, Appointment], };

/**
 * The appointments and blocks of a range of days.
 */
export type AgendaRange = { appointments: Array<Appointment>, blocks: Array<Block>, };

// ----- the clinical chart (docs/CHART.md) -----

/**
 * The life of a charted entry. `Realizado` locks it; `Invalidado`
 * replaces deletion, which the records law does not allow.
 */
export type EntryStatus = "condicao" | "planejado" | "aprovado" | "realizado" | "existente" | "existente-outro" | "invalidado";

/**
 * What is in the mouth at a tooth's position before any treatment.
 */
export type Baseline = "presente" | "ausente" | "deciduo" | "implante" | "supranumerario";

/**
 * A tooth face. Which ones a tooth has depends on the tooth: see
 * [`Tooth::check_surface`].
 */
export type Surface = "M" | "D" | "O" | "I" | "V" | "L" | "P";

/**
 * How the odontogram draws an entry.
 */
export type Drawing = "surface" | "crown" | "extraction" | "endo" | "implant" | "sealant" | "mark" | "region";

/**
 * What a procedure is charted on.
 */
export type AppliesTo = "surface" | "tooth" | "region";

/**
 * A kind of tooth a procedure can be limited to.
 */
export type ToothType = "anterior" | "posterior" | "permanent" | "deciduous";

/**
 * One line of the clinic's procedure catalogue: a procedure or a condition
 * (cárie, fratura) the odontogram can chart.
 */
export type Procedure = { 
/**
 * The clinic's own code: lowercase letters, digits and `-`.
 */
code: string, name: string, 
/**
 * Default fee in centavos.
 */
fee_cents: number, 
/**
 * 8-digit TUSS code, when the procedure has one.
 */
tuss: string | null, applies_to: AppliesTo, 
/**
 * Which teeth it fits; empty for every tooth.
 */
tooth_types: Array<ToothType>, 
/**
 * A finding rather than a procedure: charted, never billed.
 */
condition: boolean, 
/**
 * How the odontogram draws it.
 */
drawing: Drawing, 
/**
 * A colour (`#rrggbb`) that overrides the legend for this code.
 */
colour: string | null, 
/**
 * Retired codes stay for the entries that use them.
 */
active: boolean, };

/**
 * The catalogue and its colours, as the desktop shows them.
 */
export type Catalogue = { procedures: Array<Procedure>, 
/**
 * Every status has its colour: the defaults, then the clinic's own.
 */
legend: Record<EntryStatus, string>, };

/**
 * An odontogram entry as the professional charts it.
 */
export type NewEntry = { 
/**
 * A tooth (`36`) or a region (`upper`, `Q1`, `S2`, `mouth`).
 */
region: string, surfaces: Array<string>, cervical: boolean, code: string, status: EntryStatus, professional_id: string, 
/**
 * `YYYY-MM-DD` (or `DD/MM/YYYY`).
 */
date: string, note: string, phase: number | null, };

export type Invalidation = { reason: string, at: string, by: string, };

/**
 * An odontogram entry as it stands: a locked entry as it was locked, an
 * invalidated one marked so.
 */
export type Entry = { 
/**
 * The catalogue name of its code.
 */
name: string, locked: boolean, invalidated_reason: string | null, invalidation: Invalidation | null, colour: string, drawing: Drawing, 
/**
 * Another live entry charts the same code on the same place: two
 * workstations charted it without seeing each other, or a duplicate.
 */
concurrent: boolean, id: string, 
/**
 * A tooth code or a region (`upper`, `Q2`, `S6`, `mouth`).
 */
region: string, surfaces: Array<Surface>, cervical: boolean, 
/**
 * Code in the directory's procedure catalogue.
 */
code: string, tuss: string | null, status: EntryStatus, professional_id: string, 
/**
 * The day it was found or done, `YYYY-MM-DD`.
 */
date: string, note: string, 
/**
 * Treatment-plan phase (1, 2 …), when the entry is part of the plan.
 */
phase: number | null, 
/**
 * Fee in centavos, from the catalogue when charted.
 */
fee_cents: number | null, 
/**
 * The agenda visit it was done in.
 */
appointment_id: string | null, created_at: string, created_by: string, };

/**
 * The anamnesis as the form sends it.
 */
export type AnamnesisForm = { allergies: Array<string>, medications: Array<string>, conditions: { [key in string]: boolean }, anticoagulants: boolean, pregnant: boolean | null, notes: string, };

export type Anamnesis = { allergies: Array<string>, medications: Array<string>, 
/**
 * Systemic conditions by key (`diabetes`, `hipertensao`, `cardiopatia` …).
 */
conditions: { [key in string]: boolean }, anticoagulants: boolean, pregnant: boolean | null, notes: string, updated_at: string | null, updated_by: string | null, };

/**
 * A kind of anamnesis alert.
 */
export type AlertKind = "allergy" | "anticoagulant" | "pregnant" | "condition";

/**
 * What the dentist must see before touching the patient.
 */
export type Alert = { kind: AlertKind, 
/**
 * The allergy or the condition's key; empty for the others.
 */
label: string, };

export type Tampering = "text_changed" | "bad_signature" | "other_signer" | "forged_key";

export type Unproven = "no_key" | "key_pending" | "unknown_key" | "no_server_key";

/**
 * What a note's signature proves.
 */
export type Verification = { "state": "valid" } | { "state": "tampered", "reason": Tampering } | { "state": "unverifiable", "reason": Unproven };

/**
 * A note's signature with what it proves ([`crate::signing`]).
 */
export type Signature = { verification: Verification, id: string, note_id: string, by: string, at: string, 
/**
 * SHA-256 of `text`, hex.
 */
content_hash: string, 
/**
 * The text as signed.
 */
text: string, 
/**
 * The signer's key in the directory's `signing_keys` (`None` in
 * signatures made before professionals had keys).
 */
key_id: string | null, 
/**
 * Ed25519 signature of [`crate::signing::note_message`], hex.
 */
ed25519: string | null, };

/**
 * An evolution note as it stands.
 */
export type Note = { id: string, professional_id: string, visit_date: string, 
/**
 * The signed text once signed; the draft before.
 */
text: string, signed: Signature | null, 
/**
 * Other signatures of the same draft, made offline on another
 * workstation before this one's arrived: each stays, frozen.
 */
also_signed: Array<Signature>, amends: string | null, 
/**
 * Amendments written to this note.
 */
amended_by: Array<string>, 
/**
 * Edits of the draft made elsewhere after signing arrived: they are not
 * part of the note.
 */
diverged: boolean, created_at: string, created_by: string, };

/**
 * A new evolution note, or an amendment of a signed one.
 */
export type NewNote = { professional_id: string, 
/**
 * `YYYY-MM-DD` (or `DD/MM/YYYY`).
 */
visit_date: string, text: string, 
/**
 * The signed note this one corrects.
 */
amends: string | null, };

/**
 * One phase of the treatment plan.
 */
export type PlanPhase = { phase: number, 
/**
 * Entry ids, in charting order.
 */
entries: Array<string>, total_cents: number, done_cents: number, };

/**
 * The treatment plan: planned, approved and done entries with a phase.
 */
export type Plan = { phases: Array<PlanPhase>, total_cents: number, done_cents: number, pending_cents: number, };

/**
 * The whole chart as the professional sees it.
 */
export type ChartView = { patient_id: string, 
/**
 * The day the chart is shown as of; none for now.
 */
as_of: string | null, anamnesis: Anamnesis, alerts: Array<Alert>, baseline: { [key in string]: Baseline }, 
/**
 * Oldest first, invalidated ones included.
 */
entries: Array<Entry>, 
/**
 * Oldest first.
 */
notes: Array<Note>, plan: Plan, 
/**
 * Days the chart changed on, ascending.
 */
history: Array<string>, };

// ----- the WhatsApp inbox -----

export type PatientRef = { id: string, name: string, };

/**
 * Why a conversation needs the front desk.
 */
export type AttentionReason = "resposta-incerta" | "pediu-remarcar" | "cancelou";

export type Attention = { reason: AttentionReason, 
/**
 * The inbound message that raised it.
 */
message_id: string, 
/**
 * The appointment the reminder was for.
 */
appointment_id: string | null, at: number, };

export type Assignee = { user_id: string, 
/**
 * How the others see who it is (the e-mail the user signs in with),
 * kept here because workstations know only the users who signed in
 * on them.
 */
name: string | null, at: number, };

/**
 * A conversation as the inbox list shows it.
 */
export type ConversationRow = { id: string, phone_number_id: string, 
/**
 * The clinic's number.
 */
display_number: string, contact_name: string | null, 
/**
 * The contact's number, as people write it.
 */
phone: string | null, patient_id: string | null, patient_name: string | null, lead: boolean, unread: number, waiting_since: number | null, last_at: number | null, last_text: string | null, 
/**
 * Whether a free-form reply may go now.
 */
window_open: boolean, 
/**
 * Patients of this clinic with the contact's number, when the
 * conversation is not linked yet.
 */
suggested_patients: Array<PatientRef>, 
/**
 * An answer to a reminder the front desk must act on.
 */
attention: Attention | null, 
/**
 * Who took it to answer; `None` while anyone may.
 */
assignee: Assignee | null, 
/**
 * The clinic's labels, in order.
 */
tags: Array<string>, };

/**
 * Which way a message went.
 */
export type MessageDirection = "recebida" | "enviada";

/**
 * Where a message is. Inbound messages are `recebida`; outbound ones
 * start `na-fila` (queued by a workstation) and the server moves them on.
 */
export type MessageStatus = "recebida" | "na-fila" | "enviando" | "enviada" | "entregue" | "lida" | "falhou" | "precisa-modelo" | "incerta";

export type MessageError = { 
/**
 * Meta's error code (`131047`), or one of ours (`in_doubt`).
 */
code: string, title: string, };

export type MediaView = { 
/**
 * `sha256:<hex>` once the server has it; fetched with `inbox_media`.
 */
blob: string | null, mime_type: string | null, filename: string | null, size: number | null, error: string | null, };

export type Location = { latitude: number, longitude: number, name: string | null, address: string | null, };

export type TemplateRef = { name: string, 
/**
 * `pt_BR`.
 */
language: string, 
/**
 * The body's parameters, in order.
 */
params: Array<string>, };

/**
 * A message as the thread shows it.
 */
export type MessageView = { id: string, direction: MessageDirection, kind: string, text: string | null, at: number, author_name: string | null, 
/**
 * Sent by the server on its own (a reminder, a thank-you reply).
 */
automatic: boolean, status: MessageStatus, error: MessageError | null, media: MediaView | null, location: Location | null, template: TemplateRef | null, };

/**
 * A template the reply box offers outside the 24-hour window.
 */
export type TemplateOption = { name: string, language: string, body: string, params: number, };

export type InboxThread = { conversation: ConversationRow, 
/**
 * Oldest first.
 */
messages: Array<MessageView>, templates: Array<TemplateOption>, };

/**
 * A media file as the thread shows it.
 */
export type MediaData = { mime_type: string, 
/**
 * The bytes, base64.
 */
data: string, };

// ----- WhatsApp settings and numbers -----

export type WhatsappTemplate = { name: string, 
/**
 * `pt_BR`.
 */
language: string, 
/**
 * The body as approved, with `{{1}}`, `{{2}}` … for parameters.
 */
body: string, 
/**
 * How many body parameters it takes.
 */
params: number, 
/**
 * Quick-reply buttons, in order.
 */
buttons: Array<string>, };

/**
 * A daily span, `HH:MM` to `HH:MM` at the site, `from` before `until`.
 */
export type SendingHours = { from: string, until: string, };

export type ReminderSettings = { 
/**
 * The template sent (`name:language` in `templates`); it gets the
 * patient's name, the date and time, and the professional.
 */
template: string, 
/**
 * How long before the appointment the reminder goes.
 */
hours_before: number, 
/**
 * When in the day (site wall-clock) reminders may go out; a reminder
 * due outside them waits for the next `from`. `None`: at any hour
 * (settings saved before this existed).
 */
sending_hours: SendingHours | null, };

/**
 * What the clinic's WhatsApp channel may send on its own.
 */
export type WhatsappSettings = { 
/**
 * Message templates approved for the clinic's WhatsApp account, by
 * `name:language`. Outside the 24-hour window only these may be sent.
 */
templates: { [key in string]: WhatsappTemplate }, 
/**
 * Appointment reminders; off while `None`.
 */
reminder: ReminderSettings | null, };

/**
 * A WhatsApp number as the server lists it: never its token.
 */
export type WhatsappNumber = { org_id: string, phone_number_id: string, display_phone_number: string, waba_id: string, created_at: number, 
/**
 * When Meta refused its token (code 190); nothing is sent through it
 * until it is updated.
 */
needs_reauth_at: number | null, needs_reauth_reason: string | null, };

/**
 * A WhatsApp number to add to the organisation.
 */
export type NewWhatsappNumber = { phone_number_id: string, display_phone_number: string, waba_id: string, 
/**
 * The Cloud API access token: sealed at once, never answered back.
 */
access_token: string, };

/**
 * What to change of a number: its display form, its token (after Meta
 * asked for re-authorisation), or both.
 */
export type NumberUpdate = { display_phone_number: string | null, access_token: string | null, };
