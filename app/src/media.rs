//! WhatsApp media kept on the workstation. Conversation documents hold
//! only a reference to a file (`sha256:<hex>`, a key in the server's blob
//! storage); the bytes are fetched from the server and kept here, so a
//! thread's photos still show when the internet drops. The sync engine
//! fetches what recent conversations reference after each round
//! ([`wanted`]); the desktop fetches anything else when it is shown.
//!
//! Content-addressed: bytes are kept only under their own SHA-256, so a
//! wrong answer can never pass for a patient's photo, and nothing kept is
//! ever stale. The cache is held to a size budget, least recently shown
//! first out.

use ring::digest;
use rusqlite::{params, Connection, OptionalExtension};

use crate::store::StoreError;

/// Bytes kept at most (the least recently shown go first).
pub const BUDGET: i64 = 512 * 1024 * 1024;
/// The engine fetches ahead the media of messages this recent...
pub const AHEAD_DAYS: i64 = 30;
/// ...no larger than this (larger files are fetched when opened)...
pub const AHEAD_MAX_BYTES: i64 = 5 * 1024 * 1024;
/// ...and this many per round, newest first.
pub const AHEAD_PER_ROUND: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0:?} is not a SHA-256 digest")]
    NotADigest(String),
    #[error("the bytes received for {expected} have the digest {actual}")]
    Mismatch { expected: String, actual: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for MediaError {
    fn from(e: rusqlite::Error) -> Self {
        MediaError::Store(StoreError::Sqlite(e))
    }
}

/// The digest of a reference, `sha256:<hex>` or the bare hex, lowercase.
pub fn digest_of(reference: &str) -> Result<String, MediaError> {
    let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MediaError::NotADigest(reference.to_string()));
    }
    Ok(hex.to_ascii_lowercase())
}

