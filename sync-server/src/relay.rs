//! Relaying live events between server instances that share one PostgreSQL
//! database, through LISTEN/NOTIFY.
//!
//! Each instance holds one dedicated connection (not from the storage pool,
//! which would hand it back and lose the LISTEN) that listens on
//! [`CHANNEL`]. Events published on the instance's [`Hub`] are sent to the
//! others with `pg_notify`, tagged with the instance's id so it ignores its
//! own; notifications from other instances are published to the local
//! sessions only.
//!
//! When the connection is lost the relay reconnects with backoff. Events
//! published meanwhile are queued and sent once it is back; notifications
//! from others are lost, so after listening again the relay tells every local
//! session to pull ([`Event::Resync`]). Revocations and role changes missed
//! that way reach a session at the latest when its access token expires and
//! it reconnects through the handshake's checks.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls, Socket};

use crate::storage::postgres::tls::Connector;
use uuid::Uuid;

use crate::live::{Event, Hub};

/// The notification channel every instance listens on.
pub const CHANNEL: &str = "arcada_events";
/// The relay connection's `application_name`, as seen in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "arcada-server relay";

/// PostgreSQL refuses payloads of 8000 bytes and more; events are far smaller.
const MAX_PAYLOAD: usize = 7900;
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How often an idle connection is checked, so a dead one is noticed.
const HEARTBEAT: Duration = Duration::from_secs(30);
/// Longest wait for connecting or for one statement.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Events kept while disconnected; beyond, the others are told to resync.
const MAX_PENDING: usize = 10_000;

/// What travels in a notification's payload.
#[derive(Debug, Serialize, Deserialize)]
struct Notice<E> {
    /// The sending instance.
    from: Uuid,
    event: E,
}

/// Starts relaying `hub`'s events through the PostgreSQL at `url`, and
/// returns once the relay listens (or its first attempt failed, after which
/// it keeps retrying in the background), so sessions opened afterwards miss
/// nothing.
pub async fn start(url: &str, tls_ca: Option<&std::path::Path>, hub: &Arc<Hub>) {
    let mut config: Config = match url.parse() {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(error = %e, "live relay: invalid database URL; live events stay within this instance");
            return;
        }
    };
    let connector = match crate::storage::postgres::tls::connector(&config, tls_ca) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "live relay: no connection to the database; live events stay within this instance");
            return;
        }
    };
    config
        .application_name(APPLICATION_NAME)
        .connect_timeout(TIMEOUT)
        .keepalives(true)
        .keepalives_idle(HEARTBEAT);
    let (outbound, events) = mpsc::unbounded_channel();
    if !hub.attach_relay(outbound) {
        tracing::warn!("live relay already attached");
        return;
    }
    let relay = Relay {
        config,
        connector,
        hub: Arc::downgrade(hub),
        events,
        instance: Uuid::now_v7(),
        pending: VecDeque::new(),
        resync_others: false,
    };
    tracing::debug!(instance = %relay.instance, channel = CHANNEL, "live relay starting");
    let (ready, first_attempt) = oneshot::channel();
    tokio::spawn(relay.run(ready));
    let _ = tokio::time::timeout(TIMEOUT + TIMEOUT, first_attempt).await;
}

#[derive(Debug)]
struct Relay {
    config: Config,
    connector: Connector,
    hub: Weak<Hub>,
    /// Events published on this instance, to send to the others.
    events: mpsc::UnboundedReceiver<Event>,
    instance: Uuid,
    /// Events not sent yet (oldest first).
    pending: VecDeque<Event>,
    /// Events were dropped from `pending`: the others must resync.
    resync_others: bool,
}

/// Why the relay left a connection.
enum Outcome {
    /// The hub is gone: the server is stopping.
    Stop,
    Lost(String),
}

/// A connection's notification payloads; `Err` or the end when it is lost.
type Notifications = mpsc::UnboundedReceiver<Result<String, String>>;

/// An error with its causes ("db error" alone says little).
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn timed<T, E: std::error::Error>(
    what: &str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(TIMEOUT, f).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(format!("{what}: {}", describe(&e))),
        Err(_) => Err(format!("{what}: timed out")),
    }
}

