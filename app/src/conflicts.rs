//! Double bookings that only merges can make.
//!
//! A workstation refuses to book a chair or a professional twice, but two
//! workstations offline each accept their own booking; when their agendas
//! merge, both appointments survive (nothing is dropped by last-write-wins)
//! and the overlap is listed here until someone moves or cancels one. The
//! list is computed from the agenda projection, which equals a full
//! reindex of the merged documents, so every workstation with the same
//! documents lists the same conflicts with the same ids.

use rusqlite::Connection;
use serde::Serialize;

use crate::agenda::{AppointmentStatus, Resource};
use crate::projection::{self, AppointmentRow, ProjectionError};

/// Two appointments holding the same professional or chair at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// Stable across workstations: resource and the two appointment ids.
    pub id: String,
    pub resource: Resource,
    pub resource_id: String,
    pub day: String,
    /// The earlier-starting appointment first.
    pub appointments: [AppointmentRow; 2],
}

/// Every overlap between appointments that hold their slot, by day.
pub fn list(conn: &Connection) -> Result<Vec<Conflict>, ProjectionError> {
    let free: Vec<String> = AppointmentStatus::ALL
        .iter()
        .filter(|s| !s.holds_slot())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let free = free.join(", ");
    // The later-starting one of an overlapping pair starts before the
    // earlier one ends: one range scan of the resource's index per row.
    let pairs = |column: &str| {
        format!(
            "SELECT a.id, b.id, a.{column}, a.day, a.starts_at FROM appointments a
             JOIN appointments b ON b.{column} = a.{column}
                 AND b.starts_at >= a.starts_at AND b.starts_at < a.ends_at
                 AND (b.starts_at > a.starts_at OR b.id > a.id)
             WHERE a.status NOT IN ({free}) AND b.status NOT IN ({free})"
        )
    };
    let sql = format!(
        "SELECT 'professional', * FROM ({}) UNION ALL SELECT 'chair', * FROM ({}) ORDER BY 5, 6, 1, 2, 3",
        pairs("professional_id"),
        pairs("chair_id")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut conflicts = Vec::new();
    for row in rows {
        let (resource, a, b, resource_id, day) = row?;
        let (Some(first), Some(second)) = (
            projection::appointment_by_id(conn, &a)?,
            projection::appointment_by_id(conn, &b)?,
        ) else {
            continue;
        };
        let resource = if resource == "chair" {
            Resource::Chair
        } else {
            Resource::Professional
        };
        let (low, high) = if a < b { (&a, &b) } else { (&b, &a) };
        conflicts.push(Conflict {
            id: format!("{resource}:{low}:{high}"),
            resource,
            resource_id,
            day,
            appointments: [first, second],
        });
    }
    Ok(conflicts)
}
