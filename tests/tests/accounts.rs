//! Accounts and roles, tried as a hostile member would with their own HTTP
//! client, on both backends: concurrent guesses, oversized fields, raced
//! refreshes, roles granted beyond one's reach, devices of other clinics.

use arcada_core::sync;
use arcada_tests::whatsapp::{agent, Backend, Storage, PASSWORD};
use arcada_tests::{on_every_backend, ServerProcess};
use serde_json::{json, Value};
use uuid::Uuid;

const ADMIN: &str = "admin@sorriso.com.br";

struct Server {
    storage: Storage,
    process: ServerProcess,
    org: Uuid,
}

impl Server {
    fn start(backend: &Backend) -> Server {
        let storage = Storage::new(backend);
        let org = storage.create_org("Clínica Sorriso", ADMIN);
        let process = storage.start_with(&[]);
        Server {
            storage,
            process,
            org,
        }
    }

    fn url(&self) -> &str {
        &self.process.url
    }

    fn token(&self, email: &str) -> String {
        sync::login(self.url(), email, PASSWORD, "estação")
            .expect("login")
            .access_token
    }

    /// One HTTP exchange: status and JSON body (Null when none).
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let agent = agent();
        let url = format!("{}{path}", self.url());
        let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
        let mut response = match (method, body) {
            ("GET", _) => agent.get(&url).header("Authorization", &auth).call(),
            ("PUT", Some(b)) => agent.put(&url).header("Authorization", &auth).send_json(b),
            (_, Some(b)) => agent.post(&url).header("Authorization", &auth).send_json(b),
            (_, None) => agent.post(&url).header("Authorization", &auth).send_empty(),
        }
        .expect("answer");
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    fn login(&self, email: &str, password: &str) -> (u16, Value) {
        self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password, "device_name": "script"})),
        )
    }
}

fn concurrent_guesses_get_no_more_tries_than_sequential_ones(backend: &Backend) {
    let s = Server::start(backend);
    s.storage.add_user(s.org, "alvo@sorriso.com.br", "recepcao");
    // Sixty guesses at once, the right password among them.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..60)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let password = if i == 30 {
                        PASSWORD.to_string()
                    } else {
                        format!("chute {i}")
                    };
                    s.login("alvo@sorriso.com.br", &password).0
                })
            })
            .collect();
        guesses
            .into_iter()
            .map(|g| g.join().expect("guess"))
            .collect()
    });
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(wrong <= 5, "{wrong} passwords were checked: {statuses:?}");
    assert_eq!(
        wrong + throttled + statuses.iter().filter(|s| **s == 200).count(),
        60
    );
    // The account stays throttled, whatever the password.
    assert_eq!(s.login("alvo@sorriso.com.br", PASSWORD).0, 429);
    // Other accounts are not.
    assert_eq!(s.login(ADMIN, PASSWORD).0, 200);
}

fn oversized_fields_are_refused_before_anything_is_kept(backend: &Backend) {
    let s = Server::start(backend);
    let huge = format!("{}@sorriso.com.br", "a".repeat(2 * 1024 * 1024));
    for _ in 0..3 {
        let (status, body) = s.login(&huge, PASSWORD);
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_credentials"))
        );
    }
    let (status, _) = s.login(ADMIN, &"x".repeat(4096));
    assert_eq!(status, 400);
    assert_eq!(
        s.login(ADMIN, PASSWORD).0,
        200,
        "nothing was counted against the admin"
    );
}

fn raced_refreshes_leave_no_token_alive(backend: &Backend) {
    let s = Server::start(backend);
    let pair = sync::login(s.url(), ADMIN, PASSWORD, "estação").expect("login");
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..15)
            .map(|_| {
                let (s, token) = (&s, pair.refresh_token.clone());
                scope.spawn(move || {
                    s.call(
                        "POST",
                        "/api/v1/auth/refresh",
                        None,
                        Some(json!({"refresh_token": token})),
                    )
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|r| r.join().expect("refresh"))
            .collect()
    });
    assert!(
        answers.iter().any(|(status, _)| *status == 401),
        "a reuse was seen"
    );
    // Every pair any racer got is dead.
    for (status, body) in answers.iter().filter(|(status, _)| *status == 200) {
        assert_eq!(*status, 200);
        let access = body["access_token"].as_str().expect("access");
        assert_eq!(s.call("GET", "/api/v1/devices", Some(access), None).0, 401);
        let refresh = body["refresh_token"].as_str().expect("refresh");
        assert_eq!(
            s.call(
                "POST",
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": refresh}))
            )
            .0,
            401
        );
    }
}

