//! The clinical chart through the clinic's API, on real stores: what may be
//! charted, what the records law freezes, and what survives merges between
//! workstations that charted offline.
//!
//! `ARCADA_CHART_CASES=500 cargo test -p arcada-core --test chart` for a
//! long run of the property (CI runs a few dozen cases).

mod common;
use common::merge;

use std::collections::BTreeMap;
use std::path::PathBuf;

use arcada_core::chart::{AnamnesisForm, ChartView, NewEntry};
use arcada_core::clinic::NewNote;
use arcada_core::odontogram::{Baseline, EntryStatus};
use arcada_core::patient::PatientForm;
use arcada_core::{projection, Clinic};
use proptest::prelude::*;

struct Replicas {
    _tmp: tempfile::TempDir,
    dirs: Vec<PathBuf>,
    patient: String,
    pros: Vec<String>,
}

/// A clinic with two professionals and a patient, copied to `n`
/// workstations (each its own device, hence its own Automerge actor).
fn replicas(n: usize) -> Replicas {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dirs: Vec<PathBuf> = (0..n).map(|i| tmp.path().join(format!("r{i}"))).collect();
    let mut clinic = Clinic::init(&dirs[0], "Clínica Prontuário").expect("init");
    let pros = vec![
        clinic
            .add_professional("Dra. Ana", Some("CRO-SP 1"))
            .expect("p")
            .id,
        clinic
            .add_professional("Dr. Bruno", Some("CRO-SP 2"))
            .expect("p")
            .id,
    ];
    let patient = clinic
        .add_patient(&PatientForm {
            name: Some("Maria da Conceição".into()),
            ..PatientForm::default()
        })
        .expect("patient")
        .id;
    drop(clinic);
    for dir in &dirs[1..] {
        common::copy_workstation(&dirs[0], dir, false);
    }
    Replicas {
        _tmp: tmp,
        dirs,
        patient,
        pros,
    }
}

fn entry(region: &str, surfaces: &[&str], code: &str, status: EntryStatus, pro: &str) -> NewEntry {
    NewEntry {
        region: region.into(),
        surfaces: surfaces.iter().map(|s| s.to_string()).collect(),
        cervical: false,
        code: code.into(),
        status,
        professional_id: pro.into(),
        date: "2026-11-30".into(),
        note: String::new(),
        phase: None,
    }
}

fn chart_doc_count(clinic: &Clinic) -> i64 {
    clinic
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE class = 'chart'",
            [],
            |r| r.get(0),
        )
        .expect("count")
}

