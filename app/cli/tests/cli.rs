//! The `arcada` binary, driven as a person would from a terminal: real
//! process, real SQLite file in a temporary data directory.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn arcada(data: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_arcada"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("ARCADA_DATA")
        .output()
        .expect("run arcada");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(data: &Path, args: &[&str]) -> String {
    let r = arcada(data, args);
    assert!(r.ok, "arcada {args:?} failed: {}", r.stderr);
    r.stdout
}

fn json(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(data, &all)).expect("json output")
}

/// A refused command: non-zero exit, exactly one line on stderr, nothing on
/// stdout, and the store's export unchanged.
fn refused(data: &Path, args: &[&str]) -> String {
    let before = ok(data, &["export"]);
    let r = arcada(data, args);
    assert!(!r.ok, "arcada {args:?} should fail");
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "one line on stderr: {:?}",
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert_eq!(
        ok(data, &["export"]),
        before,
        "export changed after refused {args:?}"
    );
    r.stderr
}

fn clinic() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("D");
    ok(&data, &["init", "--org", "Clínica Sorriso"]);
    (tmp, data)
}

fn staffed() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (tmp, data) = clinic();
    ok(
        &data,
        &[
            "professional",
            "add",
            "--name",
            "Dra. Ana Costa",
            "--cro",
            "CRO-SP 1234",
        ],
    );
    ok(&data, &["professional", "add", "--name", "Dr. Bruno Lima"]);
    ok(&data, &["chair", "add", "--name", "Cadeira 1"]);
    ok(&data, &["chair", "add", "--name", "Cadeira 2"]);
    let p = json(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "Maria Souza",
            "--phone",
            "21 99876-5432",
        ],
    );
    let id = p["id"].as_str().expect("id").to_string();
    (tmp, data, id)
}

#[test]
fn add_then_search_without_accents_finds_the_patient_with_e164_phone() {
    let (_tmp, data) = clinic();
    ok(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "João da Silva",
            "--cpf",
            "529.982.247-25",
            "--phone",
            "(11) 98765-4321",
        ],
    );
    let hits = json(&data, &["patient", "search", "joao"]);
    let hits = hits.as_array().expect("array");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["name"], "João da Silva");
    assert_eq!(hits[0]["phones"][0], "+5511987654321");
    // Any part of the name, the phone's ending, and the CPF in any punctuation.
    for query in [
        "SILVA",
        "da sil",
        "4321",
        "98765-4321",
        "52998224725",
        "529.982.247-25",
    ] {
        let found = json(&data, &["patient", "search", query]);
        assert_eq!(found.as_array().map(Vec::len), Some(1), "query {query:?}");
    }
    for query in ["maria", "1234", "111.444.777-35"] {
        assert_eq!(
            json(&data, &["patient", "search", query])
                .as_array()
                .map(Vec::len),
            Some(0),
            "{query}"
        );
    }
}

#[test]
fn a_wrong_cpf_is_refused_naming_it_and_nothing_changes() {
    let (_tmp, data) = clinic();
    ok(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "João da Silva",
            "--cpf",
            "529.982.247-25",
        ],
    );
    let err = refused(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "Outra Pessoa",
            "--cpf",
            "529.982.247-26",
        ],
    );
    assert!(err.contains("529.982.247-26"), "{err}");
    let err = refused(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "Outra Pessoa",
            "--cpf",
            "111.111.111-11",
        ],
    );
    assert!(err.contains("111.111.111-11"), "{err}");
    let err = refused(
        &data,
        &["patient", "add", "--name", "Clone", "--cpf", "52998224725"],
    );
    assert!(err.contains("already belongs"), "{err}");
    refused(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "Sem DDD",
            "--phone",
            "98765-4321",
        ],
    );
    refused(
        &data,
        &[
            "patient",
            "add",
            "--name",
            "Futuro",
            "--birth",
            "2999-01-01",
        ],
    );
    refused(&data, &["patient", "add", "--name", "   "]);
}

