//! Accounts and roles, tried as a hostile member would with their own HTTP
//! client, on both backends: concurrent guesses, oversized fields, raced
//! refreshes, roles granted beyond one's reach, devices of other clinics.

use arcada_core::sync;
use arcada_tests::whatsapp::{agent, Storage, PASSWORD};
use arcada_tests::Backend;
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
    assert_eq!(
        wrong + throttled + statuses.iter().filter(|s| **s == 200).count(),
        60
    );
    // The burst gets what some sequence of the same guesses would get. If
    // the right password was refused, that is five wrong ones in all. If it
    // was let in, it came at most fifth: up to four wrong ones before it,
    // then the success forgets the account's failures (as it would in a
    // sequence), then five more.
    let allowed = match statuses[30] {
        200 => 4 + 5,
        429 => 5,
        other => panic!("the right password answered {other}"),
    };
    assert!(
        wrong <= allowed,
        "{wrong} wrong passwords checked: {statuses:?}"
    );
    // Then the account is throttled, whatever the password, after no more
    // wrong passwords than that sequence would have had checked.
    let mut more = 0;
    while s.login("alvo@sorriso.com.br", "outro chute").0 == 401 {
        more += 1;
        assert!(
            wrong + more <= allowed,
            "{} wrong passwords checked, {allowed} allowed",
            wrong + more
        );
    }
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
    let other = rival_clinic(&s);
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

/// Another clinic's admin cannot add an existing account: the account is
/// invited, sees the invitation, and only joins by accepting it.
fn an_existing_account_joins_another_clinic_only_by_accepting(backend: &Backend) {
    let s = Server::start(backend);
    s.storage
        .add_user(s.org, "dentista@sorriso.com.br", "clinico");
    let rival = rival_clinic(&s);
    let rival_admin = s.token("admin@rival.com.br");
    let members = format!("/api/v1/orgs/{rival}/members");
    let (status, body) = s.call(
        "POST",
        &members,
        Some(&rival_admin),
        Some(json!({"email": "dentista@sorriso.com.br", "role": "clinico"})),
    );
    assert_eq!(
        (status, body["invited"].as_bool()),
        (202, Some(true)),
        "{body}"
    );
    let dentist = s.token("dentista@sorriso.com.br");
    let orgs = |_: &str| -> Vec<String> {
        let mut orgs: Vec<String> =
            sync::login(s.url(), "dentista@sorriso.com.br", PASSWORD, "estação")
                .expect("login")
                .organizations
                .iter()
                .map(|m| m.id.to_string())
                .collect();
        orgs.sort();
        orgs
    };
    assert_eq!(
        orgs(&dentist),
        [s.org.to_string()],
        "not a member before accepting"
    );
    // Not listed among the rival's members, and the rival cannot reset
    // their password or revoke their devices.
    let (_, list) = s.call("GET", &members, Some(&rival_admin), None);
    assert!(!list.to_string().contains("dentista@"), "{list}");
    let (_, invitations) = s.call("GET", "/api/v1/invitations", Some(&dentist), None);
    assert_eq!(invitations[0]["org_id"], rival.to_string(), "{invitations}");
    assert_eq!(invitations[0]["role"], "clinico");
    // Someone else cannot answer it.
    let (status, _) = s.call(
        "POST",
        &format!("/api/v1/invitations/{rival}/accept"),
        Some(&s.token(ADMIN)),
        None,
    );
    assert_eq!(status, 404);
    let (status, joined) = s.call(
        "POST",
        &format!("/api/v1/invitations/{rival}/accept"),
        Some(&dentist),
        None,
    );
    assert_eq!(
        (status, joined["role"].as_str()),
        (200, Some("clinico")),
        "{joined}"
    );
    let now: Vec<String> = orgs(&dentist);
    let mut expected = vec![s.org.to_string(), rival.to_string()];
    expected.sort();
    assert_eq!(now, expected);
    // Answered once; a declined one leaves no membership.
    assert_eq!(
        s.call(
            "POST",
            &format!("/api/v1/invitations/{rival}/accept"),
            Some(&dentist),
            None
        )
        .0,
        404
    );
    s.storage.add_user(rival, "outra@rival.com.br", "recepcao");
    let (status, _) = s.call(
        "POST",
        &format!("/api/v1/orgs/{}/members", s.org),
        Some(&s.token(ADMIN)),
        Some(json!({"email": "outra@rival.com.br", "role": "recepcao"})),
    );
    assert_eq!(status, 202);
    let other = s.token("outra@rival.com.br");
    assert_eq!(
        s.call(
            "POST",
            &format!("/api/v1/invitations/{}/decline", s.org),
            Some(&other),
            None
        )
        .0,
        204
    );
    let (_, list) = s.call(
        "GET",
        &format!("/api/v1/orgs/{}/members", s.org),
        Some(&s.token(ADMIN)),
        None,
    );
    assert!(!list.to_string().contains("outra@"), "{list}");
}

