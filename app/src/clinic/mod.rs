//! The operations people perform on a clinic's local data. Each one checks
//! its input, then writes documents, projections and audit in one store
//! transaction: a refused operation writes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use automerge::{ActorId, Automerge};
use chrono::{NaiveDate, Utc};
use rand::RngCore;
use serde::Serialize;
use uuid::Uuid;

use crate::agenda::{AppointmentStatus, BookingError};
use crate::documents::{self, Attribution, Directory, DocClass};
use crate::patient::PatientError;
use crate::projection::{self, CpfIndex, ProjectionError, Touched};
use crate::store::{self, Store, StoreError, StoreTx};
use crate::text::fold;

mod agenda;
mod bulk;
mod chart;
mod directory;
mod export;
mod inbox;
mod patients;

pub use agenda::{NewAppointment, NewBlock, Reschedule};
pub use chart::NewNote;
pub use inbox::{ConversationRow, MediaView, MessageView, PatientRef, TemplateOption, Thread};

/// Everything that can go wrong in a clinic operation. The message is meant
/// for the person who asked; [`Error::code`] is stable for programs (the UI
/// translates by code).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no clinic in {0}: run `arcada init --org NAME` first")]
    NotInitialised(PathBuf),
    #[error("{0} already holds a clinic")]
    AlreadyInitialised(PathBuf),
    #[error("invalid organisation name {0:?}: 1 to 200 characters")]
    OrgName(String),
    #[error(transparent)]
    Patient(#[from] PatientError),
    #[error(transparent)]
    Chart(#[from] crate::chart::ChartError),
    #[error(transparent)]
    Inbox(crate::inbox::InboxError),
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    #[error("CPF {cpf} already belongs to patient {patient_id} ({name})")]
    DuplicateCpf {
        cpf: String,
        patient_id: String,
        name: String,
    },
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {prefix:?} is ambiguous: it matches {matches}")]
    Ambiguous {
        what: &'static str,
        prefix: String,
        matches: String,
    },
    /// Not a `#[source]`: the message already says it all.
    #[error("cannot book: {0}")]
    Booking(BookingError),
    #[error("invalid date and time {0:?}: expected YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM")]
    DateTime(String),
    #[error("{0} has not received its clinic from the server yet: run `arcada sync`")]
    NotSynced(PathBuf),
    #[error("invalid date {0:?}: expected YYYY-MM-DD or DD/MM/YYYY")]
    Date(String),
    #[error("appointment {id} is {status}; it can no longer be {action}")]
    AppointmentClosed {
        id: String,
        status: AppointmentStatus,
        action: &'static str,
    },
    #[error("chair {chair} belongs to another site than the one booked")]
    ChairSite { chair: String },
    #[error("{0} is inactive")]
    Inactive(String),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    SigningKey(#[from] crate::signing::local::KeyStoreError),
    #[error("document {id} does not match its schema: {reason}")]
    Schema { id: String, reason: String },
    #[error("cannot use data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotInitialised(_) => "not_initialised",
            Error::NotSynced(_) => "not_synced",
            Error::AlreadyInitialised(_) => "already_initialised",
            Error::OrgName(_) => "invalid_org_name",
            Error::Patient(PatientError::Cpf(_)) => "invalid_cpf",
            Error::Patient(PatientError::Phone(_)) => "invalid_phone",
            Error::Patient(PatientError::BirthDate(_)) => "invalid_birth_date",
            Error::Patient(PatientError::Email(_)) => "invalid_email",
            Error::Patient(PatientError::Sex(_)) => "invalid_sex",
            Error::Patient(PatientError::Name(_) | PatientError::NameMissing) => "invalid_name",
            Error::Chart(e) => e.code(),
            Error::Inbox(e) => e.code(),
            Error::Media(crate::media::MediaError::NotADigest(_)) => "invalid",
            Error::Media(crate::media::MediaError::Mismatch { .. }) => "media_corrupt",
            Error::Media(crate::media::MediaError::Store(_)) => "internal",
            Error::DuplicateCpf { .. } => "duplicate_cpf",
            Error::NotFound { .. } => "not_found",
            Error::Ambiguous { .. } => "ambiguous",
            Error::Booking(BookingError::Overlap { .. }) => "overlap",
            Error::Booking(BookingError::OutsideHours { .. }) => "outside_hours",
            Error::Booking(BookingError::Blocked { .. }) => "blocked",
            Error::Booking(BookingError::Duration(_)) => "invalid_duration",
            Error::DateTime(_) | Error::Date(_) => "invalid_date",
            Error::AppointmentClosed { .. } => "appointment_closed",
            Error::ChairSite { .. } => "chair_site",
            Error::Inactive(_) => "inactive",
            Error::Invalid { .. } => "invalid",
            Error::SigningKey(_) => "signing_key",
            Error::Projection(_) | Error::Store(_) | Error::Schema { .. } | Error::Io { .. } => {
                "internal"
            }
        }
    }
}

