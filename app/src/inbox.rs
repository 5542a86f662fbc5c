//! Rules of the WhatsApp inbox that both the server and the workstations
//! follow: the 24-hour customer-service window, what counts as unread and
//! as waiting, and what a patient's answer to a reminder means.

use crate::documents::{ConversationDoc, Direction, MessageStatus, Template, WhatsappSettings};

/// WhatsApp's customer-service window: free-form messages may be sent only
/// within 24 hours of the contact's last message; after that, a template.
pub const WINDOW_SECS: i64 = 24 * 3600;

/// WhatsApp's limit on a text message's body.
pub const MAX_TEXT: usize = 4096;

/// Why a message may not be queued; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    #[error("the contact's last message is more than 24 hours old: only an approved template may be sent")]
    WindowClosed,
    #[error("the message is empty")]
    Empty,
    #[error("the message has {0} characters; WhatsApp takes at most 4096")]
    TooLong(usize),
    #[error("no approved template {0:?} in this clinic's WhatsApp settings")]
    UnknownTemplate(String),
    #[error("template {name:?} takes {expected} parameters, got {got}")]
    TemplateParams {
        name: String,
        expected: u32,
        got: usize,
    },
    #[error("template parameter {0} is empty")]
    EmptyParam(usize),
}

impl InboxError {
    /// A stable code the UI translates.
    pub fn code(&self) -> &'static str {
        match self {
            InboxError::WindowClosed => "window_closed",
            InboxError::Empty => "empty",
            InboxError::TooLong(_) => "too_long",
            InboxError::UnknownTemplate(_) => "unknown_template",
            InboxError::TemplateParams { .. } | InboxError::EmptyParam(_) => "template_params",
        }
    }
}

/// Checks a free-form reply: not empty, within WhatsApp's limit, and
/// inside the 24-hour window. Returns the text as it will be sent.
pub fn check_reply(text: &str, last_inbound: Option<i64>, now: i64) -> Result<String, InboxError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InboxError::Empty);
    }
    let n = text.chars().count();
    if n > MAX_TEXT {
        return Err(InboxError::TooLong(n));
    }
    if !window_open(last_inbound, now) {
        return Err(InboxError::WindowClosed);
    }
    Ok(text.to_string())
}

/// Checks a template message against the clinic's approved templates.
pub fn check_template<'a>(
    settings: &'a WhatsappSettings,
    name: &str,
    language: &str,
    params: &[String],
) -> Result<&'a Template, InboxError> {
    let key = format!("{name}:{language}");
    let template = settings
        .templates
        .get(&key)
        .ok_or(InboxError::UnknownTemplate(key))?;
    if params.len() != template.params as usize {
        return Err(InboxError::TemplateParams {
            name: name.to_string(),
            expected: template.params,
            got: params.len(),
        });
    }
    if let Some(i) = params.iter().position(|p| p.trim().is_empty()) {
        return Err(InboxError::EmptyParam(i + 1));
    }
    Ok(template)
}

/// What a conversation shows in the inbox list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Inbound messages after the clinic's read mark.
    pub unread: u32,
    /// The latest inbound message when no reply was queued after it: the
    /// contact is waiting since then.
    pub waiting_since: Option<i64>,
    pub last_at: Option<i64>,
    /// The latest message's text (or kind, when it has none).
    pub last_text: Option<String>,
    pub last_inbound_at: Option<i64>,
    /// Whether a free-form reply may go now.
    pub window_open: bool,
}

/// Sums up a conversation as of `now` (seconds).
pub fn summarize(doc: &ConversationDoc, now: i64) -> Summary {
    let read_at = doc.read_at.unwrap_or(i64::MIN);
    let mut unread = 0;
    let mut last: Option<(i64, &str)> = None;
    let mut last_inbound = None;
    let mut last_outbound = None;
    for m in doc.messages.values() {
        if last.is_none_or(|(at, _)| m.at >= at) {
            last = Some((m.at, m.text.as_deref().unwrap_or(&m.kind)));
        }
        match m.direction {
            Direction::Inbound => {
                if m.at > read_at {
                    unread += 1;
                }
                last_inbound = last_inbound.max(Some(m.at));
            }
            Direction::Outbound => last_outbound = last_outbound.max(Some(m.at)),
        }
    }
    let waiting_since = match (last_inbound, last_outbound) {
        (Some(i), Some(o)) if o >= i => None,
        (Some(i), _) => Some(i),
        _ => None,
    };
    Summary {
        unread,
        waiting_since,
        last_at: last.map(|(at, _)| at),
        last_text: last.map(|(_, t)| t.to_string()),
        last_inbound_at: last_inbound,
        window_open: window_open(last_inbound, now),
    }
}

/// Whether a free-form message may be sent at `now`, given the contact's
/// last inbound message.
pub fn window_open(last_inbound: Option<i64>, now: i64) -> bool {
    last_inbound.is_some_and(|at| now - at < WINDOW_SECS)
}

/// Whether an outbound message still waits for the sender.
pub fn is_pending(status: MessageStatus) -> bool {
    status == MessageStatus::Queued
}

/// What a patient's answer to a reminder means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Confirm,
    Cancel,
    Reschedule,
    /// Anything else: a person at the front desk must read it.
    Unclear,
}

