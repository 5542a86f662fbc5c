//! Indexes over the documents: patients (with FTS5 name search, phone suffix
//! and CPF blind index), appointments by day, professional and chair, and
//! blocks. Each is derived from a document alone, so rebuilding from scratch
//! ([`rebuild`]) gives the same rows as following every change.

use automerge::Automerge;
use ring::hmac;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::agenda::{self, AppointmentStatus, BlockSpan, Booked, Span};
use crate::cpf::Cpf;
use crate::documents::{AgendaWeek, Appointment, Block, ConversationDoc, DocClass, PatientDoc};
use crate::store::{self, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("document {id} does not match its schema: {source}")]
    Hydrate {
        id: Uuid,
        source: Box<autosurgeon::HydrateError>,
    },
}

impl From<rusqlite::Error> for ProjectionError {
    fn from(e: rusqlite::Error) -> Self {
        ProjectionError::Store(StoreError::Sqlite(e))
    }
}

/// Key of the CPF blind index: the projection stores HMAC(key, digits), so
/// the index finds a CPF without holding it in clear.
#[derive(Debug, Clone)]
pub struct CpfIndex(hmac::Key);

impl CpfIndex {
    pub fn new(secret: &[u8]) -> CpfIndex {
        CpfIndex(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    pub fn tag(&self, cpf: &Cpf) -> Vec<u8> {
        hmac::sign(&self.0, cpf.digits().as_bytes())
            .as_ref()
            .to_vec()
    }
}

/// Brings the projections of one document up to date with it.
pub fn apply(
    conn: &Connection,
    id: Uuid,
    class: DocClass,
    doc: &Automerge,
    cpf: &CpfIndex,
) -> Result<(), ProjectionError> {
    let hydrate_err = |source| ProjectionError::Hydrate {
        id,
        source: Box::new(source),
    };
    match class {
        DocClass::Patient => {
            let patient: PatientDoc = autosurgeon::hydrate(doc).map_err(hydrate_err)?;
            project_patient(conn, &patient, cpf)?;
        }
        DocClass::Agenda => {
            let week: AgendaWeek = autosurgeon::hydrate(doc).map_err(hydrate_err)?;
            project_agenda(conn, id, &week)?;
        }
        DocClass::Chart => project_chart_alerts(conn, id, doc)?,
        DocClass::Conversation => {
            let c: ConversationDoc = autosurgeon::hydrate(doc).map_err(hydrate_err)?;
            project_conversation(conn, id, &c)?;
        }
        DocClass::Directory | DocClass::Ledger => {}
    }
    record_heads(conn, id, class, doc)
}

/// Keeps the anamnesis alerts of a chart's patient for the agenda cards.
/// Reads the anamnesis alone: a chart with years of entries is not hydrated.
fn project_chart_alerts(
    conn: &Connection,
    id: Uuid,
    doc: &Automerge,
) -> Result<(), ProjectionError> {
    let hydrate_err = |source| ProjectionError::Hydrate {
        id,
        source: Box::new(source),
    };
    let patient_id: String =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "patient_id").map_err(hydrate_err)?;
    let anamnesis: crate::documents::Anamnesis =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "anamnesis").map_err(hydrate_err)?;
    let alerts = crate::chart::alerts(&anamnesis);
    if alerts.is_empty() {
        conn.prepare_cached("DELETE FROM chart_alerts WHERE patient_id = ?1")?
            .execute([&patient_id])?;
    } else {
        conn.prepare_cached(
            "INSERT INTO chart_alerts (patient_id, alerts) VALUES (?1, ?2)
             ON CONFLICT (patient_id) DO UPDATE SET alerts = excluded.alerts",
        )?
        .execute(params![
            patient_id,
            serde_json::to_string(&alerts).unwrap_or_else(|_| "[]".into())
        ])?;
    }
    Ok(())
}

