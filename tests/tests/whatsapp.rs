//! WhatsApp Cloud API webhooks against the real `arcada-server` binary on
//! loopback, on SQLite and (when one answers) PostgreSQL: signed deliveries
//! are stored before the 200 answer, processed in the background into
//! deduplicated messages and forward-only statuses, and survive a kill -9.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use arcada_server::whatsapp::signature::{escape_unicode, Verifier};
use arcada_tests::postgres::PgDatabase;
use arcada_tests::ServerProcess;
use serde_json::{json, Value};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";
const SECRET: &str = "meta-app-secret-for-tests";
const VERIFY: &str = "verify-token-for-tests";
const TOKEN_KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
/// The phone_number_id of every public example.
const NUMBER: &str = "106540352242922";

#[derive(Debug, Clone)]
enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    fn postgres() -> Option<Backend> {
        arcada_tests::postgres::admin_url().map(|admin_url| Backend::Postgres { admin_url })
    }
}

/// A server's storage (it outlives server processes: restarts).
struct Storage {
    args: Vec<String>,
    _pg: Option<PgDatabase>,
    _tmp: tempfile::TempDir,
}

impl Storage {
    fn new(backend: &Backend) -> Storage {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("server");
        let mut args = vec![
            "--data".to_string(),
            data.display().to_string(),
            "--wa-token-key".to_string(),
            TOKEN_KEY.to_string(),
        ];
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres { admin_url } => {
                let db = PgDatabase::create(admin_url);
                args.extend(["--database-url".to_string(), db.url.clone()]);
                Some(db)
            }
        };
        Storage {
            args,
            _pg: pg,
            _tmp: tmp,
        }
    }

    fn admin(&self, args: &[&str], stdin: &str) -> String {
        arcada_tests::admin(&self.args, args, stdin).expect("admin command")
    }

    fn try_admin(&self, args: &[&str], stdin: &str) -> std::io::Result<String> {
        arcada_tests::admin(&self.args, args, stdin)
    }

    /// An organisation with the examples' number.
    fn org_with_number(&self, name: &str, number: &str) -> Uuid {
        let email = format!("admin@{}.com.br", name.to_lowercase());
        let org: Uuid = self
            .admin(
                &["create-org", "--name", name, "--admin-email", &email],
                PASSWORD,
            )
            .parse()
            .expect("org id");
        let org_arg = org.to_string();
        self.admin(
            &[
                "wa-add-number",
                "--org",
                &org_arg,
                "--phone-number-id",
                number,
                "--display-number",
                "+1 555 078 3881",
                "--waba-id",
                "102290129340398",
            ],
            "EAAG-secret-access-token",
        );
        org
    }

    fn start(&self, paused: bool) -> ServerProcess {
        let paused = if paused { "true" } else { "false" };
        ServerProcess::start(
            &self.args,
            &[],
            &[
                ("ARCADA_WA_APP_SECRET", SECRET),
                ("ARCADA_WA_VERIFY_TOKEN", VERIFY),
                ("ARCADA_WA_PROCESSOR_PAUSED", paused),
            ],
        )
        .expect("start arcada-server")
    }

    fn report(&self, org: Option<Uuid>) -> Value {
        let org = org.map(|o| o.to_string());
        let mut args = vec!["wa-report"];
        if let Some(org) = &org {
            args.extend(["--org", org]);
        }
        serde_json::from_str(&self.admin(&args, "")).expect("report JSON")
    }

    /// Waits until no delivery is pending; the report then.
    fn settled(&self, org: Option<Uuid>, delivered: i64) -> Value {
        let t = Instant::now();
        loop {
            let report = self.report(org);
            let d = &report["deliveries"];
            if d["pending"] == 0
                && d["done"].as_i64().unwrap_or(0) + d["failed"].as_i64().unwrap_or(0) >= delivered
            {
                return report;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "deliveries still pending: {report:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn sign(body: &[u8]) -> String {
    Verifier::new(SECRET.as_bytes()).sign(body)
}

/// POSTs a body with a signature header; the status.
fn post(url: &str, body: &[u8], signature: Option<&str>) -> u16 {
    let mut req = agent()
        .post(format!("{url}/webhooks/whatsapp"))
        .header("content-type", "application/json");
    if let Some(sig) = signature {
        req = req.header("x-hub-signature-256", sig);
    }
    match req.send(body) {
        Ok(resp) => resp.status().as_u16(),
        Err(e) => panic!("POST /webhooks/whatsapp: {e}"),
    }
}

fn post_signed(url: &str, body: &[u8]) -> u16 {
    post(url, body, Some(&sign(body)))
}

fn fixtures_dir() -> PathBuf {
    std::env::var_os("ARCADA_WA_FIXTURES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/whatsapp"),
        PathBuf::from,
    )
}

/// Every public example: (file name, raw bytes).
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory (ARCADA_WA_FIXTURES)")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().to_string(),
                std::fs::read(&p).expect("fixture"),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 11, "fixtures missing: {}", out.len());
    out
}

