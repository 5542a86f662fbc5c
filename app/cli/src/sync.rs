//! `arcada login | unlock | logout | sync | conflicts`: the workstation as a
//! client of arcada-server.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use arcada_core::store::{self, Store};
use arcada_core::sync::engine::{self, Control, Engine, EngineConfig, SyncState};
use arcada_core::sync::session::SessionStore;
use arcada_core::sync::{self as client};
use arcada_core::workstation;
use arcada_core::Clinic;
use clap::{Args, Subcommand};
use uuid::Uuid;

use super::print_json;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The sync server, e.g. https://sync.arcada.com.br
    #[arg(long, env = "ARCADA_SERVER")]
    server: String,
    #[arg(long)]
    email: String,
    /// Organisation id, when the account belongs to several
    #[arg(long)]
    org: Option<Uuid>,
    /// How this workstation is listed among the user's devices [default: the host name]
    #[arg(long)]
    device_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Keep syncing: follow the server's live notifications and push local changes as they are made
    #[arg(long)]
    watch: bool,
    /// Ping the server after this many milliseconds of silence
    #[arg(long, default_value_t = 5_000, hide = true)]
    heartbeat_ms: u64,
    /// Silence longer than this many milliseconds means offline
    #[arg(long, default_value_t = 15_000, hide = true)]
    timeout_ms: u64,
    /// The longest wait between reconnection attempts, in milliseconds
    #[arg(long, default_value_t = 30_000, hide = true)]
    max_backoff_ms: u64,
    #[command(subcommand)]
    command: Option<SyncCmd>,
}

#[derive(Debug, Subcommand)]
pub enum SyncCmd {
    /// Where syncing stands: offline / connecting / syncing / up to date, pending changes, last sync, last error
    Status,
}

/// The password: the first line of standard input, or ARCADA_PASSWORD.
/// Never an argument, which other users could read in the process list.
fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("ARCADA_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password: give it on standard input or in ARCADA_PASSWORD");
    }
    Ok(password)
}

fn workstation_id(store: &Store) -> Result<Uuid> {
    store::meta(store.conn(), "device_id")?
        .and_then(|d| d.parse().ok())
        .context("the store has no workstation id")
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "arcada workstation".into())
}

pub fn login(dir: &Path, sessions: &SessionStore, json: bool, args: LoginArgs) -> Result<()> {
    let password = read_password()?;
    let device_name = args.device_name.unwrap_or_else(host_name);
    let done = workstation::log_in(
        dir,
        sessions,
        &workstation::LoginRequest {
            server: &args.server,
            email: &args.email,
            password: &password,
            org: args.org,
            device_name: &device_name,
        },
    )?;
    if json {
        print_json(&done)?;
    } else {
        outln!(
            "Logged in to {} ({}) as {} [{}]; run `arcada sync` to bring the clinic here",
            done.organization.name,
            done.server,
            args.email,
            done.organization.role
        );
    }
    Ok(())
}

pub fn unlock(dir: &Path, json: bool, email: &str) -> Result<()> {
    let password = read_password()?;
    let path = dir.join(store::FILE_NAME);
    if !path.is_file() {
        bail!("no clinic in {}", dir.display());
    }
    let mut store = Store::open(&path)?;
    let user = workstation::unlock(&mut store, email, &password)?;
    if json {
        print_json(&user)?;
    } else {
        outln!("Unlocked for {} [{}]", user.email, user.role);
    }
    Ok(())
}

pub fn logout(dir: &Path, sessions: &SessionStore) -> Result<()> {
    let store = Store::open(&dir.join(store::FILE_NAME))?;
    let ws = workstation_id(&store)?;
    if let Some(c) = sessions.load(ws)? {
        if let Err(e) = client::logout(&c.server, &c.access_token) {
            // The local session goes anyway; the server's expires on its own.
            tracing::warn!(%e, "the server could not be told of the logout");
        }
    }
    sessions.remove(ws)?;
    outln!("Logged out; this workstation keeps its data and can be unlocked offline");
    Ok(())
}

fn print_status(json: bool, status: &engine::SyncStatus) -> Result<()> {
    if json {
        return print_json(status);
    }
    let state = match status.state {
        SyncState::Offline => "offline",
        SyncState::Connecting => "connecting",
        SyncState::Syncing => "syncing",
        SyncState::UpToDate => "up to date",
    };
    let last = status
        .last_success
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| "never".into());
    outln!(
        "{state}{}; {} change(s) waiting for the server; last sync: {last}",
        if status.running {
            ""
        } else {
            " (not syncing now)"
        },
        status.pending
    );
    if let Some(e) = &status.last_error {
        outln!("last error: {e}");
    }
    if status.needs_login {
        outln!("log in again: arcada login --server URL --email E");
    }
    Ok(())
}

pub fn sync(dir: &Path, sessions: SessionStore, json: bool, args: SyncArgs) -> Result<()> {
    if let Some(SyncCmd::Status) = args.command {
        let path = dir.join(store::FILE_NAME);
        if !path.is_file() {
            bail!("no clinic in {}", dir.display());
        }
        let store = Store::open(&path)?;
        return print_status(json, &engine::status(&store)?);
    }
    let config = EngineConfig {
        heartbeat: Duration::from_millis(args.heartbeat_ms.max(100)),
        timeout: Duration::from_millis(args.timeout_ms.max(200)),
        max_backoff: Duration::from_millis(args.max_backoff_ms.max(100)),
        ..EngineConfig::default()
    };
    let mut engine = Engine::open(dir, sessions, config)?;
    if !args.watch {
        let round = engine.sync_once()?;
        if json {
            print_json(&round)?;
        } else {
            outln!(
                "Up to date: sent {} change(s), received {} change(s) of {} document(s)",
                round.pushed.acknowledged,
                round.pulled.changes,
                round.pulled.documents
            );
            for (doc, why) in &round.pushed.refused {
                outln!("refused by the server: {doc}: {why}");
            }
        }
        return Ok(());
    }
    let control = Arc::new(Control::default());
    let on_signal = control.clone();
    ctrlc_stop(move || on_signal.stop())?;
    // Status changes go to standard output as JSON lines in --json mode.
    engine.on_status(move |s| {
        if json {
            if let Ok(line) = serde_json::to_string(s) {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        } else {
            tracing::info!(state = ?s.state, pending = s.pending, error = ?s.last_error, "sync");
        }
    });
    engine.run(&control);
    Ok(())
}

/// Stops on SIGINT/SIGTERM: the engine finishes its round and records that
/// it stopped.
fn ctrlc_stop(f: impl Fn() + Send + 'static) -> Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])
    .context("cannot listen for signals")?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            f();
        }
    });
    Ok(())
}

pub fn conflicts(dir: &Path, json: bool) -> Result<()> {
    let clinic = Clinic::open(dir)?;
    let list = clinic.conflicts()?;
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        outln!("No conflicts");
    }
    for c in &list {
        let [a, b] = &c.appointments;
        outln!(
            "{}: {} {} double-booked: {} {}–{} ({}) and {} {}–{} ({})",
            c.day,
            c.resource,
            c.resource_id,
            a.id,
            a.start,
            a.end,
            a.patient_name.as_deref().unwrap_or(&a.patient_id),
            b.id,
            b.start,
            b.end,
            b.patient_name.as_deref().unwrap_or(&b.patient_id),
        );
    }
    Ok(())
}
