//! The workstation's sync client over the protocol ([`crate::protocol`]): [`Remote`] pushes the
//! outbox and pulls after the cursor into the local store; [`session`]
//! keeps the tokens; [`live`] is the websocket end; [`engine`] runs it all
//! in the background with backoff and a status the UI shows.

use std::collections::BTreeMap;

use automerge::{Change, ChangeHash, ReadDoc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::documents::DocClass;
use crate::projection::{self, CpfIndex, ProjectionError};
use crate::protocol::{
    causal_order, decode, encode, ApiError, ErrorBody, LoginRequest, NumberRequest, NumberRow,
    NumberUpdate, PullRequest, PullResponse, PulledChange, PushRequest, PushResponse,
    RefreshRequest, SnapshotDoc, SnapshotRequest, SnapshotResponse, TokenPair, WireChange,
    MAX_BATCH, MAX_BATCH_BYTES, MAX_SNAPSHOT_DOCS, PROTOCOL_VERSION,
};
use crate::store::{self, Store, StoreError};

pub mod engine;
pub mod keys;
pub mod live;
pub mod session;

/// Largest response body the client reads.
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("server refused ({status}): {error}")]
    Refused { status: u16, error: ApiError },
    #[error("cannot reach the server: {0}")]
    Transport(String),
    #[error("the server sent something unexpected: {0}")]
    Protocol(String),
    #[error("not logged in on this workstation: run `arcada login`")]
    NotLoggedIn,
    #[error("the session ended (logged out, revoked or expired): log in again")]
    SessionEnded,
    #[error("this user is no longer a member of the organisation")]
    Removed,
    #[error("session file: {0}")]
    Session(String),
    #[error("no clinic in {0}")]
    NoClinic(std::path::PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

impl SyncError {
    /// Whether only a new login can cure it (retrying will not).
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            SyncError::NotLoggedIn | SyncError::SessionEnded | SyncError::Removed
        )
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Store(StoreError::Sqlite(e))
    }
}

/// Timeouts bound silence, not size: connecting, and each read or write on
/// the line, may take `timeout` (twice that for reads: the server may be
/// storing a large batch), so an 8 MiB page on a slow line still arrives
/// while a dead line is noticed.
fn agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout.saturating_mul(2)))
        .timeout_per_write(Some(timeout))
        .build()
        .into()
}

