//! The Automerge documents that hold a clinic's data, mapped to Rust types
//! with autosurgeon. They are the source of truth: every SQLite table beside
//! them is a projection that `arcada reindex` can rebuild.
//!
//! Every document declares its [`DocClass`] in a `class` field written once
//! at creation; sync uses it to decide which roles may read and write it.
//!
//! Schema changes must stay readable by older workstations: add optional
//! fields, each `Option<T>` marked `#[autosurgeon(missing = "Default::default")]`
//! so that a document written before it existed reads it as `None` (a bare
//! `Option` refuses a missing key), and never rename.

mod agenda;
mod catalogue;
mod chart;
mod conversation;
mod directory;
mod patient;

pub use agenda::{AgendaWeek, Appointment, Block, WaitlistEntry};
pub use catalogue::default_catalogue;
pub use chart::{
    Anamnesis, ChartDoc, EvolutionNote, Invalidation, LockedEntry, OdontogramEntry, Signature,
};
pub use conversation::{
    conversation_id, link_patient, set_assignee, Assignee, Attention, AttentionReason, Contact,
    ConversationDoc, Direction, Lead, Location, Media, Message, MessageError, MessageStatus,
    TemplateRef,
};
pub use directory::{
    AppliesTo, Chair, Directory, Drawing, OpeningPeriod, Organization, Procedure, Professional,
    ReminderSettings, SendingHours, SigningKey, Site, Template, ToothType, WhatsappSettings,
};
pub use patient::{Address, Consent, Guardian, PatientDoc, PhoneEntry, Sex};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::ReadDoc;
use automerge::{ActorId, Automerge};
use autosurgeon::{Hydrate, Reconcile};
use uuid::Uuid;

/// Version of the schemas in this module, stored in each document.
pub const SCHEMA_VERSION: u64 = 1;

string_enum! {
    /// The kind of a document, which decides who may read and write it.
    pub enum DocClass ("document class") {
        Directory => "directory",
        Patient => "patient",
        Chart => "chart",
        Agenda => "agenda",
        Ledger => "ledger",
        Conversation => "conversation",
    }
}

/// The id of an organisation's directory document: every workstation of
/// the organisation finds it from the organisation's id alone.
pub fn directory_id(org_id: Uuid) -> Uuid {
    Uuid::new_v5(&org_id, b"directory")
}

/// The id of the chart document of a patient.
///
/// Derived, not random: two workstations that open the first chart entry of
/// the same patient while offline must create the same document, not two.
pub fn chart_id(patient_id: Uuid) -> Uuid {
    Uuid::new_v5(&patient_id, b"chart")
}

/// The id of the agenda document of a site for an ISO week (`2026-W48`).
/// Derived for the same reason as [`chart_id`].
pub fn agenda_id(site_id: Uuid, week: &str) -> Uuid {
    Uuid::new_v5(&site_id, format!("agenda:{week}").as_bytes())
}

/// Builds the first change of a document whose id is derived.
///
/// The change is byte-for-byte the same wherever it is made (actor taken from
/// the document id, time zero, no message), so two workstations that create
/// it independently produce one change with one hash, and their later edits
/// land in the same maps instead of in two competing copies of the root.
pub fn genesis<T: Reconcile>(
    doc_id: Uuid,
    value: &T,
) -> Result<Automerge, autosurgeon::ReconcileError> {
    let mut doc = Automerge::new().with_actor(ActorId::from(doc_id.as_bytes().as_slice()));
    let mut tx = doc.transaction();
    autosurgeon::reconcile(&mut tx, value)?;
    tx.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Who made a change and from where; stored as the change's message so the
/// document history answers "who changed this, on which workstation".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attribution {
    /// The user who made the change.
    pub user: String,
    /// The workstation the change was made on.
    pub device: String,
    /// What was done, e.g. `patient.add`.
    pub op: String,
}

