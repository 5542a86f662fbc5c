import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../src/App";
import type { SyncStatus } from "../src/types";
import { appointment, backend, baseHandlers, fire, READY, renderShell, SYNCED } from "./helpers";

describe("sync indicator and alerts", () => {
  test("shows the first status, then follows sync-status events", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date(2026, 10, 23, 10, 0) });
    backend(baseHandlers({ search_patients: () => [] }));
    renderShell({ kind: "patients" });
    const indicator = screen.getByTestId("sync-indicator");
    await waitFor(() => expect(indicator.getAttribute("data-state")).toBe("up_to_date"));
    expect(indicator.textContent).toContain("Sincronizado");
    expect(screen.getByTestId("sync-pending").textContent).toBe("0 alterações pendentes");
    expect(indicator.textContent).toContain("Última sincronização às 09:41");
    expect(screen.getByTestId("alerts").querySelectorAll("li")).toHaveLength(0);

    const offline: SyncStatus = {
      ...SYNCED,
      state: "offline",
      pending: 3,
      last_error: "connection refused",
      updated_at: 2000,
    };
    await fire("sync-status", offline);
    expect(indicator.getAttribute("data-state")).toBe("offline");
    expect(indicator.textContent).toContain("Offline");
    expect(screen.getByTestId("sync-pending").textContent).toBe("3 alterações pendentes");
    expect(screen.getByTestId("alerts").textContent).toContain("Erro de sincronização: connection refused");

    await fire("sync-status", { ...offline, state: "syncing", pending: 1, last_error: null, updated_at: 3000 });
    expect(indicator.getAttribute("data-state")).toBe("syncing");
    expect(indicator.textContent).toContain("Sincronizando");
    expect(screen.getByTestId("sync-pending").textContent).toBe("1 alteração pendente");

    await fire("sync-status", {
      ...offline,
      state: "connecting",
      needs_login: true,
      last_success: new Date(2026, 10, 22, 18, 5).getTime(),
      updated_at: 4000,
    });
    expect(indicator.textContent).toContain("Última sincronização em 22/11 às 18:05");
    expect(indicator.textContent).toContain("Conectando");
    expect(screen.getByTestId("alerts").textContent).toContain("Faça login novamente");

    await fire("sync-status", { ...SYNCED, quarantined: 2, updated_at: 5000 });
    const alert = screen.getByTestId("alerts").querySelector('[data-alert="quarantine"]');
    expect(alert?.textContent).toContain("2 alterações foram postas de lado");
  });

  test("an older answer never overwrites a newer event", async () => {
    let answer: ((s: SyncStatus) => void) | undefined;
    backend(baseHandlers({ sync_status: () => new Promise<SyncStatus>((r) => (answer = r)) }));
    renderShell({ kind: "patients" });
    // The shell has asked for the status: its answer is still pending.
    await waitFor(() => expect(answer).toBeDefined());
    await fire("sync-status", { ...SYNCED, state: "syncing", pending: 5, updated_at: 5000 });
    await act(async () => {
      answer?.({ ...SYNCED, updated_at: 1000 });
      await new Promise((r) => setTimeout(r, 10));
    });
    expect(screen.getByTestId("sync-indicator").getAttribute("data-state")).toBe("syncing");
    expect(screen.getByTestId("sync-pending").textContent).toContain("5");
  });

  test("Sincronizar agora asks for a sync; 'Faça login novamente' leads to the login", async () => {
    const user = userEvent.setup();
    const be = backend(
      baseHandlers({
        sync_status: () => ({ ...SYNCED, needs_login: true }),
        sync_now: () => null,
        lock: () => ({ ...READY, state: "locked", user: null }),
      }),
    );
    render(<App />);
    await user.click(await screen.findByTestId("sync-now"));
    expect(be.argsOf("sync_now")).toHaveLength(1);
    const alerts = screen.getByTestId("alerts");
    await user.click(await within(alerts).findByRole("button", { name: "Entrar de novo" }));
    expect(await screen.findByTestId("login-submit")).toBeTruthy();
  });

  test("English is one switch away", async () => {
    const user = userEvent.setup();
    backend(baseHandlers());
    renderShell({ kind: "patients" });
    await waitFor(() => expect(screen.getByTestId("sync-indicator").getAttribute("data-state")).toBe("up_to_date"));
    await user.selectOptions(screen.getByTestId("language-switch"), "en");
    expect(screen.getByTestId("sync-indicator").textContent).toContain("Up to date");
    expect(screen.getByTestId("nav-patients").textContent).toBe("Patients");
    expect(document.documentElement.lang).toBe("en");
    expect(window.localStorage.getItem("arcada.language")).toBe("en");
  });
});