/// `(wamid, field)` pairs of a report's messages or statuses.
fn pairs(report: &Value, list: &str, field: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report[list]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| {
            (
                m["wamid"].as_str().unwrap_or_default().to_string(),
                m[field].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn status_update(wamid: &str, status: &str, number: &str) -> Vec<u8> {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
            "statuses": [{"id": wamid, "status": status, "timestamp": "1751142888", "recipient_id": "5511912345678"}]
        }}]}]
    })
    .to_string()
    .into_bytes()
}

/// Every public example, signed, is stored and applied; so are a batch of
/// several entries, changes and items, a username-only sender, a
/// non-ASCII body signed the way Meta signs it, and a number no
/// organisation has (stored, and listed as unrouted).
fn every_example_is_accepted_and_lands(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start(false);
    let examples = fixtures();
    for (name, body) in &examples {
        assert_eq!(post_signed(&server.url, body), 200, "{name}");
    }
    let report = storage.settled(Some(org), examples.len() as i64);
    assert_eq!(report["deliveries"]["failed"], 0, "{report:#}");
    // The examples reuse three wamids among seven messages: each is stored once.
    let mut wamids = std::collections::BTreeSet::new();
    let mut statuses = Vec::new();
    for (_, body) in &examples {
        let v: Value = serde_json::from_slice(body).expect("json");
        for e in v["entry"].as_array().expect("entry") {
            for c in e["changes"].as_array().expect("changes") {
                for m in c["value"]["messages"].as_array().into_iter().flatten() {
                    wamids.insert(m["id"].as_str().expect("id").to_string());
                }
                for s in c["value"]["statuses"].as_array().into_iter().flatten() {
                    statuses.push((
                        s["id"].as_str().expect("id").to_string(),
                        s["status"].as_str().expect("status").to_string(),
                    ));
                }
            }
        }
    }
    statuses.sort();
    let stored: std::collections::BTreeSet<String> = pairs(&report, "messages", "kind")
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    assert_eq!(stored, wamids);
    assert_eq!(pairs(&report, "statuses", "status"), statuses);
    assert!(report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .all(|m| m["org_id"] == org.to_string() && m["from_wa_id"] == "16505551234"));
    let codes: Vec<&str> = report["item_errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(codes, ["meta_130429"], "{report:#}");

    // Each example's message under a wamid of its own: every kind lands.
    let mut kinds = Vec::new();
    for (name, body) in &examples {
        let text = String::from_utf8(body.clone()).expect("utf-8");
        let unique = text.replace("\"wamid.", &format!("\"wamid.{name}."));
        let v: Value = serde_json::from_str(&unique).expect("json");
        let m = &v["entry"][0]["changes"][0]["value"]["messages"][0];
        if m.is_null() {
            continue;
        }
        assert_eq!(post_signed(&server.url, unique.as_bytes()), 200, "{name}");
        kinds.push((
            m["id"].as_str().expect("id").to_string(),
            m["type"].as_str().expect("type").to_string(),
        ));
    }
    let delivered = examples.len() + kinds.len();

    // One POST: two entries, three changes, messages and statuses mixed,
    // a username-only sender, a broken item and an unknown number.
    let batch = json!({
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "102290129340398", "changes": [
                {"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
                    "contacts": [{"profile": {"name": "João Conceição"}, "wa_id": "5511912345678"}],
                    "messages": [
                        {"from": "5511912345678", "id": "wamid.batch.1", "timestamp": "1751142000", "type": "text", "text": {"body": "Olá! Posso remarcar para às 15h? 😬"}},
                        {"from": "5511912345678", "timestamp": "1751142001", "type": "text", "text": {"body": "no id"}},
                        {"from": "5511912345678", "id": "wamid.batch.2", "timestamp": "1751142002", "type": "text", "text": {"body": "Obrigado"}}
                    ],
                    "statuses": [{"id": "wamid.out.1", "status": "delivered", "timestamp": "1751142003", "recipient_id": "5511912345678"}]
                }},
                {"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
                    "contacts": [{"profile": {"username": "ana.sorriso"}, "user_id": "BR.1234567890"}],
                    "messages": [{"from_user_id": "BR.1234567890", "id": "wamid.batch.user", "timestamp": "1751142004", "type": "text", "text": {"body": "Oi"}}]
                }}
            ]},
            {"id": "999", "changes": [
                {"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "5511999990000", "phone_number_id": "777000111"},
                    "contacts": [{"profile": {"name": "Alguém"}, "wa_id": "5511988887777"}],
                    "messages": [{"from": "5511988887777", "id": "wamid.stray.1", "timestamp": "1751142005", "type": "text", "text": {"body": "Oi"}}],
                    "statuses": [{"id": "wamid.stray.out", "status": "read", "timestamp": "1751142006", "recipient_id": "5511988887777"}]
                }}
            ]}
        ]
    })
    .to_string();
    assert!(!batch.is_ascii());
    // Signed as Meta signs it: over the escaped-unicode form.
    let escaped = escape_unicode(batch.as_bytes()).expect("utf-8");
    assert_eq!(
        post(&server.url, batch.as_bytes(), Some(&sign(&escaped))),
        200
    );
    let report = storage.settled(Some(org), delivered as i64 + 1);
    let kinds_stored = pairs(&report, "messages", "kind");
    for k in &kinds {
        assert!(kinds_stored.contains(k), "{k:?} missing: {report:#}");
    }
    let messages = report["messages"].as_array().expect("messages");
    let by_id = |w: &str| {
        messages
            .iter()
            .find(|m| m["wamid"] == w)
            .unwrap_or_else(|| panic!("{w} missing: {report:#}"))
    };
    assert_eq!(by_id("wamid.batch.1")["contact_name"], "João Conceição");
    by_id("wamid.batch.2");
    let user = by_id("wamid.batch.user");
    assert_eq!(user["from_wa_id"], Value::Null);
    assert_eq!(user["from_user_id"], "BR.1234567890");
    assert_eq!(user["contact_name"], "ana.sorriso");
    assert!(pairs(&report, "statuses", "status")
        .contains(&("wamid.out.1".to_string(), "delivered".to_string())));
    assert!(report["item_errors"]
        .as_array()
        .expect("errors")
        .iter()
        .any(
            |e| e["code"] == "invalid_item" && e["path"] == "entry[0].changes[0].value.messages[1]"
        ));
    // The stray number's items: stored without an organisation, reported.
    let stray = storage.report(None);
    assert_eq!(
        pairs(&stray, "messages", "kind"),
        [("wamid.stray.1".to_string(), "text".to_string())]
    );
    assert_eq!(
        pairs(&stray, "statuses", "status"),
        [("wamid.stray.out".to_string(), "read".to_string())]
    );
    let numbers: Value =
        serde_json::from_str(&storage.admin(&["wa-numbers"], "")).expect("numbers JSON");
    assert_eq!(
        numbers["unrouted"],
        json!([{"phone_number_id": "777000111", "messages": 1, "statuses": 1}])
    );
    assert_eq!(numbers["numbers"][0]["phone_number_id"], NUMBER);
    assert_eq!(numbers["numbers"][0]["org_id"], org.to_string());
    let listing = storage.admin(&["wa-numbers"], "");
    assert!(!listing.contains("EAAG"), "the token is listed: {listing}");
    drop(server);
}

