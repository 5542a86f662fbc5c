// The odontogram section: the chart itself, the charting form and baseline
// for the selected tooth or region, that tooth's entries, then every entry.
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { useApp } from "../../context";
import type { ChartView, Professional, Surface } from "../../types";
import { type Selection, useChart } from "./chartContext";
import { BaselineSelect, EntryForm } from "./EntryForm";
import { EntryTable } from "./EntryTable";
import { Odontogram } from "./Odontogram";
import { isTooth, surfacesOf } from "./teeth";

type Props = { selection: Selection; onSelection: (s: Selection) => void };

/** The professional of the signed-in user's latest entry, else the only one there is, else none. */
function defaultProfessional(view: ChartView, userId: string | undefined, professionals: Professional[]): string {
  const active = new Set(professionals.map((p) => p.id));
  const mine = [...view.entries].reverse().find((e) => e.created_by === userId && active.has(e.professional_id));
  if (mine) return mine.professional_id;
  return professionals.length === 1 ? professionals[0].id : "";
}

export function OdontogramTab({ selection, onSelection }: Props) {
  const { t } = useTranslation();
  const { session } = useApp();
  const { view, professionals } = useChart();
  const tooth = selection.target && isTooth(selection.target) ? selection.target : null;
  const toothEntries = useMemo(() => (tooth ? view.entries.filter((e) => e.region === tooth) : []), [view, tooth]);
  // proposed once, when the form first shows
  const [proposed] = useState(() => defaultProfessional(view, session.user?.user_id, professionals));

  function selectTooth(t: string) {
    if (t !== selection.target) onSelection({ target: t, surfaces: [] });
  }

  function toggleFace(t: string, s: Surface) {
    if (t !== selection.target) {
      onSelection({ target: t, surfaces: [s] });
      return;
    }
    const has = selection.surfaces.includes(s);
    const next = has ? selection.surfaces.filter((x) => x !== s) : [...selection.surfaces, s];
    onSelection({ target: t, surfaces: surfacesOf(t).filter((x) => next.includes(x)) });
  }

  return (
    <div className="odontogram-tab">
      <div className="odontogram-layout">
        <Odontogram
          selected={tooth}
          selectedSurfaces={selection.surfaces}
          onSelect={selectTooth}
          onFace={toggleFace}
        />
        <aside className="chart-panel card" aria-label={t("chart.entry.title")}>
          {tooth && (
            <p className="selected-tooth" role="status" data-testid="selected-tooth">
              {t("chart.odontogram.selected", { tooth })}
            </p>
          )}
          {tooth && <BaselineSelect tooth={tooth} />}
          <EntryForm selection={selection} onSelection={onSelection} defaultProfessional={proposed} />
        </aside>
      </div>
      {tooth && (
        <EntryTable
          entries={toothEntries}
          title={t("chart.entries.ofTooth", { tooth })}
          testId="tooth-entries"
          showRegion={false}
        />
      )}
      <EntryTable entries={view.entries} title={t("chart.entries.all")} testId="entries" pageSize={100} />
    </div>
  );
}
