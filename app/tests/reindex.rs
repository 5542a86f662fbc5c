//! Property: whatever sequence of edits a workstation makes, the projections
//! it maintains incrementally equal those rebuilt from the documents alone.
//! `PROPTEST_CASES=500 cargo test --test reindex` for a long run.

use arcada_core::agenda::{AppointmentStatus, Source};
use arcada_core::clinic::{NewAppointment, NewBlock, Reschedule};
use arcada_core::patient::PatientForm;
use arcada_core::projection;
use arcada_core::Clinic;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "João Silva",
    "Maria Souza",
    "José Araújo",
    "Ana Conceição",
    "Luís Gonçalves",
];
const CPFS: &[&str] = &["529.982.247-25", "111.444.777-35", "123.456.789-09"];
const PHONES: &[&str] = &[
    "(11) 98765-4321",
    "21 3456-7890",
    "+55 31 99999-0000",
    "(11) 8765-1234",
];
const STATUSES: &[AppointmentStatus] = &[
    AppointmentStatus::Confirmado,
    AppointmentStatus::Chegou,
    AppointmentStatus::Faltou,
    AppointmentStatus::Concluido,
];

#[derive(Debug, Clone)]
enum Op {
    AddPatient {
        name: usize,
        cpf: Option<usize>,
        phone: Option<usize>,
    },
    UpdatePatient {
        patient: usize,
        name: Option<usize>,
        phone: Option<usize>,
        cpf: Option<usize>,
    },
    Book {
        patient: usize,
        resource: usize,
        chair: usize,
        day: i64,
        slot: i64,
        minutes: u32,
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
        status: usize,
    },
    Block {
        resource: usize,
        day: i64,
        slot: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..NAMES.len(),
            proptest::option::of(0..CPFS.len()),
            proptest::option::of(0..PHONES.len())
        )
            .prop_map(|(name, cpf, phone)| Op::AddPatient { name, cpf, phone }),
        (
            0..8usize,
            proptest::option::of(0..NAMES.len()),
            proptest::option::of(0..PHONES.len()),
            proptest::option::of(0..CPFS.len())
        )
            .prop_map(|(patient, name, phone, cpf)| Op::UpdatePatient {
                patient,
                name,
                phone,
                cpf
            }),
        (
            0..8usize,
            0..2usize,
            0..2usize,
            0..12i64,
            0..20i64,
            prop_oneof![Just(30u32), Just(60), Just(90)]
        )
            .prop_map(|(patient, resource, chair, day, slot, minutes)| Op::Book {
                patient,
                resource,
                chair,
                day,
                slot,
                minutes
            }),
        (0..8usize, 0..12i64, 0..20i64).prop_map(|(appt, day, slot)| Op::Move { appt, day, slot }),
        (0..8usize).prop_map(|appt| Op::Cancel { appt }),
        (0..8usize, 0..STATUSES.len()).prop_map(|(appt, status)| Op::Status { appt, status }),
        (0..2usize, 0..12i64, 0..20i64).prop_map(|(resource, day, slot)| Op::Block {
            resource,
            day,
            slot
        }),
    ]
}

fn start(day: i64, slot: i64) -> String {
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let t = (monday + chrono::Duration::days(day))
        .and_hms_opt(8, 0, 0)
        .expect("time")
        + chrono::Duration::minutes(30 * slot);
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_projections_equal_a_full_reindex(ops in proptest::collection::vec(op(), 1..40)) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut clinic = Clinic::init(tmp.path(), "Clínica Prop").expect("init");
        let pros = [clinic.add_professional("Ana", None).expect("p").id, clinic.add_professional("Bruno", None).expect("p").id];
        let chairs = [clinic.add_chair("C1").expect("c").id, clinic.add_chair("C2").expect("c").id];
        let mut patients: Vec<String> = Vec::new();
        let mut appts: Vec<String> = Vec::new();
        for op in ops {
            // Domain refusals (overlaps, duplicate CPFs, closed appointments)
            // are part of the script: they must leave no trace either.
            match op {
                Op::AddPatient { name, cpf, phone } => {
                    let form = PatientForm {
                        name: Some(NAMES[name].into()),
                        cpf: cpf.map(|c| CPFS[c].into()),
                        phones: phone.map(|p| vec![PHONES[p].to_string()]).unwrap_or_default(),
                        ..Default::default()
                    };
                    if let Ok(p) = clinic.add_patient(&form) { patients.push(p.id); }
                }
                Op::UpdatePatient { patient, name, phone, cpf } => {
                    if let Some(id) = pick(&patients, patient) {
                        let form = PatientForm {
                            name: name.map(|n| NAMES[n].into()),
                            cpf: cpf.map(|c| CPFS[c].into()),
                            phones: phone.map(|p| vec![PHONES[p].to_string()]).unwrap_or_default(),
                            ..Default::default()
                        };
                        let _ = clinic.update_patient(&id, &form);
                    }
                }
                Op::Book { patient, resource, chair, day, slot, minutes } => {
                    if let Some(p) = pick(&patients, patient) {
                        let new = NewAppointment {
                            patient: p,
                            professional: pros[resource].clone(),
                            chair: chairs[chair].clone(),
                            start: start(day, slot),
                            duration_min: minutes,
                            procedures: vec!["consulta".into()],
                            notes: String::new(),
                            source: Source::Desk,
                        };
                        if let Ok(a) = clinic.book(&new) { appts.push(a.id); }
                    }
                }
                Op::Move { appt, day, slot } => {
                    if let Some(a) = pick(&appts, appt) {
                        if let Ok(moved) = clinic.move_appointment(&a, &Reschedule { start: Some(start(day, slot)), ..Default::default() }) {
                            if moved.id != a { appts.push(moved.id); }
                        }
                    }
                }
                Op::Cancel { appt } => {
                    if let Some(a) = pick(&appts, appt) { let _ = clinic.cancel_appointment(&a, Some("motivo")); }
                }
                Op::Status { appt, status } => {
                    if let Some(a) = pick(&appts, appt) { let _ = clinic.set_appointment_status(&a, STATUSES[status]); }
                }
                Op::Block { resource, day, slot } => {
                    let _ = clinic.add_block(&NewBlock {
                        professional: Some(pros[resource].clone()),
                        chair: None,
                        start: start(day, slot),
                        end: start(day, slot + 2),
                        reason: "curso".into(),
                    });
                }
            }
        }
        let incremental = projection::dump(clinic.store().conn()).expect("dump");
        clinic.reindex().expect("reindex");
        let rebuilt = projection::dump(clinic.store().conn()).expect("dump");
        prop_assert_eq!(&incremental, &rebuilt);
        // And a store reopened from disk agrees.
        drop(clinic);
        let reopened = Clinic::open(tmp.path()).expect("reopen");
        prop_assert_eq!(projection::dump(reopened.store().conn()).expect("dump"), rebuilt);
    }
}
