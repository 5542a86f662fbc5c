//! The WhatsApp inbox's commands (docs/WHATSAPP.md). Roles that may not
//! read conversations never hold one (the server does not send them);
//! those that may only read (clínico) are refused the writes here.

use arcada_core::clinic::{ConversationRow, MessageView, Thread};
use arcada_core::documents::{DocClass, ReminderSettings, WhatsappSettings};
use arcada_core::protocol::{NumberRequest, NumberRow, NumberUpdate};
use arcada_core::roles::Access;
use tauri::State;

use super::{blank_is_absent, PatientInput, Result};
use crate::desktop::Desktop;

#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_list(desktop: State<'_, Desktop>) -> Result<Vec<ConversationRow>> {
    desktop.require(DocClass::Conversation, Access::Read)?;
    desktop.with_clinic(|c| c.inbox())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_thread(desktop: State<'_, Desktop>, id: String) -> Result<Thread> {
    desktop.require(DocClass::Conversation, Access::Read)?;
    desktop.with_clinic(|c| c.conversation(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_reply(desktop: State<'_, Desktop>, id: String, text: String) -> Result<MessageView> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.write(|c| c.inbox_reply(&id, &text))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_send_template(
    desktop: State<'_, Desktop>,
    id: String,
    name: String,
    language: String,
    params: Vec<String>,
) -> Result<MessageView> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.write(|c| c.inbox_send_template(&id, &name, &language, &params))
}

/// Marking read is a write to the shared document, so a read-only role
/// (clínico) leaves the mark to the front desk.
#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_mark_read(desktop: State<'_, Desktop>, id: String) -> Result<()> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.write(|c| c.inbox_mark_read(&id))
}

/// Takes the conversation to answer it, or gives it back (`take: false`).
#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_assign(
    desktop: State<'_, Desktop>,
    id: String,
    take: bool,
) -> Result<ConversationRow> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.write(|c| c.inbox_assign(&id, take))
}

/// Puts a label on the conversation (`on`) or takes it off.
#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_tag(
    desktop: State<'_, Desktop>,
    id: String,
    tag: String,
    on: bool,
) -> Result<ConversationRow> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.write(|c| c.inbox_tag(&id, &tag, on))
}

/// The labels in use, for the label box to suggest.
#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_tags(desktop: State<'_, Desktop>) -> Result<Vec<String>> {
    desktop.require(DocClass::Conversation, Access::Read)?;
    desktop.with_clinic(|c| c.inbox_tags())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_link_patient(
    desktop: State<'_, Desktop>,
    id: String,
    patient_id: String,
) -> Result<ConversationRow> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.write(|c| c.inbox_link_patient(&id, &patient_id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_convert_lead(
    desktop: State<'_, Desktop>,
    id: String,
    form: PatientInput,
) -> Result<ConversationRow> {
    desktop.require(DocClass::Conversation, Access::Write)?;
    desktop.require(DocClass::Patient, Access::Write)?;
    let mut form = form.into();
    blank_is_absent(&mut form);
    desktop.write(|c| c.inbox_convert_lead(&id, &form))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn whatsapp_settings(desktop: State<'_, Desktop>) -> Result<WhatsappSettings> {
    desktop.require(DocClass::Directory, Access::Read)?;
    desktop.with_clinic(|c| c.whatsapp_settings())
}

/// Reminders are the clinic's settings, kept in the directory: admin and
/// gerente only.
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_reminders(
    desktop: State<'_, Desktop>,
    reminder: Option<ReminderSettings>,
) -> Result<WhatsappSettings> {
    desktop.require(DocClass::Directory, Access::Write)?;
    desktop.write(|c| c.set_reminders(reminder))
}

/// A media file as the thread shows it.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaData {
    pub mime_type: String,
    /// The bytes, base64.
    pub data: String,
}

/// A message's media (`sha256:<hex>`): kept on this workstation, or
/// fetched from the server (which must then be reachable).
#[tauri::command(async, rename_all = "snake_case")]
pub fn inbox_media(desktop: State<'_, Desktop>, blob: String) -> Result<MediaData> {
    desktop.require(DocClass::Conversation, Access::Read)?;
    let (mime_type, bytes) = desktop.media(&blob)?;
    Ok(MediaData {
        mime_type,
        data: arcada_core::protocol::encode(&bytes),
    })
}

/// The clinic's WhatsApp numbers, from the server (admin and gerente; it
/// decides): online only, as the tokens never leave it.
#[tauri::command(async, rename_all = "snake_case")]
pub fn whatsapp_numbers(desktop: State<'_, Desktop>) -> Result<Vec<NumberRow>> {
    desktop.online(|remote| remote.whatsapp_numbers())
}

/// Connects a number (admin): Meta's ids, how it shows, its access token.
#[tauri::command(async, rename_all = "snake_case")]
pub fn add_whatsapp_number(
    desktop: State<'_, Desktop>,
    number: NumberRequest,
) -> Result<NumberRow> {
    desktop.online(|remote| remote.add_whatsapp_number(&number))
}

/// A new access token (after Meta asked for one) or display form (admin).
#[tauri::command(async, rename_all = "snake_case")]
pub fn update_whatsapp_number(
    desktop: State<'_, Desktop>,
    phone_number_id: String,
    update: NumberUpdate,
) -> Result<NumberRow> {
    desktop.online(|remote| remote.update_whatsapp_number(&phone_number_id, &update))
}

/// Disconnects a number (admin); its conversations stay.
#[tauri::command(async, rename_all = "snake_case")]
pub fn remove_whatsapp_number(desktop: State<'_, Desktop>, phone_number_id: String) -> Result<()> {
    desktop.online(|remote| remote.remove_whatsapp_number(&phone_number_id))
}
