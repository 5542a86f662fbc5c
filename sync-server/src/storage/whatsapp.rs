//! What the WhatsApp channel needs from the database, on both backends
//! ([`crate::storage::sqlite`], [`crate::storage::postgres`]): the numbers
//! of each organisation, the inbox of raw deliveries, the messages and
//! statuses taken from them, and the server's work as a peer of the
//! documents (messages waiting to be written, the patients' phone index,
//! outbound messages and their sending).

use std::future::Future;

use uuid::Uuid;

use arcada_core::documents::DocClass;

use crate::cloud_api::crypto::Sealed;
use crate::cloud_api::payload::Item;
use crate::storage::StorageError;

/// A number to add; its access token already sealed.
#[derive(Debug, Clone)]
pub struct NewNumber {
    pub org: Uuid,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    pub token_nonce: Vec<u8>,
    pub token_ciphertext: Vec<u8>,
}

/// A number as listed (the wire type the workstation reads too).
pub use arcada_core::protocol::NumberRow;

/// What the sender needs of a number.
#[derive(Debug, Clone)]
pub struct NumberInfo {
    pub org_id: Uuid,
    pub display_phone_number: String,
    pub needs_reauth: bool,
    pub token: Sealed,
}

/// A delivery taken from the inbox for processing.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub body: Vec<u8>,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// What applying one delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub messages_new: u64,
    pub messages_duplicate: u64,
    pub statuses_advanced: u64,
    pub statuses_stale: u64,
    /// Items whose phone_number_id no organisation has: stored without one.
    pub unrouted: u64,
    /// Those phone_number_ids, once each.
    pub unrouted_numbers: Vec<String>,
    pub problems: u64,
    /// Organisations that got new messages or statuses, once each.
    pub orgs: Vec<Uuid>,
}

/// Items stored for a phone_number_id that no organisation has.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unrouted {
    pub phone_number_id: String,
    pub messages: i64,
    pub statuses: i64,
}

/// The state of the inbox, for the admin report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InboxSummary {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    /// Bodies that arrived again after being stored (not stored again).
    pub replays: i64,
    pub item_errors: i64,
    pub unrouted: Vec<Unrouted>,
}

/// An inbound message as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageRow {
    pub wamid: String,
    pub org_id: Option<Uuid>,
    pub phone_number_id: String,
    pub from_wa_id: Option<String>,
    pub from_user_id: Option<String>,
    pub contact_name: Option<String>,
    pub kind: String,
    pub sent_at: Option<i64>,
}

/// The latest status of an outbound message.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusRow {
    pub wamid: String,
    pub org_id: Option<Uuid>,
    pub phone_number_id: String,
    pub status: String,
    pub status_at: Option<i64>,
}

/// An item error as recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemErrorRow {
    pub delivery_id: Uuid,
    pub path: String,
    pub phone_number_id: Option<String>,
    pub code: String,
    pub message: String,
}

/// An inbound message stored but not yet written into its conversation.
#[derive(Debug, Clone)]
pub struct Unwritten {
    pub wamid: String,
    pub phone_number_id: String,
    pub from_wa_id: Option<String>,
    pub from_user_id: Option<String>,
    pub contact_name: Option<String>,
    pub kind: String,
    pub sent_at: Option<i64>,
    /// The message object as Meta sent it (JSON).
    pub body: String,
    pub received_at: i64,
}

/// Where an outbound message is, as the sender keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutState {
    Queued,
    /// Committed before the request; an expired lease means the process
    /// died while the Graph API had it.
    Sending,
    Sent,
    Failed,
    NeedsTemplate,
    InDoubt,
}

impl OutState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutState::Queued => "queued",
            OutState::Sending => "sending",
            OutState::Sent => "sent",
            OutState::Failed => "failed",
            OutState::NeedsTemplate => "needs_template",
            OutState::InDoubt => "in_doubt",
        }
    }

    pub fn parse(s: &str) -> Result<OutState, StorageError> {
        Ok(match s {
            "queued" => OutState::Queued,
            "sending" => OutState::Sending,
            "sent" => OutState::Sent,
            "failed" => OutState::Failed,
            "needs_template" => OutState::NeedsTemplate,
            "in_doubt" => OutState::InDoubt,
            other => return Err(StorageError::Corrupt(format!("outbound state {other:?}"))),
        })
    }
}