const CONFIRM: &[&str] = &[
    "sim",
    "s",
    "confirmo",
    "confirmar",
    "confirmado",
    "confirmada",
    "confirma",
    "1",
    "ok",
    "certo",
    "combinado",
    "estarei",
    "irei",
    "vou",
];
const CANCEL: &[&str] = &[
    "nao",
    "n",
    "cancelar",
    "cancela",
    "cancelo",
    "cancelado",
    "cancelada",
    "desmarcar",
    "2",
];
const RESCHEDULE: &[&str] = &["remarcar", "remarco", "reagendar", "reagendo", "outro", "3"];
/// Words that make an answer a question or a maybe: a person decides.
const HEDGES: &[&str] = &[
    "talvez", "acho", "sei", "se", "duvida", "quando", "qual", "onde",
];

/// Reads an answer: a button's payload or title, or free text such as
/// "sim", "Confirmo!", "1", "não", "cancelar", "quero remarcar". Accents,
/// case and punctuation do not matter; mixed or hedged answers are
/// [`Answer::Unclear`] rather than a guess.
pub fn classify_answer(text: &str) -> Answer {
    if text.contains('?') {
        return Answer::Unclear;
    }
    let folded = crate::text::fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 8 {
        return Answer::Unclear;
    }
    if words.iter().any(|w| HEDGES.contains(w)) {
        return Answer::Unclear;
    }
    // "não vou": a confirming word right after "não" is part of a no.
    let negated = |i: usize| i > 0 && words[i - 1] == "nao";
    let has = |set: &[&str]| {
        words
            .iter()
            .enumerate()
            .any(|(i, w)| set.contains(w) && !(set == CONFIRM && negated(i)))
    };
    match (has(CONFIRM), has(CANCEL), has(RESCHEDULE)) {
        (_, _, true) => Answer::Reschedule,
        (true, false, false) => Answer::Confirm,
        (false, true, false) => Answer::Cancel,
        _ => Answer::Unclear,
    }
}

/// Most labels on one conversation.
pub const MAX_TAGS: usize = 10;
/// Longest label, in characters.
pub const MAX_TAG_CHARS: usize = 30;

/// A label as kept: trimmed, inner spaces collapsed; or why it is refused.
pub fn tag(raw: &str) -> Result<String, String> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if tag.is_empty() {
        return Err("the label is empty".into());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!("{tag:?}: at most {MAX_TAG_CHARS} characters"));
    }
    if tag.chars().any(char::is_control) {
        return Err(format!("{tag:?}: no control characters"));
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_people_really_send() {
        for t in [
            "sim",
            "Sim!",
            "SIM",
            "confirmo",
            "Confirmar",
            "1",
            "sim, confirmo",
            "ok 👍",
            "Vou sim",
        ] {
            assert_eq!(classify_answer(t), Answer::Confirm, "{t}");
        }
        for t in [
            "não",
            "Nao",
            "cancelar",
            "2",
            "Não vou",
            "pode cancelar",
            "não consigo ir",
        ] {
            assert_eq!(classify_answer(t), Answer::Cancel, "{t}");
        }
        for t in ["remarcar", "Quero remarcar", "3", "não, preciso remarcar"] {
            assert_eq!(classify_answer(t), Answer::Reschedule, "{t}");
        }
        for t in [
            "",
            "bom dia",
            "sim? que horas?",
            "sim não",
            "não sei se consigo",
            "talvez",
            "qual o endereço",
            "oi, tudo bem com você? gostaria de saber o valor da limpeza",
        ] {
            assert_eq!(classify_answer(t), Answer::Unclear, "{t}");
        }
    }

    #[test]
    fn replies_and_templates_are_checked() {
        assert_eq!(check_reply("  oi  ", Some(0), 10), Ok("oi".into()));
        assert_eq!(check_reply(" ", Some(0), 10), Err(InboxError::Empty));
        assert_eq!(
            check_reply(&"a".repeat(MAX_TEXT + 1), Some(0), 10),
            Err(InboxError::TooLong(MAX_TEXT + 1))
        );
        assert_eq!(check_reply("oi", None, 10), Err(InboxError::WindowClosed));
        let s = WhatsappSettings::standard();
        let p = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let t = check_template(&s, "retomar_conversa", "pt_BR", &p(&["Ana", "Sorriso"]))
            .expect("template");
        assert_eq!(
            t.render(&p(&["Ana", "Sorriso"])),
            "Olá, Ana! Aqui é da Sorriso. Podemos continuar o seu atendimento por aqui?"
        );
        assert_eq!(
            check_template(&s, "retomar_conversa", "en_US", &[])
                .expect_err("refused")
                .code(),
            "unknown_template"
        );
        assert_eq!(
            check_template(&s, "retomar_conversa", "pt_BR", &p(&["Ana"]))
                .expect_err("refused")
                .code(),
            "template_params"
        );
        assert_eq!(
            check_template(&s, "retomar_conversa", "pt_BR", &p(&["Ana", " "])),
            Err(InboxError::EmptyParam(2))
        );
    }

    #[test]
    fn the_window_closes_after_24_hours() {
        assert!(!window_open(None, 100));
        assert!(window_open(Some(0), WINDOW_SECS - 1));
        assert!(!window_open(Some(0), WINDOW_SECS));
    }
}
