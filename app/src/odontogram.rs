//! The odontogram's vocabulary: FDI tooth codes (ISO 3950), surfaces,
//! regions, the per-tooth baseline and the status of a charted entry.
//!
//! Only values that exist in a mouth get past this module: tooth 19, an
//! incisal face on a molar or a palatal face on a lower tooth are refused.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Why a tooth, surface or region was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToothError {
    #[error("invalid tooth {0:?}: FDI codes are 11–18, 21–28, 31–38, 41–48 (permanent) and 51–55, 61–65, 71–75, 81–85 (deciduous)")]
    Code(String),
    #[error("invalid surface {0:?}: use M, D, O, I, V, L or P")]
    Surface(String),
    #[error("surface {surface} does not exist on tooth {tooth}: {hint}")]
    SurfaceOnTooth {
        tooth: Tooth,
        surface: Surface,
        hint: &'static str,
    },
    #[error("invalid region {0:?}: use a tooth code, upper/lower arch, Q1–Q8 or S1–S6")]
    Region(String),
}

/// A tooth in FDI two-digit notation: quadrant then position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tooth(u8);

impl Tooth {
    /// Validates an FDI code given as a number.
    pub fn new(code: u8) -> Result<Tooth, ToothError> {
        let (quadrant, position) = (code / 10, code % 10);
        let valid = match quadrant {
            1..=4 => (1..=8).contains(&position),
            5..=8 => (1..=5).contains(&position),
            _ => false,
        };
        if valid {
            Ok(Tooth(code))
        } else {
            Err(ToothError::Code(code.to_string()))
        }
    }

    /// The two-digit code.
    pub fn code(self) -> u8 {
        self.0
    }

    /// Quadrant 1–4 (permanent) or 5–8 (deciduous).
    pub fn quadrant(self) -> u8 {
        self.0 / 10
    }

    /// Position from the midline, 1 (central incisor) onwards.
    pub fn position(self) -> u8 {
        self.0 % 10
    }

    pub fn is_deciduous(self) -> bool {
        self.quadrant() >= 5
    }

    /// Upper arch: quadrants 1, 2 (permanent) and 5, 6 (deciduous).
    pub fn is_upper(self) -> bool {
        matches!(self.quadrant(), 1 | 2 | 5 | 6)
    }

    /// Incisors and canines: the teeth with an incisal edge, not an occlusal face.
    pub fn is_anterior(self) -> bool {
        self.position() <= 3
    }

    /// All 52 FDI teeth, permanent first, in quadrant order.
    pub fn all() -> impl Iterator<Item = Tooth> {
        (11u8..=85).filter_map(|c| Tooth::new(c).ok())
    }

    /// Checks that `surface` exists on this tooth.
    pub fn check_surface(self, surface: Surface) -> Result<(), ToothError> {
        let hint = match surface {
            Surface::Occlusal if self.is_anterior() => "anterior teeth have an incisal edge (I)",
            Surface::Incisal if !self.is_anterior() => "posterior teeth have an occlusal face (O)",
            Surface::Palatal if !self.is_upper() => "lower teeth have a lingual face (L)",
            Surface::Lingual if self.is_upper() => "upper teeth have a palatal face (P)",
            _ => return Ok(()),
        };
        Err(ToothError::SurfaceOnTooth {
            tooth: self,
            surface,
            hint,
        })
    }
}

impl FromStr for Tooth {
    type Err = ToothError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.len() != 2 {
            return Err(ToothError::Code(t.to_string()));
        }
        let code: u8 = t.parse().map_err(|_| ToothError::Code(t.to_string()))?;
        Tooth::new(code).map_err(|_| ToothError::Code(t.to_string()))
    }
}

impl fmt::Display for Tooth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

string_enum! {
    /// A tooth face. Which ones a tooth has depends on the tooth: see
    /// [`Tooth::check_surface`].
    pub enum Surface ("surface") {
        Mesial => "M",
        Distal => "D",
        Occlusal => "O",
        Incisal => "I",
        Vestibular => "V",
        Lingual => "L",
        Palatal => "P",
    }
}

impl Surface {
    fn from_letter(c: char) -> Option<Surface> {
        Some(match c.to_ascii_uppercase() {
            'M' => Surface::Mesial,
            'D' => Surface::Distal,
            'O' => Surface::Occlusal,
            'I' => Surface::Incisal,
            'V' | 'B' => Surface::Vestibular,
            'L' => Surface::Lingual,
            'P' => Surface::Palatal,
            _ => return None,
        })
    }
}

/// Parses a surface string like `"MOD"` or `"M,O,D"` for `tooth`, checking
/// each face exists on it. Duplicates collapse.
pub fn parse_surfaces(tooth: Tooth, input: &str) -> Result<BTreeSet<Surface>, ToothError> {
    let mut out = BTreeSet::new();
    for c in input.chars().filter(|c| !matches!(c, ',' | ' ' | '-')) {
        let surface = Surface::from_letter(c).ok_or_else(|| ToothError::Surface(c.to_string()))?;
        tooth.check_surface(surface)?;
        out.insert(surface);
    }
    Ok(out)
}

/// Where a charted entry applies: one tooth, or a region of the mouth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    Tooth(Tooth),
    UpperArch,
    LowerArch,
    /// Quadrant 1–8 (5–8 deciduous).
    Quadrant(u8),
    /// Sextant 1–6.
    Sextant(u8),
    WholeMouth,
}

