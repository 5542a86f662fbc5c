//! Appointment reminders and the answers to them (docs/WHATSAPP.md,
//! "Reminders and confirmations"); the rules are
//! [`arcada_core::reminder`]'s and [`arcada_core::inbox`]'s.
//!
//! - The scheduler ([`run`], one task per instance) looks at every
//!   organisation with a number whose directory turned reminders on: for
//!   each site, the appointments starting within `hours_before` (site
//!   wall-clock) that nobody has confirmed. Each gets one reminder, ever,
//!   and only within the clinic's sending hours (one due at night waits
//!   for the morning). The template is written into the patient's conversation (created when
//!   new, linked to the patient) and only then recorded in `wa_reminders`
//!   in the transaction that queues it in `wa_outbound` for the sender.
//!   The message's id is derived from the appointment's, so a run that
//!   stopped between the two finds its message already written and
//!   records it; the primary key (organisation, appointment) makes a
//!   second instance's attempt record nothing and queue nothing.
//! - Answers ([`answers`], called by the conversation writer before it
//!   writes a conversation's inbound messages): a reply to the reminder
//!   (its context is the reminder's wamid: a template button or a quoted
//!   reply), or plain text from the patient within
//!   [`reminder::ANSWER_WINDOW`] of the latest unsettled reminder whose
//!   appointment is still open. Read with [`reminder::classify`]; a
//!   confirmation or a cancellation is written into the agenda week
//!   ([`act`]), a reschedule, an unclear answer and a cancellation ask the
//!   front desk to look (the conversation's `attention`), and a
//!   confirmation or cancellation is answered with a short text. Each
//!   inbound message is taken once (`wa_reminder_answers`, keyed by its
//!   wamid, written with the reply queued); doing it again after a crash
//!   writes nothing new (the reply's id is derived from the wamid, a status
//!   already set is left).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use arcada_core::agenda::{self, AppointmentStatus};
use arcada_core::documents::{
    self, agenda_id, conversation_id, directory_id, AgendaWeek, Appointment, Attention,
    AttentionReason, ConversationDoc, Directory, DocClass, Lead, Message, PatientDoc, Template,
    TemplateRef, WhatsappSettings,
};
use arcada_core::inbox::Answer;
use arcada_core::reminder;
use automerge::Automerge;
use chrono::Utc;
use uuid::Uuid;

use super::convert;
use super::peer::{attribution, Peer, PeerError};
use super::worker::Wake;
use super::WaMetrics;
use crate::storage::whatsapp::{
    NewAnswer, NewOutbound, NewReminder, NumberRow, OutState, ReminderRef, Unwritten,
};
use crate::storage::Storage;

/// The `author` of the messages the server writes on its own.
pub const AUTHOR: &str = "whatsapp";

fn now() -> i64 {
    Utc::now().timestamp()
}

/// A document that cannot be read is a problem of its own: logged and
/// taken as absent, so that it holds nothing else up (an unreadable agenda
/// week must not keep a conversation's messages out of it). Storage
/// errors stand.
fn readable<T>(
    read: Result<Option<T>, PeerError>,
    org: Uuid,
    id: Uuid,
) -> Result<Option<T>, PeerError> {
    match read {
        Err(PeerError::Storage(e)) => Err(PeerError::Storage(e)),
        Err(e) => {
            tracing::warn!(%org, doc = %id, error = %e, "document not readable: left out");
            Ok(None)
        }
        Ok(v) => Ok(v),
    }
}

fn doc_err(id: Uuid) -> impl Fn(autosurgeon::HydrateError) -> PeerError {
    move |e| PeerError::Document(id, e.to_string())
}

/// The id of an appointment's reminder message: derived, so a run that
/// stopped before recording it finds it written.
pub fn reminder_message_id(org: Uuid, appointment: &str) -> String {
    Uuid::new_v5(&org, format!("whatsapp:reminder:{appointment}").as_bytes()).to_string()
}

/// The id of the server's reply to an answer (the inbound wamid).
pub fn reply_message_id(org: Uuid, wamid: &str) -> String {
    Uuid::new_v5(&org, format!("whatsapp:answer-reply:{wamid}").as_bytes()).to_string()
}

