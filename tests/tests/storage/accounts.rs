//! Organisations, members, invitations, devices, tokens, passwords and the
//! server's keys: who may act, and in which organisation.

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use arcada_server::storage::{NewToken, Storage, StorageError};
use uuid::Uuid;

use crate::fixtures::{append, clinic, push};

conformance!(
    a_user_is_one_account_across_organisations,
    a_membership_is_added_once_and_only_to_an_organisation_that_exists,
    roles_change_and_memberships_end_in_one_organisation_only,
    the_newer_invitation_stands_and_is_answered_once,
    devices_are_their_users_newest_first_and_revoked_once,
    a_refresh_token_is_spent_once,
    revoking_a_family_or_a_device_kills_its_tokens,
    a_new_password_revokes_every_other_session,
    a_reset_code_is_spent_once_before_it_expires,
    the_first_server_key_stored_is_everyones,
    counts_cover_every_organisation_and_the_whole_log,
);

/// The same e-mail added to two organisations is one user with one
/// password (the first), a membership in each, and each organisation
/// lists only its own members.
async fn a_user_is_one_account_across_organisations<S: Storage>(store: &S) {
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    let ana = store
        .add_member(
            a,
            "ana@example.com".into(),
            "phc-1".into(),
            Role::Clinico,
            2,
        )
        .await
        .expect("add Ana to Alfa");
    let again = store
        .add_member(b, "ana@example.com".into(), "phc-2".into(), Role::Viewer, 3)
        .await
        .expect("add Ana to Beta");
    assert_eq!(ana, again, "one account per e-mail");
    let bia = store
        .add_member(
            b,
            "bia@example.com".into(),
            "phc-3".into(),
            Role::Recepcao,
            3,
        )
        .await
        .expect("add Bia to Beta");

    assert_eq!(
        store
            .user_by_email("ana@example.com".into())
            .await
            .expect("user_by_email"),
        Some((ana, "phc-1".to_string())),
        "the password of the account as first created"
    );
    assert_eq!(
        store
            .user_by_email("nobody@example.com".into())
            .await
            .expect("user_by_email"),
        None
    );
    assert_eq!(
        store.password_hash(ana).await.expect("password_hash"),
        Some("phc-1".into())
    );
    assert_eq!(
        store
            .password_hash(Uuid::now_v7())
            .await
            .expect("password_hash"),
        None
    );

    let memberships = store.memberships(ana).await.expect("memberships");
    let mut seen: Vec<(Uuid, String, Role)> = memberships
        .into_iter()
        .map(|m| (m.org_id, m.name, m.role))
        .collect();
    seen.sort_by_key(|m| m.0);
    let mut expected = vec![
        (a, "Alfa".to_string(), Role::Clinico),
        (b, "Beta".to_string(), Role::Viewer),
    ];
    expected.sort_by_key(|m| m.0);
    assert_eq!(seen, expected);
    assert_eq!(store.role(ana, a).await.expect("role"), Some(Role::Clinico));
    assert_eq!(store.role(ana, b).await.expect("role"), Some(Role::Viewer));
    assert_eq!(
        store.role(bia, a).await.expect("role"),
        None,
        "tenancy wall"
    );

    let members_of_a: Vec<Uuid> = store
        .members(a)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert!(members_of_a.contains(&ana));
    assert!(!members_of_a.contains(&bia), "Beta's member listed in Alfa");
    let members_of_b = store.members(b).await.expect("members");
    let bia_row = members_of_b
        .iter()
        .find(|m| m.user_id == bia)
        .expect("Bia listed in Beta");
    assert_eq!(
        (bia_row.email.as_str(), bia_row.role),
        ("bia@example.com", Role::Recepcao)
    );
    assert_eq!(members_of_b.len(), 3, "admin, Ana and Bia");
}

