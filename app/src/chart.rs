//! The clinical chart's rules: what may be charted where, which records are
//! frozen, the procedure catalogue and its colours, and the chart as the
//! professional sees it (entries as they stand, signed notes as signed, the
//! treatment plan with its totals, the anamnesis alerts).
//!
//! The operations that write charts are [`crate::Clinic`]'s (`clinic::chart`);
//! this module decides, they store.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::documents::{
    Anamnesis, AppliesTo, ChartDoc, Directory, Drawing, Invalidation, OdontogramEntry, Procedure,
    Signature, ToothType,
};
use crate::odontogram::{self, Baseline, EntryStatus, Region, Surface, Tooth, ToothError};
use crate::signing::{Verification, Verifier};

/// Why a chart operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Tooth(#[from] ToothError),
    #[error("no procedure or condition {0:?} in the catalogue")]
    UnknownProcedure(String),
    #[error("{name} ({code}) is charted on {expected}, not on {given}")]
    Target {
        code: String,
        name: String,
        expected: &'static str,
        given: String,
    },
    #[error(
        "entry {id} is {status}: it can no longer change (invalidate it with a reason instead)"
    )]
    EntryLocked { id: String, status: EntryStatus },
    #[error("evolution note {0} is signed: write an amendment instead")]
    NoteSigned(String),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl ChartError {
    pub fn code(&self) -> &'static str {
        match self {
            ChartError::Tooth(ToothError::Code(_)) => "invalid_tooth",
            ChartError::Tooth(ToothError::Surface(_) | ToothError::SurfaceOnTooth { .. }) => {
                "invalid_surface"
            }
            ChartError::Tooth(ToothError::Region(_)) => "invalid_region",
            ChartError::UnknownProcedure(_) => "unknown_procedure",
            ChartError::Target { .. } | ChartError::Invalid { .. } => "invalid",
            ChartError::EntryLocked { .. } => "entry_locked",
            ChartError::NoteSigned(_) => "note_signed",
        }
    }

    /// The form field the error is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ChartError::Tooth(ToothError::Code(_) | ToothError::Region(_)) => Some("region"),
            ChartError::Tooth(_) => Some("surfaces"),
            ChartError::UnknownProcedure(_) | ChartError::Target { .. } => Some("code"),
            ChartError::Invalid { field, .. } => Some(field),
            ChartError::EntryLocked { .. } | ChartError::NoteSigned(_) => None,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ChartError {
    ChartError::Invalid {
        field,
        reason: reason.into(),
    }
}

// ----- catalogue -----

/// The catalogue in force: the directory's, or the default one for a
/// directory made before the catalogue existed.
pub fn catalogue(dir: &Directory) -> BTreeMap<String, Procedure> {
    if dir.procedures.is_empty() {
        return crate::documents::default_catalogue()
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
    }
    dir.procedures.clone()
}

/// Checks and tidies a catalogue line as an admin typed it.
pub fn check_procedure(mut p: Procedure) -> Result<Procedure, ChartError> {
    p.code = p.code.trim().to_lowercase();
    if p.code.is_empty()
        || p.code.len() > 40
        || !p
            .code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(invalid(
            "code",
            format!("{:?}: 1 to 40 lowercase letters, digits or '-'", p.code),
        ));
    }
    p.name = p.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if p.name.is_empty() || p.name.chars().count() > 200 {
        return Err(invalid("name", "1 to 200 characters"));
    }
    if !(0..=100_000_000).contains(&p.fee_cents) {
        return Err(invalid(
            "fee_cents",
            format!("{} is not a fee between R$ 0 and R$ 1.000.000", p.fee_cents),
        ));
    }
    p.tuss = p
        .tuss
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let Some(t) = &p.tuss {
        if t.len() != 8 || !t.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid("tuss", format!("{t:?}: a TUSS code has 8 digits")));
        }
    }
    p.colour = p
        .colour
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty());
    if let Some(c) = &p.colour {
        check_colour("colour", c)?;
    }
    p.tooth_types.sort();
    p.tooth_types.dedup();
    Ok(p)
}

fn check_colour(field: &'static str, c: &str) -> Result<(), ChartError> {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(invalid(field, format!("{c:?}: a colour is #rrggbb")))
    }
}

/// Odontogram colours by status.
pub type Legend = BTreeMap<EntryStatus, String>;

