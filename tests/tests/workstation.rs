//! Offline-first, proven with real processes: the `arcada` binary on
//! separate data directories, the real `arcada-server` on loopback, and a
//! TCP proxy between them that the tests cut, restore and re-point at a
//! restarted server.

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use arcada_core::patient::PatientForm;
use arcada_core::projection;
use arcada_core::store::Store;
use arcada_core::sync;
use arcada_core::Clinic;
use arcada_tests::proxy::TcpProxy;
use arcada_tests::workstation::Workstation;
use arcada_tests::{admin, ServerProcess};
use serde_json::Value;

const PASSWORD: &str = "senha muito forte";
const ADMIN: &str = "admin@sorriso.com.br";
const DESK: &str = "recepcao@sorriso.com.br";
const DENTIST: &str = "dentista@sorriso.com.br";

/// A server for one clinic, reached through a proxy the test controls.
struct Site {
    org: String,
    storage: Vec<String>,
    server: Option<ServerProcess>,
    proxy: TcpProxy,
    tmp: tempfile::TempDir,
}

impl Site {
    fn start() -> Site {
        let tmp = tempfile::tempdir().expect("tempdir");
        let storage = vec![
            "--data".to_string(),
            tmp.path().join("server").display().to_string(),
        ];
        let org = admin(
            &storage,
            &[
                "create-org",
                "--name",
                "Clínica Sorriso",
                "--admin-email",
                ADMIN,
            ],
            PASSWORD,
        )
        .expect("create org");
        for (email, role) in [(DESK, "recepcao"), (DENTIST, "clinico")] {
            admin(
                &storage,
                &["add-user", "--org", &org, "--email", email, "--role", role],
                PASSWORD,
            )
            .expect("add user");
        }
        let org = org.trim().to_string();
        let server = ServerProcess::start(&storage, &[], &[]).expect("server");
        let proxy = TcpProxy::start(&server.url).expect("proxy");
        Site {
            org,
            storage,
            server: Some(server),
            proxy,
            tmp,
        }
    }

    fn url(&self) -> String {
        self.proxy.url()
    }

    /// kill -9, then a new server process on the same data.
    fn crash_and_restart(&mut self) {
        drop(self.server.take());
        let server = ServerProcess::start(&self.storage, &[], &[]).expect("restart");
        self.proxy.retarget(&server.url).expect("retarget");
        self.server = Some(server);
    }

    fn workstation(&self, name: &str) -> Workstation {
        Workstation::new(&self.tmp.path().join(name))
    }

    /// A workstation logged in as `email` that has synced once.
    fn joined(&self, name: &str, email: &str) -> Workstation {
        let ws = self.workstation(name);
        ws.login(&self.url(), email, PASSWORD).expect("login");
        ws.ok(&["sync"]).expect("first sync");
        ws
    }
}

/// The admin's workstation sets up the clinic: a dentist, two chairs.
fn set_up_clinic(ws: &Workstation) {
    ws.ok(&["professional", "add", "--name", "Dra. Ana Lima"])
        .expect("professional");
    ws.ok(&["professional", "add", "--name", "Dr. Bruno Reis"])
        .expect("professional");
    ws.ok(&["chair", "add", "--name", "Cadeira 1"])
        .expect("chair");
    ws.ok(&["chair", "add", "--name", "Cadeira 2"])
        .expect("chair");
    ws.ok(&["sync"]).expect("sync");
}

fn add_patient(ws: &Workstation, name: &str, phone: &str) -> String {
    let p = ws
        .json(&["patient", "add", "--name", name, "--phone", phone])
        .expect("patient add");
    p["id"].as_str().expect("id").to_string()
}

