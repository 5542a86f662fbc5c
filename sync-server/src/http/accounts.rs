//! A member's account beyond logging in: invitations (an account that
//! already exists joins another clinic only by accepting one), changing
//! one's password, and resets an administrator issues.
//!
//! A reset is a one-time code, valid for a day, that an admin hands to
//! the member (Arcada sends no e-mail); only an admin of every clinic the
//! account serves may issue one, since the account is the same in all of
//! them and whoever sets its password can act as it. Changing or resetting a password ends every other
//! session of the account.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use arcada_core::accounts;
use arcada_core::protocol::ErrorBody;
use arcada_core::roles::Role;

use super::{
    authenticate, hashing, manages_every_clinic_of, now, role_in, AppState, Body, Failure,
    MAX_PASSWORD,
};
use crate::auth;
use crate::live::Event;
use crate::storage::Storage;

/// How long a reset code works.
pub const RESET_VALID_SECS: i64 = 24 * 60 * 60;

/// An invitation to a clinic.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Invitation {
    pub org_id: Uuid,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResetCode {
    /// Give it to the member: it sets a new password once, until `expires_at`.
    pub reset_code: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub reset_code: String,
    pub new_password: String,
}

fn new_password(password: &str) -> Result<String, Failure> {
    accounts::new_password(password)
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, "invalid_password", e.to_string()))?;
    Ok(password.to_string())
}

pub(super) async fn hash<S: Storage>(s: &AppState<S>, password: String) -> Result<String, Failure> {
    hashing(s, move || auth::hash_password(&password))
        .await?
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// Ends the sessions of `devices` that are live now.
fn cut<S>(s: &AppState<S>, devices: Vec<Uuid>) {
    for device in devices {
        s.hub.publish(Event::DeviceRevoked { device });
    }
}

#[utoipa::path(get, path = "/api/v1/invitations", tag = "members", security(("bearer" = [])),
    responses((status = 200, description = "the caller's pending invitations", body = [Invitation]),
        (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody)))]
pub async fn invitations<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
) -> Result<Json<Vec<Invitation>>, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    Ok(Json(
        s.storage
            .invitations(caller.user)
            .await?
            .into_iter()
            .map(|m| Invitation {
                org_id: m.org_id,
                name: m.name,
                role: m.role,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/invitations/{org}/{answer}", tag = "members", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "the inviting organisation"), ("answer" = String, Path, description = "accept or decline")),
    responses((status = 200, description = "accepted: the caller is a member with the role offered", body = Invitation),
        (status = 204, description = "declined"),
        (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 404, description = "no such invitation for the caller", body = ErrorBody)))]
pub async fn answer<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, answer)): Path<(String, String)>,
) -> Result<axum::response::Response, Failure> {
    use axum::response::IntoResponse;
    let (caller, _) = authenticate(&s, &headers).await?;
    let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such invitation");
    let org = Uuid::parse_str(&org).map_err(|_| not_found())?;
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(not_found()),
    };
    let role = s
        .storage
        .answer_invitation(org, caller.user, accept)
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(%org, user = %caller.user, accept, %role, "invitation answered");
    if !accept {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let name = s
        .storage
        .memberships(caller.user)
        .await?
        .into_iter()
        .find(|m| m.org_id == org)
        .map(|m| m.name)
        .unwrap_or_default();
    Ok(Json(Invitation {
        org_id: org,
        name,
        role,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204, description = "changed; every other session of the account ended"),
        (status = 400, description = "the new password is too short or too long", body = ErrorBody),
        (status = 401, description = "wrong current password, or no valid token", body = ErrorBody),
        (status = 429, description = "too many wrong passwords (the login throttle)", body = ErrorBody)))]
