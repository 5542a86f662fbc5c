//! `arcada-wa-sim` through HTTP: the Graph API side answers with Meta's
//! shapes, codes and HTTP statuses (tokens, the 24-hour window, injected
//! faults, media); the webhook side signs like Meta, reaches the real
//! `arcada-server` and a bare receiver, and posts status callbacks in the
//! configured order.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arcada_server::cloud_api::signature::{escape_unicode, Verifier};
use arcada_tests::wa_sim::{http, Delivery, WaSim, WebhookReceiver};
use arcada_tests::ServerProcess;
use serde_json::{json, Value};

const SECRET: &str = "meta-app-secret-for-sim-tests";
const VERIFY: &str = "verify-token-for-sim-tests";
const TOKEN_KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
const NUMBER: &str = "106540352242922";
const TOKEN: &str = "EAAG-sim-access-token";
const MARIA: &str = "5511987654321";
const WAIT: Duration = Duration::from_secs(20);

fn number_flag() -> String {
    format!("{NUMBER}={TOKEN}=+1 555 078 3881")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Asserts the Graph API error shape and returns the error object.
fn graph_error(status: u16, body: &Value, want_status: u16, want_code: i64) -> Value {
    assert_eq!(status, want_status, "{body:#}");
    let e = &body["error"];
    assert_eq!(e["code"], want_code, "{body:#}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body:#}"
    );
    assert!(e["type"].is_string(), "{body:#}");
    assert!(
        e["fbtrace_id"].as_str().is_some_and(|t| t.len() >= 10),
        "{body:#}"
    );
    e.clone()
}

fn text(to: &str, body: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body},
    })
}

fn template(to: &str) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {"name": "lembrete_consulta", "language": {"code": "pt_BR"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "amanhã 15h"}]}]},
    })
}

