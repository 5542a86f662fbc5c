//! The sync protocol: push (every change judged before it is stored,
//! [`crate::admission`]), pull, snapshots for fresh workstations, and the
//! live socket.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use arcada_core::documents::DocClass;
use arcada_core::protocol::{
    self, ApiError, DocResult, ErrorBody, PullRequest, PullResponse, PulledChange, PushRequest,
    PushResponse, SnapshotDoc, SnapshotRequest, SnapshotResponse,
};
use arcada_core::roles::Role;
use automerge::Change;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use uuid::Uuid;

use super::{authenticate, blocking, now, role_in, AppState, Body, Failure, Reply};
use crate::admission;
use crate::live::{self, Event};
use crate::replicas::Replica;
use crate::storage::{DocPush, Storage, StorageError};

#[utoipa::path(post, path = "/sync/v1/{org}/push", tag = "sync", security(("bearer" = [])),
    params(("org" = Uuid, Path, description = "organisation id")), request_body = PushRequest,
    responses((status = 200, description = "a verdict per document", body = PushResponse), (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "missing, unknown, expired or revoked token", body = ErrorBody), (status = 404, description = "no such organisation for this caller", body = ErrorBody),
        (status = 413, description = "more than 1,000 changes or a body over the limit", body = ErrorBody)))]
pub(super) async fn push<S: Storage>(
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
pub(super) async fn judge_and_store<S: Storage>(
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
    let contexts: Vec<admission::Context> = offered
        .iter()
        .map(|d| admission::Context {
            org,
            doc: d.doc,
            role,
            known: known.get(&d.doc).copied(),
            attestor: s.server_key.public,
        })
        .collect();
    let verdicts = judge_all(s, &contexts, offered).await?;
    let mut results = Vec::new();
    let mut to_store = Vec::new();
    let mut keep = Vec::new();
    for ((d, cx), judged) in offered.iter().zip(&contexts).zip(verdicts) {
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
        if let Some(error) = judged.whole {
            results.push(refuse(&error.code, error.message));
            continue;
        }
        if cx.known.is_none() && !judged.fresh.is_empty() {
            new_budget -= 1;
        }
        let expect_last = judged.replica.as_ref().map_or(0, |r| r.seq);
        let changes: Vec<(Vec<u8>, Vec<u8>)> = judged
            .fresh_changes(d)
            .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
            .collect();
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
                    changes,
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

/// Judges every offered document, in the order offered. Documents the log
/// has never held need nothing from storage: they are shared out among as
/// many blocking tasks as the machine has cores, instead of one task each
/// (a new clinic's upload is tens of thousands of them). Known documents
/// are judged against the server's copies, as many at once.
pub(super) async fn judge_all<S: Storage>(
    s: &AppState<S>,
    contexts: &[admission::Context],
    offered: &[Arc<admission::Offered>],
) -> Result<Vec<admission::Judged>, Failure> {
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (new, known): (Vec<usize>, Vec<usize>) =
        (0..offered.len()).partition(|&i| contexts[i].known.is_none());
    let mut shares = tokio::task::JoinSet::new();
    for share in new.chunks(new.len().div_ceil(lanes).max(1)) {
        let work: Vec<(usize, admission::Context, Arc<admission::Offered>)> = share
            .iter()
            .map(|&i| (i, contexts[i], offered[i].clone()))
            .collect();
        shares.spawn_blocking(move || {
            work.into_iter()
                .map(|(i, cx, d)| (i, admission::judge_new(&cx, &d)))
                .collect::<Vec<_>>()
        });
    }
    let mut verdicts: Vec<Option<admission::Judged>> = offered.iter().map(|_| None).collect();
    let joined = |e: tokio::task::JoinError| Failure::internal(format!("push: {e}"));
    for batch in known.chunks(lanes) {
        let mut set = tokio::task::JoinSet::new();
        for &i in batch {
            let (s, cx, d) = (s.clone(), contexts[i], offered[i].clone());
            set.spawn(async move { (i, judge_document(&s, cx, &d).await) });
        }
        while let Some(done) = set.join_next().await {
            let (i, judged) = done.map_err(joined)?;
            verdicts[i] = Some(judged?);
        }
    }
    while let Some(done) = shares.join_next().await {
        for (i, judged) in done.map_err(joined)? {
            verdicts[i] = Some(judged);
        }
    }
    verdicts
        .into_iter()
        .map(|v| v.ok_or_else(|| Failure::internal("push: a document was not judged".to_string())))
        .collect()
}

/// Judges one document's offered changes against the server's copy.
pub(super) async fn judge_document<S: Storage>(
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
pub(super) async fn pull<S: Storage>(
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
pub(super) async fn snapshot<S: Storage>(
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
pub(super) async fn live_session<S: Storage>(
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
