//! The server as a peer of the organisations' documents: it loads a
//! document from the change log, makes one change with its own actor and
//! attribution, appends it like a workstation's push and tells the live
//! sessions. One write at a time per process, so the process's actor never
//! makes two changes with one sequence number.
//!
//! Documents it wrote or read lately are kept in the server's
//! [`Replicas`], shared with push validation: the next access fetches
//! only the changes after the kept position. Positions are taken in
//! commit order within an organisation, so nothing another instance
//! appended meanwhile is missed.
//!
//! It writes conversations (messages, statuses, answers' attention) and
//! agenda weeks (an appointment a patient confirmed or cancelled), and
//! reads directories, patients and agendas; every access names the class
//! it expects, and a document recorded with another is refused.

use std::sync::Arc;

use arcada_core::documents::{self, Attribution, ConversationDoc, DocClass};
use automerge::{ActorId, Automerge};
use autosurgeon::{Hydrate, Reconcile};
use uuid::Uuid;

use crate::live::{Event, Hub};
use crate::replicas::{Replica, ReplicaError, Replicas};
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
    #[error(transparent)]
    Replica(#[from] ReplicaError),
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

#[derive(Debug)]
pub struct Peer<S> {
    pub storage: Arc<S>,
    hub: Arc<Hub>,
    /// Random per process start, never a document's id (genesis uses that).
    actor: ActorId,
    lock: tokio::sync::Mutex<()>,
    replicas: Arc<Replicas>,
}

/// Rebuilds a document from its changes.
pub fn from_changes(id: Uuid, changes: &[Vec<u8>]) -> Result<Automerge, PeerError> {
    let mut replica = Replica::empty();
    replica.apply_logged(id, changes)?;
    Ok(replica.doc)
}

impl<S: Storage> Peer<S> {
    pub fn new(storage: Arc<S>, hub: Arc<Hub>, replicas: Arc<Replicas>) -> Peer<S> {
        Peer {
            storage,
            hub,
            actor: ActorId::random(),
            lock: tokio::sync::Mutex::new(()),
            replicas,
        }
    }

    /// A document as the change log holds it now, with the log position it
    /// is current to; `None` if the log has no change of it. Taken out of
    /// the kept copies: [`Self::keep`] puts it back once used.
    async fn current(&self, org: Uuid, id: Uuid) -> Result<Option<Replica>, PeerError> {
        Ok(self.replicas.current(&*self.storage, org, id).await?)
    }

    /// Keeps a document that holds exactly the log's changes up to `seq`
    /// (and perhaps later ones of its own: fetched again, they change
    /// nothing). Its standing is judged again when a push needs it.
    fn keep(&self, org: Uuid, id: Uuid, mut replica: Replica) {
        replica.standing = None;
        self.replicas.put(org, id, replica);
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
        let Some(replica) = self.current(org, id).await? else {
            return Ok(None);
        };
        let (replica, value) = tokio::task::spawn_blocking(move || {
            let value = autosurgeon::hydrate(&replica.doc);
            (replica, value)
        })
        .await
        .map_err(|e| PeerError::Document(id, e.to_string()))?;
        self.keep(org, id, replica);
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
            let (mut replica, before, created) = match current {
                Some(replica) => {
                    let heads = replica.doc.get_heads();
                    (replica, heads, false)
                }
                None => {
                    let Some(genesis) = genesis else {
                        return Ok((None, false, Vec::new()));
                    };
                    let doc = documents::genesis(id, &genesis)?;
                    (
                        Replica {
                            doc,
                            ..Replica::empty()
                        },
                        Vec::new(),
                        true,
                    )
                }
            };
            replica.doc.set_actor(actor);
            let heads_before_edit = replica.doc.get_heads();
            // An edit that fails drops the document: it may hold part of a
            // change the log never got.
            edit(&mut replica.doc, created)?;
            if replica.doc.get_heads() == heads_before_edit {
                // Nothing to say: not even a genesis alone is stored (nor
                // kept: the log has none).
                let unchanged = (!created).then_some(replica);
                return Ok((unchanged, false, Vec::new()));
            }
            let out: Vec<(Vec<u8>, Vec<u8>)> = replica
                .doc
                .get_changes(&before)
                .into_iter()
                .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
                .collect();
            replica.bytes += out.iter().map(|(_, b)| b.len()).sum::<usize>();
            Ok((Some(replica), created, out))
        })
        .await
        .map_err(|e| PeerError::Document(id, e.to_string()))??;
        let (replica, created, out) = made;
        if out.is_empty() {
            if let Some(replica) = replica {
                self.keep(org, id, replica);
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
                    expect_last: None,
                }],
                now,
            )
            .await?;
        if let Some(replica) = replica {
            self.keep(org, id, replica);
        }
        self.hub.publish(Event::Changes { org });
        Ok(Written {
            created,
            changes: n,
        })
    }
}