#[test]
fn graph_sends_tokens_window_and_faults() {
    let sim = WaSim::start(&["--number", &number_flag()]).expect("start arcada-wa-sim");
    assert!(sim.health().expect("health"));

    // Nobody wrote yet: free-form text is refused with 131047, 400.
    let (status, body) = sim.send_text(NUMBER, TOKEN, MARIA, "Olá").expect("send");
    let e = graph_error(status, &body, 400, 131047);
    assert_eq!(e["message"], "(#131047) Re-engagement message");
    assert_eq!(e["type"], "OAuthException");
    assert_eq!(e["error_data"]["messaging_product"], "whatsapp");
    assert!(e["error_data"]["details"]
        .as_str()
        .is_some_and(|d| d.contains("24 hours")));

    // A template needs no window.
    let (status, body) = sim
        .send(NUMBER, Some(TOKEN), &template(MARIA))
        .expect("send");
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["contacts"], json!([{"input": MARIA, "wa_id": MARIA}]));
    let template_wamid = body["messages"][0]["id"].as_str().expect("id").to_string();
    assert!(template_wamid.starts_with("wamid."), "{template_wamid}");
    assert_eq!(body["messages"][0]["message_status"], "accepted");

    // Maria writes (no webhook configured: nothing posted, the window opens).
    let inbound = sim
        .inbound_text(NUMBER, MARIA, "Maria", "Oi")
        .expect("inbound");
    assert!(inbound.wamid.starts_with("wamid."));
    assert_eq!(inbound.webhook_status, None);
    assert!(inbound.webhook_error.is_some());
    let (status, body) = sim
        .send(
            NUMBER,
            Some(TOKEN),
            &text(&format!("+{MARIA}"), "Olá, Maria"),
        )
        .expect("send");
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(
        body["contacts"],
        json!([{"input": format!("+{MARIA}"), "wa_id": MARIA}])
    );
    let text_wamid = body["messages"][0]["id"].as_str().expect("id").to_string();
    assert_ne!(text_wamid, template_wamid);
    assert!(body["messages"][0].get("message_status").is_none());

    // The window is 24 hours from the contact's last message.
    let old = "5511900001111";
    let recent = "5511900002222";
    sim.inbound(
        &json!({"phone_number_id": NUMBER, "from": old, "text": "ontem",
                        "timestamp": now() - 25 * 3600}),
    )
    .expect("inbound");
    sim.inbound(
        &json!({"phone_number_id": NUMBER, "from": recent, "text": "hoje cedo",
                        "timestamp": now() - 23 * 3600}),
    )
    .expect("inbound");
    let (status, body) = sim.send_text(NUMBER, TOKEN, old, "oi").expect("send");
    graph_error(status, &body, 400, 131047);
    let (status, body) = sim.send_text(NUMBER, TOKEN, recent, "oi").expect("send");
    assert_eq!(status, 200, "{body:#}");

    // Tokens: wrong or missing → 401 / 190; an unknown number → 400 / 100.
    let (status, body) = sim
        .send_text(NUMBER, "not-the-token", MARIA, "oi")
        .expect("send");
    let e = graph_error(status, &body, 401, 190);
    assert_eq!(e["type"], "OAuthException");
    let (status, body) = sim.send(NUMBER, None, &text(MARIA, "oi")).expect("send");
    graph_error(status, &body, 401, 190);
    let (status, body) = sim
        .send("999000111", Some(TOKEN), &text(MARIA, "oi"))
        .expect("send");
    let e = graph_error(status, &body, 400, 100);
    assert_eq!(e["error_subcode"], 33);
    assert_eq!(e["type"], "GraphMethodException");

    // Malformed requests.
    let resp = http(
        "POST",
        &sim.graph_url(&format!("{NUMBER}/messages")),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        b"{not json",
    )
    .expect("post");
    graph_error(resp.status, &resp.json(), 400, 100);
    let (status, body) = sim
        .send(
            NUMBER,
            Some(TOKEN),
            &json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}),
        )
        .expect("send");
    let e = graph_error(status, &body, 400, 100);
    assert_eq!(e["message"], "(#100) The parameter to is required.");
    let (status, body) = sim
        .send(NUMBER, Some(TOKEN), &text("abc", "x"))
        .expect("send");
    graph_error(status, &body, 400, 131009);
    let (status, body) = sim
        .send(
            NUMBER,
            Some(TOKEN),
            &json!({"messaging_product": "whatsapp", "to": MARIA, "type": "telepathy"}),
        )
        .expect("send");
    graph_error(status, &body, 400, 100);
    let resp = http(
        "POST",
        &format!("{}/latest/{NUMBER}/messages", sim.url),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        text(MARIA, "x").to_string().as_bytes(),
    )
    .expect("post");
    assert_eq!(resp.status, 400);

    // Injected throughput limit, twice, then success.
    sim.fault(&json!({"code": 130429, "times": 2}))
        .expect("fault");
    for _ in 0..2 {
        let (status, body) = sim
            .send_text(NUMBER, TOKEN, MARIA, "de novo")
            .expect("send");
        let e = graph_error(status, &body, 400, 130429);
        assert_eq!(e["message"], "(#130429) Rate limit hit");
    }
    let (status, body) = sim
        .send_text(NUMBER, TOKEN, MARIA, "de novo")
        .expect("send");
    assert_eq!(status, 200, "{body:#}");

    // A fault for one recipient only; maintenance mode answers 500.
    sim.fault(&json!({"code": 131056, "to": format!("+{MARIA}")}))
        .expect("fault");
    let (status, _) = sim.send_text(NUMBER, TOKEN, recent, "oi").expect("send");
    assert_eq!(status, 200);
    let (status, body) = sim.send_text(NUMBER, TOKEN, MARIA, "oi").expect("send");
    graph_error(status, &body, 400, 131056);
    sim.fault(&json!({"code": 131057})).expect("fault");
    let (status, body) = sim.send_text(NUMBER, TOKEN, MARIA, "oi").expect("send");
    graph_error(status, &body, 500, 131057);

    // A slow send; cleared faults.
    sim.fault(&json!({"delay_ms": 600})).expect("fault");
    let t = Instant::now();
    let (status, _) = sim
        .send_text(NUMBER, TOKEN, MARIA, "devagar")
        .expect("send");
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(600));
    sim.fault(&json!({"code": 131000, "times": 5}))
        .expect("fault");
    sim.clear_faults().expect("clear");
    let (status, _) = sim.send_text(NUMBER, TOKEN, MARIA, "oi").expect("send");
    assert_eq!(status, 200);

    // Every request recorded, in order.
    let sent = sim.sent().expect("sent");
    let codes: Vec<Option<i64>> = sent.iter().map(|s| s.error_code).collect();
    assert_eq!(
        codes,
        [
            Some(131047),
            None,
            None,
            Some(131047),
            None,
            Some(190),
            Some(190),
            Some(100),
            Some(100),
            Some(100),
            Some(131009),
            Some(100),
            Some(130429),
            Some(130429),
            None,
            None,
            Some(131056),
            Some(131057),
            None,
            None
        ]
    );
    assert_eq!(sent[0].wamid, None);
    assert_eq!(sent[0].http_status, 400);
    assert_eq!(sent[1].wamid.as_deref(), Some(template_wamid.as_str()));
    assert_eq!(sent[1].kind.as_deref(), Some("template"));
    assert_eq!(sent[1].body["template"]["name"], "lembrete_consulta");
    assert_eq!(sent[2].wamid.as_deref(), Some(text_wamid.as_str()));
    assert_eq!(sent[2].to, format!("+{MARIA}"));
    assert!(sent
        .iter()
        .all(|s| s.phone_number_id == NUMBER || s.phone_number_id == "999000111"));
    assert!(sent.iter().all(|s| (now() - s.at).abs() < 120));

    // Bad control requests: 400 with a JSON error, and the sim lives on.
    for (path, body) in [
        ("/_sim/faults", json!({"times": 1})),
        ("/_sim/faults", json!({"code": "soon"})),
        ("/_sim/faults", json!({"code": 131000, "times": 0})),
        ("/_sim/config", json!({"statuses": "sideways"})),
        (
            "/_sim/inbound",
            json!({"phone_number_id": NUMBER, "from": MARIA}),
        ),
        (
            "/_sim/inbound",
            json!({"phone_number_id": NUMBER, "from": "maria", "text": "x"}),
        ),
        ("/_sim/raw", json!({"body": {}, "sign": "maybe"})),
        (
            "/_sim/numbers",
            json!({"phone_number_id": "", "token": "x"}),
        ),
    ] {
        let (status, answer) = sim.control_raw("POST", path, Some(&body)).expect("control");
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(answer["error"].is_string(), "{path}: {answer}");
    }
    let resp = http(
        "POST",
        &format!("{}/_sim/inbound", sim.url),
        &[],
        b"\xff\xfe",
    )
    .expect("post");
    assert_eq!(resp.status, 400);
    assert!(sim.health().expect("health"));
}

