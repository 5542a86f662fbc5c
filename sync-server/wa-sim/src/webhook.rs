//! Meta's webhook sender: signed deliveries to the configured webhook URL.
//!
//! Payloads follow Meta's public examples (tests/fixtures/whatsapp):
//! `object`, `entry[].id` (the WABA), `changes[].field = "messages"`,
//! `value.metadata`, `contacts`, `messages` / `statuses`. Bodies are compact
//! UTF-8 JSON signed with `X-Hub-Signature-256` through the server's own
//! [`Verifier`], over Meta's escaped-unicode form unless configured
//! otherwise, so the receiver is tested against what Meta really sends.

use std::time::Duration;

use arcada_server::cloud_api::signature::{escape_unicode, Verifier};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::control::{bad_request, parse};
use crate::graph::GraphError;
use crate::state::{
    now, App, Config, Number, SignatureMode, StatusOrder, DEFAULT_DISPLAY, DEFAULT_WABA_ID,
};

/// A successful send, as the status callbacks need it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub wamid: String,
    pub recipient: String,
    pub template: bool,
    pub opaque: Option<String>,
    pub conversation: String,
    pub expiration: i64,
    /// An asynchronous failure: one `failed` callback with `errors[]`.
    pub failure: Option<GraphError>,
}

/// One status callback to post (with its copies).
#[derive(Debug, Clone)]
pub struct StatusJob {
    pub body: Vec<u8>,
    pub status: String,
    pub wamid: String,
    pub copies: u32,
    pub delay_ms: u64,
    pub retries: u32,
}

/// The callbacks that follow a send, in the configured order.
pub fn status_jobs(
    config: &Config,
    number: &Number,
    phone_number_id: &str,
    sent: &Sent,
) -> Vec<StatusJob> {
    let mut names: Vec<&str> = if sent.failure.is_some() {
        vec!["failed"]
    } else {
        match config.statuses {
            StatusOrder::None => vec![],
            _ if config.read => vec!["sent", "delivered", "read"],
            _ => vec!["sent", "delivered"],
        }
    };
    if config.statuses == StatusOrder::Reversed {
        names.reverse();
    }
    if config.statuses == StatusOrder::None {
        names.clear();
    }
    let at = now();
    names
        .into_iter()
        .map(|name| {
            let status = status_object(name, sent, at);
            let value = json!({
                "messaging_product": "whatsapp",
                "metadata": metadata(number, phone_number_id),
                "statuses": [status],
            });
            StatusJob {
                body: envelope(&number.waba_id, value),
                status: name.to_string(),
                wamid: sent.wamid.clone(),
                copies: 1 + config.duplicates,
                delay_ms: config.status_delay_ms,
                retries: config.webhook_retries,
            }
        })
        .collect()
}

/// One `statuses[]` item: `sent` carries the conversation (with its
/// expiration) and pricing, `delivered` both without expiration, `read` and
/// `failed` neither; `failed` carries `errors[]`.
fn status_object(name: &str, sent: &Sent, at: i64) -> Value {
    let mut s = json!({
        "id": sent.wamid,
        "status": name,
        "timestamp": at.to_string(),
        "recipient_id": sent.recipient,
    });
    let category = if sent.template { "utility" } else { "service" };
    if name == "sent" || name == "delivered" {
        let mut conversation = json!({"id": sent.conversation, "origin": {"type": category}});
        if name == "sent" {
            conversation["expiration_timestamp"] = json!(sent.expiration.to_string());
        }
        s["conversation"] = conversation;
        s["pricing"] = if sent.template {
            json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": category})
        } else {
            json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": category})
        };
    }
    if let Some(f) = &sent.failure {
        s["errors"] = json!([f.status_error()]);
    }
    if let Some(o) = &sent.opaque {
        s["biz_opaque_callback_data"] = json!(o);
    }
    s
}

fn metadata(number: &Number, phone_number_id: &str) -> Value {
    json!({"display_phone_number": number.display_digits(), "phone_number_id": phone_number_id})
}

/// `{"object": …, "entry": [{"id": WABA, "changes": [{"value": …, "field": "messages"}]}]}`
fn envelope(waba_id: &str, value: Value) -> Vec<u8> {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": "messages"}]}],
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// How a delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    Valid,
    None,
    Wrong,
}

/// The outcome of one POST to the webhook URL.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The POST was attempted (a webhook URL and, if signing, a secret).
    pub attempted: bool,
}

