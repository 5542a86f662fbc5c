//! A believable clinic to look at and to measure: professionals, chairs,
//! patients with valid CPFs and phones, and weeks of non-overlapping
//! appointments. Deterministic for a given seed.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::agenda::{self, AppointmentStatus, Source, Week};
use crate::clinic::{Clinic, Error};
use crate::cpf::Cpf;
use crate::documents::{self, Appointment, DocClass, PatientDoc, PhoneEntry};

const FIRST: &[&str] = &[
    "João",
    "Maria",
    "José",
    "Ana",
    "Antônio",
    "Francisca",
    "Carlos",
    "Adriana",
    "Paulo",
    "Juliana",
    "Pedro",
    "Márcia",
    "Lucas",
    "Fernanda",
    "Luiz",
    "Patrícia",
    "Marcos",
    "Aline",
    "Luís",
    "Sandra",
    "Gabriel",
    "Camila",
    "Rafael",
    "Amanda",
    "Daniel",
    "Bruna",
    "Marcelo",
    "Jéssica",
    "Bruno",
    "Letícia",
    "Eduardo",
    "Júlia",
    "Felipe",
    "Luciana",
    "Raimundo",
    "Vanessa",
    "Rodrigo",
    "Mariana",
    "Conceição",
    "Gustavo",
    "Beatriz",
    "Thiago",
    "Larissa",
    "Otávio",
    "Débora",
    "Caio",
    "Cecília",
    "Heitor",
    "Helena",
    "Iago",
];
const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
    "Cardoso",
    "Ramos",
    "Gonçalves",
    "Santana",
    "Teixeira",
    "Araújo",
    "Conceição",
    "Simões",
    "Magalhães",
    "Brandão",
];
const DDD: &[u8] = &[11, 11, 11, 21, 31, 41, 51, 61, 71, 81, 19, 12, 13];
const PROCEDURES: &[&str] = &[
    "consulta",
    "profilaxia",
    "restauração",
    "endodontia",
    "extração",
    "clareamento",
    "avaliação",
];

/// How big a clinic to make.
#[derive(Debug, Clone)]
pub struct DemoSize {
    pub professionals: usize,
    pub chairs: usize,
    pub patients: usize,
    pub appointments: usize,
    /// The first week to fill with appointments.
    pub first_day: NaiveDate,
    pub seed: u64,
}

impl DemoSize {
    /// A small clinic for demos: 4 professionals, 4 chairs, 300 patients,
    /// 600 appointments: a full working week and half of the next, from the
    /// current week (the next one on weekends).
    pub fn demo(today: NaiveDate) -> DemoSize {
        // On a weekend the week is over: start with the next one.
        let first_day = match today.weekday() {
            chrono::Weekday::Sat | chrono::Weekday::Sun => Week::of(today).next().monday(),
            _ => Week::of(today).monday(),
        };
        DemoSize {
            professionals: 4,
            chairs: 4,
            patients: 300,
            appointments: 600,
            first_day,
            seed: 7,
        }
    }
}

/// What was created.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoReport {
    /// The ISO week the appointments start in.
    pub first_week: String,
    pub professionals: usize,
    pub chairs: usize,
    pub patients: usize,
    pub appointments: usize,
    pub agenda_weeks: usize,
    /// The patient given a chart with ten years of history, if any.
    pub history_patient: Option<String>,
}

/// A CPF with valid check digits, from 9 random digits.
pub fn random_cpf(rng: &mut impl Rng) -> String {
    loop {
        let base: [u32; 9] = std::array::from_fn(|_| rng.random_range(0..10));
        if let Some(cpf) = Cpf::from_base(base) {
            return cpf.digits().to_string();
        }
    }
}

/// A patient document with plausible, valid data.
pub fn random_patient(rng: &mut impl Rng, created_by: &str, now: &str) -> PatientDoc {
    let name = format!(
        "{} {} {}",
        FIRST[rng.random_range(0..FIRST.len())],
        LAST[rng.random_range(0..LAST.len())],
        LAST[rng.random_range(0..LAST.len())]
    );
    let ddd = DDD[rng.random_range(0..DDD.len())];
    let number = format!("+55{ddd}9{:08}", rng.random_range(0..100_000_000u32));
    let birth = NaiveDate::from_ymd_opt(
        rng.random_range(1940..2022),
        rng.random_range(1..13),
        rng.random_range(1..29),
    )
    .unwrap_or(NaiveDate::MIN);
    PatientDoc {
        birth_date: Some(birth.to_string()),
        cpf: Some(random_cpf(rng)),
        phones: [(
            number.clone(),
            PhoneEntry {
                number,
                label: Some("celular".into()),
                whatsapp: true,
                added_at: 0,
            },
        )]
        .into(),
        ..PatientDoc::new(Uuid::now_v7(), &name, now, created_by)
    }
}

