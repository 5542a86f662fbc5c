//! The server's copies of documents, rebuilt from the change log and kept
//! in memory with the log position they are current to. Push validation
//! applies pushed changes to them, and the WhatsApp peer writes through
//! them; both fetch only the changes after a kept copy's position instead
//! of rebuilding the document from its whole log.
//!
//! Bounded by count and by bytes (the change bytes a copy was built from,
//! a fair measure of its size), least recently used out. A copy is taken
//! out while used and put back after, so two users of one document never
//! share it; whoever puts back the copy current to the later position wins.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use arcada_core::integrity::Standing;
use automerge::{Automerge, Change};
use uuid::Uuid;

use crate::storage::{Storage, StorageError};

/// Most documents kept.
pub const KEPT_DOCS: usize = 512;
/// Most change bytes behind the kept documents.
pub const KEPT_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("document {0} cannot be rebuilt from the log: {1}")]
    Document(Uuid, String),
}

/// A document as of a position of the change log.
#[derive(Debug)]
pub struct Replica {
    pub doc: Automerge,
    /// The document's last change in the log when it was read: it holds
    /// every change up to here (and perhaps later ones it was given).
    pub seq: i64,
    /// What the document must keep, once judged.
    pub standing: Option<Standing>,
    /// The change bytes it was built from.
    pub bytes: usize,
}

impl Replica {
    /// A document the log has no change of yet.
    pub fn empty() -> Replica {
        Replica {
            doc: Automerge::new(),
            seq: 0,
            standing: None,
            bytes: 0,
        }
    }

    /// Applies changes from the log (one already held changes nothing).
    pub fn apply_logged(&mut self, id: Uuid, changes: &[Vec<u8>]) -> Result<(), ReplicaError> {
        let parsed = changes
            .iter()
            .map(|c| Change::from_bytes(c.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ReplicaError::Document(id, e.to_string()))?;
        self.doc
            .apply_changes(parsed)
            .map_err(|e| ReplicaError::Document(id, e.to_string()))?;
        self.bytes += changes.iter().map(Vec::len).sum::<usize>();
        Ok(())
    }
}

struct Kept {
    replica: Replica,
    used: u64,
}

#[derive(Default)]
struct Inner {
    docs: HashMap<(Uuid, Uuid), Kept>,
    bytes: usize,
    tick: u64,
}

/// The kept documents of every organisation, keyed by (organisation, id).
#[derive(Default)]
pub struct Replicas {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Replicas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Replicas")
            .field("docs", &inner.docs.len())
            .field("bytes", &inner.bytes)
            .finish()
    }
}

impl Replicas {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Only maps and counters change under it: a panic leaves nothing
        // half-done.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a document out (put it back with [`Replicas::put`] once used).
    pub fn take(&self, org: Uuid, id: Uuid) -> Option<Replica> {
        let mut inner = self.lock();
        let kept = inner.docs.remove(&(org, id))?;
        inner.bytes -= kept.replica.bytes;
        Some(kept.replica)
    }

    /// Keeps a document that holds every change of the log up to its `seq`.
    pub fn put(&self, org: Uuid, id: Uuid, replica: Replica) {
        let mut inner = self.lock();
        inner.tick += 1;
        let used = inner.tick;
        if let Some(other) = inner.docs.get(&(org, id)) {
            if other.replica.seq > replica.seq {
                return;
            }
        }
        inner.bytes += replica.bytes;
        if let Some(old) = inner.docs.insert((org, id), Kept { replica, used }) {
            inner.bytes -= old.replica.bytes;
        }
        while inner.docs.len() > KEPT_DOCS || (inner.bytes > KEPT_BYTES && inner.docs.len() > 1) {
            let Some(oldest) = inner
                .docs
                .iter()
                .min_by_key(|(_, k)| k.used)
                .map(|(key, _)| *key)
            else {
                break;
            };
            if let Some(gone) = inner.docs.remove(&oldest) {
                inner.bytes -= gone.replica.bytes;
            }
        }
    }

    /// The document as the change log holds it now: the kept copy brought
    /// up to date, or rebuilt. `None` if the log has no change of it.
    /// Taken out: put it back once used.
    pub async fn current<S: Storage>(
        &self,
        storage: &S,
        org: Uuid,
        id: Uuid,
    ) -> Result<Option<Replica>, ReplicaError> {
        let kept = self.take(org, id);
        let after = kept.as_ref().map_or(0, |r| r.seq);
        let (changes, seq) = storage.document_changes_after(org, id, after).await?;
        if kept.is_none() && changes.is_empty() {
            return Ok(None);
        }
        let replica = tokio::task::spawn_blocking(move || {
            let mut replica = kept.unwrap_or_else(Replica::empty);
            replica.apply_logged(id, &changes)?;
            replica.seq = seq;
            Ok::<_, ReplicaError>(replica)
        })
        .await
        .map_err(|e| ReplicaError::Document(id, e.to_string()))??;
        Ok(Some(replica))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(seq: i64, bytes: usize) -> Replica {
        Replica {
            bytes,
            seq,
            ..Replica::empty()
        }
    }

    #[test]
    fn the_most_recently_used_documents_stay() {
        let replicas = Replicas::default();
        let org = Uuid::now_v7();
        let ids: Vec<Uuid> = (0..=KEPT_DOCS).map(|_| Uuid::now_v7()).collect();
        for (i, id) in ids[..KEPT_DOCS].iter().enumerate() {
            replicas.put(org, *id, sized(i as i64, 1));
        }
        // The first is used again; then one more comes: the second goes.
        let first = replicas.take(org, ids[0]).expect("kept");
        replicas.put(org, ids[0], first);
        replicas.put(org, ids[KEPT_DOCS], sized(99, 1));
        assert!(
            replicas.take(org, ids[1]).is_none(),
            "least recently used out"
        );
        assert_eq!(replicas.take(org, ids[0]).map(|r| r.seq), Some(0));
        assert!(
            replicas.take(org, ids[0]).is_none(),
            "taken out, not copied"
        );
        assert_eq!(replicas.take(org, ids[2]).map(|r| r.seq), Some(2));
    }

    #[test]
    fn bytes_are_bounded_and_the_later_copy_wins() {
        let replicas = Replicas::default();
        let org = Uuid::now_v7();
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        replicas.put(org, a, sized(1, KEPT_BYTES / 2));
        replicas.put(org, b, sized(1, KEPT_BYTES / 2));
        replicas.put(org, c, sized(1, 10));
        assert!(
            replicas.take(org, a).is_none(),
            "over the byte budget: oldest out"
        );
        assert!(replicas.lock().bytes <= KEPT_BYTES);
        replicas.put(org, c, sized(5, 10));
        replicas.put(org, c, sized(3, 10));
        assert_eq!(replicas.take(org, c).map(|r| r.seq), Some(5));
    }
}
