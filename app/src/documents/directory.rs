//! The directory: one per organisation. Sites, professionals, chairs, the
//! procedure catalogue and settings.
//!
//! It does not list every patient, chart or agenda document: a clinic has
//! tens of thousands, and one map that every new patient rewrites would make
//! the one document every workstation needs first the largest and hottest.
//! Documents are found through the local store and, across workstations,
//! through the sync log.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::DocClass;

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Directory {
    pub class: DocClass,
    pub schema: u64,
    pub org: Organization,
    pub sites: BTreeMap<String, Site>,
    pub professionals: BTreeMap<String, Professional>,
    pub chairs: BTreeMap<String, Chair>,
    /// Procedure catalogue by own code.
    pub procedures: BTreeMap<String, Procedure>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Site {
    pub id: String,
    pub name: String,
    /// IANA zone the site's wall-clock times are in.
    pub timezone: String,
    pub hours: Vec<OpeningPeriod>,
}

/// One opening period: weekday slug (`seg` … `dom`) and `HH:MM` times.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct OpeningPeriod {
    pub day: crate::agenda::Day,
    pub open: String,
    pub close: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Professional {
    pub id: String,
    pub name: String,
    /// Registration with the Conselho Regional de Odontologia, e.g. `CRO-SP 12345`.
    pub cro: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Chair {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Procedure {
    pub code: String,
    pub name: String,
    /// Default fee in centavos.
    pub fee_cents: i64,
    /// 8-digit TUSS code, when the procedure has one.
    pub tuss: Option<String>,
}