#[test]
fn teeth_surfaces_and_codes_outside_the_mouth_are_refused_and_change_nothing() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    let pro = &r.pros[0];
    let cases = [
        (
            entry("19", &[], "extracao", EntryStatus::Planejado, pro),
            "invalid_tooth",
        ),
        (
            entry("56", &[], "extracao", EntryStatus::Planejado, pro),
            "invalid_tooth",
        ),
        (
            entry("9", &[], "extracao", EntryStatus::Planejado, pro),
            "invalid_tooth",
        ),
        (
            entry("11", &["O"], "carie", EntryStatus::Condicao, pro),
            "invalid_surface",
        ),
        (
            entry("36", &["P"], "carie", EntryStatus::Condicao, pro),
            "invalid_surface",
        ),
        (
            entry("26", &["L"], "carie", EntryStatus::Condicao, pro),
            "invalid_surface",
        ),
        (
            entry("36", &["X"], "carie", EntryStatus::Condicao, pro),
            "invalid_surface",
        ),
        (
            entry("Q9", &[], "raspagem", EntryStatus::Planejado, pro),
            "invalid_region",
        ),
        (
            entry("36", &["O"], "nao-existe", EntryStatus::Planejado, pro),
            "unknown_procedure",
        ),
        // A restoration needs a face; an extraction is a whole tooth, a
        // scaling a region.
        (
            entry("36", &[], "restauracao-resina", EntryStatus::Planejado, pro),
            "invalid",
        ),
        (
            entry("upper", &[], "extracao", EntryStatus::Planejado, pro),
            "invalid",
        ),
        (
            entry("36", &[], "raspagem", EntryStatus::Planejado, pro),
            "invalid",
        ),
        (
            entry("11", &[], "selante", EntryStatus::Planejado, pro),
            "invalid",
        ),
        (
            entry("55", &[], "implante", EntryStatus::Planejado, pro),
            "invalid",
        ),
        (
            entry("36", &["O"], "carie", EntryStatus::Invalidado, pro),
            "invalid",
        ),
        (
            entry("36", &["O"], "carie", EntryStatus::Condicao, "ninguém"),
            "not_found",
        ),
    ];
    for (bad, code) in cases {
        let err = clinic
            .chart_add_entry(&r.patient, &bad)
            .expect_err(&format!("{bad:?} must be refused"));
        assert_eq!(err.code(), code, "{bad:?}: {err}");
    }
    assert_eq!(
        chart_doc_count(&clinic),
        0,
        "a refused entry writes nothing"
    );
    let err = clinic
        .chart_set_baseline(&r.patient, "99", Baseline::Absent)
        .expect_err("tooth 99");
    assert_eq!(err.code(), "invalid_tooth");
    assert_eq!(chart_doc_count(&clinic), 0);

    // Deciduous teeth, regions and faces that exist are charted.
    let view = clinic
        .chart_add_entry(
            &r.patient,
            &entry("85", &["O", "D"], "carie", EntryStatus::Condicao, pro),
        )
        .expect("deciduous molar");
    let view2 = clinic
        .chart_add_entry(
            &r.patient,
            &entry("S2", &[], "raspagem", EntryStatus::Planejado, pro),
        )
        .expect("sextant");
    assert_eq!(view.entries.len(), 1);
    assert_eq!(view2.entries.len(), 2);
    assert_eq!(view.entries[0].entry.surfaces.len(), 2);
    assert_eq!(view.entries[0].colour, "#d32f2f", "to do is red");
}

#[test]
fn realizado_locks_an_entry_and_invalidation_is_final() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    let mut new = entry(
        "36",
        &["M", "O"],
        "restauracao-resina",
        EntryStatus::Planejado,
        &r.pros[0],
    );
    new.phase = Some(1);
    let view = clinic.chart_add_entry(&r.patient, &new).expect("plan");
    let id = view.entries[0].entry.id.clone();
    assert_eq!(view.plan.total_cents, 25_000);
    assert_eq!(view.plan.pending_cents, 25_000);

    clinic
        .chart_set_status(&r.patient, &id, EntryStatus::Aprovado, None)
        .expect("approve");
    let done = clinic
        .chart_set_status(&r.patient, &id, EntryStatus::Realizado, None)
        .expect("done");
    let e = &done.entries[0];
    assert!(e.locked);
    assert_eq!(e.colour, "#1565c0", "done is blue");
    assert_eq!(done.plan.done_cents, 25_000);
    assert_eq!(done.plan.pending_cents, 0);

    for status in [
        EntryStatus::Planejado,
        EntryStatus::Aprovado,
        EntryStatus::Realizado,
    ] {
        let err = clinic
            .chart_set_status(&r.patient, &id, status, None)
            .expect_err("locked");
        assert_eq!(err.code(), "entry_locked");
    }
    let err = clinic
        .chart_invalidate(&r.patient, &id, "  ")
        .expect_err("reason required");
    assert_eq!(err.code(), "invalid");

    let gone = clinic
        .chart_invalidate(&r.patient, &id, "dente errado: era o 37")
        .expect("invalidate");
    let e = &gone.entries[0];
    assert_eq!(e.entry.status, EntryStatus::Invalidado);
    assert_eq!(
        e.invalidated_reason.as_deref(),
        Some("dente errado: era o 37")
    );
    assert_eq!(
        gone.entries.len(),
        1,
        "an invalidated entry stays in the chart"
    );
    assert_eq!(gone.plan.total_cents, 0, "and leaves the plan");
    let err = clinic
        .chart_invalidate(&r.patient, &id, "de novo")
        .expect_err("final");
    assert_eq!(err.code(), "entry_locked");
    let err = clinic
        .chart_set_status(&r.patient, "no-such-entry", EntryStatus::Aprovado, None)
        .expect_err("unknown");
    assert_eq!(err.code(), "not_found");
}

