// i18next set up once: pt-BR by default, English on request; the choice is remembered.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import ptBR from "./pt-BR";
import en from "./en";

export const LANGUAGES = ["pt-BR", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = "arcada.language";

function storedLanguage(): Language {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    if (v && (LANGUAGES as readonly string[]).includes(v)) return v as Language;
  } catch {
    // storage unavailable: default
  }
  return "pt-BR";
}

void i18n.use(initReactI18next).init({
  resources: { "pt-BR": { translation: ptBR }, en: { translation: en } },
  lng: storedLanguage(),
  fallbackLng: "pt-BR",
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
});

i18n.on("languageChanged", (lng) => {
  document.documentElement.lang = lng;
  try {
    window.localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // not remembered; fine
  }
});
document.documentElement.lang = i18n.language;

export default i18n;
