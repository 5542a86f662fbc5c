//! The conversation writer: for each organisation with a number, in one
//! pass,
//!
//! 1. follows the change log's patient documents into the phone index
//!    (`wa_patient_phones`), so a contact's number finds its patient;
//! 2. follows the change log's conversation documents for outbound
//!    messages queued by workstations and records them for the sender
//!    (`wa_outbound`; its primary key makes finding one twice harmless);
//! 3. writes the inbound messages stored but not yet written into their
//!    conversation documents (`wa_messages.doc_written_at`: an outbox, so a
//!    crash between storing and writing loses nothing), creating the
//!    conversation — linked to its patient, or a lead — when it is new;
//!    an answer to a reminder is acted on first (the appointment, the
//!    conversation's attention, a reply: [`super::reminder`]);
//! 4. writes what the sender and the status webhooks learned about
//!    outbound messages back into their documents, only forward.
//!
//! Woken by the processor (new messages and statuses), by the sender, and
//! by the live hub (workstations pushed); it also sweeps every
//! organisation with a number every [`SWEEP`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arcada_core::documents::{
    self, conversation_id, ConversationDoc, DocClass, Lead, Message, MessageStatus, PhoneEntry,
};
use arcada_core::phone::Phone;
use automerge::{Automerge, ReadDoc};
use tokio::sync::{broadcast, Notify};
use uuid::Uuid;

use super::convert::{self, Outcome};
use super::peer::{attribution, from_changes, Peer, PeerError, SERVER_DEVICE};
use super::reminder;
use super::WaMetrics;
use crate::live::Event;
use crate::storage::whatsapp::{
    NewMedia, NewOutbound, OutState, Unsynced, Unwritten, CURSOR_OUTBOUND, CURSOR_PATIENTS,
};
use crate::storage::Storage;

/// Every organisation with a number is visited at least this often.
pub const SWEEP: Duration = Duration::from_secs(5);
/// Seconds a claimed inbound message is kept from other writers.
const LEASE: i64 = 60;
/// Rows taken at a time.
const BATCH: usize = 200;
/// Changes of the log read at a time.
const LOG_PAGE: usize = 500;

/// Organisations to visit, collected from several wakers.
#[derive(Debug, Default)]
pub struct Wake {
    orgs: Mutex<HashSet<Uuid>>,
    all: AtomicBool,
    notify: Notify,
}

impl Wake {
    pub fn org(&self, org: Uuid) {
        self.orgs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(org);
        self.notify.notify_one();
    }

    pub fn all(&self) {
        self.all.store(true, Ordering::Relaxed);
        self.notify.notify_one();
    }

    /// What was asked since the last call: the organisations, and whether
    /// all of them.
    pub fn take(&self) -> (HashSet<Uuid>, bool) {
        let orgs = std::mem::take(&mut *self.orgs.lock().unwrap_or_else(|p| p.into_inner()));
        (orgs, self.all.swap(false, Ordering::Relaxed))
    }