#[test]
fn signed_notes_are_frozen_and_corrected_by_amendments() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    let note = |text: &str, amends: Option<String>| NewNote {
        professional_id: r.pros[0].clone(),
        visit_date: "30/11/2026".into(),
        text: text.into(),
        amends,
    };
    let view = clinic
        .chart_add_note(&r.patient, &note("Paciente relata dor no 36.", None))
        .expect("note");
    let id = view.notes[0].id.clone();
    assert_eq!(view.notes[0].visit_date, "2026-11-30");
    let view = clinic
        .chart_edit_note(&r.patient, &id, "Paciente relata dor no 36 ao frio.")
        .expect("edit draft");
    assert_eq!(view.notes[0].text, "Paciente relata dor no 36 ao frio.");
    let err = clinic
        .chart_add_note(&r.patient, &note("adendo", Some(id.clone())))
        .expect_err("a draft takes no amendment");
    assert_eq!(err.code(), "invalid");

    let signed = clinic.chart_sign_note(&r.patient, &id).expect("sign");
    let s = signed.notes[0].signed.clone().expect("signature");
    assert_eq!(
        s.content_hash,
        arcada_core::signing::content_hash("Paciente relata dor no 36 ao frio.")
    );
    let err = clinic
        .chart_edit_note(&r.patient, &id, "reescrito")
        .expect_err("frozen");
    assert_eq!(err.code(), "note_signed");
    let err = clinic.chart_sign_note(&r.patient, &id).expect_err("twice");
    assert_eq!(err.code(), "note_signed");

    let amended = clinic
        .chart_add_note(
            &r.patient,
            &note("Correção: dor ao frio e ao calor.", Some(id.clone())),
        )
        .expect("amend");
    let original = amended.notes.iter().find(|n| n.id == id).expect("original");
    assert_eq!(original.text, "Paciente relata dor no 36 ao frio.");
    assert_eq!(original.amended_by.len(), 1);
    let empty = clinic
        .chart_add_note(&r.patient, &note("   ", None))
        .expect_err("empty");
    assert_eq!(empty.code(), "invalid");
}

#[test]
fn anamnesis_alerts_reach_the_agenda_cards() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    let chair = clinic.add_chair("Cadeira 1").expect("chair").id;
    let view = clinic
        .chart_save_anamnesis(
            &r.patient,
            &AnamnesisForm {
                allergies: vec!["penicilina".into(), " ".into(), "penicilina".into()],
                medications: vec!["varfarina".into()],
                conditions: BTreeMap::from([("diabetes".into(), true), ("asma".into(), false)]),
                anticoagulants: true,
                pregnant: Some(false),
                notes: "  ".into(),
            },
        )
        .expect("anamnesis");
    let kinds: Vec<String> = view
        .alerts
        .iter()
        .map(|a| format!("{:?}:{}", a.kind, a.label))
        .collect();
    assert_eq!(
        kinds,
        ["Allergy:penicilina", "Anticoagulant:", "Condition:diabetes"]
    );
    let booked = clinic
        .book(&arcada_core::clinic::NewAppointment {
            patient: r.patient.clone(),
            professional: r.pros[0].clone(),
            chair,
            start: "2027-03-01 09:00".into(),
            duration_min: 30,
            procedures: vec![],
            notes: String::new(),
            source: arcada_core::agenda::Source::Desk,
        })
        .expect("book");
    assert_eq!(booked.patient_alerts.len(), 3);
    // The projection is rebuilt from the documents alone.
    let before = projection::dump(clinic.store().conn()).expect("dump");
    clinic.reindex().expect("reindex");
    assert_eq!(
        before,
        projection::dump(clinic.store().conn()).expect("dump")
    );
    assert_eq!(
        clinic
            .appointment(&booked.id)
            .expect("row")
            .patient_alerts
            .len(),
        3
    );
}

