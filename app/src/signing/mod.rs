//! Signatures of evolution notes: each professional signs with an Ed25519
//! key of their own, made on the workstation and never leaving it. The
//! public half is published in the organisation's directory by the server,
//! which attests that the key belongs to that member (it signs the binding
//! with its own key, pinned by each workstation the first time it sees it).
//! A note's signature is then checked by anyone who may read the chart,
//! offline: the text must match the hash signed, the signature must verify
//! under a key the server attested for the person it names.
//!
//! What a signature cannot prove is shown as such, never hidden: notes
//! signed before keys existed, or with a key the server has not attested
//! yet, are *unverifiable*; a signature that fails is *tampered*.

pub mod local;

use std::collections::BTreeMap;

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::documents::{Signature, SigningKey};

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("the signing key could not be made or read: {0}")]
    Key(String),
    #[error("{0} is not an Ed25519 public key (64 hex digits)")]
    PublicKey(String),
    #[error("key id {given} does not match its public key (it is {expected})")]
    KeyId { given: String, expected: String },
}

/// An Ed25519 public key's id in the directory: the first 16 bytes of its
/// SHA-256, hex.
pub fn key_id(public_key: &[u8]) -> String {
    hex::encode(&ring::digest::digest(&ring::digest::SHA256, public_key).as_ref()[..16])
}

/// A new key pair, PKCS#8 (kept by the workstation, which alone signs with it).
pub fn new_key_pair() -> Result<Vec<u8>, SigningError> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map(|d| d.as_ref().to_vec())
        .map_err(|e| SigningError::Key(e.to_string()))
}

/// A key pair from its PKCS#8 bytes.
pub fn key_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair, SigningError> {
    Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| SigningError::Key(e.to_string()))
}

/// The public half of a PKCS#8 key pair.
pub fn public_key(pkcs8: &[u8]) -> Result<Vec<u8>, SigningError> {
    Ok(key_pair(pkcs8)?.public_key().as_ref().to_vec())
}

/// A public key given as hex, checked against the id it is given under.
pub fn parse_public_key(hex_key: &str, id: &str) -> Result<Vec<u8>, SigningError> {
    let key = hex::decode(hex_key)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| SigningError::PublicKey(hex_key.chars().take(80).collect()))?;
    let expected = key_id(&key);
    if expected != id {
        return Err(SigningError::KeyId {
            given: id.chars().take(80).collect(),
            expected,
        });
    }
    Ok(key)
}

/// What the server signs when it attests that `key` belongs to `user` in
/// `org`.
pub fn attestation_message(
    org: Uuid,
    user: &str,
    key_id: &str,
    public_key_hex: &str,
    at: &str,
) -> String {
    format!(
        "arcada:signing-key:v1\norg:{org}\nuser:{user}\nkey:{key_id}\npublic:{public_key_hex}\nat:{at}\n"
    )
}

/// The server's attestation of a member's key, as the directory keeps it.
pub fn attest(
    server: &Ed25519KeyPair,
    org: Uuid,
    user: Uuid,
    public_key: &[u8],
    at: &str,
) -> (String, SigningKey) {
    let id = key_id(public_key);
    let public_key = hex::encode(public_key);
    let message = attestation_message(org, &user.to_string(), &id, &public_key, at);
    let key = SigningKey {
        user_id: user.to_string(),
        public_key,
        attested_at: at.to_string(),
        attestation: hex::encode(server.sign(message.as_bytes()).as_ref()),
    };
    (id, key)
}

/// Whether the server whose public key is `server_key` attested `key`
/// under `id` in `org`.
pub fn attested(org: Uuid, id: &str, key: &SigningKey, server_key: &[u8]) -> bool {
    if parse_public_key(&key.public_key, id).is_err() {
        return false;
    }
    let message = attestation_message(org, &key.user_id, id, &key.public_key, &key.attested_at);
    verifies(server_key, message.as_bytes(), &key.attestation)
}

/// The SHA-256 of a note's text, hex: what a signature binds to.
pub fn content_hash(text: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// What a professional signs: the note's place (organisation, chart,
/// note), the signature's own id, who, when, with which key, and the
/// SHA-256 of the text.
pub fn note_message(org: Uuid, chart: Uuid, sig: &Signature) -> String {
    format!(
        "arcada:note-signature:v1\norg:{org}\nchart:{chart}\nnote:{}\nsignature:{}\nby:{}\nat:{}\nkey:{}\nsha256:{}\n",
        sig.note_id,
        sig.id,
        sig.by,
        sig.at,
        sig.key_id.as_deref().unwrap_or(""),
        sig.content_hash
    )
}

/// Signs `sig` (whose `key_id` must be the key's) with the key pair:
/// fills in its `ed25519`.
pub fn sign_note(key: &Ed25519KeyPair, org: Uuid, chart: Uuid, sig: &mut Signature) {
    let message = note_message(org, chart, sig);
    sig.ed25519 = Some(hex::encode(key.sign(message.as_bytes()).as_ref()));
}

fn verifies(public_key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, &signature)
        .is_ok()
}

