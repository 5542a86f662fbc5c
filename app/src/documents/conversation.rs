//! The conversation document: one per clinic number × WhatsApp contact.
//!
//! The server writes what arrives from WhatsApp (it is a peer like any
//! workstation); workstations queue replies in it and the server's sender
//! writes back what the Graph API said. Messages live in a map keyed by id,
//! so a reply queued offline and a message arriving meanwhile merge side by
//! side; nothing is deleted.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;
use uuid::Uuid;

use super::DocClass;

string_enum! {
    /// Which way a message went.
    #[cfg_attr(feature = "ts", ts(rename = "MessageDirection"))]
    pub enum Direction ("message direction") {
        Inbound => "recebida",
        Outbound => "enviada",
    }
}

string_enum! {
    /// Where a message is. Inbound messages are `recebida`; outbound ones
    /// start `na-fila` (queued by a workstation) and the server moves them on.
    pub enum MessageStatus ("message status") {
        Received => "recebida",
        Queued => "na-fila",
        Sending => "enviando",
        Sent => "enviada",
        Delivered => "entregue",
        Read => "lida",
        Failed => "falhou",
        /// Outside the 24-hour window: only an approved template may go.
        NeedsTemplate => "precisa-modelo",
        /// The process stopped while the Graph API had the request: it may
        /// or may not have gone, so it is never sent again on its own.
        InDoubt => "incerta",
    }
}

