// A combobox: type a name, phone ending or CPF; pick one of the suggestions
// with the mouse or the arrow keys and Enter.
import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../api";
import { formatCpf, formatPhone } from "../format";
import { useDebounced } from "../hooks";
import type { PatientHit } from "../types";

type Props = {
  id: string;
  label: string;
  value: { id: string; name: string } | null;
  onChange: (p: { id: string; name: string } | null) => void;
  invalid?: boolean;
  describedBy?: string;
  /** data-testid of the input; each option's is `${testId}-option`. */
  testId?: string;
};

export function PatientPicker({ id, label, value, onChange, invalid, describedBy, testId = "booking-patient" }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState(value?.name ?? "");
  const [hits, setHits] = useState<PatientHit[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [searched, setSearched] = useState(false);
  const debounced = useDebounced(text, 150);
  const listId = useId();
  const seq = useRef(0);

  useEffect(() => {
    const q = debounced.trim();
    if (!q || (value && value.name === debounced)) {
      setHits([]);
      setSearched(false);
      return;
    }
    const mine = ++seq.current;
    api.searchPatients(q, 8).then(
      (list) => {
        if (mine !== seq.current) return;
        setHits(list);
        setActive(0);
        setSearched(true);
      },
      () => mine === seq.current && setHits([]),
    );
  }, [debounced, value]);

  function pick(h: PatientHit) {
    onChange({ id: h.id, name: h.name });
    setText(h.name);
    setOpen(false);
    setHits([]);
  }

  function onKeyDown(e: React.KeyboardEvent) {
    if (!open || hits.length === 0) {
      if (e.key === "ArrowDown" && hits.length) setOpen(true);
      return;
    }
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((i) => (i + 1) % hits.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((i) => (i - 1 + hits.length) % hits.length);
    } else if (e.key === "Enter") {
      e.preventDefault();
      pick(hits[active]);
    } else if (e.key === "Escape") {
      // close the list, not the dialog
      e.stopPropagation();
      setOpen(false);
    }
  }

  const showList = open && text.trim() !== "" && !(value && value.name === text);

  return (
    <div className="combobox">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        data-testid={testId}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={showList && hits.length > 0}
        aria-controls={listId}
        aria-activedescendant={showList && hits[active] ? `${listId}-${active}` : undefined}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        value={text}
        placeholder={t("booking.patientHint")}
        autoComplete="off"
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          if (value) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={onKeyDown}
      />
      {showList && hits.length > 0 && (
        <ul id={listId} role="listbox" className="combobox-list" aria-label={label}>
          {hits.map((h, i) => (
            <li
              key={h.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              data-testid={`${testId}-option`}
              data-id={h.id}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(h)}
              onMouseEnter={() => setActive(i)}
            >
              <span className="option-name">{h.name}</span>
              <span className="option-meta">
                {[formatCpf(h.cpf), h.phones[0] ? formatPhone(h.phones[0]) : ""].filter(Boolean).join(" · ")}
              </span>
            </li>
          ))}
        </ul>
      )}
      {showList && searched && hits.length === 0 && (
        <p className="muted small" role="status">
          {t("booking.noMatch")}
        </p>
      )}
      {value && (
        <p className="muted small visually-hidden" role="status">
          {t("booking.selected", { name: value.name })}
        </p>
      )}
    </div>
  );
}
