//! Random sequences of honest and hostile changes on three replicas of a
//! clinic's chart and patient, judged by the server's admission as a push
//! is: honest replicas always converge and every honest change is
//! accepted; no hostile change is ever stored; what the records law
//! freezes stays as written; the front desk's device never writes a chart.
//!
//! `ARCADA_ADMISSION_CASES=500 cargo test -p arcada-server --test admission`
//! for a long run (CI runs a few dozen cases).

use std::collections::{BTreeMap, HashMap};

use arcada_core::documents::{
    self, Attribution, ChartDoc, DocClass, Invalidation, LockedEntry, OdontogramEntry, PatientDoc,
    Signature,
};
use arcada_core::odontogram::EntryStatus;
use arcada_core::roles::Role;
use arcada_server::admission::{self, Context, Offered};
use arcada_server::replicas::Replica;
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc, ROOT};
use proptest::prelude::*;
use uuid::Uuid;

/// The log as a server keeps it, judged as `http::push` judges.
struct Server {
    org: Uuid,
    log: HashMap<Uuid, Vec<Change>>,
    classes: HashMap<Uuid, DocClass>,
    kept: HashMap<Uuid, Replica>,
}

impl Server {
    fn rebuilt(&self, doc: Uuid) -> Replica {
        let mut replica = Replica::empty();
        if let Some(changes) = self.log.get(&doc) {
            replica
                .doc
                .apply_changes(changes.clone())
                .expect("the log applies");
            replica.seq = changes.len() as i64;
        }
        replica
    }

    /// Judges and stores; the number of changes refused.
    fn push(&mut self, role: Role, doc: Uuid, changes: Vec<Change>) -> usize {
        let offered = Offered {
            doc,
            changes: changes.into_iter().map(Ok).enumerate().collect(),
        };
        let cx = Context {
            org: self.org,
            doc,
            role,
            known: self.classes.get(&doc).copied(),
            attestor: [7; 32],
        };
        let replica = self.kept.remove(&doc).unwrap_or_else(|| self.rebuilt(doc));
        let judged = match admission::all_at_once(&cx, replica, &offered) {
            Some(j) => j,
            None => admission::one_by_one(&cx, self.rebuilt(doc), &offered),
        };
        if judged.whole.is_some() {
            return offered.changes.len();
        }
        if let Some(class) = judged.class {
            self.classes.entry(doc).or_insert(class);
        }
        let log = self.log.entry(doc).or_default();
        log.extend(judged.fresh_changes(&offered).cloned());
        if let Some(mut replica) = judged.replica {
            replica.seq = log.len() as i64;
            self.kept.insert(doc, replica);
        }
        judged.refused.len()
    }

    fn changes(&self, doc: Uuid) -> Vec<Change> {
        self.log.get(&doc).cloned().unwrap_or_default()
    }
}

/// A workstation's copy of the two documents and what it has not pushed.
struct Workstation {
    role: Role,
    docs: BTreeMap<Uuid, Automerge>,
    pushed: BTreeMap<Uuid, Vec<ChangeHash>>,
    user: String,
}

impl Workstation {
    fn sync(&mut self, server: &mut Server) {
        for (id, doc) in &self.docs {
            let sent = self.pushed.entry(*id).or_default();
            let fresh = doc.get_changes(sent);
            if !fresh.is_empty() {
                let refused = server.push(self.role, *id, fresh.into_iter().collect());
                assert_eq!(refused, 0, "an honest {} change was refused", self.role);
                *sent = doc.get_heads();
            }
        }
        for (id, doc) in &mut self.docs {
            doc.apply_changes(server.changes(*id)).expect("pull");
        }
    }

    fn edit(
        &mut self,
        id: Uuid,
        op: &str,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) {
        let by = Attribution {
            user: self.user.clone(),
            device: self.user.clone(),
            op: op.into(),
        };
        let doc = self.docs.get_mut(&id).expect("held");
        documents::change(doc, &by, 1, |tx| {
            f(tx);
            Ok(())
        })
        .expect("change");
    }
}

fn map(tx: &automerge::transaction::Transaction<'_>, key: &str) -> automerge::ObjId {
    tx.get(ROOT, key).expect("get").expect("map").1
}