/// Posts `body` to the webhook URL once and records the attempt.
pub async fn deliver(app: &App, kind: &str, body: &[u8], sign: Sign) -> Outcome {
    let (url, secret, mode) = {
        let sim = app.lock();
        (
            sim.config.webhook_url.clone(),
            sim.config.app_secret.clone(),
            sim.config.signature,
        )
    };
    let outcome = match (url, secret) {
        (None, _) => Outcome {
            status: None,
            error: Some("no webhook_url configured".into()),
            attempted: false,
        },
        (Some(_), None) if sign != Sign::None => Outcome {
            status: None,
            error: Some("no app_secret configured".into()),
            attempted: false,
        },
        (Some(url), secret) => {
            let signature = match (sign, secret) {
                (Sign::None, _) | (_, None) => None,
                (Sign::Valid, Some(secret)) => {
                    let signed = match mode {
                        SignatureMode::Meta if !body.is_ascii() => {
                            escape_unicode(body).unwrap_or_else(|| body.to_vec())
                        }
                        _ => body.to_vec(),
                    };
                    Some(Verifier::new(secret.as_bytes()).sign(&signed))
                }
                (Sign::Wrong, Some(secret)) => {
                    Some(Verifier::new(format!("not-{secret}").as_bytes()).sign(body))
                }
            };
            let mut req = app
                .http
                .post(&url)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::USER_AGENT, "facebookexternalua")
                .body(body.to_vec());
            if let Some(sig) = signature {
                req = req.header("X-Hub-Signature-256", sig);
            }
            match req.send().await {
                Ok(resp) => Outcome {
                    status: Some(resp.status().as_u16()),
                    error: None,
                    attempted: true,
                },
                Err(e) => Outcome {
                    status: None,
                    error: Some(format!("POST {url}: {e}")),
                    attempted: true,
                },
            }
        }
    };
    let body_json: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    app.lock().webhooks.push(json!({
        "kind": kind,
        "body": body_json,
        "signed": match sign { Sign::Valid => "valid", Sign::None => "none", Sign::Wrong => "wrong" },
        "status": outcome.status,
        "error": outcome.error,
        "at": now(),
    }));
    match (&outcome.status, &outcome.error) {
        (Some(s), _) if (200..300).contains(s) => {
            tracing::debug!(kind, status = s, "webhook delivered")
        }
        (Some(s), _) => tracing::warn!(kind, status = s, "webhook refused"),
        (None, Some(e)) if outcome.attempted => {
            tracing::warn!(kind, error = %e, "webhook not delivered")
        }
        (None, Some(e)) => tracing::debug!(kind, error = %e, "webhook not posted"),
        (None, None) => {}
    }
    outcome
}

/// Posts a send's status callbacks one after another (so the receiver sees
/// them in the configured order), retrying each like Meta with backoff.
pub async fn post_statuses(app: App, jobs: Vec<StatusJob>) {
    for job in jobs {
        if job.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(job.delay_ms)).await;
        }
        for _ in 0..job.copies {
            let mut backoff = Duration::from_secs(1);
            for attempt in 0..=job.retries {
                let out = deliver(&app, "status", &job.body, Sign::Valid).await;
                let taken = out.status.is_some_and(|s| (200..300).contains(&s));
                // No webhook or no secret: retrying will not help.
                if taken || !out.attempted {
                    break;
                }
                if attempt < job.retries {
                    tracing::debug!(wamid = %job.wamid, status = %job.status, "retrying status callback");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
    }
}

/// `POST /_sim/inbound`: a contact writes to a business number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    pub phone_number_id: String,
    /// The contact's wa_id (digits); absent for username-only senders.
    pub from: Option<String>,
    pub name: Option<String>,
    /// Username-only senders (`profile.username`, `user_id`).
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub text: Option<String>,
    /// Template quick reply: `{"payload", "text"}`.
    pub button: Option<Value>,
    /// `{"button_reply": {"id", "title"}}` or `{"list_reply": …}`.
    pub interactive: Option<Value>,
    pub image: Option<Value>,
    pub document: Option<Value>,
    pub audio: Option<Value>,
    pub video: Option<Value>,
    pub sticker: Option<Value>,
    pub location: Option<Value>,
    /// `{"message_id", "emoji"}`
    pub reaction: Option<Value>,
    /// Shared contacts, passed through.
    pub contacts: Option<Value>,
    /// An unsupported message (`{"type": "edit"}`), with Meta's 131051.
    pub unsupported: Option<Value>,
    /// The wamid this message answers.
    pub context_id: Option<String>,
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub duplicates: u32,
}

