//! The WhatsApp numbers of each organisation: one owner per number, the
//! sealed token, re-authorisation, and which organisations the channel
//! serves.

use arcada_server::storage::whatsapp::CURSOR_OUTBOUND;
use arcada_server::storage::{Storage, StorageError};
use uuid::Uuid;

use crate::fixtures::{clinic, number, sealed};

conformance!(
    a_number_belongs_to_one_organisation,
    a_number_flagged_for_reauthorisation_stays_flagged_until_updated,
    the_channel_serves_organisations_that_have_or_had_a_number,
);

/// A number is added once, to an organisation that exists; each
/// organisation lists only its own; removing it is once.
async fn a_number_belongs_to_one_organisation<S: Storage>(store: &S) {
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    store
        .wa_add_number(number(a, "1001"), 5)
        .await
        .expect("wa_add_number");
    store
        .wa_add_number(number(b, "2002"), 6)
        .await
        .expect("wa_add_number");
    let taken = store.wa_add_number(number(b, "1001"), 7).await;
    assert!(
        matches!(taken, Err(StorageError::Exists(_))),
        "Alfa's number added to Beta: {taken:?}"
    );
    let nowhere = store.wa_add_number(number(Uuid::now_v7(), "3003"), 7).await;
    assert!(
        matches!(nowhere, Err(StorageError::NotFound(_))),
        "no such organisation: {nowhere:?}"
    );

    let of_a = store.wa_numbers(Some(a)).await.expect("wa_numbers");
    assert_eq!(of_a.len(), 1);
    let row = &of_a[0];
    assert_eq!(
        (
            row.org_id,
            row.phone_number_id.as_str(),
            row.display_phone_number.as_str(),
            row.waba_id.as_str(),
            row.created_at,
            row.needs_reauth_at,
        ),
        (a, "1001", "+55 11 91001", "waba-1001", 5, None)
    );
    let mut all: Vec<(Uuid, String)> = store
        .wa_numbers(None)
        .await
        .expect("wa_numbers")
        .into_iter()
        .map(|n| (n.org_id, n.phone_number_id))
        .collect();
    all.sort();
    let mut expected = vec![(a, "1001".to_string()), (b, "2002".to_string())];
    expected.sort();
    assert_eq!(all, expected);

    let token = store
        .wa_number_token("1001".into())
        .await
        .expect("wa_number_token")
        .expect("the number's token");
    assert_eq!(
        (token.nonce, token.ciphertext),
        (vec![1; 12], b"sealed token of 1001".to_vec())
    );
    let info = store
        .wa_number_info("1001".into())
        .await
        .expect("wa_number_info")
        .expect("the number");
    assert_eq!(
        (
            info.org_id,
            info.display_phone_number.as_str(),
            info.needs_reauth
        ),
        (a, "+55 11 91001", false)
    );
    assert!(store
        .wa_number_info("9999".into())
        .await
        .expect("wa_number_info")
        .is_none());

    assert!(store
        .wa_remove_number("1001".into())
        .await
        .expect("wa_remove_number"));
    assert!(
        !store
            .wa_remove_number("1001".into())
            .await
            .expect("wa_remove_number again"),
        "already removed"
    );
    assert!(store
        .wa_number_token("1001".into())
        .await
        .expect("wa_number_token")
        .is_none());
    assert!(store
        .wa_numbers(Some(a))
        .await
        .expect("wa_numbers")
        .is_empty());
    assert_eq!(
        store.wa_numbers(Some(b)).await.expect("wa_numbers").len(),
        1
    );
}

/// Flagging keeps the first time it was flagged; an update (display form
/// or token) clears the flag and changes only what it was given.
async fn a_number_flagged_for_reauthorisation_stays_flagged_until_updated<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    store
        .wa_flag_reauth("1001".into(), "190: token expired".into(), 10)
        .await
        .expect("wa_flag_reauth");
    store
        .wa_flag_reauth("1001".into(), "190: again".into(), 20)
        .await
        .expect("wa_flag_reauth again");
    let row = store
        .wa_numbers(Some(org))
        .await
        .expect("wa_numbers")
        .remove(0);
    assert_eq!(
        (row.needs_reauth_at, row.needs_reauth_reason.as_deref()),
        (Some(10), Some("190: again")),
        "flagged since the first time, with the latest reason"
    );
    assert!(
        store
            .wa_number_info("1001".into())
            .await
            .expect("wa_number_info")
            .expect("the number")
            .needs_reauth
    );

    assert!(store
        .wa_update_number("1001".into(), Some("+55 11 5555".into()), None)
        .await
        .expect("wa_update_number"));
    let info = store
        .wa_number_info("1001".into())
        .await
        .expect("wa_number_info")
        .expect("the number");
    assert_eq!(
        (info.display_phone_number.as_str(), info.needs_reauth),
        ("+55 11 5555", false)
    );
    assert_eq!(
        info.token.ciphertext,
        b"sealed token of 1001".to_vec(),
        "the token stays when not given"
    );
    assert!(store
        .wa_update_number("1001".into(), None, Some(sealed("new token")))
        .await
        .expect("wa_update_number"));
    let token = store
        .wa_number_token("1001".into())
        .await
        .expect("wa_number_token")
        .expect("the token");
    assert_eq!(token.ciphertext, b"new token".to_vec());
    let row = store
        .wa_numbers(Some(org))
        .await
        .expect("wa_numbers")
        .remove(0);
    assert_eq!(row.display_phone_number, "+55 11 5555", "display kept");
    assert_eq!((row.needs_reauth_at, row.needs_reauth_reason), (None, None));
    assert!(
        !store
            .wa_update_number("9999".into(), Some("x".into()), None)
            .await
            .expect("wa_update_number"),
        "no such number"
    );
}

/// Organisations with a number are served; one whose number was removed
/// still is once the channel followed its log (its queued replies must
/// still fail); one that never had either is not.
async fn the_channel_serves_organisations_that_have_or_had_a_number<S: Storage>(store: &S) {
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    let (never, _) = clinic(store, "Gama").await;
    store
        .wa_add_number(number(a, "1001"), 5)
        .await
        .expect("wa_add_number");
    store
        .wa_add_number(number(b, "2002"), 5)
        .await
        .expect("wa_add_number");
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(routed_orgs(store).await, expected);

    store
        .wa_enqueue(b, vec![], 3, 6)
        .await
        .expect("the channel follows Beta's log");
    assert_eq!(
        store
            .wa_cursor(b, CURSOR_OUTBOUND)
            .await
            .expect("wa_cursor"),
        3
    );
    store
        .wa_remove_number("2002".into())
        .await
        .expect("wa_remove_number");
    let routed = routed_orgs(store).await;
    assert_eq!(routed, expected, "Beta had a number");
    assert!(!routed.contains(&never));
}

/// The organisations the channel serves, in id order.
async fn routed_orgs<S: Storage>(store: &S) -> Vec<Uuid> {
    let mut orgs = store.wa_routed_orgs().await.expect("wa_routed_orgs");
    orgs.sort();
    orgs
}
