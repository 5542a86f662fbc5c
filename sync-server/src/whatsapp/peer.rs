//! The server as a peer of the organisations' documents: it loads a
//! document from the change log, makes one change with its own actor and
//! attribution, appends it like a workstation's push and tells the live
//! sessions. One write at a time per process, so the process's actor never
//! makes two changes with one sequence number.
//!
//! Documents it wrote or read lately are kept in memory with the log
//! position they are current to ([`CACHED_DOCS`] of them, least recently
//! used out): the next access fetches only the changes after that
//! position, instead of rebuilding the document from its whole log.
//! Positions are taken in commit order within an organisation, so nothing
//! another instance appended meanwhile is missed.
//!
//! It writes conversations (messages, statuses, answers' attention) and
//! agenda weeks (an appointment a patient confirmed or cancelled), and
//! reads directories, patients and agendas; every access names the class
//! it expects, and a document recorded with another is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use arcada_core::documents::{self, Attribution, ConversationDoc, DocClass};
use automerge::{ActorId, Automerge, Change};
use autosurgeon::{Hydrate, Reconcile};
use uuid::Uuid;

use crate::live::{Event, Hub};
use crate::storage::{DocPush, Storage, StorageError};

/// The platform user the server's changes are attributed to in the change
/// log (migration V4: it can never log in).
pub const PLATFORM_USER: Uuid = Uuid::from_u128(0xa1);
/// The device the server's changes are stored under.
pub const SERVER_DEVICE: Uuid = Uuid::from_u128(0xa2);
/// The `user` of the server's change messages.
pub const PEER_USER: &str = "whatsapp";

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("document {0}: {1}")]
    Document(Uuid, String),
    #[error("document {doc} is a {class} document, not a {expected} one")]
    WrongClass {
        doc: Uuid,
        class: DocClass,
        expected: DocClass,
    },
}

impl From<autosurgeon::ReconcileError> for PeerError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        PeerError::Document(Uuid::nil(), e.to_string())
    }
}

/// The server's attribution for an operation (`whatsapp.receive` …).
pub fn attribution(op: &str) -> Attribution {
    Attribution {
        user: PEER_USER.into(),
        device: SERVER_DEVICE.to_string(),
        op: op.into(),
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// The document did not exist: its genesis was stored too.
    pub created: bool,
    /// Changes stored (0: nothing to change).
    pub changes: usize,
}

/// Documents kept in memory by the peer.
pub const CACHED_DOCS: usize = 256;

/// A document as of a position of the change log.
struct Cached {
    doc: Automerge,
    seq: i64,
    used: u64,
}

/// The peer's documents, keyed by organisation and id.
#[derive(Default)]
struct DocCache {
    docs: HashMap<(Uuid, Uuid), Cached>,
    tick: u64,
}

impl std::fmt::Debug for DocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocCache")
            .field("docs", &self.docs.len())
            .finish()
    }
}

impl DocCache {
    /// Takes a document out (it is put back once used).
    fn take(&mut self, key: (Uuid, Uuid)) -> Option<(Automerge, i64)> {
        self.docs.remove(&key).map(|c| (c.doc, c.seq))
    }

    fn put(&mut self, key: (Uuid, Uuid), doc: Automerge, seq: i64) {
        self.tick += 1;
        self.docs.insert(
            key,
            Cached {
                doc,
                seq,
                used: self.tick,
            },
        );
        if self.docs.len() > CACHED_DOCS {
            if let Some(oldest) = self
                .docs
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(k, _)| *k)
            {
                self.docs.remove(&oldest);
            }
        }
    }
}

#[derive(Debug)]
pub struct Peer<S> {
    pub storage: Arc<S>,
    hub: Arc<Hub>,
    /// Random per process start, never a document's id (genesis uses that).
    actor: ActorId,
    lock: tokio::sync::Mutex<()>,
    cache: Mutex<DocCache>,
}

/// Rebuilds a document from its changes.
pub fn from_changes(id: Uuid, changes: &[Vec<u8>]) -> Result<Automerge, PeerError> {
    let mut doc = Automerge::new();
    apply(&mut doc, id, changes)?;
    Ok(doc)
}

