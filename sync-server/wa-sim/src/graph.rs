//! The Graph API side: what Arcada's sender and media downloader call.
//!
//! `POST /{version}/{phone_number_id}/messages`, `GET`/`DELETE
//! /{version}/{media_id}` and `GET /_media/{media_id}` (the download URL the
//! metadata points to). Errors have the Graph API's exact shape and Meta's
//! HTTP statuses (the table in [`meta_error`], from Meta's WhatsApp error
//! code reference), so the sender's error handling is tested against what
//! it will meet.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::state::{now, App, Fault, Number, Sim};
use crate::webhook::{self, StatusJob};

/// The message types the Cloud API sends.
pub const TYPES: [&str; 11] = [
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
];

/// A Graph API error, ready to be answered.
#[derive(Debug, Clone)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: i64,
    pub subcode: Option<i64>,
    /// `OAuthException`, `GraphMethodException`.
    pub kind: &'static str,
    pub message: String,
    /// `error_data.details`: WhatsApp errors carry it, plain Graph errors
    /// (bad token, unknown object) do not.
    pub details: Option<String>,
}

impl GraphError {
    /// A WhatsApp error by code, as Meta answers it: `(#CODE) Title`,
    /// `error_data.details`, the documented HTTP status.
    pub fn whatsapp(code: i64, details: Option<String>) -> GraphError {
        let (status, title, default_details) = meta_error(code);
        GraphError {
            status,
            code,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#{code}) {title}"),
            details: Some(details.unwrap_or_else(|| default_details.to_string())),
        }
    }

    /// `(#100) …` for a malformed request.
    pub fn invalid(message: impl Into<String>) -> GraphError {
        GraphError {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#100) {}", message.into()),
            details: None,
        }
    }

    /// 401, code 190: the token is missing or is not this number's.
    pub fn bad_token(missing: bool) -> GraphError {
        GraphError {
            status: StatusCode::UNAUTHORIZED,
            code: 190,
            subcode: None,
            kind: "OAuthException",
            message: if missing {
                "An access token is required to request this resource.".into()
            } else {
                "Invalid OAuth access token - Cannot parse access token".into()
            },
            details: None,
        }
    }

    /// 400, code 100 subcode 33: the object does not exist (or the token
    /// may not see it), Graph's answer to an unknown id.
    pub fn no_object(method: &str, id: &str) -> GraphError {
        GraphError {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: Some(33),
            kind: "GraphMethodException",
            message: format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be \
                 loaded due to missing permissions, or does not support this operation. Please \
                 read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
            details: None,
        }
    }

    /// The JSON body, with a fresh fbtrace_id.
    pub fn body(&self, fbtrace_id: String) -> Value {
        let mut e = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            e["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
        }
        if let Some(sub) = self.subcode {
            e["error_subcode"] = json!(sub);
        }
        e["fbtrace_id"] = json!(fbtrace_id);
        json!({ "error": e })
    }

    /// The `errors[]` item of a `failed` status callback.
    pub fn status_error(&self) -> Value {
        let title = self
            .message
            .split_once(") ")
            .map_or(self.message.as_str(), |(_, t)| t);
        json!({
            "code": self.code,
            "title": title,
            "message": title,
            "error_data": {"details": self.details.clone().unwrap_or_default()},
            "href": "/documentation/business-messaging/whatsapp/support/error-codes",
        })
    }

    pub fn into_response(self, app: &App) -> Response {
        let status = self.status;
        (status, Json(self.body(app.rng.fbtrace_id()))).into_response()
    }
}

