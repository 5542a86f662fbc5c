import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { NewWhatsappNumber, Role, WhatsappNumber, WhatsappSettings } from "../src/types";
import { backend, baseHandlers, reject, renderShell, type Handler } from "./helpers";
import { sessionAs } from "./chartFixtures";

const SETTINGS: WhatsappSettings = { templates: {}, reminder: null };

function number(over: Partial<WhatsappNumber> & { phone_number_id: string }): WhatsappNumber {
  return {
    org_id: "org-1",
    display_phone_number: "+55 11 3333-4444",
    waba_id: "102290129340398",
    created_at: 1_764_000_000,
    needs_reauth_at: null,
    needs_reauth_reason: null,
    ...over,
  };
}

/** The server's side, as the shell relays it: numbers by id. */
function numbersStore(initial: WhatsappNumber[], over: Record<string, Handler> = {}) {
  const state = { numbers: initial.map((n) => ({ ...n })) };
  return {
    state,
    handlers: {
      whatsapp_settings: () => SETTINGS,
      whatsapp_numbers: () => state.numbers,
      add_whatsapp_number: ({ number: n }: { number: NewWhatsappNumber }) => {
        if (state.numbers.some((x) => x.phone_number_id === n.phone_number_id))
          reject("exists", `WhatsApp number ${n.phone_number_id} is already registered`);
        const added = number({ phone_number_id: n.phone_number_id, display_phone_number: n.display_phone_number, waba_id: n.waba_id });
        state.numbers.push(added);
        return added;
      },
      update_whatsapp_number: ({ phone_number_id }: { phone_number_id: string }) => {
        const n = state.numbers.find((x) => x.phone_number_id === phone_number_id);
        if (!n) reject("not_found", "no such WhatsApp number");
        n!.needs_reauth_at = null;
        n!.needs_reauth_reason = null;
        return n;
      },
      remove_whatsapp_number: ({ phone_number_id }: { phone_number_id: string }) => {
        state.numbers = state.numbers.filter((x) => x.phone_number_id !== phone_number_id);
      },
      ...over,
    } as Record<string, Handler>,
  };
}

async function openNumbers(initial: WhatsappNumber[], role: Role = "admin", over: Record<string, Handler> = {}) {
  const store = numbersStore(initial, over);
  const be = backend(baseHandlers(store.handlers));
  renderShell({ kind: "agenda" }, sessionAs(role));
  const user = userEvent.setup();
  await user.click(await screen.findByTestId("nav-whatsapp-settings"));
  const card = await screen.findByTestId("wa-numbers");
  return { be, store, user, card };
}

const MAIN = number({ phone_number_id: "106540352242922" });
const EXPIRED = number({
  phone_number_id: "106540352249999",
  display_phone_number: "+55 21 2222-1111",
  needs_reauth_at: 1_764_100_000,
  needs_reauth_reason: "190: Error validating access token",
});

