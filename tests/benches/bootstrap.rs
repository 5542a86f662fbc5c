//! A clinic of 10,000 patients — patient, chart and WhatsApp conversation
//! documents each,
//! and a year of agenda: over 30,000 documents — uploaded to the real
//! `arcada-server` (release build, embedded SQLite, loopback) and
//! bootstrapped onto a fresh workstation with `arcada-core`'s client.
//!
//! cargo build --release -p arcada-server && cargo bench -p arcada-tests --bench bootstrap
//! Size: ARCADA_BENCH_PATIENTS (default 10,000); ARCADA_BENCH_ONLY_PATIENTS=1
//! for patient documents alone. ARCADA_BENCH_EXPORT_DIR=<dir> writes every
//! document the fresh workstation pulled to `<dir>/<uuid>.automerge` (the
//! full `save()` bytes), for the side-by-side run against automerge-repo
//! (scripts/bench-automerge-repo).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use arcada_core::demo::{self, DemoSize};
use arcada_core::documents::{self, Attribution, ChartDoc, DocClass, OdontogramEntry};
use arcada_core::odontogram::EntryStatus;
use arcada_core::store::{self, Store};
use arcada_core::sync::{self, Remote};
use arcada_tests::{admin, ServerProcess};
use uuid::Uuid;

const PASSWORD: &str = "benchmark password";

