//! Tauri's build step. The app's commands are listed here so that each gets
//! an `allow-<command>` permission, and `capabilities/main.json` grants the
//! window exactly those: a command not granted there cannot be invoked.

const COMMANDS: &[&str] = &[
    "session",
    "login",
    "unlock",
    "lock",
    "search_patients",
    "get_patient",
    "create_patient",
    "update_patient",
    "directory",
    "agenda",
    "book",
    "move_appointment",
    "set_appointment_status",
    "conflicts",
    "sync_status",
    "sync_now",
    "get_chart",
    "chart_add_entry",
    "chart_set_status",
    "chart_invalidate",
    "chart_set_baseline",
    "chart_save_anamnesis",
    "chart_add_note",
    "chart_edit_note",
    "chart_sign_note",
    "catalogue",
    "save_procedure",
    "save_legend",
    "inbox_list",
    "inbox_thread",
    "inbox_reply",
    "inbox_send_template",
    "inbox_mark_read",
    "inbox_assign",
    "inbox_tag",
    "inbox_tags",
    "inbox_link_patient",
    "inbox_convert_lead",
    "whatsapp_settings",
    "set_reminders",
    "inbox_media",
    "whatsapp_numbers",
    "add_whatsapp_number",
    "update_whatsapp_number",
    "remove_whatsapp_number",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
