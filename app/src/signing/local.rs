//! The keys this workstation keeps: its professionals' key pairs (made
//! here, the private half never leaves) and the server's public key,
//! pinned the first time it was seen.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use super::SigningError;

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(
        "the server's attestation key changed (pinned {pinned}, now {offered}): signatures \
         are not checked against it; ask the clinic's IT to confirm the server"
    )]
    ServerKeyChanged { pinned: String, offered: String },
}

/// One of this workstation's key pairs.
#[derive(Debug, Clone)]
pub struct OwnKey {
    pub key_id: String,
    pub pkcs8: Vec<u8>,
    pub public_key: Vec<u8>,
    pub attested: bool,
}

/// `user`'s key on this workstation, made now if there is none: signing
/// works offline, and the server attests the key at the next sync.
pub fn own_key(conn: &Connection, user: Uuid, now_ms: i64) -> Result<OwnKey, KeyStoreError> {
    if let Some(key) = conn
        .query_row(
            "SELECT key_id, pkcs8, public_key, attested FROM signing_keys
             WHERE user_id = ?1 ORDER BY created_at DESC LIMIT 1",
            [user.to_string()],
            |r| {
                Ok(OwnKey {
                    key_id: r.get(0)?,
                    pkcs8: r.get(1)?,
                    public_key: r.get(2)?,
                    attested: r.get::<_, i64>(3)? != 0,
                })
            },
        )
        .optional()?
    {
        return Ok(key);
    }
    let pkcs8 = super::new_key_pair()?;
    let public_key = super::public_key(&pkcs8)?;
    let key_id = super::key_id(&public_key);
    conn.execute(
        "INSERT INTO signing_keys (key_id, user_id, pkcs8, public_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![key_id, user.to_string(), pkcs8, public_key, now_ms],
    )?;
    tracing::info!(%user, key = %key_id, "signing key made");
    Ok(OwnKey {
        key_id,
        pkcs8,
        public_key,
        attested: false,
    })
}

/// Keys made here that the server has not attested yet: id → public key.
pub fn pending(conn: &Connection) -> Result<BTreeMap<String, Vec<u8>>, KeyStoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT key_id, public_key FROM signing_keys WHERE attested = 0")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// [`pending`] keys of `user`: the ones their session can publish.
pub fn pending_of(conn: &Connection, user: Uuid) -> Result<Vec<(String, Vec<u8>)>, KeyStoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key_id, public_key FROM signing_keys WHERE attested = 0 AND user_id = ?1",
    )?;
    let rows = stmt.query_map([user.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records that the server attested `key_id`.
pub fn attested(conn: &Connection, key_id: &str) -> Result<(), KeyStoreError> {
    conn.execute(
        "UPDATE signing_keys SET attested = 1 WHERE key_id = ?1",
        [key_id],
    )?;
    Ok(())
}

/// The server's attestation key as pinned, if it was.
pub fn server_key(conn: &Connection) -> Result<Option<Vec<u8>>, KeyStoreError> {
    Ok(conn
        .query_row("SELECT public_key FROM server_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Pins the server's attestation key the first time it is seen; a
/// different one later is refused (and reported), never pinned over.
pub fn pin_server_key(conn: &Connection, key: &[u8], now_ms: i64) -> Result<(), KeyStoreError> {
    match server_key(conn)? {
        Some(pinned) if pinned == key => Ok(()),
        Some(pinned) => Err(KeyStoreError::ServerKeyChanged {
            pinned: hex::encode(pinned),
            offered: hex::encode(key),
        }),
        None => {
            conn.execute(
                "INSERT INTO server_key (id, public_key, pinned_at) VALUES (1, ?1, ?2)",
                params![key, now_ms],
            )?;
            Ok(())
        }
    }
}