/// Requests outside the engine (login, one-off calls) wait this long.
const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A response as the client takes it: an error status becomes
/// [`SyncError::Refused`] with the server's error body.
fn accepted(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<ureq::http::Response<ureq::Body>, SyncError> {
    let mut response = response.map_err(|e| SyncError::Transport(e.to_string()))?;
    let status = response.status().as_u16();
    if status >= 400 {
        let error = response
            .body_mut()
            .read_json::<ErrorBody>()
            .map(|b| b.error)
            .unwrap_or_else(|e| ApiError {
                code: "unknown".into(),
                message: e.to_string(),
            });
        return Err(SyncError::Refused { status, error });
    }
    Ok(response)
}

/// A JSON answer's body.
fn json_body<Resp: for<'de> Deserialize<'de>>(
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<Resp, SyncError> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_json()
        .map_err(|e| SyncError::Protocol(e.to_string()))
}

fn post<Req: Serialize, Resp: for<'de> Deserialize<'de>>(
    agent: &ureq::Agent,
    url: &str,
    token: Option<&str>,
    body: &Req,
) -> Result<Resp, SyncError> {
    let mut request = agent.post(url);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    json_body(accepted(request.send_json(body))?)
}

/// Logs in and pairs this workstation as a new device.
pub fn login(
    server: &str,
    email: &str,
    password: &str,
    device_name: &str,
) -> Result<TokenPair, SyncError> {
    login_with(
        server,
        &LoginRequest {
            email: email.into(),
            password: password.into(),
            device_name: device_name.into(),
            device_id: None,
        },
    )
}

/// Logs in with the whole request (a workstation logging in again names
/// the device it was paired as).
pub fn login_with(server: &str, body: &LoginRequest) -> Result<TokenPair, SyncError> {
    post(
        &agent(DEFAULT_TIMEOUT),
        &format!("{}/api/v1/auth/login", server.trim_end_matches('/')),
        None,
        body,
    )
}

/// Ends the session whose access token this is (its whole token family).
pub fn logout(server: &str, access_token: &str) -> Result<(), SyncError> {
    let response = agent(DEFAULT_TIMEOUT)
        .post(format!(
            "{}/api/v1/auth/logout",
            server.trim_end_matches('/')
        ))
        .header("Authorization", &format!("Bearer {access_token}"))
        .send_empty()
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    match response.status().as_u16() {
        200..=299 => Ok(()),
        status => Err(SyncError::Refused {
            status,
            error: ApiError {
                code: "logout".into(),
                message: format!("logout refused with HTTP {status}"),
            },
        }),
    }
}

/// Exchanges a refresh token for a new pair (the old one is spent).
pub fn refresh(server: &str, refresh_token: &str) -> Result<TokenPair, SyncError> {
    let body = RefreshRequest {
        refresh_token: refresh_token.into(),
    };
    post(
        &agent(DEFAULT_TIMEOUT),
        &format!("{}/api/v1/auth/refresh", server.trim_end_matches('/')),
        None,
        &body,
    )
}

/// One organisation on one server, as a logged-in device sees it.
#[derive(Debug)]
pub struct Remote {
    base: String,
    token: String,
    org: Uuid,
    agent: ureq::Agent,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushReport {
    pub sent: usize,
    pub acknowledged: usize,
    /// Documents the server refused, with its reason. Their changes stay queued.
    pub refused: Vec<(Uuid, String)>,
    /// Changes the server refused for what they do: set aside (see
    /// [`store::quarantined`]), never sent again.
    pub quarantined: usize,
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub changes: usize,
    pub documents: usize,
    pub cursor: i64,
    /// Changes that could not be taken in, set aside; the rest applied.
    pub quarantined: usize,
}

/// What a snapshot bootstrap did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BootstrapReport {
    pub documents: usize,
    /// Documents set aside (see [`store::quarantined`]).
    pub quarantined: usize,
    pub bytes: usize,
    /// The cursor pulls continue from.
    pub cursor: i64,
}

fn cursor_key(org: Uuid) -> String {
    format!("sync_cursor/{org}")
}

/// Progress of an unfinished bootstrap: `cursor/last document`.
fn bootstrap_key(org: Uuid) -> String {
    format!("sync_bootstrap/{org}")
}

impl Remote {
    pub fn new(server: &str, access_token: &str, org: Uuid) -> Remote {
        Remote {
            base: server.trim_end_matches('/').to_string(),
            token: access_token.to_string(),
            org,
            agent: agent(DEFAULT_TIMEOUT),
        }
    }

    /// The same remote with other timeouts (see [`agent`]).
    pub fn with_timeout(self, timeout: std::time::Duration) -> Remote {
        Remote {
            agent: agent(timeout),
            ..self
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// The organisation's WhatsApp numbers (admin and gerente), never
    /// their tokens.
    pub fn whatsapp_numbers(&self) -> Result<Vec<NumberRow>, SyncError> {
        let request = self.agent.get(self.numbers_url(None));
        json_body(accepted(
            request.header("Authorization", &self.bearer()).call(),
        )?)
    }

    /// Connects a WhatsApp number to the organisation (admin).
    pub fn add_whatsapp_number(&self, number: &NumberRequest) -> Result<NumberRow, SyncError> {
        post(
            &self.agent,
            &self.numbers_url(None),
            Some(&self.token),
            number,
        )
    }

    /// Changes a number's display form or token (admin); a new token
    /// clears the re-authorisation Meta asked for.
    pub fn update_whatsapp_number(
        &self,
        phone_number_id: &str,
        update: &NumberUpdate,
    ) -> Result<NumberRow, SyncError> {
        let request = self.agent.put(self.numbers_url(Some(phone_number_id)));
        json_body(accepted(
            request
                .header("Authorization", &self.bearer())
                .send_json(update),
        )?)
    }

    /// Disconnects a number (admin); its conversations stay.
    pub fn remove_whatsapp_number(&self, phone_number_id: &str) -> Result<(), SyncError> {
        let request = self.agent.delete(self.numbers_url(Some(phone_number_id)));
        accepted(request.header("Authorization", &self.bearer()).call())?;
        Ok(())
    }

    /// `phone_number_id` goes into the path: only Meta's digits are let
    /// through, so nothing can reach another route.
    fn numbers_url(&self, phone_number_id: Option<&str>) -> String {
        let base = format!("{}/api/v1/orgs/{}/whatsapp/numbers", self.base, self.org);
        match phone_number_id {
            Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{base}/{id}")
            }
            // not a number id: a path the server answers 404 for
            Some(_) => format!("{base}/-"),
            None => base,
        }
    }

    fn url(&self, what: &str) -> String {
        format!("{}/sync/v{PROTOCOL_VERSION}/{}/{what}", self.base, self.org)
    }

    /// A media file of a WhatsApp conversation, kept by the server: its
    /// content type and bytes. `sha256` is the blob's hex digest.
    pub fn media(&self, sha256: &str) -> Result<(String, Vec<u8>), SyncError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SyncError::Protocol(format!(
                "{sha256:?} is not a SHA-256 digest"
            )));
        }
        let url = format!("{}/api/v1/orgs/{}/media/{sha256}", self.base, self.org);
        let mut response = accepted(
            self.agent
                .get(&url)
                .header("Authorization", &self.bearer())
                .call(),
        )?;
        let mime = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_string();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        Ok((mime, bytes))
    }

    /// Sends the raw push request; tests use it to play a hostile client.
    pub fn push_raw(&self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        post(&self.agent, &self.url("push"), Some(&self.token), request)
    }

    /// Sends the raw pull request.
    pub fn pull_raw(&self, request: &PullRequest) -> Result<PullResponse, SyncError> {
        post(&self.agent, &self.url("pull"), Some(&self.token), request)
    }

    /// Sends the raw snapshot request.
    pub fn snapshot_raw(&self, request: &SnapshotRequest) -> Result<SnapshotResponse, SyncError> {
        post(
            &self.agent,
            &self.url("snapshot"),
            Some(&self.token),
            request,
        )
    }

    /// Whether this store has never pulled from the organisation (or must
    /// start again, after its role gained a class).
    pub fn needs_bootstrap(&self, store: &Store) -> Result<bool, SyncError> {
        let cursor: i64 = store::meta(store.conn(), &cursor_key(self.org))?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok(cursor == 0)
    }

    /// Brings a fresh workstation up to the server's state from compacted
    /// documents, page by page, each page in one transaction: a crash
    /// resumes after the last committed page. Afterwards [`Remote::pull`]
    /// continues from the cursor of the first page (changes it brings
    /// again are applied once).
    pub fn bootstrap(
        &self,
        store: &mut Store,
        cpf: &CpfIndex,
    ) -> Result<BootstrapReport, SyncError> {
        let progress_key = bootstrap_key(self.org);
        let (mut first_cursor, mut after) = match store::meta(store.conn(), &progress_key)? {
            Some(p) => {
                let (c, d) = p.split_once('/').unwrap_or((p.as_str(), ""));
                (c.parse::<i64>().ok(), d.parse::<Uuid>().ok())
            }
            None => (None, None),
        };
        let mut report = BootstrapReport::default();
        loop {
            let page = self.snapshot_raw(&SnapshotRequest {
                after,
                limit: MAX_SNAPSHOT_DOCS,
            })?;
            let cursor = *first_cursor.get_or_insert(page.cursor);
            let tx = store.transaction()?;
            let taken = take_in_snapshots(&tx, self.org, &page.documents, cpf)?;
            report.documents += taken.documents;
            report.quarantined += taken.quarantined;
            report.bytes += taken.bytes;
            match page.next {
                Some(next) => {
                    tx.set_meta(&progress_key, &format!("{cursor}/{next}"))?;
                    tx.commit()?;
                    after = Some(next);
                }
                None => {
                    tx.set_meta(&cursor_key(self.org), &cursor.to_string())?;
                    tx.execute("DELETE FROM meta WHERE key = ?1", [&progress_key])?;
                    tx.commit()?;
                    report.cursor = cursor;
                    return Ok(report);
                }
            }
        }
    }

    /// Sends every queued local change, in batches; acknowledged changes
    /// leave the outbox, refused documents stay queued and are reported.
    pub fn push(&self, store: &mut Store) -> Result<PushReport, SyncError> {
        let mut report = PushReport::default();
        let mut refused_docs: Vec<Uuid> = Vec::new();
        loop {
            let queued = store::outbox(store.conn(), &refused_docs, MAX_BATCH)?;
            if queued.is_empty() {
                return Ok(report);
            }
            let mut by_doc: BTreeMap<Uuid, Vec<ChangeHash>> = BTreeMap::new();
            for (doc, hash) in &queued {
                by_doc.entry(*doc).or_default().push(*hash);
            }
            let mut changes = Vec::with_capacity(queued.len());
            let mut bytes = 0;
            let mut sending: BTreeMap<Uuid, Vec<ChangeHash>> = BTreeMap::new();
            // The hash of each change sent, by position: verdicts name it.
            let mut sent_hashes: Vec<ChangeHash> = Vec::new();
            'docs: for doc in by_doc.keys() {
                let stored =
                    store::load(store.conn(), *doc)?.ok_or_else(|| StoreError::Corrupt {
                        id: doc.to_string(),
                        reason: "queued change of a missing document".into(),
                    })?;
                // Every queued change of the document (a page of the outbox
                // may hold only some), in causal order: the server judges
                // each against what it holds, so a change never travels
                // before one it depends on.
                let wanted = causal_order(
                    store::outbox_of(store.conn(), *doc)?
                        .iter()
                        .filter_map(|h| stored.doc.get_change_by_hash(h))
                        .collect(),
                );
                for c in wanted {
                    // Stop at the byte budget (never before the first change);
                    // the rest goes in the next batch, in order.
                    if !changes.is_empty()
                        && (bytes + c.raw_bytes().len() > MAX_BATCH_BYTES
                            || changes.len() >= MAX_BATCH)
                    {
                        break 'docs;
                    }
                    bytes += c.raw_bytes().len();
                    changes.push(WireChange {
                        doc: *doc,
                        bytes: encode(c.raw_bytes()),
                    });
                    sending.entry(*doc).or_default().push(c.hash());
                    sent_hashes.push(c.hash());
                }
            }
            let by_doc = sending;
            if changes.is_empty() {
                // Queued hashes no document holds: never loop on them.
                let (doc, _) = queued[0];
                return Err(StoreError::Corrupt {
                    id: doc.to_string(),
                    reason: "queued changes are missing from the document".into(),
                }
                .into());
            }
            report.sent += changes.len();
            let response = self.push_raw(&PushRequest { changes })?;
            let tx = store.transaction()?;
            let now_ms = chrono::Utc::now().timestamp_millis();
            for result in response.documents {
                let Some(hashes) = by_doc.get(&result.doc) else {
                    continue;
                };
                if result.accepted || !result.refused.is_empty() {
                    // Refused changes are set aside with the server's
                    // reason; every other one was accepted.
                    let mut refused = Vec::new();
                    let mut retry = Vec::new();
                    for r in &result.refused {
                        let Some(hash) = sent_hashes.get(r.index).copied() else {
                            continue;
                        };
                        let change = store::load(&tx, result.doc)?
                            .and_then(|d| d.doc.get_change_by_hash(&hash));
                        // A change whose dependency has not reached the
                        // server yet stays queued (an older version may
                        // have sent them out of order); one that depends
                        // on a change set aside is set aside too.
                        if r.code == "missing_dependencies" {
                            let mut doomed = false;
                            for dep in change.iter().flat_map(|c| c.deps().to_vec()) {
                                doomed |= store::is_quarantined(&tx, result.doc, &dep)?;
                            }
                            if !doomed {
                                retry.push(hash);
                                continue;
                            }
                        }
                        let bytes = change.map(|c| c.raw_bytes().to_vec()).unwrap_or_default();
                        tracing::warn!(doc = %result.doc, %hash, code = %r.code, "the server refused a change: set aside");
                        tx.quarantine(&store::Quarantined {
                            doc: result.doc,
                            hash: Some(hash),
                            bytes,
                            direction: "push",
                            code: r.code.clone(),
                            reason: r.message.clone(),
                            at_ms: now_ms,
                        })?;
                        refused.push(hash);
                    }
                    for h in hashes
                        .iter()
                        .filter(|h| !refused.contains(h) && !retry.contains(h))
                    {
                        tx.ack(result.doc, h)?;
                    }
                    report.acknowledged += hashes.len() - refused.len() - retry.len();
                    report.quarantined += refused.len();
                    if !retry.is_empty() {
                        // Not again in this push: the next round sends it.
                        report.refused.push((
                            result.doc,
                            format!("{} change(s) wait for their dependencies", retry.len()),
                        ));
                        refused_docs.push(result.doc);
                    }
                } else {
                    let reason = result.error.map(|e| e.to_string()).unwrap_or_default();
                    report.refused.push((result.doc, reason));
                    refused_docs.push(result.doc);
                }
            }
            tx.commit()?;
        }
    }

    /// Fetches everything after the stored cursor that this device may read,
    /// applies it to the local documents and their projections.
    pub fn pull(&self, store: &mut Store, cpf: &CpfIndex) -> Result<PullReport, SyncError> {
        let key = cursor_key(self.org);
        let mut cursor: i64 = store::meta(store.conn(), &key)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut report = PullReport {
            cursor,
            ..PullReport::default()
        };
        let mut touched = std::collections::BTreeSet::new();
        loop {
            let response = self.pull_raw(&PullRequest {
                after: cursor,
                limit: MAX_BATCH,
            })?;
            let tx = store.transaction()?;
            let taken = take_in_page(&tx, self.org, &response.changes, cpf)?;
            report.changes += taken.changes;
            report.quarantined += taken.quarantined;
            touched.extend(taken.touched);
            cursor = response.cursor;
            tx.set_meta(&key, &cursor.to_string())?;
            tx.commit()?;
            if !response.more {
                break;
            }
        }
        report.documents = touched.len();
        report.cursor = cursor;
        Ok(report)
    }
}

