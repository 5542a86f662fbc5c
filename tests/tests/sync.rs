//! The real `arcada-server` binary on 127.0.0.1 (ephemeral port, its own
//! SQLite data directory), driven by `arcada-core` workstations, each with
//! its own store file. Attacks come from the outside, with real tokens.

use std::path::{Path, PathBuf};
use std::process::Command;

use arcada_tests::postgres::PgDatabase;
use arcada_tests::{on_every_backend, Backend, ServerProcess};

use arcada_core::documents::{self, ChartDoc, DocClass, OdontogramEntry};
use arcada_core::odontogram::EntryStatus;
use arcada_core::patient::PatientForm;
use arcada_core::projection;
use arcada_core::protocol::{self, PullRequest, PushRequest, WireChange};
use arcada_core::store::{self, Store};
use arcada_core::sync::{self, Remote, SyncError};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// The server binary (scripts/test builds it before the tests).
fn server_binary() -> PathBuf {
    arcada_tests::server_binary().expect("server binary")
}

struct Server {
    /// Kept for its drop, which stops the server.
    _process: ServerProcess,
    url: String,
    /// `--data DIR` or `--database-url URL`, for the admin commands too.
    storage_args: Vec<String>,
    pg: Option<PgDatabase>,
    _tmp: tempfile::TempDir,
}

impl Server {
    fn start(backend: &Backend) -> Server {
        Server::start_with(backend, &[], &[])
    }

    /// Starts with extra environment variables and arguments for `serve`.
    fn start_with(backend: &Backend, env: &[(&str, &str)], serve_args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("server");
        let mut storage_args = vec!["--data".to_string(), data.display().to_string()];
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres { admin_url } => {
                let db = PgDatabase::create(admin_url);
                storage_args.extend(["--database-url".to_string(), db.url.clone()]);
                Some(db)
            }
        };
        let process =
            ServerProcess::start(&storage_args, serve_args, env).expect("start arcada-server");
        let url = process.url.clone();
        Server {
            _process: process,
            url,
            storage_args,
            pg,
            _tmp: tmp,
        }
    }

    fn admin(&self, args: &[&str]) -> String {
        arcada_tests::admin(&self.storage_args, args, PASSWORD).expect("admin command")
    }

    fn create_org(&self, name: &str, admin: &str) -> Uuid {
        Uuid::parse_str(&self.admin(&["create-org", "--name", name, "--admin-email", admin]))
            .expect("org id")
    }

    fn add_user(&self, org: Uuid, email: &str, role: &str) {
        self.admin(&[
            "add-user",
            "--org",
            &org.to_string(),
            "--email",
            email,
            "--role",
            role,
        ]);
    }

    fn remote(&self, email: &str, org: Uuid) -> (Remote, protocol::TokenPair) {
        let pair = sync::login(&self.url, email, PASSWORD, "estação de teste").expect("login");
        (Remote::new(&self.url, &pair.access_token, org), pair)
    }
}

/// A workstation that only syncs: an empty store of its own.
/// An HTTP client that hands back error statuses instead of failing.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn fresh_store(dir: &Path) -> Store {
    std::fs::create_dir_all(dir).expect("dir");
    Store::open(&dir.join(store::FILE_NAME)).expect("store")
}

