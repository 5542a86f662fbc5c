// Add or edit one procedure of the catalogue. The fee is typed in reais
// ("180,00"), the TUSS code is 8 digits or nothing; the core checks again.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { Dialog } from "../../components/Dialog";
import { CheckboxField, InputField, SelectField } from "../../components/Field";
import { FormActions } from "../../components/FormActions";
import { FormError } from "../../components/FormError";
import { errorField, errorText } from "../../errors";
import { moneyInput, parseMoney } from "../../format";
import {
  APPLIES_TO,
  DRAWINGS,
  TOOTH_TYPES,
  type ApiError,
  type AppliesTo,
  type Catalogue,
  type Drawing,
  type Procedure,
  type ToothType,
} from "../../types";

type Props = {
  /** null: a new procedure */
  procedure: Procedure | null;
  /** codes already in use */
  taken: string[];
  onClose: () => void;
  onSaved: (c: Catalogue) => void;
};

const FIELDS = ["code", "name", "fee_cents", "tuss", "applies_to", "tooth_types", "drawing", "colour"] as const;
type Field = (typeof FIELDS)[number];

export const tussValid = (s: string) => s === "" || /^\d{8}$/.test(s);
export const codeValid = (s: string) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(s);

export function ProcedureDialog({ procedure, taken, onClose, onSaved }: Props) {
  const { t } = useTranslation();
  const [code, setCode] = useState(procedure?.code ?? "");
  const [name, setName] = useState(procedure?.name ?? "");
  const [fee, setFee] = useState(procedure ? moneyInput(procedure.fee_cents) : "");
  const [tuss, setTuss] = useState(procedure?.tuss ?? "");
  const [appliesTo, setAppliesTo] = useState<AppliesTo>(procedure?.applies_to ?? "surface");
  const [toothTypes, setToothTypes] = useState<ToothType[]>(procedure?.tooth_types ?? []);
  const [condition, setCondition] = useState(procedure?.condition ?? false);
  const [drawing, setDrawing] = useState<Drawing>(procedure?.drawing ?? "surface");
  const [ownColour, setOwnColour] = useState(!!procedure?.colour);
  const [colour, setColour] = useState(procedure?.colour ?? "#2e7d32");
  const [active, setActive] = useState(procedure?.active ?? true);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    const found: Partial<Record<Field, string>> = {};
    const cleanCode = code.trim();
    if (!codeValid(cleanCode) || (!procedure && taken.includes(cleanCode))) found.code = t("catalogue.errors.code");
    if (!name.trim()) found.name = t("catalogue.errors.name");
    const cents = fee.trim() ? parseMoney(fee) : 0;
    if (cents == null) found.fee_cents = t("catalogue.errors.fee");
    const cleanTuss = tuss.trim();
    if (!tussValid(cleanTuss)) found.tuss = t("catalogue.errors.tuss");
    setErrors(found);
    if (Object.keys(found).length || cents == null) return;
    const p: Procedure = {
      code: cleanCode,
      name: name.trim(),
      fee_cents: cents,
      tuss: cleanTuss || null,
      applies_to: appliesTo,
      tooth_types: appliesTo === "region" ? [] : toothTypes,
      condition,
      drawing,
      colour: ownColour ? colour : null,
      active,
    };
    setSaving(true);
    setFormError(null);
    try {
      onSaved(await api.saveProcedure(p));
    } catch (err) {
      const apiErr = err as ApiError;
      const field = errorField(apiErr, FIELDS, { unknown_procedure: "code" });
      if (field) setErrors({ [field]: errorText(t, apiErr) });
      else setFormError(errorText(t, apiErr));
      setSaving(false);
    }
  }

  const clear = (f: Field) => errors[f] && setErrors((e) => ({ ...e, [f]: undefined }));

  return (
    <Dialog
      title={procedure ? t("catalogue.editTitle") : t("catalogue.newTitle")}
      onClose={onClose}
      testId="procedure-dialog"
      wide
    >
      <form onSubmit={submit} noValidate className="procedure-form">
        <div className="field-row">
          <InputField
            id="procedure-code"
            name="code"
            label={t("catalogue.code")}
            placeholder={t("catalogue.codeHint")}
            value={code}
            readOnly={!!procedure}
            autoComplete="off"
            error={errors.code}
            onChange={(v) => {
              clear("code");
              setCode(v);
            }}
          />
          <InputField
            id="procedure-name"
            name="name"
            label={t("catalogue.name")}
            value={name}
            autoComplete="off"
            error={errors.name}
            onChange={(v) => {
              clear("name");
              setName(v);
            }}
          />
        </div>
        <div className="field-row">
          <InputField
            id="procedure-fee"
            name="fee"
            label={t("catalogue.fee")}
            inputMode="decimal"
            placeholder="0,00"
            value={fee}
            error={errors.fee_cents}
            onChange={(v) => {
              clear("fee_cents");
              setFee(v);
            }}
          />
          <InputField
            id="procedure-tuss"
            name="tuss"
            label={t("catalogue.tuss")}
            placeholder={t("catalogue.tussHint")}
            inputMode="numeric"
            maxLength={8}
            value={tuss}
            error={errors.tuss}
            onChange={(v) => {
              clear("tuss");
              setTuss(v);
            }}
          />
        </div>
        <div className="field-row">
          <SelectField
            id="procedure-applies-to"
            name="applies_to"
            label={t("catalogue.appliesToLabel")}
            value={appliesTo}
            options={APPLIES_TO.map((a) => ({ id: a, name: t(`catalogue.appliesTo.${a}`) }))}
            error={errors.applies_to}
            onChange={(v) => setAppliesTo(v as AppliesTo)}
          />
          <SelectField
            id="procedure-drawing"
            name="drawing"
            label={t("catalogue.drawingLabel")}
            value={drawing}
            options={DRAWINGS.map((d) => ({ id: d, name: t(`catalogue.drawings.${d}`) }))}
            error={errors.drawing}
            onChange={(v) => setDrawing(v as Drawing)}
          />
        </div>
        <fieldset className="tooth-types" disabled={appliesTo === "region"}>
          <legend>{t("catalogue.toothTypesLabel")}</legend>
          <p className="muted small">{t("catalogue.toothTypesHint")}</p>
          <div className="check-row">
            {TOOTH_TYPES.map((x) => (
              <CheckboxField
                key={x}
                id={`procedure-tooth-type-${x}`}
                name="tooth_types"
                value={x}
                label={t(`catalogue.toothTypes.${x}`)}
                checked={toothTypes.includes(x)}
                disabled={appliesTo === "region"}
                onChange={(on) => setToothTypes((list) => (on ? [...list, x] : list.filter((y) => y !== x)))}
              />
            ))}
          </div>
        </fieldset>
        <CheckboxField id="procedure-condition" name="condition" label={t("catalogue.condition")} checked={condition} onChange={setCondition} />
        <div className="colour-row">
          <CheckboxField id="procedure-own-colour" label={t("catalogue.ownColour")} checked={ownColour} onChange={setOwnColour} />
          <InputField
            id="procedure-colour"
            name="colour"
            type="color"
            label={t("catalogue.colour")}
            value={colour}
            disabled={!ownColour}
            error={errors.colour}
            onChange={setColour}
          />
        </div>
        <CheckboxField id="procedure-active" name="active" label={t("catalogue.active")} checked={active} onChange={setActive} />
        <FormError message={formError} testId="procedure-error" />
        <FormActions
          submit={t("catalogue.save")}
          submitTestId="procedure-save"
          busy={saving}
          cancel={{ label: t("catalogue.cancel"), onClick: onClose }}
        />
      </form>
    </Dialog>
  );
}