#[test]
fn every_chart_read_is_audited() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    clinic.chart(&r.patient, None).expect("read");
    clinic
        .chart(&r.patient, Some("2026-01-01"))
        .expect("read as of");
    let reads: i64 = clinic
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM audit WHERE action = 'chart.read' AND doc_id IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(reads, 2);
    let err = clinic
        .chart(&r.patient, Some("31/02/2026"))
        .expect_err("bad date");
    assert_eq!(err.code(), "invalid");
}

#[test]
fn the_chart_as_of_a_day_before_the_entry_does_not_show_it() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    clinic
        .chart_add_entry(
            &r.patient,
            &entry("46", &[], "extracao", EntryStatus::Planejado, &r.pros[0]),
        )
        .expect("entry");
    let today = chrono::Local::now().date_naive();
    let now = clinic.chart(&r.patient, None).expect("now");
    assert_eq!(now.entries.len(), 1);
    assert_eq!(now.history, [today.to_string()]);
    let yesterday = clinic
        .chart(
            &r.patient,
            Some(&(today - chrono::Duration::days(1)).to_string()),
        )
        .expect("yesterday");
    assert!(yesterday.entries.is_empty());
    assert_eq!(
        yesterday.as_of,
        Some((today - chrono::Duration::days(1)).to_string())
    );
    let as_of_today = clinic
        .chart(&r.patient, Some(&today.to_string()))
        .expect("today");
    assert_eq!(as_of_today.entries.len(), 1);
}

#[test]
fn two_professionals_charting_offline_merge_and_a_surface_charted_twice_keeps_both() {
    let r = replicas(2);
    let (a, b) = (&r.dirs[0], &r.dirs[1]);
    {
        let mut ca = Clinic::open(a).expect("a");
        ca.chart_add_entry(
            &r.patient,
            &entry("36", &["O"], "carie", EntryStatus::Condicao, &r.pros[0]),
        )
        .expect("a charts 36");
        ca.chart_add_entry(
            &r.patient,
            &entry("21", &["M"], "carie", EntryStatus::Condicao, &r.pros[0]),
        )
        .expect("a charts 21");
        let mut cb = Clinic::open(b).expect("b");
        cb.chart_add_entry(
            &r.patient,
            &entry("11", &["I"], "fratura", EntryStatus::Condicao, &r.pros[1]),
        )
        .expect("b charts 11");
        cb.chart_add_entry(
            &r.patient,
            &entry("36", &["O"], "carie", EntryStatus::Condicao, &r.pros[1]),
        )
        .expect("b charts 36 too");
    }
    // A keeps its chart open (and cached) while B's entries arrive.
    let mut ca = Clinic::open(a).expect("a");
    assert_eq!(ca.chart(&r.patient, None).expect("before").entries.len(), 2);
    merge(a, b);
    merge(b, a);
    let va = ca.chart(&r.patient, None).expect("view a");
    let fresh = Clinic::open(a)
        .expect("a")
        .chart(&r.patient, None)
        .expect("fresh");
    assert_eq!(
        serde_json::to_value(&va).expect("json"),
        serde_json::to_value(&fresh).expect("json"),
        "the cached chart is the chart"
    );
    let vb = Clinic::open(b)
        .expect("b")
        .chart(&r.patient, None)
        .expect("view b");
    assert_eq!(va.entries.len(), 4);
    assert_eq!(
        serde_json::to_value(&va.entries).expect("json"),
        serde_json::to_value(&vb.entries).expect("json")
    );
    let on_36: Vec<_> = va
        .entries
        .iter()
        .filter(|e| e.entry.region == "36")
        .collect();
    assert_eq!(on_36.len(), 2, "both workstations' 36-O stay visible");
    assert!(on_36.iter().all(|e| e.concurrent));
    assert!(va
        .entries
        .iter()
        .filter(|e| e.entry.region != "36")
        .all(|e| !e.concurrent));
}

