//! Appointment reminders: recorded once per appointment with their message
//! queued in the same transaction, found again by the message's wamid or
//! by their conversation, and settled once by an answer.

use arcada_server::storage::whatsapp::{NewAnswer, NewReminder, ReminderRef, SendOutcome};
use arcada_server::storage::Storage;
use uuid::Uuid;

use crate::fixtures::{clinic, number, outbound};

conformance!(
    an_appointment_is_reminded_once,
    an_answer_settles_its_reminder_once,
);

fn reminder(appointment: &str, agenda: Uuid, conversation: Uuid, message: &str) -> NewReminder {
    NewReminder {
        appointment_id: appointment.into(),
        agenda_id: agenda,
        patient_id: format!("patient of {appointment}"),
        skipped: None,
        doc_id: Some(conversation),
        message_id: Some(message.into()),
    }
}

/// A second reminder of an appointment is refused and queues nothing; a
/// skipped one counts as reminded too; each organisation sees its own.
async fn an_appointment_is_reminded_once<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    let (agenda, conversation) = (Uuid::now_v7(), Uuid::now_v7());
    assert!(store
        .wa_record_reminder(
            org,
            reminder("apt-1", agenda, conversation, "r1"),
            Some(outbound("r1", conversation, "1001")),
            10,
        )
        .await
        .expect("wa_record_reminder"));
    assert!(
        !store
            .wa_record_reminder(
                org,
                reminder("apt-1", agenda, conversation, "r1-again"),
                Some(outbound("r1-again", conversation, "1001")),
                11,
            )
            .await
            .expect("wa_record_reminder again"),
        "reminded already"
    );
    let skipped = NewReminder {
        skipped: Some("no_phone".into()),
        doc_id: None,
        message_id: None,
        ..reminder("apt-2", agenda, conversation, "")
    };
    assert!(store
        .wa_record_reminder(org, skipped, None, 12)
        .await
        .expect("wa_record_reminder skipped"));

    let queued: Vec<String> = store
        .wa_outbound_report(org, 10)
        .await
        .expect("wa_outbound_report")
        .into_iter()
        .map(|o| o.message_id)
        .collect();
    assert_eq!(queued, vec!["r1".to_string()], "nothing queued twice");
    assert_eq!(
        store
            .wa_reminded(org, vec!["apt-1".into(), "apt-2".into(), "apt-3".into()])
            .await
            .expect("wa_reminded"),
        vec!["apt-1".to_string(), "apt-2".to_string()]
    );
    assert!(store
        .wa_reminded(other, vec!["apt-1".into()])
        .await
        .expect("wa_reminded")
        .is_empty());

    let report = store
        .wa_reminders_report(org, 10)
        .await
        .expect("wa_reminders_report");
    let rows: Vec<_> = report
        .iter()
        .map(|r| {
            (
                r.appointment_id.as_str(),
                r.patient_id.as_str(),
                r.state.as_str(),
                r.reason.as_deref(),
                r.message_id.as_deref(),
                r.created_at,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "apt-2",
                "patient of apt-2",
                "skipped",
                Some("no_phone"),
                None,
                12
            ),
            ("apt-1", "patient of apt-1", "queued", None, Some("r1"), 10),
        ],
        "newest first"
    );
    assert_eq!(
        store
            .wa_reminders_report(org, 1)
            .await
            .expect("wa_reminders_report")
            .len(),
        1
    );
    assert!(store
        .wa_reminders_report(other, 10)
        .await
        .expect("wa_reminders_report")
        .is_empty());
}

