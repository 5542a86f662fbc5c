//! The operations people perform on a clinic's local data. Each one checks
//! its input, then writes documents, projections and audit in one store
//! transaction: a refused operation writes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use automerge::{ActorId, Automerge};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use uuid::Uuid;

use crate::agenda::{
    self, AppointmentStatus, BookingError, Candidate, Opening, OpeningHours, Source, Week,
};
use crate::documents::{
    self, AgendaWeek, Appointment, Attribution, Block, Chair, Directory, DocClass, OpeningPeriod,
    PatientDoc, PhoneEntry, Professional, Site,
};
use crate::patient::{Change, PatientError, PatientForm};
use crate::projection::{
    self, AppointmentFilter, AppointmentRow, CpfIndex, PatientHit, ProjectionError, Touched,
};
use crate::store::{self, Store, StoreError, StoreTx};

mod chart;
mod inbox;

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

/// A new appointment as asked for.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub patient: String,
    pub professional: String,
    pub chair: String,
    pub start: String,
    pub duration_min: u32,
    pub procedures: Vec<String>,
    pub notes: String,
    pub source: Source,
}

/// What to change when moving an appointment; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct Reschedule {
    pub start: Option<String>,
    pub duration_min: Option<u32>,
    pub professional: Option<String>,
    pub chair: Option<String>,
}

