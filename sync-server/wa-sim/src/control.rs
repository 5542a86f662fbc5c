//! The control API under `/_sim/`: what tests and demos use to register
//! numbers, change behaviour, inject faults, upload media and read back what
//! happened. Bad requests get 400 with `{"error": "…"}`, never a panic.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ring::digest;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{App, ConfigPatch, Fault, Media, Number, DEFAULT_DISPLAY, DEFAULT_WABA_ID};

/// 400 with a JSON error.
pub fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

/// Parses a control request body; a 400 that says why otherwise.
// The Err variant is the ready answer; boxing it would only add noise.
#[allow(clippy::result_large_err)]
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("bad request body: {e}")))
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

/// `GET /_sim/health`
pub async fn health() -> Response {
    ok(json!({"ok": true}))
}

/// `POST /_sim/numbers`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberReq {
    pub phone_number_id: String,
    pub token: String,
    pub display_phone_number: Option<String>,
    pub waba_id: Option<String>,
}

/// Registers (or re-registers) a number: idempotent.
pub fn register(app: &App, req: NumberReq) -> Result<(), String> {
    let id = req.phone_number_id.trim();
    if id.is_empty() || !id.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("phone_number_id must be digits, got {id:?}"));
    }
    if req.token.trim().is_empty() {
        return Err("token must not be empty".into());
    }
    app.lock().numbers.insert(
        id.to_string(),
        Number {
            token: req.token.trim().to_string(),
            display_phone_number: req
                .display_phone_number
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_DISPLAY.into()),
            waba_id: req
                .waba_id
                .filter(|w| !w.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_WABA_ID.into()),
        },
    );
    Ok(())
}

pub async fn add_number(State(app): State<App>, body: Bytes) -> Response {
    let req: NumberReq = match parse(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let id = req.phone_number_id.trim().to_string();
    match register(&app, req) {
        Ok(()) => ok(json!({"phone_number_id": id})),
        Err(e) => bad_request(e),
    }
}

/// `GET /_sim/numbers` (never the tokens).
pub async fn numbers(State(app): State<App>) -> Response {
    let sim = app.lock();
    let mut list: Vec<Value> = sim
        .numbers
        .iter()
        .map(|(id, n)| {
            json!({
                "phone_number_id": id,
                "display_phone_number": n.display_phone_number,
                "waba_id": n.waba_id,
            })
        })
        .collect();
    list.sort_by(|a, b| {
        a["phone_number_id"]
            .as_str()
            .cmp(&b["phone_number_id"].as_str())
    });
    ok(Value::Array(list))
}

/// `GET /_sim/config`
pub async fn get_config(State(app): State<App>) -> Response {
    ok(app.lock().config.view())
}

/// `POST /_sim/config`: a partial update; answers the whole configuration.
pub async fn set_config(State(app): State<App>, body: Bytes) -> Response {
    let patch: ConfigPatch = match parse(&body) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut sim = app.lock();
    sim.config.apply(patch);
    ok(sim.config.view())
}

/// `POST /_sim/faults`: one fault object or an array of them.
pub async fn add_faults(State(app): State<App>, body: Bytes) -> Response {
    let value: Value = match parse(&body) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut faults = Vec::with_capacity(items.len());
    for item in items {
        match serde_json::from_value::<Fault>(item) {
            Ok(f) if f.code.is_none() && f.delay_ms == 0 => {
                return bad_request("a fault needs `code` or `delay_ms`")
            }
            Ok(f) if f.asynchronous && f.code.is_none() => {
                return bad_request("an `async` fault needs `code`")
            }
            Ok(f) if f.times == 0 => return bad_request("`times` must be at least 1"),
            Ok(mut f) => {
                f.delay_ms = f.delay_ms.min(600_000);
                f.to = f.to.map(|t| t.trim().trim_start_matches('+').to_string());
                faults.push(f);
            }
            Err(e) => return bad_request(format!("bad fault: {e}")),
        }
    }
    let mut sim = app.lock();
    sim.faults.extend(faults);
    ok(json!({"faults": sim.faults}))
}

/// `GET /_sim/faults`: those not used up yet.
pub async fn faults(State(app): State<App>) -> Response {
    ok(json!({"faults": app.lock().faults}))
}

/// `DELETE /_sim/faults`
pub async fn clear_faults(State(app): State<App>) -> Response {
    app.lock().faults.clear();
    ok(json!({"faults": []}))
}

/// `GET /_sim/sent`: every send request, in arrival order.
pub async fn sent(State(app): State<App>) -> Response {
    ok(Value::Array(app.lock().sent.clone()))
}

/// `GET /_sim/webhooks`: every webhook POST attempted, in order.
pub async fn webhooks(State(app): State<App>) -> Response {
    ok(Value::Array(app.lock().webhooks.clone()))
}

/// `POST /_sim/reset`: forgets sends, webhooks, faults, windows and media;
/// keeps numbers and configuration.
pub async fn reset(State(app): State<App>) -> Response {
    let mut sim = app.lock();
    sim.sent.clear();
    sim.webhooks.clear();
    sim.faults.clear();
    sim.last_inbound.clear();
    sim.conversations.clear();
    sim.media.clear();
    ok(json!({"ok": true}))
}

#[derive(Debug, Deserialize)]
pub struct MediaQuery {
    pub filename: Option<String>,
}

/// `POST /_sim/media`: raw bytes, `Content-Type` = the media's MIME type.
pub async fn upload_media(
    State(app): State<App>,
    query: Result<Query<MediaQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => return bad_request(format!("bad query: {e}")),
    };
    let mime_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "application/octet-stream".into());
    if body.is_empty() {
        return bad_request("the media is empty");
    }
    let sha256 = hex::encode(digest::digest(&digest::SHA256, &body));
    let id = app.rng.numeric_id();
    let size = body.len();
    app.lock().media.insert(
        id.clone(),
        Media {
            bytes: body,
            mime_type: mime_type.clone(),
            sha256: sha256.clone(),
            filename: q.filename,
        },
    );
    ok(json!({"id": id, "mime_type": mime_type, "sha256": sha256, "file_size": size}))
}
