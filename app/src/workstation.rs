//! The workstation as a member of a server's organisation: which server and
//! organisation its store belongs to, and the people who have logged in on
//! it. A user who logged in here once can unlock it again without the
//! server (a local Argon2id verifier of their password), so the front desk
//! keeps working — attributed to the right person — through an outage.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::documents;
use crate::local_users;
use crate::password;
use crate::roles::Role;
use crate::store::{self, Store, StoreError};
use crate::sync::session::{Credentials, SessionStore};
use crate::sync::SyncError;

#[derive(Debug, thiserror::Error)]
pub enum WorkstationError {
    #[error(
        "{dir} holds the clinic {org_name:?}, which is not {wanted:?} on {server}: use another data directory"
    )]
    OtherClinic {
        dir: PathBuf,
        org_name: String,
        wanted: String,
        server: String,
    },
    #[error("{0} has never logged in on this workstation: log in with the server once")]
    UnknownUser(String),
    #[error("wrong password")]
    WrongPassword,
    #[error("cannot use data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("invalid server address {0:?}: expected http://… or https://…")]
    ServerAddress(String),
    #[error("{email} is not a member of organisation {org}")]
    NotMember { email: String, org: Uuid },
    #[error("{0} is not a member of any organisation")]
    NoOrganization(String),
    #[error("{email} belongs to several organisations; choose one: {choices}")]
    ChooseOrganization { email: String, choices: String },
}

/// What a login asks for.
#[derive(Debug, Clone)]
pub struct LoginRequest<'a> {
    pub server: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    /// The organisation, when the account belongs to several.
    pub org: Option<Uuid>,
    /// How the workstation is listed among the user's devices.
    pub device_name: &'a str,
}

/// What a login did.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedIn {
    pub server: String,
    pub organization: crate::protocol::Membership,
    pub user_id: Uuid,
    /// The device the server paired.
    pub device_id: Uuid,
    /// This workstation (its store's id).
    pub workstation: Uuid,
}