/// Everything a workstation holds that must match its peers: documents
/// (content and heads) and projections. The CPF index is keyed per
/// workstation, so its bytes are left out of the comparison.
fn state(ws: &Workstation) -> (Value, Vec<String>) {
    let export = ws.json(&["export"]).expect("export");
    let store = Store::open(&ws.store_path()).expect("store");
    let dump = projection::dump(store.conn())
        .expect("dump")
        .into_iter()
        .map(|line| {
            if line.starts_with("patient|") {
                let mut cells: Vec<&str> = line.split('|').collect();
                cells[5] = if cells[5] == "∅" { "∅" } else { "cpf" };
                cells.join("|")
            } else {
                line
            }
        })
        .collect();
    (export["documents"].clone(), dump)
}

/// The projections a workstation keeps equal what a full reindex builds.
fn assert_projections_match_reindex(ws: &Workstation) {
    let mut store = Store::open(&ws.store_path()).expect("store");
    let cpf = sync::local_cpf_index(&mut store).expect("cpf key");
    let incremental = projection::dump(store.conn()).expect("dump");
    let tx = store.transaction().expect("tx");
    projection::rebuild(&tx, &cpf).expect("rebuild");
    let rebuilt = projection::dump(&tx).expect("dump");
    drop(tx); // rolled back
    assert_eq!(incremental, rebuilt, "{}", ws.data.display());
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    // Generous: this bounds a hang, it does not measure speed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn offline_edits_on_two_workstations_converge_with_nothing_lost() {
    let site = Site::start();
    let a = site.joined("a", ADMIN);
    set_up_clinic(&a);
    let maria = add_patient(&a, "Maria da Silva", "(11) 98765-4321");
    a.ok(&["sync"]).expect("sync");
    let b = site.joined("b", DESK);
    assert_eq!(
        b.json(&["patient", "search", "maria"]).expect("search")[0]["id"],
        maria.as_str()
    );

    // The line drops. Both keep working.
    site.proxy.pause();
    a.ok(&[
        "patient",
        "update",
        &maria,
        "--email",
        "maria@exemplo.com.br",
    ])
    .expect("a edits e-mail");
    b.ok(&["patient", "update", &maria, "--add-phone", "(11) 3333-4444"])
        .expect("b edits phones");
    let joao = add_patient(&a, "João Souza", "(21) 99876-5432");
    let ines = add_patient(&b, "Inês Araújo", "(31) 98888-7777");
    b.ok(&["patient", "update", &maria, "--social-name", "Mari"])
        .expect("b edits social name");
    let offline = b
        .run(&["sync", "--timeout-ms", "1000"], "")
        .expect("sync offline");
    assert!(!offline.status.success(), "a sync with the line down fails");
    let status = b.status().expect("status");
    assert_eq!(status["state"], "offline");
    assert!(
        status["pending"].as_u64().expect("pending") >= 3,
        "{status}"
    );
    assert!(status["last_error"].is_string(), "{status}");

    // The line comes back.
    site.proxy.resume();
    for ws in [&a, &b, &a] {
        ws.ok(&["sync"]).expect("sync");
    }
    assert_eq!(state(&a), state(&b), "both workstations hold the same");
    for ws in [&a, &b] {
        assert_projections_match_reindex(ws);
        assert_eq!(ws.status().expect("status")["pending"], 0);
        let m = ws.json(&["patient", "show", &maria]).expect("show");
        assert_eq!(m["email"], "maria@exemplo.com.br", "{m}");
        assert_eq!(m["social_name"], "Mari", "{m}");
        let phones: BTreeSet<&str> = m["phones"]
            .as_object()
            .expect("phones")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            phones,
            BTreeSet::from(["+5511987654321", "+551133334444"]),
            "{m}"
        );
        for (id, query) in [(&joao, "joao souza"), (&ines, "ines araujo")] {
            let hits = ws.json(&["patient", "search", query]).expect("search");
            assert_eq!(hits[0]["id"], id.as_str(), "{query}: {hits}");
        }
    }
}

