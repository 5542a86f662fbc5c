//! CPF (Cadastro de Pessoas Físicas), the Brazilian taxpayer number that
//! identifies a patient: 9 digits plus two módulo-11 check digits.

use std::fmt;
use std::str::FromStr;

/// Why a CPF was refused. Every variant names the CPF as typed, so a person
/// can see which of several fields was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpfError {
    #[error("invalid CPF {0:?}: it must have 11 digits")]
    Length(String),
    #[error("invalid CPF {0:?}: only digits, dots, a hyphen and spaces are allowed")]
    Characters(String),
    #[error("invalid CPF {0:?}: a CPF with all digits equal is never issued")]
    RepeatedDigits(String),
    #[error("invalid CPF {0:?}: the check digits do not match")]
    CheckDigits(String),
}

/// A CPF whose check digits are right. Holds the 11 digits, no punctuation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpf(String);

impl Cpf {
    /// The 11 digits, e.g. `52998224725`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The usual printed form, e.g. `529.982.247-25`.
    pub fn formatted(&self) -> String {
        let d = &self.0;
        format!("{}.{}.{}-{}", &d[0..3], &d[3..6], &d[6..9], &d[9..11])
    }

    /// The printed form with the middle digits hidden, for lists and logs.
    pub fn masked(&self) -> String {
        let d = &self.0;
        format!("{}.***.***-{}", &d[0..3], &d[9..11])
    }
}

/// Módulo-11 check digit over `digits`, weighted from `digits.len() + 1` down to 2.
fn check_digit(digits: &[u32]) -> u32 {
    let top = digits.len() as u32 + 1;
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * (top - i as u32))
        .sum();
    match (sum * 10) % 11 {
        10 => 0,
        r => r,
    }
}

impl Cpf {
    /// Completes a 9-digit base with its two check digits. `None` when a
    /// digit is over 9 or the result would be a repeated-digit number.
    pub fn from_base(base: [u32; 9]) -> Option<Cpf> {
        if base.iter().any(|d| *d > 9) {
            return None;
        }
        let mut digits = base.to_vec();
        digits.push(check_digit(&digits));
        digits.push(check_digit(&digits));
        let text: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        text.parse().ok()
    }
}

impl FromStr for Cpf {
    type Err = CpfError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let typed = input.trim();
        if typed
            .chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, '.' | '-' | ' ')))
        {
            return Err(CpfError::Characters(typed.to_string()));
        }
        let digits: Vec<u32> = typed.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 11 {
            return Err(CpfError::Length(typed.to_string()));
        }
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(CpfError::RepeatedDigits(typed.to_string()));
        }
        if check_digit(&digits[..9]) != digits[9] || check_digit(&digits[..10]) != digits[10] {
            return Err(CpfError::CheckDigits(typed.to_string()));
        }
        Ok(Cpf(digits
            .iter()
            .map(|d| char::from(b'0' + *d as u8))
            .collect()))
    }
}

impl fmt::Display for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_valid_cpf_with_or_without_punctuation() {
        for s in [
            "529.982.247-25",
            "52998224725",
            " 529 982 247 25 ",
            "111.444.777-35",
        ] {
            let cpf: Cpf = s.parse().expect(s);
            assert_eq!(cpf.digits().len(), 11);
        }
        let cpf: Cpf = "52998224725".parse().expect("valid");
        assert_eq!(cpf.formatted(), "529.982.247-25");
        assert_eq!(cpf.masked(), "529.***.***-25");
    }

    #[test]
    fn rejects_wrong_check_digits_naming_the_cpf() {
        let err = "529.982.247-26".parse::<Cpf>().expect_err("wrong digit");
        assert_eq!(err, CpfError::CheckDigits("529.982.247-26".into()));
        assert!(err.to_string().contains("529.982.247-26"));
        assert!("529.982.247-15".parse::<Cpf>().is_err());
    }

    #[test]
    fn rejects_every_repeated_digit_number() {
        for d in 0..=9u8 {
            let s: String = std::iter::repeat_n(char::from(b'0' + d), 11).collect();
            assert!(
                matches!(s.parse::<Cpf>(), Err(CpfError::RepeatedDigits(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn rejects_bad_lengths_and_characters() {
        assert!(matches!(
            "5299822472".parse::<Cpf>(),
            Err(CpfError::Length(_))
        ));
        assert!(matches!(
            "529982247255".parse::<Cpf>(),
            Err(CpfError::Length(_))
        ));
        assert!(matches!("".parse::<Cpf>(), Err(CpfError::Length(_))));
        assert!(matches!(
            "529.982.247/25".parse::<Cpf>(),
            Err(CpfError::Characters(_))
        ));
        assert!(matches!("abc".parse::<Cpf>(), Err(CpfError::Characters(_))));
    }

    proptest! {
        /// Any 9-digit base completed with its computed check digits is
        /// accepted, and changing either check digit makes it invalid.
        #[test]
        fn computed_check_digits_round_trip(base in proptest::array::uniform9(0u32..10)) {
            prop_assume!(!base.iter().all(|d| *d == base[0]));
            let cpf = Cpf::from_base(base).expect("completed");
            prop_assert!(cpf.digits().parse::<Cpf>().is_ok());
            let mut wrong: Vec<u8> = cpf.digits().bytes().collect();
            wrong[10] = b'0' + (wrong[10] - b'0' + 1) % 10;
            let w = String::from_utf8(wrong).expect("ascii");
            prop_assert!(w.parse::<Cpf>().is_err());
        }
    }
}
