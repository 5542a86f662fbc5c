// The row that ends a form: the submit button, then (if any) the way out.
// Every dialog and form screen ends with one; the submit is disabled while
// the form is busy, so a double click never sends twice.
import type { ReactNode } from "react";

type Props = {
  /** What the submit button says (already translated). */
  submit: ReactNode;
  submitTestId?: string;
  busy?: boolean;
  /** `danger` for what cannot be undone (cancelling, removing). */
  tone?: "primary" | "danger" | "secondary";
  /** The way out; omitted when the form has none. */
  cancel?: { label: ReactNode; onClick: () => void; testId?: string };
};

export function FormActions({ submit, submitTestId, busy = false, tone = "primary", cancel }: Props) {
  return (
    <div className="form-actions">
      <button type="submit" className={tone} data-testid={submitTestId} disabled={busy}>
        {submit}
      </button>
      {cancel && (
        <button type="button" className="secondary" data-testid={cancel.testId} onClick={cancel.onClick}>
          {cancel.label}
        </button>
      )}
    </div>
  );
}
