//! The chart (prontuário) document, one per patient: anamnesis, odontogram
//! and evolution notes. Its behaviour (locking, signing, amendments, the
//! chart as of a date) lives in [`crate::chart`]; this is the shape the store
//! and sync carry.
//!
//! What the records law wants frozen is kept in write-once maps beside the
//! editable ones: `locks` (a copy of each entry as it was marked realizado),
//! `invalidations` and `signatures` (each note's text as signed). Every key
//! of those maps is written once, by the act itself, so no concurrent edit
//! of the draft maps, merged in any order, can change what they hold.
//! (Two workstations marking the same entry realizado offline write the
//! same lock key; both copies hold the same entry, since a locked entry
//! cannot have been edited first.)
//!
//! The genesis of a chart (see [`super::genesis`]) is shared by every
//! workstation: its fields and their order must never change, or two
//! versions of the app would create competing roots for the same patient.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;
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
    /// Odontogram entries by id, as last edited. Never removed.
    pub entries: BTreeMap<String, OdontogramEntry>,
    /// Evolution notes by id; a note's `text` is its draft.
    pub notes: BTreeMap<String, EvolutionNote>,
    /// Entries as they were marked realizado, by entry id. Write-once.
    pub locks: BTreeMap<String, LockedEntry>,
    /// Invalidated entries, by entry id. Write-once.
    pub invalidations: BTreeMap<String, Invalidation>,
    /// Signatures of notes, by signature id, with the text as signed.
    /// Write-once. Keyed by their own id, not the note's, so two
    /// workstations signing the same draft offline both keep theirs.
    pub signatures: BTreeMap<String, Signature>,
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
            locks: BTreeMap::new(),
            invalidations: BTreeMap::new(),
            signatures: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Anamnesis {
    pub allergies: Vec<String>,
    pub medications: Vec<String>,
    /// Systemic conditions by key (`diabetes`, `hipertensao`, `cardiopatia` …).
    pub conditions: BTreeMap<String, bool>,
    pub anticoagulants: bool,
    #[autosurgeon(missing = "Default::default")]
    pub pregnant: Option<bool>,
    pub notes: String,
    #[autosurgeon(missing = "Default::default")]
    pub updated_at: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OdontogramEntry {
    pub id: String,
    /// A tooth code or a region (`upper`, `Q2`, `S6`, `mouth`).
    pub region: String,
    pub surfaces: Vec<Surface>,
    pub cervical: bool,
    /// Code in the directory's procedure catalogue.
    pub code: String,
    #[autosurgeon(missing = "Default::default")]
    pub tuss: Option<String>,
    pub status: EntryStatus,
    pub professional_id: String,
    /// The day it was found or done, `YYYY-MM-DD`.
    pub date: String,
    pub note: String,
    /// Treatment-plan phase (1, 2 …), when the entry is part of the plan.
    #[autosurgeon(missing = "Default::default")]
    pub phase: Option<u64>,
    /// Fee in centavos, from the catalogue when charted.
    #[autosurgeon(missing = "Default::default")]
    pub fee_cents: Option<i64>,
    /// The agenda visit it was done in.
    #[autosurgeon(missing = "Default::default")]
    pub appointment_id: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

/// An entry frozen as it was marked realizado.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct LockedEntry {
    pub entry: OdontogramEntry,
    pub at: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Invalidation {
    pub reason: String,
    pub at: String,
    pub by: String,
}

#[derive(Debug, Clone, Reconcile, Hydrate)]
pub struct EvolutionNote {
    pub id: String,
    pub professional_id: String,
    pub visit_date: String,
    /// Collaborative text while a draft; once signed, the chart shows the
    /// signature's copy instead.
    pub text: Text,
    /// The signed note this one corrects.
    #[autosurgeon(missing = "Default::default")]
    pub amends: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Signature {
    pub id: String,
    pub note_id: String,
    pub by: String,
    pub at: String,
    /// SHA-256 of `text`, hex.
    pub content_hash: String,
    /// The text as signed.
    pub text: String,
    /// The signer's key in the directory's `signing_keys` (`None` in
    /// signatures made before professionals had keys).
    #[autosurgeon(missing = "Default::default")]
    pub key_id: Option<String>,
    /// Ed25519 signature of [`crate::signing::note_message`], hex.
    #[autosurgeon(missing = "Default::default")]
    pub ed25519: Option<String>,
}
