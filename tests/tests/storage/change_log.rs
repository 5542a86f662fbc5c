//! The change log: idempotent appends judged against a document's
//! position, pulls paged by cursor and filtered by class, snapshot pages,
//! quarantine — each organisation's log walled off from the others.

use std::collections::HashSet;

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use arcada_server::storage::{DocPush, Storage, StorageError};
use uuid::Uuid;

use crate::fixtures::{append, change, clinic, push};

conformance!(
    the_same_change_pushed_twice_is_stored_once,
    a_push_judged_against_a_stale_position_stores_nothing,
    a_document_keeps_the_class_it_was_first_recorded_with,
    pull_pages_through_the_log_without_gaps_or_repeats,
    a_reader_racing_concurrent_pushes_misses_nothing,
    pull_serves_only_readable_classes_and_skips_past_the_rest,
    each_role_pulls_exactly_the_classes_it_may_read,
    organisations_never_see_each_others_documents,
    snapshot_pages_walk_readable_documents_in_id_order,
    a_snapshot_is_served_only_while_it_is_current,
    document_changes_after_a_position_are_what_a_reader_lacks,
    quarantined_changes_leave_the_log_for_the_audit_list,
);

/// All of an organisation's changes of `readable` classes, page by page.
async fn pull_all<S: Storage>(
    store: &S,
    org: Uuid,
    readable: &[DocClass],
) -> Vec<(i64, Uuid, Vec<u8>)> {
    let mut after = 0;
    let mut out = Vec::new();
    loop {
        let (rows, cursor, more) = store
            .pull(org, after, 1_000, readable.to_vec())
            .await
            .expect("pull");
        out.extend(rows.into_iter().map(|r| (r.seq, r.doc, r.bytes)));
        after = cursor;
        if !more {
            return out;
        }
    }
}

/// Pushing a change the log holds stores nothing new, counted per
/// document; the log keeps one copy, in the order first received.
async fn the_same_change_pushed_twice_is_stored_once<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let device = Uuid::now_v7();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let stored = store
        .append(
            org,
            device,
            vec![
                push(a, DocClass::Patient, 0..2),
                push(b, DocClass::Patient, 0..1),
            ],
            10,
        )
        .await
        .expect("append");
    assert_eq!(stored, vec![2, 1]);
    let again = store
        .append(
            org,
            device,
            vec![
                push(a, DocClass::Patient, 1..4),
                push(b, DocClass::Patient, 0..1),
            ],
            11,
        )
        .await
        .expect("append again");
    assert_eq!(again, vec![2, 0], "per document, only the new changes");
    let mut twice_in_one = push(a, DocClass::Patient, [4]);
    twice_in_one.changes.push(change(a, 4));
    assert_eq!(
        append(store, org, device, twice_in_one).await,
        1,
        "twice in one push: stored once"
    );

    let log = pull_all(store, org, &[DocClass::Patient]).await;
    let of_a: Vec<Vec<u8>> = log
        .iter()
        .filter(|(_, d, _)| *d == a)
        .map(|(_, _, bytes)| bytes.clone())
        .collect();
    let expected: Vec<Vec<u8>> = (0..5).map(|n| change(a, n).1).collect();
    assert_eq!(of_a, expected, "each change once, in the order received");
    assert_eq!(log.len(), 6);
    assert_eq!(store.document_count(org).await.expect("document_count"), 2);
}

