//! The simulator's memory: registered numbers, run-time settings, queued
//! faults, uploaded media, the 24-hour windows opened by inbound messages,
//! and the records the control API shows (sends and webhook deliveries).
//!
//! Everything lives behind one `std::sync::Mutex` that is never held across
//! an `.await`: the simulator is a test tool, and one lock keeps the order
//! of records equal to the order of arrival.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The WABA id of Meta's public examples, used when a number has none.
pub const DEFAULT_WABA_ID: &str = "102290129340398";
/// The display number of Meta's public examples.
pub const DEFAULT_DISPLAY: &str = "15550783881";
/// Meta's customer service window.
pub const WINDOW_SECS: i64 = 24 * 60 * 60;

/// One business phone number the Graph side answers for.
#[derive(Debug, Clone)]
pub struct Number {
    pub token: String,
    /// As registered, e.g. `+55 11 91234-5678`; webhooks carry its digits.
    pub display_phone_number: String,
    pub waba_id: String,
}

impl Number {
    /// `metadata.display_phone_number` of a webhook: digits only, as Meta
    /// sends it.
    pub fn display_digits(&self) -> String {
        let digits: String = self
            .display_phone_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.is_empty() {
            DEFAULT_DISPLAY.to_string()
        } else {
            digits
        }
    }
}

/// The order in which the status callbacks of a successful send are posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusOrder {
    /// sent, delivered (, read): what Meta usually does.
    InOrder,
    /// (read,) delivered, sent: what Meta sometimes does; receivers must
    /// still end at the highest status.
    Reversed,
    /// No callbacks at all.
    None,
}

/// How deliveries with non-ASCII characters are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMode {
    /// As Meta does: over the escaped-unicode form (`\u00e1`) of the UTF-8
    /// body that is sent.
    Meta,
    /// Over the bytes as sent.
    Raw,
}

/// Run-time behaviour, changed by `POST /_sim/config`.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub statuses: StatusOrder,
    pub read: bool,
    /// Extra copies of every webhook delivery (Meta delivers at least once).
    pub duplicates: u32,
    pub webhook_url: Option<String>,
    #[serde(skip)]
    pub app_secret: Option<String>,
    pub signature: SignatureMode,
    /// Refuse free-form messages outside the 24-hour window (131047).
    pub enforce_window: bool,
    /// Pause before each status callback.
    pub status_delay_ms: u64,
    /// Further attempts of a status callback the receiver did not take
    /// (non-2xx or no connection), 1 s, 2 s, 4 s … apart.
    pub webhook_retries: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            statuses: StatusOrder::InOrder,
            read: false,
            duplicates: 0,
            webhook_url: None,
            app_secret: None,
            signature: SignatureMode::Meta,
            enforce_window: true,
            status_delay_ms: 0,
            webhook_retries: 2,
        }
    }
}

/// `POST /_sim/config`: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigPatch {
    pub statuses: Option<StatusOrder>,
    pub read: Option<bool>,
    pub duplicates: Option<u32>,
    /// `""` unsets it.
    pub webhook_url: Option<String>,
    pub app_secret: Option<String>,
    pub signature: Option<SignatureMode>,
    pub enforce_window: Option<bool>,
    pub status_delay_ms: Option<u64>,
    pub webhook_retries: Option<u32>,
}

impl Config {
    pub fn apply(&mut self, patch: ConfigPatch) {
        let nonempty = |s: String| Some(s).filter(|s| !s.trim().is_empty());
        if let Some(v) = patch.statuses {
            self.statuses = v;
        }
        if let Some(v) = patch.read {
            self.read = v;
        }
        if let Some(v) = patch.duplicates {
            self.duplicates = v.min(100);
        }
        if let Some(v) = patch.webhook_url {
            self.webhook_url = nonempty(v);
        }
        if let Some(v) = patch.app_secret {
            self.app_secret = nonempty(v);
        }
        if let Some(v) = patch.signature {
            self.signature = v;
        }
        if let Some(v) = patch.enforce_window {
            self.enforce_window = v;
        }
        if let Some(v) = patch.status_delay_ms {
            self.status_delay_ms = v.min(600_000);
        }
        if let Some(v) = patch.webhook_retries {
            self.webhook_retries = v.min(20);
        }
    }

    /// The settings as `GET /_sim/config` shows them (never the secret).
    pub fn view(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "has_app_secret".into(),
                Value::Bool(self.app_secret.is_some()),
            );
        }
        v
    }
}

/// `POST /_sim/faults`: the next `times` matching sends fail (or are slow).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// A Graph error code (130429, 131047 …); none: the send succeeds,
    /// after `delay_ms`.
    pub code: Option<i64>,
    #[serde(default = "one")]
    pub times: u32,
    /// Only sends to this recipient (digits, `+` ignored).
    pub to: Option<String>,
    /// Only sends from this number.
    pub phone_number_id: Option<String>,
    /// Hold the answer this long (a sender can be killed mid-request).
    #[serde(default)]
    pub delay_ms: u64,
    /// Accept the send (200, wamid) and report the error in a `failed`
    /// status callback instead, as Meta does for 131026, 131049, 131050 …
    #[serde(default, rename = "async")]
    pub asynchronous: bool,
    /// Replaces the code's usual `error_data.details`.
    pub details: Option<String>,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn matches(&self, phone_number_id: &str, to: &str) -> bool {
        self.times > 0
            && self
                .to
                .as_deref()
                .is_none_or(|t| t.trim_start_matches('+') == to)
            && self
                .phone_number_id
                .as_deref()
                .is_none_or(|p| p == phone_number_id)
    }
}

