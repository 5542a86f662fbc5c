//! Signing keys over HTTP: the server's public key, and members
//! publishing theirs ([`crate::signing`]).

use arcada_core::documents::{DocClass, SigningKey};
use arcada_core::protocol::ErrorBody;
use arcada_core::signing::{self, AttestedKey, NewSigningKey, ServerKeyBody};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::{authenticate, role_in, AppState, Body, Failure};
use crate::signing::PublishError;
use crate::storage::Storage;
use crate::whatsapp::peer::PeerError;

#[utoipa::path(get, path = "/api/v1/server-key", tag = "signatures",
    responses((status = 200, description = "the key with which this server attests members' signing keys", body = ServerKeyBody)))]
pub async fn server_key<S: Storage>(State(s): State<AppState<S>>) -> Json<ServerKeyBody> {
    Json(ServerKeyBody {
        public_key: hex::encode(s.server_key.public),
    })
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/signing-keys", tag = "signatures", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = NewSigningKey,
    responses((status = 200, description = "the key is in the directory, attested (again: the same answer)", body = AttestedKey),
        (status = 400, description = "not an Ed25519 key, or the id does not match it", body = ErrorBody),
        (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 403, description = "the caller's role does not sign chart notes", body = ErrorBody),
        (status = 404, description = "no such organisation for this caller", body = ErrorBody),
        (status = 409, description = "the key belongs to someone else, too many keys, or the organisation has no directory yet", body = ErrorBody)))]
pub async fn register<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<NewSigningKey>,
) -> Result<Json<AttestedKey>, Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    if !role.can_write(DocClass::Chart) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            format!("role {role} does not sign chart notes"),
        ));
    }
    let public_key = signing::parse_public_key(&req.public_key, &req.key_id)
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, "invalid_key", e.to_string()))?;
    let answer = |id: String, key: SigningKey| AttestedKey {
        key_id: id,
        user_id: key.user_id,
        public_key: key.public_key,
        attested_at: key.attested_at,
        attestation: key.attestation,
        server_key: hex::encode(s.server_key.public),
    };
    let (id, key) = s
        .server_key
        .publish(&s.peer, org, caller.user, req.key_id, &public_key)
        .await
        .map_err(|e| match e {
            PublishError::Peer(e) => peer_failure(e),
            PublishError::NoDirectory => {
                Failure::new(StatusCode::CONFLICT, "no_directory", e.to_string())
            }
            PublishError::Taken => Failure::new(StatusCode::CONFLICT, "key_taken", e.to_string()),
            PublishError::TooMany => {
                Failure::new(StatusCode::CONFLICT, "too_many_keys", e.to_string())
            }
        })?;
    tracing::info!(%org, user = %caller.user, key = %id, %role, "signing key attested");
    Ok(Json(answer(id, key)))
}

fn peer_failure(e: PeerError) -> Failure {
    match e {
        PeerError::Storage(e) => e.into(),
        other => Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            other.to_string(),
        ),
    }
}