impl FromStr for Region {
    type Err = ToothError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let lower = t.to_lowercase();
        let bad = || ToothError::Region(t.to_string());
        let number = |rest: &str, range: std::ops::RangeInclusive<u8>| {
            rest.parse::<u8>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(bad)
        };
        match lower.as_str() {
            "upper" | "superior" | "arcada-superior" => Ok(Region::UpperArch),
            "lower" | "inferior" | "arcada-inferior" => Ok(Region::LowerArch),
            "mouth" | "boca" => Ok(Region::WholeMouth),
            _ if lower.starts_with('q') => Ok(Region::Quadrant(number(&lower[1..], 1..=8)?)),
            _ if lower.starts_with('s') => Ok(Region::Sextant(number(&lower[1..], 1..=6)?)),
            _ => t.parse::<Tooth>().map(Region::Tooth),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Region::Tooth(t) => write!(f, "{t}"),
            Region::UpperArch => f.write_str("upper"),
            Region::LowerArch => f.write_str("lower"),
            Region::Quadrant(q) => write!(f, "Q{q}"),
            Region::Sextant(s) => write!(f, "S{s}"),
            Region::WholeMouth => f.write_str("mouth"),
        }
    }
}

string_enum! {
    /// What is in the mouth at a tooth's position before any treatment.
    pub enum Baseline ("tooth baseline") {
        Present => "presente",
        Absent => "ausente",
        Deciduous => "deciduo",
        Implant => "implante",
        Supernumerary => "supranumerario",
    }
}

string_enum! {
    /// The life of a charted entry. `Realizado` locks it; `Invalidado`
    /// replaces deletion, which the records law does not allow.
    pub enum EntryStatus ("odontogram entry status") {
        Condicao => "condicao",
        Planejado => "planejado",
        Aprovado => "aprovado",
        Realizado => "realizado",
        Existente => "existente",
        ExistenteOutroProfissional => "existente-outro",
        Invalidado => "invalidado",
    }
}

impl EntryStatus {
    /// Red in the Brazilian default legend: still to be done.
    pub fn is_to_do(self) -> bool {
        matches!(
            self,
            EntryStatus::Condicao | EntryStatus::Planejado | EntryStatus::Aprovado
        )
    }

    /// A locked entry can only be invalidated, never edited.
    pub fn is_locked(self) -> bool {
        matches!(self, EntryStatus::Realizado | EntryStatus::Invalidado)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_the_52_fdi_teeth() {
        let all: Vec<u8> = Tooth::all().map(Tooth::code).collect();
        assert_eq!(all.len(), 32 + 20);
        for bad in [
            0u8, 10, 19, 20, 29, 30, 39, 49, 50, 56, 66, 76, 86, 90, 91, 99,
        ] {
            assert!(Tooth::new(bad).is_err(), "{bad}");
        }
        assert!("18".parse::<Tooth>().is_ok());
        assert!("85".parse::<Tooth>().is_ok());
        for bad in ["8", "118", "1a", "", "56"] {
            let err = bad.parse::<Tooth>().expect_err(bad);
            assert!(err.to_string().contains(&format!("{bad:?}")));
        }
    }

    #[test]
    fn surfaces_follow_the_tooth() {
        let molar: Tooth = "36".parse().expect("tooth");
        let incisor: Tooth = "11".parse().expect("tooth");
        let upper_molar: Tooth = "26".parse().expect("tooth");
        assert_eq!(parse_surfaces(molar, "MOD").expect("MOD").len(), 3);
        assert_eq!(parse_surfaces(molar, "m,o,d,o").expect("dupes").len(), 3);
        assert!(parse_surfaces(molar, "I").is_err());
        assert!(parse_surfaces(molar, "P").is_err());
        assert!(parse_surfaces(incisor, "O").is_err());
        assert!(parse_surfaces(incisor, "MIP").is_ok());
        assert!(parse_surfaces(upper_molar, "L").is_err());
        assert!(matches!(
            parse_surfaces(molar, "X"),
            Err(ToothError::Surface(_))
        ));
        let deciduous: Tooth = "55".parse().expect("tooth");
        assert!(deciduous.is_deciduous() && deciduous.is_upper() && !deciduous.is_anterior());
    }

    #[test]
    fn regions_parse() {
        assert_eq!("Q2".parse::<Region>(), Ok(Region::Quadrant(2)));
        assert_eq!("s6".parse::<Region>(), Ok(Region::Sextant(6)));
        assert_eq!("superior".parse::<Region>(), Ok(Region::UpperArch));
        assert!("q9".parse::<Region>().is_err());
        assert!("s0".parse::<Region>().is_err());
        assert!(matches!("46".parse::<Region>(), Ok(Region::Tooth(_))));
        assert!("19".parse::<Region>().is_err());
    }

    #[test]
    fn surfaces_round_trip_through_a_document() {
        use automerge::transaction::Transactable;
        let mut doc = automerge::AutoCommit::new();
        let surfaces = vec![Surface::Mesial, Surface::Occlusal, Surface::Palatal];
        autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, "s", &surfaces).expect("reconcile");
        let back: Vec<Surface> =
            autosurgeon::hydrate_prop(&doc, automerge::ROOT, "s").expect("hydrate");
        assert_eq!(back, surfaces);
        doc.put(automerge::ROOT, "bad", "X").expect("put");
        assert!(
            autosurgeon::hydrate_prop::<_, Surface, _, _>(&doc, automerge::ROOT, "bad").is_err()
        );
        assert_eq!("m".parse::<Surface>(), Ok(Surface::Mesial));
    }

    #[test]
    fn statuses_parse_from_slugs() {
        assert_eq!(
            "realizado".parse::<EntryStatus>(),
            Ok(EntryStatus::Realizado)
        );
        assert_eq!(
            "Existente Outro".parse::<EntryStatus>(),
            Ok(EntryStatus::ExistenteOutroProfissional)
        );
        assert!(EntryStatus::Realizado.is_locked() && !EntryStatus::Planejado.is_locked());
        assert!("feito".parse::<EntryStatus>().is_err());
    }
}
