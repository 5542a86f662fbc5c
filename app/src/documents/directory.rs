//! The directory: one per organisation. Sites, professionals, chairs, the
//! procedure catalogue and settings.
//!
//! It does not list every patient, chart or agenda document: a clinic has
//! tens of thousands, and one map that every new patient rewrites would make
//! the one document every workstation needs first the largest and hottest.
//! Documents are found through the local store and, across workstations,
//! through the sync log.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::DocClass;

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Directory {
    pub class: DocClass,
    pub schema: u64,
    pub org: Organization,
    pub sites: BTreeMap<String, Site>,
    pub professionals: BTreeMap<String, Professional>,
    pub chairs: BTreeMap<String, Chair>,
    /// Procedure catalogue by own code.
    pub procedures: BTreeMap<String, Procedure>,
    /// Odontogram colours by entry status slug; missing statuses take the
    /// Brazilian default (see [`crate::chart::Legend`]).
    #[autosurgeon(missing = "Default::default")]
    pub legend: Option<BTreeMap<String, String>>,
    /// WhatsApp templates and reminders; `None` in directories made before
    /// the channel existed (they get [`WhatsappSettings::standard`]).
    #[autosurgeon(missing = "Default::default")]
    pub whatsapp: Option<WhatsappSettings>,
    /// Professionals' note-signing keys by key id ([`crate::signing`]):
    /// written by the server only, once per key, with its attestation.
    #[autosurgeon(missing = "Default::default", reconcile = "reconcile_if_some")]
    pub signing_keys: Option<BTreeMap<String, SigningKey>>,
}

/// Writes a field only when it is `Some`: a workstation that never saw the
/// server's keys must not write a `null` that could win the merge over
/// them.
fn reconcile_if_some<T: Reconcile, R: autosurgeon::Reconciler>(
    value: &Option<T>,
    reconciler: R,
) -> Result<(), R::Error> {
    match value {
        Some(v) => v.reconcile(reconciler),
        None => Ok(()),
    }
}

/// A member's Ed25519 public key, attested by the server.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct SigningKey {
    pub user_id: String,
    /// 32 bytes, hex.
    pub public_key: String,
    pub attested_at: String,
    /// The server's Ed25519 signature of
    /// [`crate::signing::attestation_message`], hex.
    pub attestation: String,
}

/// What the clinic's WhatsApp channel may send on its own.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WhatsappSettings {
    /// Message templates approved for the clinic's WhatsApp account, by
    /// `name:language`. Outside the 24-hour window only these may be sent.
    pub templates: BTreeMap<String, Template>,
    /// Appointment reminders; off while `None`.
    #[autosurgeon(missing = "Default::default")]
    pub reminder: Option<ReminderSettings>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "WhatsappTemplate"))]
pub struct Template {
    pub name: String,
    /// `pt_BR`.
    pub language: String,
    /// The body as approved, with `{{1}}`, `{{2}}` … for parameters.
    pub body: String,
    /// How many body parameters it takes.
    pub params: u32,
    /// Quick-reply buttons, in order.
    pub buttons: Vec<String>,
}

