//! `arcada-server`: serve the sync protocol, or administer tenants.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use arcada_core::documents::{self, Attribution, Directory, DocClass};
use arcada_core::roles::Role;
use arcada_server::auth;
use arcada_server::cloud_api::crypto::TokenKey;
use arcada_server::config::{FileConfig, FileLimits, FileWhatsApp, Limits};
use arcada_server::http::{self, AppState};
use arcada_server::limits::LoginLimits;
use arcada_server::storage::postgres::PgStorage;
use arcada_server::storage::sqlite::SqliteStorage;
use arcada_server::storage::{DocPush, Storage};
use arcada_server::whatsapp::numbers;
use arcada_server::whatsapp::WhatsAppConfig;
use clap::{Parser, Subcommand};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "arcada-server",
    version,
    about = "Arcada's multi-tenant sync server"
)]
struct Cli {
    /// TOML configuration file; flags and ARCADA_* variables override it
    #[arg(long, global = true, env = "ARCADA_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory for the embedded SQLite database [default: arcada-server-data]
    #[arg(long, global = true, env = "ARCADA_DATA")]
    data: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite, e.g. postgres://arcada:secret@127.0.0.1/arcada
    #[arg(long, global = true, env = "ARCADA_DATABASE_URL")]
    database_url: Option<String>,
    /// Serve even when the PostgreSQL role is a superuser or bypasses row-level security (refused otherwise: tenants would lose their second wall)
    #[arg(long, global = true, env = "ARCADA_ALLOW_PRIVILEGED_DATABASE_ROLE")]
    allow_privileged_database_role: bool,
    /// PEM file of the CA that signed PostgreSQL's certificate, for a URL with sslmode=require [default: the Mozilla roots]
    #[arg(long, global = true, env = "ARCADA_DATABASE_CA", value_name = "FILE")]
    database_ca: Option<PathBuf>,
    /// Key sealing WhatsApp access tokens at rest: 64 hex digits (AES-256-GCM)
    #[arg(
        long,
        global = true,
        env = "ARCADA_WA_TOKEN_KEY",
        hide_env_values = true
    )]
    wa_token_key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve HTTP until SIGINT or SIGTERM
    Serve(ServeArgs),
    /// Tenants and users
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on stdout) [default: 127.0.0.1:8787]
    #[arg(long, env = "ARCADA_LISTEN")]
    listen: Option<SocketAddr>,
    /// Bearer token that opens /metrics to other hosts (without it, only loopback clients get metrics)
    #[arg(long, env = "ARCADA_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// A reverse proxy whose X-Forwarded-For is believed (repeatable; comma-separated in the variable)
    #[arg(
        long = "trusted-proxy",
        env = "ARCADA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Failed logins tolerated per account in 15 minutes [default: 5]
    #[arg(long, env = "ARCADA_LOGIN_FAILURES_PER_ACCOUNT")]
    login_failures_per_account: Option<usize>,
    /// Failed logins tolerated per client address in 15 minutes [default: 20]
    #[arg(long, env = "ARCADA_LOGIN_FAILURES_PER_ADDRESS")]
    login_failures_per_address: Option<usize>,
    /// Documents an organisation may hold [default: 200000]
    #[arg(long, env = "ARCADA_MAX_DOCUMENTS_PER_ORG")]
    max_documents_per_org: Option<u64>,
    /// Live sessions open at once per device [default: 4]
    #[arg(long, env = "ARCADA_MAX_LIVE_PER_DEVICE")]
    max_live_per_device: Option<usize>,
    /// Live sessions open at once per organisation [default: 500]
    #[arg(long, env = "ARCADA_MAX_LIVE_PER_ORG")]
    max_live_per_org: Option<usize>,
    /// The Meta app's secret, which signs WhatsApp webhooks (with the verify token, enables /webhooks/whatsapp)
    #[arg(long, env = "ARCADA_WA_APP_SECRET", hide_env_values = true)]
    wa_app_secret: Option<String>,
    /// The WhatsApp webhook's verify token (hub.verify_token)
    #[arg(long, env = "ARCADA_WA_VERIFY_TOKEN", hide_env_values = true)]
    wa_verify_token: Option<String>,
    /// Store WhatsApp deliveries without processing them [default: false]
    #[arg(long, env = "ARCADA_WA_PROCESSOR_PAUSED", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    wa_processor_paused: Option<bool>,
    /// Store WhatsApp messages without writing them into conversation documents (and find no queued replies) [default: false]
    #[arg(long, env = "ARCADA_WA_WRITER_PAUSED", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    wa_writer_paused: Option<bool>,
    /// Send no WhatsApp messages (queued replies wait) [default: false]
    #[arg(long, env = "ARCADA_WA_SENDER_PAUSED", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    wa_sender_paused: Option<bool>,
    /// The Graph API's base URL the sender posts to [default: https://graph.facebook.com/v21.0]
    #[arg(long, env = "ARCADA_WA_GRAPH_URL")]
    wa_graph_url: Option<String>,
    /// Seconds a Graph API request may take before its message is in doubt [default: 30]
    #[arg(long, env = "ARCADA_WA_SEND_TIMEOUT")]
    wa_send_timeout: Option<u64>,
    /// Queue no appointment reminders (answers to those sent are still handled) [default: false]
    #[arg(long, env = "ARCADA_WA_REMINDERS_PAUSED", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    wa_reminders_paused: Option<bool>,
    /// Seconds between two looks for appointments due a reminder [default: 60]
    #[arg(long, env = "ARCADA_WA_REMINDER_INTERVAL")]
    wa_reminder_interval: Option<u64>,
    /// Largest inbound WhatsApp media stored, in bytes; larger media is refused before downloading [default: 16777216]
    #[arg(long, env = "ARCADA_WA_MEDIA_MAX_BYTES")]
    wa_media_max_bytes: Option<u64>,
}

