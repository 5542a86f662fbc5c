//! The server's part in note signatures ([`arcada_core::signing`]): it
//! holds an Ed25519 key of its own, stored once in the database so every
//! instance attests with the same one, and publishes a member's public key
//! in the organisation's directory with its attestation. Only it may add
//! keys there: a pushed change that adds one it did not attest is refused.

use std::sync::Arc;

use arcada_core::documents::{self, Attribution, Directory, DocClass, SigningKey};
use arcada_core::signing::{self, AttestedKey, NewSigningKey, ServerKeyBody};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use ring::signature::{Ed25519KeyPair, KeyPair};

use arcada_core::sync::ErrorBody;

use crate::http::{authenticate, role_in, AppState, Body, Failure};
use crate::storage::{Storage, StorageError};
use crate::whatsapp::peer::{PeerError, SERVER_DEVICE};

/// Keys one member may have published in an organisation: one per
/// workstation they sign on, with room for replaced machines. Bounds the
/// directory every workstation loads first.
pub const MAX_KEYS_PER_MEMBER: usize = 32;

/// The server's attestation key.
#[derive(Debug, Clone)]
pub struct ServerKey {
    pair: Arc<Ed25519KeyPair>,
    /// Its public half, as workstations pin it.
    pub public: [u8; 32],
}

impl ServerKey {
    /// The key stored in the database, made by the first instance that
    /// needs it.
    pub async fn load<S: Storage>(storage: &S) -> Result<ServerKey, StorageError> {
        let fresh = signing::new_key_pair().map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let pkcs8 = storage
            .server_key("attestation", fresh, chrono::Utc::now().timestamp())
            .await?;
        ServerKey::from_pkcs8(&pkcs8)
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<ServerKey, StorageError> {
        let pair = signing::key_pair(pkcs8)
            .map_err(|e| StorageError::Corrupt(format!("the server's attestation key: {e}")))?;
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        Ok(ServerKey {
            pair: Arc::new(pair),
            public,
        })
    }
}

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
    let user = caller.user;
    let dir_id = documents::directory_id(org);
    let dir: Directory = s
        .peer
        .read(org, dir_id, DocClass::Directory)
        .await
        .map_err(peer_failure)?
        .ok_or_else(|| {
            Failure::new(
                StatusCode::CONFLICT,
                "no_directory",
                "the organisation has no directory yet",
            )
        })?;
    let keys = dir.signing_keys.unwrap_or_default();
    if let Some(known) = keys.get(&req.key_id) {
        return if known.user_id == user.to_string() {
            Ok(Json(answer(req.key_id, known.clone())))
        } else {
            Err(taken())
        };
    }
    if keys
        .values()
        .filter(|k| k.user_id == user.to_string())
        .count()
        >= MAX_KEYS_PER_MEMBER
    {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "too_many_keys",
            format!("a member may publish at most {MAX_KEYS_PER_MEMBER} signing keys"),
        ));
    }
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (id, key) = signing::attest(&s.server_key.pair, org, user, &public_key, &at);
    let written = key.clone();
    let key_id = id.clone();
    s.peer
        .write(
            org,
            dir_id,
            DocClass::Directory,
            None::<Directory>,
            move |doc, _| {
                let by = Attribution {
                    user: "arcada-server".into(),
                    device: SERVER_DEVICE.to_string(),
                    op: "signing.key.attest".into(),
                };
                documents::change(doc, &by, chrono::Utc::now().timestamp(), |tx| {
                    documents::put_entry(tx, "signing_keys", &key_id, &written)
                })
                .map_err(|e| PeerError::Document(dir_id, e.to_string()))
            },
        )
        .await
        .map_err(peer_failure)?;
    tracing::info!(%org, %user, key = %id, %role, "signing key attested");
    Ok(Json(answer(id, key)))
}

fn taken() -> Failure {
    Failure::new(
        StatusCode::CONFLICT,
        "key_taken",
        "this key is published for another member",
    )
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
