//! [`WaStore`] on the embedded SQLite database.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::{read_snapshot, SqliteStorage};
use crate::cloud_api::crypto::Sealed;
use crate::cloud_api::payload::Item;
use crate::storage::whatsapp::{
    media_columns, Blob, Deliveries, MediaDone, MediaJob, MediaOutcome, NewMedia,
};
use crate::storage::whatsapp::{
    Applied, Claimed, InboxSummary, ItemErrorRow, MessageRow, NewAnswer, NewNumber, NewOutbound,
    NewReminder, NumberInfo, NumberRow, OutState, Outbound, OutboundRow, ReminderRef, ReminderRow,
    Resolved, SendOutcome, StatusRow, Unrouted, Unsynced, Unwritten, WaStore,
};
use crate::storage::StorageError;
use arcada_core::documents::DocClass;

fn uuid(s: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(s).map_err(|e| StorageError::Corrupt(format!("{s}: {e}")))
}

fn opt_uuid(s: Option<String>) -> Result<Option<Uuid>, StorageError> {
    s.as_deref().map(uuid).transpose()
}

/// A status webhook that advanced: the outbound message it is about (by
/// wamid, or by the message id echoed in biz_opaque_callback_data) has
/// something new for its document, and a send that was interrupted, in
/// doubt or queued again is proven to have gone.
pub(crate) const OUTBOUND_STATUS_SQL: &str = "
    UPDATE wa_outbound SET
        wamid = COALESCE(wamid, ?2),
        sent_at = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN COALESCE(sent_at, ?4) ELSE sent_at END,
        error_code = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN NULL ELSE error_code END,
        error_title = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN NULL ELSE error_title END,
        state = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN 'sent' ELSE state END,
        lease_until = NULL,
        doc_version = doc_version + 1,
        updated_at = ?4
    WHERE org_id = ?1 AND (wamid = ?2 OR (?3 IS NOT NULL AND message_id = ?3 AND (wamid IS NULL OR wamid = ?2)))";