#[test]
fn double_booking_a_chair_names_the_appointment_it_collides_with() {
    let (_tmp, data, maria) = staffed();
    let joao = json(&data, &["patient", "add", "--name", "João"])["id"]
        .as_str()
        .expect("id")
        .to_string();
    let first = json(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &maria,
            "--professional",
            "ana",
            "--chair",
            "Cadeira 1",
            "--start",
            "2026-11-23 09:00",
        ],
    );
    let first_id = first[0]["id"].as_str().expect("id");
    let err = refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "bruno",
            "--chair",
            "cadeira 1",
            "--start",
            "2026-11-23 09:00",
        ],
    );
    assert!(err.contains(first_id), "{err}");
    assert!(err.contains("chair"), "{err}");
    // Same professional in another chair: refused too.
    let err = refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "ana",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-23 09:15",
        ],
    );
    assert!(
        err.contains(first_id) && err.contains("professional"),
        "{err}"
    );
    // Outside opening hours, on a Sunday, in a block: refused.
    refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "bruno",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-23 07:00",
        ],
    );
    refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "bruno",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-22 10:00",
        ],
    );
    ok(
        &data,
        &[
            "block",
            "add",
            "--professional",
            "bruno",
            "--start",
            "2026-11-23 12:00",
            "--end",
            "2026-11-23 13:00",
            "--reason",
            "almoço",
        ],
    );
    let err = refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "bruno",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-23 12:30",
        ],
    );
    assert!(err.contains("almoço"), "{err}");
    // Unknown patient, professional, malformed time.
    refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            "00000000-0000-7000-8000-000000000000",
            "--professional",
            "bruno",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-23 10:00",
        ],
    );
    refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "carla",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-23 10:00",
        ],
    );
    refused(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "bruno",
            "--chair",
            "cadeira 2",
            "--start",
            "amanhã",
        ],
    );
    // A free slot works.
    ok(
        &data,
        &[
            "appt",
            "book",
            "--patient",
            &joao,
            "--professional",
            "bruno",
            "--chair",
            "cadeira 2",
            "--start",
            "2026-11-23 09:00",
        ],
    );
    assert_eq!(
        json(&data, &["appt", "list", "--day", "2026-11-23"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn move_and_cancel_keep_the_record_and_free_the_slot() {
    let (_tmp, data, maria) = staffed();
    let book = |start: &str| {
        json(
            &data,
            &[
                "appt",
                "book",
                "--patient",
                &maria,
                "--professional",
                "ana",
                "--chair",
                "cadeira 1",
                "--start",
                start,
            ],
        )[0]["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let a = book("2026-11-23 09:00");
    // Within the week: same appointment, new time.
    let moved = json(
        &data,
        &[
            "appt",
            "move",
            &a,
            "--start",
            "2026-11-24 10:00",
            "--duration",
            "60",
        ],
    );
    assert_eq!(moved[0]["id"], a.as_str());
    assert_eq!(moved[0]["start"], "2026-11-24T10:00");
    assert_eq!(moved[0]["end"], "2026-11-24T11:00");
    // The old slot is free again.
    let b = book("2026-11-23 09:00");
    // To another week: the old one is kept as remarcado, linked to the new one.
    let next = json(&data, &["appt", "move", &a, "--start", "2026-12-01 10:00"]);
    let new_id = next[0]["id"].as_str().expect("id").to_string();
    assert_ne!(new_id, a);
    let week = json(&data, &["appt", "list", "--week", "2026-W48"]);
    let old = week
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["id"] == a.as_str())
        .expect("old kept");
    assert_eq!(old["status"], "remarcado");
    refused(&data, &["appt", "move", &a, "--start", "2026-11-25 10:00"]);
    // Cancelling frees the slot; a cancelled appointment cannot be cancelled again.
    let cancelled = json(&data, &["appt", "cancel", &b, "--reason", "paciente pediu"]);
    assert_eq!(cancelled[0]["status"], "cancelado");
    refused(&data, &["appt", "cancel", &b]);
    book("2026-11-23 09:00");
    let status = json(&data, &["appt", "status", &new_id, "confirmado"]);
    assert_eq!(status[0]["status"], "confirmado");
    refused(&data, &["appt", "status", &new_id, "feito"]);
    let range = json(
        &data,
        &[
            "appt",
            "list",
            "--from",
            "2026-11-23",
            "--to",
            "2026-12-01",
            "--professional",
            "ana",
        ],
    );
    assert_eq!(range.as_array().map(Vec::len), Some(4));
}

#[test]
fn update_changes_fields_and_phones_and_reindex_keeps_results() {
    let (_tmp, data, maria) = staffed();
    ok(
        &data,
        &[
            "patient",
            "update",
            &maria,
            "--name",
            "Maria Souza Lima",
            "--add-phone",
            "(21) 3456-7890",
            "--email",
            "maria@exemplo.com.br",
        ],
    );
    let p = json(&data, &["patient", "show", &maria]);
    assert_eq!(p["name"], "Maria Souza Lima");
    assert_eq!(p["phones"].as_object().map(|m| m.len()), Some(2));
    assert_eq!(
        json(&data, &["patient", "search", "lima"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    ok(
        &data,
        &[
            "patient",
            "update",
            &maria,
            "--remove-phone",
            "+55 21 99876-5432",
            "--email",
            "",
        ],
    );
    let p = json(&data, &["patient", "show", &maria]);
    assert_eq!(p["phones"].as_object().map(|m| m.len()), Some(1));
    assert_eq!(p["email"], Value::Null);
    assert_eq!(
        json(&data, &["patient", "search", "5432"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    refused(&data, &["patient", "update", &maria, "--cpf", "123"]);
    refused(
        &data,
        &[
            "patient",
            "update",
            &maria,
            "--remove-phone",
            "(11) 90000-0000",
        ],
    );
    let before = json(&data, &["patient", "search", "maria"]);
    assert_eq!(
        json(&data, &["reindex"])["documents"],
        2,
        "the directory and the patient"
    );
    assert_eq!(json(&data, &["patient", "search", "maria"]), before);
}

#[test]
fn a_missing_clinic_is_an_error_and_creates_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("nowhere");
    let r = arcada(&data, &["patient", "search", "x"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("arcada init"), "{}", r.stderr);
    assert!(!data.exists(), "a read must not create the data directory");
    ok(&data, &["init", "--org", "Clínica"]);
    let r = arcada(&data, &["init", "--org", "Clínica"]);
    assert!(!r.ok && r.stderr.contains("already"), "{}", r.stderr);
    let r = arcada(&tmp.path().join("other"), &["init", "--org", "  "]);
    assert!(!r.ok, "blank organisation name refused");
}

#[test]
fn nothing_runs_beside_the_desktop_app_on_the_same_clinic() {
    let (_tmp, data) = clinic();
    ok(&data, &["patient", "add", "--name", "Ana Lima"]);
    let app = arcada_core::data_lock::hold(&data, arcada_core::data_lock::Hold::App)
        .expect("the app holds the clinic");
    let err = refused_while_locked(&data, &["patient", "add", "--name", "João"]);
    assert!(err.contains("open in the Arcada app"), "{err}");
    drop(app);
    ok(&data, &["patient", "add", "--name", "João"]);
    assert_eq!(
        json(&data, &["patient", "search", ""])
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

/// A command refused while the app holds the clinic (its export cannot be
/// read meanwhile either).
fn refused_while_locked(data: &Path, args: &[&str]) -> String {
    let r = arcada(data, args);
    assert!(
        !r.ok && r.stdout.is_empty(),
        "arcada {args:?}: {}",
        r.stdout
    );
    r.stderr
}

#[test]
fn export_is_byte_identical_for_the_same_documents() {
    let (_tmp, data, _maria) = staffed();
    let out = data.join("export.json");
    ok(
        &data,
        &["export", "--out", out.to_str().expect("utf-8 path")],
    );
    let file = std::fs::read_to_string(&out).expect("export file");
    assert_eq!(file, ok(&data, &["export"]));
    let v: Value = serde_json::from_str(&file).expect("json");
    let classes: Vec<&str> = v["documents"]
        .as_array()
        .expect("docs")
        .iter()
        .filter_map(|d| d["class"].as_str())
        .collect();
    assert_eq!(classes, ["directory", "patient"]);
    assert_eq!(v["documents"][1]["content"]["name"], "Maria Souza");
}

#[test]
fn demo_builds_a_searchable_clinic_only_in_a_new_data_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("demo");
    let report = json(&data, &["demo", "--patients", "40", "--appointments", "60"]);
    assert_eq!(report["patients"], 40);
    assert_eq!(report["appointments"], 60);
    assert_eq!(
        json(&data, &["professional", "list"])
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    let week = report["first_week"]
        .as_str()
        .expect("first week")
        .to_string();
    let listed = json(&data, &["appt", "list", "--week", &week]);
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(60),
        "every demo appointment is in the current week"
    );
    // Demo patients are found like any other.
    let any = json(&data, &["patient", "search", "a", "--limit", "5"]);
    assert!(!any.as_array().expect("hits").is_empty());
    // Never on top of an existing clinic.
    let r = arcada(&data, &["demo"]);
    assert!(
        !r.ok && r.stderr.contains("already holds a clinic"),
        "{}",
        r.stderr
    );
}

#[test]
fn demo_fills_a_clinic_that_is_still_empty() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("clinic");
    ok(&data, &["init", "--org", "Clínica Nova"]);
    let report = json(&data, &["demo", "--patients", "12", "--appointments", "10"]);
    assert_eq!(report["patients"], 12);
    // Nothing typed: the first patients in name order.
    let listed = json(&data, &["patient", "search", "", "--limit", "5"]);
    let names: Vec<&str> = listed
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert_eq!(names.len(), 5);
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("demo");
    ok(
        &data,
        &["demo", "--patients", "2000", "--appointments", "0"],
    );
    // Like `arcada patient search a --limit 2000 | head -c 1`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_arcada"))
        .arg("--data")
        .arg(&data)
        .args(["patient", "search", "a", "--limit", "2000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 1];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("read");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn reminders_keep_to_sending_hours_and_refuse_a_span_across_midnight() {
    let (_tmp, data) = clinic();
    let out = ok(&data, &["whatsapp", "reminders", "--hours", "48"]);
    assert!(
        out.contains("48 hours before, sent between 08:00 and 20:00"),
        "{out}"
    );
    let settings = json(
        &data,
        &["whatsapp", "reminders", "--between", "07:30-18:00"],
    );
    assert_eq!(settings["reminder"]["sending_hours"]["from"], "07:30");
    assert_eq!(settings["reminder"]["sending_hours"]["until"], "18:00");
    assert_eq!(settings["reminder"]["hours_before"], 24);

    for (between, names) in [
        ("20:00-08:00", "start must come before the end"),
        ("8h-20:00", "\"8h\" is not a time"),
        ("08:00", "expected HH:MM-HH:MM"),
    ] {
        let err = refused(&data, &["whatsapp", "reminders", "--between", between]);
        assert!(err.contains(names), "{between}: {err}");
    }
    let shown = json(&data, &["whatsapp", "show"]);
    assert_eq!(
        shown["reminder"]["sending_hours"]["from"], "07:30",
        "{shown}"
    );

    let any = json(&data, &["whatsapp", "reminders", "--any-hour"]);
    assert!(any["reminder"]["sending_hours"].is_null(), "{any}");
    let out = ok(&data, &["whatsapp", "show"]);
    assert!(out.contains("sent at any hour"), "{out}");
}
