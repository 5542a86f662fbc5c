import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { Dialog } from "../../components/Dialog";
import { DurationField, InputField, SelectField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { PatientPicker } from "../../components/PatientPicker";
import { parseStart } from "../../dates";
import { errorText } from "../../errors";
import type { ApiError, Appointment, Directory } from "../../types";
import { siteChairs } from "./layout";

export type BookingDraft = {
  start: string;
  professional_id: string;
  chair_id: string;
  duration_min?: number;
  patient?: { id: string; name: string } | null;
};

type Props = {
  directory: Directory;
  draft: BookingDraft;
  onClose: () => void;
  onBooked: (a: Appointment) => void;
};

export function BookingDialog({ directory, draft, onClose, onBooked }: Props) {
  const { t } = useTranslation();
  const [patient, setPatient] = useState<{ id: string; name: string } | null>(draft.patient ?? null);
  const [professional, setProfessional] = useState(draft.professional_id);
  const [chair, setChair] = useState(draft.chair_id);
  const [start, setStart] = useState(draft.start);
  const [duration, setDuration] = useState(String(draft.duration_min ?? 30));
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const professionals = directory.professionals.filter((p) => p.active || p.id === professional);
  const chairs = siteChairs(directory).filter((c) => c.active || c.id === chair);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    if (!patient) return setError(t("booking.choosePatient"));
    if (!professional || !chair) return setError(t("booking.chooseResource"));
    const when = parseStart(start);
    if (!when) return setError(t("booking.badStart"));
    const minutes = Number(duration);
    if (!Number.isInteger(minutes) || minutes < 15 || minutes > 240) return setError(t("booking.badDuration"));
    setSaving(true);
    setError(null);
    try {
      const booked = await api.book({
        patient_id: patient.id,
        professional_id: professional,
        chair_id: chair,
        start: when,
        duration_min: minutes,
        notes: notes.trim(),
      });
      onBooked(booked);
    } catch (err) {
      setError(errorText(t, err as ApiError));
      setSaving(false);
    }
  }

  return (
    <Dialog title={t("booking.title")} onClose={onClose} testId="booking-dialog" initialFocus="#booking-patient">
      <form onSubmit={submit} noValidate className="dialog-form">
        <PatientPicker
          id="booking-patient"
          label={t("booking.patient")}
          value={patient}
          onChange={(p) => {
            setPatient(p);
            setError(null);
          }}
        />
        <div className="field-row">
          <SelectField
            id="booking-professional"
            label={t("booking.professional")}
            value={professional}
            onChange={setProfessional}
            options={professionals}
            allowEmpty
          />
          <SelectField
            id="booking-chair"
            label={t("booking.chair")}
            value={chair}
            onChange={setChair}
            options={chairs}
            allowEmpty
          />
        </div>
        <div className="field-row">
          <InputField
            id="booking-start"
            label={t("booking.start")}
            value={start}
            onChange={setStart}
            autoComplete="off"
            inputMode="numeric"
          />
          <DurationField id="booking-duration" label={t("booking.duration")} value={duration} onChange={setDuration} />
        </div>
        <div className="field">
          <label htmlFor="booking-notes">{t("booking.notes")}</label>
          <textarea
            id="booking-notes"
            data-testid="booking-notes"
            rows={2}
            value={notes}
            onChange={(e) => setNotes(e.target.value)}
          />
        </div>
        <FormError message={error} testId="booking-error" />
        <FormActions
          submit={saving ? t("booking.saving") : t("booking.save")}
          submitTestId="booking-save"
          busy={saving}
          cancel={{ label: t("booking.cancel"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}
