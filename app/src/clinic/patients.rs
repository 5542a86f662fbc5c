//! Patients: registering, finding and updating them, with the CPF unique
//! in the clinic.

use uuid::Uuid;

use crate::documents::{self, DocClass, PatientDoc, PhoneEntry};
use crate::patient::{Change, PatientError, PatientForm};
use crate::projection::{self, CpfIndex, PatientHit};
use crate::store::{self, StoreError};

use super::{ids_with_prefix, now_ms, now_text, reconcile_err, schema_err, today, Clinic, Error};

impl Clinic {
    /// Registers a patient. Refuses a CPF that another patient already has.
    pub fn add_patient(&mut self, form: &PatientForm) -> Result<PatientDoc, Error> {
        let fields = form.check(today())?;
        let name = fields.name.clone().ok_or(PatientError::NameMissing)?;
        let id = Uuid::now_v7();
        let added_at = now_ms();
        let cpf = fields.cpf_set().cloned();
        let patient = PatientDoc {
            social_name: set_value(&fields.social_name),
            birth_date: set_value(&fields.birth_date).map(|d| d.to_string()),
            sex: set_value(&fields.sex),
            cpf: cpf.map(|c| c.digits().to_string()),
            phones: fields
                .add_phones
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let entry = PhoneEntry {
                        number: p.e164().to_string(),
                        label: None,
                        whatsapp: p.is_brazilian_mobile(),
                        added_at: added_at + i as i64,
                    };
                    (entry.number.clone(), entry)
                })
                .collect(),
            email: set_value(&fields.email),
            ..PatientDoc::new(id, &name, &now_text(), &self.me.user_id.to_string())
        };
        self.write("patient.add", |w| {
            // Checked again inside the transaction: another process may have
            // registered the same CPF since.
            if let Some(cpf) = fields.cpf_set() {
                ensure_cpf_free(&w.tx, w.cpf, cpf, None)?;
            }
            w.create(id, DocClass::Patient, &patient)
        })?;
        Ok(patient)
    }

    /// Finds a patient by id or unique id prefix.
    pub fn patient_id(&self, key: &str) -> Result<Uuid, Error> {
        let key = key.trim();
        if let Ok(id) = Uuid::parse_str(key) {
            return match store::class_of(self.store.conn(), id)? {
                Some(DocClass::Patient) => Ok(id),
                _ => Err(Error::NotFound {
                    what: "patient",
                    id: key.to_string(),
                }),
            };
        }
        let prefix = key.to_lowercase();
        if prefix.len() < 6 || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(Error::NotFound {
                what: "patient",
                id: key.to_string(),
            });
        }
        let ids = ids_with_prefix(
            self.store.conn(),
            "SELECT id FROM documents WHERE class = 'patient' AND id >= ?1 AND id < ?2 LIMIT 3",
            &prefix,
        )?;
        match ids.as_slice() {
            [one] => Uuid::parse_str(one).map_err(|e| {
                Error::Store(StoreError::Corrupt {
                    id: one.clone(),
                    reason: e.to_string(),
                })
            }),
            [] => Err(Error::NotFound {
                what: "patient",
                id: key.to_string(),
            }),
            many => Err(Error::Ambiguous {
                what: "patient id",
                prefix: key.to_string(),
                matches: many.join(", "),
            }),
        }
    }

    pub fn patient(&self, key: &str) -> Result<PatientDoc, Error> {
        let id = self.patient_id(key)?;
        let stored = store::load(self.store.conn(), id)?.ok_or(Error::NotFound {
            what: "patient",
            id: key.to_string(),
        })?;
        autosurgeon::hydrate(&stored.doc).map_err(schema_err(id))
    }

    /// Changes the fields given in `form`; phones in `form.phones` are added,
    /// those in `form.remove_phones` removed.
    pub fn update_patient(&mut self, key: &str, form: &PatientForm) -> Result<PatientDoc, Error> {
        let fields = form.check(today())?;
        let id = self.patient_id(key)?;
        if let Some(name) = &form.name {
            if name.trim().is_empty() {
                return Err(PatientError::NameMissing.into());
            }
        }
        self.write("patient.update", |w| {
            let doc = w.load(id, "patient")?;
            let mut p: PatientDoc = autosurgeon::hydrate(&doc).map_err(schema_err(id))?;
            if let Some(cpf) = fields.cpf_set() {
                ensure_cpf_free(&w.tx, w.cpf, cpf, Some(&p.id))?;
            }
            if let Some(name) = &fields.name {
                p.name = name.clone();
            }
            apply_change(&mut p.social_name, &fields.social_name, Clone::clone);
            apply_change(&mut p.birth_date, &fields.birth_date, |d| d.to_string());
            apply_change(&mut p.sex, &fields.sex, |s| *s);
            apply_change(&mut p.cpf, &fields.cpf, |c| c.digits().to_string());
            apply_change(&mut p.email, &fields.email, Clone::clone);
            for phone in &fields.remove_phones {
                if p.phones.remove(phone.e164()).is_none() {
                    return Err(Error::NotFound {
                        what: "phone on this patient",
                        id: phone.e164().to_string(),
                    });
                }
            }
            let base = now_ms();
            for (i, phone) in fields.add_phones.iter().enumerate() {
                p.phones
                    .entry(phone.e164().to_string())
                    .or_insert_with(|| PhoneEntry {
                        number: phone.e164().to_string(),
                        label: None,
                        whatsapp: phone.is_brazilian_mobile(),
                        added_at: base + i as i64,
                    });
            }
            w.edit(id, DocClass::Patient, doc, |doc, by, t| {
                documents::commit(doc, &p, by, t).map_err(reconcile_err(id))
            })?;
            Ok(p)
        })
    }

    /// Patients matching a name fragment, phone ending or CPF; with nothing
    /// typed, the first patients in name order.
    pub fn search_patients(&self, query: &str, limit: usize) -> Result<Vec<PatientHit>, Error> {
        if query.trim().is_empty() {
            return Ok(projection::patients_by_name(self.store.conn(), limit)?);
        }
        Ok(projection::search_patients(
            self.store.conn(),
            query,
            limit,
            &self.cpf,
        )?)
    }
}

