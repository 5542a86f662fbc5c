//! Support for the cross-process tests and benchmarks in this crate: the
//! real `arcada-server` binary, started on an ephemeral loopback port and
//! stopped however the test ends. The tests themselves live in `tests/`,
//! the benchmarks in `benches/`; the single-process CLI tests live beside
//! the `arcada` binary in `app/tests`.

pub mod backend;
pub mod charts;
pub mod desktop;
pub mod postgres;
pub mod proxy;
pub mod wa_sim;
pub mod whatsapp;
pub mod workstation;

pub use backend::Backend;

use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A binary of this workspace built beside the running test or benchmark
/// (`target/<profile>/NAME`).
pub fn binary(name: &str) -> io::Result<PathBuf> {
    let mut dir = std::env::current_exe()?;
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if bin.exists() {
        Ok(bin)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} is missing: build it first (cargo build [--release] --bins; scripts/test does)",
                bin.display()
            ),
        ))
    }
}

/// The `arcada-server` binary; `ARCADA_SERVER_BINARY` names another (a
/// benchmark run side by side against an earlier build).
pub fn server_binary() -> io::Result<PathBuf> {
    match std::env::var_os("ARCADA_SERVER_BINARY") {
        Some(path) => Ok(PathBuf::from(path)),
        None => binary("arcada-server"),
    }
}

/// A running `arcada-server serve`, killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl ServerProcess {
    /// Starts `arcada-server <storage_args> serve --listen 127.0.0.1:0 <serve_args>`
    /// with extra environment variables, and waits for its address.
    pub fn start(
        storage_args: &[String],
        serve_args: &[&str],
        env: &[(&str, &str)],
    ) -> io::Result<ServerProcess> {
        let mut child = Command::new(server_binary()?)
            .args(storage_args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(serve_args)
            .envs(env.iter().copied())
            .env("ARCADA_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| {
                io::Error::other(format!(
                    "unexpected first line from arcada-server: {line:?}"
                ))
            })?
            .to_string();
        Ok(ServerProcess { child, url })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `arcada-server <storage_args> admin <args>` with `password` on
/// stdin; returns its standard output, trimmed.
pub fn admin(storage_args: &[String], args: &[&str], password: &str) -> io::Result<String> {
    let mut child = Command::new(server_binary()?)
        .args(storage_args)
        .env("ARCADA_LOG", "warn")
        .arg("admin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    writeln!(
        child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?,
        "{password}"
    )?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A member's workstation in `dir`, made the way the desktop makes one:
/// logged in to `org` on the server at `url` (its session kept in
/// `dir/sessions`), the organisation's directory pulled; its clinic and
/// the access token.
pub fn member_clinic(
    dir: &std::path::Path,
    url: &str,
    email: &str,
    password: &str,
    org: uuid::Uuid,
) -> (arcada_core::Clinic, String) {
    use arcada_core::{store, sync, workstation};
    let data = dir.join("data");
    let sessions = sync::session::SessionStore::new(dir.join("sessions"));
    let logged = workstation::log_in(
        &data,
        &sessions,
        &workstation::LoginRequest {
            server: url,
            email,
            password,
            org: Some(org),
            device_name: "estação de teste",
        },
    )
    .expect("log in");
    let token = sessions
        .load(logged.workstation)
        .expect("session")
        .expect("saved")
        .access_token;
    let mut store = store::Store::open(&data.join(store::FILE_NAME)).expect("store");
    let cpf = sync::local_cpf_index(&mut store).expect("cpf key");
    sync::Remote::new(url, &token, org)
        .pull(&mut store, &cpf)
        .expect("pull the directory");
    arcada_core::clinic::settle_site(&mut store).expect("site");
    drop(store);
    (arcada_core::Clinic::open(&data).expect("open"), token)
}

/// A member's workstation (see [`member_clinic`]) that registered
/// `patients` patients ("Paciente 0" …), returned as its store, ready to
/// push.
pub fn clinic_with_patients(
    dir: &std::path::Path,
    url: &str,
    email: &str,
    password: &str,
    org: uuid::Uuid,
    patients: usize,
) -> arcada_core::store::Store {
    let (mut clinic, _) = member_clinic(dir, url, email, password, org);
    for i in 0..patients {
        clinic
            .add_patient(&arcada_core::patient::PatientForm {
                name: Some(format!("Paciente {i}")),
                ..Default::default()
            })
            .expect("patient");
    }
    drop(clinic);
    arcada_core::store::Store::open(&dir.join("data").join(arcada_core::store::FILE_NAME))
        .expect("store")
}
