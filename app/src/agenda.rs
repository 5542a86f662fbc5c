//! Agenda rules: ISO weeks (one agenda document per site × week), opening
//! hours, blocks and the overlap check that keeps a professional or a chair
//! from being booked twice.
//!
//! Times are the clinic's wall-clock time (`NaiveDateTime`): a site works in
//! one time zone and people book in it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// Longest appointment accepted: a long surgery, not a typo of minutes for hours.
pub const MAX_DURATION_MIN: u32 = 12 * 60;

string_enum! {
    /// Where an appointment is in its day.
    pub enum AppointmentStatus ("appointment status") {
        Agendado => "agendado",
        Confirmado => "confirmado",
        Chegou => "chegou",
        EmAtendimento => "em-atendimento",
        Concluido => "concluido",
        Faltou => "faltou",
        Cancelado => "cancelado",
        Remarcado => "remarcado",
    }
}

impl AppointmentStatus {
    /// Whether the appointment still occupies its professional and chair.
    /// Cancelled and rescheduled ones free the slot.
    pub fn holds_slot(self) -> bool {
        !matches!(
            self,
            AppointmentStatus::Cancelado | AppointmentStatus::Remarcado
        )
    }
}

string_enum! {
    /// Who created an appointment.
    pub enum Source ("appointment source") {
        Desk => "recepcao",
        WhatsApp => "whatsapp",
    }
}

string_enum! {
    /// Days of the week, as stored in opening hours.
    #[cfg_attr(feature = "ts", ts(rename = "Weekday"))]
    pub enum Day ("weekday") {
        Mon => "seg",
        Tue => "ter",
        Wed => "qua",
        Thu => "qui",
        Fri => "sex",
        Sat => "sab",
        Sun => "dom",
    }
}

