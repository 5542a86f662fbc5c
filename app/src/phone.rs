//! Phone numbers, normalised to E.164 (`+5511987654321`).
//!
//! Brazilian numbers are typed in many shapes: `(11) 98765-4321`,
//! `011 98765 4321`, `+55 11 8765-4321` (a mobile written before the ninth
//! digit). All of them become one canonical string, so that WhatsApp
//! messages, searches and duplicates line up.

use std::fmt;
use std::str::FromStr;

/// Area codes (DDD) in use in Brazil, per Anatel.
const DDDS: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// Why a phone number was refused; each names the number as typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("invalid phone {0:?}: only digits, spaces, parentheses, dots, hyphens and a leading + are allowed")]
    Characters(String),
    #[error("invalid phone {0:?}: expected DDD plus 8 or 9 digits, e.g. (11) 98765-4321")]
    Length(String),
    #[error("invalid phone {number:?}: {ddd} is not a Brazilian area code (DDD)")]
    AreaCode { number: String, ddd: String },
    #[error("invalid phone {0:?}: a 9-digit mobile number starts with 9")]
    Mobile(String),
    #[error("invalid phone {0:?}: an international number has 8 to 15 digits after the +")]
    International(String),
}

/// A phone number in E.164 form, always starting with `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// The E.164 string, e.g. `+5511987654321`.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`, used for suffix search.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// Whether it is a Brazilian mobile (WhatsApp-capable in practice).
    pub fn is_brazilian_mobile(&self) -> bool {
        self.0.starts_with("+55") && self.0.len() == 14 && self.0.as_bytes()[5] == b'9'
    }

    /// Human form: `+55 11 98765-4321`; foreign numbers stay in E.164.
    pub fn display(&self) -> String {
        let d = self.digits();
        if let Some(national) = d.strip_prefix("55") {
            let (ddd, number) = national.split_at(2);
            let cut = number.len() - 4;
            format!("+55 {ddd} {}-{}", &number[..cut], &number[cut..])
        } else {
            self.0.clone()
        }
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let typed = input.trim().to_string();
        let international = typed.starts_with('+');
        let body = if international {
            &typed[1..]
        } else {
            &typed[..]
        };
        if body.is_empty()
            || body
                .chars()
                .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '.')))
        {
            return Err(PhoneError::Characters(typed));
        }
        let mut digits: String = body.chars().filter(char::is_ascii_digit).collect();
        if international {
            match digits.strip_prefix("55") {
                Some(national) => digits = national.to_string(),
                None if (8..=15).contains(&digits.len()) => return Ok(Phone(format!("+{digits}"))),
                None => return Err(PhoneError::International(typed)),
            }
        } else {
            // Trunk prefix 0 ("011 ..."), and a country code typed without the +.
            if digits.len() > 11 && digits.starts_with("55") {
                digits = digits[2..].to_string();
            }
            if digits.starts_with('0') {
                digits = digits[1..].to_string();
            }
        }
        if !(10..=11).contains(&digits.len()) {
            return Err(PhoneError::Length(typed));
        }
        let (ddd, number) = digits.split_at(2);
        let ddd_value: u8 = ddd.parse().map_err(|_| PhoneError::Length(typed.clone()))?;
        if !DDDS.contains(&ddd_value) {
            return Err(PhoneError::AreaCode {
                number: typed,
                ddd: ddd.to_string(),
            });
        }
        let number = match (number.len(), number.as_bytes()[0]) {
            (9, b'9') => number.to_string(),
            (9, _) => return Err(PhoneError::Mobile(typed)),
            // An 8-digit number starting with 6–9 is a mobile written before
            // the ninth digit was added: add it.
            (8, b'6'..=b'9') => format!("9{number}"),
            (8, b'2'..=b'5') => number.to_string(),
            _ => return Err(PhoneError::Length(typed)),
        };
        Ok(Phone(format!("+55{ddd}{number}")))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> String {
        s.parse::<Phone>()
            .map(|p| p.e164().to_string())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn normalises_common_brazilian_shapes() {
        for typed in [
            "(11) 98765-4321",
            "11987654321",
            "11 98765 4321",
            "011 98765-4321",
            "+55 11 98765-4321",
            "+5511987654321",
            "5511987654321",
            "(11) 8765-4321",
        ] {
            assert_eq!(e164(typed), "+5511987654321", "{typed}");
        }
        assert_eq!(e164("(11) 3456-7890"), "+551134567890");
        assert_eq!(e164("+1 415 555 0100"), "+14155550100");
    }

    #[test]
    fn rejects_bad_numbers_with_the_number_in_the_message() {
        let err = "(10) 98765-4321".parse::<Phone>().expect_err("no DDD 10");
        assert!(err.to_string().contains("(10) 98765-4321"), "{err}");
        assert!(matches!(err, PhoneError::AreaCode { .. }));
        assert!(matches!("123".parse::<Phone>(), Err(PhoneError::Length(_))));
        assert!(matches!(
            "(11) 88765-4321".parse::<Phone>(),
            Err(PhoneError::Mobile(_))
        ));
        assert!(matches!(
            "11 9876x4321".parse::<Phone>(),
            Err(PhoneError::Characters(_))
        ));
        assert!(matches!(
            "".parse::<Phone>(),
            Err(PhoneError::Characters(_))
        ));
        assert!(matches!(
            "+12".parse::<Phone>(),
            Err(PhoneError::International(_))
        ));
        assert!(matches!(
            "(11) 1234-5678".parse::<Phone>(),
            Err(PhoneError::Length(_))
        ));
    }

    #[test]
    fn displays_and_classifies() {
        let p: Phone = "11987654321".parse().expect("valid");
        assert_eq!(p.display(), "+55 11 98765-4321");
        assert!(p.is_brazilian_mobile());
        let land: Phone = "1134567890".parse().expect("valid");
        assert_eq!(land.display(), "+55 11 3456-7890");
        assert!(!land.is_brazilian_mobile());
    }
}