/// Red for what is to be done, blue for what is done or existing: the
/// convention Brazilian dentists read at a glance.
pub fn default_legend() -> Legend {
    EntryStatus::ALL
        .iter()
        .map(|s| {
            let colour = match s {
                EntryStatus::Invalidado => "#9e9e9e",
                s if s.is_to_do() => "#d32f2f",
                _ => "#1565c0",
            };
            (*s, colour.to_string())
        })
        .collect()
}

/// The legend in force: the directory's colours over the default ones.
pub fn legend(dir: &Directory) -> Legend {
    let mut legend = default_legend();
    for (status, colour) in dir.legend.iter().flatten() {
        if let Ok(s) = status.parse::<EntryStatus>() {
            legend.insert(s, colour.clone());
        }
    }
    legend
}

/// Checks a legend as an admin set it; returns what the directory stores.
pub fn check_legend(legend: &Legend) -> Result<BTreeMap<String, String>, ChartError> {
    legend
        .iter()
        .map(|(s, c)| {
            let c = c.trim().to_lowercase();
            check_colour("legend", &c)?;
            Ok((s.as_str().to_string(), c))
        })
        .collect()
}

/// The catalogue and its colours, as the desktop shows them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Catalogue {
    pub procedures: Vec<Procedure>,
    /// Every status has its colour: the defaults, then the clinic's own.
    #[cfg_attr(feature = "ts", ts(type = "Record<EntryStatus, string>"))]
    pub legend: Legend,
}

impl Catalogue {
    pub fn of(dir: &Directory) -> Catalogue {
        let mut procedures: Vec<Procedure> = catalogue(dir).into_values().collect();
        procedures.sort_by(|a, b| (&a.name, &a.code).cmp(&(&b.name, &b.code)));
        Catalogue {
            procedures,
            legend: legend(dir),
        }
    }
}

// ----- charting -----

/// An odontogram entry as the professional charts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewEntry {
    /// A tooth (`36`) or a region (`upper`, `Q1`, `S2`, `mouth`).
    pub region: String,
    #[serde(default)]
    pub surfaces: Vec<String>,
    #[serde(default)]
    pub cervical: bool,
    pub code: String,
    pub status: EntryStatus,
    pub professional_id: String,
    /// `YYYY-MM-DD` (or `DD/MM/YYYY`).
    pub date: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub phase: Option<u64>,
}

/// A new entry, checked against the mouth and the catalogue.
#[derive(Debug, Clone)]
pub struct CheckedEntry {
    pub region: Region,
    pub surfaces: BTreeSet<Surface>,
    pub procedure: Procedure,
}

fn tooth_fits(t: Tooth, kind: ToothType) -> bool {
    match kind {
        ToothType::Anterior => t.is_anterior(),
        ToothType::Posterior => !t.is_anterior(),
        ToothType::Permanent => !t.is_deciduous(),
        ToothType::Deciduous => t.is_deciduous(),
    }
}

/// Checks where an entry goes and what it charts: FDI teeth and faces only,
/// a catalogue code that fits the target.
pub fn check_entry(
    new: &NewEntry,
    catalogue: &BTreeMap<String, Procedure>,
) -> Result<CheckedEntry, ChartError> {
    let region: Region = new.region.parse()?;
    let code = new.code.trim().to_lowercase();
    let procedure = catalogue
        .get(&code)
        .cloned()
        .ok_or_else(|| ChartError::UnknownProcedure(new.code.clone()))?;
    if !procedure.active {
        return Err(invalid(
            "code",
            format!(
                "{} ({}) is retired from the catalogue",
                procedure.name, procedure.code
            ),
        ));
    }
    if new.status == EntryStatus::Invalidado {
        return Err(invalid(
            "status",
            "an entry is invalidated after it is charted, with a reason",
        ));
    }
    let target = |expected: &'static str| ChartError::Target {
        code: procedure.code.clone(),
        name: procedure.name.clone(),
        expected,
        given: new.region.clone(),
    };
    let mut surfaces = BTreeSet::new();
    match region {
        Region::Tooth(tooth) => {
            if procedure.applies_to == AppliesTo::Region {
                return Err(target("a region of the mouth"));
            }
            if let Some(kind) = procedure
                .tooth_types
                .iter()
                .find(|k| !tooth_fits(tooth, **k))
            {
                return Err(ChartError::Target {
                    code: procedure.code.clone(),
                    name: procedure.name.clone(),
                    expected: match kind {
                        ToothType::Anterior => "anterior teeth",
                        ToothType::Posterior => "posterior teeth",
                        ToothType::Permanent => "permanent teeth",
                        ToothType::Deciduous => "deciduous teeth",
                    },
                    given: format!("tooth {tooth}"),
                });
            }
            for s in &new.surfaces {
                surfaces.extend(odontogram::parse_surfaces(tooth, s)?);
            }
            if procedure.applies_to == AppliesTo::Surface && surfaces.is_empty() && !new.cervical {
                return Err(invalid(
                    "surfaces",
                    format!("{} needs at least one face", procedure.name),
                ));
            }
        }
        _ => {
            if procedure.applies_to != AppliesTo::Region {
                return Err(target("a tooth"));
            }
            if !new.surfaces.iter().all(|s| s.trim().is_empty()) || new.cervical {
                return Err(invalid("surfaces", "a region has no faces"));
            }
        }
    }
    if new.note.chars().count() > 2000 {
        return Err(invalid("note", "at most 2,000 characters"));
    }
    if matches!(new.phase, Some(0) | Some(100..)) {
        return Err(invalid("phase", "a plan phase is 1 to 99"));
    }
    Ok(CheckedEntry {
        region,
        surfaces,
        procedure,
    })
}

