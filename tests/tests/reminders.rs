//! Appointment reminders over WhatsApp, end to end, on SQLite and (when
//! one answers) PostgreSQL: a workstation books appointments and turns
//! reminders on; the real `arcada-server`'s scheduler sends each due
//! appointment one template through the Graph API (`arcada-wa-sim`), never
//! two, not even across a kill -9; the patients' answers — a template
//! button, free text — confirm or cancel the appointment in its agenda
//! week, or ask the front desk to look, and the workstation sees it all
//! after a sync.

use std::time::{Duration, Instant};

use arcada_core::agenda::{AppointmentStatus, OpeningHours, Source};
use arcada_core::clinic::NewAppointment;
use arcada_core::documents::{
    conversation_id, AttentionReason, Attribution, ConversationDoc, Direction, ReminderSettings,
    SendingHours,
};
use arcada_core::patient::PatientForm;
use arcada_core::reminder;
use arcada_core::store::{self, Store};
use arcada_core::Clinic;
use arcada_tests::proxy::TcpProxy;
use arcada_tests::wa_sim::{SentRecord, WaSim};
use arcada_tests::whatsapp::{
    counter, kill_9, metrics, point, with_simulator, Storage, NUMBER, PASSWORD,
};
use arcada_tests::workstation::Workstation;
use arcada_tests::{on_every_backend, Backend, ServerProcess};
use chrono::{Duration as Minutes, NaiveDateTime, Timelike, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// How long a test waits for something asynchronous.
const PATIENCE: Duration = Duration::from_secs(45);
const ZONE: &str = "America/Sao_Paulo";

/// The server's flags for these tests: the scheduler every second.
const FAST: &[(&str, &str)] = &[("ARCADA_WA_REMINDER_INTERVAL", "1")];

/// A patient of the scenario: her mobile as the front desk types it, as
/// WhatsApp gives her id (Brazil's ninth digit dropped, as WhatsApp does
/// for numbers registered before it existed), and as the Graph API is
/// asked to send to (E.164 digits).
struct Patient {
    name: &'static str,
    phone: Option<&'static str>,
    wa_id: &'static str,
    to: &'static str,
}

const MARIA: Patient = Patient {
    name: "Maria Souza",
    phone: Some("(11) 98765-4321"),
    wa_id: "551187654321",
    to: "5511987654321",
};
const JOAO: Patient = Patient {
    name: "João Pereira",
    phone: Some("(11) 91234-5678"),
    wa_id: "5511912345678",
    to: "5511912345678",
};
const ANA: Patient = Patient {
    name: "Ana Costa",
    phone: Some("(21) 99876-5432"),
    wa_id: "5521998765432",
    to: "5521998765432",
};
const BIA: Patient = Patient {
    name: "Beatriz Lima",
    phone: Some("(11) 97777-0000"),
    wa_id: "5511977770000",
    to: "5511977770000",
};
/// No phone: recorded as skipped.
const CARLOS: Patient = Patient {
    name: "Carlos Dias",
    phone: None,
    wa_id: "",
    to: "",
};

/// The next wall-clock time at the site on a 5-minute mark, `hours` from
/// now, moved to 00:05 of the next day when `span` minutes from it would
/// cross midnight (the agenda books within one day).
fn slot(hours: i64, span: i64) -> NaiveDateTime {
    let t = reminder::site_time(Utc::now(), ZONE) + Minutes::hours(hours);
    let t = t
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .expect("t");
    let t = t + Minutes::minutes(i64::from(5 - t.minute() % 5));
    if (t + Minutes::minutes(span)).date() != t.date() {
        (t.date() + Minutes::days(1))
            .and_hms_opt(0, 5, 0)
            .expect("00:05")
    } else {
        t
    }
}

/// Sending hours that hold the site's present time (`true`) or keep
/// well away from it (`false`).
fn hours_around(now: bool) -> SendingHours {
    let h = reminder::site_time(Utc::now(), ZONE).hour();
    let (from, until) = match (now, h >= 12) {
        (true, _) => (h.saturating_sub(1), (h + 3).min(23)),
        (false, true) => (2, 4),
        (false, false) => (16, 18),
    };
    SendingHours {
        from: format!("{from:02}:00"),
        until: format!("{until:02}:59"),
    }
}

/// The clinic as one workstation sees it: the real `arcada` binary syncs,
/// `arcada-core` reads and writes its store in between.
struct Desk {
    ws: Workstation,
    _tmp: tempfile::TempDir,
}

impl Desk {
    fn join(url: &str) -> Desk {
        let tmp = tempfile::tempdir().expect("tempdir");
        let ws = Workstation::new(&tmp.path().join("recepcao"));
        ws.login(url, "admin@sorriso.com.br", PASSWORD)
            .expect("login");
        ws.ok(&["sync"]).expect("first sync");
        Desk { ws, _tmp: tmp }
    }

    fn clinic(&self) -> Clinic {
        Clinic::open(&self.ws.data).expect("open the clinic")
    }

    fn sync(&self) {
        self.ws.ok(&["sync"]).expect("sync");
    }

    fn conversation(&self, id: Uuid) -> Option<ConversationDoc> {
        let store = Store::open(&self.ws.store_path()).expect("store");
        store::load(store.conn(), id)
            .expect("load")
            .map(|d| autosurgeon::hydrate(&d.doc).expect("a conversation"))
    }

    /// Syncs until `done` holds of the clinic; what it returned.
    fn wait_for<T>(&self, what: &str, done: impl Fn(&Clinic) -> Option<T>) -> T {
        let t = Instant::now();
        loop {
            self.sync();
            if let Some(v) = done(&self.clinic()) {
                return v;
            }
            assert!(t.elapsed() < PATIENCE, "{what}: still not there");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Syncs until the conversation satisfies `done`.
    fn wait_conversation(
        &self,
        id: Uuid,
        what: &str,
        done: impl Fn(&ConversationDoc) -> bool,
    ) -> ConversationDoc {
        let t = Instant::now();
        loop {
            self.sync();
            let c = self.conversation(id);
            if let Some(c) = c.as_ref().filter(|c| done(c)) {
                return c.clone();
            }
            assert!(
                t.elapsed() < PATIENCE,
                "{what}: conversation {id} is {:#}",
                serde_json::to_value(&c).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The templates the simulator took for `to`.
fn templates_to(sim: &WaSim, to: &str) -> Vec<SentRecord> {
    sim.sent()
        .expect("sent")
        .into_iter()
        .filter(|s| s.to == to && s.kind.as_deref() == Some("template") && s.wamid.is_some())
        .collect()
}

/// The texts the simulator took for `to`.
fn texts_to(sim: &WaSim, to: &str) -> Vec<String> {
    sim.sent()
        .expect("sent")
        .into_iter()
        .filter(|s| s.to == to && s.kind.as_deref() == Some("text") && s.wamid.is_some())
        .filter_map(|s| s.body["text"]["body"].as_str().map(str::to_string))
        .collect()
}

fn wait_until<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < PATIENCE, "{what}: still not there");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A template's body parameters.
fn params(s: &SentRecord) -> Vec<String> {
    s.body["template"]["components"][0]["parameters"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| p["text"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn inbound(sim: &WaSim, p: &Patient, first_name: &str, what: Value) -> String {
    let mut request = json!({
        "phone_number_id": NUMBER,
        "from": p.wa_id,
        "name": first_name,
    });
    for (k, v) in what.as_object().expect("object") {
        request[k] = v.clone();
    }
    let r = sim.inbound(&request).expect("inbound");
    assert_eq!(r.webhook_status, Some(200), "{r:?}");
    r.wamid
}

/// Five patients, six appointments; reminders on for 24 hours ahead.
fn reminders_go_once_and_answers_confirm_cancel_or_ask_the_desk(backend: &Backend) {
    let storage = Storage::new(backend);
    let org = storage.org_with_number("Sorriso", NUMBER);
    let (sim, server) = with_simulator(&storage, FAST);
    let proxy = TcpProxy::start(&server.url).expect("proxy");
    let desk = Desk::join(&proxy.url());

    // The front desk sets the clinic up and books, reminders still off.
    let base = slot(2, 60);
    let far = slot(30, 10);
    let (appointments, ids) = {
        let mut clinic = desk.clinic();
        let dentist = clinic
            .add_professional("Dra. Ana Lima", None)
            .expect("professional");
        let chair = clinic.add_chair("Cadeira 1").expect("chair");
        clinic
            .set_opening_hours(
                &OpeningHours::parse(&["seg-dom 00:00-23:59".to_string()]).expect("hours"),
            )
            .expect("opening hours");
        let mut ids = Vec::new();
        for p in [&MARIA, &JOAO, &ANA, &BIA, &CARLOS] {
            let patient = clinic
                .add_patient(&PatientForm {
                    name: Some(p.name.into()),
                    phones: p.phone.map(|n| vec![n.to_string()]).unwrap_or_default(),
                    ..Default::default()
                })
                .expect("patient");
            ids.push(patient.id);
        }
        let mut book = |patient: &str, start: NaiveDateTime| {
            clinic
                .book(&NewAppointment {
                    patient: patient.to_string(),
                    professional: dentist.id.clone(),
                    chair: chair.id.clone(),
                    start: arcada_core::agenda::format_datetime(start),
                    duration_min: 5,
                    procedures: Vec::new(),
                    notes: String::new(),
                    source: Source::Desk,
                })
                .expect("book")
                .id
        };
        let at = |m: i64| base + Minutes::minutes(m);
        let appointments = [
            book(&ids[0], at(0)),  // Maria: the button
            book(&ids[1], at(10)), // João: free text
            book(&ids[2], at(20)), // Ana: cancels
            book(&ids[3], at(30)), // Bia: confirmed by phone already
            book(&ids[4], at(40)), // Carlos: no phone
            book(&ids[3], far),    // Bia again: outside the window
        ];
        clinic
            .set_appointment_status(&appointments[3], AppointmentStatus::Confirmado)
            .expect("confirmed by phone");
        (appointments, ids)
    };
    desk.sync();
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        sim.sent().expect("sent").is_empty(),
        "reminders went while off"
    );

    // Reminders on, but only at hours still to come: the due ones wait.
    let set = |sending_hours: SendingHours| {
        desk.clinic()
            .set_reminders(Some(ReminderSettings {
                template: "lembrete_consulta:pt_BR".into(),
                hours_before: 24,
                sending_hours: Some(sending_hours),
            }))
            .expect("reminders on");
        desk.sync();
    };
    set(hours_around(false));
    // Maria, João, Ana and Carlos are due; Bia confirmed by phone.
    wait_until("the reminders held", || {
        (counter(&metrics(&server.url), "arcada_wa_reminders_held_total") >= 4).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        sim.sent().expect("sent").is_empty(),
        "reminders went outside the sending hours"
    );
    let m = metrics(&server.url);
    assert_eq!(counter(&m, "arcada_wa_reminders_queued_total"), 0, "{m}");
    assert_eq!(counter(&m, "arcada_wa_reminders_skipped_total"), 0, "{m}");

    // Within the sending hours: each due appointment gets its template once.
    set(hours_around(true));
    let maria = wait_until("the reminders", || {
        let m = templates_to(&sim, MARIA.to);
        (m.len() == 1
            && templates_to(&sim, JOAO.to).len() == 1
            && templates_to(&sim, ANA.to).len() == 1)
            .then(|| m[0].clone())
    });
    assert_eq!(maria.body["template"]["name"], "lembrete_consulta");
    assert_eq!(maria.body["template"]["language"]["code"], "pt_BR");
    assert_eq!(
        params(&maria),
        ["Maria", &reminder::when(base), "Dra. Ana Lima"]
    );
    assert_eq!(
        params(&templates_to(&sim, JOAO.to)[0])[1],
        reminder::when(base + Minutes::minutes(10))
    );
    let m = wait_until("the skipped reminder", || {
        let m = metrics(&server.url);
        (counter(&m, "arcada_wa_reminders_skipped_total") == 1).then_some(m)
    });
    assert_eq!(counter(&m, "arcada_wa_reminders_queued_total"), 3, "{m}");

    // A few more runs, then kill -9 and a new process: still one each,
    // none for the confirmed appointment nor the one outside the window.
    std::thread::sleep(Duration::from_secs(3));
    kill_9(server);
    let server: ServerProcess = storage.start_with(&[
        (
            "ARCADA_WA_GRAPH_URL",
            format!("{}/{}", sim.url, arcada_tests::wa_sim::GRAPH_VERSION).as_str(),
        ),
        FAST[0],
    ]);
    point(&sim, &server);
    proxy.retarget(&server.url).expect("retarget");
    std::thread::sleep(Duration::from_secs(4));
    for p in [&MARIA, &JOAO, &ANA] {
        assert_eq!(templates_to(&sim, p.to).len(), 1, "{}", p.name);
    }
    assert!(templates_to(&sim, BIA.to).is_empty(), "Bia got a reminder");
    assert_eq!(
        sim.sent()
            .expect("sent")
            .iter()
            .filter(|s| s.kind.as_deref() == Some("template"))
            .count(),
        3
    );
    let report = storage.report(Some(org));
    assert_eq!(
        report["outbound"]
            .as_array()
            .expect("outbound")
            .iter()
            .filter(|o| o["kind"] == "template")
            .count(),
        3,
        "{report:#}"
    );
    let mut reminders: Vec<(String, String, Option<String>)> = report["reminders"]
        .as_array()
        .expect("reminders")
        .iter()
        .map(|r| {
            (
                r["appointment_id"].as_str().expect("id").to_string(),
                r["state"].as_str().expect("state").to_string(),
                r["reason"].as_str().map(str::to_string),
            )
        })
        .collect();
    reminders.sort();
    let mut expected: Vec<(String, String, Option<String>)> = vec![
        (appointments[0].clone(), "queued".into(), None),
        (appointments[1].clone(), "queued".into(), None),
        (appointments[2].clone(), "queued".into(), None),
        (
            appointments[4].clone(),
            "skipped".into(),
            Some("no_phone".into()),
        ),
    ];
    expected.sort();
    assert_eq!(reminders, expected);

    // The workstation sees each reminder in the patient's conversation,
    // linked to her.
    let maria_conv = conversation_id(org, NUMBER, MARIA.to);
    let c = desk.wait_conversation(maria_conv, "Maria's reminder, sent", |c| {
        c.messages
            .values()
            .any(|m| m.direction == Direction::Outbound && m.wamid == maria.wamid)
    });
    assert_eq!(c.patient_id.as_deref(), Some(ids[0].as_str()));
    let sent = c
        .messages
        .values()
        .find(|m| m.direction == Direction::Outbound)
        .expect("the reminder");
    assert_eq!(
        sent.appointment_id.as_deref(),
        Some(appointments[0].as_str())
    );
    assert_eq!(sent.author.as_deref(), Some("whatsapp"));
    assert_eq!(
        sent.text.as_deref(),
        Some(
            format!(
                "Olá, Maria! Lembramos da sua consulta em {} com Dra. Ana Lima. Podemos confirmar?",
                reminder::when(base)
            )
            .as_str()
        )
    );

    // Maria taps "Confirmar" on the reminder.
    let wamid = inbound(
        &sim,
        &MARIA,
        "Maria",
        json!({"button": {"payload": "Confirmar", "text": "Confirmar"},
               "context_id": maria.wamid, "duplicates": 1}),
    );
    let status = desk.wait_for("Maria's appointment confirmed", |c| {
        let row = c.appointment(&appointments[0]).expect("appointment");
        (row.status == "confirmado").then_some(row.status)
    });
    assert_eq!(status, "confirmado");
    let thanks = format!(
        "Obrigado! Sua consulta de {} está confirmada.",
        reminder::when(base)
    );
    wait_until("the thank-you", || {
        texts_to(&sim, MARIA.to).contains(&thanks).then_some(())
    });
    let c = desk.wait_conversation(maria_conv, "Maria's answer", |c| {
        c.messages.contains_key(&wamid)
            && c.messages
                .values()
                .any(|m| m.text.as_deref() == Some(thanks.as_str()))
    });
    assert_eq!(
        c.messages[&wamid].appointment_id.as_deref(),
        Some(appointments[0].as_str())
    );
    assert_eq!(c.attention, None);

    // João is not sure, then wants another time: the desk is asked to look
    // each time, his appointment stays as it is.
    let joao_conv = conversation_id(org, NUMBER, JOAO.to);
    let maybe = inbound(&sim, &JOAO, "João", json!({"text": "talvez"}));
    let c = desk.wait_conversation(joao_conv, "João's maybe", |c| {
        c.attention.as_ref().is_some_and(|a| a.message_id == maybe)
    });
    let attention = c.attention.expect("attention");
    assert_eq!(attention.reason, AttentionReason::Unclear);
    assert_eq!(
        attention.appointment_id.as_deref(),
        Some(appointments[1].as_str())
    );
    let other_time = inbound(
        &sim,
        &JOAO,
        "João",
        json!({"text": "não vou poder, quero remarcar"}),
    );
    let c = desk.wait_conversation(joao_conv, "João's reschedule", |c| {
        c.attention
            .as_ref()
            .is_some_and(|a| a.message_id == other_time)
    });
    assert_eq!(
        c.attention.as_ref().map(|a| a.reason),
        Some(AttentionReason::Reschedule)
    );
    assert_eq!(
        c.messages[&other_time].appointment_id.as_deref(),
        Some(appointments[1].as_str())
    );
    assert_eq!(
        desk.clinic()
            .appointment(&appointments[1])
            .expect("João's")
            .status,
        "agendado"
    );
    // The desk sees it in the inbox too.
    let row = desk
        .clinic()
        .inbox()
        .expect("inbox")
        .into_iter()
        .find(|r| r.id == joao_conv.to_string())
        .expect("João's conversation listed");
    assert_eq!(
        row.attention.map(|a| a.reason),
        Some(AttentionReason::Reschedule)
    );

    // Ana cancels in words: the slot is free, the desk is told, she gets
    // an answer.
    let ana_conv = conversation_id(org, NUMBER, ANA.to);
    let cancel = inbound(&sim, &ANA, "Ana", json!({"text": "cancelar"}));
    desk.wait_for("Ana's appointment cancelled", |c| {
        let row = c.appointment(&appointments[2]).expect("appointment");
        (row.status == "cancelado").then_some(())
    });
    let c = desk.wait_conversation(ana_conv, "Ana's cancellation", |c| {
        c.attention.as_ref().is_some_and(|a| a.message_id == cancel)
    });
    assert_eq!(
        c.attention.map(|a| a.reason),
        Some(AttentionReason::Cancelled)
    );
    let bye = format!(
        "Sua consulta de {} foi cancelada. Se quiser remarcar, é só responder aqui.",
        reminder::when(base + Minutes::minutes(20))
    );
    wait_until("Ana's answer", || {
        texts_to(&sim, ANA.to).contains(&bye).then_some(())
    });

    // Nothing was answered twice; no text went to João.
    assert!(texts_to(&sim, JOAO.to).is_empty());
    assert_eq!(texts_to(&sim, MARIA.to), [thanks]);
    assert_eq!(
        desk.clinic()
            .appointment(&appointments[3])
            .expect("Bia's")
            .status,
        "confirmado"
    );
    let m = metrics(&server.url);
    assert_eq!(counter(&m, "arcada_wa_answers_confirmed_total"), 1, "{m}");
    assert_eq!(counter(&m, "arcada_wa_answers_cancelled_total"), 1, "{m}");
    assert_eq!(counter(&m, "arcada_wa_answers_attention_total"), 2, "{m}");
    assert_eq!(counter(&m, "arcada_wa_reminders_queued_total"), 0, "{m}");

    let report = storage.report(Some(org));
    let answers: Vec<(String, Option<String>)> = appointments[..3]
        .iter()
        .map(|id| {
            let r = report["reminders"]
                .as_array()
                .expect("reminders")
                .iter()
                .find(|r| r["appointment_id"] == id.as_str())
                .expect("the reminder");
            (id.clone(), r["answer"].as_str().map(str::to_string))
        })
        .collect();
    assert_eq!(
        answers,
        [
            (appointments[0].clone(), Some("confirm".to_string())),
            (appointments[1].clone(), Some("reschedule".to_string())),
            (appointments[2].clone(), Some("cancel".to_string())),
        ]
    );

    // The agenda's history says who changed it.
    let week: Uuid = desk
        .clinic()
        .appointment(&appointments[0])
        .expect("Maria's")
        .agenda_id
        .parse()
        .expect("agenda id");
    let store = Store::open(&desk.ws.store_path()).expect("store");
    let agenda = store::load(store.conn(), week)
        .expect("load")
        .expect("the agenda week")
        .doc;
    let ops: Vec<(String, String)> = agenda
        .get_changes(&[])
        .iter()
        .filter_map(|c| c.message().and_then(Attribution::from_message))
        .filter(|a| a.user == "whatsapp")
        .map(|a| (a.op, a.device))
        .collect();
    let server_device = "00000000-0000-0000-0000-0000000000a2".to_string();
    assert!(
        ops.contains(&("whatsapp.confirm".into(), server_device.clone()))
            && ops.contains(&("whatsapp.cancel".into(), server_device)),
        "{ops:?}"
    );
    drop(server);
}

on_every_backend!(reminders_go_once_and_answers_confirm_cancel_or_ask_the_desk);