const MEDIA: [&str; 5] = ["image", "document", "audio", "video", "sticker"];

/// Builds the delivery body of an inbound message; its wamid.
fn inbound_body(
    app: &App,
    req: &Inbound,
    at: i64,
) -> Result<(Vec<u8>, String, Option<String>), String> {
    let from = match req.from.as_deref().map(str::trim) {
        Some(f) => {
            let digits = f.strip_prefix('+').unwrap_or(f);
            if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return Err(format!("`from` must be digits (a wa_id), got {f:?}"));
            }
            Some(digits.to_string())
        }
        None => None,
    };
    if from.is_none() && req.user_id.is_none() {
        return Err("give `from` (a wa_id) or `user_id` (a username-only sender)".into());
    }
    let (number, known) = {
        let sim = app.lock();
        match sim.numbers.get(&req.phone_number_id) {
            Some(n) => (n.clone(), true),
            None => (
                Number {
                    token: String::new(),
                    display_phone_number: DEFAULT_DISPLAY.into(),
                    waba_id: DEFAULT_WABA_ID.into(),
                },
                false,
            ),
        }
    };
    if !known {
        tracing::info!(phone_number_id = %req.phone_number_id, "inbound for a number the simulator does not know");
    }
    let sender = from
        .clone()
        .or_else(|| req.user_id.clone())
        .unwrap_or_default();
    let wamid = app.rng.wamid(&sender, true);

    let mut m = Map::new();
    if let Some(ctx) = &req.context_id {
        m.insert(
            "context".into(),
            json!({"from": number.display_digits(), "id": ctx}),
        );
    }
    if let Some(f) = &from {
        m.insert("from".into(), json!(f));
    }
    if let Some(u) = &req.user_id {
        m.insert("from_user_id".into(), json!(u));
    }
    m.insert("id".into(), json!(wamid));
    m.insert("timestamp".into(), json!(at.to_string()));

    let mut kinds: Vec<(&str, Value)> = Vec::new();
    if let Some(t) = &req.text {
        kinds.push(("text", json!({"body": t})));
    }
    if let Some(b) = &req.button {
        let payload = b.get("payload").and_then(Value::as_str);
        let text = b.get("text").and_then(Value::as_str).or(payload);
        let payload = payload.or(text);
        if payload.is_none() {
            return Err("`button` needs `payload` or `text`".into());
        }
        kinds.push(("button", json!({"payload": payload, "text": text})));
    }
    if let Some(i) = &req.interactive {
        let sub = ["button_reply", "list_reply", "nfm_reply"]
            .into_iter()
            .find(|k| i.get(*k).is_some())
            .ok_or("`interactive` needs `button_reply`, `list_reply` or `nfm_reply`")?;
        let mut obj = json!({"type": sub});
        obj[sub] = i[sub].clone();
        kinds.push(("interactive", obj));
    }
    for media in MEDIA {
        let part = match media {
            "image" => &req.image,
            "document" => &req.document,
            "audio" => &req.audio,
            "video" => &req.video,
            _ => &req.sticker,
        };
        if let Some(p) = part {
            kinds.push((media, media_part(app, media, p)?));
        }
    }
    if let Some(l) = &req.location {
        if l.get("latitude").is_none() || l.get("longitude").is_none() {
            return Err("`location` needs `latitude` and `longitude`".into());
        }
        kinds.push(("location", l.clone()));
    }
    if let Some(r) = &req.reaction {
        if r.get("message_id").and_then(Value::as_str).is_none() {
            return Err("`reaction` needs `message_id` (and `emoji`; none removes it)".into());
        }
        kinds.push(("reaction", r.clone()));
    }
    if let Some(c) = &req.contacts {
        if !c.is_array() {
            return Err("`contacts` must be an array".into());
        }
        kinds.push(("contacts", c.clone()));
    }
    if let Some(u) = &req.unsupported {
        m.insert(
            "errors".into(),
            json!([{
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }]),
        );
        kinds.push(("unsupported", u.clone()));
    }
    let (kind, part) = match kinds.len() {
        1 => kinds.remove(0),
        0 => return Err("give one of text, button, interactive, image, document, audio, video, sticker, location, reaction, contacts, unsupported".into()),
        _ => return Err(format!(
            "give only one message kind, got {}",
            kinds.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        )),
    };
    m.insert("type".into(), json!(kind));
    m.insert(kind.into(), part);

    let mut profile = Map::new();
    let name = req.name.clone().or_else(|| {
        if req.username.is_none() {
            from.clone()
        } else {
            None
        }
    });
    if let Some(n) = name {
        profile.insert("name".into(), json!(n));
    }
    if let Some(u) = &req.username {
        profile.insert("username".into(), json!(u));
    }
    let mut contact = Map::new();
    contact.insert("profile".into(), Value::Object(profile));
    if let Some(f) = &from {
        contact.insert("wa_id".into(), json!(f));
    }
    if let Some(u) = &req.user_id {
        contact.insert("user_id".into(), json!(u));
    }
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(&number, &req.phone_number_id),
        "contacts": [Value::Object(contact)],
        "messages": [Value::Object(m)],
    });
    Ok((envelope(&number.waba_id, value), wamid, from))
}

