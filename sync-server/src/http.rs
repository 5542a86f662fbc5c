//! The HTTP surface: `/healthz`, `/metrics`, `/api/v1/auth/*`,
//! `/api/v1/devices/*` and the sync protocol under `/sync/v1/{org}/*`
//! (docs/SYNC.md). Every error is JSON `{"error": {"code", "message"}}`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use arcada_core::sync::{
    self as protocol, ApiError, DocResult, ErrorBody, LoginRequest, Membership, PullRequest,
    PullResponse, PulledChange, PushRequest, PushResponse, RefreshRequest, SnapshotDoc,
    SnapshotRequest, SnapshotResponse, TokenPair,
};
use automerge::Change;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use utoipa::OpenApi as _;
use uuid::Uuid;

use crate::admission;
use crate::auth;
use crate::config::Limits;
use crate::limits::LoginThrottle;
use crate::live::{self, Event, Hub};
use crate::replicas::{Replica, Replicas};
use crate::storage::{DeviceRow, DocPush, MemberRow, NewToken, Storage, StorageError};
use crate::whatsapp::crypto::TokenKey;
use crate::whatsapp::numbers;
use crate::whatsapp::store::NumberRow;

/// Largest request body: a push of [`protocol::MAX_BATCH`] changes.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Metrics {
    pub logins: AtomicU64,
    pub login_failures: AtomicU64,
    pub pushes: AtomicU64,
    pub changes_stored: AtomicU64,
    pub documents_refused: AtomicU64,
    pub changes_refused: AtomicU64,
    pub pulls: AtomicU64,
    pub snapshots: AtomicU64,
    pub unauthorized: AtomicU64,
}

#[derive(Debug)]
pub struct AppState<S> {
    pub storage: Arc<S>,
    pub metrics: Arc<Metrics>,
    pub logins: Arc<LoginThrottle>,
    pub hub: Arc<Hub>,
    pub limits: Limits,
    pub hashers: auth::HashPool,
    /// The WhatsApp webhook, when the platform's secrets are configured.
    pub whatsapp: Option<Arc<crate::whatsapp::webhook::Webhook>>,
    /// The server's copies of documents, for push validation and the
    /// WhatsApp peer.
    pub replicas: Arc<Replicas>,
    /// Pushes being judged at once.
    pub judging: Arc<tokio::sync::Semaphore>,
    /// The hash of the token that opens `/metrics` to other hosts.
    pub metrics_token: Option<Arc<Vec<u8>>>,
    /// The key with which the server attests members' signing keys.
    pub server_key: crate::signing::ServerKey,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<IpAddr>>,
    /// The server writing documents itself (signing keys into directories).
    pub peer: Arc<crate::whatsapp::peer::Peer<S>>,
}

impl<S: Storage> AppState<S> {
    pub fn new(storage: S, limits: Limits, server_key: crate::signing::ServerKey) -> AppState<S> {
        let storage = Arc::new(storage);
        let hub: Arc<Hub> = Arc::default();
        let replicas: Arc<Replicas> = Arc::default();
        AppState {
            peer: Arc::new(crate::whatsapp::peer::Peer::new(
                storage.clone(),
                hub.clone(),
                replicas.clone(),
            )),
            storage,
            metrics: Arc::default(),
            logins: Arc::new(LoginThrottle::new(limits.login)),
            hub,
            limits,
            hashers: auth::HashPool::per_core(),
            whatsapp: None,
            replicas,
            server_key,
            trusted_proxies: Arc::default(),
            judging: Arc::new(tokio::sync::Semaphore::new(
                2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            metrics_token: None,
        }
    }
}

impl<S: Storage> AppState<S> {
    /// Serves `/webhooks/whatsapp`: starts the inbox writer and processor.
    pub fn with_whatsapp(mut self, config: &crate::whatsapp::WhatsAppConfig) -> AppState<S> {
        self.whatsapp = Some(crate::whatsapp::webhook::start(
            self.storage.clone(),
            self.hub.clone(),
            self.replicas.clone(),
            config,
        ));
        self
    }
}

// Not derived: a derive would demand `S: Clone`, and only the Arcs are cloned.
impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            storage: self.storage.clone(),
            metrics: self.metrics.clone(),
            logins: self.logins.clone(),
            hub: self.hub.clone(),
            limits: self.limits,
            hashers: self.hashers.clone(),
            whatsapp: self.whatsapp.clone(),
            replicas: self.replicas.clone(),
            judging: self.judging.clone(),
            metrics_token: self.metrics_token.clone(),
            server_key: self.server_key.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            peer: self.peer.clone(),
        }
    }
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

    /// A failure that is the server's: logged here, never detailed to the peer.
    fn internal(detail: String) -> Failure {
        tracing::error!(%detail, "internal failure");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request",
        )
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

