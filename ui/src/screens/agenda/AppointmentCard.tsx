// One appointment on the grid: name, time, status colour; a status <select>;
// a menu (Remarcar, Cancelar, Ver paciente). Dragging the card moves it,
// dragging its bottom edge resizes it; the menu is the keyboard way.
import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Appointment, AppointmentStatus } from "../../types";
import { alertLabel } from "../chart/labels";

export const SETTABLE: AppointmentStatus[] = [
  "agendado",
  "confirmado",
  "chegou",
  "em-atendimento",
  "concluido",
  "faltou",
  "cancelado",
];

type Props = {
  appointment: Appointment;
  style: React.CSSProperties;
  canWrite: boolean;
  dragging: boolean;
  onStatus: (a: Appointment, s: AppointmentStatus) => void;
  onReschedule: (a: Appointment) => void;
  onCancel: (a: Appointment) => void;
  onOpenPatient: (a: Appointment) => void;
  onDragStart: (a: Appointment, mode: "move" | "resize", e: React.PointerEvent) => void;
};

export function AppointmentCard(props: Props) {
  const { appointment: a, style, canWrite, dragging } = props;
  const { t } = useTranslation();
  const [menu, setMenu] = useState(false);
  const menuRef = useRef<HTMLUListElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const selectId = useId();
  const menuId = useId();
  const name = a.patient_name ?? t("agenda.unknownPatient");
  const time = a.start.split(" ")[1] ?? "";
  const endTime = a.end.split(" ")[1] ?? "";
  const alerts = (a.patient_alerts ?? []).map((x) => alertLabel(t, x)).join(", ");

  useEffect(() => {
    if (!menu) return;
    menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const close = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node) && e.target !== buttonRef.current) setMenu(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [menu]);

  function menuKey(e: React.KeyboardEvent) {
    const items = [...(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") {
      e.stopPropagation();
      setMenu(false);
      buttonRef.current?.focus();
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      items[(i + 1) % items.length]?.focus();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length]?.focus();
    } else if (e.key === "Tab") {
      setMenu(false);
    }
  }

  const choose = (f: () => void) => () => {
    setMenu(false);
    f();
  };

  const options = SETTABLE.includes(a.status) ? SETTABLE : [a.status, ...SETTABLE];

  return (
    <div
      className={`appt status-${a.status}${a.duration_min < 30 ? " short" : ""}${dragging ? " is-dragging" : ""}${menu ? " menu-open" : ""}${canWrite ? " can-drag" : ""}`}
      style={style}
      data-testid="appointment"
      data-id={a.id}
      data-status={a.status}
      data-start={a.start}
      data-patient={a.patient_id}
      role="group"
      aria-label={t("agenda.card", { time: `${time}–${endTime}`, patient: name, status: t(`status.${a.status}`) })}
      onPointerDown={(e) => canWrite && props.onDragStart(a, "move", e)}
    >
      <div className="appt-head">
        <span className="appt-time">{time}</span>
        {alerts && (
          <span
            className="appt-alerts"
            role="img"
            data-testid="appointment-alerts"
            aria-label={t("agenda.alerts", { list: alerts })}
            title={t("agenda.alerts", { list: alerts })}
          >
            ⚠
          </span>
        )}
        <span className="appt-name">{name}</span>
      </div>
      <div className="appt-controls">
        <label htmlFor={selectId} className="visually-hidden">
          {t("agenda.statusLabel", { patient: name })}
        </label>
        <select
          id={selectId}
          data-testid="appointment-status"
          value={a.status}
          disabled={!canWrite}
          onChange={(e) => props.onStatus(a, e.target.value as AppointmentStatus)}
        >
          {options.map((s) => (
            <option key={s} value={s} disabled={s === "remarcado"}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
        <button
          ref={buttonRef}
          type="button"
          className="appt-menu-button"
          aria-haspopup="menu"
          aria-expanded={menu}
          aria-controls={menu ? menuId : undefined}
          aria-label={t("agenda.menuLabel", { patient: name })}
          data-testid="appointment-menu"
          onClick={() => setMenu((m) => !m)}
        >
          ⋯
        </button>
      </div>
      {menu && (
        <ul ref={menuRef} id={menuId} role="menu" className="appt-menu" onKeyDown={menuKey}>
          {canWrite && (
            <li role="none">
              <button
                type="button"
                role="menuitem"
                data-testid="appointment-reschedule"
                onClick={choose(() => props.onReschedule(a))}
              >
                {t("agenda.reschedule")}
              </button>
            </li>
          )}
          {canWrite && (
            <li role="none">
              <button
                type="button"
                role="menuitem"
                data-testid="appointment-cancel"
                onClick={choose(() => props.onCancel(a))}
              >
                {t("agenda.cancelAppointment")}
              </button>
            </li>
          )}
          <li role="none">
            <button type="button" role="menuitem" onClick={choose(() => props.onOpenPatient(a))}>
              {t("agenda.openPatient")}
            </button>
          </li>
        </ul>
      )}
      {canWrite && (
        <div
          className="appt-resize"
          title={t("agenda.resizeLabel")}
          aria-hidden="true"
          onPointerDown={(e) => {
            e.stopPropagation();
            props.onDragStart(a, "resize", e);
          }}
        />
      )}
    </div>
  );
}
