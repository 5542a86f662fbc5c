//! What the WhatsApp channel needs from the database, on both backends
//! ([`crate::storage::sqlite`], [`crate::storage::postgres`]): the numbers
//! of each organisation, the inbox of raw deliveries, and the messages and
//! statuses taken from them.

use std::future::Future;

use uuid::Uuid;

use super::crypto::Sealed;
use super::payload::Item;
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

/// A number as listed: never its token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NumberRow {
    pub org_id: Uuid,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    pub created_at: i64,
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
    /// Stores raw deliveries in one durable transaction; their ids.
    fn wa_receive(
        &self,
        bodies: Vec<Vec<u8>>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Uuid>, StorageError>> + Send;
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
}
