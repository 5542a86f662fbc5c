import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import i18n from "../src/i18n";
import { backend, baseHandlers, fire, reject, renderShell } from "./helpers";
import { CATALOGUE, chartStore, chartView, CLINICO, entry, note, PATIENT, sessionAs } from "./chartFixtures";

const CHART = { kind: "chart", id: "pat-joao" } as const;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(2026, 10, 23, 10, 0) });
});

const tooth = (n: string) => screen.getByRole("button", { name: `Dente ${n}` });
const face = (id: string) => document.querySelector(`[data-surface="${id}"]`) as SVGPathElement;
const select = (id: string) => screen.getByTestId(id) as HTMLSelectElement;

async function openChart(store = chartStore(), over = {}) {
  const be = backend(baseHandlers({ ...store.handlers, ...over }));
  renderShell(CHART, CLINICO);
  await screen.findByTestId("odontogram");
  await waitFor(() => expect(screen.getByTestId("chart-patient-name").textContent).toBe("João da Silva"));
  return be;
}

describe("odontogram", () => {
  test("32 permanent and 20 primary teeth in chart order, labelled, with the faces each tooth has", async () => {
    const user = userEvent.setup();
    await openChart();
    const teeth = screen.getAllByRole("button", { name: /^Dente \d\d$/ });
    expect(teeth).toHaveLength(52);
    const row = (key: string) =>
      [...document.querySelectorAll(`[data-row="${key}"] [data-tooth]`)].map((el) => el.getAttribute("data-tooth"));
    expect(row("upper-permanent")).toEqual(["18", "17", "16", "15", "14", "13", "12", "11", "21", "22", "23", "24", "25", "26", "27", "28"]);
    expect(row("lower-permanent")).toEqual(["48", "47", "46", "45", "44", "43", "42", "41", "31", "32", "33", "34", "35", "36", "37", "38"]);
    expect(row("upper-deciduous")).toEqual(["55", "54", "53", "52", "51", "61", "62", "63", "64", "65"]);
    expect(row("lower-deciduous")).toEqual(["85", "84", "83", "82", "81", "71", "72", "73", "74", "75"]);
    for (const el of teeth) {
      expect(el.getAttribute("tabindex")).toBe("0");
      expect(el.getAttribute("aria-label")).toBe(`Dente ${el.getAttribute("data-tooth")}`);
    }

    const faces = (n: string) =>
      [...tooth(n).querySelectorAll("[data-surface]")].map((f) => f.getAttribute("data-surface")).sort();
    expect(faces("36")).toEqual(["36-D", "36-L", "36-M", "36-O", "36-V"]);
    expect(faces("11")).toEqual(["11-D", "11-I", "11-M", "11-P", "11-V"]);
    expect(faces("55")).toEqual(["55-D", "55-M", "55-O", "55-P", "55-V"]);
    // mesial faces the midline: the right-hand side on 46, the left-hand side on 36
    const left = "M0 0L8 8V20L0 28Z";
    expect(face("36-M").getAttribute("d")).toBe(left);
    expect(face("46-D").getAttribute("d")).toBe(left);
    // vestibular faces out of the mouth: top on upper teeth, bottom on lower ones
    expect(face("16-V").getAttribute("d")).toBe(face("36-L").getAttribute("d"));

    await user.click(screen.getByTestId("toggle-deciduous"));
    expect(screen.getAllByRole("button", { name: /^Dente \d\d$/ })).toHaveLength(32);
    await user.click(screen.getByTestId("toggle-deciduous"));
    expect(screen.getAllByRole("button", { name: /^Dente \d\d$/ })).toHaveLength(52);

    await act(async () => {
      await i18n.changeLanguage("en");
    });
    expect(screen.getByRole("button", { name: "Tooth 36" }).getAttribute("data-tooth")).toBe("36");
  });

  test("entries draw in their colour; invalidated ones do not; baseline and legend", async () => {
    await openChart(
      chartStore(
        chartView({
          baseline: { "18": "ausente", "46": "implante" },
          entries: [
            entry({ id: "e-1", region: "36", code: "restauracao-resina", surfaces: ["M", "O"], status: "realizado" }),
            entry({ id: "e-2", region: "36", code: "carie", surfaces: ["D"], status: "condicao" }),
            entry({ id: "e-3", region: "21", code: "carie", surfaces: ["V"], invalidated_reason: "dente errado", status: "invalidado" }),
            entry({ id: "e-4", region: "26", code: "extracao" }),
          ],
        }),
      ),
    );
    expect(face("36-O").getAttribute("data-colour")).toBe("#1565c0");
    expect(face("36-M").getAttribute("data-colour")).toBe("#1565c0");
    expect(face("36-D").getAttribute("data-colour")).toBe("#d32f2f");
    expect(face("36-V").getAttribute("data-colour")).toBeNull();
    expect(tooth("36").getAttribute("data-has-entries")).toBe("true");
    expect(tooth("37").getAttribute("data-has-entries")).toBeNull();
    expect(face("21-V").getAttribute("data-colour")).toBeNull();
    expect(tooth("26").querySelector(".mark.extraction")?.getAttribute("stroke")).toBe("#d32f2f");
    expect(tooth("18").getAttribute("data-baseline")).toBe("ausente");
    expect(tooth("46").querySelector(".baseline-mark")).toBeTruthy();
    const legend = screen.getByTestId("legend");
    expect(legend.textContent).toContain("Condição/achado");
    expect(legend.textContent).toContain("Existente (outro profissional)");
  });

  test("arrow keys move between teeth, Home/End to the row's ends, Enter selects", async () => {
    const user = userEvent.setup();
    await openChart();
    tooth("18").focus();
    await user.keyboard("{ArrowRight}");
    expect(document.activeElement).toBe(tooth("17"));
    await user.keyboard("{ArrowLeft}{ArrowLeft}");
    expect(document.activeElement).toBe(tooth("18"));
    await user.keyboard("{End}");
    expect(document.activeElement).toBe(tooth("28"));
    // down: the primary row (65 is nearest 28), then 75, then 35 (under which 75 sits)
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(tooth("65"));
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(document.activeElement).toBe(tooth("35"));
    // nothing below the last row: focus stays
    await user.keyboard("{End}{ArrowDown}");
    expect(document.activeElement).toBe(tooth("38"));
    await user.keyboard("{ArrowUp}");
    expect(document.activeElement).toBe(tooth("75"));
    await user.keyboard("{Enter}");
    expect(tooth("75").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("selected-tooth").textContent).toBe("Dente 75 selecionado");
    tooth("36").focus();
    await user.keyboard(" ");
    expect(tooth("36").getAttribute("aria-pressed")).toBe("true");
    expect(tooth("75").getAttribute("aria-pressed")).toBe("false");
    expect(select("entry-region").value).toBe("36");
  });
});

