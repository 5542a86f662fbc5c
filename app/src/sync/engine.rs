//! The sync engine: keeps a workstation's store in step with the server.
//!
//! A round pushes the outbox and pulls after the cursor; in watch mode the
//! engine then holds the live channel open and runs a round whenever the
//! server announces changes or local changes wait, pings the server when
//! it has been quiet, and treats silence beyond a timeout as being offline.
//! Failures back off exponentially with jitter; a refused access token is
//! refreshed once; a revoked session or device stops retrying until
//! someone logs in again.
//!
//! The engine owns its own store connection, so the app keeps writing while
//! it syncs, and it records its status in the store, where `arcada sync
//! status` in another process reads it.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::live::{LiveConnection, LiveEvent};
use super::session::SessionStore;
use super::{BootstrapReport, PullReport, PushReport, Remote, SyncError};
use crate::documents::DocClass;
use crate::media;
use crate::projection::{self, CpfIndex};
use crate::protocol::LiveMessage;
use crate::roles::Role;
use crate::store::{self, Store};

/// Where the engine's status is kept in the store's `meta`.
const STATUS_KEY: &str = "sync/status";
/// A running engine rewrites its status at least this often.
const STATUS_HEARTBEAT: Duration = Duration::from_secs(10);
/// A status older than this was left by an engine that is not running.
const STATUS_STALE_MS: i64 = 30_000;
/// How often the engine looks for local changes while the line is quiet.
const OUTBOX_CHECK: Duration = Duration::from_secs(1);

/// Timing of the engine; the defaults suit a clinic's internet line.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// Ping the server after this much silence.
    pub heartbeat: Duration,
    /// Silence (or an unanswered request) longer than this means offline.
    pub timeout: Duration,
    /// The longest wait between reconnection attempts.
    pub max_backoff: Duration,
    /// How long one wait on the live channel lasts before the engine looks
    /// at its own work.
    pub poll: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            heartbeat: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_backoff: Duration::from_secs(30),
            poll: Duration::from_millis(25),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncState {
    /// The server cannot be reached, or the session needs a new login.
    Offline,
    Connecting,
    Syncing,
    UpToDate,
}

/// What the UI and `arcada sync status` show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub state: SyncState,
    /// Local changes the server has not acknowledged yet.
    pub pending: u64,
    /// Changes set aside instead of stopping sync (refused by the server,
    /// or not valid here): someone should look at them.
    #[serde(default)]
    pub quarantined: u64,
    /// When the last round finished with everything exchanged (ms since epoch).
    pub last_success: Option<i64>,
    pub last_error: Option<String>,
    /// The session ended (revoked, expired, removed): log in again.
    pub needs_login: bool,
    /// Whether an engine is running for this workstation now.
    pub running: bool,
    /// When the status was last written (ms since epoch).
    pub updated_at: i64,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            state: SyncState::Offline,
            pending: 0,
            quarantined: 0,
            last_success: None,
            last_error: None,
            needs_login: false,
            running: false,
            updated_at: 0,
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Reads the status a (possibly other) process's engine recorded.
pub fn status(store: &Store) -> Result<SyncStatus, SyncError> {
    let mut status: SyncStatus = store::meta(store.conn(), STATUS_KEY)?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    status.pending = store::outbox_len(store.conn())?;
    status.quarantined = store::quarantine_len(store.conn())?;
    if status.running && now_ms() - status.updated_at > STATUS_STALE_MS {
        // Its engine died without saying so.
        status.running = false;
    }
    if !status.running && status.state != SyncState::Offline {
        status.state = SyncState::Offline;
    }
    Ok(status)
}

/// Stops and wakes a running engine from another thread.
#[derive(Debug, Default)]
pub struct Control {
    stop: AtomicBool,
    woken: Mutex<bool>,
    bell: Condvar,
}

