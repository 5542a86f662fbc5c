//! Shared by the WhatsApp tests (`tests/whatsapp.rs`, `tests/reminders.rs`):
//! a server's storage on either backend with organisations that have a
//! number, the server started with the webhook's secrets (and the
//! simulator `arcada-wa-sim` as its Graph API), metrics, and the macro
//! that runs a scenario on both backends.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use uuid::Uuid;

use crate::postgres::PgDatabase;
use crate::wa_sim::WaSim;
use crate::Backend;
use crate::ServerProcess;

pub const PASSWORD: &str = "correct horse battery";
pub const SECRET: &str = "meta-app-secret-for-tests";
pub const VERIFY: &str = "verify-token-for-tests";
pub const TOKEN_KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
/// The phone_number_id of every public example.
pub const NUMBER: &str = "106540352242922";
/// Another organisation's number.
pub const NUMBER_B: &str = "106540352242999";
/// The access token `org_with_number` registers (and the simulator knows).
pub const ACCESS_TOKEN: &str = "EAAG-secret-access-token";

/// A server's storage (it outlives server processes: restarts).
#[derive(Debug)]
pub struct Storage {
    pub args: Vec<String>,
    _pg: Option<PgDatabase>,
    _tmp: tempfile::TempDir,
}

impl Storage {
    pub fn new(backend: &Backend) -> Storage {
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

    pub fn admin(&self, args: &[&str], stdin: &str) -> String {
        crate::admin(&self.args, args, stdin).expect("admin command")
    }

    pub fn try_admin(&self, args: &[&str], stdin: &str) -> std::io::Result<String> {
        crate::admin(&self.args, args, stdin)
    }

    /// A new organisation and its admin, whose password is [`PASSWORD`].
    pub fn create_org(&self, name: &str, admin_email: &str) -> Uuid {
        self.admin(
            &["create-org", "--name", name, "--admin-email", admin_email],
            PASSWORD,
        )
        .parse()
        .expect("org id")
    }

    /// A member of `org` with `role`, whose password is [`PASSWORD`].
    pub fn add_user(&self, org: Uuid, email: &str, role: &str) {
        let org = org.to_string();
        let args = ["add-user", "--org", &org, "--email", email, "--role", role];
        self.admin(&args, PASSWORD);
    }

    /// An organisation with the examples' number.
    pub fn org_with_number(&self, name: &str, number: &str) -> Uuid {
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

    pub fn start(&self, paused: bool) -> ServerProcess {
        let paused = if paused { "true" } else { "false" };
        self.start_with(&[("ARCADA_WA_PROCESSOR_PAUSED", paused)])
    }

    /// Starts the server with the webhook's secrets and `env`.
    pub fn start_with(&self, env: &[(&str, &str)]) -> ServerProcess {
        let mut all = vec![
            ("ARCADA_WA_APP_SECRET", SECRET),
            ("ARCADA_WA_VERIFY_TOKEN", VERIFY),
        ];
        all.extend_from_slice(env);
        ServerProcess::start(&self.args, &[], &all).expect("start arcada-server")
    }

    pub fn report(&self, org: Option<Uuid>) -> Value {
        let org = org.map(|o| o.to_string());
        let mut args = vec!["wa-report"];
        if let Some(org) = &org {
            args.extend(["--org", org]);
        }
        serde_json::from_str(&self.admin(&args, "")).expect("report JSON")
    }

    /// Waits until no delivery is pending; the report then.
    pub fn settled(&self, org: Option<Uuid>, delivered: i64) -> Value {
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

/// An HTTP client that returns error statuses instead of failing.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// The metrics text.
pub fn metrics(url: &str) -> String {
    agent()
        .get(format!("{url}/metrics"))
        .call()
        .expect("metrics")
        .into_body()
        .read_to_string()
        .expect("metrics text")
}

pub fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

pub fn kill_9(server: ServerProcess) {
    let killed = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .expect("kill -9");
    assert!(killed.success());
    drop(server);
}

/// `arcada-wa-sim` with the organisation's number, and a server whose
/// sender posts to it (`env` added).
pub fn with_simulator(storage: &Storage, env: &[(&str, &str)]) -> (WaSim, ServerProcess) {
    let sim = WaSim::start(&["--app-secret", SECRET]).expect("arcada-wa-sim");
    sim.add_number(NUMBER, ACCESS_TOKEN, "+1 555 078 3881")
        .expect("number");
    let graph = format!("{}/{}", sim.url, crate::wa_sim::GRAPH_VERSION);
    let mut all = vec![("ARCADA_WA_GRAPH_URL", graph.as_str())];
    all.extend_from_slice(env);
    let server = storage.start_with(&all);
    point(&sim, &server);
    (sim, server)
}

/// Sends the simulator's webhooks to `server`.
pub fn point(sim: &WaSim, server: &ServerProcess) {
    sim.config(&json!({
        "webhook_url": format!("{}/webhooks/whatsapp", server.url),
        "app_secret": SECRET,
    }))
    .expect("sim config");
}
