//! A store created by the first schema version opens with today's code: the
//! migrations run, the data written then is still found, and new writes use
//! the new tables; documents a new projection needs are projected at open.

use arcada_core::documents::{self, Attribution, DocClass, PatientDoc};
use arcada_core::patient::PatientForm;
use arcada_core::projection::{self, CpfIndex};
use arcada_core::store::{self, Store};
use arcada_core::Clinic;
use rusqlite::Connection;
use uuid::Uuid;

#[test]
fn a_schema_1_store_upgrades_and_keeps_its_patients() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join(store::FILE_NAME);
    let secret = [7u8; 32];
    let patient_id = Uuid::now_v7();
    {
        // What a workstation on schema 1 had written: identity in `meta`, a
        // directory and a patient document, and the patient's projection.
        let mut store = Store::create_at_version(&path, 1).expect("create v1");
        assert_eq!(store.schema_version().expect("version"), 1);
        let tx = store.transaction().expect("tx");
        let (org, site, dir_id, device, user) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        for (k, v) in [
            ("org_id", org.to_string()),
            ("org_name", "Clínica Antiga".to_string()),
            ("site_id", site.to_string()),
            ("directory_id", dir_id.to_string()),
            ("device_id", device.to_string()),
            ("user_id", user.to_string()),
            ("cpf_index_key", hex::encode(secret)),
        ] {
            tx.set_meta(k, &v).expect("meta");
        }
        let by = Attribution {
            user: user.to_string(),
            device: device.to_string(),
            op: "test".into(),
        };
        let directory = documents::Directory {
            class: DocClass::Directory,
            schema: 1,
            org: documents::Organization {
                id: org.to_string(),
                name: "Clínica Antiga".into(),
            },
            sites: [(
                site.to_string(),
                documents::Site {
                    id: site.to_string(),
                    name: "Matriz".into(),
                    timezone: "America/Sao_Paulo".into(),
                    hours: vec![],
                },
            )]
            .into(),
            professionals: Default::default(),
            chairs: Default::default(),
            procedures: Default::default(),
            legend: None,
            whatsapp: None,
            signing_keys: None,
        };
        let mut doc = automerge::Automerge::new();
        documents::commit(&mut doc, &directory, &by, 0).expect("commit");
        tx.insert_new(dir_id, DocClass::Directory, &doc, 0)
            .expect("insert");
        let patient = PatientDoc {
            class: DocClass::Patient,
            schema: 1,
            id: patient_id.to_string(),
            name: "Conceição Araújo".into(),
            social_name: None,
            birth_date: Some("1950-05-01".into()),
            sex: None,
            cpf: Some("11144477735".into()),
            phones: Default::default(),
            email: None,
            address: None,
            guardian: None,
            consents: Default::default(),
            tags: vec![],
            preferred_channel: None,
            created_at: "2025-01-01T00:00:00Z".into(),
            created_by: user.to_string(),
        };
        let mut doc = automerge::Automerge::new();
        documents::commit(&mut doc, &patient, &by, 0).expect("commit");
        tx.insert_new(patient_id, DocClass::Patient, &doc, 0)
            .expect("insert");
        // Her chart, with an allergy, from before the alerts projection.
        let chart_id = documents::chart_id(patient_id);
        let mut chart =
            documents::genesis(chart_id, &documents::ChartDoc::new(patient_id)).expect("genesis");
        let anamnesis = documents::Anamnesis {
            allergies: vec!["dipirona".into()],
            ..Default::default()
        };
        documents::commit_field(&mut chart, "anamnesis", &anamnesis, &by, 0).expect("anamnesis");
        tx.insert_new(chart_id, DocClass::Chart, &chart, 0)
            .expect("insert chart");
        projection::apply(
            &tx,
            patient_id,
            DocClass::Patient,
            &doc,
            &CpfIndex::new(&secret),
        )
        .expect("project");
        tx.commit().expect("commit");
    }
    // Schema 1 has no audit table.
    let has_audit = |path: &std::path::Path| -> bool {
        let conn = Connection::open(path).expect("open");
        conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .expect("q")
            == 1
    };
    assert!(!has_audit(&path));

    let mut clinic = Clinic::open(tmp.path()).expect("open upgrades");
    assert_eq!(clinic.store().schema_version().expect("version"), 10);
    assert!(has_audit(&path));
    // Schema 6's inbox is there, empty; the old directory, made before the
    // WhatsApp settings existed, offers the standard templates.
    assert!(clinic.inbox().expect("inbox").is_empty());
    assert!(clinic
        .whatsapp_settings()
        .expect("settings")
        .templates
        .contains_key("lembrete_consulta:pt_BR"));
    // Schema 5 projected the chart stored before it: her alerts are there
    // for the agenda cards.
    let alerts: String = clinic
        .store()
        .conn()
        .query_row(
            "SELECT alerts FROM chart_alerts WHERE patient_id = ?1",
            [patient_id.to_string()],
            |r| r.get(0),
        )
        .expect("alerts projected at open");
    assert!(alerts.contains("dipirona"), "{alerts}");
    // Schema 3's table for offline unlock is there, empty.
    assert!(arcada_core::workstation::local_users(clinic.store())
        .expect("local users")
        .is_empty());
    // Schema 4's name index serves the list before anything is typed.
    let listed = clinic.search_patients("", 10).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, patient_id.to_string());
    let hits = clinic.search_patients("conceicao", 10).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, patient_id.to_string());
    assert_eq!(
        clinic
            .search_patients("111.444.777-35", 10)
            .expect("cpf")
            .len(),
        1
    );
    clinic
        .add_patient(&PatientForm {
            name: Some("Nova Paciente".into()),
            ..Default::default()
        })
        .expect("write after upgrade");
    let audited: i64 = clinic
        .store()
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM audit WHERE action = 'patient.add'",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(audited, 1);
    clinic.reindex().expect("reindex");
    assert_eq!(
        clinic.search_patients("araujo", 10).expect("search").len(),
        1
    );
}