fn no_one_grants_a_role_that_reads_more_than_their_own(backend: &Backend) {
    let s = Server::start(backend);
    s.storage
        .add_user(s.org, "gerente@sorriso.com.br", "gerente");
    let manager = s.token("gerente@sorriso.com.br");
    let members = format!("/api/v1/orgs/{}/members", s.org);
    let (_, list) = s.call("GET", &members, Some(&manager), None);
    let me = list
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == "gerente@sorriso.com.br")
        .expect("the gerente")["user_id"]
        .as_str()
        .expect("id")
        .to_string();
    // Itself a clínico: charts are not the gerente's to read.
    let (status, body) = s.call(
        "PUT",
        &format!("{members}/{me}"),
        Some(&manager),
        Some(json!({"role": "clinico"})),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden_role"))
    );
    // Nor a new member.
    let (status, _) = s.call(
        "POST",
        &members,
        Some(&manager),
        Some(json!({"email": "dentista@sorriso.com.br", "role": "clinico", "password": PASSWORD})),
    );
    assert_eq!(status, 403);
    // A front desk member, yes; a clínico by the admin, yes.
    let (status, _) = s.call(
        "POST",
        &members,
        Some(&manager),
        Some(json!({"email": "recepcao@sorriso.com.br", "role": "recepcao", "password": PASSWORD})),
    );
    assert_eq!(status, 201);
    let (status, _) = s.call(
        "POST",
        &members,
        Some(&s.token(ADMIN)),
        Some(json!({"email": "dentista@sorriso.com.br", "role": "clinico", "password": PASSWORD})),
    );
    assert_eq!(status, 201);
    let (_, list) = s.call("GET", &members, Some(&manager), None);
    let role_of = |email: &str| {
        list.as_array()
            .expect("members")
            .iter()
            .find(|m| m["email"] == email)
            .map(|m| m["role"].clone())
    };
    assert_eq!(role_of("gerente@sorriso.com.br"), Some(json!("gerente")));
}

fn a_clinic_cannot_cut_off_a_device_that_serves_another(backend: &Backend) {
    let s = Server::start(backend);
    s.storage
        .add_user(s.org, "dentista@sorriso.com.br", "clinico");
    let other: Uuid = s
        .storage
        .admin(
            &[
                "create-org",
                "--name",
                "Clínica Rival",
                "--admin-email",
                "admin@rival.com.br",
            ],
            PASSWORD,
        )
        .parse()
        .expect("org");
    s.storage
        .add_user(other, "dentista@sorriso.com.br", "clinico");
    let dentist =
        sync::login(s.url(), "dentista@sorriso.com.br", PASSWORD, "consultório").expect("login");
    let rival = s.token("admin@rival.com.br");
    let (status, _) = s.call(
        "POST",
        &format!("/api/v1/devices/{}/revoke", dentist.device_id),
        Some(&rival),
        None,
    );
    assert_eq!(status, 403);
    assert_eq!(
        s.call("GET", "/api/v1/devices", Some(&dentist.access_token), None)
            .0,
        200,
        "the dentist's workstation still works"
    );
    // The dentist revokes their own device.
    let (status, _) = s.call(
        "POST",
        &format!("/api/v1/devices/{}/revoke", dentist.device_id),
        Some(&dentist.access_token),
        None,
    );
    assert_eq!(status, 204);
}

fn a_workstation_logging_in_again_keeps_its_device(backend: &Backend) {
    let s = Server::start(backend);
    let tmp = tempfile::tempdir().expect("tempdir");
    for _ in 0..3 {
        let _ = arcada_tests::member_clinic(tmp.path(), s.url(), ADMIN, PASSWORD, s.org);
    }
    let token = s.token(ADMIN);
    let (_, devices) = s.call("GET", "/api/v1/devices", Some(&token), None);
    // The workstation's device, and the one this check just paired.
    assert_eq!(devices.as_array().map(Vec::len), Some(2), "{devices:#}");
}

fn databases_are_their_owners_alone(backend: &Backend) {
    use std::os::unix::fs::PermissionsExt;
    let s = Server::start(backend);
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    if matches!(backend, Backend::Sqlite) {
        let dir = std::path::PathBuf::from(&s.storage.args[1]);
        let db = dir.join(arcada_server::storage::sqlite::FILE_NAME);
        assert_eq!((mode(&dir), mode(&db)), (0o700, 0o600));
        let wal = dir.join(format!("{}-wal", arcada_server::storage::sqlite::FILE_NAME));
        assert_eq!(mode(&wal), 0o600);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let _ = arcada_tests::member_clinic(tmp.path(), s.url(), ADMIN, PASSWORD, s.org);
    let data = tmp.path().join("data");
    let store = data.join(arcada_core::store::FILE_NAME);
    assert_eq!((mode(&data), mode(&store)), (0o700, 0o600));
    // Metrics, to this loopback client.
    assert_eq!(s.call("GET", "/metrics", None, None).0, 200);
}

on_every_backend!(
    databases_are_their_owners_alone,
    concurrent_guesses_get_no_more_tries_than_sequential_ones,
    oversized_fields_are_refused_before_anything_is_kept,
    raced_refreshes_leave_no_token_alive,
    no_one_grants_a_role_that_reads_more_than_their_own,
    a_clinic_cannot_cut_off_a_device_that_serves_another,
    a_workstation_logging_in_again_keeps_its_device,
);
