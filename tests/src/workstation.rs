//! A workstation as its users run it: the real `arcada` binary with its own
//! data directory and its own session directory.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::binary;

#[derive(Debug)]
pub struct Workstation {
    pub data: PathBuf,
    pub config: PathBuf,
}

/// `arcada sync --watch` running in the background; killed when dropped.
#[derive(Debug)]
pub struct Watcher {
    child: Child,
}

impl Watcher {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Workstation {
    /// A workstation keeping everything under `root` (data and sessions apart).
    pub fn new(root: &Path) -> Workstation {
        Workstation {
            data: root.join("data"),
            config: root.join("config"),
        }
    }

    fn command(&self) -> io::Result<Command> {
        let mut c = Command::new(binary("arcada")?);
        c.arg("--data")
            .arg(&self.data)
            .arg("--config-dir")
            .arg(&self.config)
            .env("ARCADA_LOG", "warn")
            .env_remove("ARCADA_PASSWORD")
            .env_remove("ARCADA_SERVER");
        Ok(c)
    }

    /// Runs `arcada ARGS` with `stdin` and returns its output, success or not.
    pub fn run(&self, args: &[&str], stdin: &str) -> io::Result<Output> {
        let mut child = self
            .command()?
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut input) = child.stdin.take() {
            // A command that does not read its input may close it first.
            let _ = input.write_all(stdin.as_bytes());
        }
        child.wait_with_output()
    }

    /// Runs `arcada ARGS`; its standard output, or an error with its stderr.
    pub fn ok(&self, args: &[&str]) -> io::Result<String> {
        let out = self.run(args, "")?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "arcada {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs `arcada --json ARGS` and parses its output.
    pub fn json(&self, args: &[&str]) -> io::Result<serde_json::Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all)?;
        serde_json::from_str(&text)
            .map_err(|e| io::Error::other(format!("arcada {args:?}: not JSON ({e}): {text}")))
    }

    /// `arcada login` with the password on standard input.
    pub fn login(&self, server: &str, email: &str, password: &str) -> io::Result<String> {
        let out = self.run(
            &["login", "--server", server, "--email", email],
            &format!("{password}\n"),
        )?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "login failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `arcada sync --watch` with short timings, so tests see
    /// outages and recoveries quickly.
    pub fn watch(&self) -> io::Result<Watcher> {
        let child = self
            .command()?
            .args([
                "sync",
                "--watch",
                "--heartbeat-ms",
                "300",
                "--timeout-ms",
                "1500",
                "--max-backoff-ms",
                "1000",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Watcher { child })
    }

    /// `arcada sync status --json`.
    pub fn status(&self) -> io::Result<serde_json::Value> {
        self.json(&["sync", "status"])
    }

    pub fn store_path(&self) -> PathBuf {
        self.data.join(arcada_core::store::FILE_NAME)
    }
}
