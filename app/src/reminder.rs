//! Appointment reminders over WhatsApp: which appointments are due one,
//! what the reminder says, which number it goes to, and what a patient's
//! answer does to the appointment. The server's scheduler and its reply
//! handling follow these rules; nothing here does I/O.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::agenda::{self, AppointmentStatus, Week};
use crate::documents::{
    AgendaWeek, Appointment, AttentionReason, Message, PatientDoc, SendingHours,
};
use crate::inbox::Answer;
use crate::phone::Phone;

/// The wall-clock time at a site, from its IANA zone (the directory's
/// `timezone`); São Paulo when the zone is unknown, as Arcada's clinics are
/// in Brazil.
pub fn site_time(now: DateTime<Utc>, timezone: &str) -> NaiveDateTime {
    let tz: Tz = timezone.parse().unwrap_or(chrono_tz::America::Sao_Paulo);
    now.with_timezone(&tz).naive_local()
}

/// The instant a wall-clock time at a site stands for.
pub fn site_instant(local: NaiveDateTime, timezone: &str) -> Option<DateTime<Utc>> {
    let tz: Tz = timezone.parse().unwrap_or(chrono_tz::America::Sao_Paulo);
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The agenda weeks that hold `[from, to)`.
pub fn weeks(from: NaiveDateTime, to: NaiveDateTime) -> Vec<Week> {
    let mut out = vec![Week::of(from.date())];
    let last = Week::of(to.date());
    while let Some(&w) = out.last() {
        if w >= last || out.len() > 60 {
            break;
        }
        out.push(w.next());
    }
    out
}

/// Appointments of `week` starting in `[from, to)` that nobody has
/// confirmed yet: the ones a reminder is for.
pub fn due(week: &AgendaWeek, from: NaiveDateTime, to: NaiveDateTime) -> Vec<&Appointment> {
    let mut out: Vec<&Appointment> = week
        .appointments
        .values()
        .filter(|a| a.status == AppointmentStatus::Agendado)
        .filter(|a| agenda::parse_datetime(&a.start).is_some_and(|s| s >= from && s < to))
        .collect();
    out.sort_by(|a, b| (&a.start, &a.id).cmp(&(&b.start, &b.id)));
    out
}

/// Sending hours as times of day, or why they are not: each `HH:MM`, and
/// `from` before `until` (a span across midnight would send at night).
pub fn sending_span(hours: &SendingHours) -> Result<(NaiveTime, NaiveTime), String> {
    let time = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("{s:?} is not a time (HH:MM)"))
    };
    let (from, until) = (time(&hours.from)?, time(&hours.until)?);
    if from >= until {
        return Err(format!(
            "from {} to {}: the start must come before the end, within one day",
            hours.from, hours.until
        ));
    }
    Ok((from, until))
}

/// Whether a reminder may go out at `local` (site wall-clock). `None` is
/// any hour; hours that do not read (a document edited by hand) count as
/// [`SendingHours::standard`], since a reminder late is better than one
/// at 3 a.m.
pub fn may_send(hours: Option<&SendingHours>, local: NaiveDateTime) -> bool {
    let Some(hours) = hours else {
        return true;
    };
    let (from, until) = sending_span(hours)
        .or_else(|_| sending_span(&SendingHours::standard()))
        .unwrap_or((NaiveTime::MIN, NaiveTime::MIN));
    (from..until).contains(&local.time())
}

/// The number a patient's reminders go to: the first one marked as
/// WhatsApp, else the first Brazilian mobile.
pub fn whatsapp_number(patient: &PatientDoc) -> Option<Phone> {
    let phones = patient.phones_in_order();
    let parsed = |wanted: fn(&crate::documents::PhoneEntry) -> bool| {
        phones
            .iter()
            .filter(|p| wanted(p))
            .find_map(|p| p.number.parse::<Phone>().ok())
    };
    parsed(|p| p.whatsapp)
        .or_else(|| parsed(|p| p.number.starts_with("+55") && p.number.len() == 14))
}

fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "segunda-feira",
        Weekday::Tue => "terça-feira",
        Weekday::Wed => "quarta-feira",
        Weekday::Thu => "quinta-feira",
        Weekday::Fri => "sexta-feira",
        Weekday::Sat => "sábado",
        Weekday::Sun => "domingo",
    }
}

/// When, as the patient reads it: `segunda-feira, 30/11 às 09:00`.
pub fn when(start: NaiveDateTime) -> String {
    format!(
        "{}, {:02}/{:02} às {}",
        weekday(start.weekday()),
        start.day(),
        start.month(),
        start.format("%H:%M")
    )
}