#[test]
fn a_double_booking_made_offline_is_listed_on_both_until_resolved() {
    let site = Site::start();
    let a = site.joined("a", ADMIN);
    set_up_clinic(&a);
    let maria = add_patient(&a, "Maria da Silva", "(11) 98765-4321");
    let joao = add_patient(&a, "João Souza", "(21) 99876-5432");
    a.ok(&["sync"]).expect("sync");
    let b = site.joined("b", DESK);

    site.proxy.pause();
    let book = |ws: &Workstation, patient: &str, professional: &str| {
        ws.json(&[
            "appt",
            "book",
            "--patient",
            patient,
            "--professional",
            professional,
            "--chair",
            "Cadeira 1",
            "--start",
            "2027-03-01 09:00",
            "--duration",
            "60",
        ])
        .expect("book")[0]["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let first = book(&a, &maria, "Dra. Ana Lima");
    let second = book(&b, &joao, "Dr. Bruno Reis");
    assert_eq!(
        a.json(&["conflicts"]).expect("conflicts"),
        Value::Array(vec![]),
        "no conflict before the merge"
    );
    site.proxy.resume();
    for ws in [&a, &b, &a] {
        ws.ok(&["sync"]).expect("sync");
    }
    let on_a = a.json(&["conflicts"]).expect("conflicts");
    let on_b = b.json(&["conflicts"]).expect("conflicts");
    assert_eq!(on_a, on_b, "both list the same conflict");
    let list = on_a.as_array().expect("list");
    assert_eq!(list.len(), 1, "{on_a}");
    assert_eq!(list[0]["resource"], "chair");
    let ids: BTreeSet<&str> = list[0]["appointments"]
        .as_array()
        .expect("pair")
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert_eq!(ids, BTreeSet::from([first.as_str(), second.as_str()]));
    // Both bookings survived the merge.
    let day = a
        .json(&["appt", "list", "--day", "2027-03-01"])
        .expect("list");
    assert_eq!(day.as_array().map(Vec::len), Some(2), "{day}");

    // The desk moves João to the other chair; the conflict clears everywhere.
    b.ok(&["appt", "move", &second, "--chair", "Cadeira 2"])
        .expect("move");
    for ws in [&b, &a] {
        ws.ok(&["sync"]).expect("sync");
    }
    for ws in [&a, &b] {
        assert_eq!(
            ws.json(&["conflicts"]).expect("conflicts"),
            Value::Array(vec![])
        );
    }
    assert_eq!(state(&a), state(&b));
}

#[test]
fn server_killed_mid_sync_loses_nothing() {
    let mut site = Site::start();
    let a = site.joined("a", ADMIN);
    set_up_clinic(&a);
    // 2,500 changes: more than two push batches.
    let names = {
        let mut clinic = Clinic::open(&a.data).expect("open");
        let mut names = Vec::new();
        for i in 0..2_500 {
            let name = format!("Paciente Número {i}");
            clinic
                .add_patient(&PatientForm {
                    name: Some(name.clone()),
                    phones: vec![format!("(11) 9{:04}-{:04}", i / 10_000, i % 10_000)],
                    ..PatientForm::default()
                })
                .expect("add");
            names.push(name);
        }
        names
    };
    let pending = a.status().expect("status")["pending"]
        .as_u64()
        .expect("pending");
    assert!(pending >= 2_500, "{pending}");

    // Kill the server while the workstation is pushing.
    let mut sync = Command::new(arcada_tests::binary("arcada").expect("arcada"))
        .args(["--data", &a.data.display().to_string()])
        .args(["--config-dir", &a.config.display().to_string()])
        .arg("sync")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sync");
    wait_for("the first batch to reach the server", || {
        a.status().expect("status")["pending"].as_u64() < Some(pending)
    });
    site.crash_and_restart();
    let _ = sync.wait();

    // Sync again against the restarted server: every change gets there once.
    a.ok(&["sync"]).expect("sync after restart");
    assert_eq!(a.status().expect("status")["pending"], 0);
    let b = site.joined("b", DESK);
    for name in [&names[0], &names[1_249], &names[2_499]] {
        let hits = b.json(&["patient", "search", name]).expect("search");
        assert_eq!(hits[0]["name"], name.as_str(), "{name}: {hits}");
    }
    let (docs_a, dump_a) = state(&a);
    let (docs_b, dump_b) = state(&b);
    assert_eq!(docs_a, docs_b);
    assert_eq!(dump_a, dump_b);
}

#[test]
fn workstation_killed_mid_write_keeps_what_it_committed() {
    let site = Site::start();
    let a = site.joined("a", ADMIN);
    // A shell loop adds patients one command at a time; each command prints
    // the id only after its transaction committed. kill -9 lands wherever.
    let script = format!(
        "for i in $(seq 1 400); do {bin} --data {data} --config-dir {config} patient add --name \"Paciente $i\" --phone \"(11) 9$(printf %04d $i)-0000\" || exit 1; done",
        bin = arcada_tests::binary("arcada").expect("arcada").display(),
        data = a.data.display(),
        config = a.config.display(),
    );
    let mut writer = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("writer");
    let stdout = writer.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect::<Vec<String>>()
    });
    wait_for("some patients to be written", || {
        Store::open(&a.store_path())
            .ok()
            .and_then(|s| {
                s.conn()
                    .query_row("SELECT count(*) FROM patients", [], |r| r.get::<_, i64>(0))
                    .ok()
            })
            .is_some_and(|n| n >= 40)
    });
    // SIGKILL to the whole group: the loop and the command mid-write. The
    // `--` matters: procps-ng 4.0.2 (Debian 12) reads `kill -9 -PGID` as
    // `kill(-1, 9)`, every process the user may signal, CI's runner too.
    let group = writer.id();
    let killed = Command::new("kill")
        .args(["-9", "--", &format!("-{group}")])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = writer.wait();
    let committed = reader.join().expect("reader");
    assert!(!committed.is_empty());

    // The store opens, is sound, and holds every committed patient.
    let store = Store::open(&a.store_path()).expect("reopen");
    let check: String = store
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(check, "ok");
    drop(store);
    for id in &committed {
        a.ok(&["patient", "show", id]).expect("committed patient");
    }
    assert_projections_match_reindex(&a);
    // And it all reaches the server.
    a.ok(&["sync"]).expect("sync");
    assert_eq!(a.status().expect("status")["pending"], 0);
}

