//! The storage conformance suite: every method of the server's storage
//! traits ([`Storage`], [`WaStore`]) run in-process against both backends —
//! SQLite in a temporary directory, PostgreSQL in a database of its own
//! owned by a role without superuser rights (so row-level security applies)
//! — with the contract a caller of the trait relies on: tenancy walls,
//! paging and cursors, idempotent appends, role filtering, WhatsApp dedupe
//! and status ranks. Each scenario is one test per backend
//! ([`arcada_tests::on_every_backend!`]); PostgreSQL is never skipped under
//! `CI=true`. [`coverage`] fails when a trait method has no scenario here,
//! so a new storage method comes with its conformance test.
//!
//! [`Storage`]: arcada_server::storage::Storage
//! [`WaStore`]: arcada_server::storage::whatsapp::WaStore

use std::future::Future;

use arcada_server::storage::postgres::PgStorage;
use arcada_server::storage::sqlite::SqliteStorage;
use arcada_tests::postgres::PgDatabase;

/// Turns each `async fn scenario<S: Storage>(store: &S)` of the calling
/// module into one test per backend, each on a fresh, empty store.
macro_rules! conformance {
    ($($scenario:ident),* $(,)?) => {
        mod by_backend {
            $(
                pub fn $scenario(backend: &arcada_tests::Backend) {
                    match backend {
                        arcada_tests::Backend::Sqlite => {
                            $crate::on_sqlite(|store| async move { super::$scenario(&store).await })
                        }
                        arcada_tests::Backend::Postgres { admin_url } => {
                            $crate::on_postgres(admin_url, |store| async move {
                                super::$scenario(&store).await
                            })
                        }
                    }
                }
            )*
            arcada_tests::on_every_backend!($($scenario),*);
        }
    };
}

mod accounts;
mod change_log;
mod coverage;
mod fixtures;
mod whatsapp_conversations;
mod whatsapp_inbox;
mod whatsapp_media;
mod whatsapp_numbers;
mod whatsapp_outbound;
mod whatsapp_reminders;

/// A runtime like the server's: several workers, timers and I/O.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs a scenario on a fresh SQLite database in a temporary directory.
pub fn on_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(SqliteStorage) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let runtime = runtime();
    runtime.block_on(async {
        let store = SqliteStorage::open(dir.path()).expect("open SQLite storage");
        scenario(store).await
    });
}

/// Runs a scenario on a fresh PostgreSQL database of its own, connected
/// as a role that row-level security binds (the server refuses others).
pub fn on_postgres<F, Fut>(admin_url: &str, scenario: F)
where
    F: FnOnce(PgStorage) -> Fut,
    Fut: Future<Output = ()>,
{
    // Made and dropped outside the runtime: the blocking client runs its own.
    let database = PgDatabase::create(admin_url);
    let runtime = runtime();
    runtime.block_on(async {
        let store = PgStorage::connect(&database.url, None, false)
            .await
            .expect("connect to PostgreSQL storage");
        scenario(store).await
    });
    drop(runtime);
    drop(database);
}
