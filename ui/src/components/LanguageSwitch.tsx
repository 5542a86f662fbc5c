import { useId } from "react";
import { useTranslation } from "react-i18next";
import { LANGUAGES } from "../i18n";

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const id = useId();
  return (
    <span className="language-switch">
      <label htmlFor={id} className="visually-hidden">
        {t("header.language")}
      </label>
      <select
        id={id}
        data-testid="language-switch"
        value={i18n.language}
        onChange={(e) => void i18n.changeLanguage(e.target.value)}
      >
        {LANGUAGES.map((l) => (
          <option key={l} value={l}>
            {t(`languages.${l}`)}
          </option>
        ))}
      </select>
    </span>
  );
}
