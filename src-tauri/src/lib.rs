//! `arcada-desktop`: the Tauri shell of the workstation app. It will hold
//! only Tauri commands over `arcada-core`, the background sync task and
//! events to the UI — no business rules. Empty until the desktop app lands.
