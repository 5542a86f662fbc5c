//! The workstation's session with the server: tokens kept outside the
//! clinic's data (a file readable only by its owner, one per workstation),
//! refreshed under a file lock so two processes of the same workstation
//! never present the same refresh token twice — the server would take that
//! as a stolen token and revoke the session.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::SyncError;
use crate::protocol::TokenPair;

/// Refresh this long before the access token expires.
const REFRESH_MARGIN_SECS: i64 = 60;

/// What a workstation keeps to talk to the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub org: Uuid,
    pub user: Uuid,
    pub email: String,
    /// The device the server paired at login.
    pub device: Uuid,
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    pub refresh_token: String,
}

impl Credentials {
    pub fn from_pair(server: &str, org: Uuid, user: Uuid, email: &str, pair: &TokenPair) -> Self {
        Credentials {
            server: server.trim_end_matches('/').to_string(),
            org,
            user,
            email: email.to_string(),
            device: pair.device_id,
            access_token: pair.access_token.clone(),
            access_expires_at: now() + pair.expires_in as i64,
            refresh_token: pair.refresh_token.clone(),
        }
    }

    fn renewed(&self, pair: &TokenPair) -> Self {
        Credentials {
            device: pair.device_id,
            access_token: pair.access_token.clone(),
            access_expires_at: now() + pair.expires_in as i64,
            refresh_token: pair.refresh_token.clone(),
            ..self.clone()
        }
    }

    /// Whether the access token is about to expire.
    pub fn expiring(&self) -> bool {
        now() + REFRESH_MARGIN_SECS >= self.access_expires_at
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The directory of session files: `ARCADA_CONFIG_DIR`, else the OS
/// configuration directory (`~/.config/arcada` on Linux).
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    pub fn new(dir: impl Into<PathBuf>) -> SessionStore {
        SessionStore { dir: dir.into() }
    }

    /// `ARCADA_CONFIG_DIR`, else the OS configuration directory.
    pub fn default_location() -> Result<SessionStore, SyncError> {
        if let Some(dir) = std::env::var_os("ARCADA_CONFIG_DIR") {
            return Ok(SessionStore::new(dir));
        }
        directories::ProjectDirs::from("br", "Arcada", "arcada")
            .map(|p| SessionStore::new(p.config_dir()))
            .ok_or_else(|| SyncError::Session("no home directory for the session files".into()))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, workstation: Uuid) -> PathBuf {
        self.dir
            .join("sessions")
            .join(format!("{workstation}.json"))
    }

    pub fn load(&self, workstation: Uuid) -> Result<Option<Credentials>, SyncError> {
        let path = self.path(workstation);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SyncError::Session(format!("{} is damaged: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Writes the session atomically, readable by its owner only.
    pub fn save(&self, workstation: Uuid, credentials: &Credentials) -> Result<(), SyncError> {
        let path = self.path(workstation);
        let dir = path
            .parent()
            .ok_or_else(|| SyncError::Session("session path has no directory".into()))?;
        create_private_dir(dir)?;
        let tmp = dir.join(format!(".{workstation}.json.tmp"));
        let bytes = serde_json::to_vec_pretty(credentials)
            .map_err(|e| SyncError::Session(e.to_string()))?;
        let mut file = private_file(&tmp)?;
        file.write_all(&bytes).map_err(|e| io_error(&tmp, e))?;
        file.sync_all().map_err(|e| io_error(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(dir, e))
    }

    pub fn remove(&self, workstation: Uuid) -> Result<(), SyncError> {
        let path = self.path(workstation);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(&path, e)),
            _ => Ok(()),
        }
    }

    /// The current session with an access token that is not about to
    /// expire, refreshing it first when needed. `force` refreshes even a
    /// fresh-looking token (the server has just refused it).
    pub fn fresh(&self, workstation: Uuid, force: bool) -> Result<Credentials, SyncError> {
        let current = self.load(workstation)?.ok_or(SyncError::NotLoggedIn)?;
        if !force && !current.expiring() {
            return Ok(current);
        }
        // One refresher at a time per workstation; whoever waited re-reads
        // the file, where the winner left a fresh token.
        let lock = self.lock(workstation)?;
        let reread = self.load(workstation)?.ok_or(SyncError::NotLoggedIn)?;
        if reread.access_token != current.access_token && !reread.expiring() {
            drop(lock);
            return Ok(reread);
        }
        let pair = match super::refresh(&reread.server, &reread.refresh_token) {
            Ok(pair) => pair,
            Err(SyncError::Refused { status: 401, .. }) => return Err(SyncError::SessionEnded),
            Err(e) => return Err(e),
        };
        let renewed = reread.renewed(&pair);
        self.save(workstation, &renewed)?;
        drop(lock);
        Ok(renewed)
    }

    /// Runs `f` against the server with a fresh token; a token the server
    /// refuses is refreshed and `f` runs once more.
    pub fn authed<T>(
        &self,
        workstation: Uuid,
        timeout: std::time::Duration,
        mut f: impl FnMut(&super::Remote) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let remote = |c: &Credentials| {
            super::Remote::new(&c.server, &c.access_token, c.org).with_timeout(timeout)
        };
        match f(&remote(&self.fresh(workstation, false)?)) {
            Err(SyncError::Refused { status: 401, .. }) => {
                f(&remote(&self.fresh(workstation, true)?))
            }
            other => other,
        }
    }

    fn lock(&self, workstation: Uuid) -> Result<File, SyncError> {
        let dir = self.dir.join("sessions");
        create_private_dir(&dir)?;
        let path = dir.join(format!(".{workstation}.lock"));
        let file = private_file_keep(&path)?;
        file.lock().map_err(|e| io_error(&path, e))?;
        Ok(file)
    }
}

fn io_error(path: &Path, e: std::io::Error) -> SyncError {
    SyncError::Session(format!("{}: {e}", path.display()))
}

fn create_private_dir(dir: &Path) -> Result<(), SyncError> {
    crate::owner_only::create_dir(dir).map_err(|e| io_error(dir, e))
}

fn options() -> OpenOptions {
    crate::owner_only::options()
}

fn private_file(path: &Path) -> Result<File, SyncError> {
    options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| io_error(path, e))
}

fn private_file_keep(path: &Path) -> Result<File, SyncError> {
    options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_private_and_survive_a_reload() -> Result<(), SyncError> {
        let tmp = tempfile::tempdir().map_err(|e| SyncError::Session(e.to_string()))?;
        let store = SessionStore::new(tmp.path());
        let ws = Uuid::now_v7();
        assert!(store.load(ws)?.is_none());
        let c = Credentials {
            server: "http://127.0.0.1:1".into(),
            org: Uuid::now_v7(),
            user: Uuid::now_v7(),
            email: "a@b.com".into(),
            device: Uuid::now_v7(),
            access_token: "a".into(),
            access_expires_at: now() + 900,
            refresh_token: "r".into(),
        };
        store.save(ws, &c)?;
        let back = store.load(ws)?.ok_or(SyncError::NotLoggedIn)?;
        assert_eq!(back.refresh_token, "r");
        assert!(!back.expiring());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path(ws))
                .map_err(|e| SyncError::Session(e.to_string()))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.remove(ws)?;
        assert!(store.load(ws)?.is_none());
        Ok(())
    }
}
