//! Media of inbound messages: fetched from the Graph API once their message
//! is in its conversation, kept in the server's blob storage (`wa_blobs`)
//! and referenced from the message (`media.blob = "sha256:<hex>"`), or the
//! reason it was not (`media.error`); and served to the organisation's
//! members at `GET /api/v1/orgs/{org}/media/{sha256}`.
//!
//! - The conversation writer records each message's media (`wa_media`)
//!   before it marks the message written, so none is missed.
//! - An attempt is committed (attempts + 1, not due again before its lease
//!   ends) before any request goes: a crash mid-download just retries.
//! - `GET {graph_url}/{media_id}` with the number's token; a `file_size`
//!   over the limit is refused before downloading; the download reads at
//!   most limit + 1 bytes; the bytes must hash to Meta's sha256 when given.
//! - Transport errors, 429 and 5xx are retried with backoff
//!   ([`MAX_ATTEMPTS`]); other 4xx (Meta's expired media, code 100) fail
//!   at once.
//! - Storing a blob twice keeps one; writing an outcome into the document
//!   twice changes nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arcada_core::documents::{self, Message};
use automerge::Automerge;
use axum::http::header;
use ring::digest;
use serde_json::Value;
use uuid::Uuid;

use super::peer::{attribution, Peer, PeerError};
use super::sender::backoff;
use super::worker::Wake;
use super::WaMetrics;
use crate::cloud_api::crypto::TokenKey;
use crate::storage::whatsapp::{MediaDone, MediaJob, MediaOutcome};
use crate::storage::{Storage, StorageError};

/// WhatsApp's largest media other than documents (video): 16 MiB.
pub const DEFAULT_MEDIA_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Attempts before media that keeps meeting transport errors or 5xx fails.
pub const MAX_ATTEMPTS: i64 = 5;
/// Downloads in flight at once per organisation pass.
const CONCURRENCY: usize = 4;
/// Outcomes written into documents at a time.
const BATCH: usize = 200;
/// Largest metadata answer read.
const MAX_META: usize = 64 * 1024;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The fetcher's settings.
#[derive(Debug, Clone)]
pub struct FetcherConfig {
    /// `https://graph.facebook.com/v21.0`, no trailing slash.
    pub graph_url: String,
    /// One request's whole time (metadata, or the download).
    pub timeout: Duration,
    /// Largest media stored.
    pub max_bytes: u64,
}

#[derive(Debug)]
pub struct Fetcher<S> {
    peer: Arc<Peer<S>>,
    client: reqwest::Client,
    config: FetcherConfig,
    key: Arc<TokenKey>,
    metrics: Arc<WaMetrics>,
}

/// Why an attempt did not store anything.
enum Problem {
    /// Worth another attempt (transport, 429, 5xx, a hash mismatch).
    Transient(String),
    /// Not (4xx, no number, unreadable token).
    Final(String),
}

impl<S: Storage> Fetcher<S> {
    pub fn new(
        peer: Arc<Peer<S>>,
        config: FetcherConfig,
        key: Arc<TokenKey>,
        metrics: Arc<WaMetrics>,
    ) -> Result<Fetcher<S>, reqwest::Error> {
        let client = super::graph_client(config.timeout)?;
        Ok(Fetcher {
            peer,
            client,
            config,
            key,
            metrics,
        })
    }

    /// Seconds an attempt is held: its two requests and a margin.
    fn lease_secs(&self) -> i64 {
        2 * self.config.timeout.as_secs() as i64 + 10
    }

    pub async fn run(self: Arc<Self>, wake: Arc<Wake>) {
        tracing::debug!(
            max_bytes = self.config.max_bytes,
            "WhatsApp media fetcher started"
        );
        super::worker::per_org(&*self.peer.storage, &wake, async |org| {
            self.org_pass(org).await
        })
        .await
    }

    /// Fetches what is due, writes outcomes; when next to look.
    async fn org_pass(&self, org: Uuid) -> Result<Option<i64>, PeerError> {
        let storage = &self.peer.storage;
        loop {
            let t = now();
            let claimed = storage
                .wa_media_claim(org, CONCURRENCY, t, t + self.lease_secs())
                .await?;
            if claimed.is_empty() {
                break;
            }
            let fetches = claimed.into_iter().map(|job| self.fetch_one(org, job));
            for r in super::sender::futures_join_all(fetches).await {
                if let Err(e) = r {
                    // Retried when the attempt's lease ends.
                    tracing::error!(%org, error = %e, "media outcome not recorded");
                }
            }
        }
        self.write_outcomes(org).await?;
        Ok(storage.wa_media_next(org).await?)
    }

