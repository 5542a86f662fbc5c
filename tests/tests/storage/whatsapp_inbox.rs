//! The WhatsApp inbox: raw webhook bodies stored once and leased for
//! processing, the messages taken from them kept once, statuses that only
//! move forward, items for numbers nobody has kept unrouted, and problems
//! recorded beside the rest.

use arcada_server::cloud_api::payload::{Item, Problem, WaStatus};
use arcada_server::storage::whatsapp::Deliveries;
use arcada_server::storage::Storage;
use uuid::Uuid;

use crate::fixtures::{clinic, deliver, message, number, status};

conformance!(
    a_webhook_body_is_stored_once_and_replays_are_counted,
    deliveries_are_leased_oldest_first_and_retried_or_failed,
    the_same_message_twice_is_kept_once,
    a_status_never_goes_back,
    items_for_a_number_nobody_has_wait_for_the_organisation_that_adds_it,
    each_organisation_sees_only_its_own_inbox,
    problems_are_recorded_beside_the_items_that_stand,
);

/// The same bytes twice (in one batch or later) are one delivery with
/// replays; the summary counts them.
async fn a_webhook_body_is_stored_once_and_replays_are_counted<S: Storage>(store: &S) {
    let first = store
        .wa_receive(
            Deliveries::of([b"body 1".to_vec(), b"body 1".to_vec(), b"body 2".to_vec()]),
            10,
        )
        .await
        .expect("wa_receive");
    assert_eq!(first, 1, "twice in the batch");
    let later = store
        .wa_receive(Deliveries::of([b"body 1".to_vec(), b"body 3".to_vec()]), 11)
        .await
        .expect("wa_receive");
    assert_eq!(later, 1, "already stored");
    let summary = store.wa_summary().await.expect("wa_summary");
    assert_eq!(
        (
            summary.pending,
            summary.done,
            summary.failed,
            summary.replays
        ),
        (3, 0, 0, 2)
    );
    let mut bodies: Vec<Vec<u8>> = store
        .wa_claim(10, 20, 30)
        .await
        .expect("wa_claim")
        .into_iter()
        .map(|c| c.body)
        .collect();
    bodies.sort();
    assert_eq!(
        bodies,
        vec![b"body 1".to_vec(), b"body 2".to_vec(), b"body 3".to_vec()],
        "each body once"
    );
}

/// A claim leases the oldest due deliveries; a leased one is not claimed
/// again until its lease runs out; a failure is retried when asked, or
/// failed for good; an applied one is done.
async fn deliveries_are_leased_oldest_first_and_retried_or_failed<S: Storage>(store: &S) {
    for (i, body) in [b"first".to_vec(), b"second".to_vec(), b"third".to_vec()]
        .into_iter()
        .enumerate()
    {
        store
            .wa_receive(Deliveries::of([body]), 10 + i as i64)
            .await
            .expect("wa_receive");
    }
    assert!(
        store
            .wa_claim(10, 5, 50)
            .await
            .expect("wa_claim")
            .is_empty(),
        "none due before it arrived"
    );
    let claimed = store.wa_claim(1, 20, 50).await.expect("wa_claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].body.as_slice(), claimed[0].attempts),
        (&b"first"[..], 0)
    );
    let first = claimed[0].id;
    let rest = store.wa_claim(10, 21, 50).await.expect("wa_claim");
    let bodies: Vec<&[u8]> = rest.iter().map(|c| c.body.as_slice()).collect();
    assert_eq!(bodies.len(), 2);
    assert!(
        !bodies.contains(&&b"first"[..]),
        "a leased delivery claimed again"
    );
    let second = rest
        .iter()
        .find(|c| c.body == b"second")
        .expect("second")
        .id;
    let third = rest.iter().find(|c| c.body == b"third").expect("third").id;

    let expired = store.wa_claim(10, 51, 90).await.expect("wa_claim");
    assert_eq!(expired.len(), 3, "every lease ran out: claimable again");

    store
        .wa_fail(first, "timeout".into(), Some(100))
        .await
        .expect("wa_fail with a retry");
    store
        .wa_fail(second, "bad body".into(), None)
        .await
        .expect("wa_fail for good");
    store.wa_apply(third, vec![], 95).await.expect("wa_apply");
    let summary = store.wa_summary().await.expect("wa_summary");
    assert_eq!((summary.pending, summary.done, summary.failed), (1, 1, 1));
    assert!(
        store
            .wa_claim(10, 99, 150)
            .await
            .expect("wa_claim")
            .is_empty(),
        "the retry is not due yet"
    );
    let retried = store.wa_claim(10, 100, 150).await.expect("wa_claim");
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].id, retried[0].attempts), (first, 1));
}

