//! The server's settings: command-line flags first, then `ARCADA_*`
//! environment variables, then a TOML file (`--config`), then defaults.
//!
//! ```toml
//! data = "/var/lib/arcada"
//! # database_url = "postgres://arcada:secret@127.0.0.1/arcada"
//! listen = "0.0.0.0:8787"
//! # behind nginx or Caddy on the same host: throttle by the client's address
//! trusted_proxies = ["127.0.0.1"]
//!
//! [limits]
//! login_failures_per_account = 5
//! login_failures_per_address = 20
//! documents_per_org = 200000
//! live_per_device = 4
//! live_per_org = 500
//!
//! [whatsapp]
//! # The Meta app's secret (signs webhooks) and the handshake's verify token;
//! # without both, /webhooks/whatsapp answers 404.
//! app_secret = "…"
//! verify_token = "…"
//! # 32 bytes, hex: encrypts the numbers' access tokens at rest (AES-256-GCM)
//! token_key = "…64 hex digits…"
//! # where the sender posts messages, and how long a request may take
//! graph_url = "https://graph.facebook.com/v21.0"
//! send_timeout_secs = 30
//! # how often appointments due a reminder are looked for; pause reminders
//! reminder_interval_secs = 60
//! reminders_paused = false
//! # largest inbound media stored, bytes (16 MiB)
//! media_max_bytes = 16777216
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::limits::LoginLimits;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration in {path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// The file's contents; every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    /// PEM file of the CA that signed PostgreSQL's certificate.
    pub database_ca: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    /// Opens /metrics to other hosts with this bearer token.
    pub metrics_token: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: the login
    /// throttle then counts the client's address, not the proxy's.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    #[serde(default)]
    pub limits: FileLimits,
    #[serde(default)]
    pub whatsapp: FileWhatsApp,
}

/// `[whatsapp]`: the platform's WhatsApp Cloud API settings (one Meta app
/// for every organisation; the numbers themselves are per organisation).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileWhatsApp {
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub token_key: Option<String>,
    /// Stop the background processor (deliveries are still stored).
    pub processor_paused: Option<bool>,
    /// Stop writing messages into conversation documents.
    pub writer_paused: Option<bool>,
    /// Stop sending.
    pub sender_paused: Option<bool>,
    /// The Graph API's base URL.
    pub graph_url: Option<String>,
    /// Seconds a Graph API request may take.
    pub send_timeout_secs: Option<u64>,
    /// Queue no appointment reminders.
    pub reminders_paused: Option<bool>,
    /// Seconds between two runs of the reminder scheduler.
    pub reminder_interval_secs: Option<u64>,
    /// Largest inbound media stored, in bytes.
    pub media_max_bytes: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub login_failures_per_account: Option<usize>,
    pub login_failures_per_address: Option<usize>,
    pub documents_per_org: Option<u64>,
    pub live_per_device: Option<usize>,
    pub live_per_org: Option<usize>,
    /// Bytes one pushed change may hold once uncompressed.
    pub change_bytes: Option<usize>,
    /// Operations one pushed change may hold.
    pub change_ops: Option<u64>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.message().to_string(),
        })
    }
}

/// Limits per organisation and device (per plan, in time).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub login: LoginLimits,
    /// Documents an organisation may hold.
    pub documents_per_org: u64,
    /// Live sessions open at once per device.
    pub live_per_device: usize,
    /// Live sessions open at once per organisation.
    pub live_per_org: usize,
    /// How large one pushed change may be once decoded.
    pub change: arcada_core::integrity::ChangeLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            login: LoginLimits::default(),
            documents_per_org: 200_000,
            live_per_device: 4,
            live_per_org: 500,
            change: arcada_core::integrity::ChangeLimits::STANDARD,
        }
    }
}
