import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Patient, PatientHit } from "../src/types";
import { backend, baseHandlers, fire, reject, renderShell } from "./helpers";

const JOAO: PatientHit = {
  id: "pat-joao",
  name: "João da Silva",
  social_name: null,
  birth_date: "1980-03-15",
  cpf: "52998224725",
  phones: ["+5511987654321"],
  email: null,
};
const MARIA: PatientHit = {
  id: "pat-maria",
  name: "Maria Souza",
  social_name: "Mari",
  birth_date: null,
  cpf: null,
  phones: ["+551134567890"],
  email: "maria@example.com",
};

function patient(over: Partial<Patient> = {}): Patient {
  return {
    class: "patient",
    schema: 1,
    id: "pat-new",
    name: "Carla Dias",
    social_name: null,
    birth_date: "1990-05-20",
    sex: null,
    cpf: "52998224725",
    phones: { "+5511987654321": { number: "+5511987654321", label: null, whatsapp: true, added_at: 1000 } },
    email: null,
    address: null,
    guardian: null,
    consents: { lgpd: { granted: true, at: "2026-11-20T10:00:00Z", by: "u-1" } },
    tags: [],
    preferred_channel: null,
    created_at: "2026-11-23T10:00:00Z",
    created_by: "u-1",
    ...over,
  };
}

describe("patient search", () => {
  test("lists patients, then searches as you type (debounced) and shows formatted CPF, phone and age", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date(2026, 10, 23, 10, 0) });
    const user = userEvent.setup();
    const be = backend(
      baseHandlers({
        search_patients: (a: { query: string }) =>
          a.query === "" ? [JOAO, MARIA] : a.query === "joão" ? [JOAO] : [],
      }),
    );
    renderShell({ kind: "patients" });

    await waitFor(() => expect(screen.getAllByTestId("patient-row")).toHaveLength(2));
    expect(be.argsOf("search_patients")[0]).toEqual({ query: "", limit: 50 });

    const joao = screen.getAllByTestId("patient-row")[0];
    expect(joao.getAttribute("data-id")).toBe("pat-joao");
    expect(joao.textContent).toContain("529.982.247-25");
    expect(joao.textContent).toContain("(11) 98765-4321");
    expect(joao.textContent).toContain("46 anos");
    const maria = screen.getAllByTestId("patient-row")[1];
    expect(maria.textContent).toContain("Nome social: Mari");
    expect(maria.textContent).toContain("(11) 3456-7890");

    await user.type(screen.getByTestId("patient-search"), "joão");
    await waitFor(() => expect(screen.getAllByTestId("patient-row")).toHaveLength(1));
    const queries = be.argsOf("search_patients").map((a) => a.query);
    expect(queries[queries.length - 1]).toBe("joão");
    vi.useRealTimers();
  });

  test("the search waits 150 ms after the last keystroke, then asks once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const be = backend(baseHandlers({ search_patients: (a: { query: string }) => (a.query ? [JOAO] : [JOAO, MARIA]) }));
    renderShell({ kind: "patients" });
    await act(async () => undefined);
    expect(be.argsOf("search_patients").map((a) => a.query)).toEqual([""]);

    // keystrokes 100 ms apart: each one restarts the wait
    const input = screen.getByTestId("patient-search");
    for (const typed of ["4", "43", "432", "4321"]) {
      fireEvent.change(input, { target: { value: typed } });
      await act(async () => vi.advanceTimersByTime(100));
    }
    expect(be.argsOf("search_patients").map((a) => a.query)).toEqual([""]);
    await act(async () => vi.advanceTimersByTime(40));
    expect(be.argsOf("search_patients").map((a) => a.query)).toEqual([""]);
    await act(async () => vi.advanceTimersByTime(20));
    expect(be.argsOf("search_patients").map((a) => a.query)).toEqual(["", "4321"]);
    await act(async () => undefined);
    expect(screen.getAllByTestId("patient-row")).toHaveLength(1);
    vi.useRealTimers();
  });

  test("a data-changed event refreshes the list", async () => {
    let list = [JOAO];
    const be = backend(baseHandlers({ search_patients: () => list }));
    renderShell({ kind: "patients" });
    await waitFor(() => expect(screen.getAllByTestId("patient-row")).toHaveLength(1));
    list = [JOAO, MARIA];
    await fire("data-changed", {});
    await waitFor(() => expect(screen.getAllByTestId("patient-row")).toHaveLength(2));
    expect(be.argsOf("search_patients").length).toBeGreaterThanOrEqual(2);
  });

  test("a row opens the patient page: data, contacts, consents, upcoming, Editar", async () => {
    const user = userEvent.setup();
    backend(
      baseHandlers({
        search_patients: () => [JOAO],
        get_patient: () => ({
          patient: patient({ id: "pat-joao", name: "João da Silva", email: "joao@example.com" }),
          upcoming: [
            {
              id: "ap-1",
              agenda_id: "a",
              site_id: "site-1",
              patient_id: "pat-joao",
              patient_name: "João da Silva",
              professional_id: "prof-ana",
              chair_id: "chair-1",
              start: "2026-11-25T09:00",
              end: "2026-11-25T09:30",
              duration_min: 30,
              status: "confirmado",
              procedures: [],
              notes: "",
            },
          ],
        }),
      }),
    );
    renderShell({ kind: "patients" });
    await user.click(await screen.findByTestId("patient-row"));
    const page = await screen.findByTestId("patient-page");
    expect(screen.getByTestId("patient-name").textContent).toBe("João da Silva");
    expect(within(page).getByTestId("patient-cpf").textContent).toBe("529.982.247-25");
    expect(within(page).getByTestId("patient-phones").textContent).toContain("(11) 98765-4321");
    const consents = within(page).getByTestId("patient-consents");
    expect(consents.querySelector('[data-consent="lgpd"]')?.getAttribute("data-granted")).toBe("true");
    expect(consents.querySelector('[data-consent="imagem"]')?.textContent).toContain("Não concedido");
    const upcoming = within(page).getByTestId("patient-upcoming");
    expect(upcoming.textContent).toContain("25/11/2026 09:00");
    expect(upcoming.textContent).toContain("Dra. Ana Costa");
    expect(upcoming.textContent).toContain("Confirmado");
    await user.click(screen.getByTestId("patient-edit"));
    expect(((await screen.findByTestId("patient-form-name")) as HTMLInputElement).value).toBe("João da Silva");
  });
});