/// A member changes their password (the other sessions end); an admin who
/// manages every clinic of an account issues a one-time reset code, one
/// who does not cannot.
fn passwords_are_changed_and_reset(backend: &Backend) {
    let s = Server::start(backend);
    s.storage
        .add_user(s.org, "dentista@sorriso.com.br", "clinico");
    let here =
        sync::login(s.url(), "dentista@sorriso.com.br", PASSWORD, "consultório").expect("login");
    let elsewhere =
        sync::login(s.url(), "dentista@sorriso.com.br", PASSWORD, "casa").expect("login");
    let change = |token: &str, current: &str, new: &str| {
        s.call(
            "POST",
            "/api/v1/auth/password",
            Some(token),
            Some(json!({"current_password": current, "new_password": new})),
        )
    };
    assert_eq!(
        change(&here.access_token, "wrong password", "nova-senha-123").0,
        401
    );
    assert_eq!(change(&here.access_token, PASSWORD, "curta").0, 400);
    assert_eq!(
        change(&here.access_token, PASSWORD, "nova-senha-123").0,
        204
    );
    assert_eq!(s.login("dentista@sorriso.com.br", PASSWORD).0, 401);
    assert_eq!(s.login("dentista@sorriso.com.br", "nova-senha-123").0, 200);
    assert_eq!(
        s.call("GET", "/api/v1/devices", Some(&here.access_token), None)
            .0,
        200,
        "the session that changed it goes on"
    );
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/devices",
            Some(&elsewhere.access_token),
            None
        )
        .0,
        401,
        "every other session ended"
    );

    // Reset: issued by the clinic's admin, used once.
    let (_, list) = s.call(
        "GET",
        &format!("/api/v1/orgs/{}/members", s.org),
        Some(&s.token(ADMIN)),
        None,
    );
    let dentist = list
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == "dentista@sorriso.com.br")
        .expect("dentist")["user_id"]
        .as_str()
        .expect("id")
        .to_string();
    let reset_path = format!("/api/v1/orgs/{}/members/{dentist}/password-reset", s.org);
    let (status, code) = s.call("POST", &reset_path, Some(&s.token(ADMIN)), None);
    assert_eq!(status, 201, "{code}");
    let code = code["reset_code"].as_str().expect("code").to_string();
    let reset = |code: &str, new: &str| {
        s.call(
            "POST",
            "/api/v1/auth/password-reset",
            None,
            Some(json!({"reset_code": code, "new_password": new})),
        )
        .0
    };
    assert_eq!(reset("not-a-code", "redefinida-123"), 401);
    assert_eq!(reset(&code, "redefinida-123"), 204);
    assert_eq!(reset(&code, "outra-senha-123"), 401, "a code works once");
    assert_eq!(s.login("dentista@sorriso.com.br", "redefinida-123").0, 200);
    assert_eq!(
        s.call("GET", "/api/v1/devices", Some(&here.access_token), None)
            .0,
        401,
        "a reset ends every session"
    );

    // The front desk issues none, nor a gerente (who would read charts
    // through a clínico's account); nor an admin of one clinic for an
    // account that also serves another.
    s.storage
        .add_user(s.org, "recepcao@sorriso.com.br", "recepcao");
    s.storage
        .add_user(s.org, "gerente@sorriso.com.br", "gerente");
    for who in ["recepcao@sorriso.com.br", "gerente@sorriso.com.br"] {
        let (status, _) = s.call("POST", &reset_path, Some(&s.token(who)), None);
        assert_eq!(status, 403, "{who}");
    }
    let rival = rival_clinic(&s);
    s.storage
        .add_user(rival, "dentista@sorriso.com.br", "clinico");
    let (status, body) = s.call("POST", &reset_path, Some(&s.token(ADMIN)), None);
    assert_eq!(status, 403, "{body}");
}

/// Behind a trusted reverse proxy the login throttle counts the client's
/// address from X-Forwarded-For; from anyone else the header is ignored.
fn the_throttle_sees_clients_behind_a_trusted_proxy(backend: &Backend) {
    let storage = Storage::new(backend);
    storage.create_org("Clínica Sorriso", ADMIN);
    let guess = |url: &str, forwarded: &str, n: usize| -> Vec<u16> {
        (0..n)
            .map(|i| {
                agent()
                    .post(&format!("{url}/api/v1/auth/login"))
                    .header("X-Forwarded-For", forwarded)
                    .send_json(json!({"email": format!("ninguem{i}@x.com.br"), "password": "x", "device_name": "x"}))
                    .expect("answer")
                    .status()
                    .as_u16()
            })
            .collect()
    };
    let behind = storage.start_with(&[
        ("ARCADA_TRUSTED_PROXIES", "127.0.0.1"),
        ("ARCADA_LOGIN_FAILURES_PER_ADDRESS", "5"),
    ]);
    let first = guess(&behind.url, "203.0.113.7", 7);
    assert_eq!(first[..5], [401; 5]);
    assert!(first[5..].iter().all(|s| *s == 429), "{first:?}");
    // Another client behind the same proxy is not held back; a client that
    // writes an address at the left of the header does not escape.
    assert_eq!(guess(&behind.url, "203.0.113.8", 1), [401]);
    assert_eq!(guess(&behind.url, "198.51.100.1, 203.0.113.7", 1), [429]);
    drop(behind);

    let direct = storage.start_with(&[("ARCADA_LOGIN_FAILURES_PER_ADDRESS", "5")]);
    let spread: Vec<u16> = (0..7)
        .flat_map(|i| guess(&direct.url, &format!("203.0.113.{i}"), 1))
        .collect();
    assert!(
        spread[5..].iter().all(|s| *s == 429),
        "a forged header is not believed: {spread:?}"
    );
}

