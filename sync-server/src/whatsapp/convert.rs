//! Pure translations between WhatsApp's JSON and the conversation
//! document: an inbound message object into a [`Message`], a queued
//! outbound [`Message`] into a Graph API request, a Graph API answer into
//! what the sender does next, and a status webhook into the message's
//! status.

use arcada_core::documents::{Contact, Location, Media, Message, MessageError, MessageStatus};
use arcada_core::phone::Phone;
use serde_json::{json, Value};

use crate::storage::whatsapp::{OutState, Unsynced, Unwritten};

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str().filter(|s| !s.is_empty())
}

fn string_at(v: &Value, path: &[&str]) -> Option<String> {
    str_at(v, path).map(str::to_string)
}

/// The E.164 form of a wa_id (Brazil's missing ninth digit restored), or
/// `None` when it is not a phone number.
pub fn phone_of(wa_id: &str) -> Option<String> {
    format!("+{wa_id}")
        .parse::<Phone>()
        .ok()
        .map(|p| p.e164().to_string())
}

/// The contact a message comes from, as the conversation's genesis holds
/// it: only what every server instance derives identically from the
/// conversation's key (no profile name, which comes in a later change).
/// A number's WhatsApp id is kept normalised (the ninth digit of a
/// Brazilian mobile restored), so the patient's two ids give one genesis.
pub fn genesis_contact(wa_id: Option<&str>, user_id: Option<&str>) -> Contact {
    match wa_id {
        Some(wa_id) => {
            let phone = phone_of(wa_id);
            Contact {
                wa_id: Some(
                    phone
                        .as_deref()
                        .map_or(wa_id, |p| p.trim_start_matches('+'))
                        .to_string(),
                ),
                user_id: None,
                name: None,
                phone,
            }
        }
        None => Contact {
            wa_id: None,
            user_id: user_id.map(str::to_string),
            name: None,
            phone: None,
        },
    }
}

/// An inbound message as the conversation document keeps it.
pub fn inbound_message(row: &Unwritten) -> Message {
    let m: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
    let kind = row.kind.clone();
    let mut msg = Message {
        reply_to: string_at(&m, &["context", "id"]),
        ..Message::inbound(&row.wamid, &kind, row.sent_at.unwrap_or(row.received_at))
    };
    match kind.as_str() {
        "text" => msg.text = string_at(&m, &["text", "body"]),
        "image" | "audio" | "video" | "document" | "sticker" => {
            let part = &m[kind.as_str()];
            msg.text = string_at(part, &["caption"]);
            msg.media = string_at(part, &["id"]).map(|id| Media {
                id,
                mime_type: string_at(part, &["mime_type"]),
                sha256: string_at(part, &["sha256"]),
                filename: string_at(part, &["filename"]),
                size: part.get("file_size").and_then(Value::as_u64),
                blob: None,
                error: None,
            });
        }
        "location" => {
            let l = &m["location"];
            if let (Some(latitude), Some(longitude)) = (
                l.get("latitude").and_then(Value::as_f64),
                l.get("longitude").and_then(Value::as_f64),
            ) {
                msg.location = Some(Location {
                    latitude,
                    longitude,
                    name: string_at(l, &["name"]),
                    address: string_at(l, &["address"]),
                });
            }
            msg.text = string_at(l, &["name"]).or_else(|| string_at(l, &["address"]));
        }
        "contacts" => msg.text = contacts_summary(&m["contacts"]),
        "interactive" => {
            let i = &m["interactive"];
            let reply = ["button_reply", "list_reply"]
                .iter()
                .find_map(|k| i.get(*k).filter(|v| v.is_object()));
            if let Some(reply) = reply {
                msg.text = string_at(reply, &["title"]);
                msg.payload = string_at(reply, &["id"]);
            } else if let Some(nfm) = i.get("nfm_reply") {
                msg.text = string_at(nfm, &["body"]).or_else(|| string_at(nfm, &["name"]));
                msg.payload = string_at(nfm, &["response_json"]);
            }
        }
        "button" => {
            msg.text = string_at(&m, &["button", "text"]);
            msg.payload = string_at(&m, &["button", "payload"]);
        }
        "reaction" => {
            msg.text = string_at(&m, &["reaction", "emoji"]);
            if let Some(to) = string_at(&m, &["reaction", "message_id"]) {
                msg.reply_to = Some(to);
            }
        }
        _ => {
            // unsupported, or a type this server does not know yet: kept
            // with the kind Meta gave and any text it carries.
            msg.text = string_at(&m, &["text", "body"]);
        }
    }
    if let Some(e) = m
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        msg.error = Some(MessageError {
            code: e
                .get("code")
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            title: string_at(e, &["title"])
                .or_else(|| string_at(e, &["message"]))
                .unwrap_or_default(),
        });
    }
    msg
}