/// The number each organisation's reminders go from: its first by
/// phone_number_id.
pub fn first_numbers(mut numbers: Vec<NumberRow>) -> BTreeMap<Uuid, NumberRow> {
    numbers.sort_by(|a, b| a.phone_number_id.cmp(&b.phone_number_id));
    let mut out = BTreeMap::new();
    for n in numbers {
        out.entry(n.org_id).or_insert(n);
    }
    out
}

/// The scheduler: every `interval`, each organisation with a number.
/// `sender`, when given, is woken for the organisations that got
/// reminders (otherwise its sweep finds them).
pub async fn run<S: Storage>(
    peer: Arc<Peer<S>>,
    sender: Option<Arc<Wake>>,
    metrics: Arc<WaMetrics>,
    interval: Duration,
) {
    tracing::debug!(?interval, "WhatsApp reminder scheduler started");
    loop {
        match peer.storage.wa_numbers(None).await {
            Ok(numbers) => {
                for (org, number) in first_numbers(numbers) {
                    if let Err(e) =
                        remind_org(&peer, org, &number, sender.as_deref(), &metrics).await
                    {
                        tracing::error!(%org, error = %e, "reminders: pass failed; retried at the next run");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "reminders: cannot list the WhatsApp numbers"),
        }
        tokio::time::sleep(interval).await;
    }
}

/// One organisation: the appointments due a reminder, each reminded once.
pub async fn remind_org<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    number: &NumberRow,
    sender: Option<&Wake>,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    let Some(dir) = peer
        .read::<Directory>(org, directory_id(org), DocClass::Directory)
        .await?
    else {
        return Ok(());
    };
    let settings = dir
        .whatsapp
        .clone()
        .unwrap_or_else(WhatsappSettings::standard);
    let Some(wanted) = &settings.reminder else {
        return Ok(());
    };
    let Some(template) = settings.templates.get(&wanted.template) else {
        tracing::warn!(%org, template = %wanted.template, "reminders are on but their template is not among the clinic's: none sent");
        return Ok(());
    };
    let at = Utc::now();
    let mut queued = 0;
    for site in dir.sites.values() {
        let Ok(site_id) = Uuid::parse_str(&site.id) else {
            continue;
        };
        let from = reminder::site_time(at, &site.timezone);
        let to = from + chrono::Duration::hours(i64::from(wanted.hours_before));
        // Outside the sending hours the due reminders wait (and are
        // counted, so that one can see them waiting).
        let sending = reminder::may_send(wanted.sending_hours.as_ref(), from);
        for week in reminder::weeks(from, to) {
            let agenda = agenda_id(site_id, &week.to_string());
            let read = peer.read::<AgendaWeek>(org, agenda, DocClass::Agenda).await;
            let Some(w) = readable(read, org, agenda)? else {
                continue;
            };
            let due: Vec<Appointment> = reminder::due(&w, from, to).into_iter().cloned().collect();
            if due.is_empty() {
                continue;
            }
            let done: HashSet<String> = peer
                .storage
                .wa_reminded(org, due.iter().map(|a| a.id.clone()).collect())
                .await?
                .into_iter()
                .collect();
            let waiting = due.iter().filter(|a| !done.contains(&a.id));
            if !sending {
                let held = waiting.count() as u64;
                metrics.reminders_held.fetch_add(held, Ordering::Relaxed);
                continue;
            }
            for a in waiting {
                let target = Target {
                    org,
                    number,
                    dir: &dir,
                    template,
                    agenda,
                };
                match remind(peer, &target, a, metrics).await {
                    Ok(true) => queued += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(%org, appointment = %a.id, error = %e, "reminder not queued; retried at the next run")
                    }
                }
            }
        }
    }
    if let Some(sender) = sender.filter(|_| queued > 0) {
        sender.org(org);
    }
    Ok(())
}

/// Where a reminder goes from and what it says.
struct Target<'a> {
    org: Uuid,
    number: &'a NumberRow,
    dir: &'a Directory,
    template: &'a Template,
    agenda: Uuid,
}

