// One typed wrapper per Tauri command. Every rejection becomes an ApiError.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AgendaRange,
  ApiError,
  Appointment,
  AnamnesisForm,
  AppointmentStatus,
  Baseline,
  Block,
  Catalogue,
  ChartView,
  Conflict,
  ConversationRow,
  Directory,
  MediaData,
  EntryStatus,
  InboxThread,
  Legend,
  MessageView,
  NewEntry,
  NewNote,
  Patient,
  PatientForm,
  PatientHit,
  Procedure,
  ReminderSettings,
  SessionState,
  SyncStatus,
  WhatsappNumber,
  NewWhatsappNumber,
  WhatsappSettings,
} from "./types";

/** Turns whatever the shell rejected with into an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    if (typeof o.code === "string") {
      return {
        code: o.code,
        message: typeof o.message === "string" ? o.message : "",
        ...(typeof o.field === "string" ? { field: o.field } : {}),
      };
    }
    if (e instanceof Error) return { code: "internal", message: e.message };
  }
  if (typeof e === "string") return { code: "internal", message: e };
  return { code: "internal", message: String(e) };
}

export function isApiError(e: unknown): e is ApiError {
  return !!e && typeof e === "object" && typeof (e as ApiError).code === "string";
}

/** Fired on window when a command says nobody is signed in (code "locked"): the app asks session() again. */
export const LOCKED_EVENT = "arcada:locked";

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = toApiError(e);
    if (err.code === "locked" && cmd !== "session") window.dispatchEvent(new Event(LOCKED_EVENT));
    throw err;
  }
}

/** The core stores "YYYY-MM-DDTHH:MM"; the contract says "YYYY-MM-DD HH:MM". Accept both. */
const wall = (s: string) => (s ? s.replace("T", " ").slice(0, 16) : s);

function normAppointment(a: Appointment): Appointment {
  return { ...a, start: wall(a.start), end: wall(a.end) };
}

function normBlock(b: Block): Block {
  return { ...b, start: wall(b.start), end: wall(b.end) };
}

export const session = () => call<SessionState>("session");

export const login = (server: string, email: string, password: string) =>
  call<SessionState>("login", { server, email, password });

export const unlock = (email: string, password: string) => call<SessionState>("unlock", { email, password });

export const lock = () => call<SessionState>("lock");

export const searchPatients = (query: string, limit: number) =>
  call<PatientHit[]>("search_patients", { query, limit });

export async function getPatient(id: string): Promise<{ patient: Patient; upcoming: Appointment[] }> {
  const r = await call<{ patient: Patient; upcoming: Appointment[] }>("get_patient", { id });
  return { patient: r.patient, upcoming: (r.upcoming ?? []).map(normAppointment) };
}

export const createPatient = (form: PatientForm) => call<Patient>("create_patient", { form });

export const updatePatient = (id: string, form: PatientForm) => call<Patient>("update_patient", { id, form });

export const directory = () => call<Directory>("directory");

export async function agenda(args: {
  from: string;
  to: string;
  professional_id?: string;
  chair_id?: string;
}): Promise<AgendaRange> {
  const r = await call<AgendaRange>("agenda", args);
  return {
    appointments: (r.appointments ?? []).map(normAppointment),
    blocks: (r.blocks ?? []).map(normBlock),
  };
}

export const book = (args: {
  patient_id: string;
  professional_id: string;
  chair_id: string;
  start: string;
  duration_min: number;
  notes: string;
}) => call<Appointment>("book", args).then(normAppointment);

export const moveAppointment = (args: {
  id: string;
  start?: string;
  duration_min?: number;
  professional_id?: string;
  chair_id?: string;
}) => call<Appointment>("move_appointment", args).then(normAppointment);

export const setAppointmentStatus = (id: string, status: AppointmentStatus, reason?: string) =>
  call<Appointment>("set_appointment_status", reason === undefined ? { id, status } : { id, status, reason }).then(
    normAppointment,
  );

export async function conflicts(): Promise<Conflict[]> {
  const list = await call<Conflict[]>("conflicts");
  return list.map((c) => ({
    ...c,
    appointments: [normAppointment(c.appointments[0]), normAppointment(c.appointments[1])],
  }));
}

// ----- the clinical chart: every write answers with the whole chart as it now reads -----

export const getChart = (patient_id: string, as_of: string | null = null) =>
  call<ChartView>("get_chart", { patient_id, as_of });

export const chartAddEntry = (patient_id: string, entry: NewEntry) =>
  call<ChartView>("chart_add_entry", { patient_id, entry });

export const chartSetStatus = (
  patient_id: string,
  entry_id: string,
  status: EntryStatus,
  appointment_id: string | null = null,
) => call<ChartView>("chart_set_status", { patient_id, entry_id, status, appointment_id });

export const chartInvalidate = (patient_id: string, entry_id: string, reason: string) =>
  call<ChartView>("chart_invalidate", { patient_id, entry_id, reason });

