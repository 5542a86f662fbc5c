//! [`WaStore`] on PostgreSQL. Messages and statuses sit behind row-level
//! security: each item is written with `app.current_org` set to its
//! organisation (empty for an unknown number), inside a savepoint, so that
//! an item the database refuses is recorded and the rest stand.

use std::collections::HashMap;

use uuid::Uuid;

use super::crypto::Sealed;
use super::payload::Item;
use super::store::{
    Applied, Claimed, InboxSummary, ItemErrorRow, MessageRow, NewNumber, NumberRow, StatusRow,
    Unrouted, WaStore,
};
use crate::storage::postgres::{enter_org, PgStorage};
use crate::storage::StorageError;

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
        tx.commit().await?;
        Ok(())
    }

    async fn wa_numbers(&self, org: Option<Uuid>) -> Result<Vec<NumberRow>, StorageError> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT org_id, phone_number_id, display_phone_number, waba_id, created_at FROM wa_numbers
                 WHERE $1::uuid IS NULL OR org_id = $1 ORDER BY org_id, phone_number_id",
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

    async fn wa_receive(&self, bodies: Vec<Vec<u8>>, now: i64) -> Result<Vec<Uuid>, StorageError> {
        let ids: Vec<Uuid> = bodies.iter().map(|_| Uuid::now_v7()).collect();
        let client = self.pool.get().await?;
        // One statement, one commit, however many deliveries wait.
        client
            .execute(
                "INSERT INTO wa_deliveries (id, received_at, body, next_attempt_at)
                 SELECT id, $3, body, $3 FROM unnest($1::uuid[], $2::bytea[]) AS d (id, body)",
                &[&ids, &bodies, &now],
            )
            .await?;
        Ok(ids)
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
                "UPDATE wa_deliveries d SET lease_until = $3 FROM (
                     SELECT id FROM wa_deliveries
                     WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
                     ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) c
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
                "INSERT INTO wa_statuses AS s (wamid, org_id, phone_number_id, recipient_id, recipient_user_id, status, rank, status_at, errors, delivery_id, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (wamid) DO UPDATE SET status = excluded.status, rank = excluded.rank,
                     status_at = excluded.status_at, errors = excluded.errors,
                     recipient_id = COALESCE(excluded.recipient_id, s.recipient_id),
                     recipient_user_id = COALESCE(excluded.recipient_user_id, s.recipient_user_id),
                     delivery_id = excluded.delivery_id, updated_at = excluded.updated_at
                 WHERE excluded.rank > s.rank",
            )
            .await?;
        let route = tx
            .prepare_cached("SELECT org_id FROM wa_numbers WHERE phone_number_id = $1")
            .await?;
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
                        } else {
                            applied.messages_duplicate += 1;
                        }
                    }),
                Item::Status(s) => sp
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
                        ],
                    )
                    .await
                    .map(|n| {
                        if n == 1 {
                            applied.statuses_advanced += 1;
                        } else {
                            applied.statuses_stale += 1;
                        }
                    }),
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
}
