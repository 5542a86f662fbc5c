//! The commands the UI invokes. Each one parses its arguments, calls
//! arcada-core, and shapes the answer for the UI; the rules live in the
//! core. Names and fields are snake_case on both sides.
//!
//! Every command runs on Tauri's thread pool (`async`), never on the UI's
//! main thread: a login or a large search must not freeze the window.

use arcada_core::agenda::AppointmentStatus;
use arcada_core::clinic::{NewAppointment, Reschedule};
use arcada_core::documents::{Block, Chair, PatientDoc, Professional, Site};
use arcada_core::patient::PatientForm;
use arcada_core::projection::{AppointmentFilter, AppointmentRow, PatientHit};
use arcada_core::sync::engine::SyncStatus;
use arcada_core::workstation::SignIn;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::desktop::Desktop;
use crate::error::CommandError;

pub mod chart;
pub mod inbox;

type Result<T> = std::result::Result<T, CommandError>;

/// Longest search result list the UI may ask for.
const MAX_LIMIT: usize = 500;

/// Stored times are `2026-11-23T09:00`; the UI shows and sends
/// `2026-11-23 09:00`.
fn wall_clock(stored: &str) -> String {
    stored.replacen('T', " ", 1)
}

/// An appointment as the UI shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Appointment {
    #[serde(flatten)]
    row: AppointmentRow,
}

impl From<AppointmentRow> for Appointment {
    fn from(mut row: AppointmentRow) -> Self {
        row.start = wall_clock(&row.start);
        row.end = wall_clock(&row.end);
        Appointment { row }
    }
}