impl MessageStatus {
    /// Order of the delivery statuses WhatsApp reports, so a late `sent`
    /// never overwrites `read`. `None` for the states the sender owns.
    pub fn delivery_rank(self) -> Option<u8> {
        match self {
            MessageStatus::Sent => Some(1),
            MessageStatus::Delivered => Some(2),
            MessageStatus::Read => Some(3),
            MessageStatus::Failed => Some(5),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct ConversationDoc {
    pub class: DocClass,
    pub schema: u64,
    /// The clinic's number (Meta's phone_number_id) and how it is shown.
    pub phone_number_id: String,
    pub display_number: String,
    pub contact: Contact,
    /// The patient this conversation belongs to, once known.
    #[autosurgeon(missing = "Default::default")]
    pub patient_id: Option<String>,
    /// Set when the number matched no patient: someone to follow up.
    #[autosurgeon(missing = "Default::default")]
    pub lead: Option<Lead>,
    pub messages: BTreeMap<String, Message>,
    /// Inbound messages up to this time (seconds) have been read at the
    /// clinic; the inbox is shared, so there is one mark, not one per user.
    #[autosurgeon(missing = "Default::default")]
    pub read_at: Option<i64>,
    /// An answer to a reminder the front desk must act on; cleared when
    /// someone at the clinic replies.
    #[autosurgeon(missing = "Default::default")]
    pub attention: Option<Attention>,
    /// Who at the clinic took the conversation to answer it; `None` while
    /// anyone may. One register: two people taking it at once offline end
    /// with one of them, the same on every workstation.
    #[autosurgeon(missing = "Default::default")]
    pub assignee: Option<Assignee>,
    /// The clinic's labels ("orçamento", "urgência"), each with when it was
    /// put. A map, so that labels put on two workstations at once all stay.
    #[autosurgeon(missing = "Default::default")]
    pub tags: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Assignee {
    pub user_id: String,
    /// How the others see who it is (the e-mail the user signs in with),
    /// kept here because workstations know only the users who signed in
    /// on them.
    #[autosurgeon(missing = "Default::default")]
    pub name: Option<String>,
    pub at: i64,
}

string_enum! {
    /// Why a conversation needs the front desk.
    pub enum AttentionReason ("attention reason") {
        /// The answer to a reminder was neither yes nor no.
        Unclear => "resposta-incerta",
        /// The patient asked to reschedule.
        Reschedule => "pediu-remarcar",
        /// The patient cancelled: the slot is free.
        Cancelled => "cancelou",
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attention {
    pub reason: AttentionReason,
    /// The inbound message that raised it.
    pub message_id: String,
    /// The appointment the reminder was for.
    #[autosurgeon(missing = "Default::default")]
    pub appointment_id: Option<String>,
    pub at: i64,
}

impl ConversationDoc {
    /// The empty conversation, written by [`super::genesis`].
    pub fn new(phone_number_id: &str, display_number: &str, contact: Contact) -> ConversationDoc {
        ConversationDoc {
            class: DocClass::Conversation,
            schema: super::SCHEMA_VERSION,
            phone_number_id: phone_number_id.to_string(),
            display_number: display_number.to_string(),
            contact,
            patient_id: None,
            lead: None,
            messages: BTreeMap::new(),
            read_at: None,
            attention: None,
            assignee: None,
            tags: BTreeMap::new(),
        }
    }
}

/// The id of the conversation between a clinic number and a contact
/// (`wa_id`, or the username id of a contact that has no number).
/// Derived, so that every server instance writes into the same document.
pub fn conversation_id(org_id: Uuid, phone_number_id: &str, contact_key: &str) -> Uuid {
    Uuid::new_v5(
        &org_id,
        format!("conversation:{phone_number_id}:{contact_key}").as_bytes(),
    )
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Contact {
    /// WhatsApp id: the number's digits without `+`.
    #[autosurgeon(missing = "Default::default")]
    pub wa_id: Option<String>,
    /// Business-scoped user id, for contacts known only by username.
    #[autosurgeon(missing = "Default::default")]
    pub user_id: Option<String>,
    /// The profile name WhatsApp reported.
    #[autosurgeon(missing = "Default::default")]
    pub name: Option<String>,
    /// The number in E.164, when `wa_id` is one.
    #[autosurgeon(missing = "Default::default")]
    pub phone: Option<String>,
}

impl Contact {
    /// The key the conversation id is derived from: the number's E.164
    /// digits when there is one (WhatsApp's id of a Brazilian mobile may
    /// lack the ninth digit, a patient's phone has it: both must find one
    /// conversation), else the WhatsApp id, else the username id.
    pub fn key(&self) -> Option<&str> {
        self.phone
            .as_deref()
            .map(|p| p.trim_start_matches('+'))
            .or(self.wa_id.as_deref())
            .or(self.user_id.as_deref())
    }
}

/// Links a conversation to its patient, inside a change: `patient_id`
/// set, and a lead (if it was one) marked converted to that patient. The
/// desk's "vincular" and the server's linking of a lead whose number a
/// patient registered later make the same edit.
pub fn link_patient(
    tx: &mut automerge::transaction::Transaction<'_>,
    lead: Option<Lead>,
    patient_id: &str,
) -> Result<(), autosurgeon::ReconcileError> {
    let lead = lead.map(|l| Lead {
        converted_to: Some(patient_id.to_string()),
        ..l
    });
    autosurgeon::reconcile_prop(tx, automerge::ROOT, "patient_id", Some(patient_id))?;
    autosurgeon::reconcile_prop(tx, automerge::ROOT, "lead", &lead)
}

/// Sets who answers as one value: the old object goes and a new one is
/// put, so two people taking a conversation at once end with one of them
/// whole, never one's id under the other's name (fields reconciled in
/// place would merge one by one).
pub fn set_assignee(
    tx: &mut automerge::transaction::Transaction<'_>,
    assignee: Option<&Assignee>,
) -> Result<(), autosurgeon::ReconcileError> {
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;
    if tx.get(automerge::ROOT, "assignee")?.is_some() {
        tx.delete(automerge::ROOT, "assignee")?;
    }
    match assignee {
        Some(a) => autosurgeon::reconcile_prop(tx, automerge::ROOT, "assignee", a),
        None => Ok(()),
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Lead {
    pub created_at: i64,
    /// Set when the lead became (or was linked to) a patient.
    #[autosurgeon(missing = "Default::default")]
    pub converted_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Message {
    /// Inbound: the wamid. Outbound: a UUIDv7 made by the workstation or
    /// the server, never reused, so a queued message is sent at most once.
    pub id: String,
    pub direction: Direction,
    /// WhatsApp's type: text, image, audio, video, document, sticker,
    /// location, contacts, interactive, button, reaction, template,
    /// unsupported.
    pub kind: String,
    /// The text, caption, button title or reaction emoji.
    #[autosurgeon(missing = "Default::default")]
    pub text: Option<String>,
    /// Inbound: when WhatsApp says it was sent; outbound: when queued.
    pub at: i64,
    /// Outbound: the user who queued it (or `whatsapp` for reminders).
    #[autosurgeon(missing = "Default::default")]
    pub author: Option<String>,
    pub status: MessageStatus,
    /// When `status` last changed.
    #[autosurgeon(missing = "Default::default")]
    pub status_at: Option<i64>,
    /// Outbound: the wamid the Graph API gave.
    #[autosurgeon(missing = "Default::default")]
    pub wamid: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub error: Option<MessageError>,
    #[autosurgeon(missing = "Default::default")]
    pub media: Option<Media>,
    #[autosurgeon(missing = "Default::default")]
    pub location: Option<Location>,
    /// The message this one answers (WhatsApp's `context.id`).
    #[autosurgeon(missing = "Default::default")]
    pub reply_to: Option<String>,
    /// A button's payload (template quick replies, interactive replies).
    #[autosurgeon(missing = "Default::default")]
    pub payload: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub template: Option<TemplateRef>,
    /// The appointment a reminder was about, or a reply acted on.
    #[autosurgeon(missing = "Default::default")]
    pub appointment_id: Option<String>,
}

impl Message {
    /// A message from the contact, as WhatsApp gave it: received, nothing
    /// else set. Callers fill in the text, media and the rest.
    pub fn inbound(wamid: &str, kind: &str, at: i64) -> Message {
        Message::new(
            wamid,
            Direction::Inbound,
            kind,
            at,
            None,
            MessageStatus::Received,
            None,
        )
    }

    /// A message for the server's sender to deliver: queued now (`at`) by
    /// `author` (a user id, or `whatsapp` for the server's own).
    pub fn queued(id: &str, kind: &str, text: Option<String>, author: &str, at: i64) -> Message {
        Message {
            text,
            ..Message::new(
                id,
                Direction::Outbound,
                kind,
                at,
                Some(author.to_string()),
                MessageStatus::Queued,
                Some(at),
            )
        }
    }

    fn new(
        id: &str,
        direction: Direction,
        kind: &str,
        at: i64,
        author: Option<String>,
        status: MessageStatus,
        status_at: Option<i64>,
    ) -> Message {
        Message {
            id: id.to_string(),
            direction,
            kind: kind.to_string(),
            text: None,
            at,
            author,
            status,
            status_at,
            wamid: None,
            error: None,
            media: None,
            location: None,
            reply_to: None,
            payload: None,
            template: None,
            appointment_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageError {
    /// Meta's error code (`131047`), or one of ours (`in_doubt`).
    pub code: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Media {
    /// Meta's media id.
    pub id: String,
    #[autosurgeon(missing = "Default::default")]
    pub mime_type: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub sha256: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub filename: Option<String>,
    /// Bytes, once known.
    #[autosurgeon(missing = "Default::default")]
    pub size: Option<u64>,
    /// The key in the server's blob storage, once stored.
    #[autosurgeon(missing = "Default::default")]
    pub blob: Option<String>,
    /// Why it was not stored (too large, download failed).
    #[autosurgeon(missing = "Default::default")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[autosurgeon(missing = "Default::default")]
    pub name: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateRef {
    pub name: String,
    /// `pt_BR`.
    pub language: String,
    /// The body's parameters, in order.
    pub params: Vec<String>,
}
