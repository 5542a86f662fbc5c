//! The WhatsApp inbox on a workstation: conversations written by the server
//! (built here the way the server builds them, by `demo::conversation`) are listed with unread counts and
//! waiting time; replies and templates are queued into the document;
//! refused ones write nothing; a lead is linked or converted to a patient.

use arcada_core::documents::{ConversationDoc, Direction, MessageStatus};
use arcada_core::patient::PatientForm;
use arcada_core::{demo, projection, store, Clinic};
use uuid::Uuid;

mod common;

const NUMBER_ID: &str = "106540352242922";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A conversation as the server writes it, arrived by sync: `messages`
/// are (wamid, text, seconds ago).
fn receive(clinic: &mut Clinic, wa_id: &str, name: &str, messages: &[(&str, &str, i64)]) -> Uuid {
    let t = now();
    let messages: Vec<demo::Inbound<'_>> = messages
        .iter()
        .map(|(w, text, ago)| (*w, *text, t - ago))
        .collect();
    demo::add_conversation(clinic, NUMBER_ID, wa_id, name, &messages).expect("conversation")
}

fn stored(clinic: &Clinic, id: Uuid) -> ConversationDoc {
    let s = store::load(clinic.store().conn(), id)
        .expect("load")
        .expect("conversation");
    autosurgeon::hydrate(&s.doc).expect("hydrate")
}

/// The total the navigation badge shows.
fn unread(clinic: &Clinic) -> u32 {
    clinic
        .inbox()
        .expect("inbox")
        .iter()
        .map(|r| r.unread)
        .sum()
}

fn form(name: &str, phone: &str) -> PatientForm {
    PatientForm {
        name: Some(name.into()),
        phones: vec![phone.into()],
        ..PatientForm::default()
    }
}

