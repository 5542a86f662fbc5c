//! The HTTP surface: `/healthz`, `/metrics`, `/api/v1/auth/*`,
//! `/api/v1/devices/*` and the sync protocol under `/sync/v1/{org}/*`
//! (docs/SYNC.md). Every error is JSON `{"error": {"code", "message"}}`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arcada_core::documents::{self, DocClass};
use arcada_core::roles::{self, Role};
use arcada_core::sync::{
    self as protocol, ApiError, DocResult, ErrorBody, LoginRequest, Membership, PullRequest,
    PullResponse, PulledChange, PushRequest, PushResponse, RefreshRequest, TokenPair,
};
use automerge::Change;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use uuid::Uuid;

use crate::auth;
use crate::storage::{DocPush, SqliteStorage, StorageError};

/// Largest request body: a push of [`protocol::MAX_BATCH`] changes.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Metrics {
    pub logins: AtomicU64,
    pub login_failures: AtomicU64,
    pub pushes: AtomicU64,
    pub changes_stored: AtomicU64,
    pub documents_refused: AtomicU64,
    pub pulls: AtomicU64,
    pub unauthorized: AtomicU64,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Arc<SqliteStorage>,
    pub metrics: Arc<Metrics>,
}

/// An error answered to a client.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    error: ApiError,
}

impl Failure {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            error: ApiError {
                code: code.into(),
                message: message.into(),
            },
        }
    }

    fn unauthorized(message: &str) -> Failure {
        Failure::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Failure {
        tracing::error!(error = %e, "storage failure");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.error })).into_response()
    }
}

type Reply<T> = Result<Json<T>, Failure>;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs a blocking storage call off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/devices/{device}/revoke", post(revoke_device))
        .route("/sync/v1/{org}/push", post(push))
        .route("/sync/v1/{org}/pull", post(pull))
        .fallback(|| async { Failure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn metrics(State(s): State<AppState>) -> Result<String, Failure> {
    let storage = s.storage.clone();
    let (orgs, docs, seq) = blocking(move || Ok(storage.counts()?)).await?;
    let m = &s.metrics;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Ok(format!(
        "# TYPE arcada_organizations gauge\narcada_organizations {orgs}\n\
         # TYPE arcada_documents gauge\narcada_documents {docs}\n\
         # TYPE arcada_change_log_seq gauge\narcada_change_log_seq {seq}\n\
         # TYPE arcada_logins_total counter\narcada_logins_total {}\n\
         # TYPE arcada_login_failures_total counter\narcada_login_failures_total {}\n\
         # TYPE arcada_pushes_total counter\narcada_pushes_total {}\n\
         # TYPE arcada_changes_stored_total counter\narcada_changes_stored_total {}\n\
         # TYPE arcada_documents_refused_total counter\narcada_documents_refused_total {}\n\
         # TYPE arcada_pulls_total counter\narcada_pulls_total {}\n\
         # TYPE arcada_unauthorized_total counter\narcada_unauthorized_total {}\n",
        load(&m.logins),
        load(&m.login_failures),
        load(&m.pushes),
        load(&m.changes_stored),
        load(&m.documents_refused),
        load(&m.pulls),
        load(&m.unauthorized),
    ))
}

/// Issues an access + refresh pair for a device, in token family `family`.
fn issue(
    storage: &SqliteStorage,
    user: Uuid,
    device: Uuid,
    family: &str,
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
    storage.store_token(
        &auth::token_hash(&access),
        "access",
        device,
        user,
        family,
        t + auth::ACCESS_TTL_SECS,
    )?;
    storage.store_token(
        &auth::token_hash(&refresh),
        "refresh",
        device,
        user,
        family,
        t + auth::REFRESH_TTL_SECS,
    )?;
    let organizations = storage
        .memberships(user)?
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
        device_id: device,
        organizations,
    })
}