    async fn fetch_one(&self, org: Uuid, job: MediaJob) -> Result<(), StorageError> {
        let outcome = match self.attempt(org, &job).await {
            Ok(outcome) => outcome,
            Err(Problem::Final(error)) => MediaOutcome::Failed { error },
            Err(Problem::Transient(error)) if job.attempts >= MAX_ATTEMPTS => {
                MediaOutcome::Failed {
                    error: format!("{error} (gave up after {} attempts)", job.attempts),
                }
            }
            Err(Problem::Transient(error)) => MediaOutcome::Retry {
                at: now() + backoff(job.attempts),
                error,
            },
        };
        let counter = match &outcome {
            MediaOutcome::Stored { .. } => Some(&self.metrics.media_stored),
            MediaOutcome::TooLarge { .. } => Some(&self.metrics.media_too_large),
            MediaOutcome::Failed { .. } => Some(&self.metrics.media_failed),
            MediaOutcome::Retry { .. } => None,
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        match &outcome {
            MediaOutcome::Stored { sha256, bytes, .. } => {
                tracing::debug!(%org, wamid = %job.wamid, %sha256, size = bytes.len(), "WhatsApp media stored");
            }
            MediaOutcome::Retry { at, error } => {
                tracing::info!(%org, wamid = %job.wamid, attempts = job.attempts, retry_at = at, %error, "WhatsApp media fetch retried later");
            }
            MediaOutcome::TooLarge { size, limit } => {
                tracing::warn!(%org, wamid = %job.wamid, size, limit, "WhatsApp media too large: not stored");
            }
            MediaOutcome::Failed { error } => {
                tracing::warn!(%org, wamid = %job.wamid, %error, "WhatsApp media not fetched");
            }
        }
        self.peer
            .storage
            .wa_media_result(org, job.wamid.clone(), outcome, now())
            .await
    }

    async fn attempt(&self, org: Uuid, job: &MediaJob) -> Result<MediaOutcome, Problem> {
        let limit = self.config.max_bytes;
        let number = self
            .peer
            .storage
            .wa_number_info(job.phone_number_id.clone())
            .await
            .map_err(|e| Problem::Transient(format!("storage: {e}")))?;
        let number = match number {
            Some(n) if n.org_id == org => n,
            _ => {
                return Err(Problem::Final(format!(
                    "the number {} is no longer this organisation's",
                    job.phone_number_id
                )))
            }
        };
        let token = self
            .key
            .open(&job.phone_number_id, &number.token)
            .map_err(|e| Problem::Final(format!("token unreadable: {e}")))?;

        // 1. The metadata: where, how big, which hash.
        let url = format!(
            "{}/{}",
            self.config.graph_url.trim_end_matches('/'),
            job.media_id
        );
        let response = self
            .client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| Problem::Transient(format!("metadata: {e}")))?;
        let status = response.status().as_u16();
        let (body, _) = read_at_most(response, MAX_META)
            .await
            .map_err(|e| Problem::Transient(format!("metadata: {e}")))?;
        check_status("metadata", status, &body)?;
        let meta: Value = serde_json::from_slice(&body)
            .map_err(|e| Problem::Transient(format!("metadata is not JSON: {e}")))?;
        let download = meta
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| Problem::Transient("metadata without a url".into()))?
            .to_string();
        let file_size = meta.get("file_size").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        if let Some(size) = file_size {
            if size > limit {
                return Ok(MediaOutcome::TooLarge { size, limit });
            }
        }
        let expected = meta
            .get("sha256")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| job.sha256.clone());

        // 2. The bytes, at most limit + 1 of them.
        let response = self
            .client
            .get(&download)
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| Problem::Transient(format!("download: {e}")))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
        let (bytes, over) = read_at_most(response, cap)
            .await
            .map_err(|e| Problem::Transient(format!("download: {e}")))?;
        check_status("download", status, &bytes)?;
        if over || bytes.len() as u64 > limit {
            let size = file_size.unwrap_or(0).max(bytes.len() as u64);
            return Ok(MediaOutcome::TooLarge { size, limit });
        }
        let hash = digest::digest(&digest::SHA256, &bytes);
        let hex_hash = hex::encode(hash.as_ref());
        if let Some(expected) = expected.filter(|e| !e.is_empty()) {
            if !same_hash(&expected, hash.as_ref()) {
                return Err(Problem::Transient(format!(
                    "sha256 mismatch: Meta says {expected}, the bytes hash to {hex_hash}"
                )));
            }
        }
        let mime_type = meta
            .get("mime_type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| job.mime_type.clone())
            .or(content_type)
            .unwrap_or_else(|| "application/octet-stream".into());
        Ok(MediaOutcome::Stored {
            sha256: hex_hash,
            mime_type,
            bytes,
        })
    }

    /// Writes settled media into their messages.
    async fn write_outcomes(&self, org: Uuid) -> Result<(), PeerError> {
        let storage = &self.peer.storage;
        loop {
            let rows = storage.wa_media_unsynced(org, BATCH).await?;
            if rows.is_empty() {
                return Ok(());
            }
            let full = rows.len() == BATCH;
            let mut by_doc: BTreeMap<Uuid, Vec<MediaDone>> = BTreeMap::new();
            for r in rows {
                by_doc.entry(r.doc_id).or_default().push(r);
            }
            let mut synced = Vec::new();
            for (id, rows) in by_doc {
                let wamids: Vec<String> = rows.iter().map(|r| r.wamid.clone()).collect();
                let t = now();
                let written = Arc::new(AtomicU64::new(0));
                let counter = written.clone();
                let result = self
                    .peer
                    .write_conversation(org, id, None, move |doc, _| {
                        record_media(doc, rows, t, &counter)
                    })
                    .await;
                match result {
                    Ok(_) => synced.extend(wamids),
                    Err(e) => {
                        tracing::error!(%org, conversation = %id, error = %e, "media outcomes not written; retried");
                    }
                }
            }
            if synced.is_empty() {
                return Ok(());
            }
            storage.wa_media_mark_synced(org, synced, now()).await?;
            if !full {
                return Ok(());
            }
        }
    }
}

