//! The workstation's SQLite file: Automerge documents (a compacted snapshot
//! plus the changes made since), the sync outbox, projections, local audit.
//!
//! Every write goes through one IMMEDIATE transaction ([`Store::transaction`])
//! that stores the new changes, updates the projections and the audit, so a
//! crash leaves either all of it or none. WAL with `synchronous=FULL`: a
//! committed write survives a kill -9 and a power cut.

use std::path::{Path, PathBuf};
use std::time::Duration;

use automerge::{Automerge, ChangeHash};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use crate::documents::DocClass;

mod embedded {
    refinery::embed_migrations!("../migrations/local");
}

/// Changes kept beside a snapshot before the document is compacted into a
/// new snapshot. Small enough that loading stays cheap, large enough that a
/// busy agenda week is not re-saved on every booking.
pub const COMPACT_AFTER: i64 = 64;

/// File name of the store inside a data directory.
pub const FILE_NAME: &str = "arcada.sqlite3";

/// The data directory when none is given (`--data`, `ARCADA_DATA`): the
/// OS data directory, shared by the CLI and the desktop app.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("br", "Arcada", "arcada").map(|d| d.data_dir().to_path_buf())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema migration failed: {0}")]
    Migration(#[from] refinery::Error),
    #[error("document {id} is damaged: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The local store. One per data directory; several processes may open it
/// (SQLite serialises their writes).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A document as loaded from the store.
#[derive(Debug)]
pub struct StoredDoc {
    pub id: Uuid,
    pub class: DocClass,
    pub doc: Automerge,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema
    /// to the latest version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut store = Store::open_unmigrated(path)?;
        embedded::migrations::runner().run(&mut store.conn)?;
        Ok(store)
    }

    /// Creates a store at an older schema version. For upgrade tests only.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: i32) -> Result<Store, StoreError> {
        let mut store = Store::open_unmigrated(path)?;
        embedded::migrations::runner()
            .set_target(refinery::Target::Version(version))
            .run(&mut store.conn)?;
        Ok(store)
    }

    fn open_unmigrated(path: &Path) -> Result<Store, StoreError> {
        crate::owner_only::database(path).map_err(|e| StoreError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache (negative = KiB): a 100,000-patient store's
        // indexes stay in memory instead of being re-read page by page.
        conn.pragma_update(None, "cache_size", -65_536)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest applied schema version.
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        let v: Option<i32> = self.conn.query_row(
            "SELECT MAX(version) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )?;
        Ok(v.unwrap_or(0))
    }

    /// Read access for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Starts a write. Nothing is visible to others until [`StoreTx::commit`];
    /// dropping it rolls everything back.
    pub fn transaction(&mut self) -> Result<StoreTx<'_>, StoreError> {
        Ok(StoreTx {
            tx: self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?,
        })
    }
}

/// A write transaction on the store.
#[derive(Debug)]
pub struct StoreTx<'c> {
    tx: rusqlite::Transaction<'c>,
}