fn entry(id: &str, status: EntryStatus) -> OdontogramEntry {
    OdontogramEntry {
        id: id.into(),
        region: "36".into(),
        surfaces: vec![],
        cervical: false,
        code: "restauracao".into(),
        tuss: None,
        status,
        professional_id: "p".into(),
        date: "2026-11-30".into(),
        note: String::new(),
        phase: None,
        fee_cents: None,
        appointment_id: None,
        created_at: "2026-11-30T10:00:00Z".into(),
        created_by: "u".into(),
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// An honest act on workstation `ws` (0, 1: dentists; 2: front desk).
    Honest {
        ws: usize,
        act: u8,
        n: u8,
    },
    Sync {
        ws: usize,
    },
    /// A hostile device tries attack `n` on what the server holds.
    Hostile {
        attack: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..4u8, 0..6u8).prop_map(|(ws, act, n)| Step::Honest { ws, act, n }),
        2 => (0..3usize).prop_map(|ws| Step::Sync { ws }),
        2 => (0..7u8).prop_map(|attack| Step::Hostile { attack }),
    ]
}

fn run(steps: Vec<Step>) {
    let org = Uuid::now_v7();
    let patient = Uuid::now_v7();
    let chart = documents::chart_id(patient);
    let mut server = Server {
        org,
        log: HashMap::new(),
        classes: HashMap::new(),
        kept: HashMap::new(),
    };
    // The front desk registers the patient, the first dentist opens the
    // chart: everyone starts from there.
    let mut patient_doc = Automerge::new();
    documents::commit(
        &mut patient_doc,
        &PatientDoc::new(patient, "Maria", "2026-11-30T09:00:00Z", "desk"),
        &Attribution {
            user: "desk".into(),
            device: "desk".into(),
            op: "patient.add".into(),
        },
        1,
    )
    .expect("patient");
    assert_eq!(
        server.push(
            Role::Recepcao,
            patient,
            patient_doc.get_changes(&[]).into_iter().collect()
        ),
        0
    );
    let chart_doc = documents::genesis(chart, &ChartDoc::new(patient)).expect("genesis");
    assert_eq!(
        server.push(
            Role::Clinico,
            chart,
            chart_doc.get_changes(&[]).into_iter().collect()
        ),
        0
    );
    let mut stations: Vec<Workstation> = (0..3)
        .map(|i| {
            let role = if i < 2 { Role::Clinico } else { Role::Recepcao };
            let mut docs = BTreeMap::new();
            let mut pushed = BTreeMap::new();
            for id in [patient, chart] {
                if id == chart && role == Role::Recepcao {
                    continue;
                }
                let mut doc = Automerge::new().with_actor(ActorId::random());
                doc.apply_changes(server.changes(id)).expect("copy");
                pushed.insert(id, doc.get_heads());
                docs.insert(id, doc);
            }
            Workstation {
                role,
                docs,
                pushed,
                user: format!("user-{i}"),
            }
        })
        .collect();
    // What honest acts froze, to be found unchanged at the end.
    let mut signed: BTreeMap<String, String> = BTreeMap::new();
    let mut locked: BTreeMap<String, OdontogramEntry> = BTreeMap::new();
    let mut invalidated: Vec<String> = Vec::new();
    let mut next = 0;
    for step in steps {
        match step {
            Step::Honest { ws, act, n } => {
                next += 1;
                let w = &mut stations[ws];
                if w.role == Role::Recepcao {
                    let name = format!("Maria {n}");
                    w.edit(patient, "patient.edit", |tx| {
                        tx.put(ROOT, "name", name.as_str()).expect("put");
                    });
                    continue;
                }
                match act {
                    0 => {
                        let id = format!("e{next}");
                        let e = entry(&id, EntryStatus::Planejado);
                        w.edit(chart, "chart.entry", |tx| {
                            documents::put_entry(tx, "entries", &id, &e).expect("entry");
                        });
                    }
                    1 => {
                        // Realizado: the entry and its lock, in one act.
                        let id = format!("e{next}");
                        let e = entry(&id, EntryStatus::Realizado);
                        let lock = LockedEntry {
                            entry: e.clone(),
                            at: format!("2026-11-30T10:{n:02}:00Z"),
                            by: w.user.clone(),
                        };
                        w.edit(chart, "chart.entry.done", |tx| {
                            documents::put_entry(tx, "entries", &id, &e).expect("entry");
                            documents::put_entry(tx, "locks", &id, &lock).expect("lock");
                        });
                        locked.insert(id, e);
                    }
                    2 => {
                        let note = format!("n{next}");
                        let signature = Signature {
                            id: Uuid::now_v7().to_string(),
                            note_id: note.clone(),
                            by: w.user.clone(),
                            at: "2026-11-30T11:00:00Z".into(),
                            content_hash: arcada_core::signing::content_hash("Texto assinado"),
                            text: format!("Texto assinado {next}"),
                            key_id: None,
                            ed25519: None,
                        };
                        w.edit(chart, "chart.note.sign", |tx| {
                            documents::put_entry(tx, "signatures", &signature.id, &signature)
                                .expect("signature");
                        });
                        signed.insert(signature.id, signature.text);
                    }
                    _ if ws == 0 => {
                        // Invalidations from one workstation only: two
                        // invalidating one entry offline with different
                        // reasons is refused (see the closing note).
                        let id = format!("e{next}");
                        let e = entry(&id, EntryStatus::Planejado);
                        let inv = Invalidation {
                            reason: "lançado no dente errado".into(),
                            at: "2026-11-30T12:00:00Z".into(),
                            by: w.user.clone(),
                        };
                        w.edit(chart, "chart.entry.invalidate", |tx| {
                            documents::put_entry(tx, "entries", &id, &e).expect("entry");
                            documents::put_entry(tx, "invalidations", &id, &inv).expect("inv");
                        });
                        invalidated.push(id);
                    }
                    _ => {}
                }
            }
            Step::Sync { ws } => stations[ws].sync(&mut server),
            Step::Hostile { attack } => {
                let mut doc = Automerge::new().with_actor(ActorId::random());
                let (target, role) = match attack {
                    0..=4 => (chart, Role::Clinico),
                    5 => (chart, Role::Recepcao),
                    _ => (patient, Role::Recepcao),
                };
                doc.apply_changes(server.changes(target)).expect("copy");
                let heads = doc.get_heads();
                let mut tx = doc.transaction();
                let acted = match attack {
                    0 => {
                        let s = map(&tx, "signatures");
                        let key = tx.keys(&s).next();
                        key.map(|k| {
                            let sig = tx.get(&s, k.as_str()).expect("get").expect("sig").1;
                            tx.put(&sig, "text", "reescrito").expect("put");
                        })
                        .is_some()
                    }
                    1 => {
                        let l = map(&tx, "locks");
                        let key = tx.keys(&l).next();
                        key.map(|k| tx.delete(&l, k.as_str()).expect("delete"))
                            .is_some()
                    }
                    2 => {
                        let e = map(&tx, "entries");
                        let key = tx.keys(&e).next();
                        key.map(|k| tx.delete(&e, k.as_str()).expect("delete"))
                            .is_some()
                    }
                    3 => {
                        tx.put(ROOT, "class", "patient").expect("put");
                        true
                    }
                    4 => {
                        tx.put(ROOT, "patient_id", Uuid::now_v7().to_string())
                            .expect("put");
                        true
                    }
                    5 => {
                        let e = map(&tx, "entries");
                        tx.put(&e, "x", "do balcão").expect("put");
                        true
                    }
                    _ => {
                        tx.put(ROOT, "name", 42).expect("put");
                        true
                    }
                };
                tx.commit();
                if acted {
                    let changes: Vec<Change> = doc.get_changes(&heads).into_iter().collect();
                    let n = changes.len();
                    let before = server.changes(target).len();
                    assert_eq!(
                        server.push(role, target, changes),
                        n,
                        "attack {attack} got through"
                    );
                    assert_eq!(
                        server.changes(target).len(),
                        before,
                        "attack {attack} stored"
                    );
                }
            }
        }
    }
    for _ in 0..2 {
        for w in &mut stations {
            w.sync(&mut server);
        }
    }
    // Converged on the server's documents.
    for w in &stations {
        for (id, doc) in &w.docs {
            let mut expected = Automerge::new();
            expected.apply_changes(server.changes(*id)).expect("log");
            assert_eq!(
                doc.get_heads(),
                expected.get_heads(),
                "{} differs on {id}",
                w.user
            );
        }
    }
    assert_eq!(server.classes.get(&chart), Some(&DocClass::Chart));
    let mut final_chart = Automerge::new();
    final_chart
        .apply_changes(server.changes(chart))
        .expect("log");
    arcada_core::integrity::judge(org, chart, &final_chart, None).expect("a valid chart");
    let view: ChartDoc = autosurgeon::hydrate(&final_chart).expect("hydrate");
    for (id, text) in &signed {
        assert_eq!(view.signatures.get(id).map(|s| &s.text), Some(text));
    }
    for (id, e) in &locked {
        assert_eq!(view.locks.get(id).map(|l| &l.entry), Some(e));
    }
    for id in &invalidated {
        assert!(view.invalidations.contains_key(id));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("ARCADA_ADMISSION_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    #[test]
    fn honest_replicas_converge_and_hostile_changes_never_land(steps in prop::collection::vec(step(), 1..40)) {
        run(steps);
    }
}
