//! `arcada-wa-sim`, the local WhatsApp Cloud API simulator, as tests use it:
//! [`WaSim`] starts the binary on an ephemeral loopback port and kills it
//! when dropped, with a small client for its control API
//! (docs/WHATSAPP.md, "arcada-wa-sim"); [`WebhookReceiver`] is a bare
//! webhook endpoint that records what Meta (or the simulator) posts.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::binary;

/// A Graph API version the simulator accepts (any `vN.M` does).
pub const GRAPH_VERSION: &str = "v21.0";

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as JSON (`null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// One HTTP request to `url`; any status is an answer, not an error.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent();
    let request = ureq::http::Request::builder().method(method).uri(url);
    let request = headers
        .iter()
        .fold(request, |r, (k, v)| r.header(*k, *v))
        .body(body.to_vec())
        .map_err(io::Error::other)?;
    let mut response = agent.run(request).map_err(io::Error::other)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(io::Error::other)?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A running `arcada-wa-sim`, killed when dropped.
#[derive(Debug)]
pub struct WaSim {
    child: Child,
    /// `http://127.0.0.1:PORT`: the Graph API base URL and the control API.
    pub url: String,
}

impl WaSim {
    /// Starts `arcada-wa-sim --listen 127.0.0.1:0 <args>` and waits for
    /// its address (its first stdout line).
    pub fn start(args: &[&str]) -> io::Result<WaSim> {
        let mut child = Command::new(binary("arcada-wa-sim")?)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("ARCADA_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = match line.trim().strip_prefix("arcada-wa-sim listening on ") {
            Some(url) => url.to_string(),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(format!(
                    "unexpected first line from arcada-wa-sim: {line:?}"
                )));
            }
        };
        Ok(WaSim { child, url })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `{url}/{GRAPH_VERSION}/{path}`
    pub fn graph_url(&self, path: &str) -> String {
        format!(
            "{}/{GRAPH_VERSION}/{}",
            self.url,
            path.trim_start_matches('/')
        )
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> io::Result<HttpResponse> {
        let bytes = body.map(Value::to_string).unwrap_or_default();
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("Content-Type", "application/json")]
        } else {
            &[]
        };
        http(
            method,
            &format!("{}{path}", self.url),
            headers,
            bytes.as_bytes(),
        )
    }

    /// A control call that must succeed; its JSON answer.
    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> io::Result<Value> {
        let resp = self.call(method, path, body)?;
        if resp.status != 200 {
            return Err(io::Error::other(format!(
                "{method} {path}: HTTP {}: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            )));
        }
        Ok(resp.json())
    }

    /// A control call whatever its status: (status, JSON).
    pub fn control_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> io::Result<(u16, Value)> {
        let resp = self.call(method, path, body)?;
        Ok((resp.status, resp.json()))
    }

    pub fn health(&self) -> io::Result<bool> {
        Ok(self.call("GET", "/_sim/health", None)?.status == 200)
    }

    /// `POST /_sim/numbers` (idempotent).
    pub fn add_number(&self, phone_number_id: &str, token: &str, display: &str) -> io::Result<()> {
        self.control(
            "POST",
            "/_sim/numbers",
            Some(&json!({
                "phone_number_id": phone_number_id,
                "token": token,
                "display_phone_number": display,
            })),
        )
        .map(drop)
    }

    /// `POST /_sim/config` (a partial update); the whole configuration.
    pub fn config(&self, patch: &Value) -> io::Result<Value> {
        self.control("POST", "/_sim/config", Some(patch))
    }

    /// `POST /_sim/faults`: one fault object (or an array).
    pub fn fault(&self, fault: &Value) -> io::Result<()> {
        self.control("POST", "/_sim/faults", Some(fault)).map(drop)
    }

    /// `DELETE /_sim/faults`
    pub fn clear_faults(&self) -> io::Result<()> {
        self.control("DELETE", "/_sim/faults", None).map(drop)
    }

    /// `GET /_sim/sent`: every send request, in arrival order.
    pub fn sent(&self) -> io::Result<Vec<SentRecord>> {
        let v = self.control("GET", "/_sim/sent", None)?;
        Ok(v.as_array()
            .map(|a| a.iter().map(SentRecord::from_json).collect())
            .unwrap_or_default())
    }

    /// `GET /_sim/webhooks`: every webhook POST attempted, in order.
    pub fn webhooks(&self) -> io::Result<Vec<Value>> {
        let v = self.control("GET", "/_sim/webhooks", None)?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// `POST /_sim/reset`
    pub fn reset(&self) -> io::Result<()> {
        self.control("POST", "/_sim/reset", None).map(drop)
    }

    /// `POST /_sim/inbound` with any request; the answer
    /// (`wamid`, `webhook_status`, `webhook_error`).
    pub fn inbound(&self, request: &Value) -> io::Result<InboundResult> {
        let v = self.control("POST", "/_sim/inbound", Some(request))?;
        Ok(InboundResult {
            wamid: v["wamid"].as_str().unwrap_or_default().to_string(),
            webhook_status: v["webhook_status"].as_u64().map(|s| s as u16),
            webhook_error: v["webhook_error"].as_str().map(str::to_string),
        })
    }

    /// A contact writes a text.
    pub fn inbound_text(
        &self,
        phone_number_id: &str,
        from: &str,
        name: &str,
        text: &str,
    ) -> io::Result<InboundResult> {
        self.inbound(&json!({
            "phone_number_id": phone_number_id,
            "from": from,
            "name": name,
            "text": text,
        }))
    }

    /// `POST /_sim/raw`: `sign` is `true`, `false` or `"wrong"`; the
    /// receiver's HTTP status.
    pub fn raw(&self, body: &Value, sign: Value) -> io::Result<Option<u16>> {
        let v = self.control(
            "POST",
            "/_sim/raw",
            Some(&json!({"body": body, "sign": sign})),
        )?;
        Ok(v["webhook_status"].as_u64().map(|s| s as u16))
    }

    /// `POST /_sim/media`; the media id.
    pub fn upload_media(
        &self,
        bytes: &[u8],
        mime: &str,
        filename: Option<&str>,
    ) -> io::Result<String> {
        let path = match filename {
            Some(f) => format!("/_sim/media?filename={f}"),
            None => "/_sim/media".to_string(),
        };
        let resp = http(
            "POST",
            &format!("{}{path}", self.url),
            &[("Content-Type", mime)],
            bytes,
        )?;
        resp.json()["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| io::Error::other(format!("upload: HTTP {}", resp.status)))
    }

    /// `POST /{version}/{phone_number_id}/messages`, as Arcada's sender
    /// does; (status, JSON).
    pub fn send(
        &self,
        phone_number_id: &str,
        token: Option<&str>,
        body: &Value,
    ) -> io::Result<(u16, Value)> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        let resp = http(
            "POST",
            &self.graph_url(&format!("{phone_number_id}/messages")),
            &headers,
            body.to_string().as_bytes(),
        )?;
        Ok((resp.status, resp.json()))
    }

    /// A free-form text message.
    pub fn send_text(
        &self,
        phone_number_id: &str,
        token: &str,
        to: &str,
        text: &str,
    ) -> io::Result<(u16, Value)> {
        self.send(
            phone_number_id,
            Some(token),
            &json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"body": text},
            }),
        )
    }

    /// Polls `GET /_sim/webhooks` until `done` holds (or the timeout).
    pub fn wait_webhooks(
        &self,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> io::Result<Vec<Value>> {
        let t = Instant::now();
        loop {
            let hooks = self.webhooks()?;
            if done(&hooks) || t.elapsed() > timeout {
                return Ok(hooks);
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WaSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One item of `GET /_sim/sent`.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRecord {
    pub wamid: Option<String>,
    pub phone_number_id: String,
    pub to: String,
    /// `type` (`text`, `template`, … or `read` for a read receipt).
    pub kind: Option<String>,
    /// The request JSON (`null` if it was not JSON).
    pub body: Value,
    pub error_code: Option<i64>,
    pub http_status: u16,
    pub at: i64,
}

impl SentRecord {
    fn from_json(v: &Value) -> SentRecord {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        SentRecord {
            wamid: s("wamid"),
            phone_number_id: s("phone_number_id").unwrap_or_default(),
            to: s("to").unwrap_or_default(),
            kind: s("type"),
            body: v["body"].clone(),
            error_code: v["error_code"].as_i64(),
            http_status: v["http_status"].as_u64().unwrap_or_default() as u16,
            at: v["at"].as_i64().unwrap_or_default(),
        }
    }
}

/// The answer of `POST /_sim/inbound`.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundResult {
    pub wamid: String,
    /// The webhook's HTTP status; `None` if nothing answered.
    pub webhook_status: Option<u16>,
    pub webhook_error: Option<String>,
}

/// One POST a [`WebhookReceiver`] took.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub path: String,
    /// `X-Hub-Signature-256`, if sent.
    pub signature: Option<String>,
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A bare HTTP endpoint on loopback that records every request and
/// answers a settable status (200 by default); stopped when dropped.
#[derive(Debug)]
pub struct WebhookReceiver {
    addr: SocketAddr,
    /// `http://127.0.0.1:PORT/webhooks/whatsapp`
    pub url: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl WebhookReceiver {
    pub fn start() -> io::Result<WebhookReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s, st) = (deliveries.clone(), status.clone(), stop.clone());
        let thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = take(conn, &d, s.load(Ordering::SeqCst));
                }
            }
        });
        Ok(WebhookReceiver {
            addr,
            url: format!("http://{addr}/webhooks/whatsapp"),
            deliveries,
            status,
            stop,
            thread: Some(thread),
        })
    }

    /// The status later requests are answered with.
    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `n` deliveries arrived (or the timeout); all of
    /// them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let t = Instant::now();
        loop {
            let d = self.deliveries();
            if d.len() >= n || t.elapsed() > timeout {
                return d;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request from `conn`, records it, answers `status`.
fn take(mut conn: TcpStream, deliveries: &Mutex<Vec<Delivery>>, status: u16) -> io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = find(&raw, b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let mut length = 0;
    let mut signature = None;
    for (k, v) in lines.filter_map(|l| l.split_once(':')) {
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().unwrap_or(0),
            "x-hub-signature-256" => signature = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let mut body = raw[head_end + 4..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(length);
    if let Ok(mut d) = deliveries.lock() {
        d.push(Delivery {
            path,
            signature,
            body,
        });
    }
    write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    conn.flush()?;
    let _ = conn.shutdown(Shutdown::Both);
    Ok(())
}