impl ServeArgs {
    /// The WhatsApp webhook's settings: none unless both secrets are set.
    fn whatsapp(
        &self,
        file: &FileWhatsApp,
        token_key: Option<String>,
    ) -> Result<Option<WhatsAppConfig>> {
        let nonempty = |v: Option<&String>| v.filter(|v| !v.trim().is_empty()).cloned();
        let secret = nonempty(self.wa_app_secret.as_ref().or(file.app_secret.as_ref()));
        let verify = nonempty(self.wa_verify_token.as_ref().or(file.verify_token.as_ref()));
        let graph_url = nonempty(self.wa_graph_url.as_ref().or(file.graph_url.as_ref()))
            .unwrap_or_else(|| arcada_server::whatsapp::DEFAULT_GRAPH_URL.to_string());
        if !(graph_url.starts_with("https://") || graph_url.starts_with("http://")) {
            bail!("the Graph API URL must start with https:// or http://, not {graph_url:?}");
        }
        let send_timeout = match self.wa_send_timeout.or(file.send_timeout_secs) {
            Some(0) => bail!("the Graph API send timeout must be at least 1 second"),
            Some(secs) => std::time::Duration::from_secs(secs),
            None => arcada_server::whatsapp::DEFAULT_SEND_TIMEOUT,
        };
        let reminder_interval = match self.wa_reminder_interval.or(file.reminder_interval_secs) {
            Some(0) => bail!("the reminder interval must be at least 1 second"),
            Some(secs) => std::time::Duration::from_secs(secs),
            None => arcada_server::whatsapp::DEFAULT_REMINDER_INTERVAL,
        };
        let media_max_bytes = match self.wa_media_max_bytes.or(file.media_max_bytes) {
            Some(0) => bail!("the media size limit must be at least 1 byte"),
            Some(bytes) => bytes,
            None => arcada_server::whatsapp::media::DEFAULT_MEDIA_MAX_BYTES,
        };
        match (secret, verify) {
            (Some(app_secret), Some(verify_token)) => Ok(Some(WhatsAppConfig {
                app_secret,
                verify_token,
                processor_paused: self
                    .wa_processor_paused
                    .or(file.processor_paused)
                    .unwrap_or(false),
                writer_paused: self
                    .wa_writer_paused
                    .or(file.writer_paused)
                    .unwrap_or(false),
                sender_paused: self
                    .wa_sender_paused
                    .or(file.sender_paused)
                    .unwrap_or(false),
                reminders_paused: self
                    .wa_reminders_paused
                    .or(file.reminders_paused)
                    .unwrap_or(false),
                reminder_interval,
                graph_url: graph_url.trim_end_matches('/').to_string(),
                send_timeout,
                token_key,
                media_max_bytes,
            })),
            (None, None) => Ok(None),
            _ => bail!("WhatsApp needs both the app secret and the verify token (or neither)"),
        }
    }

