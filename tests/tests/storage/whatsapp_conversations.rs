//! The server as a peer of the documents: following an organisation's log
//! for the documents it needs (by cursor, skipping its own changes), the
//! patients' phone index, and inbound messages leased until they are
//! written into their conversations.

use arcada_core::documents::DocClass;
use arcada_server::storage::whatsapp::{CURSOR_OUTBOUND, CURSOR_PATIENTS};
use arcada_server::storage::Storage;
use uuid::Uuid;

use crate::fixtures::{append, clinic, deliver, message, number, push};

conformance!(
    changed_documents_are_paged_once_each_without_the_servers_own,
    the_phone_index_is_replaced_per_patient_and_its_cursor_kept,
    unwritten_messages_are_leased_until_written,
);

/// Documents of one class changed after a cursor, once each, from at most
/// `limit` changes, leaving out the changes of the device named (the
/// server's own writes); paging on with the returned position misses none.
async fn changed_documents_are_paged_once_each_without_the_servers_own<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other_org, _) = clinic(store, "Beta").await;
    let (clinic_device, server) = (Uuid::now_v7(), Uuid::now_v7());
    let patients: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    for (i, p) in patients.iter().enumerate() {
        append(
            store,
            org,
            clinic_device,
            push(*p, DocClass::Patient, [0, 1]),
        )
        .await;
        let chart = Uuid::now_v7();
        append(store, org, clinic_device, push(chart, DocClass::Chart, [0])).await;
        if i == 0 {
            append(
                store,
                org,
                server,
                push(Uuid::now_v7(), DocClass::Patient, [0]),
            )
            .await;
        }
    }
    append(
        store,
        other_org,
        clinic_device,
        push(Uuid::now_v7(), DocClass::Patient, [0]),
    )
    .await;

    let (all, end, more) = store
        .wa_changed_docs(org, DocClass::Patient, 0, 100, Some(server))
        .await
        .expect("wa_changed_docs");
    assert!(!more);
    assert_eq!(
        all, patients,
        "once each, in log order, none of the server's"
    );
    let (_, last_seen) = store
        .document_changes_after(org, patients[3], 0)
        .await
        .expect("document_changes_after");
    assert!(end >= last_seen, "the position covers what was read");

    let (with_own, _, _) = store
        .wa_changed_docs(org, DocClass::Patient, 0, 100, None)
        .await
        .expect("wa_changed_docs");
    assert_eq!(with_own.len(), 5, "the server's own document too");

    let mut after = 0;
    let mut paged = Vec::new();
    loop {
        let (docs, last, more) = store
            .wa_changed_docs(org, DocClass::Patient, after, 3, Some(server))
            .await
            .expect("wa_changed_docs");
        assert!(docs.len() <= 3);
        assert!(last >= after);
        for d in docs {
            if !paged.contains(&d) {
                paged.push(d);
            }
        }
        after = last;
        if !more {
            break;
        }
    }
    assert_eq!(paged, patients, "paging misses no document");
    assert_eq!(after, end);
    let (none, same, more) = store
        .wa_changed_docs(org, DocClass::Patient, end, 3, Some(server))
        .await
        .expect("wa_changed_docs");
    assert!(none.is_empty() && !more);
    assert_eq!(same, end);
}