/// An outbound message found queued in a conversation document.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub message_id: String,
    pub doc_id: Uuid,
    pub phone_number_id: String,
    /// The contact's wa_id.
    pub recipient: Option<String>,
    pub kind: String,
    /// The Graph API request body (JSON); `None` when it cannot be sent.
    pub request: Option<String>,
    /// `Queued`, or `Failed` with `error` when it cannot be sent at all.
    pub state: OutState,
    pub error: Option<(String, String)>,
}

/// An outbound message as the sender takes it.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub message_id: String,
    pub doc_id: Uuid,
    pub phone_number_id: String,
    pub recipient: Option<String>,
    pub request: Option<String>,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// What became of one attempt to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent {
        wamid: String,
    },
    /// The Graph API said nothing went (rate limits, 5xx, no connection):
    /// queued again for `at`.
    Retry {
        at: i64,
        code: String,
        title: String,
    },
    Failed {
        code: String,
        title: String,
    },
    NeedsTemplate {
        code: String,
        title: String,
    },
    InDoubt,
}

/// An outbound message whose document does not show its latest state.
#[derive(Debug, Clone)]
pub struct Unsynced {
    pub message_id: String,
    pub doc_id: Uuid,
    pub state: OutState,
    pub wamid: Option<String>,
    pub error_code: Option<String>,
    pub error_title: Option<String>,
    pub sent_at: Option<i64>,
    pub updated_at: i64,
    /// The latest status webhook for its wamid.
    pub status: Option<String>,
    pub status_at: Option<i64>,
    /// That status's `errors` (JSON).
    pub status_errors: Option<String>,
    pub version: i64,
}

/// What resolving interrupted sends found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resolved {
    /// A status carrying the message id proved it went.
    pub proven_sent: u64,
    pub in_doubt: u64,
}

/// A reminder as the scheduler records it: once per appointment, ever.
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub appointment_id: String,
    /// The agenda document holding the appointment.
    pub agenda_id: Uuid,
    pub patient_id: String,
    /// Why none was sent (`no_phone`, `no_patient` …); `None`: queued.
    pub skipped: Option<String>,
    /// The conversation and its message, when one was queued.
    pub doc_id: Option<Uuid>,
    pub message_id: Option<String>,
}

/// A reminder that was sent (queued), as an answer finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderRef {
    pub appointment_id: String,
    pub agenda_id: Uuid,
    /// Its conversation.
    pub doc_id: Uuid,
    pub message_id: String,
    pub created_at: i64,
    /// When an answer settled it (confirmed, cancelled, asked to
    /// reschedule): plain text is no longer taken as its answer.
    pub answered_at: Option<i64>,
}

/// An inbound message taken as the answer to a reminder.
#[derive(Debug, Clone)]
pub struct NewAnswer {
    /// The inbound message.
    pub wamid: String,
    pub appointment_id: String,
    /// `confirm`, `cancel`, `reschedule`, `unclear`.
    pub answer: String,
    /// The appointment's status the answer left (when it acted).
    pub status: Option<String>,
    /// Why the front desk was asked to look (`resposta-incerta` …).
    pub attention: Option<String>,
    /// Whether it settles the reminder.
    pub settles: bool,
    /// The server's reply, queued with the answer.
    pub reply: Option<NewOutbound>,
}

/// A reminder as the admin report lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReminderRow {
    pub appointment_id: String,
    pub patient_id: String,
    /// `queued` or `skipped`.
    pub state: String,
    /// Why it was skipped.
    pub reason: Option<String>,
    pub message_id: Option<String>,
    pub created_at: i64,
    pub answered_at: Option<i64>,
    pub answer: Option<String>,
}

/// The change-log positions the server follows per organisation.
pub const CURSOR_PATIENTS: &str = "patients";
pub const CURSOR_OUTBOUND: &str = "outbound";