#[test]
fn conversations_are_listed_answered_and_linked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clinic = Clinic::init(tmp.path(), "Clínica Sorriso").expect("init");
    let maria = clinic
        .add_patient(&form("Maria da Silva", "(11) 98765-4321"))
        .expect("patient");
    // WhatsApp's id for this mobile lacks the ninth digit, as it often does.
    let known = receive(
        &mut clinic,
        "551187654321",
        "Maria",
        &[("wamid.A1", "Oi", 600), ("wamid.A2", "Tudo bem?", 300)],
    );
    let lead = receive(
        &mut clinic,
        "5521999990000",
        "João",
        &[("wamid.B1", "Quanto custa um clareamento?", 60)],
    );
    let old = receive(
        &mut clinic,
        "5531988887777",
        "Ana",
        &[("wamid.C1", "Obrigada!", 3 * 86_400)],
    );

    let list = clinic.inbox().expect("inbox");
    assert_eq!(list.len(), 3);
    // Waiting longest first.
    let order: Vec<Uuid> = list.iter().map(|r| r.id.parse().expect("id")).collect();
    assert_eq!(order, vec![old, known, lead]);
    let k = &list[1];
    assert_eq!(k.unread, 2);
    assert_eq!(k.last_text.as_deref(), Some("Tudo bem?"));
    assert!(k.window_open);
    assert!(k.lead);
    assert_eq!(k.contact_name.as_deref(), Some("Maria"));
    assert_eq!(k.phone.as_deref(), Some("+55 11 98765-4321"));
    assert_eq!(
        k.suggested_patients
            .iter()
            .map(|p| &p.id)
            .collect::<Vec<_>>(),
        vec![&maria.id],
        "the number matches Maria's, ninth digit or not"
    );
    assert!(k.waiting_since.is_some());
    assert!(!list[0].window_open, "three days old: only templates");
    assert_eq!(unread(&clinic), 4);

    // A reply is queued for the server's sender; the contact no longer waits.
    let reply = clinic
        .inbox_reply(&known.to_string(), "  Olá, Maria! Tudo ótimo.  ")
        .expect("reply");
    assert_eq!(reply.status, MessageStatus::Queued);
    assert_eq!(reply.text.as_deref(), Some("Olá, Maria! Tudo ótimo."));
    let doc = stored(&clinic, known);
    let queued = &doc.messages[&reply.id];
    assert_eq!(queued.direction, Direction::Outbound);
    assert_eq!(
        queued.author.as_deref(),
        Some(clinic.identity().user_id.to_string().as_str())
    );
    let row = clinic
        .inbox()
        .expect("inbox")
        .into_iter()
        .find(|r| r.id == known.to_string())
        .expect("row");
    assert_eq!(row.waiting_since, None);
    assert_eq!(row.unread, 2, "answering is not reading");

    clinic.inbox_mark_read(&known.to_string()).expect("read");
    assert_eq!(unread(&clinic), 2);
    assert_eq!(
        stored(&clinic, known).read_at,
        Some(doc.messages["wamid.A2"].at)
    );

    // Refused messages write nothing.
    let before = store::load(clinic.store().conn(), old)
        .expect("load")
        .expect("doc")
        .doc
        .get_heads();
    let refused = [
        clinic
            .inbox_reply(&old.to_string(), "Oi, Ana")
            .expect_err("window"),
        clinic
            .inbox_reply(&known.to_string(), "   ")
            .expect_err("empty"),
        clinic
            .inbox_reply(&known.to_string(), &"a".repeat(4097))
            .expect_err("long"),
        clinic
            .inbox_send_template(
                &old.to_string(),
                "retomar_conversa",
                "pt_BR",
                &["Ana".into()],
            )
            .expect_err("params"),
        clinic
            .inbox_send_template(&old.to_string(), "promocao", "pt_BR", &[])
            .expect_err("unknown"),
        clinic
            .inbox_reply(&Uuid::now_v7().to_string(), "oi")
            .expect_err("no conversation"),
        clinic
            .inbox_reply(&maria.id, "oi")
            .expect_err("a patient is no conversation"),
    ];
    let codes: Vec<&str> = refused.iter().map(|e| e.code()).collect();
    assert_eq!(
        codes,
        [
            "window_closed",
            "empty",
            "too_long",
            "template_params",
            "unknown_template",
            "not_found",
            "not_found"
        ]
    );
    let after = store::load(clinic.store().conn(), old)
        .expect("load")
        .expect("doc")
        .doc
        .get_heads();
    assert_eq!(before, after);

    // Outside the window, an approved template goes, shown as the patient reads it.
    let sent = clinic
        .inbox_send_template(
            &old.to_string(),
            "retomar_conversa",
            "pt_BR",
            &["Ana".into(), "Clínica Sorriso".into()],
        )
        .expect("template");
    assert_eq!(sent.kind, "template");
    assert_eq!(
        sent.text.as_deref(),
        Some("Olá, Ana! Aqui é da Clínica Sorriso. Podemos continuar o seu atendimento por aqui?")
    );
    assert_eq!(sent.template.as_ref().map(|t| t.params.len()), Some(2));
    let thread = clinic.conversation(&old.to_string()).expect("thread");
    assert_eq!(thread.messages.len(), 2);
    assert!(thread
        .templates
        .iter()
        .any(|t| t.name == "lembrete_consulta" && t.params == 3));

    // Linking: the suggested patient; converting: a new patient with the lead's number.
    let linked = clinic
        .inbox_link_patient(&known.to_string(), &maria.id)
        .expect("link");
    assert_eq!(linked.patient_name.as_deref(), Some("Maria da Silva"));
    assert!(!linked.lead);
    assert!(linked.suggested_patients.is_empty());
    assert_eq!(
        stored(&clinic, known).lead.and_then(|l| l.converted_to),
        Some(maria.id.clone())
    );
    let bad = clinic
        .inbox_convert_lead(&lead.to_string(), &form("", "(21) 99999-0000"))
        .expect_err("no name");
    assert_eq!(bad.code(), "invalid_name");
    assert!(stored(&clinic, lead).patient_id.is_none());
    let converted = clinic
        .inbox_convert_lead(
            &lead.to_string(),
            &form("João Pereira", "+55 21 99999-0000"),
        )
        .expect("convert");
    let joao = converted.patient_id.clone().expect("linked");
    assert_eq!(converted.patient_name.as_deref(), Some("João Pereira"));
    assert_eq!(
        clinic.search_patients("99999-0000", 10).expect("search")[0].id,
        joao
    );

    // The projection is what a rebuild from the documents gives.
    let incremental = projection::dump(clinic.store().conn()).expect("dump");
    clinic.reindex().expect("reindex");
    assert_eq!(
        projection::dump(clinic.store().conn()).expect("dump"),
        incremental
    );
}

