//! The app's state: one clinic data directory, held by this process alone,
//! the clinic opened once someone is signed in, and the background sync.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use arcada_core::data_lock;
use arcada_core::documents::DocClass;
use arcada_core::roles;
use arcada_core::store::{self, Store};
use arcada_core::sync::engine::{Control, Engine, EngineConfig, SyncStatus};
use arcada_core::sync::session::SessionStore;
use arcada_core::workstation::{self, Access, LoginRequest, SignIn};
use arcada_core::Clinic;

use crate::error::CommandError;

/// Where the app sends what happens in the background (the Tauri app
/// handle in the app; a recorder in tests).
pub trait Events: Send + Sync + 'static {
    fn sync_status(&self, status: &SyncStatus);
    /// Documents changed through sync: the UI refreshes what it shows.
    fn data_changed(&self);
}

/// Another process holds this data directory.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("another Arcada window is already open on {0}")]
    InUse(PathBuf),
    #[error("cannot use data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The running sync engine's thread.
#[derive(Debug)]
struct SyncTask {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl SyncTask {
    fn stop(mut self) {
        self.control.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct Desktop {
    dir: PathBuf,
    sessions: SessionStore,
    events: Arc<dyn Events>,
    engine: EngineConfig,
    clinic: Mutex<Option<Clinic>>,
    sync: Mutex<Option<SyncTask>>,
    /// Held for the life of the app: one window per data directory.
    _lock: File,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A command that panicked leaves consistent data behind (the store is
    // transactional): carry on.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Desktop {
    /// Takes `dir` for this process (a second window on the same data is
    /// refused) and starts syncing if the workstation belongs to a server.
    pub fn open(
        dir: &Path,
        sessions: SessionStore,
        events: Arc<dyn Events>,
        engine: EngineConfig,
    ) -> Result<Desktop, OpenError> {
        let io = |source| OpenError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let lock_file = match data_lock::hold(dir, data_lock::Hold::App) {
            Ok(file) => file,
            Err(data_lock::LockError::InUse(dir)) => return Err(OpenError::InUse(dir)),
            Err(data_lock::LockError::Io { source, .. }) => return Err(io(source)),
        };
        let desktop = Desktop {
            dir: dir.to_path_buf(),
            sessions,
            events,
            engine,
            clinic: Mutex::new(None),
            sync: Mutex::new(None),
            _lock: lock_file,
        };
        if let Err(e) = desktop.start_sync() {
            tracing::warn!(error = %e, "sync not started");
        }
        Ok(desktop)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn sign_in(&self) -> Result<SignIn, CommandError> {
        Ok(workstation::sign_in(&self.dir)?)
    }

    /// Logs in to `server`, brings the clinic here (the first exchange runs
    /// before this returns, so the app opens on real data), then keeps
    /// syncing in the background.
    pub fn log_in(
        &self,
        server: &str,
        email: &str,
        password: &str,
        device_name: &str,
    ) -> Result<SignIn, CommandError> {
        self.stop_sync();
        *lock(&self.clinic) = None;
        let logged_in = workstation::log_in(
            &self.dir,
            &self.sessions,
            &LoginRequest {
                server,
                email,
                password,
                org: None,
                device_name,
            },
        );
        if let Err(e) = logged_in {
            // The previous session, if any, goes on syncing.
            let _ = self.start_sync();
            return Err(e.into());
        }
        {
            let mut engine = Engine::open(&self.dir, self.sessions.clone(), self.engine)?;
            if let Err(e) = engine.sync_once() {
                // Logged in but the first exchange failed: the background
                // engine keeps trying; the app opens once the clinic is here.
                tracing::warn!(error = %e, "first sync after login failed");
            }
        }
        self.start_sync()?;
        self.sign_in()
    }

    /// Signs in a user who logged in here before, without the server.
    pub fn unlock(&self, email: &str, password: &str) -> Result<SignIn, CommandError> {
        let path = self.dir.join(store::FILE_NAME);
        if !path.is_file() {
            return Err(CommandError::new(
                "unknown_user",
                "no clinic on this workstation yet: log in with the server",
            ));
        }
        let mut store = Store::open(&path)?;
        workstation::unlock(&mut store, email, password)?;
        *lock(&self.clinic) = None;
        self.sign_in()
    }

    pub fn lock(&self) -> Result<SignIn, CommandError> {
        *lock(&self.clinic) = None;
        let path = self.dir.join(store::FILE_NAME);
        if path.is_file() {
            workstation::lock(&mut Store::open(&path)?)?;
        }
        self.sign_in()
    }

    /// Refuses a signed-in user whose role gives less than `needed` on
    /// `class` (DOMAIN.md's roles matrix). A standalone clinic has no roles.
    pub fn require(&self, class: DocClass, needed: roles::Access) -> Result<(), CommandError> {
        let Some(user) = self.sign_in()?.user else {
            return Ok(());
        };
        if user.role.access(class) >= needed {
            return Ok(());
        }
        let what = if needed == roles::Access::Write {
            "change"
        } else {
            "see"
        };
        Err(CommandError::new(
            "forbidden",
            format!("the {} role may not {what} {class} documents", user.role),
        ))
    }

    /// Runs `f` on the clinic, opening it first; refused while locked.
    pub fn with_clinic<T>(
        &self,
        f: impl FnOnce(&mut Clinic) -> Result<T, arcada_core::clinic::Error>,
    ) -> Result<T, CommandError> {
        let mut guard = lock(&self.clinic);
        if guard.is_none() {
            if workstation::sign_in(&self.dir)?.state != Access::Ready {
                return Err(CommandError::locked());
            }
            *guard = Some(Clinic::open(&self.dir)?);
        }
        let Some(clinic) = guard.as_mut() else {
            return Err(CommandError::locked());
        };
        Ok(f(clinic)?)
    }

    /// Runs `f` on the clinic and, if it wrote, tells the sync engine.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Clinic) -> Result<T, arcada_core::clinic::Error>,
    ) -> Result<T, CommandError> {
        let out = self.with_clinic(f)?;
        self.wake_sync();
        Ok(out)
    }

    /// A media file of a WhatsApp conversation, fetched from the server
    /// (workstations keep only its reference): content type and bytes.
    /// A message's file: kept here if it was shown or fetched ahead
    /// before (so it shows offline), else fetched from the server, checked
    /// against its digest and kept.
    pub fn media(&self, reference: &str) -> Result<(String, Vec<u8>), CommandError> {
        if let Some(kept) = self.with_clinic(|c| c.kept_media(reference))? {
            return Ok(kept);
        }
        let sha256 = reference.strip_prefix("sha256:").unwrap_or(reference);
        let (mime, bytes) = self.online(|remote| remote.media(sha256))?;
        self.with_clinic(|c| c.keep_media(reference, &mime, &bytes))?;
        Ok((mime, bytes))
    }

    /// Runs `f` against the server as this workstation's user (for what
    /// only the server can do: its files, its integrations).
    pub fn online<T>(
        &self,
        f: impl FnMut(&arcada_core::sync::Remote) -> Result<T, arcada_core::sync::SyncError>,
    ) -> Result<T, CommandError> {
        let device = self.with_clinic(|c| Ok(c.identity().device_id))?;
        self.sessions
            .authed(device, self.engine.timeout, f)
            .map_err(CommandError::from_server)
    }

    pub fn sync_status(&self) -> Result<SyncStatus, CommandError> {
        let path = self.dir.join(store::FILE_NAME);
        if !path.is_file() {
            return Ok(SyncStatus::default());
        }
        Ok(arcada_core::sync::engine::status(&Store::open(&path)?)?)
    }

    pub fn wake_sync(&self) {
        if let Some(task) = lock(&self.sync).as_ref() {
            task.control.wake();
        }
    }

    /// Starts the background engine if this workstation syncs with a server
    /// and none runs yet.
    fn start_sync(&self) -> Result<(), CommandError> {
        let mut sync = lock(&self.sync);
        if sync.is_some() {
            return Ok(());
        }
        let path = self.dir.join(store::FILE_NAME);
        if !path.is_file() || workstation::membership(&Store::open(&path)?)?.is_none() {
            return Ok(());
        }
        let mut engine = Engine::open(&self.dir, self.sessions.clone(), self.engine)?;
        let events = self.events.clone();
        engine.on_status(move |s| events.sync_status(s));
        let events = self.events.clone();
        engine.on_received(move || events.data_changed());
        let control = Arc::new(Control::default());
        let running = control.clone();
        let thread = std::thread::Builder::new()
            .name("arcada-sync".into())
            .spawn(move || engine.run(&running))
            .map_err(|e| CommandError::new("internal", format!("cannot start syncing: {e}")))?;
        *sync = Some(SyncTask {
            control,
            thread: Some(thread),
        });
        Ok(())
    }

    fn stop_sync(&self) {
        let task = lock(&self.sync).take();
        if let Some(task) = task {
            task.stop();
        }
    }

    /// Stops syncing (the engine records that it stopped).
    pub fn shut_down(&self) {
        self.stop_sync();
    }
}
