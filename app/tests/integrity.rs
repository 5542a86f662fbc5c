//! The rules every document keeps (`arcada_core::integrity`), on documents
//! the clinic's own operations wrote and on the same documents tampered
//! with the way a hostile client with its own Automerge library would.

use arcada_core::chart::NewEntry;
use arcada_core::clinic::{NewAppointment, NewNote};
use arcada_core::demo::{self, DemoSize};
use arcada_core::documents::{self, DocClass};
use arcada_core::integrity::{judge, Standing, Violation};
use arcada_core::odontogram::EntryStatus;
use arcada_core::patient::PatientForm;
use arcada_core::store;
use arcada_core::Clinic;
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ReadDoc, ROOT};
use uuid::Uuid;

struct Charted {
    _tmp: tempfile::TempDir,
    clinic: Clinic,
    org: Uuid,
    patient: Uuid,
    chart: Uuid,
    locked_entry: String,
    signed_note: String,
}

/// A clinic whose patient has a chart with a realizado entry, an
/// invalidated one and a signed note, and an appointment.
fn charted() -> Charted {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = Clinic::init(tmp.path(), "Clínica Íntegra").expect("init");
    let pro = clinic
        .add_professional("Dra. Ana", Some("CRO-SP 1"))
        .expect("professional")
        .id;
    let chair = clinic.add_chair("Cadeira 1").expect("chair").id;
    let patient = clinic
        .add_patient(&PatientForm {
            name: Some("Maria da Conceição".into()),
            ..PatientForm::default()
        })
        .expect("patient")
        .id;
    clinic
        .book(&NewAppointment {
            patient: patient.clone(),
            professional: pro.clone(),
            chair,
            start: "2026-11-23 09:00".into(),
            duration_min: 30,
            procedures: vec![],
            notes: String::new(),
            source: arcada_core::agenda::Source::Desk,
        })
        .expect("book");
    let entry = |status| NewEntry {
        region: "36".into(),
        surfaces: vec!["O".into()],
        cervical: false,
        code: "restauracao-resina".into(),
        status,
        professional_id: pro.clone(),
        date: "2026-11-30".into(),
        note: String::new(),
        phase: None,
    };
    let view = clinic
        .chart_add_entry(&patient, &entry(EntryStatus::Realizado))
        .expect("done entry");
    let locked_entry = view.entries[0].entry.id.clone();
    let view = clinic
        .chart_add_entry(&patient, &entry(EntryStatus::Planejado))
        .expect("planned entry");
    let planned = view
        .entries
        .iter()
        .find(|e| e.entry.id != locked_entry)
        .expect("planned")
        .entry
        .id
        .clone();
    clinic
        .chart_invalidate(&patient, &planned, "lançado no dente errado")
        .expect("invalidate");
    let view = clinic
        .chart_add_note(
            &patient,
            &NewNote {
                professional_id: pro,
                visit_date: "30/11/2026".into(),
                text: "Restauração em resina no 36, face oclusal.".into(),
                amends: None,
            },
        )
        .expect("note");
    let signed_note = view.notes[0].id.clone();
    clinic
        .chart_sign_note(&patient, &signed_note)
        .expect("sign");
    let patient: Uuid = patient.parse().expect("id");
    Charted {
        org: clinic.identity().org_id,
        chart: documents::chart_id(patient),
        _tmp: tmp,
        clinic,
        patient,
        locked_entry,
        signed_note,
    }
}

fn load(clinic: &Clinic, id: Uuid) -> Automerge {
    let mut doc = store::load(clinic.store().conn(), id)
        .expect("load")
        .expect("stored")
        .doc;
    doc.set_actor(ActorId::random());
    doc
}

/// Makes one change of `doc` with raw Automerge calls.
fn tamper(doc: &mut Automerge, f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) {
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit();
}

