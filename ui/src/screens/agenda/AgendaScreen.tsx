// Agenda: date (prev/next/today), day or week, columns by professional or
// chair; booking by clicking a free cell; status, move, resize and cancel
// from the cards; the conflict banner on top.
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { ToggleGroup } from "../../components/ToggleGroup";
import { useApp } from "../../context";
import { addDays, dayToBr, isDay, joinStart, parseDay, todayIn } from "../../dates";
import { errorText } from "../../errors";
import type { AgendaRange, ApiError, Appointment, AppointmentStatus } from "../../types";
import { AgendaGrid, type MoveChanges } from "./AgendaGrid";
import { BookingDialog, type BookingDraft } from "./BookingDialog";
import { CancelDialog } from "./CancelDialog";
import { ConflictBanner } from "./ConflictBanner";
import { RescheduleDialog } from "./RescheduleDialog";
import {
  columnsFor,
  isFree,
  openingOf,
  rangeOf,
  rowSpan,
  siteChairs,
  visible,
  type Column,
  type Grouping,
  type ViewMode,
} from "./layout";

type Settings = { date: string | null; view: ViewMode; group: Grouping; resource: Record<Grouping, string | null> };

// Where the agenda was left, kept while the app runs.
const saved: Settings = { date: null, view: "day", group: "professional", resource: { professional: null, chair: null } };

/** Forget where the agenda was left (tests). */
export function resetAgendaSettings() {
  saved.date = null;
  saved.view = "day";
  saved.group = "professional";
  saved.resource = { professional: null, chair: null };
}

