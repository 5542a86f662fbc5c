//! Where the server keeps tenancy, tokens and the change log. One trait,
//! [`Storage`], two implementations: [`sqlite`] (embedded, the default) and
//! [`postgres`] (several server instances sharing one database). The same
//! cross-process tests run against both.

use std::future::Future;

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use uuid::Uuid;

use whatsapp::WaStore;

pub mod postgres;
pub mod sqlite;
pub mod whatsapp;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema migration failed: {0}")]
    Migration(#[from] refinery::Error),
    #[error("stored value is damaged: {0}")]
    Corrupt(String),
    #[error("{0} already exists")]
    Exists(String),
    #[error("no {0}")]
    NotFound(String),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("document {0} changed while its push was judged")]
    Stale(Uuid),
    #[error(
        "the PostgreSQL role {0:?} is a superuser or bypasses row-level security, so tenants \
         would be kept apart by the application alone: connect as a role that does not \
         (--allow-privileged-database-role to serve anyway)"
    )]
    PrivilegedRole(String),
}

/// A token as stored.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub family: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Its family was revoked (a logout, a reuse): every token of the
    /// family is dead, even one issued after the revocation by a refresh
    /// that raced it.
    pub revoked: bool,
    pub device_revoked: bool,
}

/// A membership of a user, with the organisation's name.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub org_id: Uuid,
    pub name: String,
    pub role: Role,
}

/// A change as stored: its hash and its bytes.
pub type RawChange = (Vec<u8>, Vec<u8>);

/// The changes of one document in a push, already checked.
#[derive(Debug)]
pub struct DocPush {
    pub doc: Uuid,
    /// The class to record if the server has never seen the document.
    pub class: DocClass,
    pub changes: Vec<RawChange>,
    /// The document's last log position the changes were judged against:
    /// if another change of it was stored since, nothing is stored and
    /// [`StorageError::Stale`] says so (judge again). `None`: no check.
    pub expect_last: Option<i64>,
}

/// A change as pulled.
#[derive(Debug)]
pub struct LogRow {
    pub seq: i64,
    pub doc: Uuid,
    pub class: DocClass,
    pub bytes: Vec<u8>,
}

/// One document of a snapshot page.
#[derive(Debug)]
pub struct SnapshotRow {
    pub doc: Uuid,
    pub class: DocClass,
    /// Sequence number of the document's latest change.
    pub last_seq: i64,
    /// The stored snapshot, when it is as of `last_seq`.
    pub snapshot: Option<Vec<u8>>,
}

/// Reads a stored role.
pub(crate) fn parse_role(text: &str) -> Result<Role, StorageError> {
    text.parse()
        .map_err(|e: arcada_core::UnknownValue| StorageError::Corrupt(e.to_string()))
}

/// Reads a stored document class.
pub(crate) fn parse_class(text: &str) -> Result<DocClass, StorageError> {
    text.parse()
        .map_err(|e: arcada_core::UnknownValue| StorageError::Corrupt(e.to_string()))
}

/// A token to store: only its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: Vec<u8>,
    /// `access` or `refresh`.
    pub kind: &'static str,
    pub device: Uuid,
    pub user: Uuid,
    pub family: String,
    pub expires_at: i64,
}

/// A member of an organisation.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
}

/// A paired workstation.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: i64,
    pub revoked: bool,
}

/// A change an administrator took out of the change log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuarantinedChange {
    pub doc: Uuid,
    /// Its position in the log when it was there.
    pub seq: i64,
    /// Hex.
    pub hash: String,
    pub device: Uuid,
    pub received_at: i64,
    pub reason: String,
    pub quarantined_at: i64,
}

/// Figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub organizations: i64,
    /// The change log's highest sequence number.
    pub change_log_seq: i64,
}

