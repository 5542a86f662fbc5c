import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Catalogue, Legend, Procedure } from "../src/types";
import { backend, baseHandlers, reject, renderShell } from "./helpers";
import { CATALOGUE, sessionAs } from "./chartFixtures";

function catalogueStore() {
  const store: Catalogue = structuredClone(CATALOGUE);
  return {
    store,
    handlers: {
      catalogue: () => store,
      save_procedure: (a: { procedure: Procedure }) => {
        const i = store.procedures.findIndex((p) => p.code === a.procedure.code);
        if (i >= 0) store.procedures[i] = a.procedure;
        else store.procedures.push(a.procedure);
        return store;
      },
      save_legend: (a: { legend: Legend }) => {
        store.legend = a.legend;
        return store;
      },
    },
  };
}

describe("procedure catalogue", () => {
  test("gerente: the nav shows it; the table lists fees in reais; editing checks TUSS and sends the procedure", async () => {
    const user = userEvent.setup();
    const cat = catalogueStore();
    const be = backend(baseHandlers(cat.handlers));
    renderShell({ kind: "patients" }, sessionAs("gerente"));
    await user.click(await screen.findByTestId("nav-catalogue"));
    const table = await screen.findByTestId("procedures");
    const resina = table.querySelector('[data-code="restauracao-resina"]') as HTMLElement;
    expect(resina.textContent).toContain("Restauração em resina");
    expect(resina.textContent).toContain("R$ 180,00");
    expect(resina.textContent).toContain("85100196");

    await user.click(within(resina).getByTestId("procedure-edit"));
    const dialog = await screen.findByRole("dialog", { name: "Editar procedimento" });
    expect((within(dialog).getByTestId("procedure-code") as HTMLInputElement).readOnly).toBe(true);
    expect((within(dialog).getByTestId("procedure-fee") as HTMLInputElement).value).toBe("180,00");
    const tuss = within(dialog).getByTestId("procedure-tuss");
    await user.clear(tuss);
    await user.type(tuss, "8510");
    await user.click(within(dialog).getByTestId("procedure-save"));
    expect(within(dialog).getByTestId("procedure-tuss-error").textContent).toBe("O código TUSS tem 8 dígitos.");
    expect(be.argsOf("save_procedure")).toHaveLength(0);

    await user.clear(tuss);
    await user.clear(within(dialog).getByTestId("procedure-fee"));
    await user.type(within(dialog).getByTestId("procedure-fee"), "1.234,50");
    await user.click(within(dialog).getByTestId("procedure-tooth-type-posterior"));
    await user.click(within(dialog).getByTestId("procedure-own-colour"));
    await user.click(within(dialog).getByTestId("procedure-save"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(be.argsOf("save_procedure")).toEqual([
      {
        procedure: {
          code: "restauracao-resina",
          name: "Restauração em resina",
          fee_cents: 123450,
          tuss: null,
          applies_to: "surface",
          tooth_types: ["posterior"],
          condition: false,
          drawing: "surface",
          colour: "#2e7d32",
          active: true,
        },
      },
    ]);
    expect((await screen.findByTestId("procedures")).querySelector('[data-code="restauracao-resina"]')?.textContent).toContain(
      "R$ 1.234,50",
    );
  });

  test("a new procedure; the core's refusal on a field; the legend colours are saved", async () => {
    const user = userEvent.setup();
    const cat = catalogueStore();
    let refuse = true;
    const be = backend(
      baseHandlers({
        ...cat.handlers,
        save_procedure: (a: { procedure: Procedure }) =>
          refuse ? reject("invalid", "name too long", "name") : cat.handlers.save_procedure(a),
      }),
    );
    renderShell({ kind: "catalogue" }, sessionAs("admin"));
    await user.click(await screen.findByTestId("procedure-new"));
    const dialog = await screen.findByRole("dialog", { name: "Novo procedimento" });
    await user.type(within(dialog).getByTestId("procedure-code"), "Faceta Porcelana");
    await user.click(within(dialog).getByTestId("procedure-save"));
    expect(within(dialog).getByTestId("procedure-code-error").textContent).toMatch(/^Código inválido/);
    expect(within(dialog).getByTestId("procedure-name-error").textContent).toBe("Informe o nome.");
    await user.clear(within(dialog).getByTestId("procedure-code"));
    await user.type(within(dialog).getByTestId("procedure-code"), "faceta-porcelana");
    await user.type(within(dialog).getByTestId("procedure-name"), "Faceta de porcelana");
    await user.type(within(dialog).getByTestId("procedure-fee"), "1500");
    await user.type(within(dialog).getByTestId("procedure-tuss"), "85400211");
    await user.selectOptions(within(dialog).getByTestId("procedure-applies-to"), "tooth");
    await user.selectOptions(within(dialog).getByTestId("procedure-drawing"), "crown");
    await user.click(within(dialog).getByTestId("procedure-save"));
    expect((await within(dialog).findByTestId("procedure-name-error")).textContent).toBe("Dados inválidos.");
    refuse = false;
    await user.click(within(dialog).getByTestId("procedure-save"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(be.argsOf("save_procedure").slice(-1)[0]).toMatchObject({
      procedure: { code: "faceta-porcelana", fee_cents: 150000, tuss: "85400211", applies_to: "tooth", drawing: "crown", colour: null },
    });
    expect(screen.getByTestId("procedures").querySelector('[data-code="faceta-porcelana"]')).toBeTruthy();

    const legend = screen.getByTestId("legend-form");
    expect((within(legend).getByTestId("legend-realizado") as HTMLInputElement).type).toBe("color");
    expect(within(legend).getByLabelText("Realizado")).toBeTruthy();
    await user.click(within(legend).getByTestId("legend-save"));
    await waitFor(() => expect(be.argsOf("save_legend")).toHaveLength(1));
    expect(be.argsOf("save_legend")[0]).toEqual({ legend: CATALOGUE.legend });
  });

  test("clínico and recepção have no catalogue screen", async () => {
    backend(baseHandlers(catalogueStore().handlers));
    const { unmount } = renderShell({ kind: "catalogue" }, sessionAs("clinico"));
    expect(screen.queryByTestId("nav-catalogue")).toBeNull();
    expect(screen.queryByTestId("catalogue-screen")).toBeNull();
    unmount();
    renderShell({ kind: "agenda" }, sessionAs("recepcao"));
    expect(screen.queryByTestId("nav-catalogue")).toBeNull();
  });
});
