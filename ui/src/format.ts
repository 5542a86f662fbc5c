// How values read on screen: CPF "529.982.247-25", phones "(11) 98765-4321".

export function formatCpf(cpf: string | null | undefined): string {
  if (!cpf) return "";
  const d = cpf.replace(/\D/g, "");
  if (d.length !== 11) return cpf;
  return `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}`;
}

/** E.164 → "(11) 98765-4321" for Brazilian numbers; others stay as they are. */
export function formatPhone(e164: string | null | undefined): string {
  if (!e164) return "";
  const m = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(e164);
  if (!m) return e164;
  return `(${m[1]}) ${m[2]}-${m[3]}`;
}

/** Progressive mask while typing a CPF: "52998224725" → "529.982.247-25". */
export function maskCpf(input: string): string {
  if (/[^0-9.\- ]/.test(input)) return input;
  const d = input.replace(/\D/g, "").slice(0, 11);
  let out = d.slice(0, 3);
  if (d.length > 3) out += "." + d.slice(3, 6);
  if (d.length > 6) out += "." + d.slice(6, 9);
  if (d.length > 9) out += "-" + d.slice(9);
  return out;
}

/** Progressive mask for a Brazilian phone with DDD; "+…" is left alone. */
export function maskPhone(input: string): string {
  if (input.trim().startsWith("+") || /[^0-9 ()\-.]/.test(input)) return input;
  const d = input.replace(/\D/g, "");
  if (d.length > 11) return input;
  if (d.length <= 2) return d.length ? `(${d}` : "";
  const ddd = d.slice(0, 2);
  const rest = d.slice(2);
  if (rest.length <= 4) return `(${ddd}) ${rest}`;
  const cut = rest.length === 9 ? 5 : 4;
  return `(${ddd}) ${rest.slice(0, cut)}-${rest.slice(cut)}`;
}

/** Progressive mask for DD/MM/AAAA. */
export function maskDate(input: string): string {
  if (/[^0-9/]/.test(input)) return input;
  const d = input.replace(/\D/g, "").slice(0, 8);
  let out = d.slice(0, 2);
  if (d.length > 2) out += "/" + d.slice(2, 4);
  if (d.length > 4) out += "/" + d.slice(4);
  return out;
}

/** Cents → "R$ 1.234,56" (in the current language's notation; plain spaces). */
export function formatMoney(cents: number | null | undefined, lang = "pt-BR"): string {
  if (cents == null) return "";
  return new Intl.NumberFormat(lang, { style: "currency", currency: "BRL" })
    .format(cents / 100)
    .replace(/\u00a0|\u202f/g, " ");
}

/**
 * An amount typed in reais → cents, or null. Brazilian notation first
 * ("1.234,56", "R$ 80", "80,5"); "1234.56" is read as a decimal point.
 */
export function parseMoney(input: string): number | null {
  let s = input.replace(/R\$/i, "").replace(/\s/g, "");
  if (!s) return null;
  if (!/^\d[\d.,]*$/.test(s)) return null;
  if (s.includes(",")) {
    if (!/^\d{1,3}(\.\d{3})*(,\d{1,2})?$|^\d+(,\d{1,2})?$/.test(s)) return null;
    s = s.replace(/\./g, "").replace(",", ".");
  } else if (/^\d+\.\d{1,2}$/.test(s)) {
    // a decimal point
  } else if (/^\d{1,3}(\.\d{3})+$|^\d+$/.test(s)) {
    s = s.replace(/\./g, "");
  } else {
    return null;
  }
  const cents = Math.round(Number(s) * 100);
  return Number.isFinite(cents) ? cents : null;
}

/** Cents → "1234,56" for an input the person edits. */
export function moneyInput(cents: number): string {
  return (cents / 100).toFixed(2).replace(".", ",");
}

/** An instant ("2026-11-23T10:00:00Z" or a wall clock) → "23/11/2026 10:00" in the current language. */
export function formatDateTime(s: string | null | undefined, lang: string): string {
  if (!s) return "";
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  const date = d.toLocaleDateString(lang, { day: "2-digit", month: "2-digit", year: "numeric" });
  const time = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hour12: false });
  return `${date} ${time}`;
}
