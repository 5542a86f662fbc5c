//! [`WaStore`] on PostgreSQL. Messages and statuses sit behind row-level
//! security: each item is written with `app.current_org` set to its
//! organisation (empty for an unknown number), inside a savepoint, so that
//! an item the database refuses is recorded and the rest stand.

use std::collections::HashMap;

use uuid::Uuid;

use crate::cloud_api::crypto::Sealed;
use crate::cloud_api::payload::Item;
use crate::storage::postgres::{enter_org, read_snapshot, PgStorage};
use crate::storage::whatsapp::{
    media_columns, Blob, Deliveries, MediaDone, MediaJob, MediaOutcome, NewMedia,
};
use crate::storage::whatsapp::{
    Applied, Claimed, InboxSummary, ItemErrorRow, MessageRow, NewAnswer, NewNumber, NewOutbound,
    NewReminder, NumberInfo, NumberRow, OutState, Outbound, OutboundRow, ReminderRef, ReminderRow,
    Resolved, SendOutcome, StatusRow, Unrouted, Unsynced, Unwritten, WaStore, CURSOR_OUTBOUND,
    CURSOR_PATIENTS, IN_DOUBT_TITLE,
};
use crate::storage::StorageError;
use arcada_core::documents::DocClass;

/// Sets (or clears, for the platform's own context) the organisation that
/// row-level security admits for the rest of the transaction.
async fn set_org(
    tx: &impl deadpool_postgres::GenericClient,
    org: Option<Uuid>,
) -> Result<(), StorageError> {
    match org {
        Some(org) => enter_org(tx, org).await,
        None => {
            tx.execute("SELECT set_config('app.current_org', '', true)", &[])
                .await?;
            Ok(())
        }
    }
}

/// See [`super::sqlite::OUTBOUND_STATUS_SQL`].
const OUTBOUND_STATUS_SQL: &str = "
    UPDATE wa_outbound SET
        wamid = COALESCE(wamid, $2),
        sent_at = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN COALESCE(sent_at, $4) ELSE sent_at END,
        error_code = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN NULL ELSE error_code END,
        error_title = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN NULL ELSE error_title END,
        state = CASE WHEN state IN ('queued', 'sending', 'in_doubt', 'failed') THEN 'sent' ELSE state END,
        lease_until = NULL,
        doc_version = doc_version + 1,
        updated_at = $4
    WHERE org_id = $1 AND (wamid = $2 OR ($3::text IS NOT NULL AND message_id = $3 AND (wamid IS NULL OR wamid = $2)))";

/// A transaction bound to one organisation's rows.
async fn org_tx(
    client: &mut deadpool_postgres::Object,
    org: Uuid,
) -> Result<deadpool_postgres::Transaction<'_>, StorageError> {
    let tx = client.transaction().await?;
    enter_org(&tx, org).await?;
    Ok(tx)
}

async fn set_cursor(
    tx: &deadpool_postgres::Transaction<'_>,
    org: Uuid,
    kind: &str,
    seq: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO wa_cursors (org_id, kind, seq) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, kind) DO UPDATE SET seq = GREATEST(wa_cursors.seq, excluded.seq)",
        &[&org, &kind, &seq],
    )
    .await?;
    Ok(())
}

/// Records an outbound message for the sender unless its id is known;
/// whether it was new.
async fn insert_outbound(
    tx: &deadpool_postgres::Transaction<'_>,
    org: Uuid,
    m: NewOutbound,
    now: i64,
) -> Result<bool, StorageError> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO wa_outbound (org_id, message_id, doc_id, phone_number_id, recipient, kind, request,
                 state, next_attempt_at, error_code, error_title, queued_at, updated_at, doc_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $9, $12) ON CONFLICT DO NOTHING",
        )
        .await?;
    let version = i64::from(m.state != OutState::Queued);
    let (code, title) = match m.error {
        Some((c, t)) => (Some(c), Some(t)),
        None => (None, None),
    };
    let n = tx
        .execute(
            &insert,
            &[
                &org,
                &m.message_id,
                &m.doc_id,
                &m.phone_number_id,
                &m.recipient,
                &m.kind,
                &m.request,
                &m.state.as_str(),
                &now,
                &code,
                &title,
                &version,
            ],
        )
        .await?;
    Ok(n == 1)
}

const REMINDER_COLUMNS: &str =
    "r.appointment_id, r.agenda_id, r.doc_id, r.message_id, r.created_at, r.answered_at";

fn reminder_ref(r: &tokio_postgres::Row) -> ReminderRef {
    ReminderRef {
        appointment_id: r.get(0),
        agenda_id: r.get(1),
        doc_id: r.get(2),
        message_id: r.get(3),
        created_at: r.get(4),
        answered_at: r.get(5),
    }
}