    /// Flags and environment first, then the file, then defaults.
    fn limits(&self, file: &FileLimits) -> Limits {
        let d = Limits::default();
        Limits {
            login: LoginLimits {
                per_account: self
                    .login_failures_per_account
                    .or(file.login_failures_per_account)
                    .unwrap_or(d.login.per_account),
                per_address: self
                    .login_failures_per_address
                    .or(file.login_failures_per_address)
                    .unwrap_or(d.login.per_address),
                ..d.login
            },
            documents_per_org: self
                .max_documents_per_org
                .or(file.documents_per_org)
                .unwrap_or(d.documents_per_org),
            live_per_device: self
                .max_live_per_device
                .or(file.live_per_device)
                .unwrap_or(d.live_per_device),
            live_per_org: self
                .max_live_per_org
                .or(file.live_per_org)
                .unwrap_or(d.live_per_org),
            change: arcada_core::integrity::ChangeLimits {
                bytes: file.change_bytes.unwrap_or(d.change.bytes),
                ops: file.change_ops.unwrap_or(d.change.ops),
                preds: file.change_ops.map_or(d.change.preds, |n| 2 * n),
            },
        }
    }
}

#[derive(Debug, Subcommand)]
enum Admin {
    /// Create an organisation and its first admin. Password: ARCADA_ADMIN_PASSWORD or the first line of stdin
    CreateOrg {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
    },
    /// Add a user (created if new) to an organisation with a role. Password: ARCADA_USER_PASSWORD or stdin
    AddUser {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        email: String,
        /// admin, gerente, recepcao, comercial, clinico, financeiro, viewer
        #[arg(long)]
        role: Role,
    },
    /// Add a WhatsApp number to an organisation. Access token: ARCADA_WA_ACCESS_TOKEN or stdin; needs the token key
    WaAddNumber {
        #[arg(long)]
        org: Uuid,
        /// Meta's phone_number_id (webhooks are routed by it)
        #[arg(long)]
        phone_number_id: String,
        /// The number as people see it, e.g. +55 11 91234-5678
        #[arg(long)]
        display_number: String,
        /// The WhatsApp Business Account id
        #[arg(long)]
        waba_id: String,
    },
    /// Replace a number's access token (ARCADA_WA_ACCESS_TOKEN or stdin) and/or display form; a number stopped because Meta refused its token sends again
    WaUpdateNumber {
        #[arg(long)]
        phone_number_id: String,
        #[arg(long)]
        display_number: Option<String>,
        /// Keep the stored token (only change the display form)
        #[arg(long)]
        keep_token: bool,
    },
    /// List WhatsApp numbers (never their tokens) and numbers webhooks came for that no organisation has, as JSON
    WaNumbers {
        #[arg(long)]
        org: Option<Uuid>,
    },
    /// Remove a WhatsApp number
    WaRemoveNumber {
        #[arg(long)]
        phone_number_id: String,
    },
    /// A document's changes in the log as JSON (oldest first), the first one after which the document is no longer valid, and the changes of the organisation taken out of the log
    Changes {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        doc: Option<Uuid>,
    },
    /// Take a change out of the log, with every later change of its document that depends on it, keeping them for audit; workstations never receive them again. Restart the server afterwards (it keeps documents in memory)
    QuarantineChange {
        #[arg(long)]
        org: Uuid,
        #[arg(long)]
        doc: Uuid,
        /// The change's hash (hex, as `admin changes` lists it)
        #[arg(long)]
        hash: String,
        #[arg(long)]
        reason: String,
    },
    /// The WhatsApp inbox as JSON: deliveries by state, item errors, and the messages, statuses, outbound messages and reminders of an organisation (or, without --org, the messages and statuses of none)
    WaReport {
        #[arg(long)]
        org: Option<Uuid>,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
}

/// Looking into a document's change log, for `admin changes` and
/// `admin quarantine-change`.
mod changes {
    use anyhow::{bail, Context, Result};
    use arcada_core::integrity;
    use automerge::{Automerge, Change};
    use uuid::Uuid;