/// Reminds one appointment, or records why not; whether one was queued.
async fn remind<S: Storage>(
    peer: &Peer<S>,
    t: &Target<'_>,
    a: &Appointment,
    metrics: &WaMetrics,
) -> Result<bool, PeerError> {
    let org = t.org;
    let record =
        |skipped: Option<&str>, doc_id: Option<Uuid>, message_id: Option<String>| NewReminder {
            appointment_id: a.id.clone(),
            agenda_id: t.agenda,
            patient_id: a.patient_id.clone(),
            skipped: skipped.map(str::to_string),
            doc_id,
            message_id,
        };
    let skip = |reason: &'static str| async move {
        let new = peer
            .storage
            .wa_record_reminder(org, record(Some(reason), None, None), None, now())
            .await?;
        if new {
            tracing::info!(%org, appointment = %a.id, reason, "no reminder for this appointment");
            metrics.reminders_skipped.fetch_add(1, Ordering::Relaxed);
        }
        Ok::<bool, PeerError>(false)
    };
    let patient = match Uuid::parse_str(&a.patient_id) {
        Ok(id) => peer.read::<PatientDoc>(org, id, DocClass::Patient).await?,
        Err(_) => None,
    };
    let Some(patient) = patient else {
        return skip("no_patient").await;
    };
    let Some(phone) = reminder::whatsapp_number(&patient) else {
        return skip("no_phone").await;
    };
    let Some(start) = agenda::parse_datetime(&a.start) else {
        return skip("bad_start").await;
    };
    let professional = t
        .dir
        .professionals
        .get(&a.professional_id)
        .map_or(reminder::NO_PROFESSIONAL, |p| p.name.as_str());
    let params = reminder::params(&patient, start, professional);
    let contact = convert::genesis_contact(Some(phone.e164().trim_start_matches('+')), None);
    let Some(key) = contact.key().map(str::to_string) else {
        return skip("no_phone").await;
    };
    let conv = conversation_id(org, &t.number.phone_number_id, &key);
    let text = t.template.render(&params);
    let at = now();
    let message = Message {
        template: Some(TemplateRef {
            name: t.template.name.clone(),
            language: t.template.language.clone(),
            params,
        }),
        appointment_id: Some(a.id.clone()),
        ..Message::queued(
            &reminder_message_id(org, &a.id),
            "template",
            Some(text),
            AUTHOR,
            at,
        )
    };
    let outbound = outbound(
        &message,
        conv,
        &t.number.phone_number_id,
        contact.wa_id.as_deref(),
    );
    let genesis = ConversationDoc::new(
        &t.number.phone_number_id,
        &t.number.display_phone_number,
        contact,
    );
    let patient_id = a.patient_id.clone();
    let m = message.clone();
    let written = peer
        .write_conversation(org, conv, Some(genesis), move |doc, _| {
            put_reminder(doc, conv, m, patient_id, at)
        })
        .await?;
    if written.created {
        metrics
            .conversations_created
            .fetch_add(1, Ordering::Relaxed);
    }
    let new = peer
        .storage
        .wa_record_reminder(
            org,
            record(None, Some(conv), Some(message.id.clone())),
            Some(outbound),
            at,
        )
        .await?;
    if new {
        tracing::info!(%org, appointment = %a.id, conversation = %conv, "reminder queued");
        metrics.reminders_queued.fetch_add(1, Ordering::Relaxed);
    }
    Ok(new)
}

/// An outbound message the server wrote, as the sender takes it.
fn outbound(m: &Message, doc_id: Uuid, phone_number_id: &str, to: Option<&str>) -> NewOutbound {
    let (state, request, error) = match convert::graph_request(m, to) {
        Ok(r) => (OutState::Queued, Some(r), None),
        Err(refused) => (OutState::Failed, None, Some(refused)),
    };
    NewOutbound {
        message_id: m.id.clone(),
        doc_id,
        phone_number_id: phone_number_id.to_string(),
        recipient: to.map(str::to_string),
        kind: m.kind.clone(),
        request,
        state,
        error,
    }
}

