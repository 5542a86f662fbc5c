//! What a push may put into the change log. Each change is decoded with
//! bounded memory ([`arcada_core::integrity::decode_change`]), applied to
//! the server's copy of its document ([`crate::replicas`]) and the result
//! judged by the core's rules ([`arcada_core::integrity::judge`]): a valid
//! document of its class, under the id its content implies, write-once
//! entries unchanged, nothing removed from a map that only grows, one hash
//! per (actor, sequence number). A refused change gets its own verdict and
//! is never stored, so it never reaches anyone.
//!
//! The common case costs one application and one judgement per document
//! and push: every offered change is applied at once and the result
//! judged. Only when that fails is the document rebuilt from the log and
//! the changes judged one at a time, to tell the good from the bad.

use std::panic::{catch_unwind, AssertUnwindSafe};

use arcada_core::documents::DocClass;
use arcada_core::integrity::{self, ChangeLimits, DecodeError, Standing};
use arcada_core::protocol::{self, ApiError, PushRequest, RefusedChange};
use arcada_core::roles::Role;
use automerge::{Automerge, Change, ReadDoc};
use uuid::Uuid;

use crate::replicas::Replica;

/// Most change bytes one push may hold once uncompressed.
pub const MAX_PUSH_INFLATED: usize = 64 * 1024 * 1024;

/// A push's changes, by document, in the order they were sent.
#[derive(Debug)]
pub struct Offered {
    pub doc: Uuid,
    /// Each change with its position in the request.
    pub changes: Vec<(usize, Result<Change, DecodeError>)>,
}

/// A push over [`MAX_PUSH_INFLATED`] once its changes are uncompressed.
#[derive(Debug, thiserror::Error)]
#[error("the push holds more than {MAX_PUSH_INFLATED} bytes of changes once uncompressed")]
pub struct PushTooLarge;

/// Decodes a push's changes, grouped by document (ids in order).
pub fn decode(req: PushRequest, limits: &ChangeLimits) -> Result<Vec<Offered>, PushTooLarge> {
    let mut by_doc: std::collections::BTreeMap<Uuid, Offered> = Default::default();
    let mut inflated = 0usize;
    for (index, wire) in req.changes.into_iter().enumerate() {
        let decoded = protocol::decode(&wire.bytes)
            .map_err(|e| DecodeError::Malformed(format!("base64: {e}")))
            .and_then(|bytes| guarded(|| integrity::decode_change(&bytes, limits)));
        if let Ok(change) = &decoded {
            inflated += change.raw_bytes().len();
            if inflated > MAX_PUSH_INFLATED {
                return Err(PushTooLarge);
            }
        }
        by_doc
            .entry(wire.doc)
            .or_insert_with(|| Offered {
                doc: wire.doc,
                changes: Vec::new(),
            })
            .changes
            .push((index, decoded));
    }
    Ok(by_doc.into_values().collect())
}

/// Runs automerge on untrusted input: a panic inside it (it has
/// `unwrap`s on paths only malformed input reaches) is a refusal.
fn guarded<T>(f: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(DecodeError::Malformed(
            "the change could not be read".to_string(),
        ))
    })
}

/// The verdict on one document's changes.
#[derive(Debug)]
pub struct Judged {
    /// The document with the accepted changes: kept once they are stored.
    pub replica: Option<Replica>,
    /// Accepted changes the log does not hold yet, by their place in
    /// [`Offered::changes`] (so they are not copied once more to be kept).
    pub fresh: Vec<usize>,
    /// The document's class, once known.
    pub class: Option<DocClass>,
    /// Refused for what they do.
    pub refused: Vec<RefusedChange>,
    /// The whole document refused (its class for this role).
    pub whole: Option<ApiError>,
}

impl Judged {
    /// The accepted changes the log does not hold yet, in the order sent.
    pub fn fresh_changes<'a>(&'a self, offered: &'a Offered) -> impl Iterator<Item = &'a Change> {
        self.fresh
            .iter()
            .filter_map(|place| offered.changes.get(*place)?.1.as_ref().ok())
    }

    fn whole(error: ApiError) -> Judged {
        Judged {
            replica: None,
            fresh: Vec::new(),
            class: None,
            refused: Vec::new(),
            whole: Some(error),
        }
    }
}

