//! The server trusts no client: each test plays a member of a clinic who
//! speaks the sync protocol with an Automerge library of their own (raw
//! pushes, not the `arcada` client), against the real server on both
//! backends, and checks the refusal and that honest workstations keep
//! syncing.

use std::path::{Path, PathBuf};

use arcada_core::chart::NewEntry;
use arcada_core::clinic::NewNote;
use arcada_core::documents::{self, DocClass, PatientDoc};
use arcada_core::odontogram::EntryStatus;
use arcada_core::patient::PatientForm;
use arcada_core::protocol::{
    self, DocResult, PushRequest, PushResponse, SnapshotRequest, WireChange,
};
use arcada_core::store::{self, Store};
use arcada_core::sync::{self, Remote};
use arcada_core::Clinic;
use arcada_tests::whatsapp::{agent, Storage, PASSWORD};
use arcada_tests::Backend;
use arcada_tests::{on_every_backend, ServerProcess};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ReadDoc, ROOT};
use uuid::Uuid;

/// A clinic on a running server, with a member of each role that matters.
struct Clinica {
    storage: Storage,
    server: ServerProcess,
    org: Uuid,
    tmp: tempfile::TempDir,
}

const ADMIN: &str = "admin@sorriso.com.br";
const DENTIST: &str = "dentista@sorriso.com.br";
const DESK: &str = "recepcao@sorriso.com.br";
const FINANCE: &str = "financeiro@sorriso.com.br";

