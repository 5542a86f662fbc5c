//! A chart's anamnesis alerts, for the agenda cards.

use automerge::Automerge;
use rusqlite::{params, Connection};
use uuid::Uuid;

use super::ProjectionError;

/// Keeps the anamnesis alerts of a chart's patient for the agenda cards.
/// Reads the anamnesis alone: a chart with years of entries is not hydrated.
pub(super) fn project_chart_alerts(
    conn: &Connection,
    id: Uuid,
    doc: &Automerge,
) -> Result<(), ProjectionError> {
    let hydrate_err = |source| ProjectionError::Hydrate {
        id,
        source: Box::new(source),
    };
    let patient_id: String =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "patient_id").map_err(hydrate_err)?;
    let anamnesis: crate::documents::Anamnesis =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "anamnesis").map_err(hydrate_err)?;
    let alerts = crate::chart::alerts(&anamnesis);
    if alerts.is_empty() {
        conn.prepare_cached("DELETE FROM chart_alerts WHERE patient_id = ?1")?
            .execute([&patient_id])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO chart_alerts (patient_id, alerts) VALUES (?1, ?2)
             ON CONFLICT (patient_id) DO UPDATE SET alerts = excluded.alerts",
        )?
        .execute(params![
            patient_id,
            serde_json::to_string(&alerts).unwrap_or_else(|_| "[]".into())
        ])?;
    }
    Ok(())
}
