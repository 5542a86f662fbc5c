//! Publishing the professionals' signing keys ([`crate::signing`]): the
//! server's attestation key is pinned the first time it is fetched, and
//! each key made here for the logged-in member is sent for the server to
//! attest and publish in the directory (the next pull brings it back).

use rusqlite::Connection;
use uuid::Uuid;

use super::{accepted, json_body, post, Remote, SyncError};
use crate::signing::local::{self, KeyStoreError};
use crate::signing::{self, AttestedKey, NewSigningKey, ServerKeyBody};

/// What publishing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Keys the server attested now.
    pub attested: usize,
}

impl Remote {
    /// The server's attestation key.
    pub fn server_key(&self) -> Result<Vec<u8>, SyncError> {
        let url = format!("{}/api/v1/server-key", self.base);
        let body: ServerKeyBody = json_body(accepted(self.agent.get(&url).call())?)?;
        hex::decode(&body.public_key)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| SyncError::Protocol(format!("server key {:?}", body.public_key)))
    }

    /// Pins the server's key if this workstation has none yet, then has
    /// every key of `user` made here and not yet attested attested. A key
    /// the server will not attest (a role that does not sign) stays
    /// pending; an answer that does not verify under the pinned key is
    /// an error and the key stays pending.
    pub fn publish_signing_keys(
        &self,
        conn: &Connection,
        user: Uuid,
    ) -> Result<Published, SyncError> {
        let now = chrono::Utc::now().timestamp_millis();
        let pinned = match local::server_key(conn).map_err(key_error)? {
            Some(k) => k,
            None => {
                let k = self.server_key()?;
                local::pin_server_key(conn, &k, now).map_err(key_error)?;
                k
            }
        };
        let mut done = Published::default();
        for (key_id, public_key) in local::pending_of(conn, user).map_err(key_error)? {
            let url = format!("{}/api/v1/orgs/{}/signing-keys", self.base, self.org);
            let request = NewSigningKey {
                key_id: key_id.clone(),
                public_key: hex::encode(&public_key),
            };
            let answer: AttestedKey = match post(&self.agent, &url, Some(&self.token), &request) {
                Ok(a) => a,
                Err(SyncError::Refused { status: 403, error }) => {
                    tracing::debug!(key = %key_id, %error.message, "signing key not attested");
                    continue;
                }
                Err(e) => return Err(e),
            };
            let key = crate::documents::SigningKey {
                user_id: answer.user_id,
                public_key: answer.public_key,
                attested_at: answer.attested_at,
                attestation: answer.attestation,
            };
            if answer.key_id != key_id
                || key.user_id != user.to_string()
                || !signing::attested(self.org, &key_id, &key, &pinned)
            {
                return Err(SyncError::Protocol(format!(
                    "the server's attestation of signing key {key_id} does not verify \
                     under its pinned key"
                )));
            }
            local::attested(conn, &key_id).map_err(key_error)?;
            tracing::info!(key = %key_id, "signing key attested by the server");
            done.attested += 1;
        }
        Ok(done)
    }
}

fn key_error(e: KeyStoreError) -> SyncError {
    match e {
        KeyStoreError::Sqlite(e) => e.into(),
        other => SyncError::Protocol(other.to_string()),
    }
}