/// A push judged against a document's position is refused (`Stale`) once
/// another change of it was stored since, and a refused push stores
/// nothing, not even its other documents' changes.
async fn a_push_judged_against_a_stale_position_stores_nothing<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let device = Uuid::now_v7();
    let (doc, other) = (Uuid::now_v7(), Uuid::now_v7());
    let fresh = DocPush {
        expect_last: Some(0),
        ..push(doc, DocClass::Chart, [0])
    };
    assert_eq!(
        store
            .append(org, device, vec![fresh], 10)
            .await
            .expect("a new document is at position 0"),
        vec![1]
    );
    let (_, judged_at) = store
        .document_changes_after(org, doc, 0)
        .await
        .expect("document_changes_after");
    assert!(judged_at > 0);
    let in_time = DocPush {
        expect_last: Some(judged_at),
        ..push(doc, DocClass::Chart, [1])
    };
    store
        .append(org, device, vec![in_time], 11)
        .await
        .expect("judged against the current position");

    let late = DocPush {
        expect_last: Some(judged_at),
        ..push(doc, DocClass::Chart, [2])
    };
    let refused = store
        .append(
            org,
            device,
            vec![push(other, DocClass::Chart, [0]), late],
            12,
        )
        .await;
    assert!(
        matches!(refused, Err(StorageError::Stale(d)) if d == doc),
        "judged against a stale position: {refused:?}"
    );
    let log = pull_all(store, org, &[DocClass::Chart]).await;
    assert_eq!(log.len(), 2, "nothing of the refused push stored");
    assert!(log.iter().all(|(_, d, _)| *d == doc));
    assert!(
        store
            .classes(org, vec![other])
            .await
            .expect("classes")
            .is_empty(),
        "the refused push recorded no document"
    );
}

/// The class first recorded for a document stays, whatever later pushes
/// declare; `classes` answers for known documents only.
async fn a_document_keeps_the_class_it_was_first_recorded_with<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (doc, unknown) = (Uuid::now_v7(), Uuid::now_v7());
    append(store, org, Uuid::nil(), push(doc, DocClass::Ledger, [0])).await;
    append(store, org, Uuid::nil(), push(doc, DocClass::Directory, [1])).await;
    assert_eq!(
        store
            .classes(org, vec![doc, unknown])
            .await
            .expect("classes"),
        vec![(doc, DocClass::Ledger)]
    );
    let (rows, _, _) = store
        .pull(org, 0, 10, vec![DocClass::Ledger, DocClass::Directory])
        .await
        .expect("pull");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.class == DocClass::Ledger),
        "every change served with the recorded class"
    );
    let (rows, _, _) = store
        .pull(org, 0, 10, vec![DocClass::Directory])
        .await
        .expect("pull");
    assert!(
        rows.is_empty(),
        "a later declaration does not widen readers"
    );
}

/// Pages of any size, each continued from the last cursor, serve every
/// change once in log order; only the last page says nothing more waits,
/// and pulling from its cursor finds nothing.
async fn pull_pages_through_the_log_without_gaps_or_repeats<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let docs: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    let mut expected = HashSet::new();
    for round in 0..5u32 {
        let pushes: Vec<DocPush> = docs
            .iter()
            .map(|d| push(*d, DocClass::Patient, [round]))
            .collect();
        for d in &docs {
            expected.insert(change(*d, round).1);
        }
        store
            .append(org, Uuid::now_v7(), pushes, 10 + i64::from(round))
            .await
            .expect("append");
    }
    for limit in [1, 7, 25, 100] {
        let mut after = 0;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let (rows, cursor, more) = store
                .pull(org, after, limit, vec![DocClass::Patient])
                .await
                .expect("pull");
            pages += 1;
            assert!(rows.len() <= limit, "a page larger than its limit");
            assert!(cursor >= after, "the cursor went back");
            if let Some(last) = rows.last() {
                assert!(cursor >= last.seq, "the cursor is behind its page");
            }
            if more {
                assert_eq!(rows.len(), limit, "a short page that says more wait");
            }
            seen.extend(rows.into_iter().map(|r| (r.seq, r.bytes)));
            after = cursor;
            if !more {
                break;
            }
        }
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "limit {limit}: out of order or repeated"
        );
        let bytes: HashSet<Vec<u8>> = seen.iter().map(|(_, b)| b.clone()).collect();
        assert_eq!(seen.len(), 25, "limit {limit}: a change missed or repeated");
        assert_eq!(bytes, expected, "limit {limit}");
        assert_eq!(pages, 25_usize.div_ceil(limit), "limit {limit}: pages");
        let (rows, cursor, more) = store
            .pull(org, after, limit, vec![DocClass::Patient])
            .await
            .expect("pull past the end");
        assert!(rows.is_empty() && !more, "nothing after the last page");
        assert_eq!(cursor, after, "the cursor stays at the end");
    }
}

