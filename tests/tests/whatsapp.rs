//! WhatsApp Cloud API webhooks against the real `arcada-server` binary on
//! loopback, on SQLite and (when one answers) PostgreSQL: signed deliveries
//! are stored before the 200 answer, processed in the background into
//! deduplicated messages and forward-only statuses, and survive a kill -9.
//! The server, a peer of the clinics' documents, writes them into
//! conversation documents that workstations pull (linked to their patient,
//! or a lead), and sends the replies workstations queue there through the
//! Graph API (`arcada-wa-sim`) exactly once, writing the outcome back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use arcada_core::documents::{
    self, conversation_id, ConversationDoc, Direction, Message, MessageStatus, TemplateRef,
};
use arcada_core::patient::PatientForm;
use arcada_core::projection::CpfIndex;
use arcada_core::protocol;
use arcada_core::store::{self, Store};
use arcada_core::sync::{self, Remote};
use arcada_server::cloud_api::signature::{escape_unicode, Verifier};
use arcada_tests::wa_sim::WaSim;
use arcada_tests::whatsapp::{
    agent, counter, kill_9, metrics, point, with_simulator, Storage, ACCESS_TOKEN, NUMBER,
    NUMBER_B, PASSWORD, SECRET, VERIFY,
};
use arcada_tests::{on_every_backend, Backend, ServerProcess};
use serde_json::{json, Value};
use uuid::Uuid;

/// How long a test waits for something asynchronous: generous, since CI
/// runs many servers on two cores (a bound on hanging, not a speed test).
const PATIENCE: Duration = Duration::from_secs(90);

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