/// Keeps the inbox row of a conversation. Unread and waiting depend only
/// on the document; whether the 24-hour window is open is worked out when
/// the list is read.
fn project_conversation(
    conn: &Connection,
    id: Uuid,
    c: &ConversationDoc,
) -> Result<(), ProjectionError> {
    let s = crate::inbox::summarize(c, 0);
    // Normalised here too: WhatsApp's ids for Brazilian mobiles often lack
    // the ninth digit, and the patients' phones are stored with it.
    let raw = c
        .contact
        .phone
        .clone()
        .or_else(|| c.contact.wa_id.as_ref().map(|w| format!("+{w}")));
    let phone = raw.map(|p| {
        p.parse::<crate::phone::Phone>()
            .map_or(p, |n| n.e164().to_string())
    });
    conn.prepare_cached(
        "INSERT OR REPLACE INTO conversations (doc_id, phone_number_id, display_number, contact_name,
             phone, patient_id, lead, unread, waiting_since, last_at, last_text, last_inbound_at,
             attention, assignee, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        id.to_string(),
        c.phone_number_id,
        c.display_number,
        c.contact.name,
        phone,
        c.patient_id,
        c.patient_id.is_none() && c.lead.is_some(),
        s.unread,
        s.waiting_since,
        s.last_at,
        s.last_text,
        s.last_inbound_at,
        c.attention
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
        c.assignee
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
        (!c.tags.is_empty())
            .then(|| serde_json::to_string(&c.tags.keys().collect::<Vec<_>>()).ok())
            .flatten(),
    ])?;
    // The files its messages reference, for the media kept on this
    // workstation (crate::media).
    conn.prepare_cached("DELETE FROM conversation_media WHERE doc_id = ?1")?
        .execute([id.to_string()])?;
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO conversation_media (doc_id, sha256, mime_type, size, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for m in c.messages.values() {
        let Some(media) = &m.media else { continue };
        let Some(sha256) = media
            .blob
            .as_deref()
            .and_then(|b| crate::media::digest_of(b).ok())
        else {
            continue;
        };
        add.execute(params![
            id.to_string(),
            sha256,
            media.mime_type,
            media.size.and_then(|s| i64::try_from(s).ok()),
            m.at
        ])?;
    }
    Ok(())
}