/// What taking in one pulled page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageTaken {
    pub changes: usize,
    /// Changes set aside (see [`store::quarantined`]).
    pub quarantined: usize,
    /// Documents that took in at least one change.
    pub touched: std::collections::BTreeSet<Uuid>,
}

/// Takes in one page of pulled changes inside the page's transaction, as
/// [`Remote::pull`] does: grouped by document, each document's changes
/// judged and applied with its projection, whatever cannot be taken in set
/// aside. Public so the fuzz targets (tests/fuzz) drive exactly this.
pub fn take_in_page(
    tx: &store::StoreTx<'_>,
    org: Uuid,
    changes: &[PulledChange],
    cpf: &CpfIndex,
) -> Result<PageTaken, SyncError> {
    let mut by_doc: BTreeMap<Uuid, (DocClass, Vec<Vec<u8>>)> = BTreeMap::new();
    for c in changes {
        let bytes =
            decode(&c.bytes).map_err(|e| SyncError::Protocol(format!("change {}: {e}", c.seq)))?;
        by_doc
            .entry(c.doc)
            .or_insert_with(|| (c.class, Vec::new()))
            .1
            .push(bytes);
    }
    let mut page = PageTaken::default();
    for (doc, (class, changes)) in by_doc {
        page.changes += changes.len();
        let taken = take_in(tx, org, doc, class, changes, cpf)?;
        page.quarantined += taken.quarantined;
        if taken.applied {
            page.touched.insert(doc);
        }
    }
    Ok(page)
}