describe("charting", () => {
  test("clicking face O of 36 and saving sends the entry; the chart returned is drawn", async () => {
    const user = userEvent.setup();
    const store = chartStore();
    const be = await openChart(store);

    await user.click(face("36-O"));
    expect(screen.getByTestId("selected-tooth").textContent).toBe("Dente 36 selecionado");
    expect(face("36-O").getAttribute("class")).toContain("marked");
    const form = screen.getByTestId("entry-form");
    // only what fits a lower molar: no region procedures, nothing inactive
    const codes = [...select("entry-code").options].map((o) => o.value).filter(Boolean);
    expect(codes.sort()).toEqual(["canal-molar", "carie", "extracao", "restauracao-resina"]);
    await user.selectOptions(within(form).getByRole("combobox", { name: "Procedimento ou condição" }), "restauracao-resina");
    expect((within(form).getByTestId("entry-surface-O") as HTMLInputElement).checked).toBe(true);
    expect(within(form).queryByTestId("entry-surface-I")).toBeNull();
    expect(within(form).queryByTestId("entry-surface-P")).toBeNull();
    expect(select("entry-status").value).toBe("planejado");
    expect([...select("entry-status").options].map((o) => o.text)).toEqual([
      "Condição/achado",
      "Planejado",
      "Aprovado",
      "Realizado",
      "Existente",
      "Existente (outro profissional)",
    ]);
    expect((screen.getByTestId("entry-date") as HTMLInputElement).value).toBe("2026-11-23");

    // no professional yet: refused here
    await user.click(screen.getByTestId("entry-save"));
    expect(screen.getByTestId("entry-professional-error").textContent).toBe("Escolha o profissional.");
    expect(be.argsOf("chart_add_entry")).toHaveLength(0);

    await user.selectOptions(form.querySelector('select[name="professional_id"]')!, "prof-ana");
    await user.type(form.querySelector('input[name="phase"]')!, "1");
    await user.click(screen.getByTestId("entry-save"));
    await waitFor(() => expect(be.argsOf("chart_add_entry")).toHaveLength(1));
    expect(be.argsOf("chart_add_entry")[0]).toEqual({
      patient_id: "pat-joao",
      entry: {
        region: "36",
        surfaces: ["O"],
        cervical: false,
        code: "restauracao-resina",
        status: "planejado",
        professional_id: "prof-ana",
        date: "2026-11-23",
        note: "",
        phase: 1,
      },
    });
    await waitFor(() => expect(face("36-O").getAttribute("data-colour")).toBe("#d32f2f"));
    expect(tooth("36").getAttribute("data-has-entries")).toBe("true");
    const rows = within(screen.getByTestId("tooth-entries")).getAllByTestId("entry-row");
    expect(rows).toHaveLength(1);
    expect(rows[0].textContent).toContain("Restauração em resina");
    expect(rows[0].textContent).toContain("Planejado");
    expect(rows[0].textContent).toContain("Dra. Ana Costa");
    // ready for the next one: faces cleared, professional kept
    expect(face("36-O").getAttribute("class")).not.toContain("marked");
    expect(select("entry-professional").value).toBe("prof-ana");

    // a condition defaults to condição; two faces are sent in M O D order
    await user.click(face("36-D"));
    await user.click(face("36-M"));
    await user.selectOptions(select("entry-code"), "carie");
    expect(select("entry-status").value).toBe("condicao");
    await user.click(screen.getByTestId("entry-save"));
    await waitFor(() => expect(be.argsOf("chart_add_entry")).toHaveLength(2));
    expect(be.argsOf("chart_add_entry")[1]).toMatchObject({
      entry: { region: "36", surfaces: ["M", "D"], code: "carie", status: "condicao", phase: 1 },
    });
  });

  test("a region entry from the panel; a whole-tooth procedure sends no faces; baseline", async () => {
    const user = userEvent.setup();
    const be = await openChart(chartStore(chartView({ entries: [entry({ id: "e-0", region: "11", code: "carie", created_by: "u-clinico", professional_id: "prof-bruno" })] })));
    // the professional of this user's latest entry is proposed
    expect(select("entry-professional").value).toBe("prof-bruno");
    await user.selectOptions(select("entry-region"), "upper");
    expect([...select("entry-code").options].map((o) => o.value).filter(Boolean)).toEqual(["profilaxia"]);
    await user.selectOptions(select("entry-code"), "profilaxia");
    expect(screen.queryByTestId("entry-surfaces")).toBeNull();
    await user.click(screen.getByTestId("entry-save"));
    await waitFor(() => expect(be.argsOf("chart_add_entry")).toHaveLength(1));
    expect(be.argsOf("chart_add_entry")[0]).toMatchObject({ entry: { region: "upper", surfaces: [], code: "profilaxia" } });
    const all = screen.getByTestId("entries");
    await waitFor(() => expect(within(all).getAllByTestId("entry-row")).toHaveLength(2));
    expect(within(all).getAllByTestId("entry-row")[1].textContent).toContain("Arcada superior");

    await user.click(tooth("11"));
    // the molar endodontics does not fit an incisor
    expect([...select("entry-code").options].map((o) => o.value)).not.toContain("canal-molar");
    await user.selectOptions(select("entry-code"), "extracao");
    expect(screen.queryByTestId("entry-surfaces")).toBeNull();
    await user.click(screen.getByTestId("entry-save"));
    await waitFor(() => expect(be.argsOf("chart_add_entry")).toHaveLength(2));
    expect(be.argsOf("chart_add_entry")[1]).toMatchObject({ entry: { region: "11", surfaces: [], code: "extracao" } });

    await user.selectOptions(select("baseline"), "ausente");
    await waitFor(() => expect(be.argsOf("chart_set_baseline")).toEqual([{ patient_id: "pat-joao", tooth: "11", baseline: "ausente" }]));
    await waitFor(() => expect(tooth("11").getAttribute("data-baseline")).toBe("ausente"));
  });

  test("the core's refusals show in pt-BR: on the field it names, else under the form", async () => {
    const user = userEvent.setup();
    let refusal: [string, string, string | undefined] = ["invalid_surface", "surface O does not exist on tooth 11", "surfaces"];
    await openChart(chartStore(), { chart_add_entry: () => reject(...refusal) });
    await user.click(face("36-O"));
    await user.selectOptions(select("entry-code"), "restauracao-resina");
    await user.selectOptions(select("entry-professional"), "prof-ana");
    await user.click(screen.getByTestId("entry-save"));
    expect((await screen.findByTestId("entry-surfaces-error")).textContent).toBe("Face inválida para este dente.");

    refusal = ["unknown_procedure", "no procedure restauracao-resina", undefined];
    await user.click(screen.getByTestId("entry-save"));
    expect((await screen.findByTestId("entry-code-error")).textContent).toBe("Procedimento não encontrado no catálogo.");

    refusal = ["invalid", "Restauração em resina (restauracao-resina) is charted on a tooth, not on upper", "code"];
    await user.click(screen.getByTestId("entry-save"));
    await waitFor(() =>
      expect(screen.getByTestId("entry-code-error").textContent).toBe(
        "Este procedimento não se aplica a este dente ou região, ou está inativo no catálogo.",
      ),
    );

    refusal = ["forbidden", "chart is for clinical roles", undefined];
    await user.click(screen.getByTestId("entry-save"));
    expect((await screen.findByTestId("entry-error")).textContent).toBe("Seu papel não permite esta operação.");
  });
});

