//! The agenda: booking, moving, cancelling and confirming appointments,
//! and blocks, each checked against the site's hours and what is booked.

use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::agenda::{self, AppointmentStatus, Candidate, Opening, OpeningHours, Source, Week};
use crate::documents::{self, AgendaWeek, Appointment, Block, Directory, DocClass, Site};
use crate::projection::{self, AppointmentFilter, AppointmentRow};
use crate::store;

use super::{ids_with_prefix, now_text, required, schema_err, Clinic, Error, Writer};

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

impl Clinic {
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