impl Day {
    pub fn of(date: NaiveDate) -> Day {
        match date.weekday() {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

/// An ISO 8601 week, e.g. `2026-W48`: the key of an agenda document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Week {
    year: i32,
    week: u32,
}

impl Week {
    pub fn of(date: NaiveDate) -> Week {
        let iso = date.iso_week();
        Week {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The Monday that starts the week.
    pub fn monday(self) -> NaiveDate {
        // Valid by construction: `year` and `week` come from a real date or
        // were checked by `from_str`.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Week {
        Week::of(self.monday() + Duration::days(7))
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// Why a week key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid week {0:?}: expected an ISO week like 2026-W48")]
pub struct WeekError(pub String);

impl FromStr for Week {
    type Err = WeekError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || WeekError(s.to_string());
        let (year, week) = s.trim().split_once("-W").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(Week { year, week })
    }
}

/// A half-open span of wall-clock time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Span {
    pub fn new(start: NaiveDateTime, minutes: u32) -> Span {
        Span {
            start,
            end: start + Duration::minutes(i64::from(minutes)),
        }
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start.date() == self.end.date() {
            write!(
                f,
                "{} {}–{}",
                self.start.date(),
                self.start.format("%H:%M"),
                self.end.format("%H:%M")
            )
        } else {
            write!(
                f,
                "{} – {}",
                self.start.format("%Y-%m-%d %H:%M"),
                self.end.format("%Y-%m-%d %H:%M")
            )
        }
    }
}

/// One opening period of a site: a weekday and a time range. A day may have
/// several (morning and afternoon shifts); a day with none is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub day: Day,
    pub open: NaiveTime,
    pub close: NaiveTime,
}

/// A site's weekly opening hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpeningHours(pub Vec<Opening>);

impl OpeningHours {
    /// Monday to Friday 08:00–18:00 and Saturday 08:00–12:00: a common
    /// Brazilian clinic's week, used when a site is created.
    pub fn default_clinic() -> OpeningHours {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        let mut periods: Vec<Opening> = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
            .into_iter()
            .map(|day| Opening {
                day,
                open: t(8),
                close: t(18),
            })
            .collect();
        periods.push(Opening {
            day: Day::Sat,
            open: t(8),
            close: t(12),
        });
        OpeningHours(periods)
    }

    /// Whether `span` lies inside a single opening period.
    pub fn contains(&self, span: &Span) -> bool {
        let day = Day::of(span.start.date());
        span.start.date() == span.end.date()
            && self
                .0
                .iter()
                .any(|p| p.day == day && p.open <= span.start.time() && span.end.time() <= p.close)
    }

    /// The periods of one day, as `08:00–12:00, 13:00–18:00` (or `closed`).
    pub fn describe(&self, day: Day) -> String {
        let periods: Vec<String> = self
            .0
            .iter()
            .filter(|p| p.day == day)
            .map(|p| format!("{}–{}", p.open.format("%H:%M"), p.close.format("%H:%M")))
            .collect();
        if periods.is_empty() {
            "closed".to_string()
        } else {
            periods.join(", ")
        }
    }
}

/// Why an opening-hours line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid opening hours {0:?}: expected e.g. \"seg-sex 08:00-12:00,13:00-18:00\" or \"sab 08:00-12:00\"")]
pub struct HoursError(pub String);

impl OpeningHours {
    /// Parses lines like `seg-sex 08:00-12:00,13:00-18:00` and
    /// `sab 08:00-12:00`; days not mentioned are closed.
    pub fn parse(lines: &[String]) -> Result<OpeningHours, HoursError> {
        let mut periods = Vec::new();
        for line in lines {
            let bad = || HoursError(line.clone());
            let (days, ranges) = line.trim().split_once(' ').ok_or_else(bad)?;
            let days: Vec<Day> = match days.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (
                        a.parse::<Day>().map_err(|_| bad())?,
                        b.parse::<Day>().map_err(|_| bad())?,
                    );
                    let (ia, ib) = (
                        Day::ALL.iter().position(|d| *d == a),
                        Day::ALL.iter().position(|d| *d == b),
                    );
                    match (ia, ib) {
                        (Some(ia), Some(ib)) if ia <= ib => Day::ALL[ia..=ib].to_vec(),
                        _ => return Err(bad()),
                    }
                }
                None => vec![days.parse::<Day>().map_err(|_| bad())?],
            };
            for range in ranges.split(',') {
                let (open, close) = range.trim().split_once('-').ok_or_else(bad)?;
                let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
                let (open, close) = (t(open)?, t(close)?);
                if open >= close {
                    return Err(bad());
                }
                periods.extend(days.iter().map(|day| Opening {
                    day: *day,
                    open,
                    close,
                }));
            }
        }
        if periods.is_empty() {
            return Err(HoursError(String::new()));
        }
        Ok(OpeningHours(periods))
    }
}

/// Which resource two bookings compete for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Resource {
    Professional,
    Chair,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Professional => "professional",
            Resource::Chair => "chair",
        })
    }
}

/// Why a time cannot be booked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("invalid duration {0} min: an appointment lasts 5 to 720 minutes")]
    Duration(u32),
    #[error("{span} is outside opening hours ({day}: {hours})")]
    OutsideHours { span: Span, day: Day, hours: String },
    #[error("the {resource} is already booked {span} by appointment {appointment}")]
    Overlap {
        resource: Resource,
        appointment: String,
        span: Span,
    },
    #[error("{span} falls in block {block} ({reason})")]
    Blocked {
        block: String,
        reason: String,
        span: Span,
    },
}

/// An appointment already in the agenda, as the overlap check sees it.
#[derive(Debug, Clone)]
pub struct Booked {
    pub id: String,
    pub professional_id: String,
    pub chair_id: String,
    pub span: Span,
    pub status: AppointmentStatus,
}

/// A block (lunch, vacation, course) on a professional, a chair, or — with
/// neither — the whole site.
#[derive(Debug, Clone)]
pub struct BlockSpan {
    pub id: String,
    pub professional_id: Option<String>,
    pub chair_id: Option<String>,
    pub span: Span,
    pub reason: String,
}

/// The booking being checked: a new appointment, or an existing one moved
/// (then `id` is its own and it never collides with itself).
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub id: Option<&'a str>,
    pub professional_id: &'a str,
    pub chair_id: &'a str,
    pub start: NaiveDateTime,
    pub duration_min: u32,
}

impl Candidate<'_> {
    pub fn span(&self) -> Span {
        Span::new(self.start, self.duration_min)
    }
}

