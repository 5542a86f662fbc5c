// The grid: a time column, then one column per professional/chair (day) or
// per day (week); 15-minute rows; closed time and blocks shaded; free cells
// are buttons (click → book); cards can be dragged (move) or stretched
// (resize) with the pointer. Arrow keys move between free cells.
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { fromMinutes, joinStart } from "../../dates";
import type { Appointment, AppointmentStatus, Block, Directory } from "../../types";
import { AppointmentCard } from "./AppointmentCard";
import { blockAt, inColumn, isOpen, openingOf, placeInLanes, STEP, type Column, type Placed } from "./layout";

export const ROW_PX = 24;
const MAX_DURATION = 240;
const MIN_DURATION = 15;

export type MoveChanges = { start?: string; duration_min?: number; professional_id?: string; chair_id?: string };

type CellKind = "slot" | "closed" | "blocked" | "taken";
type Cell = { kind: CellKind; minute: number; block?: Block; blockStart?: boolean };

type Props = {
  directory: Directory;
  columns: Column[];
  span: [number, number];
  appointments: Appointment[];
  blocks: Block[];
  canWrite: boolean;
  /** Data for this range is still loading: free cells are not offered yet. */
  busy?: boolean;
  today: string;
  columnLabel: (c: Column) => string;
  onSlot: (c: Column, minute: number) => void;
  onMove: (a: Appointment, changes: MoveChanges) => void;
  onStatus: (a: Appointment, s: AppointmentStatus) => void;
  onReschedule: (a: Appointment) => void;
  onCancel: (a: Appointment) => void;
  onOpenPatient: (a: Appointment) => void;
};

type Drag = {
  a: Appointment;
  mode: "move" | "resize";
  originCol: number;
  originStart: number;
  grabOffset: number;
  x0: number;
  y0: number;
  active: boolean;
};