/// Meta's HTTP status, title and details for a WhatsApp error code (Meta's
/// error code reference; unknown codes answer 400).
pub fn meta_error(code: i64) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match code {
        0 => (S::UNAUTHORIZED, "AuthException", "We were unable to authenticate the app user."),
        1 => (S::BAD_REQUEST, "API Unknown", "Invalid request or possible server error."),
        2 => (S::SERVICE_UNAVAILABLE, "API Service", "Temporary due to downtime or due to being overloaded."),
        3 => (S::INTERNAL_SERVER_ERROR, "API Method", "Capability or permissions issue."),
        4 => (S::BAD_REQUEST, "API Too Many Calls", "The app has reached its API call rate limit."),
        10 => (S::FORBIDDEN, "Permission Denied", "Permission is either not granted or has been removed."),
        190 => (S::UNAUTHORIZED, "Access token has expired", "Your access token has expired."),
        200..=299 => (S::FORBIDDEN, "API Permission", "Permission is either not granted or has been removed."),
        368 => (S::FORBIDDEN, "Temporarily blocked for policies violations", "The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy."),
        80007 => (S::BAD_REQUEST, "Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
        130429 => (S::BAD_REQUEST, "Rate limit hit", "Message failed to send because there were too many messages sent from this phone number in a short period of time"),
        130472 => (S::BAD_REQUEST, "User's number is part of an experiment", "Message was not sent as part of an experiment."),
        131000 => (S::INTERNAL_SERVER_ERROR, "Something went wrong", "Message failed to send due to an unknown error."),
        131005 => (S::FORBIDDEN, "Access denied", "Permission is either not granted or has been removed."),
        131008 => (S::BAD_REQUEST, "Required parameter is missing", "The request is missing a required parameter."),
        131009 => (S::BAD_REQUEST, "Parameter value is not valid", "One or more parameter values are invalid."),
        131016 => (S::INTERNAL_SERVER_ERROR, "Service unavailable", "A service is temporarily unavailable."),
        131021 => (S::BAD_REQUEST, "Recipient cannot be sender", "Sender and recipient phone number is the same."),
        131026 => (S::BAD_REQUEST, "Message undeliverable", "Unable to deliver message."),
        131031 => (S::FORBIDDEN, "Account has been locked", "The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy."),
        131042 => (S::BAD_REQUEST, "Business eligibility payment issue", "Message failed to send because there were one or more errors related to your payment method."),
        131045 => (S::INTERNAL_SERVER_ERROR, "Incorrect certificate", "Message failed to send due to a phone number registration error."),
        131047 => (S::BAD_REQUEST, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
        131048 => (S::BAD_REQUEST, "Spam rate limit hit", "Message failed to send because there are restrictions on how many messages can be sent from this phone number."),
        131049 => (S::BAD_REQUEST, "This message was not delivered to maintain healthy ecosystem engagement.", "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."),
        131050 => (S::BAD_REQUEST, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.", "The recipient has stopped marketing messages from this business."),
        131051 => (S::BAD_REQUEST, "Unsupported message type", "Message type is currently not supported."),
        131052 => (S::BAD_REQUEST, "Media download error", "Unable to download the media sent by the user."),
        131053 => (S::BAD_REQUEST, "Media upload error", "Unable to upload the media used in the message."),
        131056 => (S::BAD_REQUEST, "(Business Account, Consumer Account) pair rate limit hit", "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time."),
        131057 => (S::INTERNAL_SERVER_ERROR, "Account in maintenance mode", "Business Account is in maintenance mode"),
        132000 => (S::BAD_REQUEST, "Number of parameters does not match the expected number of params", "The number of variable parameter values included in the request did not match the number of variable parameters defined in the template."),
        132001 => (S::NOT_FOUND, "Template name does not exist in the translation", "The template does not exist in the specified language or the template has not been approved."),
        132005 => (S::BAD_REQUEST, "Template Hydrated Text Too Long", "Translated text is too long."),
        132007 => (S::BAD_REQUEST, "Template Format Character Policy Violated", "Template content violates a WhatsApp policy."),
        132012 => (S::BAD_REQUEST, "Template Parameter Format Mismatch", "Variable parameter values formatted incorrectly."),
        132015 => (S::BAD_REQUEST, "Template is Paused", "Template is paused due to low quality so it cannot be sent in a template message."),
        132016 => (S::BAD_REQUEST, "Template is Disabled", "Template has been paused too many times due to low quality and is now permanently disabled."),
        133010 => (S::BAD_REQUEST, "Account not registered", "Phone number not registered on the Whatsapp Business Platform."),
        135000 => (S::BAD_REQUEST, "Generic user error", "Message failed to send because of an unknown error with your request parameters."),
        _ => (S::BAD_REQUEST, "Unknown error", "The simulator has no description for this code."),
    }
}

/// Accepts `v<digits>.<digits>`, as Graph API versions are written.
fn version_ok(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        })
}