impl std::ops::Deref for StoreTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl StoreTx<'_> {
    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }

    /// Stores a document created here: its full save as the snapshot, every
    /// change queued for the server.
    pub fn insert_new(
        &self,
        id: Uuid,
        class: DocClass,
        doc: &Automerge,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let heads = heads_text(&doc.get_heads());
        self.tx
            .prepare_cached(
                "INSERT INTO documents (id, class, snapshot, snapshot_heads, heads, change_count, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5, ?5)",
            )?
            .execute(params![id.to_string(), class.as_str(), doc.save(), heads, now_ms])?;
        let mut outbox = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO outbox (doc_id, hash, queued_at) VALUES (?1, ?2, ?3)",
        )?;
        for change in doc.get_changes(&[]) {
            outbox.execute(params![id.to_string(), change.hash().0.as_slice(), now_ms])?;
        }
        Ok(())
    }

    /// Stores the changes `doc` has beyond `before` (its heads when it was
    /// loaded), queues them for the server, and compacts the document when
    /// enough changes have piled up.
    pub fn save_changes(
        &self,
        id: Uuid,
        doc: &Automerge,
        before: &[ChangeHash],
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        self.store_changes(id, doc, before, now_ms, true)
    }

    /// Applies changes received from the server to a document, creating it
    /// if this workstation has never seen it. They are not queued back.
    pub fn apply_changes(
        &self,
        id: Uuid,
        class: DocClass,
        changes: Vec<automerge::Change>,
    ) -> Result<Automerge, StoreError> {
        self.apply_changes_checked(id, class, changes, |_| (), |_, _| Ok::<_, StoreError>(()))
    }

    /// Like [`StoreTx::apply_changes`], with a say on the result: `before`
    /// looks at the stored document first (not called for a new one), and
    /// `after` at the result with what `before` found; if it refuses,
    /// nothing is written and its error is returned.
    pub fn apply_changes_checked<B, E: From<StoreError>>(
        &self,
        id: Uuid,
        class: DocClass,
        changes: Vec<automerge::Change>,
        before: impl FnOnce(&Automerge) -> B,
        after: impl FnOnce(&Automerge, Option<B>) -> Result<(), E>,
    ) -> Result<Automerge, E> {
        let corrupt = |reason: String| StoreError::Corrupt {
            id: id.to_string(),
            reason,
        };
        let now = chrono::Utc::now().timestamp_millis();
        match load(&self.tx, id)? {
            Some(mut stored) => {
                let found = before(&stored.doc);
                let heads = stored.doc.get_heads();
                stored
                    .doc
                    .apply_changes(changes)
                    .map_err(|e| corrupt(e.to_string()))?;
                after(&stored.doc, Some(found))?;
                self.store_changes(id, &stored.doc, &heads, now, false)?;
                Ok(stored.doc)
            }
            None => {
                let mut doc = Automerge::new();
                doc.apply_changes(changes)
                    .map_err(|e| corrupt(e.to_string()))?;
                after(&doc, None)?;
                self.tx
                    .prepare_cached(
                        "INSERT INTO documents (id, class, snapshot, snapshot_heads, heads, change_count, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5, ?5)",
                    )
                    .and_then(|mut s| s.execute(params![id.to_string(), class.as_str(), doc.save(), heads_text(&doc.get_heads()), now]))
                    .map_err(StoreError::from)?;
                Ok(doc)
            }
        }
    }

    /// Takes in a whole document received from the server (its saved
    /// `bytes`, already loaded as `doc`): stored as is when new here,
    /// merged into the local one otherwise. Nothing is queued back.
    pub fn receive_document(
        &self,
        id: Uuid,
        class: DocClass,
        mut doc: Automerge,
        bytes: &[u8],
    ) -> Result<Automerge, StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        match load(&self.tx, id)? {
            Some(mut stored) => {
                let before = stored.doc.get_heads();
                stored
                    .doc
                    .merge(&mut doc)
                    .map_err(|e| StoreError::Corrupt {
                        id: id.to_string(),
                        reason: e.to_string(),
                    })?;
                self.store_changes(id, &stored.doc, &before, now, false)?;
                Ok(stored.doc)
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO documents (id, class, snapshot, snapshot_heads, heads, change_count, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5, ?5)",
                    )?
                    .execute(params![id.to_string(), class.as_str(), bytes, heads_text(&doc.get_heads()), now])?;
                Ok(doc)
            }
        }
    }

    /// Runs `f` so that everything it writes is undone if it fails (a
    /// savepoint inside the transaction): one document that cannot be
    /// taken in leaves the rest of a page applied.
    pub fn undoable<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.tx
            .execute_batch("SAVEPOINT undoable")
            .map_err(StoreError::from)?;
        match f(self) {
            Ok(value) => {
                self.tx
                    .execute_batch("RELEASE undoable")
                    .map_err(StoreError::from)?;
                Ok(value)
            }
            Err(e) => {
                self.tx
                    .execute_batch("ROLLBACK TO undoable; RELEASE undoable")
                    .map_err(StoreError::from)?;
                Err(e)
            }
        }
    }

    /// Sets a change aside for audit (see [`Quarantined`]); a change the
    /// server refused also leaves the outbox.
    pub fn quarantine(&self, q: &Quarantined) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO quarantine (doc_id, hash, bytes, direction, code, reason, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                q.doc.to_string(),
                q.hash.map(|h| h.0.to_vec()),
                q.bytes,
                q.direction,
                q.code,
                q.reason,
                q.at_ms
            ])?;
        if let (Some(hash), "push") = (q.hash, q.direction) {
            self.ack(q.doc, &hash)?;
        }
        Ok(())
    }

    /// A change the server acknowledged leaves the outbox.
    pub fn ack(&self, id: Uuid, hash: &ChangeHash) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM outbox WHERE doc_id = ?1 AND hash = ?2")?
            .execute(params![id.to_string(), hash.0.as_slice()])?;
        Ok(())
    }

    fn store_changes(
        &self,
        id: Uuid,
        doc: &Automerge,
        before: &[ChangeHash],
        now_ms: i64,
        queue: bool,
    ) -> Result<usize, StoreError> {
        let changes = doc.get_changes(before);
        if changes.is_empty() {
            return Ok(0);
        }
        let id_text = id.to_string();
        {
            let mut insert = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO changes (doc_id, hash, bytes) VALUES (?1, ?2, ?3)",
            )?;
            let mut outbox = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO outbox (doc_id, hash, queued_at) VALUES (?1, ?2, ?3)",
            )?;
            for change in &changes {
                let hash = change.hash();
                insert.execute(params![id_text, hash.0.as_slice(), change.raw_bytes()])?;
                if queue {
                    outbox.execute(params![id_text, hash.0.as_slice(), now_ms])?;
                }
            }
        }
        let heads = heads_text(&doc.get_heads());
        let count: i64 = self.tx.query_row(
            "UPDATE documents SET heads = ?2, change_count = change_count + ?3, updated_at = ?4
             WHERE id = ?1 RETURNING change_count",
            params![id_text, heads, changes.len() as i64, now_ms],
            |r| r.get(0),
        )?;
        if count >= COMPACT_AFTER {
            self.tx.execute(
                "UPDATE documents SET snapshot = ?2, snapshot_heads = heads, change_count = 0 WHERE id = ?1",
                params![id_text, doc.save()],
            )?;
            self.tx
                .execute("DELETE FROM changes WHERE doc_id = ?1", [&id_text])?;
        }
        Ok(changes.len())
    }

    /// Records an action in the local audit trail.
    pub fn audit(
        &self,
        at_ms: i64,
        user: &str,
        device: &str,
        action: &str,
        doc: Option<Uuid>,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO audit (at, user_id, device_id, action, doc_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![at_ms, user, device, action, doc.map(|d| d.to_string()), detail])?;
        Ok(())
    }

    /// Deletes every document of a class, with its queued changes: what a
    /// workstation does when its user's role may no longer read the class.
    /// Projections are the caller's (see `projection::clear_class`).
    pub fn drop_class(&self, class: DocClass) -> Result<usize, StoreError> {
        for table in ["changes", "outbox", "projection_heads"] {
            self.tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE doc_id IN (SELECT id FROM documents WHERE class = ?1)"
                ),
                [class.as_str()],
            )?;
        }
        Ok(self
            .tx
            .execute("DELETE FROM documents WHERE class = ?1", [class.as_str()])?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

/// How many local changes wait for the server's acknowledgement.
pub fn outbox_len(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Reads a value from the `meta` table.
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// Loads a document: its snapshot, then the changes stored since.
pub fn load(conn: &Connection, id: Uuid) -> Result<Option<StoredDoc>, StoreError> {
    let id_text = id.to_string();
    let row: Option<(String, Vec<u8>)> = conn
        .prepare_cached("SELECT class, snapshot FROM documents WHERE id = ?1")?
        .query_row([&id_text], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((class, snapshot)) = row else {
        return Ok(None);
    };
    let corrupt = |reason: String| StoreError::Corrupt {
        id: id_text.clone(),
        reason,
    };
    let class: DocClass = class
        .parse()
        .map_err(|e: crate::UnknownValue| corrupt(e.to_string()))?;
    let mut doc = Automerge::load(&snapshot).map_err(|e| corrupt(e.to_string()))?;
    let mut stmt = conn.prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?1")?;
    let mut rows = stmt.query([&id_text])?;
    while let Some(row) = rows.next()? {
        let bytes: Vec<u8> = row.get(0)?;
        doc.load_incremental(&bytes)
            .map_err(|e| corrupt(e.to_string()))?;
    }
    Ok(Some(StoredDoc { id, class, doc }))
}

/// A change set aside instead of stopping sync.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Quarantined {
    pub doc: Uuid,
    /// Absent when the bytes are not even a change.
    #[serde(serialize_with = "hash_hex")]
    pub hash: Option<ChangeHash>,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// `push` (refused by the server) or `pull` (not applicable here).
    pub direction: &'static str,
    pub code: String,
    pub reason: String,
    pub at_ms: i64,
}

fn hash_hex<S: serde::Serializer>(hash: &Option<ChangeHash>, s: S) -> Result<S::Ok, S::Error> {
    match hash {
        Some(h) => s.serialize_some(&h.to_string()),
        None => s.serialize_none(),
    }
}

/// How many changes are set aside.
pub fn quarantine_len(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM quarantine", [], |r| {
        r.get::<_, i64>(0)
    })? as u64)
}

