//! The server's part in note signatures ([`arcada_core::signing`]): it
//! holds an Ed25519 key of its own, stored once in the database so every
//! instance attests with the same one, and publishes a member's public key
//! in the organisation's directory with its attestation. Only it may add
//! keys there: a pushed change that adds one it did not attest is refused.

use std::sync::Arc;

use arcada_core::documents::{self, Attribution, Directory, DocClass, SigningKey};
use arcada_core::signing;
use ring::signature::{Ed25519KeyPair, KeyPair};
use uuid::Uuid;

use crate::storage::{Storage, StorageError};
use crate::whatsapp::peer::{Peer, PeerError, SERVER_DEVICE};

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

/// Why a key was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the organisation has no directory yet")]
    NoDirectory,
    #[error("this key is published for another member")]
    Taken,
    #[error("a member may publish at most {MAX_KEYS_PER_MEMBER} signing keys")]
    TooMany,
    #[error(transparent)]
    Peer(#[from] PeerError),
}

impl ServerKey {
    /// Publishes `user`'s public key (`key_id` its id, already checked to
    /// match) in `org`'s directory with this server's attestation. The
    /// same key again answers what was published then.
    pub async fn publish<S: Storage>(
        &self,
        peer: &Peer<S>,
        org: Uuid,
        user: Uuid,
        key_id: String,
        public_key: &[u8],
    ) -> Result<(String, SigningKey), PublishError> {
        let dir_id = documents::directory_id(org);
        let dir: Directory = peer
            .read(org, dir_id, DocClass::Directory)
            .await?
            .ok_or(PublishError::NoDirectory)?;
        let keys = dir.signing_keys.unwrap_or_default();
        if let Some(known) = keys.get(&key_id) {
            return if known.user_id == user.to_string() {
                Ok((key_id, known.clone()))
            } else {
                Err(PublishError::Taken)
            };
        }
        if keys
            .values()
            .filter(|k| k.user_id == user.to_string())
            .count()
            >= MAX_KEYS_PER_MEMBER
        {
            return Err(PublishError::TooMany);
        }
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (id, key) = signing::attest(&self.pair, org, user, public_key, &at);
        let written = key.clone();
        let entry = id.clone();
        peer.write(
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
                    documents::put_entry(tx, "signing_keys", &entry, &written)
                })
                .map_err(|e| PeerError::Document(dir_id, e.to_string()))
            },
        )
        .await?;
        Ok((id, key))
    }
}