/// Two people of the front desk on two workstations: one takes a
/// conversation, the other sees it taken after a sync; both take the same
/// one while offline and, once merged, both workstations show the same
/// single person; releasing gives it back to everyone.
#[test]
fn a_conversation_is_taken_by_one_person_and_given_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let first = {
        let mut a = Clinic::init(&a_dir, "Clínica Sorriso").expect("init");
        receive(&mut a, "5521999990000", "João", &[("wamid.T1", "Oi", 60)])
    };
    // B starts from a copy of A: its own device and its own user.
    common::copy_workstation(&a_dir, &b_dir, true);
    let key = first.to_string();
    // Each knows its own user's e-mail, as after a login there.
    for (dir, email) in [
        (&a_dir, "ana@sorriso.com.br"),
        (&b_dir, "bia@sorriso.com.br"),
    ] {
        let s = store::Store::open(&dir.join(store::FILE_NAME)).expect("open");
        let user = s
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'user_id'", [], |r| {
                r.get::<_, String>(0)
            })
            .expect("user");
        s.conn()
            .execute(
                "INSERT INTO local_users (user_id, email, role, verifier, last_login) VALUES (?1, ?2, 'recepcao', 'x', 0)",
                [user.as_str(), email],
            )
            .expect("user");
    }
    let mut a = Clinic::open(&a_dir).expect("open a");
    let b = Clinic::open(&b_dir).expect("open b");
    let (a_user, b_user) = (
        a.identity().user_id.to_string(),
        b.identity().user_id.to_string(),
    );
    assert_ne!(a_user, b_user);
    assert_eq!(a.inbox().expect("inbox")[0].assignee, None);

    let row = a.inbox_assign(&key, true).expect("take");
    let taken = row.assignee.expect("taken");
    assert_eq!(taken.user_id, a_user);
    assert_eq!(taken.name.as_deref(), Some("ana@sorriso.com.br"));
    let heads = |c: &Clinic| {
        store::load(c.store().conn(), first)
            .expect("load")
            .expect("doc")
            .doc
            .get_heads()
    };
    let before = heads(&a);
    // Taking what one already holds writes nothing.
    a.inbox_assign(&key, true).expect("again");
    assert_eq!(heads(&a), before, "taking it again changed the document");

    drop((a, b));
    common::merge(&a_dir, &b_dir);
    let mut b = Clinic::open(&b_dir).expect("open b");
    let seen = b.inbox().expect("inbox")[0]
        .assignee
        .clone()
        .expect("seen on B");
    assert_eq!(seen.user_id, a_user);
    assert_eq!(
        seen.name.as_deref(),
        Some("ana@sorriso.com.br"),
        "named on B too"
    );

    let on = |c: &Clinic| {
        c.inbox().expect("inbox")[0]
            .assignee
            .clone()
            .map(|x| (x.user_id, x.name))
    };
    let both = |a: Clinic, b: Clinic| {
        drop((a, b));
        common::merge(&a_dir, &b_dir);
        common::merge(&b_dir, &a_dir);
        (
            Clinic::open(&a_dir).expect("open a"),
            Clinic::open(&b_dir).expect("open b"),
        )
    };

    // Offline, A gives it back while B takes it over: B's taking stands,
    // whole, on both.
    let mut a = Clinic::open(&a_dir).expect("open a");
    a.inbox_assign(&key, false).expect("A releases");
    b.inbox_assign(&key, true).expect("B takes over");
    let (a, mut b) = both(a, b);
    let bia = Some((b_user.clone(), Some("bia@sorriso.com.br".to_string())));
    assert_eq!((on(&a), on(&b)), (bia.clone(), bia));

    // Both take it offline; after the merge one of them has it, the same
    // one on both workstations, and the projection equals a reindex.
    b.inbox_assign(&key, false).expect("B releases");
    let (mut a, mut b) = both(a, b);
    assert_eq!(on(&a), None);
    a.inbox_assign(&key, true).expect("A takes");
    b.inbox_assign(&key, true).expect("B takes");
    let (mut a, b) = both(a, b);
    let winner = on(&a).expect("someone has it");
    assert_eq!(on(&b), Some(winner.clone()));
    // one person, whole: never one's id under the other's name
    assert!(
        winner == (a_user.clone(), Some("ana@sorriso.com.br".into()))
            || winner == (b_user.clone(), Some("bia@sorriso.com.br".into())),
        "{winner:?}"
    );
    assert_eq!(stored(&a, first).assignee, stored(&b, first).assignee);
    let before = projection::dump(a.store().conn()).expect("dump");
    a.reindex().expect("reindex");
    assert_eq!(projection::dump(a.store().conn()).expect("dump"), before);

    // Released: back to everyone, on both after a sync.
    let mut b = b;
    let row = b.inbox_assign(&key, false).expect("release");
    assert_eq!(row.assignee, None);
    drop((a, b));
    common::merge(&b_dir, &a_dir);
    let a = Clinic::open(&a_dir).expect("open a");
    assert_eq!(a.inbox().expect("inbox")[0].assignee, None);
}