/// The reminder template's parameters: the patient's name, when, and with
/// whom (the standard `lembrete_consulta` takes them in this order).
pub fn params(patient: &PatientDoc, start: NaiveDateTime, professional: &str) -> Vec<String> {
    let first = patient
        .display_name()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    vec![first, when(start), professional.to_string()]
}

/// What an answer does to an appointment in `status`: the new status, or
/// `None` when the front desk must act (a reschedule, an unclear answer, or
/// an appointment that moved on meanwhile).
pub fn outcome(status: AppointmentStatus, answer: Answer) -> Option<AppointmentStatus> {
    match (status, answer) {
        (AppointmentStatus::Agendado, Answer::Confirm) => Some(AppointmentStatus::Confirmado),
        (AppointmentStatus::Agendado | AppointmentStatus::Confirmado, Answer::Cancel) => {
            Some(AppointmentStatus::Cancelado)
        }
        _ => None,
    }
}

/// How long after a reminder a plain-text answer (no reply context) is
/// still taken as answering it.
pub const ANSWER_WINDOW: Duration = Duration::hours(72);

/// Why an appointment the patient cancelled over WhatsApp was cancelled.
pub const CANCEL_REASON: &str = "Cancelado pelo paciente pelo WhatsApp";
/// Whom a reminder names when the appointment's professional is not in
/// the directory.
pub const NO_PROFESSIONAL: &str = "nossa equipe";

/// How a message reads as an answer: its button's payload when that says
/// something, else its text.
pub fn classify(m: &Message) -> Answer {
    m.payload
        .as_deref()
        .map(crate::inbox::classify_answer)
        .filter(|a| *a != Answer::Unclear)
        .or_else(|| m.text.as_deref().map(crate::inbox::classify_answer))
        .unwrap_or(Answer::Unclear)
}

/// What an answer does to an appointment in `current` (`None`: it is not
/// in its agenda any more): the status it leaves (when it acted — or had
/// already, so that doing it again after a crash ends the same), and why
/// the front desk must look.
pub fn decide(
    current: Option<AppointmentStatus>,
    answer: Answer,
) -> (Option<AppointmentStatus>, Option<AttentionReason>) {
    let acted = current.and_then(|c| match (c, answer) {
        (AppointmentStatus::Confirmado, Answer::Confirm) => Some(AppointmentStatus::Confirmado),
        (AppointmentStatus::Cancelado, Answer::Cancel) => Some(AppointmentStatus::Cancelado),
        _ => outcome(c, answer),
    });
    let attention = match (answer, acted) {
        (Answer::Confirm, Some(_)) => None,
        (Answer::Cancel, Some(_)) => Some(AttentionReason::Cancelled),
        (Answer::Reschedule, _) => Some(AttentionReason::Reschedule),
        _ => Some(AttentionReason::Unclear),
    };
    (acted, attention)
}

/// The server's reply to an answer that acted.
pub fn reply_text(
    answer: Answer,
    status: AppointmentStatus,
    start: NaiveDateTime,
) -> Option<String> {
    let when = when(start);
    match (answer, status) {
        (Answer::Confirm, AppointmentStatus::Confirmado) => {
            Some(format!("Obrigado! Sua consulta de {when} está confirmada."))
        }
        (Answer::Cancel, AppointmentStatus::Cancelado) => Some(format!(
            "Sua consulta de {when} foi cancelada. Se quiser remarcar, é só responder aqui."
        )),
        _ => None,
    }
}

