//! `/metrics`: counters for the operator.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use arcada_core::protocol::ErrorBody;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};

use super::caller::bearer;
use super::{AppState, Failure};
use crate::auth;
use crate::storage::Storage;

#[utoipa::path(get, path = "/metrics", tag = "operations", security((), ("bearer" = [])),
    responses((status = 200, description = "Prometheus text", content_type = "text/plain"),
        (status = 404, description = "not from loopback and without the metrics token", body = ErrorBody)))]
pub(super) async fn metrics<S: Storage>(
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
pub(super) fn metrics_allowed(
    peer: IpAddr,
    headers: &HeaderMap,
    token_hash: Option<&[u8]>,
) -> bool {
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