/// A second membership of the same user is refused (`Exists`), as is one
/// in an organisation that does not exist (`NotFound`), and neither
/// leaves an account behind.
async fn a_membership_is_added_once_and_only_to_an_organisation_that_exists<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    store
        .add_member(
            org,
            "ana@example.com".into(),
            "phc".into(),
            Role::Clinico,
            2,
        )
        .await
        .expect("add Ana");
    let twice = store
        .add_member(org, "ana@example.com".into(), "phc".into(), Role::Admin, 3)
        .await;
    assert!(
        matches!(twice, Err(StorageError::Exists(_))),
        "a second membership: {twice:?}"
    );
    let nowhere = store
        .add_member(
            Uuid::now_v7(),
            "caio@example.com".into(),
            "phc".into(),
            Role::Viewer,
            3,
        )
        .await;
    assert!(
        matches!(nowhere, Err(StorageError::NotFound(_))),
        "no such organisation: {nowhere:?}"
    );
    assert_eq!(
        store
            .user_by_email("caio@example.com".into())
            .await
            .expect("user_by_email"),
        None,
        "a refused membership leaves no account"
    );
    let ana = store
        .user_by_email("ana@example.com".into())
        .await
        .expect("user_by_email")
        .expect("Ana's account")
        .0;
    assert_eq!(
        store.role(ana, org).await.expect("role"),
        Some(Role::Clinico),
        "the refused second membership changed nothing"
    );
}

/// A role changes, and a membership ends, in the organisation named only.
async fn roles_change_and_memberships_end_in_one_organisation_only<S: Storage>(store: &S) {
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    let ana = store
        .add_member(a, "ana@example.com".into(), "phc".into(), Role::Clinico, 2)
        .await
        .expect("add Ana to Alfa");
    store
        .add_member(b, "ana@example.com".into(), "phc".into(), Role::Viewer, 2)
        .await
        .expect("add Ana to Beta");
    let outsider = store
        .add_member(b, "caio@example.com".into(), "phc".into(), Role::Viewer, 2)
        .await
        .expect("add Caio to Beta");

    assert!(store
        .set_role(a, ana, Role::Gerente)
        .await
        .expect("set_role"));
    assert_eq!(store.role(ana, a).await.expect("role"), Some(Role::Gerente));
    assert_eq!(
        store.role(ana, b).await.expect("role"),
        Some(Role::Viewer),
        "the other organisation's role is untouched"
    );
    assert!(
        !store
            .set_role(a, outsider, Role::Admin)
            .await
            .expect("set_role"),
        "not a member of Alfa: no role to change"
    );
    assert_eq!(store.role(outsider, a).await.expect("role"), None);

    assert!(store.remove_member(a, ana).await.expect("remove_member"));
    assert!(
        !store.remove_member(a, ana).await.expect("remove_member"),
        "already removed"
    );
    assert!(
        !store
            .remove_member(a, outsider)
            .await
            .expect("remove_member"),
        "never a member of Alfa"
    );
    assert_eq!(store.role(ana, a).await.expect("role"), None);
    let orgs: Vec<Uuid> = store
        .memberships(ana)
        .await
        .expect("memberships")
        .into_iter()
        .map(|m| m.org_id)
        .collect();
    assert_eq!(orgs, vec![b], "still a member of Beta");
    assert_eq!(
        store.role(outsider, b).await.expect("role"),
        Some(Role::Viewer)
    );
}

