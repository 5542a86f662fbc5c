// A question before an action that cannot be undone (marking a procedure
// realizado, signing a note, invalidating an entry). With `reason`, a reason
// must be typed before confirming. The action's error is shown in the dialog.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "../errors";
import type { ApiError } from "../types";
import { Dialog } from "./Dialog";
import { TextAreaField } from "./Field";
import { FormActions } from "./FormActions";
import { FormError } from "./FormError";

type Props = {
  title: string;
  message: string;
  confirmLabel: string;
  /** Resolves when done (the dialog is then closed by the caller); rejects with an ApiError. */
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  /** Ask for a reason (required) under this label. */
  reason?: { label: string; help?: string; maxLength?: number };
  danger?: boolean;
  testId: string;
};

export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onClose, reason, danger, testId }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    // the dialog is portalled, but React events still bubble to the opener's form
    e.stopPropagation();
    if (busy) return;
    if (reason && !text.trim()) {
      setMissing(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onConfirm(text.trim());
    } catch (err) {
      setError(errorText(t, err as ApiError));
      setBusy(false);
    }
  }

  return (
    <Dialog title={title} onClose={onClose} testId={testId} initialFocus={reason ? `#${testId}-reason` : undefined}>
      <form onSubmit={submit} noValidate className="dialog-form">
        <p>{message}</p>
        {reason && (
          <TextAreaField
            id={`${testId}-reason`}
            label={reason.label}
            hint={reason.help}
            rows={3}
            maxLength={reason.maxLength}
            value={text}
            required
            error={missing ? t("confirm.reasonRequired") : null}
            onChange={(v) => {
              setText(v);
              setMissing(false);
            }}
          />
        )}
        <FormError message={error} testId={`${testId}-error`} />
        <FormActions
          submit={confirmLabel}
          submitTestId={`${testId}-confirm`}
          busy={busy}
          tone={danger ? "danger" : "primary"}
          cancel={{ label: t("confirm.back"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}