export function AgendaScreen() {
  const { t, i18n } = useTranslation();
  const { directory, dataVersion, changed, conflicts, can, navigate } = useApp();
  const today = todayIn(directory?.site.timezone);
  const [date, setDate] = useState(saved.date ?? today);
  const [view, setView] = useState<ViewMode>(saved.view);
  const [group, setGroup] = useState<Grouping>(saved.group);
  const [resource, setResource] = useState(saved.resource);
  const [data, setData] = useState<AgendaRange | null>(null);
  const [loadedKey, setLoadedKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [booking, setBooking] = useState<BookingDraft | null>(null);
  const [moving, setMoving] = useState<Appointment | null>(null);
  const [cancelling, setCancelling] = useState<Appointment | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    saved.date = date;
    saved.view = view;
    saved.group = group;
    saved.resource = resource;
  }, [date, view, group, resource]);

  const resources = useMemo(() => {
    if (!directory) return [];
    return group === "professional"
      ? directory.professionals.filter((p) => p.active)
      : siteChairs(directory).filter((c) => c.active);
  }, [directory, group]);
  const resourceId =
    resource[group] && resources.some((r) => r.id === resource[group]) ? resource[group] : (resources[0]?.id ?? null);

  const range = rangeOf(date, view);
  const queryKey = `${range.from}|${range.to}|${view}|${group}|${view === "week" ? resourceId : ""}`;

  useEffect(() => {
    if (!directory) return;
    if (view === "week" && !resourceId) {
      setData({ appointments: [], blocks: [] });
      setLoadedKey(queryKey);
      return;
    }
    const mine = ++seq.current;
    const args: Parameters<typeof api.agenda>[0] = { from: range.from, to: range.to };
    if (view === "week" && resourceId) {
      if (group === "professional") args.professional_id = resourceId;
      else args.chair_id = resourceId;
    }
    api.agenda(args).then(
      (r) => {
        if (mine !== seq.current) return;
        setData(r);
        setLoadedKey(queryKey);
        setError(null);
      },
      (e: ApiError) => mine === seq.current && setError(errorText(t, e)),
    );
    // queryKey covers range, view, group and resource
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey, dataVersion, directory, t]);

  useEffect(() => {
    if (!notice) return;
    const id = window.setTimeout(() => setNotice(null), 4000);
    return () => window.clearTimeout(id);
  }, [notice]);

  if (!directory) {
    return (
      <section className="screen" aria-busy="true">
        <p role="status">{t("agenda.loading")}</p>
      </section>
    );
  }

  const shown = data ? visible(data.appointments) : [];
  const columns = columnsFor(directory, date, view, group, resourceId, shown);
  const days = [...new Set(columns.map((c) => c.day))];
  const span = rowSpan(directory, days, shown);
  const stale = loadedKey !== queryKey;

  const step = view === "day" ? 1 : 7;
  const lang = i18n.language;
  const longDate = parseDay(date).toLocaleDateString(lang, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
  const heading =
    view === "day"
      ? longDate
      : t("agenda.weekOf", { from: dayToBr(range.from), to: dayToBr(addDays(range.to, -1)) });

  const columnLabel = (c: Column) =>
    c.name ||
    parseDay(c.day).toLocaleDateString(lang, { weekday: "short", day: "2-digit", month: "2-digit", timeZone: "UTC" });

  function openBooking(col: Column | null, minute: number | null) {
    if (!directory) return;
    const day = col?.day ?? date;
    const first = openingOf(directory, day)[0]?.[0] ?? 8 * 60;
    const start = minute ?? first;
    const duration = 30;
    const profs = directory.professionals.filter((p) => p.active);
    const chairs = siteChairs(directory).filter((c) => c.active);
    // The column gives one resource; offer a free one for the other when the loaded day shows it.
    const professional_id =
      col?.professional_id ??
      profs.find((p) => isFree(shown, day, start, duration, (a) => a.professional_id === p.id))?.id ??
      profs[0]?.id ??
      "";
    const chair_id =
      col?.chair_id ??
      chairs.find((c) => isFree(shown, day, start, duration, (a) => a.chair_id === c.id))?.id ??
      chairs[0]?.id ??
      "";
    setBooking({ start: joinStart(day, start), professional_id, chair_id, duration_min: duration });
  }

  async function setStatus(a: Appointment, s: AppointmentStatus) {
    if (s === a.status) return;
    if (s === "cancelado") {
      setCancelling(a);
      return;
    }
    try {
      await api.setAppointmentStatus(a.id, s);
      setNotice(t("agenda.statusChanged"));
      changed();
    } catch (e) {
      setError(errorText(t, e as ApiError));
    }
  }

  async function move(a: Appointment, changes: MoveChanges) {
    try {
      await api.moveAppointment({ id: a.id, ...changes });
      setNotice(t("agenda.moved"));
    } catch (e) {
      setError(errorText(t, e as ApiError));
    }
    changed();
  }

  const after = (message: string) => () => {
    setBooking(null);
    setMoving(null);
    setCancelling(null);
    setNotice(message);
    changed();
  };

  return (
    <section className="screen agenda" aria-labelledby="agenda-title">
      <div className="screen-head">
        <h1 id="agenda-title">
          {t("agenda.title")} <span className="agenda-heading">{heading}</span>
        </h1>
        {can.writeAgenda && (
          <button type="button" className="primary" data-testid="agenda-new" onClick={() => openBooking(null, null)}>
            {t("agenda.newBooking")}
          </button>
        )}
      </div>

      <ConflictBanner
        conflicts={conflicts}
        directory={directory}
        canWrite={can.writeAgenda}
        onMove={setMoving}
        onCancel={setCancelling}
      />

      <div className="agenda-toolbar" role="toolbar" aria-label={t("agenda.title")}>
        <div className="toolbar-group">
          <button type="button" className="secondary" data-testid="agenda-prev" onClick={() => setDate(addDays(date, -step))}>
            ‹ {t("agenda.prev")}
          </button>
          <button type="button" className="secondary" data-testid="agenda-today" onClick={() => setDate(today)}>
            {t("agenda.today")}
          </button>
          <button type="button" className="secondary" data-testid="agenda-next" onClick={() => setDate(addDays(date, step))}>
            {t("agenda.next")} ›
          </button>
          <label htmlFor="agenda-date" className="visually-hidden">
            {t("agenda.date")}
          </label>
          <input
            id="agenda-date"
            data-testid="agenda-date"
            type="date"
            value={date}
            onChange={(e) => isDay(e.target.value) && setDate(e.target.value)}
          />
        </div>
        <ToggleGroup
          label={t("agenda.view")}
          value={view}
          onChange={setView}
          options={[
            { value: "day", label: t("agenda.day"), testId: "agenda-view-day" },
            { value: "week", label: t("agenda.week"), testId: "agenda-view-week" },
          ]}
        />
        <ToggleGroup
          label={t("agenda.group")}
          showLabel
          value={group}
          onChange={setGroup}
          options={[
            { value: "professional", label: t("agenda.byProfessional"), testId: "agenda-group-professional" },
            { value: "chair", label: t("agenda.byChair"), testId: "agenda-group-chair" },
          ]}
        />
        {view === "week" && (
          <div className="toolbar-group">
            <label htmlFor="agenda-resource">
              {group === "professional" ? t("agenda.professional") : t("agenda.chair")}
            </label>
            <select
              id="agenda-resource"
              data-testid="agenda-resource"
              value={resourceId ?? ""}
              onChange={(e) => setResource((r) => ({ ...r, [group]: e.target.value }))}
            >
              {resources.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>

      {error && (
        <p className="form-error" role="alert" data-testid="agenda-error">
          {error}{" "}
          <button type="button" className="link-button" onClick={() => setError(null)}>
            {t("dialog.close")}
          </button>
        </p>
      )}
      <p className="visually-hidden" role="status" aria-live="polite">
        {notice ?? ""}
      </p>
      {!can.writeAgenda && <p className="muted small">{t("app.readOnly")}</p>}

      {!data ? (
        <p role="status">{t("agenda.loading")}</p>
      ) : columns.length === 0 ? (
        <p className="empty">{t("agenda.noResources")}</p>
      ) : !span ? (
        <p className="empty" data-testid="agenda-closed">
          {t("agenda.closedDay")}
        </p>
      ) : (
        <div className={stale ? "grid-wrap is-stale" : "grid-wrap"} aria-busy={stale}>
          <AgendaGrid
            directory={directory}
            columns={columns}
            span={span}
            appointments={shown}
            blocks={data.blocks}
            canWrite={can.writeAgenda}
            busy={stale}
            today={today}
            columnLabel={columnLabel}
            onSlot={openBooking}
            onMove={move}
            onStatus={setStatus}
            onReschedule={setMoving}
            onCancel={setCancelling}
            onOpenPatient={(a) => navigate({ kind: "patient", id: a.patient_id })}
          />
        </div>
      )}

      {booking && (
        <BookingDialog
          directory={directory}
          draft={booking}
          onClose={() => setBooking(null)}
          onBooked={after(t("agenda.booked"))}
        />
      )}
      {moving && (
        <RescheduleDialog
          directory={directory}
          appointment={moving}
          onClose={() => setMoving(null)}
          onMoved={after(t("agenda.moved"))}
        />
      )}
      {cancelling && (
        <CancelDialog
          appointment={cancelling}
          onClose={() => setCancelling(null)}
          onCancelled={after(t("status.cancelado"))}
        />
      )}
    </section>
  );
}

