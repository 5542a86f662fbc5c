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
    pub legend: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Site {
    pub id: String,
    pub name: String,
    /// IANA zone the site's wall-clock times are in.
    pub timezone: String,
    pub hours: Vec<OpeningPeriod>,
}

/// One opening period: weekday slug (`seg` … `dom`) and `HH:MM` times.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
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
            procedures: crate::chart::default_catalogue()
                .into_iter()
                .map(|p| (p.code.clone(), p))
                .collect(),
            legend: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Professional {
    pub id: String,
    pub name: String,
    /// Registration with the Conselho Regional de Odontologia, e.g. `CRO-SP 12345`.
    pub cro: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct Chair {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub active: bool,
}

/// One line of the clinic's procedure catalogue: a procedure or a condition
/// (cárie, fratura) the odontogram can chart.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, serde::Deserialize)]
pub struct Procedure {
    /// The clinic's own code: lowercase letters, digits and `-`.
    pub code: String,
    pub name: String,
    /// Default fee in centavos.
    pub fee_cents: i64,
    /// 8-digit TUSS code, when the procedure has one.
    pub tuss: Option<String>,
    pub applies_to: AppliesTo,
    /// Which teeth it fits; empty for every tooth.
    pub tooth_types: Vec<ToothType>,
    /// A finding rather than a procedure: charted, never billed.
    pub condition: bool,
    /// How the odontogram draws it.
    pub drawing: Drawing,
    /// A colour (`#rrggbb`) that overrides the legend for this code.
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
