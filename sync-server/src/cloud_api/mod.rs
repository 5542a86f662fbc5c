//! Meta's WhatsApp Cloud API as it reaches the server, with nothing of the
//! server in it: the storage layer keeps what these modules parse, and
//! [`crate::whatsapp`] acts on it.
//!
//! - [`signature`]: `X-Hub-Signature-256`, constant time, raw bytes (and
//!   Meta's escaped-unicode form).
//! - [`payload`]: a webhook body walked into messages, statuses and
//!   problems, each with the number it came to.
//! - [`crypto`]: the numbers' access tokens sealed with AES-256-GCM.

pub mod crypto;
pub mod payload;
pub mod signature;