/// Meta's public webhook examples, copied into the repository.
fn fixtures_dir() -> PathBuf {
    std::env::var_os("ARCADA_WA_FIXTURES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/whatsapp"),
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

/// A member's workstation: an `arcada-core` store that syncs with the
/// server as the desktop does (push the outbox, pull after the cursor).
struct Member {
    remote: Remote,
    store: Store,
    cpf: CpfIndex,
    user: Uuid,
    _dir: tempfile::TempDir,
}

impl Member {
    fn log_in(url: &str, email: &str, org: Uuid) -> Member {
        let pair = sync::login(url, email, PASSWORD, "estação").expect("login");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join(store::FILE_NAME)).expect("store");
        let cpf = sync::local_cpf_index(&mut store).expect("cpf key");
        Member {
            remote: Remote::new(url, &pair.access_token, org),
            store,
            cpf,
            user: pair.user_id,
            _dir: dir,
        }
    }

    fn pull(&mut self) {
        self.remote.pull(&mut self.store, &self.cpf).expect("pull");
    }

    fn conversation(&self, id: Uuid) -> Option<ConversationDoc> {
        store::load(self.store.conn(), id)
            .expect("load")
            .map(|d| autosurgeon::hydrate(&d.doc).expect("a conversation document"))
    }

    /// Pulls until the conversation satisfies `done`.
    fn wait_for(
        &mut self,
        id: Uuid,
        what: &str,
        done: impl Fn(&ConversationDoc) -> bool,
    ) -> ConversationDoc {
        let t = Instant::now();
        loop {
            self.pull();
            let c = self.conversation(id);
            if let Some(c) = &c {
                if done(c) {
                    return c.clone();
                }
            }
            assert!(
                t.elapsed() < PATIENCE,
                "{what}: conversation {id} is {:#}",
                serde_json::to_value(&c).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Queues an outbound message in a conversation and pushes it, as the
    /// desktop's reply box does; its id.
    fn queue(
        &mut self,
        id: Uuid,
        kind: &str,
        text: Option<&str>,
        template: Option<TemplateRef>,
    ) -> String {
        let message_id = Uuid::now_v7().to_string();
        let (text, author) = (text.map(str::to_string), self.user.to_string());
        let at = chrono::Utc::now().timestamp();
        let message = Message {
            template,
            ..Message::queued(&message_id, kind, text, &author, at)
        };
        let mut doc = store::load(self.store.conn(), id)
            .expect("load")
            .expect("the conversation, pulled")
            .doc;
        doc.set_actor(automerge::ActorId::random());
        let before = doc.get_heads();
        let by = documents::Attribution {
            user: self.user.to_string(),
            device: "estação".into(),
            op: "whatsapp.reply".into(),
        };
        documents::commit_entry(&mut doc, "messages", &message.id, &message, &by, message.at)
            .expect("commit");
        let tx = self.store.transaction().expect("tx");
        tx.save_changes(id, &doc, &before, message.at * 1000)
            .expect("save");
        tx.commit().expect("commit");
        let pushed = self.remote.push(&mut self.store).expect("push");
        assert!(pushed.refused.is_empty(), "{:?}", pushed.refused);
        message.id
    }
}

/// A text message from `from` (wa_id) to `number`, as Meta posts it.
fn inbound_text(number: &str, from: &str, name: &str, wamid: &str, text: &str) -> Vec<u8> {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
            "contacts": [{"profile": {"name": name}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": "1751142000", "type": "text", "text": {"body": text}}]
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
    // Sent four times (a replay, or Meta retrying): answered 200 each
    // time, stored once, the copies counted.
    for _ in 0..4 {
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
    let mut posted = 1;
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
    assert_eq!(report["deliveries"]["replays"], 3, "{report:#}");
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
    kill_9(server);

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

/// A patient registered on a workstation; "Oi" from her phone (as WhatsApp
/// gives it, without Brazil's ninth digit) lands in a conversation linked
/// to her, an unknown phone's in a lead; another organisation's members
/// never get either, nor A's members B's.
fn inbound_messages_land_in_conversations_linked_to_patients(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let org_b = storage.org_with_number("Rival", NUMBER_B);
    let server = storage.start(false);

    // The front desk registers Maria with her mobile and pushes her.
    let maria = register(
        &server.url,
        "admin@sorriso.com.br",
        org,
        &[("Maria Souza", "(11) 98765-4321")],
    )
    .remove(0);

    let post = |body: Vec<u8>| assert_eq!(post_signed(&server.url, &body), 200);
    post(inbound_text(
        NUMBER,
        "551187654321",
        "Maria",
        "wamid.maria.1",
        "Oi",
    ));
    post(inbound_text(
        NUMBER,
        "5521912345678",
        "Desconhecido",
        "wamid.lead.1",
        "Oi, quanto custa um clareamento?",
    ));
    post(inbound_text(
        NUMBER_B,
        "5511912345678",
        "Cliente B",
        "wamid.b.1",
        "Olá",
    ));

    let mut a = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    // Keyed and addressed by the number with its ninth digit restored.
    let maria_conv = conversation_id(org, NUMBER, "5511987654321");
    let c = a.wait_for(maria_conv, "Maria's conversation", |c| {
        c.messages.contains_key("wamid.maria.1")
    });
    assert_eq!(c.patient_id.as_deref(), Some(maria.as_str()));
    assert_eq!(c.lead, None);
    assert_eq!(c.contact.wa_id.as_deref(), Some("5511987654321"));
    assert_eq!(c.contact.phone.as_deref(), Some("+5511987654321"));
    assert_eq!(c.contact.name.as_deref(), Some("Maria"));
    assert_eq!(
        (c.phone_number_id.as_str(), c.display_number.as_str()),
        (NUMBER, "+1 555 078 3881")
    );
    let m = &c.messages["wamid.maria.1"];
    assert_eq!(
        (
            m.direction,
            m.status,
            m.kind.as_str(),
            m.text.as_deref(),
            m.at
        ),
        (
            Direction::Inbound,
            MessageStatus::Received,
            "text",
            Some("Oi"),
            1751142000
        )
    );

    let lead_conv = conversation_id(org, NUMBER, "5521912345678");
    let c = a.wait_for(lead_conv, "the lead", |c| {
        c.messages.contains_key("wamid.lead.1")
    });
    assert_eq!(c.patient_id, None);
    let lead = c.lead.expect("a lead");
    assert_eq!(lead.converted_to, None);
    assert!(lead.created_at > 1_700_000_000);

    // The server's changes say who made them.
    let doc = store::load(a.store.conn(), lead_conv)
        .expect("load")
        .expect("doc")
        .doc;
    let by: Vec<documents::Attribution> = doc
        .get_changes(&[])
        .iter()
        .filter_map(|c| c.message().and_then(documents::Attribution::from_message))
        .collect();
    assert!(
        by.iter()
            .any(|a| a.user == "whatsapp" && a.op == "whatsapp.receive"),
        "{by:?}"
    );

    // Another message from Maria, and the first delivered again: one more.
    post(inbound_text(
        NUMBER,
        "551187654321",
        "Maria S.",
        "wamid.maria.2",
        "Tudo bem?",
    ));
    post(inbound_text(
        NUMBER,
        "551187654321",
        "Maria",
        "wamid.maria.1",
        "Oi",
    ));
    let c = a.wait_for(maria_conv, "Maria's second message", |c| {
        c.messages.contains_key("wamid.maria.2")
    });
    assert_eq!(c.messages.len(), 2);
    assert_eq!(c.contact.name.as_deref(), Some("Maria S."));
    assert_eq!(c.patient_id.as_deref(), Some(maria.as_str()));

    // Organisation B: its own conversation, nothing of A's; A nothing of B's.
    let mut b = Member::log_in(&server.url, "admin@rival.com.br", org_b);
    let b_conv = conversation_id(org_b, NUMBER_B, "5511912345678");
    b.wait_for(b_conv, "B's conversation", |c| {
        c.messages.contains_key("wamid.b.1")
    });
    let b_docs = store::document_ids(b.store.conn()).expect("ids");
    assert!(
        b_docs
            .iter()
            .all(|(id, _)| *id != maria_conv && *id != lead_conv),
        "A's conversations reached B: {b_docs:?}"
    );
    a.pull();
    let a_docs = store::document_ids(a.store.conn()).expect("ids");
    assert!(
        a_docs.iter().all(|(id, _)| *id != b_conv),
        "B's conversation reached A"
    );
    let m = metrics(&server.url);
    assert!(counter(&m, "arcada_wa_messages_written_total") >= 4, "{m}");
    assert!(
        counter(&m, "arcada_wa_conversations_created_total") >= 3,
        "{m}"
    );
}

/// The front desk registers patients (name, phone) on a workstation of
/// its own and pushes them; their ids.
fn register(url: &str, email: &str, org: Uuid, patients: &[(&str, &str)]) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut clinic, token) = arcada_tests::member_clinic(tmp.path(), url, email, PASSWORD, org);
    let ids = patients
        .iter()
        .map(|(name, phone)| {
            clinic
                .add_patient(&PatientForm {
                    name: Some((*name).into()),
                    phones: vec![(*phone).into()],
                    ..Default::default()
                })
                .expect("patient")
                .id
        })
        .collect();
    drop(clinic);
    let mut desk_store =
        Store::open(&tmp.path().join("data").join(store::FILE_NAME)).expect("store");
    let pushed = Remote::new(url, &token, org)
        .push(&mut desk_store)
        .expect("push");
    assert!(pushed.refused.is_empty(), "{:?}", pushed.refused);
    ids
}

/// Someone writes before being registered, and the desk registers them
/// later: the server links the lead to the new patient, as the desk
/// would. A number two patients share is left for the desk to decide.
fn a_lead_is_linked_once_a_patient_is_registered_with_its_number(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start(false);
    let post = |body: Vec<u8>| assert_eq!(post_signed(&server.url, &body), 200);
    // WhatsApp's id lacks the ninth digit; the patient's phone has it.
    post(inbound_text(
        NUMBER,
        "552191234567",
        "Ana",
        "wamid.ana.1",
        "Oi, vocês atendem aos sábados?",
    ));
    post(inbound_text(
        NUMBER,
        "5531988887777",
        "Bia",
        "wamid.bia.1",
        "Oi",
    ));
    let mut a = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    let ana_conv = conversation_id(org, NUMBER, "5521991234567");
    let bia_conv = conversation_id(org, NUMBER, "5531988887777");
    for (conv, wamid) in [(ana_conv, "wamid.ana.1"), (bia_conv, "wamid.bia.1")] {
        let c = a.wait_for(conv, "a lead", |c| c.messages.contains_key(wamid));
        assert!(c.lead.is_some() && c.patient_id.is_none(), "{c:?}");
    }

    // One push: Ana, and two patients sharing Bia's number.
    let ids = register(
        &server.url,
        "admin@sorriso.com.br",
        org,
        &[
            ("Ana Lima", "(21) 99123-4567"),
            ("Beatriz Costa", "(31) 98888-7777"),
            ("Roberto Costa", "(31) 98888-7777"),
        ],
    );
    let ana = &ids[0];
    let c = a.wait_for(ana_conv, "Ana linked", |c| c.patient_id.is_some());
    assert_eq!(c.patient_id.as_ref(), Some(ana));
    let lead = c.lead.expect("still marked as a lead");
    assert_eq!(lead.converted_to.as_ref(), Some(ana));
    let doc = store::load(a.store.conn(), ana_conv)
        .expect("load")
        .expect("doc")
        .doc;
    let by: Vec<documents::Attribution> = doc
        .get_changes(&[])
        .iter()
        .filter_map(|c| c.message().and_then(documents::Attribution::from_message))
        .collect();
    assert!(
        by.iter()
            .any(|a| a.user == "whatsapp" && a.op == "whatsapp.link"),
        "{by:?}"
    );
    // Bia's number was decided in the same pass: still a lead.
    let c = a.conversation(bia_conv).expect("Bia's conversation");
    assert!(c.patient_id.is_none() && c.lead.is_some_and(|l| l.converted_to.is_none()));
    // Counted just after the change is stored, so perhaps not yet.
    let t = Instant::now();
    let linked = loop {
        let n = counter(&metrics(&server.url), "arcada_wa_leads_linked_total");
        if n > 0 || t.elapsed() > PATIENCE {
            break n;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(linked, 1);

    // Ana writes again: her conversation stays hers, nothing is relinked.
    post(inbound_text(
        NUMBER,
        "552191234567",
        "Ana",
        "wamid.ana.2",
        "Obrigada!",
    ));
    let c = a.wait_for(ana_conv, "Ana's second message", |c| {
        c.messages.contains_key("wamid.ana.2")
    });
    assert_eq!(c.patient_id.as_ref(), Some(ana));
    assert_eq!(
        counter(&metrics(&server.url), "arcada_wa_leads_linked_total"),
        1
    );
}

/// Every public example (each message given an id of its own: they share
/// some) ends in the contact's conversation with the right kind and fields.
fn every_example_lands_in_a_conversation_document(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start(false);
    let mut expected: Vec<(String, String)> = Vec::new();
    for (name, body) in fixtures() {
        let mut v: Value = serde_json::from_slice(&body).expect("json");
        for e in v["entry"].as_array_mut().expect("entry") {
            for c in e["changes"].as_array_mut().expect("changes") {
                if let Some(messages) = c["value"]["messages"].as_array_mut() {
                    for m in messages {
                        let id = format!("{}.{name}", m["id"].as_str().expect("id"));
                        expected.push((id.clone(), m["type"].as_str().expect("type").into()));
                        m["id"] = json!(id);
                    }
                }
            }
        }
        assert_eq!(
            post_signed(&server.url, v.to_string().as_bytes()),
            200,
            "{name}"
        );
    }
    assert_eq!(expected.len(), 7, "{expected:?}");
    let mut a = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    let conv = conversation_id(org, NUMBER, "16505551234");
    let c = a.wait_for(conv, "every example", |c| {
        expected.iter().all(|(id, _)| c.messages.contains_key(id))
    });
    assert_eq!(c.messages.len(), expected.len());
    for (id, kind) in &expected {
        assert_eq!(&c.messages[id].kind, kind, "{id}");
        assert_eq!(c.messages[id].direction, Direction::Inbound);
    }
    assert_eq!(c.contact.name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(c.contact.phone.as_deref(), Some("+16505551234"));
    assert!(c.lead.is_some() && c.patient_id.is_none());
    let of = |fixture: &str| {
        c.messages
            .values()
            .find(|m| m.id.ends_with(fixture))
            .unwrap_or_else(|| panic!("{fixture}"))
    };
    assert_eq!(
        of(".meta_text.json").text.as_deref(),
        Some("Does it come in another color?")
    );
    let button = of(".meta_button_template_quick_reply.json");
    assert_eq!(
        (button.text.as_deref(), button.payload.as_deref()),
        (Some("Unsubscribe"), Some("Unsubscribe"))
    );
    assert_eq!(
        button.reply_to.as_deref(),
        Some("wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=")
    );
    let reply = of(".meta_interactive_button_reply.json");
    assert_eq!(
        (reply.text.as_deref(), reply.payload.as_deref()),
        (Some("Cancel"), Some("cancel-button"))
    );
    let list = of(".meta_interactive_list_reply.json");
    assert_eq!(
        (list.text.as_deref(), list.payload.as_deref()),
        (Some("Priority Mail Express"), Some("priority_express"))
    );
    let place = of(".meta_location.json")
        .location
        .clone()
        .expect("location");
    assert_eq!(
        (place.latitude, place.name.as_deref()),
        (37.44221496582, Some("Philz Coffee"))
    );
    assert_eq!(
        of(".meta_contacts.json").text.as_deref(),
        Some("Barbara J. Johnson: +1 (415) 555-0829")
    );
    let unsupported = of(".meta_unsupported_131051.json");
    assert_eq!(
        unsupported.error.as_ref().map(|e| e.code.as_str()),
        Some("131051")
    );
}

/// A contact writes first (the 24-hour window opens); their conversation.
fn contact_writes(sim: &WaSim, member: &mut Member, org: Uuid, from: &str) -> Uuid {
    let r = sim
        .inbound_text(NUMBER, from, "Paciente", "Oi, preciso remarcar")
        .expect("inbound");
    assert_eq!(r.webhook_status, Some(200), "{r:?}");
    let conv = conversation_id(org, NUMBER, from);
    member.wait_for(conv, "the contact's message", |c| {
        c.messages.contains_key(&r.wamid)
    });
    conv
}

/// The simulator's records of the sends of one message.
fn sends_of(sim: &WaSim, id: &str) -> Vec<arcada_tests::wa_sim::SentRecord> {
    sim.sent()
        .expect("sent")
        .into_iter()
        .filter(|s| s.body["biz_opaque_callback_data"] == id)
        .collect()
}

fn status_of(c: &ConversationDoc, id: &str) -> MessageStatus {
    c.messages[id].status
}

/// A reply queued on a workstation reaches the Graph API once, as Meta
/// expects it; its wamid and statuses come back into the document.
fn a_queued_reply_is_sent_once_and_its_statuses_come_back(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let (sim, server) = with_simulator(&storage, &[]);
    let mut desk = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    let conv = contact_writes(&sim, &mut desk, org, "5511987654321");

    let id = desk.queue(
        conv,
        "text",
        Some("Claro, Maria! Que dia fica melhor?"),
        None,
    );
    let c = desk.wait_for(conv, "the reply delivered", |c| {
        status_of(c, &id) == MessageStatus::Delivered
    });
    let sends = sends_of(&sim, &id);
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(
        sends[0].body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "5511987654321",
            "type": "text",
            "text": {"body": "Claro, Maria! Que dia fica melhor?", "preview_url": false},
            "biz_opaque_callback_data": id,
        })
    );
    let m = &c.messages[&id];
    assert_eq!(m.wamid, sends[0].wamid);
    assert!(m.wamid.is_some() && m.status_at.is_some() && m.error.is_none());
    assert_eq!(m.direction, Direction::Outbound);

    let template = desk.queue(
        conv,
        "template",
        None,
        Some(TemplateRef {
            name: "lembrete_consulta".into(),
            language: "pt_BR".into(),
            params: vec!["Maria".into(), "25/11 às 14h".into()],
        }),
    );
    desk.wait_for(conv, "the template delivered", |c| {
        status_of(c, &template) == MessageStatus::Delivered
    });
    let sends = sends_of(&sim, &template);
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(
        sends[0].body["template"],
        json!({"name": "lembrete_consulta", "language": {"code": "pt_BR"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Maria"}, {"type": "text", "text": "25/11 às 14h"}]}]})
    );

    // However long one waits and whatever syncs, nothing goes twice.
    std::thread::sleep(Duration::from_secs(3));
    desk.pull();
    assert_eq!(sends_of(&sim, &id).len(), 1);
    assert_eq!(sends_of(&sim, &template).len(), 1);
    let m = metrics(&server.url);
    assert_eq!(counter(&m, "arcada_wa_sent_total"), 2, "{m}");
    assert_eq!(counter(&m, "arcada_wa_send_failed_total"), 0, "{m}");
}

/// 131047 → needs a template; 130429 twice → sent on the third attempt;
/// 131026 → failed after one attempt; 190 → failed and the number stopped
/// until its token is replaced.
fn graph_api_errors_end_where_they_should(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let (sim, server) = with_simulator(&storage, &[]);
    let mut desk = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    let (window, limited, undeliverable, token) = (
        "5511911110001",
        "5511911110002",
        "5511911110003",
        "5511911110004",
    );
    let convs: Vec<Uuid> = [window, limited, undeliverable, token]
        .iter()
        .map(|c| contact_writes(&sim, &mut desk, org, c))
        .collect();
    sim.fault(&json!({"code": 131047, "to": window}))
        .expect("fault");
    sim.fault(&json!({"code": 130429, "times": 2, "to": limited}))
        .expect("fault");
    sim.fault(&json!({"code": 131026, "to": undeliverable}))
        .expect("fault");
    let a = desk.queue(convs[0], "text", Some("Podemos confirmar?"), None);
    let b = desk.queue(convs[1], "text", Some("Sua consulta é amanhã"), None);
    let c = desk.queue(convs[2], "text", Some("Olá"), None);

    let doc = desk.wait_for(convs[0], "131047", |d| {
        status_of(d, &a) == MessageStatus::NeedsTemplate
    });
    assert_eq!(
        doc.messages[&a].error.as_ref().map(|e| e.code.as_str()),
        Some("131047")
    );
    let doc = desk.wait_for(convs[2], "131026", |d| {
        status_of(d, &c) == MessageStatus::Failed
    });
    assert_eq!(
        doc.messages[&c].error.as_ref().map(|e| e.code.as_str()),
        Some("131026")
    );
    let doc = desk.wait_for(convs[1], "130429 twice", |d| {
        status_of(d, &b) == MessageStatus::Delivered
    });
    assert_eq!(doc.messages[&b].error, None);
    assert_eq!(sends_of(&sim, &a).len(), 1);
    assert_eq!(sends_of(&sim, &c).len(), 1);
    let tries = sends_of(&sim, &b);
    assert_eq!(
        tries.iter().map(|s| s.error_code).collect::<Vec<_>>(),
        [Some(130429), Some(130429), None]
    );
    let report = storage.report(Some(org));
    let row = |id: &str| {
        report["outbound"]
            .as_array()
            .expect("outbound")
            .iter()
            .find(|o| o["message_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}: {report:#}"))
    };
    assert_eq!(
        (row(&b)["state"].clone(), row(&b)["attempts"].clone()),
        (json!("sent"), json!(3))
    );
    assert_eq!(
        (row(&c)["state"].clone(), row(&c)["attempts"].clone()),
        (json!("failed"), json!(1))
    );
    assert_eq!(row(&a)["state"], "needs_template");

    // Meta refuses the token: failed, and the number stops.
    sim.fault(&json!({"code": 190, "to": token}))
        .expect("fault");
    let d = desk.queue(convs[3], "text", Some("Olá"), None);
    let doc = desk.wait_for(convs[3], "190", |x| {
        status_of(x, &d) == MessageStatus::Failed
    });
    assert_eq!(
        doc.messages[&d].error.as_ref().map(|e| e.code.as_str()),
        Some("190")
    );
    // The clinic's admin sees it from a workstation (the desktop's client).
    let admin = Remote::new(
        &server.url,
        &sync::login(&server.url, "admin@sorriso.com.br", PASSWORD, "settings")
            .expect("login")
            .access_token,
        org,
    );
    let listed = admin.whatsapp_numbers().expect("numbers");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].needs_reauth_at.is_some(), "{listed:?}");
    assert!(
        listed[0]
            .needs_reauth_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("190")),
        "{listed:?}"
    );
    let waiting = desk.queue(convs[1], "text", Some("Ainda está aí?"), None);
    std::thread::sleep(Duration::from_secs(4));
    desk.pull();
    assert_eq!(
        desk.conversation(convs[1]).map(|x| status_of(&x, &waiting)),
        Some(MessageStatus::Queued)
    );
    assert!(sends_of(&sim, &waiting).is_empty());
    // A new token, given from the workstation: the number sends again.
    let renewed = admin
        .update_whatsapp_number(
            NUMBER,
            &protocol::NumberUpdate {
                access_token: Some(ACCESS_TOKEN.into()),
                ..Default::default()
            },
        )
        .expect("new token");
    assert_eq!(
        (renewed.needs_reauth_at, renewed.needs_reauth_reason),
        (None, None)
    );
    let numbers: Value = serde_json::from_str(&storage.admin(&["wa-numbers"], "")).expect("JSON");
    assert_eq!(numbers["numbers"][0]["needs_reauth_at"], Value::Null);
    desk.wait_for(convs[1], "sent after the new token", |x| {
        status_of(x, &waiting) == MessageStatus::Delivered
    });
    assert_eq!(sends_of(&sim, &waiting).len(), 1);
    let m = metrics(&server.url);
    assert_eq!(counter(&m, "arcada_wa_send_retried_total"), 2, "{m}");
    assert_eq!(counter(&m, "arcada_wa_send_failed_total"), 3, "{m}");
    assert_eq!(counter(&m, "arcada_wa_sent_total"), 2, "{m}");

    // The organisation's only number removed (from the workstation): a
    // reply fails, clearly.
    admin.remove_whatsapp_number(NUMBER).expect("removed");
    assert_eq!(admin.whatsapp_numbers().expect("numbers"), Vec::new());
    let orphan = desk.queue(convs[1], "text", Some("Alô?"), None);
    let doc = desk.wait_for(convs[1], "number removed", |x| {
        status_of(x, &orphan) == MessageStatus::Failed
    });
    assert_eq!(
        doc.messages[&orphan]
            .error
            .as_ref()
            .map(|e| e.code.as_str()),
        Some("number_removed")
    );
    assert!(sends_of(&sim, &orphan).is_empty());
}

/// The server dies (kill -9) while the Graph API holds a send: after the
/// restart the message is never sent again — in doubt, or sent when a
/// status webhook carrying its id proved it went.
fn a_send_interrupted_by_kill_9_is_never_repeated(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let env = [("ARCADA_WA_SEND_TIMEOUT", "6")];
    let (sim, server) = with_simulator(&storage, &env);
    let graph = format!("{}/{}", sim.url, arcada_tests::wa_sim::GRAPH_VERSION);
    let mut desk = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    let contact = "5511987654321";
    let conv = contact_writes(&sim, &mut desk, org, contact);
    let mut server = Some(server);
    for proof in [false, true] {
        let statuses = if proof { "in_order" } else { "none" };
        sim.config(&json!({"statuses": statuses})).expect("config");
        sim.fault(&json!({"delay_ms": 4000, "to": contact}))
            .expect("fault");
        let id = desk.queue(conv, "text", Some("Confirmado para amanhã"), None);
        let t = Instant::now();
        while sends_of(&sim, &id).is_empty() {
            assert!(
                t.elapsed() < PATIENCE,
                "the send never reached the simulator"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_9(server.take().expect("server"));
        let restarted = storage.start_with(&[
            ("ARCADA_WA_GRAPH_URL", graph.as_str()),
            ("ARCADA_WA_SEND_TIMEOUT", "6"),
        ]);
        point(&sim, &restarted);
        if proof {
            // Meta processed the request although its client died, and
            // reports it with the message id echoed. (The simulator drops a
            // send's callbacks when its client disconnects mid-delay, so
            // the test posts Meta's webhook itself.)
            let wamid = sends_of(&sim, &id)[0].wamid.clone().expect("wamid");
            let body = json!({
                "object": "whatsapp_business_account",
                "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
                    "statuses": [{"id": wamid, "status": "sent", "timestamp": "1751142888",
                                  "recipient_id": contact, "biz_opaque_callback_data": id}]
                }}]}]
            });
            assert_eq!(
                post_signed(&restarted.url, body.to_string().as_bytes()),
                200
            );
        }
        desk = Member::log_in(&restarted.url, "admin@sorriso.com.br", org);
        let doc = desk.wait_for(conv, "the interrupted send resolved", |c| {
            !matches!(
                status_of(c, &id),
                MessageStatus::Queued | MessageStatus::Sending
            )
        });
        let m = &doc.messages[&id];
        if proof {
            assert!(
                matches!(m.status, MessageStatus::Sent | MessageStatus::Delivered),
                "{m:?}"
            );
            assert_eq!(m.wamid, sends_of(&sim, &id)[0].wamid);
        } else {
            assert_eq!(m.status, MessageStatus::InDoubt, "{m:?}");
            assert_eq!(m.error.as_ref().map(|e| e.code.as_str()), Some("in_doubt"));
        }
        // Well past the lease: still one send.
        std::thread::sleep(Duration::from_secs(3));
        assert_eq!(sends_of(&sim, &id).len(), 1, "sent twice");
        let report = storage.report(Some(org));
        let row = report["outbound"]
            .as_array()
            .expect("outbound")
            .iter()
            .find(|o| o["message_id"] == id)
            .cloned()
            .expect("row");
        assert_eq!(row["attempts"], 1, "{row:#}");
        server = Some(restarted);
    }
}

/// Messages stored but not yet written into their documents when the
/// server is killed are written after the restart; items that came for a
/// number nobody had are written once the number is added.
fn kill_9_between_storing_and_writing_loses_nothing(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let server = storage.start_with(&[("ARCADA_WA_WRITER_PAUSED", "true")]);
    for i in 0..20 {
        let body = inbound_text(
            NUMBER,
            "5511987654321",
            "Maria",
            &format!("wamid.crash.{i}"),
            &format!("mensagem {i}"),
        );
        assert_eq!(post_signed(&server.url, &body), 200);
    }
    let stray = inbound_text(
        "777000111",
        "5511900000000",
        "Alguém",
        "wamid.stray.1",
        "Oi",
    );
    assert_eq!(post_signed(&server.url, &stray), 200);
    let report = storage.settled(Some(org), 21);
    assert_eq!(report["messages"].as_array().map(Vec::len), Some(20));
    let mut a = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    a.pull();
    let conv = conversation_id(org, NUMBER, "5511987654321");
    assert!(a.conversation(conv).is_none(), "written while paused");
    kill_9(server);

    let org_arg = org.to_string();
    storage.admin(
        &[
            "wa-add-number",
            "--org",
            &org_arg,
            "--phone-number-id",
            "777000111",
            "--display-number",
            "+55 11 3000-0000",
            "--waba-id",
            "102290129340398",
        ],
        "another-token",
    );
    let server = storage.start(false);
    let mut a = Member::log_in(&server.url, "admin@sorriso.com.br", org);
    let c = a.wait_for(conv, "every stored message", |c| c.messages.len() == 20);
    for i in 0..20 {
        assert_eq!(
            c.messages[&format!("wamid.crash.{i}")].text,
            Some(format!("mensagem {i}"))
        );
    }
    let stray_conv = conversation_id(org, "777000111", "5511900000000");
    let s = a.wait_for(stray_conv, "the re-routed message", |c| {
        c.messages.contains_key("wamid.stray.1")
    });
    assert_eq!(s.display_number, "+55 11 3000-0000");
    let numbers: Value = serde_json::from_str(&storage.admin(&["wa-numbers"], "")).expect("JSON");
    assert_eq!(numbers["unrouted"], json!([]));
}

/// An admin claims a number that is not theirs — with a junk token, with
/// the token of their own number — and is refused: the messages that
/// arrived for it stay unrouted. With a token that Meta's Graph API
/// accepts for that very number, it is bound and they move to the clinic.
fn a_number_is_bound_only_with_a_token_that_proves_it(backend: &Backend) {
    const STRAY: &str = "777000111";
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let (sim, server) = with_simulator(&storage, &[]);
    sim.add_number(STRAY, "EAAG-the-stray-owners-token", "+55 11 4000-0000")
        .expect("sim number");
    let stray = inbound_text(STRAY, "5511900000000", "Alguém", "wamid.stray.1", "Oi");
    assert_eq!(post_signed(&server.url, &stray), 200);
    storage.settled(None, 1);
    let unrouted = || pairs(&storage.report(None), "messages", "kind");
    assert_eq!(
        unrouted(),
        [("wamid.stray.1".to_string(), "text".to_string())]
    );

    let admin = sync::login(&server.url, "admin@sorriso.com.br", PASSWORD, "claim")
        .expect("login")
        .access_token;
    let claim = |token: &str| {
        Remote::new(&server.url, &admin, org).add_whatsapp_number(&protocol::NumberRequest {
            phone_number_id: STRAY.into(),
            display_phone_number: "+55 11 4000-0000".into(),
            waba_id: "102290129340398".into(),
            access_token: token.into(),
        })
    };
    for (token, code) in [
        ("junk", "token_refused"),
        (ACCESS_TOKEN, "number_not_owned"),
    ] {
        match claim(token) {
            Err(sync::SyncError::Refused { status, error }) => {
                assert_eq!((status, error.code.as_str()), (400, code), "{token}");
            }
            other => panic!("claimed with {token:?}: {other:?}"),
        }
        assert_eq!(unrouted().len(), 1, "nothing moved on {token:?}");
    }
    // The Graph API down: nothing is bound either.
    drop(sim);
    match claim("EAAG-the-stray-owners-token") {
        Err(sync::SyncError::Refused { status, error }) => {
            assert_eq!((status, error.code.as_str()), (502, "graph_unavailable"));
        }
        other => panic!("bound without asking Meta: {other:?}"),
    }
    let numbers: Value =
        serde_json::from_str(&storage.admin(&["wa-numbers"], "")).expect("numbers JSON");
    assert_eq!(numbers["numbers"].as_array().map(Vec::len), Some(1));
    drop(server);

    let (sim, server) = with_simulator(&storage, &[]);
    sim.add_number(STRAY, "EAAG-the-stray-owners-token", "+55 11 4000-0000")
        .expect("sim number");
    let admin = sync::login(&server.url, "admin@sorriso.com.br", PASSWORD, "claim")
        .expect("login")
        .access_token;
    let bound = Remote::new(&server.url, &admin, org)
        .add_whatsapp_number(&protocol::NumberRequest {
            phone_number_id: STRAY.into(),
            display_phone_number: "+55 11 4000-0000".into(),
            waba_id: "102290129340398".into(),
            access_token: "EAAG-the-stray-owners-token".into(),
        })
        .expect("bound with the number's own token");
    assert_eq!(bound.org_id, org);
    assert!(unrouted().is_empty());
    assert!(pairs(&storage.report(Some(org)), "messages", "kind")
        .contains(&("wamid.stray.1".to_string(), "text".to_string())));
}

/// `/api/v1/orgs/{org}/whatsapp/numbers` from the outside: admins add,
/// list, re-authorise and remove their organisation's numbers; tokens never
/// come back; the front desk and other organisations' admins get nothing,
/// not even whether a number exists.
fn numbers_are_administered_over_http_by_admins_only(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let other = storage.org_with_number("Outra", NUMBER_B);
    storage.add_user(org, "recepcao@sorriso.com.br", "recepcao");
    // Meta's side: each number answers to its own token.
    let (sim, server) = with_simulator(&storage, &[]);
    sim.add_number(
        "106540352240001",
        "EAAG-second-number-token",
        "+55 11 3333-0001",
    )
    .expect("sim number");
    let token = |email: &str| {
        sync::login(&server.url, email, PASSWORD, "numbers")
            .expect("login")
            .access_token
    };
    let (admin, desk, outsider) = (
        token("admin@sorriso.com.br"),
        token("recepcao@sorriso.com.br"),
        token("admin@outra.com.br"),
    );
    let agent = agent();
    let call =
        |method: &str, path: &str, bearer: Option<&str>, body: Option<Value>| -> (u16, Value) {
            let uri = format!("{}/api/v1/orgs/{path}", server.url);
            let mut request = ureq::http::Request::builder().method(method).uri(&uri);
            if let Some(b) = bearer {
                request = request.header("Authorization", format!("Bearer {b}"));
            }
            let request = request
                .header("Content-Type", "application/json")
                .body(body.map(|b| b.to_string()).unwrap_or_default())
                .expect("request");
            let mut response = agent.run(request).expect("answer");
            let text = response.body_mut().read_to_string().unwrap_or_default();
            (
                response.status().as_u16(),
                serde_json::from_str(&text).unwrap_or(Value::Null),
            )
        };
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n["phone_number_id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mine = format!("{org}/whatsapp/numbers");
    let theirs = format!("{other}/whatsapp/numbers");
    const NEW: &str = "106540352240001";

    let (status, listed) = call("GET", &mine, Some(&admin), None);
    assert_eq!((status, ids(&listed)), (200, vec![NUMBER.to_string()]));
    assert!(!listed.to_string().contains("EAAG"), "{listed}");

    let new = json!({"phone_number_id": NEW, "display_phone_number": "+55 11 3333-0001",
        "waba_id": "102290129340398", "access_token": "EAAG-second-number-token"});
    let (status, added) = call("POST", &mine, Some(&admin), Some(new.clone()));
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["phone_number_id"], NEW);
    assert!(
        !added.to_string().contains("EAAG"),
        "the token never comes back: {added}"
    );

    // Refused, and nothing changes: a taken number (another organisation's),
    // bad fields, unknown fields, the front desk, no token, another
    // organisation's admin.
    let taken = json!({"phone_number_id": NUMBER_B, "display_phone_number": "+55 11 3333-0002",
        "waba_id": "1", "access_token": "EAAG-hijack"});
    let (status, error) = call("POST", &mine, Some(&admin), Some(taken));
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("token_refused")),
        "a token is proved before anything is said about the number"
    );
    let bad = json!({"phone_number_id": "12ab", "display_phone_number": "x", "waba_id": "1", "access_token": "t"});
    let (status, error) = call("POST", &mine, Some(&admin), Some(bad));
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("phone_number_id"),
        "{error}"
    );
    let mut extra = new.clone();
    extra["org_id"] = json!(other.to_string());
    assert_eq!(call("POST", &mine, Some(&admin), Some(extra)).0, 400);
    assert_eq!(call("GET", &mine, Some(&desk), None).0, 403);
    assert_eq!(call("POST", &mine, Some(&desk), Some(new.clone())).0, 403);
    assert_eq!(
        call("DELETE", &format!("{mine}/{NUMBER}"), Some(&desk), None).0,
        403
    );
    assert_eq!(call("GET", &mine, None, None).0, 401);
    assert_eq!(call("GET", &mine, Some(&outsider), None).0, 404);
    assert_eq!(
        call("DELETE", &format!("{mine}/{NUMBER}"), Some(&outsider), None).0,
        404
    );
    // Through its own organisation's path, another organisation's number
    // is no different from none.
    assert_eq!(
        call("DELETE", &format!("{mine}/{NUMBER_B}"), Some(&admin), None).0,
        404
    );
    let (status, error) = call(
        "PUT",
        &format!("{mine}/{NUMBER_B}"),
        Some(&admin),
        Some(json!({"access_token": "EAAG-x"})),
    );
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(
        call("DELETE", &format!("{mine}/999"), Some(&admin), None).0,
        404
    );
    let (status, listed) = call("GET", &theirs, Some(&outsider), None);
    assert_eq!((status, ids(&listed)), (200, vec![NUMBER_B.to_string()]));

    // Re-authorised with a new token (Meta issued it), then removed.
    sim.add_number(NEW, "EAAG-renewed", "+55 11 3333-0001")
        .expect("sim number");
    let (status, updated) = call(
        "PUT",
        &format!("{mine}/{NEW}"),
        Some(&admin),
        Some(json!({"display_phone_number": "+55 11 3333-0009", "access_token": "EAAG-renewed"})),
    );
    assert_eq!(
        (status, updated["display_phone_number"].as_str()),
        (200, Some("+55 11 3333-0009"))
    );
    assert_eq!(
        call("DELETE", &format!("{mine}/{NEW}"), Some(&admin), None).0,
        204
    );
    let (status, listed) = call("GET", &mine, Some(&admin), None);
    assert_eq!((status, ids(&listed)), (200, vec![NUMBER.to_string()]));

    // The workstation's client (the desktop's "Números do WhatsApp"):
    // the same answers, and an id that is not Meta's digits cannot reach
    // another route.
    let client = |token: &str, org: Uuid| Remote::new(&server.url, token, org);
    let refused = |r: Result<_, sync::SyncError>| match r {
        Err(sync::SyncError::Refused { status, error }) => (status, error.code),
        other => panic!("expected a refusal, got {other:?}"),
    };
    sim.add_number(NEW, "EAAG-from-the-desktop", "+55 11 3333-0001")
        .expect("sim number");
    let added = client(&admin, org)
        .add_whatsapp_number(&protocol::NumberRequest {
            phone_number_id: NEW.into(),
            display_phone_number: "+55 11 3333-0001".into(),
            waba_id: "102290129340398".into(),
            access_token: "EAAG-from-the-desktop".into(),
        })
        .expect("added from the workstation");
    assert_eq!((added.org_id, added.needs_reauth_at), (org, None));
    assert_eq!(
        refused(client(&desk, org).whatsapp_numbers().map(|_| ())),
        (403, "forbidden".to_string())
    );
    assert_eq!(
        refused(client(&outsider, org).remove_whatsapp_number(NEW)),
        (404, "not_found".to_string())
    );
    for hostile in ["../../auth/logout", "106540352240001/..", ""] {
        assert_eq!(
            refused(client(&admin, org).remove_whatsapp_number(hostile)).0,
            404,
            "{hostile:?}"
        );
    }
    let listed: Vec<String> = client(&admin, org)
        .whatsapp_numbers()
        .expect("listed")
        .into_iter()
        .map(|n| n.phone_number_id)
        .collect();
    assert_eq!(listed, [NEW, NUMBER]);
    client(&admin, org)
        .remove_whatsapp_number(NEW)
        .expect("removed");
}

