//! Two real `arcada-server` instances on one PostgreSQL database: live events
//! published on one reach the live sessions on the other (LISTEN/NOTIFY),
//! also after the relay's connection was cut.

use std::path::Path;
use std::time::Duration;

use arcada_core::protocol;
use arcada_core::sync::{self, Remote};
use arcada_tests::postgres::PgDatabase;
use arcada_tests::ServerProcess;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// Cuts every relay connection to `db`, as a network failure or a
/// PostgreSQL restart would; returns how many were cut.
fn cut_relays(db: &PgDatabase) -> i64 {
    db.admin()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = $2",
            &[&db.name, &arcada_server::relay::APPLICATION_NAME],
        )
        .expect("terminate")
        .get(0)
}
/// Two instances on one fresh database, an organisation with an admin and
/// a receptionist.
struct Cluster {
    one: ServerProcess,
    two: ServerProcess,
    org: Uuid,
    _tmp: tempfile::TempDir,
    // Last: dropped after both servers are stopped.
    db: PgDatabase,
}

impl Cluster {
    fn start(admin_url: &str) -> Cluster {
        let db = PgDatabase::create(admin_url);
        let tmp = tempfile::tempdir().expect("tempdir");
        let storage_args = vec!["--database-url".to_string(), db.url.clone()];
        let one = ServerProcess::start(&storage_args, &[], &[]).expect("start instance 1");
        let two = ServerProcess::start(&storage_args, &[], &[]).expect("start instance 2");
        let admin = |args: &[&str]| {
            arcada_tests::admin(&storage_args, args, PASSWORD).expect("admin command")
        };
        let org = Uuid::parse_str(&admin(&[
            "create-org",
            "--name",
            "Clínica Sorriso",
            "--admin-email",
            "admin@sorriso.com.br",
        ]))
        .expect("org id");
        admin(&[
            "add-user",
            "--org",
            &org.to_string(),
            "--email",
            "recepcao@sorriso.com.br",
            "--role",
            "recepcao",
        ]);
        Cluster {
            one,
            two,
            org,
            _tmp: tmp,
            db,
        }
    }

    /// The receptionist logs in on instance 2 and opens its live channel,
    /// which greets them.
    fn desk_on_two(&self) -> (protocol::TokenPair, LiveSocket) {
        let desk = sync::login(
            &self.two.url,
            "recepcao@sorriso.com.br",
            PASSWORD,
            "recepção",
        )
        .expect("login on instance 2");
        let mut socket = live(&self.two, &desk.access_token, self.org);
        assert_eq!(
            next_event(&mut socket),
            Ok(r#"{"type":"hello","role":"recepcao"}"#.to_string())
        );
        (desk, socket)
    }

    /// The admin registers `patients` new patients on a workstation of
    /// their own and pushes them through instance 1.
    fn push_through_one(&self, dir: &Path, patients: usize) {
        let mut store = arcada_tests::clinic_with_patients(
            dir,
            &self.one.url,
            "admin@sorriso.com.br",
            PASSWORD,
            self.org,
            patients,
        );
        let pair = sync::login(
            &self.one.url,
            "admin@sorriso.com.br",
            PASSWORD,
            "estação do admin",
        )
        .expect("login on instance 1");
        let report = Remote::new(&self.one.url, &pair.access_token, self.org)
            .push(&mut store)
            .expect("push");
        assert!(report.acknowledged > 0, "nothing pushed: {report:?}");
    }
}

type LiveSocket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// Opens the live channel of `org` on `server` with an access token.
fn live(server: &ServerProcess, token: &str, org: Uuid) -> LiveSocket {
    use tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/sync/v1/{org}/live",
        server.url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (socket, _) = tungstenite::connect(request).expect("live handshake");
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
    }
    socket
}

/// What the live channel said next: a text message, or the close code
/// (`None` on a timeout or a broken connection).
fn next_event(socket: &mut LiveSocket) -> Result<String, Option<u16>> {
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Text(t)) => return Ok(t.as_str().to_string()),
            Ok(tungstenite::Message::Close(frame)) => return Err(frame.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(_) => return Err(None),
        }
    }
}

/// Nothing arrives on the live channel for a while.
fn assert_quiet(socket: &mut LiveSocket) {
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
    }
    match socket.read() {
        Err(tungstenite::Error::Io(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("expected silence on the live channel, got {other:?}"),
    }
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
    }
}

/// Changes pushed and a device revoked through instance 1 reach a live
/// session held by instance 2.
#[test]
fn events_on_one_instance_reach_live_sessions_on_another() {
    let Some(admin_url) = arcada_tests::postgres::admin_url() else {
        return;
    };
    let cluster = Cluster::start(&admin_url);
    let (desk, mut socket) = cluster.desk_on_two();
    assert_quiet(&mut socket);

    let tmp = tempfile::tempdir().expect("tempdir");
    cluster.push_through_one(&tmp.path().join("admin"), 1);
    assert_eq!(
        next_event(&mut socket),
        Ok(r#"{"type":"changes"}"#.to_string()),
        "instance 2 heard of the changes stored through instance 1"
    );

    // The admin revokes the desk's device through instance 1.
    let admin = sync::login(
        &cluster.one.url,
        "admin@sorriso.com.br",
        PASSWORD,
        "estação do admin",
    )
    .expect("login on instance 1");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let status = agent
        .post(&format!(
            "{}/api/v1/devices/{}/revoke",
            cluster.one.url, desk.device_id
        ))
        .header("Authorization", &format!("Bearer {}", admin.access_token))
        .send_empty()
        .expect("revoke")
        .status();
    assert_eq!(status.as_u16(), 204);
    assert_eq!(
        next_event(&mut socket),
        Err(Some(protocol::CLOSE_REVOKED)),
        "instance 2 hung up on the revoked device"
    );
}

/// A relay whose connection is cut reconnects, tells its sessions to pull
/// (they may have missed changes), and relays again.
#[test]
fn a_relay_that_loses_its_connection_reconnects_and_resyncs() {
    let Some(admin_url) = arcada_tests::postgres::admin_url() else {
        return;
    };
    let cluster = Cluster::start(&admin_url);
    let (_desk, mut socket) = cluster.desk_on_two();

    assert_eq!(
        cut_relays(&cluster.db),
        2,
        "one relay connection per instance"
    );
    assert_eq!(
        next_event(&mut socket),
        Ok(r#"{"type":"changes"}"#.to_string()),
        "after reconnecting, instance 2 tells its sessions to pull"
    );

    // Instance 1 may still be reconnecting: what it publishes meanwhile is
    // sent once it listens again.
    let tmp = tempfile::tempdir().expect("tempdir");
    cluster.push_through_one(&tmp.path().join("admin"), 1);
    assert_eq!(
        next_event(&mut socket),
        Ok(r#"{"type":"changes"}"#.to_string()),
        "changes stored through instance 1 are relayed again"
    );
    assert_quiet(&mut socket);
}