/// Projects the documents that have no projection yet: those a schema
/// upgrade asked to project again. Returns how many were projected. A
/// document that does not match its schema is logged and left out: it must
/// not keep the clinic from opening.
pub fn catch_up(conn: &Connection, cpf: &CpfIndex) -> Result<usize, ProjectionError> {
    let missing: Vec<String> = conn
        .prepare(
            "SELECT d.id FROM documents d
             WHERE NOT EXISTS (SELECT 1 FROM projection_heads h WHERE h.doc_id = d.id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut projected = 0;
    for id in &missing {
        let Ok(uuid) = Uuid::parse_str(id) else {
            continue;
        };
        let Some(stored) = store::load(conn, uuid)? else {
            continue;
        };
        let class =
            crate::roles::class_or_most_restricted(crate::documents::declared_class(&stored.doc));
        match apply(conn, uuid, class, &stored.doc, cpf) {
            Ok(()) => projected += 1,
            Err(ProjectionError::Hydrate { id, source }) => {
                tracing::warn!(%id, error = %source, "document left unprojected");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(projected)
}

/// What a write changed in a document, so its projection can be updated
/// without re-reading the whole document: a booking touches one
/// appointment of a week that may hold a thousand.
#[derive(Debug, Clone, Copy)]
pub enum Touched<'a> {
    /// Anything may have changed: re-project the whole document.
    Whole,
    /// Only these keys of the root map `field` changed.
    Entries { field: &'a str, keys: &'a [&'a str] },
}

/// Like [`apply`], re-projecting only what `touched` names when it can.
pub fn apply_touched(
    conn: &Connection,
    id: Uuid,
    class: DocClass,
    doc: &Automerge,
    touched: Touched<'_>,
    cpf: &CpfIndex,
) -> Result<(), ProjectionError> {
    let Touched::Entries { field, keys } = touched else {
        return apply(conn, id, class, doc, cpf);
    };
    if class != DocClass::Agenda || !matches!(field, "appointments" | "blocks") {
        return apply(conn, id, class, doc, cpf);
    }
    let site_id: String =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "site_id").map_err(|source| {
            ProjectionError::Hydrate {
                id,
                source: Box::new(source),
            }
        })?;
    let id_text = id.to_string();
    for key in keys {
        let entry_err = |source| ProjectionError::Hydrate {
            id,
            source: Box::new(source),
        };
        if field == "appointments" {
            conn.prepare_cached("DELETE FROM appointments WHERE id = ?1 AND agenda_id = ?2")?
                .execute(params![key, id_text])?;
            if let Some(a) = crate::documents::hydrate_entry::<Appointment>(doc, field, key)
                .map_err(entry_err)?
            {
                insert_appointment(conn, &id_text, &site_id, &a)?;
            }
        } else {
            conn.prepare_cached("DELETE FROM blocks WHERE id = ?1 AND agenda_id = ?2")?
                .execute(params![key, id_text])?;
            if let Some(b) =
                crate::documents::hydrate_entry::<Block>(doc, field, key).map_err(entry_err)?
            {
                insert_block(conn, &id_text, &site_id, &b)?;
            }
        }
    }
    record_heads(conn, id, class, doc)
}

fn record_heads(
    conn: &Connection,
    id: Uuid,
    class: DocClass,
    doc: &Automerge,
) -> Result<(), ProjectionError> {
    conn.prepare_cached(
        "INSERT INTO projection_heads (doc_id, class, heads) VALUES (?1, ?2, ?3)
         ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![
        id.to_string(),
        class.as_str(),
        store::heads_text(&doc.get_heads())
    ])?;
    Ok(())
}

/// Empties the projections fed by one class of document.
pub fn clear_class(conn: &Connection, class: DocClass) -> Result<(), ProjectionError> {
    match class {
        DocClass::Patient => conn.execute_batch(
            "DELETE FROM patients; DELETE FROM patients_fts; DELETE FROM patient_phones;",
        )?,
        DocClass::Agenda => conn.execute_batch("DELETE FROM appointments; DELETE FROM blocks;")?,
        DocClass::Chart => conn.execute_batch("DELETE FROM chart_alerts;")?,
        DocClass::Conversation => {
            conn.execute_batch("DELETE FROM conversations; DELETE FROM conversation_media;")?
        }
        DocClass::Directory | DocClass::Ledger => {}
    }
    conn.execute(
        "DELETE FROM projection_heads WHERE class = ?1",
        [class.as_str()],
    )?;
    Ok(())
}

/// Empties every projection and rebuilds it from the documents.
pub fn rebuild(conn: &Connection, cpf: &CpfIndex) -> Result<usize, ProjectionError> {
    for class in DocClass::ALL {
        clear_class(conn, *class)?;
    }
    let ids = store::document_ids(conn)?;
    for (id, class) in &ids {
        let stored = store::load(conn, *id)?.ok_or_else(|| StoreError::Corrupt {
            id: id.to_string(),
            reason: "vanished during reindex".into(),
        })?;
        apply(conn, *id, *class, &stored.doc, cpf)?;
    }
    Ok(ids.len())
}

fn project_patient(
    conn: &Connection,
    p: &PatientDoc,
    cpf_index: &CpfIndex,
) -> Result<(), ProjectionError> {
    let phones: Vec<&str> = p
        .phones_in_order()
        .iter()
        .map(|e| e.number.as_str())
        .collect();
    let cpf: Option<Cpf> = p.cpf.as_deref().and_then(|c| c.parse().ok());
    let tag = cpf.as_ref().map(|c| cpf_index.tag(c));
    let masked = cpf.as_ref().map(Cpf::masked);
    let phones_json = serde_json::to_string(&phones).unwrap_or_else(|_| "[]".into());
    let key: Option<i64> = conn
        .prepare_cached("SELECT key FROM patients WHERE id = ?1")?
        .query_row([&p.id], |r| r.get(0))
        .optional()?;
    let names = match &p.social_name {
        Some(social) => format!("{} {social}", p.name),
        None => p.name.clone(),
    };
    match key {
        Some(key) => {
            conn.prepare_cached(
                "UPDATE patients SET name = ?2, social_name = ?3, birth_date = ?4, cpf_index = ?5,
                 cpf_masked = ?6, phones = ?7, email = ?8 WHERE key = ?1",
            )?
            .execute(params![
                key,
                p.name,
                p.social_name,
                p.birth_date,
                tag,
                masked,
                phones_json,
                p.email
            ])?;
            conn.prepare_cached("UPDATE patients_fts SET names = ?2 WHERE rowid = ?1")?
                .execute(params![key, names])?;
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO patients (id, name, social_name, birth_date, cpf_index, cpf_masked, phones, email)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![p.id, p.name, p.social_name, p.birth_date, tag, masked, phones_json, p.email])?;
            let key = conn.last_insert_rowid();
            conn.prepare_cached("INSERT INTO patients_fts (rowid, names) VALUES (?1, ?2)")?
                .execute(params![key, names])?;
        }
    }
    conn.prepare_cached("DELETE FROM patient_phones WHERE patient_id = ?1")?
        .execute([&p.id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO patient_phones (patient_id, e164, reversed) VALUES (?1, ?2, ?3)",
    )?;
    for number in phones {
        let reversed: String = number.chars().filter(char::is_ascii_digit).rev().collect();
        insert.execute(params![p.id, number, reversed])?;
    }
    Ok(())
}

fn project_agenda(conn: &Connection, id: Uuid, week: &AgendaWeek) -> Result<(), ProjectionError> {
    let id_text = id.to_string();
    conn.prepare_cached("DELETE FROM appointments WHERE agenda_id = ?1")?
        .execute([&id_text])?;
    conn.prepare_cached("DELETE FROM blocks WHERE agenda_id = ?1")?
        .execute([&id_text])?;
    for a in week.appointments.values() {
        insert_appointment(conn, &id_text, &week.site_id, a)?;
    }
    for b in week.blocks.values() {
        insert_block(conn, &id_text, &week.site_id, b)?;
    }
    Ok(())
}

fn insert_appointment(
    conn: &Connection,
    agenda_id: &str,
    site_id: &str,
    a: &Appointment,
) -> Result<(), ProjectionError> {
    // An appointment whose time does not parse is still listed, at its raw
    // start, so that nobody loses sight of it.
    let span = agenda::parse_datetime(&a.start).map(|s| Span::new(s, a.duration_min));
    let ends = span
        .map(|s| agenda::format_datetime(s.end))
        .unwrap_or_else(|| a.start.clone());
    let day = span
        .map(|s| s.start.date().to_string())
        .unwrap_or_else(|| a.start.chars().take(10).collect());
    conn.prepare_cached(
        "INSERT OR REPLACE INTO appointments (id, agenda_id, site_id, patient_id, professional_id, chair_id,
         starts_at, ends_at, day, duration_min, status, procedures, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        a.id,
        agenda_id,
        site_id,
        a.patient_id,
        a.professional_id,
        a.chair_id,
        a.start,
        ends,
        day,
        a.duration_min,
        a.status.as_str(),
        serde_json::to_string(&a.procedures).unwrap_or_else(|_| "[]".into()),
        a.notes,
    ])?;
    Ok(())
}

fn insert_block(
    conn: &Connection,
    agenda_id: &str,
    site_id: &str,
    b: &Block,
) -> Result<(), ProjectionError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO blocks (id, agenda_id, site_id, professional_id, chair_id, starts_at, ends_at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![b.id, agenda_id, site_id, b.professional_id, b.chair_id, b.start, b.end, b.reason])?;
    Ok(())
}

/// A patient found by search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientHit {
    pub id: String,
    pub name: String,
    pub social_name: Option<String>,
    pub birth_date: Option<String>,
    pub cpf: Option<String>,
    pub phones: Vec<String>,
    pub email: Option<String>,
}

/// How a search query was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Cpf(Cpf),
    /// Digits the phone number ends with.
    PhoneSuffix(String),
    /// Name prefixes, all of which must match.
    Name(Vec<String>),
}

impl Query {
    /// A valid CPF searches by CPF; three or more digits and phone punctuation
    /// search phone endings; anything else searches names.
    pub fn parse(input: &str) -> Option<Query> {
        let s = input.trim();
        if let Ok(cpf) = s.parse::<Cpf>() {
            return Some(Query::Cpf(cpf));
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let phone_like = s
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-.".contains(c));
        if phone_like && digits.len() >= 3 {
            return Some(Query::PhoneSuffix(digits));
        }
        let words: Vec<String> = s
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        (!words.is_empty()).then_some(Query::Name(words))
    }
}

const HIT_COLUMNS: &str =
    "p.id, p.name, p.social_name, p.birth_date, p.cpf_masked, p.phones, p.email";

fn hit(row: &rusqlite::Row<'_>) -> rusqlite::Result<PatientHit> {
    let phones: String = row.get(5)?;
    Ok(PatientHit {
        id: row.get(0)?,
        name: row.get(1)?,
        social_name: row.get(2)?,
        birth_date: row.get(3)?,
        cpf: row.get(4)?,
        phones: serde_json::from_str(&phones).unwrap_or_default(),
        email: row.get(6)?,
    })
}

/// Above this many name matches, search stops sorting every match.
pub const MANY_MATCHES: usize = 1_000;

/// Finds patients: by any part of the name (accent- and case-insensitive
/// prefixes), by the end of a phone number, or by exact CPF. Results come in
/// name order; a fragment that matches more than [`MANY_MATCHES`] patients
/// returns the most recently registered of them (type more to narrow).
pub fn search_patients(
    conn: &Connection,
    query: &str,
    limit: usize,
    cpf: &CpfIndex,
) -> Result<Vec<PatientHit>, ProjectionError> {
    let limit = limit as i64;
    let rows = match Query::parse(query) {
        None => return Ok(Vec::new()),
        Some(Query::Cpf(c)) => conn
            .prepare_cached(&format!("SELECT {HIT_COLUMNS} FROM patients p WHERE p.cpf_index = ?1 ORDER BY p.name, p.id LIMIT ?2"))?
            .query_map(params![cpf.tag(&c), limit], hit)?
            .collect::<Result<Vec<_>, _>>()?,
        Some(Query::PhoneSuffix(digits)) => {
            let reversed: String = digits.chars().rev().collect();
            let upper = format!("{reversed}\u{7f}");
            conn.prepare_cached(&format!(
                "SELECT {HIT_COLUMNS} FROM patients p WHERE p.id IN
                 (SELECT patient_id FROM patient_phones WHERE reversed >= ?1 AND reversed < ?2)
                 ORDER BY p.name, p.id LIMIT ?3"
            ))?
            .query_map(params![reversed, upper, limit], hit)?
            .collect::<Result<Vec<_>, _>>()?
        }
        Some(Query::Name(words)) => {
            let fts: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            let fts = fts.join(" ");
            let cap = MANY_MATCHES as i64 + 1;
            // Both paths give the same answer. One word can match a large
            // part of the clinic, and FTS5 counts it cheaply from its prefix
            // index; several words rarely do, and one capped, sorted pass
            // avoids evaluating their intersection twice.
            let sorted = if words.len() == 1 {
                let matches: i64 = conn
                    .prepare_cached("SELECT COUNT(*) FROM (SELECT rowid FROM patients_fts WHERE patients_fts MATCH ?1 LIMIT ?2)")?
                    .query_row(params![fts, cap], |r| r.get(0))?;
                if matches < cap {
                    Some(
                        conn.prepare_cached(&format!(
                            "SELECT {HIT_COLUMNS} FROM patients_fts f JOIN patients p ON p.key = f.rowid
                             WHERE patients_fts MATCH ?1 ORDER BY p.name, p.id LIMIT ?2"
                        ))?
                        .query_map(params![fts, limit], hit)?
                        .collect::<Result<Vec<_>, _>>()?,
                    )
                } else {
                    None
                }
            } else {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {HIT_COLUMNS}, COUNT(*) OVER () FROM
                     (SELECT rowid FROM patients_fts WHERE patients_fts MATCH ?1 LIMIT ?3) f
                     JOIN patients p ON p.key = f.rowid ORDER BY p.name, p.id LIMIT ?2"
                ))?;
                let rows = stmt
                    .query_map(params![fts, limit, cap], |r| Ok((hit(r)?, r.get::<_, i64>(7)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                let many = rows.first().is_some_and(|(_, n)| *n >= cap);
                (!many).then(|| rows.into_iter().map(|(h, _)| h).collect())
            };
            match sorted {
                Some(hits) => hits,
                None => {
                    // Too many to sort on every keystroke: the most recently
                    // registered matches, shown in name order.
                    let mut hits = conn
                        .prepare_cached(&format!(
                            "SELECT {HIT_COLUMNS} FROM (SELECT rowid FROM patients_fts WHERE patients_fts MATCH ?1
                             ORDER BY rowid DESC LIMIT ?2) f JOIN patients p ON p.key = f.rowid"
                        ))?
                        .query_map(params![fts, limit], hit)?
                        .collect::<Result<Vec<_>, _>>()?;
                    hits.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
                    hits
                }
            }
        }
    };
    Ok(rows)
}

/// The first `limit` patients in name order: the list before anything is
/// typed.
pub fn patients_by_name(
    conn: &Connection,
    limit: usize,
) -> Result<Vec<PatientHit>, ProjectionError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {HIT_COLUMNS} FROM patients p ORDER BY p.name, p.id LIMIT ?1"
        ))?
        .query_map([limit as i64], hit)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Blocks of a site that overlap the days `[from, to)`, in start order. A
