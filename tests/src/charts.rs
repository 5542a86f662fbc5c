//! Chart documents for benchmarks: one odontogram entry per patient, the
//! way a clinic's first visit leaves it. (The chart's own editing API is the
//! clinical chart's; until then benchmarks write the document directly.)

use arcada_core::documents::{self, Attribution, ChartDoc, DocClass, OdontogramEntry};
use arcada_core::odontogram::EntryStatus;
use arcada_core::store::{Store, StoreError};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Reconcile(#[from] autosurgeon::ReconcileError),
}

/// Creates the chart of each patient with one realised restoration.
pub fn add_charts(store: &mut Store, patients: &[Uuid]) -> Result<(), ChartError> {
    let by = Attribution {
        user: "bench".into(),
        device: "bench".into(),
        op: "chart.entry".into(),
    };
    let tx = store.transaction()?;
    for (i, patient) in patients.iter().enumerate() {
        let chart_id = documents::chart_id(*patient);
        let mut chart = documents::genesis(chart_id, &ChartDoc::new(*patient))?;
        chart.set_actor(automerge::ActorId::random());
        let entry = OdontogramEntry {
            id: format!("e{i}"),
            region: "36".into(),
            surfaces: vec![],
            cervical: false,
            code: "restauracao".into(),
            tuss: None,
            status: EntryStatus::Realizado,
            professional_id: "p".into(),
            date: "2026-03-02".into(),
            note: "restauração classe I".into(),
            phase: None,
            fee_cents: None,
            appointment_id: None,
            created_at: "2026-03-02T10:00:00Z".into(),
            created_by: "bench".into(),
        };
        documents::commit_entry(&mut chart, "entries", &entry.id.clone(), &entry, &by, 1)?;
        tx.insert_new(chart_id, DocClass::Chart, &chart, 0)?;
    }
    tx.commit()?;
    Ok(())
}