/// What taking in one snapshot page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotsTaken {
    pub documents: usize,
    /// Documents set aside (see [`store::quarantined`]).
    pub quarantined: usize,
    pub bytes: usize,
}

/// Takes in one page of snapshot documents inside the page's transaction,
/// as [`Remote::bootstrap`] does: a document this workstation cannot take
/// in is set aside whole and the rest of the page goes on. Public so the
/// fuzz targets (tests/fuzz) drive exactly this.
pub fn take_in_snapshots(
    tx: &store::StoreTx<'_>,
    org: Uuid,
    documents: &[SnapshotDoc],
    cpf: &CpfIndex,
) -> Result<SnapshotsTaken, SyncError> {
    let mut page = SnapshotsTaken::default();
    for d in documents {
        let bytes = decode(&d.bytes)
            .map_err(|e| SyncError::Protocol(format!("snapshot of {}: {e}", d.doc)))?;
        page.bytes += bytes.len();
        match tx.undoable(|tx| receive_judged(tx, org, d, &bytes, cpf)) {
            Ok(()) => page.documents += 1,
            Err(not) => {
                tracing::warn!(doc = %d.doc, code = not.code, reason = %not.reason, "a snapshot document was set aside");
                tx.quarantine(&store::Quarantined {
                    doc: d.doc,
                    hash: None,
                    bytes,
                    direction: "pull",
                    code: not.code.to_string(),
                    reason: not.reason,
                    at_ms: chrono::Utc::now().timestamp_millis(),
                })?;
                page.quarantined += 1;
            }
        }
    }
    Ok(page)
}

