import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ConversationRow, MessageView, PatientHit, Role, TemplateOption } from "../src/types";
import { backend, baseHandlers, fire, reject, renderShell, type Handler } from "./helpers";
import { sessionAs } from "./chartFixtures";

const NOW = new Date(2026, 10, 23, 10, 0);
const NOW_S = Math.floor(NOW.getTime() / 1000);
const minutesAgo = (n: number) => NOW_S - n * 60;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
});

function row(over: Partial<ConversationRow> & { id: string }): ConversationRow {
  return {
    contact_name: null,
    phone: "+55 11 98765-4321",
    patient_id: null,
    patient_name: null,
    lead: false,
    unread: 0,
    waiting_since: null,
    last_at: minutesAgo(30),
    last_text: "Obrigado!",
    window_open: true,
    phone_number_id: "pn-1",
    display_number: "+55 11 3333-4444",
    suggested_patients: [],
    attention: null,
    assignee: null,
    tags: [],
    ...over,
  };
}

function msg(over: Partial<MessageView> & { id: string }): MessageView {
  return {
    direction: "recebida",
    kind: "text",
    text: null,
    at: minutesAgo(20),
    author_name: null,
    automatic: false,
    status: "recebida",
    error: null,
    media: null,
    location: null,
    template: null,
    ...over,
  };
}

const LEAD = row({
  id: "c-lead",
  contact_name: "Maria Lead",
  lead: true,
  unread: 2,
  waiting_since: minutesAgo(12),
  last_at: minutesAgo(12),
  last_text: "Quanto custa um clareamento?",
  suggested_patients: [{ id: "pat-joao", name: "João da Silva" }],
});
const JOAO = row({
  id: "c-joao",
  contact_name: "João",
  phone: "+55 11 91234-5678",
  patient_id: "pat-joao",
  patient_name: "João da Silva",
  unread: 1,
  waiting_since: minutesAgo(125),
  last_at: minutesAgo(125),
  last_text: "Posso remarcar?",
});
const QUIET = row({ id: "c-quiet", contact_name: null, phone: "+55 21 99876-5432", last_text: "Até amanhã" });

const TEMPLATES: TemplateOption[] = [
  { name: "lembrete_consulta", language: "pt_BR", body: "Olá {{1}}, sua consulta é {{2}}.", params: 2 },
  { name: "retorno", language: "pt_BR", body: "Podemos agendar seu retorno?", params: 0 },
];

const LEAD_MESSAGES: MessageView[] = [
  msg({ id: "m-1", text: "Oi, boa tarde", at: minutesAgo(40) }),
  msg({
    id: "m-2",
    direction: "enviada",
    text: "Olá! Como podemos ajudar?",
    at: minutesAgo(35),
    author_name: "Recepção",
    status: "lida",
  }),
  msg({ id: "m-3", text: "Quanto custa um clareamento?", at: minutesAgo(12) }),
];

/** A small inbox backend that remembers marks, replies and links. */
function inboxStore(rows: ConversationRow[], over: Record<string, Handler> = {}) {
  const state = {
    rows: rows.map((r) => ({ ...r })),
    messages: { "c-lead": [...LEAD_MESSAGES] } as Record<string, MessageView[]>,
    templates: TEMPLATES,
  };
  const find = (id: string) => state.rows.find((r) => r.id === id) ?? reject("not_found", "no conversation");
  const handlers: Record<string, Handler> = {
    inbox_list: () => state.rows,
    inbox_thread: ({ id }: { id: string }) => ({
      conversation: find(id),
      messages: state.messages[id] ?? [],
      templates: state.templates,
    }),
    inbox_mark_read: ({ id }: { id: string }) => {
      find(id).unread = 0;
      return null;
    },
    inbox_reply: ({ id, text }: { id: string; text: string }) => {
      const m = msg({ id: "m-new", direction: "enviada", text, at: NOW_S, status: "na-fila", author_name: "Recepção" });
      (state.messages[id] ??= []).push(m);
      return m;
    },
    inbox_send_template: ({ id, name, language, params }: { id: string; name: string; language: string; params: string[] }) => {
      const m = msg({
        id: "m-tpl",
        direction: "enviada",
        kind: "template",
        at: NOW_S,
        status: "na-fila",
        template: { name, language, params },
      });
      (state.messages[id] ??= []).push(m);
      return m;
    },
    inbox_link_patient: ({ id, patient_id }: { id: string; patient_id: string }) => {
      const r = find(id);
      Object.assign(r, { patient_id, patient_name: "João da Silva", lead: false, suggested_patients: [] });
      return r;
    },
    inbox_tag: ({ id, tag, on }: { id: string; tag: string; on: boolean }) => {
      const r = find(id);
      if (tag.length > 30) reject("invalid", "too long", "tag");
      r.tags = on ? [...r.tags, tag].sort() : r.tags.filter((x) => x !== tag);
      return r;
    },
    inbox_tags: () => [...new Set(state.rows.flatMap((r) => r.tags))].sort(),
    inbox_assign: ({ id, take }: { id: string; take: boolean }) => {
      const r = find(id);
      r.assignee = take ? { user_id: "u-recepcao", name: "recepcao@sorriso.com.br", at: NOW_S } : null;
      return r;
    },
    inbox_convert_lead: ({ id, form }: { id: string; form: { name: string } }) => {
      const r = find(id);
      Object.assign(r, { patient_id: "pat-new", patient_name: form.name, lead: false, suggested_patients: [] });
      return r;
    },
    ...over,
  };
  return { state, handlers };
}

