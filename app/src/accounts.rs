//! Rules for accounts and organisations that the server, its command line
//! and the workstation all apply: an e-mail address as a login (and as a
//! patient's contact), a password's length, an organisation's name.

/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Shortest password, in characters.
pub const MIN_PASSWORD: usize = 8;
/// Longest password, in bytes (Argon2 hashes any length; this bounds the
/// work a request may ask for).
pub const MAX_PASSWORD: usize = 1024;
/// Longest organisation name, in characters.
pub const MAX_ORG_NAME: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("invalid e-mail {0:?}")]
    Email(String),
    #[error("a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")]
    Password,
    #[error("invalid organisation name {0:?}: 1 to {MAX_ORG_NAME} characters")]
    OrgName(String),
}

/// An e-mail address as stored: trimmed and lower-cased. One `@`, a
/// non-empty local part, a dotted domain that neither starts nor ends with
/// a dot, no spaces or control characters, at most [`MAX_EMAIL`] bytes.
pub fn email(input: &str) -> Result<String, AccountError> {
    let e = input.trim().to_lowercase();
    let ok = e.len() <= MAX_EMAIL
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if ok {
        Ok(e)
    } else {
        Err(AccountError::Email(input.to_string()))
    }
}

/// A new password: [`MIN_PASSWORD`] characters to [`MAX_PASSWORD`] bytes.
pub fn new_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD || password.len() > MAX_PASSWORD {
        return Err(AccountError::Password);
    }
    Ok(())
}

/// An organisation's name as stored: runs of white space made one space;
/// 1 to [`MAX_ORG_NAME`] characters.
pub fn org_name(input: &str) -> Result<String, AccountError> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_ORG_NAME {
        return Err(AccountError::OrgName(input.to_string()));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            email(" Ana@Clinica.com.br ").as_deref(),
            Ok("ana@clinica.com.br")
        );
        for bad in [
            "",
            "ana",
            "@clinica.com",
            "ana@clinica",
            "ana@.clinica.com",
            "ana@clinica.com.",
            "ana@cli@nica.com",
            "a na@clinica.com",
            "ana@clinica\u{7}.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@clinica.com", "a".repeat(MAX_EMAIL));
        assert!(email(&long).is_err());
    }

    #[test]
    fn passwords_have_eight_characters_to_a_kibibyte() {
        assert!(new_password("1234567").is_err());
        assert!(new_password("12345678").is_ok());
        assert!(new_password("çççççççç").is_ok(), "characters, not bytes");
        assert!(new_password(&"a".repeat(MAX_PASSWORD + 1)).is_err());
    }

    #[test]
    fn organisation_names_are_tidied_and_bounded() {
        assert_eq!(
            org_name("  Clínica   Sorriso ").as_deref(),
            Ok("Clínica Sorriso")
        );
        assert!(org_name("   ").is_err());
        assert!(org_name(&"a".repeat(MAX_ORG_NAME + 1)).is_err());
    }
}
