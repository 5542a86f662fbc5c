import { afterEach, beforeEach } from "vitest";
import { cleanup, configure } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import i18n from "../src/i18n";
import { resetAgendaSettings } from "../src/screens/agenda/AgendaScreen";
import { resetPatientSearch } from "../src/screens/patients/PatientsScreen";

// findBy… and waitFor wait up to 5 s instead of 1 s: on two cores shared
// with a cargo build, a re-render after a debounce can take longer than 1 s.
configure({ asyncUtilTimeout: 5000 });

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