/// A sent reminder is found by its message's wamid and among its
/// conversation's open reminders; an answer is recorded once, settles its
/// reminder (if it says so) and queues its reply; an unsettling answer
/// leaves the reminder open.
async fn an_answer_settles_its_reminder_once<S: Storage>(store: &S) {
    let (org, _) = clinic(store, "Alfa").await;
    let (other, _) = clinic(store, "Beta").await;
    store
        .wa_add_number(number(org, "1001"), 5)
        .await
        .expect("wa_add_number");
    let (agenda, conversation) = (Uuid::now_v7(), Uuid::now_v7());
    for (apt, message, now) in [("apt-1", "r1", 10), ("apt-2", "r2", 11)] {
        store
            .wa_record_reminder(
                org,
                reminder(apt, agenda, conversation, message),
                Some(outbound(message, conversation, "1001")),
                now,
            )
            .await
            .expect("wa_record_reminder");
    }
    let claimed = store
        .wa_claim_sends(org, 10, 12, 30)
        .await
        .expect("wa_claim_sends");
    assert_eq!(claimed.len(), 2);
    for (message, wamid) in [("r1", "wamid.R1"), ("r2", "wamid.R2")] {
        store
            .wa_send_result(
                org,
                message.into(),
                SendOutcome::Sent {
                    wamid: wamid.into(),
                },
                13,
            )
            .await
            .expect("wa_send_result");
    }
    let first = ReminderRef {
        appointment_id: "apt-1".into(),
        agenda_id: agenda,
        doc_id: conversation,
        message_id: "r1".into(),
        created_at: 10,
        answered_at: None,
    };
    assert_eq!(
        store
            .wa_reminder_by_wamid(org, "wamid.R1".into())
            .await
            .expect("wa_reminder_by_wamid"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .wa_reminder_by_wamid(other, "wamid.R1".into())
            .await
            .expect("wa_reminder_by_wamid"),
        None,
        "another organisation's reminder"
    );
    assert_eq!(
        store
            .wa_reminder_by_wamid(org, "wamid.unknown".into())
            .await
            .expect("wa_reminder_by_wamid"),
        None
    );
    let open = store
        .wa_open_reminders(org, conversation, 0, 100)
        .await
        .expect("wa_open_reminders");
    assert_eq!(
        open.iter()
            .map(|r| r.appointment_id.as_str())
            .collect::<Vec<_>>(),
        vec!["apt-2", "apt-1"],
        "newest first"
    );
    assert_eq!(
        store
            .wa_open_reminders(org, conversation, 11, 100)
            .await
            .expect("wa_open_reminders")
            .len(),
        1,
        "only those sent in the window"
    );
    assert!(store
        .wa_open_reminders(other, conversation, 0, 100)
        .await
        .expect("wa_open_reminders")
        .is_empty());

    let confirm = NewAnswer {
        wamid: "wamid.IN1".into(),
        appointment_id: "apt-1".into(),
        answer: "confirm".into(),
        status: Some("confirmado".into()),
        attention: None,
        settles: true,
        reply: Some(outbound("reply-1", conversation, "1001")),
    };
    let unclear = NewAnswer {
        wamid: "wamid.IN2".into(),
        appointment_id: "apt-2".into(),
        answer: "unclear".into(),
        status: None,
        attention: Some("resposta-incerta".into()),
        settles: false,
        reply: None,
    };
    assert_eq!(
        store
            .wa_record_answers(org, vec![confirm.clone(), unclear], 20)
            .await
            .expect("wa_record_answers"),
        vec!["wamid.IN1".to_string(), "wamid.IN2".to_string()]
    );
    let again = NewAnswer {
        reply: Some(outbound("reply-1-again", conversation, "1001")),
        ..confirm
    };
    assert!(
        store
            .wa_record_answers(org, vec![again], 21)
            .await
            .expect("wa_record_answers again")
            .is_empty(),
        "an answer is recorded once"
    );
    assert_eq!(
        store
            .wa_answered(
                org,
                vec!["wamid.IN1".into(), "wamid.IN2".into(), "wamid.X".into()]
            )
            .await
            .expect("wa_answered"),
        vec!["wamid.IN1".to_string(), "wamid.IN2".to_string()]
    );
    assert!(store
        .wa_answered(other, vec!["wamid.IN1".into()])
        .await
        .expect("wa_answered")
        .is_empty());

    let open = store
        .wa_open_reminders(org, conversation, 0, 100)
        .await
        .expect("wa_open_reminders");
    assert_eq!(
        open.iter()
            .map(|r| r.appointment_id.as_str())
            .collect::<Vec<_>>(),
        vec!["apt-2"],
        "the confirmed one is settled; the unclear answer settles nothing"
    );
    let settled = store
        .wa_reminder_by_wamid(org, "wamid.R1".into())
        .await
        .expect("wa_reminder_by_wamid")
        .expect("still found by its wamid");
    assert_eq!(settled.answered_at, Some(20));
    let report = store
        .wa_reminders_report(org, 10)
        .await
        .expect("wa_reminders_report");
    let apt1 = report
        .iter()
        .find(|r| r.appointment_id == "apt-1")
        .expect("apt-1");
    assert_eq!(
        (apt1.answered_at, apt1.answer.as_deref()),
        (Some(20), Some("confirm"))
    );
    let queued: Vec<String> = store
        .wa_outbound_report(org, 10)
        .await
        .expect("wa_outbound_report")
        .into_iter()
        .map(|o| o.message_id)
        .collect();
    assert!(queued.contains(&"reply-1".to_string()), "the reply queued");
    assert!(
        !queued.contains(&"reply-1-again".to_string()),
        "a repeated answer queues no reply"
    );
}