pub trait WaStore: Send + Sync + 'static {
    /// Adds a number to an organisation: `Exists` if its phone_number_id is
    /// taken, `NotFound` if the organisation is.
    fn wa_add_number(
        &self,
        number: NewNumber,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Every number (of one organisation, if given).
    fn wa_numbers(
        &self,
        org: Option<Uuid>,
    ) -> impl Future<Output = Result<Vec<NumberRow>, StorageError>> + Send;
    /// The sealed access token of a number.
    fn wa_number_token(
        &self,
        phone_number_id: String,
    ) -> impl Future<Output = Result<Option<Sealed>, StorageError>> + Send;
    /// False if there was no such number.
    fn wa_remove_number(
        &self,
        phone_number_id: String,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Stores raw deliveries in one durable transaction, each body once
    /// ([`Deliveries`]); how many were replays of a body already stored
    /// (or twice in this batch): counted on the stored one, not kept.
    fn wa_receive(
        &self,
        bodies: Deliveries,
        now: i64,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
    /// Leases up to `limit` pending deliveries due by `now`, oldest first,
    /// until `lease_until`; a lease that runs out (the process died) makes
    /// the delivery claimable again.
    fn wa_claim(
        &self,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> impl Future<Output = Result<Vec<Claimed>, StorageError>> + Send;
    /// Applies a delivery's items and marks it done, in one transaction.
    /// Items that the database refuses become item errors, the rest stand.
    fn wa_apply(
        &self,
        delivery: Uuid,
        items: Vec<Item>,
        now: i64,
    ) -> impl Future<Output = Result<Applied, StorageError>> + Send;
    /// Records a failed attempt: retried at `retry_at`, or failed for good
    /// when `None`.
    fn wa_fail(
        &self,
        delivery: Uuid,
        error: String,
        retry_at: Option<i64>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn wa_summary(&self) -> impl Future<Output = Result<InboxSummary, StorageError>> + Send;
    /// Messages and statuses of one organisation, or those of none
    /// (`None`: unrouted), newest first, at most `limit` of each.
    fn wa_inbox(
        &self,
        org: Option<Uuid>,
        limit: usize,
    ) -> impl Future<Output = Result<(Vec<MessageRow>, Vec<StatusRow>), StorageError>> + Send;
    /// The latest item errors, newest first.
    fn wa_item_errors(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ItemErrorRow>, StorageError>> + Send;

    /// Replaces a number's display form and/or token and clears its
    /// re-authorisation flag; false if there is no such number.
    fn wa_update_number(
        &self,
        phone_number_id: String,
        display_phone_number: Option<String>,
        token: Option<Sealed>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    fn wa_number_info(
        &self,
        phone_number_id: String,
    ) -> impl Future<Output = Result<Option<NumberInfo>, StorageError>> + Send;
    /// Marks a number as needing a new token (Meta answered 190).
    fn wa_flag_reauth(
        &self,
        phone_number_id: String,
        reason: String,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Organisations the channel serves: those with a number, and those
    /// that had one (their queued replies must still fail, their messages
    /// still be written).
    fn wa_routed_orgs(&self) -> impl Future<Output = Result<Vec<Uuid>, StorageError>> + Send;

    /// How far the server followed an organisation's change log for `kind`.
    fn wa_cursor(
        &self,
        org: Uuid,
        kind: &'static str,
    ) -> impl Future<Output = Result<i64, StorageError>> + Send;
    /// Documents of `class` changed after `after` (by devices other than
    /// `skip_device`), once each, from at most `limit` changes; the last
    /// sequence number read and whether more wait.
    fn wa_changed_docs(
        &self,
        org: Uuid,
        class: DocClass,
        after: i64,
        limit: usize,
        skip_device: Option<Uuid>,
    ) -> impl Future<Output = Result<(Vec<Uuid>, i64, bool), StorageError>> + Send;
    /// Replaces the indexed phones of each patient and moves the cursor, in
    /// one transaction.
    fn wa_index_patients(
        &self,
        org: Uuid,
        patients: Vec<(Uuid, Vec<String>)>,
        cursor: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// The patients with this E.164 phone.
    fn wa_patients_by_phone(
        &self,
        org: Uuid,
        phone: String,
    ) -> impl Future<Output = Result<Vec<Uuid>, StorageError>> + Send;
    /// Records outbound messages (once each: known ids change nothing) and
    /// moves the cursor, in one transaction; how many were new.
    fn wa_enqueue(
        &self,
        org: Uuid,
        messages: Vec<NewOutbound>,
        cursor: i64,
        now: i64,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;

    /// Leases up to `limit` of an organisation's messages not yet written
    /// into their documents, oldest first.
    fn wa_claim_unwritten(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> impl Future<Output = Result<Vec<Unwritten>, StorageError>> + Send;
    fn wa_mark_written(
        &self,
        org: Uuid,
        wamids: Vec<String>,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Marks up to `limit` due queued messages `sending` (attempts + 1,
    /// leased until `lease_until`) and returns them; messages of a number
    /// waiting for a new token stay queued.
    fn wa_claim_sends(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> impl Future<Output = Result<Vec<Outbound>, StorageError>> + Send;
    /// Records the outcome of a send still `sending`; false if it was not
    /// (a status webhook proved it sent meanwhile).
    fn wa_send_result(
        &self,
        org: Uuid,
        message_id: String,
        outcome: SendOutcome,
        now: i64,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Sends whose lease ran out (the process died while the Graph API had
    /// the request): sent if a status carrying their id came, else in doubt.
    fn wa_resolve_interrupted(
        &self,
        org: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<Resolved, StorageError>> + Send;
    /// When the organisation's next queued message is due, if any.
    fn wa_next_send(
        &self,
        org: Uuid,
    ) -> impl Future<Output = Result<Option<i64>, StorageError>> + Send;
    /// Outbound messages whose document lags behind, with their latest
    /// status webhook.
    fn wa_unsynced(
        &self,
        org: Uuid,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Unsynced>, StorageError>> + Send;
    /// Records that documents show these (message id, version)s.
    fn wa_mark_synced(
        &self,
        org: Uuid,
        synced: Vec<(String, i64)>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Which of these appointments already had their reminder (sent or
    /// skipped).
    fn wa_reminded(
        &self,
        org: Uuid,
        appointments: Vec<String>,
    ) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;
    /// Records an appointment's reminder and queues its message for the
    /// sender, in one transaction; false (and nothing queued) if the
    /// appointment already had one.
    fn wa_record_reminder(
        &self,
        org: Uuid,
        reminder: NewReminder,
        outbound: Option<NewOutbound>,
        now: i64,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// The reminder whose message WhatsApp knows as `wamid`.
    fn wa_reminder_by_wamid(
        &self,
        org: Uuid,
        wamid: String,
    ) -> impl Future<Output = Result<Option<ReminderRef>, StorageError>> + Send;
    /// The unsettled reminders sent into a conversation in
    /// `[since, until]`, newest first.
    fn wa_open_reminders(
        &self,
        org: Uuid,
        doc_id: Uuid,
        since: i64,
        until: i64,
    ) -> impl Future<Output = Result<Vec<ReminderRef>, StorageError>> + Send;
    /// Which of these inbound messages were already taken as answers.
    fn wa_answered(
        &self,
        org: Uuid,
        wamids: Vec<String>,
    ) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;
    /// Records answers (once each: known wamids change nothing), settles
    /// their reminders and queues their replies, in one transaction; the
    /// wamids that were new.
    fn wa_record_answers(
        &self,
        org: Uuid,
        answers: Vec<NewAnswer>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;
    /// An organisation's reminders, newest first (admin report).
    fn wa_reminders_report(
        &self,
        org: Uuid,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ReminderRow>, StorageError>> + Send;
    /// An organisation's outbound messages, newest first (admin report).
    fn wa_outbound_report(
        &self,
        org: Uuid,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboundRow>, StorageError>> + Send;

    /// Records media to fetch (once each: a known wamid changes nothing);
    /// how many were new.
    fn wa_media_enqueue(
        &self,
        org: Uuid,
        media: Vec<NewMedia>,
        now: i64,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
    /// Takes up to `limit` pending media due by `now` (attempts + 1, not
    /// due again before `lease_until`: a crash mid-download retries then).
    fn wa_media_claim(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> impl Future<Output = Result<Vec<MediaJob>, StorageError>> + Send;
    /// Records an attempt's outcome; a stored one with its blob, in one
    /// transaction (a blob already there is kept).
    fn wa_media_result(
        &self,
        org: Uuid,
        wamid: String,
        outcome: MediaOutcome,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// When the organisation's next pending media is due, if any.
    fn wa_media_next(
        &self,
        org: Uuid,
    ) -> impl Future<Output = Result<Option<i64>, StorageError>> + Send;
    /// Media settled (stored, too large, failed) that their documents do
    /// not show yet.
    fn wa_media_unsynced(
        &self,
        org: Uuid,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<MediaDone>, StorageError>> + Send;
    fn wa_media_mark_synced(
        &self,
        org: Uuid,
        wamids: Vec<String>,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// One of the organisation's blobs; `None` for another's or none.
    fn wa_blob(
        &self,
        org: Uuid,
        sha256: String,
    ) -> impl Future<Output = Result<Option<Blob>, StorageError>> + Send;
}

/// An inbound message's media, to fetch once its message is in its
/// conversation.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub wamid: String,
    pub doc_id: Uuid,
    pub phone_number_id: String,
    /// Meta's media id.
    pub media_id: String,
    pub mime_type: Option<String>,
    /// The hash the webhook gave, if any.
    pub sha256: Option<String>,
}

/// Media as the fetcher takes it.
#[derive(Debug, Clone)]
pub struct MediaJob {
    pub wamid: String,
    pub doc_id: Uuid,
    pub phone_number_id: String,
    pub media_id: String,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// What became of one attempt to fetch media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaOutcome {
    /// The bytes, their hash (hex) and type.
    Stored {
        sha256: String,
        mime_type: String,
        bytes: Vec<u8>,
    },
    /// Larger than the limit: never downloaded (or not past the limit).
    TooLarge { size: u64, limit: u64 },
    /// For good.
    Failed { error: String },
    /// Tried again at `at`.
    Retry { at: i64, error: String },
}

/// Media whose outcome its document does not show yet.
#[derive(Debug, Clone)]
pub struct MediaDone {
    pub wamid: String,
    pub doc_id: Uuid,
    /// `stored`, `too_large`, `failed`.
    pub state: String,
    /// The stored blob's hash (hex).
    pub blob_sha256: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
}

/// A stored blob.
#[derive(Debug, Clone)]
pub struct Blob {
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// A media outcome's columns: state, blob hash, size, error, next attempt.
pub fn media_columns(
    outcome: &MediaOutcome,
) -> (
    &'static str,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
) {
    match outcome {
        MediaOutcome::Stored { sha256, bytes, .. } => (
            "stored",
            Some(sha256.clone()),
            Some(bytes.len() as i64),
            None,
            None,
        ),
        MediaOutcome::TooLarge { size, limit } => (
            "too_large",
            None,
            Some(*size as i64),
            Some(format!("too_large: {size} bytes, limit {limit}")),
            None,
        ),
        MediaOutcome::Failed { error } => (
            "failed",
            None,
            None,
            Some(format!("download failed: {error}")),
            None,
        ),
        MediaOutcome::Retry { at, error } => {
            ("pending", None, None, Some(error.clone()), Some(*at))
        }
    }
}

/// An outbound message as the admin report lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboundRow {
    pub message_id: String,
    pub doc_id: Uuid,
    pub phone_number_id: String,
    pub recipient: Option<String>,
    pub kind: String,
    pub state: String,
    pub attempts: i64,
    pub wamid: Option<String>,
    pub error_code: Option<String>,
    pub queued_at: i64,
    pub sent_at: Option<i64>,
}

/// The error title of a message whose send was interrupted.
pub const IN_DOUBT_TITLE: &str =
    "the server stopped while the Graph API had the request: it may or may not have been sent";

/// Webhook bodies to store, each once: the same bytes twice in a batch are
/// one body with a replay. Keyed by SHA-256, which the database keeps
/// unique, so a replay in a later batch is found there.
#[derive(Debug, Default)]
pub struct Deliveries {
    /// (id, SHA-256, body, copies beyond the first in this batch).
    pub bodies: Vec<(Uuid, Vec<u8>, Vec<u8>, i64)>,
}

impl Deliveries {
    pub fn of(bodies: impl IntoIterator<Item = Vec<u8>>) -> Deliveries {
        let mut out = Deliveries::default();
        let mut seen = std::collections::HashMap::new();
        for body in bodies {
            let hash = ring::digest::digest(&ring::digest::SHA256, &body)
                .as_ref()
                .to_vec();
            match seen.get(&hash) {
                Some(&i) => {
                    let entry: &mut (Uuid, Vec<u8>, Vec<u8>, i64) = &mut out.bodies[i];
                    entry.3 += 1;
                }
                None => {
                    seen.insert(hash.clone(), out.bodies.len());
                    out.bodies.push((Uuid::now_v7(), hash, body, 0));
                }
            }
        }
        out
    }

    /// Copies beyond the first within the batch.
    pub fn repeated(&self) -> u64 {
        self.bodies.iter().map(|b| b.3 as u64).sum()
    }
}