/// Fills `clinic` with professionals, chairs, patients and appointments.
/// Appointments are 30-minute slots, professional `i` always in chair `i`,
/// Monday to Friday 08:00–18:00, so they never overlap; each week is written
/// into its agenda document in one go.
pub fn populate(
    clinic: &mut Clinic,
    size: &DemoSize,
    mut progress: impl FnMut(&str, usize),
) -> Result<DemoReport, Error> {
    let mut rng = StdRng::seed_from_u64(size.seed);
    let mut report = DemoReport {
        first_week: Week::of(size.first_day).to_string(),
        ..DemoReport::default()
    };
    let mut pairs = Vec::new();
    for i in 0..size.professionals.max(1) {
        let p = clinic.add_professional(
            &format!(
                "Dr(a). {} {}",
                FIRST[i % FIRST.len()],
                LAST[(i * 7) % LAST.len()]
            ),
            Some(&format!("CRO-SP {}", 10_000 + i)),
        )?;
        pairs.push(p.id);
        report.professionals += 1;
    }
    let mut chairs = Vec::new();
    for i in 0..size.chairs.max(1) {
        chairs.push(clinic.add_chair(&format!("Cadeira {}", i + 1))?.id);
        report.chairs += 1;
    }
    let resources: Vec<(String, String)> = pairs
        .iter()
        .zip(chairs.iter().cycle())
        .map(|(p, c)| (p.clone(), c.clone()))
        .collect();
    let user = clinic.identity().user_id.to_string();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    let mut patient_ids = Vec::with_capacity(size.patients);
    const BATCH: usize = 5_000;
    let mut made = 0;
    while made < size.patients {
        let n = BATCH.min(size.patients - made);
        let batch: Vec<PatientDoc> = (0..n)
            .map(|_| random_patient(&mut rng, &user, &now))
            .collect();
        clinic.bulk("demo.patients", |b| {
            batch.iter().try_for_each(|p| b.patient(p))
        })?;
        patient_ids.extend(batch.into_iter().map(|p| p.id));
        made += n;
        report.patients = made;
        progress("patients", made);
    }
    if patient_ids.is_empty() {
        return Ok(report);
    }

    let slots_per_day = 20; // 08:00–18:00 in 30-minute slots
    let per_week = slots_per_day * 5 * resources.len();
    let mut week = Week::of(size.first_day);
    let mut left = size.appointments;
    while left > 0 {
        let n = per_week.min(left);
        let monday = week.monday();
        let mut appointments = Vec::with_capacity(n);
        for k in 0..n {
            let (resource, rest) = (k % resources.len(), k / resources.len());
            let (day, slot) = (rest / slots_per_day, rest % slots_per_day);
            let start = (monday + Duration::days(day as i64)).and_time(
                NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN)
                    + Duration::minutes(30 * slot as i64),
            );
            let status = match rng.random_range(0..10) {
                0 => AppointmentStatus::Confirmado,
                1 => AppointmentStatus::Cancelado,
                _ => AppointmentStatus::Agendado,
            };
            appointments.push(Appointment {
                id: Uuid::now_v7().to_string(),
                patient_id: patient_ids[rng.random_range(0..patient_ids.len())].clone(),
                professional_id: resources[resource].0.clone(),
                chair_id: resources[resource].1.clone(),
                start: agenda::format_datetime(start),
                duration_min: 30,
                procedures: vec![PROCEDURES[rng.random_range(0..PROCEDURES.len())].to_string()],
                status,
                notes: String::new(),
                source: Source::Desk,
                cancel_reason: None,
                moved_to: None,
                moved_from: None,
                created_at: now.clone(),
                created_by: user.clone(),
            });
        }
        let key = week.to_string();
        clinic.bulk("demo.agenda", |b| b.week(&key, appointments))?;
        left -= n;
        report.appointments += n;
        report.agenda_weeks += 1;
        progress("appointments", report.appointments);
        week = week.next();
    }
    Ok(report)
}

