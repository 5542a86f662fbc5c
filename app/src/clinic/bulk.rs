//! Bulk creation of documents in one transaction, for imports and the demo
//! clinic.

use automerge::Automerge;
use uuid::Uuid;

use crate::documents::{self, AgendaWeek, Appointment, DocClass, PatientDoc};
use crate::projection;

use super::{reconcile_err, schema_err, Clinic, Error, Writer};

impl Clinic {
    /// Direct access for bulk loaders in this crate.
    pub(crate) fn bulk<R>(
        &mut self,
        op: &str,
        f: impl FnOnce(&mut BulkWriter<'_, '_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let site = self.me.site_id;
        self.write(op, |w| f(&mut BulkWriter { w, site }))
    }
}

/// Bulk creation of documents in one transaction (imports, demo data).
pub(crate) struct BulkWriter<'w, 'a> {
    w: &'w mut Writer<'a>,
    site: Uuid,
}

impl BulkWriter<'_, '_> {
    pub(crate) fn patient(&mut self, p: &PatientDoc) -> Result<(), Error> {
        let id = Uuid::parse_str(&p.id).map_err(|e| Error::Schema {
            id: p.id.clone(),
            reason: e.to_string(),
        })?;
        self.w.create(id, DocClass::Patient, p)
    }

    /// Stores a document built elsewhere (a chart with years of history)
    /// and projects it.
    pub(crate) fn document(
        &mut self,
        id: Uuid,
        class: DocClass,
        doc: &Automerge,
    ) -> Result<(), Error> {
        self.w.tx.insert_new(id, class, doc, self.w.time)?;
        projection::apply(&self.w.tx, id, class, doc, self.w.cpf)?;
        self.w.audit.push(id);
        Ok(())
    }

    /// Writes a whole week of appointments into its agenda document at once.
    pub(crate) fn week(&mut self, week: &str, appointments: Vec<Appointment>) -> Result<(), Error> {
        let id = documents::agenda_id(self.site, week);
        let doc = self
            .w
            .load_or_genesis(id, DocClass::Agenda, || AgendaWeek::new(self.site, week))?;
        let mut agenda: AgendaWeek = autosurgeon::hydrate(&doc).map_err(schema_err(id))?;
        for a in appointments {
            agenda.appointments.insert(a.id.clone(), a);
        }
        self.w.edit(id, DocClass::Agenda, doc, |doc, by, t| {
            documents::commit(doc, &agenda, by, t).map_err(reconcile_err(id))
        })?;
        Ok(())
    }
}