fn unknown_path(path: &str) -> GraphError {
    GraphError {
        status: StatusCode::BAD_REQUEST,
        code: 2500,
        subcode: None,
        kind: "OAuthException",
        message: format!("Unknown path components: {path}"),
        details: None,
    }
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The recipient as digits, if it is a plausible phone number (E.164: up to
/// 15 digits, optionally written with `+`).
fn recipient_digits(to: &str) -> Option<String> {
    let digits = to.trim().strip_prefix('+').unwrap_or(to.trim());
    (digits.len() >= 8 && digits.len() <= 15 && digits.bytes().all(|c| c.is_ascii_digit()))
        .then(|| digits.to_string())
}

/// What a send request turned out to be, decided under the lock.
struct Decision {
    delay_ms: u64,
    answer: Result<Value, GraphError>,
    statuses: Vec<StatusJob>,
}

/// `POST /{version}/{phone_number_id}/messages`.
pub async fn send(
    State(app): State<App>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !version_ok(&version) {
        return unknown_path(&format!("/{version}/{phone_number_id}/messages")).into_response(&app);
    }
    let token = bearer(&headers);
    let request: Option<Value> = serde_json::from_slice(&body).ok();
    let decision = {
        let mut sim = app.lock();
        decide(&app, &mut sim, &phone_number_id, token.as_deref(), request)
    };
    if decision.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.delay_ms)).await;
    }
    if !decision.statuses.is_empty() {
        tokio::spawn(webhook::post_statuses(app.clone(), decision.statuses));
    }
    match decision.answer {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => e.into_response(&app),
    }
}

/// Checks a send in Meta's order (token, number, body, then the message's
/// fate), records it, and says what to answer and which callbacks follow.
fn decide(
    app: &App,
    sim: &mut Sim,
    phone_number_id: &str,
    token: Option<&str>,
    request: Option<Value>,
) -> Decision {
    let at = now();
    let to_raw = request
        .as_ref()
        .and_then(|r| r.get("to"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = request.as_ref().map(|r| {
        if r.get("status").is_some() && r.get("message_id").is_some() {
            "read".to_string()
        } else {
            r.get("type")
                .and_then(Value::as_str)
                .unwrap_or("text")
                .to_string()
        }
    });
    let mut delay_ms = 0;
    let mut statuses = Vec::new();
    let outcome = (|| -> Result<(Value, Option<String>), GraphError> {
        let number: Number = sim
            .numbers
            .get(phone_number_id)
            .cloned()
            .filter(|n| token.is_some_and(|t| t == n.token))
            .ok_or_else(|| match token {
                None => GraphError::bad_token(true),
                Some(t) if !sim.numbers.contains_key(phone_number_id) && sim.token_known(t) => {
                    GraphError::no_object("post", phone_number_id)
                }
                Some(_) => GraphError::bad_token(false),
            })?;
        let request = request
            .as_ref()
            .filter(|r| r.is_object())
            .ok_or_else(|| GraphError::invalid("Invalid parameter"))?;
        match request.get("messaging_product").and_then(Value::as_str) {
            Some("whatsapp") => {}
            None => {
                return Err(GraphError::invalid(
                    "The parameter messaging_product is required.",
                ))
            }
            Some(other) => {
                return Err(GraphError::invalid(format!(
                    "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
                )))
            }
        }
        // Mark as read (and typing indicators): no recipient, no window.
        if kind.as_deref() == Some("read") {
            return Ok((json!({"success": true}), None));
        }
        if let Some(rt) = request.get("recipient_type").and_then(Value::as_str) {
            if rt != "individual" {
                return Err(GraphError::invalid(format!(
                    "Param recipient_type must be one of {{INDIVIDUAL}} - got \"{rt}\"."
                )));
            }
        }
        if to_raw.is_empty() {
            return Err(GraphError::invalid("The parameter to is required."));
        }
        let kind = kind.as_deref().unwrap_or("text");
        if !TYPES.contains(&kind) {
            return Err(GraphError::invalid(format!(
                "Param type must be one of {{{}}} - got \"{kind}\".",
                TYPES.join(", ").to_uppercase()
            )));
        }
        check_content(request, kind)?;
        let to = recipient_digits(&to_raw).ok_or_else(|| {
            GraphError::whatsapp(
                131009,
                Some("The phone number is malformed: Please use the format: +1234567890.".into()),
            )
        })?;
        if to == number.display_digits() {
            return Err(GraphError::whatsapp(131021, None));
        }
        let fault = sim.take_fault(phone_number_id, &to);
        if let Some(f) = &fault {
            delay_ms = f.delay_ms;
        }
        if let Some(Fault {
            code: Some(code),
            asynchronous: false,
            details,
            ..
        }) = &fault
        {
            return Err(GraphError::whatsapp(*code, details.clone()));
        }
        let template = kind == "template";
        if !template && sim.config.enforce_window {
            let last = sim
                .last_inbound
                .get(&(phone_number_id.to_string(), crate::state::contact_key(&to)))
                .copied();
            if last.is_none_or(|t| at - t >= crate::state::WINDOW_SECS) {
                return Err(GraphError::whatsapp(131047, None));
            }
        }
        let wamid = app.rng.wamid(&to, false);
        let mut answer = json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": to_raw, "wa_id": to}],
            "messages": [{"id": wamid}],
        });
        if template {
            answer["messages"][0]["message_status"] = json!("accepted");
        }
        let opaque = request
            .get("biz_opaque_callback_data")
            .and_then(Value::as_str)
            .map(str::to_string);
        let failure = match fault {
            Some(Fault {
                code: Some(code),
                asynchronous: true,
                details,
                ..
            }) => Some(GraphError::whatsapp(code, details)),
            _ => None,
        };
        let (conversation, expiration) = sim.conversation(&app.rng, phone_number_id, &to, at);
        statuses = webhook::status_jobs(
            &sim.config,
            &number,
            phone_number_id,
            &webhook::Sent {
                wamid: wamid.clone(),
                recipient: to.clone(),
                template,
                opaque,
                conversation,
                expiration,
                failure,
            },
        );
        Ok((answer, Some(wamid)))
    })();
    let (answer, wamid, error_code) = match outcome {
        Ok((v, wamid)) => (Ok(v), wamid, None),
        Err(e) => {
            let code = e.code;
            (Err(e), None, Some(code))
        }
    };
    sim.sent.push(json!({
        "wamid": wamid,
        "phone_number_id": phone_number_id,
        "to": to_raw,
        "type": kind,
        "body": request,
        "error_code": error_code,
        "http_status": answer.as_ref().map_or_else(|e| e.status.as_u16(), |_| 200),
        "at": at,
    }));
    if let Some(code) = error_code {
        tracing::info!(phone_number_id, to = %to_raw, code, "send refused");
    } else {
        tracing::info!(phone_number_id, to = %to_raw, "send accepted");
    }
    Decision {
        delay_ms,
        answer,
        statuses,
    }
}