/// A JSON request body whose rejections are JSON errors too: a malformed
/// frame gets `400 bad_request` (or `413 too_large`) with a precise message,
/// like every other error of this API.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T, St> axum::extract::FromRequest<St> for Body<T>
where
    T: serde::de::DeserializeOwned,
    St: Send + Sync,
{
    type Rejection = Failure;

    async fn from_request(req: axum::extract::Request, state: &St) -> Result<Self, Failure> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(Failure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("request bodies are limited to {MAX_BODY} bytes"),
                ))
            }
            Err(e) => {
                tracing::debug!(error = %e.body_text(), "malformed request");
                Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    e.body_text(),
                ))
            }
        }
    }
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs password hashing on the fixed Argon2 pool.
pub(crate) async fn hashing<S, T: Send + 'static>(
    s: &AppState<S>,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    s.hashers.run(f).await.ok_or_else(|| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "password hashing is unavailable",
        )
    })
}

/// Runs CPU-heavy work (decoding a batch) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

pub fn router<S: Storage>(state: AppState<S>) -> Router {
    let mut router = Router::new();
    if state.whatsapp.is_some() {
        use crate::whatsapp::{webhook, MAX_BODY as WA_MAX_BODY};
        router = router.route(
            "/webhooks/whatsapp",
            get(webhook::verify::<S>)
                .post(webhook::receive::<S>)
                .layer(DefaultBodyLimit::max(WA_MAX_BODY)),
        );
    }
    router
        .route("/healthz", get(healthz))
        .route(
            "/api/v1/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }),
        )
        .route("/metrics", get(metrics::<S>))
        .route("/api/v1/auth/login", post(login::<S>))
        .route("/api/v1/auth/refresh", post(refresh::<S>))
        .route("/api/v1/auth/logout", post(logout::<S>))
        .route("/api/v1/devices/{device}/revoke", post(revoke_device::<S>))
        .route("/sync/v1/{org}/push", post(push::<S>))
        .route("/sync/v1/{org}/pull", post(pull::<S>))
        .route("/sync/v1/{org}/snapshot", post(snapshot::<S>))
        .route("/sync/v1/{org}/live", get(live_session::<S>))
        .route("/api/v1/devices", get(devices::<S>))
        .route("/api/v1/server-key", get(crate::signing::server_key::<S>))
        .route(
            "/api/v1/auth/password",
            post(crate::accounts::change_password::<S>),
        )
        .route(
            "/api/v1/auth/password-reset",
            post(crate::accounts::reset_password::<S>),
        )
        .route(
            "/api/v1/invitations",
            get(crate::accounts::invitations::<S>),
        )
        .route(
            "/api/v1/invitations/{org}/{answer}",
            post(crate::accounts::answer::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/members/{user}/password-reset",
            post(crate::accounts::issue_reset::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/signing-keys",
            post(crate::signing::register::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/members",
            get(members::<S>).post(add_member::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/members/{user}",
            put(set_role::<S>).delete(remove_member::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/whatsapp/numbers",
            get(wa_numbers::<S>).post(wa_add_number::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/whatsapp/numbers/{phone_number_id}",
            put(wa_update_number::<S>).delete(wa_remove_number::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/media/{sha256}",
            get(crate::whatsapp::media::wa_media::<S>),
        )
        .fallback(|| async { Failure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

#[utoipa::path(get, path = "/metrics", tag = "operations", security((), ("bearer" = [])),
    responses((status = 200, description = "Prometheus text", content_type = "text/plain"),
        (status = 404, description = "not from loopback and without the metrics token", body = ErrorBody)))]
async fn metrics<S: Storage>(
    State(s): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<String, Failure> {
    if !metrics_allowed(
        peer.ip(),
        &headers,
        s.metrics_token.as_deref().map(Vec::as_slice),
    ) {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such page",
        ));
    }
    let counts = s.storage.counts().await?;
    let m = &s.metrics;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Ok(format!(
        "# TYPE arcada_organizations gauge\narcada_organizations {}\n\
         # TYPE arcada_change_log_seq gauge\narcada_change_log_seq {}\n\
         # TYPE arcada_logins_total counter\narcada_logins_total {}\n\
         # TYPE arcada_login_failures_total counter\narcada_login_failures_total {}\n\
         # TYPE arcada_pushes_total counter\narcada_pushes_total {}\n\
         # TYPE arcada_changes_stored_total counter\narcada_changes_stored_total {}\n\
         # TYPE arcada_documents_refused_total counter\narcada_documents_refused_total {}\n\
         # TYPE arcada_changes_refused_total counter\narcada_changes_refused_total {}\n\
         # TYPE arcada_pulls_total counter\narcada_pulls_total {}\n\
         # TYPE arcada_snapshot_pages_total counter\narcada_snapshot_pages_total {}\n\
         # TYPE arcada_unauthorized_total counter\narcada_unauthorized_total {}\n",
        counts.organizations,
        counts.change_log_seq,
        load(&m.logins),
        load(&m.login_failures),
        load(&m.pushes),
        load(&m.changes_stored),
        load(&m.documents_refused),
        load(&m.changes_refused),
        load(&m.pulls),
        load(&m.snapshots),
        load(&m.unauthorized),
    ) + &s
        .whatsapp
        .as_ref()
        .map(|w| w.metrics.render())
        .unwrap_or_default())
}

/// Counters say how busy each part is: for the operator, not the internet.
/// Served to a loopback client that no proxy forwarded (a local scraper),
/// or to anyone with the configured token (its SHA-256 given here).
fn metrics_allowed(peer: IpAddr, headers: &HeaderMap, token_hash: Option<&[u8]>) -> bool {
    // Digests are compared, so timing says nothing about the token.
    let with_token = match (token_hash, bearer(headers)) {
        (Some(expected), Some(given)) => *expected == auth::token_hash(given),
        _ => false,
    };
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    with_token || (peer.is_loopback() && !forwarded)
}

/// Issues an access + refresh pair for a device, in token family `family`.
async fn issue<S: Storage>(
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
async fn login<S: Storage>(
    State(s): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(req): Body<LoginRequest>,
) -> Result<Json<TokenPair>, Response> {
    let address = client_address(&s, peer, &headers);
    login_checked(s, address, req).await
}

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

async fn login_checked<S: Storage>(
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

/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest password, in bytes.
pub const MAX_PASSWORD: usize = 1024;

async fn login_inner<S: Storage>(
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
async fn refresh<S: Storage>(
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

/// The caller, from `Authorization: Bearer <access token>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) user: Uuid,
    pub(crate) device: Uuid,
    /// When the access token presented expires (Unix seconds).
    expires_at: i64,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
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

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "the session's token family is revoked"), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody)))]
async fn logout<S: Storage>(
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
async fn revoke_device<S: Storage>(
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

#[utoipa::path(post, path = "/sync/v1/{org}/push", tag = "sync", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = PushRequest,
    responses((status = 200, description = "a verdict per document", body = PushResponse), (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody),
        (status = 413, description = "more than 1,000 changes or a body over the limit", body = ErrorBody)))]
async fn push<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<PushRequest>,
) -> Reply<PushResponse> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
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
    // Judging holds decoded changes and documents in memory: a bounded
    // number of pushes do it at once.
    let _judging = s
        .judging
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Failure::internal(format!("push: {e}")))?;
    let limits = s.limits.change;
    let offered: Vec<Arc<admission::Offered>> = blocking(move || admission::decode(req, &limits))
        .await?
        .map_err(|e| {
            Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "push_too_large",
                e.to_string(),
            )
        })?
        .into_iter()
        .map(Arc::new)
        .collect();
    // Another push of the same document may be stored while this one is
    // judged; the append then refuses and the documents are judged again.
    let mut attempt = 0;
    let offered = loop {
        attempt += 1;
        match judge_and_store(&s, org, caller.device, role, &offered).await {
            Err(Failure { status, .. }) if status == StatusCode::CONFLICT && attempt < 5 => {
                tracing::debug!(%org, attempt, "push judged against a stale document; again");
            }
            other => break other?,
        }
    };
    Ok(Json(offered))
}

/// Judges a push's documents and stores what is accepted in one
/// transaction. A document stored meanwhile by someone else answers 409.
async fn judge_and_store<S: Storage>(
    s: &AppState<S>,
    org: Uuid,
    device: Uuid,
    role: Role,
    offered: &[Arc<admission::Offered>],
) -> Result<PushResponse, Failure> {
    let ids: Vec<Uuid> = offered.iter().map(|d| d.doc).collect();
    let known: BTreeMap<Uuid, DocClass> = s.storage.classes(org, ids).await?.into_iter().collect();
    let held = s.storage.document_count(org).await?;
    let mut new_budget = s.limits.documents_per_org.saturating_sub(held);
    let mut results = Vec::new();
    let mut to_store = Vec::new();
    let mut keep = Vec::new();
    for d in offered {
        let cx = admission::Context {
            org,
            doc: d.doc,
            role,
            known: known.get(&d.doc).copied(),
            attestor: s.server_key.public,
        };
        let refuse = |code: &str, message: String| DocResult {
            doc: d.doc,
            accepted: false,
            stored: 0,
            error: Some(ApiError {
                code: code.into(),
                message,
            }),
            refused: Vec::new(),
        };
        if cx.known.is_none() && new_budget == 0 {
            results.push(refuse(
                "document_limit",
                format!(
                    "the organisation holds its limit of {} documents",
                    s.limits.documents_per_org
                ),
            ));
            continue;
        }
        let judged = judge_document(s, cx, d).await?;
        if let Some(error) = judged.whole {
            results.push(refuse(&error.code, error.message));
            continue;
        }
        if cx.known.is_none() && !judged.fresh.is_empty() {
            new_budget -= 1;
        }
        let expect_last = judged.replica.as_ref().map_or(0, |r| r.seq);
        let result = DocResult {
            doc: d.doc,
            accepted: judged.refused.is_empty(),
            stored: 0,
            error: judged.refused.first().map(|r| ApiError {
                code: r.code.clone(),
                message: r.message.clone(),
            }),
            refused: judged.refused,
        };
        if let (Some(class), false) = (judged.class, judged.fresh.is_empty()) {
            to_store.push((
                results.len(),
                DocPush {
                    doc: d.doc,
                    class,
                    changes: judged
                        .fresh
                        .iter()
                        .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
                        .collect(),
                    expect_last: Some(expect_last),
                },
            ));
        }
        if let Some(replica) = judged.replica {
            keep.push((d.doc, replica));
        }
        results.push(result);
    }
    let refused_docs = results.iter().filter(|r| !r.accepted).count();
    let refused_changes: usize = results.iter().map(|r| r.refused.len()).sum();
    if refused_docs > 0 {
        tracing::info!(%org, %role, refused_docs, refused_changes, "push: refusals");
    }
    let (slots, docs): (Vec<usize>, Vec<DocPush>) = to_store.into_iter().unzip();
    let stored = match s.storage.append(org, device, docs, now()).await {
        Ok(stored) => stored,
        Err(StorageError::Stale(doc)) => {
            // The copies hold changes the log never got: drop them all.
            for (id, _) in keep {
                drop(s.replicas.take(org, id));
            }
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "stale",
                format!("document {doc} changed while the push was judged"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    for (id, replica) in keep {
        s.replicas.put(org, id, replica);
    }
    s.metrics
        .documents_refused
        .fetch_add(refused_docs as u64, Ordering::Relaxed);
    s.metrics
        .changes_refused
        .fetch_add(refused_changes as u64, Ordering::Relaxed);
    if stored.iter().any(|n| *n > 0) {
        s.hub.publish(Event::Changes { org });
    }
    for (slot, n) in slots.into_iter().zip(stored) {
        s.metrics
            .changes_stored
            .fetch_add(n as u64, Ordering::Relaxed);
        results[slot].stored = n;
    }
    results.sort_by_key(|r| r.doc);
    Ok(PushResponse { documents: results })
}

/// Judges one document's offered changes against the server's copy.
async fn judge_document<S: Storage>(
    s: &AppState<S>,
    cx: admission::Context,
    offered: &Arc<admission::Offered>,
) -> Result<admission::Judged, Failure> {
    let current = |s: &AppState<S>| {
        let (storage, replicas) = (s.storage.clone(), s.replicas.clone());
        async move {
            if cx.known.is_none() {
                // Never stored: nothing to fetch.
                return Ok(Replica::empty());
            }
            replicas
                .current(&*storage, cx.org, cx.doc)
                .await
                .map(|r| r.unwrap_or_else(Replica::empty))
                .map_err(|e| Failure::internal(e.to_string()))
        }
    };
    let replica = current(s).await?;
    let shared = offered.clone();
    let quick = blocking(move || admission::all_at_once(&cx, replica, &shared)).await?;
    if let Some(judged) = quick {
        return Ok(judged);
    }
    // The copy was spoilt by what was offered: judge again, one change at
    // a time, from the log.
    let replica = current(s).await?;
    let shared = offered.clone();
    blocking(move || admission::one_by_one(&cx, replica, &shared)).await
}

#[utoipa::path(post, path = "/sync/v1/{org}/pull", tag = "sync", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = PullRequest,
    responses((status = 200, description = "changes after the cursor that the caller's role may read", body = PullResponse), (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody)))]
async fn pull<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<PullRequest>,
) -> Reply<PullResponse> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    if req.after < 0 {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
            "after must be 0 or a cursor the server returned",
        ));
    }
    let limit = req.limit.clamp(1, protocol::MAX_BATCH);
    s.metrics.pulls.fetch_add(1, Ordering::Relaxed);
    let (mut rows, mut cursor, mut more) = s
        .storage
        .pull(org, req.after, limit, role.readable())
        .await?;
    // A batch also stops at MAX_BATCH_BYTES of changes (always at least one),
    // so a response never outgrows what a client reads.
    let mut bytes = 0;
    if let Some(cut) = rows.iter().position(|r| {
        bytes += r.bytes.len();
        bytes > protocol::MAX_BATCH_BYTES
    }) {
        let keep = cut.max(1);
        if keep < rows.len() {
            rows.truncate(keep);
            cursor = rows.last().map_or(req.after, |r| r.seq);
            more = true;
        }
    }
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
}

