//! The clinic every fuzz input is played against: one document of each
//! class, made with the core's own document code by fixed actors at fixed
//! times, so the documents (and so the change hashes the seed corpus
//! depends on) are the same on every run and every machine.

use std::sync::OnceLock;

use arcada_core::agenda::{AppointmentStatus, Source};
use arcada_core::documents::{
    self, AgendaWeek, Appointment, Attribution, ChartDoc, ConversationDoc, Directory, DocClass,
    EvolutionNote, Invalidation, LockedEntry, Message, OdontogramEntry, PatientDoc, PhoneEntry,
    Signature,
};
use arcada_core::integrity::{self, Standing};
use arcada_core::odontogram::{EntryStatus, Surface};
use automerge::{ActorId, Automerge, Change};
use uuid::Uuid;

/// The organisation (UUID v7 layout, fixed).
pub const ORG: Uuid = Uuid::from_u128(0x0193_2c07_a000_7000_8000_0000_0000_0001);
pub const SITE: Uuid = Uuid::from_u128(0x0193_2c07_a000_7000_8000_0000_0000_0002);
pub const PATIENT: Uuid = Uuid::from_u128(0x0193_2c07_a000_7000_8000_0000_0000_0003);
/// The workstation whose actor writes every edit after a genesis.
pub const DEVICE: Uuid = Uuid::from_u128(0x0193_2c07_a000_7000_8000_0000_0000_0004);
pub const USER: &str = "0193-fuzz-user";
pub const WEEK: &str = "2026-W48";
/// The clinic's WhatsApp number and a patient's, as in Meta's examples
/// (tests/fixtures/whatsapp).
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const DISPLAY_NUMBER: &str = "15550783881";
pub const WA_ID: &str = "16505551234";
/// Every change after a genesis is stamped with this time (seconds).
pub const TIME: i64 = 1_764_000_000;

/// One document of the clinic: its class, id and the changes that make it.
#[derive(Debug)]
pub struct Seed {
    pub class: DocClass,
    pub id: Uuid,
    pub log: Vec<Change>,
    /// What its log makes, kept: a copy costs less than the log again.
    made: Automerge,
    /// What it must keep, as judged once.
    pub standing: Standing,
}

impl Seed {
    fn new(class: DocClass, id: Uuid, doc: &Automerge) -> Seed {
        let log = doc.get_changes(&[]);
        let mut made = Automerge::new();
        made.apply_changes(log.iter().cloned())
            .expect("the seed's own log applies");
        let standing = integrity::judge(ORG, id, &made, None)
            .unwrap_or_else(|v| panic!("the {class} seed is not valid: {v}"));
        Seed {
            class,
            id,
            log,
            made,
            standing,
        }
    }

    /// The document its log makes.
    pub fn doc(&self) -> Automerge {
        self.made.clone()
    }

    /// The document with the device's actor, to make the next change.
    pub fn editable(&self) -> Automerge {
        let mut doc = self.doc();
        doc.set_actor(ActorId::from(DEVICE.as_bytes().as_slice()));
        doc
    }
}

/// The clinic's documents: directory, patient, chart, agenda week and
/// conversation, in that order (the fuzz inputs pick one by index).
pub fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(build)
}

/// The seed document of `class`.
pub fn seed(class: DocClass) -> &'static Seed {
    seeds()
        .iter()
        .find(|s| s.class == class)
        .expect("every class with a schema has a seed")
}

/// Who writes the seeds' edits.
pub fn by(op: &str) -> Attribution {
    Attribution {
        user: USER.into(),
        device: DEVICE.to_string(),
        op: op.into(),
    }
}

/// The conversation document's id (the contact's E.164 digits as key).
pub fn conversation_id() -> Uuid {
    documents::conversation_id(ORG, PHONE_NUMBER_ID, WA_ID)
}

fn genesis<T: autosurgeon::Reconcile>(id: Uuid, value: &T) -> Automerge {
    let mut doc = documents::genesis(id, value).expect("genesis");
    doc.set_actor(ActorId::from(DEVICE.as_bytes().as_slice()));
    doc
}

fn entry(id: &str, status: EntryStatus) -> OdontogramEntry {
    OdontogramEntry {
        id: id.into(),
        region: "36".into(),
        surfaces: vec![Surface::Occlusal],
        cervical: false,
        code: "restauracao".into(),
        tuss: None,
        status,
        professional_id: "prof-1".into(),
        date: "2026-11-24".into(),
        note: String::new(),
        phase: Some(1),
        fee_cents: Some(25_000),
        appointment_id: None,
        created_at: "2026-11-24T10:00:00Z".into(),
        created_by: USER.into(),
    }
}

