// The odontogram: every tooth as the classic five-region square (centre
// occlusal/incisal; vestibular, lingual/palatal, mesial and distal around it)
// with a root area and its FDI number. Entries draw on it in their colour;
// a tooth is a button (arrow keys move, Enter or Space select) and each face
// can be clicked to mark it for the charting form.
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Baseline, Entry, Legend, Surface } from "../../types";
import { ENTRY_STATUSES } from "../../types";
import { useChart } from "./chartContext";
import { isInvalidated } from "./labels";
import { ROWS, SIDES, columnOf, faceAt, neighbour, type Side, type ToothRow } from "./teeth";

const CELL = 40; // width of a tooth's column
const CROWN = 28; // side of the crown square
const INSET = 8; // depth of the four side faces
const PAD = (CELL - CROWN) / 2;
const LABEL = 14;
const ROOT = 16;
const TOOTH_H = LABEL + ROOT + CROWN;
const ROW_GAP = 10;
const ARCH_GAP = 14;
const MID_GAP = 14;
const MARGIN = 8;

const S = CROWN;
const A = INSET;
const FACE_PATH: Record<Side, string> = {
  top: `M0 0H${S}L${S - A} ${A}H${A}Z`,
  right: `M${S} 0V${S}L${S - A} ${S - A}V${A}Z`,
  bottom: `M0 ${S}H${S}L${S - A} ${S - A}H${A}Z`,
  left: `M0 0L${A} ${A}V${S - A}L0 ${S}Z`,
  centre: `M${A} ${A}H${S - A}V${S - A}H${A}Z`,
};

const columnX = (tooth: string) => {
  const c = columnOf(tooth);
  return MARGIN + c * CELL + (c >= 8 ? MID_GAP : 0);
};

type Props = {
  selected: string | null;
  selectedSurfaces: Surface[];
  onSelect: (tooth: string) => void;
  onFace: (tooth: string, surface: Surface) => void;
};

export function Odontogram({ selected, selectedSurfaces, onSelect, onFace }: Props) {
  const { t } = useTranslation();
  const { view, catalogue } = useChart();
  const [deciduous, setDeciduous] = useState(true);
  const svgRef = useRef<SVGSVGElement>(null);
  const rows = ROWS.filter((r) => deciduous || !r.deciduous);

  // rows top to bottom, a wider gap between the arches
  let y = MARGIN;
  const placed = rows.map((row, i) => {
    if (i > 0) y += TOOTH_H + ROW_GAP + (rows[i - 1].upper && !row.upper ? ARCH_GAP : 0);
    return { row, y };
  });
  const height = y + TOOTH_H + MARGIN;
  const width = 2 * MARGIN + 16 * CELL + MID_GAP;
  const midX = MARGIN + 8 * CELL + MID_GAP / 2;
  const lastUpper = placed.filter((p) => p.row.upper).pop();
  const archY = lastUpper ? lastUpper.y + TOOTH_H + (ROW_GAP + ARCH_GAP) / 2 : 0;

  const byTooth = new Map<string, Entry[]>();
  for (const e of view.entries) {
    const list = byTooth.get(e.region);
    if (list) list.push(e);
    else byTooth.set(e.region, [e]);
  }

  function onKeyDown(tooth: string, e: React.KeyboardEvent) {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onSelect(tooth);
      return;
    }
    const next = neighbour(tooth, e.key, rows);
    if (next === null && !e.key.startsWith("Arrow")) return;
    e.preventDefault();
    if (next) svgRef.current?.querySelector<SVGGElement>(`[data-tooth="${next}"]`)?.focus();
  }

  return (
    <div className="odontogram">
      <div className="odontogram-tools">
        <p className="muted small" id="odontogram-help">
          {t("chart.odontogram.help")}
        </p>
        <button
          type="button"
          className="toggle small-button"
          aria-pressed={deciduous}
          data-testid="toggle-deciduous"
          onClick={() => setDeciduous((d) => !d)}
        >
          {t("chart.odontogram.deciduous")}
        </button>
      </div>
      <svg
        ref={svgRef}
        className="odontogram-svg"
        data-testid="odontogram"
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label={t("chart.odontogram.label")}
        aria-describedby="odontogram-help"
      >
        <line className="odontogram-axis" x1={midX} y1={MARGIN / 2} x2={midX} y2={height - MARGIN / 2} />
        {lastUpper && <line className="odontogram-axis" x1={MARGIN} y1={archY} x2={width - MARGIN} y2={archY} />}
        {placed.map(({ row, y: rowY }) => (
          <g key={row.key} className="tooth-row" data-row={row.key}>
            {row.teeth.map((tooth) => (
              <Tooth
                key={tooth}
                tooth={tooth}
                row={row}
                x={columnX(tooth)}
                y={rowY}
                entries={byTooth.get(tooth) ?? []}
                baseline={view.baseline[tooth] ?? "presente"}
                selected={selected === tooth}
                selectedSurfaces={selected === tooth ? selectedSurfaces : []}
                onSelect={onSelect}
                onFace={onFace}
                onKeyDown={onKeyDown}
              />
            ))}
          </g>
        ))}
      </svg>
      {catalogue && <LegendList legend={catalogue.legend} />}
    </div>
  );
}

type ToothProps = {
  tooth: string;
  row: ToothRow;
  x: number;
  y: number;
  entries: Entry[];
  baseline: Baseline;
  selected: boolean;
  selectedSurfaces: Surface[];
  onSelect: (tooth: string) => void;
  onFace: (tooth: string, surface: Surface) => void;
  onKeyDown: (tooth: string, e: React.KeyboardEvent) => void;
};

