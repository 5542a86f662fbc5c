//! An organisation's members: listing, adding (or inviting), changing
//! roles and removing, under the roles matrix.

use arcada_core::accounts::AccountError;
use arcada_core::protocol::ErrorBody;
use arcada_core::roles::Role;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use uuid::Uuid;

use super::{authenticate, hashing, now, role_in, AppState, Body, Failure, Reply};
use crate::auth;
use crate::live::Event;
use crate::storage::{MemberRow, Storage, StorageError};

/// Whether `role` may give `granted` to a member (or itself): managers
/// only, and never a role that reads what the manager's own cannot.
pub(crate) fn may_grant(role: Role, granted: Role) -> Result<(), Failure> {
    require_manager(role, granted == Role::Admin)?;
    if role.may_grant(granted) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            format!("role {role} may not grant {granted}: it reads documents {role} may not read"),
        ))
    }
}

/// Managing members is for admins and gerentes; only an admin touches admins.
fn require_manager(role: Role, touches_admin: bool) -> Result<(), Failure> {
    match role {
        Role::Admin => Ok(()),
        Role::Gerente if !touches_admin => Ok(()),
        Role::Gerente => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an admin grants, changes or removes the admin role",
        )),
        _ => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("role {role} may not manage members"),
        )),
    }
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/members", tag = "members", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")),
    responses((status = 200, body = [MemberRow]), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody)))]
pub(super) async fn members<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Reply<Vec<MemberRow>> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    require_manager(role, false)?;
    Ok(Json(s.storage.members(org).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewMember {
    pub email: String,
    pub role: Role,
    /// Initial password, required when the e-mail has no account yet.
    pub password: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RoleChange {
    pub role: Role,
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/members", tag = "members", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = NewMember,
    responses((status = 201, description = "a new account made a member with the password given"), (status = 202, description = "an existing account invited: it joins when it accepts (POST /api/v1/invitations/{org}/accept)"), (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody), (status = 409, description = "already a member", body = ErrorBody)))]
pub(super) async fn add_member<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<NewMember>,
) -> Result<(StatusCode, Json<serde_json::Value>), Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    may_grant(role, req.role)?;
    let email = arcada_core::accounts::email(&req.email)
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, "invalid_email", e.to_string()))?;
    // An existing account joins only by accepting an invitation (it may
    // belong to another clinic, and keeps its password); a new one is
    // made with the password given.
    let phc = match s.storage.user_by_email(email.clone()).await? {
        Some((user, _)) => {
            if s.storage.role(user, org).await?.is_some() {
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    "already_member",
                    format!("{email} is already a member"),
                ));
            }
            s.storage
                .invite(org, user, req.role, caller.user, now())
                .await?;
            tracing::info!(%org, %user, role = %req.role, by = %caller.user, "existing account invited");
            return Ok((
                StatusCode::ACCEPTED,
                Json(serde_json::json!({
                    "user_id": user,
                    "role": req.role.as_str(),
                    "invited": true,
                })),
            ));
        }
        None => {
            let password = req
                .password
                .filter(|p| arcada_core::accounts::new_password(p).is_ok())
                .ok_or_else(|| {
                    Failure::new(
                        StatusCode::BAD_REQUEST,
                        "password_required",
                        format!("a new account needs a password: {}", AccountError::Password),
                    )
                })?;
            hashing(&s, move || auth::hash_password(&password))
                .await?
                .map_err(|e| {
                    Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                })?
        }
    };
    let user = match s.storage.add_member(org, email, phc, req.role, now()).await {
        Ok(user) => user,
        Err(StorageError::Exists(what)) => {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "already_member",
                format!("{what} already exists"),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(%org, %user, role = %req.role, by = %caller.user, "member added");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "user_id": user, "role": req.role.as_str() })),
    ))
}

/// The target member, checking the caller may touch them and that the
/// organisation keeps an admin after the change.
pub(super) async fn check_member_change<S: Storage>(
    s: &AppState<S>,
    org: Uuid,
    caller_role: Role,
    user: &str,
    new_role: Option<Role>,
) -> Result<Uuid, Failure> {
    let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such member");
    let user = Uuid::parse_str(user).map_err(|_| not_found())?;
    let current = s.storage.role(user, org).await?.ok_or_else(not_found)?;
    require_manager(
        caller_role,
        current == Role::Admin || new_role == Some(Role::Admin),
    )?;
    if let Some(granted) = new_role {
        may_grant(caller_role, granted)?;
    }
    if current == Role::Admin && new_role != Some(Role::Admin) {
        let admins = s
            .storage
            .members(org)
            .await?
            .iter()
            .filter(|m| m.role == Role::Admin)
            .count();
        if admins <= 1 {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "last_admin",
                "an organisation keeps at least one admin",
            ));
        }
    }
    Ok(user)
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/members/{user}", tag = "members", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id"), ("user" = Uuid, Path, description = "user id")), request_body = RoleChange,
    responses((status = 204, description = "role changed; live sessions are told"), (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody),
        (status = 409, description = "the organisation would have no admin", body = ErrorBody)))]
pub(super) async fn set_role<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, user)): Path<(String, String)>,
    Body(req): Body<RoleChange>,
) -> Result<StatusCode, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    let user = check_member_change(&s, org, role, &user, Some(req.role)).await?;
    s.storage.set_role(org, user, req.role).await?;
    s.hub.publish(Event::RoleChanged {
        org,
        user,
        role: Some(req.role),
    });
    tracing::info!(%org, %user, role = %req.role, by = %caller.user, "role changed");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}", tag = "members", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id"), ("user" = Uuid, Path, description = "user id")),
    responses((status = 204, description = "removed; live sessions are closed"), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody),
        (status = 409, description = "the organisation would have no admin", body = ErrorBody)))]
pub(super) async fn remove_member<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path((org, user)): Path<(String, String)>,
) -> Result<StatusCode, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    let user = check_member_change(&s, org, role, &user, None).await?;
    s.storage.remove_member(org, user).await?;
    s.hub.publish(Event::RoleChanged {
        org,
        user,
        role: None,
    });
    tracing::info!(%org, %user, by = %caller.user, "member removed");
    Ok(StatusCode::NO_CONTENT)
}
