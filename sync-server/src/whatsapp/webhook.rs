//! `GET /webhooks/whatsapp` (the subscription handshake) and
//! `POST /webhooks/whatsapp` (signed deliveries). A delivery is answered 200
//! only once it is committed to the inbox; the inbox writer commits the
//! deliveries that wait together, so concurrent webhooks share one commit.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use tokio::sync::{mpsc, oneshot, Notify};

use super::media::{Fetcher, FetcherConfig};
use super::peer::Peer;
use super::sender::{Sender, SenderConfig};
use super::worker::{self, Wake};
use super::{processor, WaMetrics, WhatsAppConfig};
use crate::cloud_api::crypto::TokenKey;
use crate::cloud_api::signature::{SignatureError, Verifier};
use crate::live::Hub;
use crate::storage::whatsapp::Deliveries;
use crate::storage::Storage;

/// Deliveries committed together at most.
const GROUP_COMMIT: usize = 256;
/// Deliveries waiting for the writer at most; more wait for room.
const QUEUE: usize = 4096;

struct Pending {
    body: Bytes,
    stored: oneshot::Sender<bool>,
}

/// The webhook's state: the verifier, the verify token, the inbox writer.
pub struct Webhook {
    verifier: Verifier,
    verify_token: String,
    inbox: mpsc::Sender<Pending>,
    /// Wakes the processor when deliveries are stored.
    pub wake: Arc<Notify>,
    pub metrics: Arc<WaMetrics>,
    /// Seals the access tokens the admin API receives; `None` when the
    /// server has no key (numbers can then be listed, not added).
    pub token_key: Option<Arc<TokenKey>>,
    /// Where a number's token is proved before the number is bound.
    pub graph: Option<super::ownership::Graph>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").finish_non_exhaustive()
    }
}

/// Starts the inbox writer and, unless paused, the processor, the
/// conversation writer and the sender.
pub fn start<S: Storage>(
    storage: Arc<S>,
    hub: Arc<Hub>,
    replicas: Arc<crate::replicas::Replicas>,
    config: &WhatsAppConfig,
) -> Arc<Webhook> {
    let (inbox, rx) = mpsc::channel(QUEUE);
    let wake = Arc::new(Notify::new());
    let metrics = Arc::new(WaMetrics::default());
    let writer_wake = Arc::new(Wake::default());
    let sender_wake = Arc::new(Wake::default());
    let media_wake = Arc::new(Wake::default());
    tokio::spawn(writer(storage.clone(), rx, wake.clone(), metrics.clone()));
    if config.processor_paused {
        tracing::warn!("the WhatsApp processor is paused: deliveries are stored, not processed");
    } else {
        tokio::spawn(processor::run(
            storage.clone(),
            wake.clone(),
            metrics.clone(),
            writer_wake.clone(),
        ));
    }
    // One peer for every writer of this process: its actor never makes two
    // changes with one sequence number.
    let peer = Arc::new(Peer::new(storage.clone(), hub.clone(), replicas));
    if config.writer_paused {
        tracing::warn!("the WhatsApp conversation writer is paused: messages are stored, not written into documents");
    } else {
        tokio::spawn(worker::follow_hub(hub.subscribe(), writer_wake.clone()));
        tokio::spawn(worker::run(
            peer.clone(),
            writer_wake.clone(),
            sender_wake.clone(),
            media_wake.clone(),
            metrics.clone(),
        ));
    }
    if config.reminders_paused {
        tracing::warn!("WhatsApp reminders are paused: none is queued");
    } else {
        tokio::spawn(super::reminder::run(
            peer.clone(),
            Some(sender_wake.clone()),
            metrics.clone(),
            config.reminder_interval,
        ));
    }
    let key = match config.token_key.as_deref().map(TokenKey::from_hex) {
        Some(Ok(key)) => Some(Arc::new(key)),
        Some(Err(e)) => {
            tracing::error!(error = %e, "the WhatsApp token key is unusable: nothing can be sent");
            None
        }
        None => None,
    };
    match &key {
        None => tracing::warn!("no WhatsApp token key: media is not fetched"),
        Some(key) => {
            let fetcher = Fetcher::new(
                peer,
                FetcherConfig {
                    graph_url: config.graph_url.clone(),
                    // A download of the largest media takes longer than a send.
                    timeout: config.send_timeout.max(std::time::Duration::from_secs(120)),
                    max_bytes: config.media_max_bytes,
                },
                key.clone(),
                metrics.clone(),
            );
            match fetcher {
                Ok(fetcher) => {
                    tokio::spawn(Arc::new(fetcher).run(media_wake));
                }
                Err(e) => tracing::error!(error = %e, "the WhatsApp media fetcher cannot start"),
            }
        }
    }
    if config.sender_paused {
        tracing::warn!("the WhatsApp sender is paused: queued messages wait");
    } else if key.is_none() {
        tracing::warn!("no WhatsApp token key: the sender is off, queued messages wait");
    } else {
        let sender = Sender::new(
            storage,
            SenderConfig {
                graph_url: config.graph_url.clone(),
                timeout: config.send_timeout,
            },
            key.clone(),
            metrics.clone(),
            writer_wake,
        );
        match sender {
            Ok(sender) => {
                tokio::spawn(Arc::new(sender).run(sender_wake));
            }
            Err(e) => tracing::error!(error = %e, "the WhatsApp sender cannot start"),
        }
    }
    Arc::new(Webhook {
        verifier: Verifier::new(config.app_secret.as_bytes()),
        verify_token: config.verify_token.clone(),
        inbox,
        wake,
        metrics,
        token_key: key,
        graph: match super::ownership::Graph::new(&config.graph_url, config.send_timeout) {
            Ok(g) => Some(g),
            Err(e) => {
                tracing::error!(error = %e, "no Graph API client: numbers cannot be connected");
                None
            }
        },
    })
}

