//! Inbound media: queued once per message, leased for download, its
//! outcome recorded once (a stored blob kept per organisation), and
//! written back into the conversation.

use arcada_server::storage::whatsapp::{MediaOutcome, NewMedia};
use arcada_server::storage::Storage;
use uuid::Uuid;

use crate::fixtures::clinic;

conformance!(
    media_is_fetched_once_per_message,
    a_blob_is_its_organisations_alone,
);

fn media(wamid: &str, doc: Uuid) -> NewMedia {
    NewMedia {
        wamid: wamid.into(),
        doc_id: doc,
        phone_number_id: "1001".into(),
        media_id: format!("media-{wamid}"),
        mime_type: Some("image/jpeg".into()),
        sha256: None,
    }
}

/// The wamids a claim takes, with their attempts.
async fn claim<S: Storage>(store: &S, org: Uuid, now: i64, lease_until: i64) -> Vec<(String, i64)> {
    store
        .wa_media_claim(org, 10, now, lease_until)
        .await
        .expect("wa_media_claim")
        .into_iter()
        .map(|m| (m.wamid, m.attempts))
        .collect()
}

/// Media is queued once per wamid; a claim leases it (not again before the
/// lease runs out); a retry is due at its time; an outcome is recorded
/// once, and waits until the conversation shows it.
async fn media_is_fetched_once_per_message<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    let doc = Uuid::now_v7();
    assert_eq!(
        store
            .wa_media_enqueue(
                org,
                vec![media("w1", doc), media("w2", doc), media("w3", doc)],
                10
            )
            .await
            .expect("wa_media_enqueue"),
        3
    );
    assert_eq!(
        store
            .wa_media_enqueue(org, vec![media("w1", doc)], 11)
            .await
            .expect("wa_media_enqueue again"),
        0,
        "queued once"
    );
    assert_eq!(
        store.wa_media_next(org).await.expect("wa_media_next"),
        Some(10)
    );
    assert_eq!(
        store.wa_media_next(other).await.expect("wa_media_next"),
        None
    );
    assert!(claim(store, org, 9, 40).await.is_empty(), "not due yet");

    let jobs = store
        .wa_media_claim(org, 2, 10, 40)
        .await
        .expect("wa_media_claim");
    assert_eq!(
        jobs.iter()
            .map(|j| (j.wamid.as_str(), j.attempts))
            .collect::<Vec<_>>(),
        vec![("w1", 1), ("w2", 1)]
    );
    let job = &jobs[0];
    assert_eq!(
        (
            job.doc_id,
            job.phone_number_id.as_str(),
            job.media_id.as_str(),
            job.mime_type.as_deref(),
            job.sha256.as_deref()
        ),
        (doc, "1001", "media-w1", Some("image/jpeg"), None)
    );
    assert_eq!(claim(store, org, 11, 40).await, vec![("w3".to_string(), 1)]);
    assert!(claim(store, org, 12, 40).await.is_empty(), "all leased");
    assert!(claim(store, other, 12, 40).await.is_empty());
    assert_eq!(
        store.wa_media_next(org).await.expect("wa_media_next"),
        Some(40)
    );

    let stored = MediaOutcome::Stored {
        sha256: "aa11".into(),
        mime_type: "image/png".into(),
        bytes: b"picture".to_vec(),
    };
    store
        .wa_media_result(org, "w1".into(), stored, 20)
        .await
        .expect("wa_media_result");
    store
        .wa_media_result(
            org,
            "w2".into(),
            MediaOutcome::Retry {
                at: 60,
                error: "503".into(),
            },
            21,
        )
        .await
        .expect("wa_media_result");
    store
        .wa_media_result(
            org,
            "w3".into(),
            MediaOutcome::TooLarge {
                size: 200_000_000,
                limit: 100_000_000,
            },
            22,
        )
        .await
        .expect("wa_media_result");
    assert_eq!(
        store.wa_media_next(org).await.expect("wa_media_next"),
        Some(60)
    );
    assert!(
        claim(store, org, 59, 90).await.is_empty(),
        "the retry is not due"
    );
    assert_eq!(claim(store, org, 60, 90).await, vec![("w2".to_string(), 2)]);
    store
        .wa_media_result(
            org,
            "w2".into(),
            MediaOutcome::Failed {
                error: "404".into(),
            },
            61,
        )
        .await
        .expect("wa_media_result");
    store
        .wa_media_result(
            org,
            "w1".into(),
            MediaOutcome::Failed {
                error: "late".into(),
            },
            62,
        )
        .await
        .expect("a late outcome of a settled download");
    assert_eq!(store.wa_media_next(org).await.expect("wa_media_next"), None);

    let unsynced = store
        .wa_media_unsynced(org, 10)
        .await
        .expect("wa_media_unsynced");
    let rows: Vec<_> = unsynced
        .iter()
        .map(|m| {
            (
                m.wamid.as_str(),
                m.doc_id,
                m.state.as_str(),
                m.blob_sha256.as_deref(),
                m.mime_type.as_deref(),
                m.size,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "w1",
                doc,
                "stored",
                Some("aa11"),
                Some("image/png"),
                Some(7)
            ),
            (
                "w3",
                doc,
                "too_large",
                None,
                Some("image/jpeg"),
                Some(200_000_000)
            ),
            ("w2", doc, "failed", None, Some("image/jpeg"), None),
        ],
        "in the order they settled; a settled download is not changed again"
    );
    assert!(unsynced[1]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("too_large")));
    assert!(unsynced[2]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("404")));
    assert_eq!(
        store
            .wa_media_unsynced(org, 1)
            .await
            .expect("wa_media_unsynced")
            .len(),
        1
    );
    assert!(store
        .wa_media_unsynced(other, 10)
        .await
        .expect("wa_media_unsynced")
        .is_empty());

    store
        .wa_media_mark_synced(org, vec!["w1".into(), "w3".into()], 70)
        .await
        .expect("wa_media_mark_synced");
    let left: Vec<String> = store
        .wa_media_unsynced(org, 10)
        .await
        .expect("wa_media_unsynced")
        .into_iter()
        .map(|m| m.wamid)
        .collect();
    assert_eq!(left, vec!["w2".to_string()]);
}

/// A stored blob is served to its organisation only; the same bytes
/// stored again keep the first copy.
async fn a_blob_is_its_organisations_alone<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    let doc = Uuid::now_v7();
    store
        .wa_media_enqueue(org, vec![media("w1", doc), media("w2", doc)], 10)
        .await
        .expect("wa_media_enqueue");
    claim(store, org, 10, 40).await;
    for (wamid, mime) in [("w1", "image/png"), ("w2", "image/webp")] {
        store
            .wa_media_result(
                org,
                wamid.into(),
                MediaOutcome::Stored {
                    sha256: "bb22".into(),
                    mime_type: mime.into(),
                    bytes: b"same picture".to_vec(),
                },
                20,
            )
            .await
            .expect("wa_media_result");
    }
    let blob = store
        .wa_blob(org, "bb22".into())
        .await
        .expect("wa_blob")
        .expect("the stored blob");
    assert_eq!(
        (blob.mime_type.as_str(), blob.bytes.as_slice()),
        ("image/png", &b"same picture"[..]),
        "the first copy kept"
    );
    assert!(
        store
            .wa_blob(other, "bb22".into())
            .await
            .expect("wa_blob")
            .is_none(),
        "another organisation's blob"
    );
    assert!(store
        .wa_blob(org, "unknown".into())
        .await
        .expect("wa_blob")
        .is_none());
}
