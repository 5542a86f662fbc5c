// A row of buttons of which exactly one is chosen (day/week, by
// professional/by chair, inbox filters): one button per option, the chosen
// one pressed, announced as a group.
import type { ReactNode } from "react";

export type ToggleOption<T extends string> = {
  value: T;
  label: ReactNode;
  testId?: string;
};

type Props<T extends string> = {
  /** The group's accessible name (already translated). */
  label: string;
  /** Shown before the buttons too, not only announced. */
  showLabel?: boolean;
  options: ToggleOption<T>[];
  value: T;
  onChange: (value: T) => void;
  className?: string;
  buttonClassName?: string;
};

export function ToggleGroup<T extends string>({
  label,
  showLabel = false,
  options,
  value,
  onChange,
  className = "toolbar-group",
  buttonClassName = "toggle",
}: Props<T>) {
  return (
    <div className={className} role="group" aria-label={label}>
      {showLabel && (
        <span className="toolbar-label" aria-hidden="true">
          {label}
        </span>
      )}
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          className={buttonClassName}
          data-testid={o.testId}
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
