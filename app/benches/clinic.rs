//! The clinic benchmark: builds a clinic of 100,000 patients and 200,000
//! appointments in a real SQLite file and prints import rate, search and
//! agenda latencies, chart hydration time and database size.
//!
//! `cargo bench -p arcada-core --bench clinic`
//! Sizes: `ARCADA_BENCH_PATIENTS`, `ARCADA_BENCH_APPOINTMENTS`. Figures go
//! into docs/BENCHMARKS.md; nothing here asserts a time.

use std::time::{Duration, Instant};

use arcada_core::agenda::Week;
use arcada_core::demo::{self, DemoSize};
use arcada_core::documents::{self, Attribution, ChartDoc, DocClass, OdontogramEntry};
use arcada_core::odontogram::{EntryStatus, Surface, Tooth};
use arcada_core::projection::AppointmentFilter;
use arcada_core::store;
use arcada_core::Clinic;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99), at(1.0))
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run us.
    let patients = env_usize("ARCADA_BENCH_PATIENTS", 100_000);
    let appointments = env_usize("ARCADA_BENCH_APPOINTMENTS", 200_000);
    let tmp = tempfile::tempdir()?;
    println!(
        "clinic benchmark: {patients} patients, {appointments} appointments, store in {}",
        tmp.path().display()
    );

    let mut clinic = Clinic::init(tmp.path(), "Clínica Benchmark")?;
    let first_day = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap_or_default();
    let size = DemoSize {
        professionals: 10,
        chairs: 10,
        patients,
        appointments,
        first_day,
        seed: 42,
    };
    let start = Instant::now();
    let mut patients_done_at = None;
    let mut last_report = Instant::now();
    let report = demo::populate(&mut clinic, &size, |phase, n| {
        if phase == "patients" && n == patients {
            patients_done_at = Some(start.elapsed());
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("  … {phase}: {n}");
            last_report = Instant::now();
        }
    })?;
    let total = start.elapsed();
    let patients_time = patients_done_at.unwrap_or(total);
    let agenda_time = total - patients_time;
    println!("\n## Import");
    println!(
        "patients:      {:>8} documents in {:>6.1} s = {:>7.0} patients/s",
        report.patients,
        patients_time.as_secs_f64(),
        report.patients as f64 / patients_time.as_secs_f64()
    );
    println!(
        "appointments:  {:>8} in {:>4} agenda documents in {:>6.1} s = {:>7.0} appointments/s",
        report.appointments,
        report.agenda_weeks,
        agenda_time.as_secs_f64(),
        report.appointments as f64 / agenda_time.as_secs_f64()
    );
    let docs = report.patients + report.agenda_weeks + 1;
    println!(
        "all documents: {:>8} in {:>6.1} s = {:>7.0} documents/s",
        docs,
        total.as_secs_f64(),
        docs as f64 / total.as_secs_f64()
    );

    // Query samples from real stored patients.
    let mut rng = StdRng::seed_from_u64(1);
    let conn = clinic.store().conn();
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM patients ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let sample: Vec<_> = (0..500)
        .map(|_| clinic.patient(&ids[rng.random_range(0..ids.len())]))
        .collect::<Result<_, _>>()?;
    let fold = arcada_core::text::fold;
    let queries: Vec<(&str, Vec<String>)> = vec![
        (
            "name fragment (3 letters)",
            sample
                .iter()
                .map(|p| fold(&p.name)[..3].to_string())
                .collect(),
        ),
        (
            "accent-less full name",
            sample.iter().map(|p| fold(&p.name)).collect(),
        ),
        (
            "first + last name",
            sample
                .iter()
                .map(|p| {
                    let words: Vec<&str> = p.name.split(' ').collect();
                    fold(&format!("{} {}", words[0], words[words.len() - 1]))
                })
                .collect(),
        ),
        (
            "phone suffix (4 digits)",
            sample
                .iter()
                .filter_map(|p| p.phones.keys().next().map(|n| n[n.len() - 4..].to_string()))
                .collect(),
        ),
        (
            "phone suffix (8 digits)",
            sample
                .iter()
                .filter_map(|p| p.phones.keys().next().map(|n| n[n.len() - 8..].to_string()))
                .collect(),
        ),
        ("CPF", sample.iter().filter_map(|p| p.cpf.clone()).collect()),
    ];
    println!(
        "\n## Patient search (limit 20, {} queries each)",
        sample.len()
    );
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>10}",
        "query", "p50 ms", "p99 ms", "max ms", "avg hits"
    );
    for (label, qs) in &queries {
        for q in qs.iter().take(50) {
            clinic.search_patients(q, 20)?; // warm the page cache
        }
        let mut times = Vec::new();
        let mut hits = 0;
        for q in qs {
            let (found, t) = time(|| clinic.search_patients(q, 20));
            hits += found?.len();
            times.push(t);
        }
        let (p50, p99, max) = percentiles(times);
        println!(
            "{label:<28} {p50:>9.3} {p99:>9.3} {max:>9.3} {:>10.1}",
            hits as f64 / qs.len() as f64
        );
    }

    println!("\n## Week agenda ({} weeks filled)", report.agenda_weeks);
    let directory = clinic.directory()?;
    let professionals: Vec<String> = directory.professionals.keys().cloned().collect();
    let mut all = Vec::new();
    let mut one = Vec::new();
    let mut rows_all = 0;
    for i in 0..500 {
        let week = Week::of(
            first_day
                + chrono::Duration::weeks(rng.random_range(0..report.agenda_weeks.max(1)) as i64),
        );
        let filter = AppointmentFilter {
            from: week.monday().to_string(),
            to: week.next().monday().to_string(),
            ..Default::default()
        };
        let (rows, t) = time(|| clinic.appointments(&filter));
        rows_all += rows?.len();
        all.push(t);
        let filter = AppointmentFilter {
            professional_id: Some(professionals[i % professionals.len()].clone()),
            ..filter
        };
        let (rows, t) = time(|| clinic.appointments(&filter));
        rows?;
        one.push(t);
    }
    let (p50, p99, max) = percentiles(all);
    println!("whole site, all chairs:   p50 {p50:.3} ms  p99 {p99:.3} ms  max {max:.3} ms  ({} rows/week)", rows_all / 500);
    let (p50, p99, max) = percentiles(one);
    println!("one professional:         p50 {p50:.3} ms  p99 {p99:.3} ms  max {max:.3} ms");

    // A chart with years of history: 1,000 odontogram entries written as
    // 1,000 separate changes, then opened and hydrated.
    let patient = Uuid::parse_str(&ids[0])?;
    let chart_id = documents::chart_id(patient);
    let entries = env_usize("ARCADA_BENCH_CHART_ENTRIES", 1_000);
    {
        let mut st = store::Store::open(&tmp.path().join(store::FILE_NAME))?;
        let by = Attribution {
            user: "bench".into(),
            device: "bench".into(),
            op: "chart.entry".into(),
        };
        let mut doc = documents::genesis(chart_id, &ChartDoc::new(patient))?;
        let tx = st.transaction()?;
        tx.insert_new(chart_id, DocClass::Chart, &doc, 0)?;
        doc.set_actor(automerge::ActorId::random());
        let teeth: Vec<Tooth> = Tooth::all().filter(|t| !t.is_deciduous()).collect();
        for i in 0..entries {
            let before = doc.get_heads();
            let tooth = teeth[i % teeth.len()];
            let entry = OdontogramEntry {
                id: Uuid::now_v7().to_string(),
                region: tooth.to_string(),
                surfaces: vec![Surface::Mesial, Surface::Distal],
                cervical: false,
                code: "restauracao".into(),
                tuss: Some("85100196".into()),
                status: if i % 3 == 0 {
                    EntryStatus::Realizado
                } else {
                    EntryStatus::Planejado
                },
                professional_id: "bench".into(),
                date: "2020-01-01".into(),
                note: format!("entrada {i}"),
                phase: None,
                fee_cents: None,
                appointment_id: None,
                created_at: "2020-01-01T00:00:00Z".into(),
                created_by: "bench".into(),
            };
            documents::commit_entry(
                &mut doc,
                "entries",
                &entry.id.clone(),
                &entry,
                &by,
                i as i64,
            )?;
            tx.save_changes(chart_id, &doc, &before, 0)?;
        }
        tx.commit()?;
    }
    let mut times = Vec::new();
    for _ in 0..30 {
        let (chart, t) = time(|| -> anyhow::Result<ChartDoc> {
            let stored = store::load(clinic.store().conn(), chart_id)?
                .ok_or_else(|| anyhow::anyhow!("chart missing"))?;
            Ok(autosurgeon::hydrate(&stored.doc)?)
        });
        assert_eq!(chart?.entries.len(), entries);
        times.push(t);
    }
    let (p50, p99, _) = percentiles(times);
    println!("\n## Chart\nopen + hydrate a chart of {entries} entries ({entries} changes): p50 {p50:.2} ms  p99 {p99:.2} ms");

    let (_, t) = time(|| clinic.reindex());
    println!(
        "\n## Reindex\nall {docs} documents: {:.1} s",
        t.as_secs_f64()
    );

    clinic
        .store()
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    let bytes = std::fs::metadata(tmp.path().join(store::FILE_NAME))?.len();
    println!("\n## Size\ndatabase: {:.1} MiB ({:.0} bytes per patient document incl. indexes and agenda)", bytes as f64 / 1048576.0, bytes as f64 / report.patients.max(1) as f64);
    Ok(())
}