/// A message that arrives twice (a redelivery with another body) is
/// stored once and counted as a duplicate.
async fn the_same_message_twice_is_kept_once<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let applied = deliver(store, vec![message("1001", "wamid.A", "5511911112222")], 10).await;
    assert_eq!((applied.messages_new, applied.messages_duplicate), (1, 0));
    assert_eq!(applied.orgs, vec![org]);
    let again = deliver(
        store,
        vec![
            message("1001", "wamid.A", "5511911112222"),
            message("1001", "wamid.B", "5511911112222"),
            message("1001", "wamid.B", "5511911112222"),
        ],
        11,
    )
    .await;
    assert_eq!((again.messages_new, again.messages_duplicate), (1, 2));
    let (messages, _) = store.wa_inbox(Some(org), 10).await.expect("wa_inbox");
    let mut wamids: Vec<&str> = messages.iter().map(|m| m.wamid.as_str()).collect();
    wamids.sort();
    assert_eq!(wamids, vec!["wamid.A", "wamid.B"]);
    let a = messages
        .iter()
        .find(|m| m.wamid == "wamid.A")
        .expect("wamid.A");
    assert_eq!(
        (
            a.org_id,
            a.phone_number_id.as_str(),
            a.from_wa_id.as_deref(),
            a.contact_name.as_deref(),
            a.kind.as_str(),
            a.sent_at
        ),
        (
            Some(org),
            "1001",
            Some("5511911112222"),
            Some("Maria"),
            "text",
            Some(100)
        )
    );
    let duplicate = deliver(store, vec![message("1001", "wamid.A", "5511911112222")], 12).await;
    assert!(
        duplicate.orgs.is_empty(),
        "nothing new for the organisation"
    );
}

/// Statuses rank sent < delivered < read < played, and failed above all:
/// a lower or equal rank arriving late is stale and changes nothing.
async fn a_status_never_goes_back<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let latest = move || async move {
        let (_, statuses) = store.wa_inbox(Some(org), 10).await.expect("wa_inbox");
        assert_eq!(statuses.len(), 1, "one row per wamid");
        (statuses[0].status.clone(), statuses[0].status_at)
    };
    let out = "wamid.OUT";
    let steps = [
        (WaStatus::Sent, (1, 0)),
        (WaStatus::Read, (1, 0)),
        (WaStatus::Delivered, (0, 1)),
        (WaStatus::Read, (0, 1)),
    ];
    for (i, (s, (advanced, stale))) in steps.into_iter().enumerate() {
        let applied = deliver(store, vec![status("1001", out, s, None)], 10 + i as i64).await;
        assert_eq!(
            (applied.statuses_advanced, applied.statuses_stale),
            (advanced, stale),
            "{} after the others",
            s.as_str()
        );
    }
    assert_eq!(latest().await, ("read".to_string(), Some(203)));
    let in_one = deliver(
        store,
        vec![
            status("1001", out, WaStatus::Delivered, None),
            status("1001", out, WaStatus::Failed, None),
            status("1001", out, WaStatus::Played, None),
        ],
        20,
    )
    .await;
    assert_eq!((in_one.statuses_advanced, in_one.statuses_stale), (1, 2));
    assert_eq!(in_one.orgs, vec![org]);
    assert_eq!(
        latest().await,
        ("failed".to_string(), Some(205)),
        "failed is final"
    );
}

/// Items for a number no organisation has are stored without one, listed
/// as unrouted, and become the organisation's when it adds the number.
async fn items_for_a_number_nobody_has_wait_for_the_organisation_that_adds_it<S: Storage>(
    store: &S,
) {
    let (org, _) = clinic(store, "Alfa").await;
    let applied = deliver(
        store,
        vec![
            message("7007", "wamid.early", "5511933334444"),
            status("7007", "wamid.sent", WaStatus::Delivered, None),
            message("7007", "wamid.early2", "5511933334444"),
        ],
        10,
    )
    .await;
    assert_eq!(applied.unrouted, 3);
    assert_eq!(applied.unrouted_numbers, vec!["7007".to_string()]);
    assert!(applied.orgs.is_empty());
    let (messages, statuses) = store.wa_inbox(None, 10).await.expect("wa_inbox");
    assert_eq!((messages.len(), statuses.len()), (2, 1));
    assert!(messages.iter().all(|m| m.org_id.is_none()));
    let summary = store.wa_summary().await.expect("wa_summary");
    assert_eq!(summary.unrouted.len(), 1);
    let unrouted = &summary.unrouted[0];
    assert_eq!(
        (
            unrouted.phone_number_id.as_str(),
            unrouted.messages,
            unrouted.statuses
        ),
        ("7007", 2, 1)
    );
    let (messages, _) = store.wa_inbox(Some(org), 10).await.expect("wa_inbox");
    assert!(messages.is_empty());

    store
        .wa_add_number(number(org, "7007"), 20)
        .await
        .expect("wa_add_number");
    let (messages, statuses) = store.wa_inbox(Some(org), 10).await.expect("wa_inbox");
    assert_eq!((messages.len(), statuses.len()), (2, 1));
    assert!(messages.iter().all(|m| m.org_id == Some(org)));
    assert_eq!(statuses[0].org_id, Some(org));
    let (messages, statuses) = store.wa_inbox(None, 10).await.expect("wa_inbox");
    assert!(messages.is_empty() && statuses.is_empty());
    assert!(store
        .wa_summary()
        .await
        .expect("wa_summary")
        .unrouted
        .is_empty());
    let unwritten = store
        .wa_claim_unwritten(org, 10, 30, 40)
        .await
        .expect("wa_claim_unwritten");
    assert_eq!(unwritten.len(), 2, "the conversation writer takes them");
}

