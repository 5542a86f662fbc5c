//! Access tokens at rest: AES-256-GCM (`ring::aead`) with a key from the
//! configuration, a random 96-bit nonce per token stored beside it, and the
//! number's `phone_number_id` as associated data, so that a ciphertext moved
//! to another number's row does not decrypt.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the token key must be 32 bytes written as 64 hex digits")]
    BadKey,
    #[error("no random numbers available")]
    Random,
    #[error("the token could not be encrypted")]
    Seal,
    #[error("the stored token does not decrypt with this key")]
    Open,
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

/// The key that seals access tokens.
pub struct TokenKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(…)")
    }
}

impl TokenKey {
    /// From 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<TokenKey, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(TokenKey {
            key: LessSafeKey::new(key),
            rng: SystemRandom::new(),
        })
    }

    pub fn seal(&self, phone_number_id: &str, token: &str) -> Result<Sealed, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut in_out = token.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(phone_number_id.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Seal)?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext: in_out,
        })
    }

    pub fn open(&self, phone_number_id: &str, sealed: &Sealed) -> Result<String, CryptoError> {
        let nonce =
            Nonce::try_assume_unique_for_key(&sealed.nonce).map_err(|_| CryptoError::Open)?;
        let mut in_out = sealed.ciphertext.clone();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(phone_number_id.as_bytes()), &mut in_out)
            .map_err(|_| CryptoError::Open)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn tokens_round_trip_with_a_fresh_nonce_each_time() {
        let key = TokenKey::from_hex(KEY).expect("key");
        let a = key.seal("106540352242922", "EAAG-token").expect("seal");
        let b = key.seal("106540352242922", "EAAG-token").expect("seal");
        assert_eq!(a.nonce.len(), 12);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert!(!a.ciphertext.windows(4).any(|w| w == b"EAAG"));
        assert_eq!(key.open("106540352242922", &a).as_deref(), Ok("EAAG-token"));
        // Bound to its number, and to its key.
        assert_eq!(key.open("999", &a), Err(CryptoError::Open));
        let other = TokenKey::from_hex(&KEY.replace("1f", "ff")).expect("key");
        assert_eq!(other.open("106540352242922", &a), Err(CryptoError::Open));
    }

    #[test]
    fn keys_must_be_32_bytes_of_hex() {
        assert!(TokenKey::from_hex("abcd").is_err());
        assert!(TokenKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