fn classes(store: &Store) -> Vec<DocClass> {
    store::document_ids(store.conn())
        .expect("ids")
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

fn refused_code(err: SyncError) -> (u16, String) {
    match err {
        SyncError::Refused { status, error } => (status, error.code),
        other => panic!("expected a refusal, got {other}"),
    }
}

/// A planned restoration on 36 (id `e1`).
fn odontogram_entry() -> OdontogramEntry {
    OdontogramEntry {
        id: "e1".into(),
        region: "36".into(),
        surfaces: vec![],
        cervical: false,
        code: "restauracao".into(),
        tuss: None,
        status: EntryStatus::Planejado,
        professional_id: "p".into(),
        date: "2026-11-23".into(),
        note: String::new(),
        phase: None,
        fee_cents: None,
        appointment_id: None,
        created_at: "2026-11-23T10:00:00Z".into(),
        created_by: "u".into(),
    }
}

/// A chart document with one odontogram entry, written into a store.
fn write_chart(store: &mut Store, patient: Uuid) -> Uuid {
    let id = documents::chart_id(patient);
    let mut doc = documents::genesis(id, &ChartDoc::new(patient)).expect("genesis");
    let tx = store.transaction().expect("tx");
    tx.insert_new(id, DocClass::Chart, &doc, 0).expect("insert");
    doc.set_actor(automerge::ActorId::random());
    let before = doc.get_heads();
    let entry = odontogram_entry();
    let by = documents::Attribution {
        user: "u".into(),
        device: "d".into(),
        op: "chart.entry".into(),
    };
    documents::commit_entry(&mut doc, "entries", "e1", &entry, &by, 1).expect("commit");
    tx.save_changes(id, &doc, &before, 0).expect("save");
    tx.commit().expect("commit");
    id
}

fn roles_decide_what_reaches_each_workstation_and_tenants_see_nothing_of_each_other(
    backend: &Backend,
) {
    let server = Server::start(backend);
    let org_a = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    server.add_user(org_a, "dentista@sorriso.com.br", "clinico");
    server.add_user(org_a, "recepcao@sorriso.com.br", "recepcao");
    let org_b = server.create_org("Clínica Rival", "admin@rival.com.br");
    let tmp = tempfile::tempdir().expect("tempdir");

    // The admin's workstation creates the clinic and registers a patient.
    let admin_dir = tmp.path().join("admin");
    let (mut clinic, _) = arcada_tests::member_clinic(
        &admin_dir,
        &server.url,
        "admin@sorriso.com.br",
        PASSWORD,
        org_a,
    );
    let patient = clinic
        .add_patient(&PatientForm {
            name: Some("João da Silva".into()),
            phones: vec!["(11) 98765-4321".into()],
            ..Default::default()
        })
        .expect("patient");
    let patient_id = Uuid::parse_str(&patient.id).expect("uuid");
    drop(clinic);
    let mut admin_store =
        Store::open(&admin_dir.join("data").join(store::FILE_NAME)).expect("store");
    let (admin, _) = server.remote("admin@sorriso.com.br", org_a);
    let pushed = admin.push(&mut admin_store).expect("push");
    assert!(pushed.refused.is_empty(), "{:?}", pushed.refused);
    assert_eq!(pushed.acknowledged, pushed.sent);
    assert_eq!(
        store::outbox(admin_store.conn(), &[], 10)
            .expect("outbox")
            .len(),
        0,
        "everything acknowledged"
    );

    // The dentist's workstation pulls the patient and charts a tooth.
    let mut dentist_store = fresh_store(&tmp.path().join("dentist"));
    let dentist_cpf = sync::local_cpf_index(&mut dentist_store).expect("key");
    let (dentist, _) = server.remote("dentista@sorriso.com.br", org_a);
    dentist
        .pull(&mut dentist_store, &dentist_cpf)
        .expect("pull");
    let chart_id = write_chart(&mut dentist_store, patient_id);
    let pushed = dentist.push(&mut dentist_store).expect("push");
    assert!(pushed.refused.is_empty(), "{:?}", pushed.refused);
    assert!(
        pushed.acknowledged >= 2,
        "genesis and the entry: {pushed:?}"
    );
    // Pushing again sends nothing; a change pushed twice is stored once.
    assert_eq!(dentist.push(&mut dentist_store).expect("push").sent, 0);

    // The front desk pulls: the patient and directory arrive, the chart never does.
    let mut desk_store = fresh_store(&tmp.path().join("desk"));
    let desk_cpf = sync::local_cpf_index(&mut desk_store).expect("key");
    let (desk, _) = server.remote("recepcao@sorriso.com.br", org_a);
    let pulled = desk.pull(&mut desk_store, &desk_cpf).expect("pull");
    assert!(pulled.changes > 0);
    let desk_classes = classes(&desk_store);
    assert!(
        desk_classes.contains(&DocClass::Patient) && desk_classes.contains(&DocClass::Directory),
        "{desk_classes:?}"
    );
    assert!(
        !desk_classes.contains(&DocClass::Chart),
        "a chart reached the front desk: {desk_classes:?}"
    );
    let hits =
        projection::search_patients(desk_store.conn(), "joao", 10, &desk_cpf).expect("search");
    assert_eq!(hits.len(), 1, "the pulled patient is indexed locally");
    assert_eq!(hits[0].phones, ["+5511987654321"]);

    // The front desk tries to write the chart anyway: refused, nothing stored.
    let mut forged = documents::genesis(chart_id, &ChartDoc::new(patient_id)).expect("genesis");
    forged.set_actor(automerge::ActorId::random());
    let by = documents::Attribution {
        user: "x".into(),
        device: "x".into(),
        op: "forged".into(),
    };
    documents::commit_entry(&mut forged, "entries", "forged", &"x".to_string(), &by, 2)
        .expect("commit");
    let forged_changes: Vec<WireChange> = forged
        .get_changes(&[])
        .iter()
        .map(|c| WireChange {
            doc: chart_id,
            bytes: protocol::encode(c.raw_bytes()),
        })
        .collect();
    // A new document that declares no class.
    let mut classless = automerge::Automerge::new();
    documents::commit_entry(&mut classless, "notes", "n", &"x".to_string(), &by, 3)
        .expect("commit");
    let classless_id = Uuid::now_v7();
    let mut changes = forged_changes;
    changes.extend(classless.get_changes(&[]).iter().map(|c| WireChange {
        doc: classless_id,
        bytes: protocol::encode(c.raw_bytes()),
    }));
    // And one malformed change in the same batch does not spoil the rest.
    let garbage_id = Uuid::now_v7();
    changes.push(WireChange {
        doc: garbage_id,
        bytes: protocol::encode(b"not an automerge change"),
    });
    let answer = desk
        .push_raw(&PushRequest { changes })
        .expect("push answered");
    let verdict = |doc: Uuid| {
        answer
            .documents
            .iter()
            .find(|d| d.doc == doc)
            .expect("verdict")
            .clone()
    };
    assert!(!verdict(chart_id).accepted);
    assert_eq!(
        verdict(chart_id).error.expect("error").code,
        "forbidden_class"
    );
    // A document that declares no class is no valid document.
    assert_eq!(
        verdict(classless_id).error.expect("error").code,
        "invalid_document"
    );
    assert_eq!(verdict(garbage_id).error.expect("error").code, "bad_change");
    let after = dentist
        .pull(&mut dentist_store, &dentist_cpf)
        .expect("pull");
    let chart: ChartDoc = autosurgeon::hydrate(
        &store::load(dentist_store.conn(), chart_id)
            .expect("load")
            .expect("chart")
            .doc,
    )
    .expect("hydrate");
    assert_eq!(
        chart.entries.len(),
        1,
        "the forged entry never reached the dentist ({after:?})"
    );

    // Another tenant's admin: A's organisation does not exist for them.
    let (rival, _) = server.remote("admin@rival.com.br", org_b);
    let outsider = Remote::new(
        &server.url,
        &sync::login(&server.url, "admin@rival.com.br", PASSWORD, "x")
            .expect("login")
            .access_token,
        org_a,
    );
    assert_eq!(
        refused_code(
            outsider
                .pull_raw(&PullRequest {
                    after: 0,
                    limit: 100
                })
                .expect_err("foreign pull")
        ),
        (404, "not_found".into())
    );
    let steal = PushRequest {
        changes: vec![WireChange {
            doc: patient_id,
            bytes: protocol::encode(&[1, 2, 3]),
        }],
    };
    assert_eq!(
        refused_code(outsider.push_raw(&steal).expect_err("foreign push")),
        (404, "not_found".into())
    );
    // In their own organisation, asking for A's document ids gives nothing of A's.
    let theirs = rival
        .pull_raw(&PullRequest {
            after: 0,
            limit: 1000,
        })
        .expect("pull");
    assert!(
        theirs
            .changes
            .iter()
            .all(|c| c.doc != patient_id && c.doc != chart_id),
        "A's documents leaked into B"
    );
    // Writing under A's ids in B creates B's own documents; A never sees them.
    let mut b_store = fresh_store(&tmp.path().join("rival"));
    let mut b_clinic_doc =
        documents::genesis(patient_id, &ChartDoc::new(patient_id)).expect("genesis");
    b_clinic_doc.set_actor(automerge::ActorId::random());
    let tx = b_store.transaction().expect("tx");
    tx.insert_new(patient_id, DocClass::Chart, &b_clinic_doc, 0)
        .expect("insert");
    tx.commit().expect("commit");
    let b_push = rival.push(&mut b_store).expect("push");
    assert!(b_push.refused.is_empty());
    let a_view = desk.pull(&mut desk_store, &desk_cpf).expect("pull");
    assert_eq!(a_view.changes, 0, "B's writes reached A");
    let bad_token = Remote::new(&server.url, "forged-token", org_a);
    assert_eq!(
        refused_code(
            bad_token
                .pull_raw(&PullRequest { after: 0, limit: 1 })
                .expect_err("bad token")
        )
        .0,
        401
    );
}

fn refresh_rotation_reuse_and_device_revocation(backend: &Backend) {
    let server = Server::start(backend);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    server.add_user(org, "recepcao@sorriso.com.br", "recepcao");

    let wrong = sync::login(
        &server.url,
        "recepcao@sorriso.com.br",
        "wrong password",
        "x",
    )
    .expect_err("wrong password");
    let unknown =
        sync::login(&server.url, "nobody@sorriso.com.br", PASSWORD, "x").expect_err("unknown user");
    assert_eq!(refused_code(wrong), (401, "unauthorized".into()));
    assert_eq!(
        refused_code(unknown),
        (401, "unauthorized".into()),
        "same answer for unknown accounts"
    );

    let (desk, first) = server.remote("recepcao@sorriso.com.br", org);
    assert_eq!(first.organizations.len(), 1);
    assert_eq!(
        first.organizations[0].role,
        arcada_core::roles::Role::Recepcao
    );
    desk.pull_raw(&PullRequest {
        after: 0,
        limit: 10,
    })
    .expect("access token works");

    // Rotation: the refresh token is spent once.
    let second = sync::refresh(&server.url, &first.refresh_token).expect("refresh");
    assert_ne!(second.refresh_token, first.refresh_token);
    Remote::new(&server.url, &second.access_token, org)
        .pull_raw(&PullRequest {
            after: 0,
            limit: 10,
        })
        .expect("new access token");
    // A stolen copy of the spent token is used: the whole family dies.
    assert_eq!(
        refused_code(sync::refresh(&server.url, &first.refresh_token).expect_err("reuse")).0,
        401
    );
    assert_eq!(
        refused_code(
            sync::refresh(&server.url, &second.refresh_token).expect_err("family revoked")
        )
        .0,
        401
    );
    let dead = Remote::new(&server.url, &second.access_token, org);
    assert_eq!(
        refused_code(
            dead.pull_raw(&PullRequest {
                after: 0,
                limit: 10
            })
            .expect_err("revoked")
        )
        .0,
        401
    );

    // The admin revokes a device: it cannot sync nor log back in with its tokens.
    let (_, admin) = server.remote("admin@sorriso.com.br", org);
    let (desk2, pair) = server.remote("recepcao@sorriso.com.br", org);
    let agent = agent();
    let status = agent
        .post(&format!(
            "{}/api/v1/devices/{}/revoke",
            server.url, pair.device_id
        ))
        .header("Authorization", &format!("Bearer {}", admin.access_token))
        .send_empty()
        .expect("revoke")
        .status();
    assert_eq!(status.as_u16(), 204);
    assert_eq!(
        refused_code(
            desk2
                .pull_raw(&PullRequest {
                    after: 0,
                    limit: 10
                })
                .expect_err("revoked device")
        )
        .0,
        401
    );
    assert_eq!(
        refused_code(sync::refresh(&server.url, &pair.refresh_token).expect_err("revoked device"))
            .0,
        401
    );
    // A member of no common organisation cannot revoke anyone's device.
    server.create_org("Outra", "outro@outra.com.br");
    let (_, stranger) = server.remote("outro@outra.com.br", org);
    let status = agent
        .post(&format!(
            "{}/api/v1/devices/{}/revoke",
            server.url, admin.device_id
        ))
        .header(
            "Authorization",
            &format!("Bearer {}", stranger.access_token),
        )
        .send_empty()
        .expect("revoke")
        .status();
    assert_eq!(status.as_u16(), 404);

    let health = agent
        .get(&format!("{}/healthz", server.url))
        .call()
        .expect("health")
        .status();
    assert_eq!(health.as_u16(), 200);
    let mut metrics = agent
        .get(&format!("{}/metrics", server.url))
        .call()
        .expect("metrics");
    let text = metrics.body_mut().read_to_string().expect("text");
    assert!(text.contains("arcada_login_failures_total 2"), "{text}");
}

fn a_clinic_larger_than_one_batch_crosses_in_pages_and_arrives_whole(backend: &Backend) {
    let server = Server::start(backend);
    let org = server.create_org("Clínica Grande", "admin@grande.com.br");
    server.add_user(org, "recepcao@grande.com.br", "recepcao");
    let tmp = tempfile::tempdir().expect("tempdir");
    let admin_dir = tmp.path().join("admin");
    let (mut clinic, _) = arcada_tests::member_clinic(
        &admin_dir,
        &server.url,
        "admin@grande.com.br",
        PASSWORD,
        org,
    );
    let size = arcada_core::demo::DemoSize {
        professionals: 2,
        chairs: 2,
        patients: protocol::MAX_BATCH + 100,
        appointments: 150,
        first_day: chrono_monday(),
        seed: 11,
    };
    arcada_core::demo::populate(&mut clinic, &size, |_, _| {}).expect("demo");
    let local_dump = projection::dump(clinic.store().conn()).expect("dump");
    drop(clinic);
    let mut admin_store =
        Store::open(&admin_dir.join("data").join(store::FILE_NAME)).expect("store");
    let (admin, _) = server.remote("admin@grande.com.br", org);
    let pushed = admin.push(&mut admin_store).expect("push");
    assert!(
        pushed.sent > protocol::MAX_BATCH,
        "more than one batch: {pushed:?}"
    );
    assert_eq!(pushed.acknowledged, pushed.sent);

    let mut desk_store = fresh_store(&tmp.path().join("desk"));
    let cpf = sync::local_cpf_index(&mut desk_store).expect("key");
    let (desk, _) = server.remote("recepcao@grande.com.br", org);
    let pulled = desk.pull(&mut desk_store, &cpf).expect("pull");
    assert_eq!(
        pulled.changes,
        pushed.sent + 1,
        "every change arrives once, after the directory the server made"
    );
    // Same documents, same heads, same appointments and patient rows (the
    // CPF index is keyed per workstation, so it differs by design; the desk
    // also holds the directory the server made with the organisation).
    let server_directory = format!("heads|{}|", documents::directory_id(org));
    let comparable = |dump: Vec<String>| -> Vec<String> {
        dump.into_iter()
            .filter(|row| !row.starts_with("patient|") && !row.starts_with(&server_directory))
            .collect()
    };
    let (theirs, ours) = (
        comparable(projection::dump(desk_store.conn()).expect("dump")),
        comparable(local_dump),
    );
    let first_difference = theirs.iter().zip(&ours).find(|(a, b)| a != b);
    assert!(
        first_difference.is_none() && theirs.len() == ours.len(),
        "{} vs {} rows; first difference: {first_difference:?}",
        theirs.len(),
        ours.len()
    );
    assert_eq!(
        desk.pull(&mut desk_store, &cpf)
            .expect("pull again")
            .changes,
        0,
        "the cursor moved past everything"
    );
}

/// Workstations pushing while another pulls as fast as it can: every
/// change reaches the puller exactly once, however the commits fall between
/// the statements of a pull (a cursor moved past a change that committed a
/// moment later would lose it for good, and every change after it in that
/// document would wait forever for its dependency).
fn pulls_racing_pushes_miss_no_change(backend: &Backend) {
    const PUSHERS: usize = 2;
    const CHANGES: usize = 150;
    let server = Server::start(backend);
    let org = server.create_org("Clínica Corrida", "admin@corrida.com.br");
    server.add_user(org, "dentista@corrida.com.br", "clinico");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let pushers: Vec<_> = (0..PUSHERS)
        .map(|_| {
            let (remote, _) = server.remote("dentista@corrida.com.br", org);
            let done = done.clone();
            std::thread::spawn(move || {
                let patient = Uuid::now_v7();
                let id = documents::chart_id(patient);
                let mut doc = documents::genesis(id, &ChartDoc::new(patient)).expect("genesis");
                doc.set_actor(automerge::ActorId::random());
                let by = documents::Attribution {
                    user: "u".into(),
                    device: "d".into(),
                    op: "chart.note".into(),
                };
                let mut before = Vec::new();
                let mut hashes = Vec::new();
                for i in 0..CHANGES {
                    let key = format!("e{i}");
                    let entry = OdontogramEntry {
                        id: key.clone(),
                        ..odontogram_entry()
                    };
                    documents::commit_entry(&mut doc, "entries", &key, &entry, &by, i as i64)
                        .expect("commit");
                    let changes: Vec<WireChange> = doc
                        .get_changes(&before)
                        .iter()
                        .map(|c| {
                            hashes.push(c.hash());
                            WireChange {
                                doc: id,
                                bytes: protocol::encode(c.raw_bytes()),
                            }
                        })
                        .collect();
                    before = doc.get_heads();
                    let answer = remote
                        .push_raw(&PushRequest { changes })
                        .expect("push answered");
                    assert!(answer.documents.iter().all(|d| d.accepted), "{answer:?}");
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (id, hashes)
            })
        })
        .collect();
    let (reader, _) = server.remote("admin@corrida.com.br", org);
    let mut seen: std::collections::HashMap<Uuid, Vec<automerge::ChangeHash>> =
        std::collections::HashMap::new();
    let mut after = 0;
    let mut pulls = 0;
    loop {
        // A pusher that failed has finished too: its join says why.
        let finished = done.load(std::sync::atomic::Ordering::SeqCst) == PUSHERS
            || pushers.iter().all(|p| p.is_finished());
        let page = reader
            .pull_raw(&PullRequest { after, limit: 1000 })
            .expect("pull");
        pulls += 1;
        for c in &page.changes {
            assert!(
                c.seq > after,
                "a change from before the cursor: {after} {c:?}"
            );
            let bytes = protocol::decode(&c.bytes).expect("base64");
            let change = automerge::Change::from_bytes(bytes).expect("a change");
            seen.entry(c.doc).or_default().push(change.hash());
        }
        after = page.cursor;
        if finished && !page.more {
            break;
        }
    }
    for pusher in pushers {
        let (id, hashes) = pusher.join().expect("pusher");
        let got = seen.remove(&id).unwrap_or_default();
        assert_eq!(
            got.len(),
            hashes.len(),
            "{id}: {} of {} changes reached the puller in {pulls} pulls",
            got.len(),
            hashes.len()
        );
        let got: std::collections::HashSet<_> = got.into_iter().collect();
        assert!(
            hashes.iter().all(|h| got.contains(h)),
            "{id}: a change missed"
        );
    }
}

fn chrono_monday() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a Monday")
}

/// Row-level security as a second wall: connected as the server's own
/// role, without naming an organisation, the change log is empty; naming one
/// shows only that one's rows.
fn row_level_security_hides_other_tenants_rows(backend: &Backend) {
    let server = Server::start(backend);
    let db = server.pg.as_ref().expect("a PostgreSQL backend");
    let org_a = server.create_org("Clínica A", "admin@a.com.br");
    let org_b = server.create_org("Clínica B", "admin@b.com.br");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut clinic, _) =
        arcada_tests::member_clinic(tmp.path(), &server.url, "admin@a.com.br", PASSWORD, org_a);
    clinic
        .add_patient(&PatientForm {
            name: Some("Ana".into()),
            ..Default::default()
        })
        .expect("patient");
    drop(clinic);
    let mut store = Store::open(&tmp.path().join("data").join(store::FILE_NAME)).expect("store");
    let (admin, _) = server.remote("admin@a.com.br", org_a);
    assert!(admin.push(&mut store).expect("push").acknowledged > 0);

    let mut app =
        postgres::Client::connect(&db.url, postgres::NoTls).expect("connect as the server's role");
    let count = |app: &mut postgres::Client, org: Option<Uuid>| -> i64 {
        let mut tx = app.transaction().expect("tx");
        if let Some(org) = org {
            tx.execute(
                "SELECT set_config('app.current_org', $1, true)",
                &[&org.to_string()],
            )
            .expect("set");
        }
        let n: i64 = tx
            .query_one("SELECT COUNT(*) FROM changes", &[])
            .expect("count")
            .get(0);
        let d: i64 = tx
            .query_one("SELECT COUNT(*) FROM documents", &[])
            .expect("count")
            .get(0);
        tx.commit().expect("commit");
        n + d
    };
    assert_eq!(count(&mut app, None), 0, "no organisation named, no rows");
    assert!(count(&mut app, Some(org_a)) > 0);
    assert_eq!(
        count(&mut app, Some(org_b)),
        2,
        "B sees only its own directory (one document, one change)"
    );
    // Writing another tenant's rows is refused by the policy, too.
    let mut tx = app.transaction().expect("tx");
    tx.execute(
        "SELECT set_config('app.current_org', $1, true)",
        &[&org_b.to_string()],
    )
    .expect("set");
    let forged = tx.execute(
        "INSERT INTO documents (org_id, id, class, first_seen) VALUES ($1, $2, 'patient', 0)",
        &[&org_a, &Uuid::now_v7()],
    );
    assert!(
        forged.is_err(),
        "row-level security let a write into another tenant through"
    );
}

