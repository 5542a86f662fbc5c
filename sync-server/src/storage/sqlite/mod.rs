//! The server's storage on an embedded SQLite file, the default: a fresh
//! machine runs the server with no other service. Calls block, so the
//! [`Storage`] implementation runs them on tokio's blocking pool. One
//! connection behind a mutex: SQLite has one writer anyway, and every call
//! is a short transaction.

mod whatsapp;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{
    parse_class, parse_role, Counts, DeviceRow, DocPush, LogRow, MemberRow, MembershipRow,
    NewToken, QuarantinedChange, SnapshotRow, Storage, StorageError, TokenRow,
};

mod embedded {
    refinery::embed_migrations!("../migrations/server-sqlite");
}

/// File name of the server's database inside its data directory.
pub const FILE_NAME: &str = "arcada-server.sqlite3";

/// One read snapshot for reads of the change log that also compute a
/// cursor. This process's connection is held under a lock, but the admin
/// commands are other processes writing the same file: in WAL mode, a
/// change they commit between two statements would otherwise be counted
/// as read without being sent. Dropped, it ends (nothing to commit).
pub(crate) fn read_snapshot(conn: &Connection) -> Result<rusqlite::Transaction<'_>, StorageError> {
    Ok(conn.unchecked_transaction()?)
}

/// The blocking SQLite database.
#[derive(Debug)]
pub struct SqliteDb {
    conn: Mutex<Connection>,
}

fn uuid(s: String) -> Result<Uuid, StorageError> {
    Uuid::parse_str(&s).map_err(|e| StorageError::Corrupt(format!("{s}: {e}")))
}

impl SqliteDb {
    /// Opens (creating if needed) the database in `dir` and migrates it.
    pub fn open(dir: &Path) -> Result<SqliteDb, StorageError> {
        let path = dir.join(FILE_NAME);
        arcada_core::owner_only::database(&path)
            .map_err(|e| StorageError::Corrupt(format!("{}: {e}", path.display())))?;
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // A push is acknowledged only once durable.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        embedded::migrations::runner().run(&mut conn)?;
        Ok(SqliteDb {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn create_org(&self, name: &str, now: i64) -> Result<Uuid, StorageError> {
        let id = Uuid::now_v7();
        self.conn().execute(
            "INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)",
            params![id.to_string(), name, now],
        )?;
        Ok(id)
    }

    /// Creates the user if the e-mail is new (with `password_hash`), then
    /// makes them a member of `org` with `role`.
    pub fn add_member(
        &self,
        org: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<Uuid, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let org_exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = ?1)",
            [org.to_string()],
            |r| r.get(0),
        )?;
        if !org_exists {
            return Err(StorageError::NotFound(format!("organisation {org}")));
        }
        let existing: Option<String> = tx
            .query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .optional()?;
        let user = match existing {
            Some(id) => uuid(id)?,
            None => {
                let id = Uuid::now_v7();
                tx.execute(
                    "INSERT INTO users (id, email, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![id.to_string(), email, password_hash, now],
                )?;
                id
            }
        };
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO memberships (org_id, user_id, role) VALUES (?1, ?2, ?3)",
            params![org.to_string(), user.to_string(), role.as_str()],
        )?;
        if inserted == 0 {
            return Err(StorageError::Exists(format!(
                "membership of {email} in {org}"
            )));
        }
        tx.commit()?;
        Ok(user)
    }