impl From<BookingError> for Error {
    fn from(e: BookingError) -> Self {
        Error::Booking(e)
    }
}

fn schema_err(id: impl ToString) -> impl Fn(autosurgeon::HydrateError) -> Error {
    let id = id.to_string();
    move |e| Error::Schema {
        id: id.clone(),
        reason: e.to_string(),
    }
}

fn reconcile_err(id: impl ToString) -> impl Fn(autosurgeon::ReconcileError) -> Error {
    let id = id.to_string();
    move |e| Error::Schema {
        id: id.clone(),
        reason: e.to_string(),
    }
}

/// Who is working on this workstation, as recorded in the store.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub org_id: Uuid,
    pub org_name: String,
    pub site_id: Uuid,
    pub directory_id: Uuid,
    pub device_id: Uuid,
    pub user_id: Uuid,
}

/// A clinic's data on this workstation.
#[derive(Debug)]
pub struct Clinic {
    store: Store,
    me: Identity,
    cpf: CpfIndex,
    /// The chart read last, hydrated (see `chart::Cached`).
    chart_cache: Option<chart::Cached>,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// The first site (by name) of the directory, if the directory is here.
fn first_site(store: &Store, directory_id: Uuid) -> Result<Option<Uuid>, Error> {
    let Some(stored) = store::load(store.conn(), directory_id)? else {
        return Ok(None);
    };
    let directory: Directory =
        autosurgeon::hydrate(&stored.doc).map_err(schema_err(directory_id))?;
    let mut sites: Vec<_> = directory.sites.values().collect();
    sites.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(sites.first().and_then(|s| s.id.parse().ok()))
}

/// Records the site of a workstation that joined a server's organisation,
/// once the directory has arrived: later sites added to the directory do
/// not move it.
pub fn settle_site(store: &mut Store) -> Result<(), Error> {
    if store::meta(store.conn(), "site_id")?.is_some() {
        return Ok(());
    }
    let Some(directory_id) =
        store::meta(store.conn(), "directory_id")?.and_then(|d| d.parse().ok())
    else {
        return Ok(());
    };
    if let Some(site) = first_site(store, directory_id)? {
        let tx = store.transaction()?;
        tx.set_meta("site_id", &site.to_string())?;
        tx.commit()?;
    }
    Ok(())
}

/// A write in progress: the store transaction plus who is writing.
struct Writer<'a> {
    tx: StoreTx<'a>,
    by: Attribution,
    actor: ActorId,
    time: i64,
    cpf: &'a CpfIndex,
    /// Documents written, one audit row each.
    audit: Vec<Uuid>,
}

