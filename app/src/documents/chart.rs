//! The chart (prontuário) document, one per patient: anamnesis, odontogram
//! and evolution notes. Its behaviour (locking, signing, amendments) is the
//! chart's own work; this is the shape the store and sync carry.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use uuid::Uuid;

use super::DocClass;
use crate::odontogram::{Baseline, EntryStatus, Surface};

#[derive(Debug, Clone, Reconcile, Hydrate)]
pub struct ChartDoc {
    pub class: DocClass,
    pub schema: u64,
    pub id: String,
    pub patient_id: String,
    pub anamnesis: Anamnesis,
    /// Baseline by FDI tooth code; a tooth with no entry is present.
    pub baseline: BTreeMap<String, Baseline>,
    /// Odontogram entries by id. Never removed: invalidated.
    pub entries: BTreeMap<String, OdontogramEntry>,
    /// Evolution notes by id. Never removed: amended.
    pub notes: BTreeMap<String, EvolutionNote>,
}

impl ChartDoc {
    /// The empty chart of a patient, written by [`super::genesis`].
    pub fn new(patient_id: Uuid) -> ChartDoc {
        ChartDoc {
            class: DocClass::Chart,
            schema: super::SCHEMA_VERSION,
            id: super::chart_id(patient_id).to_string(),
            patient_id: patient_id.to_string(),
            anamnesis: Anamnesis::default(),
            baseline: BTreeMap::new(),
            entries: BTreeMap::new(),
            notes: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate)]
pub struct Anamnesis {
    pub allergies: Vec<String>,
    pub medications: Vec<String>,
    /// Systemic conditions by key (`diabetes`, `hipertensao`, `cardiopatia` …).
    pub conditions: BTreeMap<String, bool>,
    pub anticoagulants: bool,
    pub pregnant: Option<bool>,
    pub notes: String,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct OdontogramEntry {
    pub id: String,
    /// A tooth code or a region (`upper`, `Q2`, `S6`, `mouth`).
    pub region: String,
    pub surfaces: Vec<Surface>,
    pub cervical: bool,
    /// Code in the directory's procedure catalogue.
    pub code: String,
    pub tuss: Option<String>,
    pub status: EntryStatus,
    pub professional_id: String,
    pub date: String,
    pub note: String,
    pub invalidated_reason: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Reconcile, Hydrate)]
pub struct EvolutionNote {
    pub id: String,
    pub professional_id: String,
    pub visit_date: String,
    /// Collaborative text while a draft; frozen once signed.
    pub text: Text,
    pub signed: Option<Signature>,
    /// The signed note this one corrects.
    pub amends: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Signature {
    pub by: String,
    pub at: String,
    /// SHA-256 of the text as signed, hex.
    pub content_hash: String,
}
