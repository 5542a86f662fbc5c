//! Load generator: signed WhatsApp webhook deliveries against the real
//! `arcada-server` (release, loopback, durable storage: embedded SQLite with
//! synchronous=FULL, or PostgreSQL). Concurrent clients POST distinct
//! signed deliveries (one text message each) as fast as they are answered;
//! every 200 means the delivery is committed. Prints deliveries/s,
//! acknowledgement p50/p99/max, then how long the background processor
//! takes to apply them all.
//!
//! cargo build --release -p arcada-server && cargo bench -p arcada-tests --bench whatsapp
//! ARCADA_WA_DELIVERIES (20000), ARCADA_WA_CLIENTS (32),
//! ARCADA_WA_DATABASE_URL (PostgreSQL instead of SQLite; a database of its own, reached as a
//! role that is no superuser and does not bypass row-level security)

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use arcada_server::cloud_api::signature::Verifier;
use arcada_tests::{admin, ServerProcess};

const SECRET: &str = "load-generator-app-secret";
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const NUMBER: &str = "106540352242922";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn delivery(i: usize) -> Vec<u8> {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
            "contacts": [{"profile": {"name": "Paciente de carga"}, "wa_id": "5511912345678"}],
            "messages": [{"from": "5511912345678", "id": format!("wamid.load.{i}"),
                          "timestamp": "1751142000", "type": "text",
                          "text": {"body": format!("Olá, mensagem {i}: posso remarcar para às 15h?")}}]
        }}]}]
    })
    .to_string()
    .into_bytes()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let deliveries = env("ARCADA_WA_DELIVERIES", 20_000);
    let clients = env("ARCADA_WA_CLIENTS", 32).max(1);
    let tmp = tempfile::tempdir()?;
    let mut storage = vec![
        "--data".to_string(),
        tmp.path().join("server").display().to_string(),
        "--wa-token-key".to_string(),
        KEY.to_string(),
    ];
    let backend = match std::env::var("ARCADA_WA_DATABASE_URL") {
        Ok(url) => {
            storage.extend(["--database-url".to_string(), url]);
            "PostgreSQL"
        }
        Err(_) => "SQLite (synchronous=FULL)",
    };
    let org = admin(
        &storage,
        &[
            "create-org",
            "--name",
            "Clínica Carga",
            "--admin-email",
            "carga@carga.com.br",
        ],
        "load generator password",
    )?;
    admin(
        &storage,
        &[
            "wa-add-number",
            "--org",
            &org,
            "--phone-number-id",
            NUMBER,
            "--display-number",
            "+1 555 078 3881",
            "--waba-id",
            "102290129340398",
        ],
        "EAAG-load-token",
    )?;
    let server = ServerProcess::start(
        &storage,
        &[],
        &[
            ("ARCADA_WA_APP_SECRET", SECRET),
            ("ARCADA_WA_VERIFY_TOKEN", "load"),
        ],
    )?;
    let url = format!("{}/webhooks/whatsapp", server.url);
    println!("whatsapp ingest: {deliveries} signed deliveries, {clients} clients, {backend}");

    // Bodies and signatures ready before the clock starts.
    let verifier = Verifier::new(SECRET.as_bytes());
    let bodies: Vec<(Vec<u8>, String)> = (0..deliveries)
        .map(|i| {
            let body = delivery(i);
            let sig = verifier.sign(&body);
            (body, sig)
        })
        .collect();
    let bodies = Arc::new(bodies);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for c in 0..clients {
        let (bodies, barrier, url) = (bodies.clone(), barrier.clone(), url.clone());
        handles.push(std::thread::spawn(move || -> Result<Vec<Duration>> {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut latencies = Vec::new();
            barrier.wait();
            for (body, sig) in bodies.iter().skip(c).step_by(clients) {
                let t = Instant::now();
                let resp = agent
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", sig)
                    .send(&body[..])
                    .context("POST")?;
                latencies.push(t.elapsed());
                if resp.status() != 200 {
                    bail!("delivery answered {}", resp.status());
                }
            }
            Ok(latencies)
        }));
    }
    barrier.wait();
    let t = Instant::now();
    let mut latencies = Vec::with_capacity(deliveries);
    for h in handles {
        latencies.extend(h.join().map_err(|_| anyhow::anyhow!("client panicked"))??);
    }
    let elapsed = t.elapsed();
    latencies.sort();
    println!(
        "acknowledged: {} deliveries in {:.2} s = {:.0} deliveries/s; ack p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );

    // The processor and the conversation writer run concurrently; wait
    // until each has done them all.
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let until = |counter: &str, what: &str| -> Result<Duration> {
        loop {
            let metrics = agent
                .get(format!("{}/metrics", server.url))
                .call()?
                .into_body()
                .read_to_string()?;
            let done = metrics
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{counter} ")))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if done >= deliveries {
                return Ok(t.elapsed());
            }
            if t.elapsed() > Duration::from_secs(600) {
                bail!("only {done} of {deliveries} messages {what} after 600 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    for (counter, what) in [
        (
            "arcada_wa_messages_stored_total",
            "applied (stored as messages)",
        ),
        (
            "arcada_wa_messages_written_total",
            "written into the conversation document",
        ),
    ] {
        let total = until(counter, what)?;
        println!(
            "{what}: all {deliveries} {:.2} s after the first POST ({:.0} messages/s end to end)",
            total.as_secs_f64(),
            deliveries as f64 / total.as_secs_f64()
        );
    }
    drop(server);
    Ok(())
}
