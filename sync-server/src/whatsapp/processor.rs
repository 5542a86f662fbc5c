//! The background processor: claims stored deliveries, walks each one and
//! applies its items. A delivery whose storage fails is retried with
//! exponential backoff; one that is not a delivery at all (not JSON, no
//! `entry`) fails for good, its raw body kept. A process that dies mid-way
//! leaves its leases to run out, and the deliveries are claimed again;
//! applying twice is harmless (wamid unique, statuses forward-only).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::worker::Wake;
use super::WaMetrics;
use crate::cloud_api::payload;
use crate::storage::whatsapp::Claimed;
use crate::storage::Storage;

/// Deliveries claimed at a time.
const BATCH: usize = 64;
/// Seconds a claim lasts before another processor may take the delivery.
const LEASE: i64 = 60;
/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: i64 = 12;
/// How often the inbox is polled when nobody wakes the processor (retries
/// and deliveries stored by another instance).
const POLL: Duration = Duration::from_secs(1);

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Seconds before attempt `attempts + 1`: 2, 4, 8 … capped at an hour.
pub fn backoff(attempts: i64) -> i64 {
    2i64.saturating_pow(attempts.clamp(0, 30) as u32 + 1)
        .min(3600)
}

pub async fn run<S: Storage>(
    storage: Arc<S>,
    wake: Arc<Notify>,
    metrics: Arc<WaMetrics>,
    writer: Arc<Wake>,
) {
    tracing::debug!("WhatsApp processor started");
    loop {
        let t = now();
        match storage.wa_claim(BATCH, t, t + LEASE).await {
            Ok(claimed) if claimed.is_empty() => {
                let _ = tokio::time::timeout(POLL, wake.notified()).await;
            }
            Ok(claimed) => {
                for c in claimed {
                    process(&*storage, c, &metrics, &writer).await;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot claim WhatsApp deliveries");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

async fn process<S: Storage>(storage: &S, c: Claimed, metrics: &WaMetrics, writer: &Wake) {
    let Claimed { id, body, attempts } = c;
    let parsed = tokio::task::spawn_blocking(move || payload::parse(&body)).await;
    let items = match parsed {
        Ok(Ok(items)) => items,
        Ok(Err(e)) => {
            tracing::warn!(delivery = %id, error = %e, "WhatsApp delivery is not a webhook payload: failed");
            metrics.delivery_failures.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = storage.wa_fail(id, e.to_string(), None).await {
                tracing::error!(delivery = %id, error = %e, "cannot record the failure");
            }
            return;
        }
        Err(e) => {
            tracing::error!(delivery = %id, error = %e, "WhatsApp parse task failed");
            return;
        }
    };
    match storage.wa_apply(id, items, now()).await {
        Ok(applied) => {
            let add = |c: &std::sync::atomic::AtomicU64, n: u64| {
                c.fetch_add(n, Ordering::Relaxed);
            };
            add(&metrics.deliveries_processed, 1);
            add(&metrics.messages_stored, applied.messages_new);
            add(&metrics.messages_duplicate, applied.messages_duplicate);
            add(&metrics.statuses_advanced, applied.statuses_advanced);
            add(&metrics.statuses_stale, applied.statuses_stale);
            add(&metrics.unrouted_items, applied.unrouted);
            add(&metrics.item_errors, applied.problems);
            for org in &applied.orgs {
                writer.org(*org);
            }
            if applied.unrouted > 0 {
                tracing::warn!(
                    delivery = %id,
                    phone_number_ids = ?applied.unrouted_numbers,
                    items = applied.unrouted,
                    "WhatsApp items for a number no organisation has: stored without one"
                );
            }
            if applied.problems > 0 {
                tracing::warn!(delivery = %id, errors = applied.problems, "WhatsApp items recorded as errors");
            }
            tracing::debug!(delivery = %id, ?applied, "WhatsApp delivery processed");
        }
        Err(e) => {
            let attempts = attempts + 1;
            let retry_at = (attempts < MAX_ATTEMPTS).then(|| now() + backoff(attempts));
            metrics.delivery_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(delivery = %id, error = %e, attempts, ?retry_at, "WhatsApp delivery not applied");
            if let Err(e) = storage.wa_fail(id, e.to_string(), retry_at).await {
                tracing::error!(delivery = %id, error = %e, "cannot record the failure; the lease will run out");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), 2);
        assert_eq!(backoff(1), 4);
        assert_eq!(backoff(5), 64);
        assert_eq!(backoff(20), 3600);
        assert_eq!(backoff(i64::MAX), 3600);
    }
}
