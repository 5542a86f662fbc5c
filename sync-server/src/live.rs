//! Live notifications: a workstation keeps a websocket open per
//! organisation and is told when new changes exist, so it pulls at once
//! instead of polling. A session whose device or token family is revoked is
//! closed on the spot; one whose access token expires is closed too, and
//! the workstation reconnects with a refreshed token.
//!
//! Events fan out within one server process through [`Hub`]; on PostgreSQL,
//! [`crate::relay`] carries them to the other instances sharing the
//! database through LISTEN/NOTIFY.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use arcada_core::protocol::LiveMessage;
use arcada_core::roles::Role;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

pub use arcada_core::protocol::{CLOSE_EXPIRED, CLOSE_REMOVED, CLOSE_REVOKED};

/// How often an idle session is pinged, so dead peers are noticed.
const PING_EVERY: Duration = Duration::from_secs(30);

/// Serialised (tagged by `kind`) when relayed to other instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// New changes were stored for this organisation.
    Changes {
        org: Uuid,
    },
    DeviceRevoked {
        device: Uuid,
    },
    FamilyRevoked {
        family: String,
    },
    /// A member's role changed; `None`: they are no longer a member.
    RoleChanged {
        org: Uuid,
        user: Uuid,
        role: Option<Role>,
    },
    /// Events may have been missed (the relay lost its connection): every
    /// session is told to pull.
    Resync,
}

/// The fan-out of events to live sessions, and the count of open sessions
/// per device and per organisation.
#[derive(Debug)]
pub struct Hub {
    events: broadcast::Sender<Event>,
    open: Arc<Mutex<HashMap<Uuid, usize>>>,
    /// Where events published here also go, to reach other instances.
    relay: OnceLock<mpsc::UnboundedSender<Event>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            events: broadcast::channel(4096).0,
            open: Arc::default(),
            relay: OnceLock::new(),
        }
    }
}

/// A live session's place in the counts; given back when dropped.
#[derive(Debug)]
pub struct Seat {
    open: Arc<Mutex<HashMap<Uuid, usize>>>,
    keys: [Uuid; 2],
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        for key in self.keys {
            if let Some(n) = open.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&key);
                }
            }
        }
    }
}

impl Hub {
    /// Tells this instance's sessions, and the other instances' through the
    /// relay if one is attached.
    pub fn publish(&self, event: Event) {
        if let Some(relay) = self.relay.get() {
            // A relay that has stopped only costs the other instances.
            let _ = relay.send(event.clone());
        }
        self.publish_local(event);
    }

    /// Tells this instance's sessions only: for events that came from
    /// another instance.
    pub fn publish_local(&self, event: Event) {
        // No session listening is not an error.
        let _ = self.events.send(event);
    }

    /// Sends every event published from now on to `relay` as well; false if
    /// a relay is already attached.
    pub fn attach_relay(&self, relay: mpsc::UnboundedSender<Event>) -> bool {
        self.relay.set(relay).is_ok()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Takes a seat for a session of `device` in `org`, unless either already
    /// has as many as allowed.
    pub fn admit(
        &self,
        device: Uuid,
        org: Uuid,
        per_device: usize,
        per_org: usize,
    ) -> Option<Seat> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = |k: &Uuid| open.get(k).copied().unwrap_or(0);
        if count(&device) >= per_device || count(&org) >= per_org {
            return None;
        }
        for key in [device, org] {
            *open.entry(key).or_insert(0) += 1;
        }
        Some(Seat {
            open: self.open.clone(),
            keys: [device, org],
        })
    }
}

/// Who a live session belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    pub org: Uuid,
    pub user: Uuid,
    pub role: Role,
    pub device: Uuid,
    pub family: String,
    /// Unix seconds when the access token it opened with expires.
    pub expires_at: i64,
}

fn message(m: &LiveMessage) -> Message {
    Message::Text(Utf8Bytes::from(
        serde_json::to_string(m).unwrap_or_else(|_| "{}".into()),
    ))
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
}

/// Serves one live session until the peer leaves or the session ends.
pub async fn serve(
    mut socket: WebSocket,
    mut session: Session,
    mut events: broadcast::Receiver<Event>,
    _seat: Seat,
) {
    if socket
        .send(message(&LiveMessage::Hello {
            role: Some(session.role),
        }))
        .await
        .is_err()
    {
        return;
    }
    let now = chrono::Utc::now().timestamp();
    let expiry = tokio::time::sleep(Duration::from_secs(
        session.expires_at.saturating_sub(now).max(0) as u64,
    ));
    tokio::pin!(expiry);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(Event::Changes { org }) if org == session.org => {
                    if socket.send(message(&LiveMessage::Changes)).await.is_err() { return; }
                }
                Ok(Event::DeviceRevoked { device }) if device == session.device => {
                    return close(socket, CLOSE_REVOKED, "device revoked").await;
                }
                Ok(Event::FamilyRevoked { family }) if family == session.family => {
                    return close(socket, CLOSE_REVOKED, "session revoked").await;
                }
                Ok(Event::RoleChanged { org, user, role }) if org == session.org && user == session.user => {
                    let Some(role) = role else {
                        return close(socket, CLOSE_REMOVED, "membership removed").await;
                    };
                    if socket.send(message(&LiveMessage::role_change(session.role, role))).await.is_err() { return; }
                    session.role = role;
                }
                // Missed events: some may have been changes; tell the peer to pull.
                Ok(Event::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    if socket.send(message(&LiveMessage::Changes)).await.is_err() { return; }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Closed) => return close(socket, 1001, "server stopping").await,
            },
            () = &mut expiry => return close(socket, CLOSE_EXPIRED, "access token expired").await,
            _ = ping.tick() => {
                if socket.send(Message::Ping(Default::default())).await.is_err() { return; }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