async function openInbox(rows = [LEAD, JOAO, QUIET], over: Record<string, Handler> = {}, role: Role = "recepcao") {
  const store = inboxStore(rows, over);
  const be = backend(baseHandlers(store.handlers));
  renderShell({ kind: "inbox" }, sessionAs(role));
  await screen.findByTestId("inbox-list");
  return { be, store };
}

/** The conversations the list shows, in order. */
const shown = () => screen.getAllByTestId(/^inbox-row-/).map((b) => b.getAttribute("data-id"));

async function openThread(id: string) {
  const user = userEvent.setup();
  await user.click(screen.getByTestId(`inbox-row-${id}`));
  const thread = await screen.findByTestId("inbox-thread");
  await waitFor(() => expect(thread.getAttribute("data-id")).toBe(id));
  return { user, thread };
}

describe("inbox list", () => {
  test("rows show name or phone, last text, unread, waiting time, Lead and the linked patient", async () => {
    await openInbox();
    const lead = screen.getByTestId("inbox-row-c-lead");
    expect(lead.textContent).toContain("Maria Lead");
    expect(lead.textContent).toContain("Quanto custa um clareamento?");
    expect(lead.textContent).toContain("Lead");
    expect(screen.getByTestId("inbox-unread-c-lead").textContent).toBe("2");
    expect(screen.getByTestId("inbox-waiting-c-lead").textContent).toBe("aguardando há 12 min");

    const joao = screen.getByTestId("inbox-row-c-joao");
    expect(joao.textContent).toContain("Paciente: João da Silva");
    expect(joao.textContent).not.toContain("Lead");
    expect(screen.getByTestId("inbox-waiting-c-joao").textContent).toBe("aguardando há 2 h");
    expect(screen.getByTestId("inbox-unread-c-joao").textContent).toBe("1");

    // no name: the phone stands in; nothing unread, nobody waiting
    const quiet = screen.getByTestId("inbox-row-c-quiet");
    expect(quiet.textContent).toContain("+55 21 99876-5432");
    expect(quiet.textContent).toContain("Até amanhã");
    expect(screen.queryByTestId("inbox-unread-c-quiet")).toBeNull();
    expect(screen.queryByTestId("inbox-waiting-c-quiet")).toBeNull();

    // the order is the shell's
    const ids = within(screen.getByTestId("inbox-list"))
      .getAllByRole("button")
      .map((b) => b.getAttribute("data-id"));
    expect(ids).toEqual(["c-lead", "c-joao", "c-quiet"]);
  });

  test("the list is one Tab stop; arrows move, Enter opens", async () => {
    const user = userEvent.setup();
    const { be } = await openInbox();
    const rows = within(screen.getByTestId("inbox-list")).getAllByRole("button");
    expect(rows.map((r) => r.getAttribute("tabindex"))).toEqual(["0", "-1", "-1"]);
    act(() => rows[0].focus());
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(rows[1]);
    await user.keyboard("{End}");
    expect(document.activeElement).toBe(rows[2]);
    await user.keyboard("{Home}{ArrowDown}{Enter}");
    await waitFor(() => expect(screen.getByTestId("inbox-thread").getAttribute("data-id")).toBe("c-joao"));
    expect(rows[1].getAttribute("aria-current")).toBe("true");
    expect(be.argsOf("inbox_thread")).toEqual([{ id: "c-joao" }]);
  });

  test("the nav entry shows the total unread and follows data-changed", async () => {
    const store = inboxStore([LEAD, JOAO, QUIET]);
    backend(baseHandlers(store.handlers));
    renderShell({ kind: "patients" });
    const badge = await screen.findByTestId("nav-inbox-unread");
    expect(badge.textContent).toBe("3");
    expect(screen.getByTestId("nav-inbox").textContent).toContain("Mensagens");
    expect(screen.getByTestId("nav-inbox").textContent).toContain("3 mensagens não lidas");

    store.state.rows[2].unread = 4;
    await fire("data-changed", {});
    await waitFor(() => expect(screen.getByTestId("nav-inbox-unread").textContent).toBe("7"));

    for (const r of store.state.rows) r.unread = 0;
    await fire("data-changed", {});
    await waitFor(() => expect(screen.queryByTestId("nav-inbox-unread")).toBeNull());
  });

  test("roles that cannot read conversations get no nav entry", async () => {
    backend(baseHandlers({ inbox_list: () => [LEAD] }));
    renderShell({ kind: "patients" }, sessionAs("financeiro"));
    await screen.findByTestId("nav-patients");
    expect(screen.queryByTestId("nav-inbox")).toBeNull();
  });
});