/// Checks a status change of an entry that stands at `current`.
pub fn check_status_change(
    id: &str,
    current: EntryStatus,
    next: EntryStatus,
) -> Result<(), ChartError> {
    if current.is_locked() {
        return Err(ChartError::EntryLocked {
            id: id.to_string(),
            status: current,
        });
    }
    if next == EntryStatus::Invalidado {
        return Err(invalid(
            "status",
            "an entry is invalidated with a reason, not by a status change",
        ));
    }
    Ok(())
}

// ----- the chart as shown -----

/// An odontogram entry as it stands: a locked entry as it was locked, an
/// invalidated one marked so.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Entry"))]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: OdontogramEntry,
    /// The catalogue name of its code.
    pub name: String,
    pub locked: bool,
    pub invalidated_reason: Option<String>,
    pub invalidation: Option<Invalidation>,
    pub colour: String,
    pub drawing: Drawing,
    /// Another live entry charts the same code on the same place: two
    /// workstations charted it without seeing each other, or a duplicate.
    pub concurrent: bool,
}

/// A note's signature with what it proves ([`crate::signing`]).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Signature"))]
pub struct SignatureView {
    #[serde(flatten)]
    pub signature: Signature,
    pub verification: Verification,
}

impl std::ops::Deref for SignatureView {
    type Target = Signature;
    fn deref(&self) -> &Signature {
        &self.signature
    }
}

/// An evolution note as it stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Note"))]
pub struct NoteView {
    pub id: String,
    pub professional_id: String,
    pub visit_date: String,
    /// The signed text once signed; the draft before.
    pub text: String,
    pub signed: Option<SignatureView>,
    /// Other signatures of the same draft, made offline on another
    /// workstation before this one's arrived: each stays, frozen.
    pub also_signed: Vec<SignatureView>,
    pub amends: Option<String>,
    /// Amendments written to this note.
    pub amended_by: Vec<String>,
    /// Edits of the draft made elsewhere after signing arrived: they are not
    /// part of the note.
    pub diverged: bool,
    pub created_at: String,
    pub created_by: String,
}

/// A kind of anamnesis alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AlertKind {
    Allergy,
    Anticoagulant,
    Pregnant,
    Condition,
}

/// What the dentist must see before touching the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Alert {
    pub kind: AlertKind,
    /// The allergy or the condition's key; empty for the others.
    pub label: String,
}

/// The alerts an anamnesis raises.
pub fn alerts(a: &Anamnesis) -> Vec<Alert> {
    let alert = |kind, label: &str| Alert {
        kind,
        label: label.to_string(),
    };
    let mut out: Vec<Alert> = a
        .allergies
        .iter()
        .map(|x| alert(AlertKind::Allergy, x))
        .collect();
    if a.anticoagulants {
        out.push(alert(AlertKind::Anticoagulant, ""));
    }
    if a.pregnant == Some(true) {
        out.push(alert(AlertKind::Pregnant, ""));
    }
    out.extend(
        a.conditions
            .iter()
            .filter(|(_, on)| **on)
            .map(|(k, _)| alert(AlertKind::Condition, k)),
    );
    out
}

/// The anamnesis as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnamnesisForm {
    pub allergies: Vec<String>,
    pub medications: Vec<String>,
    pub conditions: BTreeMap<String, bool>,
    pub anticoagulants: bool,
    pub pregnant: Option<bool>,
    pub notes: String,
}