/// A conversation projected on schema 6, whose photo was stored by the
/// server: after the upgrade its file is listed for the media kept on the
/// workstation, so sync fetches it ahead.
#[test]
fn a_schema_6_conversation_lists_its_media_after_the_upgrade() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join(store::FILE_NAME);
    let id = documents::conversation_id(Uuid::now_v7(), "106540352242922", "5511987654321");
    let sha256 = "ab".repeat(32);
    {
        let mut store = Store::create_at_version(&path, 6).expect("create v6");
        let contact = documents::Contact {
            wa_id: Some("5511987654321".into()),
            user_id: None,
            name: Some("Maria".into()),
            phone: Some("+5511987654321".into()),
        };
        let mut doc = documents::genesis(
            id,
            &documents::ConversationDoc::new("106540352242922", "+55 11 4000-0000", contact),
        )
        .expect("genesis");
        let photo = documents::Message {
            media: Some(documents::Media {
                id: "media-1".into(),
                mime_type: Some("image/jpeg".into()),
                sha256: None,
                filename: None,
                size: Some(1234),
                blob: Some(format!("sha256:{sha256}")),
                error: None,
            }),
            ..documents::Message::inbound("wamid.photo", "image", 1_750_000_000)
        };
        let by = Attribution {
            user: "whatsapp".into(),
            device: "server".into(),
            op: "whatsapp.receive".into(),
        };
        documents::commit_entry(&mut doc, "messages", &photo.id, &photo, &by, 1).expect("commit");
        let tx = store.transaction().expect("tx");
        tx.insert_new(id, DocClass::Conversation, &doc, 0)
            .expect("insert");
        // Projected on schema 6, which had no list of media.
        tx.execute(
            "INSERT INTO projection_heads (doc_id, class, heads) VALUES (?1, 'conversation', ?2)",
            rusqlite::params![id.to_string(), store::heads_text(&doc.get_heads())],
        )
        .expect("heads");
        tx.commit().expect("commit");
    }
    let store = Store::open(&path).expect("open upgrades");
    assert_eq!(store.schema_version().expect("version"), 10);
    let cpf = CpfIndex::new(&[1u8; 32]);
    assert_eq!(
        projection::catch_up(store.conn(), &cpf).expect("catch up"),
        1,
        "the conversation is projected again"
    );
    assert_eq!(
        arcada_core::media::wanted(store.conn(), 0, 10_000, 10).expect("wanted"),
        vec![sha256]
    );
}
