import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReminderSettings, Role, WhatsappSettings } from "../src/types";
import { backend, baseHandlers, reject, renderShell, type Handler } from "./helpers";
import { sessionAs } from "./chartFixtures";

const SETTINGS: WhatsappSettings = {
  templates: {
    "lembrete_consulta:pt_BR": {
      name: "lembrete_consulta",
      language: "pt_BR",
      body: "Olá, {{1}}! Lembramos da sua consulta em {{2}} com {{3}}. Podemos confirmar?",
      params: 3,
      buttons: ["Confirmar", "Remarcar", "Cancelar"],
    },
    "lembrete_curto:pt_BR": {
      name: "lembrete_curto",
      language: "pt_BR",
      body: "{{1}}, consulta {{2}} com {{3}}.",
      params: 3,
      buttons: [],
    },
    "retomar_conversa:pt_BR": {
      name: "retomar_conversa",
      language: "pt_BR",
      body: "Olá, {{1}}! Aqui é da {{2}}. Podemos continuar o seu atendimento por aqui?",
      params: 2,
      buttons: [],
    },
  },
  reminder: null,
};

function settingsStore(reminder: ReminderSettings | null = null, over: Record<string, Handler> = {}) {
  const state: WhatsappSettings = { ...SETTINGS, reminder };
  return {
    state,
    handlers: {
      whatsapp_settings: () => state,
      whatsapp_numbers: () => [],
      set_reminders: ({ reminder }: { reminder: ReminderSettings | null }) => {
        state.reminder = reminder;
        return state;
      },
      ...over,
    } as Record<string, Handler>,
  };
}

async function openSettings(reminder: ReminderSettings | null = null, over: Record<string, Handler> = {}, role: Role = "admin") {
  const store = settingsStore(reminder, over);
  const be = backend(baseHandlers(store.handlers));
  renderShell({ kind: "agenda" }, sessionAs(role));
  const user = userEvent.setup();
  await user.click(await screen.findByTestId("nav-whatsapp-settings"));
  await screen.findByTestId("whatsapp-settings-screen");
  return { be, store, user };
}

const hours = () => screen.getByTestId("reminders-hours") as HTMLInputElement;
const enabled = () => screen.getByTestId("reminders-enabled") as HTMLInputElement;
const template = () => screen.getByTestId("reminders-template") as HTMLSelectElement;
const from = () => screen.getByTestId("reminders-from") as HTMLInputElement;
const until = () => screen.getByTestId("reminders-until") as HTMLInputElement;
const anyHour = () => screen.getByTestId("reminders-any-hour") as HTMLInputElement;