/// Tidies a filled-in anamnesis: blank lines dropped, keys slugged.
pub fn check_anamnesis(form: &AnamnesisForm) -> Result<AnamnesisForm, ChartError> {
    let list = |field: &'static str, items: &[String]| -> Result<Vec<String>, ChartError> {
        let mut out: Vec<String> = Vec::new();
        for i in items {
            let v = i.split_whitespace().collect::<Vec<_>>().join(" ");
            if v.chars().count() > 200 {
                return Err(invalid(field, format!("{v:?}: at most 200 characters")));
            }
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
        if out.len() > 100 {
            return Err(invalid(field, "at most 100 items"));
        }
        Ok(out)
    };
    let mut conditions = BTreeMap::new();
    for (k, on) in &form.conditions {
        let key = k.trim().to_lowercase();
        if key.is_empty() || key.len() > 40 || !key.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return Err(invalid(
                "conditions",
                format!("{k:?} is not a condition key"),
            ));
        }
        conditions.insert(key, *on);
    }
    if form.notes.chars().count() > 10_000 {
        return Err(invalid("notes", "at most 10,000 characters"));
    }
    Ok(AnamnesisForm {
        allergies: list("allergies", &form.allergies)?,
        medications: list("medications", &form.medications)?,
        conditions,
        anticoagulants: form.anticoagulants,
        pregnant: form.pregnant,
        notes: form.notes.trim().to_string(),
    })
}

/// One phase of the treatment plan.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanPhase {
    pub phase: u64,
    /// Entry ids, in charting order.
    pub entries: Vec<String>,
    pub total_cents: i64,
    pub done_cents: i64,
}

/// The treatment plan: planned, approved and done entries with a phase.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Plan {
    pub phases: Vec<PlanPhase>,
    pub total_cents: i64,
    pub done_cents: i64,
    pub pending_cents: i64,
}

/// The whole chart as the professional sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChartView {
    pub patient_id: String,
    /// The day the chart is shown as of; none for now.
    pub as_of: Option<String>,
    pub anamnesis: Anamnesis,
    pub alerts: Vec<Alert>,
    pub baseline: BTreeMap<String, Baseline>,
    /// Oldest first, invalidated ones included.
    pub entries: Vec<EntryView>,
    /// Oldest first.
    pub notes: Vec<NoteView>,
    pub plan: Plan,
    /// Days the chart changed on, ascending.
    pub history: Vec<String>,
}

/// An entry as it stands in `chart`: the locked copy when there is one,
/// invalidated when invalidated.
pub fn effective_entry(
    chart: &ChartDoc,
    id: &str,
) -> Option<(OdontogramEntry, bool, Option<Invalidation>)> {
    let lock = chart.locks.get(id);
    let mut entry = match lock {
        Some(l) => l.entry.clone(),
        None => chart.entries.get(id)?.clone(),
    };
    let invalidation = chart.invalidations.get(id).cloned();
    if lock.is_some() {
        entry.status = EntryStatus::Realizado;
    }
    if invalidation.is_some() {
        entry.status = EntryStatus::Invalidado;
    }
    Some((entry, lock.is_some(), invalidation))
}

