//! The workstation's end of the live channel: a websocket the server uses
//! to say "new changes exist" (so the workstation pulls at once instead of
//! polling), to announce role changes, and to end revoked sessions.
//!
//! Reads wait at most a short poll interval, so the engine can interleave
//! its own work (local changes to push, a stop request, heartbeats) on one
//! thread.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};
use uuid::Uuid;

use super::SyncError;
use crate::protocol::{ApiError, LiveMessage, PROTOCOL_VERSION};

/// What one wait on the live channel brought.
#[derive(Debug)]
pub enum LiveEvent {
    Message(LiveMessage),
    /// A frame that only shows the server is there (ping, pong, unknown text).
    Alive,
    /// Nothing arrived within the poll interval.
    Quiet,
    /// The server closed the channel, with its close code.
    Closed(Option<u16>),
}

#[derive(Debug)]
pub struct LiveConnection {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
}

fn transport(e: impl std::fmt::Display) -> SyncError {
    SyncError::Transport(e.to_string())
}

fn set_read_timeout(stream: &MaybeTlsStream<TcpStream>, t: Duration) -> std::io::Result<()> {
    match stream {
        MaybeTlsStream::Plain(s) => s.set_read_timeout(Some(t)),
        MaybeTlsStream::Rustls(s) => s.get_ref().set_read_timeout(Some(t)),
        _ => Ok(()),
    }
}

impl LiveConnection {
    /// Opens the live channel of `org`. `timeout` bounds the connection and
    /// the handshake; afterwards reads wait at most `poll`.
    pub fn connect(
        server: &str,
        org: Uuid,
        token: &str,
        timeout: Duration,
        poll: Duration,
    ) -> Result<LiveConnection, SyncError> {
        let base = server.trim_end_matches('/');
        let ws_base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(SyncError::Protocol(format!(
                "server address must start with http:// or https://: {base}"
            )));
        };
        let url = format!("{ws_base}/sync/v{PROTOCOL_VERSION}/{org}/live");
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| SyncError::Protocol(format!("{url}: {e}")))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        request.headers_mut().insert("Authorization", bearer);
        let uri = request.uri();
        let host = uri
            .host()
            .ok_or_else(|| SyncError::Protocol(format!("no host in {url}")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri
            .port_u16()
            .unwrap_or(if ws_base.starts_with("wss") { 443 } else { 80 });
        let addr = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(transport)?
            .next()
            .ok_or_else(|| SyncError::Transport(format!("cannot resolve {host}")))?;
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(transport)?;
        stream.set_read_timeout(Some(timeout)).map_err(transport)?;
        stream.set_write_timeout(Some(timeout)).map_err(transport)?;
        stream.set_nodelay(true).map_err(transport)?;
        let (ws, _) = match tungstenite::client_tls_with_config(request, stream, None, None) {
            Ok(done) => done,
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                let error = response
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice::<crate::protocol::ErrorBody>(b).ok())
                    .map(|b| b.error)
                    .unwrap_or_else(|| ApiError {
                        code: "http".into(),
                        message: format!("live channel refused with HTTP {status}"),
                    });
                return Err(SyncError::Refused { status, error });
            }
            Err(e) => return Err(transport(e)),
        };
        set_read_timeout(ws.get_ref(), poll).map_err(transport)?;
        Ok(LiveConnection { ws })
    }

    /// Waits for the next frame, at most the poll interval.
    pub fn wait(&mut self) -> Result<LiveEvent, SyncError> {
        match self.ws.read() {
            Ok(Message::Text(text)) => Ok(match serde_json::from_str::<LiveMessage>(&text) {
                Ok(message) => LiveEvent::Message(message),
                Err(e) => {
                    // A newer server may say more; an unknown message is
                    // not an error, the channel is alive.
                    tracing::debug!(%e, text = %text.as_str(), "unknown live message");
                    LiveEvent::Alive
                }
            }),
            Ok(Message::Close(frame)) => Ok(LiveEvent::Closed(frame.map(|f| u16::from(f.code)))),
            Ok(_) => Ok(LiveEvent::Alive),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(LiveEvent::Quiet)
            }
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(LiveEvent::Closed(None))
            }
            Err(e) => Err(transport(e)),
        }
    }

    /// Asks the server for a sign of life (it answers with a pong).
    pub fn ping(&mut self) -> Result<(), SyncError> {
        match self.ws.send(Message::Ping(Default::default())) {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(transport(e)),
        }
    }

    /// Says goodbye; errors do not matter any more.
    pub fn close(mut self) {
        let _ = self.ws.close(Some(tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }));
        let _ = self.ws.flush();
    }
}
