// Pure helpers for the inbox: how long a contact has waited, message times,
// file sizes, a template's body with its parameters filled in.
import type { TFunction } from "i18next";
import type { Assignee, ConversationRow, MessageStatus, MessageView } from "../../types";

/** "com você", or "com ana@clinica.com.br" (someone else, named when known). */
export function assigneeText(t: TFunction, a: Assignee, me: string | null): string {
  if (a.user_id === me) return t("inbox.assignee.me");
  return a.name ? t("inbox.assignee.other", { name: a.name }) : t("inbox.assignee.someone");
}

/** Which conversations the list shows: all, the signed-in user's, or those nobody took. */
export type InboxFilter = "all" | "mine" | "free";

export function filterRows(rows: ConversationRow[], filter: InboxFilter, me: string | null): ConversationRow[] {
  if (filter === "mine") return rows.filter((r) => r.assignee?.user_id === me);
  if (filter === "free") return rows.filter((r) => !r.assignee);
  return rows;
}

/** Lower case without accents, so "joao" finds "João". */
export const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/**
 * The conversations a search and a label narrow the list to. The text is
 * looked for in the contact's and the patient's names (accents ignored) and,
 * when it has digits, in the phone's digits ("98765", "(11) 98765-4321").
 */
export function searchRows(rows: ConversationRow[], text: string, tag: string | null): ConversationRow[] {
  const words = fold(text).split(/\s+/).filter(Boolean);
  const digits = text.replace(/\D/g, "");
  const phoneLike = digits.length > 0 && /^[\d\s()+\-.]+$/.test(text.trim());
  return rows.filter((r) => {
    if (tag !== null && !r.tags.includes(tag)) return false;
    if (words.length === 0) return true;
    if (phoneLike) return (r.phone ?? "").replace(/\D/g, "").includes(digits);
    const names = fold(`${r.contact_name ?? ""} ${r.patient_name ?? ""}`);
    return words.every((w) => names.includes(w));
  });
}

/** Every label in use on the conversations, in alphabetical order (pt-BR). */
export function labelsInUse(rows: ConversationRow[]): string[] {
  return [...new Set(rows.flatMap((r) => r.tags))].sort((a, b) => a.localeCompare(b, "pt-BR"));
}

/** "aguardando há 12 min", "… há 2 h", "… há 3 dias" since `since` (unix seconds). */
export function waitingText(t: TFunction, since: number, nowMs: number): string {
  const minutes = Math.floor((nowMs / 1000 - since) / 60);
  if (minutes < 1) return t("inbox.waitingNow");
  if (minutes < 60) return t("inbox.waitingMin", { count: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t("inbox.waitingHours", { count: hours });
  return t("inbox.waitingDays", { count: Math.floor(hours / 24) });
}

/** Waiting an hour or more: shown more urgently. */
export const waitingLate = (since: number, nowMs: number) => nowMs / 1000 - since >= 3600;

/** A message's time: "14:05" today, "23/11 14:05" this year, else "23/11/2025 14:05". */
export function messageTime(at: number, lang: string, nowMs: number): string {
  const d = new Date(at * 1000);
  const now = new Date(nowMs);
  const time = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hour12: false });
  if (d.toDateString() === now.toDateString()) return time;
  const date =
    d.getFullYear() === now.getFullYear()
      ? d.toLocaleDateString(lang, { day: "2-digit", month: "2-digit" })
      : d.toLocaleDateString(lang, { day: "2-digit", month: "2-digit", year: "numeric" });
  return `${date} ${time}`;
}

/** Bytes → "820 B", "12,5 KB", "3,4 MB" in the current language. */
export function fileSize(bytes: number, lang: string): string {
  const num = (n: number) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(n);
  if (bytes < 1024) return `${num(bytes)} B`;
  if (bytes < 1024 * 1024) return `${num(bytes / 1024)} KB`;
  return `${num(bytes / (1024 * 1024))} MB`;
}

/** The body with {{1}}, {{2}} … replaced by the parameters typed so far (empty ones stay as placeholders). */
export function fillTemplate(body: string, params: string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => {
    const v = params[Number(n) - 1];
    return v && v.trim() ? v : whole;
  });
}

/** Who the conversation is with: the contact's name, else the phone. */
export function contactLabel(t: TFunction, c: Pick<ConversationRow, "contact_name" | "phone">): string {
  return c.contact_name?.trim() || c.phone || t("inbox.unknownContact");
}

/** A short mark beside an outbound message's status. */
export const STATUS_TICK: Record<MessageStatus, string> = {
  recebida: "",
  "na-fila": "◷",
  enviando: "↑",
  enviada: "✓",
  entregue: "✓✓",
  lida: "✓✓",
  falhou: "!",
  "precisa-modelo": "!",
  incerta: "?",
};

/** The message kinds that carry a file. */
export const MEDIA_KINDS = ["image", "audio", "video", "document", "sticker"];

/** WhatsApp's limit on a text message, in characters. */
export const MAX_TEXT = 4096;

/** What the nav badge and the alerts list show: unread messages, conversations needing the front desk. */
export function inboxCounts(rows: ConversationRow[]): { unread: number; attention: number } {
  return {
    unread: rows.reduce((n, r) => n + (r.unread || 0), 0),
    attention: rows.filter((r) => r.attention).length,
  };
}

/** Messages the server sends on its own (reminders, thank-you replies). */
export const isAutomatic = (m: Pick<MessageView, "direction" | "automatic">) =>
  m.direction === "enviada" && m.automatic;
