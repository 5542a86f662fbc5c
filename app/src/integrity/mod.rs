//! The rules every document keeps, whoever writes it. The server judges
//! each pushed change with them before the change enters the log, and a
//! workstation judges what it pulls with the same code, so a hostile client
//! with its own Automerge library can neither break a document for everyone
//! nor rewrite what the records law freezes.
//!
//! - [`decode`]: change bytes decoded with bounded memory.
//! - [`judge`]: after a change is applied, the document must still be a
//!   valid document of its class (hydrated by the schema types in
//!   [`crate::documents`]), under the id its content implies, with every
//!   write-once entry as it was and no entry removed from a map that only
//!   grows. What must hold next time is returned as a [`Standing`].

pub mod decode;

use std::collections::{BTreeMap, BTreeSet};

use automerge::Automerge;
use uuid::Uuid;

pub use decode::{decode_change, ChangeLimits, DecodeError};

use crate::documents::{
    self, AgendaWeek, ChartDoc, ConversationDoc, Directory, DocClass, Invalidation, LockedEntry,
    PatientDoc, Signature, SigningKey,
};

/// Why a document, as a change leaves it, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("the document declares no class")]
    NoClass,
    #[error("the document is a {was} document; a change may not make it a {now} one")]
    ClassChanged { was: DocClass, now: DocClass },
    #[error("{0} documents have no schema yet, so none is accepted")]
    NoSchema(DocClass),
    #[error("not a valid {class} document: {reason}")]
    Schema { class: DocClass, reason: String },
    #[error("a {class} document cannot have the id {id}: {reason}")]
    WrongId {
        class: DocClass,
        id: Uuid,
        reason: String,
    },
    #[error("{map} entry {key} is written once; this change alters or removes it")]
    WriteOnce { map: &'static str, key: String },
    #[error("{map} entry {key} may not be removed")]
    Removed { map: &'static str, key: String },
}

impl Violation {
    /// A stable code for the wire, the quarantine and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::NoClass | Violation::Schema { .. } | Violation::NoSchema(_) => {
                "invalid_document"
            }
            Violation::ClassChanged { .. } => "class_changed",
            Violation::WrongId { .. } => "wrong_id",
            Violation::WriteOnce { .. } => "write_once",
            Violation::Removed { .. } => "removed_entry",
        }
    }
}

/// What a valid document must keep in every later state: its class, the
/// write-once entries it holds, the keys of maps that only grow.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub class: DocClass,
    kept: Kept,
}

#[derive(Debug, Clone, PartialEq)]
enum Kept {
    Directory {
        signing_keys: BTreeMap<String, SigningKey>,
    },
    Patient,
    Chart {
        locks: BTreeMap<String, LockedEntry>,
        invalidations: BTreeMap<String, Invalidation>,
        signatures: BTreeMap<String, Signature>,
        entries: BTreeSet<String>,
        notes: BTreeSet<String>,
    },
    Agenda {
        appointments: BTreeSet<String>,
    },
    Conversation {
        messages: BTreeSet<String>,
    },
}

impl Standing {
    /// Signing keys this standing holds that `before` did not: only the
    /// server may add them, so it checks each one's attestation
    /// ([`crate::signing::attested`]).
    pub fn signing_keys_added<'a>(
        &'a self,
        before: Option<&Standing>,
    ) -> Vec<(&'a String, &'a SigningKey)> {
        let Kept::Directory { signing_keys } = &self.kept else {
            return Vec::new();
        };
        let had = match before.map(|b| &b.kept) {
            Some(Kept::Directory { signing_keys }) => Some(signing_keys),
            _ => None,
        };
        signing_keys
            .iter()
            .filter(|(id, _)| !had.is_some_and(|h| h.contains_key(*id)))
            .collect()
    }
}