    /// Each change with who made it, and the first that left the document
    /// invalid by the rules pushes are judged with.
    pub fn examine(org: Uuid, doc: Uuid, log: &[Vec<u8>]) -> Result<serde_json::Value> {
        let mut replica = Automerge::new();
        let mut standing = None;
        let mut first_invalid = None;
        let mut listed = Vec::with_capacity(log.len());
        for bytes in log {
            let change = Change::from_bytes(bytes.clone()).context("a stored change")?;
            listed.push(serde_json::json!({
                "hash": change.hash().to_string(),
                "actor": change.actor_id().to_hex_string(),
                "seq": change.seq(),
                "time": change.timestamp(),
                "message": change.message(),
                "deps": change.deps().iter().map(ToString::to_string).collect::<Vec<_>>(),
            }));
            replica.apply_changes([change.clone()])?;
            if first_invalid.is_none() {
                match integrity::judge(org, doc, &replica, standing.as_ref()) {
                    Ok(s) => standing = Some(s),
                    Err(v) => {
                        first_invalid = Some(serde_json::json!({
                            "hash": change.hash().to_string(),
                            "code": v.code(),
                            "reason": v.to_string(),
                        }));
                    }
                }
            }
        }
        Ok(serde_json::json!({
            "doc": doc,
            "changes": listed,
            "first_invalid": first_invalid,
        }))
    }

    /// The hash given and those of every change that depends on it, in
    /// log order.
    pub fn with_dependents(log: &[Vec<u8>], hash: &str) -> Result<Vec<Vec<u8>>> {
        let wanted = hex::decode(hash.trim()).context("the hash is not hex")?;
        let mut taken: Vec<automerge::ChangeHash> = Vec::new();
        for bytes in log {
            let change = Change::from_bytes(bytes.clone()).context("a stored change")?;
            if change.hash().0.as_slice() == wanted.as_slice()
                || change.deps().iter().any(|d| taken.contains(d))
            {
                taken.push(change.hash());
            }
        }
        if taken.is_empty() {
            bail!("the document has no change {hash} in the log");
        }
        Ok(taken.iter().map(|h| h.0.to_vec()).collect())
    }
}

/// A secret from `var`, else the first line of stdin.
fn secret(var: &str) -> Result<String> {
    Ok(match std::env::var(var) {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    })
}

fn password(var: &str) -> Result<String> {
    let password = secret(var)?;
    arcada_core::accounts::new_password(&password)
        .with_context(|| format!("the password from {var} or stdin"))?;
    Ok(password)
}

fn email(input: &str) -> Result<String> {
    Ok(arcada_core::accounts::email(input)?)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARCADA_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: {}",
                e.chain()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(": ")
            );
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let data = cli
        .data
        .clone()
        .or(file.data.clone())
        .unwrap_or_else(|| PathBuf::from("arcada-server-data"));
    let database_url = cli.database_url.clone().or(file.database_url.clone());
    let database_ca = cli.database_ca.clone().or(file.database_ca.clone());
    let token_key = cli.wa_token_key.clone().or(file.whatsapp.token_key.clone());
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match &database_url {
            Some(url) => {
                let ca = database_ca.as_deref();
                let storage =
                    PgStorage::connect(url, ca, cli.allow_privileged_database_role).await?;
                tracing::debug!("PostgreSQL storage");
                run_with(storage, cli.command, &file, Some((url, ca)), token_key).await
            }
            None => {
                let storage = SqliteStorage::open(&data)?;
                tracing::debug!(data = %data.display(), "embedded SQLite storage");
                // One instance per SQLite file: events need no relay.
                run_with(storage, cli.command, &file, None, token_key).await
            }
        }
    })
}

