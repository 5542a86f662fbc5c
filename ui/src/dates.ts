// Calendar arithmetic on the contract's wall-clock strings ("YYYY-MM-DD",
// "YYYY-MM-DD HH:MM"). Done in UTC so daylight-saving never shifts a day.
import type { Weekday } from "./types";

export const WEEKDAYS: Weekday[] = ["dom", "seg", "ter", "qua", "qui", "sex", "sab"];

const pad = (n: number) => String(n).padStart(2, "0");

export function parseDay(day: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

export function formatDay(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function isDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  return formatDay(parseDay(s)) === s;
}

export function addDays(day: string, n: number): string {
  const d = parseDay(day);
  d.setUTCDate(d.getUTCDate() + n);
  return formatDay(d);
}

export function weekdayOf(day: string): Weekday {
  return WEEKDAYS[parseDay(day).getUTCDay()];
}

/** The Monday of the week holding `day` (weeks run Monday to Sunday, ISO). */
export function mondayOf(day: string): string {
  const dow = parseDay(day).getUTCDay();
  return addDays(day, dow === 0 ? -6 : 1 - dow);
}

/** "HH:MM" → minutes since midnight. */
export function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

export function fromMinutes(min: number): string {
  return `${pad(Math.floor(min / 60))}:${pad(min % 60)}`;
}

/** "YYYY-MM-DD HH:MM" → [day, minutes]. */
export function splitStart(start: string): [string, number] {
  const [day, time] = start.split(" ");
  return [day, toMinutes(time ?? "00:00")];
}

export function joinStart(day: string, min: number): string {
  return `${day} ${fromMinutes(min)}`;
}

/** Today's date where the clinic is (its IANA time zone), else on this machine. */
export function todayIn(timeZone?: string): string {
  const now = new Date();
  if (timeZone) {
    try {
      const parts = new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
      }).formatToParts(now);
      const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
      const s = `${get("year")}-${get("month")}-${get("day")}`;
      if (isDay(s)) return s;
    } catch {
      // unknown time zone: fall through to the machine's
    }
  }
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Whole years between `birth` (YYYY-MM-DD) and `today`. */
export function ageOn(birth: string, today: string): number | null {
  if (!isDay(birth)) return null;
  const [by, bm, bd] = birth.split("-").map(Number);
  const [ty, tm, td] = today.split("-").map(Number);
  let age = ty - by;
  if (tm < bm || (tm === bm && td < bd)) age -= 1;
  return age >= 0 ? age : null;
}

/** "YYYY-MM-DD" → "DD/MM/AAAA". */
export function dayToBr(day: string | null | undefined): string {
  if (!day || !isDay(day)) return day ?? "";
  const [y, m, d] = day.split("-");
  return `${d}/${m}/${y}`;
}

/**
 * Parses a start typed as "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM" or
 * "DD/MM/AAAA HH:MM" into the contract's form, or null.
 */
export function parseStart(input: string): string | null {
  const s = input.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$/.exec(s);
  let day: string;
  if (m) {
    day = `${m[1]}-${m[2]}-${m[3]}`;
  } else {
    m = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{1,2}):(\d{2})$/.exec(s);
    if (!m) return null;
    day = `${m[3]}-${m[2]}-${m[1]}`;
  }
  const h = Number(m[4]);
  const min = Number(m[5]);
  if (!isDay(day) || h > 23 || min > 59) return null;
  return `${day} ${pad(h)}:${pad(min)}`;
}