#[test]
fn a_partition_is_reported_offline_and_heals_by_itself() {
    let site = Site::start();
    let a = site.joined("a", ADMIN);
    set_up_clinic(&a);
    let b = site.joined("b", DESK);
    let _watch_a = a.watch().expect("watch a");
    let _watch_b = b.watch().expect("watch b");
    let state_of = |ws: &Workstation| ws.status().expect("status")["state"].clone();
    wait_for("both up to date", || {
        state_of(&a) == "up_to_date" && state_of(&b) == "up_to_date"
    });

    // Live: a patient added on A shows up on B without anyone running sync.
    let maria = add_patient(&a, "Maria da Silva", "(11) 98765-4321");
    wait_for("B to receive Maria", || {
        b.json(&["patient", "search", "maria"])
            .is_ok_and(|h| h[0]["id"] == maria.as_str())
    });

    // The line goes silent: no reset, no error, just nothing.
    site.proxy.pause();
    wait_for("A to report offline", || state_of(&a) == "offline");
    let status = a.status().expect("status");
    assert!(status["running"].as_bool().expect("running"), "{status}");
    assert!(status["last_error"].is_string(), "{status}");
    let joao = add_patient(&a, "João Souza", "(21) 99876-5432");
    assert!(a.status().expect("status")["pending"].as_u64() >= Some(1));

    // It comes back: both recover on their own, and João reaches B.
    site.proxy.resume();
    wait_for("A back up to date", || {
        let s = a.status().expect("status");
        s["state"] == "up_to_date" && s["pending"] == 0
    });
    wait_for("B to receive João", || {
        b.json(&["patient", "search", "joao"])
            .is_ok_and(|h| h[0]["id"] == joao.as_str())
    });
}

