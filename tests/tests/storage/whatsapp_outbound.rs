//! Outbound messages: queued once from their conversations, claimed by the
//! sender once per attempt, their outcome recorded once, interrupted sends
//! resolved, and the outcome written back into the document.

use arcada_server::cloud_api::payload::WaStatus;
use arcada_server::storage::whatsapp::{OutState, Resolved, SendOutcome, CURSOR_OUTBOUND};
use arcada_server::storage::Storage;
use uuid::Uuid;

use crate::fixtures::{clinic, deliver, number, outbound, status};

conformance!(
    an_outbound_message_is_queued_once,
    a_send_is_claimed_once_and_its_outcome_recorded_once,
    a_number_waiting_for_a_token_holds_its_sends,
    an_interrupted_send_is_proven_sent_by_a_status_or_left_in_doubt,
    an_outcome_waits_until_its_document_shows_it,
);

/// The ids the sender claims, in order.
async fn claim<S: Storage>(store: &S, org: Uuid, now: i64, lease_until: i64) -> Vec<(String, i64)> {
    store
        .wa_claim_sends(org, 10, now, lease_until)
        .await
        .expect("wa_claim_sends")
        .into_iter()
        .map(|o| (o.message_id, o.attempts))
        .collect()
}

/// A known message id queues nothing again; the outbound cursor moves
/// with the queue and never back; each organisation reports its own.
async fn an_outbound_message_is_queued_once<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    let doc = Uuid::now_v7();
    assert_eq!(
        store
            .wa_enqueue(
                org,
                vec![outbound("m1", doc, "1001"), outbound("m2", doc, "1001")],
                5,
                10
            )
            .await
            .expect("wa_enqueue"),
        2
    );
    let unsendable = arcada_server::storage::whatsapp::NewOutbound {
        request: None,
        state: OutState::Failed,
        error: Some(("no_recipient".into(), "the contact has no wa_id".into())),
        ..outbound("m3", doc, "1001")
    };
    assert_eq!(
        store
            .wa_enqueue(org, vec![outbound("m1", doc, "1001"), unsendable], 4, 11)
            .await
            .expect("wa_enqueue again"),
        1,
        "m1 was known"
    );
    assert_eq!(
        store
            .wa_cursor(org, CURSOR_OUTBOUND)
            .await
            .expect("wa_cursor"),
        5
    );

    let report = store
        .wa_outbound_report(org, 10)
        .await
        .expect("wa_outbound_report");
    let rows: Vec<_> = report
        .iter()
        .map(|o| {
            (
                o.message_id.as_str(),
                o.doc_id,
                o.phone_number_id.as_str(),
                o.state.as_str(),
                o.attempts,
                o.error_code.as_deref(),
                o.queued_at,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("m3", doc, "1001", "failed", 0, Some("no_recipient"), 11),
            ("m1", doc, "1001", "queued", 0, None, 10),
            ("m2", doc, "1001", "queued", 0, None, 10),
        ],
        "newest first"
    );
    assert_eq!(report[1].recipient.as_deref(), Some("5511988887777"));
    assert_eq!(report[1].kind, "text");
    assert_eq!(
        store
            .wa_outbound_report(org, 1)
            .await
            .expect("wa_outbound_report")
            .len(),
        1
    );
    assert!(store
        .wa_outbound_report(other, 10)
        .await
        .expect("wa_outbound_report")
        .is_empty());
}