/// The parts every message type must have.
fn check_content(request: &Value, kind: &str) -> Result<(), GraphError> {
    let part = request.get(kind);
    let missing = |field: &str| GraphError::invalid(format!("The parameter {field} is required."));
    let has_str = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    match kind {
        "text" => {
            if !has_str(part, "body") {
                return Err(missing("text['body']"));
            }
        }
        "template" => {
            if !has_str(part, "name") {
                return Err(missing("template['name']"));
            }
            if !has_str(part.and_then(|t| t.get("language")), "code") {
                return Err(missing("template['language']['code']"));
            }
        }
        "image" | "document" | "audio" | "video" | "sticker" => {
            if !has_str(part, "id") && !has_str(part, "link") {
                return Err(missing(&format!("{kind}['link'] or {kind}['id']")));
            }
        }
        "reaction" => {
            if !has_str(part, "message_id") {
                return Err(missing("reaction['message_id']"));
            }
        }
        "location" => {
            let p = part.ok_or_else(|| missing("location"))?;
            for f in ["latitude", "longitude"] {
                if p.get(f).is_none() {
                    return Err(missing(&format!("location['{f}']")));
                }
            }
        }
        _ => {
            if part.is_none() {
                return Err(missing(kind));
            }
        }
    }
    Ok(())
}

/// Any registered number's token may read media (the simulator does not
/// track which business a media object belongs to).
fn media_token(app: &App, headers: &HeaderMap) -> Result<(), GraphError> {
    let token = bearer(headers).ok_or_else(|| GraphError::bad_token(true))?;
    if app.lock().token_known(&token) {
        Ok(())
    } else {
        Err(GraphError::bad_token(false))
    }
}

