//! The WhatsApp inbox on a workstation: the conversations the server wrote
//! (listed from the `conversations` projection), a thread, replies and
//! templates queued for the server's sender, the read mark, and linking a
//! conversation to a patient. [`crate::inbox`] holds the rules.

use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

use super::{reconcile_err, schema_err, Clinic, Error};
use crate::documents::{
    self, Assignee, Attention, ConversationDoc, Direction, DocClass, Location, Message,
    MessageError, MessageStatus, ReminderSettings, TemplateRef, WhatsappSettings,
};
use crate::inbox::{self, InboxError};
use crate::patient::PatientForm;
use crate::phone::Phone;
use crate::store;

/// A conversation as the inbox list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationRow {
    pub id: String,
    pub phone_number_id: String,
    /// The clinic's number.
    pub display_number: String,
    pub contact_name: Option<String>,
    /// The contact's number, as people write it.
    pub phone: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub lead: bool,
    pub unread: u32,
    pub waiting_since: Option<i64>,
    pub last_at: Option<i64>,
    pub last_text: Option<String>,
    /// Whether a free-form reply may go now.
    pub window_open: bool,
    /// Patients of this clinic with the contact's number, when the
    /// conversation is not linked yet.
    pub suggested_patients: Vec<PatientRef>,
    /// An answer to a reminder the front desk must act on.
    pub attention: Option<Attention>,
    /// Who took it to answer; `None` while anyone may.
    pub assignee: Option<Assignee>,
    /// The clinic's labels, in order.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientRef {
    pub id: String,
    pub name: String,
}

/// A message as the thread shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    pub id: String,
    pub direction: Direction,
    pub kind: String,
    pub text: Option<String>,
    pub at: i64,
    pub author_name: Option<String>,
    /// Sent by the server on its own (a reminder, a thank-you reply).
    pub automatic: bool,
    pub status: MessageStatus,
    pub error: Option<MessageError>,
    pub media: Option<MediaView>,
    pub location: Option<Location>,
    pub template: Option<TemplateRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaView {
    /// `sha256:<hex>` once the server has it; fetched with `inbox_media`.
    pub blob: Option<String>,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub size: Option<u64>,
    pub error: Option<String>,
}

/// A template the reply box offers outside the 24-hour window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateOption {
    pub name: String,
    pub language: String,
    pub body: String,
    pub params: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "InboxThread"))]
pub struct Thread {
    pub conversation: ConversationRow,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    pub templates: Vec<TemplateOption>,
}

/// The author of the messages the server writes on its own.
const SERVER_AUTHOR: &str = "whatsapp";

fn now() -> i64 {
    Utc::now().timestamp()
}

/// The phone as people read it; the E.164 string when it does not parse.
fn display_phone(e164: &str) -> String {
    e164.parse::<Phone>()
        .map_or_else(|_| e164.to_string(), |p| p.display())
}

const ROW_COLUMNS: &str = "c.doc_id, c.phone_number_id, c.display_number, c.contact_name, c.phone,
    c.patient_id, p.name, c.lead, c.unread, c.waiting_since, c.last_at, c.last_text, c.last_inbound_at,
    c.attention, c.assignee, c.tags";