/// Each claim takes due queued messages once (attempts counted); an
/// outcome is recorded only for a send still in flight; a retry is due
/// again at its time, which the next-send time tells.
async fn a_send_is_claimed_once_and_its_outcome_recorded_once<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let doc = Uuid::now_v7();
    store
        .wa_enqueue(
            org,
            vec![outbound("m1", doc, "1001"), outbound("m2", doc, "1001")],
            1,
            10,
        )
        .await
        .expect("wa_enqueue");
    assert_eq!(
        store.wa_next_send(org).await.expect("wa_next_send"),
        Some(10)
    );
    assert!(claim(store, org, 9, 30).await.is_empty(), "not due yet");

    let first = store
        .wa_claim_sends(org, 1, 20, 30)
        .await
        .expect("wa_claim_sends");
    assert_eq!(first.len(), 1);
    let m1 = &first[0];
    assert_eq!(
        (
            m1.message_id.as_str(),
            m1.doc_id,
            m1.phone_number_id.as_str(),
            m1.attempts
        ),
        ("m1", doc, "1001", 1)
    );
    assert_eq!(m1.recipient.as_deref(), Some("5511988887777"));
    assert!(m1.request.as_deref().is_some_and(|r| r.contains("m1")));
    assert_eq!(claim(store, org, 21, 30).await, vec![("m2".to_string(), 1)]);
    assert!(claim(store, org, 22, 30).await.is_empty(), "both in flight");
    assert!(claim(store, other, 22, 30).await.is_empty());

    let sent = SendOutcome::Sent {
        wamid: "wamid.M1".into(),
    };
    assert!(
        !store
            .wa_send_result(other, "m1".into(), sent.clone(), 23)
            .await
            .expect("wa_send_result"),
        "another organisation's message"
    );
    assert!(store
        .wa_send_result(org, "m1".into(), sent.clone(), 23)
        .await
        .expect("wa_send_result"));
    assert!(
        !store
            .wa_send_result(org, "m1".into(), sent, 24)
            .await
            .expect("wa_send_result again"),
        "recorded once"
    );
    let retry = SendOutcome::Retry {
        at: 50,
        code: "130429".into(),
        title: "rate limit".into(),
    };
    assert!(store
        .wa_send_result(org, "m2".into(), retry, 25)
        .await
        .expect("wa_send_result"));
    assert_eq!(
        store.wa_next_send(org).await.expect("wa_next_send"),
        Some(50)
    );
    assert!(
        claim(store, org, 49, 60).await.is_empty(),
        "the retry is not due"
    );
    assert_eq!(claim(store, org, 50, 60).await, vec![("m2".to_string(), 2)]);
    let failed = SendOutcome::Failed {
        code: "131026".into(),
        title: "undeliverable".into(),
    };
    assert!(store
        .wa_send_result(org, "m2".into(), failed, 51)
        .await
        .expect("wa_send_result"));
    assert_eq!(store.wa_next_send(org).await.expect("wa_next_send"), None);

    let report = store
        .wa_outbound_report(org, 10)
        .await
        .expect("wa_outbound_report");
    let rows: Vec<_> = report
        .iter()
        .map(|o| {
            (
                o.message_id.as_str(),
                o.state.as_str(),
                o.attempts,
                o.wamid.as_deref(),
                o.error_code.as_deref(),
                o.sent_at,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("m1", "sent", 1, Some("wamid.M1"), None, Some(23)),
            ("m2", "failed", 2, None, Some("131026"), None),
        ]
    );

    store
        .wa_enqueue(org, vec![outbound("m3", doc, "1001")], 1, 60)
        .await
        .expect("wa_enqueue");
    claim(store, org, 60, 70).await;
    assert!(store
        .wa_send_result(
            org,
            "m3".into(),
            SendOutcome::NeedsTemplate {
                code: "131047".into(),
                title: "outside the 24 h window".into()
            },
            61
        )
        .await
        .expect("wa_send_result"));
    let states: Vec<(String, String)> = store
        .wa_outbound_report(org, 10)
        .await
        .expect("wa_outbound_report")
        .into_iter()
        .map(|o| (o.message_id, o.state))
        .collect();
    assert!(states.contains(&("m3".into(), OutState::NeedsTemplate.as_str().into())));
}

/// Messages through a number whose token Meta refused stay queued, and do
/// not make the sender wake, until the number is updated.
async fn a_number_waiting_for_a_token_holds_its_sends<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    store
        .wa_enqueue(org, vec![outbound("m1", Uuid::now_v7(), "1001")], 1, 10)
        .await
        .expect("wa_enqueue");
    store
        .wa_flag_reauth("1001".into(), "190".into(), 11)
        .await
        .expect("wa_flag_reauth");
    assert!(claim(store, org, 20, 30).await.is_empty(), "held");
    assert_eq!(store.wa_next_send(org).await.expect("wa_next_send"), None);
    store
        .wa_update_number("1001".into(), None, Some(crate::fixtures::sealed("new")))
        .await
        .expect("wa_update_number");
    assert_eq!(
        store.wa_next_send(org).await.expect("wa_next_send"),
        Some(10)
    );
    assert_eq!(claim(store, org, 21, 30).await, vec![("m1".to_string(), 1)]);
}

