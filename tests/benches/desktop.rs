//! The desktop app with the demo clinic (as `scripts/run` makes it: the real
//! server on embedded SQLite, a workstation that logged in, filled the empty
//! clinic and synced): the time from launching the release binary to an
//! interactive patient list, and the resident memory of the app's processes
//! (the Tauri process and WebKit's web and network processes). Then the
//! time from opening the chart of a patient with ten years of history
//! (5,000 odontogram entries, 1,000 signed notes) to its rendered
//! odontogram.
//!
//! cargo build --release -p arcada-server -p arcada-core -p arcada-desktop \
//!   && cargo bench -p arcada-tests --bench desktop
//! Runs: ARCADA_BENCH_RUNS (default 5). Needs the end-to-end tools
//! (scripts/test installs them).

use std::time::Instant;

use anyhow::{Context, Result};
use arcada_tests::desktop::{App, Display, Tools};
use arcada_tests::workstation::Workstation;
use arcada_tests::ServerProcess;

const PASSWORD: &str = "correct horse battery";
const ADMIN: &str = "admin@sorriso.com.br";

/// Resident memory (KiB) of `pid` and all its descendants.
fn tree_rss_kib(pid: u32) -> u64 {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    rss + children
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .map(tree_rss_kib)
        .sum::<u64>()
}

/// The arcada-desktop process started for `data`.
fn desktop_pid(data: &std::path::Path) -> Option<u32> {
    let wanted = data.display().to_string();
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        (args.first()?.ends_with("arcada-desktop") && args.contains(&wanted)).then_some(pid)
    })
}

fn main() -> Result<()> {
    let tools = Tools::find().map_err(anyhow::Error::msg)?;
    let runs: usize = std::env::var("ARCADA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let tmp = tempfile::tempdir()?;
    let storage = vec![
        "--data".to_string(),
        tmp.path().join("server").display().to_string(),
    ];
    arcada_tests::admin(
        &storage,
        &[
            "create-org",
            "--name",
            "Clínica Sorriso",
            "--admin-email",
            ADMIN,
        ],
        PASSWORD,
    )?;
    let server = ServerProcess::start(&storage, &[], &[])?;
    let ws = Workstation::new(&tmp.path().join("ws"));
    ws.login(&server.url, ADMIN, PASSWORD)?;
    ws.ok(&["sync"])?;
    let demo = ws.json(&["demo", "--chart-entries", "5000", "--chart-notes", "1000"])?;
    ws.ok(&["sync"])?;
    println!(
        "demo clinic: {} patients, {} appointments, {} professionals",
        demo["patients"], demo["appointments"], demo["professionals"]
    );

    let display = Display::start(&tools)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut ready = Vec::new();
    let mut rss = Vec::new();
    for run in 0..runs {
        let (seconds, kib) = rt.block_on(async {
            let t = Instant::now();
            let app = App::launch(&tools, &display, "bench", &ws.data, &ws.config).await?;
            app.click("nav-patients").await?;
            app.find("patient-row").await?;
            let seconds = t.elapsed().as_secs_f64();
            // Settled: what a receptionist's machine holds with the list open.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let pid = desktop_pid(&ws.data).context("the arcada-desktop process")?;
            let kib = tree_rss_kib(pid);
            app.close().await?;
            // The data directory is free again once the app has exited.
            let deadline = Instant::now() + std::time::Duration::from_secs(10);
            while desktop_pid(&ws.data).is_some() && Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            anyhow::Ok((seconds, kib))
        })?;
        println!(
            "run {}: launch to an interactive patient list {seconds:.2} s; resident memory {:.0} MiB",
            run + 1,
            kib as f64 / 1024.0
        );
        ready.push(seconds);
        rss.push(kib);
    }
    ready.sort_by(f64::total_cmp);
    rss.sort_unstable();
    println!(
        "launch to an interactive patient list: median {:.2} s (min {:.2}, max {:.2}) over {runs} runs",
        ready[ready.len() / 2],
        ready[0],
        ready[ready.len() - 1]
    );
    println!(
        "resident memory (arcada-desktop + WebKit processes): median {:.0} MiB",
        rss[rss.len() / 2] as f64 / 1024.0
    );

    // The first patient in name order has the ten-year chart.
    let mut opened = Vec::new();
    for run in 0..runs {
        let seconds = rt.block_on(async {
            let app = App::launch(&tools, &display, "bench", &ws.data, &ws.config).await?;
            app.click("nav-patients").await?;
            app.click("patient-row").await?;
            app.find("open-chart").await?;
            let t = Instant::now();
            app.click("open-chart").await?;
            app.find_css("[data-testid=\"odontogram\"] [data-has-entries=\"true\"]")
                .await?;
            app.find_css("[data-testid=\"entries\"] [data-testid=\"entry-row\"]")
                .await?;
            let seconds = t.elapsed().as_secs_f64();
            app.close().await?;
            let deadline = Instant::now() + std::time::Duration::from_secs(10);
            while desktop_pid(&ws.data).is_some() && Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            anyhow::Ok(seconds)
        })?;
        println!(
            "run {}: open a ten-year chart to its rendered odontogram {seconds:.2} s",
            run + 1
        );
        opened.push(seconds);
    }
    opened.sort_by(f64::total_cmp);
    println!(
        "ten-year chart (5,000 entries, 1,000 notes) to a rendered odontogram: median {:.2} s (min {:.2}, max {:.2}) over {runs} runs",
        opened[opened.len() / 2],
        opened[0],
        opened[opened.len() - 1]
    );
    Ok(())
}