describe("WhatsApp numbers", () => {
  test("the admin sees each number, which one needs a new token, and replaces it", async () => {
    const { be, user } = await openNumbers([MAIN, EXPIRED]);
    const main = await screen.findByTestId("wa-number-106540352242922");
    expect(main.textContent).toContain("+55 11 3333-4444");
    expect(main.textContent).toContain("ID do número 106540352242922 · conta (WABA) 102290129340398");
    expect(within(main).getByTestId("wa-number-ok-106540352242922").textContent).toBe("Ativo");
    const expired = screen.getByTestId("wa-number-106540352249999");
    expect(expired.getAttribute("data-reauth")).toBe("true");
    expect(within(expired).getByTestId("wa-number-reauth-106540352249999").textContent).toContain(
      "A Meta recusou o token: nada é enviado por este número até um novo token (190: Error validating access token)",
    );

    await user.click(screen.getByTestId("wa-number-token-106540352249999"));
    // an empty token is not sent
    await user.click(screen.getByTestId("wa-number-token-save-106540352249999"));
    expect(screen.getByTestId("wa-number-new-token-106540352249999-error").textContent).toBe(
      "Informe o token de acesso, sem espaços.",
    );
    expect(be.argsOf("update_whatsapp_number")).toHaveLength(0);
    const input = screen.getByTestId("wa-number-new-token-106540352249999") as HTMLInputElement;
    expect(input.type).toBe("password");
    await user.type(input, "EAAG-novo");
    await user.click(screen.getByTestId("wa-number-token-save-106540352249999"));
    await waitFor(() =>
      expect(be.argsOf("update_whatsapp_number")).toEqual([
        { phone_number_id: "106540352249999", update: { access_token: "EAAG-novo" } },
      ]),
    );
    expect((await screen.findByTestId("wa-numbers-notice")).textContent).toBe("Novo token salvo para +55 21 2222-1111.");
    await waitFor(() => expect(screen.getByTestId("wa-number-106540352249999").getAttribute("data-reauth")).toBe("false"));
  });

  test("connecting a number: checked here, refused by the server under its field, then added", async () => {
    const { be, user } = await openNumbers([MAIN]);
    await screen.findByTestId("wa-number-106540352242922");
    const save = () => user.click(screen.getByTestId("wa-number-add-save"));
    await save();
    expect(screen.getByTestId("wa-number-add-error").textContent).toBe("Corrija os campos indicados.");
    for (const f of ["display_phone_number", "phone_number_id", "waba_id", "access_token"])
      expect(screen.getByTestId(`wa-new-${f}`).getAttribute("aria-invalid")).toBe("true");
    expect(be.argsOf("add_whatsapp_number")).toHaveLength(0);

    await user.type(screen.getByTestId("wa-new-display_phone_number"), "+55 11 4000-5000");
    await user.type(screen.getByTestId("wa-new-phone_number_id"), "106540352242922");
    await user.type(screen.getByTestId("wa-new-waba_id"), "102290129340398");
    await user.type(screen.getByTestId("wa-new-access_token"), "EAAG-token");
    // already connected (here or at another clinic): under the id
    await save();
    expect((await screen.findByTestId("wa-new-phone_number_id-error")).textContent).toBe(
      "Este número já está conectado (a esta ou a outra clínica).",
    );

    await user.clear(screen.getByTestId("wa-new-phone_number_id"));
    await user.type(screen.getByTestId("wa-new-phone_number_id"), "106540352240000");
    await save();
    await waitFor(() => expect(be.argsOf("add_whatsapp_number")).toHaveLength(2));
    expect(be.argsOf("add_whatsapp_number")[1]).toEqual({
      number: {
        phone_number_id: "106540352240000",
        display_phone_number: "+55 11 4000-5000",
        waba_id: "102290129340398",
        access_token: "EAAG-token",
      },
    });
    expect((await screen.findByTestId("wa-numbers-notice")).textContent).toBe("Número +55 11 4000-5000 conectado.");
    expect(await screen.findByTestId("wa-number-106540352240000")).toBeTruthy();
    expect((screen.getByTestId("wa-new-access_token") as HTMLInputElement).value).toBe("");
  });

  test("a field the server refuses shows under it in pt-BR", async () => {
    const { user } = await openNumbers([], "admin", {
      add_whatsapp_number: () => reject("invalid", "invalid access_token: at most 4,096 characters, without spaces", "access_token"),
    });
    expect((await screen.findByTestId("wa-numbers-none")).textContent).toContain("Nenhum número conectado");
    await user.type(screen.getByTestId("wa-new-display_phone_number"), "+55 11 4000-5000");
    await user.type(screen.getByTestId("wa-new-phone_number_id"), "1");
    await user.type(screen.getByTestId("wa-new-waba_id"), "2");
    await user.type(screen.getByTestId("wa-new-access_token"), "x");
    await user.click(screen.getByTestId("wa-number-add-save"));
    expect((await screen.findByTestId("wa-new-access_token-error")).textContent).toBe("Informe o token de acesso, sem espaços.");
  });

  test("removing asks first, and the number leaves the list", async () => {
    const { be, user } = await openNumbers([MAIN, EXPIRED]);
    await user.click(await screen.findByTestId("wa-number-remove-106540352249999"));
    expect(screen.getByRole("alertdialog").textContent).toContain("Remover o número +55 21 2222-1111?");
    expect(be.argsOf("remove_whatsapp_number")).toHaveLength(0);
    await user.click(screen.getByTestId("wa-number-remove-confirm-106540352249999"));
    await waitFor(() => expect(screen.queryByTestId("wa-number-106540352249999")).toBeNull());
    expect(be.argsOf("remove_whatsapp_number")).toEqual([{ phone_number_id: "106540352249999" }]);
    expect(screen.getByTestId("wa-numbers-notice").textContent).toBe("Número +55 21 2222-1111 removido.");
    expect(screen.getByTestId("wa-number-106540352242922")).toBeTruthy();
  });

  test("gerente sees the numbers but cannot change them", async () => {
    await openNumbers([MAIN, EXPIRED], "gerente");
    await screen.findByTestId("wa-number-106540352242922");
    expect(screen.getByTestId("wa-number-reauth-106540352249999")).toBeTruthy();
    expect(screen.queryByTestId("wa-number-token-106540352249999")).toBeNull();
    expect(screen.queryByTestId("wa-number-remove-106540352242922")).toBeNull();
    expect(screen.queryByTestId("wa-number-add")).toBeNull();
  });

  test("without the server the card says so, and tries again on request", async () => {
    let online = false;
    const { user } = await openNumbers([MAIN], "admin", {
      whatsapp_numbers: () => (online ? [MAIN] : reject("server_unreachable", "connection refused")),
    });
    const error = await screen.findByTestId("wa-numbers-error");
    expect(error.textContent).toContain("Não foi possível listar os números. Não foi possível conectar ao servidor.");
    // the rest of the screen works offline
    expect(screen.getByTestId("reminders-form")).toBeTruthy();
    expect(screen.queryByTestId("wa-number-add")).toBeNull();
    online = true;
    await user.click(screen.getByTestId("wa-numbers-retry"));
    expect(await screen.findByTestId("wa-number-106540352242922")).toBeTruthy();
  });
});