type Preview = { id: string; col: number; start: number; duration: number };

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export function AgendaGrid(props: Props) {
  const { directory, columns, span, appointments, blocks, canWrite, today } = props;
  const { t } = useTranslation();
  const [lo, hi] = span;
  const rows = (hi - lo) / STEP;
  const colRefs = useRef<(HTMLDivElement | null)[]>([]);
  const drag = useRef<Drag | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const previewRef = useRef<Preview | null>(null);
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const cb = useRef(props);
  cb.current = props;

  const layout = useMemo(() => {
    return columns.map((col) => {
      const periods = openingOf(directory, col.day);
      const placed = placeInLanes(appointments.filter((a) => inColumn(a, col)));
      const cells: Cell[] = [];
      let prevBlock: Block | undefined;
      for (let r = 0; r < rows; r++) {
        const minute = lo + r * STEP;
        const block = blockAt(blocks, col, minute);
        const taken = placed.some((p) => p.start < minute + STEP && p.end > minute);
        let kind: CellKind = "slot";
        if (taken) kind = "taken";
        else if (block) kind = "blocked";
        else if (!isOpen(periods, minute)) kind = "closed";
        cells.push({ kind, minute, block, blockStart: !!block && block !== prevBlock });
        prevBlock = block;
      }
      return { col, placed, cells };
    });
  }, [columns, directory, appointments, blocks, lo, rows]);

  const slotKeys = useMemo(() => {
    const keys = new Set<string>();
    let first: string | null = null;
    for (let r = 0; r < rows; r++)
      layout.forEach((l, ci) => {
        if (l.cells[r]?.kind === "slot") {
          const k = `${ci}:${r}`;
          keys.add(k);
          if (!first) first = k;
        }
      });
    return { keys, first: first as string | null };
  }, [layout, rows]);
  const tabKey = focusKey && slotKeys.keys.has(focusKey) ? focusKey : slotKeys.first;

  // ----- pointer drag: move and resize -----

  function columnAt(x: number): number | null {
    for (let i = 0; i < colRefs.current.length; i++) {
      const r = colRefs.current[i]?.getBoundingClientRect();
      if (r && x >= r.left && x < r.right) return i;
    }
    return null;
  }

  function onDragStart(a: Appointment, mode: "move" | "resize", e: React.PointerEvent) {
    if (e.button !== 0 || drag.current) return;
    const target = e.target as HTMLElement;
    if (mode === "move" && target.closest("select, button, input, textarea, a, [role='menu']")) return;
    const originCol = columns.findIndex((c) => inColumn(a, c));
    if (originCol < 0) return;
    const card = (e.currentTarget as HTMLElement).closest(".appt") as HTMLElement | null;
    const cardTop = card?.getBoundingClientRect().top ?? e.clientY;
    const originStart = Number(a.start.slice(11, 13)) * 60 + Number(a.start.slice(14, 16));
    drag.current = {
      a,
      mode,
      originCol,
      originStart,
      grabOffset: e.clientY - cardTop,
      x0: e.clientX,
      y0: e.clientY,
      active: false,
    };
    try {
      (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    } catch {
      // not capturable (synthetic event): window listeners still follow the pointer
    }
    window.addEventListener("pointermove", onPointerMove);
    window.addEventListener("pointerup", onPointerUp);
    window.addEventListener("pointercancel", cancelDrag);
    window.addEventListener("keydown", onDragKey);
  }

  function show(p: Preview | null) {
    previewRef.current = p;
    setPreview(p);
  }

  function onPointerMove(e: PointerEvent) {
    const d = drag.current;
    if (!d) return;
    if (!d.active) {
      if (Math.hypot(e.clientX - d.x0, e.clientY - d.y0) < 5) return;
      d.active = true;
    }
    e.preventDefault();
    if (d.mode === "move") {
      const col = columnAt(e.clientX) ?? previewRef.current?.col ?? d.originCol;
      const rect = colRefs.current[col]?.getBoundingClientRect();
      if (!rect) return;
      const steps = Math.round((e.clientY - rect.top - d.grabOffset) / ROW_PX);
      const start = clamp(lo + steps * STEP, lo, hi - STEP);
      show({ id: d.a.id, col, start, duration: d.a.duration_min });
    } else {
      const rect = colRefs.current[d.originCol]?.getBoundingClientRect();
      if (!rect) return;
      const top = rect.top + ((d.originStart - lo) / STEP) * ROW_PX;
      const duration = clamp(Math.round((e.clientY - top) / ROW_PX) * STEP, MIN_DURATION, MAX_DURATION);
      show({ id: d.a.id, col: d.originCol, start: d.originStart, duration });
    }
  }

  function endListeners() {
    window.removeEventListener("pointermove", onPointerMove);
    window.removeEventListener("pointerup", onPointerUp);
    window.removeEventListener("pointercancel", cancelDrag);
    window.removeEventListener("keydown", onDragKey);
  }

  function cancelDrag() {
    endListeners();
    drag.current = null;
    show(null);
  }

  function onDragKey(e: KeyboardEvent) {
    if (e.key === "Escape") cancelDrag();
  }

  function onPointerUp() {
    const d = drag.current;
    const p = previewRef.current;
    endListeners();
    drag.current = null;
    show(null);
    if (!d || !d.active || !p) return;
    const a = d.a;
    const changes: MoveChanges = {};
    if (d.mode === "resize") {
      if (p.duration !== a.duration_min) changes.duration_min = p.duration;
    } else {
      const col = columns[p.col];
      const start = joinStart(col.day, p.start);
      if (start !== a.start) changes.start = start;
      const from = columns[d.originCol];
      if (col.professional_id && col.professional_id !== from.professional_id) changes.professional_id = col.professional_id;
      if (col.chair_id && col.chair_id !== from.chair_id) changes.chair_id = col.chair_id;
    }
    if (Object.keys(changes).length) cb.current.onMove(a, changes);
  }

  useEffect(() => endListeners, []); // eslint-disable-line react-hooks/exhaustive-deps

  // ----- keyboard: arrows between free cells -----

  function onSlotKey(e: React.KeyboardEvent, ci: number, r: number) {
    const dir: Record<string, [number, number]> = {
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
    };
    const step = dir[e.key];
    if (!step) return;
    e.preventDefault();
    let c = ci + step[0];
    let row = r + step[1];
    while (c >= 0 && c < columns.length && row >= 0 && row < rows) {
      const k = `${c}:${row}`;
      if (slotKeys.keys.has(k)) {
        setFocusKey(k);
        (document.querySelector(`[data-slot-key="${k}"]`) as HTMLElement | null)?.focus();
        return;
      }
      c += step[0];
      row += step[1];
    }
  }

  const cardStyle = (p: Placed | Preview, lane = 0, lanes = 1): React.CSSProperties => {
    const start = p.start;
    const duration = "appointment" in p ? p.end - p.start : p.duration;
    return {
      top: ((start - lo) / STEP) * ROW_PX + 1,
      height: Math.max((duration / STEP) * ROW_PX, ROW_PX) - 2,
      left: `calc(${(lane / lanes) * 100}% + 2px)`,
      width: `calc(${100 / lanes}% - 4px)`,
    };
  };

  const timeLabels = Array.from({ length: rows }, (_, r) => lo + r * STEP);

  return (
    <div className="agenda-grid" style={{ "--cols": columns.length } as React.CSSProperties} data-testid="agenda-grid">
      <div className="grid-head">
        <div className="time-head">{t("agenda.timeColumn")}</div>
        {columns.map((c) => (
          <div key={c.key} className={`col-head${c.day === today && !c.name ? " is-today" : ""}`}>
            {props.columnLabel(c)}
          </div>
        ))}
      </div>
      <div className="grid-body">
        <div className="time-col" aria-hidden="true" style={{ height: rows * ROW_PX }}>
          {timeLabels.map((m) => (
            <div key={m} className={`time-cell${m % 60 === 0 ? " hour" : ""}`} style={{ height: ROW_PX }}>
              {m % 30 === 0 ? fromMinutes(m) : ""}
            </div>
          ))}
        </div>
        {layout.map(({ col, placed, cells }, ci) => (
          <div
            key={col.key}
            className={`col-body${col.day === today ? " is-today" : ""}`}
            ref={(el) => {
              colRefs.current[ci] = el;
            }}
            style={{ height: rows * ROW_PX }}
            data-column={col.key}
          >
            {cells.map((cell, r) => {
              const cls = `cell cell-${cell.kind}${cell.minute % 60 === 0 ? " hour" : ""}`;
              const style = { top: r * ROW_PX, height: ROW_PX };
              if (cell.kind === "slot") {
                const key = `${ci}:${r}`;
                return (
                  <button
                    key={r}
                    type="button"
                    className={cls}
                    style={style}
                    data-testid="agenda-slot"
                    data-start={joinStart(col.day, cell.minute)}
                    data-professional={col.professional_id}
                    data-chair={col.chair_id}
                    data-slot-key={key}
                    tabIndex={key === tabKey ? 0 : -1}
                    disabled={!canWrite || props.busy}
                    aria-label={t("agenda.slot", {
                      time: fromMinutes(cell.minute),
                      column: props.columnLabel(col),
                    })}
                    onFocus={() => setFocusKey(key)}
                    onKeyDown={(e) => onSlotKey(e, ci, r)}
                    onClick={() => props.onSlot(col, cell.minute)}
                  />
                );
              }
              return (
                <div
                  key={r}
                  className={cls}
                  style={style}
                  title={cell.block ? cell.block.reason || t("agenda.blockedNoReason") : undefined}
                >
                  {cell.kind === "blocked" && cell.blockStart && (
                    <span className="block-label">
                      {cell.block?.reason
                        ? t("agenda.blocked", { reason: cell.block.reason })
                        : t("agenda.blockedNoReason")}
                    </span>
                  )}
                </div>
              );
            })}
            {placed.map((p) => (
              <AppointmentCard
                key={p.appointment.id}
                appointment={p.appointment}
                style={cardStyle(p, p.lane, p.lanes)}
                canWrite={canWrite}
                dragging={preview?.id === p.appointment.id}
                onStatus={props.onStatus}
                onReschedule={props.onReschedule}
                onCancel={props.onCancel}
                onOpenPatient={props.onOpenPatient}
                onDragStart={onDragStart}
              />
            ))}
            {preview && preview.col === ci && (
              <div className="appt-ghost" style={cardStyle(preview)} aria-hidden="true">
                {fromMinutes(preview.start)}–{fromMinutes(preview.start + preview.duration)}
              </div>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}