impl Writer<'_> {
    fn create<T: autosurgeon::Reconcile>(
        &mut self,
        id: Uuid,
        class: DocClass,
        value: &T,
    ) -> Result<(), Error> {
        let mut doc = Automerge::new().with_actor(self.actor.clone());
        documents::commit(&mut doc, value, &self.by, self.time / 1000)
            .map_err(reconcile_err(id))?;
        self.tx.insert_new(id, class, &doc, self.time)?;
        projection::apply(&self.tx, id, class, &doc, self.cpf)?;
        self.audit.push(id);
        Ok(())
    }

    /// Loads a document, or creates a derived one (agenda week, chart) from
    /// its deterministic genesis.
    fn load_or_genesis<T: autosurgeon::Reconcile>(
        &mut self,
        id: Uuid,
        class: DocClass,
        empty: impl FnOnce() -> T,
    ) -> Result<Automerge, Error> {
        if let Some(stored) = store::load(&self.tx, id)? {
            return Ok(stored.doc);
        }
        let doc = documents::genesis(id, &empty()).map_err(reconcile_err(id))?;
        self.tx.insert_new(id, class, &doc, self.time)?;
        Ok(doc)
    }

    fn load(&self, id: Uuid, what: &'static str) -> Result<Automerge, Error> {
        store::load(&self.tx, id)?
            .map(|s| s.doc)
            .ok_or_else(|| Error::NotFound {
                what,
                id: id.to_string(),
            })
    }

    /// Applies `edit` to a document as one change, then stores it and
    /// updates its projection.
    fn edit(
        &mut self,
        id: Uuid,
        class: DocClass,
        doc: Automerge,
        edit: impl FnOnce(&mut Automerge, &Attribution, i64) -> Result<(), Error>,
    ) -> Result<Automerge, Error> {
        self.edit_touching(id, class, doc, Touched::Whole, edit)
    }

    /// Sets `entry` under `key` of the root map `field` (an appointment in
    /// `appointments`, a block in `blocks`) and re-projects only that entry.
    fn put_entry<T: autosurgeon::Reconcile>(
        &mut self,
        id: Uuid,
        doc: Automerge,
        field: &str,
        key: &str,
        entry: &T,
    ) -> Result<Automerge, Error> {
        let keys = [key];
        let touched = Touched::Entries { field, keys: &keys };
        self.edit_touching(id, DocClass::Agenda, doc, touched, |doc, by, t| {
            documents::commit_entry(doc, field, key, entry, by, t).map_err(reconcile_err(id))
        })
    }

    fn edit_touching(
        &mut self,
        id: Uuid,
        class: DocClass,
        mut doc: Automerge,
        touched: Touched<'_>,
        edit: impl FnOnce(&mut Automerge, &Attribution, i64) -> Result<(), Error>,
    ) -> Result<Automerge, Error> {
        doc.set_actor(self.actor.clone());
        let before = doc.get_heads();
        edit(&mut doc, &self.by, self.time / 1000)?;
        self.tx.save_changes(id, &doc, &before, self.time)?;
        projection::apply_touched(&self.tx, id, class, &doc, touched, self.cpf)?;
        self.audit.push(id);
        Ok(doc)
    }
}

impl Clinic {
    /// Creates a clinic in `dir`: its directory with one site ("Matriz",
    /// default opening hours), this workstation and its local user.
    pub fn init(dir: &Path, org_name: &str) -> Result<Clinic, Error> {
        let name = crate::accounts::org_name(org_name)
            .map_err(|_| Error::OrgName(org_name.to_string()))?;
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store::open(&dir.join(store::FILE_NAME))?;
        if store::meta(store.conn(), "org_id")?.is_some() {
            return Err(Error::AlreadyInitialised(dir.to_path_buf()));
        }
        let org_id = Uuid::now_v7();
        let me = Identity {
            org_id,
            org_name: name.clone(),
            site_id: Uuid::now_v7(),
            directory_id: documents::directory_id(org_id),
            device_id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
        };
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let directory = Directory::new_organization(me.org_id, &name, me.site_id);
        let meta = [
            ("org_id", me.org_id.to_string()),
            ("org_name", me.org_name.clone()),
            ("site_id", me.site_id.to_string()),
            ("directory_id", me.directory_id.to_string()),
            ("device_id", me.device_id.to_string()),
            ("user_id", me.user_id.to_string()),
            ("cpf_index_key", hex::encode(secret)),
        ];
        let mut clinic = Clinic {
            store,
            me,
            cpf: CpfIndex::new(&secret),
            chart_cache: None,
        };
        let id = clinic.me.directory_id;
        // Identity and directory in one transaction: a crash leaves either a
        // whole clinic or an empty store that `init` can run on again.
        clinic.write("org.init", |w| {
            for (key, value) in &meta {
                w.tx.set_meta(key, value)?;
            }
            w.create(id, DocClass::Directory, &directory)
        })?;
        Ok(clinic)
    }

