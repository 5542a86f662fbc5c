// Pure layout of the agenda grid: columns, the 15-minute rows over the
// opening hours, which cells are closed, blocked, taken or free, and lanes
// for appointments that overlap in one column (merge conflicts).
import { addDays, joinStart, mondayOf, splitStart, toMinutes, weekdayOf } from "../../dates";
import type { Appointment, Block, Directory } from "../../types";

export const STEP = 15;

export type ViewMode = "day" | "week";
export type Grouping = "professional" | "chair";

export type Column = {
  key: string;
  day: string;
  professional_id?: string;
  chair_id?: string;
  /** Column heading: a resource name (day view) or empty (week view: the day is the heading). */
  name: string;
};

/** Statuses that no longer hold their slot: not drawn on the grid. */
export const HIDDEN_STATUSES = new Set(["cancelado", "remarcado"]);

export function visible(appointments: Appointment[]): Appointment[] {
  return appointments.filter((a) => !HIDDEN_STATUSES.has(a.status));
}

/** Days fetched for a view: [from, to). */
export function rangeOf(date: string, view: ViewMode): { from: string; to: string } {
  if (view === "day") return { from: date, to: addDays(date, 1) };
  const from = mondayOf(date);
  return { from, to: addDays(from, 7) };
}

export function siteChairs(dir: Directory) {
  return dir.chairs.filter((c) => c.site_id === dir.site.id);
}

export function columnsFor(
  dir: Directory,
  date: string,
  view: ViewMode,
  group: Grouping,
  resourceId: string | null,
  appointments: Appointment[],
): Column[] {
  if (view === "week") {
    if (!resourceId) return [];
    const from = mondayOf(date);
    return Array.from({ length: 7 }, (_, i) => {
      const day = addDays(from, i);
      return group === "professional"
        ? { key: day, day, professional_id: resourceId, name: "" }
        : { key: day, day, chair_id: resourceId, name: "" };
    });
  }
  const used = new Set(appointments.map((a) => (group === "professional" ? a.professional_id : a.chair_id)));
  if (group === "professional") {
    return dir.professionals
      .filter((p) => p.active || used.has(p.id))
      .map((p) => ({ key: p.id, day: date, professional_id: p.id, name: p.name }));
  }
  return siteChairs(dir)
    .filter((c) => c.active || used.has(c.id))
    .map((c) => ({ key: c.id, day: date, chair_id: c.id, name: c.name }));
}

/** Opening periods of a day, in minutes. */
export function openingOf(dir: Directory, day: string): [number, number][] {
  const wd = weekdayOf(day);
  return dir.site.hours
    .filter((h) => h.day === wd)
    .map((h) => [toMinutes(h.open), toMinutes(h.close)] as [number, number])
    .filter(([o, c]) => c > o)
    .sort((a, b) => a[0] - b[0]);
}

/** The rows' span [start, end) in minutes: the opening hours of the days shown, widened to hold every appointment. */
export function rowSpan(dir: Directory, days: string[], appointments: Appointment[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of days) {
    for (const [o, c] of openingOf(dir, d)) {
      lo = Math.min(lo, o);
      hi = Math.max(hi, c);
    }
  }
  const daySet = new Set(days);
  for (const a of appointments) {
    const [d, m] = splitStart(a.start);
    if (!daySet.has(d)) continue;
    lo = Math.min(lo, m);
    hi = Math.max(hi, Math.min(m + a.duration_min, 24 * 60));
  }
  if (!(hi > lo)) return null;
  return [Math.floor(lo / STEP) * STEP, Math.ceil(hi / STEP) * STEP];
}

export function isOpen(periods: [number, number][], minute: number): boolean {
  return periods.some(([o, c]) => minute >= o && minute + STEP <= c);
}

export function blockApplies(b: Block, col: Column): boolean {
  if (!b.professional_id && !b.chair_id) return true;
  if (col.professional_id && b.professional_id === col.professional_id) return true;
  if (col.chair_id && b.chair_id === col.chair_id) return true;
  return false;
}

/** The block covering a cell of a column, if any. */
export function blockAt(blocks: Block[], col: Column, minute: number): Block | undefined {
  const from = joinStart(col.day, minute);
  const to = joinStart(col.day, minute + STEP);
  return blocks.find((b) => blockApplies(b, col) && b.start < to && b.end > from);
}

export function inColumn(a: Appointment, col: Column): boolean {
  if (splitStart(a.start)[0] !== col.day) return false;
  if (col.professional_id && a.professional_id !== col.professional_id) return false;
  if (col.chair_id && a.chair_id !== col.chair_id) return false;
  return true;
}

export type Placed = { appointment: Appointment; start: number; end: number; lane: number; lanes: number };

/** Side-by-side lanes for appointments that overlap within one column. */
export function placeInLanes(appointments: Appointment[]): Placed[] {
  const items = appointments
    .map((a) => {
      const start = splitStart(a.start)[1];
      return { appointment: a, start, end: start + Math.max(a.duration_min, 1), lane: 0, lanes: 1 };
    })
    .sort((x, y) => x.start - y.start || x.end - y.end || x.appointment.id.localeCompare(y.appointment.id));
  const out: Placed[] = [];
  let cluster: Placed[] = [];
  let laneEnds: number[] = [];
  let clusterEnd = -1;
  const flush = () => {
    for (const p of cluster) p.lanes = laneEnds.length;
    out.push(...cluster);
    cluster = [];
    laneEnds = [];
  };
  for (const it of items) {
    if (it.start >= clusterEnd) flush();
    let lane = laneEnds.findIndex((end) => end <= it.start);
    if (lane === -1) {
      lane = laneEnds.length;
      laneEnds.push(it.end);
    } else {
      laneEnds[lane] = it.end;
    }
    it.lane = lane;
    cluster.push(it);
    clusterEnd = Math.max(clusterEnd, it.end);
  }
  flush();
  return out;
}

/** Whether [start, start+duration) on `day` is free for a resource among the loaded appointments. */
export function isFree(
  appointments: Appointment[],
  day: string,
  start: number,
  duration: number,
  match: (a: Appointment) => boolean,
): boolean {
  return !appointments.some((a) => {
    const [d, m] = splitStart(a.start);
    return d === day && match(a) && m < start + duration && m + a.duration_min > start;
  });
}
