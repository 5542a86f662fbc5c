//! The procedure catalogue a new organisation's directory starts with; the
//! rules for editing it live in [`crate::chart`].

use super::{AppliesTo, Drawing, Procedure, ToothType};

/// One line of the default catalogue: code, name, fee in reais, TUSS code,
/// target, tooth types, a condition rather than a procedure, drawing.
type DefaultLine = (
    &'static str,
    &'static str,
    i64,
    Option<&'static str>,
    AppliesTo,
    &'static [ToothType],
    bool,
    Drawing,
);

/// What a Brazilian general practice charts every day. Fees are placeholders
/// the clinic edits; TUSS codes are given only where an operator's table
/// confirms them.
#[rustfmt::skip]
const DEFAULT_CATALOGUE: &[DefaultLine] = {
    use AppliesTo::{Region as R, Surface as S, Tooth as T};
    use ToothType::{Anterior as ANT, Deciduous as DEC, Permanent as PERM, Posterior as POST};
    &[
    // Findings.
    ("carie", "Cárie", 0, None, S, &[], true, Drawing::Surface),
    ("fratura", "Fratura", 0, None, T, &[], true, Drawing::Mark),
    ("restauracao-insatisfatoria", "Restauração insatisfatória", 0, None, S, &[], true, Drawing::Surface),
    ("lesao-periapical", "Lesão periapical", 0, None, T, &[], true, Drawing::Endo),
    ("resto-radicular", "Resto radicular", 0, None, T, &[], true, Drawing::Extraction),
    ("mobilidade", "Mobilidade", 0, None, T, &[], true, Drawing::Mark),
    // Diagnosis and prevention.
    ("consulta-inicial", "Consulta odontológica inicial", 150, Some("81000065"), R, &[], false, Drawing::Region),
    ("consulta", "Consulta odontológica", 120, Some("81000030"), R, &[], false, Drawing::Region),
    ("profilaxia", "Profilaxia e polimento", 150, None, R, &[], false, Drawing::Region),
    ("fluor", "Aplicação tópica de flúor", 80, None, R, &[], false, Drawing::Region),
    ("selante", "Selante de fóssulas e fissuras", 120, None, T, &[POST], false, Drawing::Sealant),
    // Restorations.
    ("restauracao-resina", "Restauração em resina", 250, None, S, &[], false, Drawing::Surface),
    ("restauracao-amalgama", "Restauração em amálgama", 180, None, S, &[POST], false, Drawing::Surface),
    ("restauracao-ionomero", "Restauração em ionômero de vidro", 150, None, S, &[], false, Drawing::Surface),
    ("colagem-fragmento", "Colagem de fragmento dentário", 200, Some("85100048"), T, &[], false, Drawing::Mark),
    // Endodontics.
    ("endo-uni", "Tratamento endodôntico unirradicular", 700, None, T, &[PERM], false, Drawing::Endo),
    ("endo-bi", "Tratamento endodôntico birradicular", 900, None, T, &[PERM], false, Drawing::Endo),
    ("endo-multi", "Tratamento endodôntico multirradicular", 1200, None, T, &[PERM], false, Drawing::Endo),
    ("pulpotomia", "Pulpotomia", 300, None, T, &[], false, Drawing::Endo),
    // Periodontics.
    ("raspagem", "Raspagem supragengival", 200, None, R, &[], false, Drawing::Region),
    ("raspagem-sub", "Raspagem subgengival (por sextante)", 250, None, R, &[], false, Drawing::Region),
    // Surgery.
    ("extracao", "Exodontia simples", 250, None, T, &[], false, Drawing::Extraction),
    ("extracao-deciduo", "Exodontia de dente decíduo", 180, None, T, &[DEC], false, Drawing::Extraction),
    ("extracao-siso", "Exodontia de terceiro molar", 600, None, T, &[POST, PERM], false, Drawing::Extraction),
    // Prosthetics and implants.
    ("faceta", "Faceta em resina", 600, None, T, &[ANT], false, Drawing::Crown),
    ("coroa", "Coroa total metalocerâmica", 1800, None, T, &[PERM], false, Drawing::Crown),
    ("coroa-provisoria", "Coroa provisória", 300, None, T, &[PERM], false, Drawing::Crown),
    ("nucleo", "Núcleo metálico fundido", 500, None, T, &[PERM], false, Drawing::Endo),
    ("implante", "Implante osseointegrado", 3500, None, T, &[PERM], false, Drawing::Implant),
    ("protese-total", "Prótese total", 2500, None, R, &[], false, Drawing::Region),
    ("protese-parcial", "Prótese parcial removível", 2000, None, R, &[], false, Drawing::Region),
    ]
};

/// The catalogue a new organisation starts with ([`DEFAULT_CATALOGUE`]).
pub fn default_catalogue() -> Vec<Procedure> {
    DEFAULT_CATALOGUE
        .iter()
        .map(
            |&(code, name, fee_reais, tuss, applies_to, tooth_types, condition, drawing)| {
                Procedure {
                    code: code.into(),
                    name: name.into(),
                    fee_cents: fee_reais * 100,
                    tuss: tuss.map(String::from),
                    applies_to,
                    tooth_types: tooth_types.to_vec(),
                    condition,
                    drawing,
                    colour: None,
                    active: true,
                }
            },
        )
        .collect()
}