fn error(code: &str, message: String) -> ApiError {
    ApiError {
        code: code.into(),
        message,
    }
}

/// Who pushes what into which document.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub org: Uuid,
    pub doc: Uuid,
    pub role: Role,
    /// The class the server recorded for the document, if it knows it.
    pub known: Option<DocClass>,
    /// The server's attestation key: a directory may gain only signing
    /// keys it attested.
    pub attestor: [u8; 32],
}

fn refusal(index: usize, change: Option<&Change>, code: &str, message: String) -> RefusedChange {
    RefusedChange {
        index,
        hash: change.map(|c| c.hash().to_string()),
        code: code.into(),
        message,
    }
}

fn forbidden(role: Role, class: DocClass) -> ApiError {
    error(
        "forbidden_class",
        format!("role {role} may not write {class} documents"),
    )
}

/// What the document held before must keep: its standing, judged now if
/// the copy was never judged (read for the WhatsApp peer, or rebuilt).
fn standing_of(cx: &Context, replica: &Replica) -> Result<Option<Standing>, ApiError> {
    if let Some(s) = &replica.standing {
        return Ok(Some(s.clone()));
    }
    if replica.seq == 0 && replica.doc.get_heads().is_empty() {
        return Ok(None);
    }
    integrity::judge(cx.org, cx.doc, &replica.doc, None)
        .map(Some)
        .map_err(|v| {
            error(
                "damaged_document",
                format!(
                    "the document as stored is not valid ({v}); an administrator must \
                     quarantine the change that broke it (arcada-server admin changes)"
                ),
            )
        })
}

/// Applies changes; a panic or an error leaves the document unusable.
fn apply(doc: &mut Automerge, changes: Vec<Change>) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| doc.apply_changes(changes))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the change could not be applied".into()),
    }
}

/// Whether the judged class may be written here.
fn class_allowed(cx: &Context, class: DocClass) -> Result<(), ApiError> {
    if let Some(known) = cx.known {
        if known != class {
            return Err(error(
                "class_changed",
                format!(
                    "document {} is a {known} document, not a {class} one",
                    cx.doc
                ),
            ));
        }
    }
    if !cx.role.can_write(class) {
        return Err(forbidden(cx.role, class));
    }
    Ok(())
}

/// The first signing key `now` holds that `before` did not and this
/// server did not attest.
fn unattested(cx: &Context, now: &Standing, before: Option<&Standing>) -> Option<String> {
    now.signing_keys_added(before)
        .into_iter()
        .find(|(id, key)| !arcada_core::signing::attested(cx.org, id, key, &cx.attestor))
        .map(|(id, _)| id.clone())
}

/// Judges the changes of a document the log has never held.
pub fn judge_new(cx: &Context, offered: &Offered) -> Judged {
    all_at_once(cx, Replica::empty(), offered)
        .unwrap_or_else(|| one_by_one(cx, Replica::empty(), offered))
}

/// Judges every offered change at once. `None`: something is wrong, and
/// the copy is spoilt; judge again with [`one_by_one`] on a fresh copy.
pub fn all_at_once(cx: &Context, mut replica: Replica, offered: &Offered) -> Option<Judged> {
    if let Some(class) = cx.known {
        if !cx.role.can_write(class) {
            return Some(Judged::whole(forbidden(cx.role, class)));
        }
    }
    let mut fresh = Vec::new();
    let mut to_apply = Vec::new();
    for (place, (_, change)) in offered.changes.iter().enumerate() {
        match change {
            Err(_) => return None,
            Ok(c) if replica.doc.get_change_meta_by_hash(&c.hash()).is_some() => {}
            Ok(c) => {
                fresh.push(place);
                to_apply.push(c.clone());
            }
        }
    }
    let before = match standing_of(cx, &replica) {
        Ok(s) => s,
        Err(e) => return Some(Judged::whole(e)),
    };
    if fresh.is_empty() {
        let class = before.as_ref().map(|s| s.class);
        replica.standing = before;
        return Some(Judged {
            replica: Some(replica),
            fresh,
            class,
            refused: Vec::new(),
            whole: None,
        });
    }
    let added: usize = to_apply.iter().map(|c| c.raw_bytes().len()).sum();
    apply(&mut replica.doc, to_apply).ok()?;
    if !replica.doc.get_missing_deps(&[]).is_empty() {
        return None;
    }
    let standing = integrity::judge(cx.org, cx.doc, &replica.doc, before.as_ref()).ok()?;
    if unattested(cx, &standing, before.as_ref()).is_some() {
        return None;
    }
    if let Err(e) = class_allowed(cx, standing.class) {
        return Some(Judged::whole(e));
    }
    replica.bytes += added;
    let class = Some(standing.class);
    replica.standing = Some(standing);
    Some(Judged {
        replica: Some(replica),
        fresh,
        class,
        refused: Vec::new(),
        whole: None,
    })
}