/// A media part of an inbound message: `{"mime_type", "sha256", "id"}` (plus
/// caption, filename, voice), filled from the uploaded media when known.
fn media_part(app: &App, kind: &str, p: &Value) -> Result<Value, String> {
    let id = p
        .get("media_id")
        .or_else(|| p.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{kind}` needs `media_id` (upload it with POST /_sim/media)"))?
        .to_string();
    let stored = app.lock().media.get(&id).cloned();
    let mime = p
        .get("mime_type")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| stored.as_ref().map(|m| m.mime_type.clone()))
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut out = json!({"mime_type": mime});
    if let Some(s) = stored.as_ref().map(|m| m.sha256.clone()) {
        out["sha256"] = json!(s);
    }
    out["id"] = json!(id);
    for key in ["caption", "filename", "voice", "animated"] {
        if let Some(v) = p.get(key) {
            out[key] = v.clone();
        }
    }
    if kind == "document" && out.get("filename").is_none() {
        if let Some(f) = stored.and_then(|m| m.filename) {
            out["filename"] = json!(f);
        }
    }
    Ok(out)
}

/// `POST /_sim/inbound`.
pub async fn inbound(State(app): State<App>, body: Bytes) -> Response {
    let req: Inbound = match parse(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let at = req.timestamp.unwrap_or_else(now);
    let (payload, wamid, from) = match inbound_body(&app, &req, at) {
        Ok(x) => x,
        Err(e) => return bad_request(e),
    };
    // The contact wrote: the 24-hour window opens from the message's time.
    if let Some(f) = &from {
        let mut sim = app.lock();
        let key = (req.phone_number_id.clone(), crate::state::contact_key(f));
        let last = sim.last_inbound.entry(key).or_insert(at);
        *last = (*last).max(at);
    }
    let first = deliver(&app, "inbound", &payload, Sign::Valid).await;
    for _ in 0..req.duplicates.min(100) {
        deliver(&app, "inbound", &payload, Sign::Valid).await;
    }
    tracing::info!(wamid = %wamid, status = ?first.status, "inbound delivered");
    (
        StatusCode::OK,
        Json(json!({
            "wamid": wamid,
            "webhook_status": first.status,
            "webhook_error": first.error,
            "deliveries": 1 + req.duplicates.min(100),
        })),
    )
        .into_response()
}

/// `POST /_sim/raw`: any body, signed, unsigned or wrongly signed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    /// JSON, posted compact.
    pub body: Option<Value>,
    /// Exact bytes (for bodies that are not JSON).
    pub body_text: Option<String>,
    #[serde(default = "sign_true")]
    pub sign: Value,
}

fn sign_true() -> Value {
    Value::Bool(true)
}

pub async fn raw(State(app): State<App>, body: Bytes) -> Response {
    let req: Raw = match parse(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let sign = match &req.sign {
        Value::Bool(true) => Sign::Valid,
        Value::Bool(false) => Sign::None,
        Value::String(s) if s == "wrong" => Sign::Wrong,
        other => {
            return bad_request(format!(
                "`sign` must be true, false or \"wrong\", got {other}"
            ))
        }
    };
    let bytes = match (&req.body, &req.body_text) {
        (Some(v), None) => serde_json::to_vec(v).unwrap_or_default(),
        (None, Some(t)) => t.clone().into_bytes(),
        _ => return bad_request("give exactly one of `body` (JSON) or `body_text`"),
    };
    let out = deliver(&app, "raw", &bytes, sign).await;
    (
        StatusCode::OK,
        Json(json!({"webhook_status": out.status, "webhook_error": out.error})),
    )
        .into_response()
}
