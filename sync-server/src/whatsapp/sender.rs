//! The sender: posts the outbound messages the conversation writer found
//! queued to the Graph API, exactly once.
//!
//! - A message is marked `sending` (committed, with a lease) before its
//!   request goes; the answer moves it to sent (with the wamid), failed,
//!   needs-template, or back to queued for a retry — only when the answer
//!   proves nothing was sent (rate limits, 5xx, no connection).
//! - An answer that never came (timeout, connection lost after the request
//!   went) and a `sending` whose lease ran out (the process died) are never
//!   sent again: in doubt, unless a status webhook carrying the message id
//!   (`biz_opaque_callback_data`) proves it went.
//! - Code 190 (token refused) fails the message and stops the number until
//!   it is updated; its other messages wait queued.
//!
//! Outcomes reach the documents through the conversation writer, woken
//! after each batch.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use uuid::Uuid;

use super::convert::{self, Verdict};
use super::worker::Wake;
use super::WaMetrics;
use crate::cloud_api::crypto::TokenKey;
use crate::storage::whatsapp::{NumberInfo, Outbound, SendOutcome};
use crate::storage::{Storage, StorageError};

/// Attempts before a message that keeps meeting rate limits or 5xx fails.
pub const MAX_ATTEMPTS: i64 = 8;
/// Requests in flight at once.
const CONCURRENCY: usize = 8;
/// Largest answer read from the Graph API.
const MAX_ANSWER: usize = 1024 * 1024;

/// The sender's settings.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// `https://graph.facebook.com/v21.0`, no trailing slash.
    pub graph_url: String,
    /// A request's whole time; a send's lease is this plus a margin.
    pub timeout: Duration,
}

