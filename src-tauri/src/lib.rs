//! `arcada-desktop`: the Tauri shell of the workstation app. Commands over
//! `arcada-core` ([`commands`]), the app's state and background sync
//! ([`desktop`]), events to the UI — no business rules.

pub mod commands;
pub mod desktop;
pub mod error;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arcada_core::sync::engine::{EngineConfig, SyncStatus};
use arcada_core::sync::session::SessionStore;
use tauri::{AppHandle, Emitter, Manager};

pub use desktop::{Desktop, Events, OpenError};

/// Event names the UI listens to.
pub const SYNC_STATUS_EVENT: &str = "sync-status";
pub const DATA_CHANGED_EVENT: &str = "data-changed";

/// How the app was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// The clinic's data directory.
    pub data: PathBuf,
    /// Where login sessions are kept (never inside the clinic's data).
    pub sessions: SessionStore,
}

/// Background events, sent to every window once the app is up (the UI
/// asks for the current sync status when it starts, so nothing is lost
/// before).
struct AppEvents(Arc<OnceLock<AppHandle>>);

impl AppEvents {
    fn emit(&self, event: &str, payload: impl serde::Serialize + Clone) {
        if let Some(app) = self.0.get() {
            if let Err(e) = app.emit(event, payload) {
                tracing::debug!(error = %e, event, "event not delivered");
            }
        }
    }
}

impl Events for AppEvents {
    fn sync_status(&self, status: &SyncStatus) {
        self.emit(SYNC_STATUS_EVENT, status);
    }

    fn data_changed(&self) {
        self.emit(DATA_CHANGED_EVENT, serde_json::json!({}));
    }
}

/// How this workstation is listed among the user's devices.
pub fn device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "estação".into());
    format!("Arcada desktop ({host})")
}

/// Runs the app until its window closes. A data directory another window
/// holds is refused before any window opens.
pub fn run(options: Options) -> anyhow::Result<()> {
    let handle = Arc::new(OnceLock::new());
    let desktop = Desktop::open(
        &options.data,
        options.sessions,
        Arc::new(AppEvents(handle.clone())),
        EngineConfig::default(),
    )?;
    tracing::info!(data = %options.data.display(), "clinic data");
    let app = tauri::Builder::default()
        .manage(desktop)
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::login,
            commands::unlock,
            commands::lock,
            commands::search_patients,
            commands::get_patient,
            commands::create_patient,
            commands::update_patient,
            commands::directory,
            commands::agenda,
            commands::book,
            commands::move_appointment,
            commands::set_appointment_status,
            commands::conflicts,
            commands::sync_status,
            commands::sync_now,
            commands::chart::get_chart,
            commands::chart::chart_add_entry,
            commands::chart::chart_set_status,
            commands::chart::chart_invalidate,
            commands::chart::chart_set_baseline,
            commands::chart::chart_save_anamnesis,
            commands::chart::chart_add_note,
            commands::chart::chart_edit_note,
            commands::chart::chart_sign_note,
            commands::chart::catalogue,
            commands::chart::save_procedure,
            commands::chart::save_legend,
            commands::inbox::inbox_list,
            commands::inbox::inbox_thread,
            commands::inbox::inbox_reply,
            commands::inbox::inbox_send_template,
            commands::inbox::inbox_mark_read,
            commands::inbox::inbox_assign,
            commands::inbox::inbox_tag,
            commands::inbox::inbox_tags,
            commands::inbox::inbox_link_patient,
            commands::inbox::inbox_convert_lead,
            commands::inbox::whatsapp_settings,
            commands::inbox::set_reminders,
            commands::inbox::inbox_media,
            commands::inbox::whatsapp_numbers,
            commands::inbox::add_whatsapp_number,
            commands::inbox::update_whatsapp_number,
            commands::inbox::remove_whatsapp_number,
        ])
        .setup(move |app| {
            let _ = handle.set(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(desktop) = handle.try_state::<Desktop>() {
                desktop.shut_down();
            }
        }
    });
    Ok(())
}