/// A new block of a professional, a chair, or (with neither) the site.
#[derive(Debug, Clone)]
pub struct NewBlock {
    pub professional: Option<String>,
    pub chair: Option<String>,
    pub start: String,
    pub end: String,
    pub reason: String,
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

fn parse_start(s: &str) -> Result<NaiveDateTime, Error> {
    agenda::parse_datetime(s).ok_or_else(|| Error::DateTime(s.to_string()))
}

/// Turns the directory's opening periods into the rule type.
fn opening_hours(site: &Site) -> OpeningHours {
    let time = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok();
    OpeningHours(
        site.hours
            .iter()
            .filter_map(|p| {
                Some(Opening {
                    day: p.day,
                    open: time(&p.open)?,
                    close: time(&p.close)?,
                })
            })
            .collect(),
    )
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
        let name = org_name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::OrgName(org_name.to_string()));
        }
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

    // ----- directory -----

    pub fn directory(&self) -> Result<Directory, Error> {
        let id = self.me.directory_id;
        let doc = store::load(self.store.conn(), id)?
            .ok_or(Error::NotInitialised(self.store.path().to_path_buf()))?;
        autosurgeon::hydrate(&doc.doc).map_err(schema_err(id))
    }

    fn edit_directory(
        &mut self,
        op: &str,
        change: impl FnOnce(&mut Directory) -> Result<(), Error>,
    ) -> Result<Directory, Error> {
        let id = self.me.directory_id;
        self.write(op, |w| {
            let doc = w.load(id, "directory")?;
            let mut dir: Directory = autosurgeon::hydrate(&doc).map_err(schema_err(id))?;
            change(&mut dir)?;
            w.edit(id, DocClass::Directory, doc, |doc, by, t| {
                documents::commit(doc, &dir, by, t).map_err(reconcile_err(id))
            })?;
            Ok(dir)
        })
    }

    pub fn add_professional(
        &mut self,
        name: &str,
        cro: Option<&str>,
    ) -> Result<Professional, Error> {
        let name = required("name", name)?;
        let professional = Professional {
            id: Uuid::now_v7().to_string(),
            name,
            cro: cro
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from),
            active: true,
        };
        let p = professional.clone();
        self.edit_directory("professional.add", move |d| {
            d.professionals.insert(p.id.clone(), p);
            Ok(())
        })?;
        Ok(professional)
    }

    pub fn add_chair(&mut self, name: &str) -> Result<Chair, Error> {
        let name = required("name", name)?;
        let chair = Chair {
            id: Uuid::now_v7().to_string(),
            site_id: self.me.site_id.to_string(),
            name,
            active: true,
        };
        let c = chair.clone();
        self.edit_directory("chair.add", move |d| {
            d.chairs.insert(c.id.clone(), c);
            Ok(())
        })?;
        Ok(chair)
    }

    /// Replaces the opening hours of this workstation's site.
    pub fn set_opening_hours(&mut self, hours: &OpeningHours) -> Result<(), Error> {
        let site_id = self.me.site_id.to_string();
        let periods = OpeningPeriod::all(hours);
        self.edit_directory("site.hours", move |d| {
            let site = d.sites.get_mut(&site_id).ok_or(Error::NotFound {
                what: "site",
                id: site_id.clone(),
            })?;
            site.hours = periods;
            Ok(())
        })?;
        Ok(())
    }

    /// Finds a professional by id, id prefix or name (case- and accent-blind).
    pub fn professional(&self, dir: &Directory, key: &str) -> Result<Professional, Error> {
        resolve(
            "professional",
            key,
            dir.professionals
                .values()
                .map(|p| (p.id.as_str(), p.name.as_str(), p)),
        )
    }

    /// Finds a chair by id, id prefix or name.
    pub fn chair(&self, dir: &Directory, key: &str) -> Result<Chair, Error> {
        resolve(
            "chair",
            key,
            dir.chairs
                .values()
                .map(|c| (c.id.as_str(), c.name.as_str(), c)),
        )
    }

    // ----- patients -----

    /// Registers a patient. Refuses a CPF that another patient already has.
    pub fn add_patient(&mut self, form: &PatientForm) -> Result<PatientDoc, Error> {
        let fields = form.check(today())?;
        let name = fields.name.clone().ok_or(PatientError::NameMissing)?;
        let id = Uuid::now_v7();
        let added_at = now_ms();
        let cpf = fields.cpf_set().cloned();
        let patient = PatientDoc {
            social_name: set_value(&fields.social_name),
            birth_date: set_value(&fields.birth_date).map(|d| d.to_string()),
            sex: set_value(&fields.sex),
            cpf: cpf.map(|c| c.digits().to_string()),
            phones: fields
                .add_phones
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let entry = PhoneEntry {
                        number: p.e164().to_string(),
                        label: None,
                        whatsapp: p.is_brazilian_mobile(),
                        added_at: added_at + i as i64,
                    };
                    (entry.number.clone(), entry)
                })
                .collect(),
            email: set_value(&fields.email),
            ..PatientDoc::new(id, &name, &now_text(), &self.me.user_id.to_string())
        };
        self.write("patient.add", |w| {
            // Checked again inside the transaction: another process may have
            // registered the same CPF since.
            if let Some(cpf) = fields.cpf_set() {
                ensure_cpf_free(&w.tx, w.cpf, cpf, None)?;
            }
            w.create(id, DocClass::Patient, &patient)
        })?;
        Ok(patient)
    }

    /// Finds a patient by id or unique id prefix.
    pub fn patient_id(&self, key: &str) -> Result<Uuid, Error> {
        let key = key.trim();
        if let Ok(id) = Uuid::parse_str(key) {
            return match store::class_of(self.store.conn(), id)? {
                Some(DocClass::Patient) => Ok(id),
                _ => Err(Error::NotFound {
                    what: "patient",
                    id: key.to_string(),
                }),
            };
        }
        let prefix = key.to_lowercase();
        if prefix.len() < 6 || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(Error::NotFound {
                what: "patient",
                id: key.to_string(),
            });
        }
        let ids = ids_with_prefix(
            self.store.conn(),
            "SELECT id FROM documents WHERE class = 'patient' AND id >= ?1 AND id < ?2 LIMIT 3",
            &prefix,
        )?;
        match ids.as_slice() {
            [one] => Uuid::parse_str(one).map_err(|e| {
                Error::Store(StoreError::Corrupt {
                    id: one.clone(),
                    reason: e.to_string(),
                })
            }),
            [] => Err(Error::NotFound {
                what: "patient",
                id: key.to_string(),
            }),
            many => Err(Error::Ambiguous {
                what: "patient id",
                prefix: key.to_string(),
                matches: many.join(", "),
            }),
        }
    }

    pub fn patient(&self, key: &str) -> Result<PatientDoc, Error> {
        let id = self.patient_id(key)?;
        let stored = store::load(self.store.conn(), id)?.ok_or(Error::NotFound {
            what: "patient",
            id: key.to_string(),
        })?;
        autosurgeon::hydrate(&stored.doc).map_err(schema_err(id))
    }

    /// Changes the fields given in `form`; phones in `form.phones` are added,
    /// those in `form.remove_phones` removed.
    pub fn update_patient(&mut self, key: &str, form: &PatientForm) -> Result<PatientDoc, Error> {
        let fields = form.check(today())?;
        let id = self.patient_id(key)?;
        if let Some(name) = &form.name {
            if name.trim().is_empty() {
                return Err(PatientError::NameMissing.into());
            }
        }
        self.write("patient.update", |w| {
            let doc = w.load(id, "patient")?;
            let mut p: PatientDoc = autosurgeon::hydrate(&doc).map_err(schema_err(id))?;
            if let Some(cpf) = fields.cpf_set() {
                ensure_cpf_free(&w.tx, w.cpf, cpf, Some(&p.id))?;
            }
            if let Some(name) = &fields.name {
                p.name = name.clone();
            }
            apply_change(&mut p.social_name, &fields.social_name, Clone::clone);
            apply_change(&mut p.birth_date, &fields.birth_date, |d| d.to_string());
            apply_change(&mut p.sex, &fields.sex, |s| *s);
            apply_change(&mut p.cpf, &fields.cpf, |c| c.digits().to_string());
            apply_change(&mut p.email, &fields.email, Clone::clone);
            for phone in &fields.remove_phones {
                if p.phones.remove(phone.e164()).is_none() {
                    return Err(Error::NotFound {
                        what: "phone on this patient",
                        id: phone.e164().to_string(),
                    });
                }
            }
            let base = now_ms();
            for (i, phone) in fields.add_phones.iter().enumerate() {
                p.phones
                    .entry(phone.e164().to_string())
                    .or_insert_with(|| PhoneEntry {
                        number: phone.e164().to_string(),
                        label: None,
                        whatsapp: phone.is_brazilian_mobile(),
                        added_at: base + i as i64,
                    });
            }
            w.edit(id, DocClass::Patient, doc, |doc, by, t| {
                documents::commit(doc, &p, by, t).map_err(reconcile_err(id))
            })?;
            Ok(p)
        })
    }

    /// Patients matching a name fragment, phone ending or CPF; with nothing
    /// typed, the first patients in name order.
    pub fn search_patients(&self, query: &str, limit: usize) -> Result<Vec<PatientHit>, Error> {
        if query.trim().is_empty() {
            return Ok(projection::patients_by_name(self.store.conn(), limit)?);
        }
        Ok(projection::search_patients(
            self.store.conn(),
            query,
            limit,
            &self.cpf,
        )?)
    }

    // ----- agenda -----

    fn site(&self, dir: &Directory) -> Result<Site, Error> {
        let id = self.me.site_id.to_string();
        dir.sites
            .get(&id)
            .cloned()
            .ok_or(Error::NotFound { what: "site", id })
    }

    /// Books an appointment after checking opening hours, blocks and
    /// overlaps on the same professional or chair.
    pub fn book(&mut self, new: &NewAppointment) -> Result<AppointmentRow, Error> {
        let dir = self.directory()?;
        let site = self.site(&dir)?;
        let patient_id = self.patient_id(&new.patient)?;
        let professional = self.professional(&dir, &new.professional)?;
        let chair = self.chair(&dir, &new.chair)?;
        if !professional.active {
            return Err(Error::Inactive(format!(
                "professional {}",
                professional.name
            )));
        }
        if !chair.active {
            return Err(Error::Inactive(format!("chair {}", chair.name)));
        }
        if chair.site_id != site.id {
            return Err(Error::ChairSite { chair: chair.name });
        }
        let start = parse_start(&new.start)?;
        let hours = opening_hours(&site);
        let id = Uuid::now_v7().to_string();
        let appointment = Appointment {
            id: id.clone(),
            patient_id: patient_id.to_string(),
            professional_id: professional.id.clone(),
            chair_id: chair.id.clone(),
            start: agenda::format_datetime(start),
            duration_min: new.duration_min,
            procedures: new
                .procedures
                .iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            status: AppointmentStatus::Agendado,
            notes: new.notes.trim().to_string(),
            source: new.source,
            cancel_reason: None,
            moved_to: None,
            moved_from: None,
            created_at: now_text(),
            created_by: self.me.user_id.to_string(),
        };
        let site_uuid = self.me.site_id;
        self.write("appointment.book", |w| {
            check_slot(
                &w.tx,
                &site.id,
                &hours,
                &Candidate {
                    id: None,
                    professional_id: &professional.id,
                    chair_id: &chair.id,
                    start,
                    duration_min: new.duration_min,
                },
            )?;
            put_appointment(w, site_uuid, start, &appointment)
        })?;
        self.appointment(&id)
    }

    /// Moves an appointment in time, or to another professional or chair.
    /// Within its week it is edited in place; to another week it is marked
    /// `remarcado` and a new appointment is made there, linked both ways.
    pub fn move_appointment(
        &mut self,
        key: &str,
        to: &Reschedule,
    ) -> Result<AppointmentRow, Error> {
        let dir = self.directory()?;
        let site = self.site(&dir)?;
        let row = self.appointment(key)?;
        let (agenda_id, old) = self.load_appointment(&row)?;
        if !old.status.holds_slot()
            || matches!(
                old.status,
                AppointmentStatus::Concluido | AppointmentStatus::Faltou
            )
        {
            return Err(Error::AppointmentClosed {
                id: old.id,
                status: old.status,
                action: "moved",
            });
        }
        let professional = match &to.professional {
            Some(p) => self.professional(&dir, p)?,
            None => self.professional(&dir, &old.professional_id)?,
        };
        let chair = match &to.chair {
            Some(c) => self.chair(&dir, c)?,
            None => self.chair(&dir, &old.chair_id)?,
        };
        let start = match &to.start {
            Some(s) => parse_start(s)?,
            None => parse_start(&old.start)?,
        };
        let duration = to.duration_min.unwrap_or(old.duration_min);
        let old_start = parse_start(&old.start)?;
        let hours = opening_hours(&site);
        let site_uuid = self.me.site_id;
        let same_week = Week::of(start.date()) == Week::of(old_start.date());
        let new_id = if same_week {
            old.id.clone()
        } else {
            Uuid::now_v7().to_string()
        };
        let mut moved = old.clone();
        moved.start = agenda::format_datetime(start);
        moved.duration_min = duration;
        moved.professional_id = professional.id.clone();
        moved.chair_id = chair.id.clone();
        self.write("appointment.move", |w| {
            check_slot(
                &w.tx,
                &site.id,
                &hours,
                &Candidate {
                    id: Some(&old.id),
                    professional_id: &professional.id,
                    chair_id: &chair.id,
                    start,
                    duration_min: duration,
                },
            )?;
            if same_week {
                return put_appointment(w, site_uuid, start, &moved);
            }
            let mut replaced = old.clone();
            replaced.status = AppointmentStatus::Remarcado;
            replaced.moved_to = Some(new_id.clone());
            let doc = w.load(agenda_id, "agenda")?;
            w.put_entry(agenda_id, doc, "appointments", &replaced.id, &replaced)?;
            moved.id = new_id.clone();
            moved.status = AppointmentStatus::Agendado;
            moved.moved_from = Some(old.id.clone());
            moved.created_at = now_text();
            put_appointment(w, site_uuid, start, &moved)
        })?;
        self.appointment(&new_id)
    }

    /// Cancels an appointment, freeing its slot. The record stays.
    pub fn cancel_appointment(
        &mut self,
        key: &str,
        reason: Option<&str>,
    ) -> Result<AppointmentRow, Error> {
        let row = self.appointment(key)?;
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(String::from);
        self.change_appointment(&row, "appointment.cancel", "cancelled", |a| {
            a.status = AppointmentStatus::Cancelado;
            a.cancel_reason = reason;
        })
    }

    /// Sets the status of an appointment (confirmado, chegou, faltou …).
    pub fn set_appointment_status(
        &mut self,
        key: &str,
        status: AppointmentStatus,
    ) -> Result<AppointmentRow, Error> {
        if status == AppointmentStatus::Remarcado {
            return Err(Error::Invalid {
                field: "status",
                reason: "remarcado is set by moving the appointment to another week".into(),
            });
        }
        let row = self.appointment(key)?;
        self.change_appointment(&row, "appointment.status", "changed", |a| a.status = status)
    }

    fn change_appointment(
        &mut self,
        row: &AppointmentRow,
        op: &str,
        action: &'static str,
        change: impl FnOnce(&mut Appointment),
    ) -> Result<AppointmentRow, Error> {
        let (agenda_id, mut a) = self.load_appointment(row)?;
        if matches!(
            a.status,
            AppointmentStatus::Cancelado | AppointmentStatus::Remarcado
        ) {
            return Err(Error::AppointmentClosed {
                id: a.id,
                status: a.status,
                action,
            });
        }
        change(&mut a);
        self.write(op, |w| {
            let doc = w.load(agenda_id, "agenda")?;
            w.put_entry(agenda_id, doc, "appointments", &a.id, &a)?;
            Ok(())
        })?;
        self.appointment(&row.id)
    }

    fn load_appointment(&self, row: &AppointmentRow) -> Result<(Uuid, Appointment), Error> {
        let agenda_id = Uuid::parse_str(&row.agenda_id).map_err(|e| Error::Schema {
            id: row.agenda_id.clone(),
            reason: e.to_string(),
        })?;
        let stored = store::load(self.store.conn(), agenda_id)?.ok_or(Error::NotFound {
            what: "agenda",
            id: row.agenda_id.clone(),
        })?;
        let a: Option<Appointment> = documents::hydrate_entry(&stored.doc, "appointments", &row.id)
            .map_err(schema_err(agenda_id))?;
        Ok((
            agenda_id,
            a.ok_or(Error::NotFound {
                what: "appointment",
                id: row.id.clone(),
            })?,
        ))
    }

    /// One appointment by id or unique id prefix.
    pub fn appointment(&self, key: &str) -> Result<AppointmentRow, Error> {
        let key = key.trim().to_lowercase();
        if let Some(row) = projection::appointment_by_id(self.store.conn(), &key)? {
            return Ok(row);
        }
        if key.len() >= 6 {
            let ids = ids_with_prefix(
                self.store.conn(),
                "SELECT id FROM appointments WHERE id >= ?1 AND id < ?2 LIMIT 3",
                &key,
            )?;
            match ids.as_slice() {
                [one] => {
                    if let Some(row) = projection::appointment_by_id(self.store.conn(), one)? {
                        return Ok(row);
                    }
                }
                [] => {}
                many => {
                    return Err(Error::Ambiguous {
                        what: "appointment id",
                        prefix: key,
                        matches: many.join(", "),
                    })
                }
            }
        }
        Err(Error::NotFound {
            what: "appointment",
            id: key,
        })
    }

    pub fn appointments(&self, filter: &AppointmentFilter) -> Result<Vec<AppointmentRow>, Error> {
        Ok(projection::appointments(self.store.conn(), filter)?)
    }

    /// This site's blocks overlapping the days `[from, to)` (`YYYY-MM-DD`).
    pub fn blocks(&self, from: &str, to: &str) -> Result<Vec<Block>, Error> {
        let day = |s: &str| agenda::parse_date(s).ok_or_else(|| Error::Date(s.to_string()));
        let (from, to) = (day(from)?, day(to)?);
        Ok(projection::blocks(
            self.store.conn(),
            &self.me.site_id.to_string(),
            &format!("{from}T00:00"),
            &format!("{to}T00:00"),
        )?)
    }

    /// Blocks a professional, a chair, or the whole site for a time range;
    /// a range across weeks is stored in each week it touches.
    pub fn add_block(&mut self, new: &NewBlock) -> Result<Block, Error> {
        let dir = self.directory()?;
        let professional = new
            .professional
            .as_deref()
            .map(|p| self.professional(&dir, p))
            .transpose()?;
        let chair = new
            .chair
            .as_deref()
            .map(|c| self.chair(&dir, c))
            .transpose()?;
        let start = parse_start(&new.start)?;
        let end = parse_start(&new.end)?;
        if end <= start {
            return Err(Error::Invalid {
                field: "block",
                reason: format!("it must end after it starts ({} → {})", new.start, new.end),
            });
        }
        if end - start > chrono::Duration::days(366) {
            return Err(Error::Invalid {
                field: "block",
                reason: "at most one year at a time".into(),
            });
        }
        let reason = required("reason", &new.reason)?;
        let block = Block {
            id: Uuid::now_v7().to_string(),
            professional_id: professional.map(|p| p.id),
            chair_id: chair.map(|c| c.id),
            start: agenda::format_datetime(start),
            end: agenda::format_datetime(end),
            reason,
        };
        let site = self.me.site_id;
        self.write("block.add", |w| {
            let mut week = Week::of(start.date());
            while week.monday() <= end.date() {
                let id = documents::agenda_id(site, &week.to_string());
                let week_key = week.to_string();
                let doc =
                    w.load_or_genesis(id, DocClass::Agenda, || AgendaWeek::new(site, &week_key))?;
                w.put_entry(id, doc, "blocks", &block.id, &block)?;
                week = week.next();
            }
            Ok(())
        })?;
        Ok(block)
    }

    // ----- whole store -----

    /// Rebuilds every projection from the documents. Returns how many
    /// documents were read.
    /// Double bookings left by merges (see [`crate::conflicts`]).
    pub fn conflicts(&self) -> Result<Vec<crate::conflicts::Conflict>, Error> {
        Ok(crate::conflicts::list(self.store.conn())?)
    }

    pub fn reindex(&mut self) -> Result<usize, Error> {
        let cpf = self.cpf.clone();
        self.write("store.reindex", |w| Ok(projection::rebuild(&w.tx, &cpf)?))
    }

    /// Every document as JSON, in a stable order: the same documents always
    /// give the same bytes.
    pub fn export(&self) -> Result<serde_json::Value, Error> {
        let conn = self.store.conn();
        let mut docs = Vec::new();
        for (id, class) in store::document_ids(conn)? {
            let stored = store::load(conn, id)?.ok_or(Error::NotFound {
                what: "document",
                id: id.to_string(),
            })?;
            let heads: Vec<String> = stored
                .doc
                .get_heads()
                .iter()
                .map(ToString::to_string)
                .collect();
            let content =
                serde_json::to_value(automerge::AutoSerde::from(&stored.doc)).map_err(|e| {
                    Error::Schema {
                        id: id.to_string(),
                        reason: e.to_string(),
                    }
                })?;
            docs.push(serde_json::json!({ "id": id.to_string(), "class": class.as_str(), "heads": heads, "content": content }));
        }
        Ok(serde_json::json!({
            "format": "arcada-export",
            "version": 1,
            "organization": { "id": self.me.org_id.to_string(), "name": self.me.org_name },
            "documents": docs,
        }))
    }

    /// Direct access for bulk loaders in this crate.
    pub(crate) fn bulk<R>(
        &mut self,
        op: &str,
        f: impl FnOnce(&mut BulkWriter<'_, '_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let site = self.me.site_id;
        self.write(op, |w| f(&mut BulkWriter { w, site }))
    }
}

