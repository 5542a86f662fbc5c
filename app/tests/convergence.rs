//! Property: three workstations of one clinic edit concurrently — patients,
//! bookings, moves, cancellations, blocks — and exchange their documents
//! in random orders, some merges partial; once everyone has heard from
//! everyone, all three hold identical documents, identical projections
//! (equal to a full reindex) and list the same conflicts.
//!
//! `ARCADA_CONVERGENCE_CASES=500 cargo test -p arcada-core --test convergence`
//! for a long run (CI runs a few cases).

mod common;
use common::merge;

use arcada_core::agenda::{AppointmentStatus, Source};
use arcada_core::clinic::{NewAppointment, NewBlock, Reschedule};
use arcada_core::patient::PatientForm;
use arcada_core::projection;
use arcada_core::{conflicts, Clinic};
use proptest::prelude::*;
use std::path::PathBuf;

const REPLICAS: usize = 3;
const NAMES: &[&str] = &["João Silva", "Maria Souza", "José Araújo", "Ana Conceição"];
const PHONES: &[&str] = &["(11) 98765-4321", "21 3456-7890", "+55 31 99999-0000"];
const EMAILS: &[&str] = &["a@exemplo.com.br", "b@exemplo.com.br"];

#[derive(Debug, Clone)]
enum Op {
    AddPatient {
        name: usize,
        phone: usize,
    },
    UpdatePatient {
        patient: usize,
        name: Option<usize>,
        email: Option<usize>,
        phone: Option<usize>,
    },
    Book {
        patient: usize,
        professional: usize,
        chair: usize,
        day: i64,
        slot: i64,
    },
    Move {
        appt: usize,
        day: i64,
        slot: i64,
    },
    Cancel {
        appt: usize,
    },
    Status {
        appt: usize,
    },
    Block {
        professional: usize,
        day: i64,
        slot: i64,
    },
}

#[derive(Debug, Clone)]
enum Step {
    Edit(usize, Op),
    /// Everything `from` holds reaches `to` (a sync through the server).
    Merge {
        from: usize,
        to: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..NAMES.len(), 0..PHONES.len()).prop_map(|(name, phone)| Op::AddPatient { name, phone }),
        (
            0..6usize,
            proptest::option::of(0..NAMES.len()),
            proptest::option::of(0..EMAILS.len()),
            proptest::option::of(0..PHONES.len())
        )
            .prop_map(|(patient, name, email, phone)| Op::UpdatePatient {
                patient,
                name,
                email,
                phone
            }),
        (0..6usize, 0..2usize, 0..2usize, 0..3i64, 0..6i64).prop_map(
            |(patient, professional, chair, day, slot)| Op::Book {
                patient,
                professional,
                chair,
                day,
                slot
            }
        ),
        (0..6usize, 0..3i64, 0..6i64).prop_map(|(appt, day, slot)| Op::Move { appt, day, slot }),
        (0..6usize).prop_map(|appt| Op::Cancel { appt }),
        (0..6usize).prop_map(|appt| Op::Status { appt }),
        (0..2usize, 0..3i64, 0..6i64).prop_map(|(professional, day, slot)| Op::Block {
            professional,
            day,
            slot
        }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..REPLICAS, op()).prop_map(|(r, op)| Step::Edit(r, op)),
        1 => (0..REPLICAS, 0..REPLICAS)
            .prop_filter("a merge between two replicas", |(a, b)| a != b)
            .prop_map(|(from, to)| Step::Merge { from, to }),
    ]
}

