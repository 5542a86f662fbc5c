//! `arcada-wa-sim`: a local stand-in for Meta's WhatsApp Cloud API (the
//! Graph API side Arcada's sender and media downloader call) and for Meta's
//! webhook sender, so that tests and demos run with no internet and no Meta
//! account. It answers with Meta's shapes, error codes and HTTP statuses and
//! signs its webhooks like Meta; docs/WHATSAPP.md ("arcada-wa-sim") has the
//! control API.
//!
//! ```sh
//! arcada-wa-sim --listen 127.0.0.1:0 --app-secret S \
//!     --webhook-url http://127.0.0.1:8787/webhooks/whatsapp \
//!     --number 106540352242922=TOKEN=+5511912345678
//! arcada-wa-sim inbound --sim http://127.0.0.1:PORT \
//!     --phone-number-id 106540352242922 --from 5511987654321 --name Maria --text Oi
//! ```

mod control;
mod graph;
mod state;
mod webhook;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use crate::state::{App, Rng, Sim};

/// Largest media upload (Meta's limit for documents).
const MAX_MEDIA: usize = 100 * 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    name = "arcada-wa-sim",
    version,
    about = "A local simulator of Meta's WhatsApp Cloud API and webhook sender",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a contact write to a business number (calls a running
    /// simulator's POST /_sim/inbound and prints its answer)
    Inbound(InboundArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the first stdout line says which)
    #[arg(long, env = "ARCADA_WA_SIM_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The Meta app secret webhooks are signed with
    #[arg(long, env = "ARCADA_WA_SIM_APP_SECRET", hide_env_values = true)]
    app_secret: Option<String>,
    /// Where webhooks go, e.g. http://127.0.0.1:8787/webhooks/whatsapp
    #[arg(long, env = "ARCADA_WA_SIM_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// A business number: PHONE_NUMBER_ID=TOKEN[=DISPLAY_NUMBER] (repeatable;
    /// the variable takes a comma-separated list)
    #[arg(
        long = "number",
        env = "ARCADA_WA_SIM_NUMBERS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    numbers: Vec<String>,
}

#[derive(Debug, Args)]
struct InboundArgs {
    /// The simulator's base URL
    #[arg(long, env = "ARCADA_WA_SIM_URL")]
    sim: String,
    #[arg(long)]
    phone_number_id: String,
    /// The contact's wa_id (digits)
    #[arg(long)]
    from: Option<String>,
    /// The contact's profile name
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    text: Option<String>,
    /// A template quick-reply button's payload (a `button` message)
    #[arg(long)]
    button_payload: Option<String>,
    /// The quick-reply button's text (defaults to the payload)
    #[arg(long)]
    button_text: Option<String>,
    /// The wamid being answered
    #[arg(long)]
    context_id: Option<String>,
    /// Unix time of the message (default: now)
    #[arg(long)]
    timestamp: Option<i64>,
    /// Extra copies of the delivery
    #[arg(long)]
    duplicates: Option<u32>,
    /// A username-only sender's username
    #[arg(long)]
    username: Option<String>,
    /// A username-only sender's user id
    #[arg(long)]
    user_id: Option<String>,
    /// The whole request body as JSON instead of the flags above
    #[arg(long, conflicts_with_all = ["from", "name", "text", "button_payload"])]
    json: Option<String>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARCADA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("tokio runtime")?;
    match cli.command {
        Some(Command::Inbound(args)) => runtime.block_on(inbound_command(args)),
        None => runtime.block_on(serve(cli.serve)),
    }
}

/// Parses `PNID=TOKEN[=DISPLAY]`.
fn number_flag(flag: &str) -> Result<control::NumberReq> {
    let mut parts = flag.splitn(3, '=');
    let (Some(id), Some(token)) = (parts.next(), parts.next()) else {
        bail!("--number wants PHONE_NUMBER_ID=TOKEN[=DISPLAY_NUMBER], got {flag:?}");
    };
    Ok(control::NumberReq {
        phone_number_id: id.to_string(),
        token: token.to_string(),
        display_phone_number: parts.next().map(str::to_string),
        waba_id: None,
    })
}