/// Checks duration, opening hours, blocks and overlaps, in that order, and
/// reports the first problem found.
pub fn check_booking(
    candidate: &Candidate<'_>,
    hours: &OpeningHours,
    booked: &[Booked],
    blocks: &[BlockSpan],
) -> Result<(), BookingError> {
    if !(5..=MAX_DURATION_MIN).contains(&candidate.duration_min) {
        return Err(BookingError::Duration(candidate.duration_min));
    }
    let span = candidate.span();
    if !hours.contains(&span) {
        let day = Day::of(span.start.date());
        return Err(BookingError::OutsideHours {
            span,
            day,
            hours: hours.describe(day),
        });
    }
    for block in blocks {
        let applies = match (&block.professional_id, &block.chair_id) {
            (None, None) => true,
            (p, c) => {
                p.as_deref() == Some(candidate.professional_id)
                    || c.as_deref() == Some(candidate.chair_id)
            }
        };
        if applies && block.span.overlaps(&span) {
            return Err(BookingError::Blocked {
                block: block.id.clone(),
                reason: block.reason.clone(),
                span: block.span,
            });
        }
    }
    if let Some((other, resource)) = first_overlap(candidate, booked) {
        return Err(BookingError::Overlap {
            resource,
            appointment: other.id.clone(),
            span: other.span,
        });
    }
    Ok(())
}

/// The first slot-holding appointment that shares the candidate's professional
/// or chair at an overlapping time, earliest first.
fn first_overlap<'b>(
    candidate: &Candidate<'_>,
    booked: &'b [Booked],
) -> Option<(&'b Booked, Resource)> {
    let span = candidate.span();
    booked
        .iter()
        .filter(|b| {
            Some(b.id.as_str()) != candidate.id && b.status.holds_slot() && b.span.overlaps(&span)
        })
        .filter_map(|b| {
            if b.chair_id == candidate.chair_id {
                Some((b, Resource::Chair))
            } else if b.professional_id == candidate.professional_id {
                Some((b, Resource::Professional))
            } else {
                None
            }
        })
        .min_by_key(|(b, _)| (b.span.start, b.id.clone()))
}

