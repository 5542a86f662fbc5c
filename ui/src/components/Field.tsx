// Labelled form fields: one label bound to one control, whose `id` is also
// its `data-testid` (the end-to-end tests find controls by it). An `error`
// is shown under the control, which is then marked invalid and described by it.
import { Fragment, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from "react";

/** The aria attributes and message element of a field's error. */
function errorParts(id: string, error: string | null | undefined) {
  if (!error) return { aria: {}, message: null };
  const errorId = `${id}-error`;
  return {
    aria: { "aria-invalid": true, "aria-describedby": errorId },
    message: (
      <p className="field-error" id={errorId} data-testid={errorId}>
        {error}
      </p>
    ),
  };
}

type InputFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "onChange"> & {
  id: string;
  label: string;
  onChange: (value: string) => void;
  error?: string | null;
};

export function InputField({ id, label, onChange, error, ...input }: InputFieldProps) {
  const { aria, message } = errorParts(id, error);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={id} onChange={(e) => onChange(e.target.value)} {...aria} {...input} />
      {message}
    </div>
  );
}

type TextAreaFieldProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id" | "onChange"> & {
  id: string;
  label: string;
  onChange: (value: string) => void;
  error?: string | null;
  hint?: string;
};

export function TextAreaField({ id, label, onChange, error, hint, ...area }: TextAreaFieldProps) {
  const { aria, message } = errorParts(id, error);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && <span className="muted small">{hint}</span>}
      <textarea id={id} data-testid={id} onChange={(e) => onChange(e.target.value)} {...aria} {...area} />
      {message}
    </div>
  );
}

type SelectFieldProps = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: { id: string; name: string; group?: string }[];
  /** Offer an empty "—" choice while nothing is chosen. */
  allowEmpty?: boolean;
  name?: string;
  disabled?: boolean;
  error?: string | null;
};

export function SelectField({
  id,
  label,
  value,
  onChange,
  options,
  allowEmpty = false,
  name,
  disabled,
  error,
}: SelectFieldProps) {
  const { aria, message } = errorParts(id, error);
  const groups = [...new Set(options.map((o) => o.group ?? ""))];
  const optionsOf = (group: string) =>
    options
      .filter((o) => (o.group ?? "") === group)
      .map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ));
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        data-testid={id}
        name={name}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
        {...aria}
      >
        {allowEmpty && !value && <option value="">—</option>}
        {groups.map((g) =>
          g ? (
            <optgroup key={g} label={g}>
              {optionsOf(g)}
            </optgroup>
          ) : (
            <Fragment key="">{optionsOf(g)}</Fragment>
          ),
        )}
      </select>
      {message}
    </div>
  );
}

type CheckboxFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "onChange" | "type" | "checked"> & {
  id: string;
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
};

/** A checkbox with its label beside it. */
export function CheckboxField({ id, label, checked, onChange, ...input }: CheckboxFieldProps) {
  return (
    <label className="check" htmlFor={id}>
      <input
        id={id}
        data-testid={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        {...input}
      />
      <span>{label}</span>
    </label>
  );
}

/** An appointment's length in minutes: 15 to 240, in quarter hours. */
export function DurationField(props: { id: string; label: string; value: string; onChange: (v: string) => void }) {
  return <InputField type="number" min={15} max={240} step={15} {...props} />;
}