async fn serve(args: ServeArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let base_url = format!("http://{addr}");
    let http = http_client()
        .timeout(Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let app = App {
        sim: Arc::new(Mutex::new(Sim::default())),
        http,
        rng: Rng::default(),
        base_url: base_url.clone(),
    };
    {
        let mut sim = app.lock();
        sim.config.app_secret = args.app_secret.filter(|s| !s.is_empty());
        sim.config.webhook_url = args.webhook_url.filter(|s| !s.is_empty());
    }
    for flag in args.numbers.iter().filter(|f| !f.trim().is_empty()) {
        control::register(&app, number_flag(flag)?).map_err(anyhow::Error::msg)?;
    }
    let router = router(app);
    // The first line on stdout: how tests and scripts find the port.
    let mut out = std::io::stdout();
    writeln!(out, "arcada-wa-sim listening on {base_url}")?;
    out.flush()?;
    tracing::info!(%base_url, "arcada-wa-sim ready");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serve")
}

fn router(app: App) -> Router {
    Router::new()
        .route("/_sim/health", get(control::health))
        .route(
            "/_sim/numbers",
            get(control::numbers).post(control::add_number),
        )
        .route(
            "/_sim/config",
            get(control::get_config).post(control::set_config),
        )
        .route(
            "/_sim/faults",
            get(control::faults)
                .post(control::add_faults)
                .delete(control::clear_faults),
        )
        .route("/_sim/sent", get(control::sent))
        .route("/_sim/webhooks", get(control::webhooks))
        .route("/_sim/reset", post(control::reset))
        .route(
            "/_sim/media",
            post(control::upload_media).layer(DefaultBodyLimit::max(MAX_MEDIA)),
        )
        .route("/_sim/inbound", post(webhook::inbound))
        .route("/_sim/raw", post(webhook::raw))
        .route("/_media/{media_id}", get(graph::media_download))
        .route(
            "/{version}/{id}",
            get(graph::object).delete(graph::media_delete),
        )
        .route("/{version}/{id}/messages", post(graph::send))
        .with_state(app)
}

/// An HTTP client builder. The simulator speaks plain HTTP to this
/// machine's receivers, so never through a proxy; but reqwest in this
/// package is built without a default TLS provider (the Graph API sender
/// installs ring the same way), and building a client needs one.
fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy()
}

/// `arcada-wa-sim inbound …`: one POST /_sim/inbound, its answer printed.
async fn inbound_command(args: InboundArgs) -> Result<()> {
    let body = match &args.json {
        Some(text) => {
            let mut v: Value = serde_json::from_str(text).context("--json is not JSON")?;
            if let Some(o) = v.as_object_mut() {
                o.entry("phone_number_id")
                    .or_insert_with(|| json!(args.phone_number_id));
            }
            v
        }
        None => {
            let mut v = json!({"phone_number_id": args.phone_number_id});
            let mut put = |k: &str, val: Option<Value>| {
                if let Some(val) = val {
                    v[k] = val;
                }
            };
            put("from", args.from.map(Value::from));
            put("name", args.name.map(Value::from));
            put("text", args.text.map(Value::from));
            put(
                "button",
                args.button_payload.map(|p| {
                    json!({"payload": p, "text": args.button_text.clone().unwrap_or_else(|| p.clone())})
                }),
            );
            put("context_id", args.context_id.map(Value::from));
            put("timestamp", args.timestamp.map(Value::from));
            put("duplicates", args.duplicates.map(Value::from));
            put("username", args.username.map(Value::from));
            put("user_id", args.user_id.map(Value::from));
            v
        }
    };
    let url = format!("{}/_sim/inbound", args.sim.trim_end_matches('/'));
    let resp = http_client()
        .build()
        .context("HTTP client")?
        .post(&url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body)?)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let text = resp.text().await.context("reading the answer")?;
    println!("{text}");
    if !status.is_success() {
        bail!("POST {url}: HTTP {status}");
    }
    Ok(())
}
