//! Walking a webhook body: every entry, every change, every message and
//! status of each change's value. One bad item becomes a [`Problem`] beside
//! the others; only a body that is not a JSON object with an `entry` array
//! fails as a whole.

use serde_json::Value;

/// A status of an outbound message, in the only order it may move:
/// sent < delivered < read < played; failed is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaStatus {
    Sent,
    Delivered,
    Read,
    Played,
    Failed,
}

impl WaStatus {
    pub fn parse(s: &str) -> Option<WaStatus> {
        Some(match s {
            "sent" => WaStatus::Sent,
            "delivered" => WaStatus::Delivered,
            "read" => WaStatus::Read,
            "played" => WaStatus::Played,
            "failed" => WaStatus::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WaStatus::Sent => "sent",
            WaStatus::Delivered => "delivered",
            WaStatus::Read => "read",
            WaStatus::Played => "played",
            WaStatus::Failed => "failed",
        }
    }

    /// The stored rank; a status replaces the stored one only when its rank
    /// is higher (the storage compares ranks in SQL). Failed ranks highest,
    /// so it wins over anything and nothing moves it afterwards.
    pub fn rank(self) -> i64 {
        match self {
            WaStatus::Sent => 1,
            WaStatus::Delivered => 2,
            WaStatus::Read => 3,
            WaStatus::Played => 4,
            WaStatus::Failed => 5,
        }
    }

    /// Whether `incoming` replaces `current`.
    pub fn advances(current: Option<WaStatus>, incoming: WaStatus) -> bool {
        current.is_none_or(|c| incoming.rank() > c.rank())
    }
}

/// Where an item came from: `value.metadata` and `entry.id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub phone_number_id: String,
    pub display_phone_number: Option<String>,
    /// `entry[].id`
    pub waba_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub route: Route,
    /// e.g. `entry[0].changes[1].value.messages[3]`
    pub path: String,
    pub wamid: String,
    /// `from` (the wa_id); absent for username-only senders.
    pub from_wa_id: Option<String>,
    /// `from_user_id` / `contacts[].user_id`
    pub from_user_id: Option<String>,
    /// `contacts[].profile.name` (or `.username`) of the sender.
    pub contact_name: Option<String>,
    pub kind: String,
    pub timestamp: Option<i64>,
    /// The message object, as JSON.
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub route: Route,
    pub path: String,
    pub wamid: String,
    pub status: WaStatus,
    pub timestamp: Option<i64>,
    pub recipient_id: Option<String>,
    pub recipient_user_id: Option<String>,
    /// `errors`, as JSON, for failed messages.
    pub errors: Option<String>,
    /// `biz_opaque_callback_data`: what the sender put in the request (our
    /// message id), echoed by Meta.
    pub callback_data: Option<String>,
}