/// Pushes committed while a reader pages through the log (several
/// writers at once) are all served to it, once each: positions are taken
/// in commit order, so its cursor never passes a change committed later.
async fn a_reader_racing_concurrent_pushes_misses_nothing<S: Storage>(store: &S) {
    use std::sync::atomic::{AtomicUsize, Ordering};

    const WRITERS: usize = 4;
    const PUSHES: u32 = 25;
    let (org, _) = clinic(store, "Alfa").await;
    let finished = AtomicUsize::new(0);
    let writer = |w: usize| {
        let finished = &finished;
        async move {
            let doc = Uuid::now_v7();
            for n in 0..PUSHES {
                append(store, org, Uuid::nil(), push(doc, DocClass::Patient, [n])).await;
            }
            finished.fetch_add(1, Ordering::SeqCst);
            (w, doc)
        }
    };
    let reader = async {
        let mut after = 0;
        let mut seen: Vec<(i64, Vec<u8>)> = Vec::new();
        loop {
            let done = finished.load(Ordering::SeqCst) == WRITERS;
            let (rows, cursor, more) = store
                .pull(org, after, 10, vec![DocClass::Patient])
                .await
                .expect("pull");
            let empty = rows.is_empty();
            seen.extend(rows.into_iter().map(|r| (r.seq, r.bytes)));
            after = cursor;
            if done && !more {
                return seen;
            }
            if empty {
                tokio::task::yield_now().await;
            }
        }
    };
    let (a, b, c, d, seen) = tokio::join!(writer(0), writer(1), writer(2), writer(3), reader);
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "a change served twice or out of order"
    );
    let served: HashSet<Vec<u8>> = seen.into_iter().map(|(_, bytes)| bytes).collect();
    let expected: HashSet<Vec<u8>> = [a, b, c, d]
        .into_iter()
        .flat_map(|(_, doc)| (0..PUSHES).map(move |n| change(doc, n).1))
        .collect();
    assert_eq!(served.len(), WRITERS * PUSHES as usize);
    assert_eq!(
        served, expected,
        "a change committed behind the cursor was missed"
    );
}

/// A pull serves only the classes the caller may read; when nothing
/// readable remains its cursor moves past what it could not see, so the
/// next pull does not scan it again.
async fn pull_serves_only_readable_classes_and_skips_past_the_rest<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (patient, chart, ledger) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    append(
        store,
        org,
        Uuid::nil(),
        push(patient, DocClass::Patient, 0..2),
    )
    .await;
    append(store, org, Uuid::nil(), push(chart, DocClass::Chart, 0..2)).await;
    append(
        store,
        org,
        Uuid::nil(),
        push(patient, DocClass::Patient, 2..3),
    )
    .await;
    append(
        store,
        org,
        Uuid::nil(),
        push(ledger, DocClass::Ledger, 0..2),
    )
    .await;
    let everything = pull_all(
        store,
        org,
        &[DocClass::Patient, DocClass::Chart, DocClass::Ledger],
    )
    .await;
    let end = everything.last().expect("changes").0;

    let (rows, cursor, more) = store
        .pull(org, 0, 100, vec![DocClass::Patient])
        .await
        .expect("pull");
    assert!(rows
        .iter()
        .all(|r| r.doc == patient && r.class == DocClass::Patient));
    assert_eq!(rows.len(), 3);
    assert!(!more);
    assert_eq!(cursor, end, "past the unreadable changes at the end");

    // One at a time: the filter holds on every page.
    let mut after = 0;
    let mut served = Vec::new();
    loop {
        let (rows, cursor, more) = store
            .pull(org, after, 1, vec![DocClass::Chart, DocClass::Ledger])
            .await
            .expect("pull");
        served.extend(rows.iter().map(|r| r.doc));
        after = cursor;
        if !more {
            break;
        }
    }
    assert_eq!(served, vec![chart, chart, ledger, ledger]);
    assert_eq!(after, end);

    let (rows, cursor, more) = store.pull(org, 0, 100, vec![]).await.expect("pull");
    assert!(rows.is_empty() && !more, "a role that reads nothing");
    assert_eq!(cursor, end);
}

