//! The storage backends every server scenario runs on, and the macro that
//! makes each scenario one test per backend.

/// Where the server keeps its data in a test.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Embedded SQLite in a temporary directory.
    Sqlite,
    /// A PostgreSQL server reachable with this superuser URL; each test
    /// gets a database of its own, owned by a role that is not a superuser
    /// (so row-level security applies).
    Postgres { admin_url: String },
}

impl Backend {
    /// PostgreSQL when one answers; in CI (CI=true) its absence fails the run.
    pub fn postgres() -> Option<Backend> {
        crate::postgres::admin_url().map(|admin_url| Backend::Postgres { admin_url })
    }
}

/// Runs each scenario `fn(&Backend)` as a test on SQLite and, when a
/// PostgreSQL server answers (`ARCADA_TEST_POSTGRES`; always under
/// `CI=true`), on PostgreSQL.
#[macro_export]
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $scenario() { super::$scenario(&$crate::Backend::Sqlite) } )*
        }
        mod postgresql {
            $( #[test] fn $scenario() {
                if let Some(backend) = $crate::Backend::postgres() { super::$scenario(&backend) }
            } )*
        }
    };
}
