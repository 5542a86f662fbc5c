//! Pulls taken in on a workstation, as the sync engine takes them: one
//! page of changes through [`sync::take_in_page`] (`Remote::pull`), or one
//! page of snapshot documents through [`sync::take_in_snapshots`]
//! (`Remote::bootstrap`), on a real SQLite store, in the page's
//! transaction, which is rolled back after each input so every input
//! meets the same store.
//!
//! Input: two header bytes, then the page.
//!
//! - byte 0, bits 0–2: the document the server names, an index into
//!   [`clinic::seeds`] (wrapping); bit 3: the store already holds it
//!   (taken in from its seed log first).
//! - byte 1, bits 0–2: the class the server claims: 0 and 7 the
//!   document's own, else [`DocClass::ALL`]`[n - 1]`; bit 3: recompute
//!   each change's checksum first; bit 4: a snapshot page (the rest is one
//!   saved document) instead of changes back to back ([`crate::chunks`]).
//!
//! Besides never panicking and never failing on what a hostile server may
//! send (only the store itself may fail), what is taken in must hold: the
//! stored document is valid against what it had to keep, of the class
//! stored for it, and its projections are what a rebuild makes of it.

use std::sync::{Mutex, OnceLock};

use arcada_core::documents::DocClass;
use arcada_core::integrity;
use arcada_core::projection::{self, CpfIndex};
use arcada_core::protocol::{self, PulledChange, SnapshotDoc};
use arcada_core::store::{self, Store, StoreTx};
use arcada_core::sync;
use uuid::Uuid;

use crate::{chunks, clinic};

/// What a pull input says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Index into [`clinic::seeds`].
    pub doc: usize,
    /// The store holds the document before the page.
    pub held: bool,
    /// The class the server claims; `None`: the document's own.
    pub claimed: Option<DocClass>,
    /// Recompute checksums before taking the page in.
    pub fix_checksums: bool,
    /// A snapshot page rather than changes.
    pub snapshot: bool,
}

impl Scenario {
    pub fn header(&self) -> [u8; 2] {
        let claimed = self
            .claimed
            .and_then(|c| DocClass::ALL.iter().position(|x| *x == c))
            .map_or(0, |i| i as u8 + 1);
        [
            self.doc as u8 & 0x07 | u8::from(self.held) << 3,
            claimed & 0x07 | u8::from(self.fix_checksums) << 3 | u8::from(self.snapshot) << 4,
        ]
    }

    fn read(data: &[u8]) -> Option<(Scenario, &[u8])> {
        let [a, b, rest @ ..] = data else {
            return None;
        };
        let claimed = match b & 0x07 {
            0 | 7 => None,
            n => DocClass::ALL.get(usize::from(n) - 1).copied(),
        };
        let scenario = Scenario {
            doc: usize::from(a & 0x07) % clinic::seeds().len(),
            held: a & 0x08 != 0,
            claimed,
            fix_checksums: b & 0x08 != 0,
            snapshot: b & 0x10 != 0,
        };
        Some((scenario, rest))
    }
}

/// The workstation: a store in a directory of its own, for the process.
struct Workstation {
    store: Store,
    cpf: CpfIndex,
    _dir: tempfile::TempDir,
}

fn workstation() -> &'static Mutex<Workstation> {
    static WORKSTATION: OnceLock<Mutex<Workstation>> = OnceLock::new();
    WORKSTATION.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(&dir.path().join(store::FILE_NAME)).expect("a store");
        Mutex::new(Workstation {
            store,
            cpf: CpfIndex::new(b"fuzz"),
            _dir: dir,
        })
    })
}

/// Changes as a server page carries them.
fn page(doc: Uuid, class: DocClass, changes: &[Vec<u8>]) -> Vec<PulledChange> {
    changes
        .iter()
        .enumerate()
        .map(|(i, bytes)| PulledChange {
            seq: i as i64 + 1,
            doc,
            class,
            bytes: protocol::encode(bytes),
        })
        .collect()
}

/// One fuzz input; panics only when taking it in breaks a rule above.
pub fn run(data: &[u8]) {
    take(data);
}

/// Takes one input in as the workstation does and checks what it took:
/// how many changes or documents were set aside.
pub fn take(data: &[u8]) -> usize {
    let Some((s, rest)) = Scenario::read(data) else {
        return 0;
    };
    let seed = &clinic::seeds()[s.doc];
    let class = s.claimed.unwrap_or(seed.class);
    let mut ws = workstation().lock().unwrap_or_else(|p| p.into_inner());
    let Workstation { store, cpf, .. } = &mut *ws;
    let tx = store.transaction().expect("a transaction");
    if s.held {
        let log: Vec<Vec<u8>> = seed.log.iter().map(|c| c.raw_bytes().to_vec()).collect();
        let taken = sync::take_in_page(&tx, clinic::ORG, &page(seed.id, seed.class, &log), cpf)
            .expect("the seed is taken in");
        assert_eq!(taken.quarantined, 0, "the seed is valid");
    }
    let taken = if s.snapshot {
        let d = SnapshotDoc {
            doc: seed.id,
            class,
            bytes: protocol::encode(rest),
        };
        sync::take_in_snapshots(&tx, clinic::ORG, &[d], cpf).map(|t| t.quarantined)
    } else {
        let changes: Vec<Vec<u8>> = chunks::split(rest)
            .into_iter()
            .map(|c| {
                if s.fix_checksums {
                    chunks::with_checksum(c)
                } else {
                    c.to_vec()
                }
            })
            .collect();
        sync::take_in_page(&tx, clinic::ORG, &page(seed.id, class, &changes), cpf)
            .map(|t| t.quarantined)
    };
    let quarantined =
        taken.unwrap_or_else(|e| panic!("a page from the server stopped the pull: {e}"));
    check(&tx, seed, s.held, cpf);
    // Dropping the transaction rolls the page back.
    quarantined
}

/// What the store holds after the page keeps the rules.
fn check(tx: &StoreTx<'_>, seed: &clinic::Seed, held: bool, cpf: &CpfIndex) {
    let Some(stored) = store::load(tx, seed.id).expect("the store reads") else {
        assert!(!held, "a held document stays");
        return;
    };
    let before = held.then_some(&seed.standing);
    let standing = integrity::judge(clinic::ORG, seed.id, &stored.doc, before)
        .unwrap_or_else(|v| panic!("the workstation took in a document that breaks a rule: {v}"));
    assert_eq!(standing.class, stored.class, "stored under its own class");
    let incremental = projection::dump(tx).expect("projections read");
    projection::rebuild(tx, cpf).expect("what was taken in projects again");
    let rebuilt = projection::dump(tx).expect("projections read");
    assert_eq!(incremental, rebuilt, "projections are what a rebuild makes");
}