describe("patient form", () => {
  test("client validation: an invalid CPF is refused in pt-BR before calling the core", async () => {
    const user = userEvent.setup();
    const be = backend(baseHandlers({ create_patient: () => patient() }));
    renderShell({ kind: "patient-new" });
    await user.type(await screen.findByTestId("patient-form-name"), "Carla Dias");
    await user.type(screen.getByTestId("patient-form-cpf"), "52998224724");
    expect((screen.getByTestId("patient-form-cpf") as HTMLInputElement).value).toBe("529.982.247-24");
    await user.click(screen.getByTestId("patient-form-save"));

    const err = await screen.findByTestId("patient-form-error-cpf");
    expect(err.textContent).toMatch(/^CPF inválido/);
    expect(screen.getByTestId("patient-form-cpf").getAttribute("aria-invalid")).toBe("true");
    expect(be.argsOf("create_patient")).toHaveLength(0);

    // repeated digits are refused too
    await user.clear(screen.getByTestId("patient-form-cpf"));
    await user.type(screen.getByTestId("patient-form-cpf"), "111.111.111-11");
    await user.click(screen.getByTestId("patient-form-save"));
    expect((await screen.findByTestId("patient-form-error-cpf")).textContent).toMatch(/^CPF inválido/);
    expect(be.argsOf("create_patient")).toHaveLength(0);
  });

  test("client validation: phone without DDD, future birth date, bad e-mail, missing name", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date(2026, 10, 23, 10, 0) });
    const user = userEvent.setup();
    const be = backend(baseHandlers({ create_patient: () => patient() }));
    renderShell({ kind: "patient-new" });
    await user.type(await screen.findByTestId("patient-form-phone"), "98765-4321");
    await user.type(screen.getByTestId("patient-form-birth-date"), "01122027");
    expect((screen.getByTestId("patient-form-birth-date") as HTMLInputElement).value).toBe("01/12/2027");
    await user.type(screen.getByTestId("patient-form-email"), "carla@");
    await user.click(screen.getByTestId("patient-form-save"));

    expect((await screen.findByTestId("patient-form-error-name")).textContent).toBe("Informe o nome do paciente.");
    expect(screen.getByTestId("patient-form-error-phones").textContent).toMatch(/^Telefone inválido/);
    expect(screen.getByTestId("patient-form-error-birth_date").textContent).toMatch(/futuro/);
    expect(screen.getByTestId("patient-form-error-birth-date").textContent).toMatch(/futuro/);
    expect(screen.getByTestId("patient-form-error-email").textContent).toMatch(/^E-mail inválido/);
    expect(be.argsOf("create_patient")).toHaveLength(0);
    vi.useRealTimers();
  });

  test("a valid form is sent in the contract's shape and opens the new patient", async () => {
    const user = userEvent.setup();
    const be = backend(
      baseHandlers({
        create_patient: () => patient(),
        get_patient: () => ({ patient: patient(), upcoming: [] }),
      }),
    );
    renderShell({ kind: "patient-new" });
    await user.type(await screen.findByTestId("patient-form-name"), "  Carla   Dias ");
    await user.type(screen.getByTestId("patient-form-social-name"), "Carla");
    await user.type(screen.getByTestId("patient-form-birth-date"), "20/05/1990");
    await user.type(screen.getByTestId("patient-form-cpf"), "529.982.247-25");
    await user.type(screen.getByTestId("patient-form-phone"), "11987654321");
    expect((screen.getByTestId("patient-form-phone") as HTMLInputElement).value).toBe("(11) 98765-4321");
    await user.type(screen.getByTestId("patient-form-email"), "carla@example.com");
    await user.click(screen.getByTestId("patient-form-save"));

    await screen.findByTestId("patient-page");
    expect(be.argsOf("create_patient")).toEqual([
      {
        form: {
          name: "Carla Dias",
          social_name: "Carla",
          birth_date: "1990-05-20",
          cpf: "52998224725",
          email: "carla@example.com",
          phones: ["(11) 98765-4321"],
        },
      },
    ]);
  });

  test("the core's invalid_cpf is shown under the CPF field", async () => {
    const user = userEvent.setup();
    const be = backend(
      baseHandlers({
        create_patient: () => reject("invalid_cpf", 'invalid CPF "529.982.247-25": the check digits do not match', "cpf"),
      }),
    );
    renderShell({ kind: "patient-new" });
    await user.type(await screen.findByTestId("patient-form-name"), "Carla Dias");
    await user.type(screen.getByTestId("patient-form-cpf"), "529.982.247-25");
    await user.click(screen.getByTestId("patient-form-save"));

    const err = await screen.findByTestId("patient-form-error-cpf");
    expect(err.textContent).toBe("CPF inválido: confira os dígitos.");
    expect(be.argsOf("create_patient")).toHaveLength(1);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("patient-form-cpf")));
    // typing again clears the field's error
    await user.type(screen.getByTestId("patient-form-cpf"), "0");
    expect(screen.queryByTestId("patient-form-error-cpf")).toBeNull();
  });

  test("server errors map to fields by field, or by code when no field is given", async () => {
    const user = userEvent.setup();
    let error: [string, string, string | undefined] = ["duplicate_cpf", "CPF already belongs to …", undefined];
    backend(baseHandlers({ create_patient: () => reject(...error) }));
    renderShell({ kind: "patient-new" });
    await user.type(await screen.findByTestId("patient-form-name"), "Carla Dias");
    await user.type(screen.getByTestId("patient-form-cpf"), "529.982.247-25");
    await user.click(screen.getByTestId("patient-form-save"));
    expect((await screen.findByTestId("patient-form-error-cpf")).textContent).toBe(
      "Já existe um paciente com este CPF.",
    );

    error = ["invalid_phone", "bad phone", "phones"];
    await user.type(screen.getByTestId("patient-form-phone"), "(11) 98765-4321");
    await user.click(screen.getByTestId("patient-form-save"));
    expect((await screen.findByTestId("patient-form-error-phones")).textContent).toMatch(/^Telefone inválido/);

    error = ["internal", "disk full", undefined];
    await user.click(screen.getByTestId("patient-form-save"));
    expect((await screen.findByTestId("patient-form-error")).textContent).toBe("Erro interno. Tente novamente.");
  });

  test("editing sends only what changed; emptying a field clears it; phones can be removed", async () => {
    const user = userEvent.setup();
    const original = patient({
      id: "pat-carla",
      email: "carla@example.com",
      phones: {
        "+5511987654321": { number: "+5511987654321", label: null, whatsapp: true, added_at: 1000 },
        "+551134567890": { number: "+551134567890", label: "casa", whatsapp: false, added_at: 2000 },
      },
    });
    const be = backend(
      baseHandlers({
        get_patient: () => ({ patient: original, upcoming: [] }),
        update_patient: () => original,
      }),
    );
    renderShell({ kind: "patient-edit", id: "pat-carla" });
    const name = (await screen.findByTestId("patient-form-name")) as HTMLInputElement;
    expect(name.value).toBe("Carla Dias");
    expect((screen.getByTestId("patient-form-birth-date") as HTMLInputElement).value).toBe("20/05/1990");
    expect((screen.getByTestId("patient-form-cpf") as HTMLInputElement).value).toBe("529.982.247-25");

    await user.clear(screen.getByTestId("patient-form-email"));
    await user.click(screen.getByRole("button", { name: "Remover o telefone (11) 3456-7890" }));
    await user.type(screen.getByTestId("patient-form-phone"), "21 99876-5432");
    await user.click(screen.getByTestId("patient-form-save"));
    await screen.findByTestId("patient-page");
    expect(be.argsOf("update_patient")).toEqual([
      {
        id: "pat-carla",
        form: { email: "", remove_phones: ["+551134567890"], phones: ["(21) 99876-5432"] },
      },
    ]);
  });
});