fn main() -> Result<()> {
    let patients: usize = std::env::var("ARCADA_BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // Only patient documents (and the directory): the side-by-side run
    // against automerge-repo (scripts/bench-automerge-repo).
    let only_patients = std::env::var("ARCADA_BENCH_ONLY_PATIENTS").is_ok_and(|v| v == "1");
    let tmp = tempfile::tempdir()?;
    let storage = vec![
        "--data".to_string(),
        tmp.path().join("server").display().to_string(),
    ];
    let org: Uuid = admin(
        &storage,
        &[
            "create-org",
            "--name",
            "Clínica Grande",
            "--admin-email",
            "admin@grande.com.br",
        ],
        PASSWORD,
    )?
    .parse()?;
    let server = ServerProcess::start(&storage, &[], &[])?;
    let url = server.url.clone();

    println!(
        "bootstrap benchmark: {patients} patients (patient + chart + conversation) and a year of agenda"
    );
    let started = Instant::now();
    let admin_dir = tmp.path().join("admin");
    let (mut clinic, _) =
        arcada_tests::member_clinic(&admin_dir, &url, "admin@grande.com.br", PASSWORD, org);
    let size = DemoSize {
        professionals: 4,
        chairs: 4,
        patients,
        appointments: if only_patients { 0 } else { 52 * 400 },
        first_day: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?,
        seed: 5,
    };
    let report = demo::populate(&mut clinic, &size, |_, _| {})?;
    drop(clinic);
    let mut store = Store::open(&admin_dir.join("data").join(store::FILE_NAME))?;
    let ids: Vec<Uuid> = store::document_ids(store.conn())?
        .into_iter()
        .filter(|(_, c)| *c == DocClass::Patient)
        .map(|(id, _)| id)
        .collect();
    let by = Attribution {
        user: "bench".into(),
        device: "bench".into(),
        op: "bench".into(),
    };
    let tx = store.transaction()?;
    let charted: &[Uuid] = if only_patients { &[] } else { &ids };
    for (i, patient) in charted.iter().enumerate() {
        let chart_id = documents::chart_id(*patient);
        let mut chart = documents::genesis(chart_id, &ChartDoc::new(*patient))?;
        chart.set_actor(automerge::ActorId::random());
        let entry = OdontogramEntry {
            id: format!("e{i}"),
            region: "36".into(),
            surfaces: vec![],
            cervical: false,
            code: "restauracao".into(),
            tuss: None,
            status: EntryStatus::Realizado,
            professional_id: "p".into(),
            date: "2026-03-02".into(),
            note: "restauração classe I".into(),
            phase: None,
            fee_cents: None,
            appointment_id: None,
            created_at: "2026-03-02T10:00:00Z".into(),
            created_by: "bench".into(),
        };
        documents::commit_entry(&mut chart, "entries", &entry.id.clone(), &entry, &by, 1)?;
        tx.insert_new(chart_id, DocClass::Chart, &chart, 0)?;
        let (conversation, doc) = demo::conversation(
            org,
            "1065",
            &format!("55119{i:08}"),
            "Paciente",
            &[(
                &format!("wamid.{i}"),
                "Bom dia! Qual o valor da restauração? R$ 350,00?",
                1_767_000_000,
            )],
        )?;
        tx.insert_new(conversation, DocClass::Conversation, &doc, 0)?;
    }
    tx.commit()?;
    let docs = store::document_ids(store.conn())?.len();
    println!(
        "generated {docs} documents ({} appointments in {} agenda weeks) in {:.1} s",
        report.appointments,
        report.agenda_weeks,
        started.elapsed().as_secs_f64()
    );

    let pair = sync::login(&url, "admin@grande.com.br", PASSWORD, "upload")?;
    let remote = Remote::new(&url, &pair.access_token, org);
    let t = Instant::now();
    let pushed = remote.push(&mut store)?;
    let upload = t.elapsed().as_secs_f64();
    // An honest clinic's upload is accepted whole.
    if !pushed.refused.is_empty() || pushed.quarantined > 0 {
        let set_aside = store::quarantined(store.conn())?;
        anyhow::bail!(
            "the server refused part of the upload: {:?}; set aside: {:?}",
            pushed.refused,
            set_aside
                .iter()
                .take(5)
                .map(|q| format!("{} {}: {}", q.doc, q.code, q.reason))
                .collect::<Vec<_>>()
        );
    }
    println!(
        "upload: {} changes of {docs} documents in {upload:.1} s ({:.0} changes/s)",
        pushed.acknowledged,
        pushed.acknowledged as f64 / upload
    );

    let fresh_dir = tmp.path().join("fresh");
    std::fs::create_dir_all(&fresh_dir)?;
    let mut fresh = Store::open(&fresh_dir.join(store::FILE_NAME))?;
    let cpf = sync::local_cpf_index(&mut fresh)?;
    let pair = sync::login(&url, "admin@grande.com.br", PASSWORD, "fresh workstation")?;
    let remote = Remote::new(&url, &pair.access_token, org);
    let t = Instant::now();
    let pulled = remote.pull(&mut fresh, &cpf)?;
    let bootstrap = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(fresh_dir.join(store::FILE_NAME))?.len() as f64 / 1048576.0;
    println!(
        "bootstrap of a fresh workstation: {} documents, {} changes in {bootstrap:.1} s ({:.0} documents/s), store {size:.0} MiB",
        pulled.documents,
        pulled.changes,
        pulled.documents as f64 / bootstrap
    );
    // Parsed by scripts/bench-automerge-repo.
    println!(
        "arcada_bootstrap_seconds={bootstrap:.6} documents={}",
        pulled.documents
    );
    if let Some(dir) = std::env::var_os("ARCADA_BENCH_EXPORT_DIR") {
        export(&fresh, Path::new(&dir))?;
    }
    let hits = arcada_core::projection::search_patients(fresh.conn(), "maria", 5, &cpf)?;
    println!(
        "search on the fresh workstation right after: {} hits for \"maria\"",
        hits.len()
    );
    Ok(())
}

/// Writes every document of `store` to `<dir>/<uuid>.automerge`, as
/// `Automerge::save` bytes.
fn export(store: &Store, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    let ids = store::document_ids(store.conn())?;
    for (id, class) in &ids {
        let stored = store::load(store.conn(), *id)?
            .with_context(|| format!("document {id} listed but not loadable"))?;
        let path = dir.join(format!("{id}.automerge"));
        std::fs::write(&path, stored.doc.save())
            .with_context(|| format!("writing {}", path.display()))?;
        *by_class.entry(class.to_string()).or_default() += 1;
    }
    let classes: Vec<String> = by_class.iter().map(|(c, n)| format!("{n} {c}")).collect();
    println!(
        "exported {} documents ({}) to {}",
        ids.len(),
        classes.join(", "),
        dir.display()
    );
    Ok(())
}
