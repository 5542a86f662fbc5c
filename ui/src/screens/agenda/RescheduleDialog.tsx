// The keyboard way to move or resize an appointment.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { Dialog } from "../../components/Dialog";
import { DurationField, InputField, SelectField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { dayToBr, isDay } from "../../dates";
import { errorText } from "../../errors";
import type { ApiError, Appointment, Directory } from "../../types";
import { siteChairs } from "./layout";

type Props = {
  directory: Directory;
  appointment: Appointment;
  onClose: () => void;
  onMoved: (a: Appointment) => void;
};

export function RescheduleDialog({ directory, appointment, onClose, onMoved }: Props) {
  const { t } = useTranslation();
  const [day0, time0] = appointment.start.split(" ");
  const [day, setDay] = useState(day0);
  const [time, setTime] = useState(time0);
  const [duration, setDuration] = useState(String(appointment.duration_min));
  const [professional, setProfessional] = useState(appointment.professional_id);
  const [chair, setChair] = useState(appointment.chair_id);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const professionals = directory.professionals.filter((p) => p.active || p.id === professional);
  const chairs = siteChairs(directory).filter((c) => c.active || c.id === chair);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    if (!isDay(day)) return setError(t("errors.invalid_date"));
    const m = /^(\d{1,2}):(\d{2})/.exec(time);
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return setError(t("reschedule.badTime"));
    const hhmm = `${m[1].padStart(2, "0")}:${m[2]}`;
    const minutes = Number(duration);
    if (!Number.isInteger(minutes) || minutes < 15 || minutes > 240) return setError(t("booking.badDuration"));
    const changes: Parameters<typeof api.moveAppointment>[0] = { id: appointment.id };
    const start = `${day} ${hhmm}`;
    if (start !== appointment.start) changes.start = start;
    if (minutes !== appointment.duration_min) changes.duration_min = minutes;
    if (professional !== appointment.professional_id) changes.professional_id = professional;
    if (chair !== appointment.chair_id) changes.chair_id = chair;
    if (Object.keys(changes).length === 1) return onClose();
    setSaving(true);
    setError(null);
    try {
      onMoved(await api.moveAppointment(changes));
    } catch (err) {
      setError(errorText(t, err as ApiError));
      setSaving(false);
    }
  }

  return (
    <Dialog title={t("reschedule.title")} onClose={onClose} testId="reschedule-dialog">
      <form onSubmit={submit} noValidate className="dialog-form">
        <p className="muted">
          {t("reschedule.patient", { name: appointment.patient_name ?? t("agenda.unknownPatient") })} —{" "}
          {dayToBr(day0)} {time0}
        </p>
        <div className="field-row">
          <InputField id="reschedule-date" label={t("reschedule.date")} type="date" value={day} onChange={setDay} />
          <InputField
            id="reschedule-time"
            label={t("reschedule.time")}
            type="time"
            step={900}
            value={time}
            onChange={setTime}
          />
          <DurationField id="reschedule-duration" label={t("reschedule.duration")} value={duration} onChange={setDuration} />
        </div>
        <div className="field-row">
          <SelectField
            id="reschedule-professional"
            label={t("reschedule.professional")}
            value={professional}
            onChange={setProfessional}
            options={professionals}
          />
          <SelectField
            id="reschedule-chair"
            label={t("reschedule.chair")}
            value={chair}
            onChange={setChair}
            options={chairs}
          />
        </div>
        <FormError message={error} testId="reschedule-error" />
        <FormActions
          submit={t("reschedule.save")}
          submitTestId="reschedule-save"
          busy={saving}
          cancel={{ label: t("reschedule.cancel"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}