/// "Barbara J. Johnson: +1 (415) 555-0829" for each shared contact.
fn contacts_summary(contacts: &Value) -> Option<String> {
    let lines: Vec<String> = contacts
        .as_array()?
        .iter()
        .map(|c| {
            let name = string_at(c, &["name", "formatted_name"])
                .or_else(|| {
                    let first = str_at(c, &["name", "first_name"]).unwrap_or_default();
                    let last = str_at(c, &["name", "last_name"]).unwrap_or_default();
                    Some(format!("{first} {last}").trim().to_string()).filter(|s| !s.is_empty())
                })
                .unwrap_or_else(|| "?".into());
            let phones: Vec<&str> = c
                .get("phones")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(|p| str_at(p, &["phone"])).collect())
                .unwrap_or_default();
            if phones.is_empty() {
                name
            } else {
                format!("{name}: {}", phones.join(", "))
            }
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Why a queued message cannot be sent at all: (code, title).
pub type Refusal = (String, String);

fn refusal(code: &str, title: impl Into<String>) -> Refusal {
    (code.to_string(), title.into())
}

/// The Graph API request that sends `m` to `to`, with our message id as
/// `biz_opaque_callback_data` (Meta echoes it in the status webhooks).
pub fn graph_request(m: &Message, to: Option<&str>) -> Result<String, Refusal> {
    let to = to.ok_or_else(|| {
        refusal(
            "no_recipient",
            "the contact has no WhatsApp number (wa_id) to send to",
        )
    })?;
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "biz_opaque_callback_data": m.id,
    });
    match m.kind.as_str() {
        "text" => {
            let text = m
                .text
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| refusal("invalid_message", "a text message needs a text"))?;
            body["type"] = json!("text");
            body["text"] = json!({"body": text, "preview_url": false});
        }
        "template" => {
            let t = m
                .template
                .as_ref()
                .filter(|t| !t.name.is_empty() && !t.language.is_empty())
                .ok_or_else(|| {
                    refusal(
                        "invalid_message",
                        "a template message needs a template name and language",
                    )
                })?;
            let mut template = json!({"name": t.name, "language": {"code": t.language}});
            if !t.params.is_empty() {
                let parameters: Vec<Value> = t
                    .params
                    .iter()
                    .map(|p| json!({"type": "text", "text": p}))
                    .collect();
                template["components"] = json!([{"type": "body", "parameters": parameters}]);
            }
            body["type"] = json!("template");
            body["template"] = template;
        }
        other => {
            return Err(refusal(
                "unsupported_kind",
                format!("sending {other:?} messages is not supported"),
            ))
        }
    }
    Ok(body.to_string())
}

/// What one Graph API answer means for the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Sent {
        wamid: String,
    },
    /// Nothing was sent; try again later.
    Retry {
        code: String,
        title: String,
    },
    Failed {
        code: String,
        title: String,
    },
    NeedsTemplate {
        code: String,
        title: String,
    },
    /// The token is refused: fail, and stop the number until it is updated.
    Reauthorise {
        code: String,
        title: String,
    },
}

/// Codes that say "not now": rate limits and temporary unavailability.
const RETRY_CODES: &[i64] = &[130429, 131056, 131057, 131000, 131016, 133004, 1, 2];
/// Codes after which sending again cannot help.
const NEEDS_TEMPLATE: i64 = 131047;
const TOKEN_REFUSED: i64 = 190;

