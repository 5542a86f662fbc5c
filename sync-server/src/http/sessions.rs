//! Sessions: logging in, refreshing and ending them, and the devices they
//! run on.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::Instant;

use arcada_core::accounts::{MAX_EMAIL, MAX_PASSWORD};
use arcada_core::protocol::{ErrorBody, LoginRequest, Membership, RefreshRequest, TokenPair};
use arcada_core::roles::Role;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::{
    authenticate, client_address, hashing, manages_every_clinic_of, now, AppState, Body, Failure,
    Reply,
};
use crate::auth;
use crate::live::Event;
use crate::storage::{DeviceRow, NewToken, Storage};

/// Issues an access + refresh pair for a device, in token family `family`.
pub(super) async fn issue<S: Storage>(
    storage: &S,
    user: Uuid,
    device: Uuid,
    family: String,
) -> Result<TokenPair, Failure> {
    let fail = |_| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "no randomness",
        )
    };
    let (access, refresh) = (
        auth::new_token().map_err(fail)?,
        auth::new_token().map_err(fail)?,
    );
    let t = now();
    for (token, kind, ttl) in [
        (&access, "access", auth::ACCESS_TTL_SECS),
        (&refresh, "refresh", auth::REFRESH_TTL_SECS),
    ] {
        let token = NewToken {
            hash: auth::token_hash(token),
            kind,
            device,
            user,
            family: family.clone(),
            expires_at: t + ttl,
        };
        storage.store_token(token).await?;
    }
    let organizations = storage
        .memberships(user)
        .await?
        .into_iter()
        .map(|m| Membership {
            id: m.org_id,
            name: m.name,
            role: m.role,
        })
        .collect();
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        expires_in: auth::ACCESS_TTL_SECS as u64,
        user_id: user,
        device_id: device,
        organizations,
    })
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "logged in; a new device is paired", body = TokenPair), (status = 400, description = "malformed request", body = ErrorBody),
        (status = 401, description = "wrong e-mail or password", body = ErrorBody),
        (status = 429, description = "too many failed logins; see Retry-After", body = ErrorBody)))]
pub(super) async fn login<S: Storage>(
    State(s): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(req): Body<LoginRequest>,
) -> Result<Json<TokenPair>, Response> {
    let address = client_address(&s, peer, &headers);
    login_checked(s, address, req).await
}

pub(super) async fn login_checked<S: Storage>(
    s: AppState<S>,
    address: IpAddr,
    req: LoginRequest,
) -> Result<Json<TokenPair>, Response> {
    // Lengths first: nothing oversized is hashed, kept or counted.
    if req.email.len() > MAX_EMAIL || req.password.len() > MAX_PASSWORD {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_credentials",
            format!(
                "the e-mail has at most {MAX_EMAIL} bytes, the password at most {MAX_PASSWORD}"
            ),
        )
        .into_response());
    }
    let email = req.email.trim().to_lowercase();
    let reserved = Instant::now();
    if let Err(wait) = s.logins.reserve(&email, address, reserved) {
        s.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
        let secs = wait.as_secs().max(1);
        let failure = Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many failed logins; try again in {secs} s"),
        );
        return Err((
            [(axum::http::header::RETRY_AFTER, secs.to_string())],
            failure,
        )
            .into_response());
    }
    let answer = login_inner(&s, email.clone(), req).await;
    if answer.is_ok() {
        s.logins.succeeded(&email, address, reserved);
    }
    answer.map_err(IntoResponse::into_response)
}