async fn login(State(s): State<AppState>, Json(req): Json<LoginRequest>) -> Reply<TokenPair> {
    let email = req.email.trim().to_lowercase();
    let device_name = req.device_name.trim().to_string();
    if device_name.is_empty() || device_name.chars().count() > 200 {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_device_name",
            "device_name must have 1 to 200 characters",
        ));
    }
    let storage = s.storage.clone();
    let metrics = s.metrics.clone();
    blocking(move || {
        let user = match storage.user_by_email(&email)? {
            Some((user, phc)) if auth::verify_password(&req.password, &phc) => Some(user),
            Some(_) => None,
            None => {
                // Same work as a wrong password: timing tells nothing.
                auth::dummy_verify(&req.password);
                None
            }
        };
        let Some(user) = user else {
            metrics.login_failures.fetch_add(1, Ordering::Relaxed);
            return Err(Failure::unauthorized("wrong e-mail or password"));
        };
        let device = storage.create_device(user, &device_name, now())?;
        metrics.logins.fetch_add(1, Ordering::Relaxed);
        issue(&storage, user, device, &Uuid::now_v7().to_string()).map(Json)
    })
    .await
}

async fn refresh(State(s): State<AppState>, Json(req): Json<RefreshRequest>) -> Reply<TokenPair> {
    let storage = s.storage.clone();
    blocking(move || {
        let hash = auth::token_hash(&req.refresh_token);
        let Some(row) = storage.token(&hash, "refresh")? else {
            return Err(Failure::unauthorized("unknown refresh token"));
        };
        if row.revoked || row.device_revoked || row.expires_at <= now() {
            return Err(Failure::unauthorized("refresh token expired or revoked"));
        }
        if row.used_at.is_some() || !storage.spend_token(&hash, now())? {
            // Someone holds a copy of a spent token: end the whole session.
            tracing::warn!(device = %row.device_id, "refresh token reused; revoking its family");
            storage.revoke_family(&row.family, now())?;
            return Err(Failure::unauthorized(
                "refresh token reused; the session is revoked",
            ));
        }
        issue(&storage, row.user_id, row.device_id, &row.family).map(Json)
    })
    .await
}

/// The caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone, Copy)]
struct Caller {
    user: Uuid,
    device: Uuid,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn authenticate(
    storage: &SqliteStorage,
    metrics: &Metrics,
    token: Option<String>,
) -> Result<(Caller, String), Failure> {
    let deny = |m: &str| {
        metrics.unauthorized.fetch_add(1, Ordering::Relaxed);
        Failure::unauthorized(m)
    };
    let token = token.ok_or_else(|| deny("missing bearer token"))?;
    let row = storage
        .token(&auth::token_hash(&token), "access")?
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
        },
        row.family,
    ))
}