// ----- property: frozen records survive any sequence of edits and merges -----

const REPLICAS: usize = 3;
const TEETH: &[(&str, &[&str])] = &[("36", &["O", "MOD"]), ("11", &["I", "V"]), ("85", &["O"])];
const CODES: &[&str] = &["carie", "restauracao-resina", "restauracao-ionomero"];
const TEXTS: &[&str] = &[
    "Dor ao frio.",
    "Sem queixas.",
    "Anestesia infiltrativa, restauração MOD.",
];

#[derive(Debug, Clone)]
enum Op {
    Add {
        tooth: usize,
        faces: usize,
        code: usize,
        status: usize,
    },
    Status {
        entry: usize,
        status: usize,
    },
    Invalidate {
        entry: usize,
    },
    Note {
        text: usize,
    },
    Edit {
        note: usize,
        text: usize,
    },
    Sign {
        note: usize,
    },
}

#[derive(Debug, Clone)]
enum Step {
    Edit(usize, Op),
    Merge { from: usize, to: usize },
}

const STATUSES: &[EntryStatus] = &[
    EntryStatus::Condicao,
    EntryStatus::Planejado,
    EntryStatus::Aprovado,
    EntryStatus::Realizado,
    EntryStatus::Existente,
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..TEETH.len(), 0..2usize, 0..CODES.len(), 0..STATUSES.len()).prop_map(
            |(tooth, faces, code, status)| Op::Add {
                tooth,
                faces,
                code,
                status
            }
        ),
        (0..6usize, 0..STATUSES.len()).prop_map(|(entry, status)| Op::Status { entry, status }),
        (0..6usize).prop_map(|entry| Op::Invalidate { entry }),
        (0..TEXTS.len()).prop_map(|text| Op::Note { text }),
        (0..4usize, 0..TEXTS.len()).prop_map(|(note, text)| Op::Edit { note, text }),
        (0..4usize).prop_map(|note| Op::Sign { note }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..REPLICAS, op()).prop_map(|(r, op)| Step::Edit(r, op)),
        1 => (0..REPLICAS, 0..REPLICAS)
            .prop_filter("two replicas", |(a, b)| a != b)
            .prop_map(|(from, to)| Step::Merge { from, to }),
    ]
}

fn nth(ids: Vec<String>, i: usize) -> Option<String> {
    (!ids.is_empty()).then(|| ids[i % ids.len()].clone())
}

/// Refusals the script runs into: a locked entry, a signed note, an
/// amendment target. Anything else is a bug.
fn refused_as_expected(result: Result<ChartView, arcada_core::Error>) {
    if let Err(e) = result {
        assert!(
            matches!(e.code(), "entry_locked" | "note_signed"),
            "unexpected refusal: {e}"
        );
    }
}