/// block stored in several weeks is listed once.
pub fn blocks(
    conn: &Connection,
    site_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<Block>, ProjectionError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT id, professional_id, chair_id, starts_at, ends_at, reason FROM blocks
             WHERE site_id = ?1 AND starts_at < ?3 AND ends_at > ?2 ORDER BY starts_at, id",
        )?
        .query_map(params![site_id, from, to], |r| {
            Ok(Block {
                id: r.get(0)?,
                professional_id: r.get(1)?,
                chair_id: r.get(2)?,
                start: r.get(3)?,
                end: r.get(4)?,
                reason: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// An appointment as listed in the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentRow {
    pub id: String,
    pub agenda_id: String,
    pub site_id: String,
    pub patient_id: String,
    pub patient_name: Option<String>,
    pub professional_id: String,
    pub chair_id: String,
    pub start: String,
    pub end: String,
    pub duration_min: u32,
    pub status: String,
    pub procedures: Vec<String>,
    pub notes: String,
    /// The patient's anamnesis alerts, when this workstation holds the chart.
    pub patient_alerts: Vec<crate::chart::Alert>,
}

/// Which appointments to list: `[from, to)` days, optionally one
/// professional or chair.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    pub from: String,
    pub to: String,
    pub professional_id: Option<String>,
    pub chair_id: Option<String>,
    pub patient_id: Option<String>,
}

const APPT_COLUMNS: &str =
    "a.id, a.agenda_id, a.site_id, a.patient_id, p.name, a.professional_id, a.chair_id,
     a.starts_at, a.ends_at, a.duration_min, a.status, a.procedures, a.notes, c.alerts";

/// Appointments with their patient's name and alerts.
const APPT_FROM: &str = "appointments a LEFT JOIN patients p ON p.id = a.patient_id
     LEFT JOIN chart_alerts c ON c.patient_id = a.patient_id";

fn appointment(row: &rusqlite::Row<'_>) -> rusqlite::Result<AppointmentRow> {
    let procedures: String = row.get(11)?;
    Ok(AppointmentRow {
        id: row.get(0)?,
        agenda_id: row.get(1)?,
        site_id: row.get(2)?,
        patient_id: row.get(3)?,
        patient_name: row.get(4)?,
        professional_id: row.get(5)?,
        chair_id: row.get(6)?,
        start: row.get(7)?,
        end: row.get(8)?,
        duration_min: row.get(9)?,
        status: row.get(10)?,
        procedures: serde_json::from_str(&procedures).unwrap_or_default(),
        notes: row.get(12)?,
        patient_alerts: row
            .get::<_, Option<String>>(13)?
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default(),
    })
}

/// Lists appointments in a day range, in start order.
pub fn appointments(
    conn: &Connection,
    filter: &AppointmentFilter,
) -> Result<Vec<AppointmentRow>, ProjectionError> {
    let (column, value) = match (
        &filter.professional_id,
        &filter.chair_id,
        &filter.patient_id,
    ) {
        (Some(p), _, _) => ("a.professional_id", Some(p)),
        (None, Some(c), _) => ("a.chair_id", Some(c)),
        (None, None, Some(p)) => ("a.patient_id", Some(p)),
        (None, None, None) => ("a.day", None),
    };
    let rows = match value {
        Some(v) => conn
            .prepare_cached(&format!(
                "SELECT {APPT_COLUMNS} FROM {APPT_FROM}
                 WHERE {column} = ?1 AND a.starts_at >= ?2 AND a.starts_at < ?3
                 AND (?4 IS NULL OR a.chair_id = ?4) ORDER BY a.starts_at, a.id"
            ))?
            .query_map(
                params![v, filter.from, filter.to, filter.chair_id],
                appointment,
            )?
            .collect::<Result<Vec<_>, _>>()?,
        None => conn
            .prepare_cached(&format!(
                "SELECT {APPT_COLUMNS} FROM {APPT_FROM}
                 WHERE a.day >= ?1 AND a.day < ?2 ORDER BY a.starts_at, a.id"
            ))?
            .query_map(params![filter.from, filter.to], appointment)?
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(rows)
}

/// One appointment by id.
pub fn appointment_by_id(
    conn: &Connection,
    id: &str,
) -> Result<Option<AppointmentRow>, ProjectionError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.id = ?1"
        ))?
        .query_row([id], appointment)
        .optional()?)
}