/// Parses a wall-clock date and time as people type it: `2026-11-23 09:00`,
/// `2026-11-23T09:00` or `23/11/2026 09:00`.
pub fn parse_datetime(input: &str) -> Option<NaiveDateTime> {
    let s = input.trim();
    [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// Parses a date: `2026-11-23` or `23/11/2026`.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    ["%Y-%m-%d", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// The stored form of a wall-clock time: `2026-11-23T09:00`.
pub fn format_datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        parse_datetime(s).expect(s)
    }

    fn booked(id: &str, prof: &str, chair: &str, start: &str, min: u32) -> Booked {
        Booked {
            id: id.into(),
            professional_id: prof.into(),
            chair_id: chair.into(),
            span: Span::new(at(start), min),
            status: AppointmentStatus::Agendado,
        }
    }

    fn candidate<'a>(prof: &'a str, chair: &'a str, start: &str, min: u32) -> Candidate<'a> {
        Candidate {
            id: None,
            professional_id: prof,
            chair_id: chair,
            start: at(start),
            duration_min: min,
        }
    }

    #[test]
    fn weeks_follow_iso_8601() {
        let d = parse_date("2026-11-23").expect("date");
        assert_eq!(Week::of(d).to_string(), "2026-W48");
        // 2027-01-01 is a Friday: it belongs to 2026's last week.
        assert_eq!(
            Week::of(parse_date("01/01/2027").expect("date")).to_string(),
            "2026-W53"
        );
        let w: Week = "2026-W48".parse().expect("week");
        assert_eq!(w.monday(), d);
        assert_eq!(w.next().to_string(), "2026-W49");
        assert!("2026-W54".parse::<Week>().is_err());
        assert!("2026-48".parse::<Week>().is_err());
    }

    #[test]
    fn same_chair_or_professional_overlap_is_refused() {
        let hours = OpeningHours::default_clinic();
        let existing = vec![booked("a1", "p1", "c1", "2026-11-23 09:00", 30)];
        let same_chair = candidate("p2", "c1", "2026-11-23 09:15", 30);
        let err = check_booking(&same_chair, &hours, &existing, &[]).expect_err("chair taken");
        assert!(
            matches!(&err, BookingError::Overlap { resource: Resource::Chair, appointment, .. } if appointment == "a1")
        );
        assert!(err.to_string().contains("a1"), "{err}");
        let same_prof = candidate("p1", "c2", "2026-11-23 08:45", 30);
        assert!(matches!(
            check_booking(&same_prof, &hours, &existing, &[]),
            Err(BookingError::Overlap {
                resource: Resource::Professional,
                ..
            })
        ));
        // Back to back is fine; other chair and professional is fine.
        assert!(check_booking(
            &candidate("p1", "c1", "2026-11-23 09:30", 30),
            &hours,
            &existing,
            &[]
        )
        .is_ok());
        assert!(check_booking(
            &candidate("p2", "c2", "2026-11-23 09:00", 30),
            &hours,
            &existing,
            &[]
        )
        .is_ok());
    }

    #[test]
    fn cancelled_appointments_free_the_slot_and_moves_ignore_themselves() {
        let hours = OpeningHours::default_clinic();
        let mut existing = vec![booked("a1", "p1", "c1", "2026-11-23 09:00", 30)];
        let mut moving = candidate("p1", "c1", "2026-11-23 09:10", 30);
        moving.id = Some("a1");
        assert!(check_booking(&moving, &hours, &existing, &[]).is_ok());
        existing[0].status = AppointmentStatus::Cancelado;
        assert!(check_booking(
            &candidate("p1", "c1", "2026-11-23 09:00", 30),
            &hours,
            &existing,
            &[]
        )
        .is_ok());
    }

    #[test]
    fn opening_hours_parse_from_lines() {
        let h = OpeningHours::parse(&[
            "seg-sex 08:00-12:00,13:00-18:00".into(),
            "sab 08:00-12:00".into(),
        ])
        .expect("hours");
        assert_eq!(h.0.len(), 11);
        assert_eq!(h.describe(Day::Wed), "08:00–12:00, 13:00–18:00");
        assert_eq!(h.describe(Day::Sun), "closed");
        assert!(!h.contains(&Span::new(at("2026-11-23 12:30"), 30)));
        for bad in [
            "seg 18:00-08:00",
            "xyz 08:00-12:00",
            "sex-seg 08:00-12:00",
            "seg",
            "seg 8h-12h",
        ] {
            assert!(OpeningHours::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn opening_hours_and_blocks() {
        let hours = OpeningHours::default_clinic();
        // Sunday, before opening, past closing, across midnight.
        for (start, min) in [
            ("2026-11-22 10:00", 30),
            ("2026-11-23 07:30", 60),
            ("2026-11-23 17:45", 30),
            ("2026-11-28 11:30", 60),
            ("2026-11-23 23:00", 120),
        ] {
            let err =
                check_booking(&candidate("p", "c", start, min), &hours, &[], &[]).expect_err(start);
            assert!(
                matches!(err, BookingError::OutsideHours { .. }),
                "{start}: {err}"
            );
        }
        assert!(check_booking(
            &candidate("p", "c", "2026-11-28 11:30", 30),
            &hours,
            &[],
            &[]
        )
        .is_ok());
        let lunch = BlockSpan {
            id: "b1".into(),
            professional_id: Some("p".into()),
            chair_id: None,
            span: Span {
                start: at("2026-11-23 12:00"),
                end: at("2026-11-23 13:00"),
            },
            reason: "almoço".into(),
        };
        let err = check_booking(
            &candidate("p", "c", "2026-11-23 12:30", 30),
            &hours,
            &[],
            std::slice::from_ref(&lunch),
        )
        .expect_err("lunch");
        assert!(err.to_string().contains("almoço"));
        assert!(check_booking(
            &candidate("q", "c", "2026-11-23 12:30", 30),
            &hours,
            &[],
            &[lunch]
        )
        .is_ok());
        assert!(matches!(
            check_booking(
                &candidate("p", "c", "2026-11-23 09:00", 0),
                &hours,
                &[],
                &[]
            ),
            Err(BookingError::Duration(0))
        ));
    }
}