/// The changes set aside, newest first.
pub fn quarantined(conn: &Connection) -> Result<Vec<Quarantined>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT doc_id, hash, bytes, direction, code, reason, at FROM quarantine ORDER BY at DESC, id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<Vec<u8>>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (doc, hash, bytes, direction, code, reason, at_ms) = row?;
        let corrupt = |reason: String| StoreError::Corrupt {
            id: doc.clone(),
            reason,
        };
        out.push(Quarantined {
            doc: doc
                .parse()
                .map_err(|e: uuid::Error| corrupt(e.to_string()))?,
            hash: hash
                .map(|h| ChangeHash::try_from(h.as_slice()))
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            bytes,
            direction: if direction == "push" { "push" } else { "pull" },
            code,
            reason,
            at_ms,
        });
    }
    Ok(out)
}

/// Every queued change of one document.
pub fn outbox_of(conn: &Connection, doc: Uuid) -> Result<Vec<ChangeHash>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT hash FROM outbox WHERE doc_id = ?1")?;
    let rows = stmt.query_map([doc.to_string()], |r| r.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for row in rows {
        let hash = row?;
        out.push(
            ChangeHash::try_from(hash.as_slice()).map_err(|e| StoreError::Corrupt {
                id: doc.to_string(),
                reason: e.to_string(),
            })?,
        );
    }
    Ok(out)
}