/// `relay_url`: the PostgreSQL that relays live events between instances
/// (and the CA its certificate is checked against).
async fn run_with<S: Storage>(
    storage: S,
    command: Command,
    file: &FileConfig,
    relay_url: Option<(&str, Option<&std::path::Path>)>,
    token_key: Option<String>,
) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    match command {
        Command::Admin(Admin::CreateOrg { name, admin_email }) => {
            let name = arcada_core::accounts::org_name(&name)?;
            let email = email(&admin_email)?;
            let phc = auth::hash_password(&password("ARCADA_ADMIN_PASSWORD")?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let org = storage.create_org(name.clone(), now).await?;
            let admin = storage
                .add_member(org, email, phc, Role::Admin, now)
                .await?;
            // The directory comes into being with the organisation, so every
            // workstation that joins finds the same one.
            let directory = organization_directory(org, &name, admin, now)?;
            storage
                .append(org, Uuid::nil(), vec![directory], now)
                .await?;
            println!("{org}");
        }
        Command::Admin(Admin::AddUser {
            org,
            email: address,
            role,
        }) => {
            let email = email(&address)?;
            let phc = auth::hash_password(&password("ARCADA_USER_PASSWORD")?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = storage.add_member(org, email, phc, role, now).await?;
            println!("{user}");
        }
        Command::Admin(Admin::WaAddNumber {
            org,
            phone_number_id,
            display_number,
            waba_id,
        }) => {
            let key = token_key
                .context("the WhatsApp token key is not configured (ARCADA_WA_TOKEN_KEY or [whatsapp] token_key)")?;
            let key = TokenKey::from_hex(&key)?;
            let token = secret("ARCADA_WA_ACCESS_TOKEN")?;
            let number = numbers::new_number(
                &key,
                org,
                &phone_number_id,
                &display_number,
                &waba_id,
                &token,
            )?;
            let phone_number_id = number.phone_number_id.clone();
            storage.wa_add_number(number, now).await?;
            println!("{phone_number_id}");
        }
        Command::Admin(Admin::WaUpdateNumber {
            phone_number_id,
            display_number,
            keep_token,
        }) => {
            let display = display_number
                .map(|d| numbers::display_number(&d))
                .transpose()?;
            let sealed = if keep_token {
                None
            } else {
                let key = token_key
                    .context("the WhatsApp token key is not configured (ARCADA_WA_TOKEN_KEY or [whatsapp] token_key)")?;
                let key = TokenKey::from_hex(&key)?;
                let token = secret("ARCADA_WA_ACCESS_TOKEN")?;
                Some(numbers::seal_token(&key, &phone_number_id, &token)?)
            };
            if !storage
                .wa_update_number(phone_number_id.clone(), display, sealed)
                .await?
            {
                bail!("no WhatsApp number {phone_number_id}");
            }
            println!("{phone_number_id}");
        }
        Command::Admin(Admin::WaNumbers { org }) => {
            let numbers = storage.wa_numbers(org).await?;
            let summary = storage.wa_summary().await?;
            let report = serde_json::json!({
                "numbers": numbers,
                "unrouted": summary.unrouted,
            });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Admin(Admin::WaRemoveNumber { phone_number_id }) => {
            if !storage.wa_remove_number(phone_number_id.clone()).await? {
                bail!("no WhatsApp number {phone_number_id}");
            }
            println!("{phone_number_id}");
        }
        Command::Admin(Admin::Changes { org, doc }) => {
            let document = match doc {
                Some(doc) => {
                    let (changes, _) = storage.document_changes_after(org, doc, 0).await?;
                    Some(changes::examine(org, doc, &changes)?)
                }
                None => None,
            };
            let quarantined = storage.quarantined_changes(org).await?;
            let report = serde_json::json!({ "document": document, "quarantined": quarantined });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Admin(Admin::QuarantineChange {
            org,
            doc,
            hash,
            reason,
        }) => {
            let reason = reason.trim().to_string();
            if reason.is_empty() || reason.chars().count() > 500 {
                bail!("give a reason of 1 to 500 characters");
            }
            let (log, _) = storage.document_changes_after(org, doc, 0).await?;
            let taken = changes::with_dependents(&log, &hash)?;
            let moved = storage
                .quarantine_changes(org, doc, taken.clone(), reason, now)
                .await?;
            let hashes: Vec<String> = taken.iter().map(hex::encode).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "moved": moved, "hashes": hashes })
                )?
            );
            eprintln!("restart the server's instances: they keep documents in memory");
        }
        Command::Admin(Admin::WaReport { org, limit }) => {
            let summary = storage.wa_summary().await?;
            let (messages, statuses) = storage.wa_inbox(org, limit).await?;
            let item_errors = storage.wa_item_errors(limit).await?;
            let (outbound, reminders) = match org {
                Some(org) => (
                    storage.wa_outbound_report(org, limit).await?,
                    storage.wa_reminders_report(org, limit).await?,
                ),
                None => (Vec::new(), Vec::new()),
            };
            let report = serde_json::json!({
                "deliveries": {
                    "pending": summary.pending,
                    "done": summary.done,
                    "failed": summary.failed,
                    "replays": summary.replays,
                },
                "unrouted": summary.unrouted,
                "item_errors": item_errors,
                "messages": messages,
                "statuses": statuses,
                "outbound": outbound,
                "reminders": reminders,
            });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Serve(args) => {
            let limits = args.limits(&file.limits);
            let listen = args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787)));
            let server_key = arcada_server::signing::ServerKey::load(&storage).await?;
            let mut state = AppState::new(storage, limits, server_key);
            state.trusted_proxies = std::sync::Arc::new(if args.trusted_proxies.is_empty() {
                file.trusted_proxies.clone()
            } else {
                args.trusted_proxies.clone()
            });
            state.metrics_token = args
                .metrics_token
                .clone()
                .or(file.metrics_token.clone())
                .filter(|t| !t.is_empty())
                .map(|t| std::sync::Arc::new(auth::token_hash(&t)));
            if let Some(wa) = args.whatsapp(&file.whatsapp, token_key)? {
                state = state.with_whatsapp(&wa);
            } else {
                tracing::debug!("WhatsApp not configured: /webhooks/whatsapp answers 404");
            }
            if let Some((url, ca)) = relay_url {
                arcada_server::relay::start(url, ca, &state.hub).await;
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            // The first line on stdout: how tests and scripts find the port.
            println!("listening on http://{addr}");
            tracing::info!(%addr, "arcada-server serving");
            let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown())
                .await?;
            tracing::info!("arcada-server stopped");
        }
    }
    Ok(())
}

/// The first change of a new organisation's directory document.
fn organization_directory(org: Uuid, name: &str, admin: Uuid, now: i64) -> Result<DocPush> {
    let directory = Directory::new_organization(org, name, Uuid::now_v7());
    let by = Attribution {
        user: admin.to_string(),
        device: "arcada-server".into(),
        op: "org.create".into(),
    };
    let mut doc = automerge::Automerge::new();
    documents::commit(&mut doc, &directory, &by, now)?;
    let changes = doc
        .get_changes(&[])
        .into_iter()
        .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
        .collect();
    Ok(DocPush {
        doc: documents::directory_id(org),
        class: DocClass::Directory,
        changes,
        expect_last: Some(0),
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
