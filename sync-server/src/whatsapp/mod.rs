//! The WhatsApp Cloud API channel, first slice (docs/WHATSAPP.md): signed
//! webhooks in, stored durably before they are acknowledged, then processed
//! in the background into deduplicated messages and forward-only statuses.
//!
//! - [`signature`]: `X-Hub-Signature-256`, constant time, raw bytes (and
//!   Meta's escaped-unicode form).
//! - [`webhook`]: `GET`/`POST /webhooks/whatsapp`; the inbox writer that
//!   commits concurrent deliveries together.
//! - [`processor`]: claims stored deliveries, walks them ([`payload`]) and
//!   applies them ([`store`]), with retries.
//! - [`crypto`]: the numbers' access tokens sealed with AES-256-GCM.
//!
//! Not in this slice: writing messages into Automerge conversation
//! documents, media download, sending, reminders.

pub mod crypto;
pub mod payload;
pub mod postgres;
pub mod processor;
pub mod signature;
pub mod sqlite;
pub mod store;
pub mod webhook;

use std::sync::atomic::{AtomicU64, Ordering};

/// Largest webhook body Meta sends (a batch of up to 1,000 updates).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// The platform's WhatsApp settings, resolved from flags, environment and
/// file.
#[derive(Clone)]
pub struct WhatsAppConfig {
    pub app_secret: String,
    pub verify_token: String,
    /// Leave deliveries stored but unprocessed (operations, tests).
    pub processor_paused: bool,
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("app_secret", &"…")
            .field("verify_token", &"…")
            .field("processor_paused", &self.processor_paused)
            .finish()
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct WaMetrics {
    pub deliveries_received: AtomicU64,
    pub signature_failures: AtomicU64,
    pub deliveries_processed: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub messages_stored: AtomicU64,
    pub messages_duplicate: AtomicU64,
    pub statuses_advanced: AtomicU64,
    pub statuses_stale: AtomicU64,
    pub unrouted_items: AtomicU64,
    pub item_errors: AtomicU64,
}

impl WaMetrics {
    /// Prometheus text.
    pub fn render(&self) -> String {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("wa_deliveries_received", &self.deliveries_received),
            ("wa_signature_failures", &self.signature_failures),
            ("wa_deliveries_processed", &self.deliveries_processed),
            ("wa_delivery_failures", &self.delivery_failures),
            ("wa_messages_stored", &self.messages_stored),
            ("wa_messages_duplicate", &self.messages_duplicate),
            ("wa_statuses_advanced", &self.statuses_advanced),
            ("wa_statuses_stale", &self.statuses_stale),
            ("wa_unrouted_items", &self.unrouted_items),
            ("wa_item_errors", &self.item_errors),
        ]
        .iter()
        .map(|(name, c)| {
            format!(
                "# TYPE arcada_{name}_total counter\narcada_{name}_total {}\n",
                load(c)
            )
        })
        .collect()
    }
}