impl crate::patient::PatientFields {
    fn cpf_set(&self) -> Option<&crate::cpf::Cpf> {
        match &self.cpf {
            Change::Set(c) => Some(c),
            _ => None,
        }
    }
}

fn set_value<T: Clone>(c: &Change<T>) -> Option<T> {
    match c {
        Change::Set(v) => Some(v.clone()),
        _ => None,
    }
}

fn apply_change<T, U>(field: &mut Option<U>, change: &Change<T>, f: impl Fn(&T) -> U) {
    match change {
        Change::Keep => {}
        Change::Clear => *field = None,
        Change::Set(v) => *field = Some(f(v)),
    }
}

fn ensure_cpf_free(
    conn: &rusqlite::Connection,
    index: &CpfIndex,
    cpf: &crate::cpf::Cpf,
    except: Option<&str>,
) -> Result<(), Error> {
    let hits = projection::search_patients(conn, cpf.digits(), 2, index)?;
    match hits.into_iter().find(|h| Some(h.id.as_str()) != except) {
        Some(h) => Err(Error::DuplicateCpf {
            cpf: cpf.formatted(),
            patient_id: h.id,
            name: h.name,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use rand::SeedableRng;

    #[test]
    fn a_fragment_matching_very_many_patients_returns_the_newest_in_name_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut clinic = Clinic::init(tmp.path(), "Clínica").expect("init");
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let user = clinic.identity().user_id.to_string();
        let total = projection::MANY_MATCHES + 100;
        let patients: Vec<PatientDoc> = (0..total)
            .map(|i| {
                let mut p = demo::random_patient(&mut rng, &user, "2026-01-01T00:00:00Z");
                p.name = format!("Mariana Teste {i:05}");
                p
            })
            .collect();
        clinic
            .bulk("test", |b| patients.iter().try_for_each(|p| b.patient(p)))
            .expect("bulk");
        clinic
            .add_patient(&PatientForm {
                name: Some("Zélia Marinho".into()),
                ..Default::default()
            })
            .expect("add");

        let hits = clinic.search_patients("mari", 20).expect("search");
        assert_eq!(hits.len(), 20);
        let names: Vec<&str> = hits.iter().map(|h| h.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "shown in name order");
        assert!(
            names.contains(&"Zélia Marinho"),
            "the newest match is among them: {names:?}"
        );
        assert!(names.contains(&"Mariana Teste 01099"));
        assert!(
            !names.contains(&"Mariana Teste 00000"),
            "the oldest are left for a narrower query"
        );
        // Several words that together match too many take the same path.
        let two = clinic.search_patients("mariana teste", 20).expect("search");
        assert_eq!(two.len(), 20);
        assert!(two.iter().all(|h| h.name != "Mariana Teste 00000"));
        assert!(two.iter().any(|h| h.name == "Mariana Teste 01099"));
        // A narrower query sorts all of its matches.
        let few = clinic
            .search_patients("mariana teste 00000", 20)
            .expect("search");
        assert_eq!(few.len(), 1);
    }
}
