//! The agenda document: one per site and ISO week. Appointments, blocks and
//! the waitlist live in maps keyed by id, so bookings made on different
//! workstations merge side by side; overlaps they create are detected after
//! the merge, never dropped.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;
use uuid::Uuid;

use super::DocClass;
use crate::agenda::{AppointmentStatus, Source};

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct AgendaWeek {
    pub class: DocClass,
    pub schema: u64,
    pub site_id: String,
    /// ISO week, `2026-W48`.
    pub week: String,
    pub appointments: BTreeMap<String, Appointment>,
    pub blocks: BTreeMap<String, Block>,
    pub waitlist: BTreeMap<String, WaitlistEntry>,
}

impl AgendaWeek {
    /// The empty week, written by [`super::genesis`].
    pub fn new(site_id: Uuid, week: &str) -> AgendaWeek {
        AgendaWeek {
            class: DocClass::Agenda,
            schema: super::SCHEMA_VERSION,
            site_id: site_id.to_string(),
            week: week.to_string(),
            appointments: BTreeMap::new(),
            blocks: BTreeMap::new(),
            waitlist: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Appointment {
    pub id: String,
    pub patient_id: String,
    pub professional_id: String,
    pub chair_id: String,
    /// Wall-clock start, `2026-11-23T09:00`.
    pub start: String,
    pub duration_min: u32,
    pub procedures: Vec<String>,
    pub status: AppointmentStatus,
    pub notes: String,
    pub source: Source,
    #[autosurgeon(missing = "Default::default")]
    pub cancel_reason: Option<String>,
    /// When rescheduled to another week: the appointment that replaced it.
    #[autosurgeon(missing = "Default::default")]
    pub moved_to: Option<String>,
    /// The appointment this one replaced, when it came from a reschedule.
    #[autosurgeon(missing = "Default::default")]
    pub moved_from: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Block {
    pub id: String,
    /// The professional blocked, or none.
    #[autosurgeon(missing = "Default::default")]
    pub professional_id: Option<String>,
    /// The chair blocked, or none. With neither, the whole site is closed.
    #[autosurgeon(missing = "Default::default")]
    pub chair_id: Option<String>,
    pub start: String,
    pub end: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct WaitlistEntry {
    pub id: String,
    pub patient_id: String,
    #[autosurgeon(missing = "Default::default")]
    pub professional_id: Option<String>,
    pub notes: String,
    pub created_at: String,
}