#[test]
fn media_upload_metadata_and_download() {
    let sim = WaSim::start(&["--number", &number_flag()]).expect("start arcada-wa-sim");
    let auth = format!("Bearer {TOKEN}");
    // SHA-256 of "hello world" (a published test vector).
    let id = sim
        .upload_media(b"hello world", "application/pdf", Some("receita.pdf"))
        .expect("upload");
    let resp = http("GET", &sim.graph_url(&id), &[("Authorization", &auth)], b"").expect("get");
    assert_eq!(resp.status, 200);
    let meta = resp.json();
    assert_eq!(meta["messaging_product"], "whatsapp");
    assert_eq!(meta["id"], id.as_str());
    assert_eq!(meta["mime_type"], "application/pdf");
    assert_eq!(meta["file_size"], 11);
    assert_eq!(
        meta["sha256"],
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    );
    let url = meta["url"].as_str().expect("url");
    assert_eq!(url, format!("{}/_media/{id}", sim.url));
    let bytes = http("GET", url, &[("Authorization", &auth)], b"").expect("download");
    assert_eq!(bytes.status, 200);
    assert_eq!(bytes.body, b"hello world");
    assert_eq!(bytes.header("content-type"), Some("application/pdf"));
    // Without (or with a wrong) token: 401.
    assert_eq!(http("GET", url, &[], b"").expect("download").status, 401);
    let resp = http("GET", url, &[("Authorization", "Bearer nope")], b"").expect("download");
    graph_error(resp.status, &resp.json(), 401, 190);
    let resp = http("GET", &sim.graph_url(&id), &[], b"").expect("get");
    graph_error(resp.status, &resp.json(), 401, 190);
    // Unknown media: Graph's "object does not exist".
    let resp = http(
        "GET",
        &sim.graph_url("1234567890123456"),
        &[("Authorization", &auth)],
        b"",
    )
    .expect("get");
    let e = graph_error(resp.status, &resp.json(), 400, 100);
    assert_eq!(e["error_subcode"], 33);

    // A larger binary blob comes back byte for byte.
    let blob: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let id2 = sim.upload_media(&blob, "image/jpeg", None).expect("upload");
    assert_ne!(id, id2);
    let meta = http(
        "GET",
        &sim.graph_url(&id2),
        &[("Authorization", &auth)],
        b"",
    )
    .expect("get")
    .json();
    assert_eq!(meta["file_size"], blob.len());
    assert_eq!(meta["sha256"].as_str().map(str::len), Some(64));
    let down = http(
        "GET",
        meta["url"].as_str().expect("url"),
        &[("Authorization", &auth)],
        b"",
    )
    .expect("download");
    assert_eq!(down.body, blob);

    // An inbound image names the uploaded media with its type and hash.
    sim.inbound(
        &json!({"phone_number_id": NUMBER, "from": MARIA, "name": "Maria",
                        "image": {"media_id": id2, "caption": "meu raio-x"}}),
    )
    .expect("inbound");
    let hooks = sim.webhooks().expect("webhooks");
    let m =
        &hooks.last().expect("a webhook")["body"]["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(m["type"], "image");
    assert_eq!(m["image"]["id"], id2.as_str());
    assert_eq!(m["image"]["mime_type"], "image/jpeg");
    assert_eq!(m["image"]["sha256"], meta["sha256"]);
    assert_eq!(m["image"]["caption"], "meu raio-x");

    // Deleted media is gone.
    let resp = http(
        "DELETE",
        &sim.graph_url(&id),
        &[("Authorization", &auth)],
        b"",
    )
    .expect("delete");
    assert_eq!(resp.json(), json!({"success": true}));
    let resp = http("GET", &sim.graph_url(&id), &[("Authorization", &auth)], b"").expect("get");
    assert_eq!(resp.status, 400);
}

/// `arcada-server` with a data directory, an organisation and the number.
struct Server {
    args: Vec<String>,
    org: String,
    process: ServerProcess,
    _tmp: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let args = vec![
            "--data".to_string(),
            tmp.path().join("server").display().to_string(),
            "--wa-token-key".to_string(),
            TOKEN_KEY.to_string(),
        ];
        let org = arcada_tests::admin(
            &args,
            &[
                "create-org",
                "--name",
                "Sorriso",
                "--admin-email",
                "admin@sorriso.com.br",
            ],
            "correct horse battery",
        )
        .expect("create-org");
        arcada_tests::admin(
            &args,
            &[
                "wa-add-number",
                "--org",
                &org,
                "--phone-number-id",
                NUMBER,
                "--display-number",
                "+1 555 078 3881",
                "--waba-id",
                "102290129340398",
            ],
            TOKEN,
        )
        .expect("wa-add-number");
        let process = ServerProcess::start(
            &args,
            &[],
            &[
                ("ARCADA_WA_APP_SECRET", SECRET),
                ("ARCADA_WA_VERIFY_TOKEN", VERIFY),
            ],
        )
        .expect("start arcada-server");
        Server {
            args,
            org,
            process,
            _tmp: tmp,
        }
    }

    fn report(&self) -> Value {
        let out = arcada_tests::admin(&self.args, &["wa-report", "--org", &self.org], "")
            .expect("wa-report");
        serde_json::from_str(&out).expect("report JSON")
    }

    /// Waits until `done` holds for the report; the report.
    fn wait(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let t = Instant::now();
        loop {
            let report = self.report();
            if done(&report) {
                return report;
            }
            assert!(t.elapsed() < WAIT, "{what}: {report:#}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn has(report: &Value, list: &str, wamid: &str, field: &str, value: &str) -> bool {
    report[list]
        .as_array()
        .is_some_and(|l| l.iter().any(|m| m["wamid"] == wamid && m[field] == value))
}

#[test]
fn inbound_reaches_the_real_server_signed_and_statuses_follow_sends() {
    let server = Server::start();
    let webhook = format!("{}/webhooks/whatsapp", server.process.url);
    let sim = WaSim::start(&[
        "--app-secret",
        SECRET,
        "--webhook-url",
        &webhook,
        "--number",
        &number_flag(),
    ])
    .expect("start arcada-wa-sim");

    let oi = sim
        .inbound_text(NUMBER, MARIA, "Maria", "Oi")
        .expect("inbound");
    assert_eq!(oi.webhook_status, Some(200), "{oi:?}");
    // Non-ASCII, signed over Meta's escaped form; delivered three times.
    let ola = sim
        .inbound(
            &json!({"phone_number_id": NUMBER, "from": MARIA, "name": "Maria",
                         "text": "Olá! Posso às 15h? 😬", "duplicates": 2}),
        )
        .expect("inbound");
    assert_eq!(ola.webhook_status, Some(200), "{ola:?}");
    let report = server.wait("both messages stored", |r| {
        has(r, "messages", &oi.wamid, "kind", "text")
            && has(r, "messages", &ola.wamid, "kind", "text")
    });
    let mine: Vec<&Value> = report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["wamid"] == oi.wamid.as_str() || m["wamid"] == ola.wamid.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{report:#}");
    assert!(mine
        .iter()
        .all(|m| m["from_wa_id"] == MARIA && m["contact_name"] == "Maria"));

    // Badly signed or unsigned deliveries are refused; a good one is taken.
    let status = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
            "statuses": [{"id": "wamid.raw.1", "status": "delivered", "timestamp": "1751142888",
                          "recipient_id": MARIA}]
        }}]}]
    });
    assert_eq!(sim.raw(&status, json!("wrong")).expect("raw"), Some(401));
    assert_eq!(sim.raw(&status, json!(false)).expect("raw"), Some(401));
    assert_eq!(sim.raw(&status, json!(true)).expect("raw"), Some(200));

    // A reply inside the window; its callbacks, even reversed, end at read.
    sim.config(&json!({"statuses": "reversed", "read": true}))
        .expect("config");
    let (code, body) = sim
        .send_text(NUMBER, TOKEN, MARIA, "Pode sim!")
        .expect("send");
    assert_eq!(code, 200, "{body:#}");
    let wamid = body["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    let report = server.wait("the reply's statuses", |r| {
        has(r, "statuses", &wamid, "status", "read")
            && has(r, "statuses", "wamid.raw.1", "status", "delivered")
    });
    assert_eq!(
        report["deliveries"]["failed"].as_i64().unwrap_or(0),
        0,
        "{report:#}"
    );
    let hooks = sim
        .wait_webhooks(WAIT, |h| {
            h.iter().filter(|w| w["kind"] == "status").count() >= 3
        })
        .expect("webhooks");
    let statuses: Vec<&Value> = hooks.iter().filter(|w| w["kind"] == "status").collect();
    assert!(statuses.iter().all(|w| w["status"] == 200), "{hooks:#?}");
}