export const chartSetBaseline = (patient_id: string, tooth: string, baseline: Baseline) =>
  call<ChartView>("chart_set_baseline", { patient_id, tooth, baseline });

export const chartSaveAnamnesis = (patient_id: string, anamnesis: AnamnesisForm) =>
  call<ChartView>("chart_save_anamnesis", { patient_id, anamnesis });

export const chartAddNote = (patient_id: string, note: NewNote) =>
  call<ChartView>("chart_add_note", { patient_id, note });

export const chartEditNote = (patient_id: string, note_id: string, text: string) =>
  call<ChartView>("chart_edit_note", { patient_id, note_id, text });

export const chartSignNote = (patient_id: string, note_id: string) =>
  call<ChartView>("chart_sign_note", { patient_id, note_id });

export const catalogue = () => call<Catalogue>("catalogue");

export const saveProcedure = (procedure: Procedure) => call<Catalogue>("save_procedure", { procedure });

export const saveLegend = (legend: Legend) => call<Catalogue>("save_legend", { legend });

// ----- the WhatsApp inbox -----

const normRow = (r: ConversationRow): ConversationRow => ({
  ...r,
  suggested_patients: r.suggested_patients ?? [],
  attention: r.attention ?? null,
  assignee: r.assignee ?? null,
  tags: r.tags ?? [],
});

export const inboxList = () => call<ConversationRow[]>("inbox_list").then((rows) => (rows ?? []).map(normRow));

export async function inboxThread(id: string): Promise<InboxThread> {
  const r = await call<InboxThread>("inbox_thread", { id });
  return { conversation: normRow(r.conversation), messages: r.messages ?? [], templates: r.templates ?? [] };
}

/** Queues a free-form reply (status "na-fila"); refused with window_closed after 24 h. */
export const inboxReply = (id: string, text: string) => call<MessageView>("inbox_reply", { id, text });

export const inboxSendTemplate = (id: string, name: string, language: string, params: string[]) =>
  call<MessageView>("inbox_send_template", { id, name, language, params });

export const inboxMarkRead = (id: string) => call<null>("inbox_mark_read", { id });

/** Puts a label on the conversation (on) or takes it off. */
export const inboxTag = (id: string, tag: string, on: boolean) =>
  call<ConversationRow>("inbox_tag", { id, tag, on }).then(normRow);

/** The labels in use, for the label box to suggest. */
export const inboxTags = () => call<string[]>("inbox_tags").then((t) => t ?? []);

/** Takes the conversation to answer it (take) or gives it back to everyone. */
export const inboxAssign = (id: string, take: boolean) =>
  call<ConversationRow>("inbox_assign", { id, take }).then(normRow);

/** A message's media, fetched from the server (workstations keep only its reference). */
export const inboxMedia = (blob: string) => call<MediaData>("inbox_media", { blob });

export const inboxLinkPatient = (id: string, patient_id: string) =>
  call<ConversationRow>("inbox_link_patient", { id, patient_id }).then(normRow);

/** Creates a patient from the conversation's contact (the create_patient form) and links it. */
export const inboxConvertLead = (id: string, form: PatientForm) =>
  call<ConversationRow>("inbox_convert_lead", { id, form }).then(normRow);

// ----- WhatsApp settings -----

function normSettings(s: WhatsappSettings): WhatsappSettings {
  const templates = Object.fromEntries(
    Object.entries(s.templates ?? {}).map(([k, tpl]) => [k, { ...tpl, buttons: tpl.buttons ?? [] }]),
  );
  return { templates, reminder: s.reminder ?? null };
}

export const whatsappSettings = () => call<WhatsappSettings>("whatsapp_settings").then(normSettings);

/** Turns appointment reminders on (the template takes name, when, professional) or off (null). */
export const setReminders = (reminder: ReminderSettings | null) =>
  call<WhatsappSettings>("set_reminders", { reminder }).then(normSettings);

/** The clinic's WhatsApp numbers, from the server (online only). */
export const whatsappNumbers = () => call<WhatsappNumber[]>("whatsapp_numbers");

export const addWhatsappNumber = (number: NewWhatsappNumber) => call<WhatsappNumber>("add_whatsapp_number", { number });

/** A new access token after Meta asked for re-authorisation. */
export const renewWhatsappToken = (phone_number_id: string, access_token: string) =>
  call<WhatsappNumber>("update_whatsapp_number", { phone_number_id, update: { access_token } });

export const removeWhatsappNumber = (phone_number_id: string) =>
  call<void>("remove_whatsapp_number", { phone_number_id });

export const syncStatus = () => call<SyncStatus>("sync_status");

export const syncNow = () => call<void>("sync_now");

export const onSyncStatus = (handler: (s: SyncStatus) => void): Promise<UnlistenFn> =>
  listen<SyncStatus>("sync-status", (e) => handler(e.payload));

export const onDataChanged = (handler: () => void): Promise<UnlistenFn> => listen("data-changed", () => handler());