impl Control {
    /// Asks the engine to finish; it does within one poll interval.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Tells the engine local changes wait (it also finds them by itself).
    pub fn wake(&self) {
        let mut woken = self.woken.lock().unwrap_or_else(|p| p.into_inner());
        *woken = true;
        self.bell.notify_all();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn take_wake(&self) -> bool {
        std::mem::take(&mut *self.woken.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Sleeps up to `d`; returns early when woken or stopped.
    fn sleep(&self, d: Duration) {
        let woken = self.woken.lock().unwrap_or_else(|p| p.into_inner());
        let _ = self
            .bell
            .wait_timeout_while(woken, d, |w| !*w && !self.stopped());
    }
}

/// Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to the cap, each
/// wait drawn from its upper half so a clinic's workstations coming back
/// after an outage do not reconnect in step.
#[derive(Debug)]
struct Backoff {
    attempt: u32,
    cap: Duration,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let base = Duration::from_millis(500)
            .saturating_mul(1 << self.attempt.min(16))
            .min(self.cap);
        self.attempt += 1;
        let ms = base.as_millis() as u64;
        Duration::from_millis(rand::rng().random_range(ms / 2..=ms.max(1)))
    }

    fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// What one round exchanged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Round {
    pub pushed: PushReport,
    /// A fresh workstation's first round starts from snapshots.
    pub bootstrapped: Option<BootstrapReport>,
    pub pulled: PullReport,
}

/// How a live session ended without an error.
enum Exit {
    Stopped,
    /// The access token expired: refresh and reconnect at once.
    Reconnect,
}

type Observer = Box<dyn FnMut(&SyncStatus) + Send>;
type Listener = Box<dyn FnMut() + Send>;

/// The sync engine of one workstation.
pub struct Engine {
    store: Store,
    cpf: CpfIndex,
    workstation: Uuid,
    sessions: SessionStore,
    config: EngineConfig,
    status: SyncStatus,
    observer: Option<Observer>,
    /// Told when documents here changed through sync.
    on_received: Option<Listener>,
    backoff: Backoff,
    last_written: Instant,
    /// Media the server would not give (gone, or not ours to read): not
    /// asked for again while this engine runs.
    media_refused: std::collections::HashSet<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("workstation", &self.workstation)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// The engine of the clinic in `data_dir` (which must exist).
    pub fn open(
        data_dir: &Path,
        sessions: SessionStore,
        config: EngineConfig,
    ) -> Result<Engine, SyncError> {
        let path = data_dir.join(store::FILE_NAME);
        if !path.is_file() {
            return Err(SyncError::NoClinic(data_dir.to_path_buf()));
        }
        let mut store = Store::open(&path)?;
        let workstation = store::meta(store.conn(), "device_id")?
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| SyncError::NoClinic(data_dir.to_path_buf()))?;
        let cpf = super::local_cpf_index(&mut store)?;
        let status = status(&store)?;
        Ok(Engine {
            store,
            cpf,
            workstation,
            sessions,
            config,
            status,
            observer: None,
            on_received: None,
            backoff: Backoff {
                attempt: 0,
                cap: config.max_backoff,
            },
            last_written: Instant::now(),
            media_refused: std::collections::HashSet::new(),
        })
    }

    /// Calls `f` with every new status (the desktop turns it into events).
    pub fn on_status(&mut self, f: impl FnMut(&SyncStatus) + Send + 'static) {
        self.observer = Some(Box::new(f));
    }

    /// Calls `f` whenever documents in the store changed through sync
    /// (changes pulled, a bootstrap, classes dropped after a role change):
    /// the desktop refreshes what it shows.
    pub fn on_received(&mut self, f: impl FnMut() + Send + 'static) {
        self.on_received = Some(Box::new(f));
    }

    fn received(&mut self) {
        if let Some(f) = self.on_received.as_mut() {
            f();
        }
    }

    pub fn status(&self) -> &SyncStatus {
        &self.status
    }

    /// Tells the observer, without recording: for short-lived states.
    fn notify(&mut self) -> Result<(), SyncError> {
        self.status.pending = store::outbox_len(self.store.conn())?;
        if let Some(observer) = self.observer.as_mut() {
            observer(&self.status);
        }
        Ok(())
    }

    /// Records the status in the store (for other processes) and tells the
    /// observer.
    fn publish(&mut self) -> Result<(), SyncError> {
        self.status.pending = store::outbox_len(self.store.conn())?;
        self.status.updated_at = now_ms();
        let text =
            serde_json::to_string(&self.status).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let tx = self.store.transaction()?;
        tx.set_meta(STATUS_KEY, &text)?;
        tx.commit()?;
        self.last_written = Instant::now();
        if let Some(observer) = self.observer.as_mut() {
            observer(&self.status);
        }
        Ok(())
    }

    fn set_state(&mut self, state: SyncState) -> Result<(), SyncError> {
        if self.status.state != state || !self.status.running {
            self.status.state = state;
            self.publish()?;
        }
        Ok(())
    }

    /// Runs `f` against the server with a fresh token; a refused token is
    /// refreshed and the call made once more.
    fn authed<T>(
        &mut self,
        f: impl Fn(&Remote, &mut Store, &CpfIndex) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let (store, cpf) = (&mut self.store, &self.cpf);
        self.sessions
            .authed(self.workstation, self.config.timeout, |remote| {
                f(remote, store, cpf)
            })
    }

    /// One exchange: push everything queued, pull everything new.
    pub fn round(&mut self) -> Result<Round, SyncError> {
        let before = (self.status.state, self.status.last_error.clone());
        // A round on a live line takes milliseconds: "syncing" goes to the
        // observer (the desktop's indicator) but not to the store.
        self.status.state = SyncState::Syncing;
        self.notify()?;
        let pushed = self.authed(|remote, store, _| remote.push(store))?;
        // Before the pull, which brings the directory with the keys back.
        self.publish_signing_keys();
        let bootstrapped = self.authed(|remote, store, cpf| {
            if remote.needs_bootstrap(store)? {
                remote.bootstrap(store, cpf).map(Some)
            } else {
                Ok(None)
            }
        })?;
        let pulled = self.authed(|remote, store, cpf| remote.pull(store, cpf))?;
        crate::clinic::settle_site(&mut self.store).map_err(|e| match e {
            crate::clinic::Error::Store(e) => SyncError::Store(e),
            other => SyncError::Protocol(other.to_string()),
        })?;
        self.status.last_success = Some(now_ms());
        if pushed.quarantined + pulled.quarantined > 0 {
            self.status.quarantined = store::quarantine_len(self.store.conn())?;
        }
        self.status.last_error = if pushed.refused.is_empty() {
            None
        } else {
            Some(format!(
                "the server refused changes to {} document(s): {}",
                pushed.refused.len(),
                pushed
                    .refused
                    .iter()
                    .map(|(doc, why)| format!("{doc} ({why})"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        };
        self.status.needs_login = false;
        self.status.state = SyncState::UpToDate;
        // An empty round (the echo of our own push) changes nothing worth
        // an fsync; the status heartbeat records it soon enough.
        let quiet = pushed.sent == 0
            && pulled.changes == 0
            && bootstrapped.is_none()
            && before == (SyncState::UpToDate, self.status.last_error.clone())
            && self.last_written.elapsed() < STATUS_HEARTBEAT;
        if quiet {
            self.notify()?;
        } else {
            self.publish()?;
        }
        if pulled.changes > 0 || bootstrapped.is_some() {
            self.received();
        }
        self.fetch_media_ahead();
        Ok(Round {
            pushed,
            bootstrapped,
            pulled,
        })
    }

    /// Has the server attest the signing keys made here for the member
    /// logged in (crate::sync::keys). Never fails the round: a key not
    /// published now is published at the next one, and notes signed with
    /// it show as waiting for it meanwhile.
    fn publish_signing_keys(&mut self) {
        let user = match self.sessions.load(self.workstation) {
            Ok(Some(c)) => c.user,
            _ => return,
        };
        if let Err(e) =
            self.authed(|remote, store, _| remote.publish_signing_keys(store.conn(), user))
        {
            tracing::warn!(error = %e, "signing keys not published this round");
        }
    }

    /// Fetches the files recent conversations reference and this
    /// workstation does not keep yet (crate::media), a few per round, so
    /// the photos a patient sent show offline too. Never fails the round:
    /// the line dropping stops it until the next one.
    fn fetch_media_ahead(&mut self) {
        let since = chrono::Utc::now().timestamp() - media::AHEAD_DAYS * 86_400;
        let wanted = match media::wanted(
            self.store.conn(),
            since,
            media::AHEAD_MAX_BYTES,
            media::AHEAD_PER_ROUND + self.media_refused.len(),
        ) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "media to fetch not listed");
                return;
            }
        };
        let wanted: Vec<String> = wanted
            .into_iter()
            .filter(|s| !self.media_refused.contains(s))
            .take(media::AHEAD_PER_ROUND)
            .collect();
        for sha256 in wanted {
            match self.authed(|remote, _, _| remote.media(&sha256)) {
                Ok((mime, bytes)) => {
                    let now = chrono::Utc::now().timestamp();
                    if let Err(e) = media::keep(self.store.conn(), &sha256, &mime, &bytes, now) {
                        tracing::warn!(%sha256, error = %e, "media fetched ahead not kept");
                        self.media_refused.insert(sha256);
                    }
                }
                Err(SyncError::Refused { status, .. }) if status == 403 || status == 404 => {
                    tracing::debug!(%sha256, status, "media not given by the server");
                    self.media_refused.insert(sha256);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "fetching media ahead stopped until the next round");
                    return;
                }
            }
        }
    }

    /// Syncs until everything is exchanged once (the `arcada sync` command).
    pub fn sync_once(&mut self) -> Result<Round, SyncError> {
        self.status.running = true;
        let result = self.round();
        self.status.running = false;
        self.after(result)
    }

    /// The session's user was removed from the organisation: they can no
    /// longer unlock this workstation offline.
    fn forget_removed(&mut self, e: &SyncError) {
        if !matches!(e, SyncError::Removed) {
            return;
        }
        match self.sessions.load(self.workstation) {
            Ok(Some(creds)) => {
                if let Err(e) = crate::local_users::forget(&mut self.store, creds.user) {
                    tracing::error!(%e, "a removed user's verifier could not be deleted");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(%e, "no session to tell who was removed"),
        }
    }

    fn after<T>(&mut self, result: Result<T, SyncError>) -> Result<T, SyncError> {
        if let Err(e) = &result {
            self.forget_removed(e);
            self.status.state = SyncState::Offline;
            self.status.last_error = Some(e.to_string());
            self.status.needs_login = e.needs_login();
        }
        self.publish()?;
        result
    }

    /// Keeps the workstation in sync until `control` stops it.
    pub fn run(&mut self, control: &Control) {
        self.status.running = true;
        while !control.stopped() {
            let result = self.connected(control);
            match result {
                Ok(Exit::Stopped) => break,
                Ok(Exit::Reconnect) => continue,
                Err(SyncError::Store(e)) => {
                    // The local store failing is not a network problem:
                    // say so and stop rather than spin.
                    tracing::error!(%e, "sync engine stopped: local store error");
                    self.status.last_error = Some(e.to_string());
                    break;
                }
                Err(e) => {
                    self.forget_removed(&e);
                    let wait = if e.needs_login() {
                        self.config.max_backoff
                    } else {
                        self.backoff.next()
                    };
                    tracing::warn!(%e, ?wait, "sync: offline");
                    self.status.state = SyncState::Offline;
                    self.status.last_error = Some(e.to_string());
                    self.status.needs_login = e.needs_login();
                    if let Err(e) = self.publish() {
                        tracing::error!(%e, "sync engine stopped: cannot record its status");
                        break;
                    }
                    control.sleep(wait);
                    // A wake (local changes waiting) cuts one wait short;
                    // consumed here, it cannot turn an outage into a
                    // tight retry loop.
                    control.take_wake();
                }
            }
        }
        self.status.running = false;
        self.status.state = SyncState::Offline;
        if let Err(e) = self.publish() {
            tracing::warn!(%e, "cannot record the sync engine's stop");
        }
    }

    /// Connects, syncs, then follows the live channel until something ends it.
    fn connected(&mut self, control: &Control) -> Result<Exit, SyncError> {
        self.set_state(SyncState::Connecting)?;
        self.round()?;
        self.backoff.reset();
        let mut live = self.open_live()?;
        let mut last_heard = Instant::now();
        let mut last_ping = Instant::now();
        let mut last_outbox_check = Instant::now();
        loop {
            if control.stopped() {
                live.close();
                return Ok(Exit::Stopped);
            }
            match live.wait()? {
                LiveEvent::Message(message) => {
                    last_heard = Instant::now();
                    match message {
                        LiveMessage::Hello { role } => {
                            if let Some(role) = role {
                                if self.adopt_role(role)? {
                                    self.round()?;
                                }
                            }
                        }
                        LiveMessage::Changes => {
                            self.round()?;
                        }
                        LiveMessage::Role { role, .. } => {
                            self.adopt_role(role)?;
                            self.round()?;
                        }
                    }
                }
                LiveEvent::Alive => last_heard = Instant::now(),
                LiveEvent::Quiet => {}
                LiveEvent::Closed(code) => {
                    return match code {
                        Some(crate::protocol::CLOSE_EXPIRED) => Ok(Exit::Reconnect),
                        Some(crate::protocol::CLOSE_REVOKED) => Err(SyncError::SessionEnded),
                        Some(crate::protocol::CLOSE_REMOVED) => Err(SyncError::Removed),
                        _ => Err(SyncError::Transport(
                            "the server closed the live channel".into(),
                        )),
                    };
                }
            }
            let woken = control.take_wake();
            if woken || last_outbox_check.elapsed() >= OUTBOX_CHECK {
                last_outbox_check = Instant::now();
                // Changes the server refused stay queued (and reported);
                // only new ones are worth another round.
                if woken || store::outbox_len(self.store.conn())? > self.status.pending {
                    self.round()?;
                }
            }
            let quiet = last_heard.elapsed();
            if quiet >= self.config.timeout {
                live.close();
                return Err(SyncError::Transport(format!(
                    "no sign of the server for {} s",
                    quiet.as_secs()
                )));
            }
            if quiet >= self.config.heartbeat && last_ping.elapsed() >= self.config.heartbeat {
                live.ping()?;
                last_ping = Instant::now();
            }
            if self.last_written.elapsed() >= STATUS_HEARTBEAT {
                self.publish()?;
            }
        }
    }

    fn open_live(&mut self) -> Result<LiveConnection, SyncError> {
        let connect = |creds: &super::session::Credentials, config: &EngineConfig| {
            LiveConnection::connect(
                &creds.server,
                creds.org,
                &creds.access_token,
                config.timeout,
                config.poll,
            )
        };
        let creds = self.sessions.fresh(self.workstation, false)?;
        match connect(&creds, &self.config) {
            Err(SyncError::Refused { status: 401, .. }) => {
                let creds = self.sessions.fresh(self.workstation, true)?;
                connect(&creds, &self.config)
            }
            other => other,
        }
    }

    /// Follows a role the server reports: documents of classes the role may
    /// no longer read are deleted here; classes it may now read are pulled
    /// from the start. True if anything changed.
    pub fn adopt_role(&mut self, role: Role) -> Result<bool, SyncError> {
        let old: Option<Role> =
            store::meta(self.store.conn(), "role")?.and_then(|r| r.parse().ok());
        if old == Some(role) {
            return Ok(false);
        }
        let readable = |r: Option<Role>, c: DocClass| r.is_none_or(|r| r.can_read(c));
        let tx = self.store.transaction()?;
        let mut gained = false;
        for class in DocClass::ALL {
            let (before, after) = (readable(old, *class), role.can_read(*class));
            if before && !after {
                let dropped = tx.drop_class(*class)?;
                projection::clear_class(&tx, *class)?;
                if *class == DocClass::Conversation {
                    // Patients' photos go with the conversations.
                    media::forget_all(&tx)?;
                }
                tracing::warn!(class = class.as_str(), dropped, %role, "role lost a class: its documents were deleted here");
                tx.audit(
                    now_ms(),
                    &store::meta(&tx, "user_id")?.unwrap_or_default(),
                    &self.workstation.to_string(),
                    "sync.drop_class",
                    None,
                    Some(&format!("{} ({dropped} documents)", class.as_str())),
                )?;
            }
            gained |= !before && after;
        }
        if gained {
            for (key, _) in super::cursors(&tx)? {
                tx.set_meta(&key, "0")?;
            }
        }
        tx.set_meta("role", role.as_str())?;
        if let Some(creds) = self.sessions.load(self.workstation)? {
            crate::local_users::set_local_role(&tx, creds.user, role)?;
        }
        tx.commit()?;
        self.received();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn backoff_grows_with_jitter_up_to_its_cap() {
        let mut b = Backoff {
            attempt: 0,
            cap: Duration::from_secs(4),
        };
        let waits: Vec<Duration> = (0..8).map(|_| b.next()).collect();
        assert!(waits[0] >= Duration::from_millis(250) && waits[0] <= Duration::from_millis(500));
        assert!(waits[2] >= Duration::from_secs(1) && waits[2] <= Duration::from_secs(2));
        for w in &waits[4..] {
            assert!(
                *w >= Duration::from_secs(2) && *w <= Duration::from_secs(4),
                "{w:?}"
            );
        }
        b.reset();
        assert!(b.next() <= Duration::from_millis(500));
    }

    /// The desktop wakes the engine after every local change; with the
    /// server down, one wake buys one early retry, not a retry loop.
    #[test]
    fn a_wake_during_an_outage_does_not_spin() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        // A workstation of a server nobody answers on (port 9 refuses).
        let server = "http://127.0.0.1:9".to_string();
        let org = Uuid::now_v7();
        let store = crate::workstation::join(
            tmp.path(),
            &crate::workstation::Membership {
                server: server.clone(),
                org_id: org,
                org_name: "Clínica".into(),
            },
        )?;
        let ws: Uuid = store::meta(store.conn(), "device_id")?
            .ok_or("no workstation id")?
            .parse()?;
        drop(store);
        let sessions = SessionStore::new(tmp.path().join("config"));
        sessions.save(
            ws,
            &crate::sync::session::Credentials {
                server,
                org,
                user: Uuid::now_v7(),
                email: "ana@sorriso.com.br".into(),
                device: Uuid::now_v7(),
                access_token: "a".into(),
                access_expires_at: i64::MAX / 2,
                refresh_token: "r".into(),
            },
        )?;
        let mut engine = Engine::open(tmp.path(), sessions, EngineConfig::default())?;
        let offline = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = offline.clone();
        engine.on_status(move |s| {
            if s.state == SyncState::Offline {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
        let control = Arc::new(Control::default());
        control.wake();
        let running = control.clone();
        let thread = std::thread::spawn(move || engine.run(&running));
        std::thread::sleep(Duration::from_millis(1500));
        control.stop();
        thread.join().map_err(|_| "engine thread panicked")?;
        // Backoff 0.25–0.5 s, then 0.5–1 s: at most three attempts in 1.5 s
        // (a spinning engine makes hundreds), plus the final "stopped".
        let n = offline.load(Ordering::SeqCst);
        assert!((1..=5).contains(&n), "{n} offline reports in 1.5 s");
        Ok(())
    }
}
