//! A WhatsApp webhook body, from the raw bytes on: the signature check
//! ([`signature::Verifier`], Meta's escaped-unicode form included), the
//! walk over entries, changes, messages and statuses
//! ([`payload::parse`]), and what the server makes of each item
//! ([`convert`]): the conversation it belongs to, the message as the
//! document keeps it, an outbound message's status.
//!
//! Input: the body, as Meta would POST it (no header bytes).
//!
//! Besides never panicking: the body's own signature verifies, in its
//! bytes and in Meta's escaped form; and every inbound message, written
//! into its conversation as the server's writer does, leaves a valid
//! conversation document.

use std::collections::BTreeMap;

use arcada_core::documents::{self, ConversationDoc, Lead, MessageStatus};
use arcada_core::integrity;
use arcada_server::cloud_api::payload::{self, Item};
use arcada_server::cloud_api::signature::{self, SignatureError, Verifier};
use arcada_server::storage::whatsapp::{OutState, Unsynced, Unwritten};
use arcada_server::whatsapp::convert;
use uuid::Uuid;

use crate::clinic;

const APP_SECRET: &[u8] = b"fuzz-app-secret";
/// When the server received the delivery (seconds).
const RECEIVED_AT: i64 = clinic::TIME;

/// One fuzz input; panics only when a rule above breaks.
pub fn run(body: &[u8]) {
    signatures(body);
    let Ok(items) = payload::parse(body) else {
        return;
    };
    let mut conversations: BTreeMap<Uuid, (ConversationDoc, Vec<documents::Message>)> =
        BTreeMap::new();
    for item in items {
        match item {
            Item::Message(m) => {
                let row = Unwritten {
                    wamid: m.wamid.clone(),
                    phone_number_id: m.route.phone_number_id.clone(),
                    from_wa_id: m.from_wa_id.clone(),
                    from_user_id: m.from_user_id.clone(),
                    contact_name: m.contact_name.clone(),
                    kind: m.kind.clone(),
                    sent_at: m.timestamp,
                    body: m.body.clone(),
                    received_at: RECEIVED_AT,
                };
                let contact = convert::genesis_contact(
                    row.from_wa_id.as_deref(),
                    row.from_user_id.as_deref(),
                );
                let Some(key) = contact.key().map(str::to_string) else {
                    continue;
                };
                let id = documents::conversation_id(clinic::ORG, &row.phone_number_id, &key);
                let display = m
                    .route
                    .display_phone_number
                    .clone()
                    .unwrap_or_else(|| row.phone_number_id.clone());
                conversations
                    .entry(id)
                    .or_insert_with(|| {
                        (
                            ConversationDoc::new(&row.phone_number_id, &display, contact),
                            Vec::new(),
                        )
                    })
                    .1
                    .push(convert::inbound_message(&row));
            }
            Item::Status(s) => {
                let row = Unsynced {
                    message_id: "fuzz-outbound".into(),
                    doc_id: Uuid::nil(),
                    state: OutState::Sent,
                    wamid: Some(s.wamid.clone()),
                    error_code: None,
                    error_title: None,
                    sent_at: s.timestamp,
                    updated_at: RECEIVED_AT,
                    status: Some(s.status.as_str().to_string()),
                    status_at: s.timestamp,
                    status_errors: s.errors.clone(),
                    version: 1,
                };
                if let Some((status, ..)) = convert::desired_status(&row) {
                    let _ = convert::may_move(MessageStatus::Sent, status);
                }
            }
            Item::Problem(_) => {}
        }
    }
    for (id, (genesis, messages)) in conversations {
        write(id, &genesis, &messages);
    }
}

/// Verifying never panics, and a body signed by the app's secret passes.
fn signatures(body: &[u8]) {
    let v = Verifier::new(APP_SECRET);
    assert_eq!(v.verify(None, body), Err(SignatureError::Missing));
    // The body as a header: whatever bytes the header holds.
    let _ = v.verify(Some(body), body);
    let signed = v.sign(body);
    assert_eq!(v.verify(Some(signed.as_bytes()), body), Ok(()));
    if let Some(escaped) = signature::escape_unicode(body) {
        assert!(escaped.is_ascii(), "the escaped form is ASCII");
        if body.is_ascii() {
            assert_eq!(escaped, body, "an ASCII body is its own escaped form");
        }
        let meta = v.sign(&escaped);
        assert_eq!(
            v.verify(Some(meta.as_bytes()), body),
            Ok(()),
            "Meta signs the escaped form"
        );
    }
}

/// The conversation as the server's writer makes it: its genesis, then one
/// change with every message (a lead, since no patient is linked).
fn write(id: Uuid, genesis: &ConversationDoc, messages: &[documents::Message]) {
    let mut doc = documents::genesis(id, genesis).expect("a genesis reconciles");
    documents::change(
        &mut doc,
        &clinic::by("whatsapp.receive"),
        RECEIVED_AT,
        |tx| {
            for m in messages {
                documents::put_entry(tx, "messages", &m.id, m)?;
            }
            let lead = Lead {
                created_at: RECEIVED_AT,
                converted_to: None,
            };
            autosurgeon::reconcile_prop(tx, automerge::ROOT, "lead", Some(lead))
        },
    )
    .expect("messages reconcile");
    if let Err(v) = integrity::judge(clinic::ORG, id, &doc, None) {
        panic!("the server would write a conversation that breaks a rule: {v}");
    }
}