/// Commits waiting deliveries in groups; tells each sender once durable.
async fn writer<S: Storage>(
    storage: Arc<S>,
    mut rx: mpsc::Receiver<Pending>,
    wake: Arc<Notify>,
    metrics: Arc<WaMetrics>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < GROUP_COMMIT {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let bodies = Deliveries::of(batch.iter().map(|p| p.body.to_vec()));
        let now = chrono::Utc::now().timestamp();
        let stored = match storage.wa_receive(bodies, now).await {
            Ok(replays) => {
                if replays > 0 {
                    metrics
                        .webhook_replays
                        .fetch_add(replays, Ordering::Relaxed);
                    tracing::info!(replays, "webhook bodies already stored: counted, not kept");
                }
                true
            }
            Err(e) => {
                tracing::error!(error = %e, deliveries = batch.len(), "WhatsApp deliveries not stored");
                false
            }
        };
        for p in batch {
            let _ = p.stored.send(stored);
        }
        if stored {
            wake.notify_one();
        }
    }
}

/// Equal in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a delivery was not taken.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not signed with the app secret: not from Meta.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Not stored (the writer stopped or the database failed): Meta sends
    /// it again.
    #[error("the delivery could not be stored; send it again")]
    Unavailable,
}

impl Webhook {
    /// Meta's subscription handshake: with `hub.mode=subscribe` and the
    /// right verify token, the challenge to echo; otherwise `None`.
    pub fn subscribe<'a>(
        &self,
        mode: Option<&str>,
        token: Option<&[u8]>,
        challenge: Option<&'a str>,
    ) -> Option<&'a str> {
        match (mode, token, challenge) {
            (Some("subscribe"), Some(token), Some(challenge))
                if same(token, self.verify_token.as_bytes()) =>
            {
                Some(challenge)
            }
            _ => None,
        }
    }

    /// Takes a delivery: its signature checked on the raw bytes, then
    /// stored durably before this returns (Meta's 200 means it is kept).
    pub async fn take(&self, signature: Option<&[u8]>, body: Bytes) -> Result<(), Refused> {
        if let Err(e) = self.verifier.verify(signature, &body) {
            self.metrics
                .signature_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, bytes = body.len(), "WhatsApp delivery refused");
            return Err(e.into());
        }
        let (stored, durable) = oneshot::channel();
        self.inbox
            .send(Pending { body, stored })
            .await
            .map_err(|_| Refused::Unavailable)?;
        match durable.await {
            Ok(true) => {
                self.metrics
                    .deliveries_received
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(Refused::Unavailable),
        }
    }
}