/// `POST /sync/v1/{org}/snapshot`: a page of whole documents, compacted,
/// for a fresh workstation. Snapshots are built from the change log on
/// first request and kept until the document changes again.
#[utoipa::path(post, path = "/sync/v1/{org}/snapshot", tag = "sync", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = SnapshotRequest,
    responses((status = 200, description = "documents of the classes the caller's role may read, in id order", body = SnapshotResponse),
        (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 404, description = "no such organisation for this caller", body = ErrorBody)))]
async fn snapshot<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<SnapshotRequest>,
) -> Reply<SnapshotResponse> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    let limit = req.limit.clamp(1, protocol::MAX_SNAPSHOT_DOCS);
    s.metrics.snapshots.fetch_add(1, Ordering::Relaxed);
    let (rows, cursor) = s
        .storage
        .snapshot_page(org, req.after, limit + 1, role.readable())
        .await?;
    let mut more = rows.len() > limit;
    let mut documents = Vec::with_capacity(rows.len().min(limit));
    let mut bytes_sent = 0;
    for row in rows.into_iter().take(limit) {
        // Stop at the byte budget, always sending at least one document.
        if !documents.is_empty() && bytes_sent > protocol::MAX_BATCH_BYTES {
            more = true;
            break;
        }
        let bytes = match row.snapshot {
            Some(bytes) => bytes,
            None => {
                let changes = s.storage.document_changes_after(org, row.doc, 0).await?.0;
                let doc = row.doc;
                let built = tokio::task::spawn_blocking(move || compact(&changes))
                    .await
                    .map_err(|e| Failure::internal(format!("snapshot task: {e}")))?
                    .map_err(|e| Failure::internal(format!("snapshot of {doc}: {e}")))?;
                s.storage
                    .save_snapshot(org, row.doc, row.last_seq, built.clone())
                    .await?;
                built
            }
        };
        bytes_sent += bytes.len();
        documents.push(SnapshotDoc {
            doc: row.doc,
            class: row.class,
            bytes: protocol::encode(&bytes),
        });
    }
    let next = if more {
        documents.last().map(|d| d.doc)
    } else {
        None
    };
    Ok(Json(SnapshotResponse {
        documents,
        cursor,
        next,
    }))
}

