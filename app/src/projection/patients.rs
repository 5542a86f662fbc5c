//! Patients: the rows, FTS5 name search, phone suffixes, the CPF blind
//! index, and the searches over them.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::cpf::Cpf;
use crate::documents::PatientDoc;

use super::{CpfIndex, ProjectionError};

pub(super) fn project_patient(
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

/// A patient found by search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