    /// Waits for a wake, at most `timeout`.
    pub async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The scheduling loop of the per-organisation workers (the sender, the
/// media fetcher): runs `pass` for each organisation woken, due again, or
/// (every [`SWEEP`]) with a number; `pass` answers when the organisation
/// is next due (a retry, a lease), and a failed pass is retried in 2 s.
pub async fn per_org<S, E, F>(storage: &S, wake: &Wake, mut pass: impl FnMut(Uuid) -> F)
where
    S: Storage,
    E: std::fmt::Display,
    F: std::future::Future<Output = Result<Option<i64>, E>>,
{
    let mut due: BTreeMap<Uuid, i64> = BTreeMap::new();
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        let (woken, all) = wake.take();
        let t = now();
        let mut orgs: HashSet<Uuid> = woken;
        orgs.extend(due.iter().filter(|(_, at)| **at <= t).map(|(o, _)| *o));
        if all || last_sweep.is_none_or(|s| s.elapsed() >= SWEEP) {
            match storage.wa_routed_orgs().await {
                Ok(list) => {
                    orgs.extend(list);
                    last_sweep = Some(tokio::time::Instant::now());
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot list the organisations with WhatsApp numbers")
                }
            }
        }
        let mut orgs: Vec<Uuid> = orgs.into_iter().collect();
        orgs.sort();
        for org in orgs {
            due.remove(&org);
            match pass(org).await {
                Ok(Some(next)) => {
                    due.insert(org, next);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(%org, error = %e, "WhatsApp pass failed; retried");
                    due.insert(org, now() + 2);
                }
            }
        }
        let next_ms = due.values().min().map(|at| at * 1000);
        let now_ms = chrono::Utc::now().timestamp_millis();
        let until_due = next_ms.map_or(Duration::MAX, |ms| {
            Duration::from_millis((ms - now_ms).max(20) as u64)
        });
        let until_sweep = last_sweep.map_or(Duration::ZERO, |s| SWEEP.saturating_sub(s.elapsed()));
        wake.wait(until_due.min(until_sweep).max(Duration::from_millis(20)))
            .await;
    }
}

/// Forwards the hub's events: an organisation's new changes wake the
/// writer for it; a possible loss of events, for all.
pub async fn follow_hub(mut events: broadcast::Receiver<Event>, wake: Arc<Wake>) {
    loop {
        match events.recv().await {
            Ok(Event::Changes { org }) => wake.org(org),
            Ok(Event::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => wake.all(),
            Ok(_) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

pub async fn run<S: Storage>(
    peer: Arc<Peer<S>>,
    wake: Arc<Wake>,
    sender: Arc<Wake>,
    media: Arc<Wake>,
    metrics: Arc<WaMetrics>,
) {
    tracing::debug!("WhatsApp conversation writer started");
    let mut routed: HashSet<Uuid> = HashSet::new();
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        let (woken, all) = wake.take();
        let sweep = all || last_sweep.is_none_or(|t| t.elapsed() >= SWEEP);
        let mut orgs: Vec<Uuid> = Vec::new();
        if sweep {
            match peer.storage.wa_routed_orgs().await {
                Ok(list) => {
                    routed = list.into_iter().collect();
                    orgs = routed.iter().copied().collect();
                    last_sweep = Some(tokio::time::Instant::now());
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot list the organisations with WhatsApp numbers")
                }
            }
        } else {
            // Organisations without a number have nothing for this channel
            // (one that gets a number is found by the next sweep).
            orgs = woken.into_iter().filter(|o| routed.contains(o)).collect();
        }
        orgs.sort();
        for org in orgs {
            if let Err(e) = pass(&peer, org, &sender, &media, &metrics).await {
                tracing::error!(%org, error = %e, "WhatsApp conversation writer: pass failed; retried later");
            }
        }
        let (pending, all) = {
            let orgs = wake.orgs.lock().unwrap_or_else(|p| p.into_inner());
            (!orgs.is_empty(), wake.all.load(Ordering::Relaxed))
        };
        if !pending && !all {
            let until_sweep =
                last_sweep.map_or(Duration::ZERO, |t| SWEEP.saturating_sub(t.elapsed()));
            wake.wait(until_sweep.max(Duration::from_millis(50))).await;
        }
    }
}

/// One organisation: index, discover, write inbound, write statuses.
async fn pass<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    sender: &Wake,
    media: &Wake,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    index_patients(peer, org, metrics).await?;
    if discover_outbound(peer, org, metrics).await? > 0 {
        sender.org(org);
    }
    write_inbound(peer, org, sender, media, metrics).await?;
    write_outbound(peer, org, metrics).await?;
    Ok(())
}

/// A patient document's phones, E.164 (the map's keys, normalised again).
fn patient_phones(doc: &Automerge) -> Vec<String> {
    let phones: BTreeMap<String, PhoneEntry> =
        match autosurgeon::hydrate_prop(doc, automerge::ROOT, "phones") {
            Ok(p) => p,
            Err(_) => return Vec::new(),
        };
    let mut out: Vec<String> = phones
        .iter()
        .filter_map(|(key, entry)| {
            key.parse::<Phone>()
                .or_else(|_| entry.number.parse::<Phone>())
                .ok()
                .map(|p| p.e164().to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

async fn index_patients<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    let storage = &peer.storage;
    let mut cursor = storage.wa_cursor(org, CURSOR_PATIENTS).await?;
    loop {
        let (docs, last, more) = storage
            .wa_changed_docs(org, DocClass::Patient, cursor, LOG_PAGE, None)
            .await?;
        let mut patients = Vec::with_capacity(docs.len());
        for id in docs {
            let changes = storage.document_changes_after(org, id, 0).await?.0;
            let phones = tokio::task::spawn_blocking(move || {
                from_changes(id, &changes).map(|doc| patient_phones(&doc))
            })
            .await
            .map_err(|e| PeerError::Document(id, e.to_string()))?;
            match phones {
                Ok(phones) => patients.push((id, phones)),
                Err(e) => {
                    tracing::warn!(%org, patient = %id, error = %e, "patient document not indexed")
                }
            }
        }
        if !patients.is_empty() {
            let phones: Vec<String> = patients.iter().flat_map(|(_, p)| p.clone()).collect();
            // Indexed, leads linked, then the cursor moved: a crash in
            // between indexes and links again (both harmless twice).
            storage.wa_index_patients(org, patients, cursor).await?;
            link_leads(peer, org, phones, metrics).await?;
        }
        if last != cursor {
            storage.wa_index_patients(org, Vec::new(), last).await?;
        }
        cursor = last;
        if !more {
            return Ok(());
        }
    }
}

/// Leads that wrote before their number was on a patient's record: once
/// exactly one patient of the organisation has the number, its
/// conversations (one per clinic number) are linked to that patient, as
/// the desk would link them. A number two patients share is left for the
/// desk, which sees both as suggestions; a conversation already linked, or
/// a lead already converted, is never touched.
async fn link_leads<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    mut phones: Vec<String>,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    phones.sort();
    phones.dedup();
    let numbers = peer.storage.wa_numbers(Some(org)).await?;
    let mut candidates: Vec<(Uuid, Uuid)> = Vec::new();
    for phone in phones {
        let [patient] = peer
            .storage
            .wa_patients_by_phone(org, phone.clone())
            .await?[..]
        else {
            continue;
        };
        let key = phone.trim_start_matches('+');
        for n in &numbers {
            candidates.push((conversation_id(org, &n.phone_number_id, key), patient));
        }
    }
    if candidates.is_empty() {
        return Ok(());
    }
    // Most numbers never wrote: one query finds the conversations that exist.
    let existing: HashSet<Uuid> = peer
        .storage
        .classes(org, candidates.iter().map(|(id, _)| *id).collect())
        .await?
        .into_iter()
        .filter(|(_, class)| *class == DocClass::Conversation)
        .map(|(id, _)| id)
        .collect();
    for (id, patient) in candidates {
        if !existing.contains(&id) {
            continue;
        }
        let patient = patient.to_string();
        let t = now();
        let written = peer
            .write_conversation(org, id, None, move |doc, _| {
                let hydrate_err =
                    |e: autosurgeon::HydrateError| PeerError::Document(id, e.to_string());
                let linked: Option<String> =
                    autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "patient_id")
                        .map_err(hydrate_err)?;
                let lead: Option<Lead> = autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "lead")
                    .map_err(hydrate_err)?;
                match lead {
                    Some(lead) if linked.is_none() && lead.converted_to.is_none() => {
                        documents::change(doc, &attribution("whatsapp.link"), t, |tx| {
                            documents::link_patient(tx, Some(lead), &patient)
                        })?;
                        Ok(())
                    }
                    _ => Ok(()),
                }
            })
            .await?;
        if written.changes > 0 {
            metrics.leads_linked.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%org, conversation = %id, "a lead linked to the patient registered with its number");
        }
    }
    Ok(())
}

/// The queued outbound messages of a conversation, ready for the sender.
fn queued(id: Uuid, doc: &Automerge) -> Vec<NewOutbound> {
    let conversation: ConversationDoc = match autosurgeon::hydrate(doc) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(doc = %id, error = %e, "conversation document not readable: its queued messages wait");
            return Vec::new();
        }
    };
    conversation
        .messages
        .values()
        .filter(|m| {
            m.direction == documents::Direction::Outbound && m.status == MessageStatus::Queued
        })
        .map(|m| {
            let to = conversation.contact.wa_id.as_deref();
            let (state, request, error) = match convert::graph_request(m, to) {
                Ok(r) => (OutState::Queued, Some(r), None),
                Err(refused) => (OutState::Failed, None, Some(refused)),
            };
            NewOutbound {
                message_id: m.id.clone(),
                doc_id: id,
                phone_number_id: conversation.phone_number_id.clone(),
                recipient: to.map(str::to_string),
                kind: m.kind.clone(),
                request,
                state,
                error,
            }
        })
        .collect()
}