/// A document rebuilt from its stored changes and saved compacted.
fn compact(changes: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let parsed = changes
        .iter()
        .map(|c| Change::from_bytes(c.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut doc = automerge::Automerge::new();
    doc.apply_changes(parsed).map_err(|e| e.to_string())?;
    Ok(doc.save())
}

/// `GET /sync/v1/{org}/live`: a websocket that says `{"type":"changes"}`
/// whenever this organisation has new changes. Authenticated before the
/// upgrade; closed with 4001 when the device or session is revoked and 4002
/// when the access token expires.
#[utoipa::path(get, path = "/sync/v1/{org}/live", tag = "sync", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")),
    responses((status = 101, description = "websocket: hello, changes and role messages; closes 4001 revoked, 4002 expired, 4003 removed"),
        (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody), (status = 429, description = "too many live sessions", body = ErrorBody)))]
async fn live_session<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Failure> {
    let (caller, family) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    let session = live::Session {
        org,
        user: caller.user,
        role,
        device: caller.device,
        family,
        expires_at: caller.expires_at,
    };
    let seat = s
        .hub
        .admit(
            caller.device,
            org,
            s.limits.live_per_device,
            s.limits.live_per_org,
        )
        .ok_or_else(|| {
            Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_connections",
                "too many live sessions for this device or organisation",
            )
        })?;
    // Subscribe before answering, so nothing stored after this is missed.
    let events = s.hub.subscribe();
    Ok(upgrade.on_upgrade(move |socket| live::serve(socket, session, events, seat)))
}