fn opt_error(e: Option<(String, String)>) -> (Option<String>, Option<String>) {
    match e {
        Some((c, t)) => (Some(c), Some(t)),
        None => (None, None),
    }
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
            // Items that came for the number before anyone had it are the
            // organisation's now; the conversation writer takes them.
            for table in ["wa_messages", "wa_statuses"] {
                tx.execute(
                    &format!("UPDATE {table} SET org_id = ?1 WHERE org_id IS NULL AND phone_number_id = ?2"),
                    params![n.org.to_string(), n.phone_number_id],
                )?;
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
                "SELECT org_id, phone_number_id, display_phone_number, waba_id, created_at, needs_reauth_at, needs_reauth_reason
                 FROM wa_numbers WHERE ?1 IS NULL OR org_id = ?1 ORDER BY org_id, phone_number_id",
            )?;
            let rows = stmt.query_map([org.map(|o| o.to_string())], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    NumberRow {
                        org_id: Uuid::nil(),
                        phone_number_id: r.get(1)?,
                        display_phone_number: r.get(2)?,
                        waba_id: r.get(3)?,
                        created_at: r.get(4)?,
                        needs_reauth_at: r.get(5)?,
                        needs_reauth_reason: r.get(6)?,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (org_id, mut number) = row?;
                number.org_id = uuid(&org_id)?;
                out.push(number);
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

    async fn wa_receive(&self, bodies: Deliveries, now: i64) -> Result<u64, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut replays = bodies.repeated();
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO wa_deliveries (id, received_at, body, body_sha256, replays, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?2)
                     ON CONFLICT (body_sha256) DO UPDATE SET replays = replays + excluded.replays + 1
                     RETURNING id",
                )?;
                for (id, hash, body, repeated) in &bodies.bodies {
                    let id = id.to_string();
                    let stored: String =
                        insert.query_row(params![id, now, body, hash, repeated], |r| r.get(0))?;
                    if stored != id {
                        replays += 1;
                    }
                }
            }
            tx.commit()?;
            Ok(replays)
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
                    "INSERT INTO wa_statuses (wamid, org_id, phone_number_id, recipient_id, recipient_user_id, status, rank, status_at, errors, delivery_id, updated_at, callback_data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (wamid) DO UPDATE SET status = excluded.status, rank = excluded.rank,
                         status_at = excluded.status_at, errors = excluded.errors,
                         callback_data = COALESCE(excluded.callback_data, wa_statuses.callback_data),
                         recipient_id = COALESCE(excluded.recipient_id, wa_statuses.recipient_id),
                         recipient_user_id = COALESCE(excluded.recipient_user_id, wa_statuses.recipient_user_id),
                         delivery_id = excluded.delivery_id, updated_at = excluded.updated_at
                     WHERE excluded.rank > wa_statuses.rank",
                )?;
                let mut outbound = tx.prepare_cached(OUTBOUND_STATUS_SQL)?;
                let mut touched: Vec<String> = Vec::new();
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
                                Ok(1) => {
                                    applied.messages_new += 1;
                                    if let Some(org) = &org {
                                        if !touched.contains(org) {
                                            touched.push(org.clone());
                                        }
                                    }
                                }
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
                                now,
                                s.callback_data
                            ]) {
                                Ok(1) => {
                                    applied.statuses_advanced += 1;
                                    if let Some(org) = &org {
                                        outbound.execute(params![org, s.wamid, s.callback_data, now])?;
                                        if !touched.contains(org) {
                                            touched.push(org.clone());
                                        }
                                    }
                                }
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
                for org in touched {
                    applied.orgs.push(uuid(&org)?);
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
            summary.replays = conn.query_row(
                "SELECT COALESCE(SUM(replays), 0) FROM wa_deliveries",
                [],
                |r| r.get(0),
            )?;
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

    async fn wa_update_number(
        &self,
        phone_number_id: String,
        display: Option<String>,
        token: Option<Sealed>,
    ) -> Result<bool, StorageError> {
        self.run(move |db| {
            let (nonce, ciphertext) = match token {
                Some(t) => (Some(t.nonce), Some(t.ciphertext)),
                None => (None, None),
            };
            let n = db.conn().execute(
                "UPDATE wa_numbers SET display_phone_number = COALESCE(?2, display_phone_number),
                     token_nonce = COALESCE(?3, token_nonce), token_ciphertext = COALESCE(?4, token_ciphertext),
                     needs_reauth_at = NULL, needs_reauth_reason = NULL
                 WHERE phone_number_id = ?1",
                params![phone_number_id, display, nonce, ciphertext],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn wa_number_info(
        &self,
        phone_number_id: String,
    ) -> Result<Option<NumberInfo>, StorageError> {
        self.run(move |db| {
            let row = db
                .conn()
                .query_row(
                    "SELECT org_id, display_phone_number, needs_reauth_at IS NOT NULL, token_nonce, token_ciphertext
                     FROM wa_numbers WHERE phone_number_id = ?1",
                    [phone_number_id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            Sealed { nonce: r.get(3)?, ciphertext: r.get(4)? },
                        ))
                    },
                )
                .optional()?;
            row.map(|(org, display_phone_number, needs_reauth, token)| {
                Ok(NumberInfo {
                    org_id: uuid(&org)?,
                    display_phone_number,
                    needs_reauth,
                    token,
                })
            })
            .transpose()
        })
        .await
    }

    async fn wa_flag_reauth(
        &self,
        phone_number_id: String,
        reason: String,
        now: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            db.conn().execute(
                "UPDATE wa_numbers SET needs_reauth_at = COALESCE(needs_reauth_at, ?2), needs_reauth_reason = ?3
                 WHERE phone_number_id = ?1",
                params![phone_number_id, now, reason],
            )?;
            Ok(())
        })
        .await
    }

    async fn wa_routed_orgs(&self) -> Result<Vec<Uuid>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT org_id FROM wa_numbers UNION SELECT org_id FROM wa_cursors ORDER BY 1",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(uuid(&row?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_cursor(&self, org: Uuid, kind: &'static str) -> Result<i64, StorageError> {
        self.run(move |db| {
            Ok(db
                .conn()
                .query_row(
                    "SELECT seq FROM wa_cursors WHERE org_id = ?1 AND kind = ?2",
                    params![org.to_string(), kind],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    async fn wa_changed_docs(
        &self,
        org: Uuid,
        class: DocClass,
        after: i64,
        limit: usize,
        skip_device: Option<Uuid>,
    ) -> Result<(Vec<Uuid>, i64, bool), StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let conn = read_snapshot(&conn)?;
            let mut stmt = conn.prepare_cached(
                "SELECT seq, doc_id FROM changes
                 WHERE org_id = ?1 AND seq > ?2 AND class = ?3 AND (?5 IS NULL OR device_id <> ?5)
                 ORDER BY seq LIMIT ?4",
            )?;
            let rows = stmt.query_map(
                params![
                    org.to_string(),
                    after,
                    class.as_str(),
                    limit as i64 + 1,
                    skip_device.map(|d| d.to_string())
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )?;
            let mut seen = Vec::new();
            for row in rows {
                let (seq, doc) = row?;
                seen.push((seq, uuid(&doc)?));
            }
            let more = seen.len() > limit;
            seen.truncate(limit);
            let last = if more {
                seen.last().map_or(after, |(s, _)| *s)
            } else {
                let max: Option<i64> = conn.query_row(
                    "SELECT MAX(seq) FROM changes WHERE org_id = ?1",
                    [org.to_string()],
                    |r| r.get(0),
                )?;
                max.unwrap_or(after).max(after)
            };
            let mut docs: Vec<Uuid> = Vec::new();
            for (_, d) in seen {
                if !docs.contains(&d) {
                    docs.push(d);
                }
            }
            Ok((docs, last, more))
        })
        .await
    }

    async fn wa_index_patients(
        &self,
        org: Uuid,
        patients: Vec<(Uuid, Vec<String>)>,
        cursor: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut clear = tx.prepare_cached(
                    "DELETE FROM wa_patient_phones WHERE org_id = ?1 AND patient_id = ?2",
                )?;
                let mut add = tx.prepare_cached(
                    "INSERT OR IGNORE INTO wa_patient_phones (org_id, phone, patient_id) VALUES (?1, ?2, ?3)",
                )?;
                for (patient, phones) in &patients {
                    clear.execute(params![org.to_string(), patient.to_string()])?;
                    for phone in phones {
                        add.execute(params![org.to_string(), phone, patient.to_string()])?;
                    }
                }
            }
            set_cursor(&tx, org, crate::storage::whatsapp::CURSOR_PATIENTS, cursor)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn wa_patients_by_phone(
        &self,
        org: Uuid,
        phone: String,
    ) -> Result<Vec<Uuid>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT patient_id FROM wa_patient_phones WHERE org_id = ?1 AND phone = ?2 ORDER BY patient_id",
            )?;
            let rows = stmt.query_map(params![org.to_string(), phone], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(uuid(&row?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_enqueue(
        &self,
        org: Uuid,
        messages: Vec<NewOutbound>,
        cursor: i64,
        now: i64,
    ) -> Result<u64, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut new = 0;
            for m in messages {
                new += insert_outbound(&tx, org, m, now)? as u64;
            }
            set_cursor(&tx, org, crate::storage::whatsapp::CURSOR_OUTBOUND, cursor)?;
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn wa_claim_unwritten(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Unwritten>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "UPDATE wa_messages SET doc_lease_until = ?4 WHERE wamid IN (
                     SELECT wamid FROM wa_messages
                     WHERE org_id = ?1 AND doc_written_at IS NULL AND (doc_lease_until IS NULL OR doc_lease_until < ?3)
                     ORDER BY received_at, wamid LIMIT ?2)
                 RETURNING wamid, phone_number_id, from_wa_id, from_user_id, contact_name, kind, sent_at, body, received_at",
            )?;
            let rows = stmt.query_map(
                params![org.to_string(), limit as i64, now, lease_until],
                |r| {
                    Ok(Unwritten {
                        wamid: r.get(0)?,
                        phone_number_id: r.get(1)?,
                        from_wa_id: r.get(2)?,
                        from_user_id: r.get(3)?,
                        contact_name: r.get(4)?,
                        kind: r.get(5)?,
                        sent_at: r.get(6)?,
                        body: r.get(7)?,
                        received_at: r.get(8)?,
                    })
                },
            )?;
            let mut out: Vec<Unwritten> = rows.collect::<Result<_, _>>()?;
            out.sort_by(|a, b| (a.received_at, &a.wamid).cmp(&(b.received_at, &b.wamid)));
            Ok(out)
        })
        .await
    }

    async fn wa_mark_written(
        &self,
        org: Uuid,
        wamids: Vec<String>,
        now: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut mark = tx.prepare_cached(
                    "UPDATE wa_messages SET doc_written_at = ?3, doc_lease_until = NULL WHERE org_id = ?1 AND wamid = ?2",
                )?;
                for w in &wamids {
                    mark.execute(params![org.to_string(), w, now])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn wa_claim_sends(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Outbound>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "UPDATE wa_outbound SET state = 'sending', attempts = attempts + 1, lease_until = ?4, updated_at = ?3
                 WHERE org_id = ?1 AND message_id IN (
                     SELECT o.message_id FROM wa_outbound o LEFT JOIN wa_numbers n ON n.phone_number_id = o.phone_number_id
                     WHERE o.org_id = ?1 AND o.state = 'queued' AND o.next_attempt_at <= ?3 AND n.needs_reauth_at IS NULL
                     ORDER BY o.next_attempt_at, o.queued_at, o.message_id LIMIT ?2)
                 RETURNING message_id, doc_id, phone_number_id, recipient, request, attempts, queued_at",
            )?;
            let rows = stmt.query_map(
                params![org.to_string(), limit as i64, now, lease_until],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (message_id, doc, phone_number_id, recipient, request, attempts, queued_at) =
                    row?;
                out.push((
                    queued_at,
                    Outbound {
                        message_id,
                        doc_id: uuid(&doc)?,
                        phone_number_id,
                        recipient,
                        request,
                        attempts,
                    },
                ));
            }
            out.sort_by(|a, b| (a.0, &a.1.message_id).cmp(&(b.0, &b.1.message_id)));
            Ok(out.into_iter().map(|(_, o)| o).collect())
        })
        .await
    }

    async fn wa_send_result(
        &self,
        org: Uuid,
        message_id: String,
        outcome: SendOutcome,
        now: i64,
    ) -> Result<bool, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let (sql, args): (&str, Vec<rusqlite::types::Value>) = outcome_update(&outcome);
            let mut params: Vec<rusqlite::types::Value> =
                vec![org.to_string().into(), message_id.into(), now.into()];
            params.extend(args);
            let n = conn.execute(sql, rusqlite::params_from_iter(params))?;
            Ok(n == 1)
        })
        .await
    }

    async fn wa_resolve_interrupted(&self, org: Uuid, now: i64) -> Result<Resolved, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let proven = tx.execute(
                "UPDATE wa_outbound SET state = 'sent',
                     wamid = COALESCE(wamid, (SELECT s.wamid FROM wa_statuses s WHERE s.org_id = ?1 AND s.callback_data = wa_outbound.message_id ORDER BY s.rank DESC LIMIT 1)),
                     sent_at = COALESCE(sent_at, ?2), lease_until = NULL, error_code = NULL, error_title = NULL,
                     doc_version = doc_version + 1, updated_at = ?2
                 WHERE org_id = ?1 AND state = 'sending' AND lease_until < ?2
                   AND EXISTS (SELECT 1 FROM wa_statuses s WHERE s.org_id = ?1 AND s.callback_data = wa_outbound.message_id)",
                params![org.to_string(), now],
            )?;
            let doubt = tx.execute(
                "UPDATE wa_outbound SET state = 'in_doubt', lease_until = NULL, error_code = 'in_doubt',
                     error_title = ?3, doc_version = doc_version + 1, updated_at = ?2
                 WHERE org_id = ?1 AND state = 'sending' AND lease_until < ?2",
                params![org.to_string(), now, crate::storage::whatsapp::IN_DOUBT_TITLE],
            )?;
            tx.commit()?;
            Ok(Resolved {
                proven_sent: proven as u64,
                in_doubt: doubt as u64,
            })
        })
        .await
    }

    async fn wa_next_send(&self, org: Uuid) -> Result<Option<i64>, StorageError> {
        self.run(move |db| {
            Ok(db.conn().query_row(
                "SELECT MIN(t) FROM (
                     SELECT MIN(o.next_attempt_at) AS t FROM wa_outbound o LEFT JOIN wa_numbers n ON n.phone_number_id = o.phone_number_id
                     WHERE o.org_id = ?1 AND o.state = 'queued' AND n.needs_reauth_at IS NULL
                     UNION ALL
                     SELECT MIN(lease_until) FROM wa_outbound WHERE org_id = ?1 AND state = 'sending')",
                [org.to_string()],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn wa_unsynced(&self, org: Uuid, limit: usize) -> Result<Vec<Unsynced>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT o.message_id, o.doc_id, o.state, o.wamid, o.error_code, o.error_title, o.sent_at, o.updated_at,
                        s.status, s.status_at, s.errors, o.doc_version
                 FROM wa_outbound o LEFT JOIN wa_statuses s ON s.wamid = o.wamid
                 WHERE o.org_id = ?1 AND o.doc_version > o.doc_synced
                 ORDER BY o.updated_at, o.message_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![org.to_string(), limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    Unsynced {
                        message_id: String::new(),
                        doc_id: Uuid::nil(),
                        state: OutState::Queued,
                        wamid: r.get(3)?,
                        error_code: r.get(4)?,
                        error_title: r.get(5)?,
                        sent_at: r.get(6)?,
                        updated_at: r.get(7)?,
                        status: r.get(8)?,
                        status_at: r.get(9)?,
                        status_errors: r.get(10)?,
                        version: r.get(11)?,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (message_id, doc, state, mut u) = row?;
                u.message_id = message_id;
                u.doc_id = uuid(&doc)?;
                u.state = OutState::parse(&state)?;
                out.push(u);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_mark_synced(
        &self,
        org: Uuid,
        synced: Vec<(String, i64)>,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut mark = tx.prepare_cached(
                    "UPDATE wa_outbound SET doc_synced = MAX(doc_synced, ?3) WHERE org_id = ?1 AND message_id = ?2",
                )?;
                for (id, version) in &synced {
                    mark.execute(params![org.to_string(), id, version])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn wa_reminded(
        &self,
        org: Uuid,
        appointments: Vec<String>,
    ) -> Result<Vec<String>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT 1 FROM wa_reminders WHERE org_id = ?1 AND appointment_id = ?2",
            )?;
            let mut out = Vec::new();
            for a in appointments {
                if stmt.exists(params![org.to_string(), a])? {
                    out.push(a);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn wa_record_reminder(
        &self,
        org: Uuid,
        r: NewReminder,
        outbound: Option<NewOutbound>,
        now: i64,
    ) -> Result<bool, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let state = if r.skipped.is_some() { "skipped" } else { "queued" };
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO wa_reminders (org_id, appointment_id, agenda_id, patient_id, state, reason,
                     doc_id, message_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    org.to_string(),
                    r.appointment_id,
                    r.agenda_id.to_string(),
                    r.patient_id,
                    state,
                    r.skipped,
                    r.doc_id.map(|d| d.to_string()),
                    r.message_id,
                    now
                ],
            )? == 1;
            if inserted {
                if let Some(m) = outbound {
                    insert_outbound(&tx, org, m, now)?;
                }
            }
            tx.commit()?;
            Ok(inserted)
        })
        .await
    }

    async fn wa_reminder_by_wamid(
        &self,
        org: Uuid,
        wamid: String,
    ) -> Result<Option<ReminderRef>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {REMINDER_COLUMNS} FROM wa_reminders r
                     JOIN wa_outbound o ON o.org_id = r.org_id AND o.message_id = r.message_id
                     WHERE r.org_id = ?1 AND o.wamid = ?2 AND r.state = 'queued'"
                ))?
                .query_row(params![org.to_string(), wamid], reminder_ref)
                .optional()?;
            row.map(to_reminder).transpose()
        })
        .await
    }

    async fn wa_open_reminders(
        &self,
        org: Uuid,
        doc_id: Uuid,
        since: i64,
        until: i64,
    ) -> Result<Vec<ReminderRef>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {REMINDER_COLUMNS} FROM wa_reminders r
                 WHERE r.org_id = ?1 AND r.doc_id = ?2 AND r.state = 'queued' AND r.answered_at IS NULL
                   AND r.created_at >= ?3 AND r.created_at <= ?4
                 ORDER BY r.created_at DESC, r.appointment_id DESC"
            ))?;
            let rows = stmt.query_map(
                params![org.to_string(), doc_id.to_string(), since, until],
                reminder_ref,
            )?;
            let mut out = Vec::new();
            for row in rows {
                out.push(to_reminder(row?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_answered(
        &self,
        org: Uuid,
        wamids: Vec<String>,
    ) -> Result<Vec<String>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT 1 FROM wa_reminder_answers WHERE org_id = ?1 AND wamid = ?2",
            )?;
            let mut out = Vec::new();
            for w in wamids {
                if stmt.exists(params![org.to_string(), w])? {
                    out.push(w);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn wa_record_answers(
        &self,
        org: Uuid,
        answers: Vec<NewAnswer>,
        now: i64,
    ) -> Result<Vec<String>, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut new = Vec::new();
            for a in answers {
                let inserted = tx.execute(
                    "INSERT OR IGNORE INTO wa_reminder_answers (org_id, wamid, appointment_id, answer, status,
                         attention, reply_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        org.to_string(),
                        a.wamid,
                        a.appointment_id,
                        a.answer,
                        a.status,
                        a.attention,
                        a.reply.as_ref().map(|r| r.message_id.clone()),
                        now
                    ],
                )? == 1;
                if !inserted {
                    continue;
                }
                if a.settles {
                    tx.execute(
                        "UPDATE wa_reminders SET answered_at = ?3, answer = ?4
                         WHERE org_id = ?1 AND appointment_id = ?2 AND answered_at IS NULL",
                        params![org.to_string(), a.appointment_id, now, a.answer],
                    )?;
                }
                if let Some(reply) = a.reply {
                    insert_outbound(&tx, org, reply, now)?;
                }
                new.push(a.wamid);
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn wa_reminders_report(
        &self,
        org: Uuid,
        limit: usize,
    ) -> Result<Vec<ReminderRow>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT appointment_id, patient_id, state, reason, message_id, created_at, answered_at, answer
                 FROM wa_reminders WHERE org_id = ?1 ORDER BY created_at DESC, appointment_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![org.to_string(), limit as i64], |r| {
                Ok(ReminderRow {
                    appointment_id: r.get(0)?,
                    patient_id: r.get(1)?,
                    state: r.get(2)?,
                    reason: r.get(3)?,
                    message_id: r.get(4)?,
                    created_at: r.get(5)?,
                    answered_at: r.get(6)?,
                    answer: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn wa_outbound_report(
        &self,
        org: Uuid,
        limit: usize,
    ) -> Result<Vec<OutboundRow>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT message_id, doc_id, phone_number_id, recipient, kind, state, attempts, wamid, error_code, queued_at, sent_at
                 FROM wa_outbound WHERE org_id = ?1 ORDER BY queued_at DESC, message_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![org.to_string(), limit as i64], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    OutboundRow {
                        message_id: r.get(0)?,
                        doc_id: Uuid::nil(),
                        phone_number_id: r.get(2)?,
                        recipient: r.get(3)?,
                        kind: r.get(4)?,
                        state: r.get(5)?,
                        attempts: r.get(6)?,
                        wamid: r.get(7)?,
                        error_code: r.get(8)?,
                        queued_at: r.get(9)?,
                        sent_at: r.get(10)?,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (doc, mut o) = row?;
                o.doc_id = uuid(&doc)?;
                out.push(o);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_media_enqueue(
        &self,
        org: Uuid,
        media: Vec<NewMedia>,
        now: i64,
    ) -> Result<u64, StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut new = 0;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO wa_media (org_id, wamid, doc_id, phone_number_id, media_id, mime_type, meta_sha256, next_attempt_at, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8) ON CONFLICT (org_id, wamid) DO NOTHING",
                )?;
                for m in &media {
                    new += insert.execute(params![
                        org.to_string(),
                        m.wamid,
                        m.doc_id.to_string(),
                        m.phone_number_id,
                        m.media_id,
                        m.mime_type,
                        m.sha256,
                        now
                    ])? as u64;
                }
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn wa_media_claim(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<MediaJob>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "UPDATE wa_media SET attempts = attempts + 1, next_attempt_at = ?4, updated_at = ?3
                 WHERE org_id = ?1 AND wamid IN (
                     SELECT wamid FROM wa_media WHERE org_id = ?1 AND state = 'pending' AND next_attempt_at <= ?3
                     ORDER BY next_attempt_at, wamid LIMIT ?2)
                 RETURNING wamid, doc_id, phone_number_id, media_id, mime_type, meta_sha256, attempts",
            )?;
            let rows = stmt.query_map(
                params![org.to_string(), limit as i64, now, lease_until],
                |r| {
                    Ok((
                        r.get::<_, String>(1)?,
                        MediaJob {
                            wamid: r.get(0)?,
                            doc_id: Uuid::nil(),
                            phone_number_id: r.get(2)?,
                            media_id: r.get(3)?,
                            mime_type: r.get(4)?,
                            sha256: r.get(5)?,
                            attempts: r.get(6)?,
                        },
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (doc, mut job) = row?;
                job.doc_id = uuid(&doc)?;
                out.push(job);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_media_result(
        &self,
        org: Uuid,
        wamid: String,
        outcome: MediaOutcome,
        now: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let MediaOutcome::Stored {
                sha256,
                mime_type,
                bytes,
            } = &outcome
            {
                tx.execute(
                    "INSERT INTO wa_blobs (org_id, sha256, mime_type, size, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (org_id, sha256) DO NOTHING",
                    params![org.to_string(), sha256, mime_type, bytes.len() as i64, bytes, now],
                )?;
            }
            let (state, blob, size, error, next) = media_columns(&outcome);
            let mime = match &outcome {
                MediaOutcome::Stored { mime_type, .. } => Some(mime_type.clone()),
                _ => None,
            };
            tx.execute(
                "UPDATE wa_media SET state = ?3, blob_sha256 = ?4, size = COALESCE(?5, size), error = ?6,
                     next_attempt_at = COALESCE(?7, next_attempt_at), mime_type = COALESCE(?8, mime_type), updated_at = ?9
                 WHERE org_id = ?1 AND wamid = ?2 AND state = 'pending'",
                params![org.to_string(), wamid, state, blob, size, error, next, mime, now],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn wa_media_next(&self, org: Uuid) -> Result<Option<i64>, StorageError> {
        self.run(move |db| {
            Ok(db.conn().query_row(
                "SELECT MIN(next_attempt_at) FROM wa_media WHERE org_id = ?1 AND state = 'pending'",
                params![org.to_string()],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn wa_media_unsynced(
        &self,
        org: Uuid,
        limit: usize,
    ) -> Result<Vec<MediaDone>, StorageError> {
        self.run(move |db| {
            let conn = db.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT wamid, doc_id, state, blob_sha256, mime_type, size, error FROM wa_media
                 WHERE org_id = ?1 AND state <> 'pending' AND doc_synced_at IS NULL
                 ORDER BY updated_at, wamid LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![org.to_string(), limit as i64], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    MediaDone {
                        wamid: r.get(0)?,
                        doc_id: Uuid::nil(),
                        state: r.get(2)?,
                        blob_sha256: r.get(3)?,
                        mime_type: r.get(4)?,
                        size: r.get(5)?,
                        error: r.get(6)?,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (doc, mut m) = row?;
                m.doc_id = uuid(&doc)?;
                out.push(m);
            }
            Ok(out)
        })
        .await
    }

    async fn wa_media_mark_synced(
        &self,
        org: Uuid,
        wamids: Vec<String>,
        now: i64,
    ) -> Result<(), StorageError> {
        self.run(move |db| {
            let mut conn = db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut mark = tx.prepare_cached(
                    "UPDATE wa_media SET doc_synced_at = ?3 WHERE org_id = ?1 AND wamid = ?2 AND state <> 'pending'",
                )?;
                for w in &wamids {
                    mark.execute(params![org.to_string(), w, now])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn wa_blob(&self, org: Uuid, sha256: String) -> Result<Option<Blob>, StorageError> {
        self.run(move |db| {
            Ok(db
                .conn()
                .query_row(
                    "SELECT mime_type, bytes FROM wa_blobs WHERE org_id = ?1 AND sha256 = ?2",
                    params![org.to_string(), sha256],
                    |r| {
                        Ok(Blob {
                            mime_type: r.get(0)?,
                            bytes: r.get(1)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }
}

/// Records an outbound message for the sender unless its id is known;
/// whether it was new.
fn insert_outbound(
    tx: &rusqlite::Transaction<'_>,
    org: Uuid,
    m: NewOutbound,
    now: i64,
) -> Result<bool, StorageError> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO wa_outbound (org_id, message_id, doc_id, phone_number_id, recipient, kind, request,
             state, next_attempt_at, error_code, error_title, queued_at, updated_at, doc_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?9, ?12)",
    )?;
    let version = i64::from(m.state != OutState::Queued);
    let (code, title) = opt_error(m.error);
    let n = insert.execute(params![
        org.to_string(),
        m.message_id,
        m.doc_id.to_string(),
        m.phone_number_id,
        m.recipient,
        m.kind,
        m.request,
        m.state.as_str(),
        now,
        code,
        title,
        version
    ])?;
    Ok(n == 1)
}

/// Reads a `wa_reminders` row selected as `REMINDER_COLUMNS`.
fn reminder_ref(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, String, i64, Option<i64>)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

const REMINDER_COLUMNS: &str =
    "r.appointment_id, r.agenda_id, r.doc_id, r.message_id, r.created_at, r.answered_at";

fn to_reminder(
    row: (String, String, String, String, i64, Option<i64>),
) -> Result<ReminderRef, StorageError> {
    let (appointment_id, agenda, doc, message_id, created_at, answered_at) = row;
    Ok(ReminderRef {
        appointment_id,
        agenda_id: uuid(&agenda)?,
        doc_id: uuid(&doc)?,
        message_id,
        created_at,
        answered_at,
    })
}

fn set_cursor(
    tx: &rusqlite::Transaction<'_>,
    org: Uuid,
    kind: &str,
    seq: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO wa_cursors (org_id, kind, seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (org_id, kind) DO UPDATE SET seq = MAX(seq, excluded.seq)",
        params![org.to_string(), kind, seq],
    )?;
    Ok(())
}

/// The UPDATE recording a send's outcome (parameters 1–3: org, message id,
/// now) and its further parameters. Only a send still `sending` moves.
fn outcome_update(outcome: &SendOutcome) -> (&'static str, Vec<rusqlite::types::Value>) {
    match outcome {
        SendOutcome::Sent { wamid } => (
            "UPDATE wa_outbound SET state = 'sent', wamid = ?4, sent_at = ?3, lease_until = NULL, error_code = NULL,
                 error_title = NULL, doc_version = doc_version + 1, updated_at = ?3
             WHERE org_id = ?1 AND message_id = ?2 AND state = 'sending'",
            vec![wamid.clone().into()],
        ),
        SendOutcome::Retry { at, code, title } => (
            "UPDATE wa_outbound SET state = 'queued', next_attempt_at = ?4, lease_until = NULL, error_code = ?5,
                 error_title = ?6, updated_at = ?3
             WHERE org_id = ?1 AND message_id = ?2 AND state = 'sending'",
            vec![(*at).into(), code.clone().into(), title.clone().into()],
        ),
        SendOutcome::Failed { code, title } | SendOutcome::NeedsTemplate { code, title } => (
            "UPDATE wa_outbound SET state = ?4, lease_until = NULL, error_code = ?5, error_title = ?6,
                 doc_version = doc_version + 1, updated_at = ?3
             WHERE org_id = ?1 AND message_id = ?2 AND state = 'sending'",
            vec![
                if matches!(outcome, SendOutcome::Failed { .. }) {
                    OutState::Failed
                } else {
                    OutState::NeedsTemplate
                }
                .as_str()
                .to_string()
                .into(),
                code.clone().into(),
                title.clone().into(),
            ],
        ),
        SendOutcome::InDoubt => (
            "UPDATE wa_outbound SET state = 'in_doubt', lease_until = NULL, error_code = 'in_doubt', error_title = ?4,
                 doc_version = doc_version + 1, updated_at = ?3
             WHERE org_id = ?1 AND message_id = ?2 AND state = 'sending'",
            vec![crate::storage::whatsapp::IN_DOUBT_TITLE.to_string().into()],
        ),
    }
}