async fn discover_outbound<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    metrics: &WaMetrics,
) -> Result<u64, PeerError> {
    let storage = &peer.storage;
    let mut cursor = storage.wa_cursor(org, CURSOR_OUTBOUND).await?;
    let mut queued_total = 0;
    loop {
        // The server's own changes never queue anything: skipped.
        let (docs, last, more) = storage
            .wa_changed_docs(
                org,
                DocClass::Conversation,
                cursor,
                LOG_PAGE,
                Some(SERVER_DEVICE),
            )
            .await?;
        let mut found = Vec::new();
        for id in docs {
            let changes = storage.document_changes_after(org, id, 0).await?.0;
            let messages = tokio::task::spawn_blocking(move || {
                from_changes(id, &changes).map(|doc| queued(id, &doc))
            })
            .await
            .map_err(|e| PeerError::Document(id, e.to_string()))?;
            match messages {
                Ok(m) => found.extend(m),
                Err(e) => tracing::warn!(%org, doc = %id, error = %e, "conversation not read"),
            }
        }
        if last != cursor || !found.is_empty() {
            let new = storage.wa_enqueue(org, found, last, now()).await?;
            if new > 0 {
                tracing::debug!(%org, new, "outbound WhatsApp messages queued");
                metrics.outbound_queued.fetch_add(new, Ordering::Relaxed);
            }
            queued_total += new;
        }
        cursor = last;
        if !more {
            return Ok(queued_total);
        }
    }
}