fn row(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<ConversationRow> {
    let phone: Option<String> = r.get(4)?;
    let last_inbound: Option<i64> = r.get(12)?;
    Ok(ConversationRow {
        id: r.get(0)?,
        phone_number_id: r.get(1)?,
        display_number: r.get(2)?,
        contact_name: r.get(3)?,
        phone: phone.as_deref().map(display_phone),
        patient_id: r.get(5)?,
        patient_name: r.get(6)?,
        lead: r.get(7)?,
        unread: r.get(8)?,
        waiting_since: r.get(9)?,
        last_at: r.get(10)?,
        last_text: r.get(11)?,
        window_open: inbox::window_open(last_inbound, now),
        suggested_patients: Vec::new(),
        attention: r
            .get::<_, Option<String>>(13)?
            .and_then(|j| serde_json::from_str(&j).ok()),
        assignee: r
            .get::<_, Option<String>>(14)?
            .and_then(|j| serde_json::from_str(&j).ok()),
        tags: r
            .get::<_, Option<String>>(15)?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    })
}

impl Clinic {
    /// The conversations on this workstation: those waiting for a reply
    /// first (longest wait first), then the most recent.
    pub fn inbox(&self) -> Result<Vec<ConversationRow>, Error> {
        let conn = self.store.conn();
        let t = now();
        let sql = format!(
            "SELECT {ROW_COLUMNS}, c.phone FROM conversations c
             LEFT JOIN patients p ON p.id = c.patient_id
             ORDER BY c.waiting_since IS NULL, c.waiting_since, c.last_at DESC, c.doc_id"
        );
        let mut rows: Vec<(ConversationRow, Option<String>)> = conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| Ok((row(r, t)?, r.get(16)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(store::StoreError::from)?;
        for (row, e164) in &mut rows {
            if row.patient_id.is_none() {
                if let Some(e164) = e164 {
                    row.suggested_patients = self.patients_with_phone(e164)?;
                }
            }
        }
        Ok(rows.into_iter().map(|(r, _)| r).collect())
    }

    fn patients_with_phone(&self, e164: &str) -> Result<Vec<PatientRef>, Error> {
        Ok(self
            .store
            .conn()
            .prepare_cached(
                "SELECT p.id, COALESCE(p.social_name, p.name) FROM patient_phones ph
                 JOIN patients p ON p.id = ph.patient_id WHERE ph.e164 = ?1 ORDER BY p.name, p.id",
            )
            .and_then(|mut s| {
                s.query_map([e164], |r| {
                    Ok(PatientRef {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(store::StoreError::from)?)
    }

    fn conversation_row(&self, id: Uuid) -> Result<ConversationRow, Error> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, c.phone FROM conversations c
             LEFT JOIN patients p ON p.id = c.patient_id WHERE c.doc_id = ?1"
        );
        let t = now();
        let found: Option<(ConversationRow, Option<String>)> = {
            use rusqlite::OptionalExtension;
            self.store
                .conn()
                .prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_row([id.to_string()], |r| Ok((row(r, t)?, r.get(16)?)))
                        .optional()
                })
                .map_err(store::StoreError::from)?
        };
        let (mut row, e164) = found.ok_or_else(|| Error::NotFound {
            what: "conversation",
            id: id.to_string(),
        })?;
        if let (None, Some(e164)) = (&row.patient_id, e164) {
            row.suggested_patients = self.patients_with_phone(&e164)?;
        }
        Ok(row)
    }

    fn conversation_doc(&self, key: &str) -> Result<(Uuid, ConversationDoc), Error> {
        let not_found = || Error::NotFound {
            what: "conversation",
            id: key.to_string(),
        };
        let id = Uuid::parse_str(key.trim()).map_err(|_| not_found())?;
        if store::class_of(self.store.conn(), id)? != Some(DocClass::Conversation) {
            return Err(not_found());
        }
        let stored = store::load(self.store.conn(), id)?.ok_or_else(not_found)?;
        let doc = autosurgeon::hydrate(&stored.doc).map_err(schema_err(id))?;
        Ok((id, doc))
    }

    /// Turns appointment reminders on (`Some`) or off. The template must be
    /// one of the clinic's and take the three reminder parameters (name,
    /// when, professional); reminders go 1 to 168 hours before, within
    /// sending hours that read as a span of one day.
    pub fn set_reminders(
        &mut self,
        reminder: Option<ReminderSettings>,
    ) -> Result<WhatsappSettings, Error> {
        let settings = self.whatsapp_settings()?;
        if let Some(r) = &reminder {
            let template = settings
                .templates
                .get(&r.template)
                .ok_or_else(|| InboxError::UnknownTemplate(r.template.clone()))?;
            if template.params != 3 {
                return Err(InboxError::TemplateParams {
                    name: template.name.clone(),
                    expected: 3,
                    got: template.params as usize,
                }
                .into());
            }
            if !(1..=168).contains(&r.hours_before) {
                return Err(Error::Invalid {
                    field: "hours_before",
                    reason: format!("{} hours: from 1 to 168 (a week)", r.hours_before),
                });
            }
            if let Some(hours) = &r.sending_hours {
                crate::reminder::sending_span(hours).map_err(|reason| Error::Invalid {
                    field: "sending_hours",
                    reason,
                })?;
            }
        }
        let dir = self.edit_directory("whatsapp.reminders", move |d| {
            let mut s = d.whatsapp.take().unwrap_or_else(WhatsappSettings::standard);
            s.reminder = reminder;
            d.whatsapp = Some(s);
            Ok(())
        })?;
        Ok(dir.whatsapp.unwrap_or_else(WhatsappSettings::standard))
    }

    /// The clinic's WhatsApp templates and reminder settings.
    pub fn whatsapp_settings(&self) -> Result<WhatsappSettings, Error> {
        Ok(self
            .directory()?
            .whatsapp
            .unwrap_or_else(WhatsappSettings::standard))
    }

    /// Who wrote an outbound message, as the thread shows it.
    fn author_name(&self, author: &str) -> Option<String> {
        if author == SERVER_AUTHOR {
            return Some("Lembrete automático".into());
        }
        self.user_email(author)
    }

    /// A conversation with its messages, oldest first, and the templates
    /// the clinic may send.
    pub fn conversation(&self, key: &str) -> Result<Thread, Error> {
        let (id, doc) = self.conversation_doc(key)?;
        let mut messages: Vec<&Message> = doc.messages.values().collect();
        messages.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        let messages = messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id.clone(),
                direction: m.direction,
                kind: m.kind.clone(),
                text: m.text.clone(),
                at: m.at,
                author_name: m.author.as_deref().and_then(|a| self.author_name(a)),
                automatic: m.author.as_deref() == Some(SERVER_AUTHOR),
                status: m.status,
                error: m.error.clone(),
                media: m.media.as_ref().map(|md| MediaView {
                    blob: md.blob.clone(),
                    mime_type: md.mime_type.clone(),
                    filename: md.filename.clone(),
                    size: md.size,
                    error: md.error.clone(),
                }),
                location: m.location.clone(),
                template: m.template.clone(),
            })
            .collect();
        let templates = self
            .whatsapp_settings()?
            .templates
            .into_values()
            .map(|t| TemplateOption {
                name: t.name,
                language: t.language,
                body: t.body,
                params: t.params,
            })
            .collect();
        Ok(Thread {
            conversation: self.conversation_row(id)?,
            messages,
            templates,
        })
    }

    /// Writes one outbound message into a conversation, queued for the
    /// server's sender. Answering settles what needed the front desk.
    fn queue(&mut self, id: Uuid, op: &str, message: Message) -> Result<MessageView, Error> {
        let key = message.id.clone();
        self.write(op, |w| {
            let doc = w.load(id, "conversation")?;
            let attention: Option<Attention> =
                autosurgeon::hydrate_prop(&doc, automerge::ROOT, "attention")
                    .map_err(schema_err(id))?;
            w.edit(id, DocClass::Conversation, doc, |doc, by, t| {
                documents::change(doc, by, t, |tx| {
                    documents::put_entry(tx, "messages", &key, &message)?;
                    if attention.is_some() {
                        autosurgeon::reconcile_prop(
                            tx,
                            automerge::ROOT,
                            "attention",
                            None::<Attention>,
                        )?;
                    }
                    Ok(())
                })
                .map_err(reconcile_err(id))
            })?;
            Ok(())
        })?;
        let thread = self.conversation(&id.to_string())?;
        thread
            .messages
            .into_iter()
            .find(|m| m.id == key)
            .ok_or_else(|| Error::NotFound {
                what: "message",
                id: key,
            })
    }

    fn outbound(&self, kind: &str, text: String, template: Option<TemplateRef>) -> Message {
        let author = self.me.user_id.to_string();
        let id = Uuid::now_v7().to_string();
        Message {
            template,
            ..Message::queued(&id, kind, Some(text), &author, now())
        }
    }

    /// Queues a free-form reply; refused outside the 24-hour window.
    pub fn inbox_reply(&mut self, key: &str, text: &str) -> Result<MessageView, Error> {
        let (id, doc) = self.conversation_doc(key)?;
        let last_inbound = inbox::summarize(&doc, 0).last_inbound_at;
        let text = inbox::check_reply(text, last_inbound, now())?;
        let message = self.outbound("text", text, None);
        self.queue(id, "inbox.reply", message)
    }

    /// Queues one of the clinic's approved templates (allowed at any time).
    pub fn inbox_send_template(
        &mut self,
        key: &str,
        name: &str,
        language: &str,
        params: &[String],
    ) -> Result<MessageView, Error> {
        let (id, _) = self.conversation_doc(key)?;
        let settings = self.whatsapp_settings()?;
        let params: Vec<String> = params.iter().map(|p| p.trim().to_string()).collect();
        let template = inbox::check_template(&settings, name, language, &params)?;
        let text = template.render(&params);
        let reference = TemplateRef {
            name: template.name.clone(),
            language: template.language.clone(),
            params,
        };
        let message = self.outbound("template", text, Some(reference));
        self.queue(id, "inbox.template", message)
    }

    /// Marks every inbound message so far as read at the clinic.
    pub fn inbox_mark_read(&mut self, key: &str) -> Result<(), Error> {
        let (id, doc) = self.conversation_doc(key)?;
        let Some(last) = inbox::summarize(&doc, 0).last_inbound_at else {
            return Ok(());
        };
        if doc.read_at.is_some_and(|r| r >= last) {
            return Ok(());
        }
        self.write("inbox.read", |w| {
            let d = w.load(id, "conversation")?;
            w.edit(id, DocClass::Conversation, d, |d, by, t| {
                documents::commit_field(d, "read_at", &Some(last), by, t).map_err(reconcile_err(id))
            })?;
            Ok(())
        })
    }

    /// Takes the conversation to answer it (`take`), from whoever had it,
    /// or gives it back to everyone. Taking what one already has, or
    /// releasing what nobody has, changes nothing.
    pub fn inbox_assign(&mut self, key: &str, take: bool) -> Result<ConversationRow, Error> {
        let (id, doc) = self.conversation_doc(key)?;
        let me = self.me.user_id.to_string();
        let mine = doc.assignee.as_ref().is_some_and(|a| a.user_id == me);
        let changes = if take { !mine } else { doc.assignee.is_some() };
        if changes {
            let name = self.user_email(&me);
            self.write(if take { "inbox.take" } else { "inbox.release" }, |w| {
                let d = w.load(id, "conversation")?;
                w.edit(id, DocClass::Conversation, d, |d, by, t| {
                    let assignee = take.then(|| Assignee {
                        user_id: me.clone(),
                        name: name.clone(),
                        at: t,
                    });
                    documents::change(d, by, t, |tx| {
                        documents::set_assignee(tx, assignee.as_ref())
                    })
                    .map_err(reconcile_err(id))
                })?;
                Ok(())
            })?;
        }
        self.conversation_row(id)
    }

    /// Puts a label on the conversation (`on`) or takes it off. Labels
    /// are kept as typed but compared without case: "Orçamento" and
    /// "orçamento" are one. Putting one already there, or taking off one
    /// that is not, writes nothing.
    pub fn inbox_tag(&mut self, key: &str, tag: &str, on: bool) -> Result<ConversationRow, Error> {
        let (id, doc) = self.conversation_doc(key)?;
        let tag = inbox::tag(tag).map_err(|reason| Error::Invalid {
            field: "tag",
            reason,
        })?;
        let present = doc
            .tags
            .keys()
            .find(|t| t.to_lowercase() == tag.to_lowercase())
            .cloned();
        match (on, present) {
            (true, Some(_)) | (false, None) => {}
            (true, None) => {
                if doc.tags.len() >= inbox::MAX_TAGS {
                    return Err(Error::Invalid {
                        field: "tag",
                        reason: format!("at most {} labels on a conversation", inbox::MAX_TAGS),
                    });
                }
                self.write("inbox.tag", |w| {
                    let d = w.load(id, "conversation")?;
                    w.edit(id, DocClass::Conversation, d, |d, by, t| {
                        documents::commit_entry(d, "tags", &tag, &t, by, t)
                            .map_err(reconcile_err(id))
                    })?;
                    Ok(())
                })?;
            }
            (false, Some(present)) => {
                self.write("inbox.untag", |w| {
                    let d = w.load(id, "conversation")?;
                    w.edit(id, DocClass::Conversation, d, |d, by, t| {
                        documents::change(d, by, t, |tx| {
                            documents::delete_entry(tx, "tags", &present)
                        })
                        .map_err(reconcile_err(id))
                    })?;
                    Ok(())
                })?;
            }
        }
        self.conversation_row(id)
    }

    /// Every label in use on this workstation's conversations, in order:
    /// what the label box suggests.
    pub fn inbox_tags(&self) -> Result<Vec<String>, Error> {
        let lists: Vec<String> = self
            .store
            .conn()
            .prepare_cached("SELECT tags FROM conversations WHERE tags IS NOT NULL")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>())
            .map_err(store::StoreError::from)?;
        let mut all: Vec<String> = lists
            .iter()
            .filter_map(|j| serde_json::from_str::<Vec<String>>(j).ok())
            .flatten()
            .collect();
        all.sort_by_key(|t| t.to_lowercase());
        all.dedup_by_key(|t| t.to_lowercase());
        Ok(all)
    }

    /// The e-mail a user signed in with on this workstation.
    fn user_email(&self, user_id: &str) -> Option<String> {
        self.store
            .conn()
            .query_row(
                "SELECT email FROM local_users WHERE user_id = ?1",
                [user_id],
                |r| r.get(0),
            )
            .ok()
    }

    /// Links a conversation to a patient; a lead is marked converted.
    pub fn inbox_link_patient(
        &mut self,
        key: &str,
        patient: &str,
    ) -> Result<ConversationRow, Error> {
        let (id, doc) = self.conversation_doc(key)?;
        let patient_id = self.patient_id(patient)?.to_string();
        self.write("inbox.link", |w| {
            let d = w.load(id, "conversation")?;
            w.edit(id, DocClass::Conversation, d, |d, by, t| {
                documents::change(d, by, t, |tx| {
                    documents::link_patient(tx, doc.lead, &patient_id)
                })
                .map_err(reconcile_err(id))
            })?;
            Ok(())
        })?;
        self.conversation_row(id)
    }

    /// A message's file kept on this workstation (crate::media), if it is.
    pub fn kept_media(&self, reference: &str) -> Result<Option<(String, Vec<u8>)>, Error> {
        Ok(crate::media::cached(
            self.store().conn(),
            reference,
            Utc::now().timestamp(),
        )?)
    }

    /// Keeps a message's file fetched from the server; refused (and not
    /// kept) if the bytes are not the ones the reference names.
    pub fn keep_media(&self, reference: &str, mime_type: &str, bytes: &[u8]) -> Result<(), Error> {
        Ok(crate::media::keep(
            self.store().conn(),
            reference,
            mime_type,
            bytes,
            Utc::now().timestamp(),
        )?)
    }

    /// Registers the contact of a lead as a patient and links them.
    pub fn inbox_convert_lead(
        &mut self,
        key: &str,
        form: &PatientForm,
    ) -> Result<ConversationRow, Error> {
        // Found first, so a wrong id registers nobody.
        let (id, _) = self.conversation_doc(key)?;
        let patient = self.add_patient(form)?;
        self.inbox_link_patient(&id.to_string(), &patient.id)
    }
}

impl From<InboxError> for Error {
    fn from(e: InboxError) -> Self {
        Error::Inbox(e)
    }
}