type LiveSocket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// Opens the live channel of `org` with an access token.
fn live(server: &Server, token: &str, org: Uuid) -> Result<LiveSocket, tungstenite::Error> {
    use tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/sync/v1/{org}/live",
        server.url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (socket, _) = tungstenite::connect(request)?;
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .expect("timeout");
    }
    Ok(socket)
}

/// What the live channel said next: a text message, or the close code.
fn next_event(socket: &mut LiveSocket) -> Result<String, Option<u16>> {
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Text(t)) => return Ok(t.as_str().to_string()),
            Ok(tungstenite::Message::Close(frame)) => return Err(frame.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(_) => return Err(None),
        }
    }
}

fn handshake_status(result: Result<LiveSocket, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected the handshake to be refused"),
    }
}

/// The live channel announces new changes, refuses outsiders, and hangs up
/// on a revoked device, which cannot reconnect.
fn live_channel_announces_changes_and_drops_revoked_devices(backend: &Backend) {
    let server = Server::start(backend);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    server.add_user(org, "recepcao@sorriso.com.br", "recepcao");
    let rival_org = server.create_org("Clínica Rival", "admin@rival.com.br");
    let (desk, desk_pair) = server.remote("recepcao@sorriso.com.br", org);
    let mut socket = live(&server, &desk_pair.access_token, org).expect("connect");
    assert_eq!(
        next_event(&mut socket),
        Ok(r#"{"type":"hello","role":"recepcao"}"#.to_string())
    );

    // The admin registers a patient elsewhere: the desk hears of it and pulls.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (_, admin_pair) = server.remote("admin@sorriso.com.br", org);
    push_clinic(
        &server,
        org,
        "admin@sorriso.com.br",
        1,
        &tmp.path().join("admin"),
    );
    assert_eq!(
        next_event(&mut socket),
        Ok(r#"{"type":"changes"}"#.to_string())
    );
    let mut desk_store = fresh_store(&tmp.path().join("desk"));
    let cpf = sync::local_cpf_index(&mut desk_store).expect("key");
    assert!(desk.pull(&mut desk_store, &cpf).expect("pull").changes > 0);

    // Outsiders and bad tokens never get a channel.
    assert_eq!(
        handshake_status(live(&server, &desk_pair.access_token, rival_org)),
        404
    );
    assert_eq!(handshake_status(live(&server, "forged", org)), 401);

    // Revoking the device hangs up at once; the token cannot reconnect.
    let agent = agent();
    let status = agent
        .post(&format!(
            "{}/api/v1/devices/{}/revoke",
            server.url, desk_pair.device_id
        ))
        .header(
            "Authorization",
            &format!("Bearer {}", admin_pair.access_token),
        )
        .send_empty()
        .expect("revoke")
        .status();
    assert_eq!(status.as_u16(), 204);
    assert_eq!(
        next_event(&mut socket),
        Err(Some(4001)),
        "closed as revoked"
    );
    assert_eq!(
        handshake_status(live(&server, &desk_pair.access_token, org)),
        401
    );
}

/// Admins and gerentes manage members through the API; a role change
/// reaches the member's live session with the classes to drop, pulls follow
/// the new role, the last admin stays, and a removed member is cut off.
fn members_are_managed_and_role_changes_reach_live_sessions(backend: &Backend) {
    let server = Server::start(backend);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    let (_, admin_pair) = server.remote("admin@sorriso.com.br", org);
    let agent = agent();
    let call = |method: &str,
                path: &str,
                token: &str,
                body: Option<serde_json::Value>|
     -> (u16, serde_json::Value) {
        let url = format!("{}{path}", server.url);
        let auth = format!("Bearer {token}");
        let mut response = match (method, body) {
            ("GET", _) => agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => agent.delete(&url).header("Authorization", &auth).call(),
            ("PUT", Some(b)) => agent.put(&url).header("Authorization", &auth).send_json(b),
            (_, Some(b)) => agent.post(&url).header("Authorization", &auth).send_json(b),
            (_, None) => agent.post(&url).header("Authorization", &auth).send_empty(),
        }
        .expect("answer");
        let status = response.status().as_u16();
        (
            status,
            response
                .body_mut()
                .read_json()
                .unwrap_or(serde_json::Value::Null),
        )
    };
    let members = format!("/api/v1/orgs/{org}/members");
    let new_member = |email: &str, role: &str| serde_json::json!({"email": email, "role": role, "password": PASSWORD});
    let (status, body) = call(
        "POST",
        &members,
        &admin_pair.access_token,
        Some(new_member("recepcao@sorriso.com.br", "recepcao")),
    );
    assert_eq!(status, 201, "{body}");
    let desk_id = body["user_id"].as_str().expect("user id").to_string();
    assert_eq!(
        call(
            "POST",
            &members,
            &admin_pair.access_token,
            Some(new_member("gerente@sorriso.com.br", "gerente"))
        )
        .0,
        201
    );
    assert_eq!(
        call(
            "POST",
            &members,
            &admin_pair.access_token,
            Some(new_member("recepcao@sorriso.com.br", "viewer"))
        )
        .0,
        409
    );
    let (status, body) = call(
        "POST",
        &members,
        &admin_pair.access_token,
        Some(serde_json::json!({"email": "novo@sorriso.com.br", "role": "viewer"})),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("password_required"))
    );

    let (desk, desk_pair) = server.remote("recepcao@sorriso.com.br", org);
    let (_, manager) = server.remote("gerente@sorriso.com.br", org);
    // Only managers list; a gerente cannot make admins.
    assert_eq!(call("GET", &members, &desk_pair.access_token, None).0, 403);
    let (status, list) = call("GET", &members, &manager.access_token, None);
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    let member = |id: &str| format!("{members}/{id}");
    assert_eq!(
        call(
            "PUT",
            &member(&desk_id),
            &manager.access_token,
            Some(serde_json::json!({"role": "admin"}))
        )
        .0,
        403
    );
    // The last admin stays.
    let admin_id = list
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["role"] == "admin")
        .expect("admin")["user_id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, body) = call(
        "PUT",
        &member(&admin_id),
        &admin_pair.access_token,
        Some(serde_json::json!({"role": "viewer"})),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("last_admin"))
    );

    // The admin registers a patient; the desk can read it.
    let tmp = tempfile::tempdir().expect("tempdir");
    push_clinic(
        &server,
        org,
        "admin@sorriso.com.br",
        1,
        &tmp.path().join("admin"),
    );
    let readable = |remote: &Remote| -> Vec<DocClass> {
        let mut classes: Vec<DocClass> = remote
            .pull_raw(&PullRequest {
                after: 0,
                limit: 1000,
            })
            .expect("pull")
            .changes
            .iter()
            .map(|c| c.class)
            .collect();
        classes.dedup();
        classes.sort();
        classes.dedup();
        classes
    };
    assert!(readable(&desk).contains(&DocClass::Patient));

    // Demoted to viewer: the live session is told what to drop, pulls follow.
    let mut socket = live(&server, &desk_pair.access_token, org).expect("connect");
    assert_eq!(
        next_event(&mut socket),
        Ok(r#"{"type":"hello","role":"recepcao"}"#.to_string())
    );
    assert_eq!(
        call(
            "PUT",
            &member(&desk_id),
            &manager.access_token,
            Some(serde_json::json!({"role": "viewer"}))
        )
        .0,
        204
    );
    let message: serde_json::Value =
        serde_json::from_str(&next_event(&mut socket).expect("role message")).expect("json");
    assert_eq!(message["type"], "role");
    assert_eq!(message["role"], "viewer");
    assert_eq!(
        message["drop"],
        serde_json::json!(["patient", "agenda", "ledger", "conversation"])
    );
    assert_eq!(readable(&desk), vec![DocClass::Directory]);

    // Removed: cut off at once.
    assert_eq!(
        call("DELETE", &member(&desk_id), &manager.access_token, None).0,
        204
    );
    assert_eq!(next_event(&mut socket), Err(Some(4003)));
    assert_eq!(
        refused_code(
            desk.pull_raw(&PullRequest {
                after: 0,
                limit: 10
            })
            .expect_err("removed")
        )
        .0,
        404
    );
    // Each user sees their own devices.
    let (status, devices) = call("GET", "/api/v1/devices", &admin_pair.access_token, None);
    assert_eq!(status, 200);
    assert!(devices
        .as_array()
        .expect("devices")
        .iter()
        .any(|d| d["id"] == admin_pair.device_id.to_string()));
}