describe("thread", () => {
  test("opening a thread with unread messages marks it read; badges follow", async () => {
    const { be } = await openInbox();
    // the badge is lifted to the shell after the list renders, so it may arrive a render later
    await waitFor(() => expect(screen.getByTestId("nav-inbox-unread").textContent).toBe("3"));
    const { thread } = await openThread("c-lead");
    await waitFor(() => expect(be.argsOf("inbox_mark_read")).toEqual([{ id: "c-lead" }]));
    await waitFor(() => expect(screen.queryByTestId("inbox-unread-c-lead")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("nav-inbox-unread").textContent).toBe("1"));

    expect(within(thread).getByTestId("inbox-contact").textContent).toContain("Maria Lead");
    expect(thread.textContent).toContain("+55 11 98765-4321");
    expect(thread.textContent).toContain("pelo número +55 11 3333-4444");
    const inbound = screen.getByTestId("msg-m-1");
    expect(inbound.className).toContain("msg-in");
    expect(inbound.textContent).toContain("Oi, boa tarde");
    expect(inbound.textContent).toContain("09:20");
    const outbound = screen.getByTestId("msg-m-2");
    expect(outbound.className).toContain("msg-out");
    expect(outbound.textContent).toContain("Recepção");
    expect(screen.getByTestId("msg-status-m-2").textContent).toContain("lida");
    expect(screen.queryByTestId("msg-status-m-1")).toBeNull();
  });

  test("a conversation with nothing unread is not marked", async () => {
    const { be } = await openInbox();
    await openThread("c-quiet");
    await screen.findByTestId("inbox-reply");
    expect(be.argsOf("inbox_mark_read")).toEqual([]);
  });

  test("an image the server keeps is shown; a file opens on request; offline says so", async () => {
    const messages: MessageView[] = [
      msg({
        id: "p-1",
        kind: "image",
        text: null,
        media: { blob: "sha256:" + "ab".repeat(32), mime_type: "image/png", filename: null, size: 68, error: null },
      }),
      msg({
        id: "p-2",
        kind: "document",
        text: null,
        media: { blob: "sha256:" + "cd".repeat(32), mime_type: "application/pdf", filename: "laudo.pdf", size: 9, error: null },
      }),
    ];
    const { store, be } = await openInbox([QUIET], {
      inbox_media: ({ blob }: { blob: string }) =>
        blob.startsWith("sha256:ab")
          ? { mime_type: "image/png", data: "iVBORw0KGgo=" }
          : reject("server_unreachable", "offline"),
    });
    store.state.messages["c-quiet"] = messages;
    const { user } = await openThread("c-quiet");
    const img = await screen.findByTestId("msg-image-p-1");
    expect(img.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo=");
    expect(be.argsOf("inbox_media")).toEqual([{ blob: "sha256:" + "ab".repeat(32) }]);
    await user.click(screen.getByTestId("msg-open-p-2"));
    expect((await screen.findByTestId("msg-media-error-p-2")).textContent).toBe(
      "Disponível quando houver conexão com o servidor.",
    );
  });

  test("statuses, files, locations and templates read in pt-BR", async () => {
    const messages: MessageView[] = [
      msg({
        id: "s-1",
        kind: "document",
        text: null,
        media: { blob: null, mime_type: "application/pdf", filename: "raio-x.pdf", size: 250_000, error: null },
      }),
      msg({
        id: "s-2",
        kind: "image",
        media: { blob: null, mime_type: "image/jpeg", filename: null, size: 3_500_000, error: "download failed" },
      }),
      msg({
        id: "s-3",
        kind: "location",
        location: { latitude: -23.561414, longitude: -46.655881, name: "Av. Paulista", address: null },
      }),
      msg({ id: "s-4", direction: "enviada", status: "na-fila", text: "um" }),
      msg({ id: "s-5", direction: "enviada", status: "enviando", text: "dois" }),
      msg({ id: "s-6", direction: "enviada", status: "entregue", text: "três" }),
      msg({
        id: "s-7",
        direction: "enviada",
        status: "falhou",
        text: "quatro",
        error: { code: "131047", title: "Mensagem fora da janela" },
      }),
      msg({ id: "s-8", direction: "enviada", status: "precisa-modelo", text: "cinco" }),
      msg({ id: "s-9", direction: "enviada", status: "incerta", text: "seis" }),
      msg({
        id: "s-10",
        direction: "enviada",
        kind: "template",
        status: "enviada",
        template: { name: "lembrete_consulta", language: "pt_BR", params: ["Maria", "amanhã"] },
      }),
      msg({ id: "s-11", kind: "unsupported" }),
    ];
    const { store } = await openInbox([QUIET]);
    store.state.messages["c-quiet"] = messages;
    await openThread("c-quiet");
    await screen.findByTestId("msg-s-1");
    const doc = screen.getByTestId("msg-media-s-1").textContent ?? "";
    expect(doc).toContain("raio-x.pdf");
    expect(doc).toContain("application/pdf");
    expect(doc).toContain("244,1 KB");
    const img = screen.getByTestId("msg-media-s-2").textContent ?? "";
    expect(img).toContain("Imagem");
    expect(img).toContain("3,3 MB");
    expect(img).toContain("falha na mídia: download failed");
    expect(screen.getByTestId("msg-location-s-3").textContent).toBe(
      "Localização: Av. Paulista (-23.56141, -46.65588)",
    );
    const status = (id: string) => screen.getByTestId(`msg-status-${id}`).textContent;
    expect(status("s-4")).toContain("na fila");
    expect(status("s-5")).toContain("enviando");
    expect(status("s-6")).toContain("entregue");
    expect(status("s-7")).toContain("falhou: Mensagem fora da janela");
    expect(status("s-8")).toContain("fora da janela: use um modelo");
    expect(status("s-9")).toContain("envio incerto: confira antes de reenviar");
    expect(screen.getByTestId("msg-template-s-10").textContent).toBe("Modelo: lembrete_consulta");
    expect(screen.getByTestId("msg-s-10").textContent).toContain("Maria, amanhã");
    expect(screen.getByTestId("msg-s-11").textContent).toContain("Mensagem não suportada");
  });

  test("a data-changed event refreshes the list and the open thread, and marks new messages read", async () => {
    const { be, store } = await openInbox();
    await openThread("c-lead");
    await waitFor(() => expect(be.argsOf("inbox_mark_read")).toHaveLength(1));

    store.state.messages["c-lead"].push(msg({ id: "m-9", text: "Ainda estão aí?", at: NOW_S }));
    Object.assign(store.state.rows[0], { unread: 1, last_text: "Ainda estão aí?" });
    await fire("data-changed", {});
    expect((await screen.findByTestId("msg-m-9")).textContent).toContain("Ainda estão aí?");
    await waitFor(() => expect(be.argsOf("inbox_mark_read")).toHaveLength(2));
    expect(screen.getByTestId("inbox-row-c-lead").textContent).toContain("Ainda estão aí?");
  });
});

describe("replying", () => {
  test("Enter sends through inbox_reply; the queued bubble appears; Shift+Enter breaks the line", async () => {
    const { be } = await openInbox();
    const { user } = await openThread("c-lead");
    const box = (await screen.findByTestId("inbox-reply")) as HTMLTextAreaElement;
    await user.type(box, "Custa R$ 800,00{Enter}");
    await waitFor(() => expect(be.argsOf("inbox_reply")).toEqual([{ id: "c-lead", text: "Custa R$ 800,00" }]));
    const bubble = await screen.findByTestId("msg-m-new");
    expect(bubble.className).toContain("msg-out");
    expect(bubble.textContent).toContain("Custa R$ 800,00");
    expect(screen.getByTestId("msg-status-m-new").textContent).toContain("na fila");
    expect(box.value).toBe("");
    // the contact is no longer waiting
    expect(screen.queryByTestId("inbox-waiting-c-lead")).toBeNull();

    await user.type(box, "Linha 1{Shift>}{Enter}{/Shift}Linha 2");
    expect(box.value).toBe("Linha 1\nLinha 2");
    expect(be.argsOf("inbox_reply")).toHaveLength(1);
    await user.click(screen.getByTestId("inbox-send"));
    await waitFor(() => expect(be.argsOf("inbox_reply")[1]).toEqual({ id: "c-lead", text: "Linha 1\nLinha 2" }));
  });

  test("the send button waits for the answer", async () => {
    let answer: (m: MessageView) => void = () => undefined;
    const { be } = await openInbox(undefined, {
      inbox_reply: () => new Promise<MessageView>((r) => (answer = r)),
    });
    const { user } = await openThread("c-lead");
    await user.type(await screen.findByTestId("inbox-reply"), "Oi");
    await user.click(screen.getByTestId("inbox-send"));
    await waitFor(() => expect(screen.getByTestId("inbox-send")).toHaveProperty("disabled", true));
    await user.keyboard("{Enter}");
    expect(be.argsOf("inbox_reply")).toHaveLength(1);
    answer(msg({ id: "m-late", direction: "enviada", text: "Oi", status: "na-fila", at: NOW_S }));
    await screen.findByTestId("msg-m-late");
  });

  test("window_closed reads in pt-BR and switches to the template picker", async () => {
    const { be } = await openInbox(undefined, {
      inbox_reply: () => reject("window_closed", "the 24-hour window is closed"),
    });
    const { user } = await openThread("c-lead");
    await user.type(await screen.findByTestId("inbox-reply"), "Olá{Enter}");
    const err = await screen.findByTestId("inbox-send-error");
    expect(err.textContent).toBe(
      "Mais de 24 h desde a última mensagem do contato: só modelos aprovados podem ser enviados.",
    );
    expect(be.argsOf("inbox_reply")).toHaveLength(1);
    expect(await screen.findByTestId("inbox-template")).toBeTruthy();
    expect(screen.queryByTestId("inbox-reply")).toBeNull();
  });

  test("too_long and other refusals read in pt-BR", async () => {
    await openInbox(undefined, { inbox_reply: () => reject("too_long", "4097 > 4096") });
    const { user } = await openThread("c-lead");
    await user.type(await screen.findByTestId("inbox-reply"), "x{Enter}");
    expect((await screen.findByTestId("inbox-send-error")).textContent).toMatch(/até 4.096 caracteres/);
  });

  test("outside the window: notice, template picker with a parameter per placeholder, preview, inbox_send_template", async () => {
    const closed = { ...LEAD, window_open: false, unread: 0 };
    const { be } = await openInbox([closed]);
    const { user } = await openThread("c-lead");
    expect((await screen.findByTestId("inbox-window-closed")).textContent).toBe(
      "Mais de 24 h desde a última mensagem do contato: só modelos aprovados podem ser enviados.",
    );
    expect(screen.queryByTestId("inbox-reply")).toBeNull();
    const select = screen.getByTestId("inbox-template") as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(["lembrete_consulta (pt_BR)", "retorno (pt_BR)"]);
    expect(screen.getByTestId("inbox-template-preview").textContent).toBe("Olá {{1}}, sua consulta é {{2}}.");

    // a missing parameter is caught here
    await user.type(screen.getByTestId("inbox-template-param-1"), "Maria");
    await user.click(screen.getByTestId("inbox-send-template"));
    expect((await screen.findByTestId("inbox-send-error")).textContent).toBe("Preencha todos os parâmetros do modelo.");
    expect(be.argsOf("inbox_send_template")).toHaveLength(0);

    await user.type(screen.getByTestId("inbox-template-param-2"), "amanhã às 9h");
    expect(screen.getByTestId("inbox-template-preview").textContent).toBe("Olá Maria, sua consulta é amanhã às 9h.");
    await user.click(screen.getByTestId("inbox-send-template"));
    await waitFor(() =>
      expect(be.argsOf("inbox_send_template")).toEqual([
        { id: "c-lead", name: "lembrete_consulta", language: "pt_BR", params: ["Maria", "amanhã às 9h"] },
      ]),
    );
    expect((await screen.findByTestId("msg-m-tpl")).textContent).toContain("Modelo: lembrete_consulta");

    // a template without parameters
    await user.selectOptions(select, "retorno|pt_BR");
    expect(screen.queryByTestId("inbox-template-param-1")).toBeNull();
    expect(screen.getByTestId("inbox-template-preview").textContent).toBe("Podemos agendar seu retorno?");
    await user.click(screen.getByTestId("inbox-send-template"));
    await waitFor(() => expect(be.argsOf("inbox_send_template")[1]).toEqual({ id: "c-lead", name: "retorno", language: "pt_BR", params: [] }));
  });

  test("template_params refusal reads in pt-BR", async () => {
    await openInbox([{ ...LEAD, window_open: false }], {
      inbox_send_template: () => reject("template_params", "expected 2"),
    });
    const { user } = await openThread("c-lead");
    await user.selectOptions(await screen.findByTestId("inbox-template"), "retorno|pt_BR");
    await user.click(screen.getByTestId("inbox-send-template"));
    expect((await screen.findByTestId("inbox-send-error")).textContent).toBe(
      "O número de parâmetros não confere com o modelo.",
    );
  });
});

describe("linking to a patient", () => {
  test("a suggested patient is linked with one click", async () => {
    const { be } = await openInbox();
    const { user, thread } = await openThread("c-lead");
    await user.click(within(thread).getByTestId("inbox-link-pat-joao"));
    await waitFor(() => expect(be.argsOf("inbox_link_patient")).toEqual([{ id: "c-lead", patient_id: "pat-joao" }]));
    const linked = await within(thread).findByTestId("inbox-patient");
    expect(linked.textContent).toBe("João da Silva");
    expect(within(thread).queryByTestId("inbox-convert")).toBeNull();
  });

  test("the linked patient opens the patient page", async () => {
    await openInbox(undefined, {
      get_patient: () => ({
        patient: {
          id: "pat-joao",
          name: "João da Silva",
          social_name: null,
          birth_date: null,
          sex: null,
          cpf: null,
          phones: {},
          email: null,
          consents: {},
          tags: [],
          created_at: "2026-01-01T00:00:00Z",
        },
        upcoming: [],
      }),
    });
    const { user, thread } = await openThread("c-joao");
    await user.click(within(thread).getByTestId("inbox-patient"));
    expect((await screen.findByTestId("patient-name")).textContent).toBe("João da Silva");
  });

  test("Vincular a paciente… searches with the patient search", async () => {
    const hit: PatientHit = {
      id: "pat-ana",
      name: "Ana Pereira",
      social_name: null,
      birth_date: null,
      cpf: null,
      phones: [],
      email: null,
    };
    const { be } = await openInbox(undefined, { search_patients: () => [hit] });
    const { user } = await openThread("c-lead");
    await user.click(screen.getByTestId("inbox-link-search"));
    const dialog = await screen.findByTestId("inbox-link-dialog");
    await user.click(within(dialog).getByTestId("inbox-link-confirm"));
    expect(within(dialog).getByTestId("inbox-link-dialog-error").textContent).toBe("Escolha um paciente da lista.");
    await user.type(within(dialog).getByTestId("inbox-link-patient"), "Ana");
    await user.click(await within(dialog).findByTestId("inbox-link-patient-option"));
    await user.click(within(dialog).getByTestId("inbox-link-confirm"));
    await waitFor(() => expect(be.argsOf("inbox_link_patient")).toEqual([{ id: "c-lead", patient_id: "pat-ana" }]));
    await waitFor(() => expect(screen.queryByTestId("inbox-link-dialog")).toBeNull());
    expect(be.argsOf("search_patients").some((a) => a.query === "Ana")).toBe(true);
  });

  test("Cadastrar paciente: name and phone prefilled, CPF optional; field errors come back under the field", async () => {
    let refuse = true;
    const store = inboxStore([LEAD, JOAO, QUIET]);
    const convert = store.handlers.inbox_convert_lead;
    store.handlers.inbox_convert_lead = (args: unknown) => {
      if (refuse) {
        refuse = false;
        return reject("duplicate_cpf", "CPF already registered", "cpf");
      }
      return convert(args);
    };
    const be = backend(baseHandlers(store.handlers));
    renderShell({ kind: "inbox" });
    await screen.findByTestId("inbox-list");
    const { user, thread } = await openThread("c-lead");
    await user.click(within(thread).getByTestId("inbox-convert"));
    const dialog = await screen.findByTestId("inbox-convert-dialog");
    const name = within(dialog).getByTestId("inbox-convert-name") as HTMLInputElement;
    expect(name.value).toBe("Maria Lead");
    expect((within(dialog).getByTestId("inbox-convert-phone") as HTMLInputElement).value).toBe("+55 11 98765-4321");

    // client checks first
    await user.type(within(dialog).getByTestId("inbox-convert-cpf"), "52998224724");
    await user.click(within(dialog).getByTestId("inbox-convert-save"));
    expect((await within(dialog).findByTestId("inbox-convert-cpf-error")).textContent).toMatch(/^CPF inválido/);
    expect(be.argsOf("inbox_convert_lead")).toHaveLength(0);

    await user.clear(within(dialog).getByTestId("inbox-convert-cpf"));
    await user.type(within(dialog).getByTestId("inbox-convert-cpf"), "52998224725");
    await user.clear(name);
    await user.type(name, "Maria  Souza ");
    await user.click(within(dialog).getByTestId("inbox-convert-save"));
    expect((await within(dialog).findByTestId("inbox-convert-cpf-error")).textContent).toBe(
      "Já existe um paciente com este CPF.",
    );

    await user.click(within(dialog).getByTestId("inbox-convert-save"));
    await waitFor(() => expect(screen.queryByTestId("inbox-convert-dialog")).toBeNull());
    const form = { name: "Maria Souza", phones: ["+55 11 98765-4321"], cpf: "52998224725" };
    expect(be.argsOf("inbox_convert_lead")).toEqual([
      { id: "c-lead", form },
      { id: "c-lead", form },
    ]);
    expect((await within(thread).findByTestId("inbox-patient")).textContent).toBe("Maria Souza");
  });
});

describe("who can do what", () => {
  test("clínico reads the thread but has no reply box, no link or convert actions, and marks nothing", async () => {
    const { be } = await openInbox(undefined, {}, "clinico");
    expect(screen.getByTestId("nav-inbox")).toBeTruthy();
    const { thread } = await openThread("c-lead");
    await screen.findByTestId("msg-m-1");
    expect(within(thread).queryByTestId("inbox-reply")).toBeNull();
    expect(within(thread).queryByTestId("inbox-send")).toBeNull();
    expect(within(thread).queryByTestId("inbox-convert")).toBeNull();
    expect(within(thread).queryByTestId("inbox-link-search")).toBeNull();
    expect(within(thread).queryByTestId("inbox-link-pat-joao")).toBeNull();
    expect(within(thread).getByTestId("inbox-readonly").textContent).toBe("Somente leitura para o seu papel.");
    expect(be.argsOf("inbox_mark_read")).toEqual([]);
  });

  test("comercial answers conversations", async () => {
    await openInbox(undefined, {}, "comercial");
    await openThread("c-lead");
    expect(await screen.findByTestId("inbox-reply")).toBeTruthy();
    expect(screen.getByTestId("inbox-convert")).toBeTruthy();
  });
});

describe("answers to reminders that need the front desk", () => {
  const REMARCAR = {
    ...JOAO,
    attention: { reason: "pediu-remarcar" as const, message_id: "m-r", appointment_id: "appt-1", at: minutesAgo(125) },
  };
  const CANCELOU = {
    ...QUIET,
    attention: { reason: "cancelou" as const, message_id: "m-c", appointment_id: "appt-2", at: minutesAgo(40) },
  };

  test("tags on the rows, a banner in the thread, an alert with the count that opens the inbox; answering clears it", async () => {
    const user = userEvent.setup();
    const store = inboxStore([LEAD, REMARCAR, CANCELOU]);
    const reply = store.handlers.inbox_reply;
    // the core settles the attention when someone replies
    store.handlers.inbox_reply = (args: { id: string; text: string }) => {
      store.state.rows.find((r) => r.id === args.id)!.attention = null;
      return reply(args);
    };
    const be = backend(baseHandlers(store.handlers));
    renderShell({ kind: "patients" });

    const alert = await waitFor(() => {
      const el = document.querySelector('[data-alert="inbox-attention"]');
      expect(el).toBeTruthy();
      return el as HTMLElement;
    });
    expect(alert.textContent).toContain("2 conversas precisam de atenção");
    // one inbox_list for the badge and the alert
    expect(be.argsOf("inbox_list")).toHaveLength(1);
    await user.click(within(alert).getByRole("button", { name: "Abrir mensagens" }));
    await screen.findByTestId("inbox-list");
    expect(screen.getByTestId("nav-inbox").getAttribute("aria-current")).toBe("page");

    expect(screen.getByTestId("inbox-attention-c-joao").textContent).toBe("Quer remarcar");
    expect(screen.getByTestId("inbox-attention-c-quiet").textContent).toBe("Cancelou a consulta");
    expect(screen.queryByTestId("inbox-attention-c-lead")).toBeNull();
    // the shell's order stands
    const ids = within(screen.getByTestId("inbox-list"))
      .getAllByRole("button")
      .map((b) => b.getAttribute("data-id"));
    expect(ids).toEqual(["c-lead", "c-joao", "c-quiet"]);

    await openThread("c-quiet");
    expect((await screen.findByTestId("inbox-attention")).textContent).toBe(
      "O paciente cancelou a consulta pelo WhatsApp: o horário está livre.",
    );
    await openThread("c-joao");
    await waitFor(() =>
      expect(screen.getByTestId("inbox-attention").textContent).toBe(
        "O paciente pediu para remarcar a consulta. Responda para combinar um novo horário.",
      ),
    );

    await user.type(await screen.findByTestId("inbox-reply"), "Claro! Que dia fica bom?{Enter}");
    await waitFor(() => expect(be.argsOf("inbox_reply")).toHaveLength(1));
    await waitFor(() => expect(screen.queryByTestId("inbox-attention")).toBeNull());
    expect(screen.queryByTestId("inbox-attention-c-joao")).toBeNull();
    expect(screen.getByTestId("inbox-attention-c-quiet")).toBeTruthy();
    await waitFor(() =>
      expect(document.querySelector('[data-alert="inbox-attention"]')?.textContent).toContain(
        "1 conversa precisa de atenção",
      ),
    );
  });

  test("an unclear answer reads as such", async () => {
    const unclear = {
      ...LEAD,
      attention: { reason: "resposta-incerta" as const, message_id: "m-3", appointment_id: null, at: minutesAgo(12) },
    };
    await openInbox([unclear]);
    expect(screen.getByTestId("inbox-attention-c-lead").textContent).toBe("Resposta não entendida");
    await openThread("c-lead");
    expect((await screen.findByTestId("inbox-attention")).textContent).toBe(
      "Não entendemos a resposta ao lembrete: leia e responda.",
    );
  });

  test("clínico (read-only) sees the tags but gets no alert", async () => {
    await openInbox([LEAD, REMARCAR], {}, "clinico");
    expect(screen.getByTestId("inbox-attention-c-joao")).toBeTruthy();
    expect(screen.getByTestId("alerts").getAttribute("data-count")).toBe("0");
    expect(document.querySelector('[data-alert="inbox-attention"]')).toBeNull();
  });

  test("the front desk gets no alert while nothing needs it", async () => {
    backend(baseHandlers({ inbox_list: () => [LEAD, JOAO] }));
    renderShell({ kind: "patients" });
    await screen.findByTestId("nav-inbox-unread");
    expect(document.querySelector('[data-alert="inbox-attention"]')).toBeNull();
  });
});

test("messages the server sends on its own are marked automatic", async () => {
  const store = inboxStore([QUIET]);
  store.state.messages["c-quiet"] = [
    msg({
      id: "a-1",
      direction: "enviada",
      kind: "template",
      at: minutesAgo(60),
      author_name: "Lembrete automático",
      automatic: true,
      status: "lida",
      template: { name: "lembrete_consulta", language: "pt_BR", params: ["João", "24/11 às 09:00", "Dra. Ana"] },
    }),
    msg({ id: "a-2", text: "Confirmar", kind: "button", at: minutesAgo(50) }),
    msg({ id: "a-3", direction: "enviada", text: "Obrigado!", at: minutesAgo(49), author_name: "Recepção", status: "lida" }),
  ];
  backend(baseHandlers(store.handlers));
  renderShell({ kind: "inbox" });
  await screen.findByTestId("inbox-list");
  await openThread("c-quiet");
  const auto = await screen.findByTestId("msg-a-1");
  expect(auto.getAttribute("data-automatic")).toBe("true");
  expect(auto.className).toContain("msg-auto");
  expect(screen.getByTestId("msg-auto-a-1").textContent).toBe("automático");
  expect(auto.textContent).toContain("Lembrete automático");
  expect(screen.getByTestId("msg-a-3").getAttribute("data-automatic")).toBeNull();
  expect(screen.queryByTestId("msg-auto-a-3")).toBeNull();
  expect(screen.queryByTestId("msg-auto-a-2")).toBeNull();
});

describe("who answers", () => {
  const ANA = { user_id: "u-ana", name: "ana@sorriso.com.br", at: NOW_S - 600 };

  test("taking a conversation, seeing who has one, and giving it back", async () => {
    const { be } = await openInbox([LEAD, { ...JOAO, assignee: ANA }, QUIET]);
    expect(screen.getByTestId("inbox-assignee-c-joao").textContent).toBe("com ana@sorriso.com.br");
    expect(screen.queryByTestId("inbox-assignee-c-lead")).toBeNull();

    const { user } = await openThread("c-lead");
    expect(screen.getByTestId("inbox-thread-assignee").textContent).toContain("Ninguém está atendendo");
    await user.click(screen.getByTestId("inbox-take"));
    await waitFor(() => expect(be.argsOf("inbox_assign")).toEqual([{ id: "c-lead", take: true }]));
    await waitFor(() => expect(screen.getByTestId("inbox-assignee-c-lead").textContent).toBe("com você"));
    expect(screen.getByTestId("inbox-assignee-c-lead").getAttribute("data-mine")).toBe("true");
    expect(screen.getByTestId("inbox-thread-assignee").textContent).toContain("com você");

    await user.click(screen.getByTestId("inbox-release"));
    await waitFor(() => expect(be.argsOf("inbox_assign")[1]).toEqual({ id: "c-lead", take: false }));
    await waitFor(() => expect(screen.queryByTestId("inbox-assignee-c-lead")).toBeNull());

    // someone else's: taken over, with the button saying so
    await openThread("c-joao");
    expect(screen.getByTestId("inbox-take").textContent).toBe("Assumir no lugar");
  });

  test("the list shows all, mine, or those nobody took", async () => {
    const mine = { user_id: "u-recepcao", name: "recepcao@sorriso.com.br", at: NOW_S };
    await openInbox([{ ...LEAD, assignee: mine }, { ...JOAO, assignee: ANA }, QUIET]);
    const user = userEvent.setup();
    expect(shown()).toEqual(["c-lead", "c-joao", "c-quiet"]);
    expect(screen.getByTestId("inbox-filter-mine").textContent).toBe("Minhas (1)");
    await user.click(screen.getByTestId("inbox-filter-mine"));
    expect(screen.getByTestId("inbox-filter-mine").getAttribute("aria-pressed")).toBe("true");
    expect(shown()).toEqual(["c-lead"]);
    await user.click(screen.getByTestId("inbox-filter-free"));
    expect(shown()).toEqual(["c-quiet"]);
    await user.click(screen.getByTestId("inbox-filter-all"));
    expect(shown()).toHaveLength(3);
  });

  test("nothing taken yet: the filter says so", async () => {
    await openInbox([LEAD]);
    const user = userEvent.setup();
    await user.click(screen.getByTestId("inbox-filter-mine"));
    expect(screen.getByTestId("inbox-filter-empty").textContent).toBe("Você não assumiu nenhuma conversa.");
  });

  test("clínico sees who answers but takes nothing", async () => {
    await openInbox([{ ...JOAO, assignee: ANA }], {}, "clinico");
    await openThread("c-joao");
    expect(screen.getByTestId("inbox-thread-assignee").textContent).toContain("com ana@sorriso.com.br");
    expect(screen.queryByTestId("inbox-take")).toBeNull();
  });
});

describe("labels", () => {
  test("put and taken off from the thread; the list shows them; the box suggests those in use", async () => {
    const { be } = await openInbox([LEAD, { ...JOAO, tags: ["retorno"] }, QUIET]);
    expect(screen.getByTestId("inbox-tags-c-joao").textContent).toBe("retorno");
    const { user } = await openThread("c-lead");
    await waitFor(() => expect(document.querySelectorAll("#inbox-tag-suggestions option")).toHaveLength(1));
    expect((document.querySelector("#inbox-tag-suggestions option") as HTMLOptionElement).value).toBe("retorno");
    const input = screen.getByTestId("inbox-tag-input") as HTMLInputElement;
    await user.type(input, "orçamento{Enter}");
    await waitFor(() => expect(be.argsOf("inbox_tag")).toEqual([{ id: "c-lead", tag: "orçamento", on: true }]));
    await waitFor(() => expect(screen.getByTestId("inbox-tags-c-lead").textContent).toBe("orçamento"));
    expect(input.value).toBe("");

    await user.click(screen.getByTestId("inbox-untag-orçamento"));
    await waitFor(() => expect(be.argsOf("inbox_tag")[1]).toEqual({ id: "c-lead", tag: "orçamento", on: false }));
    await waitFor(() => expect(screen.queryByTestId("inbox-tags-c-lead")).toBeNull());
  });

  test("a label the core refuses keeps the text and says why in pt-BR", async () => {
    await openInbox([LEAD], { inbox_tag: () => reject("invalid", "at most 10 labels on a conversation", "tag") });
    const { user } = await openThread("c-lead");
    const input = screen.getByTestId("inbox-tag-input") as HTMLInputElement;
    await user.type(input, "décima primeira{Enter}");
    expect((await screen.findByTestId("inbox-tag-error")).textContent).toBe(
      "Etiqueta inválida: até 30 caracteres, no máximo 10 por conversa.",
    );
    expect(input.value).toBe("décima primeira");
  });

  test("the list is narrowed by a label; a label nobody has any more stops narrowing", async () => {
    const { store } = await openInbox([
      { ...LEAD, tags: ["orçamento"] },
      { ...JOAO, tags: ["retorno", "orçamento"] },
      QUIET,
    ]);
    const user = userEvent.setup();
    const select = screen.getByTestId("inbox-label-filter") as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(["Todas as etiquetas", "orçamento", "retorno"]);
    await user.selectOptions(select, "retorno");
    expect(shown()).toEqual(["c-joao"]);
    expect(screen.getByTestId("inbox-filter-all").textContent).toBe("Todas (1)");
    await user.selectOptions(select, "orçamento");
    expect(shown()).toEqual(["c-lead", "c-joao"]);

    // João's last "retorno" is taken off on another workstation: the list shows everyone again
    await user.selectOptions(select, "retorno");
    store.state.rows[1].tags = ["orçamento"];
    await fire("data-changed", {});
    await waitFor(() => expect(shown()).toHaveLength(3));
    expect([...(screen.getByTestId("inbox-label-filter") as HTMLSelectElement).options].map((o) => o.value)).toEqual([
      "",
      "orçamento",
    ]);
  });

  test("clínico sees the labels but changes none", async () => {
    await openInbox([{ ...JOAO, tags: ["retorno"] }], {}, "clinico");
    await openThread("c-joao");
    expect(screen.getByTestId("inbox-thread-tags").textContent).toBe("retorno");
    expect(screen.queryByTestId("inbox-tag-input")).toBeNull();
    expect(screen.queryByTestId("inbox-untag-retorno")).toBeNull();
  });
});

describe("search", () => {
  test("by name without accents, by the patient's name, and by phone digits in any format", async () => {
    await openInbox([LEAD, JOAO, QUIET]);
    const user = userEvent.setup();
    const box = screen.getByTestId("inbox-search");
    await user.type(box, "joao");
    expect(shown()).toEqual(["c-joao"]);
    await user.clear(box);
    await user.type(box, "SILVA");
    expect(shown()).toEqual(["c-joao"]);
    await user.clear(box);
    await user.type(box, "(21) 99876");
    expect(shown()).toEqual(["c-quiet"]);
    await user.clear(box);
    await user.type(box, "maria lead");
    expect(shown()).toEqual(["c-lead"]);
    expect(screen.getByTestId("inbox-filter-free").textContent).toBe("Sem responsável (1)");
  });

  test("nothing found: says so and clears the search in one click", async () => {
    await openInbox([LEAD, JOAO]);
    const user = userEvent.setup();
    await user.type(screen.getByTestId("inbox-search"), "beatriz");
    expect(screen.getByTestId("inbox-filter-empty").textContent).toContain("Nenhuma conversa encontrada.");
    await user.click(screen.getByTestId("inbox-search-clear"));
    expect((screen.getByTestId("inbox-search") as HTMLInputElement).value).toBe("");
    expect(shown()).toEqual(["c-lead", "c-joao"]);
  });
});
