//! The sync engine end to end, on the real release `arcada-server`
//! (embedded SQLite, loopback):
//!
//! 1. first sync of a 2,000-patient clinic (patient + chart documents and a
//!    year of agenda) onto a fresh workstation, through `Engine::sync_once`;
//! 2. propagation: a patient registered on workstation A until it is in
//!    workstation B's search index, both running the engine in watch mode
//!    (live notifications), p50 and p99.
//!
//! cargo build --release -p arcada-server && cargo bench -p arcada-tests --bench workstation
//! Size: ARCADA_BENCH_PATIENTS (default 2,000), ARCADA_BENCH_SAMPLES (default 300).

use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use arcada_core::demo::{self, DemoSize};
use arcada_core::documents::DocClass;
use arcada_core::patient::PatientForm;
use arcada_core::store::{self, Store};
use arcada_core::sync::engine::{Control, Engine, EngineConfig};
use arcada_core::sync::session::SessionStore;
use arcada_core::workstation::{self, LoginRequest};
use arcada_core::Clinic;
use arcada_tests::{admin, charts, ServerProcess};

const PASSWORD: &str = "benchmark password";
const EMAIL: &str = "admin@grande.com.br";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Logs `dir` in as the admin and returns its engine.
fn workstation(url: &str, dir: &Path, sessions: &SessionStore, name: &str) -> Result<Engine> {
    workstation::log_in(
        dir,
        sessions,
        &LoginRequest {
            server: url,
            email: EMAIL,
            password: PASSWORD,
            org: None,
            device_name: name,
        },
    )?;
    Ok(Engine::open(
        dir,
        sessions.clone(),
        EngineConfig::default(),
    )?)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let patients = env_usize("ARCADA_BENCH_PATIENTS", 2_000);
    let samples = env_usize("ARCADA_BENCH_SAMPLES", 300);
    let tmp = tempfile::tempdir()?;
    let storage = vec![
        "--data".to_string(),
        tmp.path().join("server").display().to_string(),
    ];
    admin(
        &storage,
        &[
            "create-org",
            "--name",
            "Clínica Grande",
            "--admin-email",
            EMAIL,
        ],
        PASSWORD,
    )?;
    let server = ServerProcess::start(&storage, &[], &[])?;
    let sessions = SessionStore::new(tmp.path().join("sessions"));

    // The clinic is built on a workstation and uploaded.
    let origin = tmp.path().join("origin");
    let mut engine = workstation(&server.url, &origin, &sessions, "origin")?;
    engine.sync_once()?;
    let started = Instant::now();
    let mut clinic = Clinic::open(&origin)?;
    let report = demo::populate(
        &mut clinic,
        &DemoSize {
            professionals: 4,
            chairs: 4,
            patients,
            // A year of agenda: 52 weeks of 400 appointments (four
            // professionals' full weeks), as in the bootstrap benchmark.
            appointments: 52 * 400,
            first_day: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?,
            seed: 7,
        },
        |_, _| {},
    )?;
    drop(clinic);
    let mut store = Store::open(&origin.join(store::FILE_NAME))?;
    let ids: Vec<_> = store::document_ids(store.conn())?
        .into_iter()
        .filter(|(_, c)| *c == DocClass::Patient)
        .map(|(id, _)| id)
        .collect();
    charts::add_charts(&mut store, &ids)?;
    let docs = store::document_ids(store.conn())?.len();
    drop(store);
    let upload = engine.sync_once()?;
    println!(
        "clinic: {patients} patients, {} appointments in {} agenda weeks, {docs} documents; built and uploaded ({} changes) in {:.1} s",
        report.appointments,
        report.agenda_weeks,
        upload.pushed.acknowledged,
        started.elapsed().as_secs_f64()
    );

    // 1. First sync onto a fresh workstation.
    let fresh = tmp.path().join("fresh");
    let t = Instant::now();
    let mut fresh_engine = workstation(&server.url, &fresh, &sessions, "fresh")?;
    let round = fresh_engine.sync_once()?;
    let first = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(fresh.join(store::FILE_NAME))?.len() as f64 / 1_048_576.0;
    let hits = Clinic::open(&fresh)?.search_patients("maria", 5)?.len();
    let boot = round.bootstrapped.clone().unwrap_or_default();
    println!(
        "first sync of a fresh workstation (login included, the server building its snapshots): {} documents ({:.1} MiB of snapshots) + {} changes pulled after, in {first:.2} s; store {size:.0} MiB; search \"maria\" right after: {hits} hits",
        boot.documents,
        boot.bytes as f64 / 1_048_576.0,
        round.pulled.changes
    );
    // A second workstation finds the snapshots already built.
    let second = tmp.path().join("second");
    let t = Instant::now();
    let round = workstation(&server.url, &second, &sessions, "second")?.sync_once()?;
    println!(
        "first sync of another fresh workstation (snapshots kept on the server): {} documents in {:.2} s",
        round.bootstrapped.unwrap_or_default().documents,
        t.elapsed().as_secs_f64()
    );

    // For comparison: the same bootstrap from the change log alone.
    let log_dir = tmp.path().join("from-log");
    let done = workstation::log_in(
        &log_dir,
        &sessions,
        &LoginRequest {
            server: &server.url,
            email: EMAIL,
            password: PASSWORD,
            org: None,
            device_name: "from the log",
        },
    )?;
    let creds = sessions
        .load(done.workstation)?
        .context("session just saved")?;
    let mut log_store = Store::open(&log_dir.join(store::FILE_NAME))?;
    let cpf = arcada_core::sync::local_cpf_index(&mut log_store)?;
    let t = Instant::now();
    let pulled = arcada_core::sync::Remote::new(&server.url, &creds.access_token, creds.org)
        .pull(&mut log_store, &cpf)?;
    println!(
        "the same from the change log alone (no snapshots, login excluded): {} documents, {} changes in {:.2} s",
        pulled.documents,
        pulled.changes,
        t.elapsed().as_secs_f64()
    );
    drop(log_store);

    // 2. Propagation A → server → B, both engines following live notifications.
    let a_dir = origin.clone();
    let b_dir = fresh.clone();
    let (a_ctl, b_ctl) = (Arc::new(Control::default()), Arc::new(Control::default()));
    drop(engine);
    drop(fresh_engine);
    let mut a_engine = Engine::open(&a_dir, sessions.clone(), EngineConfig::default())?;
    let mut b_engine = Engine::open(&b_dir, sessions.clone(), EngineConfig::default())?;
    let (ac, bc) = (a_ctl.clone(), b_ctl.clone());
    let a_thread = thread::spawn(move || a_engine.run(&ac));
    let b_thread = thread::spawn(move || b_engine.run(&bc));
    thread::sleep(Duration::from_millis(500));
    let mut a = Clinic::open(&a_dir)?;
    let b = Store::open(&b_dir.join(store::FILE_NAME))?;
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let t = Instant::now();
        let p = a.add_patient(&PatientForm {
            name: Some(format!("Propagação Teste {i}")),
            phones: vec![format!("(11) 9{:04}-{:04}", 7000 + i / 10_000, i % 10_000)],
            ..PatientForm::default()
        })?;
        a_ctl.wake();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found: bool = b.conn().query_row(
                "SELECT EXISTS (SELECT 1 FROM patients WHERE id = ?1)",
                [&p.id],
                |r| r.get(0),
            )?;
            if found {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "patient {i} never reached B");
            thread::sleep(Duration::from_micros(200));
        }
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        thread::sleep(Duration::from_millis(20));
    }
    a_ctl.stop();
    b_ctl.stop();
    let _ = a_thread.join();
    let _ = b_thread.join();
    latencies.sort_by(f64::total_cmp);
    println!(
        "propagation A → server → B ({samples} patients, write to B's index): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    Ok(())
}