impl SenderConfig {
    /// Seconds a `sending` message is held: longer than any request can
    /// take, so an expired lease means the process that held it is gone.
    pub fn lease_secs(&self) -> i64 {
        self.timeout.as_secs() as i64 + 5
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Seconds before attempt `attempts + 1`: 1, 2, 4 … 300, each drawn from
/// its upper half so that retries of many messages spread out.
pub fn backoff(attempts: i64) -> i64 {
    let ceiling = 2i64
        .saturating_pow(attempts.clamp(1, 20) as u32 - 1)
        .min(300);
    let floor = (ceiling + 1) / 2;
    let mut b = [0u8; 4];
    let r = if SystemRandom::new().fill(&mut b).is_ok() {
        u32::from_le_bytes(b) as i64
    } else {
        0
    };
    (floor + r % (ceiling - floor + 1)).max(1)
}

#[derive(Debug)]
pub struct Sender<S> {
    storage: Arc<S>,
    client: reqwest::Client,
    config: SenderConfig,
    key: Option<Arc<TokenKey>>,
    metrics: Arc<WaMetrics>,
    /// Wakes the conversation writer, which writes outcomes back.
    writer: Arc<Wake>,
}

impl<S: Storage> Sender<S> {
    pub fn new(
        storage: Arc<S>,
        config: SenderConfig,
        key: Option<Arc<TokenKey>>,
        metrics: Arc<WaMetrics>,
        writer: Arc<Wake>,
    ) -> Result<Sender<S>, reqwest::Error> {
        let client = super::graph_client(config.timeout)?;
        Ok(Sender {
            storage,
            client,
            config,
            key,
            metrics,
            writer,
        })
    }

    pub async fn run(self: Arc<Self>, wake: Arc<Wake>) {
        tracing::debug!(graph_url = %self.config.graph_url, "WhatsApp sender started");
        let storage = self.storage.clone();
        super::worker::per_org(&*storage, &wake, |org| {
            let me = self.clone();
            async move { me.org_pass(org).await }
        })
        .await
    }

    /// Resolves interrupted sends, sends what is due; when next to look.
    async fn org_pass(&self, org: Uuid) -> Result<Option<i64>, StorageError> {
        let resolved = self.storage.wa_resolve_interrupted(org, now()).await?;
        if resolved.in_doubt > 0 || resolved.proven_sent > 0 {
            tracing::warn!(%org, in_doubt = resolved.in_doubt, proven_sent = resolved.proven_sent,
                "WhatsApp sends interrupted by a stop: not sent again");
            self.metrics
                .send_in_doubt
                .fetch_add(resolved.in_doubt, Ordering::Relaxed);
            self.writer.org(org);
        }
        let mut numbers: HashMap<String, Option<NumberInfo>> = HashMap::new();
        loop {
            let t = now();
            let claimed = self
                .storage
                .wa_claim_sends(org, CONCURRENCY, t, t + self.config.lease_secs())
                .await?;
            if claimed.is_empty() {
                break;
            }
            for m in &claimed {
                if !numbers.contains_key(&m.phone_number_id) {
                    let info = self
                        .storage
                        .wa_number_info(m.phone_number_id.clone())
                        .await?;
                    numbers.insert(m.phone_number_id.clone(), info);
                }
            }
            let sends = claimed.into_iter().map(|m| {
                let number = numbers.get(&m.phone_number_id).cloned().flatten();
                self.send_one(org, m, number)
            });
            let results = futures_join_all(sends).await;
            for r in results {
                if let Err(e) = r {
                    // The outcome could not be recorded: the lease runs out
                    // and the message is resolved (never sent twice).
                    tracing::error!(%org, error = %e, "sender: outcome not recorded");
                }
            }
            // A refused token stops its number for the rest of the pass.
            numbers.clear();
            self.writer.org(org);
        }
        self.storage.wa_next_send(org).await
    }

    async fn send_one(
        &self,
        org: Uuid,
        m: Outbound,
        number: Option<NumberInfo>,
    ) -> Result<(), StorageError> {
        let outcome = self.attempt(org, &m, number).await;
        let metric = match &outcome {
            SendOutcome::Sent { .. } => &self.metrics.sent,
            SendOutcome::Retry { .. } => &self.metrics.send_retried,
            SendOutcome::Failed { .. } | SendOutcome::NeedsTemplate { .. } => {
                &self.metrics.send_failed
            }
            SendOutcome::InDoubt => &self.metrics.send_in_doubt,
        };
        metric.fetch_add(1, Ordering::Relaxed);
        match &outcome {
            SendOutcome::Sent { wamid } => {
                tracing::debug!(%org, message = %m.message_id, %wamid, "WhatsApp message sent");
            }
            SendOutcome::Retry { at, code, .. } => {
                tracing::info!(%org, message = %m.message_id, %code, attempts = m.attempts, retry_at = at, "WhatsApp send retried later");
            }
            other => {
                tracing::warn!(%org, message = %m.message_id, outcome = ?other, "WhatsApp message not sent");
            }
        }
        if !self
            .storage
            .wa_send_result(org, m.message_id.clone(), outcome, now())
            .await?
        {
            tracing::info!(%org, message = %m.message_id, "a status webhook settled the message first");
        }
        Ok(())
    }

    /// One request, and what it means.
    async fn attempt(&self, org: Uuid, m: &Outbound, number: Option<NumberInfo>) -> SendOutcome {
        let failed = |code: &str, title: String| SendOutcome::Failed {
            code: code.into(),
            title,
        };
        let Some(number) = number else {
            return failed(
                "number_removed",
                format!("the number {} is no longer registered", m.phone_number_id),
            );
        };
        if number.org_id != org {
            return failed(
                "number_not_in_org",
                format!(
                    "the number {} is not this organisation's",
                    m.phone_number_id
                ),
            );
        }
        if number.needs_reauth {
            // Flagged since the claim: waits like its number's others.
            return SendOutcome::Retry {
                at: now() + 5,
                code: "needs_reauth".into(),
                title: "the number's access token was refused; it waits for a new one".into(),
            };
        }
        let Some(key) = &self.key else {
            return failed(
                "token_unreadable",
                "the server has no WhatsApp token key configured".into(),
            );
        };
        let token = match key.open(&m.phone_number_id, &number.token) {
            Ok(t) => t,
            Err(e) => return failed("token_unreadable", e.to_string()),
        };
        let Some(request) = m.request.clone() else {
            return failed("invalid_message", "nothing to send".into());
        };
        let url = format!(
            "{}/{}/messages",
            self.config.graph_url.trim_end_matches('/'),
            m.phone_number_id
        );
        let answer = self
            .client
            .post(&url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                // Nothing reached Meta.
                return self.retry_or_fail(m, "transport", format!("cannot connect: {e}"));
            }
            Err(e) => {
                // The request may have gone: never sent again on its own.
                tracing::warn!(%org, message = %m.message_id, error = %e, "no answer from the Graph API");
                return SendOutcome::InDoubt;
            }
        };
        let status = response.status().as_u16();
        let body = match read_limited(response).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%org, message = %m.message_id, status, error = %e, "answer lost");
                return if (200..300).contains(&status) {
                    SendOutcome::InDoubt
                } else {
                    self.retry_or_fail(m, &format!("http_{status}"), e.to_string())
                };
            }
        };
        match convert::verdict(status, &body) {
            Verdict::Sent { wamid } => SendOutcome::Sent { wamid },
            Verdict::Retry { code, title } => self.retry_or_fail(m, &code, title),
            Verdict::Failed { code, title } => SendOutcome::Failed { code, title },
            Verdict::NeedsTemplate { code, title } => SendOutcome::NeedsTemplate { code, title },
            Verdict::Reauthorise { code, title } => {
                tracing::error!(phone_number_id = %m.phone_number_id, %title,
                    "Meta refused the number's access token: the number is stopped until it is updated");
                if let Err(e) = self
                    .storage
                    .wa_flag_reauth(m.phone_number_id.clone(), format!("{code}: {title}"), now())
                    .await
                {
                    tracing::error!(error = %e, "cannot flag the number");
                }
                SendOutcome::Failed { code, title }
            }
        }
    }

    fn retry_or_fail(&self, m: &Outbound, code: &str, title: String) -> SendOutcome {
        if m.attempts >= MAX_ATTEMPTS {
            SendOutcome::Failed {
                code: code.into(),
                title: format!("{title} (gave up after {} attempts)", m.attempts),
            }
        } else {
            SendOutcome::Retry {
                at: now() + backoff(m.attempts),
                code: code.into(),
                title,
            }
        }
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if out.len() + chunk.len() > MAX_ANSWER {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Runs the futures concurrently on this task and collects their outputs.
pub(crate) async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_grows_with_jitter_and_a_ceiling() {
        for _ in 0..50 {
            assert_eq!(backoff(1), 1);
            assert!((1..=2).contains(&backoff(2)));
            assert!((2..=4).contains(&backoff(3)));
            assert!((150..=300).contains(&backoff(30)));
        }
    }
}