/// Applies changes from the log (one already there changes nothing).
fn apply(doc: &mut Automerge, id: Uuid, changes: &[Vec<u8>]) -> Result<(), PeerError> {
    let parsed = changes
        .iter()
        .map(|c| Change::from_bytes(c.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PeerError::Document(id, e.to_string()))?;
    doc.apply_changes(parsed)
        .map_err(|e| PeerError::Document(id, e.to_string()))
}

impl<S: Storage> Peer<S> {
    pub fn new(storage: Arc<S>, hub: Arc<Hub>) -> Peer<S> {
        Peer {
            storage,
            hub,
            actor: ActorId::random(),
            lock: tokio::sync::Mutex::new(()),
            cache: Mutex::new(DocCache::default()),
        }
    }

    fn cache(&self) -> MutexGuard<'_, DocCache> {
        // Only maps are changed under it: a panic leaves nothing half-done.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A document as the change log holds it now, with the log position it
    /// is current to: the kept one brought up to date, or rebuilt; `None`
    /// if the log has no change of it. Taken out of the cache: [`Self::keep`]
    /// puts it back once used.
    async fn current(&self, org: Uuid, id: Uuid) -> Result<Option<(Automerge, i64)>, PeerError> {
        let kept = self.cache().take((org, id));
        let after = kept.as_ref().map_or(0, |(_, seq)| *seq);
        let (changes, seq) = self.storage.document_changes_after(org, id, after).await?;
        if kept.is_none() && changes.is_empty() {
            return Ok(None);
        }
        let doc = tokio::task::spawn_blocking(move || {
            let mut doc = kept.map_or_else(Automerge::new, |(doc, _)| doc);
            apply(&mut doc, id, &changes).map(|()| doc)
        })
        .await
        .map_err(|e| PeerError::Document(id, e.to_string()))??;
        Ok(Some((doc, seq)))
    }

    /// Keeps a document that holds exactly the log's changes up to `seq`
    /// (and perhaps later ones of its own: fetched again, they change
    /// nothing).
    fn keep(&self, org: Uuid, id: Uuid, doc: Automerge, seq: i64) {
        self.cache().put((org, id), doc, seq);
    }

    /// Refuses a document the change log records with another class.
    async fn check_class(&self, org: Uuid, id: Uuid, expected: DocClass) -> Result<(), PeerError> {
        match self.storage.classes(org, vec![id]).await?.first() {
            Some((_, class)) if *class != expected => Err(PeerError::WrongClass {
                doc: id,
                class: *class,
                expected,
            }),
            _ => Ok(()),
        }
    }

    /// A document of `class` read from the change log into `T`; `None` if
    /// it has no change.
    pub async fn read<T>(
        &self,
        org: Uuid,
        id: Uuid,
        class: DocClass,
    ) -> Result<Option<T>, PeerError>
    where
        T: Hydrate + Send + 'static,
    {
        self.check_class(org, id, class).await?;
        let Some((doc, seq)) = self.current(org, id).await? else {
            return Ok(None);
        };
        let (doc, value) = tokio::task::spawn_blocking(move || {
            let value = autosurgeon::hydrate(&doc);
            (doc, value)
        })
        .await
        .map_err(|e| PeerError::Document(id, e.to_string()))?;
        self.keep(org, id, doc, seq);
        value
            .map(Some)
            .map_err(|e| PeerError::Document(id, e.to_string()))
    }

    /// Edits a conversation: `edit` gets the document (made from `genesis`
    /// when the log has none) with the server's actor and makes at most
    /// one change with [`documents::change`]; what it made is appended to
    /// the change log and announced.
    pub async fn write_conversation<F>(
        &self,
        org: Uuid,
        id: Uuid,
        genesis: Option<ConversationDoc>,
        edit: F,
    ) -> Result<Written, PeerError>
    where
        F: FnOnce(&mut Automerge, bool) -> Result<(), PeerError> + Send + 'static,
    {
        self.write(org, id, DocClass::Conversation, genesis, edit)
            .await
    }

    /// Edits an existing agenda week (the server never creates one).
    pub async fn write_agenda<F>(&self, org: Uuid, id: Uuid, edit: F) -> Result<Written, PeerError>
    where
        F: FnOnce(&mut Automerge, bool) -> Result<(), PeerError> + Send + 'static,
    {
        self.write(
            org,
            id,
            DocClass::Agenda,
            None::<documents::AgendaWeek>,
            edit,
        )
        .await
    }

    /// Edits a document of `class`: `edit` gets it (made from `genesis`,
    /// whose own `class` must be `class`, when the log has none) with the
    /// server's actor and makes at most one change with
    /// [`documents::change`]; what it made is appended to the change log
    /// and announced.
    pub async fn write<G, F>(
        &self,
        org: Uuid,
        id: Uuid,
        class: DocClass,
        genesis: Option<G>,
        edit: F,
    ) -> Result<Written, PeerError>
    where
        G: Reconcile + Send + 'static,
        F: FnOnce(&mut Automerge, bool) -> Result<(), PeerError> + Send + 'static,
    {
        let _one_at_a_time = self.lock.lock().await;
        self.check_class(org, id, class).await?;
        let current = self.current(org, id).await?;
        let actor = self.actor.clone();
        let made = tokio::task::spawn_blocking(move || -> Result<_, PeerError> {
            let (mut doc, seq, before, created) = match current {
                Some((doc, seq)) => {
                    let heads = doc.get_heads();
                    (doc, seq, heads, false)
                }
                None => {
                    let Some(genesis) = genesis else {
                        return Ok((None, false, Vec::new()));
                    };
                    (documents::genesis(id, &genesis)?, 0, Vec::new(), true)
                }
            };
            doc.set_actor(actor);
            let heads_before_edit = doc.get_heads();
            // An edit that fails drops the document: it may hold part of a
            // change the log never got.
            edit(&mut doc, created)?;
            if doc.get_heads() == heads_before_edit {
                // Nothing to say: not even a genesis alone is stored (nor
                // kept: the log has none).
                let unchanged = (!created).then_some((doc, seq));
                return Ok((unchanged, false, Vec::new()));
            }
            let out: Vec<(Vec<u8>, Vec<u8>)> = doc
                .get_changes(&before)
                .into_iter()
                .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
                .collect();
            Ok((Some((doc, seq)), created, out))
        })
        .await
        .map_err(|e| PeerError::Document(id, e.to_string()))??;
        let (doc, created, out) = made;
        if out.is_empty() {
            if let Some((doc, seq)) = doc {
                self.keep(org, id, doc, seq);
            }
            return Ok(Written::default());
        }
        let n = out.len();
        let now = chrono::Utc::now().timestamp();
        // Not stored, not kept: the document would hold a change the log
        // lacks.
        self.storage
            .append(
                org,
                SERVER_DEVICE,
                vec![DocPush {
                    doc: id,
                    class,
                    changes: out,
                }],
                now,
            )
            .await?;
        if let Some((doc, seq)) = doc {
            self.keep(org, id, doc, seq);
        }
        self.hub.publish(Event::Changes { org });
        Ok(Written {
            created,
            changes: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_most_recently_used_documents() {
        let mut cache = DocCache::default();
        let org = Uuid::now_v7();
        let ids: Vec<Uuid> = (0..=CACHED_DOCS).map(|_| Uuid::now_v7()).collect();
        for (i, id) in ids[..CACHED_DOCS].iter().enumerate() {
            cache.put((org, *id), Automerge::new(), i as i64);
        }
        // The first is used again; then one more comes: the second goes.
        let (doc, seq) = cache.take((org, ids[0])).expect("kept");
        cache.put((org, ids[0]), doc, seq);
        cache.put((org, ids[CACHED_DOCS]), Automerge::new(), 99);
        assert_eq!(cache.docs.len(), CACHED_DOCS);
        assert!(
            cache.take((org, ids[1])).is_none(),
            "least recently used out"
        );
        assert_eq!(cache.take((org, ids[0])).map(|(_, s)| s), Some(0));
        assert!(cache.take((org, ids[0])).is_none(), "taken out, not copied");
        assert_eq!(cache.take((org, ids[2])).map(|(_, s)| s), Some(2));
    }
}
