//! The WhatsApp Cloud API channel (docs/WHATSAPP.md): signed webhooks in,
//! stored durably before they are acknowledged, processed in the background
//! into deduplicated messages and forward-only statuses, written into the
//! organisations' conversation documents by the server acting as a peer;
//! replies queued in those documents sent through the Graph API.
//!
//! What Meta sends and how tokens are kept — the webhook's signature, its
//! payload, sealed access tokens — is [`crate::cloud_api`], below storage.
//!
//! - [`webhook`]: `GET`/`POST /webhooks/whatsapp`; the inbox writer that
//!   commits concurrent deliveries together; [`start`] starts it all.
//! - [`processor`]: claims stored deliveries, walks them ([`crate::cloud_api::payload`]) and
//!   applies them ([`store`]), with retries.
//! - [`worker`]: the conversation writer (patients' phone index, outbound
//!   discovery, inbound messages and outbound outcomes into documents),
//!   through [`peer`] (the server's own changes in the change log).
//! - [`sender`]: the Graph API, exactly once.
//! - [`convert`]: WhatsApp JSON ⇄ the conversation document.
//! - [`reminder`]: the reminder scheduler (appointments due a reminder →
//!   template messages queued once each) and the answers to reminders
//!   (confirm or cancel the appointment, or ask the front desk to look).
//! - [`media`]: media of inbound messages fetched from the Graph API into
//!   the server's blob storage, and served to the organisation's members.

pub mod convert;
pub mod media;
pub mod numbers;
pub mod ownership;
pub mod peer;
pub mod processor;
pub mod reminder;
pub mod sender;
pub mod webhook;
pub mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v21.0";
/// A request to the Graph API may take this long unless configured.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the reminder scheduler looks for appointments due a reminder
/// unless configured.
pub const DEFAULT_REMINDER_INTERVAL: Duration = Duration::from_secs(60);

/// The HTTP client for the Graph API (sending, media). reqwest is built
/// without its default TLS provider (aws-lc-rs): ring, which the rest of
/// the server already uses, serves instead.
pub fn graph_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("arcada-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

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
    /// Leave messages stored but not written into documents, and queued
    /// replies unfound (operations, tests).
    pub writer_paused: bool,
    /// Send nothing (queued replies wait).
    pub sender_paused: bool,
    /// Queue no reminders (answers to those sent are still handled).
    pub reminders_paused: bool,
    /// How often the reminder scheduler runs.
    pub reminder_interval: Duration,
    /// The Graph API's base URL, e.g. [`DEFAULT_GRAPH_URL`].
    pub graph_url: String,
    /// A Graph API request's whole time.
    pub send_timeout: Duration,
    /// The key that opens the numbers' access tokens (64 hex digits).
    pub token_key: Option<String>,
    /// Largest inbound media stored ([`media::DEFAULT_MEDIA_MAX_BYTES`]).
    pub media_max_bytes: u64,
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("app_secret", &"…")
            .field("verify_token", &"…")
            .field("processor_paused", &self.processor_paused)
            .field("writer_paused", &self.writer_paused)
            .field("sender_paused", &self.sender_paused)
            .field("reminders_paused", &self.reminders_paused)
            .field("reminder_interval", &self.reminder_interval)
            .field("graph_url", &self.graph_url)
            .field("send_timeout", &self.send_timeout)
            .field("token_key", &self.token_key.as_ref().map(|_| "…"))
            .field("media_max_bytes", &self.media_max_bytes)
            .finish()
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct WaMetrics {
    pub deliveries_received: AtomicU64,
    /// Signed bodies that arrived again: counted, not stored again.
    pub webhook_replays: AtomicU64,
    pub signature_failures: AtomicU64,
    pub deliveries_processed: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub messages_stored: AtomicU64,
    pub messages_duplicate: AtomicU64,
    pub statuses_advanced: AtomicU64,
    pub statuses_stale: AtomicU64,
    pub unrouted_items: AtomicU64,
    pub item_errors: AtomicU64,
    /// Inbound messages written into conversation documents.
    pub messages_written: AtomicU64,
    pub conversations_created: AtomicU64,
    /// Leads linked to a patient registered later with their number.
    pub leads_linked: AtomicU64,
    /// Outbound messages whose document moved (sent, delivered, failed …).
    pub statuses_written: AtomicU64,
    /// Outbound messages found queued in documents.
    pub outbound_queued: AtomicU64,
    pub sent: AtomicU64,
    /// Failed for good (including needs-template).
    pub send_failed: AtomicU64,
    pub send_retried: AtomicU64,
    pub send_in_doubt: AtomicU64,
    /// Reminders queued for the sender.
    pub reminders_queued: AtomicU64,
    /// Appointments recorded without a reminder (no WhatsApp number …).
    pub reminders_skipped: AtomicU64,
    /// Due reminders a pass held back because the site was outside its
    /// sending hours (each pass counts them again).
    pub reminders_held: AtomicU64,
    /// Answers that confirmed an appointment.
    pub answers_confirmed: AtomicU64,
    /// Answers that cancelled one.
    pub answers_cancelled: AtomicU64,
    /// Answers that asked the front desk to look.
    pub answers_attention: AtomicU64,
    /// Inbound media downloaded into the blob storage.
    pub media_stored: AtomicU64,
    /// Inbound media refused for its size.
    pub media_too_large: AtomicU64,
    /// Inbound media that could not be fetched (for good).
    pub media_failed: AtomicU64,
}

impl WaMetrics {
    /// Prometheus text.
    pub fn render(&self) -> String {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("wa_deliveries_received", &self.deliveries_received),
            ("wa_webhook_replays", &self.webhook_replays),
            ("wa_signature_failures", &self.signature_failures),
            ("wa_deliveries_processed", &self.deliveries_processed),
            ("wa_delivery_failures", &self.delivery_failures),
            ("wa_messages_stored", &self.messages_stored),
            ("wa_messages_duplicate", &self.messages_duplicate),
            ("wa_statuses_advanced", &self.statuses_advanced),
            ("wa_statuses_stale", &self.statuses_stale),
            ("wa_unrouted_items", &self.unrouted_items),
            ("wa_item_errors", &self.item_errors),
            ("wa_messages_written", &self.messages_written),
            ("wa_conversations_created", &self.conversations_created),
            ("wa_leads_linked", &self.leads_linked),
            ("wa_statuses_written", &self.statuses_written),
            ("wa_outbound_queued", &self.outbound_queued),
            ("wa_sent", &self.sent),
            ("wa_send_failed", &self.send_failed),
            ("wa_send_retried", &self.send_retried),
            ("wa_send_in_doubt", &self.send_in_doubt),
            ("wa_reminders_queued", &self.reminders_queued),
            ("wa_reminders_skipped", &self.reminders_skipped),
            ("wa_reminders_held", &self.reminders_held),
            ("wa_answers_confirmed", &self.answers_confirmed),
            ("wa_answers_cancelled", &self.answers_cancelled),
            ("wa_answers_attention", &self.answers_attention),
            ("wa_media_stored", &self.media_stored),
            ("wa_media_too_large", &self.media_too_large),
            ("wa_media_failed", &self.media_failed),
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