/// A chart with `years` of history ending at `end` (seconds since the
/// epoch): `entries` odontogram entries (a third realizado and locked, one
/// in fifty invalidated) and `notes` signed evolution notes, each written as
/// its own change, the way years of visits leave a chart. For benchmarks and
/// the as-of view; the document is returned, not stored.
pub fn history_chart(
    patient_id: Uuid,
    professionals: &[String],
    entries: usize,
    notes: usize,
    years: i64,
    end: i64,
    seed: u64,
) -> Result<automerge::Automerge, autosurgeon::ReconcileError> {
    use crate::documents::{
        ChartDoc, EvolutionNote, Invalidation, LockedEntry, OdontogramEntry, Signature,
    };
    use crate::odontogram::{EntryStatus, Surface, Tooth};
    let mut rng = StdRng::seed_from_u64(seed);
    let id = documents::chart_id(patient_id);
    let mut doc = documents::genesis(id, &ChartDoc::new(patient_id))?;
    doc.set_actor(automerge::ActorId::random());
    let by = documents::Attribution {
        user: "demo".into(),
        device: "demo".into(),
        op: "chart.history".into(),
    };
    let teeth: Vec<Tooth> = Tooth::all().filter(|t| !t.is_deciduous()).collect();
    let total = entries + notes;
    let start = end - years * 365 * 86_400;
    let step = (end - start) / total.max(1) as i64;
    let stamp = |i: usize| -> (i64, String) {
        let t = start + step * i as i64;
        let text = chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        (t, text)
    };
    let pro = |rng: &mut StdRng| {
        professionals
            .get(rng.random_range(0..professionals.len().max(1)))
            .cloned()
            .unwrap_or_default()
    };
    let (mut e, mut n) = (0, 0);
    for i in 0..total {
        let (t, at) = stamp(i);
        let day = at.get(..10).unwrap_or_default().to_string();
        // Entries and notes interleaved as visits leave them.
        if n >= notes || (e < entries && i % (total / notes.max(1)).max(1) != 0) {
            let tooth = teeth[rng.random_range(0..teeth.len())];
            let posterior = !tooth.is_anterior();
            let (code, surfaces) = match rng.random_range(0..4) {
                0 => (
                    "carie",
                    vec![if posterior {
                        Surface::Occlusal
                    } else {
                        Surface::Incisal
                    }],
                ),
                1 => ("restauracao-resina", vec![Surface::Mesial, Surface::Distal]),
                2 => ("endo-uni", vec![]),
                _ => ("extracao", vec![]),
            };
            let status = if e % 3 == 0 {
                EntryStatus::Realizado
            } else {
                EntryStatus::Planejado
            };
            let entry = OdontogramEntry {
                id: Uuid::now_v7().to_string(),
                region: tooth.to_string(),
                surfaces,
                cervical: false,
                code: code.into(),
                tuss: None,
                status,
                professional_id: pro(&mut rng),
                date: day,
                note: String::new(),
                phase: Some(1 + (e as u64 % 3)),
                fee_cents: Some(25_000),
                appointment_id: None,
                created_at: at.clone(),
                created_by: "demo".into(),
            };
            documents::change(&mut doc, &by, t, |tx| {
                documents::put_entry(tx, "entries", &entry.id, &entry)?;
                if status == EntryStatus::Realizado {
                    let lock = LockedEntry {
                        entry: entry.clone(),
                        at: at.clone(),
                        by: "demo".into(),
                    };
                    documents::put_entry(tx, "locks", &entry.id, &lock)?;
                }
                if e % 50 == 49 {
                    let invalid = Invalidation {
                        reason: "registrado no dente errado".into(),
                        at: at.clone(),
                        by: "demo".into(),
                    };
                    documents::put_entry(tx, "invalidations", &entry.id, &invalid)?;
                }
                Ok(())
            })?;
            e += 1;
        } else {
            let text = format!(
                "Retorno {n}. Paciente sem queixas; profilaxia e orientação de higiene. \
                 Próxima consulta em seis meses."
            );
            let note = EvolutionNote {
                id: Uuid::now_v7().to_string(),
                professional_id: pro(&mut rng),
                visit_date: day,
                text: autosurgeon::Text::with_value(&text),
                amends: None,
                created_at: at.clone(),
                created_by: "demo".into(),
            };
            let signature = Signature {
                id: Uuid::now_v7().to_string(),
                note_id: note.id.clone(),
                by: "demo".into(),
                at: at.clone(),
                content_hash: crate::signing::content_hash(&text),
                text,
                key_id: None,
                ed25519: None,
            };
            documents::change(&mut doc, &by, t, |tx| {
                documents::put_entry(tx, "notes", &note.id, &note)?;
                documents::put_entry(tx, "signatures", &signature.id, &signature)
            })?;
            n += 1;
        }
    }
    Ok(doc)
}