/// The change that writes a reminder into its conversation, and links a
/// conversation that has no patient yet to the appointment's; nothing if
/// the message is there (written by a run that stopped before recording
/// it).
fn put_reminder(
    doc: &mut Automerge,
    id: Uuid,
    message: Message,
    patient_id: String,
    now: i64,
) -> Result<(), PeerError> {
    if documents::hydrate_entry::<Message>(doc, "messages", &message.id)
        .map_err(doc_err(id))?
        .is_some()
    {
        return Ok(());
    }
    let linked: Option<String> =
        autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "patient_id").map_err(doc_err(id))?;
    let lead: Option<Lead> =
        autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "lead").map_err(doc_err(id))?;
    documents::change(doc, &attribution("whatsapp.reminder"), now, |tx| {
        documents::put_entry(tx, "messages", &message.id, &message)?;
        if linked.is_none() {
            autosurgeon::reconcile_prop(
                tx,
                automerge::ROOT,
                "patient_id",
                Some(patient_id.clone()),
            )?;
            if let Some(lead) = lead.filter(|l| l.converted_to.is_none()) {
                let lead = Lead {
                    converted_to: Some(patient_id),
                    ..lead
                };
                autosurgeon::reconcile_prop(tx, automerge::ROOT, "lead", Some(lead))?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

fn answer_code(a: Answer) -> &'static str {
    match a {
        Answer::Confirm => "confirm",
        Answer::Cancel => "cancel",
        Answer::Reschedule => "reschedule",
        Answer::Unclear => "unclear",
    }
}

/// An inbound message taken as the answer to a reminder.
#[derive(Debug, Clone)]
pub struct Answered {
    pub wamid: String,
    /// When the patient wrote it.
    pub at: i64,
    pub reminder: ReminderRef,
    pub answer: Answer,
    /// The appointment's status before (`None`: not in its agenda).
    pub before: Option<AppointmentStatus>,
    /// And after the answer, when it acted.
    pub status: Option<AppointmentStatus>,
    pub attention: Option<AttentionReason>,
    /// The server's reply, queued with it.
    pub reply: Option<Message>,
}

impl Answered {
    /// Whether plain text is no longer taken as this reminder's answer.
    pub fn settles(&self) -> bool {
        self.status.is_some() || self.answer == Answer::Reschedule
    }
}

/// The agenda weeks read while answering, and the statuses answers of
/// this batch already gave.
struct Agendas {
    weeks: HashMap<Uuid, Option<AgendaWeek>>,
    given: HashMap<String, AppointmentStatus>,
}

impl Agendas {
    async fn appointment<S: Storage>(
        &mut self,
        peer: &Peer<S>,
        org: Uuid,
        r: &ReminderRef,
    ) -> Result<Option<Appointment>, PeerError> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.weeks.entry(r.agenda_id) {
            e.insert(readable(
                peer.read::<AgendaWeek>(org, r.agenda_id, DocClass::Agenda)
                    .await,
                org,
                r.agenda_id,
            )?);
        }
        let mut a = self
            .weeks
            .get(&r.agenda_id)
            .and_then(|w| w.as_ref())
            .and_then(|w| w.appointments.get(&r.appointment_id))
            .cloned();
        if let (Some(a), Some(s)) = (&mut a, self.given.get(&r.appointment_id)) {
            a.status = *s;
            if *s == AppointmentStatus::Cancelado {
                a.cancel_reason = Some(reminder::CANCEL_REASON.into());
            }
        }
        Ok(a)
    }
}

/// Which of a conversation's inbound messages (`rows`, as `messages`)
/// answer a reminder, and what each does. Messages already taken are left
/// out.
pub async fn answers<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    conversation: Uuid,
    rows: &[Unwritten],
    messages: &[Message],
) -> Result<Vec<Answered>, PeerError> {
    let storage = &peer.storage;
    let candidates: Vec<(&Unwritten, &Message)> = rows
        .iter()
        .zip(messages)
        .filter(|(_, m)| matches!(m.kind.as_str(), "text" | "button" | "interactive"))
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let taken: HashSet<String> = storage
        .wa_answered(org, candidates.iter().map(|(_, m)| m.id.clone()).collect())
        .await?
        .into_iter()
        .collect();
    let mut agendas = Agendas {
        weeks: HashMap::new(),
        given: HashMap::new(),
    };
    let mut settled: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (row, m) in candidates {
        if taken.contains(&m.id) {
            continue;
        }
        let replied = match &m.reply_to {
            Some(context) => storage.wa_reminder_by_wamid(org, context.clone()).await?,
            None => None,
        };
        let (reminder, appointment) = match replied {
            Some(r) => {
                let a = agendas.appointment(peer, org, &r).await?;
                (r, a)
            }
            None if m.kind == "text" => {
                let since = row.received_at - reminder::ANSWER_WINDOW.num_seconds();
                let mut found = None;
                for r in storage
                    .wa_open_reminders(org, conversation, since, row.received_at)
                    .await?
                {
                    if settled.contains(&r.appointment_id) {
                        continue;
                    }
                    let a = agendas.appointment(peer, org, &r).await?;
                    if a.as_ref().is_some_and(reminder::answerable) {
                        found = Some((r, a));
                        break;
                    }
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
            None => continue,
        };
        let answer = reminder::classify(m);
        let before = appointment.as_ref().map(|a| a.status);
        let (status, attention) = reminder::decide(before, answer);
        let start = appointment
            .as_ref()
            .and_then(|a| agenda::parse_datetime(&a.start));
        let reply = match (status, start) {
            (Some(s), Some(start)) => reminder::reply_text(answer, s, start).map(|text| Message {
                appointment_id: Some(reminder.appointment_id.clone()),
                ..Message::queued(
                    &reply_message_id(org, &m.id),
                    "text",
                    Some(text),
                    AUTHOR,
                    now(),
                )
            }),
            _ => None,
        };
        if let Some(s) = status {
            agendas.given.insert(reminder.appointment_id.clone(), s);
        }
        let answered = Answered {
            wamid: m.id.clone(),
            at: m.at,
            reminder,
            answer,
            before,
            status,
            attention,
            reply,
        };
        if answered.settles() {
            settled.insert(answered.reminder.appointment_id.clone());
        }
        out.push(answered);
    }
    Ok(out)
}

/// Writes what the answers did to their appointments into the agenda
/// weeks, one change each (`whatsapp.confirm`, `whatsapp.cancel`); an
/// appointment already in that status, or moved on meanwhile, is left. An
/// answer whose week cannot be written acts on nothing: no reply, the desk
/// is asked to look.
pub async fn act<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    answered: &mut [Answered],
) -> Result<(), PeerError> {
    for a in answered.iter_mut() {
        let Some(status) = a.status else {
            continue;
        };
        if a.before == Some(status) {
            continue;
        }
        let op = match status {
            AppointmentStatus::Cancelado => "whatsapp.cancel",
            _ => "whatsapp.confirm",
        };
        let week = a.reminder.agenda_id;
        let id = a.reminder.appointment_id.clone();
        let answer = a.answer;
        let t = now();
        let written = peer
            .write_agenda(org, week, move |doc, _| {
                let Some(mut appointment) =
                    documents::hydrate_entry::<Appointment>(doc, "appointments", &id)
                        .map_err(doc_err(week))?
                else {
                    return Ok(());
                };
                if appointment.status == status
                    || reminder::outcome(appointment.status, answer) != Some(status)
                {
                    return Ok(());
                }
                appointment.status = status;
                if status == AppointmentStatus::Cancelado {
                    appointment.cancel_reason = Some(reminder::CANCEL_REASON.into());
                }
                documents::change(doc, &attribution(op), t, |tx| {
                    documents::put_entry(tx, "appointments", &id, &appointment)
                })?;
                Ok(())
            })
            .await;
        match written {
            Ok(_) => {
                tracing::info!(%org, appointment = %a.reminder.appointment_id, status = %status, "appointment answered over WhatsApp")
            }
            Err(PeerError::Storage(e)) => return Err(PeerError::Storage(e)),
            // The week cannot be written (not an agenda, not readable):
            // the answer stands in the conversation for the desk.
            Err(e) => {
                tracing::warn!(%org, appointment = %a.reminder.appointment_id, error = %e, "appointment not changed");
                a.status = None;
                a.reply = None;
                a.attention = a.attention.or(Some(AttentionReason::Unclear));
            }
        }
    }
    Ok(())
}

/// What answering changes in a conversation (before the change is made):
/// the messages to put — answers already in the document given their
/// appointment, replies not there yet — and the attention, when it
/// changes. `fresh`: answers being written in the same change (they carry
/// their appointment already).
pub fn conversation_edits(
    doc: &Automerge,
    id: Uuid,
    answered: &[Answered],
    fresh: &HashSet<String>,
) -> Result<(Vec<Message>, Option<Option<Attention>>), PeerError> {
    let mut puts = Vec::new();
    let current: Option<Attention> =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "attention").map_err(doc_err(id))?;
    let mut attention = current.clone();
    for a in answered {
        if !fresh.contains(&a.wamid) {
            if let Some(mut m) = documents::hydrate_entry::<Message>(doc, "messages", &a.wamid)
                .map_err(doc_err(id))?
            {
                if m.appointment_id.is_none() {
                    m.appointment_id = Some(a.reminder.appointment_id.clone());
                    puts.push(m);
                }
            }
        }
        if let Some(reply) = &a.reply {
            if documents::hydrate_entry::<Message>(doc, "messages", &reply.id)
                .map_err(doc_err(id))?
                .is_none()
            {
                puts.push(reply.clone());
            }
        }
        match a.attention {
            Some(reason) => {
                attention = Some(Attention {
                    reason,
                    message_id: a.wamid.clone(),
                    appointment_id: Some(a.reminder.appointment_id.clone()),
                    at: a.at,
                });
            }
            // A confirmation settles what an earlier answer about the same
            // appointment raised.
            None => {
                if attention.as_ref().is_some_and(|at| {
                    at.appointment_id.as_deref() == Some(a.reminder.appointment_id.as_str())
                }) {
                    attention = None;
                }
            }
        }
    }
    let changed = (attention != current).then_some(attention);
    Ok((puts, changed))
}

/// The answers' records, with their replies queued for the sender.
pub fn records(
    answered: &[Answered],
    conversation: Uuid,
    phone_number_id: &str,
    to: Option<&str>,
) -> Vec<NewAnswer> {
    answered
        .iter()
        .map(|a| NewAnswer {
            wamid: a.wamid.clone(),
            appointment_id: a.reminder.appointment_id.clone(),
            answer: answer_code(a.answer).into(),
            status: a.status.map(|s| s.as_str().to_string()),
            attention: a.attention.map(|r| r.as_str().to_string()),
            settles: a.settles(),
            reply: a
                .reply
                .as_ref()
                .map(|m| outbound(m, conversation, phone_number_id, to)),
        })
        .collect()
}

/// Counts the answers recorded now (`new`: their wamids).
pub fn count(answered: &[Answered], new: &[String], metrics: &WaMetrics) {
    for a in answered.iter().filter(|a| new.contains(&a.wamid)) {
        match (a.answer, a.status) {
            (Answer::Confirm, Some(_)) => &metrics.answers_confirmed,
            (Answer::Cancel, Some(_)) => &metrics.answers_cancelled,
            _ => &metrics.answers_attention,
        }
        .fetch_add(1, Ordering::Relaxed);
        tracing::info!(wamid = %a.wamid, appointment = %a.reminder.appointment_id, answer = answer_code(a.answer),
            status = ?a.status, attention = ?a.attention, "answer to a reminder");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let org = Uuid::now_v7();
        assert_eq!(reminder_message_id(org, "a"), reminder_message_id(org, "a"));
        assert_ne!(reminder_message_id(org, "a"), reminder_message_id(org, "b"));
        assert_ne!(reminder_message_id(org, "a"), reply_message_id(org, "a"));
    }
}