/// An item that could not be taken, or an error Meta reports in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub phone_number_id: Option<String>,
    pub path: String,
    /// `invalid_item`, `unknown_status`, `meta_<code>` (errors Meta
    /// reports), `store` (the database refused the item).
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub enum Item {
    Message(InboundMessage),
    Status(StatusUpdate),
    Problem(Problem),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body has no `entry` array")]
    NoEntries,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn timestamp(v: &Value) -> Option<i64> {
    match v.get("timestamp") {
        Some(Value::String(s)) => s.parse().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

/// Every item of a delivery, in order.
pub fn parse(body: &[u8]) -> Result<Vec<Item>, PayloadError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(PayloadError::NoEntries)?;
    let mut items = Vec::new();
    for (e, entry) in entries.iter().enumerate() {
        let waba_id = text(entry, "id");
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            items.push(Item::Problem(Problem {
                phone_number_id: None,
                path: format!("entry[{e}]"),
                code: "invalid_item".into(),
                message: "the entry has no `changes` array".into(),
            }));
            continue;
        };
        for (c, change) in changes.iter().enumerate() {
            let path = format!("entry[{e}].changes[{c}]");
            let field = change.get("field").and_then(Value::as_str);
            if field.is_some_and(|f| f != "messages") {
                // Account, template and quality updates: not this channel's.
                tracing::debug!(%path, field = ?field, "WhatsApp change of another field ignored");
                continue;
            }
            walk_value(change.get("value"), &path, waba_id.clone(), &mut items);
        }
    }
    Ok(items)
}

fn walk_value(value: Option<&Value>, path: &str, waba_id: Option<String>, items: &mut Vec<Item>) {
    let problem = |pnid: Option<String>, path: String, code: &str, message: String| {
        Item::Problem(Problem {
            phone_number_id: pnid,
            path,
            code: code.into(),
            message,
        })
    };
    let Some(value) = value.filter(|v| v.is_object()) else {
        items.push(problem(
            None,
            path.to_string(),
            "invalid_item",
            "the change has no `value` object".into(),
        ));
        return;
    };
    let metadata = value.get("metadata").unwrap_or(&Value::Null);
    let Some(phone_number_id) = text(metadata, "phone_number_id") else {
        items.push(problem(
            None,
            format!("{path}.value"),
            "invalid_item",
            "the value has no `metadata.phone_number_id`".into(),
        ));
        return;
    };
    let route = Route {
        phone_number_id: phone_number_id.clone(),
        display_phone_number: text(metadata, "display_phone_number"),
        waba_id,
    };
    let pnid = Some(phone_number_id);
    let contacts: &[Value] = value
        .get("contacts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let list = |key: &str| -> &[Value] {
        value
            .get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    };
    for (i, m) in list("messages").iter().enumerate() {
        let path = format!("{path}.value.messages[{i}]");
        let Some(wamid) = text(m, "id") else {
            items.push(problem(
                pnid.clone(),
                path,
                "invalid_item",
                "the message has no `id`".into(),
            ));
            continue;
        };
        let from_wa_id = text(m, "from");
        let from_user_id = text(m, "from_user_id");
        // The sender's contact: by wa_id, else by user_id, else the only one.
        let contact = contacts
            .iter()
            .find(|c| from_wa_id.is_some() && text(c, "wa_id") == from_wa_id)
            .or_else(|| {
                contacts
                    .iter()
                    .find(|c| from_user_id.is_some() && text(c, "user_id") == from_user_id)
            })
            .or(if contacts.len() == 1 {
                contacts.first()
            } else {
                None
            });
        let from_user_id = from_user_id.or_else(|| contact.and_then(|c| text(c, "user_id")));
        if from_wa_id.is_none() && from_user_id.is_none() {
            items.push(problem(
                pnid.clone(),
                path,
                "invalid_item",
                format!("message {wamid} has neither `from` nor `from_user_id`"),
            ));
            continue;
        }
        let profile = contact.and_then(|c| c.get("profile"));
        let contact_name = profile.and_then(|p| text(p, "name").or_else(|| text(p, "username")));
        items.push(Item::Message(InboundMessage {
            route: route.clone(),
            path,
            wamid,
            from_wa_id,
            from_user_id,
            contact_name,
            kind: text(m, "type").unwrap_or_else(|| "unknown".into()),
            timestamp: timestamp(m),
            body: m.to_string(),
        }));
    }
    for (i, s) in list("statuses").iter().enumerate() {
        let path = format!("{path}.value.statuses[{i}]");
        let Some(wamid) = text(s, "id") else {
            items.push(problem(
                pnid.clone(),
                path,
                "invalid_item",
                "the status has no `id`".into(),
            ));
            continue;
        };
        let raw = s.get("status").and_then(Value::as_str).unwrap_or_default();
        let Some(status) = WaStatus::parse(raw) else {
            items.push(problem(
                pnid.clone(),
                path,
                "unknown_status",
                format!("status {raw:?} of {wamid} is not one this server knows"),
            ));
            continue;
        };
        items.push(Item::Status(StatusUpdate {
            route: route.clone(),
            path,
            wamid,
            status,
            timestamp: timestamp(s),
            recipient_id: text(s, "recipient_id"),
            recipient_user_id: text(s, "recipient_user_id"),
            errors: s.get("errors").map(Value::to_string),
            callback_data: text(s, "biz_opaque_callback_data"),
        }));
    }
    for (i, err) in list("errors").iter().enumerate() {
        let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = text(err, "message")
            .or_else(|| text(err, "title"))
            .unwrap_or_default();
        items.push(problem(
            pnid.clone(),
            format!("{path}.value.errors[{i}]"),
            &format!("meta_{code}"),
            message,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaStatus::*;

    /// Applies statuses in the given order as the storage does.
    fn fold(order: &[WaStatus]) -> Option<WaStatus> {
        order.iter().fold(None, |current, &incoming| {
            if WaStatus::advances(current, incoming) {
                Some(incoming)
            } else {
                current
            }
        })
    }

    fn permutations(items: &[WaStatus]) -> Vec<Vec<WaStatus>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first);
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn statuses_only_move_forward_whatever_the_arrival_order() {
        for p in permutations(&[Sent, Delivered, Read]) {
            assert_eq!(fold(&p), Some(Read), "{p:?}");
        }
        for p in permutations(&[Sent, Delivered]) {
            assert_eq!(fold(&p), Some(Delivered), "{p:?}");
        }
        // Delivered may never come.
        assert_eq!(fold(&[Read, Sent]), Some(Read));
        assert!(!WaStatus::advances(Some(Read), Delivered));
        assert!(WaStatus::advances(Some(Read), Played));
    }

    #[test]
    fn failed_is_final() {
        for p in permutations(&[Sent, Delivered, Failed]) {
            assert_eq!(fold(&p), Some(Failed), "{p:?}");
        }
        for s in [Sent, Delivered, Read, Played, Failed] {
            assert!(!WaStatus::advances(Some(Failed), s));
        }
    }

    #[test]
    fn every_entry_change_message_and_status_is_walked() {
        let body = serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "W1", "changes": [
                    {"field": "messages", "value": {
                        "metadata": {"phone_number_id": "P1", "display_phone_number": "5511"},
                        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "551190000001"}],
                        "messages": [
                            {"from": "551190000001", "id": "wamid.A", "timestamp": "1", "type": "text", "text": {"body": "Oi"}},
                            {"from": "551190000001", "type": "text"},
                            {"from": "551190000001", "id": "wamid.B", "timestamp": "2", "type": "text"}
                        ],
                        "statuses": [
                            {"id": "wamid.S", "status": "read", "timestamp": "3", "recipient_id": "551190000001"},
                            {"id": "wamid.T", "status": "deleted", "timestamp": "3"}
                        ]
                    }},
                    {"field": "account_update", "value": {"event": "x"}}
                ]},
                {"id": "W2", "changes": [
                    {"field": "messages", "value": {
                        "metadata": {"phone_number_id": "P2"},
                        "contacts": [{"profile": {"username": "bia.s"}, "user_id": "BR.123"}],
                        "messages": [{"from_user_id": "BR.123", "id": "wamid.C", "timestamp": "4", "type": "text"}]
                    }},
                    {"field": "messages", "value": {"metadata": {}}}
                ]}
            ]
        });
        let items = parse(body.to_string().as_bytes()).expect("parse");
        let messages: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Item::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(
            messages
                .iter()
                .map(|m| m.wamid.as_str())
                .collect::<Vec<_>>(),
            ["wamid.A", "wamid.B", "wamid.C"]
        );
        assert_eq!(messages[0].contact_name.as_deref(), Some("Ana"));
        assert_eq!(messages[0].route.waba_id.as_deref(), Some("W1"));
        assert_eq!(messages[2].from_wa_id, None);
        assert_eq!(messages[2].from_user_id.as_deref(), Some("BR.123"));
        assert_eq!(messages[2].contact_name.as_deref(), Some("bia.s"));
        assert_eq!(messages[2].route.phone_number_id, "P2");
        let statuses: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Item::Status(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(statuses.len(), 1);
        assert_eq!(statuses[0].status, Read);
        let problems: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Item::Problem(p) => Some((p.path.as_str(), p.code.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            problems,
            [
                ("entry[0].changes[0].value.messages[1]", "invalid_item"),
                ("entry[0].changes[0].value.statuses[1]", "unknown_status"),
                ("entry[1].changes[1].value", "invalid_item"),
            ]
        );
    }

    #[test]
    fn bodies_that_are_not_deliveries_fail_whole() {
        assert!(matches!(parse(b"not json"), Err(PayloadError::NotJson(_))));
        assert_eq!(parse(b"{}").err(), Some(PayloadError::NoEntries));
    }
}