/// Gives `patient` a chart with `years` of history up to now (see
/// [`history_chart`]), replacing nothing: the patient must have no chart yet.
pub fn add_history_chart(
    clinic: &mut Clinic,
    patient: &str,
    entries: usize,
    notes: usize,
    years: i64,
) -> Result<(), Error> {
    let patient_id = clinic.patient_id(patient)?;
    let professionals: Vec<String> = clinic.directory()?.professionals.into_keys().collect();
    let id = documents::chart_id(patient_id);
    let doc = history_chart(
        patient_id,
        &professionals,
        entries,
        notes,
        years,
        chrono::Utc::now().timestamp() - 86_400,
        7,
    )
    .map_err(|e| Error::Schema {
        id: id.to_string(),
        reason: e.to_string(),
    })?;
    clinic.bulk("demo.chart", |b| b.document(id, DocClass::Chart, &doc))
}

/// A WhatsApp message as [`conversation`] takes it: wamid, text, and when
/// it was sent (seconds since the epoch).
pub type Inbound<'a> = (&'a str, &'a str, i64);

/// A conversation as the server writes one (derived id, deterministic
/// genesis, the contact's name and the lead in the next change, one change
/// per message), for tests, benchmarks and demos of the inbox without a
/// server. The document is returned, not stored.
pub fn conversation(
    org_id: Uuid,
    phone_number_id: &str,
    wa_id: &str,
    name: &str,
    messages: &[Inbound<'_>],
) -> Result<(Uuid, automerge::Automerge), autosurgeon::ReconcileError> {
    use crate::documents::{Contact, ConversationDoc, Lead, Message};
    let contact = Contact {
        wa_id: Some(wa_id.into()),
        user_id: None,
        name: None,
        phone: Some(format!("+{wa_id}")),
    };
    let id = documents::conversation_id(org_id, phone_number_id, wa_id);
    let mut doc = documents::genesis(
        id,
        &ConversationDoc::new(phone_number_id, "+55 11 3333-4444", contact.clone()),
    )?;
    doc.set_actor(automerge::ActorId::random());
    let by = documents::Attribution {
        user: "whatsapp".into(),
        device: "server".into(),
        op: "whatsapp.receive".into(),
    };
    let t = messages.iter().map(|m| m.2).max().unwrap_or(0);
    let named = Contact {
        name: Some(name.into()),
        ..contact
    };
    documents::change(&mut doc, &by, t, |tx| {
        autosurgeon::reconcile_prop(tx, automerge::ROOT, "contact", &named)?;
        let lead = Some(Lead {
            created_at: t,
            converted_to: None,
        });
        autosurgeon::reconcile_prop(tx, automerge::ROOT, "lead", lead)
    })?;
    for (wamid, text, at) in messages {
        let message = Message {
            text: Some(text.to_string()),
            wamid: Some(wamid.to_string()),
            ..Message::inbound(wamid, "text", *at)
        };
        documents::commit_entry(&mut doc, "messages", wamid, &message, &by, *at)?;
    }
    Ok((id, doc))
}

/// Stores a [`conversation`] in the clinic, as if it had come by sync.
pub fn add_conversation(
    clinic: &mut Clinic,
    phone_number_id: &str,
    wa_id: &str,
    name: &str,
    messages: &[Inbound<'_>],
) -> Result<Uuid, Error> {
    let org = clinic.identity().org_id;
    let (id, doc) =
        conversation(org, phone_number_id, wa_id, name, messages).map_err(|e| Error::Schema {
            id: wa_id.to_string(),
            reason: e.to_string(),
        })?;
    clinic.bulk("demo.conversation", |b| {
        b.document(id, DocClass::Conversation, &doc)
    })?;
    Ok(id)
}
