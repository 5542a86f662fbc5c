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
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