fn map(
    tx: &automerge::transaction::Transaction<'_>,
    obj: &automerge::ObjId,
    key: &str,
) -> automerge::ObjId {
    tx.get(obj, key).expect("get").expect("there").1
}

#[test]
fn everything_the_clinic_writes_is_valid() {
    let c = charted();
    let docs = store::document_ids(c.clinic.store().conn()).expect("ids");
    assert!(docs.iter().any(|(_, class)| *class == DocClass::Chart));
    for (id, class) in docs {
        let doc = load(&c.clinic, id);
        let standing = judge(c.org, id, &doc, None)
            .unwrap_or_else(|v| panic!("{class} document {id} refused: {v}"));
        assert_eq!(standing.class, class);
        // Judged again against itself: nothing lost.
        judge(c.org, id, &doc, Some(&standing)).expect("still valid");
    }
}

#[test]
fn the_demo_clinic_is_valid() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = Clinic::init(tmp.path(), "Clínica Demo").expect("init");
    let size = DemoSize {
        patients: 40,
        appointments: 60,
        ..DemoSize::demo(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"))
    };
    demo::populate(&mut clinic, &size, |_, _| {}).expect("demo");
    let org = clinic.identity().org_id;
    let patient = store::document_ids(clinic.store().conn())
        .expect("ids")
        .into_iter()
        .find(|(_, c)| *c == DocClass::Patient)
        .expect("a patient")
        .0;
    demo::add_history_chart(&mut clinic, &patient.to_string(), 300, 40, 10).expect("chart");
    let (conversation, doc) = demo::conversation(
        org,
        "1065",
        "5511987654321",
        "João",
        &[("wamid.1", "Oi", 1_764_000_000)],
    )
    .expect("conversation");
    judge(org, conversation, &doc, None).expect("a conversation as the server writes it");
    let mut biggest = 0;
    for (id, class) in store::document_ids(clinic.store().conn()).expect("ids") {
        let doc = load(&clinic, id);
        judge(org, id, &doc, None).unwrap_or_else(|v| panic!("{class} {id}: {v}"));
        for change in doc.get_changes(&[]) {
            biggest = biggest.max(change.len());
        }
    }
    println!("largest change: {biggest} operations");
    // The decoding limit sits far above what honest workstations write.
    assert!(
        (biggest as u64) * 10 < arcada_core::integrity::ChangeLimits::STANDARD.ops,
        "largest change: {biggest} operations"
    );
}

fn refused(c: &Charted, doc: &Automerge, id: Uuid, before: &Standing) -> Violation {
    judge(c.org, id, doc, Some(before)).expect_err("refused")
}

#[test]
fn write_once_entries_cannot_change_or_disappear() {
    let c = charted();
    let original = load(&c.clinic, c.chart);
    let before = judge(c.org, c.chart, &original, None).expect("valid");

    // A signed note's text and author rewritten.
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let signatures = map(tx, &ROOT, "signatures");
        let key = tx.keys(&signatures).next().expect("a signature");
        let signature = map(tx, &signatures, &key);
        tx.put(&signature, "text", "Nada foi feito.").expect("put");
        tx.put(&signature, "by", "outra-pessoa").expect("put");
    });
    assert!(matches!(
        refused(&c, &doc, c.chart, &before),
        Violation::WriteOnce {
            map: "signatures",
            ..
        }
    ));

    // A lock removed.
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let locks = map(tx, &ROOT, "locks");
        tx.delete(&locks, c.locked_entry.as_str()).expect("delete");
    });
    let v = refused(&c, &doc, c.chart, &before);
    assert_eq!(v.code(), "write_once");

    // What a lock froze, edited in place.
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let locks = map(tx, &ROOT, "locks");
        let lock = map(tx, &locks, &c.locked_entry);
        let entry = map(tx, &lock, "entry");
        tx.put(&entry, "region", "11").expect("put");
    });
    assert_eq!(refused(&c, &doc, c.chart, &before).code(), "write_once");

    // An invalidation withdrawn.
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let invalidations = map(tx, &ROOT, "invalidations");
        let key = tx.keys(&invalidations).next().expect("one");
        tx.delete(&invalidations, key.as_str()).expect("delete");
    });
    assert!(matches!(
        refused(&c, &doc, c.chart, &before),
        Violation::WriteOnce {
            map: "invalidations",
            ..
        }
    ));

    // A note deleted.
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let notes = map(tx, &ROOT, "notes");
        tx.delete(&notes, c.signed_note.as_str()).expect("delete");
    });
    assert!(matches!(
        refused(&c, &doc, c.chart, &before),
        Violation::Removed { map: "notes", .. }
    ));

    // The class rewritten (to make the chart readable by the front desk).
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        tx.put(ROOT, "class", "patient").expect("put");
    });
    assert_eq!(refused(&c, &doc, c.chart, &before).code(), "class_changed");
}