/// Whether a change was set aside.
pub fn is_quarantined(conn: &Connection, doc: Uuid, hash: &ChangeHash) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM quarantine WHERE doc_id = ?1 AND hash = ?2")?
        .query_row(params![doc.to_string(), hash.0.as_slice()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Up to `limit` queued changes, oldest first, skipping `except` documents.
pub fn outbox(
    conn: &Connection,
    except: &[Uuid],
    limit: usize,
) -> Result<Vec<(Uuid, ChangeHash)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT doc_id, hash FROM outbox ORDER BY queued_at, doc_id")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let (doc, hash): (String, Vec<u8>) = (row.get(0)?, row.get(1)?);
        let corrupt = |reason: String| StoreError::Corrupt {
            id: doc.clone(),
            reason,
        };
        let id = Uuid::parse_str(&doc).map_err(|e| corrupt(e.to_string()))?;
        if except.contains(&id) {
            continue;
        }
        let hash = ChangeHash::try_from(hash.as_slice()).map_err(|e| corrupt(e.to_string()))?;
        out.push((id, hash));
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// The class of a stored document, without loading it.
pub fn class_of(conn: &Connection, id: Uuid) -> Result<Option<DocClass>, StoreError> {
    let class: Option<String> = conn
        .prepare_cached("SELECT class FROM documents WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    class
        .map(|c| {
            c.parse()
                .map_err(|e: crate::UnknownValue| StoreError::Corrupt {
                    id: id.to_string(),
                    reason: e.to_string(),
                })
        })
        .transpose()
}

/// Every document id, by class then id: the order reindex and export use.
pub fn document_ids(conn: &Connection) -> Result<Vec<(Uuid, DocClass)>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, class FROM documents ORDER BY class, id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, class) = row?;
        let corrupt = |reason: String| StoreError::Corrupt {
            id: id.clone(),
            reason,
        };
        let uuid = Uuid::parse_str(&id).map_err(|e| corrupt(e.to_string()))?;
        let class = class
            .parse()
            .map_err(|e: crate::UnknownValue| corrupt(e.to_string()))?;
        out.push((uuid, class));
    }
    Ok(out)
}

