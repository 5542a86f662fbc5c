//! The patient document: demographics, contacts, consents.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::Serialize;

use super::DocClass;

string_enum! {
    /// Sex as recorded for clinical purposes.
    pub enum Sex ("sex") {
        Female => "feminino",
        Male => "masculino",
        Intersex => "intersexo",
        Unknown => "nao-informado",
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Patient"))]
pub struct PatientDoc {
    pub class: DocClass,
    pub schema: u64,
    pub id: String,
    pub name: String,
    /// Nome social: the name the patient goes by, shown instead of `name`.
    #[autosurgeon(missing = "Default::default")]
    pub social_name: Option<String>,
    /// ISO date, `YYYY-MM-DD`.
    #[autosurgeon(missing = "Default::default")]
    pub birth_date: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub sex: Option<Sex>,
    /// The 11 digits, no punctuation.
    #[autosurgeon(missing = "Default::default")]
    pub cpf: Option<String>,
    /// Keyed by E.164 number: two workstations adding the same number merge
    /// into one entry, different numbers into two.
    pub phones: BTreeMap<String, PhoneEntry>,
    #[autosurgeon(missing = "Default::default")]
    pub email: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub address: Option<Address>,
    #[autosurgeon(missing = "Default::default")]
    pub guardian: Option<Guardian>,
    /// Keyed by consent kind (`lgpd`, `imagem`, `tratamento`).
    pub consents: BTreeMap<String, Consent>,
    pub tags: Vec<String>,
    #[autosurgeon(missing = "Default::default")]
    pub preferred_channel: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhoneEntry {
    pub number: String,
    /// `celular`, `residencial`, `trabalho` …
    #[autosurgeon(missing = "Default::default")]
    pub label: Option<String>,
    pub whatsapp: bool,
    /// Milliseconds since the epoch when it was added: orders the list.
    pub added_at: i64,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Address {
    pub street: String,
    #[autosurgeon(missing = "Default::default")]
    pub number: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub complement: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub district: Option<String>,
    pub city: String,
    pub state: String,
    #[autosurgeon(missing = "Default::default")]
    pub postal_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Guardian {
    pub name: String,
    #[autosurgeon(missing = "Default::default")]
    pub relationship: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub cpf: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Consent {
    pub granted: bool,
    pub at: String,
    pub by: String,
}

impl PatientDoc {
    /// A patient with a name and nothing else yet, registered by
    /// `created_by` at `created_at` (RFC 3339).
    pub fn new(id: uuid::Uuid, name: &str, created_at: &str, created_by: &str) -> PatientDoc {
        PatientDoc {
            class: DocClass::Patient,
            schema: super::SCHEMA_VERSION,
            id: id.to_string(),
            name: name.to_string(),
            social_name: None,
            birth_date: None,
            sex: None,
            cpf: None,
            phones: BTreeMap::new(),
            email: None,
            address: None,
            guardian: None,
            consents: BTreeMap::new(),
            tags: Vec::new(),
            preferred_channel: None,
            created_at: created_at.to_string(),
            created_by: created_by.to_string(),
        }
    }

    /// The name to show: the social name when there is one.
    pub fn display_name(&self) -> &str {
        self.social_name.as_deref().unwrap_or(&self.name)
    }

    /// Phones in the order they were added.
    pub fn phones_in_order(&self) -> Vec<&PhoneEntry> {
        let mut phones: Vec<&PhoneEntry> = self.phones.values().collect();
        phones.sort_by(|a, b| (a.added_at, &a.number).cmp(&(b.added_at, &b.number)));
        phones
    }
}