// ----- on the wire (`/api/v1/server-key`, `/api/v1/orgs/{org}/signing-keys`) -----

/// The server's public key, for a workstation to pin.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServerKeyBody {
    /// Ed25519, 32 bytes, hex.
    pub public_key: String,
}

/// A member's new public key.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSigningKey {
    /// [`signing::key_id`] of the key.
    pub key_id: String,
    /// Ed25519, 32 bytes, hex.
    pub public_key: String,
}

/// The key as the directory now publishes it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttestedKey {
    pub key_id: String,
    pub user_id: String,
    pub public_key: String,
    pub attested_at: String,
    pub attestation: String,
    /// The server's public key the attestation verifies under.
    pub server_key: String,
}

/// What a note's signature proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Verification {
    /// The text is the one signed, by the key the server attested for the
    /// person named.
    Valid,
    /// Something was changed after signing, or the signature names someone
    /// whose key did not make it.
    Tampered(Tampering),
    /// Nothing can be proved either way (yet).
    Unverifiable(Unproven),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Tampering {
    /// The text does not hash to what was signed.
    TextChanged,
    /// The signature does not verify: the note's details were altered.
    BadSignature,
    /// The key belongs to someone other than the signer named.
    OtherSigner,
    /// The directory holds the key without a valid attestation.
    ForgedKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Unproven {
    /// Signed before professionals had keys: only the hash binds the text.
    NoKey,
    /// Signed on this workstation with a key the server has not attested
    /// yet (it will at the next sync).
    KeyPending,
    /// The key is not in the directory this workstation holds.
    UnknownKey,
    /// This workstation has not pinned the server's key yet.
    NoServerKey,
}

/// Checks signatures against the directory's keys.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    pub org: Uuid,
    /// The directory's `signing_keys`.
    pub keys: &'a BTreeMap<String, SigningKey>,
    /// The server's public key, as this workstation pinned it.
    pub server_key: Option<&'a [u8]>,
    /// Keys of this workstation not attested yet: id → public key.
    pub pending: &'a BTreeMap<String, Vec<u8>>,
}

