//! The whole store at once: conflicts, rebuilding projections, export.

use crate::projection;
use crate::store;

use super::{Clinic, Error};

impl Clinic {
    /// Double bookings left by merges (see [`crate::conflicts`]).
    pub fn conflicts(&self) -> Result<Vec<crate::conflicts::Conflict>, Error> {
        Ok(crate::conflicts::list(self.store.conn())?)
    }

    /// Rebuilds every projection from the documents. Returns how many
    /// documents were read.
    pub fn reindex(&mut self) -> Result<usize, Error> {
        let cpf = self.cpf.clone();
        self.write("store.reindex", |w| Ok(projection::rebuild(&w.tx, &cpf)?))
    }

    /// Every document as JSON, in a stable order: the same documents always
    /// give the same bytes.
    pub fn export(&self) -> Result<serde_json::Value, Error> {
        let conn = self.store.conn();
        let mut docs = Vec::new();
        for (id, class) in store::document_ids(conn)? {
            let stored = store::load(conn, id)?.ok_or(Error::NotFound {
                what: "document",
                id: id.to_string(),
            })?;
            let heads: Vec<String> = stored
                .doc
                .get_heads()
                .iter()
                .map(ToString::to_string)
                .collect();
            let content =
                serde_json::to_value(automerge::AutoSerde::from(&stored.doc)).map_err(|e| {
                    Error::Schema {
                        id: id.to_string(),
                        reason: e.to_string(),
                    }
                })?;
            docs.push(serde_json::json!({ "id": id.to_string(), "class": class.as_str(), "heads": heads, "content": content }));
        }
        Ok(serde_json::json!({
            "format": "arcada-export",
            "version": 1,
            "organization": { "id": self.me.org_id.to_string(), "name": self.me.org_name },
            "documents": docs,
        }))
    }
}