async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Result<StatusCode, Failure> {
    let token = bearer(&headers).map(String::from);
    blocking(move || {
        let (_, family) = authenticate(&s.storage, &s.metrics, token)?;
        s.storage.revoke_family(&family, now())?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// A user revokes one of their own devices; an admin or gerente of an
/// organisation the owner belongs to may revoke it too.
async fn revoke_device(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(device): Path<String>,
) -> Result<StatusCode, Failure> {
    let token = bearer(&headers).map(String::from);
    blocking(move || {
        let (caller, _) = authenticate(&s.storage, &s.metrics, token)?;
        let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such device");
        let device = Uuid::parse_str(&device).map_err(|_| not_found())?;
        let owner = s.storage.device_owner(device)?.ok_or_else(not_found)?;
        let allowed = owner == caller.user
            || s.storage.memberships(owner)?.iter().any(|m| {
                matches!(
                    s.storage.role(caller.user, m.org_id),
                    Ok(Some(Role::Admin | Role::Gerente))
                )
            });
        if !allowed {
            return Err(not_found());
        }
        s.storage.revoke_device(device, now())?;
        tracing::info!(%device, by = %caller.user, "device revoked");
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// The caller's role in `org`. Not a member and no such organisation give
/// the same answer, so ids of other tenants reveal nothing.
fn role_in(storage: &SqliteStorage, caller: Caller, org: &str) -> Result<(Uuid, Role), Failure> {
    let not_found = || Failure::new(StatusCode::NOT_FOUND, "not_found", "no such organisation");
    let org = Uuid::parse_str(org).map_err(|_| not_found())?;
    let role = storage.role(caller.user, org)?.ok_or_else(not_found)?;
    Ok((org, role))
}

async fn push(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Json(req): Json<PushRequest>,
) -> Reply<PushResponse> {
    let token = bearer(&headers).map(String::from);
    blocking(move || {
        let (caller, _) = authenticate(&s.storage, &s.metrics, token)?;
        let (org, role) = role_in(&s.storage, caller, &org)?;
        if req.changes.len() > protocol::MAX_BATCH {
            return Err(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                format!(
                    "at most {} changes per push, got {}",
                    protocol::MAX_BATCH,
                    req.changes.len()
                ),
            ));
        }
        s.metrics.pushes.fetch_add(1, Ordering::Relaxed);
        let (accepted, mut results) = check_push(&s.storage, org, role, req)?;
        let stored = s.storage.append(org, caller.device, &accepted, now())?;
        for (doc, n) in accepted.iter().zip(stored) {
            s.metrics
                .changes_stored
                .fetch_add(n as u64, Ordering::Relaxed);
            results.push(DocResult {
                doc: doc.doc,
                accepted: true,
                stored: n,
                error: None,
            });
        }
        results.sort_by_key(|r| r.doc);
        Ok(Json(PushResponse { documents: results }))
    })
    .await
}

/// Splits a push into the documents this role may write, with their class,
/// and per-document refusals. One bad document never fails the others.
fn check_push(
    storage: &SqliteStorage,
    org: Uuid,
    role: Role,
    req: PushRequest,
) -> Result<(Vec<DocPush>, Vec<DocResult>), Failure> {
    let mut by_doc: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for c in req.changes {
        by_doc.entry(c.doc).or_default().push(c.bytes);
    }
    let ids: Vec<Uuid> = by_doc.keys().copied().collect();
    let known: BTreeMap<Uuid, DocClass> = storage.classes(org, &ids)?.into_iter().collect();
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (doc, encoded) in by_doc {
        let refuse = |code: &str, message: String| DocResult {
            doc,
            accepted: false,
            stored: 0,
            error: Some(ApiError {
                code: code.into(),
                message,
            }),
        };
        let mut changes = Vec::with_capacity(encoded.len());
        let mut bad = None;
        for (i, text) in encoded.iter().enumerate() {
            match protocol::decode(text)
                .ok()
                .and_then(|b| Change::from_bytes(b).ok())
            {
                Some(c) => changes.push(c),
                None => {
                    bad = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = bad {
            refused.push(refuse(
                "bad_change",
                format!("change {i} of document {doc} is not a valid Automerge change"),
            ));
            continue;
        }
        let class = match known.get(&doc) {
            Some(c) => *c,
            None => {
                // First sight: the document's own declaration decides, and a
                // document that declares nothing is judged most restricted.
                let mut probe = automerge::Automerge::new();
                let declared = probe
                    .apply_changes(changes.clone())
                    .ok()
                    .and_then(|()| documents::declared_class(&probe));
                roles::class_or_most_restricted(declared)
            }
        };
        if !role.can_write(class) {
            refused.push(refuse(
                "forbidden_class",
                format!("role {role} may not write {class} documents"),
            ));
            continue;
        }
        let changes = changes
            .iter()
            .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
            .collect();
        accepted.push(DocPush {
            doc,
            class,
            changes,
        });
    }
    if !refused.is_empty() {
        tracing::info!(%org, %role, refused = refused.len(), "push: documents refused");
    }
    Ok((accepted, refused))
}

async fn pull(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Json(req): Json<PullRequest>,
) -> Reply<PullResponse> {
    let token = bearer(&headers).map(String::from);
    blocking(move || {
        let (caller, _) = authenticate(&s.storage, &s.metrics, token)?;
        let (org, role) = role_in(&s.storage, caller, &org)?;
        if req.after < 0 {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "after must be 0 or a cursor the server returned",
            ));
        }
        let limit = req.limit.clamp(1, protocol::MAX_BATCH);
        s.metrics.pulls.fetch_add(1, Ordering::Relaxed);
        let (rows, cursor, more) = s.storage.pull(org, req.after, limit, &role.readable())?;
        let changes = rows
            .into_iter()
            .map(|r| PulledChange {
                seq: r.seq,
                doc: r.doc,
                class: r.class,
                bytes: protocol::encode(&r.bytes),
            })
            .collect();
        Ok(Json(PullResponse {
            changes,
            cursor,
            more,
        }))
    })
    .await
}
