//! Load generator: N tenants × M devices against the real `arcada-server`
//! (release, embedded SQLite, loopback). Every device keeps a live session;
//! each round, one device per tenant pushes a change, and every other device
//! of that tenant is timed from the push until it has pulled the change.
//! Prints connected devices, propagation p50/p99 and the server's RSS.
//!
//! cargo build --release -p arcada-server && cargo bench -p arcada-tests --bench load
//! ARCADA_LOAD_TENANTS (100), ARCADA_LOAD_DEVICES (10 per tenant), ARCADA_LOAD_ROUNDS (10)

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use arcada_core::documents::{self, Attribution};
use arcada_core::protocol::{self, PullRequest, PushRequest, WireChange};
use arcada_core::sync::{self, Remote};
use arcada_tests::{admin, ServerProcess};
use uuid::Uuid;

const PASSWORD: &str = "load generator password";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
            })
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> Result<()> {
    let (tenants, devices, rounds) = (
        env("ARCADA_LOAD_TENANTS", 100),
        env("ARCADA_LOAD_DEVICES", 10),
        env("ARCADA_LOAD_ROUNDS", 10),
    );
    let tmp = tempfile::tempdir()?;
    let storage = vec![
        "--data".to_string(),
        tmp.path().join("server").display().to_string(),
    ];
    println!("load: {tenants} tenants × {devices} devices, {rounds} rounds");
    let t = Instant::now();
    let mut orgs = Vec::new();
    for i in 0..tenants {
        let email = format!("admin{i}@carga.com.br");
        let name = format!("Clínica {i}");
        orgs.push(
            admin(
                &storage,
                &["create-org", "--name", &name, "--admin-email", &email],
                PASSWORD,
            )?
            .parse::<Uuid>()?,
        );
    }
    let live_per_org = (devices + 1).to_string();
    let server =
        ServerProcess::start(&storage, &[], &[("ARCADA_MAX_LIVE_PER_ORG", &live_per_org)])?;
    let url = server.url.clone();
    let pid = server.pid();
    println!(
        "{tenants} organisations created in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Log every device in (one login pairs one device), a few at a time.
    let t = Instant::now();
    let mut tokens = vec![Vec::new(); tenants];
    let (tx, rx) = mpsc::channel();
    let work: Vec<(usize, usize)> = (0..tenants)
        .flat_map(|o| (0..devices).map(move |d| (o, d)))
        .collect();
    std::thread::scope(|scope| -> Result<()> {
        for chunk in work.chunks(work.len().div_ceil(8).max(1)) {
            let (tx, url) = (tx.clone(), url.clone());
            scope.spawn(move || {
                for &(o, d) in chunk {
                    let pair = sync::login(
                        &url,
                        &format!("admin{o}@carga.com.br"),
                        PASSWORD,
                        &format!("estação {d}"),
                    );
                    let _ = tx.send((o, pair.map(|p| p.access_token)));
                }
            });
        }
        drop(tx);
        for (o, token) in rx {
            tokens[o].push(token?);
        }
        Ok(())
    })?;
    println!(
        "{} devices logged in in {:.1} s; server RSS {:.0} MiB",
        tenants * devices,
        t.elapsed().as_secs_f64(),
        rss_mib(pid)
    );

    // Every device: a live session; on each "changes", pull until it has the
    // round's change and report when.
    let t = Instant::now();
    let (seen_tx, seen_rx) = mpsc::channel::<(usize, usize, Instant)>();
    let ready = Arc::new(Barrier::new(tenants * (devices - 1) + 1));
    let mut receivers = Vec::new();
    for (o, org_tokens) in tokens.iter().enumerate() {
        for token in org_tokens.iter().skip(1) {
            let (url, token, org, seen_tx, ready) = (
                url.clone(),
                token.clone(),
                orgs[o],
                seen_tx.clone(),
                ready.clone(),
            );
            receivers.push(std::thread::Builder::new().stack_size(256 * 1024).spawn(
                move || -> Result<()> {
                    use tungstenite::client::IntoClientRequest;
                    let mut request =
                        format!("{}/sync/v1/{org}/live", url.replacen("http://", "ws://", 1))
                            .into_client_request()?;
                    request
                        .headers_mut()
                        .insert("Authorization", format!("Bearer {token}").parse()?);
                    let (mut socket, _) = tungstenite::connect(request)?;
                    let remote = Remote::new(&url, &token, org);
                    let mut cursor = remote
                        .pull_raw(&PullRequest {
                            after: 0,
                            limit: 1000,
                        })?
                        .cursor;
                    ready.wait();
                    let mut round = 0;
                    while round < rounds {
                        match socket.read()? {
                            tungstenite::Message::Text(t) if t.as_str().contains("changes") => {
                                let page = remote.pull_raw(&PullRequest {
                                    after: cursor,
                                    limit: 1000,
                                })?;
                                cursor = page.cursor;
                                for _ in &page.changes {
                                    let _ = seen_tx.send((o, round, Instant::now()));
                                    round += 1;
                                }
                            }
                            tungstenite::Message::Close(_) => break,
                            _ => {}
                        }
                    }
                    Ok(())
                },
            )?);
        }
    }
    drop(seen_tx);
    ready.wait();
    println!(
        "{} live sessions open in {:.1} s; server RSS {:.0} MiB",
        receivers.len(),
        t.elapsed().as_secs_f64(),
        rss_mib(pid)
    );

    // Rounds: device 0 of every tenant pushes one small change.
    let by = Attribution {
        user: "load".into(),
        device: "load".into(),
        op: "load".into(),
    };
    let pushers: Vec<Remote> = (0..tenants)
        .map(|o| Remote::new(&url, &tokens[o][0], orgs[o]))
        .collect();
    let mut sent = vec![vec![None; rounds]; tenants];
    let mut latencies = Vec::new();
    let mut pending = 0;
    for round in 0..rounds {
        for (o, pusher) in pushers.iter().enumerate() {
            // A new patient, a small document every tenant admin writes.
            let id = Uuid::now_v7();
            let mut doc = automerge::Automerge::new();
            documents::commit(
                &mut doc,
                &documents::PatientDoc::new(
                    id,
                    &format!("Paciente da rodada {round}"),
                    "2026-11-23T10:00:00Z",
                    "load",
                ),
                &by,
                0,
            )?;
            let change = doc
                .get_changes(&[])
                .first()
                .map(|c| protocol::encode(c.raw_bytes()))
                .context("change")?;
            sent[o][round] = Some(Instant::now());
            let answer = pusher.push_raw(&PushRequest {
                changes: vec![WireChange {
                    doc: id,
                    bytes: change,
                }],
            })?;
            pending += devices - 1;
            if answer.documents.iter().any(|d| !d.accepted) {
                bail!("push refused: {:?}", answer.documents);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        while let Ok((o, r, at)) = seen_rx.try_recv() {
            if let Some(start) = sent[o].get(r).copied().flatten() {
                latencies.push(at.duration_since(start));
                pending -= 1;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while pending > 0 && Instant::now() < deadline {
        if let Ok((o, r, at)) = seen_rx.recv_timeout(Duration::from_millis(500)) {
            if let Some(start) = sent[o].get(r).copied().flatten() {
                latencies.push(at.duration_since(start));
                pending -= 1;
            }
        }
    }
    let rss = rss_mib(pid);
    latencies.sort();
    let pct = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "connected devices: {}; propagations measured: {} (missing {pending}); propagation p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; server RSS {rss:.0} MiB",
        receivers.len() + tenants,
        latencies.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    drop(server);
    Ok(())
}