/// The appointments and blocks that could collide with `span` for this
/// professional or chair at this site: what the booking check needs.
pub fn neighbours(
    conn: &Connection,
    site_id: &str,
    professional_id: &str,
    chair_id: &str,
    span: &Span,
) -> Result<(Vec<Booked>, Vec<BlockSpan>), ProjectionError> {
    // No appointment is longer than MAX_DURATION_MIN, so anything that
    // overlaps starts after span.start - MAX_DURATION_MIN.
    let earliest = agenda::format_datetime(
        span.start - chrono::Duration::minutes(i64::from(agenda::MAX_DURATION_MIN)),
    );
    let end = agenda::format_datetime(span.end);
    let mut booked = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, professional_id, chair_id, starts_at, duration_min, status FROM appointments
         WHERE professional_id = ?1 AND starts_at >= ?3 AND starts_at < ?4
         UNION
         SELECT id, professional_id, chair_id, starts_at, duration_min, status FROM appointments
         WHERE chair_id = ?2 AND starts_at >= ?3 AND starts_at < ?4",
    )?;
    let mut rows = stmt.query(params![professional_id, chair_id, earliest, end])?;
    while let Some(r) = rows.next()? {
        let start: String = r.get(3)?;
        let status: String = r.get(5)?;
        let (Some(start), Ok(status)) = (
            agenda::parse_datetime(&start),
            status.parse::<AppointmentStatus>(),
        ) else {
            continue;
        };
        booked.push(Booked {
            id: r.get(0)?,
            professional_id: r.get(1)?,
            chair_id: r.get(2)?,
            span: Span::new(start, r.get(4)?),
            status,
        });
    }
    let mut blocks = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, professional_id, chair_id, starts_at, ends_at, reason FROM blocks
         WHERE site_id = ?1 AND starts_at < ?3 AND ends_at > ?2",
    )?;
    let mut rows = stmt.query(params![site_id, agenda::format_datetime(span.start), end])?;
    while let Some(r) = rows.next()? {
        let (start, stop): (String, String) = (r.get(3)?, r.get(4)?);
        let (Some(start), Some(stop)) = (
            agenda::parse_datetime(&start),
            agenda::parse_datetime(&stop),
        ) else {
            continue;
        };
        blocks.push(BlockSpan {
            id: r.get(0)?,
            professional_id: r.get(1)?,
            chair_id: r.get(2)?,
            span: Span { start, end: stop },
            reason: r.get(5)?,
        });
    }
    Ok((booked, blocks))
}

