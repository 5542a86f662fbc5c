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
