//! An organisation's WhatsApp numbers as the admin CLI and the HTTP admin
//! API take them: each field checked the same way, the access token sealed
//! before it goes anywhere near storage.

use uuid::Uuid;

use crate::cloud_api::crypto::{Sealed, TokenKey};
use crate::storage::whatsapp::NewNumber;

/// Why a number was refused; `field` names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct NumberError {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> NumberError {
    NumberError {
        field,
        reason: reason.into(),
    }
}

/// Meta's ids (phone_number_id, WABA id): 1 to 32 digits.
pub fn meta_id(field: &'static str, value: &str) -> Result<String, NumberError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(field, format!("1 to 32 digits, not {v:?}")));
    }
    Ok(v.to_string())
}

/// How the number is shown to people: 1 to 40 characters.
pub fn display_number(value: &str) -> Result<String, NumberError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 40 {
        return Err(invalid("display_phone_number", "1 to 40 characters"));
    }
    Ok(v.to_string())
}

/// The access token, sealed for `phone_number_id` (its associated data).
pub fn seal_token(
    key: &TokenKey,
    phone_number_id: &str,
    token: &str,
) -> Result<Sealed, NumberError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(invalid("access_token", "the access token is empty"));
    }
    if token.len() > 4096 || token.chars().any(char::is_whitespace) {
        return Err(invalid(
            "access_token",
            "at most 4,096 characters, without spaces",
        ));
    }
    key.seal(phone_number_id, token)
        .map_err(|e| invalid("access_token", e.to_string()))
}

/// A number to add, checked and with its token sealed.
pub fn new_number(
    key: &TokenKey,
    org: Uuid,
    phone_number_id: &str,
    display_phone_number: &str,
    waba_id: &str,
    access_token: &str,
) -> Result<NewNumber, NumberError> {
    let phone_number_id = meta_id("phone_number_id", phone_number_id)?;
    let waba_id = meta_id("waba_id", waba_id)?;
    let display_phone_number = display_number(display_phone_number)?;
    let sealed = seal_token(key, &phone_number_id, access_token)?;
    Ok(NewNumber {
        org,
        phone_number_id,
        display_phone_number,
        waba_id,
        token_nonce: sealed.nonce,
        token_ciphertext: sealed.ciphertext,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_before_anything_is_sealed() {
        let key = TokenKey::from_hex(&"ab".repeat(32)).expect("key");
        let org = Uuid::now_v7();
        let ok = new_number(
            &key,
            org,
            " 106540352242922 ",
            "+55 11 3333-4444",
            "102290129340398",
            "EAAG",
        )
        .expect("valid");
        assert_eq!(ok.phone_number_id, "106540352242922");
        let field = |r: Result<NewNumber, NumberError>| r.expect_err("refused").field;
        assert_eq!(
            field(new_number(&key, org, "12a", "x", "1", "t")),
            "phone_number_id"
        );
        assert_eq!(field(new_number(&key, org, "1", "x", "", "t")), "waba_id");
        assert_eq!(
            field(new_number(&key, org, "1", " ", "1", "t")),
            "display_phone_number"
        );
        assert_eq!(
            field(new_number(&key, org, "1", "x", "1", " ")),
            "access_token"
        );
        assert_eq!(
            field(new_number(&key, org, "1", "x", "1", "a b")),
            "access_token"
        );
    }
}