/// Inviting again replaces the pending invitation's role; answering takes
/// it away (accepted: a membership with that role), so a second answer
/// finds none.
async fn the_newer_invitation_stands_and_is_answered_once<S: Storage>(store: &S) {
    let (a, admin_a) = clinic(store, "Alfa").await;
    let (b, admin_b) = clinic(store, "Beta").await;
    let (c, admin_c) = clinic(store, "Gama").await;
    let ana = store
        .add_member(c, "ana@example.com".into(), "phc".into(), Role::Viewer, 2)
        .await
        .expect("Ana's account");

    store
        .invite(a, ana, Role::Recepcao, admin_a, 3)
        .await
        .expect("invite");
    store
        .invite(a, ana, Role::Financeiro, admin_a, 4)
        .await
        .expect("invite again");
    store
        .invite(b, ana, Role::Clinico, admin_b, 5)
        .await
        .expect("invite to Beta");
    let mut pending: Vec<(Uuid, String, Role)> = store
        .invitations(ana)
        .await
        .expect("invitations")
        .into_iter()
        .map(|m| (m.org_id, m.name, m.role))
        .collect();
    pending.sort_by_key(|m| m.0);
    let mut expected = vec![
        (a, "Alfa".to_string(), Role::Financeiro),
        (b, "Beta".to_string(), Role::Clinico),
    ];
    expected.sort_by_key(|m| m.0);
    assert_eq!(
        pending, expected,
        "one invitation per organisation, the newer"
    );
    assert_eq!(
        store.invitations(admin_c).await.expect("invitations").len(),
        0,
        "nobody invited Gama's admin"
    );

    assert_eq!(
        store.answer_invitation(a, ana, true).await.expect("accept"),
        Some(Role::Financeiro)
    );
    assert_eq!(
        store.role(ana, a).await.expect("role"),
        Some(Role::Financeiro)
    );
    assert_eq!(
        store
            .answer_invitation(a, ana, true)
            .await
            .expect("accept again"),
        None,
        "an invitation is answered once"
    );
    assert_eq!(
        store
            .answer_invitation(b, ana, false)
            .await
            .expect("decline"),
        Some(Role::Clinico)
    );
    assert_eq!(
        store.role(ana, b).await.expect("role"),
        None,
        "declined: no membership"
    );
    assert!(store
        .invitations(ana)
        .await
        .expect("invitations")
        .is_empty());
}

/// A user's devices, newest first, not another's; revoking is once.
async fn devices_are_their_users_newest_first_and_revoked_once<S: Storage>(store: &S) {
    let (org, admin) = clinic(store, "Alfa").await;
    let other = store
        .add_member(org, "ana@example.com".into(), "phc".into(), Role::Viewer, 2)
        .await
        .expect("Ana");
    let first = store
        .create_device(admin, "recepção".into(), 10)
        .await
        .expect("device");
    let second = store
        .create_device(admin, "consultório".into(), 20)
        .await
        .expect("device");
    let hers = store
        .create_device(other, "casa".into(), 30)
        .await
        .expect("device");

    let devices = store.devices(admin).await.expect("devices");
    let listed: Vec<(Uuid, &str, i64, bool)> = devices
        .iter()
        .map(|d| (d.id, d.name.as_str(), d.created_at, d.revoked))
        .collect();
    assert_eq!(
        listed,
        vec![
            (second, "consultório", 20, false),
            (first, "recepção", 10, false)
        ]
    );
    assert_eq!(
        store.device_owner(first).await.expect("device_owner"),
        Some(admin)
    );
    assert_eq!(
        store.device_owner(hers).await.expect("device_owner"),
        Some(other)
    );
    assert_eq!(
        store
            .device_owner(Uuid::now_v7())
            .await
            .expect("device_owner"),
        None
    );

    assert!(store.revoke_device(first, 40).await.expect("revoke"));
    assert!(
        !store.revoke_device(first, 50).await.expect("revoke again"),
        "already revoked"
    );
    let revoked: Vec<(Uuid, bool)> = store
        .devices(admin)
        .await
        .expect("devices")
        .into_iter()
        .map(|d| (d.id, d.revoked))
        .collect();
    assert_eq!(revoked, vec![(second, false), (first, true)]);
    assert!(
        store
            .devices(other)
            .await
            .expect("devices")
            .iter()
            .all(|d| !d.revoked),
        "another user's device untouched"
    );
}

fn token(hash: &[u8], kind: &'static str, device: Uuid, user: Uuid, family: &str) -> NewToken {
    NewToken {
        hash: hash.to_vec(),
        kind,
        device,
        user,
        family: family.into(),
        expires_at: 1_000,
    }
}

