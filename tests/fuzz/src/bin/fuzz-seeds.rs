//! Writes the seed corpus into tests/fuzz/corpus/<target>/ (or the
//! directory given): real changes of every document class made with the
//! core's document code, honest and hostile, and WhatsApp webhook bodies
//! (Meta's examples from tests/fixtures/whatsapp and our own). Every file
//! is the same on every run; files the fuzzer added (crashes kept as
//! regressions) are left alone.
//!
//! `cargo run -p arcada-fuzz --bin fuzz-seeds`

use std::path::{Path, PathBuf};

use anyhow::Context;
use arcada_core::documents::{self, DocClass, Message};
use arcada_core::roles::Role;
use arcada_fuzz::clinic::{self, Seed};
use arcada_fuzz::{pull, push};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, Change, ReadDoc, ROOT};

fn main() -> anyhow::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut n = 0;
    for (target, files) in [
        ("push", push_inputs()),
        ("pull", pull_inputs()),
        ("webhook", webhook_inputs()?),
    ] {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
        for (name, bytes) in files {
            let path = dir.join(name);
            std::fs::write(&path, bytes).with_context(|| path.display().to_string())?;
            n += 1;
        }
    }
    eprintln!("{n} seed inputs written under {}", root.display());
    Ok(())
}

fn index(class: DocClass) -> usize {
    clinic::seeds()
        .iter()
        .position(|s| s.class == class)
        .expect("a seed of every class")
}

/// Changes back to back; compressed where automerge would compress them.
fn concat(changes: &[Change], compressed: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for c in changes {
        let mut c = c.clone();
        if compressed {
            out.extend_from_slice(c.bytes().as_ref());
        } else {
            out.extend_from_slice(c.raw_bytes());
        }
    }
    out
}