#[test]
fn two_workstations_locking_the_same_entry_offline_is_no_violation() {
    let c = charted();
    let original = load(&c.clinic, c.chart);
    let before = judge(c.org, c.chart, &original, None).expect("valid");
    // The other workstation locked the same entry at another moment, and
    // its lock won the merge: who and when differ, the entry does not.
    let mut merged = original.fork();
    tamper(&mut merged, |tx| {
        let locks = map(tx, &ROOT, "locks");
        let lock = map(tx, &locks, &c.locked_entry);
        tx.put(&lock, "at", "2026-11-30T11:00:00Z").expect("put");
        tx.put(&lock, "by", "outro-usuario").expect("put");
    });
    judge(c.org, c.chart, &merged, Some(&before))
        .expect("who locked it and when may differ; the entry may not");
}

#[test]
fn appointments_and_messages_are_never_removed() {
    let c = charted();
    let (week, _) = store::document_ids(c.clinic.store().conn())
        .expect("ids")
        .into_iter()
        .find(|(_, class)| *class == DocClass::Agenda)
        .expect("week");
    let original = load(&c.clinic, week);
    let before = judge(c.org, week, &original, None).expect("valid");
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let appointments = map(tx, &ROOT, "appointments");
        let key = tx.keys(&appointments).next().expect("one");
        tx.delete(&appointments, key.as_str()).expect("delete");
    });
    assert!(matches!(
        refused(&c, &doc, week, &before),
        Violation::Removed {
            map: "appointments",
            ..
        }
    ));

    let (id, original) = demo::conversation(
        c.org,
        "1065",
        "5511987654321",
        "João",
        &[("wamid.1", "Oi", 1_764_000_000)],
    )
    .expect("conversation");
    let before = judge(c.org, id, &original, None).expect("valid");
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        let messages = map(tx, &ROOT, "messages");
        tx.delete(&messages, "wamid.1").expect("delete");
    });
    assert_eq!(refused(&c, &doc, id, &before).code(), "removed_entry");
}

#[test]
fn a_document_must_have_the_id_its_content_implies() {
    let c = charted();
    let patient_doc = load(&c.clinic, c.patient);
    // A patient pushed under the chart's id (to make the chart readable by
    // the front desk): its id field says otherwise, and rewritten to match,
    // a derived id is no patient's id.
    assert_eq!(
        judge(c.org, c.chart, &patient_doc, None)
            .expect_err("wrong id")
            .code(),
        "wrong_id"
    );
    let mut forged = patient_doc.fork();
    tamper(&mut forged, |tx| {
        tx.put(ROOT, "id", c.chart.to_string()).expect("put");
    });
    assert!(matches!(
        judge(c.org, c.chart, &forged, None),
        Err(Violation::WrongId {
            class: DocClass::Patient,
            ..
        })
    ));
    // A chart under another patient's chart id.
    let chart = load(&c.clinic, c.chart);
    let elsewhere = documents::chart_id(Uuid::now_v7());
    assert!(matches!(
        judge(c.org, elsewhere, &chart, None),
        Err(Violation::WrongId {
            class: DocClass::Chart,
            ..
        })
    ));
    // The directory of another organisation.
    let directory = load(&c.clinic, documents::directory_id(c.org));
    let other = Uuid::now_v7();
    assert_eq!(
        judge(other, documents::directory_id(other), &directory, None)
            .expect_err("another organisation's")
            .code(),
        "wrong_id"
    );
    // A conversation id claimed by a document of another class.
    let conversation = documents::conversation_id(c.org, "1065", "5511987654321");
    assert_eq!(
        judge(c.org, conversation, &patient_doc, None)
            .expect_err("not its id")
            .code(),
        "wrong_id"
    );
}