/// A token is found by its hash and kind; a refresh token is spent once
/// (the second spend is a reuse).
async fn a_refresh_token_is_spent_once<S: Storage>(store: &S) {
    let (_, admin) = clinic(store, "Alfa").await;
    let device = store
        .create_device(admin, "recepção".into(), 10)
        .await
        .expect("device");
    store
        .store_token(token(b"refresh-1", "refresh", device, admin, "fam-1"))
        .await
        .expect("store_token");
    store
        .store_token(token(b"access-1", "access", device, admin, "fam-1"))
        .await
        .expect("store_token");

    let row = store
        .token(b"refresh-1".to_vec(), "refresh")
        .await
        .expect("token")
        .expect("the refresh token");
    assert_eq!(
        (
            row.device_id,
            row.user_id,
            row.family.as_str(),
            row.expires_at
        ),
        (device, admin, "fam-1", 1_000)
    );
    assert_eq!(
        (row.used_at, row.revoked, row.device_revoked),
        (None, false, false)
    );
    assert!(
        store
            .token(b"refresh-1".to_vec(), "access")
            .await
            .expect("token")
            .is_none(),
        "a refresh token is no access token"
    );
    assert!(store
        .token(b"unknown".to_vec(), "refresh")
        .await
        .expect("token")
        .is_none());

    assert!(store
        .spend_token(b"refresh-1".to_vec(), 20)
        .await
        .expect("spend"));
    assert!(
        !store
            .spend_token(b"refresh-1".to_vec(), 30)
            .await
            .expect("spend again"),
        "a reuse"
    );
    let spent = store
        .token(b"refresh-1".to_vec(), "refresh")
        .await
        .expect("token")
        .expect("the refresh token");
    assert_eq!(spent.used_at, Some(20), "spent when first used");
}

/// Revoking a family kills every token of it, even one issued after the
/// revocation; revoking a device marks its tokens' device revoked; other
/// families live on.
async fn revoking_a_family_or_a_device_kills_its_tokens<S: Storage>(store: &S) {
    let (_, admin) = clinic(store, "Alfa").await;
    let laptop = store
        .create_device(admin, "laptop".into(), 10)
        .await
        .expect("device");
    let desk = store
        .create_device(admin, "desk".into(), 10)
        .await
        .expect("device");
    for t in [
        token(b"a1", "access", laptop, admin, "fam-a"),
        token(b"r1", "refresh", laptop, admin, "fam-a"),
        token(b"b1", "access", desk, admin, "fam-b"),
    ] {
        store.store_token(t).await.expect("store_token");
    }
    store
        .revoke_family("fam-a".into(), 20)
        .await
        .expect("revoke_family");
    store
        .store_token(token(b"r2", "refresh", laptop, admin, "fam-a"))
        .await
        .expect("a refresh that raced the revocation");
    let revoked = move |hash: &'static [u8], kind: &'static str| async move {
        store
            .token(hash.to_vec(), kind)
            .await
            .expect("token")
            .expect("stored token")
    };
    assert!(revoked(b"a1", "access").await.revoked);
    assert!(revoked(b"r1", "refresh").await.revoked);
    assert!(
        revoked(b"r2", "refresh").await.revoked,
        "issued after its family was revoked"
    );
    let other = revoked(b"b1", "access").await;
    assert!(!other.revoked && !other.device_revoked, "another family");

    assert!(store.revoke_device(desk, 30).await.expect("revoke_device"));
    let on_desk = revoked(b"b1", "access").await;
    assert!(on_desk.device_revoked, "its device was revoked");
}