function Tooth(props: ToothProps) {
  const { tooth, row, entries, baseline, selected, selectedSurfaces } = props;
  const { t } = useTranslation();
  const crownY = row.upper ? LABEL + ROOT : 0;
  const root = { top: row.upper ? LABEL : CROWN, bottom: (row.upper ? LABEL : CROWN) + ROOT };
  const drawn = entries.filter((e) => !isInvalidated(e));

  // later entries paint over earlier ones
  const faceColour = new Map<Surface, string>();
  for (const e of drawn) {
    if (e.drawing !== "surface") continue;
    const faces = e.surfaces.length ? e.surfaces : [faceAt(tooth, "centre")];
    for (const f of faces) faceColour.set(f, e.colour);
  }

  return (
    <g
      className={`tooth baseline-${baseline}${selected ? " selected" : ""}`}
      transform={`translate(${props.x} ${props.y})`}
      role="button"
      tabIndex={0}
      aria-label={t("chart.odontogram.tooth", { tooth })}
      aria-pressed={selected}
      data-testid="tooth"
      data-tooth={tooth}
      data-baseline={baseline}
      data-has-entries={entries.length > 0 ? "true" : undefined}
      onClick={() => props.onSelect(tooth)}
      onKeyDown={(e) => props.onKeyDown(tooth, e)}
    >
      <rect className="tooth-ring" x={1} y={1} width={CELL - 2} height={TOOTH_H - 2} rx={4} />
      <text className="tooth-number" x={CELL / 2} y={row.upper ? LABEL - 3 : TOOTH_H - 3} textAnchor="middle" aria-hidden="true">
        {tooth}
      </text>
      <g className="crown" transform={`translate(${PAD} ${crownY})`}>
        {SIDES.map((side) => {
          const surface = faceAt(tooth, side);
          const colour = faceColour.get(surface);
          const marked = selectedSurfaces.includes(surface);
          return (
            <path
              key={side}
              d={FACE_PATH[side]}
              className={`face${marked ? " marked" : ""}`}
              style={colour ? { fill: colour } : undefined}
              data-surface={`${tooth}-${surface}`}
              data-colour={colour}
              onClick={(e) => {
                e.stopPropagation();
                props.onFace(tooth, surface);
              }}
            />
          );
        })}
        <BaselineMark baseline={baseline} />
        {drawn.map((e) => (
          <CrownMark key={e.id} entry={e} />
        ))}
      </g>
      {baseline === "implante" && <ImplantMark top={root.top} bottom={root.bottom} className="baseline-mark" />}
      {drawn.map((e) =>
        e.drawing === "endo" ? (
          <line key={e.id} className="mark endo" x1={CELL / 2} x2={CELL / 2} y1={root.top + 2} y2={root.bottom - 1} stroke={e.colour} />
        ) : e.drawing === "implant" ? (
          <ImplantMark key={e.id} top={root.top} bottom={root.bottom} colour={e.colour} />
        ) : null,
      )}
    </g>
  );
}

/** What an entry draws on the crown (faces are filled above). */
function CrownMark({ entry }: { entry: Entry }) {
  const c = entry.colour;
  switch (entry.drawing) {
    case "crown":
      return <rect className="mark crown-outline" x={-2} y={-2} width={S + 4} height={S + 4} rx={3} stroke={c} />;
    case "extraction":
      return <Cross colour={c} />;
    case "sealant":
      return <circle className="mark sealant" cx={S / 2} cy={S / 2} r={S / 2 - A - 1.5} stroke={c} />;
    case "mark":
      return <circle className="mark dot" cx={S - 4} cy={4} r={3.2} style={{ fill: c }} />;
    default:
      return null;
  }
}

function Cross({ colour, className = "mark extraction" }: { colour?: string; className?: string }) {
  return (
    <g className={className} stroke={colour}>
      <line x1={-3} y1={-3} x2={S + 3} y2={S + 3} />
      <line x1={S + 3} y1={-3} x2={-3} y2={S + 3} />
    </g>
  );
}

function BaselineMark({ baseline }: { baseline: Baseline }) {
  switch (baseline) {
    case "ausente":
      return <Cross className="baseline-mark" />;
    case "deciduo":
      return <rect className="baseline-mark dashed" x={-3} y={-3} width={S + 6} height={S + 6} rx={5} />;
    case "supranumerario":
      return (
        <text className="baseline-mark plus" x={S + 4} y={6} textAnchor="middle" aria-hidden="true">
          +
        </text>
      );
    default:
      return null;
  }
}

/** An implant: an "I" standing in the root area. */
function ImplantMark({ top, bottom, colour, className = "mark implant" }: { top: number; bottom: number; colour?: string; className?: string }) {
  const x = CELL / 2;
  return (
    <g className={className} stroke={colour}>
      <line x1={x} x2={x} y1={top + 2} y2={bottom - 1} />
      <line x1={x - 4} x2={x + 4} y1={top + 2} y2={top + 2} />
      <line x1={x - 4} x2={x + 4} y1={bottom - 1} y2={bottom - 1} />
    </g>
  );
}

function LegendList({ legend }: { legend: Legend }) {
  const { t } = useTranslation();
  return (
    <div className="legend" data-testid="legend">
      <h3>{t("chart.odontogram.legend")}</h3>
      <ul className="plain legend-list">
        {ENTRY_STATUSES.filter((s) => s !== "invalidado" && legend[s]).map((s) => (
          <li key={s} data-status={s}>
            <span className="swatch" style={{ background: legend[s] }} aria-hidden="true" />
            {t(`chart.status.${s}`)}
          </li>
        ))}
      </ul>
    </div>
  );
}