/// The deliveries' signatures, checked as the server checks them; their
/// status names.
fn statuses_of(deliveries: &[Delivery], verifier: &Verifier) -> Vec<(String, String)> {
    deliveries
        .iter()
        .map(|d| {
            assert_eq!(d.path, "/webhooks/whatsapp");
            verifier
                .verify(d.signature.as_deref().map(str::as_bytes), &d.body)
                .expect("a valid signature");
            let s = &d.json()["entry"][0]["changes"][0]["value"]["statuses"][0];
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                s["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn status_callbacks_reach_the_receiver_in_the_configured_order() {
    let receiver = WebhookReceiver::start().expect("receiver");
    let sim = WaSim::start(&[
        "--app-secret",
        SECRET,
        "--webhook-url",
        &receiver.url,
        "--number",
        &number_flag(),
    ])
    .expect("start arcada-wa-sim");
    let verifier = Verifier::new(SECRET.as_bytes());

    // The inbound message, in Meta's shape, signed over the escaped form.
    let oi = sim
        .inbound(
            &json!({"phone_number_id": NUMBER, "from": MARIA, "name": "Maria",
                         "text": "Olá", "context_id": "wamid.previous"}),
        )
        .expect("inbound");
    assert_eq!(oi.webhook_status, Some(200));
    let d = receiver.wait_for(1, WAIT);
    assert_eq!(d.len(), 1);
    let body = d[0].json();
    assert_eq!(body["object"], "whatsapp_business_account");
    assert_eq!(body["entry"][0]["id"], "102290129340398");
    let change = &body["entry"][0]["changes"][0];
    assert_eq!(change["field"], "messages");
    let value = &change["value"];
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(
        value["metadata"],
        json!({"display_phone_number": "15550783881", "phone_number_id": NUMBER})
    );
    assert_eq!(
        value["contacts"],
        json!([{"profile": {"name": "Maria"}, "wa_id": MARIA}])
    );
    let m = &value["messages"][0];
    assert_eq!(m["from"], MARIA);
    assert_eq!(m["id"], oi.wamid.as_str());
    assert_eq!(m["type"], "text");
    assert_eq!(m["text"]["body"], "Olá");
    assert_eq!(
        m["context"],
        json!({"from": "15550783881", "id": "wamid.previous"})
    );
    assert!(m["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<i64>().ok())
        .is_some());
    let escaped = escape_unicode(&d[0].body).expect("utf-8");
    assert_eq!(
        d[0].signature.as_deref(),
        Some(verifier.sign(&escaped).as_str())
    );

    // In order, with read; the opaque data echoed.
    sim.config(&json!({"statuses": "in_order", "read": true}))
        .expect("config");
    let mut req = json!({"messaging_product": "whatsapp", "to": MARIA, "type": "text",
                         "text": {"body": "Confirmado"}, "biz_opaque_callback_data": "appt-42"});
    let (code, body) = sim.send(NUMBER, Some(TOKEN), &req).expect("send");
    assert_eq!(code, 200, "{body:#}");
    let w1 = body["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    let d = receiver.wait_for(4, WAIT);
    let got = statuses_of(&d[1..], &verifier);
    assert_eq!(
        got,
        ["sent", "delivered", "read"].map(|s| (w1.clone(), s.to_string()))
    );
    let sent = &d[1].json()["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(sent["recipient_id"], MARIA);
    assert_eq!(sent["biz_opaque_callback_data"], "appt-42");
    assert!(sent["conversation"]["expiration_timestamp"].is_string());
    assert_eq!(sent["pricing"]["pricing_model"], "PMP");
    let read = &d[3].json()["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert!(read.get("pricing").is_none());

    // Reversed.
    sim.config(&json!({"statuses": "reversed"}))
        .expect("config");
    req["biz_opaque_callback_data"] = Value::Null;
    let (_, body) = sim.send(NUMBER, Some(TOKEN), &req).expect("send");
    let w2 = body["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    let d = receiver.wait_for(7, WAIT);
    assert_eq!(
        statuses_of(&d[4..], &verifier),
        ["read", "delivered", "sent"].map(|s| (w2.clone(), s.to_string()))
    );

    // Duplicates: every callback twice; without read.
    sim.config(&json!({"statuses": "in_order", "read": false, "duplicates": 1}))
        .expect("config");
    let (_, body) = sim
        .send_text(NUMBER, TOKEN, MARIA, "de novo")
        .expect("send");
    let w3 = body["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    let d = receiver.wait_for(11, WAIT);
    assert_eq!(
        statuses_of(&d[7..], &verifier),
        ["sent", "sent", "delivered", "delivered"].map(|s| (w3.clone(), s.to_string()))
    );

    // An asynchronous failure: 200 now, then one `failed` with errors[].
    sim.config(&json!({"duplicates": 0})).expect("config");
    sim.fault(&json!({"code": 131026, "async": true}))
        .expect("fault");
    let (code, body) = sim.send_text(NUMBER, TOKEN, MARIA, "x").expect("send");
    assert_eq!(code, 200);
    let w4 = body["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    let d = receiver.wait_for(12, WAIT);
    assert_eq!(
        statuses_of(&d[11..], &verifier),
        [(w4, "failed".to_string())]
    );
    let failed = &d[11].json()["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(failed["errors"][0]["code"], 131026);
    assert!(failed["errors"][0]["title"].is_string());

    // No callbacks at all.
    sim.config(&json!({"statuses": "none"})).expect("config");
    let (code, _) = sim
        .send_text(NUMBER, TOKEN, MARIA, "silêncio")
        .expect("send");
    assert_eq!(code, 200);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.deliveries().len(), 12);

    // A receiver that fails is retried (after 1 s); raw signing mode.
    sim.config(&json!({"statuses": "in_order", "webhook_retries": 1, "signature": "raw"}))
        .expect("config");
    receiver.set_status(500);
    let (_, body) = sim
        .send_text(NUMBER, TOKEN, MARIA, "tentativa")
        .expect("send");
    let w5 = body["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    let d = receiver.wait_for(16, WAIT);
    assert_eq!(
        statuses_of(&d[12..], &verifier),
        ["sent", "sent", "delivered", "delivered"].map(|s| (w5.clone(), s.to_string()))
    );
    receiver.set_status(200);
    let ola = sim
        .inbound_text(NUMBER, MARIA, "Maria", "Olá de novo")
        .expect("inbound");
    assert_eq!(ola.webhook_status, Some(200));
    let d = receiver.wait_for(17, WAIT);
    assert_eq!(
        d[16].signature.as_deref(),
        Some(verifier.sign(&d[16].body).as_str())
    );

    // The CLI subcommand scripts and demos use.
    let out = std::process::Command::new(arcada_tests::binary("arcada-wa-sim").expect("binary"))
        .args([
            "inbound",
            "--sim",
            &sim.url,
            "--phone-number-id",
            NUMBER,
            "--from",
            MARIA,
            "--name",
            "Maria",
            "--button-payload",
            "CONFIRMAR",
            "--button-text",
            "Confirmar",
        ])
        .env("ARCADA_LOG", "warn")
        .output()
        .expect("arcada-wa-sim inbound");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).expect("JSON answer");
    assert_eq!(answer["webhook_status"], 200);
    let d = receiver.wait_for(18, WAIT);
    let m = &d[17].json()["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(m["type"], "button");
    assert_eq!(
        m["button"],
        json!({"payload": "CONFIRMAR", "text": "Confirmar"})
    );
    assert_eq!(m["id"], answer["wamid"]);
}
