// A form's or screen's error, said once where every form says it: a
// paragraph with role="alert" (read out when it appears), nothing at all
// when there is no error.
import type { ReactNode } from "react";

type Props = {
  /** The error, already translated; nothing is drawn when it is empty. */
  message: ReactNode | null | undefined;
  testId?: string;
  /** Which form of a screen with several it belongs to (`data-form`). */
  form?: string;
};

export function FormError({ message, testId, form }: Props) {
  if (message === null || message === undefined || message === false || message === "") return null;
  return (
    <p className="form-error" role="alert" data-testid={testId} data-form={form}>
      {message}
    </p>
  );
}