/// `POST /api/v1/orgs/{org}/signing-keys` as a hostile member would call
/// it: not a key, an id that is not the key's, unknown fields, a role
/// that signs nothing, another clinic, someone else's key. Each refused;
/// the honest key is attested once, the same answer when sent again.
fn signing_keys_are_attested_only_for_their_owner(backend: &Backend) {
    let s = Server::start(backend);
    s.storage
        .add_user(s.org, "dentista@sorriso.com.br", "clinico");
    s.storage.add_user(s.org, "outra@sorriso.com.br", "clinico");
    s.storage
        .add_user(s.org, "recepcao@sorriso.com.br", "recepcao");
    let path = format!("/api/v1/orgs/{}/signing-keys", s.org);
    let public =
        arcada_core::signing::public_key(&arcada_core::signing::new_key_pair().expect("pair"))
            .expect("public key");
    let key = json!({"key_id": arcada_core::signing::key_id(&public), "public_key": hex::encode(&public)});
    let dentist = s.token("dentista@sorriso.com.br");
    for (body, status) in [
        (json!({"key_id": "00", "public_key": "not hex"}), 400),
        (
            json!({"key_id": "00", "public_key": hex::encode(&public)}),
            400,
        ),
        (
            json!({"key_id": key["key_id"], "public_key": key["public_key"], "user_id": "x"}),
            400,
        ),
    ] {
        assert_eq!(
            s.call("POST", &path, Some(&dentist), Some(body.clone())).0,
            status,
            "{body}"
        );
    }
    let desk = s.token("recepcao@sorriso.com.br");
    assert_eq!(s.call("POST", &path, Some(&desk), Some(key.clone())).0, 403);
    let rival = rival_clinic(&s);
    assert_eq!(
        s.call(
            "POST",
            &format!("/api/v1/orgs/{rival}/signing-keys"),
            Some(&dentist),
            Some(key.clone())
        )
        .0,
        404
    );
    let (status, first) = s.call("POST", &path, Some(&dentist), Some(key.clone()));
    assert_eq!(status, 200, "{first}");
    let (status, again) = s.call("POST", &path, Some(&dentist), Some(key.clone()));
    assert_eq!(
        (status, &again),
        (200, &first),
        "a replay gets the same attestation"
    );
    let (status, body) = s.call(
        "POST",
        &path,
        Some(&s.token("outra@sorriso.com.br")),
        Some(key),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("key_taken"))
    );
}

fn rival_clinic(s: &Server) -> Uuid {
    s.storage
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
        .expect("org")
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

fn new_members_need_a_real_e_mail_and_password(backend: &Backend) {
    let s = Server::start(backend);
    let admin = s.token(ADMIN);
    let path = format!("/api/v1/orgs/{}/members", s.org);
    let members = || s.call("GET", &path, Some(&admin), None).1;
    let before = members();
    let add = |email: &str, password: &str| {
        s.call(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"email": email, "role": "recepcao", "password": password})),
        )
    };
    for bad in [
        "recepcao",
        "@sorriso.com.br",
        "recepcao@sorriso",
        "recepcao@.sorriso.com.br",
        "recepcao@sorriso.com.br.",
        "recepcao@sor@riso.com.br",
        "recep cao@sorriso.com.br",
    ] {
        let (status, body) = add(bad, "senha-boa-123");
        assert_eq!(status, 400, "{bad:?}");
        assert_eq!(body["error"]["code"], "invalid_email", "{bad:?}");
    }
    let (status, body) = add("recepcao@sorriso.com.br", "curta");
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "password_required");
    assert_eq!(members(), before, "nothing refused was kept");
    let (status, _) = add(" Recepcao@Sorriso.com.br ", "senha-boa-123");
    assert_eq!(status, 201);
    assert_eq!(s.login("recepcao@sorriso.com.br", "senha-boa-123").0, 200);
}

on_every_backend!(
    databases_are_their_owners_alone,
    concurrent_guesses_get_no_more_tries_than_sequential_ones,
    oversized_fields_are_refused_before_anything_is_kept,
    raced_refreshes_leave_no_token_alive,
    no_one_grants_a_role_that_reads_more_than_their_own,
    a_clinic_cannot_cut_off_a_device_that_serves_another,
    a_workstation_logging_in_again_keeps_its_device,
    an_existing_account_joins_another_clinic_only_by_accepting,
    passwords_are_changed_and_reset,
    the_throttle_sees_clients_behind_a_trusted_proxy,
    signing_keys_are_attested_only_for_their_owner,
    new_members_need_a_real_e_mail_and_password,
);