/// Setting a password revokes the tokens of every device but the one that
/// set it, and says which devices lost them.
async fn a_new_password_revokes_every_other_session<S: Storage>(store: &S) {
    let (_, admin) = clinic(store, "Alfa").await;
    let (_, other_admin) = clinic(store, "Beta").await;
    let keep = store
        .create_device(admin, "keep".into(), 10)
        .await
        .expect("device");
    let lose = store
        .create_device(admin, "lose".into(), 10)
        .await
        .expect("device");
    let elsewhere = store
        .create_device(other_admin, "elsewhere".into(), 10)
        .await
        .expect("device");
    for t in [
        token(b"k", "access", keep, admin, "fam-k"),
        token(b"l1", "access", lose, admin, "fam-l"),
        token(b"l2", "refresh", lose, admin, "fam-l"),
        token(b"e", "access", elsewhere, other_admin, "fam-e"),
    ] {
        store.store_token(t).await.expect("store_token");
    }
    let lost = store
        .set_password(admin, "phc-new".into(), Some(keep), 20)
        .await
        .expect("set_password");
    assert_eq!(lost, vec![lose], "each device once");
    assert_eq!(
        store.password_hash(admin).await.expect("password_hash"),
        Some("phc-new".into())
    );
    for (hash, kind, revoked) in [
        (&b"k"[..], "access", false),
        (b"l1", "access", true),
        (b"l2", "refresh", true),
        (b"e", "access", false),
    ] {
        let row = store
            .token(hash.to_vec(), kind)
            .await
            .expect("token")
            .expect("stored token");
        assert_eq!(row.revoked, revoked, "token {hash:?}");
    }
    let all = store
        .set_password(admin, "phc-newer".into(), None, 30)
        .await
        .expect("set_password without a session");
    assert_eq!(all, vec![keep], "the rest were already revoked");
}

/// A reset code names its user once, and only before it expires.
async fn a_reset_code_is_spent_once_before_it_expires<S: Storage>(store: &S) {
    let (org, admin) = clinic(store, "Alfa").await;
    let ana = store
        .add_member(org, "ana@example.com".into(), "phc".into(), Role::Viewer, 2)
        .await
        .expect("Ana");
    store
        .create_password_reset(b"code-1".to_vec(), ana, admin, 100, 200)
        .await
        .expect("create_password_reset");
    store
        .create_password_reset(b"code-2".to_vec(), ana, admin, 100, 200)
        .await
        .expect("create_password_reset");
    assert_eq!(
        store
            .take_password_reset(b"code-1".to_vec(), 150)
            .await
            .expect("take"),
        Some(ana)
    );
    assert_eq!(
        store
            .take_password_reset(b"code-1".to_vec(), 160)
            .await
            .expect("take again"),
        None,
        "spent"
    );
    assert_eq!(
        store
            .take_password_reset(b"code-2".to_vec(), 200)
            .await
            .expect("take expired"),
        None,
        "expired"
    );
    assert_eq!(
        store
            .take_password_reset(b"unknown".to_vec(), 150)
            .await
            .expect("take unknown"),
        None
    );
}

/// The first key stored under a name is the one every instance gets.
async fn the_first_server_key_stored_is_everyones<S: Storage>(store: &S) {
    let first = store
        .server_key("signing", b"key one".to_vec(), 1)
        .await
        .expect("server_key");
    assert_eq!(first, b"key one");
    let second = store
        .server_key("signing", b"key two".to_vec(), 2)
        .await
        .expect("server_key again");
    assert_eq!(second, b"key one", "the stored key wins");
    let other = store
        .server_key("other", b"key three".to_vec(), 3)
        .await
        .expect("another key");
    assert_eq!(other, b"key three");
}

/// `/metrics` figures: every organisation counted, and the log's position
/// at least as far as any change any organisation pulls.
async fn counts_cover_every_organisation_and_the_whole_log<S: Storage>(store: &S) {
    let empty = store.counts().await.expect("counts");
    assert_eq!((empty.organizations, empty.change_log_seq), (0, 0));
    let (a, _) = clinic(store, "Alfa").await;
    let (b, _) = clinic(store, "Beta").await;
    let doc = Uuid::now_v7();
    append(store, a, Uuid::nil(), push(doc, DocClass::Patient, 0..3)).await;
    append(store, b, Uuid::nil(), push(doc, DocClass::Patient, 0..2)).await;
    let counts = store.counts().await.expect("counts");
    assert_eq!(counts.organizations, 2);
    for org in [a, b] {
        let (rows, _, _) = store
            .pull(org, 0, 100, vec![DocClass::Patient])
            .await
            .expect("pull");
        let last = rows.last().expect("changes").seq;
        assert!(
            counts.change_log_seq >= last,
            "the log's position {} is behind a change at {last}",
            counts.change_log_seq
        );
    }
}