/// Heads as stored: sorted hex hashes joined by commas.
pub fn heads_text(heads: &[ChangeHash]) -> String {
    let mut hex: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    hex.sort();
    hex.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{self, AgendaWeek, Attribution};

    #[test]
    fn documents_survive_compaction_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let site = Uuid::now_v7();
        let id = documents::agenda_id(site, "2026-W48");
        let by = Attribution {
            user: "u".into(),
            device: "d".into(),
            op: "test".into(),
        };
        let mut expected_heads = String::new();
        {
            let mut store = Store::open(&path).expect("open");
            let tx = store.transaction().expect("tx");
            let doc = documents::genesis(id, &AgendaWeek::new(site, "2026-W48")).expect("genesis");
            tx.insert_new(id, DocClass::Agenda, &doc, 1)
                .expect("insert");
            tx.commit().expect("commit");
            for i in 0..(COMPACT_AFTER + 10) {
                let tx = store.transaction().expect("tx");
                let mut doc = load(&tx, id).expect("load").expect("exists").doc;
                doc.set_actor(automerge::ActorId::from(b"device".as_slice()));
                let before = doc.get_heads();
                let block = documents::Block {
                    id: i.to_string(),
                    professional_id: None,
                    chair_id: None,
                    start: "2026-11-23T12:00".into(),
                    end: "2026-11-23T13:00".into(),
                    reason: format!("r{i}"),
                };
                documents::commit_entry(&mut doc, "blocks", &i.to_string(), &block, &by, 2)
                    .expect("commit");
                tx.save_changes(id, &doc, &before, 2).expect("save");
                tx.commit().expect("commit");
                expected_heads = heads_text(&doc.get_heads());
            }
        }
        let store = Store::open(&path).expect("reopen");
        let loaded = load(store.conn(), id).expect("load").expect("exists");
        assert_eq!(heads_text(&loaded.doc.get_heads()), expected_heads);
        let week: AgendaWeek = autosurgeon::hydrate(&loaded.doc).expect("hydrate");
        assert_eq!(week.blocks.len() as i64, COMPACT_AFTER + 10);
        let pending: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0))
            .expect("count");
        assert!(pending < COMPACT_AFTER, "compaction kept {pending} changes");
        let outbox: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
            .expect("count");
        assert_eq!(
            outbox,
            COMPACT_AFTER + 11,
            "every change stays queued for the server"
        );
        assert_eq!(store.schema_version().expect("version"), 10);
    }
}
