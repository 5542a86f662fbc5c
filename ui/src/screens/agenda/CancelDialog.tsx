import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { Dialog } from "../../components/Dialog";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { dayToBr } from "../../dates";
import { errorText } from "../../errors";
import type { ApiError, Appointment } from "../../types";

type Props = { appointment: Appointment; onClose: () => void; onCancelled: (a: Appointment) => void };

export function CancelDialog({ appointment, onClose, onCancelled }: Props) {
  const { t } = useTranslation();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [day, time] = appointment.start.split(" ");

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    setSaving(true);
    setError(null);
    try {
      onCancelled(await api.setAppointmentStatus(appointment.id, "cancelado", reason.trim()));
    } catch (err) {
      setError(errorText(t, err as ApiError));
      setSaving(false);
    }
  }

  return (
    <Dialog title={t("cancel.title")} onClose={onClose} testId="cancel-dialog" initialFocus="#cancel-reason">
      <form onSubmit={submit} noValidate className="dialog-form">
        <p>
          {t("cancel.what", {
            patient: appointment.patient_name ?? t("agenda.unknownPatient"),
            when: `${dayToBr(day)} ${time}`,
          })}
        </p>
        <div className="field">
          <label htmlFor="cancel-reason">{t("cancel.reason")}</label>
          <textarea
            id="cancel-reason"
            data-testid="cancel-reason"
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        </div>
        <FormError message={error} testId="cancel-error" />
        <FormActions
          submit={t("cancel.confirm")}
          submitTestId="cancel-confirm"
          busy={saving}
          tone="danger"
          cancel={{ label: t("cancel.keep"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}