/// Builds what the chart screen shows.
pub fn view(
    chart: &ChartDoc,
    catalogue: &BTreeMap<String, Procedure>,
    legend: &Legend,
    signatures_by: &Verifier<'_>,
    as_of: Option<String>,
    history: Vec<String>,
) -> ChartView {
    let ids: BTreeSet<&String> = chart.entries.keys().chain(chart.locks.keys()).collect();
    let mut entries: Vec<EntryView> = ids
        .into_iter()
        .filter_map(|id| effective_entry(chart, id))
        .map(|(entry, locked, invalidation)| {
            let procedure = catalogue.get(&entry.code);
            let colour = procedure
                .and_then(|p| p.colour.clone())
                .filter(|_| entry.status != EntryStatus::Invalidado)
                .or_else(|| legend.get(&entry.status).cloned())
                .unwrap_or_else(|| "#000000".into());
            EntryView {
                name: procedure.map_or_else(|| entry.code.clone(), |p| p.name.clone()),
                drawing: procedure.map_or(Drawing::Mark, |p| p.drawing),
                locked,
                invalidated_reason: invalidation.as_ref().map(|i| i.reason.clone()),
                invalidation,
                colour,
                concurrent: false,
                entry,
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.entry.created_at, &a.entry.id).cmp(&(&b.entry.created_at, &b.entry.id))
    });
    mark_concurrent(&mut entries);

    let mut amended_by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for n in chart.notes.values() {
        if let Some(target) = &n.amends {
            amended_by.entry(target).or_default().push(n.id.clone());
        }
    }
    let chart_id = Uuid::parse_str(&chart.id).unwrap_or_default();
    let mut signatures: BTreeMap<&str, Vec<&Signature>> = BTreeMap::new();
    for sig in chart.signatures.values() {
        signatures
            .entry(sig.note_id.as_str())
            .or_default()
            .push(sig);
    }
    let mut notes: Vec<NoteView> = chart
        .notes
        .values()
        .map(|n| {
            let draft = n.text.as_str().to_string();
            let mut signed: Vec<SignatureView> = signatures
                .remove(n.id.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|s| SignatureView {
                    verification: signatures_by.check(chart_id, s),
                    signature: s.clone(),
                })
                .collect();
            signed.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
            let mut signed = signed.into_iter();
            let first = signed.next();
            NoteView {
                id: n.id.clone(),
                professional_id: n.professional_id.clone(),
                visit_date: n.visit_date.clone(),
                diverged: first.as_ref().is_some_and(|s| s.text != draft),
                text: first.as_ref().map_or(draft, |s| s.text.clone()),
                signed: first,
                also_signed: signed.collect(),
                amends: n.amends.clone(),
                amended_by: amended_by.remove(n.id.as_str()).unwrap_or_default(),
                created_at: n.created_at.clone(),
                created_by: n.created_by.clone(),
            }
        })
        .collect();
    notes.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));

    ChartView {
        patient_id: chart.patient_id.clone(),
        as_of,
        alerts: alerts(&chart.anamnesis),
        anamnesis: chart.anamnesis.clone(),
        baseline: chart.baseline.clone(),
        plan: plan(&entries),
        entries,
        notes,
        history,
    }
}

/// Flags live entries that chart the same code on the same tooth and face.
fn mark_concurrent(entries: &mut [EntryView]) {
    let mut seen: BTreeMap<(String, String, Option<Surface>), Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.entry.status == EntryStatus::Invalidado {
            continue;
        }
        let places: Vec<Option<Surface>> = if e.entry.surfaces.is_empty() {
            vec![None]
        } else {
            e.entry.surfaces.iter().copied().map(Some).collect()
        };
        for s in places {
            seen.entry((e.entry.region.clone(), e.entry.code.clone(), s))
                .or_default()
                .push(i);
        }
    }
    for same in seen.values().filter(|v| v.len() > 1) {
        for i in same {
            entries[*i].concurrent = true;
        }
    }
}