/// Inbound messages of one conversation.
struct Group {
    phone_number_id: String,
    wa_id: Option<String>,
    user_id: Option<String>,
    rows: Vec<Unwritten>,
}

async fn write_inbound<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    sender: &Wake,
    media_wake: &Wake,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    let storage = &peer.storage;
    let mut numbers: HashMap<String, String> = HashMap::new();
    loop {
        let t = now();
        let rows = storage.wa_claim_unwritten(org, BATCH, t, t + LEASE).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let full = rows.len() == BATCH;
        let mut groups: BTreeMap<Uuid, Group> = BTreeMap::new();
        for row in rows {
            let contact =
                convert::genesis_contact(row.from_wa_id.as_deref(), row.from_user_id.as_deref());
            let Some(key) = contact.key().map(str::to_string) else {
                continue;
            };
            let id = conversation_id(org, &row.phone_number_id, &key);
            let g = groups.entry(id).or_insert_with(|| Group {
                phone_number_id: row.phone_number_id.clone(),
                wa_id: row.from_wa_id.clone(),
                user_id: None,
                rows: Vec::new(),
            });
            if g.user_id.is_none() {
                g.user_id.clone_from(&row.from_user_id);
            }
            g.rows.push(row);
        }
        let mut written = Vec::new();
        let mut media = Vec::new();
        for (id, group) in groups {
            let display = match numbers.get(&group.phone_number_id) {
                Some(d) => d.clone(),
                None => {
                    let d = storage
                        .wa_number_info(group.phone_number_id.clone())
                        .await?
                        .map_or_else(|| group.phone_number_id.clone(), |n| n.display_phone_number);
                    numbers.insert(group.phone_number_id.clone(), d.clone());
                    d
                }
            };
            let wamids: Vec<String> = group.rows.iter().map(|r| r.wamid.clone()).collect();
            let group_media = media_of(id, &group.rows);
            match write_group(peer, org, id, &display, group, sender, metrics).await {
                Ok(()) => {
                    written.extend(wamids);
                    media.extend(group_media);
                }
                Err(e) => {
                    tracing::error!(%org, conversation = %id, error = %e, "WhatsApp messages not written; retried when their lease runs out");
                }
            }
        }
        // The media to fetch are recorded before the messages are marked
        // written: a crash in between writes them again (a no-op) and
        // records them again (a no-op).
        if !media.is_empty() && storage.wa_media_enqueue(org, media, now()).await? > 0 {
            media_wake.org(org);
        }
        if !written.is_empty() {
            storage.wa_mark_written(org, written, now()).await?;
        }
        if !full {
            return Ok(());
        }
    }
}

/// The media of a conversation's inbound messages, to fetch.
fn media_of(doc_id: Uuid, rows: &[Unwritten]) -> Vec<NewMedia> {
    rows.iter()
        .filter_map(|row| {
            let media = convert::inbound_message(row).media?;
            Some(NewMedia {
                wamid: row.wamid.clone(),
                doc_id,
                phone_number_id: row.phone_number_id.clone(),
                media_id: media.id,
                mime_type: media.mime_type,
                sha256: media.sha256,
            })
        })
        .collect()
}