impl Template {
    /// The body with its parameters filled in, as the patient reads it.
    pub fn render(&self, params: &[String]) -> String {
        let mut body = self.body.clone();
        for (i, p) in params.iter().enumerate() {
            body = body.replace(&format!("{{{{{}}}}}", i + 1), p);
        }
        body
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReminderSettings {
    /// The template sent (`name:language` in `templates`); it gets the
    /// patient's name, the date and time, and the professional.
    pub template: String,
    /// How long before the appointment the reminder goes.
    pub hours_before: u32,
    /// When in the day (site wall-clock) reminders may go out; a reminder
    /// due outside them waits for the next `from`. `None`: at any hour
    /// (settings saved before this existed).
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub sending_hours: Option<SendingHours>,
}

/// A daily span, `HH:MM` to `HH:MM` at the site, `from` before `until`.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SendingHours {
    pub from: String,
    pub until: String,
}

impl SendingHours {
    /// What the desk proposes: no reminder wakes a patient up.
    pub fn standard() -> SendingHours {
        SendingHours {
            from: "08:00".into(),
            until: "20:00".into(),
        }
    }
}

impl WhatsappSettings {
    /// The templates Arcada ships for a clinic to submit to Meta under
    /// these names; reminders stay off until the clinic turns them on.
    pub fn standard() -> WhatsappSettings {
        let t = |name: &str, body: &str, params: u32, buttons: &[&str]| Template {
            name: name.into(),
            language: "pt_BR".into(),
            body: body.into(),
            params,
            buttons: buttons.iter().map(|b| b.to_string()).collect(),
        };
        let templates = [
            t(
                "lembrete_consulta",
                "Olá, {{1}}! Lembramos da sua consulta em {{2}} com {{3}}. Podemos confirmar?",
                3,
                &["Confirmar", "Remarcar", "Cancelar"],
            ),
            t(
                "retomar_conversa",
                "Olá, {{1}}! Aqui é da {{2}}. Podemos continuar o seu atendimento por aqui?",
                2,
                &[],
            ),
        ];
        WhatsappSettings {
            templates: templates
                .into_iter()
                .map(|t| (format!("{}:{}", t.name, t.language), t))
                .collect(),
            reminder: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Site {
    pub id: String,
    pub name: String,
    /// IANA zone the site's wall-clock times are in.
    pub timezone: String,
    pub hours: Vec<OpeningPeriod>,
}

/// One opening period: weekday slug (`seg` … `dom`) and `HH:MM` times.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpeningPeriod {
    pub day: crate::agenda::Day,
    pub open: String,
    pub close: String,
}

impl OpeningPeriod {
    /// The periods of validated opening hours, as the directory keeps them.
    pub fn all(hours: &crate::agenda::OpeningHours) -> Vec<OpeningPeriod> {
        hours
            .0
            .iter()
            .map(|o| OpeningPeriod {
                day: o.day,
                open: o.open.format("%H:%M").to_string(),
                close: o.close.format("%H:%M").to_string(),
            })
            .collect()
    }
}

impl Directory {
    /// A new organisation's directory: one site, "Matriz", open the usual
    /// hours of a Brazilian clinic. Made once, where the organisation is
    /// created (`arcada init` for a standalone workstation, the server's
    /// `admin create-org` for a synced one).
    pub fn new_organization(org_id: uuid::Uuid, name: &str, site_id: uuid::Uuid) -> Directory {
        let site = Site {
            id: site_id.to_string(),
            name: "Matriz".into(),
            timezone: "America/Sao_Paulo".into(),
            hours: OpeningPeriod::all(&crate::agenda::OpeningHours::default_clinic()),
        };
        Directory {
            class: DocClass::Directory,
            schema: super::SCHEMA_VERSION,
            org: Organization {
                id: org_id.to_string(),
                name: name.to_string(),
            },
            sites: BTreeMap::from([(site.id.clone(), site)]),
            professionals: BTreeMap::new(),
            chairs: BTreeMap::new(),
            procedures: super::default_catalogue()
                .into_iter()
                .map(|p| (p.code.clone(), p))
                .collect(),
            legend: None,
            whatsapp: Some(WhatsappSettings::standard()),
            signing_keys: Some(BTreeMap::new()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Professional {
    pub id: String,
    pub name: String,
    /// Registration with the Conselho Regional de Odontologia, e.g. `CRO-SP 12345`.
    #[autosurgeon(missing = "Default::default")]
    pub cro: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Chair {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub active: bool,
}

/// One line of the clinic's procedure catalogue: a procedure or a condition
/// (cárie, fratura) the odontogram can chart.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Procedure {
    /// The clinic's own code: lowercase letters, digits and `-`.
    pub code: String,
    pub name: String,
    /// Default fee in centavos.
    pub fee_cents: i64,
    /// 8-digit TUSS code, when the procedure has one.
    #[autosurgeon(missing = "Default::default")]
    pub tuss: Option<String>,
    pub applies_to: AppliesTo,
    /// Which teeth it fits; empty for every tooth.
    pub tooth_types: Vec<ToothType>,
    /// A finding rather than a procedure: charted, never billed.
    pub condition: bool,
    /// How the odontogram draws it.
    pub drawing: Drawing,
    /// A colour (`#rrggbb`) that overrides the legend for this code.
    #[autosurgeon(missing = "Default::default")]
    pub colour: Option<String>,
    /// Retired codes stay for the entries that use them.
    pub active: bool,
}

string_enum! {
    /// What a procedure is charted on.
    pub enum AppliesTo ("procedure target") {
        /// Faces of a tooth.
        Surface => "surface",
        /// A whole tooth.
        Tooth => "tooth",
        /// An arch, quadrant, sextant or the whole mouth.
        Region => "region",
    }
}

string_enum! {
    /// A kind of tooth a procedure can be limited to.
    pub enum ToothType ("tooth type") {
        Anterior => "anterior",
        Posterior => "posterior",
        Permanent => "permanent",
        Deciduous => "deciduous",
    }
}

string_enum! {
    /// How the odontogram draws an entry.
    pub enum Drawing ("odontogram drawing") {
        /// Fills the charted faces.
        Surface => "surface",
        /// Outlines the crown.
        Crown => "crown",
        /// A cross over the tooth.
        Extraction => "extraction",
        /// A line along the root.
        Endo => "endo",
        Implant => "implant",
        Sealant => "sealant",
        /// A dot on the tooth.
        Mark => "mark",
        /// A bar under the teeth of a region.
        Region => "region",
    }
}