/// Groups the planned entries by phase and totals them.
fn plan(entries: &[EntryView]) -> Plan {
    let mut phases: BTreeMap<u64, PlanPhase> = BTreeMap::new();
    for e in entries {
        let Some(phase) = e.entry.phase else { continue };
        if !matches!(
            e.entry.status,
            EntryStatus::Planejado | EntryStatus::Aprovado | EntryStatus::Realizado
        ) {
            continue;
        }
        let fee = e.entry.fee_cents.unwrap_or(0);
        let p = phases.entry(phase).or_insert_with(|| PlanPhase {
            phase,
            entries: Vec::new(),
            total_cents: 0,
            done_cents: 0,
        });
        p.entries.push(e.entry.id.clone());
        p.total_cents += fee;
        if e.entry.status == EntryStatus::Realizado {
            p.done_cents += fee;
        }
    }
    let phases: Vec<PlanPhase> = phases.into_values().collect();
    let total_cents = phases.iter().map(|p| p.total_cents).sum();
    let done_cents = phases.iter().map(|p| p.done_cents).sum();
    Plan {
        phases,
        total_cents,
        done_cents,
        pending_cents: total_cents - done_cents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{self, Attribution, EvolutionNote};

    #[test]
    fn the_default_catalogue_passes_its_own_checks() {
        let all = documents::default_catalogue();
        let codes: BTreeSet<&str> = all.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes.len(), all.len(), "codes are unique");
        for p in &all {
            assert_eq!(check_procedure(p.clone()).as_ref(), Ok(p), "{}", p.code);
        }
        assert!(all.iter().any(|p| p.condition) && all.iter().any(|p| !p.condition));
    }

    #[test]
    fn catalogue_lines_are_checked() {
        let mut p = documents::default_catalogue().remove(0);
        p.tuss = Some("8100006".into());
        assert_eq!(
            check_procedure(p.clone()).map_err(|e| e.field()),
            Err(Some("tuss"))
        );
        p.tuss = Some(" 81000065 ".into());
        assert_eq!(
            check_procedure(p.clone()).map(|p| p.tuss),
            Ok(Some("81000065".into()))
        );
        p.code = "Cárie Grave".into();
        assert_eq!(
            check_procedure(p.clone()).map_err(|e| e.field()),
            Err(Some("code"))
        );
        p.code = "carie".into();
        p.colour = Some("red".into());
        assert_eq!(
            check_procedure(p.clone()).map_err(|e| e.field()),
            Err(Some("colour"))
        );
        p.colour = None;
        p.fee_cents = -1;
        assert!(check_procedure(p).is_err());
    }

    #[test]
    fn the_default_legend_is_red_to_do_and_blue_done() {
        let l = default_legend();
        assert_eq!(l[&EntryStatus::Planejado], "#d32f2f");
        assert_eq!(l[&EntryStatus::Condicao], "#d32f2f");
        assert_eq!(l[&EntryStatus::Realizado], "#1565c0");
        assert_eq!(l[&EntryStatus::ExistenteOutroProfissional], "#1565c0");
        let mut mine = l.clone();
        mine.insert(EntryStatus::Planejado, "#FF8800".into());
        let stored = check_legend(&mine).expect("legend");
        assert_eq!(stored["planejado"], "#ff8800");
        mine.insert(EntryStatus::Aprovado, "#12345".into());
        assert!(check_legend(&mine).is_err());
    }

    /// The chart's genesis is made independently on every workstation: if
    /// it changed between versions, two versions would create competing
    /// roots for the same patient's chart. This pins it.
    #[test]
    fn the_chart_genesis_never_changes() {
        let patient = Uuid::parse_str("01900000-0000-7000-8000-000000000001").expect("uuid");
        let doc = documents::genesis(documents::chart_id(patient), &ChartDoc::new(patient))
            .expect("genesis");
        let heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
        assert_eq!(
            heads,
            ["edeb4c26d9d03bba79358465a2e19733849f577911b7e6ed4651af4421722c80"]
        );
    }

    #[test]
    fn as_of_keeps_the_changes_up_to_the_cutoff() {
        let patient = Uuid::now_v7();
        let mut doc = documents::genesis(documents::chart_id(patient), &ChartDoc::new(patient))
            .expect("genesis");
        doc.set_actor(automerge::ActorId::random());
        let by = Attribution {
            user: "u".into(),
            device: "d".into(),
            op: "t".into(),
        };
        for (t, tooth) in [(1_000, "11"), (2_000, "21"), (3_000, "31")] {
            documents::commit_entry(&mut doc, "baseline", tooth, &Baseline::Absent, &by, t)
                .expect("commit");
        }
        let at = |cutoff| -> Vec<String> {
            let past = documents::as_of(&doc, cutoff).expect("as of");
            let chart: ChartDoc = autosurgeon::hydrate(&past).expect("hydrate");
            chart.baseline.into_keys().collect()
        };
        assert!(at(999).is_empty());
        assert_eq!(at(2_000), ["11", "21"]);
        assert_eq!(at(10_000), ["11", "21", "31"]);
        assert_eq!(documents::change_times(&doc), [1_000, 2_000, 3_000]);
    }

    #[test]
    fn notes_with_accents_are_edited_in_place() {
        let patient = Uuid::now_v7();
        let mut doc = documents::genesis(documents::chart_id(patient), &ChartDoc::new(patient))
            .expect("genesis");
        let by = Attribution {
            user: "u".into(),
            device: "d".into(),
            op: "t".into(),
        };
        let note = EvolutionNote {
            id: "n".into(),
            professional_id: "p".into(),
            visit_date: "2026-11-30".into(),
            text: autosurgeon::Text::with_value("Restauração no 36; anestesia."),
            amends: None,
            created_at: "t".into(),
            created_by: "u".into(),
        };
        documents::commit_entry(&mut doc, "notes", "n", &note, &by, 1).expect("note");
        let old = "Restauração no 36; anestesia.";
        let new = "Restauração MOD no 36; anestesia infiltrativa.";
        documents::change(&mut doc, &by, 2, |tx| {
            documents::splice_text(tx, &["notes", "n", "text"], old, new)
        })
        .expect("splice");
        let back: EvolutionNote = documents::hydrate_entry(&doc, "notes", "n")
            .expect("hydrate")
            .expect("note");
        assert_eq!(back.text.as_str(), new);
    }
}
