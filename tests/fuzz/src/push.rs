//! Push admission on the server, as `http::push` runs it for one
//! document: [`admission::decode`] of the wire request, then
//! [`admission::all_at_once`] on the server's copy and, when that fails,
//! [`admission::one_by_one`] on a copy rebuilt from the log.
//!
//! Input: two header bytes, then changes back to back ([`crate::chunks`]).
//!
//! - byte 0, bits 0–2: the document, an index into [`clinic::seeds`]
//!   (wrapping); bit 3: the server's log already holds it (else the
//!   push is its first).
//! - byte 1, bits 0–2: the pusher's role, an index into [`Role::ALL`]
//!   (wrapping); bit 3: recompute each change's checksum first.
//!
//! Besides never panicking outside the places the server catches panics
//! on purpose, what is accepted must hold: the document as admission
//! leaves it is valid against what it had to keep, it is exactly what the
//! log rebuilds once the accepted changes are appended, and the pusher's
//! role may write its class.

use arcada_core::integrity::{self, ChangeLimits};
use arcada_core::protocol::{self, PushRequest, WireChange};
use arcada_core::roles::Role;
use arcada_server::admission::{self, Context};
use arcada_server::replicas::Replica;
use automerge::Automerge;

use crate::{chunks, clinic};

/// What a push input says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Index into [`clinic::seeds`].
    pub doc: usize,
    /// The server already holds the document's log.
    pub known: bool,
    pub role: Role,
    /// Recompute checksums before sending.
    pub fix_checksums: bool,
}

impl Scenario {
    pub fn header(&self) -> [u8; 2] {
        let role = Role::ALL.iter().position(|r| *r == self.role).unwrap_or(0) as u8;
        [
            self.doc as u8 & 0x07 | u8::from(self.known) << 3,
            role & 0x07 | u8::from(self.fix_checksums) << 3,
        ]
    }

    fn read(data: &[u8]) -> Option<(Scenario, &[u8])> {
        let [a, b, rest @ ..] = data else {
            return None;
        };
        let scenario = Scenario {
            doc: usize::from(a & 0x07) % clinic::seeds().len(),
            known: a & 0x08 != 0,
            role: Role::ALL[usize::from(b & 0x07) % Role::ALL.len()],
            fix_checksums: b & 0x08 != 0,
        };
        Some((scenario, rest))
    }
}

/// A copy of the seed as the server keeps it (`known`), or none yet.
fn replica(seed: &clinic::Seed, known: bool) -> Replica {
    let mut replica = Replica::empty();
    if known {
        replica.doc = seed.doc();
        replica.seq = seed.log.len() as i64;
        replica.bytes = seed.log.iter().map(|c| c.raw_bytes().len()).sum();
    }
    replica
}

/// What admission made of an input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Changes accepted that the log did not hold.
    pub stored: usize,
    /// Changes refused one by one (undecodable ones included).
    pub refused: usize,
    /// The document refused whole (its class for this role).
    pub whole: bool,
}

/// One fuzz input; panics only when admission breaks a rule above.
pub fn run(data: &[u8]) {
    admit(data);
}

/// Admits one input as the server does and checks what it accepted.
pub fn admit(data: &[u8]) -> Verdict {
    let mut verdict = Verdict::default();
    let Some((s, rest)) = Scenario::read(data) else {
        return verdict;
    };
    let seed = &clinic::seeds()[s.doc];
    let changes = chunks::split(rest)
        .into_iter()
        .map(|c| {
            let bytes = if s.fix_checksums {
                chunks::with_checksum(c)
            } else {
                c.to_vec()
            };
            WireChange {
                doc: seed.id,
                bytes: protocol::encode(&bytes),
            }
        })
        .collect();
    let Ok(offered) = admission::decode(PushRequest { changes }, &ChangeLimits::STANDARD) else {
        return verdict;
    };
    for d in &offered {
        for c in d.changes.iter().filter_map(|(_, c)| c.as_ref().ok()) {
            let again = integrity::decode_change(c.raw_bytes(), &ChangeLimits::STANDARD)
                .expect("a decoded change decodes again");
            assert_eq!(again.hash(), c.hash());
        }
        let cx = Context {
            org: clinic::ORG,
            doc: d.doc,
            role: s.role,
            known: s.known.then_some(seed.class),
            // No key the fuzzer writes is attested by this one.
            attestor: [7; 32],
        };
        let judged = match admission::all_at_once(&cx, replica(seed, s.known), d) {
            Some(judged) => judged,
            None => admission::one_by_one(&cx, replica(seed, s.known), d),
        };
        verdict.stored += judged.fresh.len();
        verdict.refused += judged.refused.len();
        if judged.whole.is_some() {
            assert!(
                judged.fresh.is_empty(),
                "a document refused whole stores nothing"
            );
            verdict.whole = true;
            continue;
        }
        let Some(kept) = &judged.replica else {
            panic!("a judged document comes back");
        };
        // What the log rebuilds once the accepted changes are appended.
        let mut log = if s.known {
            seed.doc()
        } else {
            Automerge::new()
        };
        log.apply_changes(judged.fresh_changes(d).cloned().collect::<Vec<_>>())
            .expect("accepted changes apply to the log");
        assert_eq!(
            log.get_heads(),
            kept.doc.get_heads(),
            "the kept copy is what the log rebuilds"
        );
        if judged.fresh.is_empty() && !s.known {
            continue;
        }
        let before = s.known.then_some(&seed.standing);
        let now = integrity::judge(clinic::ORG, d.doc, &log, before)
            .unwrap_or_else(|v| panic!("admission accepted a document that breaks a rule: {v}"));
        assert_eq!(judged.class, Some(now.class));
        if !judged.fresh.is_empty() {
            assert!(
                s.role.can_write(now.class),
                "{} wrote a {} document",
                s.role,
                now.class
            );
        }
    }
    verdict
}