fn start(day: i64, slot: i64) -> String {
    let monday = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let t = (monday + chrono::Duration::days(day))
        .and_hms_opt(9, 0, 0)
        .expect("time")
        + chrono::Duration::minutes(30 * slot);
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn ids(clinic: &Clinic, sql: &str) -> Vec<String> {
    let conn = clinic.store().conn();
    let mut stmt = conn.prepare(sql).expect("prepare");
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

fn pick(items: &[String], i: usize) -> Option<String> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

/// Edits refused by the domain (a chair already taken here, a closed
/// appointment) are part of the script and leave no trace.
fn edit(clinic: &mut Clinic, op: &Op, pros: &[String], chairs: &[String]) {
    let patients = ids(clinic, "SELECT id FROM patients ORDER BY id");
    let appts = ids(clinic, "SELECT id FROM appointments ORDER BY id");
    match op {
        Op::AddPatient { name, phone } => {
            let _ = clinic.add_patient(&PatientForm {
                name: Some(NAMES[*name].into()),
                phones: vec![PHONES[*phone].into()],
                ..PatientForm::default()
            });
        }
        Op::UpdatePatient {
            patient,
            name,
            email,
            phone,
        } => {
            if let Some(id) = pick(&patients, *patient) {
                let _ = clinic.update_patient(
                    &id,
                    &PatientForm {
                        name: name.map(|n| NAMES[n].into()),
                        email: email.map(|e| EMAILS[e].into()),
                        phones: phone
                            .map(|p| vec![PHONES[p].to_string()])
                            .unwrap_or_default(),
                        ..PatientForm::default()
                    },
                );
            }
        }
        Op::Book {
            patient,
            professional,
            chair,
            day,
            slot,
        } => {
            if let Some(p) = pick(&patients, *patient) {
                let _ = clinic.book(&NewAppointment {
                    patient: p,
                    professional: pros[*professional].clone(),
                    chair: chairs[*chair].clone(),
                    start: start(*day, *slot),
                    duration_min: 60,
                    procedures: vec!["consulta".into()],
                    notes: String::new(),
                    source: Source::Desk,
                });
            }
        }
        Op::Move { appt, day, slot } => {
            if let Some(a) = pick(&appts, *appt) {
                let _ = clinic.move_appointment(
                    &a,
                    &Reschedule {
                        start: Some(start(*day, *slot)),
                        ..Default::default()
                    },
                );
            }
        }
        Op::Cancel { appt } => {
            if let Some(a) = pick(&appts, *appt) {
                let _ = clinic.cancel_appointment(&a, Some("paciente desmarcou"));
            }
        }
        Op::Status { appt } => {
            if let Some(a) = pick(&appts, *appt) {
                let _ = clinic.set_appointment_status(&a, AppointmentStatus::Confirmado);
            }
        }
        Op::Block {
            professional,
            day,
            slot,
        } => {
            let _ = clinic.add_block(&NewBlock {
                professional: Some(pros[*professional].clone()),
                chair: None,
                start: start(*day, *slot),
                end: start(*day, *slot + 1),
                reason: "curso".into(),
            });
        }
    }
}

fn cases() -> u32 {
    std::env::var("ARCADA_CONVERGENCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_whatever_the_merge_order(
        steps in proptest::collection::vec(step(), 1..30),
        final_order in Just((0..REPLICAS).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dirs: Vec<PathBuf> = (0..REPLICAS).map(|i| tmp.path().join(format!("r{i}"))).collect();
        let (pros, chairs) = {
            let mut clinic = Clinic::init(&dirs[0], "Clínica Convergente").expect("init");
            let pros = vec![clinic.add_professional("Ana", None).expect("p").id, clinic.add_professional("Bruno", None).expect("p").id];
            let chairs = vec![clinic.add_chair("C1").expect("c").id, clinic.add_chair("C2").expect("c").id];
            (pros, chairs)
        };
        // The other workstations start from a copy, each with its own
        // workstation id, hence its own Automerge actor.
        for dir in &dirs[1..] {
            common::copy_workstation(&dirs[0], dir, false);
        }
        for s in &steps {
            match s {
                Step::Edit(r, op) => {
                    let mut clinic = Clinic::open(&dirs[*r]).expect("open");
                    edit(&mut clinic, op, &pros, &chairs);
                }
                Step::Merge { from, to } => merge(&dirs[*from], &dirs[*to]),
            }
        }
        // Everyone hears from everyone: a ring in a random order, twice.
        for _ in 0..2 {
            for w in final_order.windows(2).chain(std::iter::once(&[final_order[REPLICAS - 1], final_order[0]][..])) {
                merge(&dirs[w[0]], &dirs[w[1]]);
            }
        }
        let mut seen = Vec::new();
        for dir in &dirs {
            let mut clinic = Clinic::open(dir).expect("open");
            let documents = clinic.export().expect("export")["documents"].clone();
            let dump = projection::dump(clinic.store().conn()).expect("dump");
            let conflicts = conflicts::list(clinic.store().conn()).expect("conflicts");
            clinic.reindex().expect("reindex");
            prop_assert_eq!(&dump, &projection::dump(clinic.store().conn()).expect("dump"), "incremental = reindex");
            seen.push((documents, dump, conflicts));
        }
        prop_assert_eq!(&seen[0], &seen[1]);
        prop_assert_eq!(&seen[0], &seen[2]);
    }
}
