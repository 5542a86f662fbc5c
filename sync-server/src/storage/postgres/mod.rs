//! The server's storage on PostgreSQL: several server instances share one
//! database. tokio-postgres with a deadpool pool (it links no SQLite, so it
//! lives beside rusqlite). Tenant data is read and written only inside
//! transactions that set `app.current_org`, which row-level security checks.

pub mod tls;
mod whatsapp;

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use tls::Connector;
use uuid::Uuid;

use super::{
    parse_class, parse_role, Counts, DeviceRow, DocPush, LogRow, MemberRow, MembershipRow,
    NewToken, QuarantinedChange, SnapshotRow, Storage, StorageError, TokenRow,
};

mod embedded {
    refinery::embed_migrations!("../migrations/server-postgres");
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        StorageError::Postgres(with_causes(&e))
    }
}

impl From<deadpool_postgres::PoolError> for StorageError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StorageError::Postgres(with_causes(&e))
    }
}

/// An error and what caused it (a TLS handshake says why it failed).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

#[derive(Debug, Clone)]
pub struct PgStorage {
    pub(crate) pool: Pool,
}

/// Binds the rest of the transaction to one organisation's rows.
pub(crate) async fn enter_org(tx: &impl GenericClient, org: Uuid) -> Result<(), StorageError> {
    tx.execute(
        "SELECT set_config('app.current_org', $1, true)",
        &[&org.to_string()],
    )
    .await?;
    Ok(())
}

/// A read-only transaction on one snapshot, bound to `org`. Reads of the
/// change log that also compute a cursor need it: under READ COMMITTED
/// each statement sees its own snapshot, so a change committed between
/// "the rows after the cursor" and "the newest sequence number" would be
/// counted as read without being sent, and lost to that reader for good.
pub(crate) async fn read_snapshot(
    client: &mut deadpool_postgres::Object,
    org: Uuid,
) -> Result<deadpool_postgres::Transaction<'_>, StorageError> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    enter_org(&tx, org).await?;
    Ok(tx)
}

impl PgStorage {
    /// Connects (`postgres://user:password@host/db`) and brings the schema
    /// up to date.
    /// Connects and brings the schema up to date; refuses a role that is a
    /// superuser or bypasses row-level security (tenants would lose their
    /// second wall) unless `allow_privileged`, before touching anything.
    pub async fn connect(
        url: &str,
        tls_ca: Option<&std::path::Path>,
        allow_privileged: bool,
    ) -> Result<PgStorage, StorageError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| {
            StorageError::Postgres(format!("invalid database URL: {e}"))
        })?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls::connector(&config, tls_ca)? {
            Connector::Plain => Manager::from_config(config, NoTls, manager_config),
            Connector::Tls(tls) => Manager::from_config(config, tls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StorageError::Postgres(e.to_string()))?;
        let storage = PgStorage { pool };
        if let Some(role) = storage.privileged_role().await? {
            if !allow_privileged {
                return Err(StorageError::PrivilegedRole(role));
            }
            tracing::warn!(%role, "serving as a privileged PostgreSQL role: row-level security does not apply");
        }
        let mut client = storage.pool.get().await?;
        let client: &mut tokio_postgres::Client = &mut client;
        embedded::migrations::runner().run_async(client).await?;
        Ok(storage)
    }

    /// The role the server connects as, when it is a superuser or
    /// bypasses row-level security: the second wall between tenants would
    /// not stand.
    async fn privileged_role(&self) -> Result<Option<String>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_one(
                "SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await?;
        Ok(row.get::<_, bool>(1).then(|| row.get(0)))
    }
}