/// Judges `doc`, the document `id` of organisation `org` as a change leaves
/// it, against what it had to keep (`before`, `None` at first sight).
pub fn judge(
    org: Uuid,
    id: Uuid,
    doc: &Automerge,
    before: Option<&Standing>,
) -> Result<Standing, Violation> {
    let class = documents::declared_class(doc).ok_or(Violation::NoClass)?;
    if let Some(before) = before {
        if before.class != class {
            return Err(Violation::ClassChanged {
                was: before.class,
                now: class,
            });
        }
    }
    let kept = match class {
        DocClass::Directory => {
            let d: Directory = hydrate(doc, class)?;
            expect_id(
                class,
                id,
                documents::directory_id(org),
                "the organisation's directory",
            )?;
            if d.org.id != org.to_string() {
                return Err(wrong_id(class, id, "it names another organisation"));
            }
            Kept::Directory {
                signing_keys: d.signing_keys.unwrap_or_default(),
            }
        }
        DocClass::Patient => {
            let p: PatientDoc = hydrate(doc, class)?;
            if p.id != id.to_string() {
                return Err(wrong_id(class, id, "its id field says otherwise"));
            }
            // Derived ids (charts, agenda weeks, conversations) are version
            // 5; a patient claiming one would take another document's place.
            if !matches!(id.get_version_num(), 4 | 7) {
                return Err(wrong_id(
                    class,
                    id,
                    "a patient's id is random (UUID v4 or v7)",
                ));
            }
            Kept::Patient
        }
        DocClass::Chart => {
            let c: ChartDoc = hydrate(doc, class)?;
            let patient = parse_id(class, id, &c.patient_id)?;
            expect_id(
                class,
                id,
                documents::chart_id(patient),
                "its patient's chart",
            )?;
            if c.id != id.to_string() {
                return Err(wrong_id(class, id, "its id field says otherwise"));
            }
            Kept::Chart {
                locks: c.locks,
                invalidations: c.invalidations,
                signatures: c.signatures,
                entries: c.entries.into_keys().collect(),
                notes: c.notes.into_keys().collect(),
            }
        }
        DocClass::Agenda => {
            let a: AgendaWeek = hydrate(doc, class)?;
            let site = parse_id(class, id, &a.site_id)?;
            expect_id(
                class,
                id,
                documents::agenda_id(site, &a.week),
                "its site's week",
            )?;
            Kept::Agenda {
                appointments: a.appointments.into_keys().collect(),
            }
        }
        DocClass::Conversation => {
            let c: ConversationDoc = hydrate(doc, class)?;
            let key = c
                .contact
                .key()
                .ok_or_else(|| wrong_id(class, id, "its contact has neither number nor id"))?;
            expect_id(
                class,
                id,
                documents::conversation_id(org, &c.phone_number_id, key),
                "the conversation of its number and contact",
            )?;
            Kept::Conversation {
                messages: c.messages.into_keys().collect(),
            }
        }
        DocClass::Ledger => return Err(Violation::NoSchema(class)),
    };
    if let Some(before) = before {
        still_kept(&before.kept, &kept)?;
    }
    Ok(Standing { class, kept })
}

fn hydrate<T: autosurgeon::Hydrate>(doc: &Automerge, class: DocClass) -> Result<T, Violation> {
    autosurgeon::hydrate(doc).map_err(|e| Violation::Schema {
        class,
        reason: e.to_string(),
    })
}

fn wrong_id(class: DocClass, id: Uuid, reason: &str) -> Violation {
    Violation::WrongId {
        class,
        id,
        reason: reason.to_string(),
    }
}

fn parse_id(class: DocClass, id: Uuid, text: &str) -> Result<Uuid, Violation> {
    Uuid::parse_str(text).map_err(|_| wrong_id(class, id, &format!("{text:?} is not an id")))
}

fn expect_id(class: DocClass, id: Uuid, expected: Uuid, what: &str) -> Result<(), Violation> {
    if id == expected {
        Ok(())
    } else {
        Err(wrong_id(class, id, &format!("{what} is {expected}")))
    }
}

/// Every write-once entry of `before` is in `after` unchanged, and no key
/// of a growing map is gone.
fn still_kept(before: &Kept, after: &Kept) -> Result<(), Violation> {
    match (before, after) {
        (
            Kept::Directory { signing_keys },
            Kept::Directory {
                signing_keys: signing_keys_now,
            },
        ) => written_once("signing_keys", signing_keys, signing_keys_now),
        (
            Kept::Chart {
                locks,
                invalidations,
                signatures,
                entries,
                notes,
            },
            Kept::Chart {
                locks: locks_now,
                invalidations: invalidations_now,
                signatures: signatures_now,
                entries: entries_now,
                notes: notes_now,
            },
        ) => {
            // Two workstations that mark the same entry realizado offline
            // both write its lock; either may win the merge, and both hold
            // the entry as it was done. What it froze must not change.
            written_once("locks", &frozen(locks), &frozen(locks_now))?;
            written_once("invalidations", invalidations, invalidations_now)?;
            written_once("signatures", signatures, signatures_now)?;
            only_grows("entries", entries, entries_now)?;
            only_grows("notes", notes, notes_now)
        }
        (
            Kept::Agenda { appointments },
            Kept::Agenda {
                appointments: appointments_now,
            },
        ) => only_grows("appointments", appointments, appointments_now),
        (
            Kept::Conversation { messages },
            Kept::Conversation {
                messages: messages_now,
            },
        ) => only_grows("messages", messages, messages_now),
        _ => Ok(()),
    }
}

/// The entries locks froze, without who locked them when.
fn frozen(locks: &BTreeMap<String, LockedEntry>) -> BTreeMap<&String, &documents::OdontogramEntry> {
    locks.iter().map(|(k, l)| (k, &l.entry)).collect()
}

fn written_once<K: Ord + std::fmt::Display, T: PartialEq>(
    map: &'static str,
    before: &BTreeMap<K, T>,
    after: &BTreeMap<K, T>,
) -> Result<(), Violation> {
    match before.iter().find(|(k, v)| after.get(*k) != Some(*v)) {
        Some((key, _)) => Err(Violation::WriteOnce {
            map,
            key: key.to_string(),
        }),
        None => Ok(()),
    }
}

fn only_grows(
    map: &'static str,
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
) -> Result<(), Violation> {
    match before.difference(after).next() {
        Some(key) => Err(Violation::Removed {
            map,
            key: key.clone(),
        }),
        None => Ok(()),
    }
}