/// Each scenario runs once per backend: the same suite for SQLite and
/// PostgreSQL.
/// Snapshot bootstrap: a fresh workstation gets whole documents, compacted,
/// page by page in id order — only of the classes its role may read, never
/// another tenant's — and is then current with a pull from the snapshot's
/// cursor. A snapshot kept from an earlier request is rebuilt once the
/// document has changed.
fn snapshots_bootstrap_a_fresh_workstation_within_its_role(backend: &Backend) {
    let server = Server::start(backend);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    server.add_user(org, "dentista@sorriso.com.br", "clinico");
    server.add_user(org, "recepcao@sorriso.com.br", "recepcao");
    let rival = server.create_org("Clínica Rival", "admin@rival.com.br");
    let tmp = tempfile::tempdir().expect("tempdir");
    let admin_dir = tmp.path().join("admin");
    push_clinic(&server, org, "admin@sorriso.com.br", 6, &admin_dir);
    let mut admin_store =
        Store::open(&admin_dir.join("data").join(store::FILE_NAME)).expect("store");
    let patients: Vec<Uuid> = store::document_ids(admin_store.conn())
        .expect("ids")
        .into_iter()
        .filter(|(_, c)| *c == DocClass::Patient)
        .map(|(id, _)| id)
        .collect();
    let (dentist, _) = server.remote("dentista@sorriso.com.br", org);
    let mut dentist_store = fresh_store(&tmp.path().join("dentist"));
    let dentist_cpf = sync::local_cpf_index(&mut dentist_store).expect("key");
    let chart = write_chart(&mut dentist_store, patients[0]);
    dentist.push(&mut dentist_store).expect("push chart");

    // Pages in id order, without gaps or repeats; the charts stay out.
    let (desk, _) = server.remote("recepcao@sorriso.com.br", org);
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let page = desk
            .snapshot_raw(&protocol::SnapshotRequest { after, limit: 2 })
            .expect("page");
        assert!(page.documents.len() <= 2);
        seen.extend(page.documents.iter().map(|d| (d.doc, d.class)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let ids: Vec<Uuid> = seen.iter().map(|(d, _)| *d).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "ascending, no repeats");
    assert!(seen.iter().all(|(_, c)| *c != DocClass::Chart), "{seen:?}");
    assert_eq!(
        seen.iter().filter(|(_, c)| *c == DocClass::Patient).count(),
        6
    );

    // The admin edits a patient after those snapshots were kept.
    let tx = admin_store.transaction().expect("tx");
    let mut doc = store::load(&tx, patients[1])
        .expect("load")
        .expect("doc")
        .doc;
    doc.set_actor(automerge::ActorId::random());
    let before = doc.get_heads();
    let mut patient: documents::PatientDoc = autosurgeon::hydrate(&doc).expect("hydrate");
    patient.name = "Nome Corrigido Depois".into();
    documents::commit(
        &mut doc,
        &patient,
        &documents::Attribution {
            user: "a".into(),
            device: "a".into(),
            op: "edit".into(),
        },
        5,
    )
    .expect("commit");
    tx.save_changes(patients[1], &doc, &before, 0)
        .expect("save");
    tx.commit().expect("commit");
    let (admin, _) = server.remote("admin@sorriso.com.br", org);
    admin.push(&mut admin_store).expect("push edit");

    // A fresh desk workstation bootstraps, then pulls: current, chart-free.
    let mut desk_store = fresh_store(&tmp.path().join("desk"));
    let desk_cpf = sync::local_cpf_index(&mut desk_store).expect("key");
    assert!(desk.needs_bootstrap(&desk_store).expect("cursor"));
    let boot = desk
        .bootstrap(&mut desk_store, &desk_cpf)
        .expect("bootstrap");
    assert_eq!(boot.documents, seen.len());
    assert!(!desk.needs_bootstrap(&desk_store).expect("cursor"));
    desk.pull(&mut desk_store, &desk_cpf).expect("pull");
    assert!(!classes(&desk_store).contains(&DocClass::Chart));
    let hits =
        projection::search_patients(desk_store.conn(), "corrigido", 5, &desk_cpf).expect("search");
    assert_eq!(hits.len(), 1, "the snapshot was rebuilt after the edit");
    for id in &patients {
        let heads = |s: &Store| {
            store::load(s.conn(), *id)
                .expect("load")
                .expect("doc")
                .doc
                .get_heads()
        };
        assert_eq!(heads(&desk_store), heads(&admin_store));
    }
    // The dentist's fresh workstation gets the chart.
    let mut other = fresh_store(&tmp.path().join("dentist2"));
    dentist
        .bootstrap(&mut other, &dentist_cpf)
        .expect("bootstrap");
    assert!(store::load(other.conn(), chart).expect("load").is_some());

    // Another tenant's token learns nothing.
    let (outsider, _) = server.remote("admin@rival.com.br", rival);
    let foreign = Remote::new(&server.url, &outsider_token(&server), org);
    assert_eq!(
        refused_code(
            foreign
                .snapshot_raw(&protocol::SnapshotRequest {
                    after: None,
                    limit: 10
                })
                .expect_err("foreign org")
        ),
        (404, "not_found".into())
    );
    let own = outsider
        .snapshot_raw(&protocol::SnapshotRequest {
            after: None,
            limit: 10,
        })
        .expect("own org");
    assert!(own.documents.iter().all(|d| !ids.contains(&d.doc)));
}

fn outsider_token(server: &Server) -> String {
    sync::login(&server.url, "admin@rival.com.br", PASSWORD, "outsider")
        .expect("login")
        .access_token
}

on_every_backend!(
    roles_decide_what_reaches_each_workstation_and_tenants_see_nothing_of_each_other,
    refresh_rotation_reuse_and_device_revocation,
    a_clinic_larger_than_one_batch_crosses_in_pages_and_arrives_whole,
    live_channel_announces_changes_and_drops_revoked_devices,
    members_are_managed_and_role_changes_reach_live_sessions,
    snapshots_bootstrap_a_fresh_workstation_within_its_role,
    pulls_racing_pushes_miss_no_change,
);

/// Connected as a superuser, row-level security would not apply: the
/// server refuses to start (before creating anything) unless told to.
#[test]
fn postgresql_a_privileged_role_is_refused() {
    let Some(admin_url) = arcada_tests::postgres::admin_url() else {
        return;
    };
    let db = PgDatabase::create(&admin_url);
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let as_superuser = format!("{base}/{}", db.name);
    let out = Command::new(server_binary())
        .args([
            "--database-url",
            &as_superuser,
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("row-level security"), "{stderr}");
    let mut client = postgres::Client::connect(&as_superuser, postgres::NoTls).expect("connect");
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(tables, 0, "nothing was created");
}

/// With `sslmode=require` the server talks to PostgreSQL over TLS, the
/// certificate checked against `--database-ca` (or the Mozilla roots,
/// which do not know a private CA: refused before anything is served).
#[test]
fn postgresql_the_server_talks_to_the_database_over_tls() {
    let Some(admin_url) = arcada_tests::postgres::admin_url() else {
        return;
    };
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).expect("admin");
    let ssl: String = admin.query_one("SHOW ssl", &[]).expect("ssl").get(0);
    let cert: String = admin
        .query_one("SHOW ssl_cert_file", &[])
        .expect("cert")
        .get(0);
    let cert = PathBuf::from(cert);
    // Debian's PostgreSQL serves TLS with a self-signed "snakeoil"
    // certificate for localhost; a server set up otherwise cannot show this.
    let names_localhost = std::fs::read_to_string(&cert)
        .ok()
        .is_some_and(|_| std::net::ToSocketAddrs::to_socket_addrs("localhost:5432").is_ok());
    if ssl != "on" || !names_localhost {
        eprintln!("skipped: PostgreSQL serves no TLS with a certificate for localhost here");
        return;
    }
    let db = PgDatabase::create(&admin_url);
    let tls_url = format!(
        "{}?sslmode=require",
        db.url.replace("@127.0.0.1:", "@localhost:")
    );
    let ca = cert.display().to_string();
    let server = ServerProcess::start(
        &[
            "--database-url".into(),
            tls_url.clone(),
            "--database-ca".into(),
            ca.clone(),
        ],
        &[],
        &[],
    )
    .expect("served over TLS");
    let (connections, encrypted): (i64, i64) = {
        let row = admin
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE s.ssl)
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1",
                &[&db.name],
            )
            .expect("pg_stat_ssl");
        (row.get(0), row.get(1))
    };
    assert!(connections > 0, "the server holds connections");
    assert_eq!(encrypted, connections, "every connection is encrypted");
    drop(server);

    let refused = |args: &[&str]| {
        let out = Command::new(server_binary())
            .args(args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .output()
            .expect("run");
        assert!(!out.status.success(), "served with {args:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // A certificate no known CA signed, or a CA without TLS asked for.
    let stderr = refused(&["--database-url", &tls_url]);
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    let stderr = refused(&["--database-url", &db.url, "--database-ca", &ca]);
    assert!(stderr.contains("sslmode=require"), "{stderr}");
}

#[test]
fn postgresql_row_level_security_hides_other_tenants_rows() {
    if let Some(backend) = Backend::postgres() {
        row_level_security_hides_other_tenants_rows(&backend);
    }
}

/// A password guesser from one address: after five wrong passwords the
/// account answers 429 even to the right one; after twenty failures the
/// address is refused for every account.
#[test]
fn failed_logins_are_throttled_per_account_and_per_address() {
    let server = Server::start(&Backend::Sqlite);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    server.add_user(org, "recepcao@sorriso.com.br", "recepcao");
    server.add_user(org, "dentista@sorriso.com.br", "clinico");
    for _ in 0..5 {
        let err = sync::login(&server.url, "admin@sorriso.com.br", "chute errado", "x")
            .expect_err("wrong");
        assert_eq!(refused_code(err).0, 401);
    }
    let err =
        sync::login(&server.url, "admin@sorriso.com.br", PASSWORD, "x").expect_err("throttled");
    assert_eq!(refused_code(err), (429, "too_many_attempts".into()));
    // The header tells when to try again.
    let agent = agent();
    let response = agent
        .post(&format!("{}/api/v1/auth/login", server.url))
        .send_json(serde_json::json!({"email": "admin@sorriso.com.br", "password": PASSWORD, "device_name": "x"}))
        .expect("answer");
    assert_eq!(response.status().as_u16(), 429);
    let retry: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Other accounts from the same address still log in.
    sync::login(&server.url, "recepcao@sorriso.com.br", PASSWORD, "x").expect("another account");
    // Spraying many accounts from one address exhausts the address.
    for i in 0..15 {
        let _ = sync::login(
            &server.url,
            &format!("ninguem{i}@sorriso.com.br"),
            "chute",
            "x",
        );
    }
    let err = sync::login(&server.url, "dentista@sorriso.com.br", PASSWORD, "x")
        .expect_err("address throttled");
    assert_eq!(refused_code(err).0, 429);
}

/// Malformed frames, unknown versions, oversized batches and bodies: each
/// gets a precise JSON error, nothing is stored, and the server keeps
/// serving everyone else.
#[test]
fn hostile_frames_get_json_errors_and_the_server_keeps_serving() {
    let server = Server::start(&Backend::Sqlite);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    let (admin, pair) = server.remote("admin@sorriso.com.br", org);
    let agent = agent();
    // A fresh connection for each frame: a refusal answered before the
    // body is read (401) ends its connection, and a pooled connection
    // reused at that moment reads only its end.
    let send = |path: &str, body: &[u8], token: Option<&str>| -> (u16, serde_json::Value) {
        let mut request = crate::agent()
            .post(&format!("{}{path}", server.url))
            .header("Content-Type", "application/json");
        if let Some(t) = token {
            request = request.header("Authorization", &format!("Bearer {t}"));
        }
        let mut response = request.send(body).expect("answer");
        let status = response.status().as_u16();
        let json = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_json()
            .unwrap_or(serde_json::Value::Null);
        (status, json)
    };
    let token = Some(pair.access_token.as_str());
    let push = format!("/sync/v1/{org}/push");
    let pull = format!("/sync/v1/{org}/pull");
    let code = |v: &serde_json::Value| {
        v["error"]["code"]
            .as_str()
            .unwrap_or("<not a JSON error>")
            .to_string()
    };

    let (status, body) = send(&push, b"not json at all", token);
    assert_eq!((status, code(&body)), (400, "bad_request".into()));
    let (status, body) = send(&push, br#"{"changes": 5}"#, token);
    assert_eq!((status, code(&body)), (400, "bad_request".into()));
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("changes")),
        "{body}"
    );
    let (status, body) = send(
        &push,
        br#"{"changes": [{"doc": "not-a-uuid", "bytes": ""}]}"#,
        token,
    );
    assert_eq!((status, code(&body)), (400, "bad_request".into()));
    let (status, body) = send(&pull, br#"{"after": -1, "limit": 10}"#, token);
    assert_eq!((status, code(&body)), (400, "invalid_cursor".into()));
    let (status, body) = send(
        &format!("/sync/v2/{org}/pull"),
        br#"{"after": 0, "limit": 10}"#,
        token,
    );
    assert_eq!((status, code(&body)), (404, "not_found".into()));
    let (status, body) = send(&pull, br#"{"after": 0, "limit": 10}"#, None);
    assert_eq!((status, code(&body)), (401, "unauthorized".into()));
    let many: Vec<WireChange> = (0..protocol::MAX_BATCH + 1)
        .map(|_| WireChange {
            doc: Uuid::now_v7(),
            bytes: String::new(),
        })
        .collect();
    let (status, body) = send(
        &push,
        &serde_json::to_vec(&PushRequest { changes: many }).expect("json"),
        token,
    );
    assert_eq!((status, code(&body)), (413, "batch_too_large".into()));
    // An oversized body is refused: a 413 JSON error, or — when the server
    // hangs up before the client has finished uploading — a cut connection.
    let huge = vec![b' '; 33 * 1024 * 1024];
    let request = agent
        .post(&format!("{}{push}", server.url))
        .header("Content-Type", "application/json")
        .header("Authorization", &format!("Bearer {}", pair.access_token));
    match request.send(&huge[..]) {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
            assert_eq!((status, code(&body)), (413, "too_large".into()));
        }
        Err(ureq::Error::Io(e)) => {
            assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "{e}"
            );
        }
        Err(other) => panic!("unexpected failure sending an oversized body: {other}"),
    }

    // Nothing was stored, and the server still serves.
    let after = admin
        .pull_raw(&PullRequest {
            after: 0,
            limit: 10,
        })
        .expect("pull");
    assert!(
        after.changes.iter().all(|c| c.class == DocClass::Directory),
        "nothing stored beyond the directory the organisation was created with"
    );
    // A fresh agent: the server closed the connection the oversized upload
    // came on, and a pooled one could be that one.
    assert_eq!(
        crate::agent()
            .get(&format!("{}/healthz", server.url))
            .call()
            .expect("health")
            .status()
            .as_u16(),
        200
    );
}

/// Changes larger than one batch's byte budget travel in several pushes and
/// several pull pages, and arrive intact.
#[test]
fn batches_are_cut_by_bytes_as_well_as_by_count() {
    let server = Server::start(&Backend::Sqlite);
    let org = server.create_org("Clínica Sorriso", "admin@sorriso.com.br");
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut store = fresh_store(&tmp.path().join("admin"));
    let by = documents::Attribution {
        user: "u".into(),
        device: "d".into(),
        op: "big".into(),
    };
    let chunk = 3 * 1024 * 1024;
    let mut expected = Vec::new();
    {
        let tx = store.transaction().expect("tx");
        for i in 0..3u8 {
            // Incompressible text, so the change really is this large.
            let note: String = (0..chunk)
                .map(|j| char::from(b'a' + ((j * 7 + usize::from(i) * 13 + j / 97) % 26) as u8))
                .collect();
            // A patient whose record carries that much text.
            let id = Uuid::now_v7();
            let big = documents::PatientDoc::new(id, &note, "2026-11-23T10:00:00Z", "u");
            let mut doc = automerge::Automerge::new();
            documents::commit(&mut doc, &big, &by, 0).expect("commit");
            tx.insert_new(id, DocClass::Patient, &doc, 0)
                .expect("insert");
            expected.push((id, big));
        }
        tx.commit().expect("commit");
    }
    let (admin, _) = server.remote("admin@sorriso.com.br", org);
    let pushed = admin.push(&mut store).expect("push");
    assert_eq!((pushed.sent, pushed.acknowledged), (3, 3));
    let agent = agent();
    let metrics = agent
        .get(&format!("{}/metrics", server.url))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .expect("text");
    let pushes: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("arcada_pushes_total "))
        .and_then(|n| n.parse().ok())
        .expect("pushes counter");
    assert!(pushes >= 2, "9 MiB of changes left in one push ({pushes})");
    let first_page = admin
        .pull_raw(&PullRequest {
            after: 0,
            limit: 1000,
        })
        .expect("pull");
    assert!(
        first_page.more
            && first_page
                .changes
                .iter()
                .filter(|c| c.class == DocClass::Patient)
                .count()
                < 3,
        "the first page stops at the byte budget"
    );
    let mut fresh = fresh_store(&tmp.path().join("fresh"));
    let cpf = sync::local_cpf_index(&mut fresh).expect("key");
    let pulled = admin.pull(&mut fresh, &cpf).expect("pull");
    assert_eq!(
        pulled.documents,
        3 + 1,
        "the three, and the organisation's directory"
    );
    for (id, big) in expected {
        let got: documents::PatientDoc = autosurgeon::hydrate(
            &store::load(fresh.conn(), id)
                .expect("load")
                .expect("doc")
                .doc,
        )
        .expect("hydrate");
        assert_eq!(got, big);
    }
}