fn appointments(rows: Vec<AppointmentRow>) -> Vec<Appointment> {
    rows.into_iter().map(Appointment::from).collect()
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn session(desktop: State<'_, Desktop>) -> Result<SignIn> {
    desktop.sign_in()
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn login(
    desktop: State<'_, Desktop>,
    server: String,
    email: String,
    password: String,
) -> Result<SignIn> {
    desktop.log_in(&server, &email, &password, &crate::device_name())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn unlock(desktop: State<'_, Desktop>, email: String, password: String) -> Result<SignIn> {
    desktop.unlock(&email, &password)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn lock(desktop: State<'_, Desktop>) -> Result<SignIn> {
    desktop.lock()
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn search_patients(
    desktop: State<'_, Desktop>,
    query: String,
    limit: Option<usize>,
) -> Result<Vec<PatientHit>> {
    let limit = limit.unwrap_or(50).clamp(1, MAX_LIMIT);
    desktop.with_clinic(|c| c.search_patients(&query, limit))
}

/// A patient and their appointments to come.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientPage {
    patient: PatientDoc,
    /// From today on, cancelled ones included (the desk sees what happened).
    upcoming: Vec<Appointment>,
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn get_patient(desktop: State<'_, Desktop>, id: String) -> Result<PatientPage> {
    desktop.with_clinic(|c| {
        let patient = c.patient(&id)?;
        let today = chrono::Local::now().date_naive();
        let upcoming = c.appointments(&AppointmentFilter {
            from: today.to_string(),
            to: "9999-12-31".into(),
            patient_id: Some(patient.id.clone()),
            ..AppointmentFilter::default()
        })?;
        Ok(PatientPage {
            patient,
            upcoming: appointments(upcoming),
        })
    })
}

/// Patient fields as the form sends them; omitted means unchanged, and on
/// update an empty string clears an optional field.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "PatientForm", optional_fields)
)]
pub struct PatientInput {
    name: Option<String>,
    social_name: Option<String>,
    birth_date: Option<String>,
    sex: Option<String>,
    cpf: Option<String>,
    email: Option<String>,
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    phones: Vec<String>,
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    remove_phones: Vec<String>,
}

impl From<PatientInput> for PatientForm {
    fn from(i: PatientInput) -> Self {
        PatientForm {
            name: i.name,
            social_name: i.social_name,
            birth_date: i.birth_date,
            sex: i.sex,
            cpf: i.cpf,
            email: i.email,
            phones: i
                .phones
                .into_iter()
                .filter(|p| !p.trim().is_empty())
                .collect(),
            remove_phones: i.remove_phones,
        }
    }
}

/// A new patient's blank optional fields are simply absent.
fn blank_is_absent(form: &mut PatientForm) {
    for field in [
        &mut form.social_name,
        &mut form.birth_date,
        &mut form.sex,
        &mut form.cpf,
        &mut form.email,
    ] {
        if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *field = None;
        }
    }
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn create_patient(desktop: State<'_, Desktop>, form: PatientInput) -> Result<PatientDoc> {
    let mut form = PatientForm::from(form);
    blank_is_absent(&mut form);
    desktop.write(|c| c.add_patient(&form))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn update_patient(
    desktop: State<'_, Desktop>,
    id: String,
    form: PatientInput,
) -> Result<PatientDoc> {
    let form = PatientForm::from(form);
    desktop.write(|c| c.update_patient(&id, &form))
}

/// The clinic's people and rooms at this workstation's site.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Directory"))]
pub struct DirectoryView {
    org_name: String,
    site: Site,
    professionals: Vec<Professional>,
    chairs: Vec<Chair>,
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn directory(desktop: State<'_, Desktop>) -> Result<DirectoryView> {
    desktop.with_clinic(|c| {
        let dir = c.directory()?;
        let site_id = c.identity().site_id.to_string();
        let site = dir
            .sites
            .get(&site_id)
            .cloned()
            .ok_or(arcada_core::Error::NotFound {
                what: "site",
                id: site_id.clone(),
            })?;
        let mut professionals: Vec<Professional> = dir.professionals.into_values().collect();
        professionals.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let mut chairs: Vec<Chair> = dir
            .chairs
            .into_values()
            .filter(|c| c.site_id == site_id)
            .collect();
        chairs.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(DirectoryView {
            org_name: dir.org.name,
            site,
            professionals,
            chairs,
        })
    })
}

/// The appointments and blocks of a range of days.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AgendaRange"))]
pub struct AgendaView {
    appointments: Vec<Appointment>,
    blocks: Vec<Block>,
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn agenda(
    desktop: State<'_, Desktop>,
    from: String,
    to: String,
    professional_id: Option<String>,
    chair_id: Option<String>,
) -> Result<AgendaView> {
    desktop.with_clinic(|c| {
        let day = |s: &str| {
            arcada_core::agenda::parse_date(s).ok_or_else(|| arcada_core::Error::Date(s.into()))
        };
        let (first, end) = (day(&from)?, day(&to)?);
        let rows = c.appointments(&AppointmentFilter {
            from: first.to_string(),
            to: end.to_string(),
            professional_id,
            chair_id,
            patient_id: None,
        })?;
        let mut blocks = c.blocks(&from, &to)?;
        for b in &mut blocks {
            b.start = wall_clock(&b.start);
            b.end = wall_clock(&b.end);
        }
        Ok(AgendaView {
            appointments: appointments(rows),
            blocks,
        })
    })
}

#[tauri::command(async, rename_all = "snake_case")]
#[allow(clippy::too_many_arguments)]
pub fn book(
    desktop: State<'_, Desktop>,
    patient_id: String,
    professional_id: String,
    chair_id: String,
    start: String,
    duration_min: u32,
    notes: Option<String>,
) -> Result<Appointment> {
    let new = NewAppointment {
        patient: patient_id,
        professional: professional_id,
        chair: chair_id,
        start,
        duration_min,
        procedures: Vec::new(),
        notes: notes.unwrap_or_default(),
        source: arcada_core::agenda::Source::Desk,
    };
    desktop.write(|c| c.book(&new)).map(Appointment::from)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn move_appointment(
    desktop: State<'_, Desktop>,
    id: String,
    start: Option<String>,
    duration_min: Option<u32>,
    professional_id: Option<String>,
    chair_id: Option<String>,
) -> Result<Appointment> {
    let to = Reschedule {
        start,
        duration_min,
        professional: professional_id,
        chair: chair_id,
    };
    desktop
        .write(|c| c.move_appointment(&id, &to))
        .map(Appointment::from)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_appointment_status(
    desktop: State<'_, Desktop>,
    id: String,
    status: String,
    reason: Option<String>,
) -> Result<Appointment> {
    let status: AppointmentStatus =
        status
            .parse()
            .map_err(|e: arcada_core::UnknownValue| CommandError {
                code: "invalid",
                message: e.to_string(),
                field: Some("status"),
            })?;
    desktop
        .write(|c| match status {
            AppointmentStatus::Cancelado => c.cancel_appointment(&id, reason.as_deref()),
            other => c.set_appointment_status(&id, other),
        })
        .map(Appointment::from)
}

/// Two appointments that hold the same professional or chair at once.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Conflict"))]
pub struct ConflictView {
    id: String,
    /// A [`Resource`](arcada_core::agenda::Resource) as it displays,
    /// which is as serde writes it.
    #[cfg_attr(feature = "ts", ts(as = "arcada_core::agenda::Resource"))]
    resource: String,
    resource_id: String,
    day: String,
    appointments: [Appointment; 2],
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn conflicts(desktop: State<'_, Desktop>) -> Result<Vec<ConflictView>> {
    let list = desktop.with_clinic(|c| c.conflicts())?;
    Ok(list
        .into_iter()
        .map(|c| {
            let [a, b] = c.appointments;
            ConflictView {
                id: c.id,
                resource: c.resource.to_string(),
                resource_id: c.resource_id,
                day: c.day,
                appointments: [a.into(), b.into()],
            }
        })
        .collect())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn sync_status(desktop: State<'_, Desktop>) -> Result<SyncStatus> {
    desktop.sync_status()
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn sync_now(desktop: State<'_, Desktop>) -> Result<()> {
    desktop.wake_sync();
    Ok(())
}