/// A kept file (its type and bytes), marked as just shown.
pub fn cached(
    conn: &Connection,
    sha256: &str,
    now: i64,
) -> Result<Option<(String, Vec<u8>)>, MediaError> {
    let sha256 = digest_of(sha256)?;
    let hit = conn
        .prepare_cached("SELECT mime_type, bytes FROM media_cache WHERE sha256 = ?1")?
        .query_row([&sha256], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if hit.is_some() {
        conn.prepare_cached("UPDATE media_cache SET used_at = ?2 WHERE sha256 = ?1")?
            .execute(params![sha256, now])?;
    }
    Ok(hit)
}

/// Keeps a file fetched from the server, if its bytes are the ones the
/// reference names (else nothing is kept), then evicts beyond [`BUDGET`].
pub fn keep(
    conn: &Connection,
    sha256: &str,
    mime_type: &str,
    bytes: &[u8],
    now: i64,
) -> Result<(), MediaError> {
    keep_within(conn, sha256, mime_type, bytes, now, BUDGET)
}

/// [`keep`] with a budget of its own.
pub fn keep_within(
    conn: &Connection,
    sha256: &str,
    mime_type: &str,
    bytes: &[u8],
    now: i64,
    budget: i64,
) -> Result<(), MediaError> {
    let expected = digest_of(sha256)?;
    let actual = hex::encode(digest::digest(&digest::SHA256, bytes));
    if actual != expected {
        return Err(MediaError::Mismatch { expected, actual });
    }
    let tx = conn.unchecked_transaction()?;
    tx.prepare_cached(
        "INSERT INTO media_cache (sha256, mime_type, bytes, size, used_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sha256) DO UPDATE SET used_at = excluded.used_at",
    )?
    .execute(params![expected, mime_type, bytes, bytes.len() as i64, now])?;
    // Least recently shown first, never the file just kept.
    let mut total: i64 =
        tx.query_row("SELECT COALESCE(SUM(size), 0) FROM media_cache", [], |r| {
            r.get(0)
        })?;
    if total > budget {
        let oldest: Vec<(String, i64)> = tx
            .prepare(
                "SELECT sha256, size FROM media_cache WHERE sha256 <> ?1 ORDER BY used_at, sha256",
            )?
            .query_map([&expected], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut evict = tx.prepare_cached("DELETE FROM media_cache WHERE sha256 = ?1")?;
        for (sha, size) in oldest {
            if total <= budget {
                break;
            }
            evict.execute([&sha])?;
            total -= size;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Files recent conversations reference that are not kept yet, newest
/// first: sent after `since`, of known size up to `max_bytes`, at most
/// `limit` of them.
pub fn wanted(
    conn: &Connection,
    since: i64,
    max_bytes: i64,
    limit: usize,
) -> Result<Vec<String>, MediaError> {
    let rows = conn
        .prepare_cached(
            "SELECT m.sha256 FROM conversation_media m
             WHERE m.at >= ?1 AND m.size IS NOT NULL AND m.size <= ?2
               AND NOT EXISTS (SELECT 1 FROM media_cache c WHERE c.sha256 = m.sha256)
             GROUP BY m.sha256 ORDER BY MAX(m.at) DESC, m.sha256 LIMIT ?3",
        )?
        .query_map(params![since, max_bytes, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Forgets every kept file: this workstation may no longer read
/// conversations.
pub fn forget_all(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM media_cache", [])?;
    Ok(())
}

/// Bytes kept now.
pub fn kept_bytes(conn: &Connection) -> Result<i64, MediaError> {
    Ok(
        conn.query_row("SELECT COALESCE(SUM(size), 0) FROM media_cache", [], |r| {
            r.get(0)
        })?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, FILE_NAME};

    fn sha(bytes: &[u8]) -> String {
        hex::encode(digest::digest(&digest::SHA256, bytes))
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join(FILE_NAME)).expect("store");
        (dir, store)
    }

    #[test]
    fn only_the_bytes_a_digest_names_are_kept() {
        let (_dir, store) = store();
        let conn = store.conn();
        let photo = b"a photo of a broken tooth".to_vec();
        let key = format!("sha256:{}", sha(&photo));
        let wrong = keep(conn, &key, "image/jpeg", b"something else", 1);
        assert!(
            matches!(wrong, Err(MediaError::Mismatch { .. })),
            "{wrong:?}"
        );
        assert_eq!(cached(conn, &key, 2).expect("read"), None);
        assert!(matches!(
            keep(conn, "sha256:nothex", "image/jpeg", &photo, 1),
            Err(MediaError::NotADigest(_))
        ));
        keep(conn, &key, "image/jpeg", &photo, 3).expect("keep");
        // Upper-case hex names the same file.
        let upper = key.to_ascii_uppercase().replace("SHA256:", "sha256:");
        assert_eq!(
            cached(conn, &upper, 4).expect("read"),
            Some(("image/jpeg".to_string(), photo))
        );
    }

    #[test]
    fn beyond_the_budget_the_least_recently_shown_go_first() {
        let (_dir, store) = store();
        let conn = store.conn();
        let files: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 100]).collect();
        for (t, f) in files.iter().enumerate() {
            keep_within(conn, &sha(f), "image/png", f, t as i64, 1_000).expect("keep");
        }
        // The first is shown again: the second is now the oldest.
        assert!(cached(conn, &sha(&files[0]), 10).expect("read").is_some());
        let big = vec![9u8; 250];
        keep_within(conn, &sha(&big), "image/png", &big, 11, 500).expect("keep");
        let kept = |f: &[u8]| cached(conn, &sha(f), 20).expect("read").is_some();
        assert!(!kept(&files[1]) && !kept(&files[2]), "oldest evicted");
        assert!(kept(&files[0]) && kept(&files[3]) && kept(&big));
        assert_eq!(kept_bytes(conn).expect("size"), 450);
        // A file larger than the whole budget is still kept (it is the one
        // being shown); everything else makes room.
        let huge = vec![7u8; 600];
        keep_within(conn, &sha(&huge), "image/png", &huge, 30, 500).expect("keep");
        assert_eq!(kept_bytes(conn).expect("size"), 600);
        forget_all(conn).expect("forget");
        assert_eq!(kept_bytes(conn).expect("size"), 0);
    }

    #[test]
    fn wanted_lists_recent_small_unkept_files_newest_first() {
        let (_dir, store) = store();
        let conn = store.conn();
        let add = |doc: &str, sha: &str, size: Option<i64>, at: i64| {
            conn.execute(
                "INSERT INTO conversation_media (doc_id, sha256, mime_type, size, at) VALUES (?1, ?2, 'image/jpeg', ?3, ?4)",
                params![doc, sha, size, at],
            )
            .expect("insert");
        };
        let kept = vec![1u8; 10];
        keep(conn, &sha(&kept), "image/jpeg", &kept, 0).expect("keep");
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let c = "c".repeat(64);
        let d = "d".repeat(64);
        add("x", &a, Some(10), 100);
        add("y", &a, Some(10), 300); // the same file in two conversations
        add("x", &b, Some(10), 200);
        add("x", &c, Some(10_000), 250); // too large to fetch ahead
        add("x", &d, None, 260); // size unknown
        add("x", &"e".repeat(64), Some(10), 10); // too old
        add("x", &sha(&kept), Some(10), 400); // kept already
        assert_eq!(
            wanted(conn, 50, 1_000, 10).expect("wanted"),
            vec![a.clone(), b]
        );
        assert_eq!(wanted(conn, 50, 1_000, 1).expect("wanted"), vec![a]);
    }
}