/// 2xx passes; 429 and 5xx are worth another attempt; other answers are
/// final (Meta's expired or unknown media: 400, code 100).
fn check_status(what: &str, status: u16, body: &[u8]) -> Result<(), Problem> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let e = &v["error"];
    let detail = e
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(body)
                .chars()
                .take(200)
                .collect::<String>()
        });
    let text = match e.get("code").and_then(Value::as_i64) {
        Some(code) => format!("{what}: HTTP {status}, code {code}: {detail}"),
        None => format!("{what}: HTTP {status}: {detail}"),
    };
    if status == 429 || status >= 500 {
        Err(Problem::Transient(text))
    } else {
        Err(Problem::Final(text))
    }
}

/// Meta's hash, hex or base64, against the bytes' digest.
fn same_hash(expected: &str, digest: &[u8]) -> bool {
    use base64::Engine as _;
    let expected = expected.trim();
    if hex::decode(expected).is_ok_and(|d| d == digest) {
        return true;
    }
    [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ]
    .iter()
    .any(|e| e.decode(expected).is_ok_and(|d| d == digest))
}

/// Reads at most `cap` bytes of the body; whether more came.
async fn read_at_most(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if out.len() + chunk.len() > cap {
            let room = cap - out.len();
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, false))
}

/// The change that records media outcomes in their messages; a message
/// already showing its outcome is left alone.
fn record_media(
    doc: &mut Automerge,
    rows: Vec<MediaDone>,
    now: i64,
    written: &AtomicU64,
) -> Result<(), PeerError> {
    let mut changed: Vec<Message> = Vec::new();
    for r in rows {
        let Some(mut m) = documents::hydrate_entry::<Message>(doc, "messages", &r.wamid)
            .map_err(|e| PeerError::Document(Uuid::nil(), e.to_string()))?
        else {
            continue;
        };
        let Some(media) = m.media.as_mut() else {
            continue;
        };
        let before = media.clone();
        match r.state.as_str() {
            "stored" => {
                media.blob = r.blob_sha256.map(|h| format!("sha256:{h}"));
                if r.mime_type.is_some() {
                    media.mime_type = r.mime_type;
                }
                media.size = r.size.map(|s| s as u64);
                media.error = None;
            }
            _ => {
                media.blob = None;
                if r.size.is_some() {
                    media.size = r.size.map(|s| s as u64);
                }
                media.error = r.error;
            }
        }
        if *media != before {
            changed.push(m);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    written.fetch_add(changed.len() as u64, Ordering::Relaxed);
    documents::change(doc, &attribution("whatsapp.media"), now, |tx| {
        for m in &changed {
            documents::put_entry(tx, "messages", &m.id, m)?;
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::same_hash;

    #[test]
    fn hashes_match_in_hex_or_base64() {
        let d = ring::digest::digest(&ring::digest::SHA256, b"hello world");
        let hex = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        assert!(same_hash(hex, d.as_ref()));
        assert!(same_hash(&hex.to_uppercase(), d.as_ref()));
        assert!(same_hash(
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            d.as_ref()
        ));
        assert!(!same_hash("00", d.as_ref()));
    }
}
