//! The sync protocol's messages (docs/SYNC.md), shared by the server and
//! the workstation's client ([`crate::sync`]): what is pushed, pulled and
//! bootstrapped, the live channel's messages and close codes, the errors
//! as the API reports them, and the WhatsApp numbers' API types.

use automerge::{Change, ChangeHash};
use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::documents::DocClass;
use crate::roles::Role;

/// Version of the protocol in the URL path (`/sync/v1/…`).
pub const PROTOCOL_VERSION: u32 = 1;

/// Most changes in one push or pull.
pub const MAX_BATCH: usize = 1_000;

/// Most change bytes in one push or pull (a batch holds at least one change
/// however large): about 11 MiB of JSON once base64-encoded.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Encodes change bytes for the wire.
pub fn encode(bytes: &[u8]) -> String {
    b64().encode(bytes)
}

/// Decodes change bytes from the wire.
pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    b64().decode(text)
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    pub device_name: String,
    /// The device this workstation was paired as before: kept (not a new
    /// one per login) when it is the user's and not revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Membership {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub organizations: Vec<Membership>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// One change on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WireChange {
    pub doc: Uuid,
    /// The raw Automerge change, base64.
    pub bytes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    pub changes: Vec<WireChange>,
}

/// The fate of one document's changes in a push.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocResult {
    pub doc: Uuid,
    /// Every change of the document was accepted.
    pub accepted: bool,
    /// Changes newly stored (a change already held counts as accepted, not stored).
    pub stored: usize,
    /// Why the document, or its first refused change, was refused. With no
    /// `refused` list the whole document was refused (its class, the
    /// caller's role, a limit) and nothing of it was judged: keep it queued.
    pub error: Option<ApiError>,
    /// The changes refused for what they do; every other change of the
    /// document was accepted. A refused change is never stored or served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedChange>,
}

/// One change a push offered and the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefusedChange {
    /// Its position in the request's `changes`.
    pub index: usize,
    /// Its hash (hex), when it could be decoded.
    pub hash: Option<String>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    pub documents: Vec<DocResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullRequest {
    /// The last sequence number already received; 0 for everything.
    pub after: i64,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PulledChange {
    pub seq: i64,
    pub doc: Uuid,
    pub class: DocClass,
    pub bytes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullResponse {
    pub changes: Vec<PulledChange>,
    /// Pass as `after` next time.
    pub cursor: i64,
    /// More changes wait beyond this batch.
    pub more: bool,
}

/// Close code of the live channel for a revoked device or session.
pub const CLOSE_REVOKED: u16 = 4001;
/// Close code for an expired access token: refresh and reconnect.
pub const CLOSE_EXPIRED: u16 = 4002;
/// Close code for a member removed from the organisation.
pub const CLOSE_REMOVED: u16 = 4003;

/// A message from the server on the live channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// First message of a session, with the member's current role.
    Hello { role: Option<Role> },
    /// New changes were stored for the organisation: pull.
    Changes,
    /// The member's role changed: delete documents of the `drop` classes;
    /// pull from the start if `gain` is not empty.
    Role {
        role: Role,
        drop: Vec<DocClass>,
        gain: Vec<DocClass>,
    },
}

impl LiveMessage {
    /// The message announcing a change of role from `old` to `new`.
    pub fn role_change(old: Role, new: Role) -> LiveMessage {
        LiveMessage::Role {
            role: new,
            drop: old
                .readable()
                .into_iter()
                .filter(|c| !new.can_read(*c))
                .collect(),
            gain: new
                .readable()
                .into_iter()
                .filter(|c| !old.can_read(*c))
                .collect(),
        }
    }
}

/// Most documents in one snapshot page.
pub const MAX_SNAPSHOT_DOCS: usize = 500;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotRequest {
    /// The last document of the previous page (`next`); absent at first.
    pub after: Option<Uuid>,
    pub limit: usize,
}

/// A whole document, compacted (`Automerge::save`), base64.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotDoc {
    pub doc: Uuid,
    pub class: DocClass,
    pub bytes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotResponse {
    pub documents: Vec<SnapshotDoc>,
    /// The change log's position when the page was read: every document
    /// holds at least the changes up to it. Pull from the first page's
    /// cursor once the last page is in.
    pub cursor: i64,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<Uuid>,
}

/// An error as the API reports it: a stable code and a message.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema,
)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ApiError,
}

/// A WhatsApp number as the server lists it: never its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "WhatsappNumber"))]
pub struct NumberRow {
    pub org_id: Uuid,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    pub created_at: i64,
    /// When Meta refused its token (code 190); nothing is sent through it
    /// until it is updated.
    pub needs_reauth_at: Option<i64>,
    pub needs_reauth_reason: Option<String>,
}

/// A WhatsApp number to add to the organisation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewWhatsappNumber"))]
pub struct NumberRequest {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    /// The Cloud API access token: sealed at once, never answered back.
    pub access_token: String,
}

/// What to change of a number: its display form, its token (after Meta
/// asked for re-authorisation), or both.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NumberUpdate {
    pub display_phone_number: Option<String>,
    pub access_token: Option<String>,
}

/// Changes of one document ordered so that each comes after every change
/// among them it depends on (a stable topological order: otherwise the
/// order given).
pub fn causal_order(changes: Vec<Change>) -> Vec<Change> {
    let mut pending = changes;
    let mut out: Vec<Change> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let waiting: std::collections::HashSet<ChangeHash> =
            pending.iter().map(Change::hash).collect();
        let (ready, blocked): (Vec<Change>, Vec<Change>) = pending
            .into_iter()
            .partition(|c| c.deps().iter().all(|d| !waiting.contains(d)));
        if ready.is_empty() {
            // A cycle cannot happen between real changes; keep them as given.
            out.extend(blocked);
            break;
        }
        out.extend(ready);
        pending = blocked;
    }
    out
}