    pub fn user_by_email(&self, email: &str) -> Result<Option<(Uuid, String)>, StorageError> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT id, password_hash FROM users WHERE email = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(id, hash)| Ok((uuid(id)?, hash))).transpose()
    }

    pub fn memberships(&self, user: Uuid) -> Result<Vec<MembershipRow>, StorageError> {
        let rows = self.id_text_role(
            "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id
             WHERE m.user_id = ?1 ORDER BY o.name, o.id",
            user,
        )?;
        Ok(rows
            .into_iter()
            .map(|(org_id, name, role)| MembershipRow { org_id, name, role })
            .collect())
    }

    /// Rows of (uuid, text, role) selected by one uuid parameter.
    fn id_text_role(
        &self,
        sql: &str,
        param: Uuid,
    ) -> Result<Vec<(Uuid, String, Role)>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([param.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, text, role) = row?;
            out.push((uuid(id)?, text, parse_role(&role)?));
        }
        Ok(out)
    }

    pub fn role(&self, user: Uuid, org: Uuid) -> Result<Option<Role>, StorageError> {
        let role: Option<String> = self
            .conn()
            .prepare_cached("SELECT role FROM memberships WHERE user_id = ?1 AND org_id = ?2")?
            .query_row([user.to_string(), org.to_string()], |r| r.get(0))
            .optional()?;
        role.map(|r| parse_role(&r)).transpose()
    }

    pub fn create_device(&self, user: Uuid, name: &str, now: i64) -> Result<Uuid, StorageError> {
        let id = Uuid::now_v7();
        self.conn().execute(
            "INSERT INTO devices (id, user_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id.to_string(), user.to_string(), name, now],
        )?;
        Ok(id)
    }

    /// Revokes a device and every token it holds.
    pub fn revoke_device(&self, device: Uuid, now: i64) -> Result<bool, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device.to_string(), now],
        )?;
        tx.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
            params![device.to_string(), now],
        )?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// The user a device belongs to.
    pub fn device_owner(&self, device: Uuid) -> Result<Option<Uuid>, StorageError> {
        let owner: Option<String> = self
            .conn()
            .query_row(
                "SELECT user_id FROM devices WHERE id = ?1",
                [device.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        owner.map(uuid).transpose()
    }

    pub fn store_token(&self, t: &NewToken) -> Result<(), StorageError> {
        let NewToken {
            hash,
            kind,
            device,
            user,
            family,
            expires_at,
        } = t;
        self.conn()
            .prepare_cached(
                "INSERT INTO tokens (hash, kind, device_id, user_id, family, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![hash, kind, device.to_string(), user.to_string(), family, expires_at])?;
        Ok(())
    }

    pub fn token(&self, hash: &[u8], kind: &str) -> Result<Option<TokenRow>, StorageError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT t.device_id, t.user_id, t.family, t.expires_at, t.used_at,
                        EXISTS (SELECT 1 FROM tokens f WHERE f.family = t.family AND f.revoked_at IS NOT NULL),
                        d.revoked_at IS NOT NULL
                 FROM tokens t JOIN devices d ON d.id = t.device_id WHERE t.hash = ?1 AND t.kind = ?2",
            )?
            .query_row(params![hash, kind], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })
            .optional()?;
        row.map(
            |(device, user, family, expires_at, used_at, revoked, device_revoked)| {
                Ok(TokenRow {
                    device_id: uuid(device)?,
                    user_id: uuid(user)?,
                    family,
                    expires_at,
                    used_at,
                    revoked,
                    device_revoked,
                })
            },
        )
        .transpose()
    }

    /// Marks a refresh token spent. False if it already was (a reuse).
    pub fn spend_token(&self, hash: &[u8], now: i64) -> Result<bool, StorageError> {
        let n = self.conn().execute(
            "UPDATE tokens SET used_at = ?2 WHERE hash = ?1 AND used_at IS NULL",
            params![hash, now],
        )?;
        Ok(n == 1)
    }

    pub fn revoke_family(&self, family: &str, now: i64) -> Result<(), StorageError> {
        self.conn().execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE family = ?1 AND revoked_at IS NULL",
            params![family, now],
        )?;
        Ok(())
    }

    /// The recorded class of each given document that this organisation has.
    pub fn classes(&self, org: Uuid, docs: &[Uuid]) -> Result<Vec<(Uuid, DocClass)>, StorageError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT class FROM documents WHERE org_id = ?1 AND id = ?2")?;
        let mut out = Vec::new();
        for doc in docs {
            if let Some(c) = stmt
                .query_row([org.to_string(), doc.to_string()], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
            {
                out.push((*doc, parse_class(&c)?));
            }
        }
        Ok(out)
    }

    /// Stores the pushed documents' changes in one transaction; returns how
    /// many were new per document. A document recorded in the meantime with
    /// another class keeps its recorded class.
    pub fn append(
        &self,
        org: Uuid,
        device: Uuid,
        docs: &[DocPush],
        now: i64,
    ) -> Result<Vec<usize>, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stored = Vec::with_capacity(docs.len());
        {
            let mut record = tx.prepare_cached(
                "INSERT INTO documents (org_id, id, class, first_seen) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )?;
            let mut recorded =
                tx.prepare_cached("SELECT class FROM documents WHERE org_id = ?1 AND id = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO changes (org_id, doc_id, class, hash, bytes, device_id, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut last = tx.prepare_cached(
                "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE org_id = ?1 AND doc_id = ?2",
            )?;
            for d in docs {
                if let Some(expected) = d.expect_last {
                    let seq: i64 =
                        last.query_row([org.to_string(), d.doc.to_string()], |r| r.get(0))?;
                    if seq != expected {
                        return Err(StorageError::Stale(d.doc));
                    }
                }
                record.execute(params![
                    org.to_string(),
                    d.doc.to_string(),
                    d.class.as_str(),
                    now
                ])?;
                let class: String =
                    recorded.query_row([org.to_string(), d.doc.to_string()], |r| r.get(0))?;
                let mut n = 0;
                for (hash, bytes) in &d.changes {
                    n += insert.execute(params![
                        org.to_string(),
                        d.doc.to_string(),
                        class,
                        hash,
                        bytes,
                        device.to_string(),
                        now
                    ])?;
                }
                stored.push(n);
            }
        }
        tx.commit()?;
        Ok(stored)
    }

    pub fn snapshot_page(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: usize,
        readable: &[DocClass],
    ) -> Result<(Vec<SnapshotRow>, i64), StorageError> {
        let conn = self.conn();
        let conn = read_snapshot(&conn)?;
        let position: Option<i64> = conn.query_row(
            "SELECT MAX(seq) FROM changes WHERE org_id = ?1",
            [org.to_string()],
            |r| r.get(0),
        )?;
        let classes =
            serde_json::to_string(&readable.iter().map(|c| c.as_str()).collect::<Vec<_>>())
                .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, class, last, CASE WHEN s.seq = last THEN s.bytes END FROM (
                 SELECT d.id, d.class,
                        (SELECT MAX(seq) FROM changes c WHERE c.org_id = d.org_id AND c.doc_id = d.id) AS last
                 FROM documents d
                 WHERE d.org_id = ?1 AND d.id > ?2 AND d.class IN (SELECT value FROM json_each(?3))
                 ORDER BY d.id LIMIT ?4
             ) LEFT JOIN snapshots s ON s.org_id = ?1 AND s.doc_id = id
             ORDER BY id",
        )?;
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let rows = stmt.query_map(
            params![org.to_string(), after, classes, limit as i64],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (doc, class, last, snapshot) = row?;
            out.push(SnapshotRow {
                doc: uuid(doc)?,
                class: parse_class(&class)?,
                last_seq: last.unwrap_or(0),
                snapshot,
            });
        }
        Ok((out, position.unwrap_or(0)))
    }

    pub fn document_changes_after(
        &self,
        org: Uuid,
        doc: Uuid,
        after: i64,
    ) -> Result<(Vec<Vec<u8>>, i64), StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, bytes FROM changes WHERE org_id = ?1 AND doc_id = ?2 AND seq > ?3 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![org.to_string(), doc.to_string(), after], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut last = after;
        let mut out = Vec::new();
        for row in rows {
            let (seq, bytes) = row?;
            last = seq;
            out.push(bytes);
        }
        Ok((out, last))
    }

    pub fn save_snapshot(
        &self,
        org: Uuid,
        doc: Uuid,
        seq: i64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        self.conn().execute(
            "INSERT INTO snapshots (org_id, doc_id, seq, bytes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (org_id, doc_id) DO UPDATE SET seq = excluded.seq, bytes = excluded.bytes
             WHERE excluded.seq > snapshots.seq",
            params![org.to_string(), doc.to_string(), seq, bytes],
        )?;
        Ok(())
    }

    pub fn quarantine_changes(
        &self,
        org: Uuid,
        doc: Uuid,
        hashes: &[Vec<u8>],
        reason: &str,
        now: i64,
    ) -> Result<usize, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (org, doc) = (org.to_string(), doc.to_string());
        let mut moved = 0;
        for hash in hashes {
            moved += tx.execute(
                "INSERT INTO quarantined_changes
                   (org_id, doc_id, seq, class, hash, bytes, device_id, received_at, reason, quarantined_at)
                 SELECT org_id, doc_id, seq, class, hash, bytes, device_id, received_at, ?4, ?5
                 FROM changes WHERE org_id = ?1 AND doc_id = ?2 AND hash = ?3",
                params![org, doc, hash, reason, now],
            )?;
            tx.execute(
                "DELETE FROM changes WHERE org_id = ?1 AND doc_id = ?2 AND hash = ?3",
                params![org, doc, hash],
            )?;
        }
        tx.execute(
            "DELETE FROM snapshots WHERE org_id = ?1 AND doc_id = ?2",
            params![org, doc],
        )?;
        tx.commit()?;
        Ok(moved)
    }

    pub fn invite(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
        by: Uuid,
        now: i64,
    ) -> Result<(), StorageError> {
        self.conn().execute(
            "INSERT INTO invitations (org_id, user_id, role, invited_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, user_id) DO UPDATE
             SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at",
            params![org.to_string(), user.to_string(), role.as_str(), by.to_string(), now],
        )?;
        Ok(())
    }

    pub fn invitations(&self, user: Uuid) -> Result<Vec<MembershipRow>, StorageError> {
        Ok(self
            .id_text_role(
                "SELECT o.id, o.name, i.role FROM invitations i JOIN organizations o ON o.id = i.org_id
                 WHERE i.user_id = ?1 ORDER BY i.created_at, o.id",
                user,
            )?
            .into_iter()
            .map(|(org_id, name, role)| MembershipRow { org_id, name, role })
            .collect())
    }

    pub fn answer_invitation(
        &self,
        org: Uuid,
        user: Uuid,
        accept: bool,
    ) -> Result<Option<Role>, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let role: Option<String> = tx
            .query_row(
                "DELETE FROM invitations WHERE org_id = ?1 AND user_id = ?2 RETURNING role",
                [org.to_string(), user.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(role) = role else {
            return Ok(None);
        };
        let role = parse_role(&role)?;
        if accept {
            tx.execute(
                "INSERT INTO memberships (org_id, user_id, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (org_id, user_id) DO NOTHING",
                params![org.to_string(), user.to_string(), role.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(Some(role))
    }

    pub fn set_password(
        &self,
        user: Uuid,
        password_hash: &str,
        keep_device: Option<Uuid>,
        now: i64,
    ) -> Result<Vec<Uuid>, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![user.to_string(), password_hash],
        )?;
        let keep = keep_device.map(|d| d.to_string()).unwrap_or_default();
        let devices: Vec<String> = {
            let mut stmt = tx.prepare(
                "UPDATE tokens SET revoked_at = ?2
                 WHERE user_id = ?1 AND revoked_at IS NULL AND device_id <> ?3
                 RETURNING device_id",
            )?;
            let rows = stmt.query_map(params![user.to_string(), now, keep], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        tx.commit()?;
        let mut devices: Vec<Uuid> = devices.into_iter().map(uuid).collect::<Result<_, _>>()?;
        devices.sort();
        devices.dedup();
        Ok(devices)
    }

    pub fn create_password_reset(
        &self,
        hash: &[u8],
        user: Uuid,
        by: Uuid,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        self.conn().execute(
            "INSERT INTO password_resets (hash, user_id, created_by, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, user.to_string(), by.to_string(), now, expires_at],
        )?;
        Ok(())
    }

    pub fn take_password_reset(&self, hash: &[u8], now: i64) -> Result<Option<Uuid>, StorageError> {
        let user: Option<String> = self
            .conn()
            .query_row(
                "UPDATE password_resets SET used_at = ?2
                 WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2
                 RETURNING user_id",
                params![hash, now],
                |r| r.get(0),
            )
            .optional()?;
        user.map(uuid).transpose()
    }

    pub fn server_key(&self, name: &str, fresh: &[u8], now: i64) -> Result<Vec<u8>, StorageError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO server_keys (name, pkcs8, created_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![name, fresh, now],
        )?;
        Ok(conn.query_row(
            "SELECT pkcs8 FROM server_keys WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?)
    }

    pub fn quarantined_changes(&self, org: Uuid) -> Result<Vec<QuarantinedChange>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT doc_id, seq, hash, device_id, received_at, reason, quarantined_at
             FROM quarantined_changes WHERE org_id = ?1 ORDER BY quarantined_at DESC, seq DESC",
        )?;
        let rows = stmt.query_map([org.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let id = |t: &str| Uuid::parse_str(t).map_err(|e| StorageError::Corrupt(e.to_string()));
        let mut out = Vec::new();
        for row in rows {
            let (doc, seq, hash, device, received_at, reason, quarantined_at) = row?;
            out.push(QuarantinedChange {
                doc: id(&doc)?,
                seq,
                hash: hex::encode(hash),
                device: id(&device)?,
                received_at,
                reason,
                quarantined_at,
            });
        }
        Ok(out)
    }

    /// Changes after `after` in classes the caller may read, oldest first.
    /// Returns the rows, the cursor to continue from and whether more wait.
    pub fn pull(
        &self,
        org: Uuid,
        after: i64,
        limit: usize,
        readable: &[DocClass],
    ) -> Result<(Vec<LogRow>, i64, bool), StorageError> {
        let conn = self.conn();
        let conn = read_snapshot(&conn)?;
        let classes =
            serde_json::to_string(&readable.iter().map(|c| c.as_str()).collect::<Vec<_>>())
                .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, doc_id, class, bytes FROM changes
             WHERE org_id = ?1 AND seq > ?2 AND class IN (SELECT value FROM json_each(?3))
             ORDER BY seq LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![org.to_string(), after, classes, limit as i64 + 1],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, doc, c, bytes) = row?;
            out.push(LogRow {
                seq,
                doc: uuid(doc)?,
                class: parse_class(&c)?,
                bytes,
            });
        }
        let more = out.len() > limit;
        out.truncate(limit);
        let cursor = if more {
            out.last().map_or(after, |r| r.seq)
        } else {
            // Nothing readable beyond: skip past what this role cannot see.
            let max: Option<i64> = conn.query_row(
                "SELECT MAX(seq) FROM changes WHERE org_id = ?1",
                [org.to_string()],
                |r| r.get(0),
            )?;
            max.unwrap_or(after).max(after)
        };
        Ok((out, cursor, more))
    }

    pub fn members(&self, org: Uuid) -> Result<Vec<MemberRow>, StorageError> {
        let rows = self.id_text_role(
            "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = ?1 ORDER BY u.email",
            org,
        )?;
        Ok(rows
            .into_iter()
            .map(|(user_id, email, role)| MemberRow {
                user_id,
                email,
                role,
            })
            .collect())
    }

    pub fn set_role(&self, org: Uuid, user: Uuid, role: Role) -> Result<bool, StorageError> {
        let n = self.conn().execute(
            "UPDATE memberships SET role = ?3 WHERE org_id = ?1 AND user_id = ?2",
            params![org.to_string(), user.to_string(), role.as_str()],
        )?;
        Ok(n == 1)
    }

    pub fn remove_member(&self, org: Uuid, user: Uuid) -> Result<bool, StorageError> {
        let n = self.conn().execute(
            "DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2",
            params![org.to_string(), user.to_string()],
        )?;
        Ok(n == 1)
    }

    pub fn devices(&self, user: Uuid) -> Result<Vec<DeviceRow>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, created_at, revoked_at IS NOT NULL FROM devices WHERE user_id = ?1 ORDER BY created_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([user.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, created_at, revoked) = row?;
            out.push(DeviceRow {
                id: uuid(id)?,
                name,
                created_at,
                revoked,
            });
        }
        Ok(out)
    }

    pub fn document_count(&self, org: Uuid) -> Result<u64, StorageError> {
        let n: i64 = self
            .conn()
            .prepare_cached("SELECT COUNT(*) FROM documents WHERE org_id = ?1")?
            .query_row([org.to_string()], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Counts for /metrics.
    pub fn counts(&self) -> Result<Counts, StorageError> {
        let conn = self.conn();
        let organizations =
            conn.query_row("SELECT COUNT(*) FROM organizations", [], |r| r.get(0))?;
        let change_log_seq =
            conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })?;
        Ok(Counts {
            organizations,
            change_log_seq,
        })
    }
}

/// [`SqliteDb`] behind the async [`Storage`] trait.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    db: Arc<SqliteDb>,
}

