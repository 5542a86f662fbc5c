//! The HTTP surface: `/healthz`, `/metrics`, `/api/v1/auth/*`,
//! `/api/v1/devices/*` and the sync protocol under `/sync/v1/{org}/*`
//! (docs/SYNC.md). Every error is JSON `{"error": {"code", "message"}}`.
//!
//! One file per surface: [`caller`] (who is asking, in which clinic),
//! [`auth`] (login, tokens, devices), [`accounts`] (passwords,
//! invitations), [`members`], [`sync`] (push, pull, snapshot, live),
//! [`signing`] (signing keys), [`whatsapp`] (numbers, webhook, media),
//! [`metrics`]. The domain modules they call never import from here.

use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use arcada_core::protocol::{ApiError, ErrorBody};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use utoipa::OpenApi as _;

use crate::auth;
use crate::config::Limits;
use crate::limits::LoginThrottle;
use crate::live::Hub;
use crate::replicas::Replicas;
use crate::storage::{Storage, StorageError};

pub mod accounts;
mod caller;
mod members;
mod metrics;
mod sessions;
mod signing;
mod sync;
mod whatsapp;

pub use arcada_core::accounts::{MAX_EMAIL, MAX_PASSWORD};
pub(crate) use caller::{authenticate, client_address, manages_every_clinic_of, role_in};
pub use members::{NewMember, RoleChange};
pub use whatsapp::{NumberRequest, NumberUpdate};

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
        router = router.route(
            "/webhooks/whatsapp",
            get(whatsapp::webhook_verify::<S>)
                .post(whatsapp::webhook_receive::<S>)
                .layer(DefaultBodyLimit::max(crate::whatsapp::MAX_BODY)),
        );
    }
    router
        .route("/healthz", get(healthz))
        .route(
            "/api/v1/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }),
        )
        .route("/metrics", get(metrics::metrics::<S>))
        .route("/api/v1/auth/login", post(sessions::login::<S>))
        .route("/api/v1/auth/refresh", post(sessions::refresh::<S>))
        .route("/api/v1/auth/logout", post(sessions::logout::<S>))
        .route(
            "/api/v1/devices/{device}/revoke",
            post(sessions::revoke_device::<S>),
        )
        .route("/sync/v1/{org}/push", post(sync::push::<S>))
        .route("/sync/v1/{org}/pull", post(sync::pull::<S>))
        .route("/sync/v1/{org}/snapshot", post(sync::snapshot::<S>))
        .route("/sync/v1/{org}/live", get(sync::live_session::<S>))
        .route("/api/v1/devices", get(sessions::devices::<S>))
        .route("/api/v1/server-key", get(signing::server_key::<S>))
        .route(
            "/api/v1/auth/password",
            post(accounts::change_password::<S>),
        )
        .route(
            "/api/v1/auth/password-reset",
            post(accounts::reset_password::<S>),
        )
        .route("/api/v1/invitations", get(accounts::invitations::<S>))
        .route(
            "/api/v1/invitations/{org}/{answer}",
            post(accounts::answer::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/members/{user}/password-reset",
            post(accounts::issue_reset::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/signing-keys",
            post(signing::register::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/members",
            get(members::members::<S>).post(members::add_member::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/members/{user}",
            put(members::set_role::<S>).delete(members::remove_member::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/whatsapp/numbers",
            get(whatsapp::wa_numbers::<S>).post(whatsapp::wa_add_number::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/whatsapp/numbers/{phone_number_id}",
            put(whatsapp::wa_update_number::<S>).delete(whatsapp::wa_remove_number::<S>),
        )
        .route(
            "/api/v1/orgs/{org}/media/{sha256}",
            get(whatsapp::wa_media::<S>),
        )
        .fallback(|| async { Failure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the server is up", content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// The OpenAPI description of this API, served at `/api/v1/openapi.json`.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(title = "arcada-server", description = "Arcada's sync server: authentication, devices, members and the batched sync protocol (docs/SYNC.md)."),
    paths(healthz, metrics::metrics, sessions::login, sessions::refresh, sessions::logout, sessions::devices, sessions::revoke_device, members::members, members::add_member, members::set_role, members::remove_member, whatsapp::wa_numbers, whatsapp::wa_add_number, whatsapp::wa_update_number, whatsapp::wa_remove_number, whatsapp::wa_media, signing::server_key, signing::register, accounts::change_password, accounts::reset_password, accounts::invitations, accounts::answer, accounts::issue_reset, sync::push, sync::pull, sync::snapshot, sync::live_session),
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