pub(super) async fn login_inner<S: Storage>(
    s: &AppState<S>,
    email: String,
    req: LoginRequest,
) -> Reply<TokenPair> {
    let device_name = req.device_name.trim().to_string();
    if device_name.is_empty() || device_name.chars().count() > 200 {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_device_name",
            "device_name must have 1 to 200 characters",
        ));
    }
    let found = s.storage.user_by_email(email.clone()).await?;
    let password = req.password;
    let user = hashing(s, move || match found {
        Some((user, phc)) if auth::verify_password(&password, &phc) => Some(user),
        Some(_) => None,
        None => {
            // Same work as a wrong password: timing tells nothing.
            auth::dummy_verify(&password);
            None
        }
    })
    .await?;
    let Some(user) = user else {
        s.metrics.login_failures.fetch_add(1, Ordering::Relaxed);
        return Err(Failure::unauthorized("wrong e-mail or password"));
    };
    // A workstation logging in again keeps its device (one per
    // workstation, not one per login) unless it was revoked.
    let kept = match req.device_id {
        Some(wanted) => s
            .storage
            .devices(user)
            .await?
            .iter()
            .any(|d| d.id == wanted && !d.revoked)
            .then_some(wanted),
        None => None,
    };
    let device = match kept {
        Some(device) => device,
        None => s.storage.create_device(user, device_name, now()).await?,
    };
    s.metrics.logins.fetch_add(1, Ordering::Relaxed);
    issue(&*s.storage, user, device, Uuid::now_v7().to_string())
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "a new token pair; the refresh token is spent", body = TokenPair), (status = 400, description = "malformed request", body = ErrorBody),
        (status = 401, description = "unknown, expired, revoked or reused refresh token (reuse revokes the family)", body = ErrorBody)))]
pub(super) async fn refresh<S: Storage>(
    State(s): State<AppState<S>>,
    Body(req): Body<RefreshRequest>,
) -> Reply<TokenPair> {
    let hash = auth::token_hash(&req.refresh_token);
    let Some(row) = s.storage.token(hash.clone(), "refresh").await? else {
        return Err(Failure::unauthorized("unknown refresh token"));
    };
    if row.revoked || row.device_revoked || row.expires_at <= now() {
        return Err(Failure::unauthorized("refresh token expired or revoked"));
    }
    if auth::session_started(&row.family).is_none_or(|t| now() - t > auth::SESSION_MAX_SECS) {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "session_expired",
            "the session is older than its limit; log in again",
        ));
    }
    if row.used_at.is_some() || !s.storage.spend_token(hash, now()).await? {
        // Someone holds a copy of a spent token: end the whole session.
        tracing::warn!(device = %row.device_id, "refresh token reused; revoking its family");
        s.storage.revoke_family(row.family.clone(), now()).await?;
        s.hub.publish(Event::FamilyRevoked { family: row.family });
        return Err(Failure::unauthorized(
            "refresh token reused; the session is revoked",
        ));
    }
    issue(&*s.storage, row.user_id, row.device_id, row.family)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "the session's token family is revoked"), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody)))]
pub(super) async fn logout<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
) -> Result<StatusCode, Failure> {
    let (_, family) = authenticate(&s, &headers).await?;
    s.storage.revoke_family(family.clone(), now()).await?;
    s.hub.publish(Event::FamilyRevoked { family });
    Ok(StatusCode::NO_CONTENT)
}

/// A user revokes one of their own devices; an admin or gerente of an
/// organisation the owner belongs to may revoke it too.
#[utoipa::path(post, path = "/api/v1/devices/{device}/revoke", tag = "devices", security(("bearer" = [])),
    params(("device" = Uuid, Path, description = "device id")),
    responses((status = 204, description = "revoked, with all its tokens and live sessions"), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 404, description = "no such device for this caller", body = ErrorBody)))]
pub(super) async fn revoke_device<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(device): Path<String>,
) -> Result<StatusCode, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such device");
    let device = Uuid::parse_str(&device).map_err(|_| not_found())?;
    let owner = s
        .storage
        .device_owner(device)
        .await?
        .ok_or_else(not_found)?;
    // Another member's device, only by someone who manages every clinic
    // that member belongs to: a device serves all of its user's clinics,
    // and one clinic may not cut a member off from another. (A clinic
    // removes the member instead.)
    if owner != caller.user {
        manages_every_clinic_of(&s, caller, owner, "device", |r| {
            matches!(r, Role::Admin | Role::Gerente)
        })
        .await?;
    }
    s.storage.revoke_device(device, now()).await?;
    s.hub.publish(Event::DeviceRevoked { device });
    tracing::info!(%device, by = %caller.user, "device revoked");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, description = "the caller's devices, newest first", body = [DeviceRow]), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody)))]
pub(super) async fn devices<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
) -> Reply<Vec<DeviceRow>> {
    let (caller, _) = authenticate(&s, &headers).await?;
    Ok(Json(s.storage.devices(caller.user).await?))
}
