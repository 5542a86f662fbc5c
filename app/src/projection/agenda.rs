//! Appointments and blocks by day, professional and chair, and the
//! queries the agenda and booking checks make.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::agenda::{self, AppointmentStatus, BlockSpan, Booked, Span};
use crate::documents::{AgendaWeek, Appointment, Block};

use super::ProjectionError;

pub(super) fn project_agenda(
    conn: &Connection,
    id: Uuid,
    week: &AgendaWeek,
) -> Result<(), ProjectionError> {
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

pub(super) fn insert_appointment(
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

pub(super) fn insert_block(
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// An [`AppointmentStatus`] slug: the projection writes nothing else.
    #[cfg_attr(feature = "ts", ts(as = "AppointmentStatus"))]
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