describe("WhatsApp settings", () => {
  test("lists the templates and turns reminders on with set_reminders", async () => {
    const { be, user } = await openSettings();
    expect(screen.getByTestId("nav-whatsapp-settings").getAttribute("aria-current")).toBe("page");
    const list = screen.getByTestId("whatsapp-templates");
    expect(list.textContent).toContain("aprovados pela Meta com estes nomes");
    const items = within(list).getAllByTestId("whatsapp-template");
    expect(items.map((i) => i.getAttribute("data-key"))).toEqual([
      "lembrete_consulta:pt_BR",
      "lembrete_curto:pt_BR",
      "retomar_conversa:pt_BR",
    ]);
    expect(items[0].textContent).toContain("lembrete_consulta");
    expect(items[0].textContent).toContain("pt_BR");
    expect(items[0].textContent).toContain("Olá, {{1}}! Lembramos da sua consulta em {{2}} com {{3}}. Podemos confirmar?");
    expect(items[0].textContent).toContain("3 parâmetros");
    for (const b of ["Confirmar", "Remarcar", "Cancelar"]) expect(items[0].textContent).toContain(b);
    expect(items[2].textContent).not.toContain("Botões");

    // off by default; only templates taking name, when and professional
    expect(enabled().checked).toBe(false);
    expect(template().disabled).toBe(true);
    expect([...template().options].map((o) => o.textContent)).toEqual([
      "lembrete_consulta (pt_BR)",
      "lembrete_curto (pt_BR)",
    ]);
    expect(hours().value).toBe("24");

    await user.click(enabled());
    await user.selectOptions(template(), "lembrete_curto:pt_BR");
    await user.clear(hours());
    await user.type(hours(), "48");
    await user.click(screen.getByTestId("reminders-save"));
    // not at night unless the clinic says so
    await waitFor(() =>
      expect(be.argsOf("set_reminders")).toEqual([
        {
          reminder: {
            template: "lembrete_curto:pt_BR",
            hours_before: 48,
            sending_hours: { from: "08:00", until: "20:00" },
          },
        },
      ]),
    );
    expect((await screen.findByTestId("reminders-saved")).textContent).toBe(
      "Lembretes ligados: enviados 48 horas antes da consulta, entre 08:00 e 20:00.",
    );
    expect(enabled().checked).toBe(true);
    expect(template().value).toBe("lembrete_curto:pt_BR");
    expect(within(screen.getByTestId("whatsapp-templates")).getAllByTestId("whatsapp-template")[1].textContent).toContain(
      "usado nos lembretes",
    );
  });

  test("turns reminders off with reminder: null", async () => {
    const { be, user } = await openSettings({ template: "lembrete_consulta:pt_BR", hours_before: 12, sending_hours: null });
    expect(enabled().checked).toBe(true);
    expect(template().value).toBe("lembrete_consulta:pt_BR");
    expect(hours().value).toBe("12");
    await user.click(enabled());
    expect(hours().disabled).toBe(true);
    await user.click(screen.getByTestId("reminders-save"));
    await waitFor(() => expect(be.argsOf("set_reminders")).toEqual([{ reminder: null }]));
    expect((await screen.findByTestId("reminders-saved")).textContent).toBe("Lembretes desligados.");
  });

  test("sending hours: changed, checked, refused by the core, or any hour", async () => {
    const { be, store, user } = await openSettings(
      { template: "lembrete_consulta:pt_BR", hours_before: 24, sending_hours: { from: "08:00", until: "20:00" } },
      {},
    );
    expect(from().value).toBe("08:00");
    expect(until().value).toBe("20:00");
    expect(anyHour().checked).toBe(false);

    await user.clear(from());
    await user.type(from(), "07:30");
    await user.clear(until());
    await user.type(until(), "18:00");
    await user.click(screen.getByTestId("reminders-save"));
    await waitFor(() => expect(store.state.reminder?.sending_hours).toEqual({ from: "07:30", until: "18:00" }));
    expect((await screen.findByTestId("reminders-saved")).textContent).toBe(
      "Lembretes ligados: enviados 24 horas antes da consulta, entre 07:30 e 18:00.",
    );

    // a span across midnight is refused before it is sent
    await user.clear(from());
    await user.type(from(), "21:00");
    await user.click(screen.getByTestId("reminders-save"));
    expect(screen.getByTestId("reminders-until-error").textContent).toBe(
      "O horário final deve ser depois do inicial, no mesmo dia (ex.: 08:00 às 20:00).",
    );
    expect(be.argsOf("set_reminders")).toHaveLength(1);

    // any hour: the times are not sent, and show disabled
    await user.click(anyHour());
    expect(screen.queryByTestId("reminders-until-error")).toBeNull();
    expect(from().disabled).toBe(true);
    await user.click(screen.getByTestId("reminders-save"));
    await waitFor(() => expect(be.argsOf("set_reminders")).toHaveLength(2));
    expect(be.argsOf("set_reminders")[1]).toEqual({
      reminder: { template: "lembrete_consulta:pt_BR", hours_before: 24, sending_hours: null },
    });
    expect((await screen.findByTestId("reminders-saved")).textContent).toBe(
      "Lembretes ligados: enviados 24 horas antes da consulta.",
    );
    expect(anyHour().checked).toBe(true);
  });

  test("the core's refusal of the sending hours shows under them", async () => {
    const { user } = await openSettings(null, {
      set_reminders: () => reject("invalid", "from 20:00 to 08:00: the start must come before the end", "sending_hours"),
    });
    await user.click(enabled());
    await user.click(screen.getByTestId("reminders-save"));
    expect((await screen.findByTestId("reminders-until-error")).textContent).toMatch(/depois do inicial/);
    expect(until().getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("reminders-error").textContent).toBeTruthy();
  });

  test("hours out of range, and the core's refusals, show under their field in pt-BR", async () => {
    let refusal: [string, string, string?] = ["invalid", "200 hours: from 1 to 168 (a week)", "hours_before"];
    const { be, user } = await openSettings(null, {
      set_reminders: () => reject(...refusal),
    });
    await user.click(enabled());
    await user.clear(hours());
    await user.type(hours(), "200");
    await user.click(screen.getByTestId("reminders-save"));
    expect(screen.getByTestId("reminders-hours-error").textContent).toBe("Informe de 1 a 168 horas (até uma semana).");
    expect(be.argsOf("set_reminders")).toHaveLength(0);

    // the core checks too
    await user.clear(hours());
    expect(screen.queryByTestId("reminders-hours-error")).toBeNull();
    await user.type(hours(), "100");
    await user.click(screen.getByTestId("reminders-save"));
    expect((await screen.findByTestId("reminders-hours-error")).textContent).toBe(
      "Informe de 1 a 168 horas (até uma semana).",
    );
    expect(hours().getAttribute("aria-invalid")).toBe("true");
    expect(be.argsOf("set_reminders")).toEqual([
      {
        reminder: {
          template: "lembrete_consulta:pt_BR",
          hours_before: 100,
          sending_hours: { from: "08:00", until: "20:00" },
        },
      },
    ]);

    refusal = ["template_params", "expected 3"];
    await user.click(screen.getByTestId("reminders-save"));
    expect((await screen.findByTestId("reminders-template-error")).textContent).toMatch(/precisa de 3 parâmetros/);
    expect(screen.queryByTestId("reminders-hours-error")).toBeNull();

    refusal = ["forbidden", "no"];
    await user.click(screen.getByTestId("reminders-save"));
    expect((await screen.findByTestId("reminders-error")).textContent).toBe("Seu papel não permite esta operação.");
    expect(screen.getByTestId("reminders-saved").textContent).toBe("");
  });

  test("gerente has the screen; recepção and clínico do not", async () => {
    const { unmount } = (() => {
      backend(baseHandlers(settingsStore().handlers));
      return renderShell({ kind: "agenda" }, sessionAs("gerente"));
    })();
    expect(await screen.findByTestId("nav-whatsapp-settings")).toBeTruthy();
    unmount();

    for (const role of ["recepcao", "clinico"] as Role[]) {
      const be = backend(baseHandlers(settingsStore().handlers));
      const r = renderShell({ kind: "whatsapp-settings" }, sessionAs(role));
      await screen.findByTestId("nav-agenda");
      expect(screen.queryByTestId("nav-whatsapp-settings")).toBeNull();
      expect(screen.queryByTestId("whatsapp-settings-screen")).toBeNull();
      expect(be.argsOf("whatsapp_settings")).toHaveLength(0);
      r.unmount();
    }
  });
});