/// An uploaded media object.
#[derive(Debug, Clone)]
pub struct Media {
    pub bytes: axum::body::Bytes,
    pub mime_type: String,
    /// Hex of the SHA-256 of the bytes, as the Graph API reports it.
    pub sha256: String,
    pub filename: Option<String>,
}

/// Everything the simulator remembers.
#[derive(Debug, Default)]
pub struct Sim {
    pub numbers: HashMap<String, Number>,
    pub config: Config,
    pub faults: Vec<Fault>,
    /// `GET /_sim/sent`, in arrival order.
    pub sent: Vec<Value>,
    /// `GET /_sim/webhooks`, in posting order.
    pub webhooks: Vec<Value>,
    pub media: HashMap<String, Media>,
    /// (phone_number_id, contact) → unix time of the contact's last message.
    /// By (phone_number_id, [`contact_key`]).
    pub last_inbound: HashMap<(String, String), i64>,
    /// (phone_number_id, contact) → (conversation id, expiration).
    pub conversations: HashMap<(String, String), (String, i64)>,
}

impl Sim {
    /// The number whose token this is, if any.
    pub fn token_known(&self, token: &str) -> bool {
        self.numbers.values().any(|n| n.token == token)
    }

    /// Takes one use of the first fault matching this send.
    pub fn take_fault(&mut self, phone_number_id: &str, to: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.matches(phone_number_id, to))?;
        let fault = self.faults[i].clone();
        self.faults[i].times -= 1;
        if self.faults[i].times == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }

    /// The conversation a status callback names: one per contact and
    /// number, renewed every 24 hours, as Meta's conversation-based
    /// pricing did.
    pub fn conversation(
        &mut self,
        rng: &Rng,
        phone_number_id: &str,
        to: &str,
        now: i64,
    ) -> (String, i64) {
        let key = (phone_number_id.to_string(), to.to_string());
        match self.conversations.get(&key) {
            Some((id, exp)) if *exp > now => (id.clone(), *exp),
            _ => {
                let fresh = (hex::encode(rng.bytes::<16>()), now + WINDOW_SECS);
                self.conversations.insert(key, fresh.clone());
                fresh
            }
        }
    }
}

/// The shared state of the HTTP handlers.
#[derive(Debug, Clone)]
pub struct App {
    pub sim: Arc<Mutex<Sim>>,
    pub http: reqwest::Client,
    pub rng: Rng,
    /// `http://127.0.0.1:PORT`: media URLs point here.
    pub base_url: String,
}

impl App {
    /// The state, even if a handler panicked while holding it (it never
    /// leaves it half-changed in a way that matters to a test tool).
    pub fn lock(&self) -> MutexGuard<'_, Sim> {
        self.sim.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Random ids: wamids, media ids, fbtrace ids, conversation ids.
#[derive(Debug, Clone)]
pub struct Rng(Arc<SystemRandom>);

impl Default for Rng {
    fn default() -> Rng {
        Rng(Arc::new(SystemRandom::new()))
    }
}

impl Rng {
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        if self.0.fill(&mut out).is_err() {
            // The system's generator failing is not worth a panic here: fall
            // back to the clock, still unique enough for a simulator.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
                .to_le_bytes();
            for (i, b) in out.iter_mut().enumerate() {
                *b = nanos[i % nanos.len()] ^ (i as u8);
            }
        }
        out
    }

    /// A wamid shaped like Meta's: base64 of a small protobuf-like record
    /// holding the contact and a random hex id (outbound ids are 18 hex
    /// digits tagged 0x11, inbound 20 tagged 0x12, as in Meta's examples).
    pub fn wamid(&self, contact: &str, inbound: bool) -> String {
        let hex_id = if inbound {
            hex::encode_upper(self.bytes::<10>())
        } else {
            hex::encode_upper(self.bytes::<9>())
        };
        let contact = &contact.as_bytes()[..contact.len().min(64)];
        let mut raw = vec![0x1c, 0x18, contact.len() as u8];
        raw.extend_from_slice(contact);
        raw.extend_from_slice(&[0x15, 0x02, 0x00, if inbound { 0x12 } else { 0x11 }, 0x18]);
        raw.push(hex_id.len() as u8);
        raw.extend_from_slice(hex_id.as_bytes());
        raw.push(0);
        format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// A numeric id like Meta's media ids (16 digits).
    pub fn numeric_id(&self) -> String {
        let n = u64::from_le_bytes(self.bytes::<8>()) % 9_000_000_000_000_000;
        (1_000_000_000_000_000 + n).to_string()
    }

    /// An fbtrace_id (23 URL-safe base64 characters).
    pub fn fbtrace_id(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.bytes::<17>())
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// One contact however its number is written: like WhatsApp, which reaches
/// a Brazilian mobile whether or not the ninth digit is given.
pub fn contact_key(number: &str) -> String {
    format!("+{}", number.trim_start_matches('+'))
        .parse::<arcada_core::phone::Phone>()
        .map_or_else(|_| number.to_string(), |p| p.digits().to_string())
}
