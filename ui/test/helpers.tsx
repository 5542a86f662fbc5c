// A fake Tauri backend at the IPC boundary (mockIPC), with events mocked too.
import { render } from "@testing-library/react";
import { act } from "react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { Shell } from "../src/screens/Shell";
import type { View } from "../src/context";
import type { Appointment, Directory, SessionState, SyncStatus } from "../src/types";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (args: any) => unknown;
export type Call = { cmd: string; args: Record<string, unknown> };

export function backend(handlers: Record<string, Handler>) {
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      const h = handlers[cmd];
      if (!h) throw { code: "internal", message: `no mock for ${cmd}` };
      return h(args ?? {});
    },
    { shouldMockEvents: true },
  );
  return {
    calls,
    argsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}

/** Rejects the way the Tauri shell does: with an ApiError object. */
export function reject(code: string, message = "", field?: string): never {
  throw field ? { code, message, field } : { code, message };
}

export async function fire(event: string, payload: unknown) {
  await act(async () => {
    await emit(event, payload);
  });
}

export const READY: SessionState = {
  state: "ready",
  server: "http://127.0.0.1:8787",
  org_name: "Clínica Sorriso",
  user: { user_id: "u-1", email: "recepcao@sorriso.com.br", role: "recepcao", last_login: 1000 },
  known_users: [],
};

export const SYNCED: SyncStatus = {
  state: "up_to_date",
  pending: 0,
  quarantined: 0,
  last_success: new Date(2026, 10, 23, 9, 41).getTime(),
  last_error: null,
  needs_login: false,
  running: true,
  updated_at: 1000,
};

export const DIRECTORY: Directory = {
  org_name: "Clínica Sorriso",
  site: {
    id: "site-1",
    name: "Matriz",
    timezone: "America/Sao_Paulo",
    hours: ["seg", "ter", "qua", "qui", "sex"]
      .flatMap((day) => [
        { day, open: "08:00", close: "12:00" },
        { day, open: "13:00", close: "18:00" },
      ])
      .concat([{ day: "sab", open: "08:00", close: "12:00" }]) as Directory["site"]["hours"],
  },
  professionals: [
    { id: "prof-ana", name: "Dra. Ana Costa", cro: "CRO-SP 1234", active: true },
    { id: "prof-bruno", name: "Dr. Bruno Lima", cro: null, active: true },
  ],
  chairs: [
    { id: "chair-1", name: "Cadeira 1", active: true, site_id: "site-1" },
    { id: "chair-2", name: "Cadeira 2", active: true, site_id: "site-1" },
  ],
};

export function appointment(over: Partial<Appointment> & { id: string; start: string }): Appointment {
  const duration = over.duration_min ?? 30;
  const [day, time] = over.start.split(" ");
  const [h, m] = time.split(":").map(Number);
  const endMin = h * 60 + m + duration;
  const end = `${day} ${String(Math.floor(endMin / 60)).padStart(2, "0")}:${String(endMin % 60).padStart(2, "0")}`;
  return {
    agenda_id: "agenda-w48",
    site_id: "site-1",
    patient_id: "pat-joao",
    patient_name: "João da Silva",
    professional_id: "prof-ana",
    chair_id: "chair-1",
    end,
    duration_min: duration,
    status: "agendado",
    procedures: [],
    notes: "",
    patient_alerts: [],
    ...over,
  };
}

/** Handlers every signed-in screen needs; override per test. */
export function baseHandlers(over: Record<string, Handler> = {}): Record<string, Handler> {
  return {
    session: () => READY,
    sync_status: () => SYNCED,
    directory: () => DIRECTORY,
    conflicts: () => [],
    agenda: () => ({ appointments: [], blocks: [] }),
    search_patients: () => [],
    inbox_list: () => [],
    ...over,
  };
}

export function renderShell(view: View, session: SessionState = READY) {
  const onSession = vi.fn();
  const utils = render(<Shell session={session} onSession={onSession} initialView={view} />);
  return { ...utils, onSession };
}
