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
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