#[test]
fn invalid_shapes_unknown_classes_and_ledgers_are_refused() {
    let c = charted();
    let original = load(&c.clinic, c.patient);
    let mut doc = original.fork();
    tamper(&mut doc, |tx| {
        tx.put(ROOT, "name", 42).expect("put");
    });
    assert!(matches!(
        judge(c.org, c.patient, &doc, None),
        Err(Violation::Schema {
            class: DocClass::Patient,
            ..
        })
    ));
    let mut classless = Automerge::new();
    tamper(&mut classless, |tx| {
        tx.put(ROOT, "notes", "x").expect("put");
    });
    assert_eq!(
        judge(c.org, Uuid::now_v7(), &classless, None),
        Err(Violation::NoClass)
    );
    let mut ledger = Automerge::new();
    tamper(&mut ledger, |tx| {
        tx.put(ROOT, "class", "ledger").expect("put");
    });
    assert_eq!(
        judge(c.org, Uuid::now_v7(), &ledger, None),
        Err(Violation::NoSchema(DocClass::Ledger))
    );
}

/// Found by the fuzz target `pull` (tests/fuzz): a snapshot page merged
/// into a chart the workstation held was judged alone, so a snapshot that
/// is itself a valid chart could still rewrite what a lock froze here.
#[test]
fn a_snapshot_merged_into_a_held_document_keeps_what_it_froze() {
    use arcada_core::projection::CpfIndex;
    use arcada_core::protocol::{self, SnapshotDoc};
    use arcada_core::sync;

    let c = charted();
    let original = load(&c.clinic, c.chart);
    let mut tampered = original.fork();
    tamper(&mut tampered, |tx| {
        let locks = map(tx, &ROOT, "locks");
        let lock = map(tx, &locks, &c.locked_entry);
        let entry = map(tx, &lock, "entry");
        tx.put(&entry, "region", "11").expect("put");
    });
    let mut honest = original.fork();
    tamper(&mut honest, |tx| {
        let entries = map(tx, &ROOT, "entries");
        let entry = map(tx, &entries, &c.locked_entry);
        tx.put(&entry, "note", "revisar em 6 meses").expect("put");
    });
    let page = |doc: &mut Automerge| SnapshotDoc {
        doc: c.chart,
        class: DocClass::Chart,
        bytes: protocol::encode(&doc.save()),
    };
    let mut other = store::Store::open(c.clinic.store().path()).expect("store");
    let cpf = CpfIndex::new(b"test");
    let tx = other.transaction().expect("tx");
    let taken = sync::take_in_snapshots(&tx, c.org, &[page(&mut tampered)], &cpf).expect("page");
    assert_eq!((taken.documents, taken.quarantined), (0, 1));
    let taken = sync::take_in_snapshots(&tx, c.org, &[page(&mut honest)], &cpf).expect("page");
    assert_eq!((taken.documents, taken.quarantined), (1, 0));
    tx.commit().expect("commit");
    let held = load(&c.clinic, c.chart);
    let before = judge(c.org, c.chart, &original, None).expect("valid");
    judge(c.org, c.chart, &held, Some(&before)).expect("the lock is as it was");
    assert_eq!(held.get_heads(), honest.get_heads());
}
