// The clinical chart (prontuário) of one patient: header with the clinical
// alerts, the date control (the chart as it was on a past day, read-only),
// and four sections: odontogram, progress notes, medical history, plan.
// Every write answers with the whole chart, which replaces the one shown.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { FormError } from "../../components/FormError";
import { useApp } from "../../context";
import { todayIn } from "../../dates";
import { errorText } from "../../errors";
import type { ApiError, Catalogue, ChartView, Patient } from "../../types";
import { AnamnesisPanel } from "./AnamnesisPanel";
import { AsOfControl } from "./AsOfControl";
import { ChartContext, type ChartState, type Selection } from "./chartContext";
import { ChartHeader } from "./ChartHeader";
import { NotesPanel } from "./NotesPanel";
import { OdontogramTab } from "./OdontogramTab";
import { TreatmentPlan } from "./TreatmentPlan";

const TABS = ["odontogram", "notes", "anamnesis", "plan"] as const;
type Tab = (typeof TABS)[number];

export function ChartScreen({ id }: { id: string }) {
  const { t } = useTranslation();
  const { navigate, dataVersion, directory, session } = useApp();
  const [patient, setPatient] = useState<Patient | null>(null);
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [view, setView] = useState<ChartView | null>(null);
  const [history, setHistory] = useState<string[]>([]);
  const [asOf, setAsOf] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("odontogram");
  const [selection, setSelection] = useState<Selection>({ target: null, surfaces: [] });
  const seq = useRef(0);
  const today = todayIn(directory?.site.timezone);

  useEffect(() => {
    let live = true;
    api.getPatient(id).then(
      (r) => live && setPatient(r.patient),
      () => undefined, // the name is only a heading; the chart says what went wrong
    );
    return () => {
      live = false;
    };
  }, [id, dataVersion]);

  useEffect(() => {
    let live = true;
    api.catalogue().then(
      (c) => live && setCatalogue(c),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [dataVersion]);

  const show = useCallback((v: ChartView) => {
    setView(v);
    // days reached from a past view may stop at that day: keep every day seen
    setHistory((h) => [...new Set([...h, ...(v.history ?? [])])].sort());
  }, []);

  useEffect(() => {
    const mine = ++seq.current;
    api.getChart(id, asOf).then(
      (v) => {
        if (mine !== seq.current) return;
        show(v);
        setLoadError(null);
      },
      (e: ApiError) => mine === seq.current && setLoadError(errorText(t, e)),
    );
  }, [id, asOf, dataVersion, t, show]);

  const write = useCallback(
    async (command: () => Promise<ChartView>) => {
      // a load still on its way is older than what this write answers
      const mine = ++seq.current;
      try {
        const v = await command();
        if (mine === seq.current) show(v);
        return null;
      } catch (e) {
        return e as ApiError;
      }
    },
    [show],
  );

  const professionals = useMemo(() => directory?.professionals ?? [], [directory]);
  const personName = useCallback(
    (who: string) => {
      const p = professionals.find((x) => x.id === who);
      if (p) return p.name;
      if (session.user && who === session.user.user_id) return session.user.email;
      // another user of the clinic: the directory lists professionals, not users
      return who ? t("chart.user", { id: who.slice(0, 8) }) : "";
    },
    [professionals, session.user, t],
  );

  const back = (
    <button type="button" className="link-button back" onClick={() => navigate({ kind: "patient", id })}>
      ← {t("chart.back")}
    </button>
  );

  if (!view) {
    return (
      <section className="screen" aria-busy={!loadError}>
        {back}
        {loadError ? (
          <p className="form-error" role="alert" data-testid="chart-error">
            {loadError}
          </p>
        ) : (
          <p role="status">{t("chart.loading")}</p>
        )}
      </section>
    );
  }

  const state: ChartState = {
    patientId: id,
    view,
    catalogue,
    readOnly: asOf != null,
    today,
    professionals: professionals.filter((p) => p.active),
    personName,
    write,
  };

  function onTabKey(e: React.KeyboardEvent) {
    const i = TABS.indexOf(tab);
    const next =
      e.key === "ArrowRight" ? TABS[(i + 1) % TABS.length] : e.key === "ArrowLeft" ? TABS[(i + TABS.length - 1) % TABS.length] : null;
    if (!next) return;
    e.preventDefault();
    setTab(next);
    document.getElementById(`chart-tab-${next}`)?.focus();
  }

  return (
    <ChartContext.Provider value={state}>
      <section className="screen chart-screen" data-testid="chart" data-patient={id} aria-labelledby="chart-patient-name">
        {back}
        <ChartHeader name={patient?.name ?? ""} alerts={view.alerts} />
        <AsOfControl asOf={asOf} history={history} today={today} onChange={setAsOf} />
        <FormError message={loadError} testId="chart-error" />
        <div role="tablist" aria-label={t("chart.tabs.label")} className="tabs" onKeyDown={onTabKey}>
          {TABS.map((k) => (
            <button
              key={k}
              type="button"
              role="tab"
              id={`chart-tab-${k}`}
              data-testid={`chart-tab-${k}`}
              aria-selected={tab === k}
              aria-controls={`chart-panel-${k}`}
              tabIndex={tab === k ? 0 : -1}
              onClick={() => setTab(k)}
            >
              {t(`chart.tabs.${k}`)}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`chart-panel-${tab}`} aria-labelledby={`chart-tab-${tab}`} className="tab-panel">
          {tab === "odontogram" && <OdontogramTab selection={selection} onSelection={setSelection} />}
          {tab === "notes" && <NotesPanel />}
          {tab === "anamnesis" && <AnamnesisPanel key={view.as_of ?? ""} />}
          {tab === "plan" && <TreatmentPlan />}
        </div>
      </section>
    </ChartContext.Provider>
  );
}
