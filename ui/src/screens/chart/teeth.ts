// The odontogram's geometry and rules, pure: FDI teeth (as the core checks
// them, app/src/odontogram.rs), the faces each tooth has, where each face is
// drawn, the rows of the chart and moving between teeth with the keyboard.
import type { Procedure, Surface } from "../../types";

export const quadrant = (tooth: string) => Number(tooth[0]);
export const position = (tooth: string) => Number(tooth[1]);

/** 11–18 … 41–48 (permanent), 51–55 … 81–85 (deciduous). */
export const isTooth = (s: string) => /^[1-4][1-8]$|^[5-8][1-5]$/.test(s);
export const isDeciduous = (tooth: string) => quadrant(tooth) >= 5;
/** Quadrants 1, 2, 5 and 6. */
export const isUpper = (tooth: string) => [1, 2, 5, 6].includes(quadrant(tooth));
/** Incisors and canines: an incisal edge, no occlusal face. */
export const isAnterior = (tooth: string) => position(tooth) <= 3;
/** The patient's right (quadrants 1, 4, 5, 8) is drawn on the viewer's left. */
export const onViewerLeft = (tooth: string) => [1, 4, 5, 8].includes(quadrant(tooth));

/** The faces a tooth has, in the order they are written ("MOD", "MIV"): M, O or I, D, V, L or P. */
export function surfacesOf(tooth: string): Surface[] {
  return ["M", isAnterior(tooth) ? "I" : "O", "D", "V", isUpper(tooth) ? "P" : "L"];
}

export type Side = "top" | "right" | "bottom" | "left" | "centre";
export const SIDES: Side[] = ["top", "right", "bottom", "left", "centre"];

/**
 * The face drawn at each part of a tooth's square: the centre is occlusal or
 * incisal; vestibular faces out of the mouth (up on upper teeth, down on
 * lower ones); mesial faces the midline, so M and D swap sides between the
 * viewer's left and right quadrants.
 */
export function faceAt(tooth: string, side: Side): Surface {
  const upper = isUpper(tooth);
  switch (side) {
    case "centre":
      return isAnterior(tooth) ? "I" : "O";
    case "top":
      return upper ? "V" : "L";
    case "bottom":
      return upper ? "P" : "V";
    case "left":
      return onViewerLeft(tooth) ? "D" : "M";
    case "right":
      return onViewerLeft(tooth) ? "M" : "D";
  }
}

const run = (q: number, from: number, to: number) => {
  const out: string[] = [];
  for (let p = from; from > to ? p >= to : p <= to; p += from > to ? -1 : 1) out.push(`${q}${p}`);
  return out;
};

export type ToothRow = { key: string; upper: boolean; deciduous: boolean; teeth: string[] };

/** Top to bottom, as a Brazilian chart shows them: 18→11 | 21→28, 55→51 | 61→65, 85→81 | 71→75, 48→41 | 31→38. */
export const ROWS: ToothRow[] = [
  { key: "upper-permanent", upper: true, deciduous: false, teeth: [...run(1, 8, 1), ...run(2, 1, 8)] },
  { key: "upper-deciduous", upper: true, deciduous: true, teeth: [...run(5, 5, 1), ...run(6, 1, 5)] },
  { key: "lower-deciduous", upper: false, deciduous: true, teeth: [...run(8, 5, 1), ...run(7, 1, 5)] },
  { key: "lower-permanent", upper: false, deciduous: false, teeth: [...run(4, 8, 1), ...run(3, 1, 8)] },
];

export const ALL_TEETH = ROWS.flatMap((r) => r.teeth);

/** Column 0–15 of a tooth, the midline between 7 and 8; a deciduous tooth sits under its permanent successor. */
export function columnOf(tooth: string): number {
  return onViewerLeft(tooth) ? 8 - position(tooth) : 7 + position(tooth);
}

/**
 * The tooth a key moves to from `tooth` among the rows shown, or null:
 * ← → along the row, ↑ ↓ to the nearest tooth of the row above or below,
 * Home and End to the row's ends.
 */
export function neighbour(tooth: string, key: string, rows: ToothRow[]): string | null {
  const r = rows.findIndex((row) => row.teeth.includes(tooth));
  if (r < 0) return null;
  const teeth = rows[r].teeth;
  const i = teeth.indexOf(tooth);
  switch (key) {
    case "ArrowLeft":
      return teeth[i - 1] ?? null;
    case "ArrowRight":
      return teeth[i + 1] ?? null;
    case "Home":
      return teeth[0];
    case "End":
      return teeth[teeth.length - 1];
    case "ArrowUp":
    case "ArrowDown": {
      const other = rows[key === "ArrowUp" ? r - 1 : r + 1];
      if (!other) return null;
      const col = columnOf(tooth);
      // nearest column; at a tie, the one on the same side of the midline
      return other.teeth.reduce((best, t) => {
        const d = Math.abs(columnOf(t) - col);
        const bd = Math.abs(columnOf(best) - col);
        return d < bd || (d === bd && onViewerLeft(t) === onViewerLeft(tooth)) ? t : best;
      });
    }
    default:
      return null;
  }
}

/** Arches, quadrants, sextants and the whole mouth, as the core spells them. */
export const REGIONS = [
  "upper",
  "lower",
  "Q1",
  "Q2",
  "Q3",
  "Q4",
  "Q5",
  "Q6",
  "Q7",
  "Q8",
  "S1",
  "S2",
  "S3",
  "S4",
  "S5",
  "S6",
  "mouth",
];

const TYPE_TEST: Record<string, (tooth: string) => boolean> = {
  anterior: isAnterior,
  posterior: (t) => !isAnterior(t),
  permanent: (t) => !isDeciduous(t),
  deciduous: isDeciduous,
};

/**
 * Whether a procedure may be charted on a tooth: it applies to teeth or
 * faces, and the tooth is of every one of its tooth types (none = every
 * tooth; "posterior" with "permanent" = a permanent molar or premolar), as
 * the core checks it.
 */
export function fitsTooth(p: Procedure, tooth: string): boolean {
  if (p.applies_to === "region") return false;
  return p.tooth_types.every((type) => TYPE_TEST[type]?.(tooth) ?? true);
}
