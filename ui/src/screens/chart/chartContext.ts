// What every part of the chart screen shares: the chart as it now reads, the
// catalogue, whether it may be edited, and the one way to write.
import { createContext, useContext } from "react";
import type { ApiError, Catalogue, ChartView, Professional, Surface } from "../../types";

export type ChartState = {
  patientId: string;
  view: ChartView;
  catalogue: Catalogue | null;
  /** a past day is shown, or the role may not write: every editing control is disabled */
  readOnly: boolean;
  today: string;
  professionals: Professional[];
  /** The name shown for a professional (or user) id. */
  personName: (id: string) => string;
  /**
   * Runs a chart command; on success its ChartView replaces the one shown
   * and null is returned, else the ApiError (the caller shows it).
   */
  write: (command: () => Promise<ChartView>) => Promise<ApiError | null>;
};

/** The tooth or region picked on the odontogram, and its surfaces. */
export type Selection = { target: string | null; surfaces: Surface[] };

export const ChartContext = createContext<ChartState | null>(null);

export function useChart(): ChartState {
  const v = useContext(ChartContext);
  if (!v) throw new Error("useChart outside ChartContext");
  return v;
}