/// Whether a plain-text message may still answer a reminder for an
/// appointment in this state: open (scheduled or confirmed), or cancelled
/// by an answer whose record a crash lost (so doing it again ends the same).
pub fn answerable(a: &Appointment) -> bool {
    matches!(
        a.status,
        AppointmentStatus::Agendado | AppointmentStatus::Confirmado
    ) || (a.status == AppointmentStatus::Cancelado
        && a.cancel_reason.as_deref() == Some(CANCEL_REASON))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("date")
    }

    #[test]
    fn sao_paulo_is_three_hours_behind_utc() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
            .single()
            .expect("now");
        assert_eq!(site_time(now, "America/Sao_Paulo"), at(30, 9));
        assert_eq!(site_time(now, "Not/AZone"), at(30, 9));
        assert_eq!(site_instant(at(30, 9), "America/Sao_Paulo"), Some(now));
        assert_eq!(site_time(now, "America/Manaus"), at(30, 8));
    }

    #[test]
    fn a_window_across_sunday_spans_two_weeks() {
        let w = weeks(at(29, 10), at(30, 10));
        assert_eq!(
            w.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2026-W48", "2026-W49"]
        );
        assert_eq!(weeks(at(24, 8), at(25, 8)).len(), 1);
    }

    #[test]
    fn reminders_wait_for_the_sending_hours() {
        let hours = |from: &str, until: &str| SendingHours {
            from: from.into(),
            until: until.into(),
        };
        let day = hours("08:00", "20:00");
        assert!(!may_send(Some(&day), at(30, 7)));
        assert!(may_send(Some(&day), at(30, 8)));
        assert!(may_send(Some(&day), at(30, 19)));
        assert!(!may_send(Some(&day), at(30, 20)));
        assert!(!may_send(Some(&day), at(30, 3)));
        assert!(may_send(None, at(30, 3)));
        // unreadable hours hold to the standard ones, not to none
        assert!(!may_send(Some(&hours("oito", "20:00")), at(30, 3)));
        assert!(may_send(Some(&hours("oito", "20:00")), at(30, 9)));

        assert!(sending_span(&day).is_ok());
        for (from, until) in [
            ("20:00", "08:00"),
            ("08:00", "08:00"),
            ("8h", "20:00"),
            ("08:00", "24:00"),
        ] {
            assert!(sending_span(&hours(from, until)).is_err(), "{from}-{until}");
        }
    }

    #[test]
    fn the_reminder_reads_naturally() {
        assert_eq!(when(at(30, 9)), "segunda-feira, 30/11 às 09:00");
    }

    #[test]
    fn answers_change_only_open_appointments() {
        use AppointmentStatus as S;
        assert_eq!(outcome(S::Agendado, Answer::Confirm), Some(S::Confirmado));
        assert_eq!(outcome(S::Confirmado, Answer::Cancel), Some(S::Cancelado));
        assert_eq!(outcome(S::Agendado, Answer::Reschedule), None);
        assert_eq!(outcome(S::Agendado, Answer::Unclear), None);
        assert_eq!(outcome(S::Chegou, Answer::Cancel), None);
        assert_eq!(outcome(S::Cancelado, Answer::Confirm), None);
    }

    use AppointmentStatus as S;

    fn text(t: &str, payload: Option<&str>) -> Message {
        let kind = if payload.is_some() { "button" } else { "text" };
        Message {
            text: Some(t.into()),
            payload: payload.map(str::to_string),
            ..Message::inbound("wamid.x", kind, 1)
        }
    }

    #[test]
    fn the_standard_buttons_and_free_text_read_right() {
        assert_eq!(
            classify(&text("Confirmar", Some("Confirmar"))),
            Answer::Confirm
        );
        assert_eq!(
            classify(&text("Cancelar", Some("Cancelar"))),
            Answer::Cancel
        );
        assert_eq!(
            classify(&text("Remarcar", Some("Remarcar"))),
            Answer::Reschedule
        );
        assert_eq!(classify(&text("Sim", Some("BTN_1"))), Answer::Confirm);
        assert_eq!(
            classify(&text("não vou poder, quero remarcar", None)),
            Answer::Reschedule
        );
        assert_eq!(classify(&text("talvez", None)), Answer::Unclear);
    }
    #[test]
    fn answers_act_or_ask_the_front_desk() {
        use AttentionReason as R;
        assert_eq!(
            decide(Some(S::Agendado), Answer::Confirm),
            (Some(S::Confirmado), None)
        );
        // Done again (after a crash), it ends the same.
        assert_eq!(
            decide(Some(S::Confirmado), Answer::Confirm),
            (Some(S::Confirmado), None)
        );
        assert_eq!(
            decide(Some(S::Agendado), Answer::Cancel),
            (Some(S::Cancelado), Some(R::Cancelled))
        );
        assert_eq!(
            decide(Some(S::Cancelado), Answer::Cancel),
            (Some(S::Cancelado), Some(R::Cancelled))
        );
        assert_eq!(
            decide(Some(S::Agendado), Answer::Reschedule),
            (None, Some(R::Reschedule))
        );
        assert_eq!(
            decide(Some(S::Agendado), Answer::Unclear),
            (None, Some(R::Unclear))
        );
        assert_eq!(
            decide(Some(S::Chegou), Answer::Confirm),
            (None, Some(R::Unclear))
        );
        assert_eq!(decide(None, Answer::Confirm), (None, Some(R::Unclear)));
    }
    #[test]
    fn replies_name_the_appointment() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        assert_eq!(
            reply_text(Answer::Confirm, S::Confirmado, start).as_deref(),
            Some("Obrigado! Sua consulta de segunda-feira, 30/11 às 09:00 está confirmada.")
        );
        assert_eq!(
            reply_text(Answer::Cancel, S::Cancelado, start).as_deref(),
            Some("Sua consulta de segunda-feira, 30/11 às 09:00 foi cancelada. Se quiser remarcar, é só responder aqui.")
        );
        assert_eq!(reply_text(Answer::Reschedule, S::Agendado, start), None);
    }
}
