// Client-side checks that mirror arcada-core's rules, so people see the
// problem before the round trip. The core checks again; its verdict wins.
import { isDay } from "./dates";

export type CpfProblem = "length" | "characters" | "repeated" | "check";

export function cpfDigits(input: string): string {
  return input.replace(/\D/g, "");
}

function checkDigit(digits: number[]): number {
  const top = digits.length + 1;
  const sum = digits.reduce((acc, d, i) => acc + d * (top - i), 0);
  const r = (sum * 10) % 11;
  return r === 10 ? 0 : r;
}

/** null when the CPF is valid (módulo 11 check digits, not all digits equal). */
export function cpfProblem(input: string): CpfProblem | null {
  const typed = input.trim();
  if (/[^0-9.\- ]/.test(typed)) return "characters";
  const d = cpfDigits(typed);
  if (d.length !== 11) return "length";
  if (/^(\d)\1{10}$/.test(d)) return "repeated";
  const nums = d.split("").map(Number);
  const first = checkDigit(nums.slice(0, 9));
  const second = checkDigit(nums.slice(0, 10));
  if (nums[9] !== first || nums[10] !== second) return "check";
  return null;
}

/** Brazilian area codes (DDD) in use, per Anatel; same list as the core. */
const DDDS = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47,
  48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87,
  88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
]);

/** true when the number reads as DDD + 8 or 9 digits (or an international +number). */
export function phoneValid(input: string): boolean {
  const typed = input.trim();
  const international = typed.startsWith("+");
  const body = international ? typed.slice(1) : typed;
  if (!body || /[^0-9 ()\-.]/.test(body)) return false;
  let digits = body.replace(/\D/g, "");
  if (international) {
    if (!digits.startsWith("55")) return digits.length >= 8 && digits.length <= 15;
    digits = digits.slice(2);
  } else {
    if (digits.length > 11 && digits.startsWith("55")) digits = digits.slice(2);
    if (digits.startsWith("0")) digits = digits.slice(1);
  }
  if (digits.length < 10 || digits.length > 11) return false;
  if (!DDDS.has(Number(digits.slice(0, 2)))) return false;
  const number = digits.slice(2);
  if (number.length === 9) return number[0] === "9";
  return /^[2-9]/.test(number);
}

export type BirthDateProblem = "format" | "future" | "too_old";

/** "DD/MM/AAAA" → "YYYY-MM-DD", or the problem. */
export function parseBirthDate(input: string, today: string): { day: string } | { problem: BirthDateProblem } {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(input.trim());
  if (!m) return { problem: "format" };
  const day = `${m[3]}-${m[2]}-${m[1]}`;
  if (!isDay(day)) return { problem: "format" };
  if (day > today) return { problem: "future" };
  if (day < "1900-01-01") return { problem: "too_old" };
  return { day };
}

export function emailValid(input: string): boolean {
  const s = input.trim();
  const at = s.indexOf("@");
  if (at <= 0) return false;
  const domain = s.slice(at + 1);
  return (
    domain.includes(".") &&
    !domain.startsWith(".") &&
    !domain.endsWith(".") &&
    !domain.includes("@") &&
    !/\s/.test(s)
  );
}

export type NameProblem = "required" | "invalid";

export function nameProblem(input: string): NameProblem | null {
  const s = input.trim().replace(/\s+/g, " ");
  if (!s) return "required";
  // eslint-disable-next-line no-control-regex
  if ([...s].length > 200 || !/\p{L}/u.test(s) || /[\u0000-\u001f\u007f]/.test(s)) return "invalid";
  return null;
}