impl Attribution {
    /// The change message for this attribution.
    pub fn to_message(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads an attribution back from a change message.
    pub fn from_message(message: &str) -> Option<Attribution> {
        serde_json::from_str(message).ok()
    }
}

/// Reads the class a document declares, if any.
pub fn declared_class(doc: &Automerge) -> Option<DocClass> {
    autosurgeon::hydrate_prop::<_, Option<DocClass>, _, _>(doc, automerge::ROOT, "class")
        .ok()
        .flatten()
}

/// Writes `value` at the root of `doc` as one change attributed to `by`,
/// stamped with `time` (seconds since the Unix epoch).
pub fn commit<T: Reconcile>(
    doc: &mut Automerge,
    value: &T,
    by: &Attribution,
    time: i64,
) -> Result<(), autosurgeon::ReconcileError> {
    change(doc, by, time, |tx| autosurgeon::reconcile(tx, value))
}

/// Makes one change of `doc` from what `f` writes, attributed to `by` and
/// stamped with `time`; if `f` fails, nothing is written.
pub fn change(
    doc: &mut Automerge,
    by: &Attribution,
    time: i64,
    f: impl FnOnce(
        &mut automerge::transaction::Transaction<'_>,
    ) -> Result<(), autosurgeon::ReconcileError>,
) -> Result<(), autosurgeon::ReconcileError> {
    let mut tx = doc.transaction();
    f(&mut tx)?;
    tx.commit_with(
        CommitOptions::default()
            .with_message(by.to_message())
            .with_time(time),
    );
    Ok(())
}

/// Sets `value` under `key` of the root map `field` inside a change.
pub fn put_entry<T: Reconcile>(
    tx: &mut automerge::transaction::Transaction<'_>,
    field: &str,
    key: &str,
    value: &T,
) -> Result<(), autosurgeon::ReconcileError> {
    let map = match tx.get(automerge::ROOT, field)? {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => id,
        _ => tx.put_object(automerge::ROOT, field, automerge::ObjType::Map)?,
    };
    autosurgeon::reconcile_prop(tx, &map, key, value)
}

/// Removes `key` from the root map `field` inside a change, if there.
pub fn delete_entry(
    tx: &mut automerge::transaction::Transaction<'_>,
    field: &str,
    key: &str,
) -> Result<(), autosurgeon::ReconcileError> {
    if let Some((automerge::Value::Object(automerge::ObjType::Map), map)) =
        tx.get(automerge::ROOT, field)?
    {
        if tx.get(&map, key)?.is_some() {
            tx.delete(&map, key)?;
        }
    }
    Ok(())
}

/// Writes `value` under `key` of the root map `field` (e.g. one appointment
/// inside `appointments`) without reconciling the rest of the document: an
/// agenda week holds hundreds of appointments and a booking touches one.
pub fn commit_entry<T: Reconcile>(
    doc: &mut Automerge,
    field: &str,
    key: &str,
    value: &T,
    by: &Attribution,
    time: i64,
) -> Result<(), autosurgeon::ReconcileError> {
    change(doc, by, time, |tx| put_entry(tx, field, key, value))
}

/// Writes `value` as the root field `field` (the anamnesis of a chart)
/// without reconciling the rest of the document.
pub fn commit_field<T: Reconcile>(
    doc: &mut Automerge,
    field: &str,
    value: &T,
    by: &Attribution,
    time: i64,
) -> Result<(), autosurgeon::ReconcileError> {
    change(doc, by, time, |tx| {
        autosurgeon::reconcile_prop(tx, automerge::ROOT, field, value)
    })
}

/// The document as it was at `cutoff` (seconds since the Unix epoch): the
/// changes stamped at or before it, with everything they depend on.
///
/// Times are the writing workstation's clock; a change that depends on a
/// later-stamped one (a clock running behind) brings it along, so the
/// result is always a state that really existed somewhere.
pub fn as_of(doc: &Automerge, cutoff: i64) -> Result<Automerge, automerge::AutomergeError> {
    let heads: Vec<automerge::ChangeHash> = doc
        .get_changes_meta(&[])
        .iter()
        .filter(|c| c.timestamp <= cutoff)
        .map(|c| c.hash)
        .collect();
    doc.fork_at(&heads)
}

/// The timestamps (seconds since the Unix epoch) of a document's changes,
/// genesis (stamped zero) left out.
pub fn change_times(doc: &Automerge) -> Vec<i64> {
    // Metadata only: decoding every change's operations would cost more
    // than the rest of opening a chart.
    doc.get_changes_meta(&[])
        .iter()
        .map(|c| c.timestamp)
        .filter(|t| *t > 0)
        .collect()
}

/// Rewrites the text object at `path` (map keys from the root) from `old`
/// to `new` by one splice of what differs between them, so an edit at the
/// start and one at the end made on two workstations both survive.
///
/// Positions count Unicode code points, the unit automerge uses natively.
/// (autosurgeon's `Text::update` counts UTF-8 bytes and breaks on "ç".)
pub fn splice_text(
    tx: &mut automerge::transaction::Transaction<'_>,
    path: &[&str],
    old: &str,
    new: &str,
) -> Result<(), autosurgeon::ReconcileError> {
    let mut obj = automerge::ROOT;
    for key in path {
        obj = match tx.get(&obj, *key)? {
            Some((automerge::Value::Object(_), id)) => id,
            _ => {
                return Err(automerge::AutomergeError::InvalidObjId(format!(
                    "no object at {}",
                    path.join("/")
                ))
                .into())
            }
        };
    }
    let (old, new): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let deleted = old.len() - prefix - suffix;
    let inserted: String = new[prefix..new.len() - suffix].iter().collect();
    if deleted > 0 || !inserted.is_empty() {
        tx.splice_text(&obj, prefix, deleted as isize, &inserted)?;
    }
    Ok(())
}

/// Reads one entry of a root map without hydrating the whole document;
/// `None` when the map or the key is not there.
pub fn hydrate_entry<T: Hydrate>(
    doc: &Automerge,
    field: &str,
    key: &str,
) -> Result<Option<T>, autosurgeon::HydrateError> {
    let Some((automerge::Value::Object(automerge::ObjType::Map), map)) =
        doc.get(automerge::ROOT, field)?
    else {
        return Ok(None);
    };
    if doc.get(&map, key)?.is_none() {
        return Ok(None);
    }
    autosurgeon::hydrate_prop(doc, &map, key).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields added since: an older workstation or server wrote the
    /// document without them, and it must still read (the reminders of a
    /// clinic whose settings predate sending hours keep going).
    #[test]
    fn documents_written_before_a_field_existed_still_read() {
        use automerge::transaction::Transactable;
        let id = Uuid::now_v7();
        let contact = Contact {
            wa_id: Some("5511987654321".into()),
            user_id: None,
            name: None,
            phone: None,
        };
        let mut doc = genesis(
            id,
            &ConversationDoc::new("1065", "+55 11 4000-0000", contact),
        )
        .expect("genesis");
        let mut tx = doc.transaction();
        for old in ["assignee", "attention", "read_at"] {
            tx.delete(automerge::ROOT, old).expect("delete");
        }
        tx.commit();
        let read: ConversationDoc =
            autosurgeon::hydrate(&doc).expect("an older conversation reads");
        assert_eq!(
            (read.assignee, read.attention, read.read_at),
            (None, None, None)
        );

        let org = Uuid::now_v7();
        let mut directory = Directory::new_organization(org, "Clínica", Uuid::now_v7());
        let mut settings = WhatsappSettings::standard();
        settings.reminder = Some(ReminderSettings {
            template: "lembrete_consulta:pt_BR".into(),
            hours_before: 24,
            sending_hours: Some(SendingHours::standard()),
        });
        directory.whatsapp = Some(settings);
        let mut doc = genesis(directory_id(org), &directory).expect("genesis");
        let mut tx = doc.transaction();
        let whatsapp = tx
            .get(automerge::ROOT, "whatsapp")
            .expect("get")
            .expect("whatsapp")
            .1;
        let reminder = tx
            .get(&whatsapp, "reminder")
            .expect("get")
            .expect("reminder")
            .1;
        tx.delete(&reminder, "sending_hours").expect("delete");
        tx.delete(automerge::ROOT, "legend").expect("delete");
        tx.commit();
        let read: Directory = autosurgeon::hydrate(&doc).expect("an older directory reads");
        let reminder = read.whatsapp.and_then(|w| w.reminder).expect("reminder");
        assert_eq!((reminder.hours_before, reminder.sending_hours), (24, None));
        assert_eq!(read.legend, None);
    }

    #[test]
    fn genesis_is_identical_wherever_it_is_made() {
        let site = Uuid::now_v7();
        let id = agenda_id(site, "2026-W48");
        let week = AgendaWeek::new(site, "2026-W48");
        let a = genesis(id, &week).expect("genesis");
        let b = genesis(id, &week).expect("genesis");
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(declared_class(&a), Some(DocClass::Agenda));
        assert_ne!(agenda_id(site, "2026-W49"), id);
    }

    #[test]
    fn concurrent_entries_in_a_derived_document_merge() {
        let site = Uuid::now_v7();
        let id = agenda_id(site, "2026-W48");
        let week = AgendaWeek::new(site, "2026-W48");
        let by = |d: &str| Attribution {
            user: "u".into(),
            device: d.into(),
            op: "test".into(),
        };
        let mut a = genesis(id, &week).expect("genesis");
        a.set_actor(ActorId::random());
        let mut b = genesis(id, &week).expect("genesis");
        b.set_actor(ActorId::random());
        let block = |r: &str| Block {
            id: r.into(),
            professional_id: None,
            chair_id: None,
            start: "2026-11-23T12:00".into(),
            end: "2026-11-23T13:00".into(),
            reason: r.into(),
        };
        commit_entry(&mut a, "blocks", "x", &block("x"), &by("a"), 1).expect("commit");
        commit_entry(&mut b, "blocks", "y", &block("y"), &by("b"), 1).expect("commit");
        a.merge(&mut b).expect("merge");
        let merged: AgendaWeek = autosurgeon::hydrate(&a).expect("hydrate");
        assert_eq!(merged.blocks.len(), 2);
        let x: Option<Block> = hydrate_entry(&a, "blocks", "x").expect("entry");
        assert_eq!(x.map(|b| b.reason), Some("x".to_string()));
    }
}