/// One organisation's messages and statuses never show in another's
/// inbox; the inbox is newest first and bounded by its limit.
async fn each_organisation_sees_only_its_own_inbox<S: Storage>(store: &S) {
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    store
        .wa_add_number(number(a, "1001"), 5)
        .await
        .expect("wa_add_number");
    store
        .wa_add_number(number(b, "2002"), 5)
        .await
        .expect("wa_add_number");
    for i in 0..3 {
        deliver(
            store,
            vec![message("1001", &format!("wamid.a{i}"), "5511900000001")],
            10 + i,
        )
        .await;
    }
    let applied = deliver(
        store,
        vec![
            message("2002", "wamid.b", "5511900000002"),
            status("2002", "wamid.b-out", WaStatus::Sent, None),
        ],
        20,
    )
    .await;
    assert_eq!(applied.orgs, vec![b]);
    let (messages, statuses) = store.wa_inbox(Some(a), 2).await.expect("wa_inbox");
    let wamids: Vec<&str> = messages.iter().map(|m| m.wamid.as_str()).collect();
    assert_eq!(
        wamids,
        vec!["wamid.a2", "wamid.a1"],
        "newest first, at most 2"
    );
    assert!(statuses.is_empty(), "Beta's status in Alfa's inbox");
    let (messages, statuses) = store.wa_inbox(Some(b), 10).await.expect("wa_inbox");
    assert_eq!(
        messages
            .iter()
            .map(|m| m.wamid.as_str())
            .collect::<Vec<_>>(),
        vec!["wamid.b"]
    );
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        store
            .wa_claim_unwritten(b, 10, 30, 40)
            .await
            .expect("wa_claim_unwritten")
            .len(),
        1,
        "Beta's writer takes Beta's message only"
    );
}

/// Problems of a delivery are recorded once each (newest first) and
/// counted; the items beside them stand.
async fn problems_are_recorded_beside_the_items_that_stand<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let problem = |path: &str, code: &str| {
        Item::Problem(Problem {
            phone_number_id: Some("1001".into()),
            path: path.into(),
            code: code.into(),
            message: format!("{code} at {path}"),
        })
    };
    let older = Uuid::now_v7();
    let applied = store
        .wa_apply(
            older,
            vec![
                problem("entry[0]", "invalid_item"),
                message("1001", "wamid.ok", "5511900000001"),
            ],
            10,
        )
        .await
        .expect("wa_apply");
    assert_eq!((applied.problems, applied.messages_new), (1, 1));
    let newer = Uuid::now_v7();
    store
        .wa_apply(newer, vec![problem("entry[1]", "meta_131047")], 20)
        .await
        .expect("wa_apply");
    let errors = store.wa_item_errors(10).await.expect("wa_item_errors");
    let listed: Vec<(Uuid, &str, Option<&str>, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e.delivery_id,
                e.path.as_str(),
                e.phone_number_id.as_deref(),
                e.code.as_str(),
                e.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                newer,
                "entry[1]",
                Some("1001"),
                "meta_131047",
                "meta_131047 at entry[1]"
            ),
            (
                older,
                "entry[0]",
                Some("1001"),
                "invalid_item",
                "invalid_item at entry[0]"
            ),
        ]
    );
    assert_eq!(
        store.wa_item_errors(1).await.expect("wa_item_errors").len(),
        1
    );
    assert_eq!(store.wa_summary().await.expect("wa_summary").item_errors, 2);
    let (messages, _) = store.wa_inbox(Some(org), 10).await.expect("wa_inbox");
    assert_eq!(messages.len(), 1, "the message beside the problem stands");
}