impl SqliteStorage {
    pub fn open(dir: &Path) -> Result<SqliteStorage, StorageError> {
        Ok(SqliteStorage {
            db: Arc::new(SqliteDb::open(dir)?),
        })
    }

    /// Runs a blocking call on tokio's blocking pool.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqliteDb) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| StorageError::Corrupt(format!("storage task failed: {e}")))?
    }
}

impl Storage for SqliteStorage {
    async fn create_org(&self, name: String, now: i64) -> Result<Uuid, StorageError> {
        self.run(move |db| db.create_org(&name, now)).await
    }
    async fn add_member(
        &self,
        org: Uuid,
        email: String,
        password_hash: String,
        role: Role,
        now: i64,
    ) -> Result<Uuid, StorageError> {
        self.run(move |db| db.add_member(org, &email, &password_hash, role, now))
            .await
    }
    async fn user_by_email(&self, email: String) -> Result<Option<(Uuid, String)>, StorageError> {
        self.run(move |db| db.user_by_email(&email)).await
    }
    async fn memberships(&self, user: Uuid) -> Result<Vec<MembershipRow>, StorageError> {
        self.run(move |db| db.memberships(user)).await
    }
    async fn role(&self, user: Uuid, org: Uuid) -> Result<Option<Role>, StorageError> {
        self.run(move |db| db.role(user, org)).await
    }
    async fn create_device(
        &self,
        user: Uuid,
        name: String,
        now: i64,
    ) -> Result<Uuid, StorageError> {
        self.run(move |db| db.create_device(user, &name, now)).await
    }
    async fn revoke_device(&self, device: Uuid, now: i64) -> Result<bool, StorageError> {
        self.run(move |db| db.revoke_device(device, now)).await
    }
    async fn device_owner(&self, device: Uuid) -> Result<Option<Uuid>, StorageError> {
        self.run(move |db| db.device_owner(device)).await
    }
    async fn store_token(&self, token: NewToken) -> Result<(), StorageError> {
        self.run(move |db| db.store_token(&token)).await
    }
    async fn token(
        &self,
        hash: Vec<u8>,
        kind: &'static str,
    ) -> Result<Option<TokenRow>, StorageError> {
        self.run(move |db| db.token(&hash, kind)).await
    }
    async fn spend_token(&self, hash: Vec<u8>, now: i64) -> Result<bool, StorageError> {
        self.run(move |db| db.spend_token(&hash, now)).await
    }
    async fn revoke_family(&self, family: String, now: i64) -> Result<(), StorageError> {
        self.run(move |db| db.revoke_family(&family, now)).await
    }
    async fn classes(
        &self,
        org: Uuid,
        docs: Vec<Uuid>,
    ) -> Result<Vec<(Uuid, DocClass)>, StorageError> {
        self.run(move |db| db.classes(org, &docs)).await
    }
    async fn append(
        &self,
        org: Uuid,
        device: Uuid,
        docs: Vec<DocPush>,
        now: i64,
    ) -> Result<Vec<usize>, StorageError> {
        self.run(move |db| db.append(org, device, &docs, now)).await
    }
    async fn pull(
        &self,
        org: Uuid,
        after: i64,
        limit: usize,
        readable: Vec<DocClass>,
    ) -> Result<(Vec<LogRow>, i64, bool), StorageError> {
        self.run(move |db| db.pull(org, after, limit, &readable))
            .await
    }
    async fn snapshot_page(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: usize,
        readable: Vec<DocClass>,
    ) -> Result<(Vec<SnapshotRow>, i64), StorageError> {
        self.run(move |db| db.snapshot_page(org, after, limit, &readable))
            .await
    }
    async fn document_changes_after(
        &self,
        org: Uuid,
        doc: Uuid,
        after: i64,
    ) -> Result<(Vec<Vec<u8>>, i64), StorageError> {
        self.run(move |db| db.document_changes_after(org, doc, after))
            .await
    }
    async fn save_snapshot(
        &self,
        org: Uuid,
        doc: Uuid,
        seq: i64,
        bytes: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.run(move |db| db.save_snapshot(org, doc, seq, &bytes))
            .await
    }
    async fn counts(&self) -> Result<Counts, StorageError> {
        self.run(SqliteDb::counts).await
    }
    async fn quarantine_changes(
        &self,
        org: Uuid,
        doc: Uuid,
        hashes: Vec<Vec<u8>>,
        reason: String,
        now: i64,
    ) -> Result<usize, StorageError> {
        self.run(move |db| db.quarantine_changes(org, doc, &hashes, &reason, now))
            .await
    }
    async fn quarantined_changes(&self, org: Uuid) -> Result<Vec<QuarantinedChange>, StorageError> {
        self.run(move |db| db.quarantined_changes(org)).await
    }
    async fn password_hash(&self, user: Uuid) -> Result<Option<String>, StorageError> {
        self.run(move |db| {
            Ok(db
                .conn()
                .query_row(
                    "SELECT password_hash FROM users WHERE id = ?1",
                    [user.to_string()],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }
    async fn invite(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
        by: Uuid,
        now: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| db.invite(org, user, role, by, now))
            .await
    }
    async fn invitations(&self, user: Uuid) -> Result<Vec<MembershipRow>, StorageError> {
        self.run(move |db| db.invitations(user)).await
    }
    async fn answer_invitation(
        &self,
        org: Uuid,
        user: Uuid,
        accept: bool,
    ) -> Result<Option<Role>, StorageError> {
        self.run(move |db| db.answer_invitation(org, user, accept))
            .await
    }
    async fn set_password(
        &self,
        user: Uuid,
        password_hash: String,
        keep_device: Option<Uuid>,
        now: i64,
    ) -> Result<Vec<Uuid>, StorageError> {
        self.run(move |db| db.set_password(user, &password_hash, keep_device, now))
            .await
    }
    async fn create_password_reset(
        &self,
        hash: Vec<u8>,
        user: Uuid,
        by: Uuid,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| db.create_password_reset(&hash, user, by, now, expires_at))
            .await
    }
    async fn take_password_reset(
        &self,
        hash: Vec<u8>,
        now: i64,
    ) -> Result<Option<Uuid>, StorageError> {
        self.run(move |db| db.take_password_reset(&hash, now)).await
    }
    async fn server_key(
        &self,
        name: &'static str,
        fresh: Vec<u8>,
        now: i64,
    ) -> Result<Vec<u8>, StorageError> {
        self.run(move |db| db.server_key(name, &fresh, now)).await
    }
    async fn document_count(&self, org: Uuid) -> Result<u64, StorageError> {
        self.run(move |db| db.document_count(org)).await
    }
    async fn members(&self, org: Uuid) -> Result<Vec<MemberRow>, StorageError> {
        self.run(move |db| db.members(org)).await
    }
    async fn set_role(&self, org: Uuid, user: Uuid, role: Role) -> Result<bool, StorageError> {
        self.run(move |db| db.set_role(org, user, role)).await
    }
    async fn remove_member(&self, org: Uuid, user: Uuid) -> Result<bool, StorageError> {
        self.run(move |db| db.remove_member(org, user)).await
    }
    async fn devices(&self, user: Uuid) -> Result<Vec<DeviceRow>, StorageError> {
        self.run(move |db| db.devices(user)).await
    }
}
