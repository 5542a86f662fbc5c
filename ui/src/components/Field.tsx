// Labelled form fields: one label bound to one control, whose `id` is also
// its `data-testid` (the end-to-end tests find controls by it).
import type { InputHTMLAttributes } from "react";

type InputFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "onChange"> & {
  id: string;
  label: string;
  onChange: (value: string) => void;
};

export function InputField({ id, label, onChange, ...input }: InputFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={id} onChange={(e) => onChange(e.target.value)} {...input} />
    </div>
  );
}

type SelectFieldProps = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: { id: string; name: string }[];
  /** Offer an empty "—" choice while nothing is chosen. */
  allowEmpty?: boolean;
};

export function SelectField({ id, label, value, onChange, options, allowEmpty = false }: SelectFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} data-testid={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {allowEmpty && !value && <option value="">—</option>}
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** An appointment's length in minutes: 15 to 240, in quarter hours. */
export function DurationField(props: { id: string; label: string; value: string; onChange: (v: string) => void }) {
  return <InputField type="number" min={15} max={240} step={15} {...props} />;
}