/// Bulk creation of documents in one transaction (imports, demo data).
pub(crate) struct BulkWriter<'w, 'a> {
    w: &'w mut Writer<'a>,
    site: Uuid,
}

impl BulkWriter<'_, '_> {
    pub(crate) fn patient(&mut self, p: &PatientDoc) -> Result<(), Error> {
        let id = Uuid::parse_str(&p.id).map_err(|e| Error::Schema {
            id: p.id.clone(),
            reason: e.to_string(),
        })?;
        self.w.create(id, DocClass::Patient, p)
    }

    /// Stores a document built elsewhere (a chart with years of history)
    /// and projects it.
    pub(crate) fn document(
        &mut self,
        id: Uuid,
        class: DocClass,
        doc: &Automerge,
    ) -> Result<(), Error> {
        self.w.tx.insert_new(id, class, doc, self.w.time)?;
        projection::apply(&self.w.tx, id, class, doc, self.w.cpf)?;
        self.w.audit.push(id);
        Ok(())
    }

    /// Writes a whole week of appointments into its agenda document at once.
    pub(crate) fn week(&mut self, week: &str, appointments: Vec<Appointment>) -> Result<(), Error> {
        let id = documents::agenda_id(self.site, week);
        let doc = self
            .w
            .load_or_genesis(id, DocClass::Agenda, || AgendaWeek::new(self.site, week))?;
        let mut agenda: AgendaWeek = autosurgeon::hydrate(&doc).map_err(schema_err(id))?;
        for a in appointments {
            agenda.appointments.insert(a.id.clone(), a);
        }
        self.w.edit(id, DocClass::Agenda, doc, |doc, by, t| {
            documents::commit(doc, &agenda, by, t).map_err(reconcile_err(id))
        })?;
        Ok(())
    }
}