/// A status carrying a send's message id proves it went: while in flight
/// its outcome is then not recorded again, and once its lease ran out it
/// is resolved as sent; a send whose lease ran out with no such status is
/// in doubt. Sends still leased are left alone.
async fn an_interrupted_send_is_proven_sent_by_a_status_or_left_in_doubt<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let doc = Uuid::now_v7();
    // The status of m3 outran its own queueing.
    deliver(
        store,
        vec![status("1001", "wamid.M3", WaStatus::Sent, Some("m3"))],
        8,
    )
    .await;
    store
        .wa_enqueue(
            org,
            vec![
                outbound("m1", doc, "1001"),
                outbound("m2", doc, "1001"),
                outbound("m3", doc, "1001"),
            ],
            1,
            10,
        )
        .await
        .expect("wa_enqueue");
    assert_eq!(claim(store, org, 10, 20).await.len(), 3);
    assert_eq!(
        store.wa_next_send(org).await.expect("wa_next_send"),
        Some(20),
        "the sender wakes when the leases run out"
    );
    deliver(
        store,
        vec![status("1001", "wamid.M1", WaStatus::Delivered, Some("m1"))],
        12,
    )
    .await;
    assert!(
        !store
            .wa_send_result(org, "m1".into(), SendOutcome::InDoubt, 13)
            .await
            .expect("wa_send_result"),
        "the status proved it sent meanwhile"
    );
    assert_eq!(
        store
            .wa_resolve_interrupted(org, 15)
            .await
            .expect("wa_resolve_interrupted"),
        Resolved::default(),
        "leases still running"
    );
    assert_eq!(
        store
            .wa_resolve_interrupted(org, 21)
            .await
            .expect("wa_resolve_interrupted"),
        Resolved {
            proven_sent: 1,
            in_doubt: 1
        }
    );
    let report = store
        .wa_outbound_report(org, 10)
        .await
        .expect("wa_outbound_report");
    let rows: Vec<(&str, &str, Option<&str>, Option<&str>)> = report
        .iter()
        .map(|o| {
            (
                o.message_id.as_str(),
                o.state.as_str(),
                o.wamid.as_deref(),
                o.error_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("m1", "sent", Some("wamid.M1"), None),
            ("m2", "in_doubt", None, Some("in_doubt")),
            ("m3", "sent", Some("wamid.M3"), None),
        ]
    );
    assert_eq!(
        store
            .wa_resolve_interrupted(org, 30)
            .await
            .expect("wa_resolve_interrupted"),
        Resolved::default(),
        "resolved once"
    );
}

/// Every recorded outcome (and every later status of a sent message)
/// waits, with its version, until a document showing that version is
/// marked synced; an older version marked does not hide a newer one.
async fn an_outcome_waits_until_its_document_shows_it<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let doc = Uuid::now_v7();
    store
        .wa_enqueue(
            org,
            vec![outbound("m1", doc, "1001"), outbound("m2", doc, "1001")],
            1,
            10,
        )
        .await
        .expect("wa_enqueue");
    assert!(
        store
            .wa_unsynced(org, 10)
            .await
            .expect("wa_unsynced")
            .is_empty(),
        "queued is what the document already shows"
    );
    claim(store, org, 10, 20).await;
    store
        .wa_send_result(
            org,
            "m1".into(),
            SendOutcome::Sent {
                wamid: "wamid.M1".into(),
            },
            11,
        )
        .await
        .expect("wa_send_result");
    let unsynced = store.wa_unsynced(org, 10).await.expect("wa_unsynced");
    assert_eq!(unsynced.len(), 1);
    let sent = &unsynced[0];
    assert_eq!(
        (
            sent.message_id.as_str(),
            sent.doc_id,
            sent.state,
            sent.wamid.as_deref(),
            sent.sent_at,
            sent.status.as_deref()
        ),
        ("m1", doc, OutState::Sent, Some("wamid.M1"), Some(11), None)
    );
    let first_version = sent.version;
    assert!(store
        .wa_unsynced(other, 10)
        .await
        .expect("wa_unsynced")
        .is_empty());

    store
        .wa_mark_synced(org, vec![("m1".into(), first_version)])
        .await
        .expect("wa_mark_synced");
    assert!(store
        .wa_unsynced(org, 10)
        .await
        .expect("wa_unsynced")
        .is_empty());

    deliver(
        store,
        vec![status("1001", "wamid.M1", WaStatus::Read, None)],
        12,
    )
    .await;
    let unsynced = store.wa_unsynced(org, 10).await.expect("wa_unsynced");
    assert_eq!(unsynced.len(), 1);
    let read = &unsynced[0];
    assert_eq!(
        (read.status.as_deref(), read.status_at),
        (Some("read"), Some(203))
    );
    assert!(read.version > first_version);
    store
        .wa_mark_synced(org, vec![("m1".into(), first_version)])
        .await
        .expect("wa_mark_synced an older version");
    assert_eq!(
        store.wa_unsynced(org, 10).await.expect("wa_unsynced").len(),
        1,
        "an older version does not hide a newer"
    );
    store
        .wa_mark_synced(org, vec![("m1".into(), read.version)])
        .await
        .expect("wa_mark_synced");
    assert!(store
        .wa_unsynced(org, 10)
        .await
        .expect("wa_unsynced")
        .is_empty());

    store
        .wa_send_result(
            org,
            "m2".into(),
            SendOutcome::Failed {
                code: "131026".into(),
                title: "undeliverable".into(),
            },
            13,
        )
        .await
        .expect("wa_send_result");
    let failed = store.wa_unsynced(org, 1).await.expect("wa_unsynced");
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (
            failed[0].message_id.as_str(),
            failed[0].state,
            failed[0].error_code.as_deref(),
            failed[0].error_title.as_deref()
        ),
        (
            "m2",
            OutState::Failed,
            Some("131026"),
            Some("undeliverable")
        )
    );
}