impl Relay {
    async fn run(mut self, ready: oneshot::Sender<()>) {
        let mut ready = Some(ready);
        let mut backoff = BACKOFF_MIN;
        // Notifications may have been missed: tell local sessions to pull.
        let mut missed = false;
        loop {
            match self.connect().await {
                Ok((client, mut notifications, driver)) => {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                    backoff = BACKOFF_MIN;
                    if missed {
                        tracing::info!(channel = CHANNEL, "live relay listening again");
                        match self.hub.upgrade() {
                            Some(hub) => hub.publish_local(Event::Resync),
                            None => return,
                        }
                    } else {
                        tracing::debug!(channel = CHANNEL, "live relay listening");
                    }
                    let outcome = self.serve(&client, &mut notifications).await;
                    driver.abort();
                    match outcome {
                        Outcome::Stop => return,
                        Outcome::Lost(reason) => {
                            tracing::warn!(%reason, retry_in = ?backoff, "live relay lost its PostgreSQL connection");
                        }
                    }
                }
                Err(reason) => {
                    tracing::warn!(%reason, retry_in = ?backoff, "live relay cannot listen on PostgreSQL");
                }
            }
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
            missed = true;
            if !self.wait(backoff).await {
                return;
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Connects and listens; the connection is driven by its own task, which
    /// forwards the notifications.
    async fn connect(&self) -> Result<(Client, Notifications, JoinHandle<()>), String> {
        match &self.connector {
            Connector::Plain => self.connect_with(NoTls).await,
            Connector::Tls(tls) => self.connect_with(tls.clone()).await,
        }
    }

    async fn connect_with<T>(
        &self,
        tls: T,
    ) -> Result<(Client, Notifications, JoinHandle<()>), String>
    where
        T: MakeTlsConnect<Socket>,
        T::Stream: Send + 'static,
    {
        let (client, mut connection) = timed("connecting", self.config.connect(tls)).await?;
        let (tx, notifications) = mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if tx.send(Ok(n.payload().to_owned())).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let _ = tx.send(Err(describe(&e)));
                        return;
                    }
                    None => return,
                }
            }
        });
        if let Err(e) = timed("LISTEN", client.batch_execute(&format!("LISTEN {CHANNEL}"))).await {
            driver.abort();
            return Err(e);
        }
        Ok((client, notifications, driver))
    }

    /// Relays both ways until the connection is lost or the hub is gone.
    async fn serve(&mut self, client: &Client, notifications: &mut Notifications) -> Outcome {
        if let Err(reason) = self.flush(client).await {
            return Outcome::Lost(reason);
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                notification = notifications.recv() => match notification {
                    Some(Ok(payload)) => {
                        if !self.receive(&payload) {
                            return Outcome::Stop;
                        }
                    }
                    Some(Err(reason)) => return Outcome::Lost(reason),
                    None => return Outcome::Lost("connection closed".into()),
                },
                event = self.events.recv() => match event {
                    Some(event) => {
                        self.queue(event);
                        if let Err(reason) = self.flush(client).await {
                            return Outcome::Lost(reason);
                        }
                    }
                    None => return Outcome::Stop,
                },
                _ = heartbeat.tick() => {
                    if let Err(reason) = timed("heartbeat", client.simple_query("SELECT 1")).await {
                        return Outcome::Lost(reason);
                    }
                }
            }
        }
    }

    /// Publishes another instance's event locally; false if the hub is gone.
    fn receive(&self, payload: &str) -> bool {
        let Some(hub) = self.hub.upgrade() else {
            return false;
        };
        match serde_json::from_str::<Notice<Event>>(payload) {
            Ok(notice) if notice.from == self.instance => {}
            Ok(notice) => hub.publish_local(notice.event),
            Err(e) => {
                tracing::warn!(error = %e, "live relay ignored a notification it cannot read");
            }
        }
        true
    }

    /// Waits `delay`, queueing the events published meanwhile; false if the
    /// hub is gone.
    async fn wait(&mut self, delay: Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return true,
                event = self.events.recv() => match event {
                    Some(event) => self.queue(event),
                    None => return false,
                },
            }
        }
    }

    fn queue(&mut self, event: Event) {
        if event == Event::Resync {
            self.resync_others = true;
            return;
        }
        let changes = matches!(event, Event::Changes { .. });
        // A resync tells every session to pull anyway.
        if (changes && self.resync_others) || self.pending.contains(&event) {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.retain(|e| !matches!(e, Event::Changes { .. }));
            self.resync_others = true;
            if changes {
                return;
            }
            if self.pending.len() >= MAX_PENDING {
                tracing::warn!("live relay dropped an event it could not send");
                self.pending.pop_front();
            }
        }
        self.pending.push_back(event);
    }

    /// Sends what is pending, oldest first; what fails stays pending.
    async fn flush(&mut self, client: &Client) -> Result<(), String> {
        if self.resync_others {
            self.notify(client, &Event::Resync).await?;
            self.resync_others = false;
        }
        while let Some(event) = self.pending.front() {
            self.notify(client, event).await?;
            self.pending.pop_front();
        }
        Ok(())
    }

    async fn notify(&self, client: &Client, event: &Event) -> Result<(), String> {
        let Some(mut payload) = self.payload(event) else {
            return Ok(());
        };
        if payload.len() > MAX_PAYLOAD {
            tracing::warn!(
                "live relay: an event is too large to notify; the others resync instead"
            );
            match self.payload(&Event::Resync) {
                Some(resync) => payload = resync,
                None => return Ok(()),
            }
        }
        timed(
            "pg_notify",
            client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]),
        )
        .await
        .map(|_| ())
    }

    fn payload(&self, event: &Event) -> Option<String> {
        let notice = Notice {
            from: self.instance,
            event,
        };
        serde_json::to_string(&notice)
            .inspect_err(|e| tracing::warn!(error = %e, "live relay cannot serialise an event"))
            .ok()
    }
}
