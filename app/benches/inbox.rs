//! The WhatsApp inbox of a busy clinic on one workstation: 2,000
//! conversations of 10 messages each. Prints how long the list takes (the
//! desktop reads it after every sync event), opening a thread, queueing a
//! reply and marking a conversation read.
//!
//! `cargo bench -p arcada-core --bench inbox`
//! (`ARCADA_BENCH_CONVERSATIONS`, `ARCADA_BENCH_MESSAGES` to resize).

use std::time::{Duration, Instant};

use arcada_core::{demo, Clinic};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn timed<T>(runs: usize, mut f: impl FnMut(usize) -> anyhow::Result<T>) -> anyhow::Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let start = Instant::now();
        f(i)?;
        times.push(start.elapsed());
    }
    Ok(median(times))
}

fn main() -> anyhow::Result<()> {
    let conversations = env_usize("ARCADA_BENCH_CONVERSATIONS", 2_000);
    let per = env_usize("ARCADA_BENCH_MESSAGES", 10);
    let tmp = tempfile::tempdir()?;
    let mut clinic = Clinic::init(tmp.path(), "Clínica Movimentada")?;
    let now = chrono::Utc::now().timestamp();
    let start = Instant::now();
    let mut ids = Vec::with_capacity(conversations);
    for c in 0..conversations {
        let wa_id = format!("55119{:08}", 10_000_000 + c);
        let texts: Vec<(String, String, i64)> = (0..per)
            .map(|m| {
                (
                    format!("wamid.{c}.{m}"),
                    format!("Mensagem {m} da conversa {c}"),
                    // spread over the last 17 hours: every window still open
                    now - ((c % 1_000) * 60 + (per - m)) as i64,
                )
            })
            .collect();
        let messages: Vec<demo::Inbound<'_>> = texts
            .iter()
            .map(|(w, t, at)| (w.as_str(), t.as_str(), *at))
            .collect();
        ids.push(demo::add_conversation(
            &mut clinic,
            "106540352242922",
            &wa_id,
            &format!("Contato {c}"),
            &messages,
        )?);
    }
    println!("# WhatsApp inbox: {conversations} conversations × {per} messages");
    println!(
        "stored and projected in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let list = timed(10, |_| Ok(clinic.inbox()?.len()))?;
    println!("inbox list (all rows, sorted, with suggestions): median {list:.1} ms");
    let open = timed(20, |i| {
        Ok(clinic.conversation(&ids[i * 97 % ids.len()].to_string())?)
    })?;
    println!("open a thread: median {open:.2} ms");
    let reply = timed(20, |i| {
        Ok(clinic.inbox_reply(&ids[i * 89 % ids.len()].to_string(), "Olá! Podemos ajudar?")?)
    })?;
    println!("queue a reply (one store transaction, projection included): median {reply:.2} ms");
    let read = timed(20, |i| {
        Ok(clinic.inbox_mark_read(&ids[i * 83 % ids.len()].to_string())?)
    })?;
    println!("mark read: median {read:.2} ms");
    Ok(())
}