impl Verifier<'_> {
    /// What the signature `sig` of a note of chart `chart` proves.
    pub fn check(&self, chart: Uuid, sig: &Signature) -> Verification {
        if content_hash(&sig.text) != sig.content_hash {
            return Verification::Tampered(Tampering::TextChanged);
        }
        let (Some(id), Some(ed25519)) = (&sig.key_id, &sig.ed25519) else {
            return Verification::Unverifiable(Unproven::NoKey);
        };
        let message = note_message(self.org, chart, sig);
        let Some(key) = self.keys.get(id) else {
            return match self.pending.get(id) {
                Some(pk) if verifies(pk, message.as_bytes(), ed25519) => {
                    Verification::Unverifiable(Unproven::KeyPending)
                }
                Some(_) => Verification::Tampered(Tampering::BadSignature),
                None => Verification::Unverifiable(Unproven::UnknownKey),
            };
        };
        let Some(server_key) = self.server_key else {
            return Verification::Unverifiable(Unproven::NoServerKey);
        };
        if !attested(self.org, id, key, server_key) {
            return Verification::Tampered(Tampering::ForgedKey);
        }
        if key.user_id != sig.by {
            return Verification::Tampered(Tampering::OtherSigner);
        }
        let Ok(public_key) = hex::decode(&key.public_key) else {
            return Verification::Tampered(Tampering::ForgedKey);
        };
        if verifies(&public_key, message.as_bytes(), ed25519) {
            Verification::Valid
        } else {
            Verification::Tampered(Tampering::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Ed25519KeyPair {
        key_pair(&new_key_pair().expect("pkcs8")).expect("pair")
    }

    struct World {
        org: Uuid,
        chart: Uuid,
        user: Uuid,
        server: Ed25519KeyPair,
        member: Ed25519KeyPair,
        keys: BTreeMap<String, SigningKey>,
    }

    fn world() -> World {
        let server = fresh();
        let member = fresh();
        let (org, user) = (Uuid::now_v7(), Uuid::now_v7());
        let (id, key) = attest(
            &server,
            org,
            user,
            member.public_key().as_ref(),
            "2026-12-03T10:00:00Z",
        );
        World {
            org,
            chart: Uuid::now_v7(),
            user,
            server,
            member,
            keys: BTreeMap::from([(id, key)]),
        }
    }

    fn signed(w: &World, text: &str) -> Signature {
        let mut sig = Signature {
            id: Uuid::now_v7().to_string(),
            note_id: "n1".into(),
            by: w.user.to_string(),
            at: "2026-12-03T10:05:00Z".into(),
            content_hash: content_hash(text),
            text: text.into(),
            key_id: Some(key_id(w.member.public_key().as_ref())),
            ed25519: None,
        };
        sign_note(&w.member, w.org, w.chart, &mut sig);
        sig
    }

    fn check(w: &World, sig: &Signature) -> Verification {
        Verifier {
            org: w.org,
            keys: &w.keys,
            server_key: Some(w.server.public_key().as_ref()),
            pending: &BTreeMap::new(),
        }
        .check(w.chart, sig)
    }

    #[test]
    fn a_signed_note_verifies_and_every_alteration_shows() {
        let w = world();
        let sig = signed(&w, "Restauração 16 MO em resina.");
        assert_eq!(check(&w, &sig), Verification::Valid);

        let mut text = sig.clone();
        text.text = "Extração 16.".into();
        assert_eq!(
            check(&w, &text),
            Verification::Tampered(Tampering::TextChanged)
        );
        text.content_hash = content_hash(&text.text);
        assert_eq!(
            check(&w, &text),
            Verification::Tampered(Tampering::BadSignature)
        );

        let mut when = sig.clone();
        when.at = "2026-12-01T10:05:00Z".into();
        assert_eq!(
            check(&w, &when),
            Verification::Tampered(Tampering::BadSignature)
        );

        let mut who = sig.clone();
        who.by = Uuid::now_v7().to_string();
        assert_eq!(
            check(&w, &who),
            Verification::Tampered(Tampering::OtherSigner)
        );

        // The same signature moved to another patient's chart fails.
        let elsewhere = Verifier {
            org: w.org,
            keys: &w.keys,
            server_key: Some(w.server.public_key().as_ref()),
            pending: &BTreeMap::new(),
        }
        .check(Uuid::now_v7(), &sig);
        assert_eq!(elsewhere, Verification::Tampered(Tampering::BadSignature));
    }

    #[test]
    fn a_key_the_server_did_not_attest_proves_nothing() {
        let mut w = world();
        let sig = signed(&w, "Profilaxia.");
        // A hostile member rewrites the directory entry with its own key.
        let intruder = fresh();
        let id = sig.key_id.clone().expect("present");
        w.keys.get_mut(&id).expect("present").public_key =
            hex::encode(intruder.public_key().as_ref());
        assert_eq!(
            check(&w, &sig),
            Verification::Tampered(Tampering::ForgedKey)
        );
        // Or attests it with a key of its own.
        let w = world();
        let sig = signed(&w, "Profilaxia.");
        let not_the_server = fresh();
        let v = Verifier {
            org: w.org,
            keys: &w.keys,
            server_key: Some(not_the_server.public_key().as_ref()),
            pending: &BTreeMap::new(),
        };
        assert_eq!(
            v.check(w.chart, &sig),
            Verification::Tampered(Tampering::ForgedKey)
        );
    }

    #[test]
    fn what_cannot_be_proved_is_unverifiable() {
        let w = world();
        let mut legacy = signed(&w, "Anamnese revisada.");
        legacy.key_id = None;
        legacy.ed25519 = None;
        assert_eq!(
            check(&w, &legacy),
            Verification::Unverifiable(Unproven::NoKey)
        );

        let own = fresh();
        let mut pending_sig = signed(&w, "Anamnese revisada.");
        pending_sig.key_id = Some(key_id(own.public_key().as_ref()));
        sign_note(&own, w.org, w.chart, &mut pending_sig);
        assert_eq!(
            check(&w, &pending_sig),
            Verification::Unverifiable(Unproven::UnknownKey)
        );
        let pending = BTreeMap::from([(
            pending_sig.key_id.clone().expect("present"),
            own.public_key().as_ref().to_vec(),
        )]);
        let v = Verifier {
            org: w.org,
            keys: &w.keys,
            server_key: Some(w.server.public_key().as_ref()),
            pending: &pending,
        };
        assert_eq!(
            v.check(w.chart, &pending_sig),
            Verification::Unverifiable(Unproven::KeyPending)
        );

        let sig = signed(&w, "Anamnese revisada.");
        let no_server = Verifier {
            server_key: None,
            ..v
        };
        assert_eq!(
            no_server.check(w.chart, &sig),
            Verification::Unverifiable(Unproven::NoServerKey)
        );
    }

    #[test]
    fn public_keys_are_checked_against_their_id() {
        let k = fresh();
        let pk = k.public_key().as_ref();
        assert_eq!(
            parse_public_key(&hex::encode(pk), &key_id(pk)).expect("present"),
            pk
        );
        assert!(matches!(
            parse_public_key(&hex::encode(pk), "00"),
            Err(SigningError::KeyId { .. })
        ));
        assert!(matches!(
            parse_public_key("abc", "00"),
            Err(SigningError::PublicKey(_))
        ));
    }
}
