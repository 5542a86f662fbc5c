//! What the scenarios build their stores from: organisations with members,
//! changes, WhatsApp numbers and webhook items. Plain values, so a
//! scenario reads as the contract it checks.

use arcada_core::documents::DocClass;
use arcada_core::roles::Role;
use arcada_server::cloud_api::crypto::Sealed;
use arcada_server::cloud_api::payload::{InboundMessage, Item, Route, StatusUpdate, WaStatus};
use arcada_server::storage::whatsapp::{Applied, NewNumber, NewOutbound, OutState};
use arcada_server::storage::{DocPush, RawChange, Storage};
use uuid::Uuid;

/// An organisation named `name` with one administrator; (org, admin).
pub async fn clinic<S: Storage>(store: &S, name: &str) -> (Uuid, Uuid) {
    let org = store
        .create_org(name.into(), 1)
        .await
        .expect("create an organisation");
    let admin = store
        .add_member(
            org,
            format!("admin@{}.example", name.to_lowercase()),
            "phc-admin".into(),
            Role::Admin,
            1,
        )
        .await
        .expect("add its administrator");
    (org, admin)
}

/// A change of `doc`: its hash and bytes, distinct for each `n`.
pub fn change(doc: Uuid, n: u32) -> RawChange {
    let bytes = format!("change {n} of {doc}").into_bytes();
    // The storage keeps hashes as given; any distinct bytes do.
    let hash = Uuid::new_v5(&doc, &n.to_be_bytes()).as_bytes().to_vec();
    (hash, bytes)
}

/// A push of changes `ns` of `doc`, unchecked against its position.
pub fn push(doc: Uuid, class: DocClass, ns: impl IntoIterator<Item = u32>) -> DocPush {
    DocPush {
        doc,
        class,
        changes: ns.into_iter().map(|n| change(doc, n)).collect(),
        expect_last: None,
    }
}

/// Appends one push from `device`; how many changes were new.
pub async fn append<S: Storage>(store: &S, org: Uuid, device: Uuid, push: DocPush) -> usize {
    let stored = store
        .append(org, device, vec![push], 10)
        .await
        .expect("append");
    stored.iter().sum()
}

/// A WhatsApp number `pnid` of `org`.
pub fn number(org: Uuid, pnid: &str) -> NewNumber {
    NewNumber {
        org,
        phone_number_id: pnid.into(),
        display_phone_number: format!("+55 11 9{pnid}"),
        waba_id: format!("waba-{pnid}"),
        token_nonce: vec![1; 12],
        token_ciphertext: format!("sealed token of {pnid}").into_bytes(),
    }
}

/// A sealed token whose bytes say `what`.
pub fn sealed(what: &str) -> Sealed {
    Sealed {
        nonce: vec![2; 12],
        ciphertext: what.as_bytes().to_vec(),
    }
}

fn route(pnid: &str) -> Route {
    Route {
        phone_number_id: pnid.into(),
        display_phone_number: None,
        waba_id: Some(format!("waba-{pnid}")),
    }
}

/// An inbound text message `wamid` to the number `pnid`.
pub fn message(pnid: &str, wamid: &str, from: &str) -> Item {
    Item::Message(InboundMessage {
        route: route(pnid),
        path: format!("entry[0].changes[0].value.messages[{wamid}]"),
        wamid: wamid.into(),
        from_wa_id: Some(from.into()),
        from_user_id: None,
        contact_name: Some("Maria".into()),
        kind: "text".into(),
        timestamp: Some(100),
        body: format!(r#"{{"id":"{wamid}","type":"text","text":{{"body":"olá"}}}}"#),
    })
}

/// A status webhook for the outbound message `wamid` sent from `pnid`;
/// `callback`: the message id the sender put in the request.
pub fn status(pnid: &str, wamid: &str, status: WaStatus, callback: Option<&str>) -> Item {
    Item::Status(StatusUpdate {
        route: route(pnid),
        path: format!(
            "entry[0].changes[0].value.statuses[{wamid}:{}]",
            status.as_str()
        ),
        wamid: wamid.into(),
        status,
        timestamp: Some(200 + status.rank()),
        recipient_id: Some("5511988887777".into()),
        recipient_user_id: None,
        errors: None,
        callback_data: callback.map(str::to_string),
    })
}

/// Applies webhook items as one delivery of their own, at `now`.
pub async fn deliver<S: Storage>(store: &S, items: Vec<Item>, now: i64) -> Applied {
    store
        .wa_apply(Uuid::now_v7(), items, now)
        .await
        .expect("apply a delivery")
}

/// An outbound text message `id` of conversation `doc`, through `pnid`.
pub fn outbound(id: &str, doc: Uuid, pnid: &str) -> NewOutbound {
    NewOutbound {
        message_id: id.into(),
        doc_id: doc,
        phone_number_id: pnid.into(),
        recipient: Some("5511988887777".into()),
        kind: "text".into(),
        request: Some(format!(r#"{{"to":"5511988887777","text":"{id}"}}"#)),
        state: OutState::Queued,
        error: None,
    }
}