describe("entries", () => {
  const ENTRIES = [
    entry({ id: "e-1", region: "36", code: "restauracao-resina", surfaces: ["O"], note: "resina A2" }),
    entry({ id: "e-2", region: "26", code: "extracao", status: "realizado" }),
    entry({ id: "e-3", region: "21", code: "carie", surfaces: ["V"], status: "invalidado", invalidated_reason: "dente errado" }),
    entry({ id: "e-4", region: "46", code: "carie", surfaces: ["O"], status: "condicao", concurrent: true }),
  ];
  const row = (id: string) => screen.getByTestId("entries").querySelector(`[data-entry-id="${id}"]`) as HTMLElement;

  test("rows show lock, strike-through with the reason, the concurrent notice; actions only where allowed", async () => {
    await openChart(chartStore(chartView({ entries: ENTRIES })));
    expect(screen.getByTestId("entries").querySelectorAll("[data-entry-id]")).toHaveLength(4);
    expect(row("e-1").textContent).toContain("Dente 36");
    expect(row("e-1").textContent).toContain("resina A2");
    expect(row("e-1").textContent).toContain("20/11/2026");
    expect(within(row("e-2")).getByRole("img", { name: "Bloqueado" })).toBeTruthy();
    expect(within(row("e-2")).queryByTestId("entry-row-status")).toBeNull();
    expect(within(row("e-2")).queryByTestId("entry-done")).toBeNull();
    expect(within(row("e-2")).getByTestId("entry-invalidate")).toBeTruthy();
    expect(row("e-3").className).toContain("invalidated");
    expect(row("e-3").querySelector(".struck")).toBeTruthy();
    expect(within(row("e-3")).getByTestId("entry-invalidated").textContent).toBe("Invalidado: dente errado");
    expect(within(row("e-3")).queryByRole("button")).toBeNull();
    expect(within(row("e-4")).getByTestId("entry-concurrent").textContent).toContain("registrado também em outra estação");
  });

  test("a long chart lists its newest 100 entries, older ones on request", async () => {
    const user = userEvent.setup();
    const many = Array.from({ length: 250 }, (_, i) =>
      entry({ id: `e-${String(i).padStart(3, "0")}`, region: "36", code: "carie", surfaces: ["O"] }),
    );
    await openChart(chartStore(chartView({ entries: many })));
    const rows = () => [...screen.getByTestId("entries").querySelectorAll("[data-entry-id]")].map((r) => r.getAttribute("data-entry-id"));
    expect(rows()).toHaveLength(100);
    expect(rows()[0]).toBe("e-150");
    expect(rows()[99]).toBe("e-249");
    expect(screen.getByTestId("entries").textContent).toContain("Mostrando os 100 registros mais recentes de 250.");
    await user.click(screen.getByTestId("entries-older"));
    expect(rows()).toHaveLength(200);
    await user.click(screen.getByTestId("entries-older"));
    expect(rows()).toHaveLength(250);
    expect(screen.queryByTestId("entries-older")).toBeNull();
  });

  test("Invalidar needs a reason; Marcar realizado asks first, then the entry is locked", async () => {
    const user = userEvent.setup();
    const be = await openChart(chartStore(chartView({ entries: ENTRIES })));

    await user.click(within(row("e-1")).getByTestId("entry-invalidate"));
    const dialog = await screen.findByRole("dialog", { name: "Invalidar registro" });
    await user.click(within(dialog).getByTestId("invalidate-confirm"));
    expect(within(dialog).getByTestId("invalidate-reason-error").textContent).toBe("Informe o motivo.");
    expect(be.argsOf("chart_invalidate")).toHaveLength(0);
    await user.type(within(dialog).getByTestId("invalidate-reason"), "registrado no dente errado");
    await user.click(within(dialog).getByTestId("invalidate-confirm"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(be.argsOf("chart_invalidate")).toEqual([
      { patient_id: "pat-joao", entry_id: "e-1", reason: "registrado no dente errado" },
    ]);
    await waitFor(() => expect(row("e-1").className).toContain("invalidated"));
    expect(row("e-1").textContent).toContain("Invalidado: registrado no dente errado");
    // no longer drawn
    expect(face("36-O").getAttribute("data-colour")).toBeNull();

    await user.click(within(row("e-4")).getByTestId("entry-done"));
    const done = await screen.findByRole("dialog", { name: "Marcar como realizado" });
    expect(done.textContent).toContain("Após realizado, o registro fica bloqueado");
    await user.click(within(done).getByTestId("done-confirm"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(be.argsOf("chart_set_status")).toEqual([
      { patient_id: "pat-joao", entry_id: "e-4", status: "realizado", appointment_id: null },
    ]);
    await waitFor(() => expect(within(row("e-4")).getByRole("img", { name: "Bloqueado" })).toBeTruthy());
  });

  test("status select: aprovado at once, realizado after confirming; entry_locked is explained", async () => {
    const user = userEvent.setup();
    const store = chartStore(chartView({ entries: ENTRIES }));
    let locked = false;
    const be = await openChart(store, {
      chart_set_status: (a: { entry_id: string; status: "aprovado" }) =>
        locked ? reject("entry_locked", "entry is realizado") : store.handlers.chart_set_status(a),
    });
    await user.selectOptions(within(row("e-1")).getByTestId("entry-row-status"), "aprovado");
    await waitFor(() => expect(row("e-1").getAttribute("data-status")).toBe("aprovado"));
    expect(be.argsOf("chart_set_status")).toEqual([
      { patient_id: "pat-joao", entry_id: "e-1", status: "aprovado", appointment_id: null },
    ]);
    await user.selectOptions(within(row("e-1")).getByTestId("entry-row-status"), "realizado");
    const dialog = await screen.findByRole("dialog", { name: "Marcar como realizado" });
    locked = true;
    await user.click(within(dialog).getByTestId("done-confirm"));
    expect((await within(dialog).findByTestId("done-error")).textContent).toBe(
      "Este registro está bloqueado (realizado ou invalidado) e não pode mais ser alterado.",
    );
  });
});

describe("as of a date", () => {
  test("a past day is asked for, shown read-only with a banner; Atual goes back", async () => {
    const user = userEvent.setup();
    const past = chartView({ as_of: "2026-11-20", entries: [entry({ id: "e-old", region: "36", code: "carie", surfaces: ["O"], status: "condicao" })] });
    const store = chartStore(
      chartView({ history: ["2026-11-20", "2026-11-22"], notes: [note({ id: "n-1", text: "rascunho" })] }),
      { "2026-11-20": past },
    );
    const be = await openChart(store);
    expect(be.argsOf("get_chart")[0]).toEqual({ patient_id: "pat-joao", as_of: null });
    expect(screen.queryByTestId("as-of-banner")).toBeNull();
    expect([...select("as-of-history").options].map((o) => o.text)).toEqual(["Dias com alterações…", "22/11/2026", "20/11/2026"]);

    const input = screen.getByTestId("as-of") as HTMLInputElement;
    expect(input.getAttribute("name")).toBe("as_of");
    await user.type(input, "2026-11-20");
    await waitFor(() => expect(be.argsOf("get_chart")).toContainEqual({ patient_id: "pat-joao", as_of: "2026-11-20" }));
    expect((await screen.findByTestId("as-of-banner")).textContent).toBe(
      "Prontuário como estava em 20/11/2026 — somente leitura",
    );
    await waitFor(() => expect(face("36-O").getAttribute("data-colour")).toBe("#d32f2f"));
    await user.click(face("36-O"));
    expect((screen.getByTestId("entry-save") as HTMLButtonElement).disabled).toBe(true);
    expect(select("entry-code").disabled).toBe(true);
    expect(select("baseline").disabled).toBe(true);
    for (const b of within(screen.getByTestId("entries")).getAllByRole("button")) expect((b as HTMLButtonElement).disabled).toBe(true);
    for (const s of within(screen.getByTestId("entries")).getAllByTestId("entry-row-status")) expect((s as HTMLSelectElement).disabled).toBe(true);

    await user.click(screen.getByTestId("chart-tab-notes"));
    expect((screen.getByTestId("note-new") as HTMLButtonElement).disabled).toBe(true);
    await user.click(screen.getByTestId("chart-tab-anamnesis"));
    expect((screen.getByTestId("anamnesis-save") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId("anamnesis-allergies") as HTMLTextAreaElement).disabled).toBe(true);

    await user.click(screen.getByTestId("as-of-clear"));
    await waitFor(() => expect(screen.queryByTestId("as-of-banner")).toBeNull());
    expect(be.argsOf("get_chart").slice(-1)[0]).toEqual({ patient_id: "pat-joao", as_of: null });
    await waitFor(() => expect((screen.getByTestId("anamnesis-save") as HTMLButtonElement).disabled).toBe(false));
  });
});

describe("progress notes", () => {
  const SIGNED = note({
    id: "n-0",
    visit_date: "2026-11-20",
    text: "Exame clínico inicial.",
    signed: { id: "sig-0", note_id: "n-0", text: "Exame clínico inicial.", by: "prof-ana", at: "2026-11-20T13:30:00Z", content_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", key_id: null, ed25519: null, verification: { state: "unverifiable", reason: "no_key" } },
    created_at: "2026-11-20T13:00:00Z",
  });
  const DRAFT = note({ id: "n-1", visit_date: "2026-11-22", text: "Restauração 36 O.", created_at: "2026-11-22T10:00:00Z" });

  async function openNotes(store = chartStore(chartView({ notes: [SIGNED, DRAFT] }))) {
    const user = userEvent.setup();
    const be = await openChart(store);
    await user.click(screen.getByTestId("chart-tab-notes"));
    return { user, be, list: screen.getByTestId("notes") };
  }
  const item = (id: string) => document.querySelector(`[data-note-id="${id}"]`) as HTMLElement;

  test("newest first; a signed note is read-only with who, when and the short hash", async () => {
    const { list } = await openNotes();
    expect([...list.querySelectorAll("[data-note-id]")].map((n) => n.getAttribute("data-note-id"))).toEqual(["n-1", "n-0"]);
    const signed = item("n-0");
    expect(signed.querySelector("textarea")).toBeNull();
    expect(within(signed).queryByTestId("note-save")).toBeNull();
    expect(within(signed).queryByTestId("note-sign")).toBeNull();
    expect(within(signed).getByTestId("note-signature").textContent).toMatch(/^Assinada por Dra\. Ana Costa em 20\/11\/2026 \d\d:30/);
    expect(within(signed).getByTestId("note-hash").textContent).toBe("9f86d081884c");
    const draft = item("n-1");
    expect((draft.querySelector('textarea[name="note_text"]') as HTMLTextAreaElement).value).toBe("Restauração 36 O.");
  });

  test("what each signature proves is said: verified, invalid with why, or not verifiable yet", async () => {
    const sig = SIGNED.signed!;
    const valid = { ...SIGNED, signed: { ...sig, verification: { state: "valid" as const } } };
    const tampered = note({
      id: "n-2",
      visit_date: "2026-11-21",
      text: "Extração 16.",
      signed: { ...sig, id: "sig-2", note_id: "n-2", text: "Extração 16.", verification: { state: "tampered" as const, reason: "bad_signature" as const } },
      created_at: "2026-11-21T13:00:00Z",
    });
    const pending = note({
      id: "n-3",
      visit_date: "2026-11-23",
      text: "Profilaxia.",
      signed: { ...sig, id: "sig-3", note_id: "n-3", text: "Profilaxia.", verification: { state: "unverifiable" as const, reason: "key_pending" as const } },
      created_at: "2026-11-23T13:00:00Z",
    });
    await openNotes(chartStore(chartView({ notes: [valid, tampered, pending] })));
    const check = (id: string) => within(item(id)).getByTestId("signature-check");
    expect(check("n-0").textContent).toContain("Assinatura verificada");
    expect(check("n-2").getAttribute("role")).toBe("alert");
    expect(check("n-2").textContent).toContain("Assinatura inválida");
    expect(check("n-2").textContent).toContain("foram alterados");
    expect(check("n-3").getAttribute("data-state")).toBe("unverifiable");
    expect(check("n-3").textContent).toContain("próxima sincronização");
  });

  test("a draft is edited, then signed after confirming: chart_sign_note", async () => {
    const { user, be } = await openNotes();
    const draft = item("n-1");
    const area = draft.querySelector('textarea[name="note_text"]') as HTMLTextAreaElement;
    await user.type(area, " Anestesia infiltrativa.");
    await user.click(within(draft).getByTestId("note-save"));
    await waitFor(() =>
      expect(be.argsOf("chart_edit_note")).toEqual([
        { patient_id: "pat-joao", note_id: "n-1", text: "Restauração 36 O. Anestesia infiltrativa." },
      ]),
    );
    await user.click(within(draft).getByTestId("note-sign"));
    const dialog = await screen.findByRole("dialog", { name: "Assinar evolução" });
    expect(dialog.textContent).toContain("congelada");
    await user.click(within(dialog).getByTestId("sign-confirm"));
    await waitFor(() => expect(be.argsOf("chart_sign_note")).toEqual([{ patient_id: "pat-joao", note_id: "n-1" }]));
    await waitFor(() => expect(item("n-1").getAttribute("data-signed")).toBe("true"));
    expect(item("n-1").querySelector("textarea")).toBeNull();
    expect(within(item("n-1")).getByTestId("note-hash").textContent).toBe("ab12cd34ef56");
    expect(be.argsOf("chart_edit_note")).toHaveLength(1);
  });

  test("Nova evolução and Adendo add notes; an addendum says which note it corrects; diverged warns", async () => {
    const diverged = { ...SIGNED, diverged: true, amended_by: ["n-2"] };
    const amendment = note({ id: "n-2", amends: "n-0", visit_date: "2026-11-21", text: "Correção.", signed: SIGNED.signed });
    const { user, be } = await openNotes(chartStore(chartView({ notes: [diverged, amendment] })));
    expect(within(item("n-0")).getByTestId("note-diverged").textContent).toContain("não foram aplicadas");
    expect(within(item("n-2")).getByTestId("note-amends").textContent).toBe("Adendo à evolução de 20/11");

    await user.click(screen.getByTestId("note-new"));
    const composer = screen.getByTestId("note-composer");
    await user.click(within(composer).getByTestId("note-save"));
    expect(within(composer).getByTestId("note-new-text-error").textContent).toBe("Escreva a evolução.");
    await user.selectOptions(within(composer).getByTestId("note-new-professional"), "prof-ana");
    await user.type(composer.querySelector('textarea[name="note_text"]')!, "Profilaxia e orientação de higiene.");
    await user.click(within(composer).getByTestId("note-save"));
    await waitFor(() => expect(screen.queryByTestId("note-composer")).toBeNull());
    expect(be.argsOf("chart_add_note")).toEqual([
      {
        patient_id: "pat-joao",
        note: { professional_id: "prof-ana", visit_date: "2026-11-23", text: "Profilaxia e orientação de higiene.", amends: null },
      },
    ]);

    await user.click(within(item("n-0")).getByTestId("note-amend"));
    const amend = screen.getByTestId("note-composer");
    expect(amend.getAttribute("data-amends")).toBe("n-0");
    expect(within(amend).getByRole("heading").textContent).toBe("Adendo à evolução de 20/11");
    await user.type(amend.querySelector('textarea[name="note_text"]')!, "Onde se lê 36, leia-se 37.");
    await user.click(within(amend).getByTestId("note-save"));
    await waitFor(() => expect(be.argsOf("chart_add_note")).toHaveLength(2));
    expect(be.argsOf("chart_add_note")[1]).toMatchObject({ note: { professional_id: "prof-ana", amends: "n-0" } });
  });
});

describe("anamnesis and alerts", () => {
  test("alert chips in pt-BR; saving the form sends lists and conditions and refreshes the alerts", async () => {
    const user = userEvent.setup();
    const store = chartStore(
      chartView({
        alerts: [
          { kind: "allergy", label: "penicilina" },
          { kind: "anticoagulant", label: "" },
          { kind: "pregnant", label: "" },
          { kind: "condition", label: "hipertensao" },
        ],
      }),
    );
    const be = await openChart(store);
    const alerts = screen.getByTestId("chart-alerts");
    expect(alerts.getAttribute("role")).toBe("alert");
    expect([...alerts.querySelectorAll("li")].map((li) => li.textContent?.replace("⚠", "").trim())).toEqual([
      "Alergia: penicilina",
      "Anticoagulante",
      "Gestante",
      "Hipertensão",
    ]);

    await user.click(screen.getByTestId("chart-tab-anamnesis"));
    const form = screen.getByTestId("anamnesis");
    expect(screen.getByTestId("anamnesis-updated").textContent).toBe("Anamnese ainda não preenchida.");
    await user.type(screen.getByTestId("anamnesis-allergies"), "dipirona, látex");
    await user.type(screen.getByTestId("anamnesis-medications"), "losartana");
    await user.click(within(form).getByLabelText("Diabetes"));
    await user.click(within(form).getByLabelText("Usa anticoagulante"));
    await user.click(screen.getByTestId("anamnesis-pregnant-no"));
    await user.click(screen.getByTestId("anamnesis-save"));
    await waitFor(() => expect(be.argsOf("chart_save_anamnesis")).toHaveLength(1));
    const sent = be.argsOf("chart_save_anamnesis")[0] as { anamnesis: Record<string, unknown> };
    expect(sent.anamnesis).toMatchObject({
      allergies: ["dipirona", "látex"],
      medications: ["losartana"],
      anticoagulants: true,
      pregnant: false,
      notes: "",
    });
    expect((sent.anamnesis.conditions as Record<string, boolean>).diabetes).toBe(true);
    expect((sent.anamnesis.conditions as Record<string, boolean>).hipertensao).toBe(false);
    await waitFor(() => expect(screen.getByTestId("chart-alerts").textContent).toContain("Alergia: látex"));
    expect(screen.getByTestId("chart-alerts").textContent).toContain("Diabetes");
    expect(screen.getByTestId("anamnesis-updated").textContent).toMatch(/^Atualizada em 23\/11\/2026 \d\d:00 por Dra\. Ana Costa$/);
    expect((screen.getByTestId("anamnesis-allergies") as HTMLTextAreaElement).value).toBe("dipirona\nlátex");
  });
});

describe("treatment plan", () => {
  test("phases with their entries and fees, totals in reais", async () => {
    const user = userEvent.setup();
    const entries = [
      entry({ id: "p-1", region: "36", code: "restauracao-resina", surfaces: ["O"], phase: 1, fee_cents: 18000 }),
      entry({ id: "p-2", region: "26", code: "extracao", phase: 1, status: "realizado", fee_cents: 25000 }),
      entry({ id: "p-3", region: "46", code: "canal-molar", phase: 2, status: "aprovado", fee_cents: 80456 }),
    ];
    await openChart(
      chartStore(
        chartView({
          entries,
          plan: {
            phases: [
              { phase: 1, entries: ["p-1", "p-2"], total_cents: 43000, done_cents: 25000 },
              { phase: 2, entries: ["p-3"], total_cents: 80456, done_cents: 0 },
            ],
            total_cents: 123456,
            done_cents: 25000,
            pending_cents: 98456,
          },
        }),
      ),
    );
    await user.click(screen.getByTestId("chart-tab-plan"));
    const plan = screen.getByTestId("plan");
    const phases = within(plan).getAllByTestId("plan-phase");
    expect(phases).toHaveLength(2);
    expect(within(phases[0]).getByRole("heading").textContent).toBe("Fase 1");
    expect(phases[0].textContent).toContain("Restauração em resina");
    expect(phases[0].textContent).toContain("R$ 180,00");
    expect(within(phases[0]).getByTestId("plan-phase-total").textContent).toBe("R$ 430,00");
    expect(within(phases[1]).getByTestId("plan-phase-total").textContent).toBe("R$ 804,56");
    expect(screen.getByTestId("plan-total").textContent).toBe("R$ 1.234,56");
    expect(screen.getByTestId("plan-done").textContent).toBe("R$ 250,00");
    expect(screen.getByTestId("plan-pending").textContent).toBe("R$ 984,56");
  });
});

describe("who sees the chart", () => {
  test("recepção: no Prontuário on the patient page, no chart even when asked for", async () => {
    const be = backend(baseHandlers({ get_patient: () => ({ patient: PATIENT, upcoming: [] }), catalogue: () => CATALOGUE }));
    const { unmount } = renderShell({ kind: "patient", id: "pat-joao" }, sessionAs("recepcao"));
    await screen.findByTestId("patient-page");
    expect(screen.queryByTestId("open-chart")).toBeNull();
    expect(screen.queryByTestId("nav-catalogue")).toBeNull();
    unmount();
    renderShell(CHART, sessionAs("recepcao"));
    expect(await screen.findByText("Seu papel não dá acesso ao prontuário.")).toBeTruthy();
    expect(screen.queryByTestId("odontogram")).toBeNull();
    expect(be.argsOf("get_chart")).toHaveLength(0);
  });

  test("clínico: Prontuário opens the chart; gerente sees no chart but the catalogue", async () => {
    const user = userEvent.setup();
    const store = chartStore();
    backend(baseHandlers(store.handlers));
    const { unmount } = renderShell({ kind: "patient", id: "pat-joao" }, CLINICO);
    await user.click(await screen.findByTestId("open-chart"));
    expect(await screen.findByTestId("odontogram")).toBeTruthy();
    expect(screen.queryByTestId("nav-catalogue")).toBeNull();
    unmount();
    renderShell({ kind: "patient", id: "pat-joao" }, sessionAs("gerente"));
    await screen.findByTestId("patient-page");
    expect(screen.queryByTestId("open-chart")).toBeNull();
    expect(screen.getByTestId("nav-catalogue")).toBeTruthy();
  });

  test("a data-changed event reloads the chart", async () => {
    const store = chartStore();
    const be = await openChart(store);
    const before = be.argsOf("get_chart").length;
    store.store.view = { ...store.store.view, entries: [entry({ id: "e-sync", region: "16", code: "carie", surfaces: ["O"], status: "condicao" })] };
    await fire("data-changed", {});
    await waitFor(() => expect(tooth("16").getAttribute("data-has-entries")).toBe("true"));
    expect(be.argsOf("get_chart").length).toBeGreaterThan(before);
  });
});
