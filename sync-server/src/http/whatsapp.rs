//! The WhatsApp surface: an organisation's numbers, Meta's webhook and
//! the media a conversation holds.

use std::sync::Arc;

use arcada_core::documents::DocClass;
use arcada_core::protocol::ErrorBody;
use arcada_core::roles::Role;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::{authenticate, now, role_in, AppState, Body, Failure, Reply};
use crate::cloud_api::crypto::TokenKey;
use crate::storage::whatsapp::NumberRow;
use crate::storage::{Storage, StorageError};
use crate::whatsapp::numbers;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Query;
use axum::http::{header, HeaderValue};

use crate::whatsapp::webhook::Refused;
use crate::whatsapp::MAX_BODY as WA_MAX_BODY;

pub use arcada_core::protocol::{NumberRequest, NumberUpdate};

/// A number's fields refused: 400 naming the field.
fn bad_number(e: numbers::NumberError) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, "invalid", e.to_string())
}

/// The WhatsApp numbers are the organisation's integration: admins manage
/// them, gerentes may look.
fn number_admin(role: Role, write: bool) -> Result<(), Failure> {
    match role {
        Role::Admin => Ok(()),
        Role::Gerente if !write => Ok(()),
        _ => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "role {role} may not {} WhatsApp numbers",
                if write { "manage" } else { "see" }
            ),
        )),
    }
}

/// The key that seals access tokens; without it nothing can be added.
/// Asks the Graph API whether `token` may read `phone_number_id`: nothing
/// is bound (and no unrouted message moves) on a token that proves
/// nothing.
pub(super) async fn prove_number<S>(
    s: &AppState<S>,
    phone_number_id: &str,
    token: &str,
) -> Result<(), Failure> {
    use crate::whatsapp::ownership::{self, OwnershipError};
    let graph = s
        .whatsapp
        .as_ref()
        .and_then(|w| w.graph.clone())
        .ok_or_else(|| {
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "whatsapp_not_configured",
                "this server cannot reach the Graph API",
            )
        })?;
    match ownership::prove(&graph, phone_number_id, token.trim()).await {
        Ok(proven) => {
            tracing::info!(phone_number_id, verified_name = ?proven.verified_name, "WhatsApp number proved with the Graph API");
            Ok(())
        }
        Err(e @ OwnershipError::Unavailable(_)) => Err(Failure::new(
            StatusCode::BAD_GATEWAY,
            e.code(),
            e.to_string(),
        )),
        Err(e) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            e.code(),
            e.to_string(),
        )),
    }
}

fn token_key<S>(s: &AppState<S>) -> Result<Arc<TokenKey>, Failure> {
    s.whatsapp
        .as_ref()
        .and_then(|w| w.token_key.clone())
        .ok_or_else(|| {
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "whatsapp_not_configured",
                "this server has no WhatsApp app secret, verify token and token key configured",
            )
        })
}

/// The organisation's number `pnid`, or 404 — also for another
/// organisation's number, which must not be told apart from none.
pub(super) async fn own_number<S: Storage>(
    s: &AppState<S>,
    org: Uuid,
    pnid: &str,
) -> Result<NumberRow, Failure> {
    s.storage
        .wa_numbers(Some(org))
        .await?
        .into_iter()
        .find(|n| n.phone_number_id == pnid)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such WhatsApp number",
            )
        })
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/whatsapp/numbers", tag = "whatsapp", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")),
    responses((status = 200, description = "the organisation's numbers, never their tokens", body = [NumberRow]), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody)))]
pub(super) async fn wa_numbers<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Reply<Vec<NumberRow>> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    number_admin(role, false)?;
    Ok(Json(s.storage.wa_numbers(Some(org)).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/whatsapp/numbers", tag = "whatsapp", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = NumberRequest,
    responses((status = 201, description = "added, once the Graph API confirmed the token may read this phone_number_id", body = NumberRow), (status = 400, description = "a field is invalid, or the token proves nothing for this number (token_refused, number_not_owned)", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody),
        (status = 409, description = "the phone_number_id is already registered", body = ErrorBody), (status = 502, description = "the Graph API could not be asked (graph_unavailable)", body = ErrorBody), (status = 503, description = "WhatsApp is not configured on this server", body = ErrorBody)))]
