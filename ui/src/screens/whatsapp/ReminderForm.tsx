// Appointment reminders: on or off, the template (one of the clinic's that
// takes the three reminder parameters: name, when, professional), how
// many hours before the appointment (1 to 168) and the hours of the day
// they may go out (08:00 to 20:00 unless the clinic says otherwise: a
// reminder due at night waits for the morning). Until edited, the form
// follows the settings as they reload.
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { CheckboxField, InputField, SelectField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { errorText } from "../../errors";
import type { ApiError, ReminderSettings, SendingHours, WhatsappSettings } from "../../types";

/** The reminder template gets the patient's name, the date and time, and the professional. */
export const REMINDER_PARAMS = 3;
export const DEFAULT_HOURS = 24;
const MAX_HOURS = 168;
/** What a clinic turning reminders on is offered: nobody is woken up. */
export const DEFAULT_SENDING: SendingHours = { from: "08:00", until: "20:00" };
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

type Errors = { template?: string; hours?: string; until?: string };

export function ReminderForm({
  settings,
  onSaved,
}: {
  settings: WhatsappSettings;
  onSaved: (s: WhatsappSettings) => void;
}) {
  const { t } = useTranslation();
  const eligible = Object.entries(settings.templates).filter(([, tpl]) => tpl.params === REMINDER_PARAMS);
  const eligibleKeys = eligible.map(([k]) => k);

  const initial = (r: ReminderSettings | null) => ({
    enabled: !!r,
    template: r ? (eligibleKeys.includes(r.template) ? r.template : "") : (eligibleKeys[0] ?? ""),
    hours: String(r?.hours_before ?? DEFAULT_HOURS),
    // saved reminders without sending hours go at any hour
    anyHour: !!r && !r.sending_hours,
    from: r?.sending_hours?.from ?? DEFAULT_SENDING.from,
    until: r?.sending_hours?.until ?? DEFAULT_SENDING.until,
  });
  const [form, setForm] = useState(() => initial(settings.reminder));
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  // Settings reloaded (data changed elsewhere): follow them unless someone is editing.
  const current = JSON.stringify(settings.reminder);
  useEffect(() => {
    if (!dirty) setForm(initial(settings.reminder));
  }, [current, dirty]);

  function edit(patch: Partial<typeof form>, clear?: keyof Errors) {
    setForm((f) => ({ ...f, ...patch }));
    setDirty(true);
    setNotice(null);
    setFormError(null);
    if (clear) setErrors((e) => ({ ...e, [clear]: undefined }));
  }

  function focus(field: keyof Errors) {
    window.setTimeout(() => document.getElementById(`reminders-${field}`)?.focus(), 0);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    let reminder: ReminderSettings | null = null;
    if (form.enabled) {
      const found: Errors = {};
      if (!form.template) found.template = t("whatsapp.errors.templateRequired");
      const hours = form.hours.trim();
      const n = Number(hours);
      if (!/^\d+$/.test(hours) || n < 1 || n > MAX_HOURS) found.hours = t("whatsapp.errors.hours");
      if (!form.anyHour && !(TIME.test(form.from) && TIME.test(form.until) && form.from < form.until))
        found.until = t("whatsapp.errors.sendingHours");
      if (found.template || found.hours || found.until) {
        setErrors(found);
        setFormError(t("form.fix"));
        focus(found.template ? "template" : found.hours ? "hours" : "until");
        return;
      }
      reminder = {
        template: form.template,
        hours_before: n,
        sending_hours: form.anyHour ? null : { from: form.from, until: form.until },
      };
    }
    setSaving(true);
    setErrors({});
    setFormError(null);
    setNotice(null);
    try {
      const s = await api.setReminders(reminder);
      setForm(initial(s.reminder));
      setDirty(false);
      const r = s.reminder;
      setNotice(
        !r
          ? t("whatsapp.savedOff")
          : r.sending_hours
            ? t("whatsapp.savedOnBetween", { count: r.hours_before, ...r.sending_hours })
            : t("whatsapp.savedOn", { count: r.hours_before }),
      );
      onSaved(s);
    } catch (err) {
      const apiErr = err as ApiError;
      if (apiErr.field === "hours_before") {
        setErrors({ hours: t("whatsapp.errors.hours") });
        setFormError(t("form.fix"));
        focus("hours");
      } else if (apiErr.field === "sending_hours") {
        setErrors({ until: t("whatsapp.errors.sendingHours") });
        setFormError(t("form.fix"));
        focus("until");
      } else if (apiErr.code === "unknown_template" || apiErr.code === "template_params" || apiErr.field === "template") {
        const text =
          apiErr.code === "unknown_template"
            ? t("whatsapp.errors.templateUnknown")
            : apiErr.code === "template_params"
              ? t("whatsapp.errors.templateParams")
              : errorText(t, apiErr);
        setErrors({ template: text });
        setFormError(t("form.fix"));
        focus("template");
      } else {
        setFormError(errorText(t, apiErr));
      }
    } finally {
      setSaving(false);
    }
  }

  const none = eligible.length === 0;
  return (
    <form
      className="card reminders-form"
      data-testid="reminders-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="reminders-title"
    >
      <h2 id="reminders-title">{t("whatsapp.reminders")}</h2>
      <p className="muted small">{t("whatsapp.remindersHelp")}</p>
      <CheckboxField
        id="reminders-enabled"
        label={t("whatsapp.enabled")}
        checked={form.enabled}
        disabled={none && !form.enabled}
        onChange={(v) => edit({ enabled: v })}
      />
      {none ? (
        <p className="muted small" data-testid="reminders-no-template">
          {t("whatsapp.noReminderTemplate")}
        </p>
      ) : (
        <SelectField
          id="reminders-template"
          label={t("whatsapp.template")}
          value={form.template}
          allowEmpty
          disabled={!form.enabled}
          error={errors.template}
          options={eligible.map(([k, tpl]) => ({ id: k, name: `${tpl.name} (${tpl.language})` }))}
          onChange={(v) => edit({ template: v }, "template")}
        />
      )}
      <InputField
        id="reminders-hours"
        label={t("whatsapp.hoursBefore")}
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_HOURS}
        step={1}
        value={form.hours}
        disabled={!form.enabled}
        error={errors.hours}
        onChange={(v) => edit({ hours: v }, "hours")}
      />
      <fieldset className="reminders-sending" disabled={!form.enabled}>
        <legend>{t("whatsapp.sendingHours")}</legend>
        <div className="field-row">
          <InputField
            id="reminders-from"
            label={t("whatsapp.sendFrom")}
            type="time"
            value={form.from}
            disabled={!form.enabled || form.anyHour}
            onChange={(v) => edit({ from: v }, "until")}
          />
          <InputField
            id="reminders-until"
            label={t("whatsapp.sendUntil")}
            type="time"
            value={form.until}
            disabled={!form.enabled || form.anyHour}
            error={errors.until}
            onChange={(v) => edit({ until: v }, "until")}
          />
        </div>
        <CheckboxField
          id="reminders-any-hour"
          label={t("whatsapp.anyHour")}
          checked={form.anyHour}
          disabled={!form.enabled}
          onChange={(v) => edit({ anyHour: v }, "until")}
        />
        <p className="muted small">{t("whatsapp.sendingHoursHelp")}</p>
      </fieldset>
      <FormError message={formError} testId="reminders-error" />
      <p className="muted small" role="status" data-testid="reminders-saved">
        {notice ?? ""}
      </p>
      <FormActions
        submit={saving ? t("whatsapp.saving") : t("whatsapp.save")}
        submitTestId="reminders-save"
        busy={saving}
      />
    </form>
  );
}