/// Every projection row in a canonical order, as text: two stores whose
/// documents are equal give equal dumps. Used to prove that incremental
/// updates and a full reindex agree.
pub fn dump(conn: &Connection) -> Result<Vec<String>, ProjectionError> {
    let queries = [
        "SELECT 'patient', id, name, social_name, birth_date, hex(cpf_index), cpf_masked, phones, email FROM patients ORDER BY id",
        "SELECT 'fts', p.id, f.names FROM patients_fts f JOIN patients p ON p.key = f.rowid ORDER BY p.id",
        "SELECT 'fts-orphans', COUNT(*) FROM patients_fts WHERE rowid NOT IN (SELECT key FROM patients)",
        "SELECT 'phone', patient_id, e164, reversed FROM patient_phones ORDER BY patient_id, e164",
        "SELECT 'appointment', id, agenda_id, site_id, patient_id, professional_id, chair_id, starts_at, ends_at, day,
                duration_min, status, procedures, notes FROM appointments ORDER BY id",
        "SELECT 'block', id, agenda_id, site_id, professional_id, chair_id, starts_at, ends_at, reason FROM blocks ORDER BY id, agenda_id",
        "SELECT 'alerts', patient_id, alerts FROM chart_alerts ORDER BY patient_id",
        "SELECT 'conversation', doc_id, phone_number_id, display_number, contact_name, phone, patient_id,
                lead, unread, waiting_since, last_at, last_text, last_inbound_at, attention, assignee, tags FROM conversations ORDER BY doc_id",
        "SELECT 'conversation-media', doc_id, sha256, mime_type, size, at FROM conversation_media ORDER BY doc_id, sha256",
        "SELECT 'heads', doc_id, class, heads FROM projection_heads ORDER BY doc_id",
    ];
    let mut out = Vec::new();
    for q in queries {
        let mut stmt = conn.prepare(q)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let cells: Vec<String> = (0..n)
                .map(|i| {
                    r.get_ref(i).map(|v| match v {
                        ValueRef::Null => "∅".to_string(),
                        ValueRef::Integer(n) => n.to_string(),
                        ValueRef::Real(f) => f.to_string(),
                        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        ValueRef::Blob(b) => hex::encode(b),
                    })
                })
                .collect::<Result<_, _>>()?;

            out.push(cells.join("|"));
        }
    }
    Ok(out)
}
