//! Passwords as Argon2id PHC strings: the server's accounts and the
//! workstation's offline-unlock verifiers are made and checked the same way.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use ring::rand::{SecureRandom, SystemRandom};

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// Hashes a password into a PHC string (Argon2id, default parameters,
/// random 128-bit salt).
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| HashError("no randomness".into()))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?
        .to_string())
}

/// Checks a password against a PHC string; a damaged string never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() -> Result<(), HashError> {
        let phc = hash("senha correta")?;
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("senha correta", &phc));
        assert!(!verify("senha errada", &phc));
        assert!(!verify("senha correta", "not a phc string"));
        Ok(())
    }
}
