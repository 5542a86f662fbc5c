//! Indexes over the documents: patients (with FTS5 name search, phone suffix
//! and CPF blind index), appointments by day, professional and chair, and
//! blocks. Each is derived from a document alone, so rebuilding from scratch
//! ([`rebuild`]) gives the same rows as following every change.

use automerge::Automerge;
use ring::hmac;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};
use uuid::Uuid;

use crate::cpf::Cpf;
use crate::documents::{AgendaWeek, Appointment, Block, ConversationDoc, DocClass, PatientDoc};
use crate::store::{self, StoreError};

mod agenda;
mod chart;
mod inbox;
mod patients;

pub use agenda::{
    appointment_by_id, appointments, blocks, neighbours, AppointmentFilter, AppointmentRow,
};
use agenda::{insert_appointment, insert_block, project_agenda};
use chart::project_chart_alerts;
use inbox::project_conversation;
use patients::project_patient;
pub use patients::{patients_by_name, search_patients, PatientHit, Query, MANY_MATCHES};

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