    /// Opens the clinic in `dir`. Never creates anything: a directory with no
    /// clinic is an error.
    pub fn open(dir: &Path) -> Result<Clinic, Error> {
        let path = dir.join(store::FILE_NAME);
        if !path.is_file() {
            return Err(Error::NotInitialised(dir.to_path_buf()));
        }
        let store = Store::open(&path)?;
        let get = |key: &str| -> Result<String, Error> {
            store::meta(store.conn(), key)?.ok_or_else(|| Error::NotInitialised(dir.to_path_buf()))
        };
        let uuid = |key: &str| -> Result<Uuid, Error> {
            Uuid::parse_str(&get(key)?).map_err(|e| {
                Error::Store(StoreError::Corrupt {
                    id: key.into(),
                    reason: e.to_string(),
                })
            })
        };
        let directory_id = uuid("directory_id")?;
        // A workstation that joined a server's organisation learns its site
        // from the directory the first sync brings.
        let site_id = match store::meta(store.conn(), "site_id")? {
            Some(_) => uuid("site_id")?,
            None => first_site(&store, directory_id)?
                .ok_or_else(|| Error::NotSynced(dir.to_path_buf()))?,
        };
        let me = Identity {
            org_id: uuid("org_id")?,
            org_name: get("org_name")?,
            site_id,
            directory_id,
            device_id: uuid("device_id")?,
            user_id: uuid("user_id")?,
        };
        let secret = hex::decode(get("cpf_index_key")?).map_err(|e| {
            Error::Store(StoreError::Corrupt {
                id: "cpf_index_key".into(),
                reason: e.to_string(),
            })
        })?;
        let cpf = CpfIndex::new(&secret);
        // Documents a schema upgrade asked to project again.
        let pending = projection::catch_up(store.conn(), &cpf)?;
        if pending > 0 {
            tracing::info!(documents = pending, "projected documents after an upgrade");
        }
        Ok(Clinic {
            store,
            me,
            cpf,
            chart_cache: None,
        })
    }

    pub fn identity(&self) -> &Identity {
        &self.me
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs `f` in one store transaction attributed to this workstation's
    /// user; commits only if it succeeds.
    fn write<R>(
        &mut self,
        op: &str,
        f: impl FnOnce(&mut Writer<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let by = Attribution {
            user: self.me.user_id.to_string(),
            device: self.me.device_id.to_string(),
            op: op.to_string(),
        };
        let mut w = Writer {
            tx: self.store.transaction()?,
            actor: ActorId::from(self.me.device_id.as_bytes().as_slice()),
            by,
            time: now_ms(),
            cpf: &self.cpf,
            audit: Vec::new(),
        };
        let out = f(&mut w)?;
        for doc in &w.audit {
            w.tx.audit(w.time, &w.by.user, &w.by.device, op, Some(*doc), None)?;
        }
        if w.audit.is_empty() {
            w.tx.audit(w.time, &w.by.user, &w.by.device, op, None, None)?;
        }
        w.tx.commit()?;
        Ok(out)
    }
}

/// Ids starting with `prefix`, by a query over `[prefix, prefix + DEL)`.
fn ids_with_prefix(
    conn: &rusqlite::Connection,
    sql: &str,
    prefix: &str,
) -> Result<Vec<String>, Error> {
    let upper = format!("{prefix}\u{7f}");
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::from)?;
    let ids = stmt
        .query_map([prefix, upper.as_str()], |r| r.get(0))
        .map_err(StoreError::from)?;
    Ok(ids.collect::<Result<_, _>>().map_err(StoreError::from)?)
}

fn required(field: &'static str, value: &str) -> Result<String, Error> {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() || v.chars().count() > 200 {
        return Err(Error::Invalid {
            field,
            reason: format!("{value:?} must have 1 to 200 characters"),
        });
    }
    Ok(v)
}

/// Resolves `key` among `items` by exact id, id prefix (6+ characters) or
/// folded name (exact first, then the unique name containing it).
fn resolve<'a, T: Clone + 'a>(
    what: &'static str,
    key: &str,
    items: impl Iterator<Item = (&'a str, &'a str, &'a T)>,
) -> Result<T, Error> {
    let key = key.trim();
    let folded = fold(key);
    let items: Vec<_> = items.collect();
    let pick = |found: Vec<&(&str, &str, &T)>| -> Option<Result<T, Error>> {
        match found.as_slice() {
            [] => None,
            [one] => Some(Ok(one.2.clone())),
            many => Some(Err(Error::Ambiguous {
                what,
                prefix: key.to_string(),
                matches: many
                    .iter()
                    .map(|(id, name, _)| format!("{name} ({id})"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })),
        }
    };
    type Matcher<'m, T> = &'m dyn Fn(&(&str, &str, &T)) -> bool;
    let tries: [Matcher<'_, T>; 4] = [
        &|(id, _, _)| *id == key,
        &|(_, name, _)| fold(name) == folded,
        &|(id, _, _)| key.len() >= 6 && id.starts_with(key),
        &|(_, name, _)| !folded.is_empty() && fold(name).contains(&folded),
    ];
    for matches in tries {
        if let Some(result) = pick(items.iter().filter(|i| matches(i)).collect()) {
            return result;
        }
    }
    Err(Error::NotFound {
        what,
        id: key.to_string(),
    })
}