/// The SHA-256 (hex) the simulator computed for a media it holds.
fn sim_sha256(sim: &WaSim, media_id: &str) -> String {
    let auth = format!("Bearer {ACCESS_TOKEN}");
    let meta = arcada_tests::wa_sim::http(
        "GET",
        &sim.graph_url(media_id),
        &[("Authorization", &auth)],
        b"",
    )
    .expect("media metadata")
    .json();
    meta["sha256"].as_str().expect("sha256").to_string()
}

/// A contact sends a picture: the server fetches it from the Graph API,
/// stores it and references it from the message; the organisation's front
/// desk gets the bytes back through the API, nobody else does. A server
/// with a small limit refuses a larger picture before downloading it.
fn inbound_media_is_fetched_stored_and_served(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let other = storage.org_with_number("Outra", NUMBER_B);
    storage.add_user(org, "recepcao@sorriso.com.br", "recepcao");
    let (sim, server) = with_simulator(&storage, &[]);
    let from = "5511987654321";
    let conv = conversation_id(org, NUMBER, from);

    // A JPEG-ish payload: SOI, APP0, then bytes.
    let mut picture = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    picture.extend((0..2_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    picture.extend([0xFF, 0xD9]);
    let media_id = sim
        .upload_media(&picture, "image/jpeg", None)
        .expect("upload");
    let sha = sim_sha256(&sim, &media_id);
    let r = sim
        .inbound(
            &json!({"phone_number_id": NUMBER, "from": from, "name": "Maria",
            "image": {"media_id": media_id, "caption": "meu raio-x", "mime_type": "image/jpeg"}}),
        )
        .expect("inbound");
    assert_eq!(r.webhook_status, Some(200), "{r:?}");

    let mut desk = Member::log_in(&server.url, "recepcao@sorriso.com.br", org);
    let settled = |wamid: String| {
        move |c: &ConversationDoc| {
            c.messages
                .get(&wamid)
                .and_then(|m| m.media.as_ref())
                .is_some_and(|m| m.blob.is_some() || m.error.is_some())
        }
    };
    let c = desk.wait_for(conv, "the picture stored", settled(r.wamid.clone()));
    let m = &c.messages[&r.wamid];
    assert_eq!(m.kind, "image");
    assert_eq!(m.text.as_deref(), Some("meu raio-x"));
    let media = m.media.clone().expect("media");
    assert_eq!(media.id, media_id);
    assert_eq!(media.blob, Some(format!("sha256:{sha}")), "{media:?}");
    assert_eq!(media.size, Some(picture.len() as u64));
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.error, None);

    let token = |email: &str| {
        sync::login(&server.url, email, PASSWORD, "media")
            .expect("login")
            .access_token
    };
    let (desk_token, outsider) = (
        token("recepcao@sorriso.com.br"),
        token("admin@outra.com.br"),
    );
    let get = |org: Uuid, hash: &str, bearer: Option<&str>| {
        let mut headers = Vec::new();
        let auth = bearer.map(|b| format!("Bearer {b}"));
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        arcada_tests::wa_sim::http(
            "GET",
            &format!("{}/api/v1/orgs/{org}/media/{hash}", server.url),
            &headers,
            b"",
        )
        .expect("media answer")
    };
    let got = get(org, &sha, Some(desk_token.as_str()));
    assert_eq!(got.status, 200);
    assert_eq!(got.body, picture);
    assert_eq!(got.header("content-type"), Some("image/jpeg"));
    assert_eq!(got.header("cache-control"), Some("private"));
    // Another organisation's admin: through either organisation's path,
    // as if there were none.
    assert_eq!(get(org, &sha, Some(outsider.as_str())).status, 404);
    assert_eq!(get(other, &sha, Some(outsider.as_str())).status, 404);
    assert_eq!(get(org, &sha, None).status, 401);
    assert_eq!(
        get(org, &"0".repeat(64), Some(desk_token.as_str())).status,
        404
    );
    // The front desk's workstation syncs: the recent picture comes with it,
    // checked against its digest and kept, so it shows with the server gone.
    let ws_dir = tempfile::tempdir().expect("tempdir");
    let ws = arcada_tests::workstation::Workstation::new(ws_dir.path());
    ws.login(&server.url, "recepcao@sorriso.com.br", PASSWORD)
        .expect("login");
    ws.ok(&["sync"]).expect("sync");
    let m = metrics(&server.url);
    assert_eq!(counter(&m, "arcada_wa_media_stored_total"), 1, "{m}");
    drop(server);
    let clinic = arcada_core::Clinic::open(&ws.data).expect("the workstation's clinic");
    let kept = clinic
        .kept_media(&format!("sha256:{sha}"))
        .expect("kept media");
    assert!(
        kept.as_ref()
            .is_some_and(|(mime, bytes)| mime == "image/jpeg" && *bytes == picture),
        "the picture, kept on the workstation: {:?}",
        kept.map(|(mime, bytes)| (mime, bytes.len()))
    );
    drop(clinic);

    // A server that stores at most 1,000 bytes: a 5,000-byte picture is
    // refused, and nothing is stored.
    let graph = format!("{}/{}", sim.url, arcada_tests::wa_sim::GRAPH_VERSION);
    let server = storage.start_with(&[
        ("ARCADA_WA_GRAPH_URL", graph.as_str()),
        ("ARCADA_WA_MEDIA_MAX_BYTES", "1000"),
    ]);
    point(&sim, &server);
    let big: Vec<u8> = (0..5_000u32)
        .map(|i| (i.wrapping_mul(40_503) >> 3) as u8)
        .collect();
    let big_id = sim.upload_media(&big, "image/jpeg", None).expect("upload");
    let big_sha = sim_sha256(&sim, &big_id);
    let r = sim
        .inbound(
            &json!({"phone_number_id": NUMBER, "from": from, "name": "Maria",
            "image": {"media_id": big_id, "mime_type": "image/jpeg"}}),
        )
        .expect("inbound");
    assert_eq!(r.webhook_status, Some(200), "{r:?}");
    let mut desk = Member::log_in(&server.url, "recepcao@sorriso.com.br", org);
    let c = desk.wait_for(conv, "the large picture refused", settled(r.wamid.clone()));
    let media = c.messages[&r.wamid].media.clone().expect("media");
    assert!(
        media
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("too_large")),
        "{media:?}"
    );
    assert_eq!(media.blob, None);
    assert_eq!(media.size, Some(5_000));
    let desk_token = sync::login(&server.url, "recepcao@sorriso.com.br", PASSWORD, "media")
        .expect("login")
        .access_token;
    let answer = arcada_tests::wa_sim::http(
        "GET",
        &format!("{}/api/v1/orgs/{org}/media/{big_sha}", server.url),
        &[("Authorization", &format!("Bearer {desk_token}"))],
        b"",
    )
    .expect("media answer");
    assert_eq!(answer.status, 404);
    let m = metrics(&server.url);
    assert_eq!(counter(&m, "arcada_wa_media_too_large_total"), 1, "{m}");
    assert_eq!(counter(&m, "arcada_wa_media_stored_total"), 0, "{m}");
    // The first picture is still there, unchanged.
    let c = desk.conversation(conv).expect("conversation");
    assert_eq!(
        c.messages
            .values()
            .filter(|m| m.media.as_ref().is_some_and(|x| x.blob.is_some()))
            .count(),
        1
    );
}

on_every_backend!(
    every_example_is_accepted_and_lands,
    bad_signatures_oversized_bodies_and_the_handshake,
    duplicates_and_out_of_order_statuses,
    a_number_is_bound_only_with_a_token_that_proves_it,
    kill_9_between_persisting_and_processing_loses_nothing,
    inbound_messages_land_in_conversations_linked_to_patients,
    every_example_lands_in_a_conversation_document,
    a_queued_reply_is_sent_once_and_its_statuses_come_back,
    graph_api_errors_end_where_they_should,
    a_send_interrupted_by_kill_9_is_never_repeated,
    kill_9_between_storing_and_writing_loses_nothing,
    numbers_are_administered_over_http_by_admins_only,
    inbound_media_is_fetched_stored_and_served,
    a_lead_is_linked_once_a_patient_is_registered_with_its_number,
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