impl Clinica {
    fn start(backend: &Backend) -> Clinica {
        let storage = Storage::new(backend);
        let org = storage.create_org("Clínica Sorriso", ADMIN);
        storage.add_user(org, DENTIST, "clinico");
        storage.add_user(org, DESK, "recepcao");
        storage.add_user(org, FINANCE, "financeiro");
        let server = storage.start_with(&[]);
        Clinica {
            storage,
            server,
            org,
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn url(&self) -> &str {
        &self.server.url
    }

    /// Stops the server and starts it again on the same storage (the port
    /// changes: workstations made before are not used after).
    fn restart(&mut self) {
        self.server = self.storage.start_with(&[]);
    }

    /// An honest member's workstation, as the desktop makes one.
    fn workstation(&self, name: &str, email: &str) -> Workstation {
        let dir = self.tmp.path().join(name);
        let (clinic, token) =
            arcada_tests::member_clinic(&dir, self.url(), email, PASSWORD, self.org);
        drop(clinic);
        Workstation {
            data: dir.join("data"),
            remote: Remote::new(self.url(), &token, self.org),
        }
    }

    /// A hostile member: their own token, their own Automerge.
    fn hostile(&self, email: &str) -> Remote {
        let pair = sync::login(self.url(), email, PASSWORD, "script").expect("login");
        Remote::new(self.url(), &pair.access_token, self.org)
    }
}

struct Workstation {
    data: PathBuf,
    remote: Remote,
}

impl Workstation {
    fn clinic(&self) -> Clinic {
        Clinic::open(&self.data).expect("open")
    }

    fn store(&self) -> Store {
        Store::open(&self.data.join(store::FILE_NAME)).expect("store")
    }

    /// Pushes what is queued (all of it must be accepted), publishes
    /// signing keys made here, then pulls: a round of the sync engine.
    fn sync(&self) -> sync::PullReport {
        let mut store = self.store();
        let pushed = self.remote.push(&mut store).expect("push");
        assert!(
            pushed.refused.is_empty() && pushed.quarantined == 0,
            "an honest push was refused: {pushed:?}"
        );
        let user: Uuid = store::meta(store.conn(), "user_id")
            .expect("meta")
            .expect("user")
            .parse()
            .expect("uuid");
        self.remote
            .publish_signing_keys(store.conn(), user)
            .expect("keys published");
        let cpf = sync::local_cpf_index(&mut store).expect("cpf");
        self.remote.pull(&mut store, &cpf).expect("pull")
    }

    /// A document as this workstation holds it, with an actor of its own.
    fn doc(&self, id: Uuid) -> Automerge {
        let mut doc = store::load(self.store().conn(), id)
            .expect("load")
            .expect("held")
            .doc;
        doc.set_actor(ActorId::random());
        doc
    }

    fn classes(&self) -> Vec<DocClass> {
        store::document_ids(self.store().conn())
            .expect("ids")
            .into_iter()
            .map(|(_, c)| c)
            .collect()
    }
}

/// The changes of `doc` after `heads`, on the wire.
fn wire(id: Uuid, doc: &Automerge, heads: &[automerge::ChangeHash]) -> Vec<WireChange> {
    doc.get_changes(heads)
        .iter()
        .map(|c| WireChange {
            doc: id,
            bytes: protocol::encode(c.raw_bytes()),
        })
        .collect()
}

fn push(remote: &Remote, changes: Vec<WireChange>) -> PushResponse {
    remote
        .push_raw(&PushRequest { changes })
        .expect("push answered")
}

fn verdict(answer: &PushResponse, doc: Uuid) -> DocResult {
    answer
        .documents
        .iter()
        .find(|d| d.doc == doc)
        .expect("a verdict")
        .clone()
}

/// The codes of the changes refused in one document.
fn refused_codes(answer: &PushResponse, doc: Uuid) -> Vec<String> {
    let v = verdict(answer, doc);
    assert!(!v.accepted, "{v:?}");
    v.refused.iter().map(|r| r.code.clone()).collect()
}

/// Makes one change of `doc` with raw Automerge calls; the changes made.
fn tamper(
    id: Uuid,
    doc: &mut Automerge,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Vec<WireChange> {
    let heads = doc.get_heads();
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit();
    wire(id, doc, &heads)
}

fn obj(
    tx: &automerge::transaction::Transaction<'_>,
    at: &automerge::ObjId,
    key: &str,
) -> automerge::ObjId {
    tx.get(at, key).expect("get").expect("present").1
}

fn register(ws: &Workstation, name: &str) -> Uuid {
    let id = ws
        .clinic()
        .add_patient(&PatientForm {
            name: Some(name.into()),
            ..PatientForm::default()
        })
        .expect("patient")
        .id;
    ws.sync();
    id.parse().expect("id")
}

/// A raw edit of a document, as a hostile client makes it.
type Attack<'a> = dyn Fn(&mut automerge::transaction::Transaction<'_>) + 'a;

/// The admin adds a professional to the directory and syncs; their id.
fn add_dentist(admin: &Workstation) -> String {
    let pro = admin
        .clinic()
        .add_professional("Dra. Ana Costa", Some("CRO-SP 1234"))
        .expect("professional")
        .id;
    admin.sync();
    pro
}

/// Every snapshot page a fresh workstation of `remote` would read: all 200.
fn snapshot_pages(remote: &Remote) -> usize {
    let (mut after, mut documents) = (None, 0);
    loop {
        let page = remote
            .snapshot_raw(&SnapshotRequest { after, limit: 100 })
            .expect("snapshot page");
        documents += page.documents.len();
        match page.next {
            Some(next) => after = Some(next),
            None => return documents,
        }
    }
}

fn derived_ids_keep_their_class_and_the_chart_stays_clinical(backend: &Backend) {
    let c = Clinica::start(backend);
    let desk = c.workstation("desk", DESK);
    let patient = register(&desk, "Maria da Conceição");
    let chart = documents::chart_id(patient);

    // The front desk claims the chart's id with a patient-shaped document,
    // its id field rewritten to match.
    let hostile = c.hostile(DESK);
    for id_field in [Uuid::now_v7(), chart] {
        let mut doc = Automerge::new();
        documents::commit(
            &mut doc,
            &PatientDoc::new(id_field, "Maria", "2026-11-23T10:00:00Z", "x"),
            &documents::Attribution {
                user: "x".into(),
                device: "x".into(),
                op: "forged".into(),
            },
            1,
        )
        .expect("commit");
        let answer = push(&hostile, wire(chart, &doc, &[]));
        assert_eq!(refused_codes(&answer, chart), ["wrong_id"]);
    }

    // The finance desk pre-claims a conversation id as a ledger.
    let conversation = documents::conversation_id(c.org, "106540352242922", "5511987654321");
    let mut ledger = Automerge::new();
    let changes = tamper(conversation, &mut ledger, |tx| {
        tx.put(ROOT, "class", "ledger").expect("put");
        tx.put(ROOT, "patient_id", patient.to_string())
            .expect("put");
    });
    let answer = push(&c.hostile(FINANCE), changes);
    assert_eq!(refused_codes(&answer, conversation), ["invalid_document"]);

    // The dentist charts: the chart is a chart, and never reaches the desk.
    let admin = c.workstation("admin", ADMIN);
    let pro = add_dentist(&admin);
    let dentist = c.workstation("dentist", DENTIST);
    dentist
        .clinic()
        .chart_add_entry(
            &patient.to_string(),
            &NewEntry {
                region: "36".into(),
                surfaces: vec!["O".into()],
                cervical: false,
                code: "restauracao-resina".into(),
                status: EntryStatus::Planejado,
                professional_id: pro,
                date: "2026-11-30".into(),
                note: String::new(),
                phase: None,
            },
        )
        .expect("chart");
    dentist.sync();
    desk.sync();
    assert!(!desk.classes().contains(&DocClass::Chart));
    let fresh_desk = c.workstation("desk-2", DESK);
    assert!(!fresh_desk.classes().contains(&DocClass::Chart));
    assert!(dentist.classes().contains(&DocClass::Chart));
    // What the desk may read still bootstraps.
    assert!(snapshot_pages(&c.hostile(DESK)) >= 2);
}

fn one_bad_change_stops_no_one(backend: &Backend) {
    let c = Clinica::start(backend);
    let desk = c.workstation("desk", DESK);
    let patient = register(&desk, "João da Silva");
    let hostile = c.hostile(DESK);

    // A patient whose name is a number: the change is refused, the
    // document stays as it was.
    let mut doc = desk.doc(patient);
    let changes = tamper(patient, &mut doc, |tx| {
        tx.put(ROOT, "name", 42).expect("put");
    });
    let answer = push(&hostile, changes);
    assert_eq!(refused_codes(&answer, patient), ["invalid_document"]);

    // A new document whose second change breaks it: the first is stored,
    // the second refused.
    let id = Uuid::now_v7();
    let mut doc = Automerge::new();
    doc.set_actor(ActorId::random());
    let mut changes = tamper(id, &mut doc, |tx| {
        autosurgeon::reconcile(tx, PatientDoc::new(id, "Ana", "2026-11-23T10:00:00Z", "x"))
            .expect("reconcile");
    });
    let heads = doc.get_heads();
    let mut tx = doc.transaction();
    tx.delete(ROOT, "phones").expect("delete");
    tx.commit();
    changes.extend(wire(id, &doc, &heads));
    let answer = push(&hostile, changes);
    let v = verdict(&answer, id);
    assert_eq!(
        (v.accepted, v.stored, v.refused.len()),
        (false, 1, 1),
        "{v:?}"
    );
    assert_eq!(v.refused[0].index, 1);

    // A change that reuses an (actor, seq) already stored with other
    // content.
    let mut before = desk.doc(patient);
    let stored = before.get_changes(&[]).last().expect("a change").clone();
    let mut twin = before.fork_at(stored.deps()).expect("fork");
    twin.set_actor(stored.actor_id().clone());
    let heads = twin.get_heads();
    let mut tx = twin.transaction();
    tx.put(ROOT, "email", "outro@exemplo.com").expect("put");
    tx.commit();
    let forged = twin.get_changes(&heads);
    assert_eq!(forged.len(), 1);
    assert_eq!(
        (forged[0].actor_id(), forged[0].seq()),
        (stored.actor_id(), stored.seq())
    );
    assert_ne!(forged[0].hash(), stored.hash());
    let answer = push(&hostile, wire(patient, &twin, &heads));
    assert_eq!(refused_codes(&answer, patient), ["duplicate_seq"]);
    before.set_actor(ActorId::random());

    // Not a change at all, and a whole document instead of a change.
    let answer = push(
        &hostile,
        vec![
            WireChange {
                doc: patient,
                bytes: protocol::encode(b"not an automerge change"),
            },
            WireChange {
                doc: patient,
                bytes: protocol::encode(&before.save()),
            },
        ],
    );
    assert_eq!(
        refused_codes(&answer, patient),
        ["bad_change", "bad_change"]
    );

    // Honest workstations go on: a new one bootstraps and holds both
    // patients as they should be, the desk keeps registering.
    let fresh = c.workstation("fresh", ADMIN);
    let joao: PatientDoc = autosurgeon::hydrate(&fresh.doc(patient)).expect("a valid patient");
    assert_eq!((joao.name.as_str(), joao.email), ("João da Silva", None));
    let ana: PatientDoc = autosurgeon::hydrate(&fresh.doc(id)).expect("a valid patient");
    assert_eq!(ana.name, "Ana");
    register(&desk, "Paula Souza");
    let pulled = fresh.sync();
    assert_eq!(pulled.quarantined, 0);
    assert!(snapshot_pages(&c.hostile(ADMIN)) >= 4);
}

/// A compressed change chunk whose body inflates to `inflated` zero bytes.
fn compression_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut deflated = Vec::new();
    let mut encoder =
        flate2::write::DeflateEncoder::new(&mut deflated, flate2::Compression::best());
    let block = vec![0u8; 4 * 1024 * 1024];
    for _ in 0..inflated / block.len() {
        encoder.write_all(&block).expect("deflate");
    }
    encoder.finish().expect("finish");
    // Magic bytes, a checksum, chunk type 2 (compressed change), length.
    let mut bomb = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut n = deflated.len();
    while n >= 0x80 {
        bomb.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    bomb.push(n as u8);
    bomb.extend_from_slice(&deflated);
    bomb
}

/// The peak resident memory of a process, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        / 1024
}

fn a_compression_bomb_is_refused_with_bounded_memory(backend: &Backend) {
    let c = Clinica::start(backend);
    let desk = c.workstation("desk", DESK);
    let patient = register(&desk, "João da Silva");
    // 1 GiB once inflated, about 1 MB on the wire.
    let bomb = compression_bomb(1024 * 1024 * 1024);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let encoded = protocol::encode(&bomb);
    let answers: Vec<PushResponse> = std::thread::scope(|s| {
        let pushes: Vec<_> = (0..4)
            .map(|_| {
                let hostile = c.hostile(DESK);
                let bytes = encoded.clone();
                s.spawn(move || {
                    push(
                        &hostile,
                        vec![WireChange {
                            doc: patient,
                            bytes,
                        }],
                    )
                })
            })
            .collect();
        pushes
            .into_iter()
            .map(|p| p.join().expect("push"))
            .collect()
    });
    for answer in &answers {
        assert_eq!(refused_codes(answer, patient), ["change_too_large"]);
    }
    let peak = peak_rss_mib(c.server.pid());
    assert!(peak < 512, "the server's peak memory reached {peak} MiB");
    // And it serves on.
    assert_eq!(
        agent()
            .get(format!("{}/healthz", c.url()))
            .call()
            .expect("healthz")
            .status()
            .as_u16(),
        200
    );
    register(&desk, "Ana Lima");
}

fn signed_notes_locks_and_notes_cannot_be_rewritten(backend: &Backend) {
    let c = Clinica::start(backend);
    let admin = c.workstation("admin", ADMIN);
    let pro = add_dentist(&admin);
    let patient = register(&admin, "Maria da Conceição");
    let p = patient.to_string();
    let dentist = c.workstation("dentist", DENTIST);
    let mut clinic = dentist.clinic();
    let entry = |status| NewEntry {
        region: "36".into(),
        surfaces: vec!["O".into()],
        cervical: false,
        code: "restauracao-resina".into(),
        status,
        professional_id: pro.clone(),
        date: "2026-11-30".into(),
        note: String::new(),
        phase: None,
    };
    let locked = clinic
        .chart_add_entry(&p, &entry(EntryStatus::Realizado))
        .expect("entry")
        .entries[0]
        .entry
        .id
        .clone();
    let view = clinic
        .chart_add_note(
            &p,
            &NewNote {
                professional_id: pro.clone(),
                visit_date: "30/11/2026".into(),
                text: "Restauração em resina no 36, face oclusal.".into(),
                amends: None,
            },
        )
        .expect("note");
    let note = view.notes[0].id.clone();
    clinic.chart_sign_note(&p, &note).expect("sign");
    drop(clinic);
    dentist.sync();

    // Another clínico device, with its own Automerge.
    let chart = documents::chart_id(patient);
    let hostile = c.hostile(DENTIST);
    let attempts: [(&str, Box<Attack<'_>>); 4] = [
        (
            "write_once",
            Box::new(|tx| {
                let signatures = obj(tx, &ROOT, "signatures");
                let key = tx.keys(&signatures).next().expect("signature");
                let s = obj(tx, &signatures, &key);
                tx.put(&s, "text", "Nenhum procedimento realizado.")
                    .expect("put");
                tx.put(&s, "by", Uuid::now_v7().to_string()).expect("put");
            }),
        ),
        (
            "write_once",
            Box::new(|tx| {
                let locks = obj(tx, &ROOT, "locks");
                tx.delete(&locks, locked.as_str()).expect("delete");
            }),
        ),
        (
            "removed_entry",
            Box::new(|tx| {
                let notes = obj(tx, &ROOT, "notes");
                tx.delete(&notes, note.as_str()).expect("delete");
            }),
        ),
        (
            "class_changed",
            Box::new(|tx| {
                tx.put(ROOT, "class", "patient").expect("put");
            }),
        ),
    ];
    for (code, attack) in attempts {
        let mut doc = dentist.doc(chart);
        let changes = tamper(chart, &mut doc, attack);
        let answer = push(&hostile, changes);
        assert_eq!(refused_codes(&answer, chart), [code]);
    }

    // Another dentist's workstation sees the chart as it was signed.
    let other = c.workstation("dentist-2", DENTIST);
    let view = other.clinic().chart(&p, None).expect("chart");
    assert_eq!(
        view.notes[0].text,
        "Restauração em resina no 36, face oclusal."
    );
    assert!(view.notes[0].signed.is_some());
    assert!(view
        .entries
        .iter()
        .any(|e| e.entry.id == locked && e.locked));
}

/// Each professional signs with a key of their own that the server
/// attested; every workstation checks each signature, and one made up by
/// a hostile member shows as invalid. Only the server publishes keys.
fn signatures_prove_who_signed_what(backend: &Backend) {
    use arcada_core::signing::{Tampering, Unproven, Verification};
    let c = Clinica::start(backend);
    let admin = c.workstation("admin", ADMIN);
    let pro = add_dentist(&admin);
    let patient = register(&admin, "Maria da Conceição");
    let p = patient.to_string();
    let dentist = c.workstation("dentist", DENTIST);
    let note_of = |text: &str| NewNote {
        professional_id: pro.clone(),
        visit_date: "30/11/2026".into(),
        text: text.into(),
        amends: None,
    };
    let mut clinic = dentist.clinic();
    let view = clinic
        .chart_add_note(&p, &note_of("Restauração em resina no 36, face oclusal."))
        .expect("note");
    let note = view.notes[0].id.clone();
    let view = clinic.chart_sign_note(&p, &note).expect("sign");
    // Signed here, the key not attested yet (as offline).
    assert_eq!(
        view.notes[0].signed.as_ref().expect("signed").verification,
        Verification::Unverifiable(Unproven::KeyPending)
    );
    drop(clinic);
    dentist.sync();
    let signed = |ws: &Workstation| {
        let view = ws.clinic().chart(&p, None).expect("chart");
        let n = view
            .notes
            .iter()
            .find(|n| n.id == note)
            .expect("note")
            .clone();
        n.signed.expect("signed")
    };
    assert_eq!(signed(&dentist).verification, Verification::Valid);
    let other = c.workstation("dentist-2", DENTIST);
    other.sync();
    assert_eq!(signed(&other).verification, Verification::Valid);
    let key_id = signed(&other).key_id.clone().expect("key");

    // A hostile clínico adds a signature in the dentist's name to a draft
    // of their own, with the dentist's key id and a made-up signature.
    let chart = documents::chart_id(patient);
    let draft = other
        .clinic()
        .chart_add_note(&p, &note_of("Exodontia do 36."))
        .expect("draft")
        .notes
        .iter()
        .find(|n| n.signed.is_none())
        .expect("draft")
        .id
        .clone();
    other.sync();
    let hostile = c.hostile(DENTIST);
    let mut doc = other.doc(chart);
    let forged = documents::Signature {
        id: Uuid::now_v7().to_string(),
        note_id: draft.clone(),
        by: signed(&other).by.clone(),
        at: "2026-11-30T12:00:00Z".into(),
        content_hash: arcada_core::signing::content_hash("Exodontia do 36."),
        text: "Exodontia do 36.".into(),
        key_id: Some(key_id.clone()),
        ed25519: Some("00".repeat(64)),
    };
    let heads = doc.get_heads();
    documents::commit_entry(
        &mut doc,
        "signatures",
        &forged.id,
        &forged,
        &documents::Attribution {
            user: forged.by.clone(),
            device: "script".into(),
            op: "chart.note.sign".into(),
        },
        0,
    )
    .expect("forge");
    let answer = push(&hostile, wire(chart, &doc, &heads));
    assert!(
        verdict(&answer, chart).accepted,
        "a new signature entry is stored"
    );
    dentist.sync();
    let view = dentist.clinic().chart(&p, None).expect("chart");
    let shown = view
        .notes
        .iter()
        .find(|n| n.id == draft)
        .expect("forged note");
    assert_eq!(
        shown.signed.as_ref().expect("shown signed").verification,
        Verification::Tampered(Tampering::BadSignature)
    );

    // Keys: only the server adds them, and none is ever replaced.
    let dir = documents::directory_id(c.org);
    let owner = c.hostile(ADMIN);
    let public =
        arcada_core::signing::public_key(&arcada_core::signing::new_key_pair().expect("pair"))
            .expect("public key");
    let made_up_id = arcada_core::signing::key_id(&public);
    let attempts: [(&str, Box<Attack<'_>>); 2] = [
        (
            "unattested_key",
            Box::new(|tx| {
                let keys = obj(tx, &ROOT, "signing_keys");
                let k = tx
                    .put_object(&keys, made_up_id.as_str(), automerge::ObjType::Map)
                    .expect("key");
                tx.put(&k, "user_id", forged.by.as_str()).expect("put");
                tx.put(&k, "public_key", hex::encode(&public)).expect("put");
                tx.put(&k, "attested_at", "2026-11-30T12:00:00Z")
                    .expect("put");
                tx.put(&k, "attestation", "00".repeat(64)).expect("put");
            }),
        ),
        (
            "write_once",
            Box::new(|tx| {
                let keys = obj(tx, &ROOT, "signing_keys");
                let k = obj(tx, &keys, &key_id);
                tx.put(&k, "public_key", hex::encode(&public)).expect("put");
            }),
        ),
    ];
    admin.sync();
    for (code, attack) in attempts {
        let mut doc = admin.doc(dir);
        let changes = tamper(dir, &mut doc, attack);
        assert_eq!(refused_codes(&push(&owner, changes), dir), [code]);
    }
    assert_eq!(signed(&dentist).verification, Verification::Valid);
}

/// A change that broke its document reached the log before the server
/// judged pushes (wave 1 data): workstations set it aside, apply the rest
/// of the page and keep syncing.
fn workstations_set_aside_what_they_cannot_take_in(backend: &Backend) {
    let mut c = Clinica::start(backend);
    let desk = c.workstation("desk", DESK);
    let patient = register(&desk, "João da Silva");
    let mut doc = desk.doc(patient);
    let bad = tamper(patient, &mut doc, |tx| {
        tx.put(ROOT, "name", 42).expect("put");
    });
    let bytes = protocol::decode(&bad[0].bytes).expect("bytes");
    let hash = automerge::Change::from_bytes(bytes.clone())
        .expect("change")
        .hash();
    behind_the_servers_back(&c, backend, patient, &hash.0, &bytes);
    register(&desk, "Ana Lima");

    let fresh = c.workstation("fresh", ADMIN);
    let status = sync::engine::status(&fresh.store()).expect("status");
    assert_eq!(status.quarantined, 1, "{status:?}");
    let set_aside = store::quarantined(fresh.store().conn()).expect("quarantine");
    assert_eq!(set_aside[0].doc, patient);
    assert_eq!(set_aside[0].direction, "pull");
    assert_eq!(set_aside[0].code, "invalid_document");
    let joao: PatientDoc = autosurgeon::hydrate(&fresh.doc(patient)).expect("still valid");
    assert_eq!(joao.name, "João da Silva");
    let hits = fresh
        .clinic()
        .search_patients("ana lima", 5)
        .expect("search");
    assert_eq!(hits.len(), 1, "the rest of the page was applied");
    // The desk, which pulls the same change incrementally, too.
    desk.sync();
    assert_eq!(
        store::quarantine_len(desk.store().conn()).expect("count"),
        1
    );
    register(&desk, "Paula Souza");

    // An administrator finds the change that broke the document and takes
    // it out of the log; it is kept for audit and served to no one.
    let org = c.org.to_string();
    let doc = patient.to_string();
    let report: serde_json::Value = serde_json::from_str(
        &c.storage
            .admin(&["changes", "--org", &org, "--doc", &doc], ""),
    )
    .expect("json");
    let first_invalid = &report["document"]["first_invalid"];
    assert_eq!(first_invalid["hash"], hash.to_string(), "{report:#}");
    assert_eq!(first_invalid["code"], "invalid_document");
    let moved: serde_json::Value = serde_json::from_str(&c.storage.admin(
        &[
            "quarantine-change",
            "--org",
            &org,
            "--doc",
            &doc,
            "--hash",
            &hash.to_string(),
            "--reason",
            "nome numérico gravado antes da validação",
        ],
        "",
    ))
    .expect("json");
    assert_eq!(moved["moved"], 1);
    let report: serde_json::Value = serde_json::from_str(
        &c.storage
            .admin(&["changes", "--org", &org, "--doc", &doc], ""),
    )
    .expect("json");
    assert!(report["document"]["first_invalid"].is_null(), "{report:#}");
    assert_eq!(report["quarantined"][0]["hash"], hash.to_string());
    c.restart();
    let fresh = c.workstation("after", ADMIN);
    assert_eq!(
        store::quarantine_len(fresh.store().conn()).expect("count"),
        0
    );
    let desk = c.workstation("desk-after", DESK);
    let mut clinic = desk.clinic();
    clinic
        .update_patient(
            &patient.to_string(),
            &PatientForm {
                email: Some("joao@exemplo.com".into()),
                ..PatientForm::default()
            },
        )
        .expect("edit");
    drop(clinic);
    desk.sync();
}

/// Appends a change to the log directly in the database.
fn behind_the_servers_back(c: &Clinica, backend: &Backend, doc: Uuid, hash: &[u8], bytes: &[u8]) {
    match backend {
        Backend::Sqlite => {
            let db = Path::new(&c.storage.args[1]).join(arcada_server::storage::sqlite::FILE_NAME);
            let conn = rusqlite::Connection::open(&db).expect("open the server's database");
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .expect("timeout");
            conn.execute(
                "INSERT INTO changes (org_id, doc_id, class, hash, bytes, device_id, received_at)
                 VALUES (?1, ?2, 'patient', ?3, ?4, ?5, 0)",
                rusqlite::params![
                    c.org.to_string(),
                    doc.to_string(),
                    hash,
                    bytes,
                    Uuid::nil().to_string()
                ],
            )
            .expect("insert");
        }
        Backend::Postgres { .. } => {
            let url = c
                .storage
                .args
                .iter()
                .skip_while(|a| *a != "--database-url")
                .nth(1)
                .expect("url");
            let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            let mut tx = client.transaction().expect("tx");
            tx.execute(
                "SELECT set_config('app.current_org', $1, true)",
                &[&c.org.to_string()],
            )
            .expect("org");
            tx.execute(
                "INSERT INTO changes (org_id, doc_id, class, hash, bytes, device_id, received_at)
                 VALUES ($1, $2, 'patient', $3, $4, $5, 0)",
                &[&c.org, &doc, &hash, &bytes, &Uuid::nil()],
            )
            .expect("insert");
            tx.commit().expect("commit");
        }
    }
}

on_every_backend!(
    derived_ids_keep_their_class_and_the_chart_stays_clinical,
    one_bad_change_stops_no_one,
    a_compression_bomb_is_refused_with_bounded_memory,
    signed_notes_locks_and_notes_cannot_be_rewritten,
    signatures_prove_who_signed_what,
    workstations_set_aside_what_they_cannot_take_in,
);
