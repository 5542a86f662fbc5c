//! `arcada-core`: everything a clinic's workstation does that is not drawing
//! pixels. Domain rules ([`cpf`], [`phone`], [`odontogram`], [`agenda`]), the
//! Automerge document schemas ([`documents`]), the local SQLite store
//! ([`store`]), the indexes built from the documents ([`projection`]) and the
//! operations people perform on a clinic ([`clinic`]).
//!
//! No Tauri here: the desktop shell and the server are thin layers over this
//! crate, and most tests compile only this crate.

/// Declares a closed set of values stored in documents as stable pt-BR slugs.
///
/// The slug, not the Rust name, is what lives in the CRDT and in exports, so
/// variants can be renamed in code without migrating data.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $slug:literal ),+ $(,)?
        }
    ) => {
        // TypeScript: the union of the slugs, as serde writes them (before
        // the item's own attributes, which may hold `ts(...)`)
        #[cfg_attr(feature = "ts", derive(::ts_rs::TS))]
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* #[cfg_attr(feature = "ts", ts(rename = $slug))] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The stable slug stored in documents.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $slug ),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Case-blind, and `_` or a space stand for `-`.
                let fold = |v: &str| v.trim().to_lowercase().replace(['_', ' '], "-");
                let wanted = fold(s);
                $( if wanted == fold($slug) { return Ok($name::$variant); } )+
                Err($crate::UnknownValue {
                    what: $what,
                    value: s.to_string(),
                    expected: vec![ $( $slug ),+ ].join(", "),
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl ::autosurgeon::Reconcile for $name {
            type Key<'a> = ::autosurgeon::reconcile::NoKey;
            fn reconcile<R: ::autosurgeon::Reconciler>(&self, r: R) -> Result<(), R::Error> {
                self.as_str().reconcile(r)
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some([ $( $slug ),+ ]))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}

        impl ::autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, ::autosurgeon::HydrateError> {
                s.parse().map_err(|e: $crate::UnknownValue| {
                    ::autosurgeon::HydrateError::unexpected(e.expected, e.value)
                })
            }
        }
    };
}

pub mod accounts;
pub mod agenda;
pub mod chart;
pub mod clinic;
pub mod conflicts;
pub mod cpf;
pub mod data_lock;
pub mod demo;
pub mod documents;
pub mod inbox;
pub mod integrity;
pub mod local_users;
pub mod media;
pub mod odontogram;
pub mod owner_only;
pub mod password;
pub mod patient;
pub mod phone;
pub mod projection;
pub mod protocol;
pub mod reminder;
pub mod roles;
pub mod signing;
pub mod store;
#[cfg(feature = "client")]
pub mod sync;
pub mod text;
#[cfg(feature = "client")]
pub mod workstation;

pub use clinic::{Clinic, Error};

/// A word that is not one of the values a field accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct UnknownValue {
    /// What the value was meant to be ("appointment status").
    pub what: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted slugs, comma-separated.
    pub expected: String,
}