/// What taking in one document's pulled changes did.
#[derive(Debug, Default)]
struct TakenIn {
    applied: bool,
    quarantined: usize,
}

/// Why pulled changes were not taken in.
#[derive(Debug)]
struct NotTaken {
    code: &'static str,
    reason: String,
}

impl From<StoreError> for NotTaken {
    fn from(e: StoreError) -> Self {
        NotTaken {
            code: "unapplicable",
            reason: e.to_string(),
        }
    }
}

/// Takes in one document's pulled changes, judged by the same rules the
/// server applies ([`crate::integrity`]). Whatever cannot be taken in is
/// set aside with its reason and the rest of the page goes on: one bad
/// document never stops a workstation's sync. All at once first; if that
/// fails, one change at a time, each kept only if the document stays valid.
fn take_in(
    tx: &store::StoreTx<'_>,
    org: Uuid,
    doc: Uuid,
    class: DocClass,
    changes: Vec<Vec<u8>>,
    cpf: &CpfIndex,
) -> Result<TakenIn, SyncError> {
    let mut taken = TakenIn::default();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let set_aside = |hash: Option<ChangeHash>, bytes: Vec<u8>, code: &str, reason: String| {
        tracing::warn!(%doc, code, %reason, "a pulled change was set aside");
        tx.quarantine(&store::Quarantined {
            doc,
            hash,
            bytes,
            direction: "pull",
            code: code.to_string(),
            reason,
            at_ms: now_ms,
        })
    };
    let mut decoded = Vec::with_capacity(changes.len());
    for bytes in changes {
        match crate::integrity::decode_change(&bytes, &crate::integrity::ChangeLimits::STANDARD) {
            Ok(c) => decoded.push(c),
            Err(e) => {
                set_aside(None, bytes, e.code(), e.to_string())?;
                taken.quarantined += 1;
            }
        }
    }
    if decoded.is_empty() {
        return Ok(taken);
    }
    let all = tx.undoable(|tx| apply_judged(tx, org, doc, class, decoded.clone(), cpf));
    match all {
        Ok(()) => taken.applied = true,
        Err(_) => {
            for change in decoded {
                let hash = change.hash();
                let bytes = change.raw_bytes().to_vec();
                match tx.undoable(|tx| apply_judged(tx, org, doc, class, vec![change], cpf)) {
                    Ok(()) => taken.applied = true,
                    Err(not) => {
                        set_aside(Some(hash), bytes, not.code, not.reason)?;
                        taken.quarantined += 1;
                    }
                }
            }
        }
    }
    Ok(taken)
}

