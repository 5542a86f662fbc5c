import { afterEach, beforeEach } from "vitest";
import { cleanup } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import i18n from "../src/i18n";
import { resetAgendaSettings } from "../src/screens/agenda/AgendaScreen";
import { resetPatientSearch } from "../src/screens/patients/PatientsScreen";

beforeEach(async () => {
  window.localStorage.clear();
  await i18n.changeLanguage("pt-BR");
  resetAgendaSettings();
  resetPatientSearch();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  cleanup();
  clearMocks();
});