fn apply(clinic: &mut Clinic, r: &Replicas, op: &Op) {
    let view = clinic.chart(&r.patient, None).expect("view");
    let entries = view.entries.iter().map(|e| e.entry.id.clone()).collect();
    let notes = view.notes.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    match op {
        Op::Add {
            tooth,
            faces,
            code,
            status,
        } => {
            let (t, f) = TEETH[*tooth];
            refused_as_expected(clinic.chart_add_entry(
                &r.patient,
                &entry(
                    t,
                    &[f[*faces % f.len()]],
                    CODES[*code],
                    STATUSES[*status],
                    &r.pros[0],
                ),
            ));
        }
        Op::Status { entry, status } => {
            if let Some(id) = nth(entries, *entry) {
                refused_as_expected(clinic.chart_set_status(
                    &r.patient,
                    &id,
                    STATUSES[*status],
                    None,
                ));
            }
        }
        Op::Invalidate { entry } => {
            if let Some(id) = nth(entries, *entry) {
                refused_as_expected(clinic.chart_invalidate(&r.patient, &id, "registro errado"));
            }
        }
        Op::Note { text } => {
            refused_as_expected(clinic.chart_add_note(
                &r.patient,
                &NewNote {
                    professional_id: r.pros[1].clone(),
                    visit_date: "2026-11-30".into(),
                    text: TEXTS[*text].into(),
                    amends: None,
                },
            ));
        }
        Op::Edit { note, text } => {
            if let Some(id) = nth(notes, *note) {
                refused_as_expected(clinic.chart_edit_note(&r.patient, &id, TEXTS[*text]));
            }
        }
        Op::Sign { note } => {
            if let Some(id) = nth(notes, *note) {
                refused_as_expected(clinic.chart_sign_note(&r.patient, &id));
            }
        }
    }
}

/// What the law freezes: the content of locked entries, invalidation
/// reasons and signed texts, as first seen anywhere (they must read the same
/// everywhere, always), and what each replica has seen (it must keep it).
#[derive(Default)]
struct Frozen {
    locked: BTreeMap<String, serde_json::Value>,
    invalidated: BTreeMap<String, String>,
    signatures: BTreeMap<String, String>,
    /// Per replica: ids of locked entries, invalidated entries, signatures.
    seen: BTreeMap<usize, [std::collections::BTreeSet<String>; 3]>,
}

impl Frozen {
    /// Checks `view` of `replica` against what was frozen before, then
    /// records what it freezes.
    fn check(&mut self, replica: usize, view: &ChartView) -> Result<(), TestCaseError> {
        let mut now: [std::collections::BTreeSet<String>; 3] = Default::default();
        for e in &view.entries {
            let id = &e.entry.id;
            if e.locked {
                let mut content = serde_json::to_value(&e.entry).expect("json");
                content["status"] = "realizado".into();
                let first = self
                    .locked
                    .entry(id.clone())
                    .or_insert_with(|| content.clone());
                prop_assert_eq!(&*first, &content, "locked entry {} changed", id);
                now[0].insert(id.clone());
            }
            if let Some(reason) = &e.invalidated_reason {
                let first = self
                    .invalidated
                    .entry(id.clone())
                    .or_insert_with(|| reason.clone());
                prop_assert_eq!(&*first, reason);
                now[1].insert(id.clone());
            }
        }
        for n in &view.notes {
            for s in n.signed.iter().chain(&n.also_signed) {
                let first = self
                    .signatures
                    .entry(s.id.clone())
                    .or_insert_with(|| s.text.clone());
                prop_assert_eq!(&*first, &s.text, "signed text changed");
                prop_assert_eq!(
                    &s.content_hash,
                    &arcada_core::signing::content_hash(&s.text)
                );
                prop_assert_eq!(&s.note_id, &n.id);
                now[2].insert(s.id.clone());
            }
            if let Some(s) = &n.signed {
                prop_assert_eq!(&n.text, &s.text, "a signed note shows its signed text");
            }
        }
        let before = self.seen.entry(replica).or_default();
        for (kind, (was, is)) in ["lock", "invalidation", "signature"]
            .iter()
            .zip(before.iter().zip(&now))
        {
            prop_assert!(
                was.is_subset(is),
                "replica {} lost a {}: {:?}",
                replica,
                kind,
                was.difference(is).collect::<Vec<_>>()
            );
        }
        *before = now;
        Ok(())
    }
}