async fn write_group<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    id: Uuid,
    display: &str,
    group: Group,
    sender: &Wake,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    let contact = convert::genesis_contact(group.wa_id.as_deref(), group.user_id.as_deref());
    let to = contact.wa_id.clone();
    // Who the number belongs to, decided when the conversation is new.
    let patients = match &contact.phone {
        Some(phone) => {
            peer.storage
                .wa_patients_by_phone(org, phone.clone())
                .await?
        }
        None => Vec::new(),
    };
    let link = match patients.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    };
    let genesis = ConversationDoc::new(&group.phone_number_id, display, contact);
    let name = group.rows.iter().rev().find_map(|r| r.contact_name.clone());
    let user_id = group.user_id.clone();
    let mut messages: Vec<Message> = group.rows.iter().map(convert::inbound_message).collect();
    // Answers to reminders act before they are written: a crash in between
    // leaves the rows unwritten, and doing it again ends the same.
    let mut answered = reminder::answers(peer, org, id, &group.rows, &messages).await?;
    for a in &answered {
        if let Some(m) = messages.iter_mut().find(|m| m.id == a.wamid) {
            m.appointment_id = Some(a.reminder.appointment_id.clone());
        }
    }
    reminder::act(peer, org, &mut answered).await?;
    let count = messages.len() as u64;
    let t = now();
    let new_messages = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = new_messages.clone();
    let answers = answered.clone();
    let written = peer
        .write_conversation(org, id, Some(genesis), move |doc, _created| {
            let inbound = Inbound {
                messages,
                name,
                user_id,
                link,
                answers,
            };
            receive(doc, id, inbound, t, &counter)
        })
        .await?;
    if !answered.is_empty() {
        let records = reminder::records(&answered, id, &group.phone_number_id, to.as_deref());
        let new = peer.storage.wa_record_answers(org, records, now()).await?;
        reminder::count(&answered, &new, metrics);
        if answered
            .iter()
            .any(|a| a.reply.is_some() && new.contains(&a.wamid))
        {
            sender.org(org);
        }
    }
    let new = new_messages.load(Ordering::Relaxed);
    metrics.messages_written.fetch_add(new, Ordering::Relaxed);
    if written.created {
        metrics
            .conversations_created
            .fetch_add(1, Ordering::Relaxed);
    }
    tracing::debug!(%org, conversation = %id, messages = count, new, created = written.created, "WhatsApp messages written");
    Ok(())
}

/// What one change writes into a conversation.
struct Inbound {
    messages: Vec<Message>,
    /// The contact's profile name, as the latest message gives it.
    name: Option<String>,
    user_id: Option<String>,
    /// The patient a new conversation belongs to (a lead if none).
    link: Option<String>,
    /// Answers to reminders among the messages.
    answers: Vec<reminder::Answered>,
}