/// What the server needs from a database. Arguments are owned so that
/// implementations can move them onto other threads or connections.
///
/// The WhatsApp channel's tables come with it ([`WaStore`]).
pub trait Storage: WaStore + Send + Sync + 'static {
    fn create_org(
        &self,
        name: String,
        now: i64,
    ) -> impl Future<Output = Result<Uuid, StorageError>> + Send;
    /// Creates the user if the e-mail is new, then adds the membership.
    fn add_member(
        &self,
        org: Uuid,
        email: String,
        password_hash: String,
        role: Role,
        now: i64,
    ) -> impl Future<Output = Result<Uuid, StorageError>> + Send;
    fn user_by_email(
        &self,
        email: String,
    ) -> impl Future<Output = Result<Option<(Uuid, String)>, StorageError>> + Send;
    fn memberships(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Vec<MembershipRow>, StorageError>> + Send;
    fn role(
        &self,
        user: Uuid,
        org: Uuid,
    ) -> impl Future<Output = Result<Option<Role>, StorageError>> + Send;
    fn create_device(
        &self,
        user: Uuid,
        name: String,
        now: i64,
    ) -> impl Future<Output = Result<Uuid, StorageError>> + Send;
    /// Revokes a device and all its tokens; false if it was already revoked.
    fn revoke_device(
        &self,
        device: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    fn device_owner(
        &self,
        device: Uuid,
    ) -> impl Future<Output = Result<Option<Uuid>, StorageError>> + Send;
    fn store_token(&self, token: NewToken)
        -> impl Future<Output = Result<(), StorageError>> + Send;
    fn token(
        &self,
        hash: Vec<u8>,
        kind: &'static str,
    ) -> impl Future<Output = Result<Option<TokenRow>, StorageError>> + Send;
    /// Marks a refresh token spent; false if it already was (a reuse).
    fn spend_token(
        &self,
        hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    fn revoke_family(
        &self,
        family: String,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// The recorded class of each given document of `org` the server knows.
    fn classes(
        &self,
        org: Uuid,
        docs: Vec<Uuid>,
    ) -> impl Future<Output = Result<Vec<(Uuid, DocClass)>, StorageError>> + Send;
    /// Stores the documents' changes in one durable transaction; how many
    /// were new per document.
    fn append(
        &self,
        org: Uuid,
        device: Uuid,
        docs: Vec<DocPush>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<usize>, StorageError>> + Send;
    /// Changes after `after` in `readable` classes, oldest first, at most
    /// `limit`; with the cursor to continue from and whether more wait.
    fn pull(
        &self,
        org: Uuid,
        after: i64,
        limit: usize,
        readable: Vec<DocClass>,
    ) -> impl Future<Output = Result<(Vec<LogRow>, i64, bool), StorageError>> + Send;
    /// Documents of `readable` classes after `after` in id order, at most
    /// `limit`, with their stored snapshot when it is current; and the
    /// change log's position read before them.
    fn snapshot_page(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: usize,
        readable: Vec<DocClass>,
    ) -> impl Future<Output = Result<(Vec<SnapshotRow>, i64), StorageError>> + Send;
    /// A document's changes after the log position `after`, oldest first,
    /// and the position of the last (`after` if none): what a reader that
    /// holds the document as of `after` lacks. Positions are taken in
    /// commit order within an organisation, so none is skipped.
    fn document_changes_after(
        &self,
        org: Uuid,
        doc: Uuid,
        after: i64,
    ) -> impl Future<Output = Result<(Vec<Vec<u8>>, i64), StorageError>> + Send;
    /// Keeps a document's snapshot as of `seq`, unless a newer one is kept.
    fn save_snapshot(
        &self,
        org: Uuid,
        doc: Uuid,
        seq: i64,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    fn counts(&self) -> impl Future<Output = Result<Counts, StorageError>> + Send;
    /// How many documents an organisation holds.
    fn document_count(&self, org: Uuid) -> impl Future<Output = Result<u64, StorageError>> + Send;
    fn members(
        &self,
        org: Uuid,
    ) -> impl Future<Output = Result<Vec<MemberRow>, StorageError>> + Send;
    /// Changes a member's role; false if they are not a member.
    fn set_role(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Removes a membership; false if there was none.
    fn remove_member(
        &self,
        org: Uuid,
        user: Uuid,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
    /// Takes changes of a document out of the change log into the
    /// quarantine (kept whole for audit, never served again) and drops the
    /// document's snapshot; how many were moved.
    fn quarantine_changes(
        &self,
        org: Uuid,
        doc: Uuid,
        hashes: Vec<Vec<u8>>,
        reason: String,
        now: i64,
    ) -> impl Future<Output = Result<usize, StorageError>> + Send;
    /// The changes of an organisation taken out of the log, newest first.
    fn quarantined_changes(
        &self,
        org: Uuid,
    ) -> impl Future<Output = Result<Vec<QuarantinedChange>, StorageError>> + Send;
    /// A user's devices, newest first.
    fn devices(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Vec<DeviceRow>, StorageError>> + Send;
    /// A user's password hash (PHC), if the user exists.
    fn password_hash(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Option<String>, StorageError>> + Send;
    /// Invites an existing account into `org` with `role` (again: the
    /// newer invitation stands).
    fn invite(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
        by: Uuid,
        now: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// A user's pending invitations, with each organisation's name.
    fn invitations(
        &self,
        user: Uuid,
    ) -> impl Future<Output = Result<Vec<MembershipRow>, StorageError>> + Send;
    /// Takes `user`'s invitation to `org` away; accepted, it becomes a
    /// membership with its role. `None`: there was no invitation.
    fn answer_invitation(
        &self,
        org: Uuid,
        user: Uuid,
        accept: bool,
    ) -> impl Future<Output = Result<Option<Role>, StorageError>> + Send;
    /// Sets a user's password and revokes every token of theirs but those
    /// of `keep_device` (the session that changed it); the devices whose
    /// tokens were revoked.
    fn set_password(
        &self,
        user: Uuid,
        password_hash: String,
        keep_device: Option<Uuid>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Uuid>, StorageError>> + Send;
    /// Keeps a one-time password reset code (its hash) for `user`.
    fn create_password_reset(
        &self,
        hash: Vec<u8>,
        user: Uuid,
        by: Uuid,
        now: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
    /// Spends a reset code: its user if it was unused and unexpired.
    fn take_password_reset(
        &self,
        hash: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<Option<Uuid>, StorageError>> + Send;
    /// The server's key pair `name` (PKCS#8): `fresh` is stored if there
    /// is none yet, and whatever is stored is returned, so every instance
    /// sharing the database ends up with the same key.
    fn server_key(
        &self,
        name: &'static str,
        fresh: Vec<u8>,
        now: i64,
    ) -> impl Future<Output = Result<Vec<u8>, StorageError>> + Send;
}