/// Reads an answer of `POST /{phone_number_id}/messages`.
pub fn verdict(status: u16, body: &[u8]) -> Verdict {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return match string_at(&v, &["messages", "0", "id"]).or_else(|| {
            v.get("messages")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|m| string_at(m, &["id"]))
        }) {
            Some(wamid) => Verdict::Sent { wamid },
            // Accepted without an id: it went, but the document cannot
            // follow its statuses. Reported as sent with no wamid would
            // lose that; keep the answer visible instead.
            None => Verdict::Failed {
                code: "bad_answer".into(),
                title: format!(
                    "the Graph API answered {status} without a message id: {}",
                    String::from_utf8_lossy(body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            },
        };
    }
    let e = &v["error"];
    let code = e.get("code").and_then(Value::as_i64);
    let title = string_at(e, &["error_data", "details"])
        .or_else(|| string_at(e, &["message"]))
        .or_else(|| string_at(e, &["title"]))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let code_text = code.map_or_else(|| format!("http_{status}"), |c| c.to_string());
    match code {
        Some(TOKEN_REFUSED) => Verdict::Reauthorise {
            code: code_text,
            title,
        },
        Some(NEEDS_TEMPLATE) => Verdict::NeedsTemplate {
            code: code_text,
            title,
        },
        Some(c) if RETRY_CODES.contains(&c) => Verdict::Retry {
            code: code_text,
            title,
        },
        _ if status == 429 || status >= 500 => Verdict::Retry {
            code: code_text,
            title,
        },
        _ => Verdict::Failed {
            code: code_text,
            title,
        },
    }
}

/// What an outbound message's document entry should show: status, when,
/// wamid, error.
pub type Outcome = (
    MessageStatus,
    Option<i64>,
    Option<String>,
    Option<MessageError>,
);