/// The changes `f` makes on the seed of `class`, as its device.
fn edit(
    class: DocClass,
    f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Vec<Change> {
    let seed = clinic::seed(class);
    let mut doc = seed.editable();
    let heads = doc.get_heads();
    documents::change(
        &mut doc,
        &clinic::by("fuzz.edit"),
        clinic::TIME + 60,
        |tx| {
            f(tx);
            Ok(())
        },
    )
    .expect("an edit");
    doc.get_changes(&heads)
}

fn map(tx: &automerge::transaction::Transaction<'_>, key: &str) -> automerge::ObjId {
    tx.get(ROOT, key)
        .expect("get")
        .map(|(_, id)| id)
        .unwrap_or_else(|| panic!("the seed has a {key} map"))
}

/// An honest next change of each class.
fn honest(class: DocClass) -> Vec<Change> {
    match class {
        DocClass::Directory => edit(class, |tx| {
            let chairs = map(tx, "chairs");
            let chair = tx
                .put_object(&chairs, "chair-2", automerge::ObjType::Map)
                .expect("chair");
            tx.put(&chair, "id", "chair-2").expect("id");
            tx.put(&chair, "name", "Cadeira 2").expect("name");
            tx.put(&chair, "site_id", clinic::SITE.to_string())
                .expect("site");
            tx.put(&chair, "active", true).expect("active");
        }),
        DocClass::Patient => edit(class, |tx| {
            tx.put(ROOT, "name", "Maria da Silva Souza").expect("name");
            tx.put(ROOT, "email", "maria@example.com").expect("email");
        }),
        DocClass::Chart => edit(class, |tx| {
            let entries = map(tx, "entries");
            let entry = tx.get(&entries, "entry-2").expect("get").expect("entry").1;
            tx.put(&entry, "note", "refazer").expect("note");
        }),
        DocClass::Agenda => edit(class, |tx| {
            let appointments = map(tx, "appointments");
            let a = tx
                .get(&appointments, "appointment-1")
                .expect("get")
                .expect("appointment")
                .1;
            tx.put(&a, "status", "confirmado").expect("status");
        }),
        DocClass::Conversation => edit(class, |tx| {
            let message = Message {
                text: Some("Sim, amanhã às 10h.".into()),
                ..Message::queued(
                    "0193-fuzz-outbound",
                    "text",
                    None,
                    clinic::USER,
                    clinic::TIME + 60,
                )
            };
            documents::put_entry(tx, "messages", &message.id, &message).expect("message");
            tx.put(ROOT, "read_at", clinic::TIME + 60).expect("read");
        }),
        DocClass::Ledger => Vec::new(),
    }
}

/// Changes the rules refuse, by name, on the seed documents.
fn hostile() -> Vec<(&'static str, DocClass, Vec<Change>)> {
    vec![
        (
            "chart-alters-a-lock",
            DocClass::Chart,
            edit(DocClass::Chart, |tx| {
                let locks = map(tx, "locks");
                let lock = tx.get(&locks, "entry-1").expect("get").expect("lock").1;
                let entry = tx.get(&lock, "entry").expect("get").expect("entry").1;
                tx.put(&entry, "region", "46").expect("region");
            }),
        ),
        (
            "chart-removes-an-entry",
            DocClass::Chart,
            edit(DocClass::Chart, |tx| {
                let entries = map(tx, "entries");
                tx.delete(&entries, "entry-2").expect("delete");
            }),
        ),
        (
            "chart-rewrites-a-signature",
            DocClass::Chart,
            edit(DocClass::Chart, |tx| {
                let signatures = map(tx, "signatures");
                let s = tx
                    .get(&signatures, "signature-1")
                    .expect("get")
                    .expect("signature")
                    .1;
                tx.put(&s, "text", "Extração do 36.").expect("text");
            }),
        ),
        (
            "chart-drops-an-invalidation",
            DocClass::Chart,
            edit(DocClass::Chart, |tx| {
                let invalidations = map(tx, "invalidations");
                tx.delete(&invalidations, "entry-2").expect("delete");
            }),
        ),
        (
            "chart-becomes-a-patient",
            DocClass::Chart,
            edit(DocClass::Chart, |tx| {
                tx.put(ROOT, "class", "patient").expect("class");
            }),
        ),
        (
            "chart-of-another-patient",
            DocClass::Chart,
            edit(DocClass::Chart, |tx| {
                tx.put(ROOT, "patient_id", clinic::SITE.to_string())
                    .expect("patient");
            }),
        ),
        (
            "patient-claims-another-id",
            DocClass::Patient,
            edit(DocClass::Patient, |tx| {
                tx.put(ROOT, "id", clinic::SITE.to_string()).expect("id");
            }),
        ),
        (
            "patient-loses-its-class",
            DocClass::Patient,
            edit(DocClass::Patient, |tx| {
                tx.delete(ROOT, "class").expect("class");
            }),
        ),
        (
            "patient-name-becomes-a-number",
            DocClass::Patient,
            edit(DocClass::Patient, |tx| {
                tx.put(ROOT, "name", 42i64).expect("name");
            }),
        ),
        (
            "agenda-removes-an-appointment",
            DocClass::Agenda,
            edit(DocClass::Agenda, |tx| {
                let appointments = map(tx, "appointments");
                tx.delete(&appointments, "appointment-1").expect("delete");
            }),
        ),
        (
            "agenda-moves-to-another-week",
            DocClass::Agenda,
            edit(DocClass::Agenda, |tx| {
                tx.put(ROOT, "week", "2026-W49").expect("week");
            }),
        ),
        (
            "conversation-removes-a-message",
            DocClass::Conversation,
            edit(DocClass::Conversation, |tx| {
                let messages = map(tx, "messages");
                tx.delete(&messages, "wamid.fuzz-1").expect("delete");
            }),
        ),
        (
            "conversation-changes-contact",
            DocClass::Conversation,
            edit(DocClass::Conversation, |tx| {
                let contact = map(tx, "contact");
                tx.put(&contact, "phone", "+5511999990000").expect("phone");
            }),
        ),
        (
            "directory-names-another-org",
            DocClass::Directory,
            edit(DocClass::Directory, |tx| {
                let org = map(tx, "org");
                tx.put(&org, "id", clinic::PATIENT.to_string())
                    .expect("org");
            }),
        ),
    ]
}

/// Two honest changes of the chart, the second depending on the first,
/// sent second first.
fn out_of_order() -> Vec<Change> {
    let seed = clinic::seed(DocClass::Chart);
    let mut doc = seed.editable();
    let heads = doc.get_heads();
    for (i, note) in ["um", "dois"].into_iter().enumerate() {
        documents::change(
            &mut doc,
            &clinic::by("fuzz.edit"),
            clinic::TIME + i as i64,
            |tx| {
                let entries = map(tx, "entries");
                let entry = tx.get(&entries, "entry-2").expect("get").expect("entry").1;
                tx.put(&entry, "note", note).expect("note");
                Ok(())
            },
        )
        .expect("edit");
    }
    let mut changes = doc.get_changes(&heads);
    changes.reverse();
    changes
}

/// Two different changes with one actor and sequence number.
fn duplicate_seq() -> Vec<Change> {
    let seed = clinic::seed(DocClass::Patient);
    let mut out = Vec::new();
    for name in ["Ana", "Bia"] {
        let mut doc = seed.editable();
        let heads = doc.get_heads();
        documents::change(&mut doc, &clinic::by("fuzz.edit"), clinic::TIME, |tx| {
            tx.put(ROOT, "name", name).expect("name");
            Ok(())
        })
        .expect("edit");
        out.extend(doc.get_changes(&heads));
    }
    out
}

/// A change whose dependency nobody sent.
fn missing_dependency() -> Vec<Change> {
    let seed = clinic::seed(DocClass::Agenda);
    let mut doc = seed.editable();
    let heads = doc.get_heads();
    for status in ["confirmado", "chegou"] {
        documents::change(&mut doc, &clinic::by("fuzz.edit"), clinic::TIME, |tx| {
            let appointments = map(tx, "appointments");
            let a = tx
                .get(&appointments, "appointment-1")
                .expect("get")
                .expect("appointment")
                .1;
            tx.put(&a, "status", status).expect("status");
            Ok(())
        })
        .expect("edit");
    }
    doc.get_changes(&heads).into_iter().skip(1).collect()
}

/// A change chunk whose compressed body inflates past the 16 MiB limit.
fn compression_bomb() -> Vec<u8> {
    let mut deflated = Vec::new();
    let mut encoder =
        flate2::write::DeflateEncoder::new(&mut deflated, flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..17 {
        std::io::Write::write_all(&mut encoder, &zeros).expect("deflate");
    }
    encoder.finish().expect("deflate");
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

fn with_wrong_checksum(changes: &[Change]) -> Vec<u8> {
    let mut bytes = concat(changes, false);
    bytes[4] ^= 0xff;
    bytes
}

fn slug(class: DocClass) -> &'static str {
    class.as_str()
}

fn push_input(doc: usize, known: bool, role: Role, fix: bool, body: &[u8]) -> Vec<u8> {
    let mut out = push::Scenario {
        doc,
        known,
        role,
        fix_checksums: fix,
    }
    .header()
    .to_vec();
    out.extend_from_slice(body);
    out
}

fn push_inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for seed in clinic::seeds() {
        let i = index(seed.class);
        let class = slug(seed.class);
        out.push((
            format!("new-{class}"),
            push_input(i, false, Role::Admin, false, &concat(&seed.log, false)),
        ));
        out.push((
            format!("edit-{class}"),
            push_input(
                i,
                true,
                Role::Admin,
                false,
                &concat(&honest(seed.class), false),
            ),
        ));
    }
    let directory = clinic::seed(DocClass::Directory);
    out.push((
        "new-directory-compressed".into(),
        push_input(
            index(DocClass::Directory),
            false,
            Role::Gerente,
            false,
            &concat(&directory.log, true),
        ),
    ));
    let chart = index(DocClass::Chart);
    out.push((
        "edit-chart-by-the-dentist".into(),
        push_input(
            chart,
            true,
            Role::Clinico,
            true,
            &concat(&honest(DocClass::Chart), false),
        ),
    ));
    out.push((
        "edit-chart-by-the-front-desk".into(),
        push_input(
            chart,
            true,
            Role::Recepcao,
            false,
            &concat(&honest(DocClass::Chart), false),
        ),
    ));
    for (name, class, changes) in hostile() {
        out.push((
            name.to_string(),
            push_input(
                index(class),
                true,
                Role::Admin,
                false,
                &concat(&changes, false),
            ),
        ));
    }
    let mut mixed = concat(&honest(DocClass::Chart), false);
    mixed.extend(concat(&hostile()[0].2, false));
    out.push((
        "chart-honest-then-hostile".into(),
        push_input(chart, true, Role::Clinico, false, &mixed),
    ));
    out.push((
        "chart-out-of-order".into(),
        push_input(
            chart,
            true,
            Role::Clinico,
            false,
            &concat(&out_of_order(), false),
        ),
    ));
    let patient = index(DocClass::Patient);
    out.push((
        "patient-duplicate-seq".into(),
        push_input(
            patient,
            true,
            Role::Recepcao,
            false,
            &concat(&duplicate_seq(), false),
        ),
    ));
    out.push((
        "agenda-missing-dependency".into(),
        push_input(
            index(DocClass::Agenda),
            true,
            Role::Recepcao,
            false,
            &concat(&missing_dependency(), false),
        ),
    ));
    out.push((
        "compression-bomb".into(),
        push_input(patient, true, Role::Admin, false, &compression_bomb()),
    ));
    out.push((
        "wrong-checksum".into(),
        push_input(
            patient,
            true,
            Role::Admin,
            false,
            &with_wrong_checksum(&honest(DocClass::Patient)),
        ),
    ));
    let whole = Automerge::load(&concat(&clinic::seed(DocClass::Patient).log, false))
        .expect("the patient loads")
        .save();
    out.push((
        "a-whole-document".into(),
        push_input(patient, false, Role::Admin, false, &whole),
    ));
    let honest = concat(&honest(DocClass::Patient), false);
    out.push((
        "truncated".into(),
        push_input(
            patient,
            true,
            Role::Admin,
            true,
            &honest[..honest.len() / 2],
        ),
    ));
    out
}

fn pull_input(
    doc: usize,
    held: bool,
    claimed: Option<DocClass>,
    snapshot: bool,
    body: &[u8],
) -> Vec<u8> {
    let mut out = pull::Scenario {
        doc,
        held,
        claimed,
        fix_checksums: false,
        snapshot,
    }
    .header()
    .to_vec();
    out.extend_from_slice(body);
    out
}

/// The seed with its honest edit, saved whole.
fn saved_with_edit(seed: &Seed) -> Vec<u8> {
    let mut doc = seed.doc();
    doc.apply_changes(honest(seed.class))
        .expect("the edit applies");
    doc.save()
}

fn pull_inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for seed in clinic::seeds() {
        let i = index(seed.class);
        let class = slug(seed.class);
        out.push((
            format!("page-new-{class}"),
            pull_input(i, false, None, false, &concat(&seed.log, false)),
        ));
        out.push((
            format!("page-edit-{class}"),
            pull_input(i, true, None, false, &concat(&honest(seed.class), false)),
        ));
        out.push((
            format!("snapshot-new-{class}"),
            pull_input(i, false, None, true, &seed.doc().save()),
        ));
        out.push((
            format!("snapshot-held-{class}"),
            pull_input(i, true, None, true, &saved_with_edit(seed)),
        ));
    }
    for (name, class, changes) in hostile() {
        out.push((
            format!("page-{name}"),
            pull_input(index(class), true, None, false, &concat(&changes, false)),
        ));
    }
    let chart = clinic::seed(DocClass::Chart);
    out.push((
        "page-chart-claimed-a-patient".into(),
        pull_input(
            index(DocClass::Chart),
            false,
            Some(DocClass::Patient),
            false,
            &concat(&chart.log, false),
        ),
    ));
    out.push((
        "snapshot-chart-claimed-a-patient".into(),
        pull_input(
            index(DocClass::Chart),
            false,
            Some(DocClass::Patient),
            true,
            &chart.doc().save(),
        ),
    ));
    let mut hostile_doc = chart.doc();
    hostile_doc
        .apply_changes(hostile()[0].2.clone())
        .expect("applies");
    out.push((
        "snapshot-chart-alters-a-lock".into(),
        pull_input(
            index(DocClass::Chart),
            true,
            None,
            true,
            &hostile_doc.save(),
        ),
    ));
    let patient = index(DocClass::Patient);
    out.push((
        "page-compression-bomb".into(),
        pull_input(patient, true, None, false, &compression_bomb()),
    ));
    out.push((
        "page-wrong-checksum".into(),
        pull_input(
            patient,
            true,
            None,
            false,
            &with_wrong_checksum(&honest(DocClass::Patient)),
        ),
    ));
    out.push((
        "page-duplicate-seq".into(),
        pull_input(patient, true, None, false, &concat(&duplicate_seq(), false)),
    ));
    out.push((
        "page-missing-dependency".into(),
        pull_input(
            index(DocClass::Agenda),
            true,
            None,
            false,
            &concat(&missing_dependency(), false),
        ),
    ));
    let saved = clinic::seed(DocClass::Patient).doc().save();
    out.push((
        "snapshot-truncated".into(),
        pull_input(patient, false, None, true, &saved[..saved.len() / 2]),
    ));
    // A foreign actor's document under the patient's id: valid Automerge,
    // not a patient.
    let mut foreign = Automerge::new().with_actor(ActorId::from(&[7u8; 16][..]));
    let mut tx = foreign.transaction();
    tx.put(ROOT, "class", "patient").expect("class");
    tx.commit();
    out.push((
        "snapshot-not-a-patient".into(),
        pull_input(patient, false, None, true, &foreign.save()),
    ));
    out
}

