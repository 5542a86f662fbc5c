import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Appointment, Block } from "../src/types";
import { appointment, backend, baseHandlers, renderShell, reject } from "./helpers";

// Monday 23 November 2026
const NOW = new Date(2026, 10, 23, 8, 30);

function slot(start: string, attr: "professional" | "chair", id: string): HTMLElement | undefined {
  return screen
    .queryAllByTestId("agenda-slot")
    .find((s) => s.getAttribute("data-start") === start && s.getAttribute(`data-${attr}`) === id);
}

function findSlot(start: string, attr: "professional" | "chair", id: string): Promise<HTMLElement> {
  return waitFor(() => {
    const s = slot(start, attr, id);
    if (!s) throw new Error(`no free slot ${start} ${attr} ${id}`);
    return s;
  });
}

/** An agenda store the mocked commands read and write. */
function agendaStore(initial: Appointment[], blocks: Block[] = []) {
  const list = [...initial];
  return {
    list,
    handlers: {
      agenda: (a: { from: string; to: string; professional_id?: string; chair_id?: string }) => ({
        appointments: list.filter(
          (x) =>
            x.start.slice(0, 10) >= a.from &&
            x.start.slice(0, 10) < a.to &&
            (!a.professional_id || x.professional_id === a.professional_id) &&
            (!a.chair_id || x.chair_id === a.chair_id),
        ),
        blocks,
      }),
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});

describe("agenda", () => {
  test("day view: columns per professional, 15-minute slots over opening hours, lunch and blocks shaded", async () => {
    const store = agendaStore(
      [appointment({ id: "ap-1", start: "2026-11-23 09:00", duration_min: 45 })],
      [{ id: "b-1", professional_id: "prof-bruno", chair_id: null, start: "2026-11-23 10:00", end: "2026-11-23 11:00", reason: "curso" }],
    );
    const be = backend(baseHandlers(store.handlers));
    renderShell({ kind: "agenda" });

    const card = await screen.findByTestId("appointment");
    expect(be.argsOf("agenda")[0]).toEqual({ from: "2026-11-23", to: "2026-11-24" });
    expect((screen.getByTestId("agenda-date") as HTMLInputElement).value).toBe("2026-11-23");
    expect(card.getAttribute("data-id")).toBe("ap-1");
    expect(card.getAttribute("data-status")).toBe("agendado");
    expect(card.getAttribute("data-start")).toBe("2026-11-23 09:00");
    expect(card.textContent).toContain("João da Silva");

    // 08:00–12:00 and 13:00–18:00 = 36 rows; Ana loses 3 to the appointment, Bruno 4 to the block
    expect(slot("2026-11-23 08:00", "professional", "prof-ana")).toBeTruthy();
    expect(slot("2026-11-23 09:00", "professional", "prof-ana")).toBeUndefined();
    expect(slot("2026-11-23 09:30", "professional", "prof-ana")).toBeUndefined();
    expect(slot("2026-11-23 09:45", "professional", "prof-ana")).toBeTruthy();
    expect(slot("2026-11-23 12:00", "professional", "prof-ana")).toBeUndefined();
    expect(slot("2026-11-23 12:45", "professional", "prof-ana")).toBeUndefined();
    expect(slot("2026-11-23 13:00", "professional", "prof-ana")).toBeTruthy();
    expect(slot("2026-11-23 10:15", "professional", "prof-bruno")).toBeUndefined();
    expect(slot("2026-11-23 11:00", "professional", "prof-bruno")).toBeTruthy();
    expect(screen.getAllByTestId("agenda-slot")).toHaveLength(36 - 3 + 36 - 4);
    expect(screen.getByText("Bloqueado: curso")).toBeTruthy();
  });

  test("clicking a slot opens the booking dialog prefilled; picking a patient and saving books it", async () => {
    const user = userEvent.setup();
    const store = agendaStore([appointment({ id: "ap-1", start: "2026-11-23 10:00", chair_id: "chair-1", professional_id: "prof-bruno" })]);
    const be = backend(
      baseHandlers({
        ...store.handlers,
        search_patients: (a: { query: string }) =>
          a.query.toLowerCase().startsWith("mar")
            ? [{ id: "pat-maria", name: "Maria Souza", social_name: null, birth_date: null, cpf: "52998224725", phones: [], email: null }]
            : [],
        book: (a: { patient_id: string; professional_id: string; chair_id: string; start: string; duration_min: number; notes: string }) => {
          const made = appointment({
            id: "ap-new",
            start: a.start,
            duration_min: a.duration_min,
            patient_id: a.patient_id,
            patient_name: "Maria Souza",
            professional_id: a.professional_id,
            chair_id: a.chair_id,
            notes: a.notes,
          });
          store.list.push(made);
          return made;
        },
      }),
    );
    renderShell({ kind: "agenda" });

    await user.click(await findSlot("2026-11-23 10:00", "professional", "prof-ana"));
    const dialog = await screen.findByRole("dialog");
    expect((within(dialog).getByTestId("booking-start") as HTMLInputElement).value).toBe("2026-11-23 10:00");
    expect((within(dialog).getByTestId("booking-professional") as HTMLSelectElement).value).toBe("prof-ana");
    // Cadeira 1 is taken by Bruno at 10:00: the free one is offered
    expect((within(dialog).getByTestId("booking-chair") as HTMLSelectElement).value).toBe("chair-2");
    expect((within(dialog).getByTestId("booking-duration") as HTMLInputElement).value).toBe("30");
    expect(document.activeElement).toBe(within(dialog).getByTestId("booking-patient"));

    // saving without a patient is refused here
    await user.click(within(dialog).getByTestId("booking-save"));
    expect(within(dialog).getByTestId("booking-error").textContent).toBe("Escolha um paciente da lista.");
    expect(be.argsOf("book")).toHaveLength(0);

    await user.type(within(dialog).getByTestId("booking-patient"), "mar");
    const option = await within(dialog).findByTestId("booking-patient-option");
    expect(option.getAttribute("data-id")).toBe("pat-maria");
    expect(option.textContent).toContain("529.982.247-25");
    await user.click(option);
    await user.clear(within(dialog).getByTestId("booking-duration"));
    await user.type(within(dialog).getByTestId("booking-duration"), "45");
    await user.type(within(dialog).getByTestId("booking-notes"), "avaliação");
    await user.click(within(dialog).getByTestId("booking-save"));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(be.argsOf("book")).toEqual([
      {
        patient_id: "pat-maria",
        professional_id: "prof-ana",
        chair_id: "chair-2",
        start: "2026-11-23 10:00",
        duration_min: 45,
        notes: "avaliação",
      },
    ]);
    await waitFor(() =>
      expect(screen.getAllByTestId("appointment").map((c) => c.getAttribute("data-id")).sort()).toEqual(["ap-1", "ap-new"]),
    );
    expect(slot("2026-11-23 10:30", "professional", "prof-ana")).toBeUndefined();
    expect(slot("2026-11-23 10:45", "professional", "prof-ana")).toBeTruthy();
  });

  test("a refused booking shows the pt-BR reason in the dialog; Escape closes it", async () => {
    const user = userEvent.setup();
    backend(
      baseHandlers({
        search_patients: () => [
          { id: "pat-joao", name: "João da Silva", social_name: null, birth_date: null, cpf: null, phones: [], email: null },
        ],
        book: () => reject("overlap", "cannot book: overlaps appointment …"),
      }),
    );
    renderShell({ kind: "agenda" });
    await user.click(await findSlot("2026-11-23 08:00", "professional", "prof-ana"));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByTestId("booking-patient"), "jo");
    await user.keyboard("{ArrowDown}");
    await within(dialog).findByTestId("booking-patient-option");
    await user.keyboard("{Enter}");
    await user.click(within(dialog).getByTestId("booking-save"));
    expect((await within(dialog).findByTestId("booking-error")).textContent).toBe(
      "Horário ocupado: já há consulta para este profissional ou esta cadeira.",
    );
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  test("grouped by chair, slots carry the chair; week view asks for one resource's week", async () => {
    const user = userEvent.setup();
    const be = backend(baseHandlers());
    renderShell({ kind: "agenda" });
    await user.click(await screen.findByTestId("agenda-group-chair"));
    expect(slot("2026-11-23 08:00", "chair", "chair-2")).toBeTruthy();
    expect(screen.getByTestId("agenda-group-chair").getAttribute("aria-pressed")).toBe("true");

    await user.click(screen.getByTestId("agenda-view-week"));
    await waitFor(() =>
      expect(be.argsOf("agenda")).toContainEqual({ from: "2026-11-23", to: "2026-11-30", chair_id: "chair-1" }),
    );
    // Saturday is open in the morning only; Sunday is closed
    await waitFor(() => expect(slot("2026-11-28 08:00", "chair", "chair-1")).toBeTruthy());
    expect(slot("2026-11-28 13:00", "chair", "chair-1")).toBeUndefined();
    expect(screen.queryAllByTestId("agenda-slot").some((s) => s.getAttribute("data-start")?.startsWith("2026-11-29"))).toBe(false);

    await user.click(screen.getByTestId("agenda-next"));
    await waitFor(() =>
      expect(be.argsOf("agenda")).toContainEqual({ from: "2026-11-30", to: "2026-12-07", chair_id: "chair-1" }),
    );
    expect((screen.getByTestId("agenda-date") as HTMLInputElement).value).toBe("2026-11-30");
    await user.click(screen.getByTestId("agenda-today"));
    expect((screen.getByTestId("agenda-date") as HTMLInputElement).value).toBe("2026-11-23");
    await user.click(screen.getByTestId("agenda-view-day"));
    await user.click(screen.getByTestId("agenda-prev"));
    expect((screen.getByTestId("agenda-date") as HTMLInputElement).value).toBe("2026-11-22");
    expect(await screen.findByTestId("agenda-closed")).toBeTruthy();
  });

  test("the status select changes the status; cancelado asks for a reason", async () => {
    const user = userEvent.setup();
    const store = agendaStore([appointment({ id: "ap-1", start: "2026-11-23 09:00" })]);
    const be = backend(
      baseHandlers({
        ...store.handlers,
        set_appointment_status: (a: { id: string; status: Appointment["status"] }) => {
          store.list[0] = { ...store.list[0], status: a.status };
          return store.list[0];
        },
      }),
    );
    renderShell({ kind: "agenda" });
    const card = await screen.findByTestId("appointment");
    await user.selectOptions(within(card).getByTestId("appointment-status"), "confirmado");
    await waitFor(() => expect(screen.getByTestId("appointment").getAttribute("data-status")).toBe("confirmado"));
    expect(be.argsOf("set_appointment_status")).toEqual([{ id: "ap-1", status: "confirmado" }]);

    await user.selectOptions(within(screen.getByTestId("appointment")).getByTestId("appointment-status"), "cancelado");
    const dialog = await screen.findByRole("dialog");
    expect(be.argsOf("set_appointment_status")).toHaveLength(1);
    await user.type(within(dialog).getByTestId("cancel-reason"), "paciente pediu");
    await user.click(within(dialog).getByTestId("cancel-confirm"));
    await waitFor(() => expect(screen.queryByTestId("appointment")).toBeNull());
    expect(be.argsOf("set_appointment_status")[1]).toEqual({ id: "ap-1", status: "cancelado", reason: "paciente pediu" });
    // the freed slot is offered again
    expect(slot("2026-11-23 09:00", "professional", "prof-ana")).toBeTruthy();
  });

  test("Remarcar from the card's menu moves with only what changed", async () => {
    const user = userEvent.setup();
    const store = agendaStore([appointment({ id: "ap-1", start: "2026-11-23 09:00" })]);
    const be = backend(
      baseHandlers({
        ...store.handlers,
        move_appointment: (a: { id: string; start?: string }) => {
          store.list[0] = { ...store.list[0], start: a.start ?? store.list[0].start };
          return store.list[0];
        },
      }),
    );
    renderShell({ kind: "agenda" });
    const card = await screen.findByTestId("appointment");
    await user.click(within(card).getByTestId("appointment-menu"));
    await user.click(await screen.findByTestId("appointment-reschedule"));
    const dialog = await screen.findByRole("dialog");
    const time = within(dialog).getByTestId("reschedule-time") as HTMLInputElement;
    expect(time.value).toBe("09:00");
    await user.clear(time);
    await user.type(time, "14:15");
    await user.click(within(dialog).getByTestId("reschedule-save"));
    await waitFor(() => expect(screen.getByTestId("appointment").getAttribute("data-start")).toBe("2026-11-23 14:15"));
    expect(be.argsOf("move_appointment")).toEqual([{ id: "ap-1", start: "2026-11-23 14:15" }]);
  });
});

describe("agenda drag and drop (pointer events)", () => {
  const ROW = 24; // px per 15 minutes, as AgendaGrid draws it
  function geometry() {
    const rect = (left: number, top: number, width: number, height: number) =>
      ({ left, top, width, height, right: left + width, bottom: top + height, x: left, y: top, toJSON: () => ({}) }) as DOMRect;
    vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
      const col = this.getAttribute("data-column");
      if (col) return rect(col === "prof-ana" ? 100 : 300, 0, 200, 36 * ROW);
      if (this.classList.contains("appt")) {
        const parent = this.parentElement!.getAttribute("data-column");
        return rect(parent === "prof-ana" ? 100 : 300, parseFloat(this.style.top), 200, parseFloat(this.style.height));
      }
      return rect(0, 0, 0, 0);
    });
  }

  test("dragging a card to another professional's column at 10:00 moves it there", async () => {
    geometry();
    const store = agendaStore([appointment({ id: "ap-1", start: "2026-11-23 09:00" })]);
    const be = backend(baseHandlers({ ...store.handlers, move_appointment: () => store.list[0] }));
    renderShell({ kind: "agenda" });
    const card = await screen.findByTestId("appointment");
    const top = parseFloat(card.style.top);
    fireEvent.pointerDown(card, { button: 0, pointerId: 1, clientX: 150, clientY: top + 5 });
    fireEvent.pointerMove(window, { pointerId: 1, clientX: 340, clientY: 8 * ROW + 5 });
    expect(document.querySelector(".appt-ghost")?.textContent).toBe("10:00–10:30");
    fireEvent.pointerUp(window, { pointerId: 1, clientX: 340, clientY: 8 * ROW + 5 });
    await waitFor(() => expect(be.argsOf("move_appointment")).toHaveLength(1));
    expect(be.argsOf("move_appointment")[0]).toEqual({
      id: "ap-1",
      start: "2026-11-23 10:00",
      professional_id: "prof-bruno",
    });
  });

  test("dragging the bottom edge resizes; a tiny drag or Escape does nothing", async () => {
    geometry();
    const store = agendaStore([appointment({ id: "ap-1", start: "2026-11-23 09:00" })]);
    const be = backend(baseHandlers({ ...store.handlers, move_appointment: () => store.list[0] }));
    renderShell({ kind: "agenda" });
    const card = await screen.findByTestId("appointment");
    const handle = card.querySelector(".appt-resize")!;

    // a click-sized wiggle is not a drag
    fireEvent.pointerDown(card, { button: 0, pointerId: 1, clientX: 150, clientY: 100 });
    fireEvent.pointerMove(window, { pointerId: 1, clientX: 151, clientY: 102 });
    fireEvent.pointerUp(window, { pointerId: 1, clientX: 151, clientY: 102 });
    // Escape abandons a drag
    fireEvent.pointerDown(card, { button: 0, pointerId: 1, clientX: 150, clientY: 100 });
    fireEvent.pointerMove(window, { pointerId: 1, clientX: 150, clientY: 300 });
    fireEvent.keyDown(window, { key: "Escape" });
    fireEvent.pointerUp(window, { pointerId: 1, clientX: 150, clientY: 300 });
    expect(be.argsOf("move_appointment")).toHaveLength(0);

    const cardTop = 4 * ROW; // 09:00 in a grid starting at 08:00
    fireEvent.pointerDown(handle, { button: 0, pointerId: 2, clientX: 150, clientY: cardTop + 2 * ROW });
    fireEvent.pointerMove(window, { pointerId: 2, clientX: 150, clientY: cardTop + 4 * ROW + 3 });
    fireEvent.pointerUp(window, { pointerId: 2, clientX: 150, clientY: cardTop + 4 * ROW + 3 });
    await waitFor(() => expect(be.argsOf("move_appointment")).toEqual([{ id: "ap-1", duration_min: 60 }]));
  });

  test("a card shows the patient's clinical alerts when the chart is on this workstation", async () => {
    const store = agendaStore([
      appointment({
        id: "ap-1",
        start: "2026-11-23 09:00",
        patient_alerts: [
          { kind: "allergy", label: "penicilina" },
          { kind: "anticoagulant", label: "" },
          { kind: "condition", label: "diabetes" },
        ],
      }),
      appointment({ id: "ap-2", start: "2026-11-23 10:00", patient_alerts: [] }),
      appointment({ id: "ap-3", start: "2026-11-23 11:00" }),
    ]);
    backend(baseHandlers(store.handlers));
    renderShell({ kind: "agenda" });
    await waitFor(() => expect(screen.getAllByTestId("appointment")).toHaveLength(3));
    const markers = screen.getAllByTestId("appointment-alerts");
    expect(markers).toHaveLength(1);
    expect(markers[0].closest('[data-testid="appointment"]')?.getAttribute("data-id")).toBe("ap-1");
    const text = "Alertas clínicos: Alergia: penicilina, Anticoagulante, Diabetes";
    expect(markers[0].getAttribute("aria-label")).toBe(text);
    expect(markers[0].getAttribute("title")).toBe(text);
  });
});
