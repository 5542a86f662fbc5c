//! The organisation's directory as a clinic edits it: professionals,
//! chairs, the site's opening hours.

use uuid::Uuid;

use crate::agenda::OpeningHours;
use crate::documents::{self, Chair, Directory, DocClass, OpeningPeriod, Professional};
use crate::store;

use super::{reconcile_err, required, resolve, schema_err, Clinic, Error};

impl Clinic {
    pub fn directory(&self) -> Result<Directory, Error> {
        let id = self.me.directory_id;
        let doc = store::load(self.store.conn(), id)?
            .ok_or(Error::NotInitialised(self.store.path().to_path_buf()))?;
        autosurgeon::hydrate(&doc.doc).map_err(schema_err(id))
    }

    pub(super) fn edit_directory(
        &mut self,
        op: &str,
        change: impl FnOnce(&mut Directory) -> Result<(), Error>,
    ) -> Result<Directory, Error> {
        let id = self.me.directory_id;
        self.write(op, |w| {
            let doc = w.load(id, "directory")?;
            let mut dir: Directory = autosurgeon::hydrate(&doc).map_err(schema_err(id))?;
            change(&mut dir)?;
            w.edit(id, DocClass::Directory, doc, |doc, by, t| {
                documents::commit(doc, &dir, by, t).map_err(reconcile_err(id))
            })?;
            Ok(dir)
        })
    }

    pub fn add_professional(
        &mut self,
        name: &str,
        cro: Option<&str>,
    ) -> Result<Professional, Error> {
        let name = required("name", name)?;
        let professional = Professional {
            id: Uuid::now_v7().to_string(),
            name,
            cro: cro
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from),
            active: true,
        };
        let p = professional.clone();
        self.edit_directory("professional.add", move |d| {
            d.professionals.insert(p.id.clone(), p);
            Ok(())
        })?;
        Ok(professional)
    }

    pub fn add_chair(&mut self, name: &str) -> Result<Chair, Error> {
        let name = required("name", name)?;
        let chair = Chair {
            id: Uuid::now_v7().to_string(),
            site_id: self.me.site_id.to_string(),
            name,
            active: true,
        };
        let c = chair.clone();
        self.edit_directory("chair.add", move |d| {
            d.chairs.insert(c.id.clone(), c);
            Ok(())
        })?;
        Ok(chair)
    }

    /// Replaces the opening hours of this workstation's site.
    pub fn set_opening_hours(&mut self, hours: &OpeningHours) -> Result<(), Error> {
        let site_id = self.me.site_id.to_string();
        let periods = OpeningPeriod::all(hours);
        self.edit_directory("site.hours", move |d| {
            let site = d.sites.get_mut(&site_id).ok_or(Error::NotFound {
                what: "site",
                id: site_id.clone(),
            })?;
            site.hours = periods;
            Ok(())
        })?;
        Ok(())
    }

    /// Finds a professional by id, id prefix or name (case- and accent-blind).
    pub fn professional(&self, dir: &Directory, key: &str) -> Result<Professional, Error> {
        resolve(
            "professional",
            key,
            dir.professionals
                .values()
                .map(|p| (p.id.as_str(), p.name.as_str(), p)),
        )
    }

    /// Finds a chair by id, id prefix or name.
    pub fn chair(&self, dir: &Directory, key: &str) -> Result<Chair, Error> {
        resolve(
            "chair",
            key,
            dir.chairs
                .values()
                .map(|c| (c.id.as_str(), c.name.as_str(), c)),
        )
    }
}