impl WaStore for PgStorage {
    async fn wa_add_number(&self, n: NewNumber, now: i64) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if tx
            .query_opt("SELECT 1 FROM organizations WHERE id = $1", &[&n.org])
            .await?
            .is_none()
        {
            return Err(StorageError::NotFound(format!("organisation {}", n.org)));
        }
        let inserted = tx
            .execute(
                "INSERT INTO wa_numbers (phone_number_id, org_id, display_phone_number, waba_id, token_nonce, token_ciphertext, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[&n.phone_number_id, &n.org, &n.display_phone_number, &n.waba_id, &n.token_nonce, &n.token_ciphertext, &now],
            )
            .await?;
        if inserted == 0 {
            return Err(StorageError::Exists(format!(
                "WhatsApp number {}",
                n.phone_number_id
            )));
        }
        // Items that came for the number before anyone had it become the
        // organisation's; the conversation writer takes them. Row-level
        // security lets the platform's context see them and only the
        // organisation's context write them as the organisation's: moved
        // as delete (no organisation) then insert (the organisation).
        set_org(&tx, None).await?;
        let messages = tx
            .query(
                "DELETE FROM wa_messages WHERE org_id IS NULL AND phone_number_id = $1
                 RETURNING wamid, waba_id, from_wa_id, from_user_id, contact_name, kind, sent_at, body, delivery_id, received_at",
                &[&n.phone_number_id],
            )
            .await?;
        let statuses = tx
            .query(
                "DELETE FROM wa_statuses WHERE org_id IS NULL AND phone_number_id = $1
                 RETURNING wamid, recipient_id, recipient_user_id, status, rank, status_at, errors, delivery_id, updated_at, callback_data",
                &[&n.phone_number_id],
            )
            .await?;
        enter_org(&tx, n.org).await?;
        for m in &messages {
            tx.execute(
                "INSERT INTO wa_messages (wamid, org_id, phone_number_id, waba_id, from_wa_id, from_user_id, contact_name, kind, sent_at, body, delivery_id, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    &m.get::<_, String>(0), &n.org, &n.phone_number_id, &m.get::<_, Option<String>>(1),
                    &m.get::<_, Option<String>>(2), &m.get::<_, Option<String>>(3), &m.get::<_, Option<String>>(4),
                    &m.get::<_, String>(5), &m.get::<_, Option<i64>>(6), &m.get::<_, String>(7),
                    &m.get::<_, Uuid>(8), &m.get::<_, i64>(9),
                ],
            )
            .await?;
        }
        for s in &statuses {
            tx.execute(
                "INSERT INTO wa_statuses (wamid, org_id, phone_number_id, recipient_id, recipient_user_id, status, rank, status_at, errors, delivery_id, updated_at, callback_data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    &s.get::<_, String>(0), &n.org, &n.phone_number_id, &s.get::<_, Option<String>>(1),
                    &s.get::<_, Option<String>>(2), &s.get::<_, String>(3), &s.get::<_, i32>(4),
                    &s.get::<_, Option<i64>>(5), &s.get::<_, Option<String>>(6), &s.get::<_, Uuid>(7),
                    &s.get::<_, i64>(8), &s.get::<_, Option<String>>(9),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn wa_numbers(&self, org: Option<Uuid>) -> Result<Vec<NumberRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT org_id, phone_number_id, display_phone_number, waba_id, created_at, needs_reauth_at, needs_reauth_reason
                 FROM wa_numbers WHERE $1::uuid IS NULL OR org_id = $1 ORDER BY org_id, phone_number_id",
                &[&org],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| NumberRow {
                org_id: r.get(0),
                phone_number_id: r.get(1),
                display_phone_number: r.get(2),
                waba_id: r.get(3),
                created_at: r.get(4),
                needs_reauth_at: r.get(5),
                needs_reauth_reason: r.get(6),
            })
            .collect())
    }

    async fn wa_number_token(
        &self,
        phone_number_id: String,
    ) -> Result<Option<Sealed>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT token_nonce, token_ciphertext FROM wa_numbers WHERE phone_number_id = $1",
                &[&phone_number_id],
            )
            .await?;
        Ok(row.map(|r| Sealed {
            nonce: r.get(0),
            ciphertext: r.get(1),
        }))
    }

    async fn wa_remove_number(&self, phone_number_id: String) -> Result<bool, StorageError> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "DELETE FROM wa_numbers WHERE phone_number_id = $1",
                &[&phone_number_id],
            )
            .await?;
        Ok(n == 1)
    }

    async fn wa_receive(&self, bodies: Deliveries, now: i64) -> Result<u64, StorageError> {
        let repeated = bodies.repeated();
        let (mut ids, mut hashes, mut raw, mut copies) = (vec![], vec![], vec![], vec![]);
        for (id, hash, body, n) in bodies.bodies {
            ids.push(id);
            hashes.push(hash);
            raw.push(body);
            copies.push(n);
        }
        let client = self.pool.get().await?;
        // One statement, one commit, however many deliveries wait; the
        // batch holds each body once, so no row is hit twice.
        let rows = client
            .query(
                "INSERT INTO wa_deliveries (id, received_at, body, body_sha256, replays, next_attempt_at)
                 SELECT id, $5, body, hash, copies, $5
                 FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bigint[]) AS d (id, body, hash, copies)
                 ON CONFLICT (body_sha256)
                 DO UPDATE SET replays = wa_deliveries.replays + excluded.replays + 1
                 RETURNING (xmax <> 0) AS replay",
                &[&ids, &raw, &hashes, &copies, &now],
            )
            .await?;
        let replays = rows.iter().filter(|r| r.get::<_, bool>(0)).count() as u64;
        Ok(repeated + replays)
    }

    async fn wa_claim(
        &self,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Claimed>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                // Claims choose their rows once (MATERIALIZED): a sub-select joined
                // by UPDATE … FROM may be rescanned per row, and a rescan skips the
                // rows this statement already updated: a claim took more than `limit`.
                "WITH c AS MATERIALIZED (
                     SELECT id FROM wa_deliveries
                     WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
                     ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE wa_deliveries d SET lease_until = $3 FROM c
                 WHERE d.id = c.id RETURNING d.id, d.body, d.attempts::bigint",
                &[&now, &(limit as i64), &lease_until],
            )
            .await?;
        let mut out: Vec<Claimed> = rows
            .iter()
            .map(|r| Claimed {
                id: r.get(0),
                body: r.get(1),
                attempts: r.get(2),
            })
            .collect();
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    async fn wa_apply(
        &self,
        delivery: Uuid,
        items: Vec<Item>,
        now: i64,
    ) -> Result<Applied, StorageError> {
        let mut client = self.pool.get().await?;
        let mut tx = client.transaction().await?;
        let message = tx
            .prepare_cached(
                "INSERT INTO wa_messages (wamid, org_id, phone_number_id, waba_id, from_wa_id, from_user_id, contact_name, kind, sent_at, body, delivery_id, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (wamid) DO NOTHING",
            )
            .await?;
        let status = tx
            .prepare_cached(
                "INSERT INTO wa_statuses AS s (wamid, org_id, phone_number_id, recipient_id, recipient_user_id, status, rank, status_at, errors, delivery_id, updated_at, callback_data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (wamid) DO UPDATE SET status = excluded.status, rank = excluded.rank,
                     status_at = excluded.status_at, errors = excluded.errors,
                     callback_data = COALESCE(excluded.callback_data, s.callback_data),
                     recipient_id = COALESCE(excluded.recipient_id, s.recipient_id),
                     recipient_user_id = COALESCE(excluded.recipient_user_id, s.recipient_user_id),
                     delivery_id = excluded.delivery_id, updated_at = excluded.updated_at
                 WHERE excluded.rank > s.rank",
            )
            .await?;
        let route = tx
            .prepare_cached("SELECT org_id FROM wa_numbers WHERE phone_number_id = $1")
            .await?;
        let outbound = tx.prepare_cached(OUTBOUND_STATUS_SQL).await?;
        let mut applied = Applied::default();
        let mut orgs: HashMap<String, Option<Uuid>> = HashMap::new();
        let mut current: Option<Option<Uuid>> = None;
        let mut problems = Vec::new();
        for item in &items {
            let (pnid, path) = match item {
                Item::Message(m) => (&m.route.phone_number_id, &m.path),
                Item::Status(s) => (&s.route.phone_number_id, &s.path),
                Item::Problem(p) => {
                    problems.push((
                        p.path.clone(),
                        p.code.clone(),
                        p.phone_number_id.clone(),
                        p.message.clone(),
                    ));
                    continue;
                }
            };
            let org = match orgs.get(pnid) {
                Some(org) => *org,
                None => {
                    let org: Option<Uuid> = tx.query_opt(&route, &[pnid]).await?.map(|r| r.get(0));
                    if org.is_none() {
                        applied.unrouted_numbers.push(pnid.clone());
                    }
                    orgs.insert(pnid.clone(), org);
                    org
                }
            };
            if org.is_none() {
                applied.unrouted += 1;
            }
            if current != Some(org) {
                set_org(&tx, org).await?;
                current = Some(org);
            }
            let sp = tx.savepoint("item").await?;
            let result = match item {
                Item::Message(m) => sp
                    .execute(
                        &message,
                        &[
                            &m.wamid,
                            &org,
                            &m.route.phone_number_id,
                            &m.route.waba_id,
                            &m.from_wa_id,
                            &m.from_user_id,
                            &m.contact_name,
                            &m.kind,
                            &m.timestamp,
                            &m.body,
                            &delivery,
                            &now,
                        ],
                    )
                    .await
                    .map(|n| {
                        if n == 1 {
                            applied.messages_new += 1;
                            if let Some(org) = org {
                                if !applied.orgs.contains(&org) {
                                    applied.orgs.push(org);
                                }
                            }
                        } else {
                            applied.messages_duplicate += 1;
                        }
                    }),
                Item::Status(s) => {
                    let stored = sp
                        .execute(
                            &status,
                            &[
                                &s.wamid,
                                &org,
                                &s.route.phone_number_id,
                                &s.recipient_id,
                                &s.recipient_user_id,
                                &s.status.as_str(),
                                &(s.status.rank() as i32),
                                &s.timestamp,
                                &s.errors,
                                &delivery,
                                &now,
                                &s.callback_data,
                            ],
                        )
                        .await;
                    match (stored, org) {
                        (Ok(1), Some(org)) => sp
                            .execute(&outbound, &[&org, &s.wamid, &s.callback_data, &now])
                            .await
                            .map(|_| {
                                applied.statuses_advanced += 1;
                                if !applied.orgs.contains(&org) {
                                    applied.orgs.push(org);
                                }
                            }),
                        (Ok(1), None) => {
                            applied.statuses_advanced += 1;
                            Ok(())
                        }
                        (Ok(_), _) => {
                            applied.statuses_stale += 1;
                            Ok(())
                        }
                        (Err(e), _) => Err(e),
                    }
                }
                Item::Problem(_) => Ok(()),
            };
            match result {
                Ok(()) => sp.commit().await?,
                Err(e) => {
                    sp.rollback().await?;
                    problems.push((
                        path.clone(),
                        "store".into(),
                        Some(pnid.clone()),
                        e.to_string(),
                    ));
                }
            }
        }
        for (path, code, pnid, message) in problems {
            tx.execute(
                "INSERT INTO wa_item_errors (delivery_id, path, code, phone_number_id, message, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&delivery, &path, &code, &pnid, &message, &now],
            )
            .await?;
            applied.problems += 1;
        }
        tx.execute(
            "UPDATE wa_deliveries SET state = 'done', processed_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1",
            &[&delivery, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(applied)
    }

    async fn wa_fail(
        &self,
        delivery: Uuid,
        error: String,
        retry_at: Option<i64>,
    ) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "UPDATE wa_deliveries SET attempts = attempts + 1, last_error = $2, lease_until = NULL,
                     next_attempt_at = COALESCE($3, next_attempt_at),
                     state = CASE WHEN $3::bigint IS NULL THEN 'failed' ELSE 'pending' END
                 WHERE id = $1",
                &[&delivery, &error, &retry_at],
            )
            .await?;
        Ok(())
    }

    async fn wa_summary(&self) -> Result<InboxSummary, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut summary = InboxSummary::default();
        for r in tx
            .query(
                "SELECT state, COUNT(*) FROM wa_deliveries GROUP BY state",
                &[],
            )
            .await?
        {
            let n: i64 = r.get(1);
            match r.get::<_, &str>(0) {
                "pending" => summary.pending = n,
                "done" => summary.done = n,
                _ => summary.failed += n,
            }
        }
        summary.item_errors = tx
            .query_one("SELECT COUNT(*) FROM wa_item_errors", &[])
            .await?
            .get(0);
        summary.replays = tx
            .query_one(
                "SELECT COALESCE(SUM(replays), 0)::bigint FROM wa_deliveries",
                &[],
            )
            .await?
            .get(0);
        // The platform's own context: row-level security shows the rows of
        // no organisation.
        set_org(&tx, None).await?;
        summary.unrouted = tx
            .query(
                "SELECT phone_number_id, SUM(m)::bigint, SUM(s)::bigint FROM (
                     SELECT phone_number_id, 1 AS m, 0 AS s FROM wa_messages WHERE org_id IS NULL
                     UNION ALL
                     SELECT phone_number_id, 0, 1 FROM wa_statuses WHERE org_id IS NULL) u
                 GROUP BY phone_number_id ORDER BY phone_number_id",
                &[],
            )
            .await?
            .iter()
            .map(|r| Unrouted {
                phone_number_id: r.get(0),
                messages: r.get(1),
                statuses: r.get(2),
            })
            .collect();
        tx.commit().await?;
        Ok(summary)
    }

    async fn wa_inbox(
        &self,
        org: Option<Uuid>,
        limit: usize,
    ) -> Result<(Vec<MessageRow>, Vec<StatusRow>), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        set_org(&tx, org).await?;
        let limit = limit as i64;
        let messages = tx
            .query(
                "SELECT wamid, org_id, phone_number_id, from_wa_id, from_user_id, contact_name, kind, sent_at
                 FROM wa_messages WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY received_at DESC, wamid LIMIT $2",
                &[&org, &limit],
            )
            .await?
            .iter()
            .map(|r| MessageRow {
                wamid: r.get(0),
                org_id: r.get(1),
                phone_number_id: r.get(2),
                from_wa_id: r.get(3),
                from_user_id: r.get(4),
                contact_name: r.get(5),
                kind: r.get(6),
                sent_at: r.get(7),
            })
            .collect();
        let statuses = tx
            .query(
                "SELECT wamid, org_id, phone_number_id, status, status_at FROM wa_statuses
                 WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY updated_at DESC, wamid LIMIT $2",
                &[&org, &limit],
            )
            .await?
            .iter()
            .map(|r| StatusRow {
                wamid: r.get(0),
                org_id: r.get(1),
                phone_number_id: r.get(2),
                status: r.get(3),
                status_at: r.get(4),
            })
            .collect();
        tx.commit().await?;
        Ok((messages, statuses))
    }

    async fn wa_item_errors(&self, limit: usize) -> Result<Vec<ItemErrorRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT delivery_id, path, phone_number_id, code, message FROM wa_item_errors
                 ORDER BY created_at DESC, delivery_id DESC, path LIMIT $1",
                &[&(limit as i64)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ItemErrorRow {
                delivery_id: r.get(0),
                path: r.get(1),
                phone_number_id: r.get(2),
                code: r.get(3),
                message: r.get(4),
            })
            .collect())
    }

    async fn wa_update_number(
        &self,
        phone_number_id: String,
        display: Option<String>,
        token: Option<Sealed>,
    ) -> Result<bool, StorageError> {
        let (nonce, ciphertext) = match token {
            Some(t) => (Some(t.nonce), Some(t.ciphertext)),
            None => (None, None),
        };
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "UPDATE wa_numbers SET display_phone_number = COALESCE($2, display_phone_number),
                     token_nonce = COALESCE($3, token_nonce), token_ciphertext = COALESCE($4, token_ciphertext),
                     needs_reauth_at = NULL, needs_reauth_reason = NULL
                 WHERE phone_number_id = $1",
                &[&phone_number_id, &display, &nonce, &ciphertext],
            )
            .await?;
        Ok(n == 1)
    }

    async fn wa_number_info(
        &self,
        phone_number_id: String,
    ) -> Result<Option<NumberInfo>, StorageError> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT org_id, display_phone_number, needs_reauth_at IS NOT NULL, token_nonce, token_ciphertext
                 FROM wa_numbers WHERE phone_number_id = $1",
                &[&phone_number_id],
            )
            .await?;
        Ok(row.map(|r| NumberInfo {
            org_id: r.get(0),
            display_phone_number: r.get(1),
            needs_reauth: r.get(2),
            token: Sealed {
                nonce: r.get(3),
                ciphertext: r.get(4),
            },
        }))
    }

    async fn wa_flag_reauth(
        &self,
        phone_number_id: String,
        reason: String,
        now: i64,
    ) -> Result<(), StorageError> {
        self.pool
            .get()
            .await?
            .execute(
                "UPDATE wa_numbers SET needs_reauth_at = COALESCE(needs_reauth_at, $2), needs_reauth_reason = $3
                 WHERE phone_number_id = $1",
                &[&phone_number_id, &now, &reason],
            )
            .await?;
        Ok(())
    }

    async fn wa_routed_orgs(&self) -> Result<Vec<Uuid>, StorageError> {
        Ok(self
            .pool
            .get()
            .await?
            .query(
                "SELECT org_id FROM wa_numbers UNION SELECT org_id FROM wa_cursors ORDER BY 1",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn wa_cursor(&self, org: Uuid, kind: &'static str) -> Result<i64, StorageError> {
        Ok(self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT seq FROM wa_cursors WHERE org_id = $1 AND kind = $2",
                &[&org, &kind],
            )
            .await?
            .map_or(0, |r| r.get(0)))
    }

    async fn wa_changed_docs(
        &self,
        org: Uuid,
        class: DocClass,
        after: i64,
        limit: usize,
        skip_device: Option<Uuid>,
    ) -> Result<(Vec<Uuid>, i64, bool), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = read_snapshot(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT seq, doc_id FROM changes
                 WHERE org_id = $1 AND seq > $2 AND class = $3 AND ($5::uuid IS NULL OR device_id <> $5)
                 ORDER BY seq LIMIT $4",
                &[&org, &after, &class.as_str(), &(limit as i64 + 1), &skip_device],
            )
            .await?;
        let mut seen: Vec<(i64, Uuid)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let more = seen.len() > limit;
        seen.truncate(limit);
        let last = if more {
            seen.last().map_or(after, |(s, _)| *s)
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
        let mut docs: Vec<Uuid> = Vec::new();
        for (_, d) in seen {
            if !docs.contains(&d) {
                docs.push(d);
            }
        }
        Ok((docs, last, more))
    }

    async fn wa_index_patients(
        &self,
        org: Uuid,
        patients: Vec<(Uuid, Vec<String>)>,
        cursor: i64,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        for (patient, phones) in &patients {
            tx.execute(
                "DELETE FROM wa_patient_phones WHERE org_id = $1 AND patient_id = $2",
                &[&org, patient],
            )
            .await?;
            if !phones.is_empty() {
                tx.execute(
                    "INSERT INTO wa_patient_phones (org_id, phone, patient_id)
                     SELECT $1, p, $3 FROM unnest($2::text[]) AS p ON CONFLICT DO NOTHING",
                    &[&org, phones, patient],
                )
                .await?;
            }
        }
        set_cursor(&tx, org, CURSOR_PATIENTS, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wa_patients_by_phone(
        &self,
        org: Uuid,
        phone: String,
    ) -> Result<Vec<Uuid>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT patient_id FROM wa_patient_phones WHERE org_id = $1 AND phone = $2 ORDER BY patient_id",
                &[&org, &phone],
            )
            .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn wa_enqueue(
        &self,
        org: Uuid,
        messages: Vec<NewOutbound>,
        cursor: i64,
        now: i64,
    ) -> Result<u64, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let mut new = 0;
        for m in messages {
            new += u64::from(insert_outbound(&tx, org, m, now).await?);
        }
        set_cursor(&tx, org, CURSOR_OUTBOUND, cursor).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn wa_claim_unwritten(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Unwritten>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                // Rows chosen once: see `wa_claim`.
                "WITH c AS MATERIALIZED (
                     SELECT wamid FROM wa_messages
                     WHERE org_id = $1 AND doc_written_at IS NULL AND (doc_lease_until IS NULL OR doc_lease_until < $3)
                     ORDER BY received_at, wamid LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE wa_messages m SET doc_lease_until = $4 FROM c
                 WHERE m.wamid = c.wamid
                 RETURNING m.wamid, m.phone_number_id, m.from_wa_id, m.from_user_id, m.contact_name, m.kind, m.sent_at, m.body, m.received_at",
                &[&org, &(limit as i64), &now, &lease_until],
            )
            .await?;
        tx.commit().await?;
        let mut out: Vec<Unwritten> = rows
            .iter()
            .map(|r| Unwritten {
                wamid: r.get(0),
                phone_number_id: r.get(1),
                from_wa_id: r.get(2),
                from_user_id: r.get(3),
                contact_name: r.get(4),
                kind: r.get(5),
                sent_at: r.get(6),
                body: r.get(7),
                received_at: r.get(8),
            })
            .collect();
        out.sort_by(|a, b| (a.received_at, &a.wamid).cmp(&(b.received_at, &b.wamid)));
        Ok(out)
    }

    async fn wa_mark_written(
        &self,
        org: Uuid,
        wamids: Vec<String>,
        now: i64,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        tx.execute(
            "UPDATE wa_messages SET doc_written_at = $3, doc_lease_until = NULL WHERE org_id = $1 AND wamid = ANY($2)",
            &[&org, &wamids, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wa_claim_sends(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<Outbound>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                // Rows chosen once: see `wa_claim`.
                "WITH c AS MATERIALIZED (
                     SELECT o.message_id FROM wa_outbound o LEFT JOIN wa_numbers n ON n.phone_number_id = o.phone_number_id
                     WHERE o.org_id = $1 AND o.state = 'queued' AND o.next_attempt_at <= $3 AND n.needs_reauth_at IS NULL
                     ORDER BY o.next_attempt_at, o.queued_at, o.message_id LIMIT $2 FOR UPDATE OF o SKIP LOCKED)
                 UPDATE wa_outbound u SET state = 'sending', attempts = u.attempts + 1, lease_until = $4, updated_at = $3
                 FROM c
                 WHERE u.org_id = $1 AND u.message_id = c.message_id
                 RETURNING u.message_id, u.doc_id, u.phone_number_id, u.recipient, u.request, u.attempts::bigint, u.queued_at",
                &[&org, &(limit as i64), &now, &lease_until],
            )
            .await?;
        tx.commit().await?;
        let mut out: Vec<(i64, Outbound)> = rows
            .iter()
            .map(|r| {
                (
                    r.get(6),
                    Outbound {
                        message_id: r.get(0),
                        doc_id: r.get(1),
                        phone_number_id: r.get(2),
                        recipient: r.get(3),
                        request: r.get(4),
                        attempts: r.get(5),
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| (a.0, &a.1.message_id).cmp(&(b.0, &b.1.message_id)));
        Ok(out.into_iter().map(|(_, o)| o).collect())
    }

    async fn wa_send_result(
        &self,
        org: Uuid,
        message_id: String,
        outcome: SendOutcome,
        now: i64,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let n = match &outcome {
            SendOutcome::Sent { wamid } => {
                tx.execute(
                    "UPDATE wa_outbound SET state = 'sent', wamid = $4, sent_at = $3, lease_until = NULL, error_code = NULL,
                         error_title = NULL, doc_version = doc_version + 1, updated_at = $3
                     WHERE org_id = $1 AND message_id = $2 AND state = 'sending'",
                    &[&org, &message_id, &now, wamid],
                )
                .await?
            }
            SendOutcome::Retry { at, code, title } => {
                tx.execute(
                    "UPDATE wa_outbound SET state = 'queued', next_attempt_at = $4, lease_until = NULL, error_code = $5,
                         error_title = $6, updated_at = $3
                     WHERE org_id = $1 AND message_id = $2 AND state = 'sending'",
                    &[&org, &message_id, &now, at, code, title],
                )
                .await?
            }
            SendOutcome::Failed { code, title } | SendOutcome::NeedsTemplate { code, title } => {
                let state = if matches!(outcome, SendOutcome::Failed { .. }) {
                    OutState::Failed
                } else {
                    OutState::NeedsTemplate
                };
                tx.execute(
                    "UPDATE wa_outbound SET state = $4, lease_until = NULL, error_code = $5, error_title = $6,
                         doc_version = doc_version + 1, updated_at = $3
                     WHERE org_id = $1 AND message_id = $2 AND state = 'sending'",
                    &[&org, &message_id, &now, &state.as_str(), code, title],
                )
                .await?
            }
            SendOutcome::InDoubt => {
                tx.execute(
                    "UPDATE wa_outbound SET state = 'in_doubt', lease_until = NULL, error_code = 'in_doubt', error_title = $4,
                         doc_version = doc_version + 1, updated_at = $3
                     WHERE org_id = $1 AND message_id = $2 AND state = 'sending'",
                    &[&org, &message_id, &now, &IN_DOUBT_TITLE],
                )
                .await?
            }
        };
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn wa_resolve_interrupted(&self, org: Uuid, now: i64) -> Result<Resolved, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let proven = tx
            .execute(
                "UPDATE wa_outbound o SET state = 'sent',
                     wamid = COALESCE(o.wamid, (SELECT s.wamid FROM wa_statuses s WHERE s.org_id = $1 AND s.callback_data = o.message_id ORDER BY s.rank DESC LIMIT 1)),
                     sent_at = COALESCE(o.sent_at, $2), lease_until = NULL, error_code = NULL, error_title = NULL,
                     doc_version = o.doc_version + 1, updated_at = $2
                 WHERE o.org_id = $1 AND o.state = 'sending' AND o.lease_until < $2
                   AND EXISTS (SELECT 1 FROM wa_statuses s WHERE s.org_id = $1 AND s.callback_data = o.message_id)",
                &[&org, &now],
            )
            .await?;
        let doubt = tx
            .execute(
                "UPDATE wa_outbound SET state = 'in_doubt', lease_until = NULL, error_code = 'in_doubt',
                     error_title = $3, doc_version = doc_version + 1, updated_at = $2
                 WHERE org_id = $1 AND state = 'sending' AND lease_until < $2",
                &[&org, &now, &IN_DOUBT_TITLE],
            )
            .await?;
        tx.commit().await?;
        Ok(Resolved {
            proven_sent: proven,
            in_doubt: doubt,
        })
    }

    async fn wa_next_send(&self, org: Uuid) -> Result<Option<i64>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let next: Option<i64> = tx
            .query_one(
                "SELECT LEAST(
                     (SELECT MIN(o.next_attempt_at) FROM wa_outbound o LEFT JOIN wa_numbers n ON n.phone_number_id = o.phone_number_id
                      WHERE o.org_id = $1 AND o.state = 'queued' AND n.needs_reauth_at IS NULL),
                     (SELECT MIN(lease_until) FROM wa_outbound WHERE org_id = $1 AND state = 'sending'))",
                &[&org],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(next)
    }

    async fn wa_unsynced(&self, org: Uuid, limit: usize) -> Result<Vec<Unsynced>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT o.message_id, o.doc_id, o.state, o.wamid, o.error_code, o.error_title, o.sent_at, o.updated_at,
                        s.status, s.status_at, s.errors, o.doc_version
                 FROM wa_outbound o LEFT JOIN wa_statuses s ON s.wamid = o.wamid
                 WHERE o.org_id = $1 AND o.doc_version > o.doc_synced
                 ORDER BY o.updated_at, o.message_id LIMIT $2",
                &[&org, &(limit as i64)],
            )
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(Unsynced {
                    message_id: r.get(0),
                    doc_id: r.get(1),
                    state: OutState::parse(r.get::<_, &str>(2))?,
                    wamid: r.get(3),
                    error_code: r.get(4),
                    error_title: r.get(5),
                    sent_at: r.get(6),
                    updated_at: r.get(7),
                    status: r.get(8),
                    status_at: r.get(9),
                    status_errors: r.get(10),
                    version: r.get(11),
                })
            })
            .collect()
    }

    async fn wa_mark_synced(
        &self,
        org: Uuid,
        synced: Vec<(String, i64)>,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let (ids, versions): (Vec<String>, Vec<i64>) = synced.into_iter().unzip();
        tx.execute(
            "UPDATE wa_outbound o SET doc_synced = GREATEST(o.doc_synced, v.version)
             FROM unnest($2::text[], $3::bigint[]) AS v (id, version)
             WHERE o.org_id = $1 AND o.message_id = v.id",
            &[&org, &ids, &versions],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wa_reminded(
        &self,
        org: Uuid,
        appointments: Vec<String>,
    ) -> Result<Vec<String>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT appointment_id FROM wa_reminders WHERE org_id = $1 AND appointment_id = ANY($2)",
                &[&org, &appointments],
            )
            .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn wa_record_reminder(
        &self,
        org: Uuid,
        r: NewReminder,
        outbound: Option<NewOutbound>,
        now: i64,
    ) -> Result<bool, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let state = if r.skipped.is_some() {
            "skipped"
        } else {
            "queued"
        };
        let inserted = tx
            .execute(
                "INSERT INTO wa_reminders (org_id, appointment_id, agenda_id, patient_id, state, reason,
                     doc_id, message_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                &[
                    &org,
                    &r.appointment_id,
                    &r.agenda_id,
                    &r.patient_id,
                    &state,
                    &r.skipped,
                    &r.doc_id,
                    &r.message_id,
                    &now,
                ],
            )
            .await?
            == 1;
        if inserted {
            if let Some(m) = outbound {
                insert_outbound(&tx, org, m, now).await?;
            }
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn wa_reminder_by_wamid(
        &self,
        org: Uuid,
        wamid: String,
    ) -> Result<Option<ReminderRef>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let row = tx
            .query_opt(
                &format!(
                    "SELECT {REMINDER_COLUMNS} FROM wa_reminders r
                     JOIN wa_outbound o ON o.org_id = r.org_id AND o.message_id = r.message_id
                     WHERE r.org_id = $1 AND o.wamid = $2 AND r.state = 'queued'"
                ),
                &[&org, &wamid],
            )
            .await?;
        tx.commit().await?;
        Ok(row.as_ref().map(reminder_ref))
    }

    async fn wa_open_reminders(
        &self,
        org: Uuid,
        doc_id: Uuid,
        since: i64,
        until: i64,
    ) -> Result<Vec<ReminderRef>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                &format!(
                    "SELECT {REMINDER_COLUMNS} FROM wa_reminders r
                     WHERE r.org_id = $1 AND r.doc_id = $2 AND r.state = 'queued' AND r.answered_at IS NULL
                       AND r.created_at >= $3 AND r.created_at <= $4
                     ORDER BY r.created_at DESC, r.appointment_id DESC"
                ),
                &[&org, &doc_id, &since, &until],
            )
            .await?;
        tx.commit().await?;
        Ok(rows.iter().map(reminder_ref).collect())
    }

    async fn wa_answered(
        &self,
        org: Uuid,
        wamids: Vec<String>,
    ) -> Result<Vec<String>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT wamid FROM wa_reminder_answers WHERE org_id = $1 AND wamid = ANY($2)",
                &[&org, &wamids],
            )
            .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn wa_record_answers(
        &self,
        org: Uuid,
        answers: Vec<NewAnswer>,
        now: i64,
    ) -> Result<Vec<String>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let mut new = Vec::new();
        for a in answers {
            let reply_id = a.reply.as_ref().map(|r| r.message_id.clone());
            let inserted = tx
                .execute(
                    "INSERT INTO wa_reminder_answers (org_id, wamid, appointment_id, answer, status,
                         attention, reply_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    &[
                        &org,
                        &a.wamid,
                        &a.appointment_id,
                        &a.answer,
                        &a.status,
                        &a.attention,
                        &reply_id,
                        &now,
                    ],
                )
                .await?
                == 1;
            if !inserted {
                continue;
            }
            if a.settles {
                tx.execute(
                    "UPDATE wa_reminders SET answered_at = $3, answer = $4
                     WHERE org_id = $1 AND appointment_id = $2 AND answered_at IS NULL",
                    &[&org, &a.appointment_id, &now, &a.answer],
                )
                .await?;
            }
            if let Some(reply) = a.reply {
                insert_outbound(&tx, org, reply, now).await?;
            }
            new.push(a.wamid);
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn wa_reminders_report(
        &self,
        org: Uuid,
        limit: usize,
    ) -> Result<Vec<ReminderRow>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT appointment_id, patient_id, state, reason, message_id, created_at, answered_at, answer
                 FROM wa_reminders WHERE org_id = $1 ORDER BY created_at DESC, appointment_id LIMIT $2",
                &[&org, &(limit as i64)],
            )
            .await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| ReminderRow {
                appointment_id: r.get(0),
                patient_id: r.get(1),
                state: r.get(2),
                reason: r.get(3),
                message_id: r.get(4),
                created_at: r.get(5),
                answered_at: r.get(6),
                answer: r.get(7),
            })
            .collect())
    }

    async fn wa_outbound_report(
        &self,
        org: Uuid,
        limit: usize,
    ) -> Result<Vec<OutboundRow>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT message_id, doc_id, phone_number_id, recipient, kind, state, attempts::bigint, wamid, error_code, queued_at, sent_at
                 FROM wa_outbound WHERE org_id = $1 ORDER BY queued_at DESC, message_id LIMIT $2",
                &[&org, &(limit as i64)],
            )
            .await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| OutboundRow {
                message_id: r.get(0),
                doc_id: r.get(1),
                phone_number_id: r.get(2),
                recipient: r.get(3),
                kind: r.get(4),
                state: r.get(5),
                attempts: r.get(6),
                wamid: r.get(7),
                error_code: r.get(8),
                queued_at: r.get(9),
                sent_at: r.get(10),
            })
            .collect())
    }

    async fn wa_media_enqueue(
        &self,
        org: Uuid,
        media: Vec<NewMedia>,
        now: i64,
    ) -> Result<u64, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let insert = tx
            .prepare(
                "INSERT INTO wa_media (org_id, wamid, doc_id, phone_number_id, media_id, mime_type, meta_sha256, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) ON CONFLICT (org_id, wamid) DO NOTHING",
            )
            .await?;
        let mut new = 0;
        for m in &media {
            new += tx
                .execute(
                    &insert,
                    &[
                        &org,
                        &m.wamid,
                        &m.doc_id,
                        &m.phone_number_id,
                        &m.media_id,
                        &m.mime_type,
                        &m.sha256,
                        &now,
                    ],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn wa_media_claim(
        &self,
        org: Uuid,
        limit: usize,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<MediaJob>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                // Rows chosen once: see `wa_claim`.
                "WITH c AS MATERIALIZED (
                     SELECT wamid FROM wa_media WHERE org_id = $1 AND state = 'pending' AND next_attempt_at <= $3
                     ORDER BY next_attempt_at, wamid LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE wa_media u SET attempts = u.attempts + 1, next_attempt_at = $4, updated_at = $3
                 FROM c
                 WHERE u.org_id = $1 AND u.wamid = c.wamid
                 RETURNING u.wamid, u.doc_id, u.phone_number_id, u.media_id, u.mime_type, u.meta_sha256, u.attempts",
                &[&org, &(limit as i64), &now, &lease_until],
            )
            .await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| MediaJob {
                wamid: r.get(0),
                doc_id: r.get(1),
                phone_number_id: r.get(2),
                media_id: r.get(3),
                mime_type: r.get(4),
                sha256: r.get(5),
                attempts: r.get(6),
            })
            .collect())
    }

    async fn wa_media_result(
        &self,
        org: Uuid,
        wamid: String,
        outcome: MediaOutcome,
        now: i64,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        if let MediaOutcome::Stored {
            sha256,
            mime_type,
            bytes,
        } = &outcome
        {
            tx.execute(
                "INSERT INTO wa_blobs (org_id, sha256, mime_type, size, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (org_id, sha256) DO NOTHING",
                &[&org, sha256, mime_type, &(bytes.len() as i64), bytes, &now],
            )
            .await?;
        }
        let (state, blob, size, error, next) = media_columns(&outcome);
        let mime = match &outcome {
            MediaOutcome::Stored { mime_type, .. } => Some(mime_type.clone()),
            _ => None,
        };
        tx.execute(
            "UPDATE wa_media SET state = $3, blob_sha256 = $4, size = COALESCE($5, size), error = $6,
                 next_attempt_at = COALESCE($7, next_attempt_at), mime_type = COALESCE($8, mime_type), updated_at = $9
             WHERE org_id = $1 AND wamid = $2 AND state = 'pending'",
            &[&org, &wamid, &state, &blob, &size, &error, &next, &mime, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wa_media_next(&self, org: Uuid) -> Result<Option<i64>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let row = tx
            .query_one(
                "SELECT MIN(next_attempt_at) FROM wa_media WHERE org_id = $1 AND state = 'pending'",
                &[&org],
            )
            .await?;
        tx.commit().await?;
        Ok(row.get(0))
    }

    async fn wa_media_unsynced(
        &self,
        org: Uuid,
        limit: usize,
    ) -> Result<Vec<MediaDone>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let rows = tx
            .query(
                "SELECT wamid, doc_id, state, blob_sha256, mime_type, size, error FROM wa_media
                 WHERE org_id = $1 AND state <> 'pending' AND doc_synced_at IS NULL
                 ORDER BY updated_at, wamid LIMIT $2",
                &[&org, &(limit as i64)],
            )
            .await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| MediaDone {
                wamid: r.get(0),
                doc_id: r.get(1),
                state: r.get(2),
                blob_sha256: r.get(3),
                mime_type: r.get(4),
                size: r.get(5),
                error: r.get(6),
            })
            .collect())
    }

    async fn wa_media_mark_synced(
        &self,
        org: Uuid,
        wamids: Vec<String>,
        now: i64,
    ) -> Result<(), StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        tx.execute(
            "UPDATE wa_media SET doc_synced_at = $3 WHERE org_id = $1 AND wamid = ANY($2) AND state <> 'pending'",
            &[&org, &wamids, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wa_blob(&self, org: Uuid, sha256: String) -> Result<Option<Blob>, StorageError> {
        let mut client = self.pool.get().await?;
        let tx = org_tx(&mut client, org).await?;
        let row = tx
            .query_opt(
                "SELECT mime_type, bytes FROM wa_blobs WHERE org_id = $1 AND sha256 = $2",
                &[&org, &sha256],
            )
            .await?;
        tx.commit().await?;
        Ok(row.map(|r| Blob {
            mime_type: r.get(0),
            bytes: r.get(1),
        }))
    }
}