/// What the document should show for an outbound message: status, when,
/// wamid, error. `None` while the sender still owns it.
pub fn desired_status(u: &Unsynced) -> Option<Outcome> {
    let error = |code: Option<&str>, title: Option<&str>| {
        Some(MessageError {
            code: code.unwrap_or_default().to_string(),
            title: title.unwrap_or_default().to_string(),
        })
    };
    let at = Some(u.updated_at);
    match u.state {
        OutState::Queued | OutState::Sending => None,
        OutState::Failed => Some((
            MessageStatus::Failed,
            at,
            u.wamid.clone(),
            error(u.error_code.as_deref(), u.error_title.as_deref()),
        )),
        OutState::NeedsTemplate => Some((
            MessageStatus::NeedsTemplate,
            at,
            u.wamid.clone(),
            error(u.error_code.as_deref(), u.error_title.as_deref()),
        )),
        OutState::InDoubt => Some((
            MessageStatus::InDoubt,
            at,
            None,
            error(u.error_code.as_deref(), u.error_title.as_deref()),
        )),
        OutState::Sent => {
            let sent = (MessageStatus::Sent, u.sent_at.or(at), u.wamid.clone(), None);
            let Some(status) = u.status.as_deref() else {
                return Some(sent);
            };
            let when = u.status_at.or(at);
            Some(match status {
                "delivered" => (MessageStatus::Delivered, when, u.wamid.clone(), None),
                "read" | "played" => (MessageStatus::Read, when, u.wamid.clone(), None),
                "failed" => {
                    let errors: Value = u
                        .status_errors
                        .as_deref()
                        .and_then(|e| serde_json::from_str(e).ok())
                        .unwrap_or(Value::Null);
                    let first = errors.as_array().and_then(|a| a.first());
                    let code = first
                        .and_then(|e| e.get("code"))
                        .map(|c| match c {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .unwrap_or_else(|| "failed".into());
                    let title = first
                        .and_then(|e| {
                            string_at(e, &["title"]).or_else(|| string_at(e, &["message"]))
                        })
                        .unwrap_or_default();
                    let status = if code == NEEDS_TEMPLATE.to_string() {
                        MessageStatus::NeedsTemplate
                    } else {
                        MessageStatus::Failed
                    };
                    (
                        status,
                        when,
                        u.wamid.clone(),
                        Some(MessageError { code, title }),
                    )
                }
                _ => sent,
            })
        }
    }
}

/// Where a status stands for moving forward: waiting (queued, sending, in
/// doubt) 0, then WhatsApp's delivery ranks; a template needed is a
/// failure. `None`: not an outbound status.
fn forward_rank(s: MessageStatus) -> Option<u8> {
    match s {
        MessageStatus::Queued | MessageStatus::Sending | MessageStatus::InDoubt => Some(0),
        MessageStatus::NeedsTemplate => Some(5),
        other => other.delivery_rank(),
    }
}

/// Whether a message showing `current` may move to `next`: only forward
/// (a late `sent` never hides `read`; failed is final), and a waiting
/// message may become in doubt.
pub fn may_move(current: MessageStatus, next: MessageStatus) -> bool {
    match (forward_rank(current), forward_rank(next)) {
        (Some(c), Some(n)) => {
            n > c || (c == 0 && next == MessageStatus::InDoubt && current != next)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcada_core::documents::{Direction, TemplateRef};

    fn row(kind: &str, body: Value) -> Unwritten {
        Unwritten {
            wamid: "wamid.X".into(),
            phone_number_id: "1".into(),
            from_wa_id: Some("5511987654321".into()),
            from_user_id: None,
            contact_name: Some("Ana".into()),
            kind: kind.into(),
            sent_at: Some(100),
            body: body.to_string(),
            received_at: 200,
        }
    }

    #[test]
    fn every_kind_maps() {
        let m = inbound_message(&row(
            "text",
            json!({"type": "text", "text": {"body": "Oi"}, "context": {"id": "wamid.prev"}}),
        ));
        assert_eq!(
            (m.text.as_deref(), m.reply_to.as_deref(), m.at),
            (Some("Oi"), Some("wamid.prev"), 100)
        );
        assert_eq!(
            (m.direction, m.status),
            (Direction::Inbound, MessageStatus::Received)
        );
        let m = inbound_message(&row(
            "document",
            json!({"document": {"id": "M1", "caption": "raio-x", "mime_type": "application/pdf", "sha256": "abc", "filename": "rx.pdf"}}),
        ));
        let media = m.media.expect("media");
        assert_eq!(
            (media.id.as_str(), media.filename.as_deref(), media.blob),
            ("M1", Some("rx.pdf"), None)
        );
        assert_eq!(m.text.as_deref(), Some("raio-x"));
        let m = inbound_message(&row(
            "location",
            json!({"location": {"latitude": -23.5, "longitude": -46.6, "name": "Clínica"}}),
        ));
        assert_eq!(m.location.expect("location").latitude, -23.5);
        let m = inbound_message(&row(
            "interactive",
            json!({"interactive": {"type": "button_reply", "button_reply": {"id": "confirm", "title": "Confirmar"}}}),
        ));
        assert_eq!(
            (m.text.as_deref(), m.payload.as_deref()),
            (Some("Confirmar"), Some("confirm"))
        );
        let m = inbound_message(&row(
            "button",
            json!({"button": {"payload": "SIM", "text": "Sim"}}),
        ));
        assert_eq!(
            (m.text.as_deref(), m.payload.as_deref()),
            (Some("Sim"), Some("SIM"))
        );
        let m = inbound_message(&row(
            "reaction",
            json!({"reaction": {"message_id": "wamid.out", "emoji": "👍"}}),
        ));
        assert_eq!(
            (m.text.as_deref(), m.reply_to.as_deref()),
            (Some("👍"), Some("wamid.out"))
        );
        let m = inbound_message(&row(
            "contacts",
            json!({"contacts": [{"name": {"formatted_name": "Bia"}, "phones": [{"phone": "+55 11 91234-5678"}]}]}),
        ));
        assert_eq!(m.text.as_deref(), Some("Bia: +55 11 91234-5678"));
        let m = inbound_message(&row(
            "unsupported",
            json!({"errors": [{"code": 131051, "title": "Message type unknown"}], "unsupported": {"type": "edit"}}),
        ));
        assert_eq!(m.kind, "unsupported");
        assert_eq!(
            m.error,
            Some(MessageError {
                code: "131051".into(),
                title: "Message type unknown".into()
            })
        );
    }

    #[test]
    fn brazilian_wa_ids_without_the_ninth_digit_are_normalised() {
        assert_eq!(phone_of("551187654321").as_deref(), Some("+5511987654321"));
        assert_eq!(phone_of("16505551234").as_deref(), Some("+16505551234"));
        assert_eq!(phone_of("BR.123"), None);
        let c = genesis_contact(Some("551187654321"), Some("BR.1"));
        assert_eq!(c.user_id, None);
        assert_eq!(c.key(), Some("5511987654321"));
        assert_eq!(c.wa_id.as_deref(), Some("5511987654321"));
    }

    fn outbound(kind: &str, text: Option<&str>) -> Message {
        Message {
            template: Some(TemplateRef {
                name: "lembrete".into(),
                language: "pt_BR".into(),
                params: vec!["Ana".into(), "amanhã 14h".into()],
            }),
            ..Message::queued("0199-msg", kind, text.map(str::to_string), "u", 1)
        }
    }

    #[test]
    fn requests_have_the_graph_shape() {
        let text: Value = serde_json::from_str(
            &graph_request(&outbound("text", Some("Olá")), Some("5511")).expect("text"),
        )
        .expect("json");
        assert_eq!(
            text,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511",
                   "type": "text", "text": {"body": "Olá", "preview_url": false},
                   "biz_opaque_callback_data": "0199-msg"})
        );
        let t: Value = serde_json::from_str(
            &graph_request(&outbound("template", None), Some("5511")).expect("template"),
        )
        .expect("json");
        assert_eq!(
            t["template"],
            json!({"name": "lembrete", "language": {"code": "pt_BR"}, "components": [{"type": "body",
                   "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "amanhã 14h"}]}]})
        );
        assert_eq!(
            graph_request(&outbound("text", Some(" ")), Some("1"))
                .expect_err("empty")
                .0,
            "invalid_message"
        );
        assert_eq!(
            graph_request(&outbound("text", Some("x")), None)
                .expect_err("no to")
                .0,
            "no_recipient"
        );
        assert_eq!(
            graph_request(&outbound("image", None), Some("1"))
                .expect_err("image")
                .0,
            "unsupported_kind"
        );
    }

    #[test]
    fn answers_are_read_by_code() {
        let err = |code: i64, status: u16| {
            verdict(
                status,
                json!({"error": {"message": "x", "code": code, "error_data": {"details": "d"}}})
                    .to_string()
                    .as_bytes(),
            )
        };
        assert_eq!(
            verdict(
                200,
                br#"{"messages":[{"id":"wamid.OK","message_status":"accepted"}]}"#
            ),
            Verdict::Sent {
                wamid: "wamid.OK".into()
            }
        );
        assert!(matches!(err(130429, 400), Verdict::Retry { .. }));
        assert!(matches!(err(131056, 400), Verdict::Retry { .. }));
        assert!(matches!(err(131057, 500), Verdict::Retry { .. }));
        assert!(matches!(err(131026, 400), Verdict::Failed { ref code, .. } if code == "131026"));
        assert!(matches!(err(131050, 400), Verdict::Failed { .. }));
        assert!(matches!(err(131047, 400), Verdict::NeedsTemplate { .. }));
        assert!(matches!(err(190, 401), Verdict::Reauthorise { .. }));
        assert!(matches!(err(100, 400), Verdict::Failed { .. }));
        assert!(
            matches!(verdict(503, b"down"), Verdict::Retry { ref code, .. } if code == "http_503")
        );
    }

    #[test]
    fn statuses_only_move_forward_in_the_document() {
        use MessageStatus::*;
        assert!(may_move(Queued, Sent));
        assert!(may_move(Sent, Delivered));
        assert!(!may_move(Read, Delivered));
        assert!(!may_move(Failed, Read));
        assert!(may_move(InDoubt, Sent));
        assert!(may_move(Queued, InDoubt));
        assert!(!may_move(Sent, InDoubt));
        assert!(!may_move(NeedsTemplate, Sent));
        assert!(!may_move(InDoubt, InDoubt));
        assert!(may_move(Queued, NeedsTemplate));
        assert!(!may_move(Received, Sent));
    }
}