/// With one document of every class in the log, each role's pull (its
/// readable classes, as the server asks) serves the changes of exactly the
/// classes that role may read.
async fn each_role_pulls_exactly_the_classes_it_may_read<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let mut docs = Vec::new();
    for class in DocClass::ALL {
        let doc = Uuid::now_v7();
        append(store, org, Uuid::nil(), push(doc, *class, 0..2)).await;
        docs.push((doc, *class));
    }
    for role in Role::ALL {
        let mut served: Vec<DocClass> = pull_all(store, org, &role.readable())
            .await
            .into_iter()
            .map(|(_, doc, _)| {
                docs.iter()
                    .find(|(d, _)| *d == doc)
                    .map(|(_, class)| *class)
                    .expect("a document of the log")
            })
            .collect();
        served.dedup();
        let readable: Vec<DocClass> = DocClass::ALL
            .iter()
            .copied()
            .filter(|c| role.can_read(*c))
            .collect();
        assert_eq!(served, readable, "{role:?}");
    }
}

/// The same document id in two organisations is two documents: each
/// organisation's reads (pull, classes, changes, snapshots, counts,
/// quarantine) see only its own.
async fn organisations_never_see_each_others_documents<S: Storage>(store: &S) {
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    let doc = Uuid::now_v7();
    let only_a = Uuid::now_v7();
    append(store, a, Uuid::nil(), push(doc, DocClass::Patient, 0..3)).await;
    append(store, a, Uuid::nil(), push(only_a, DocClass::Chart, 0..1)).await;
    assert_eq!(
        append(store, b, Uuid::nil(), push(doc, DocClass::Ledger, 0..2)).await,
        2,
        "the same changes in another organisation are new there"
    );

    let all = [DocClass::Patient, DocClass::Chart, DocClass::Ledger];
    let of_b = pull_all(store, b, &all).await;
    assert_eq!(of_b.len(), 2);
    assert!(of_b.iter().all(|(_, d, _)| *d == doc));
    assert_eq!(pull_all(store, a, &all).await.len(), 4);
    assert_eq!(
        store.classes(b, vec![doc, only_a]).await.expect("classes"),
        vec![(doc, DocClass::Ledger)],
        "Beta's class, and not Alfa's document"
    );
    let (changes, _) = store
        .document_changes_after(b, doc, 0)
        .await
        .expect("document_changes_after");
    assert_eq!(changes.len(), 2);
    let (changes, _) = store
        .document_changes_after(b, only_a, 0)
        .await
        .expect("document_changes_after");
    assert!(changes.is_empty(), "Alfa's document through Beta");
    assert_eq!(store.document_count(a).await.expect("count"), 2);
    assert_eq!(store.document_count(b).await.expect("count"), 1);
    assert_eq!(
        store.document_count(Uuid::now_v7()).await.expect("count"),
        0
    );

    let (page, _) = store
        .snapshot_page(b, None, 100, all.to_vec())
        .await
        .expect("snapshot_page");
    assert_eq!(page.iter().map(|r| r.doc).collect::<Vec<_>>(), vec![doc]);
    let (_, last_in_a) = store
        .document_changes_after(a, doc, 0)
        .await
        .expect("document_changes_after");
    store
        .save_snapshot(a, doc, last_in_a, b"Alfa's snapshot".to_vec())
        .await
        .expect("save_snapshot");
    let (page, _) = store
        .snapshot_page(b, None, 100, all.to_vec())
        .await
        .expect("snapshot_page");
    assert!(
        page.iter()
            .all(|r| r.snapshot.as_deref() != Some(&b"Alfa's snapshot"[..])),
        "Alfa's snapshot served to Beta"
    );

    let hash_in_a = change(doc, 0).0;
    assert_eq!(
        store
            .quarantine_changes(b, only_a, vec![change(only_a, 0).0], "x".into(), 20)
            .await
            .expect("quarantine"),
        0,
        "Beta cannot quarantine Alfa's change"
    );
    assert_eq!(
        store
            .quarantine_changes(b, doc, vec![hash_in_a.clone()], "bad".into(), 20)
            .await
            .expect("quarantine"),
        1
    );
    assert_eq!(pull_all(store, a, &all).await.len(), 4, "Alfa's copy stays");
    assert!(store
        .quarantined_changes(a)
        .await
        .expect("quarantined_changes")
        .is_empty());
    assert_eq!(
        store
            .quarantined_changes(b)
            .await
            .expect("quarantined_changes")
            .len(),
        1
    );
}

