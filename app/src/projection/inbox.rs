//! The inbox row of each WhatsApp conversation.

use rusqlite::{params, Connection};
use uuid::Uuid;

use crate::documents::ConversationDoc;

use super::ProjectionError;

/// Keeps the inbox row of a conversation. Unread and waiting depend only
/// on the document; whether the 24-hour window is open is worked out when
/// the list is read.
pub(super) fn project_conversation(
    conn: &Connection,
    id: Uuid,
    c: &ConversationDoc,
) -> Result<(), ProjectionError> {
    let s = crate::inbox::summarize(c, 0);
    // Normalised here too: WhatsApp's ids for Brazilian mobiles often lack
    // the ninth digit, and the patients' phones are stored with it.
    let raw = c
        .contact
        .phone
        .clone()
        .or_else(|| c.contact.wa_id.as_ref().map(|w| format!("+{w}")));
    let phone = raw.map(|p| {
        p.parse::<crate::phone::Phone>()
            .map_or(p, |n| n.e164().to_string())
    });
    conn.prepare_cached(
        "INSERT OR REPLACE INTO conversations (doc_id, phone_number_id, display_number, contact_name,
             phone, patient_id, lead, unread, waiting_since, last_at, last_text, last_inbound_at,
             attention, assignee, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        id.to_string(),
        c.phone_number_id,
        c.display_number,
        c.contact.name,
        phone,
        c.patient_id,
        c.patient_id.is_none() && c.lead.is_some(),
        s.unread,
        s.waiting_since,
        s.last_at,
        s.last_text,
        s.last_inbound_at,
        c.attention
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
        c.assignee
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
        (!c.tags.is_empty())
            .then(|| serde_json::to_string(&c.tags.keys().collect::<Vec<_>>()).ok())
            .flatten(),
    ])?;
    // The files its messages reference, for the media kept on this
    // workstation (crate::media).
    conn.prepare_cached("DELETE FROM conversation_media WHERE doc_id = ?1")?
        .execute([id.to_string()])?;
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO conversation_media (doc_id, sha256, mime_type, size, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for m in c.messages.values() {
        let Some(media) = &m.media else { continue };
        let Some(sha256) = media
            .blob
            .as_deref()
            .and_then(|b| crate::media::digest_of(b).ok())
        else {
            continue;
        };
        add.execute(params![
            id.to_string(),
            sha256,
            media.mime_type,
            media.size.and_then(|s| i64::try_from(s).ok()),
            m.at
        ])?;
    }
    Ok(())
}