#[test]
fn offline_unlock_attributes_changes_to_the_unlocked_user() {
    let site = Site::start();
    let a = site.joined("a", ADMIN);
    set_up_clinic(&a);
    // The dentist logs in on the same workstation once, then the admin again.
    a.login(&site.url(), DENTIST, PASSWORD)
        .expect("dentist login");
    a.login(&site.url(), ADMIN, PASSWORD).expect("admin login");

    site.proxy.pause();
    let wrong = a
        .run(&["unlock", "--email", DENTIST], "senha errada\n")
        .expect("unlock");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong password"));
    let stranger = a
        .run(
            &["unlock", "--email", "ninguem@sorriso.com.br"],
            &format!("{PASSWORD}\n"),
        )
        .expect("unlock");
    assert!(!stranger.status.success());
    let who = a
        .run(
            &["--json", "unlock", "--email", DENTIST],
            &format!("{PASSWORD}\n"),
        )
        .expect("unlock");
    assert!(
        who.status.success(),
        "{}",
        String::from_utf8_lossy(&who.stderr)
    );
    let user: Value = serde_json::from_slice(&who.stdout).expect("json");
    assert_eq!(user["role"], "clinico");
    let patient = add_patient(&a, "Paciente Offline", "(11) 97777-6666");

    // The change carries the dentist's id, here and on the server's copy.
    site.proxy.resume();
    a.ok(&["sync"]).expect("sync");
    let b = site.joined("b", ADMIN);
    let store = Store::open(&b.store_path()).expect("store");
    let doc = arcada_core::store::load(store.conn(), patient.parse().expect("uuid"))
        .expect("load")
        .expect("patient on b");
    let authors: BTreeSet<String> = doc
        .doc
        .get_changes(&[])
        .iter()
        .filter_map(|c| {
            c.message()
                .and_then(arcada_core::documents::Attribution::from_message)
        })
        .map(|a| a.user)
        .collect();
    assert_eq!(
        authors,
        BTreeSet::from([user["user_id"].as_str().expect("id").to_string()])
    );
}

#[test]
fn login_refuses_bad_input_and_keeps_tokens_out_of_the_clinic_data() {
    let site = Site::start();
    let ws = site.workstation("a");
    let wrong = ws
        .run(
            &["login", "--server", &site.url(), "--email", ADMIN],
            "senha errada\n",
        )
        .expect("login");
    assert!(!wrong.status.success());
    assert!(!ws.store_path().exists(), "a failed login creates nothing");
    let bad_url = ws
        .run(&["login", "--server", "ftp://x", "--email", ADMIN], "x\n")
        .expect("login");
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("invalid server address"));
    let not_logged = ws.run(&["sync"], "").expect("sync");
    assert!(!not_logged.status.success());

    ws.login(&site.url(), ADMIN, PASSWORD).expect("login");
    ws.ok(&["sync"]).expect("sync");
    let session = std::fs::read_dir(ws.config.join("sessions"))
        .expect("sessions")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "json"))
        .expect("session file");
    let text = std::fs::read_to_string(session.path()).expect("read");
    let token: Value = serde_json::from_str(&text).expect("json");
    let refresh = token["refresh_token"].as_str().expect("token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = session.metadata().expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        !contains(&ws.data, refresh.as_bytes()),
        "the refresh token must not be in the clinic's data"
    );

    // Logged out: the server no longer accepts the session; data stays.
    ws.ok(&["logout"]).expect("logout");
    let after = ws.run(&["sync"], "").expect("sync");
    assert!(!after.status.success());
    ws.ok(&["professional", "list"]).expect("data still here");
}

