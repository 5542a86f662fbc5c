// Linking a conversation to a patient: search for one, or register the
// contact as a new patient (name and phone from the conversation, CPF
// optional; the rest of the record is completed later on the patient form).
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { Dialog } from "../../components/Dialog";
import { InputField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { PatientPicker } from "../../components/PatientPicker";
import { errorText, patientErrorField, patientFieldText } from "../../errors";
import { maskCpf, maskPhone } from "../../format";
import { cpfDigits, cpfProblem, nameProblem, phoneValid } from "../../validation";
import type { ApiError, ConversationRow, PatientForm } from "../../types";

export function LinkPatientDialog({
  conversation,
  onClose,
  onLinked,
}: {
  conversation: ConversationRow;
  onClose: () => void;
  onLinked: (row: ConversationRow) => void;
}) {
  const { t } = useTranslation();
  const [patient, setPatient] = useState<{ id: string; name: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    if (!patient) {
      setError(t("inbox.linkChoose"));
      return;
    }
    setSaving(true);
    setError(null);
    try {
      onLinked(await api.inboxLinkPatient(conversation.id, patient.id));
    } catch (err) {
      setError(errorText(t, err as ApiError));
      setSaving(false);
    }
  }

  return (
    <Dialog title={t("inbox.linkTitle")} onClose={onClose} testId="inbox-link-dialog">
      <form onSubmit={submit} noValidate>
        <PatientPicker
          id="inbox-link-patient"
          testId="inbox-link-patient"
          label={t("inbox.linkPatient")}
          value={patient}
          onChange={(p) => {
            setPatient(p);
            setError(null);
          }}
          invalid={!!error}
          describedBy={error ? "inbox-link-dialog-error" : undefined}
        />
        {error && (
          <p className="form-error" role="alert" id="inbox-link-dialog-error" data-testid="inbox-link-dialog-error">
            {error}
          </p>
        )}
        <FormActions
          submit={saving ? t("inbox.saving") : t("inbox.linkConfirm")}
          submitTestId="inbox-link-confirm"
          busy={saving}
          cancel={{ label: t("inbox.cancel"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}

type ConvertField = "name" | "phones" | "cpf";

export function ConvertLeadDialog({
  conversation,
  onClose,
  onConverted,
}: {
  conversation: ConversationRow;
  onClose: () => void;
  onConverted: (row: ConversationRow) => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(conversation.contact_name?.trim() ?? "");
  const [phone, setPhone] = useState(conversation.phone ?? "");
  const [cpf, setCpf] = useState("");
  const [errors, setErrors] = useState<Partial<Record<ConvertField, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const ids: Record<ConvertField, string> = {
    name: "inbox-convert-name",
    phones: "inbox-convert-phone",
    cpf: "inbox-convert-cpf",
  };

  function edited(field: ConvertField) {
    if (errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
    setFormError(null);
  }

  function check(): Partial<Record<ConvertField, string>> {
    const found: Partial<Record<ConvertField, string>> = {};
    const np = nameProblem(name);
    if (np) found.name = t(`form.errors.name_${np}`);
    if (phone.trim() && !phoneValid(phone)) found.phones = t("form.errors.phones_invalid");
    if (cpf.trim()) {
      const cp = cpfProblem(cpf);
      if (cp) found.cpf = t(`form.errors.cpf_${cp}`);
    }
    return found;
  }

  function focus(field: ConvertField) {
    window.setTimeout(() => document.getElementById(ids[field])?.focus(), 0);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    const found = check();
    setErrors(found);
    const first = (Object.keys(found) as ConvertField[])[0];
    if (first) {
      setFormError(t("form.fix"));
      focus(first);
      return;
    }
    const form: PatientForm = { name: name.trim().replace(/\s+/g, " ") };
    if (phone.trim()) form.phones = [phone.trim()];
    if (cpf.trim()) form.cpf = cpfDigits(cpf);
    setSaving(true);
    setFormError(null);
    try {
      onConverted(await api.inboxConvertLead(conversation.id, form));
    } catch (err) {
      const apiErr = err as ApiError;
      const field = patientErrorField(apiErr);
      if (field === "name" || field === "phones" || field === "cpf") {
        setErrors({ [field]: patientFieldText(t, field, apiErr) });
        setFormError(t("form.fix"));
        focus(field);
      } else {
        setFormError(errorText(t, apiErr));
      }
      setSaving(false);
    }
  }

  return (
    <Dialog
      title={t("inbox.convertTitle")}
      onClose={onClose}
      testId="inbox-convert-dialog"
      initialFocus="#inbox-convert-name"
    >
      <form onSubmit={submit} noValidate data-testid="inbox-convert-form">
        <p className="muted small">{t("inbox.convertHelp")}</p>
        <InputField
          id={ids.name}
          label={t("form.name")}
          value={name}
          autoComplete="off"
          required
          error={errors.name}
          onChange={(v) => {
            setName(v);
            edited("name");
          }}
        />
        <div className="field-row">
          <InputField
            id={ids.phones}
            label={t("form.phone")}
            type="tel"
            value={phone}
            placeholder={t("form.phoneHint")}
            autoComplete="off"
            error={errors.phones}
            onChange={(v) => {
              setPhone(maskPhone(v));
              edited("phones");
            }}
          />
          <InputField
            id={ids.cpf}
            label={t("inbox.cpfOptional")}
            value={cpf}
            placeholder={t("form.cpfHint")}
            inputMode="numeric"
            autoComplete="off"
            error={errors.cpf}
            onChange={(v) => {
              setCpf(maskCpf(v));
              edited("cpf");
            }}
          />
        </div>
        <FormError message={formError} testId="inbox-convert-error" />
        <FormActions
          submit={saving ? t("inbox.saving") : t("inbox.convertSave")}
          submitTestId="inbox-convert-save"
          busy={saving}
          cancel={{ label: t("inbox.cancel"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}
