import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { useApp } from "../../context";
import { ageOn, dayToBr, todayIn } from "../../dates";
import { errorText } from "../../errors";
import { formatCpf, formatPhone } from "../../format";
import type { ApiError, Appointment, Consent, Patient } from "../../types";

/** The three consents the clinic asks for, with the keys they may be stored under. */
const CONSENTS: { key: "lgpd" | "imagem" | "tratamento"; aliases: string[] }[] = [
  { key: "lgpd", aliases: ["lgpd", "dados", "data"] },
  { key: "imagem", aliases: ["imagem", "image", "uso-de-imagem", "image_use"] },
  { key: "tratamento", aliases: ["tratamento", "treatment"] },
];

function formatInstant(s: string, lang: string): string {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toLocaleDateString(lang, { day: "2-digit", month: "2-digit", year: "numeric" });
}

export function PatientPage({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const { navigate, dataVersion, directory, can } = useApp();
  const [data, setData] = useState<{ patient: Patient; upcoming: Appointment[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.getPatient(id).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (e: ApiError) => live && setError(errorText(t, e)),
    );
    return () => {
      live = false;
    };
  }, [id, dataVersion, t]);

  const back = (
    <button type="button" className="link-button back" onClick={() => navigate({ kind: "patients" })}>
      ← {t("patient.back")}
    </button>
  );

  if (error) {
    return (
      <section className="screen">
        {back}
        <p className="form-error" role="alert">
          {error}
        </p>
      </section>
    );
  }
  if (!data) {
    return (
      <section className="screen" aria-busy="true">
        {back}
        <p role="status">{t("app.loading")}</p>
      </section>
    );
  }

  const p = data.patient;
  const today = todayIn(directory?.site.timezone);
  const age = p.birth_date ? ageOn(p.birth_date, today) : null;
  const none = t("patient.none");
  const phones = Object.entries(p.phones ?? {});
  const consents = p.consents ?? {};
  const known = new Set(CONSENTS.flatMap((c) => c.aliases));
  const otherConsents = Object.entries(consents).filter(([k]) => !known.has(k));
  const profName = (pid: string) => directory?.professionals.find((x) => x.id === pid)?.name ?? "";
  const chairName = (cid: string) => directory?.chairs.find((x) => x.id === cid)?.name ?? "";

  const consentRow = (label: string, c: Consent | undefined, key: string) => (
    <li key={key} className={c?.granted ? "consent granted" : "consent"} data-consent={key} data-granted={!!c?.granted}>
      <span className="consent-mark" aria-hidden="true">
        {c?.granted ? "✓" : "–"}
      </span>
      <span className="consent-label">{label}</span>
      <span className="muted">
        {c?.granted ? t("patient.granted", { date: formatInstant(c.at, i18n.language) }) : t("patient.notGranted")}
      </span>
    </li>
  );

  return (
    <section className="screen patient-page" data-testid="patient-page" data-id={p.id} aria-labelledby="patient-name">
      {back}
      <div className="screen-head">
        <div>
          <h1 id="patient-name" data-testid="patient-name">
            {p.name}
          </h1>
          {p.social_name && <p className="muted">{t("patients.socialName", { name: p.social_name })}</p>}
        </div>
        <div className="head-actions">
          {can.chart && (
            <button
              type="button"
              className="primary"
              data-testid="open-chart"
              onClick={() => navigate({ kind: "chart", id: p.id })}
            >
              {t("patient.openChart")}
            </button>
          )}
          {can.writePatients && (
            <button
              type="button"
              className={can.chart ? "secondary" : "primary"}
              data-testid="patient-edit"
              onClick={() => navigate({ kind: "patient-edit", id: p.id })}
            >
              {t("patient.edit")}
            </button>
          )}
        </div>
      </div>

      <div className="cards">
        <section className="card" aria-labelledby="pp-data">
          <h2 id="pp-data">{t("patient.data")}</h2>
          <dl className="facts">
            <dt>{t("patient.birthDate")}</dt>
            <dd data-testid="patient-birth-date">
              {p.birth_date
                ? age != null
                  ? t("patient.birthAge", { date: dayToBr(p.birth_date), age: t("patients.age", { count: age }) })
                  : dayToBr(p.birth_date)
                : none}
            </dd>
            <dt>{t("patient.sex")}</dt>
            <dd>{p.sex ? t(`form.sexes.${p.sex}`) : none}</dd>
            <dt>{t("patient.cpf")}</dt>
            <dd data-testid="patient-cpf">{p.cpf ? formatCpf(p.cpf) : none}</dd>
            <dt>{t("patient.created")}</dt>
            <dd>{p.created_at ? formatInstant(p.created_at, i18n.language) : none}</dd>
            {p.tags && p.tags.length > 0 && (
              <>
                <dt>{t("patient.tags")}</dt>
                <dd>
                  {p.tags.map((tag) => (
                    <span key={tag} className="tag">
                      {tag}
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
        </section>

        <section className="card" aria-labelledby="pp-contacts">
          <h2 id="pp-contacts">{t("patient.contacts")}</h2>
          <dl className="facts">
            <dt>{t("patient.phones")}</dt>
            <dd>
              {phones.length === 0 ? (
                none
              ) : (
                <ul className="plain" data-testid="patient-phones">
                  {phones.map(([key, ph]) => (
                    <li key={key}>
                      {formatPhone(ph.number || key)}
                      {ph.label && <span className="muted"> · {ph.label}</span>}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>{t("patient.email")}</dt>
            <dd>{p.email ?? none}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="pp-consents">
          <h2 id="pp-consents">{t("patient.consents")}</h2>
          <ul className="plain consents" data-testid="patient-consents">
            {CONSENTS.map((c) => {
              const found = c.aliases.map((a) => consents[a]).find(Boolean);
              return consentRow(t(`patient.consent.${c.key}`), found, c.key);
            })}
            {otherConsents.map(([k, c]) => consentRow(k, c, k))}
          </ul>
        </section>

        <section className="card" aria-labelledby="pp-upcoming">
          <h2 id="pp-upcoming">{t("patient.upcoming")}</h2>
          {data.upcoming.length === 0 ? (
            <p className="muted">{t("patient.noUpcoming")}</p>
          ) : (
            <ul className="plain upcoming" data-testid="patient-upcoming">
              {data.upcoming.map((a) => {
                const [day, time] = a.start.split(" ");
                return (
                  <li key={a.id} data-id={a.id}>
                    <strong>
                      {dayToBr(day)} {time}
                    </strong>{" "}
                    <span>{profName(a.professional_id) && t("patient.with", { name: profName(a.professional_id) })}</span>
                    {chairName(a.chair_id) && <span className="muted"> · {chairName(a.chair_id)}</span>}{" "}
                    <span className={`status-pill status-${a.status}`}>{t(`status.${a.status}`)}</span>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}