#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, description = "the caller's devices, newest first", body = [DeviceRow]), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody)))]
async fn devices<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
) -> Reply<Vec<DeviceRow>> {
    let (caller, _) = authenticate(&s, &headers).await?;
    Ok(Json(s.storage.devices(caller.user).await?))
}

/// Managing members is for admins and gerentes; only an admin touches admins.
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
async fn members<S: Storage>(
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
async fn add_member<S: Storage>(
    State(s): State<AppState<S>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    Body(req): Body<NewMember>,
) -> Result<(StatusCode, Json<serde_json::Value>), Failure> {
    let (caller, _) = authenticate(&s, &headers).await?;
    let (org, role) = role_in(&*s.storage, caller, &org).await?;
    may_grant(role, req.role)?;
    let email = req.email.trim().to_lowercase();
    let valid = email
        .split_once('@')
        .is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
        && !email.contains(char::is_whitespace);
    if !valid {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_email",
            format!("invalid e-mail {:?}", req.email),
        ));
    }
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
                .filter(|p| p.chars().count() >= 8)
                .ok_or_else(|| {
                    Failure::new(
                        StatusCode::BAD_REQUEST,
                        "password_required",
                        "a new account needs a password of at least 8 characters",
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
async fn check_member_change<S: Storage>(
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
async fn set_role<S: Storage>(
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
async fn remove_member<S: Storage>(
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

pub use arcada_core::sync::{NumberRequest, NumberUpdate};

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
async fn prove_number<S>(
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
async fn own_number<S: Storage>(
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
async fn wa_numbers<S: Storage>(
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
async fn wa_add_number<S: Storage>(
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
async fn wa_update_number<S: Storage>(
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
async fn wa_remove_number<S: Storage>(
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

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the server is up", content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// The OpenAPI description of this API, served at `/api/v1/openapi.json`.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(title = "arcada-server", description = "Arcada's sync server: authentication, devices, members and the batched sync protocol (docs/SYNC.md)."),
    paths(healthz, metrics, login, refresh, logout, devices, revoke_device, members, add_member, set_role, remove_member, wa_numbers, wa_add_number, wa_update_number, wa_remove_number, crate::whatsapp::media::wa_media, crate::signing::server_key, crate::signing::register, crate::accounts::change_password, crate::accounts::reset_password, crate::accounts::invitations, crate::accounts::answer, crate::accounts::issue_reset, push, pull, snapshot, live_session),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "devices"), (name = "members"), (name = "whatsapp"), (name = "signatures"), (name = "sync"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_go_to_loopback_or_to_the_token() {
        let loopback: IpAddr = "127.0.0.1".parse().expect("ip");
        let remote: IpAddr = "203.0.113.9".parse().expect("ip");
        let none = HeaderMap::new();
        let token = auth::token_hash("segredo-das-metricas");
        let header = |name: &'static str, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(name, value.parse().expect("header"));
            h
        };
        let with = header("authorization", "Bearer segredo-das-metricas");
        let wrong = header("authorization", "Bearer outro");
        let proxied = header("x-forwarded-for", "203.0.113.9");
        assert!(metrics_allowed(loopback, &none, None));
        assert!(!metrics_allowed(remote, &none, None));
        assert!(!metrics_allowed(remote, &with, None), "no token configured");
        assert!(metrics_allowed(remote, &with, Some(&token)));
        assert!(!metrics_allowed(remote, &wrong, Some(&token)));
        assert!(
            !metrics_allowed(loopback, &proxied, None),
            "a proxy on this host"
        );
    }
}