pub(super) async fn wa_add_number<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<NumberRequest>,
) -> Result<(StatusCode, Json<NumberRow>), Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    number_admin(role, true)?;
    let key = token_key(&s)?;
    let pnid = numbers::meta_id("phone_number_id", &req.phone_number_id).map_err(bad_number)?;
    prove_number(&s, &pnid, &req.access_token).await?;
    let number = numbers::new_number(
        &key,
        org,
        &req.phone_number_id,
        &req.display_phone_number,
        &req.waba_id,
        &req.access_token,
    )
    .map_err(bad_number)?;
    let pnid = number.phone_number_id.clone();
    match s.storage.wa_add_number(number, now()).await {
        Ok(()) => {}
        Err(StorageError::Exists(_)) => {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "exists",
                format!("WhatsApp number {pnid} is already registered"),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(%org, phone_number_id = %pnid, by = %caller.user, "WhatsApp number added");
    Ok((StatusCode::CREATED, Json(own_number(&s, org, &pnid).await?)))
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/whatsapp/numbers/{phone_number_id}", tag = "whatsapp", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id"), ("phone_number_id" = String, Path, description = "Meta's phone number id")), request_body = NumberUpdate,
    responses((status = 200, description = "updated; a new token, proved with the Graph API, clears the re-authorisation flag", body = NumberRow), (status = 400, description = "a field is invalid, or the new token proves nothing for this number", body = ErrorBody), (status = 502, description = "the Graph API could not be asked", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such organisation or number for this caller", body = ErrorBody), (status = 503, description = "WhatsApp is not configured on this server", body = ErrorBody)))]
pub(super) async fn wa_update_number<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, pnid)): Path<(String, String)>,
    Body(req): Body<NumberUpdate>,
) -> Reply<NumberRow> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    number_admin(role, true)?;
    let key = token_key(&s)?;
    own_number(&s, org, &pnid).await?;
    let display = req
        .display_phone_number
        .as_deref()
        .map(numbers::display_number)
        .transpose()
        .map_err(bad_number)?;
    let sealed = req
        .access_token
        .as_deref()
        .map(|t| numbers::seal_token(&key, &pnid, t))
        .transpose()
        .map_err(bad_number)?;
    if let Some(token) = &req.access_token {
        prove_number(&s, &pnid, token).await?;
    }
    s.storage
        .wa_update_number(pnid.clone(), display, sealed)
        .await?;
    tracing::info!(%org, phone_number_id = %pnid, by = %caller.user, "WhatsApp number updated");
    Ok(Json(own_number(&s, org, &pnid).await?))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/whatsapp/numbers/{phone_number_id}", tag = "whatsapp", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id"), ("phone_number_id" = String, Path, description = "Meta's phone number id")),
    responses((status = 204, description = "removed; its conversations stay"), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "no such organisation or number for this caller", body = ErrorBody), (status = 503, description = "WhatsApp is not configured on this server", body = ErrorBody)))]
pub(super) async fn wa_remove_number<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, pnid)): Path<(String, String)>,
) -> Result<StatusCode, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    number_admin(role, true)?;
    own_number(&s, org, &pnid).await?;
    s.storage.wa_remove_number(pnid.clone()).await?;
    tracing::info!(%org, phone_number_id = %pnid, by = %caller.user, "WhatsApp number removed");
    Ok(StatusCode::NO_CONTENT)
}

/// The handshake: `hub.mode=subscribe`, the right `hub.verify_token` →
/// `hub.challenge` as text; anything else 403.
pub async fn webhook_verify<S: Storage>(
    State(s): State<AppState<S>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Failure> {
    let hook = s.whatsapp.as_ref().ok_or_else(no_endpoint)?;
    let challenge = hook.subscribe(
        q.get("hub.mode").map(String::as_str),
        q.get("hub.verify_token").map(String::as_bytes),
        q.get("hub.challenge").map(String::as_str),
    );
    match challenge {
        Some(challenge) => {
            tracing::info!("WhatsApp webhook subscription verified");
            Ok((
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                challenge.to_string(),
            )
                .into_response())
        }
        None => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "hub.mode must be subscribe and hub.verify_token must match",
        )),
    }
}

fn no_endpoint() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// A delivery: signature checked on the raw bytes, then stored, then 200.
pub async fn webhook_receive<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, Failure> {
    let hook = s.whatsapp.as_ref().ok_or_else(no_endpoint)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("webhook bodies are limited to {WA_MAX_BODY} bytes"),
            )
        } else {
            Failure::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text())
        }
    })?;
    let signature = headers.get("x-hub-signature-256").map(|v| v.as_bytes());
    match hook.take(signature, body).await {
        Ok(()) => Ok(StatusCode::OK),
        Err(e @ Refused::Signature(_)) => Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            e.to_string(),
        )),
        Err(e @ Refused::Unavailable) => Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )),
    }
}

fn no_media() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "not_found", "no such media")
}

/// A stored media's bytes, to members whose role reads conversations.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/media/{sha256}", tag = "whatsapp", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id"), ("sha256" = String, Path, description = "the blob's SHA-256, 64 hex digits (a message's `media.blob` without `sha256:`)")),
    responses((status = 200, description = "the bytes, with their Content-Type; Cache-Control: private", content_type = "application/octet-stream"),
        (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 403, description = "the caller's role does not read conversations", body = ErrorBody),
        (status = 404, description = "no such organisation for this caller, or no such media in it", body = ErrorBody)))]
pub async fn wa_media<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, sha256)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    if !role.can_read(DocClass::Conversation) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("role {role} may not read conversations"),
        ));
    }
    let sha256 = sha256.trim_start_matches("sha256:").to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(no_media());
    }
    let blob = s.storage.wa_blob(org, sha256).await?.ok_or_else(no_media)?;
    let content_type = HeaderValue::from_str(&blob.mime_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("private")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        blob.bytes,
    )
        .into_response())
}
