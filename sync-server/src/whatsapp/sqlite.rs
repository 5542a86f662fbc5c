//! [`WaStore`] on the embedded SQLite database.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::crypto::Sealed;
use super::payload::Item;
use super::store::{
    Applied, Claimed, InboxSummary, ItemErrorRow, MessageRow, NewNumber, NumberRow, StatusRow,
    Unrouted, WaStore,
};
use crate::storage::sqlite::SqliteStorage;
use crate::storage::StorageError;

fn uuid(s: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(s).map_err(|e| StorageError::Corrupt(format!("{s}: {e}")))
}

fn opt_uuid(s: Option<String>) -> Result<Option<Uuid>, StorageError> {
    s.as_deref().map(uuid).transpose()
}

impl WaStore for SqliteStorage {
    async fn wa_add_number(&self, n: NewNumber, now: i64) -> Result<(), StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let org_exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = ?1)",
                [n.org.to_string()],
                |r| r.get(0),
            )?;
            if !org_exists {
                return Err(StorageError::NotFound(format!("organisation {}", n.org)));
            }
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO wa_numbers (phone_number_id, org_id, display_phone_number, waba_id, token_nonce, token_ciphertext, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![n.phone_number_id, n.org.to_string(), n.display_phone_number, n.waba_id, n.token_nonce, n.token_ciphertext, now],
            )?;
            if inserted == 0 {
                return Err(StorageError::Exists(format!(
                    "WhatsApp number {}",
                    n.phone_number_id
                )));
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn wa_numbers(&self, org: Option<Uuid>) -> Result<Vec<NumberRow>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT org_id, phone_number_id, display_phone_number, waba_id, created_at FROM wa_numbers
                 WHERE ?1 IS NULL OR org_id = ?1 ORDER BY org_id, phone_number_id",
            )?;
            let rows = stmt.query_map([org.map(|o| o.to_string())], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (org_id, phone_number_id, display_phone_number, waba_id, created_at) = row?;
                out.push(NumberRow {
                    org_id: uuid(&org_id)?,
                    phone_number_id,
                    display_phone_number,
                    waba_id,
                    created_at,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn wa_number_token(
        &self,
        phone_number_id: String,
    ) -> Result<Option<Sealed>, StorageError> {
        self.run(move |db| {
            Ok(db
                .conn()
                .query_row(
                    "SELECT token_nonce, token_ciphertext FROM wa_numbers WHERE phone_number_id = ?1",
                    [phone_number_id],
                    |r| Ok(Sealed { nonce: r.get(0)?, ciphertext: r.get(1)? }),
                )
                .optional()?)
        })
        .await
    }

    async fn wa_remove_number(&self, phone_number_id: String) -> Result<bool, StorageError> {
        self.run(move |db| {
            let n = db.conn().execute(
                "DELETE FROM wa_numbers WHERE phone_number_id = ?1",
                [phone_number_id],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn wa_receive(&self, bodies: Vec<Vec<u8>>, now: i64) -> Result<Vec<Uuid>, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut ids = Vec::with_capacity(bodies.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO wa_deliveries (id, received_at, body, next_attempt_at) VALUES (?1, ?2, ?3, ?2)",
                )?;
                for body in &bodies {
                    let id = Uuid::now_v7();
                    insert.execute(params![id.to_string(), now, body])?;
                    ids.push(id);
                }
            }
            tx.commit()?;
            Ok(ids)
        })
        .await
    }

    async fn wa_claim(
        &self,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Claimed>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "UPDATE wa_deliveries SET lease_until = ?3 WHERE id IN (
                     SELECT id FROM wa_deliveries
                     WHERE state = 'pending' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until < ?1)
                     ORDER BY next_attempt_at, id LIMIT ?2)
                 RETURNING id, body, attempts",
            )?;
            let rows = stmt.query_map(params![now, limit as i64, lease_until], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, body, attempts) = row?;
                out.push(Claimed {
                    id: uuid(&id)?,
                    body,
                    attempts,
                });
            }
            out.sort_by_key(|c| c.id);
            Ok(out)
        })
        .await
    }

    async fn wa_apply(
        &self,
        delivery: Uuid,
        items: Vec<Item>,
        now: i64,
    ) -> Result<Applied, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut applied = Applied::default();
            let delivery_id = delivery.to_string();
            {
                let mut route = tx.prepare_cached(
                    "SELECT org_id FROM wa_numbers WHERE phone_number_id = ?1",
                )?;
                let mut message = tx.prepare_cached(
                    "INSERT INTO wa_messages (wamid, org_id, phone_number_id, waba_id, from_wa_id, from_user_id, contact_name, kind, sent_at, body, delivery_id, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (wamid) DO NOTHING",
                )?;
                let mut status = tx.prepare_cached(
                    "INSERT INTO wa_statuses (wamid, org_id, phone_number_id, recipient_id, recipient_user_id, status, rank, status_at, errors, delivery_id, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (wamid) DO UPDATE SET status = excluded.status, rank = excluded.rank,
                         status_at = excluded.status_at, errors = excluded.errors,
                         recipient_id = COALESCE(excluded.recipient_id, wa_statuses.recipient_id),
                         recipient_user_id = COALESCE(excluded.recipient_user_id, wa_statuses.recipient_user_id),
                         delivery_id = excluded.delivery_id, updated_at = excluded.updated_at
                     WHERE excluded.rank > wa_statuses.rank",
                )?;
                let mut problem = tx.prepare_cached(
                    "INSERT OR IGNORE INTO wa_item_errors (delivery_id, path, code, phone_number_id, message, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                let mut orgs: HashMap<String, Option<String>> = HashMap::new();
                let mut org_of = |pnid: &str, applied: &mut Applied| -> Result<Option<String>, StorageError> {
                    if let Some(org) = orgs.get(pnid) {
                        if org.is_none() {
                            applied.unrouted += 1;
                        }
                        return Ok(org.clone());
                    }
                    let org: Option<String> = route.query_row([pnid], |r| r.get(0)).optional()?;
                    if org.is_none() {
                        applied.unrouted += 1;
                        applied.unrouted_numbers.push(pnid.to_string());
                    }
                    orgs.insert(pnid.to_string(), org.clone());
                    Ok(org)
                };
                let mut problems = Vec::new();
                for item in &items {
                    match item {
                        Item::Message(m) => {
                            let org = org_of(&m.route.phone_number_id, &mut applied)?;
                            match message.execute(params![
                                m.wamid,
                                org,
                                m.route.phone_number_id,
                                m.route.waba_id,
                                m.from_wa_id,
                                m.from_user_id,
                                m.contact_name,
                                m.kind,
                                m.timestamp,
                                m.body,
                                delivery_id,
                                now
                            ]) {
                                Ok(1) => applied.messages_new += 1,
                                Ok(_) => applied.messages_duplicate += 1,
                                Err(e) => problems.push((m.path.clone(), "store".to_string(), Some(m.route.phone_number_id.clone()), e.to_string())),
                            }
                        }
                        Item::Status(s) => {
                            let org = org_of(&s.route.phone_number_id, &mut applied)?;
                            match status.execute(params![
                                s.wamid,
                                org,
                                s.route.phone_number_id,
                                s.recipient_id,
                                s.recipient_user_id,
                                s.status.as_str(),
                                s.status.rank(),
                                s.timestamp,
                                s.errors,
                                delivery_id,
                                now
                            ]) {
                                Ok(1) => applied.statuses_advanced += 1,
                                Ok(_) => applied.statuses_stale += 1,
                                Err(e) => problems.push((s.path.clone(), "store".to_string(), Some(s.route.phone_number_id.clone()), e.to_string())),
                            }
                        }
                        Item::Problem(p) => problems.push((
                            p.path.clone(),
                            p.code.clone(),
                            p.phone_number_id.clone(),
                            p.message.clone(),
                        )),
                    }
                }
                for (path, code, pnid, message) in problems {
                    problem.execute(params![delivery_id, path, code, pnid, message, now])?;
                    applied.problems += 1;
                }
            }
            tx.execute(
                "UPDATE wa_deliveries SET state = 'done', processed_at = ?2, lease_until = NULL, last_error = NULL WHERE id = ?1",
                params![delivery_id, now],
            )?;
            tx.commit()?;
            Ok(applied)
        })
        .await
    }

    async fn wa_fail(
        &self,
        delivery: Uuid,
        error: String,
        retry_at: Option<i64>,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            db.conn().execute(
                "UPDATE wa_deliveries SET attempts = attempts + 1, last_error = ?2, lease_until = NULL,
                     next_attempt_at = COALESCE(?3, next_attempt_at),
                     state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END
                 WHERE id = ?1",
                params![delivery.to_string(), error, retry_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn wa_summary(&self) -> Result<InboxSummary, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut summary = InboxSummary::default();
            {
                let mut stmt = conn
                    .prepare_cached("SELECT state, COUNT(*) FROM wa_deliveries GROUP BY state")?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
                for row in rows {
                    match row? {
                        (s, n) if s == "pending" => summary.pending = n,
                        (s, n) if s == "done" => summary.done = n,
                        (_, n) => summary.failed += n,
                    }
                }
            }
            summary.item_errors =
                conn.query_row("SELECT COUNT(*) FROM wa_item_errors", [], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(
                "SELECT phone_number_id, SUM(m), SUM(s) FROM (
                     SELECT phone_number_id, 1 AS m, 0 AS s FROM wa_messages WHERE org_id IS NULL
                     UNION ALL
                     SELECT phone_number_id, 0, 1 FROM wa_statuses WHERE org_id IS NULL)
                 GROUP BY phone_number_id ORDER BY phone_number_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Unrouted {
                    phone_number_id: r.get(0)?,
                    messages: r.get(1)?,
                    statuses: r.get(2)?,
                })
            })?;
            summary.unrouted = rows.collect::<Result<_, _>>()?;
            Ok(summary)
        })
        .await
    }

    async fn wa_inbox(
        &self,
        org: Option<Uuid>,
        limit: usize,
    ) -> Result<(Vec<MessageRow>, Vec<StatusRow>), StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let org = org.map(|o| o.to_string());
            let mut stmt = conn.prepare_cached(
                "SELECT wamid, org_id, phone_number_id, from_wa_id, from_user_id, contact_name, kind, sent_at
                 FROM wa_messages WHERE org_id IS ?1 ORDER BY received_at DESC, wamid LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![org, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?;
            let mut messages = Vec::new();
            for row in rows {
                let (wamid, org_id, phone_number_id, from_wa_id, from_user_id, contact_name, kind, sent_at) =
                    row?;
                messages.push(MessageRow {
                    wamid,
                    org_id: opt_uuid(org_id)?,
                    phone_number_id,
                    from_wa_id,
                    from_user_id,
                    contact_name,
                    kind,
                    sent_at,
                });
            }
            let mut stmt = conn.prepare_cached(
                "SELECT wamid, org_id, phone_number_id, status, status_at FROM wa_statuses
                 WHERE org_id IS ?1 ORDER BY updated_at DESC, wamid LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![org, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?;
            let mut statuses = Vec::new();
            for row in rows {
                let (wamid, org_id, phone_number_id, status, status_at) = row?;
                statuses.push(StatusRow {
                    wamid,
                    org_id: opt_uuid(org_id)?,
                    phone_number_id,
                    status,
                    status_at,
                });
            }
            Ok((messages, statuses))
        })
        .await
    }

    async fn wa_item_errors(&self, limit: usize) -> Result<Vec<ItemErrorRow>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT delivery_id, path, phone_number_id, code, message FROM wa_item_errors
                 ORDER BY created_at DESC, delivery_id DESC, path LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (delivery_id, path, phone_number_id, code, message) = row?;
                out.push(ItemErrorRow {
                    delivery_id: uuid(&delivery_id)?,
                    path,
                    phone_number_id,
                    code,
                    message,
                });
            }
            Ok(out)
        })
        .await
    }
}