impl Storage for PgStorage {
    async fn create_org(&self, name: String, now: i64) -> Result<Uuid, StorageError> {
        let id = Uuid::now_v7();
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)",
                &[&id, &name, &now],
            )
            .await?;
        Ok(id)
    }

    async fn add_member(
        &self,
        org: Uuid,
        email: String,
        password_hash: String,
        role: Role,
        now: i64,
    ) -> Result<Uuid, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if tx
            .query_opt("SELECT 1 FROM organizations WHERE id = $1", &[&org])
            .await?
            .is_none()
        {
            return Err(StorageError::NotFound(format!("organisation {org}")));
        }
        let user = match tx
            .query_opt("SELECT id FROM users WHERE email = $1", &[&email])
            .await?
        {
            Some(row) => row.get(0),
            None => {
                let id = Uuid::now_v7();
                tx.execute("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)", &[&id, &email, &password_hash, &now])
                    .await?;
                id
            }
        };
        let n = tx
            .execute("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&org, &user, &role.as_str()])
            .await?;
        if n == 0 {
            return Err(StorageError::Exists(format!(
                "membership of {email} in {org}"
            )));
        }
        tx.commit().await?;
        Ok(user)
    }

    async fn user_by_email(&self, email: String) -> Result<Option<(Uuid, String)>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT id, password_hash FROM users WHERE email = $1",
                &[&email],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn memberships(&self, user: Uuid) -> Result<Vec<MembershipRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id
                 WHERE m.user_id = $1 ORDER BY o.name, o.id",
                &[&user],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MembershipRow {
                    org_id: r.get(0),
                    name: r.get(1),
                    role: parse_role(r.get::<_, &str>(2))?,
                })
            })
            .collect()
    }

    async fn role(&self, user: Uuid, org: Uuid) -> Result<Option<Role>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT role FROM memberships WHERE user_id = $1 AND org_id = $2",
                &[&user, &org],
            )
            .await?;
        row.map(|r| parse_role(r.get::<_, &str>(0))).transpose()
    }

    async fn create_device(
        &self,
        user: Uuid,
        name: String,
        now: i64,
    ) -> Result<Uuid, StorageError> {
        let id = Uuid::now_v7();
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO devices (id, user_id, name, created_at) VALUES ($1, $2, $3, $4)",
                &[&id, &user, &name, &now],
            )
            .await?;
        Ok(id)
    }

    async fn revoke_device(&self, device: Uuid, now: i64) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let n = tx
            .execute(
                "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&device, &now],
            )
            .await?;
        tx.execute(
            "UPDATE tokens SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
            &[&device, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn device_owner(&self, device: Uuid) -> Result<Option<Uuid>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt("SELECT user_id FROM devices WHERE id = $1", &[&device])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn store_token(&self, t: NewToken) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO tokens (hash, kind, device_id, user_id, family, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&t.hash, &t.kind, &t.device, &t.user, &t.family, &t.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn token(
        &self,
        hash: Vec<u8>,
        kind: &'static str,
    ) -> Result<Option<TokenRow>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT t.device_id, t.user_id, t.family, t.expires_at, t.used_at,
                        EXISTS (SELECT 1 FROM tokens f WHERE f.family = t.family AND f.revoked_at IS NOT NULL),
                        d.revoked_at IS NOT NULL
                 FROM tokens t JOIN devices d ON d.id = t.device_id WHERE t.hash = $1 AND t.kind = $2",
                &[&hash, &kind],
            )
            .await?;
        Ok(row.map(|r| TokenRow {
            device_id: r.get(0),
            user_id: r.get(1),
            family: r.get(2),
            expires_at: r.get(3),
            used_at: r.get(4),
            revoked: r.get(5),
            device_revoked: r.get(6),
        }))
    }

    async fn spend_token(&self, hash: Vec<u8>, now: i64) -> Result<bool, StorageError> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "UPDATE tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL",
                &[&hash, &now],
            )
            .await?;
        Ok(n == 1)
    }

    async fn revoke_family(&self, family: String, now: i64) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
                &[&family, &now],
            )
            .await?;
        Ok(())
    }

    async fn classes(
        &self,
        org: Uuid,
        docs: Vec<Uuid>,
    ) -> Result<Vec<(Uuid, DocClass)>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        enter_org(&tx, org).await?;
        let rows = tx
            .query(
                "SELECT id, class FROM documents WHERE org_id = $1 AND id = ANY($2)",
                &[&org, &docs],
            )
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| Ok((r.get(0), parse_class(r.get::<_, &str>(1))?)))
            .collect()
    }

    async fn append(
        &self,
        org: Uuid,
        device: Uuid,
        docs: Vec<DocPush>,
        now: i64,
    ) -> Result<Vec<usize>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        enter_org(&tx, org).await?;
        // One appender per tenant at a time: sequence numbers are then taken
        // in commit order, so a reader's cursor never skips a change that
        // commits later with a lower number.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&org.to_string()],
        )
        .await?;
        let record = tx.prepare("INSERT INTO documents (org_id, id, class, first_seen) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING").await?;
        let recorded = tx
            .prepare("SELECT class FROM documents WHERE org_id = $1 AND id = $2")
            .await?;
        let insert = tx
            .prepare(
                "INSERT INTO changes (org_id, doc_id, class, hash, bytes, device_id, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .await?;
        let last = tx
            .prepare("SELECT COALESCE(MAX(seq), 0) FROM changes WHERE org_id = $1 AND doc_id = $2")
            .await?;
        let mut stored = Vec::with_capacity(docs.len());
        for d in &docs {
            if let Some(expected) = d.expect_last {
                let seq: i64 = tx.query_one(&last, &[&org, &d.doc]).await?.get(0);
                if seq != expected {
                    return Err(StorageError::Stale(d.doc));
                }
            }
            tx.execute(&record, &[&org, &d.doc, &d.class.as_str(), &now])
                .await?;
            let class: String = tx.query_one(&recorded, &[&org, &d.doc]).await?.get(0);
            let mut n = 0;
            for (hash, bytes) in &d.changes {
                n += tx
                    .execute(&insert, &[&org, &d.doc, &class, hash, bytes, &device, &now])
                    .await? as usize;
            }
            stored.push(n);
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn pull(
        &self,
        org: Uuid,
        after: i64,
        limit: usize,
        readable: Vec<DocClass>,
    ) -> Result<(Vec<LogRow>, i64, bool), StorageError> {
        let classes: Vec<&str> = readable.iter().map(|c| c.as_str()).collect();
        let mut client = self.pool.get().await?;
        let tx = read_snapshot(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT seq, doc_id, class, bytes FROM changes
                 WHERE org_id = $1 AND seq > $2 AND class = ANY($3) ORDER BY seq LIMIT $4",
                &[&org, &after, &classes, &(limit as i64 + 1)],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(LogRow {
                seq: r.get(0),
                doc: r.get(1),
                class: parse_class(r.get::<_, &str>(2))?,
                bytes: r.get(3),
            });
        }
        let more = out.len() > limit;
        out.truncate(limit);
        let cursor = if more {
            out.last().map_or(after, |r| r.seq)
        } else {
            let max: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE org_id = $1",
                    &[&org],
                )
                .await?
                .get(0);
            max.max(after)
        };
        tx.commit().await?;
        Ok((out, cursor, more))
    }

    async fn snapshot_page(
        &self,
        org: Uuid,
        after: Option<Uuid>,
        limit: usize,
        readable: Vec<DocClass>,
    ) -> Result<(Vec<SnapshotRow>, i64), StorageError> {
        let classes: Vec<&str> = readable.iter().map(|c| c.as_str()).collect();
        let mut client = self.pool.get().await?;
        let tx = read_snapshot(&mut client, org).await?;
        let position: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) FROM changes WHERE org_id = $1",
                &[&org],
            )
            .await?
            .get(0);
        let rows = tx
            .query(
                "SELECT p.id, p.class, p.last, CASE WHEN s.seq = p.last THEN s.bytes END FROM (
                     SELECT d.id, d.class,
                            (SELECT MAX(seq) FROM changes c WHERE c.org_id = d.org_id AND c.doc_id = d.id) AS last
                     FROM documents d
                     WHERE d.org_id = $1 AND ($2::uuid IS NULL OR d.id > $2) AND d.class = ANY($3)
                     ORDER BY d.id LIMIT $4
                 ) p LEFT JOIN snapshots s ON s.org_id = $1 AND s.doc_id = p.id
                 ORDER BY p.id",
                &[&org, &after, &classes, &(limit as i64)],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(SnapshotRow {
                doc: r.get(0),
                class: parse_class(r.get::<_, &str>(1))?,
                last_seq: r.get::<_, Option<i64>>(2).unwrap_or(0),
                snapshot: r.get(3),
            });
        }
        tx.commit().await?;
        Ok((out, position))
    }

    async fn document_changes_after(
        &self,
        org: Uuid,
        doc: Uuid,
        after: i64,
    ) -> Result<(Vec<Vec<u8>>, i64), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = read_snapshot(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT seq, bytes FROM changes WHERE org_id = $1 AND doc_id = $2 AND seq > $3 ORDER BY seq",
                &[&org, &doc, &after],
            )
            .await?;
        tx.commit().await?;
        let last = rows.last().map_or(after, |r| r.get(0));
        Ok((rows.iter().map(|r| r.get(1)).collect(), last))
    }

    async fn save_snapshot(
        &self,
        org: Uuid,
        doc: Uuid,
        seq: i64,
        bytes: Vec<u8>,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        enter_org(&tx, org).await?;
        tx.execute(
            "INSERT INTO snapshots (org_id, doc_id, seq, bytes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, doc_id) DO UPDATE SET seq = excluded.seq, bytes = excluded.bytes
             WHERE excluded.seq > snapshots.seq",
            &[&org, &doc, &seq, &bytes],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn quarantine_changes(
        &self,
        org: Uuid,
        doc: Uuid,
        hashes: Vec<Vec<u8>>,
        reason: String,
        now: i64,
    ) -> Result<usize, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        enter_org(&tx, org).await?;
        // Like an append: one writer of the organisation's log at a time.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&org.to_string()],
        )
        .await?;
        let mut moved = 0;
        for hash in &hashes {
            moved += tx
                .execute(
                    "INSERT INTO quarantined_changes
                       (org_id, doc_id, seq, class, hash, bytes, device_id, received_at, reason, quarantined_at)
                     SELECT org_id, doc_id, seq, class, hash, bytes, device_id, received_at, $4, $5
                     FROM changes WHERE org_id = $1 AND doc_id = $2 AND hash = $3",
                    &[&org, &doc, hash, &reason, &now],
                )
                .await? as usize;
            tx.execute(
                "DELETE FROM changes WHERE org_id = $1 AND doc_id = $2 AND hash = $3",
                &[&org, &doc, hash],
            )
            .await?;
        }
        tx.execute(
            "DELETE FROM snapshots WHERE org_id = $1 AND doc_id = $2",
            &[&org, &doc],
        )
        .await?;
        tx.commit().await?;
        Ok(moved)
    }

    async fn password_hash(&self, user: Uuid) -> Result<Option<String>, StorageError> {
        Ok(self
            .pool
            .get()
            .await?
            .query_opt("SELECT password_hash FROM users WHERE id = $1", &[&user])
            .await?
            .map(|r| r.get(0)))
    }

    async fn invite(
        &self,
        org: Uuid,
        user: Uuid,
        role: Role,
        by: Uuid,
        now: i64,
    ) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO invitations (org_id, user_id, role, invited_by, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (org_id, user_id) DO UPDATE
                 SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at",
                &[&org, &user, &role.as_str(), &by, &now],
            )
            .await?;
        Ok(())
    }

    async fn invitations(&self, user: Uuid) -> Result<Vec<MembershipRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT o.id, o.name, i.role FROM invitations i JOIN organizations o ON o.id = i.org_id
                 WHERE i.user_id = $1 ORDER BY i.created_at, o.id",
                &[&user],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MembershipRow {
                    org_id: r.get(0),
                    name: r.get(1),
                    role: parse_role(r.get(2))?,
                })
            })
            .collect()
    }

    async fn answer_invitation(
        &self,
        org: Uuid,
        user: Uuid,
        accept: bool,
    ) -> Result<Option<Role>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "DELETE FROM invitations WHERE org_id = $1 AND user_id = $2 RETURNING role",
                &[&org, &user],
            )
            .await?
        else {
            return Ok(None);
        };
        let role = parse_role(row.get(0))?;
        if accept {
            tx.execute(
                "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (org_id, user_id) DO NOTHING",
                &[&org, &user, &role.as_str()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(role))
    }

    async fn set_password(
        &self,
        user: Uuid,
        password_hash: String,
        keep_device: Option<Uuid>,
        now: i64,
    ) -> Result<Vec<Uuid>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&user, &password_hash],
        )
        .await?;
        let rows = tx
            .query(
                "UPDATE tokens SET revoked_at = $2
                 WHERE user_id = $1 AND revoked_at IS NULL AND device_id IS DISTINCT FROM $3
                 RETURNING device_id",
                &[&user, &now, &keep_device],
            )
            .await?;
        tx.commit().await?;
        let mut devices: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
        devices.sort();
        devices.dedup();
        Ok(devices)
    }

    async fn create_password_reset(
        &self,
        hash: Vec<u8>,
        user: Uuid,
        by: Uuid,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO password_resets (hash, user_id, created_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&hash, &user, &by, &now, &expires_at],
            )
            .await?;
        Ok(())
    }

    async fn take_password_reset(
        &self,
        hash: Vec<u8>,
        now: i64,
    ) -> Result<Option<Uuid>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "UPDATE password_resets SET used_at = $2
                 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
                 RETURNING user_id",
                &[&hash, &now],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn server_key(
        &self,
        name: &'static str,
        fresh: Vec<u8>,
        now: i64,
    ) -> Result<Vec<u8>, StorageError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO server_keys (name, pkcs8, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &fresh, &now],
            )
            .await?;
        let row = client
            .query_one("SELECT pkcs8 FROM server_keys WHERE name = $1", &[&name])
            .await?;
        Ok(row.get(0))
    }

    async fn quarantined_changes(&self, org: Uuid) -> Result<Vec<QuarantinedChange>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        enter_org(&tx, org).await?;
        let rows = tx
            .query(
                "SELECT doc_id, seq, hash, device_id, received_at, reason, quarantined_at
                 FROM quarantined_changes WHERE org_id = $1 ORDER BY quarantined_at DESC, seq DESC",
                &[&org],
            )
            .await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| QuarantinedChange {
                doc: r.get(0),
                seq: r.get(1),
                hash: hex::encode(r.get::<_, Vec<u8>>(2)),
                device: r.get(3),
                received_at: r.get(4),
                reason: r.get(5),
                quarantined_at: r.get(6),
            })
            .collect())
    }

    async fn counts(&self) -> Result<Counts, StorageError> {
        let client = self.pool.get().await?;
        let organizations: i64 = client
            .query_one("SELECT COUNT(*) FROM organizations", &[])
            .await?
            .get(0);
        // The log itself is behind row-level security; its sequence is not.
        let change_log_seq: Option<i64> = client
            .query_one(
                "SELECT pg_sequence_last_value('changes_seq_seq'::regclass)",
                &[],
            )
            .await?
            .get(0);
        Ok(Counts {
            organizations,
            change_log_seq: change_log_seq.unwrap_or(0),
        })
    }

    async fn document_count(&self, org: Uuid) -> Result<u64, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        enter_org(&tx, org).await?;
        let n: i64 = tx
            .query_one("SELECT COUNT(*) FROM documents WHERE org_id = $1", &[&org])
            .await?
            .get(0);
        tx.commit().await?;
        Ok(n.max(0) as u64)
    }

    async fn members(&self, org: Uuid) -> Result<Vec<MemberRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email",
                &[&org],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MemberRow {
                    user_id: r.get(0),
                    email: r.get(1),
                    role: parse_role(r.get::<_, &str>(2))?,
                })
            })
            .collect()
    }

    async fn set_role(&self, org: Uuid, user: Uuid, role: Role) -> Result<bool, StorageError> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2",
                &[&org, &user, &role.as_str()],
            )
            .await?;
        Ok(n == 1)
    }

    async fn remove_member(&self, org: Uuid, user: Uuid) -> Result<bool, StorageError> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2",
                &[&org, &user],
            )
            .await?;
        Ok(n == 1)
    }

    async fn devices(&self, user: Uuid) -> Result<Vec<DeviceRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT id, name, created_at, revoked_at IS NOT NULL FROM devices WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
                &[&user],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeviceRow {
                id: r.get(0),
                name: r.get(1),
                created_at: r.get(2),
                revoked: r.get(3),
            })
            .collect())
    }
}
