// A fake chart backend: a patient's chart the mocked commands read and write,
// the catalogue, and sessions for the roles that see (or not) the chart.
import type {
  Catalogue,
  ChartView,
  Entry,
  EntryStatus,
  Legend,
  NewEntry,
  NewNote,
  Note,
  Patient,
  Procedure,
  SessionState,
  Surface,
} from "../src/types";
import { READY, type Handler } from "./helpers";

export function sessionAs(role: NonNullable<SessionState["user"]>["role"]): SessionState {
  return { ...READY, user: { user_id: `u-${role}`, email: `${role}@sorriso.com.br`, role, last_login: 1000 } };
}

export const CLINICO = sessionAs("clinico");

export const LEGEND: Legend = {
  condicao: "#d32f2f",
  planejado: "#d32f2f",
  aprovado: "#d32f2f",
  realizado: "#1565c0",
  existente: "#1565c0",
  "existente-outro": "#1565c0",
  invalidado: "#9e9e9e",
};

const proc = (over: Partial<Procedure> & { code: string; name: string }): Procedure => ({
  fee_cents: 0,
  tuss: null,
  applies_to: "surface",
  tooth_types: [],
  condition: false,
  drawing: "surface",
  colour: null,
  active: true,
  ...over,
});

export const CATALOGUE: Catalogue = {
  procedures: [
    proc({ code: "restauracao-resina", name: "Restauração em resina", fee_cents: 18000, tuss: "85100196" }),
    proc({ code: "carie", name: "Cárie", condition: true }),
    proc({ code: "extracao", name: "Extração", fee_cents: 25000, applies_to: "tooth", drawing: "extraction" }),
    proc({
      code: "canal-molar",
      name: "Tratamento endodôntico (molar)",
      fee_cents: 90000,
      applies_to: "tooth",
      tooth_types: ["posterior", "permanent"],
      drawing: "endo",
    }),
    proc({ code: "profilaxia", name: "Profilaxia", fee_cents: 15000, applies_to: "region", drawing: "region" }),
    proc({ code: "clareamento", name: "Clareamento", applies_to: "region", drawing: "region", active: false }),
  ],
  legend: LEGEND,
};

export const PATIENT: Patient = {
  class: "patient",
  schema: 1,
  id: "pat-joao",
  name: "João da Silva",
  social_name: null,
  birth_date: "1980-03-15",
  sex: "masculino",
  cpf: "52998224725",
  phones: {},
  email: null,
  address: null,
  guardian: null,
  consents: {},
  tags: [],
  preferred_channel: null,
  created_at: "2026-11-20T10:00:00Z",
  created_by: "u-1",
};

export function entry(over: Partial<Entry> & { id: string; region: string; code: string }): Entry {
  const p = CATALOGUE.procedures.find((x) => x.code === over.code);
  const status = over.status ?? "planejado";
  return {
    surfaces: [],
    cervical: false,
    status,
    professional_id: "prof-ana",
    date: "2026-11-20",
    note: "",
    phase: null,
    name: p?.name ?? over.code,
    tuss: p?.tuss ?? null,
    fee_cents: p?.fee_cents ?? null,
    locked: status === "realizado",
    invalidated_reason: null,
    invalidation: null,
    appointment_id: null,
    created_at: "2026-11-20T10:00:00Z",
    created_by: "u-clinico",
    colour: LEGEND[status],
    drawing: p?.drawing ?? "surface",
    concurrent: false,
    ...over,
  };
}

export function note(over: Partial<Note> & { id: string }): Note {
  return {
    professional_id: "prof-ana",
    visit_date: "2026-11-20",
    text: "",
    signed: null,
    also_signed: [],
    amends: null,
    amended_by: [],
    diverged: false,
    created_at: "2026-11-20T10:00:00Z",
    created_by: "u-clinico",
    ...over,
  };
}

export function chartView(over: Partial<ChartView> = {}): ChartView {
  return {
    patient_id: "pat-joao",
    as_of: null,
    anamnesis: {
      allergies: [],
      medications: [],
      conditions: {},
      anticoagulants: false,
      pregnant: null,
      notes: "",
      updated_at: null,
      updated_by: null,
    },
    alerts: [],
    baseline: {},
    entries: [],
    notes: [],
    plan: { phases: [], total_cents: 0, done_cents: 0, pending_cents: 0 },
    history: ["2026-11-20"],
    ...over,
  };
}

/** A chart the mocked commands change, roughly as the core would. */
export function chartStore(initial: ChartView = chartView(), past: Record<string, ChartView> = {}) {
  const store = { view: initial };
  let n = 0;
  const next = (patch: Partial<ChartView>) => {
    store.view = { ...store.view, ...patch };
    return store.view;
  };
  const setEntry = (id: string, patch: (e: Entry) => Partial<Entry>) =>
    next({ entries: store.view.entries.map((e) => (e.id === id ? { ...e, ...patch(e) } : e)) });
  const handlers: Record<string, Handler> = {
    get_patient: () => ({ patient: PATIENT, upcoming: [] }),
    catalogue: () => CATALOGUE,
    get_chart: (a: { as_of: string | null }) =>
      a.as_of ? { ...(past[a.as_of] ?? chartView({ entries: [] })), as_of: a.as_of } : store.view,
    chart_add_entry: (a: { entry: NewEntry }) =>
      next({ entries: [...store.view.entries, entry({ ...a.entry, surfaces: a.entry.surfaces as Surface[], id: `e-new-${++n}` })] }),
    chart_set_status: (a: { entry_id: string; status: EntryStatus }) =>
      setEntry(a.entry_id, () => ({ status: a.status, locked: a.status === "realizado", colour: LEGEND[a.status] })),
    chart_invalidate: (a: { entry_id: string; reason: string }) =>
      setEntry(a.entry_id, () => ({ status: "invalidado", invalidated_reason: a.reason })),
    chart_set_baseline: (a: { tooth: string; baseline: string }) =>
      next({ baseline: { ...store.view.baseline, [a.tooth]: a.baseline as ChartView["baseline"][string] } }),
    chart_add_note: (a: { note: NewNote }) =>
      next({ notes: [...store.view.notes, note({ ...a.note, id: `n-new-${++n}`, created_at: "2026-11-23T10:00:00Z" })] }),
    chart_edit_note: (a: { note_id: string; text: string }) =>
      next({ notes: store.view.notes.map((x) => (x.id === a.note_id ? { ...x, text: a.text } : x)) }),
    chart_sign_note: (a: { note_id: string }) =>
      next({
        notes: store.view.notes.map((x) =>
          x.id === a.note_id
            ? { ...x, signed: { id: "sig-1", note_id: x.id, text: x.text, by: "prof-ana", at: "2026-11-23T13:05:00Z", content_hash: "ab12cd34ef56" + "0".repeat(52), key_id: null, ed25519: null, verification: { state: "unverifiable", reason: "no_key" } } }
            : x,
        ),
      }),
    chart_save_anamnesis: (a: { anamnesis: ChartView["anamnesis"] }) =>
      next({
        anamnesis: { ...a.anamnesis, updated_at: "2026-11-23T13:00:00Z", updated_by: "prof-ana" },
        alerts: [
          ...a.anamnesis.allergies.map((label) => ({ kind: "allergy" as const, label })),
          ...Object.entries(a.anamnesis.conditions)
            .filter(([, v]) => v)
            .map(([label]) => ({ kind: "condition" as const, label })),
        ],
      }),
  };
  return { store, handlers };
}
