//! Who is asking: the bearer token's device and user, their address,
//! and their role in the organisation a path names.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;

use arcada_core::roles::Role;
use axum::http::{HeaderMap, StatusCode};
use uuid::Uuid;

use super::{now, AppState, Failure};
use crate::auth;
use crate::storage::Storage;

/// The client's address: the connection's, unless it comes from a
/// trusted reverse proxy, whose `X-Forwarded-For` then names it (the
/// rightmost entry that is not itself a trusted proxy: what a client
/// writes at the left is not believed).
pub(crate) fn client_address<S>(s: &AppState<S>, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let trusted = &s.trusted_proxies;
    if !trusted.contains(&peer.ip()) {
        return peer.ip();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    forwarded
        .iter()
        .rev()
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer.ip())
}

/// The caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) user: Uuid,
    pub(crate) device: Uuid,
    /// When the access token presented expires (Unix seconds).
    pub(crate) expires_at: i64,
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub(crate) async fn authenticate<S: Storage>(
    s: &AppState<S>,
    headers: &HeaderMap,
) -> Result<(Caller, String), Failure> {
    let deny = |m: &str| {
        s.metrics.unauthorized.fetch_add(1, Ordering::Relaxed);
        Failure::unauthorized(m)
    };
    let token = bearer(headers).ok_or_else(|| deny("missing bearer token"))?;
    let row = s
        .storage
        .token(auth::token_hash(token), "access")
        .await?
        .ok_or_else(|| deny("unknown access token"))?;
    if row.revoked || row.device_revoked {
        return Err(deny("access token revoked"));
    }
    if row.expires_at <= now() {
        return Err(deny("access token expired"));
    }
    Ok((
        Caller {
            user: row.user_id,
            device: row.device_id,
            expires_at: row.expires_at,
        },
        row.family,
    ))
}

/// Whether the caller holds a role that `may` in every clinic `member`
/// belongs to: what touching their account as a whole (a device, the
/// password) takes, since the account serves all of them. Sharing none
/// is 404 `not_found` (`what` names the thing asked for), sharing some
/// 403.
pub(crate) async fn manages_every_clinic_of<S: Storage>(
    s: &AppState<S>,
    caller: Caller,
    member: Uuid,
    what: &str,
    may: fn(Role) -> bool,
) -> Result<(), Failure> {
    let theirs = s.storage.memberships(member).await?;
    let mut manages_all = !theirs.is_empty();
    let mut shares_one = false;
    for m in &theirs {
        match s.storage.role(caller.user, m.org_id).await? {
            Some(role) if may(role) => shares_one = true,
            Some(_) => {
                shares_one = true;
                manages_all = false;
            }
            None => manages_all = false,
        }
    }
    if !shares_one {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        ));
    }
    if !manages_all {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this {what} also serves clinics you do not manage; remove the member from yours instead"
            ),
        ));
    }
    Ok(())
}

/// The caller's role in `org`. Not a member and no such organisation give
/// the same answer, so ids of other tenants reveal nothing.
pub(crate) async fn role_in<S: Storage>(
    storage: &S,
    caller: Caller,
    org: &str,
) -> Result<(Uuid, Role), Failure> {
    let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such organisation");
    let org = Uuid::parse_str(org).map_err(|_| not_found())?;
    let role = storage
        .role(caller.user, org)
        .await?
        .ok_or_else(not_found)?;
    Ok((org, role))
}