fn build() -> Vec<Seed> {
    let seed = |class, id, doc: Automerge| Seed::new(class, id, &doc);
    let mut out = Vec::new();

    let id = documents::directory_id(ORG);
    let doc = genesis(id, &Directory::new_organization(ORG, "Clínica Fuzz", SITE));
    out.push(seed(DocClass::Directory, id, doc));

    let mut doc = Automerge::new();
    doc.set_actor(ActorId::from(DEVICE.as_bytes().as_slice()));
    let mut patient = PatientDoc::new(PATIENT, "Maria da Silva", "2026-11-24T09:00:00Z", USER);
    patient.cpf = Some("52998224725".into());
    patient.phones.insert(
        format!("+{WA_ID}"),
        PhoneEntry {
            number: format!("+{WA_ID}"),
            label: Some("celular".into()),
            whatsapp: true,
            added_at: TIME * 1000,
        },
    );
    documents::commit(&mut doc, &patient, &by("patient.add"), TIME).expect("patient");
    out.push(seed(DocClass::Patient, PATIENT, doc));

    // A chart with one entry of each kind of write-once map: a locked
    // entry, an invalidation, a signed note.
    let id = documents::chart_id(PATIENT);
    let mut doc = genesis(id, &ChartDoc::new(PATIENT));
    let done = entry("entry-1", EntryStatus::Realizado);
    documents::change(&mut doc, &by("chart.entry"), TIME, |tx| {
        documents::put_entry(tx, "entries", "entry-1", &done)?;
        documents::put_entry(
            tx,
            "locks",
            "entry-1",
            &LockedEntry {
                entry: done.clone(),
                at: "2026-11-24T10:30:00Z".into(),
                by: USER.into(),
            },
        )?;
        documents::put_entry(
            tx,
            "entries",
            "entry-2",
            &entry("entry-2", EntryStatus::Planejado),
        )
    })
    .expect("entries");
    documents::change(&mut doc, &by("chart.invalidate"), TIME + 1, |tx| {
        documents::put_entry(
            tx,
            "invalidations",
            "entry-2",
            &Invalidation {
                reason: "duplicada".into(),
                at: "2026-11-24T10:40:00Z".into(),
                by: USER.into(),
            },
        )
    })
    .expect("invalidation");
    let text = "Restauração em resina no 36.";
    documents::change(&mut doc, &by("chart.note"), TIME + 2, |tx| {
        documents::put_entry(
            tx,
            "notes",
            "note-1",
            &EvolutionNote {
                id: "note-1".into(),
                professional_id: "prof-1".into(),
                visit_date: "2026-11-24".into(),
                text: autosurgeon::Text::with_value(text),
                amends: None,
                created_at: "2026-11-24T10:45:00Z".into(),
                created_by: USER.into(),
            },
        )?;
        documents::put_entry(
            tx,
            "signatures",
            "signature-1",
            &Signature {
                id: "signature-1".into(),
                note_id: "note-1".into(),
                by: USER.into(),
                at: "2026-11-24T10:50:00Z".into(),
                content_hash: hex_sha256(text),
                text: text.into(),
                key_id: None,
                ed25519: None,
            },
        )
    })
    .expect("note");
    out.push(seed(DocClass::Chart, id, doc));

    let id = documents::agenda_id(SITE, WEEK);
    let mut doc = genesis(id, &AgendaWeek::new(SITE, WEEK));
    documents::commit_entry(
        &mut doc,
        "appointments",
        "appointment-1",
        &Appointment {
            id: "appointment-1".into(),
            patient_id: PATIENT.to_string(),
            professional_id: "prof-1".into(),
            chair_id: "chair-1".into(),
            start: "2026-11-24T09:00".into(),
            duration_min: 30,
            procedures: vec!["restauracao".into()],
            status: AppointmentStatus::Agendado,
            notes: String::new(),
            source: Source::Desk,
            cancel_reason: None,
            moved_to: None,
            moved_from: None,
            created_at: "2026-11-20T09:00:00Z".into(),
            created_by: USER.into(),
        },
        &by("agenda.book"),
        TIME,
    )
    .expect("appointment");
    out.push(seed(DocClass::Agenda, id, doc));

    let id = conversation_id();
    let contact = documents::Contact {
        wa_id: Some(WA_ID.into()),
        user_id: None,
        name: None,
        phone: Some(format!("+{WA_ID}")),
    };
    let mut doc = genesis(
        id,
        &ConversationDoc::new(PHONE_NUMBER_ID, DISPLAY_NUMBER, contact),
    );
    let message = Message {
        text: Some("Olá, posso remarcar?".into()),
        ..Message::inbound("wamid.fuzz-1", "text", TIME)
    };
    documents::commit_entry(
        &mut doc,
        "messages",
        &message.id,
        &message,
        &by("whatsapp.receive"),
        TIME,
    )
    .expect("message");
    out.push(seed(DocClass::Conversation, id, doc));
    out
}

fn hex_sha256(text: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_is_a_valid_document_of_its_class() {
        for s in seeds() {
            let standing = integrity::judge(ORG, s.id, &s.doc(), None)
                .unwrap_or_else(|v| panic!("{} seed: {v}", s.class));
            assert_eq!(standing.class, s.class);
        }
    }

    #[test]
    fn the_seeds_are_the_same_every_time() {
        let again = build();
        for (a, b) in seeds().iter().zip(&again) {
            let hashes = |s: &Seed| s.log.iter().map(Change::hash).collect::<Vec<_>>();
            assert_eq!(hashes(a), hashes(b), "{}", a.class);
        }
    }
}