/// Wrong or missing signatures get 401 and leave nothing; the handshake;
/// a body over 3 MB gets 413 and leaves nothing.
fn bad_signatures_oversized_bodies_and_the_handshake(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start(false);
    let (_, body) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "meta_text.json")
        .expect("meta_text.json");
    let wrong = Verifier::new(b"another app's secret").sign(&body);
    assert_eq!(post(&server.url, &body, Some(&wrong)), 401);
    assert_eq!(post(&server.url, &body, None), 401);
    assert_eq!(post(&server.url, &body, Some("sha256=nothex")), 401);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(post(&server.url, &tampered, Some(&sign(&body))), 401);

    // 3 MB + 1 byte, correctly signed: refused before anything is stored.
    let mut big = br#"{"object":"whatsapp_business_account","entry":[],"pad":""#.to_vec();
    big.resize(3 * 1024 * 1024 + 1 - 2, b'x');
    big.extend_from_slice(b"\"}");
    assert_eq!(big.len(), 3 * 1024 * 1024 + 1);
    let status = agent()
        .post(format!("{}/webhooks/whatsapp", server.url))
        .header("x-hub-signature-256", &sign(&big))
        .send(&big[..]);
    match status {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413),
        // The server may close the connection before reading it all.
        Err(ureq::Error::Io(_)) => {}
        Err(e) => panic!("oversized POST: {e}"),
    }
    // Exactly 3 MB is within the limit.
    let mut limit = br#"{"object":"whatsapp_business_account","entry":[],"pad":""#.to_vec();
    limit.resize(3 * 1024 * 1024 - 2, b'x');
    limit.extend_from_slice(b"\"}");
    assert_eq!(post_signed(&server.url, &limit), 200);

    let report = storage.settled(Some(org), 1);
    assert_eq!(report["deliveries"]["done"], 1, "{report:#}");
    assert_eq!(report["messages"], json!([]));
    assert_eq!(report["statuses"], json!([]));

    let get = |query: &str| {
        let resp = agent()
            .get(format!("{}/webhooks/whatsapp?{query}", server.url))
            .call()
            .expect("GET");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (
            status,
            ctype,
            resp.into_body().read_to_string().expect("body"),
        )
    };
    let (status, ctype, text) = get(&format!(
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY}"
    ));
    assert_eq!((status, text.as_str()), (200, "1158201444"));
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    assert_eq!(
        get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong").0,
        403
    );
    assert_eq!(
        get(&format!(
            "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={VERIFY}"
        ))
        .0,
        403
    );
    assert_eq!(get("hub.challenge=1").0, 403);
    let metrics = agent()
        .get(format!("{}/metrics", server.url))
        .call()
        .expect("metrics")
        .into_body()
        .read_to_string()
        .expect("metrics text");
    assert!(
        metrics.contains("arcada_wa_signature_failures_total 4"),
        "{metrics}"
    );
}