/// Judges the offered changes one at a time, in the order sent, on a copy
/// that holds exactly the log: each accepted change stays applied, each
/// refused one is taken back.
pub fn one_by_one(cx: &Context, mut replica: Replica, offered: &Offered) -> Judged {
    if let Some(class) = cx.known {
        if !cx.role.can_write(class) {
            return Judged::whole(forbidden(cx.role, class));
        }
    }
    let mut standing = match standing_of(cx, &replica) {
        Ok(s) => s,
        Err(e) => return Judged::whole(e),
    };
    let mut fresh = Vec::new();
    let mut refused = Vec::new();
    // Undecodable ones first (refused), then the rest in causal order: a
    // change is judged after any it depends on that came in the same push.
    let mut decoded = Vec::new();
    for (place, (index, change)) in offered.changes.iter().enumerate() {
        match change {
            Err(e) => refused.push(refusal(*index, None, e.code(), e.to_string())),
            Ok(c) => decoded.push((place, *index, c)),
        }
    }
    let position: std::collections::HashMap<automerge::ChangeHash, (usize, usize)> = decoded
        .iter()
        .map(|(place, i, c)| (c.hash(), (*place, *i)))
        .collect();
    let ordered = protocol::causal_order(decoded.iter().map(|(_, _, c)| (*c).clone()).collect());
    for change in &ordered {
        let (place, index) = position.get(&change.hash()).copied().unwrap_or_default();
        if replica
            .doc
            .get_change_meta_by_hash(&change.hash())
            .is_some()
        {
            continue;
        }
        if let Some(missing) = change
            .deps()
            .iter()
            .find(|d| replica.doc.get_change_meta_by_hash(d).is_none())
        {
            refused.push(refusal(
                index,
                Some(change),
                "missing_dependencies",
                format!(
                    "it depends on change {missing}, which the server does not hold \
                     (refused, or never sent)"
                ),
            ));
            continue;
        }
        let kept = replica.doc.clone();
        if let Err(e) = apply(&mut replica.doc, vec![change.clone()]) {
            replica.doc = kept;
            let code = if e.contains("duplicate seq") {
                "duplicate_seq"
            } else {
                "bad_change"
            };
            refused.push(refusal(index, Some(change), code, e));
            continue;
        }
        match integrity::judge(cx.org, cx.doc, &replica.doc, standing.as_ref()) {
            Err(v) => {
                replica.doc = kept;
                refused.push(refusal(index, Some(change), v.code(), v.to_string()));
            }
            Ok(now) if unattested(cx, &now, standing.as_ref()).is_some() => {
                let key = unattested(cx, &now, standing.as_ref()).unwrap_or_default();
                replica.doc = kept;
                refused.push(refusal(
                    index,
                    Some(change),
                    "unattested_key",
                    format!(
                        "signing key {key} is not attested by this server: only the server \
                         publishes keys (POST /api/v1/orgs/{{org}}/signing-keys)"
                    ),
                ));
            }
            Ok(now) => {
                if standing.is_none() {
                    if let Err(e) = class_allowed(cx, now.class) {
                        return Judged::whole(e);
                    }
                }
                replica.bytes += change.raw_bytes().len();
                standing = Some(now);
                fresh.push(place);
            }
        }
    }
    let class = standing.as_ref().map(|s| s.class);
    replica.standing = standing;
    Judged {
        replica: Some(replica),
        fresh,
        class,
        refused,
        whole: None,
    }
}
