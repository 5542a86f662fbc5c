//! Patient data as people type it, checked before it reaches a document.

use chrono::NaiveDate;

use crate::cpf::{Cpf, CpfError};
use crate::documents::Sex;
use crate::phone::{Phone, PhoneError};

/// Longest name accepted; longer is a paste gone wrong.
const MAX_NAME: usize = 200;

/// Why patient data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatientError {
    #[error("the patient's name is required")]
    NameMissing,
    #[error("invalid name {0:?}: at most 200 characters, with at least one letter")]
    Name(String),
    #[error(transparent)]
    Cpf(#[from] CpfError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error("invalid birth date {0:?}: expected YYYY-MM-DD or DD/MM/YYYY, not in the future, after 1900")]
    BirthDate(String),
    #[error("invalid e-mail {0:?}")]
    Email(String),
    #[error(transparent)]
    Sex(#[from] crate::UnknownValue),
}

/// Patient fields as typed; every one optional so the same form serves
/// creation and update. An empty string clears an optional field on update.
#[derive(Debug, Clone, Default)]
pub struct PatientForm {
    pub name: Option<String>,
    pub social_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub cpf: Option<String>,
    pub email: Option<String>,
    /// Numbers to add.
    pub phones: Vec<String>,
    /// Numbers to remove (update only), in any accepted format.
    pub remove_phones: Vec<String>,
}

/// A field that an update may set, clear, or leave alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// Checked patient fields.
#[derive(Debug, Clone, Default)]
pub struct PatientFields {
    pub name: Option<String>,
    pub social_name: Change<String>,
    pub birth_date: Change<NaiveDate>,
    pub sex: Change<Sex>,
    pub cpf: Change<Cpf>,
    pub email: Change<String>,
    pub add_phones: Vec<Phone>,
    pub remove_phones: Vec<Phone>,
}

impl PatientForm {
    /// Checks every field; the first problem found is returned.
    pub fn check(&self, today: NaiveDate) -> Result<PatientFields, PatientError> {
        let name = self.name.as_deref().map(check_name).transpose()?;
        Ok(PatientFields {
            name,
            social_name: optional(&self.social_name, check_name)?,
            birth_date: optional(&self.birth_date, |s| check_birth_date(s, today))?,
            sex: optional(&self.sex, |s| s.parse::<Sex>().map_err(PatientError::from))?,
            cpf: optional(&self.cpf, |s| s.parse::<Cpf>().map_err(PatientError::from))?,
            email: optional(&self.email, check_email)?,
            add_phones: self
                .phones
                .iter()
                .map(|p| p.parse())
                .collect::<Result<_, _>>()?,
            remove_phones: self
                .remove_phones
                .iter()
                .map(|p| p.parse())
                .collect::<Result<_, _>>()?,
        })
    }
}

fn optional<T>(
    value: &Option<String>,
    check: impl Fn(&str) -> Result<T, PatientError>,
) -> Result<Change<T>, PatientError> {
    match value.as_deref().map(str::trim) {
        None => Ok(Change::Keep),
        Some("") => Ok(Change::Clear),
        Some(s) => check(s).map(Change::Set),
    }
}

fn check_name(input: &str) -> Result<String, PatientError> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(PatientError::NameMissing);
    }
    if name.chars().count() > MAX_NAME
        || !name.chars().any(char::is_alphabetic)
        || name.chars().any(char::is_control)
    {
        return Err(PatientError::Name(input.to_string()));
    }
    Ok(name)
}

fn check_birth_date(input: &str, today: NaiveDate) -> Result<NaiveDate, PatientError> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    crate::agenda::parse_date(input)
        .filter(|d| *d <= today && *d >= earliest)
        .ok_or_else(|| PatientError::BirthDate(input.to_string()))
}

fn check_email(input: &str) -> Result<String, PatientError> {
    crate::accounts::email(input).map_err(|_| PatientError::Email(input.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    #[test]
    fn a_complete_form_checks() {
        let form = PatientForm {
            name: Some("  João   da Silva ".into()),
            birth_date: Some("15/03/1980".into()),
            sex: Some("masculino".into()),
            cpf: Some("529.982.247-25".into()),
            email: Some("Joao@Example.com".into()),
            phones: vec!["(11) 98765-4321".into()],
            ..PatientForm::default()
        };
        let f = form.check(today()).expect("valid");
        assert_eq!(f.name.as_deref(), Some("João da Silva"));
        assert_eq!(f.email, Change::Set("joao@example.com".into()));
        assert_eq!(f.add_phones[0].e164(), "+5511987654321");
        assert_eq!(
            f.birth_date,
            Change::Set(NaiveDate::from_ymd_opt(1980, 3, 15).expect("date"))
        );
    }

    #[test]
    fn bad_fields_are_refused() {
        let check = |form: PatientForm| form.check(today()).expect_err("invalid");
        assert_eq!(
            check(PatientForm {
                name: Some("   ".into()),
                ..Default::default()
            }),
            PatientError::NameMissing
        );
        assert!(matches!(
            check(PatientForm {
                name: Some("123".into()),
                ..Default::default()
            }),
            PatientError::Name(_)
        ));
        assert!(matches!(
            check(PatientForm {
                cpf: Some("529.982.247-26".into()),
                ..Default::default()
            }),
            PatientError::Cpf(_)
        ));
        assert!(matches!(
            check(PatientForm {
                birth_date: Some("2030-01-01".into()),
                ..Default::default()
            }),
            PatientError::BirthDate(_)
        ));
        assert!(matches!(
            check(PatientForm {
                birth_date: Some("31/02/2000".into()),
                ..Default::default()
            }),
            PatientError::BirthDate(_)
        ));
        assert!(matches!(
            check(PatientForm {
                email: Some("joao@".into()),
                ..Default::default()
            }),
            PatientError::Email(_)
        ));
        assert!(matches!(
            check(PatientForm {
                sex: Some("x".into()),
                ..Default::default()
            }),
            PatientError::Sex(_)
        ));
        assert!(matches!(
            check(PatientForm {
                phones: vec!["12".into()],
                ..Default::default()
            }),
            PatientError::Phone(_)
        ));
    }

    #[test]
    fn empty_strings_clear_optional_fields() {
        let f = PatientForm {
            email: Some("".into()),
            cpf: Some(" ".into()),
            ..Default::default()
        }
        .check(today())
        .expect("valid");
        assert_eq!(f.email, Change::Clear);
        assert_eq!(f.cpf, Change::Clear);
        assert_eq!(f.sex, Change::Keep);
    }
}