/// The same delivery ten times is one message; statuses arriving out of
/// order end in the right state (failed is final).
fn duplicates_and_out_of_order_statuses(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start(false);
    let (_, body) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "meta_text.json")
        .expect("meta_text.json");
    for _ in 0..10 {
        assert_eq!(post_signed(&server.url, &body), 200);
    }
    // Statuses: read before delivered before sent; failed then delivered;
    // delivered never comes for one; played after read.
    let sequences: [(&str, &[&str], &str); 5] = [
        ("wamid.out.a", &["read", "delivered", "sent"], "read"),
        (
            "wamid.out.b",
            &["sent", "failed", "delivered", "read"],
            "failed",
        ),
        ("wamid.out.c", &["delivered", "sent"], "delivered"),
        ("wamid.out.d", &["sent", "read"], "read"),
        ("wamid.out.e", &["read", "played", "delivered"], "played"),
    ];
    let mut posted = 10;
    for (wamid, order, _) in &sequences {
        for status in *order {
            assert_eq!(
                post_signed(&server.url, &status_update(wamid, status, NUMBER)),
                200
            );
            posted += 1;
        }
    }
    let report = storage.settled(Some(org), posted);
    assert_eq!(report["deliveries"]["done"], posted, "{report:#}");
    assert_eq!(report["messages"].as_array().map(Vec::len), Some(1));
    let mut expected: Vec<(String, String)> = sequences
        .iter()
        .map(|(w, _, end)| (w.to_string(), end.to_string()))
        .collect();
    expected.sort();
    assert_eq!(pairs(&report, "statuses", "status"), expected);

    // Sent one at a time, so the order of arrival is the order of processing.
    for status in ["read", "delivered", "failed", "sent"] {
        assert_eq!(
            post_signed(&server.url, &status_update("wamid.out.z", status, NUMBER)),
            200
        );
        posted += 1;
        storage.settled(Some(org), posted);
    }
    let report = storage.report(Some(org));
    assert!(pairs(&report, "statuses", "status")
        .contains(&("wamid.out.z".to_string(), "failed".to_string())));
    drop(server);
}

