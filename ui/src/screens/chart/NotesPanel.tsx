// Progress notes (evolução clínica), newest first. A draft can be edited and
// signed; signing freezes it (text, SHA-256, who and when). A signed note is
// corrected by an addendum: a new note that amends it.
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { InputField, SelectField, TextAreaField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { dayToBr, isDay } from "../../dates";
import { errorField, errorText } from "../../errors";
import { formatDateTime } from "../../format";
import type { Note, Signature } from "../../types";
import { useChart } from "./chartContext";

/** "DD/MM" of a visit. */
const dayMonth = (day: string) => dayToBr(day).slice(0, 5);

function newestFirst(a: Note, b: Note): number {
  if (a.visit_date !== b.visit_date) return a.visit_date < b.visit_date ? 1 : -1;
  return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0;
}

export function NotesPanel() {
  const { t } = useTranslation();
  const { view, readOnly } = useChart();
  // null: no form; { amends: null }: a new note; { amends: note }: an addendum to it
  const [composing, setComposing] = useState<{ amends: Note | null } | null>(null);
  const notes = useMemo(() => [...view.notes].sort(newestFirst), [view.notes]);
  const byId = useMemo(() => new Map(view.notes.map((n) => [n.id, n])), [view.notes]);

  return (
    <section className="notes" data-testid="notes" aria-labelledby="notes-title">
      <div className="section-head">
        <h2 id="notes-title">{t("chart.notes.title")}</h2>
        <button
          type="button"
          className="primary"
          data-testid="note-new"
          disabled={readOnly || composing !== null}
          onClick={() => setComposing({ amends: null })}
        >
          {t("chart.notes.new")}
        </button>
      </div>
      {composing && !readOnly && (
        <NoteComposer key={composing.amends?.id ?? ""} amends={composing.amends} onDone={() => setComposing(null)} />
      )}
      {notes.length === 0 ? (
        <p className="muted">{t("chart.notes.empty")}</p>
      ) : (
        <ol className="timeline plain">
          {notes.map((n) => (
            <NoteItem
              key={n.id}
              note={n}
              amended={n.amends ? (byId.get(n.amends) ?? null) : null}
              onAmend={() => setComposing({ amends: n })}
            />
          ))}
        </ol>
      )}
    </section>
  );
}

type ItemProps = { note: Note; amended: Note | null; onAmend: () => void };

function NoteItem({ note, amended, onAmend }: ItemProps) {
  const { t, i18n } = useTranslation();
  const { readOnly, personName } = useChart();
  const s = note.signed;
  return (
    <li
      className={`note${s ? " signed" : " draft"}${note.amends ? " amendment" : ""}`}
      data-testid="note"
      data-note-id={note.id}
      data-signed={s ? "true" : "false"}
    >
      <div className="note-head">
        <strong>{dayToBr(note.visit_date)}</strong>
        <span>{personName(note.professional_id)}</span>
        <span className={`badge${s ? " badge-signed" : ""}`}>{s ? t("chart.notes.signedBadge") : t("chart.notes.draft")}</span>
      </div>
      {note.amends && (
        <p className="note-amends small" data-testid="note-amends">
          {t("chart.notes.amends", { date: amended ? dayMonth(amended.visit_date) : "?" })}
        </p>
      )}
      {note.diverged && (
        <p className="alert-warning note-diverged" role="note" data-testid="note-diverged">
          ⚠ {t("chart.notes.diverged")}
        </p>
      )}
      {s ? (
        <>
          <p className="note-text" data-testid="note-text">
            {note.text}
          </p>
          <SignatureCheck signature={s} />
          <p className="note-signature small muted" data-testid="note-signature">
            {t("chart.notes.signed", { by: personName(s.by), at: formatDateTime(s.at, i18n.language) })}
            {" · "}
            <abbr title={t("chart.notes.hash")}>SHA-256</abbr>{" "}
            <code data-testid="note-hash" title={s.content_hash}>
              {s.content_hash.slice(0, 12)}
            </code>
          </p>
          {(note.also_signed ?? []).map((other) => (
            <div key={other.id} className="note-also-signed" role="note" data-testid="note-also-signed">
              <p className="small">
                {t("chart.notes.alsoSigned", { by: personName(other.by), at: formatDateTime(other.at, i18n.language) })}
              </p>
              <p className="note-text">{other.text}</p>
              <SignatureCheck signature={other} />
            </div>
          ))}
          {note.amended_by.length > 0 && (
            <p className="small muted">{t("chart.notes.amendedBy", { count: note.amended_by.length })}</p>
          )}
          <div className="form-actions">
            <button type="button" className="secondary small-button" data-testid="note-amend" disabled={readOnly} onClick={onAmend}>
              {t("chart.notes.amend")}
            </button>
          </div>
        </>
      ) : (
        <DraftEditor note={note} />
      )}
    </li>
  );
}

/** What a signature proves, said plainly: verified, invalid (something was
 * altered after signing) or not verifiable (yet), with the reason. */
function SignatureCheck({ signature }: { signature: Signature }) {
  const { t } = useTranslation();
  const { personName } = useChart();
  const v = signature.verification;
  if (!v) return null;
  if (v.state === "valid") {
    return (
      <p className="signature-check signature-valid small" data-testid="signature-check" data-state="valid"
        title={t("chart.notes.verification.validTitle", { by: personName(signature.by) })}>
        ✓ {t("chart.notes.verification.valid")}
      </p>
    );
  }
  const cls = v.state === "tampered" ? "alert-danger" : "alert-warning";
  return (
    <p className={`signature-check ${cls} small`} role={v.state === "tampered" ? "alert" : "note"}
      data-testid="signature-check" data-state={v.state} data-reason={v.reason}>
      {v.state === "tampered" ? "⚠ " : ""}
      <strong>{t(`chart.notes.verification.${v.state}`)}</strong>
      {": "}
      {t(`chart.notes.verification.reasons.${v.reason}`)}
    </p>
  );
}

function DraftEditor({ note }: { note: Note }) {
  const { t } = useTranslation();
  const { patientId, readOnly, write } = useChart();
  const [text, setText] = useState(note.text);
  const [base, setBase] = useState(note.text);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [signing, setSigning] = useState(false);

  // The draft changed underneath (saved here, or merged from elsewhere): follow
  // it unless something different is being typed.
  if (note.text !== base && (text === base || text === note.text)) {
    setBase(note.text);
    setText(note.text);
  }
  const dirty = text !== base;

  async function save(e?: FormEvent) {
    e?.preventDefault();
    if (!dirty || saving) return;
    setSaving(true);
    setError(null);
    const err = await write(() => api.chartEditNote(patientId, note.id, text));
    setSaving(false);
    if (err) setError(errorText(t, err));
  }

  async function sign() {
    if (dirty) {
      const err = await write(() => api.chartEditNote(patientId, note.id, text));
      if (err) throw err;
    }
    const err = await write(() => api.chartSignNote(patientId, note.id));
    if (err) throw err;
    setSigning(false);
  }

  return (
    <>
      <form className="note-editor" onSubmit={save} noValidate>
        <TextAreaField
          id={`note-text-${note.id}`}
          name="note_text"
          label={t("chart.notes.text")}
          rows={4}
          value={text}
          disabled={readOnly}
          onChange={(v) => {
            setText(v);
            setError(null);
          }}
        />
        <FormError message={error} testId="note-error" />
        <div className="form-actions">
          <button type="submit" className="secondary" data-testid="note-save" disabled={readOnly || !dirty || saving}>
            {t("chart.notes.save")}
          </button>
          <button
            type="button"
            className="primary"
            data-testid="note-sign"
            disabled={readOnly || !text.trim()}
            onClick={() => setSigning(true)}
          >
            {t("chart.notes.sign")}
          </button>
        </div>
      </form>
      {signing && (
        <ConfirmDialog
          testId="sign"
          title={t("chart.notes.signTitle")}
          message={t("chart.notes.signMessage")}
          confirmLabel={t("chart.notes.sign")}
          onClose={() => setSigning(false)}
          onConfirm={sign}
        />
      )}
    </>
  );
}

const NOTE_FIELDS = ["professional_id", "visit_date", "text"] as const;
type NoteField = (typeof NOTE_FIELDS)[number];

function NoteComposer({ amends, onDone }: { amends: Note | null; onDone: () => void }) {
  const { t } = useTranslation();
  const { patientId, professionals, today, write } = useChart();
  const [professional, setProfessional] = useState(
    amends?.professional_id ?? (professionals.length === 1 ? professionals[0].id : ""),
  );
  const [visitDate, setVisitDate] = useState(today);
  const [text, setText] = useState("");
  const [errors, setErrors] = useState<Partial<Record<NoteField, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const title = amends ? t("chart.notes.amends", { date: dayMonth(amends.visit_date) }) : t("chart.notes.newTitle");

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    const found: Partial<Record<NoteField, string>> = {};
    if (!professional) found.professional_id = t("chart.entry.errors.professional_id");
    if (!isDay(visitDate)) found.visit_date = t("chart.entry.errors.date");
    if (!text.trim()) found.text = t("chart.notes.textRequired");
    setErrors(found);
    if (Object.keys(found).length) return;
    setSaving(true);
    setFormError(null);
    const err = await write(() =>
      api.chartAddNote(patientId, {
        professional_id: professional,
        visit_date: visitDate,
        text,
        amends: amends?.id ?? null,
      }),
    );
    setSaving(false);
    if (!err) {
      onDone();
      return;
    }
    const field = errorField(err, NOTE_FIELDS, { invalid_date: "visit_date" });
    if (field) setErrors({ [field]: errorText(t, err) });
    else setFormError(errorText(t, err));
  }

  return (
    <form
      className="note-composer card"
      data-testid="note-composer"
      data-amends={amends?.id}
      onSubmit={submit}
      noValidate
      aria-labelledby="note-composer-title"
    >
      <h3 id="note-composer-title">{title}</h3>
      <div className="field-row">
        <SelectField
          id="note-new-professional"
          name="professional_id"
          label={t("chart.notes.professional")}
          value={professional}
          allowEmpty
          options={professionals.map((p) => ({ id: p.id, name: p.name }))}
          error={errors.professional_id}
          onChange={setProfessional}
        />
        <InputField
          id="note-new-date"
          name="visit_date"
          type="date"
          label={t("chart.notes.visitDate")}
          value={visitDate}
          max={today}
          error={errors.visit_date}
          onChange={setVisitDate}
        />
      </div>
      <TextAreaField
        id="note-new-text"
        name="note_text"
        label={t("chart.notes.text")}
        rows={5}
        value={text}
        autoFocus
        error={errors.text}
        onChange={setText}
      />
      <FormError message={formError} testId="note-error" />
      <FormActions
        submit={t("chart.notes.save")}
        submitTestId="note-save"
        busy={saving}
        cancel={{ label: t("chart.notes.cancel"), onClick: onDone, testId: "note-cancel" }}
      />
    </form>
  );
}