/// Takes in a snapshot document if it is a valid document of its class.
fn receive_judged(
    tx: &store::StoreTx<'_>,
    org: Uuid,
    d: &SnapshotDoc,
    bytes: &[u8],
    cpf: &CpfIndex,
) -> Result<(), NotTaken> {
    let doc = automerge::Automerge::load(bytes).map_err(|e| NotTaken {
        code: "bad_change",
        reason: e.to_string(),
    })?;
    let standing = crate::integrity::judge(org, d.doc, &doc, None).map_err(|v| NotTaken {
        code: v.code(),
        reason: v.to_string(),
    })?;
    if standing.class != d.class {
        return Err(NotTaken {
            code: "class_changed",
            reason: format!(
                "the server says {}, the document says {}",
                d.class, standing.class
            ),
        });
    }
    // A snapshot merged into a document held here must keep what the held
    // one had to keep, as pulled changes must: valid alone, it could still
    // rewrite a locked entry or drop an appointment of the held copy.
    let held = store::load(tx, d.doc)?;
    let kept = held
        .as_ref()
        .and_then(|h| crate::integrity::judge(org, d.doc, &h.doc, None).ok());
    let merged = tx.receive_document(d.doc, d.class, doc, bytes)?;
    if held.is_some() {
        crate::integrity::judge(org, d.doc, &merged, kept.as_ref()).map_err(|v| NotTaken {
            code: v.code(),
            reason: v.to_string(),
        })?;
    }
    projection::apply(tx, d.doc, d.class, &merged, cpf).map_err(|e| NotTaken {
        code: "unprojectable",
        reason: e.to_string(),
    })?;
    Ok(())
}