fn webhook_inputs() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/whatsapp");
    let mut out = Vec::new();
    for file in arcada_fuzz::inputs(&fixtures)? {
        if file.extension().is_some_and(|e| e == "json") {
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((name, std::fs::read(&file)?));
        }
    }
    let batch = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "W1", "changes": [
                {"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"phone_number_id": clinic::PHONE_NUMBER_ID, "display_phone_number": clinic::DISPLAY_NUMBER},
                    "contacts": [
                        {"profile": {"name": "Ana Luíza"}, "wa_id": "5511987654321"},
                        {"profile": {"name": "João"}, "wa_id": "551187654321"}
                    ],
                    "messages": [
                        {"from": "5511987654321", "id": "wamid.A", "timestamp": "1764000000", "type": "text", "text": {"body": "Olá, não posso às 15h 😬"}},
                        {"from": "551187654321", "id": "wamid.B", "timestamp": 1764000001, "type": "image",
                         "image": {"id": "media-1", "mime_type": "image/jpeg", "sha256": "abc", "caption": "raio-x", "file_size": 1024}},
                        {"from": "5511987654321", "id": "wamid.C", "timestamp": "1764000002", "type": "reaction",
                         "reaction": {"message_id": "wamid.A", "emoji": "👍"}},
                        {"from": "5511987654321", "type": "text"}
                    ],
                    "statuses": [
                        {"id": "wamid.S", "status": "read", "timestamp": "1764000003", "recipient_id": "5511987654321"},
                        {"id": "wamid.S", "status": "delivered", "timestamp": "1764000002", "recipient_id": "5511987654321"},
                        {"id": "wamid.T", "status": "failed", "timestamp": "1764000004",
                         "errors": [{"code": 131047, "title": "Re-engagement message"}]},
                        {"id": "wamid.U", "status": "deleted"}
                    ]
                }},
                {"field": "account_update", "value": {"event": "x"}}
            ]},
            {"id": "W2", "changes": [
                {"field": "messages", "value": {
                    "metadata": {"phone_number_id": "P2"},
                    "contacts": [{"profile": {"username": "bia.s"}, "user_id": "BR.123"}],
                    "messages": [{"from_user_id": "BR.123", "id": "wamid.D", "timestamp": "4", "type": "interactive",
                                  "interactive": {"type": "button_reply", "button_reply": {"id": "confirmar", "title": "Confirmar"}}}]
                }},
                {"field": "messages", "value": {"metadata": {}}},
                {"field": "messages"}
            ]},
            {"id": "W3"}
        ]
    });
    out.push(("batch-of-everything".into(), batch.to_string().into_bytes()));
    out.push(("not-json".into(), b"{\"entry\": [".to_vec()));
    out.push(("no-entries".into(), b"{\"object\":\"page\"}".to_vec()));
    out.push((
        "invalid-utf8".into(),
        b"{\"entry\":[{\"changes\":[{\"value\":{\"metadata\":{\"phone_number_id\":\"1\"},\"messages\":[{\"from\":\"1\",\"id\":\"\xff\"}]}}]}]}".to_vec(),
    ));
    Ok(out)
}