/// Snapshot pages walk the readable documents in id order, each once, with
/// the log position read before them; unreadable documents are left out.
async fn snapshot_pages_walk_readable_documents_in_id_order<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let mut readable = Vec::new();
    for i in 0..7u32 {
        let doc = Uuid::now_v7();
        let class = if i % 3 == 2 {
            DocClass::Ledger
        } else {
            DocClass::Patient
        };
        append(store, org, Uuid::nil(), push(doc, class, 0..=i)).await;
        if class == DocClass::Patient {
            readable.push(doc);
        }
    }
    readable.sort();
    let end = pull_all(store, org, &[DocClass::Patient, DocClass::Ledger])
        .await
        .last()
        .expect("changes")
        .0;

    let (empty, position) = store
        .snapshot_page(Uuid::now_v7(), None, 10, vec![DocClass::Patient])
        .await
        .expect("snapshot_page of an empty organisation");
    assert!(empty.is_empty());
    assert_eq!(position, 0);

    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let (page, position) = store
            .snapshot_page(org, after, 2, vec![DocClass::Patient])
            .await
            .expect("snapshot_page");
        assert_eq!(position, end, "the log's position");
        assert!(page.len() <= 2);
        for row in &page {
            assert_eq!(row.class, DocClass::Patient);
            let (_, last) = store
                .document_changes_after(org, row.doc, 0)
                .await
                .expect("document_changes_after");
            assert_eq!(row.last_seq, last, "its latest change");
            assert!(row.snapshot.is_none(), "none saved yet");
        }
        let Some(last) = page.last() else { break };
        after = Some(last.doc);
        seen.extend(page.iter().map(|r| r.doc));
    }
    assert_eq!(seen, readable, "each readable document once, in id order");
}

/// The (last position, snapshot) of an organisation's only agenda.
async fn only_page<S: Storage>(store: &S, org: Uuid) -> (i64, Option<Vec<u8>>) {
    let (rows, _) = store
        .snapshot_page(org, None, 10, vec![DocClass::Agenda])
        .await
        .expect("snapshot_page");
    assert_eq!(rows.len(), 1);
    let row = rows.into_iter().next().expect("the document");
    (row.last_seq, row.snapshot)
}

/// A saved snapshot is served while it is as of the document's latest
/// change; an older one never replaces a newer; a new change makes it
/// stale (not served) until a newer is saved.
async fn a_snapshot_is_served_only_while_it_is_current<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let doc = Uuid::now_v7();
    append(store, org, Uuid::nil(), push(doc, DocClass::Agenda, 0..2)).await;
    let (_, first) = store
        .document_changes_after(org, doc, 0)
        .await
        .expect("document_changes_after");
    store
        .save_snapshot(org, doc, first, b"as of first".to_vec())
        .await
        .expect("save_snapshot");
    assert_eq!(
        only_page(store, org).await,
        (first, Some(b"as of first".to_vec()))
    );
    store
        .save_snapshot(org, doc, first - 1, b"older".to_vec())
        .await
        .expect("save an older snapshot");
    assert_eq!(
        only_page(store, org).await,
        (first, Some(b"as of first".to_vec())),
        "an older snapshot does not replace a newer"
    );

    append(store, org, Uuid::nil(), push(doc, DocClass::Agenda, [2])).await;
    let (_, second) = store
        .document_changes_after(org, doc, first)
        .await
        .expect("document_changes_after");
    assert!(second > first);
    assert_eq!(
        only_page(store, org).await,
        (second, None),
        "stale: not served"
    );
    store
        .save_snapshot(org, doc, second, b"as of second".to_vec())
        .await
        .expect("save_snapshot");
    assert_eq!(
        only_page(store, org).await,
        (second, Some(b"as of second".to_vec()))
    );
}

