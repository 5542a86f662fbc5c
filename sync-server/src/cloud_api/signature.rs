//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw request body with the Meta
//! app's secret, checked in constant time before anything parses the body.
//!
//! Meta computes the signature over an *escaped-unicode* form of the payload:
//! every non-ASCII character written as `\uXXXX` (lowercase hex, UTF-16
//! surrogate pairs above U+FFFF), while the body it sends carries the
//! characters as UTF-8. So a body with non-ASCII characters is accepted when
//! the signature matches either the bytes as received or that escaped form.

use ring::hmac;

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hex digits>")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The app secret as an HMAC key.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: hmac::Key,
}

impl Verifier {
    pub fn new(app_secret: &[u8]) -> Verifier {
        Verifier {
            key: hmac::Key::new(hmac::HMAC_SHA256, app_secret),
        }
    }

    /// Checks `header` (the `X-Hub-Signature-256` value) against `body`.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let hex_part = header
            .strip_prefix(b"sha256=")
            .ok_or(SignatureError::Malformed)?;
        let tag = hex::decode(hex_part.trim_ascii()).map_err(|_| SignatureError::Malformed)?;
        if tag.len() != 32 {
            return Err(SignatureError::Malformed);
        }
        if hmac::verify(&self.key, body, &tag).is_ok() {
            return Ok(());
        }
        if !body.is_ascii() {
            if let Some(escaped) = escape_unicode(body) {
                if hmac::verify(&self.key, &escaped, &tag).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(SignatureError::Mismatch)
    }

    /// `sha256=<hex>` of `body`: what Meta sends (for tests and the load
    /// generator).
    pub fn sign(&self, body: &[u8]) -> String {
        format!(
            "sha256={}",
            hex::encode(hmac::sign(&self.key, body).as_ref())
        )
    }
}

/// The body with every non-ASCII character written `\uXXXX` (lowercase
/// hex, surrogate pairs above the BMP); `None` if it is not UTF-8.
pub fn escape_unicode(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut out = Vec::with_capacity(body.len() + body.len() / 2);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_sig(secret: &[u8], body: &[u8]) -> Vec<u8> {
        Verifier::new(secret).sign(body).into_bytes()
    }

    #[test]
    fn a_signature_over_the_raw_bytes_is_accepted() {
        let v = Verifier::new(b"app-secret");
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        assert_eq!(v.verify(Some(&hex_sig(b"app-secret", body)), body), Ok(()));
        // Uppercase hex digits are hex too.
        let upper = String::from_utf8(hex_sig(b"app-secret", body))
            .unwrap_or_default()
            .replacen("sha256=", "", 1)
            .to_uppercase();
        assert_eq!(
            v.verify(Some(format!("sha256={upper}").as_bytes()), body),
            Ok(())
        );
    }

    #[test]
    fn wrong_missing_or_malformed_signatures_are_refused() {
        let v = Verifier::new(b"app-secret");
        let body = br#"{"entry":[]}"#;
        assert_eq!(
            v.verify(Some(&hex_sig(b"another secret", body)), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(v.verify(None, body), Err(SignatureError::Missing));
        assert_eq!(
            v.verify(Some(b"sha1=abcdef"), body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some(b"sha256=zz"), body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some(b"sha256=abcd"), body),
            Err(SignatureError::Malformed)
        );
        // A body changed by one byte.
        let sig = hex_sig(b"app-secret", body);
        assert_eq!(
            v.verify(Some(&sig), br#"{"entry":[1]}"#),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn meta_escaped_unicode_form_of_a_non_ascii_body_is_accepted() {
        let v = Verifier::new(b"app-secret");
        let body = "{\"text\":{\"body\":\"Olá, não posso às 15h 😬\"}}".as_bytes();
        let escaped = escape_unicode(body).unwrap_or_default();
        assert_eq!(
            escaped,
            br#"{"text":{"body":"Ol\u00e1, n\u00e3o posso \u00e0s 15h \ud83d\ude2c"}}"#.to_vec()
        );
        // Meta's way: sign the escaped form, send the UTF-8 one.
        assert_eq!(
            v.verify(Some(&hex_sig(b"app-secret", &escaped)), body),
            Ok(())
        );
        // Signed as received works too.
        assert_eq!(v.verify(Some(&hex_sig(b"app-secret", body)), body), Ok(()));
        // The escaped form signed with another secret does not.
        assert_eq!(
            v.verify(Some(&hex_sig(b"other", &escaped)), body),
            Err(SignatureError::Mismatch)
        );
        // Invalid UTF-8 has no escaped form.
        assert_eq!(escape_unicode(&[b'"', 0xff, b'"']), None);
    }
}