pub async fn change_password<S: Storage>(
    State(s): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(req): Body<PasswordChange>,
) -> Result<StatusCode, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let password = new_password(&req.new_password)?;
    if req.current_password.len() > MAX_PASSWORD {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_password",
            "the current password is too long",
        ));
    }
    let phc =
        s.storage.password_hash(caller.user).await?.ok_or_else(|| {
            Failure::new(StatusCode::UNAUTHORIZED, "unauthorized", "no such account")
        })?;
    // Guessing the current password here is guessing a login: the same
    // throttle, reserved before hashing.
    let key = format!("user:{}", caller.user);
    let address = crate::http::client_address(&s, peer, &headers);
    let reserved = Instant::now();
    if let Err(wait) = s.logins.reserve(&key, address, reserved) {
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "too many wrong passwords; try again in {} s",
                wait.as_secs().max(1)
            ),
        ));
    }
    let current = req.current_password;
    let right = hashing(&s, move || auth::verify_password(&current, &phc)).await?;
    if !right {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "wrong_password",
            "the current password is wrong",
        ));
    }
    s.logins.succeeded(&key, address, reserved);
    let phc = hash(&s, password).await?;
    let ended = s
        .storage
        .set_password(caller.user, phc, Some(caller.device), now())
        .await?;
    tracing::info!(user = %caller.user, sessions_ended = ended.len(), "password changed");
    cut(&s, ended);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/members/{user}/password-reset", tag = "members", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id"), ("user" = Uuid, Path, description = "the member")),
    responses((status = 201, description = "a one-time code that sets a new password (POST /api/v1/auth/password-reset)", body = ResetCode),
        (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 403, description = "the caller is not an admin here, or not of every clinic of this account", body = ErrorBody),
        (status = 404, description = "no such organisation or member for this caller", body = ErrorBody)))]
pub async fn issue_reset<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, user)): Path<(String, String)>,
) -> Result<(StatusCode, Json<ResetCode>), Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    // Whoever sets a member's password can act as them: only an admin,
    // who may grant any role, issues a reset (a gerente would read charts
    // through a clínico's account).
    if role != Role::Admin {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("role {role} may not reset passwords: only an admin does"),
        ));
    }
    let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such member");
    let user = Uuid::parse_str(&user).map_err(|_| not_found())?;
    if s.storage.role(user, org).await?.is_none() {
        return Err(not_found());
    }
    manages_every_clinic_of(&s, caller, user, "account", |r| r == Role::Admin).await?;
    let code = auth::new_token().map_err(|_| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "no randomness",
        )
    })?;
    let (at, expires_at) = (now(), now() + RESET_VALID_SECS);
    s.storage
        .create_password_reset(auth::token_hash(&code), user, caller.user, at, expires_at)
        .await?;
    tracing::info!(%org, %user, by = %caller.user, "password reset code issued");
    Ok((
        StatusCode::CREATED,
        Json(ResetCode {
            reset_code: code,
            expires_at,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = PasswordReset,
    responses((status = 204, description = "the new password is set; every session of the account ended"),
        (status = 400, description = "the new password is too short or too long", body = ErrorBody),
        (status = 401, description = "the code is unknown, used or expired", body = ErrorBody)))]
pub async fn reset_password<S: Storage>(
    State(s): State<AppState<S>>,
    Body(req): Body<PasswordReset>,
) -> Result<StatusCode, Failure> {
    let password = new_password(&req.new_password)?;
    if req.reset_code.len() > 256 {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "unknown reset code",
        ));
    }
    let user = s
        .storage
        .take_password_reset(auth::token_hash(req.reset_code.trim()), now())
        .await?
        .ok_or_else(|| {
            Failure::new(
                StatusCode::UNAUTHORIZED,
                "invalid_code",
                "the reset code is unknown, used or expired",
            )
        })?;
    let phc = hash(&s, password).await?;
    let ended = s.storage.set_password(user, phc, None, now()).await?;
    tracing::info!(%user, sessions_ended = ended.len(), "password reset");
    cut(&s, ended);
    Ok(StatusCode::NO_CONTENT)
}