impl crate::patient::PatientFields {
    fn cpf_set(&self) -> Option<&crate::cpf::Cpf> {
        match &self.cpf {
            Change::Set(c) => Some(c),
            _ => None,
        }
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

fn set_value<T: Clone>(c: &Change<T>) -> Option<T> {
    match c {
        Change::Set(v) => Some(v.clone()),
        _ => None,
    }
}

fn apply_change<T, U>(field: &mut Option<U>, change: &Change<T>, f: impl Fn(&T) -> U) {
    match change {
        Change::Keep => {}
        Change::Clear => *field = None,
        Change::Set(v) => *field = Some(f(v)),
    }
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

fn ensure_cpf_free(
    conn: &rusqlite::Connection,
    index: &CpfIndex,
    cpf: &crate::cpf::Cpf,
    except: Option<&str>,
) -> Result<(), Error> {
    let hits = projection::search_patients(conn, cpf.digits(), 2, index)?;
    match hits.into_iter().find(|h| Some(h.id.as_str()) != except) {
        Some(h) => Err(Error::DuplicateCpf {
            cpf: cpf.formatted(),
            patient_id: h.id,
            name: h.name,
        }),
        None => Ok(()),
    }
}

fn check_slot(
    conn: &rusqlite::Connection,
    site_id: &str,
    hours: &OpeningHours,
    c: &Candidate<'_>,
) -> Result<(), Error> {
    let span = c.span();
    let (booked, blocks) =
        projection::neighbours(conn, site_id, c.professional_id, c.chair_id, &span)?;
    agenda::check_booking(c, hours, &booked, &blocks)?;
    Ok(())
}

fn put_appointment(
    w: &mut Writer<'_>,
    site: Uuid,
    start: NaiveDateTime,
    a: &Appointment,
) -> Result<(), Error> {
    let week = Week::of(start.date()).to_string();
    let id = documents::agenda_id(site, &week);
    let doc = w.load_or_genesis(id, DocClass::Agenda, || AgendaWeek::new(site, &week))?;
    w.put_entry(id, doc, "appointments", &a.id, a)?;
    Ok(())
}

/// Folds case and the accents of Portuguese, for matching names people type.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use rand::SeedableRng;

    #[test]
    fn a_fragment_matching_very_many_patients_returns_the_newest_in_name_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut clinic = Clinic::init(tmp.path(), "Clínica").expect("init");
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let user = clinic.identity().user_id.to_string();
        let total = projection::MANY_MATCHES + 100;
        let patients: Vec<PatientDoc> = (0..total)
            .map(|i| {
                let mut p = demo::random_patient(&mut rng, &user, "2026-01-01T00:00:00Z");
                p.name = format!("Mariana Teste {i:05}");
                p
            })
            .collect();
        clinic
            .bulk("test", |b| patients.iter().try_for_each(|p| b.patient(p)))
            .expect("bulk");
        clinic
            .add_patient(&PatientForm {
                name: Some("Zélia Marinho".into()),
                ..Default::default()
            })
            .expect("add");

        let hits = clinic.search_patients("mari", 20).expect("search");
        assert_eq!(hits.len(), 20);
        let names: Vec<&str> = hits.iter().map(|h| h.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "shown in name order");
        assert!(
            names.contains(&"Zélia Marinho"),
            "the newest match is among them: {names:?}"
        );
        assert!(names.contains(&"Mariana Teste 01099"));
        assert!(
            !names.contains(&"Mariana Teste 00000"),
            "the oldest are left for a narrower query"
        );
        // Several words that together match too many take the same path.
        let two = clinic.search_patients("mariana teste", 20).expect("search");
        assert_eq!(two.len(), 20);
        assert!(two.iter().all(|h| h.name != "Mariana Teste 00000"));
        assert!(two.iter().any(|h| h.name == "Mariana Teste 01099"));
        // A narrower query sorts all of its matches.
        let few = clinic
            .search_patients("mariana teste 00000", 20)
            .expect("search");
        assert_eq!(few.len(), 1);
    }
}
