//! The clinical chart's commands (docs/CHART.md). Only roles that may read
//! charts (admin, clínico) get past [`Desktop::require`]; the others never
//! hold a chart document anyway, since the server does not send it.

use arcada_core::chart::{AnamnesisForm, Catalogue, ChartView, Legend, NewEntry};
use arcada_core::clinic::NewNote;
use arcada_core::documents::{DocClass, Procedure};
use arcada_core::odontogram::{Baseline, EntryStatus};
use arcada_core::roles::Access;
use tauri::State;

use super::Result;
use crate::desktop::Desktop;
use crate::error::CommandError;

/// Parses a slug argument, naming the field on error.
fn slug<T: std::str::FromStr<Err = arcada_core::UnknownValue>>(
    field: &'static str,
    value: &str,
) -> Result<T> {
    value
        .parse()
        .map_err(|e: arcada_core::UnknownValue| CommandError {
            code: "invalid",
            message: e.to_string(),
            field: Some(field),
        })
}

/// Runs a chart write for a role that may write charts.
fn write_chart(
    desktop: &Desktop,
    f: impl FnOnce(&mut arcada_core::Clinic) -> std::result::Result<ChartView, arcada_core::Error>,
) -> Result<ChartView> {
    desktop.require(DocClass::Chart, Access::Write)?;
    desktop.write(f)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn get_chart(
    desktop: State<'_, Desktop>,
    patient_id: String,
    as_of: Option<String>,
) -> Result<ChartView> {
    desktop.require(DocClass::Chart, Access::Read)?;
    let as_of = as_of.filter(|d| !d.trim().is_empty());
    desktop.with_clinic(|c| c.chart(&patient_id, as_of.as_deref()))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_add_entry(
    desktop: State<'_, Desktop>,
    patient_id: String,
    entry: NewEntry,
) -> Result<ChartView> {
    write_chart(&desktop, |c| c.chart_add_entry(&patient_id, &entry))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_set_status(
    desktop: State<'_, Desktop>,
    patient_id: String,
    entry_id: String,
    status: String,
    appointment_id: Option<String>,
) -> Result<ChartView> {
    let status: EntryStatus = slug("status", &status)?;
    write_chart(&desktop, |c| {
        c.chart_set_status(&patient_id, &entry_id, status, appointment_id.as_deref())
    })
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_invalidate(
    desktop: State<'_, Desktop>,
    patient_id: String,
    entry_id: String,
    reason: String,
) -> Result<ChartView> {
    write_chart(&desktop, |c| {
        c.chart_invalidate(&patient_id, &entry_id, &reason)
    })
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_set_baseline(
    desktop: State<'_, Desktop>,
    patient_id: String,
    tooth: String,
    baseline: String,
) -> Result<ChartView> {
    let baseline: Baseline = slug("baseline", &baseline)?;
    write_chart(&desktop, |c| {
        c.chart_set_baseline(&patient_id, &tooth, baseline)
    })
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_save_anamnesis(
    desktop: State<'_, Desktop>,
    patient_id: String,
    anamnesis: AnamnesisForm,
) -> Result<ChartView> {
    write_chart(&desktop, |c| {
        c.chart_save_anamnesis(&patient_id, &anamnesis)
    })
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_add_note(
    desktop: State<'_, Desktop>,
    patient_id: String,
    note: NewNote,
) -> Result<ChartView> {
    write_chart(&desktop, |c| c.chart_add_note(&patient_id, &note))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_edit_note(
    desktop: State<'_, Desktop>,
    patient_id: String,
    note_id: String,
    text: String,
) -> Result<ChartView> {
    write_chart(&desktop, |c| {
        c.chart_edit_note(&patient_id, &note_id, &text)
    })
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn chart_sign_note(
    desktop: State<'_, Desktop>,
    patient_id: String,
    note_id: String,
) -> Result<ChartView> {
    write_chart(&desktop, |c| c.chart_sign_note(&patient_id, &note_id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn catalogue(desktop: State<'_, Desktop>) -> Result<Catalogue> {
    desktop.with_clinic(|c| c.catalogue())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn save_procedure(desktop: State<'_, Desktop>, procedure: Procedure) -> Result<Catalogue> {
    desktop.require(DocClass::Directory, Access::Write)?;
    desktop.write(|c| c.save_procedure(procedure))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn save_legend(desktop: State<'_, Desktop>, legend: Legend) -> Result<Catalogue> {
    desktop.require(DocClass::Directory, Access::Write)?;
    desktop.write(|c| c.save_legend(&legend))
}
