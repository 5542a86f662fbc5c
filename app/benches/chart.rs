//! Opening a chart with ten years of history (issue 6): 1,000 signed
//! evolution notes and 5,000 odontogram entries, each written as its own
//! change. Prints load, hydrate, view and whole-read times, and the chart
//! as of five years ago.
//!
//! `cargo bench -p arcada-core --bench chart`
//! (`ARCADA_BENCH_CHART_ENTRIES`, `ARCADA_BENCH_CHART_NOTES` to resize).

use std::time::{Duration, Instant};

use arcada_core::documents::{self, ChartDoc};
use arcada_core::patient::PatientForm;
use arcada_core::{chart, demo, store, Clinic};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let entries = env_usize("ARCADA_BENCH_CHART_ENTRIES", 5_000);
    let notes = env_usize("ARCADA_BENCH_CHART_NOTES", 1_000);
    let tmp = tempfile::tempdir()?;
    let mut clinic = Clinic::init(tmp.path(), "Clínica Dez Anos")?;
    clinic.add_professional("Dra. Ana", None)?;
    clinic.add_professional("Dr. Bruno", None)?;
    let patient = clinic
        .add_patient(&PatientForm {
            name: Some("Paciente de Longa Data".into()),
            ..PatientForm::default()
        })?
        .id;
    let (built, t) = time(|| demo::add_history_chart(&mut clinic, &patient, entries, notes, 10));
    built?;
    println!("# Chart with ten years of history: {entries} entries, {notes} signed notes");
    println!("built and stored in {:.1} s", t.as_secs_f64());
    let id = documents::chart_id(patient.parse()?);
    let conn = clinic.store().conn();
    let (mut load, mut hydrate, mut view) = (Vec::new(), Vec::new(), Vec::new());
    let dir = clinic.directory()?;
    let (catalogue, legend) = (chart::catalogue(&dir), chart::legend(&dir));
    let keys = dir.signing_keys.clone().unwrap_or_default();
    let pending = Default::default();
    let verifier = arcada_core::signing::Verifier {
        org: clinic.identity().org_id,
        keys: &keys,
        server_key: None,
        pending: &pending,
    };
    for _ in 0..10 {
        let (stored, t) = time(|| store::load(conn, id));
        let stored = stored?.ok_or_else(|| anyhow::anyhow!("chart missing"))?;
        load.push(t);
        let (doc, t) = time(|| autosurgeon::hydrate::<_, ChartDoc>(&stored.doc));
        let doc = doc?;
        hydrate.push(t);
        let (v, t) = time(|| chart::view(&doc, &catalogue, &legend, &verifier, None, Vec::new()));
        assert_eq!(v.entries.len(), entries);
        assert_eq!(v.notes.len(), notes);
        view.push(t);
    }
    let changes = store::load(conn, id)?
        .map(|s| s.doc.get_changes(&[]).len())
        .unwrap_or(0);
    println!("changes in the document: {changes}");
    println!("load (SQLite → Automerge): median {:.1} ms", median(load));
    println!(
        "hydrate (Automerge → ChartDoc): median {:.1} ms",
        median(hydrate)
    );
    println!(
        "view (entries as they stand, plan, notes): median {:.1} ms",
        median(view)
    );
    let mut cold = Vec::new();
    for _ in 0..5 {
        let mut fresh = Clinic::open(tmp.path())?;
        let (v, t) = time(|| fresh.chart(&patient, None));
        v?;
        cold.push(t);
    }
    println!(
        "Clinic::chart, first read (load, history days, hydrate, view, audit row): median {:.1} ms",
        median(cold)
    );
    let mut warm = Vec::new();
    for _ in 0..10 {
        let (v, t) = time(|| clinic.chart(&patient, None));
        v?;
        warm.push(t);
    }
    println!(
        "Clinic::chart again, the chart unchanged (after a sync event for another document): median {:.1} ms",
        median(warm)
    );
    let five_years_ago = (chrono::Local::now() - chrono::Duration::days(5 * 365))
        .date_naive()
        .to_string();
    let mut past = Vec::new();
    let mut shown = 0;
    for _ in 0..3 {
        let (v, t) = time(|| clinic.chart(&patient, Some(&five_years_ago)));
        shown = v?.entries.len();
        past.push(t);
    }
    println!(
        "Clinic::chart as of {five_years_ago} ({shown} entries then): median {:.1} ms",
        median(past)
    );
    Ok(())
}