/// `patients` patients registered on an admin's workstation and pushed
/// (the organisation's directory is the server's already).
fn push_clinic(
    server: &Server,
    org: Uuid,
    email: &str,
    patients: usize,
    dir: &Path,
) -> sync::PushReport {
    let mut store =
        arcada_tests::clinic_with_patients(dir, &server.url, email, PASSWORD, org, patients);
    let (remote, _) = server.remote(email, org);
    remote.push(&mut store).expect("push")
}

/// Per-plan limits from the environment: documents per organisation and
/// live sessions per device and per organisation.
#[test]
fn organisations_and_devices_are_held_to_their_limits() {
    let env = [
        // The directory made with the organisation counts: room for 3 more.
        ("ARCADA_MAX_DOCUMENTS_PER_ORG", "4"),
        ("ARCADA_MAX_LIVE_PER_DEVICE", "1"),
        ("ARCADA_MAX_LIVE_PER_ORG", "2"),
    ];
    let server = Server::start_with(&Backend::Sqlite, &env, &[]);
    let org = server.create_org("Clínica Pequena", "admin@pequena.com.br");
    server.add_user(org, "recepcao@pequena.com.br", "recepcao");
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = push_clinic(
        &server,
        org,
        "admin@pequena.com.br",
        4,
        &tmp.path().join("a"),
    );
    assert_eq!(
        report.refused.len(),
        1,
        "the fourth document is over the limit: {report:?}"
    );
    assert!(report.refused[0].1.contains("document_limit"), "{report:?}");
    // Live sessions: one per device, two per organisation.
    let (_, admin) = server.remote("admin@pequena.com.br", org);
    let first = live(&server, &admin.access_token, org).expect("first session");
    assert_eq!(
        handshake_status(live(&server, &admin.access_token, org)),
        429
    );
    let (_, desk) = server.remote("recepcao@pequena.com.br", org);
    let second = live(&server, &desk.access_token, org).expect("second device");
    let (_, other) = server.remote("recepcao@pequena.com.br", org);
    assert_eq!(
        handshake_status(live(&server, &other.access_token, org)),
        429,
        "organisation limit"
    );
    drop(first);
    drop(second);
    // Seats are given back when sessions end.
    let mut again = None;
    for _ in 0..50 {
        if let Ok(socket) = live(&server, &admin.access_token, org) {
            again = Some(socket);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        again.is_some(),
        "a closed session's seat was never given back"
    );
}

/// Settings from a TOML file; a file with an unknown key stops the server
/// with a message that names it.
#[test]
fn settings_come_from_a_toml_file_and_bad_files_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("arcada.toml");
    // The organisation's own directory and two more.
    std::fs::write(&config, "[limits]\ndocuments_per_org = 3\n").expect("write");
    let config_arg = config.display().to_string();
    let server = Server::start_with(&Backend::Sqlite, &[], &["--config", &config_arg]);
    let org = server.create_org("Clínica", "admin@clinica.com.br");
    let report = push_clinic(
        &server,
        org,
        "admin@clinica.com.br",
        3,
        &tmp.path().join("a"),
    );
    assert_eq!(report.refused.len(), 1, "{report:?}");

    std::fs::write(&config, "[limits]\ndocuments_per_orgs = 2\n").expect("write");
    let out = Command::new(server_binary())
        .args(["--config", &config_arg, "--data"])
        .arg(tmp.path().join("other"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("documents_per_orgs") && stderr.contains("arcada.toml"),
        "{stderr}"
    );
}

/// The OpenAPI document describes every endpoint the server routes, with
/// the schemas of the real protocol types.
#[test]
fn the_openapi_document_describes_every_endpoint() {
    let server = Server::start(&Backend::Sqlite);
    let agent = agent();
    let mut response = agent
        .get(&format!("{}/api/v1/openapi.json", server.url))
        .call()
        .expect("openapi");
    assert_eq!(response.status().as_u16(), 200);
    let doc: serde_json::Value = response.body_mut().read_json().expect("json");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let expected = [
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/devices", "get"),
        ("/api/v1/devices/{device}/revoke", "post"),
        ("/api/v1/orgs/{org}/members", "get"),
        ("/api/v1/orgs/{org}/members", "post"),
        ("/api/v1/orgs/{org}/members/{user}", "put"),
        ("/api/v1/orgs/{org}/members/{user}", "delete"),
        ("/api/v1/orgs/{org}/whatsapp/numbers", "get"),
        ("/api/v1/orgs/{org}/whatsapp/numbers", "post"),
        (
            "/api/v1/orgs/{org}/whatsapp/numbers/{phone_number_id}",
            "put",
        ),
        (
            "/api/v1/orgs/{org}/whatsapp/numbers/{phone_number_id}",
            "delete",
        ),
        ("/api/v1/orgs/{org}/media/{sha256}", "get"),
        ("/api/v1/server-key", "get"),
        ("/api/v1/orgs/{org}/signing-keys", "post"),
        ("/api/v1/auth/password", "post"),
        ("/api/v1/auth/password-reset", "post"),
        ("/api/v1/invitations", "get"),
        ("/api/v1/invitations/{org}/{answer}", "post"),
        ("/api/v1/orgs/{org}/members/{user}/password-reset", "post"),
        ("/sync/v1/{org}/push", "post"),
        ("/sync/v1/{org}/pull", "post"),
        ("/sync/v1/{org}/snapshot", "post"),
        ("/sync/v1/{org}/live", "get"),
    ];
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not described"
        );
    }
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(
        documented,
        expected.len(),
        "the document describes endpoints this test does not know"
    );
    let schemas = &doc["components"]["schemas"];
    for name in [
        "TokenPair",
        "PushRequest",
        "PullResponse",
        "ErrorBody",
        "MemberRow",
        "NumberRow",
        "NumberRequest",
        "NewSigningKey",
        "AttestedKey",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name} missing");
    }
    let roles = schemas["Role"]["enum"].as_array().expect("role values");
    assert_eq!(roles.len(), 7);
    assert!(doc["components"]["securitySchemes"].get("bearer").is_some());
}