/// Logs in to a server and makes `dir` a workstation of the chosen
/// organisation: the store is created or checked, the session saved
/// outside it, the user remembered for offline unlock and made current.
/// A previous session of this workstation ends on the server.
pub fn log_in(
    dir: &Path,
    sessions: &SessionStore,
    request: &LoginRequest<'_>,
) -> Result<LoggedIn, WorkstationError> {
    let server = request.server.trim().trim_end_matches('/').to_string();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(WorkstationError::ServerAddress(server));
    }
    let pair = crate::sync::login_with(
        &server,
        &crate::protocol::LoginRequest {
            email: request.email.into(),
            password: request.password.into(),
            device_name: request.device_name.into(),
            device_id: paired_device(dir, sessions, &server),
        },
    )?;
    let email = request.email.trim().to_lowercase();
    let org = match (request.org, pair.organizations.as_slice()) {
        (Some(id), orgs) => {
            orgs.iter()
                .find(|o| o.id == id)
                .ok_or(WorkstationError::NotMember {
                    email: email.clone(),
                    org: id,
                })?
        }
        (None, [only]) => only,
        (None, []) => return Err(WorkstationError::NoOrganization(email)),
        (None, orgs) => {
            return Err(WorkstationError::ChooseOrganization {
                email,
                choices: orgs
                    .iter()
                    .map(|o| format!("{} ({})", o.id, o.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
    .clone();
    let mut store = join(
        dir,
        &Membership {
            server: server.clone(),
            org_id: org.id,
            org_name: org.name.clone(),
        },
    )?;
    let workstation: Uuid = store::meta(store.conn(), "device_id")?
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| StoreError::Corrupt {
            id: "device_id".into(),
            reason: "a workstation without its id".into(),
        })?;
    if let Some(old) = sessions.load(workstation)? {
        if let Err(e) = crate::sync::logout(&old.server, &old.access_token) {
            tracing::info!(%e, "the previous session could not be ended on the server");
        }
    }
    sessions.save(
        workstation,
        &Credentials::from_pair(&server, org.id, pair.user_id, &email, &pair),
    )?;
    remember(&mut store, pair.user_id, &email, org.role, request.password)?;
    let tx = store.transaction()?;
    tx.set_meta("role", org.role.as_str())?;
    tx.commit()?;
    Ok(LoggedIn {
        server,
        organization: org,
        user_id: pair.user_id,
        device_id: pair.device_id,
        workstation,
    })
}

/// The device this workstation was paired as on `server`, from its last
/// session, if it has one: logging in again keeps it.
fn paired_device(dir: &Path, sessions: &SessionStore, server: &str) -> Option<Uuid> {
    let path = dir.join(store::FILE_NAME);
    if !path.is_file() {
        return None;
    }
    let store = Store::open(&path).ok()?;
    let workstation: Uuid = store::meta(store.conn(), "device_id")
        .ok()
        .flatten()?
        .parse()
        .ok()?;
    sessions
        .load(workstation)
        .ok()
        .flatten()
        .filter(|c| c.server == server)
        .map(|c| c.device)
}

impl From<rusqlite::Error> for WorkstationError {
    fn from(e: rusqlite::Error) -> Self {
        WorkstationError::Store(StoreError::Sqlite(e))
    }
}

/// A person who has logged in on this workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "KnownUser"))]
pub struct LocalUser {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    /// ms since epoch
    pub last_login: i64,
}

/// The server and organisation a store syncs with, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub server: String,
    pub org_id: Uuid,
    pub org_name: String,
}

/// The server membership recorded in `store`; `None` for a standalone clinic.
pub fn membership(store: &Store) -> Result<Option<Membership>, StoreError> {
    let Some(server) = store::meta(store.conn(), "server")? else {
        return Ok(None);
    };
    let org_id = store::meta(store.conn(), "org_id")?
        .and_then(|o| o.parse().ok())
        .ok_or_else(|| StoreError::Corrupt {
            id: "org_id".into(),
            reason: "a synced store without its organisation".into(),
        })?;
    let org_name = store::meta(store.conn(), "org_name")?.unwrap_or_default();
    Ok(Some(Membership {
        server,
        org_id,
        org_name,
    }))
}

/// Opens (creating if needed) the store in `dir` as a workstation of
/// `wanted`: a new store gets a fresh workstation id and the
/// organisation's identity; its directory and everything else arrive with
/// the first sync. A store of another clinic is refused, never mixed.
pub fn join(dir: &Path, wanted: &Membership) -> Result<Store, WorkstationError> {
    std::fs::create_dir_all(dir).map_err(|source| WorkstationError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut store = Store::open(&dir.join(store::FILE_NAME))?;
    let current_org: Option<Uuid> =
        store::meta(store.conn(), "org_id")?.and_then(|o| o.parse().ok());
    match (current_org, membership(&store)?) {
        (None, _) => {
            let tx = store.transaction()?;
            for (key, value) in [
                ("org_id", wanted.org_id.to_string()),
                ("org_name", wanted.org_name.clone()),
                (
                    "directory_id",
                    documents::directory_id(wanted.org_id).to_string(),
                ),
                ("device_id", Uuid::now_v7().to_string()),
                ("server", wanted.server.clone()),
            ] {
                tx.set_meta(key, &value)?;
            }
            tx.commit()?;
        }
        (Some(_), Some(m)) if m.org_id == wanted.org_id && m.server == wanted.server => {}
        (Some(_), m) => {
            return Err(WorkstationError::OtherClinic {
                dir: dir.to_path_buf(),
                org_name: store::meta(store.conn(), "org_name")?.unwrap_or_default(),
                wanted: wanted.org_name.clone(),
                server: m.map(|m| m.server).unwrap_or(wanted.server.clone()),
            })
        }
    }
    Ok(store)
}

/// Records a successful login: the user's verifier for offline unlock,
/// and makes them the workstation's current user.
pub fn remember(
    store: &mut Store,
    user_id: Uuid,
    email: &str,
    role: Role,
    password: &str,
) -> Result<(), WorkstationError> {
    let verifier = password::hash(password)?;
    let now = chrono::Utc::now().timestamp_millis();
    let tx = store.transaction()?;
    tx.execute(
        "DELETE FROM local_users WHERE email = ?1 AND user_id <> ?2",
        params![email.to_lowercase(), user_id.to_string()],
    )?;
    tx.execute(
        "INSERT INTO local_users (user_id, email, role, verifier, last_login) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, role = excluded.role,
             verifier = excluded.verifier, last_login = excluded.last_login",
        params![user_id.to_string(), email.to_lowercase(), role.as_str(), verifier, now],
    )?;
    tx.set_meta("user_id", &user_id.to_string())?;
    tx.set_meta(local_users::LOCKED, "0")?;
    tx.commit()?;
    Ok(())
}

/// Makes a user who logged in here before the current user, checking their
/// password against the local verifier: no server needed.
pub fn unlock(
    store: &mut Store,
    email: &str,
    password: &str,
) -> Result<LocalUser, WorkstationError> {
    let email = email.trim().to_lowercase();
    let row: Option<(String, String, String, i64)> = store
        .conn()
        .query_row(
            "SELECT user_id, role, verifier, last_login FROM local_users WHERE email = ?1",
            [&email],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((user_id, role, verifier, last_login)) = row else {
        // The same work as a real check: timing does not tell who is known.
        let _ = password::verify(
            password,
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA",
        );
        return Err(WorkstationError::UnknownUser(email));
    };
    if !password::verify(password, &verifier) {
        return Err(WorkstationError::WrongPassword);
    }
    let corrupt = |reason: String| StoreError::Corrupt {
        id: "local_users".into(),
        reason,
    };
    let user = LocalUser {
        user_id: user_id
            .parse()
            .map_err(|e: uuid::Error| corrupt(e.to_string()))?,
        email,
        role: role
            .parse()
            .map_err(|e: crate::UnknownValue| corrupt(e.to_string()))?,
        last_login,
    };
    let tx = store.transaction()?;
    tx.set_meta("user_id", &user.user_id.to_string())?;
    tx.set_meta(local_users::LOCKED, "0")?;
    tx.audit(
        chrono::Utc::now().timestamp_millis(),
        &user.user_id.to_string(),
        &store::meta(&tx, "device_id")?.unwrap_or_default(),
        "workstation.unlock",
        None,
        None,
    )?;
    tx.commit()?;
    Ok(user)
}

/// Everyone who has logged in here, most recent first.
pub fn local_users(store: &Store) -> Result<Vec<LocalUser>, WorkstationError> {
    let mut stmt = store.conn().prepare(
        "SELECT user_id, email, role, last_login FROM local_users ORDER BY last_login DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut users = Vec::new();
    for row in rows {
        let (id, email, role, last_login) = row?;
        if let (Ok(user_id), Ok(role)) = (id.parse(), role.parse()) {
            users.push(LocalUser {
                user_id,
                email,
                role,
                last_login,
            });
        }
    }
    Ok(users)
}

/// The current user's id, if someone has logged in or unlocked.
pub fn current_user(store: &Store) -> Result<Option<Uuid>, StoreError> {
    Ok(store::meta(store.conn(), "user_id")?.and_then(|u| u.parse().ok()))
}

/// Locks the workstation: nobody works on it until someone logs in or
/// unlocks. Syncing goes on; the data stays.
pub fn lock(store: &mut Store) -> Result<(), WorkstationError> {
    let tx = store.transaction()?;
    tx.set_meta(local_users::LOCKED, "1")?;
    tx.audit(
        chrono::Utc::now().timestamp_millis(),
        &store::meta(&tx, "user_id")?.unwrap_or_default(),
        &store::meta(&tx, "device_id")?.unwrap_or_default(),
        "workstation.lock",
        None,
        None,
    )?;
    tx.commit()?;
    Ok(())
}

/// Whether anyone may work on this workstation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SessionAccess"))]
pub enum Access {
    /// No clinic here yet: log in to a server first.
    New,
    /// A clinic is here, nobody is signed in: log in, or unlock offline.
    Locked,
    /// Someone is signed in.
    Ready,
}

/// Who works on this workstation, for the sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SessionState"))]
pub struct SignIn {
    pub state: Access,
    /// The server this workstation syncs with; none for a standalone clinic.
    pub server: Option<String>,
    pub org_name: Option<String>,
    /// The signed-in user, when `state` is `ready` and they logged in from
    /// this workstation (a standalone clinic's user has no account).
    pub user: Option<LocalUser>,
    /// Who may unlock offline, most recent first.
    pub known_users: Vec<LocalUser>,
}

/// The sign-in state of the clinic in `dir`.
pub fn sign_in(dir: &Path) -> Result<SignIn, WorkstationError> {
    let path = dir.join(store::FILE_NAME);
    if !path.is_file() {
        return Ok(SignIn {
            state: Access::New,
            server: None,
            org_name: None,
            user: None,
            known_users: Vec::new(),
        });
    }
    let store = Store::open(&path)?;
    let known_users = local_users(&store)?;
    let current = current_user(&store)?;
    let locked = store::meta(store.conn(), local_users::LOCKED)?.as_deref() == Some("1");
    let state = match (current, locked) {
        (None, _) if store::meta(store.conn(), "org_id")?.is_none() => Access::New,
        (None, _) | (_, true) => Access::Locked,
        (Some(_), false) => Access::Ready,
    };
    let user = match state {
        Access::Ready => known_users
            .iter()
            .find(|u| Some(u.user_id) == current)
            .cloned(),
        _ => None,
    };
    Ok(SignIn {
        state,
        server: store::meta(store.conn(), "server")?,
        org_name: store::meta(store.conn(), "org_name")?,
        user,
        known_users,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn membership(org: Uuid) -> Membership {
        Membership {
            server: "http://127.0.0.1:9".into(),
            org_id: org,
            org_name: "Clínica Sorriso".into(),
        }
    }

    #[test]
    fn a_known_user_unlocks_offline_and_a_stranger_does_not() -> Result<(), WorkstationError> {
        let tmp = tempfile::tempdir().map_err(|source| WorkstationError::Io {
            path: PathBuf::new(),
            source,
        })?;
        assert_eq!(sign_in(tmp.path())?.state, Access::New);
        let org = Uuid::now_v7();
        let mut store = join(tmp.path(), &membership(org))?;
        let (ana, bia) = (Uuid::now_v7(), Uuid::now_v7());
        remember(
            &mut store,
            ana,
            "Ana@Sorriso.com.br",
            Role::Recepcao,
            "senha da ana",
        )?;
        remember(
            &mut store,
            bia,
            "bia@sorriso.com.br",
            Role::Clinico,
            "senha da bia",
        )?;
        assert_eq!(current_user(&store)?, Some(bia));

        let user = unlock(&mut store, "ana@sorriso.com.br", "senha da ana")?;
        assert_eq!((user.user_id, user.role), (ana, Role::Recepcao));
        assert_eq!(current_user(&store)?, Some(ana));
        assert!(matches!(
            unlock(&mut store, "bia@sorriso.com.br", "senha da ana"),
            Err(WorkstationError::WrongPassword)
        ));
        assert!(matches!(
            unlock(&mut store, "eve@sorriso.com.br", "x"),
            Err(WorkstationError::UnknownUser(_))
        ));
        // A failed unlock changes nothing.
        assert_eq!(current_user(&store)?, Some(ana));
        assert_eq!(local_users(&store)?.len(), 2);

        // Locked: known users listed, nobody signed in; unlocking opens it.
        assert_eq!(sign_in(tmp.path())?.state, Access::Ready);
        lock(&mut store)?;
        let locked = sign_in(tmp.path())?;
        assert_eq!((locked.state, locked.user), (Access::Locked, None));
        assert_eq!(locked.known_users.len(), 2);
        assert!(unlock(&mut store, "ana@sorriso.com.br", "senha errada").is_err());
        assert_eq!(sign_in(tmp.path())?.state, Access::Locked);
        unlock(&mut store, "ana@sorriso.com.br", "senha da ana")?;
        let open = sign_in(tmp.path())?;
        assert_eq!(open.state, Access::Ready);
        assert_eq!(open.user.map(|u| u.user_id), Some(ana));

        drop(store);

        // The same organisation joins again; another one is refused.
        join(tmp.path(), &membership(org))?;
        assert!(matches!(
            join(tmp.path(), &membership(Uuid::now_v7())),
            Err(WorkstationError::OtherClinic { .. })
        ));
        Ok(())
    }
}