/// A document's changes after a position, oldest first, and the position
/// of the last; none after it: nothing, and the same position.
async fn document_changes_after_a_position_are_what_a_reader_lacks<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (doc, other) = (Uuid::now_v7(), Uuid::now_v7());
    append(store, org, Uuid::nil(), push(doc, DocClass::Patient, 0..2)).await;
    append(
        store,
        org,
        Uuid::nil(),
        push(other, DocClass::Patient, 0..2),
    )
    .await;
    let (held, held_at) = store
        .document_changes_after(org, doc, 0)
        .await
        .expect("document_changes_after");
    assert_eq!(held, vec![change(doc, 0).1, change(doc, 1).1]);
    append(store, org, Uuid::nil(), push(doc, DocClass::Patient, 2..4)).await;
    let (lacking, now_at) = store
        .document_changes_after(org, doc, held_at)
        .await
        .expect("document_changes_after");
    assert_eq!(lacking, vec![change(doc, 2).1, change(doc, 3).1]);
    assert!(now_at > held_at);
    assert_eq!(
        store
            .document_changes_after(org, doc, now_at)
            .await
            .expect("document_changes_after"),
        (vec![], now_at),
        "up to date"
    );
    assert_eq!(
        store
            .document_changes_after(org, Uuid::now_v7(), 5)
            .await
            .expect("document_changes_after"),
        (vec![], 5),
        "an unknown document"
    );
}

/// Quarantined changes are never served again, drop the document's
/// snapshot, and are listed for audit (newest first) with their origin.
async fn quarantined_changes_leave_the_log_for_the_audit_list<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let device = Uuid::now_v7();
    let doc = Uuid::now_v7();
    store
        .append(org, device, vec![push(doc, DocClass::Patient, 0..3)], 10)
        .await
        .expect("append");
    let log = pull_all(store, org, &[DocClass::Patient]).await;
    let (_, last) = store
        .document_changes_after(org, doc, 0)
        .await
        .expect("document_changes_after");
    store
        .save_snapshot(org, doc, last, b"snapshot".to_vec())
        .await
        .expect("save_snapshot");

    let moved = store
        .quarantine_changes(
            org,
            doc,
            vec![change(doc, 1).0, b"unknown".to_vec()],
            "damaged".into(),
            20,
        )
        .await
        .expect("quarantine_changes");
    assert_eq!(moved, 1, "only changes the log holds");
    let served: Vec<Vec<u8>> = pull_all(store, org, &[DocClass::Patient])
        .await
        .into_iter()
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(served, vec![change(doc, 0).1, change(doc, 2).1]);
    let (rows, _) = store
        .snapshot_page(org, None, 10, vec![DocClass::Patient])
        .await
        .expect("snapshot_page");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].snapshot.is_none(), "the snapshot held the change");

    store
        .quarantine_changes(org, doc, vec![change(doc, 2).0], "later".into(), 30)
        .await
        .expect("quarantine_changes");
    let listed = store
        .quarantined_changes(org)
        .await
        .expect("quarantined_changes");
    let summary: Vec<(Uuid, i64, String, Uuid, i64, &str, i64)> = listed
        .iter()
        .map(|q| {
            (
                q.doc,
                q.seq,
                q.hash.clone(),
                q.device,
                q.received_at,
                q.reason.as_str(),
                q.quarantined_at,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                doc,
                log[2].0,
                hex::encode(change(doc, 2).0),
                device,
                10,
                "later",
                30
            ),
            (
                doc,
                log[1].0,
                hex::encode(change(doc, 1).0),
                device,
                10,
                "damaged",
                20
            ),
        ]
    );
}