/// The change that receives messages: each message once (a key already in
/// `messages` is skipped), the contact's profile name, and — for a new
/// conversation — its patient or a lead; and what answers to reminders
/// change in it (their appointment, the attention, the replies).
fn receive(
    doc: &mut Automerge,
    id: Uuid,
    inbound: Inbound,
    now: i64,
    new_messages: &std::sync::atomic::AtomicU64,
) -> Result<(), PeerError> {
    let Inbound {
        messages,
        name,
        user_id,
        link,
        answers,
    } = inbound;
    let contact: documents::Contact = autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "contact")
        .map_err(|e| PeerError::Document(Uuid::nil(), e.to_string()))?;
    let patient_id: Option<String> =
        autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "patient_id")
            .map_err(|e| PeerError::Document(Uuid::nil(), e.to_string()))?;
    let lead: Option<Lead> = autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "lead")
        .map_err(|e| PeerError::Document(Uuid::nil(), e.to_string()))?;
    let existing = match doc.get(automerge::ROOT, "messages") {
        Ok(Some((automerge::Value::Object(automerge::ObjType::Map), map))) => {
            let map = map.clone();
            let keys: HashSet<String> = doc.keys(&map).collect();
            keys
        }
        _ => HashSet::new(),
    };
    let fresh: Vec<Message> = messages
        .into_iter()
        .filter(|m| !existing.contains(&m.id))
        .collect();
    let fresh_ids: HashSet<String> = fresh.iter().map(|m| m.id.clone()).collect();
    let (answer_puts, attention) = reminder::conversation_edits(doc, id, &answers, &fresh_ids)?;
    let mut new_contact = contact.clone();
    if name.is_some() && name != contact.name {
        new_contact.name = name;
    }
    if new_contact.user_id.is_none() && user_id.is_some() {
        new_contact.user_id = user_id;
    }
    let unlinked = patient_id.is_none() && lead.is_none();
    let contact_changed = new_contact != contact;
    if fresh.is_empty()
        && !contact_changed
        && !unlinked
        && answer_puts.is_empty()
        && attention.is_none()
    {
        return Ok(());
    }
    new_messages.fetch_add(fresh.len() as u64, Ordering::Relaxed);
    documents::change(doc, &attribution("whatsapp.receive"), now, |tx| {
        for m in fresh.iter().chain(&answer_puts) {
            documents::put_entry(tx, "messages", &m.id, m)?;
        }
        if let Some(attention) = &attention {
            autosurgeon::reconcile_prop(tx, automerge::ROOT, "attention", attention)?;
        }
        if contact_changed {
            autosurgeon::reconcile_prop(tx, automerge::ROOT, "contact", &new_contact)?;
        }
        if unlinked {
            match &link {
                Some(patient) => {
                    autosurgeon::reconcile_prop(
                        tx,
                        automerge::ROOT,
                        "patient_id",
                        Some(patient.clone()),
                    )?;
                }
                None => {
                    let lead = Lead {
                        created_at: now,
                        converted_to: None,
                    };
                    autosurgeon::reconcile_prop(tx, automerge::ROOT, "lead", Some(lead))?;
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

async fn write_outbound<S: Storage>(
    peer: &Peer<S>,
    org: Uuid,
    metrics: &WaMetrics,
) -> Result<(), PeerError> {
    let storage = &peer.storage;
    loop {
        let rows = storage.wa_unsynced(org, BATCH).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let full = rows.len() == BATCH;
        let mut by_doc: BTreeMap<Uuid, Vec<Unsynced>> = BTreeMap::new();
        for r in rows {
            by_doc.entry(r.doc_id).or_default().push(r);
        }
        let mut synced = Vec::new();
        for (id, rows) in by_doc {
            let versions: Vec<(String, i64)> = rows
                .iter()
                .map(|r| (r.message_id.clone(), r.version))
                .collect();
            let updates: Vec<_> = rows
                .iter()
                .filter_map(|r| convert::desired_status(r).map(|d| (r.message_id.clone(), d)))
                .collect();
            let t = now();
            let moved = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let counter = moved.clone();
            let result = peer
                .write_conversation(org, id, None, move |doc, _| {
                    record_outcomes(doc, updates, t, &counter)
                })
                .await;
            match result {
                Ok(_) => {
                    metrics
                        .statuses_written
                        .fetch_add(moved.load(Ordering::Relaxed), Ordering::Relaxed);
                    synced.extend(versions);
                }
                Err(e) => {
                    tracing::error!(%org, conversation = %id, error = %e, "outbound outcomes not written; retried");
                }
            }
        }
        if synced.is_empty() {
            return Ok(());
        }
        storage.wa_mark_synced(org, synced).await?;
        if !full {
            return Ok(());
        }
    }
}

/// The change that moves outbound messages forward: status, when, wamid,
/// error; a message already further along is left as it is.
fn record_outcomes(
    doc: &mut Automerge,
    updates: Vec<(String, Outcome)>,
    now: i64,
    moved: &std::sync::atomic::AtomicU64,
) -> Result<(), PeerError> {
    let mut changed: Vec<Message> = Vec::new();
    for (id, (status, at, wamid, error)) in updates {
        let Some(mut m) = documents::hydrate_entry::<Message>(doc, "messages", &id)
            .map_err(|e| PeerError::Document(Uuid::nil(), e.to_string()))?
        else {
            continue;
        };
        let before = m.clone();
        if convert::may_move(m.status, status) {
            m.status = status;
            m.status_at = at;
            m.error = error;
        }
        if m.wamid.is_none() && wamid.is_some() {
            m.wamid = wamid;
        }
        if m != before {
            changed.push(m);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    moved.fetch_add(changed.len() as u64, Ordering::Relaxed);
    documents::change(doc, &attribution("whatsapp.status"), now, |tx| {
        for m in &changed {
            documents::put_entry(tx, "messages", &m.id, m)?;
        }
        Ok(())
    })?;
    Ok(())
}