fn cases() -> u32 {
    std::env::var("ARCADA_CHART_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn locked_entries_and_signed_notes_survive_any_edits_and_merges(
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let r = replicas(REPLICAS);
        let mut frozen = Frozen::default();
        for s in &steps {
            match s {
                Step::Edit(i, op) => {
                    let mut clinic = Clinic::open(&r.dirs[*i]).expect("open");
                    apply(&mut clinic, &r, op);
                }
                Step::Merge { from, to } => merge(&r.dirs[*from], &r.dirs[*to]),
            }
            for (i, dir) in r.dirs.iter().enumerate() {
                let view = Clinic::open(dir).expect("open").chart(&r.patient, None).expect("view");
                frozen.check(i, &view)?;
            }
        }
        for _ in 0..2 {
            for i in 0..REPLICAS {
                merge(&r.dirs[i], &r.dirs[(i + 1) % REPLICAS]);
            }
        }
        let views: Vec<serde_json::Value> = r
            .dirs
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                let view = Clinic::open(dir).expect("open").chart(&r.patient, None).expect("view");
                frozen.check(i, &view).map(|()| {
                    let mut json = serde_json::to_value(&view).expect("json");
                    // What a signature proves depends on the keys each
                    // workstation holds (its own key is pending only there).
                    for n in json["notes"].as_array_mut().expect("notes") {
                        if let Some(s) = n["signed"].as_object_mut() {
                            s.remove("verification");
                        }
                        for s in n["also_signed"].as_array_mut().expect("also signed") {
                            s.as_object_mut().expect("signature").remove("verification");
                        }
                    }
                    json
                })
            })
            .collect::<Result<_, _>>()?;
        // After everyone heard from everyone, each holds everything frozen
        // anywhere.
        for seen in frozen.seen.values() {
            prop_assert_eq!(seen[0].len(), frozen.locked.len());
            prop_assert_eq!(seen[1].len(), frozen.invalidated.len());
            prop_assert_eq!(seen[2].len(), frozen.signatures.len());
        }
        prop_assert_eq!(&views[0], &views[1]);
        prop_assert_eq!(&views[0], &views[2]);
    }
}

#[test]
fn an_entry_done_in_a_visit_marks_its_plan_item_done_and_names_the_visit() {
    let r = replicas(1);
    let mut clinic = Clinic::open(&r.dirs[0]).expect("open");
    let chair = clinic.add_chair("Cadeira 1").expect("chair").id;
    let other = clinic
        .add_patient(&PatientForm {
            name: Some("Outro Paciente".into()),
            ..PatientForm::default()
        })
        .expect("other")
        .id;
    let visit = |patient: &str, start: &str| arcada_core::clinic::NewAppointment {
        patient: patient.to_string(),
        professional: r.pros[0].clone(),
        chair: chair.clone(),
        start: start.into(),
        duration_min: 60,
        procedures: vec![],
        notes: String::new(),
        source: arcada_core::agenda::Source::Desk,
    };
    let mine = clinic
        .book(&visit(&r.patient, "2027-03-01 09:00"))
        .expect("book");
    let theirs = clinic
        .book(&visit(&other, "2027-03-01 10:00"))
        .expect("book");
    let mut planned = entry("46", &[], "endo-multi", EntryStatus::Aprovado, &r.pros[0]);
    planned.phase = Some(2);
    let view = clinic.chart_add_entry(&r.patient, &planned).expect("plan");
    let id = view.entries[0].entry.id.clone();
    assert_eq!(view.plan.phases[0].phase, 2);
    assert_eq!(view.plan.pending_cents, 120_000);

    let err = clinic
        .chart_set_status(&r.patient, &id, EntryStatus::Realizado, Some(&theirs.id))
        .expect_err("another patient's visit");
    assert_eq!(err.code(), "invalid");
    let done = clinic
        .chart_set_status(&r.patient, &id, EntryStatus::Realizado, Some(&mine.id))
        .expect("done in the visit");
    let e = &done.entries[0];
    assert_eq!(e.entry.appointment_id.as_deref(), Some(mine.id.as_str()));
    assert!(e.locked);
    assert_eq!(done.plan.done_cents, 120_000);
    assert_eq!(done.plan.pending_cents, 0);
}