/// Labels: put, compared without case, refused when empty or too long or
/// too many, taken off; two workstations labelling the same conversation
/// at once keep every label; the label box suggests the ones in use.
#[test]
fn labels_are_put_merged_and_taken_off() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let id = {
        let mut a = Clinic::init(&a_dir, "Clínica Sorriso").expect("init");
        receive(&mut a, "5521999990000", "João", &[("wamid.L1", "Oi", 60)])
    };
    common::copy_workstation(&a_dir, &b_dir, false);
    let key = id.to_string();
    let mut a = Clinic::open(&a_dir).expect("open a");
    let row = a
        .inbox_tag(&key, "  Orçamento   clareamento ", true)
        .expect("tag");
    assert_eq!(row.tags, ["Orçamento clareamento"]);
    let heads = |c: &Clinic| {
        store::load(c.store().conn(), id)
            .expect("load")
            .expect("doc")
            .doc
            .get_heads()
    };
    let before = heads(&a);
    a.inbox_tag(&key, "orçamento CLAREAMENTO", true)
        .expect("same, other case");
    a.inbox_tag(&key, "urgência", false).expect("not there");
    assert_eq!(heads(&a), before, "nothing to change, yet it wrote");
    for bad in ["", "   ", &"x".repeat(31)] {
        let e = a.inbox_tag(&key, bad, true).expect_err("refused");
        assert!(e.to_string().contains("tag"), "{e}");
    }
    assert_eq!(heads(&a), before, "a refused label wrote");

    // Offline on both: A puts "urgência", B puts "retorno": both stay.
    let mut b = Clinic::open(&b_dir).expect("open b");
    a.inbox_tag(&key, "urgência", true).expect("A");
    b.inbox_tag(&key, "retorno", true).expect("B");
    drop((a, b));
    common::merge(&a_dir, &b_dir);
    common::merge(&b_dir, &a_dir);
    let (mut a, b) = (
        Clinic::open(&a_dir).expect("open a"),
        Clinic::open(&b_dir).expect("open b"),
    );
    let tags = |c: &Clinic| c.inbox().expect("inbox")[0].tags.clone();
    assert_eq!(tags(&a), ["Orçamento clareamento", "retorno", "urgência"]);
    assert_eq!(tags(&b), tags(&a));
    assert_eq!(
        a.inbox_tags().expect("in use"),
        ["Orçamento clareamento", "retorno", "urgência"]
    );

    // Taken off by any case; at most ten.
    let row = a.inbox_tag(&key, "URGÊNCIA", false).expect("off");
    assert_eq!(row.tags, ["Orçamento clareamento", "retorno"]);
    for i in 0..8 {
        a.inbox_tag(&key, &format!("etiqueta {i}"), true)
            .expect("room");
    }
    let e = a.inbox_tag(&key, "a mais", true).expect_err("eleven");
    assert!(e.to_string().contains("at most 10"), "{e}");
    let before = projection::dump(a.store().conn()).expect("dump");
    a.reindex().expect("reindex");
    assert_eq!(projection::dump(a.store().conn()).expect("dump"), before);
}