/// Applies pulled changes to a document and its projection if the result
/// is a valid document of the class the server said, keeping what the
/// document held before had to keep.
fn apply_judged(
    tx: &store::StoreTx<'_>,
    org: Uuid,
    doc: Uuid,
    class: DocClass,
    changes: Vec<Change>,
    cpf: &CpfIndex,
) -> Result<(), NotTaken> {
    let judged = |code: &'static str| {
        move |v: crate::integrity::Violation| NotTaken {
            code,
            reason: v.to_string(),
        }
    };
    let merged = tx.apply_changes_checked(
        doc,
        class,
        changes,
        // A document already invalid here (stored before these rules)
        // keeps nothing; the result must still be valid.
        |before| crate::integrity::judge(org, doc, before, None).ok(),
        |after, standing: Option<Option<crate::integrity::Standing>>| {
            if !after.get_missing_deps(&[]).is_empty() {
                return Err(NotTaken {
                    code: "missing_dependencies",
                    reason: "it depends on a change this workstation does not hold".into(),
                });
            }
            let now = crate::integrity::judge(org, doc, after, standing.flatten().as_ref())
                .map_err(|v| judged(v.code())(v))?;
            if now.class != class {
                return Err(NotTaken {
                    code: "class_changed",
                    reason: format!("the server says {class}, the document says {}", now.class),
                });
            }
            Ok(())
        },
    )?;
    projection::apply(tx, doc, class, &merged, cpf).map_err(|e| NotTaken {
        code: "unprojectable",
        reason: e.to_string(),
    })?;
    Ok(())
}

/// The pull cursors a store holds, one per organisation it syncs.
pub fn cursors(conn: &rusqlite::Connection) -> Result<Vec<(String, i64)>, StoreError> {
    let mut stmt = conn.prepare("SELECT key, value FROM meta WHERE key LIKE 'sync_cursor/%'")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (key, value) = row?;
        out.push((key, value.parse().unwrap_or(0)));
    }
    Ok(out)
}

/// Reads the store's CPF index key, creating one for a workstation that has
/// only ever pulled (its key is its own: the index never leaves it).
pub fn local_cpf_index(store: &mut Store) -> Result<CpfIndex, StoreError> {
    if let Some(hex_key) = store::meta(store.conn(), "cpf_index_key")? {
        if let Ok(secret) = hex::decode(hex_key) {
            return Ok(CpfIndex::new(&secret));
        }
    }
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let tx = store.transaction()?;
    tx.set_meta("cpf_index_key", &hex::encode(secret))?;
    tx.commit()?;
    Ok(CpfIndex::new(&secret))
}
