//! `arcada-server`: serve the sync protocol, or administer tenants.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use arcada_core::documents::{self, Attribution, Directory, DocClass};
use arcada_core::roles::Role;
use arcada_server::auth;
use arcada_server::config::{FileConfig, FileLimits, Limits};
use arcada_server::http::{self, AppState};
use arcada_server::limits::LoginLimits;
use arcada_server::storage::postgres::PgStorage;
use arcada_server::storage::sqlite::SqliteStorage;
use arcada_server::storage::{DocPush, Storage};
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
}

impl ServeArgs {
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
}

fn password(var: &str) -> Result<String> {
    let password = match std::env::var(var) {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters (from {var} or stdin)");
    }
    Ok(password)
}

fn email(input: &str) -> Result<String> {
    let e = input.trim().to_lowercase();
    match e.split_once('@') {
        Some((user, domain))
            if !user.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace) =>
        {
            Ok(e)
        }
        _ => bail!("invalid e-mail {input:?}"),
    }
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
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match &database_url {
            Some(url) => {
                let storage = PgStorage::connect(url).await?;
                tracing::debug!("PostgreSQL storage");
                run_with(storage, cli.command, &file, Some(url)).await
            }
            None => {
                let storage = SqliteStorage::open(&data)?;
                tracing::debug!(data = %data.display(), "embedded SQLite storage");
                // One instance per SQLite file: events need no relay.
                run_with(storage, cli.command, &file, None).await
            }
        }
    })
}

/// `relay_url`: the PostgreSQL that relays live events between instances.
async fn run_with<S: Storage>(
    storage: S,
    command: Command,
    file: &FileConfig,
    relay_url: Option<&str>,
) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    match command {
        Command::Admin(Admin::CreateOrg { name, admin_email }) => {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() || name.chars().count() > 200 {
                bail!("invalid organisation name: 1 to 200 characters");
            }
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
        Command::Serve(args) => {
            let limits = args.limits(&file.limits);
            let listen = args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787)));
            let state = AppState::new(storage, limits);
            if let Some(url) = relay_url {
                arcada_server::relay::start(url, &state.hub).await;
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
