// Search as you type (debounced); the core ignores accents and case, matches
// phone endings and exact CPFs.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { FormError } from "../../components/FormError";
import { useApp } from "../../context";
import { ageOn, todayIn } from "../../dates";
import { errorText } from "../../errors";
import { formatCpf, formatPhone } from "../../format";
import { useDebounced } from "../../hooks";
import type { ApiError, PatientHit } from "../../types";

export const SEARCH_LIMIT = 50;
export const SEARCH_DEBOUNCE_MS = 150;

// The query survives a visit to a patient's page and back.
let lastQuery = "";

/** Forget the last search (tests). */
export function resetPatientSearch() {
  lastQuery = "";
}

export function PatientsScreen() {
  const { t } = useTranslation();
  const { dataVersion, navigate, can, directory } = useApp();
  const [query, setQuery] = useState(lastQuery);
  const debounced = useDebounced(query, SEARCH_DEBOUNCE_MS);
  const [hits, setHits] = useState<PatientHit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const seq = useRef(0);

  useEffect(() => {
    lastQuery = debounced;
    const mine = ++seq.current;
    setSearching(true);
    api.searchPatients(debounced.trim(), SEARCH_LIMIT).then(
      (list) => {
        if (mine !== seq.current) return; // a newer search is on its way
        setHits(list);
        setError(null);
        setSearching(false);
      },
      (e: ApiError) => {
        if (mine !== seq.current) return;
        setError(errorText(t, e));
        setSearching(false);
      },
    );
  }, [debounced, dataVersion, t]);

  const today = todayIn(directory?.site.timezone);

  return (
    <section className="screen" aria-labelledby="patients-title">
      <div className="screen-head">
        <h1 id="patients-title">{t("patients.title")}</h1>
        {can.writePatients && (
          <button
            type="button"
            className="primary"
            data-testid="patient-new"
            onClick={() => navigate({ kind: "patient-new" })}
          >
            {t("patients.new")}
          </button>
        )}
      </div>
      <div className="field search-field">
        <label htmlFor="patient-search">{t("patients.search")}</label>
        <input
          id="patient-search"
          data-testid="patient-search"
          type="search"
          value={query}
          placeholder={t("patients.searchHint")}
          onChange={(e) => setQuery(e.target.value)}
          autoComplete="off"
          autoFocus
          aria-describedby="patient-search-count"
        />
      </div>
      <p id="patient-search-count" className="muted small" role="status" aria-live="polite">
        {searching && hits === null ? t("patients.searching") : hits ? t("patients.results", { count: hits.length }) : ""}
      </p>
      <FormError message={error} />
      {hits && hits.length === 0 && !searching && <p className="empty">{t("patients.empty")}</p>}
      {hits && hits.length > 0 && (
        <ul className="patient-list" aria-busy={searching}>
          {hits.map((p) => {
            const age = p.birth_date ? ageOn(p.birth_date, today) : null;
            return (
              <li key={p.id}>
                <button
                  type="button"
                  className="patient-row"
                  data-testid="patient-row"
                  data-id={p.id}
                  onClick={() => navigate({ kind: "patient", id: p.id })}
                >
                  <span className="patient-row-main">
                    <span className="patient-row-name">{p.name}</span>
                    {p.social_name && (
                      <span className="patient-row-social">{t("patients.socialName", { name: p.social_name })}</span>
                    )}
                  </span>
                  <span className="patient-row-age">{age != null ? t("patients.age", { count: age }) : ""}</span>
                  <span className="patient-row-cpf">
                    {formatCpf(p.cpf)}
                  </span>
                  <span className="patient-row-phone">{p.phones[0] ? formatPhone(p.phones[0]) : ""}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