/// `GET /{version}/{id}`: a phone number (to its own token only, as Graph
/// answers a token of another business: the object "does not exist"), or
/// a media's metadata and download URL.
pub async fn object(
    State(app): State<App>,
    Path((version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !version_ok(&version) {
        return unknown_path(&format!("/{version}/{media_id}")).into_response(&app);
    }
    let number = app.lock().numbers.get(&media_id).cloned();
    if let Some(number) = number {
        return match bearer(&headers) {
            None => GraphError::bad_token(true).into_response(&app),
            Some(t) if t == number.token => (
                StatusCode::OK,
                Json(json!({
                    "verified_name": "Clínica (simulador)",
                    "display_phone_number": number.display_phone_number,
                    "quality_rating": "GREEN",
                    "code_verification_status": "VERIFIED",
                    "id": media_id,
                })),
            )
                .into_response(),
            Some(t) if app.lock().token_known(&t) => {
                GraphError::no_object("get", &media_id).into_response(&app)
            }
            Some(_) => GraphError::bad_token(false).into_response(&app),
        };
    }
    if let Err(e) = media_token(&app, &headers) {
        return e.into_response(&app);
    }
    let found = app.lock().media.get(&media_id).map(|m| {
        json!({
            "messaging_product": "whatsapp",
            "url": format!("{}/_media/{media_id}", app.base_url),
            "mime_type": m.mime_type,
            "sha256": m.sha256,
            "file_size": m.bytes.len(),
            "id": media_id,
        })
    });
    match found {
        Some(v) => (StatusCode::OK, Json(v)).into_response(),
        None => GraphError::no_object("get", &media_id).into_response(&app),
    }
}

/// `DELETE /{version}/{media_id}`.
pub async fn media_delete(
    State(app): State<App>,
    Path((version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !version_ok(&version) {
        return unknown_path(&format!("/{version}/{media_id}")).into_response(&app);
    }
    if let Err(e) = media_token(&app, &headers) {
        return e.into_response(&app);
    }
    if app.lock().media.remove(&media_id).is_some() {
        (StatusCode::OK, Json(json!({"success": true}))).into_response()
    } else {
        GraphError::no_object("delete", &media_id).into_response(&app)
    }
}

/// `GET /_media/{media_id}`: the bytes, only with a token (as Meta's
/// download URLs).
pub async fn media_download(
    State(app): State<App>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = media_token(&app, &headers) {
        return e.into_response(&app);
    }
    let found = app.lock().media.get(&media_id).cloned();
    match found {
        Some(m) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, m.mime_type.clone())],
            m.bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no media {media_id}")})),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_recipients() {
        assert!(version_ok("v21.0"));
        assert!(version_ok("v3.10"));
        assert!(!version_ok("21.0"));
        assert!(!version_ok("v21"));
        assert!(!version_ok("v.0"));
        assert!(!version_ok("_sim"));
        assert_eq!(
            recipient_digits("+5511987654321").as_deref(),
            Some("5511987654321")
        );
        assert_eq!(
            recipient_digits("5511987654321").as_deref(),
            Some("5511987654321")
        );
        assert_eq!(recipient_digits("55 11 98765"), None);
        assert_eq!(recipient_digits("abc"), None);
        assert_eq!(recipient_digits("1234567"), None);
        assert_eq!(recipient_digits("1234567890123456"), None);
    }

    #[test]
    fn error_bodies_have_graph_shape() {
        let e = GraphError::whatsapp(131047, None);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let b = e.body("TRACE".into());
        assert_eq!(b["error"]["message"], "(#131047) Re-engagement message");
        assert_eq!(b["error"]["type"], "OAuthException");
        assert_eq!(b["error"]["code"], 131047);
        assert_eq!(b["error"]["error_data"]["messaging_product"], "whatsapp");
        assert_eq!(b["error"]["fbtrace_id"], "TRACE");
        assert!(b["error"].get("error_subcode").is_none());
        let s = e.status_error();
        assert_eq!(s["title"], "Re-engagement message");
        let gone = GraphError::no_object("get", "123").body("T".into());
        assert_eq!(gone["error"]["error_subcode"], 33);
        assert!(gone["error"].get("error_data").is_none());
        assert_eq!(meta_error(131057).0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(meta_error(2).0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(meta_error(130429).0, StatusCode::BAD_REQUEST);
    }
}