/// Indexing a patient replaces their phones; a phone finds every patient
/// with it, in this organisation only; the cursor moves with the index and
/// never back.
async fn the_phone_index_is_replaced_per_patient_and_its_cursor_kept<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    let (ana, bia) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(
        store
            .wa_cursor(org, CURSOR_PATIENTS)
            .await
            .expect("wa_cursor"),
        0
    );
    store
        .wa_index_patients(
            org,
            vec![
                (ana, vec!["+5511911110000".into(), "+5511922220000".into()]),
                (bia, vec!["+5511911110000".into()]),
            ],
            7,
        )
        .await
        .expect("wa_index_patients");
    store
        .wa_index_patients(
            other,
            vec![(Uuid::now_v7(), vec!["+5511911110000".into()])],
            3,
        )
        .await
        .expect("wa_index_patients");
    let mut both = vec![ana, bia];
    both.sort();
    assert_eq!(
        store
            .wa_patients_by_phone(org, "+5511911110000".into())
            .await
            .expect("wa_patients_by_phone"),
        both,
        "every patient with the phone, of this organisation only"
    );
    assert_eq!(
        store
            .wa_cursor(org, CURSOR_PATIENTS)
            .await
            .expect("wa_cursor"),
        7
    );
    assert_eq!(
        store
            .wa_cursor(org, CURSOR_OUTBOUND)
            .await
            .expect("wa_cursor"),
        0,
        "each cursor on its own"
    );
    assert_eq!(
        store
            .wa_cursor(other, CURSOR_PATIENTS)
            .await
            .expect("wa_cursor"),
        3
    );

    store
        .wa_index_patients(org, vec![(ana, vec!["+5511933330000".into()])], 9)
        .await
        .expect("wa_index_patients");
    assert_eq!(
        store
            .wa_patients_by_phone(org, "+5511911110000".into())
            .await
            .expect("wa_patients_by_phone"),
        vec![bia],
        "Ana's old phones replaced"
    );
    assert!(store
        .wa_patients_by_phone(org, "+5511922220000".into())
        .await
        .expect("wa_patients_by_phone")
        .is_empty());
    assert_eq!(
        store
            .wa_patients_by_phone(org, "+5511933330000".into())
            .await
            .expect("wa_patients_by_phone"),
        vec![ana]
    );
    store
        .wa_index_patients(org, vec![(bia, vec![])], 4)
        .await
        .expect("wa_index_patients");
    assert!(store
        .wa_patients_by_phone(org, "+5511911110000".into())
        .await
        .expect("wa_patients_by_phone")
        .is_empty());
    assert_eq!(
        store
            .wa_cursor(org, CURSOR_PATIENTS)
            .await
            .expect("wa_cursor"),
        9,
        "the cursor never goes back"
    );
}

/// The conversation writer leases an organisation's unwritten messages,
/// oldest first; a leased one waits for its lease to run out; a written
/// one is never taken again.
async fn unwritten_messages_are_leased_until_written<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    for (i, wamid) in ["wamid.1", "wamid.2", "wamid.3"].into_iter().enumerate() {
        deliver(
            store,
            vec![message("1001", wamid, "5511911112222")],
            10 + i as i64,
        )
        .await;
    }
    let first = store
        .wa_claim_unwritten(org, 2, 20, 30)
        .await
        .expect("wa_claim_unwritten");
    let wamids: Vec<&str> = first.iter().map(|u| u.wamid.as_str()).collect();
    assert_eq!(
        wamids,
        vec!["wamid.1", "wamid.2"],
        "oldest first, at most 2"
    );
    let one = &first[0];
    assert_eq!(
        (
            one.phone_number_id.as_str(),
            one.from_wa_id.as_deref(),
            one.contact_name.as_deref(),
            one.kind.as_str(),
            one.sent_at,
            one.received_at
        ),
        (
            "1001",
            Some("5511911112222"),
            Some("Maria"),
            "text",
            Some(100),
            10
        )
    );
    assert!(one.body.contains("wamid.1"), "the message as Meta sent it");
    let rest = store
        .wa_claim_unwritten(org, 10, 21, 30)
        .await
        .expect("wa_claim_unwritten");
    assert_eq!(
        rest.iter().map(|u| u.wamid.as_str()).collect::<Vec<_>>(),
        vec!["wamid.3"],
        "leased ones are not taken again"
    );
    store
        .wa_mark_written(org, vec!["wamid.1".into(), "wamid.3".into()], 25)
        .await
        .expect("wa_mark_written");
    let after_lease = store
        .wa_claim_unwritten(org, 10, 31, 40)
        .await
        .expect("wa_claim_unwritten");
    assert_eq!(
        after_lease
            .iter()
            .map(|u| u.wamid.as_str())
            .collect::<Vec<_>>(),
        vec!["wamid.2"],
        "its lease ran out; the written ones are done"
    );
}
