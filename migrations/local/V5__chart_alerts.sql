-- Schema 5: the anamnesis alerts of each patient whose chart is on this
-- workstation, so agenda cards show them without opening the chart.
CREATE TABLE chart_alerts (
    patient_id TEXT PRIMARY KEY,
    -- JSON array of {kind, label}
    alerts TEXT NOT NULL
);
-- Charts stored before schema 5 are projected again when the clinic opens
-- (see projection::catch_up).
DELETE FROM projection_heads WHERE class = 'chart';