/// Deliveries stored but not processed when the server is killed with
/// SIGKILL are processed after a restart.
fn kill_9_between_persisting_and_processing_loses_nothing(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start(true);
    let examples = fixtures();
    for (name, body) in &examples {
        assert_eq!(post_signed(&server.url, body), 200, "{name}");
    }
    for i in 0..20 {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
                "contacts": [{"profile": {"name": "Paciente"}, "wa_id": "5511912345678"}],
                "messages": [{"from": "5511912345678", "id": format!("wamid.crash.{i}"), "timestamp": "1751142000", "type": "text", "text": {"body": format!("mensagem {i}")}}]
            }}]}]
        })
        .to_string();
        assert_eq!(post_signed(&server.url, body.as_bytes()), 200);
    }
    let delivered = examples.len() as i64 + 20;
    let before = storage.report(Some(org));
    assert_eq!(before["deliveries"]["pending"], delivered, "{before:#}");
    assert_eq!(before["messages"], json!([]));
    let killed = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .expect("kill -9");
    assert!(killed.success());
    drop(server);

    let server = storage.start(false);
    let report = storage.settled(Some(org), delivered);
    assert_eq!(report["deliveries"]["done"], delivered, "{report:#}");
    let messages = pairs(&report, "messages", "kind");
    assert_eq!(messages.len(), 3 + 20, "{report:#}");
    for i in 0..20 {
        assert!(messages.contains(&(format!("wamid.crash.{i}"), "text".to_string())));
    }
    assert_eq!(report["statuses"].as_array().map(Vec::len), Some(3));
    drop(server);
}

macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $scenario() { super::$scenario(&super::Backend::Sqlite) } )*
        }
        mod postgresql {
            $( #[test] fn $scenario() {
                if let Some(backend) = super::Backend::postgres() { super::$scenario(&backend) }
            } )*
        }
    };
}

on_every_backend!(
    every_example_is_accepted_and_lands,
    bad_signatures_oversized_bodies_and_the_handshake,
    duplicates_and_out_of_order_statuses,
    kill_9_between_persisting_and_processing_loses_nothing,
);

/// Without the app secret and verify token the webhook does not exist;
/// numbers are added, listed without their token, refused twice, removed.
#[test]
fn unconfigured_webhook_is_404_and_numbers_are_administered() {
    let storage = Storage::new(&Backend::Sqlite);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = ServerProcess::start(&storage.args, &[], &[]).expect("start");
    let (_, body) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "meta_text.json")
        .expect("meta_text.json");
    assert_eq!(post_signed(&server.url, &body), 404);
    let status = agent()
        .get(format!(
            "{}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token={VERIFY}",
            server.url
        ))
        .call()
        .expect("GET")
        .status()
        .as_u16();
    assert_eq!(status, 404);
    drop(server);
    // The access token is sealed at rest: not in the database files.
    let dir = std::path::Path::new(&storage.args[1]);
    for entry in std::fs::read_dir(dir).expect("data directory") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(!bytes
            .windows(b"EAAG-secret-access-token".len())
            .any(|w| w == b"EAAG-secret-access-token"));
    }

    let org_arg = org.to_string();
    let again = storage.try_admin(
        &[
            "wa-add-number",
            "--org",
            &org_arg,
            "--phone-number-id",
            NUMBER,
            "--display-number",
            "+1 555",
            "--waba-id",
            "1",
        ],
        "another-token",
    );
    assert!(again.is_err_and(|e| e.to_string().contains("already exists")));
    let listing = storage.admin(&["wa-numbers", "--org", &org_arg], "");
    assert!(listing.contains(NUMBER) && !listing.contains("EAAG") && !listing.contains("token"));
    assert_eq!(
        storage.admin(&["wa-remove-number", "--phone-number-id", NUMBER], ""),
        NUMBER
    );
    assert!(storage
        .try_admin(&["wa-remove-number", "--phone-number-id", NUMBER], "")
        .is_err());
    let numbers: Value = serde_json::from_str(&storage.admin(&["wa-numbers"], "")).expect("JSON");
    assert_eq!(numbers["numbers"], json!([]));
}