/// Whether any file under `dir` contains `needle`.
fn contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .any(|e| {
            let path = e.path();
            if path.is_dir() {
                contains(&path, needle)
            } else {
                std::fs::read(&path)
                    .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
            }
        })
}

/// A role change reaches a watching workstation: demoted, it deletes the
/// charts it may no longer read; promoted again, it fetches them back.
#[test]
fn a_workstation_drops_what_its_new_role_may_not_read_and_regains_it() {
    let site = Site::start();
    let a = site.joined("a", ADMIN);
    set_up_clinic(&a);
    let maria = add_patient(&a, "Maria da Silva", "(11) 98765-4321");
    a.ok(&["sync"]).expect("sync");
    let d = site.joined("d", DENTIST);
    {
        let mut store = Store::open(&d.store_path()).expect("store");
        arcada_tests::charts::add_charts(&mut store, &[maria.parse().expect("uuid")])
            .expect("chart");
    }
    d.ok(&["sync"]).expect("sync the chart");
    let charts = |ws: &Workstation| {
        let store = Store::open(&ws.store_path()).expect("store");
        arcada_core::store::document_ids(store.conn())
            .expect("ids")
            .into_iter()
            .filter(|(_, c)| *c == arcada_core::documents::DocClass::Chart)
            .count()
    };
    assert_eq!(charts(&d), 1);
    let _watch = d.watch().expect("watch");
    wait_for("the dentist's workstation up to date", || {
        d.status().expect("status")["state"] == "up_to_date"
    });

    // The admin changes the dentist's role through the API.
    let token = sync::login(&site.url(), ADMIN, PASSWORD, "admin tool")
        .expect("login")
        .access_token;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let members: Value = agent
        .get(format!("{}/api/v1/orgs/{}/members", site.url(), site.org))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("members")
        .body_mut()
        .read_json()
        .expect("json");
    let dentist = members
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["email"] == DENTIST)
        .expect("dentist")["user_id"]
        .as_str()
        .expect("id")
        .to_string();
    let set_role = |role: &str| {
        let status = agent
            .put(format!(
                "{}/api/v1/orgs/{}/members/{dentist}",
                site.url(),
                site.org
            ))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(serde_json::json!({ "role": role }))
            .expect("set role")
            .status()
            .as_u16();
        assert_eq!(status, 204);
    };
    let local_role = |ws: &Workstation| -> Option<String> {
        let store = Store::open(&ws.store_path()).expect("store");
        store
            .conn()
            .query_row(
                "SELECT role FROM local_users WHERE email = ?1",
                [DENTIST],
                |r| r.get(0),
            )
            .ok()
    };
    set_role("recepcao");
    wait_for("the chart to leave the demoted workstation", || {
        charts(&d) == 0
    });
    // An offline unlock grants the new role, not the old one.
    assert_eq!(local_role(&d).as_deref(), Some("recepcao"));
    // Patients stay: the new role reads them.
    assert_eq!(
        d.json(&["patient", "search", "maria"]).expect("search")[0]["id"],
        maria.as_str()
    );
    set_role("clinico");
    wait_for("the chart to come back", || charts(&d) == 1);
    assert_projections_match_reindex(&d);

    // Removed from the clinic: the workstation forgets the dentist's
    // verifier, so no offline unlock either.
    let status = agent
        .delete(format!(
            "{}/api/v1/orgs/{}/members/{dentist}",
            site.url(),
            site.org
        ))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("remove")
        .status()
        .as_u16();
    assert_eq!(status, 204);
    wait_for("the removed dentist to be forgotten", || {
        local_role(&d).is_none()
    });
    let out = d
        .run(&["unlock", "--email", DENTIST], &format!("{PASSWORD}\n"))
        .expect("unlock");
    assert!(!out.status.success(), "a removed member unlocked offline");
}
