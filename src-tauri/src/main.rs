//! `arcada-desktop [--data DIR] [--config-dir DIR]`: the workstation app.

use std::path::PathBuf;

use anyhow::{Context, Result};
use arcada_core::sync::session::SessionStore;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "arcada-desktop",
    version,
    about = "Arcada: the clinic's desktop app"
)]
struct Cli {
    /// The clinic's data directory [default: the OS data directory]
    #[arg(long, env = "ARCADA_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Where login sessions are kept [default: ~/.config/arcada]
    #[arg(long, env = "ARCADA_CONFIG_DIR", value_name = "DIR")]
    config_dir: Option<PathBuf>,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARCADA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,arcada=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let data = match cli.data {
        Some(d) => d,
        None => arcada_core::store::default_data_dir()
            .context("no home directory to keep data in; pass --data DIR")?,
    };
    let sessions = match cli.config_dir {
        Some(d) => SessionStore::new(d),
        None => SessionStore::default_location()?,
    };
    arcada_desktop::run(arcada_desktop::Options { data, sessions })
}