describe("conflicts", () => {
  const A = appointment({ id: "ap-a", start: "2026-11-23 09:00", patient_name: "João da Silva" });
  const B = appointment({
    id: "ap-b",
    start: "2026-11-23 09:15",
    patient_id: "pat-maria",
    patient_name: "Maria Souza",
    chair_id: "chair-2",
  });

  test("the banner shows both appointments side by side; cancelling one goes through the reason dialog", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date(2026, 10, 23, 8, 0) });
    const user = userEvent.setup();
    let conflicts = [{ id: "c-1", resource: "professional", resource_id: "prof-ana", day: "2026-11-23", appointments: [A, B] }];
    const be = backend(
      baseHandlers({
        conflicts: () => conflicts,
        agenda: () => ({ appointments: [A, B], blocks: [] }),
        set_appointment_status: () => {
          conflicts = [];
          return { ...B, status: "cancelado" };
        },
      }),
    );
    renderShell({ kind: "agenda" });

    const banner = await screen.findByTestId("conflict-banner");
    expect(banner.textContent).toContain("Profissional Dra. Ana Costa em 23/11/2026");
    const sides = within(banner).getAllByTestId("conflict-appointment");
    expect(sides.map((s) => s.getAttribute("data-id"))).toEqual(["ap-a", "ap-b"]);
    expect(sides[0].textContent).toContain("João da Silva");
    expect(sides[0].textContent).toContain("09:00–09:30");
    expect(sides[1].textContent).toContain("Maria Souza");
    expect(sides[1].textContent).toContain("Cadeira 2");
    expect(screen.getByTestId("alerts").textContent).toContain("1 conflito na agenda");
    // both cards are on the grid, side by side
    const cards = screen.getAllByTestId("appointment");
    expect(cards).toHaveLength(2);
    expect(cards[0].style.width).toBe(cards[1].style.width);
    expect(cards[0].style.left).not.toBe(cards[1].style.left);

    await user.click(within(sides[1]).getByTestId("conflict-cancel"));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByTestId("cancel-reason"), "duplicado");
    await user.click(within(dialog).getByTestId("cancel-confirm"));
    await waitFor(() => expect(screen.queryByTestId("conflict-banner")).toBeNull());
    expect(be.argsOf("set_appointment_status")).toEqual([{ id: "ap-b", status: "cancelado", reason: "duplicado" }]);
    expect(screen.getByTestId("alerts").textContent).not.toContain("conflito");
  });

  test("moving one from the banner opens Remarcar for that appointment", async () => {
    const user = userEvent.setup();
    const be = backend(
      baseHandlers({
        conflicts: () => [{ id: "c-1", resource: "chair", resource_id: "chair-1", day: "2026-11-23", appointments: [A, B] }],
        move_appointment: () => A,
      }),
    );
    renderShell({ kind: "agenda" });
    const banner = await screen.findByTestId("conflict-banner");
    expect(banner.textContent).toContain("Cadeira Cadeira 1 em 23/11/2026");
    await user.click(within(banner).getAllByTestId("conflict-move")[0]);
    const dialog = await screen.findByRole("dialog");
    const date = within(dialog).getByTestId("reschedule-date") as HTMLInputElement;
    expect(date.value).toBe("2026-11-23");
    await user.clear(date);
    await user.type(date, "2026-11-24");
    await user.click(within(dialog).getByTestId("reschedule-save"));
    await waitFor(() => expect(be.argsOf("move_appointment")).toEqual([{ id: "ap-a", start: "2026-11-24 09:00" }]));
  });

  test("a data-changed event reloads conflicts and the agenda", async () => {
    let conflicts: unknown[] = [];
    const be = backend(baseHandlers({ conflicts: () => conflicts }));
    renderShell({ kind: "agenda" });
    await waitFor(() => expect(be.argsOf("agenda").length).toBe(1));
    expect(screen.queryByTestId("conflict-banner")).toBeNull();
    conflicts = [{ id: "c-1", resource: "professional", resource_id: "prof-ana", day: "2026-11-23", appointments: [A, B] }];
    await fire("data-changed", {});
    expect(await screen.findByTestId("conflict-banner")).toBeTruthy();
    await waitFor(() => expect(be.argsOf("agenda").length).toBe(2));
  });
});
