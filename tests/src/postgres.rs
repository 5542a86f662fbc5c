//! Throwaway PostgreSQL databases for tests that run the server on its
//! PostgreSQL backend.

use uuid::Uuid;

/// The role every test database belongs to: not a superuser, so the
/// server's row-level security applies to it.
pub const ROLE: &str = "arcada_app";
const ROLE_PASSWORD: &str = "arcada";

/// The PostgreSQL superuser URL (`ARCADA_TEST_POSTGRES`, or the README's
/// default) when a server answers there. In CI (`CI=true`) its absence
/// fails the run: PostgreSQL tests are never skipped there.
pub fn admin_url() -> Option<String> {
    let admin_url = std::env::var("ARCADA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    match postgres::Client::connect(&admin_url, postgres::NoTls) {
        Ok(_) => Some(admin_url),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("PostgreSQL tests cannot be skipped in CI: cannot connect to {admin_url}: {e}")
        }
        Err(e) => {
            eprintln!("skipping the PostgreSQL backend: {e}");
            None
        }
    }
}

/// A database made for one test, owned by [`ROLE`], dropped with this value.
#[derive(Debug)]
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    /// Connects as [`ROLE`].
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> PgDatabase {
        let mut admin = connect(admin_url);
        admin
            .batch_execute(&format!(
                // Tests run in parallel: another may create the role between
                // the check and the creation.
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                     CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}' NOSUPERUSER NOBYPASSRLS; END IF;
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"
            ))
            .expect("role");
        let name = format!("arcada_test_{}", Uuid::now_v7().simple());
        admin
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {ROLE}"))
            .expect("create database");
        let config: postgres::Config = admin_url.parse().expect("admin url");
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let url = format!("postgres://{ROLE}:{ROLE_PASSWORD}@{host}:{port}/{name}");
        PgDatabase {
            admin_url: admin_url.into(),
            name,
            url,
        }
    }

    /// A superuser connection to the server (not to this database).
    pub fn admin(&self) -> postgres::Client {
        connect(&self.admin_url)
    }
}

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect to PostgreSQL as admin")
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
