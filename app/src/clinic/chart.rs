//! The chart operations: reading a patient's chart (audited, now or as of
//! a day) and charting, status changes, invalidation, notes, anamnesis and
//! the catalogue. [`crate::chart`] decides what is allowed; this stores it.

use std::collections::BTreeSet;

use automerge::Automerge;
use chrono::{NaiveDate, TimeZone};
use uuid::Uuid;

use super::{now_ms, now_text, reconcile_err, schema_err, today, Clinic, Error, Writer};
use crate::agenda::{self, AppointmentStatus};
use crate::chart::{self, AnamnesisForm, Catalogue, ChartError, ChartView, Legend, NewEntry};
use crate::documents::{
    self, Anamnesis, ChartDoc, DocClass, EvolutionNote, Invalidation, LockedEntry, OdontogramEntry,
    Procedure, Signature,
};
use crate::odontogram::{Baseline, EntryStatus, Tooth};
use crate::projection::AppointmentFilter;
use crate::signing::{self, Verifier};
use crate::store;

/// A new evolution note, or an amendment of a signed one.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewNote {
    pub professional_id: String,
    /// `YYYY-MM-DD` (or `DD/MM/YYYY`).
    pub visit_date: String,
    pub text: String,
    /// The signed note this one corrects.
    #[serde(default)]
    pub amends: Option<String>,
}

/// The chart read last, hydrated, with the document heads it reflects.
/// The desktop reads the open chart again after every sync event, mostly
/// for changes to other documents; a ten-year chart takes a second to load
/// and hydrate, its view from the hydrated chart a few milliseconds.
#[derive(Debug)]
pub(super) struct Cached {
    id: Uuid,
    heads: String,
    chart: ChartDoc,
    history: Vec<String>,
}

/// Longest note text accepted.
const MAX_NOTE: usize = 20_000;

/// The local day a change stamped `secs` after the epoch was made on.
fn local_day(secs: i64) -> Option<NaiveDate> {
    chrono::Local
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.date_naive())
}

/// The last second of `day` on this workstation's clock.
fn end_of_day(day: NaiveDate) -> i64 {
    let last = day.and_hms_opt(23, 59, 59).unwrap_or_default();
    chrono::Local
        .from_local_datetime(&last)
        .latest()
        .map_or_else(|| last.and_utc().timestamp(), |t| t.timestamp())
}

fn parse_day(field: &'static str, s: &str) -> Result<NaiveDate, Error> {
    agenda::parse_date(s).ok_or_else(|| Error::Invalid {
        field,
        reason: format!("{s:?} is not a date: expected YYYY-MM-DD or DD/MM/YYYY"),
    })
}

fn note_text(text: &str) -> Result<String, Error> {
    let text = text.trim_end().to_string();
    if text.trim().is_empty() {
        return Err(ChartError::Invalid {
            field: "text",
            reason: "an evolution note needs text".into(),
        }
        .into());
    }
    if text.chars().count() > MAX_NOTE {
        return Err(ChartError::Invalid {
            field: "text",
            reason: format!("at most {MAX_NOTE} characters"),
        }
        .into());
    }
    Ok(text)
}

/// The heads of a stored document, as the store records them.
fn stored_heads(conn: &rusqlite::Connection, id: Uuid) -> Result<Option<String>, Error> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT heads FROM documents WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.to_string()], |r| r.get(0)).optional())
        .map_err(store::StoreError::from)?)
}

/// One entry of a chart as it stands, read without hydrating the chart.
struct Standing {
    entry: OdontogramEntry,
    status: EntryStatus,
}

fn standing(doc: &Automerge, chart_id: Uuid, entry_id: &str) -> Result<Standing, Error> {
    let entry: Option<OdontogramEntry> =
        documents::hydrate_entry(doc, "entries", entry_id).map_err(schema_err(chart_id))?;
    let lock: Option<LockedEntry> =
        documents::hydrate_entry(doc, "locks", entry_id).map_err(schema_err(chart_id))?;
    let (entry, mut status) = match (entry, lock) {
        (_, Some(l)) => (l.entry, EntryStatus::Realizado),
        (Some(e), None) => {
            let s = e.status;
            (e, s)
        }
        (None, None) => {
            return Err(Error::NotFound {
                what: "odontogram entry",
                id: entry_id.to_string(),
            })
        }
    };
    let invalidation: Option<Invalidation> =
        documents::hydrate_entry(doc, "invalidations", entry_id).map_err(schema_err(chart_id))?;
    if invalidation.is_some() {
        status = EntryStatus::Invalidado;
    }
    Ok(Standing { entry, status })
}

impl Clinic {
    /// The chart of a patient as it stands, or as it stood at the end of
    /// `as_of`. Every read is audited, as the records law asks.
    pub fn chart(&mut self, patient: &str, as_of: Option<&str>) -> Result<ChartView, Error> {
        let patient_id = self.patient_id(patient)?;
        let id = documents::chart_id(patient_id);
        let day = as_of.map(|d| parse_day("as_of", d)).transpose()?;
        let heads = stored_heads(self.store.conn(), id)?;
        let cached = self
            .chart_cache
            .as_ref()
            .filter(|c| day.is_none() && c.id == id && Some(&c.heads) == heads.as_ref());
        let view = match (cached, heads) {
            (Some(c), _) => self.render(&c.chart, None, c.history.clone())?,
            (None, Some(_)) => {
                let stored = store::load(self.store.conn(), id)?.ok_or(Error::NotFound {
                    what: "chart",
                    id: id.to_string(),
                })?;
                self.chart_view(patient_id, &stored.doc, day)?
            }
            (None, None) => self.render(&ChartDoc::new(patient_id), day, Vec::new())?,
        };
        self.write("chart.read", |w| {
            w.audit.push(id);
            Ok(())
        })?;
        Ok(view)
    }

    /// The chart as shown, with this clinic's catalogue and colours.
    fn render(
        &self,
        chart: &ChartDoc,
        day: Option<NaiveDate>,
        history: Vec<String>,
    ) -> Result<ChartView, Error> {
        let dir = self.directory()?;
        let conn = self.store.conn();
        let server_key = signing::local::server_key(conn)?;
        let pending = signing::local::pending(conn)?;
        let keys = dir.signing_keys.clone().unwrap_or_default();
        let verifier = Verifier {
            org: self.me.org_id,
            keys: &keys,
            server_key: server_key.as_deref(),
            pending: &pending,
        };
        Ok(chart::view(
            chart,
            &chart::catalogue(&dir),
            &chart::legend(&dir),
            &verifier,
            day.map(|d| d.to_string()),
            history,
        ))
    }

    /// Shows `doc` now or as of `day`; the current chart is kept in the cache.
    fn chart_view(
        &mut self,
        patient_id: Uuid,
        doc: &Automerge,
        day: Option<NaiveDate>,
    ) -> Result<ChartView, Error> {
        let id = documents::chart_id(patient_id);
        let history: BTreeSet<NaiveDate> = documents::change_times(doc)
            .into_iter()
            .filter_map(local_day)
            .collect();
        let history: Vec<String> = history.iter().map(ToString::to_string).collect();
        if let Some(d) = day {
            let past = documents::as_of(doc, end_of_day(d)).map_err(|e| Error::Schema {
                id: id.to_string(),
                reason: e.to_string(),
            })?;
            let chart: ChartDoc = autosurgeon::hydrate(&past).map_err(schema_err(id))?;
            return self.render(&chart, day, history);
        }
        let chart: ChartDoc = autosurgeon::hydrate(doc).map_err(schema_err(id))?;
        let view = self.render(&chart, None, history.clone())?;
        self.chart_cache = Some(Cached {
            id,
            heads: store::heads_text(&doc.get_heads()),
            chart,
            history,
        });
        Ok(view)
    }

    /// Runs `f` on the patient's chart (created from its genesis on first
    /// use) in one store transaction, then shows the chart as it stands.
    fn edit_chart(
        &mut self,
        op: &str,
        patient: &str,
        f: impl FnOnce(&mut Writer<'_>, Uuid, Automerge) -> Result<Automerge, Error>,
    ) -> Result<ChartView, Error> {
        let patient_id = self.patient_id(patient)?;
        let id = documents::chart_id(patient_id);
        let doc = self.write(op, |w| {
            let doc = w.load_or_genesis(id, DocClass::Chart, || ChartDoc::new(patient_id))?;
            f(w, id, doc)
        })?;
        self.chart_view(patient_id, &doc, None)
    }

    /// Charts a finding or a procedure on a tooth, its faces, or a region.
    pub fn chart_add_entry(&mut self, patient: &str, new: &NewEntry) -> Result<ChartView, Error> {
        let dir = self.directory()?;
        let checked = chart::check_entry(new, &chart::catalogue(&dir))?;
        let professional = self.professional(&dir, &new.professional_id)?;
        let date = parse_day("date", &new.date)?;
        let procedure = checked.procedure;
        let entry = OdontogramEntry {
            id: Uuid::now_v7().to_string(),
            region: checked.region.to_string(),
            surfaces: checked.surfaces.into_iter().collect(),
            cervical: new.cervical,
            code: procedure.code.clone(),
            tuss: procedure.tuss.clone(),
            status: new.status,
            professional_id: professional.id,
            date: date.to_string(),
            note: new.note.trim().to_string(),
            phase: new.phase,
            fee_cents: (!procedure.condition).then_some(procedure.fee_cents),
            appointment_id: None,
            created_at: now_text(),
            created_by: self.me.user_id.to_string(),
        };
        let visit = self.visit_today(patient, None)?;
        self.edit_chart("chart.entry.add", patient, |w, id, doc| {
            put_entry(w, id, doc, entry, visit)
        })
    }

    /// Moves an entry along its life (planejado → aprovado → realizado …).
    /// Realizado locks it; `appointment` names the visit it was done in
    /// (by default the patient's appointment today, if there is one).
    pub fn chart_set_status(
        &mut self,
        patient: &str,
        entry_id: &str,
        status: EntryStatus,
        appointment: Option<&str>,
    ) -> Result<ChartView, Error> {
        let visit = self.visit_today(patient, appointment)?;
        self.edit_chart("chart.entry.status", patient, |w, id, doc| {
            let Standing {
                mut entry,
                status: current,
            } = standing(&doc, id, entry_id)?;
            chart::check_status_change(entry_id, current, status)?;
            entry.status = status;
            put_entry(w, id, doc, entry, visit)
        })
    }

    /// Invalidates a wrong entry. It stays in the chart, marked, with the
    /// reason; it is never removed.
    pub fn chart_invalidate(
        &mut self,
        patient: &str,
        entry_id: &str,
        reason: &str,
    ) -> Result<ChartView, Error> {
        let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ChartError::Invalid {
                field: "reason",
                reason: "say why the entry is wrong (1 to 500 characters)".into(),
            }
            .into());
        }
        let user = self.me.user_id.to_string();
        self.edit_chart("chart.entry.invalidate", patient, |w, id, doc| {
            let current = standing(&doc, id, entry_id)?.status;
            if current == EntryStatus::Invalidado {
                return Err(ChartError::EntryLocked {
                    id: entry_id.to_string(),
                    status: current,
                }
                .into());
            }
            let invalidation = Invalidation {
                reason,
                at: now_text(),
                by: user,
            };
            w.edit(id, DocClass::Chart, doc, |doc, by, t| {
                documents::commit_entry(doc, "invalidations", entry_id, &invalidation, by, t)
                    .map_err(reconcile_err(id))
            })
        })
    }

    /// Records what is at a tooth's position (absent, implant …).
    pub fn chart_set_baseline(
        &mut self,
        patient: &str,
        tooth: &str,
        baseline: Baseline,
    ) -> Result<ChartView, Error> {
        let tooth: Tooth = tooth.parse().map_err(ChartError::from)?;
        let key = tooth.to_string();
        self.edit_chart("chart.baseline", patient, |w, id, doc| {
            w.edit(id, DocClass::Chart, doc, |doc, by, t| {
                documents::commit_entry(doc, "baseline", &key, &baseline, by, t)
                    .map_err(reconcile_err(id))
            })
        })
    }

    /// Saves the anamnesis as filled in.
    pub fn chart_save_anamnesis(
        &mut self,
        patient: &str,
        form: &AnamnesisForm,
    ) -> Result<ChartView, Error> {
        let f = chart::check_anamnesis(form)?;
        let anamnesis = Anamnesis {
            allergies: f.allergies,
            medications: f.medications,
            conditions: f.conditions,
            anticoagulants: f.anticoagulants,
            pregnant: f.pregnant,
            notes: f.notes,
            updated_at: Some(now_text()),
            updated_by: Some(self.me.user_id.to_string()),
        };
        self.edit_chart("chart.anamnesis", patient, |w, id, doc| {
            w.edit(id, DocClass::Chart, doc, |doc, by, t| {
                documents::commit_field(doc, "anamnesis", &anamnesis, by, t)
                    .map_err(reconcile_err(id))
            })
        })
    }

    /// Starts an evolution note (a draft until signed), or an amendment of
    /// a signed note.
    pub fn chart_add_note(&mut self, patient: &str, new: &NewNote) -> Result<ChartView, Error> {
        let dir = self.directory()?;
        let professional = self.professional(&dir, &new.professional_id)?;
        let visit = parse_day("visit_date", &new.visit_date)?;
        let text = note_text(&new.text)?;
        let note = EvolutionNote {
            id: Uuid::now_v7().to_string(),
            professional_id: professional.id,
            visit_date: visit.to_string(),
            text: autosurgeon::Text::with_value(text),
            amends: new.amends.as_deref().map(str::trim).map(String::from),
            created_at: now_text(),
            created_by: self.me.user_id.to_string(),
        };
        self.edit_chart("chart.note.add", patient, |w, id, doc| {
            if let Some(target) = &note.amends {
                if signatures_of(&doc, id, target)?.is_empty() {
                    return Err(ChartError::Invalid {
                        field: "amends",
                        reason: format!(
                            "only a signed note takes amendments; {target} is not a signed note of this chart"
                        ),
                    }
                    .into());
                }
            }
            w.edit(id, DocClass::Chart, doc, |doc, by, t| {
                documents::commit_entry(doc, "notes", &note.id, &note, by, t)
                    .map_err(reconcile_err(id))
            })
        })
    }

    /// Rewrites the text of a draft note. Signed notes are frozen.
    pub fn chart_edit_note(
        &mut self,
        patient: &str,
        note_id: &str,
        text: &str,
    ) -> Result<ChartView, Error> {
        let text = note_text(text)?;
        self.edit_chart("chart.note.edit", patient, |w, id, doc| {
            let note = draft(&doc, id, note_id)?;
            w.edit(id, DocClass::Chart, doc, |doc, by, t| {
                documents::change(doc, by, t, |tx| {
                    documents::splice_text(
                        tx,
                        &["notes", note_id, "text"],
                        note.text.as_str(),
                        &text,
                    )
                })
                .map_err(reconcile_err(id))
            })
        })
    }

    /// Signs a draft note with the professional's own key (made on this
    /// workstation the first time): its text is frozen, bound to its
    /// SHA-256, and the signature covers where, who, when and that hash.
    pub fn chart_sign_note(&mut self, patient: &str, note_id: &str) -> Result<ChartView, Error> {
        let user = self.me.user_id;
        let org = self.me.org_id;
        let key = signing::local::own_key(self.store.conn(), user, now_ms())?;
        let pair = signing::key_pair(&key.pkcs8).map_err(signing::local::KeyStoreError::from)?;
        self.edit_chart("chart.note.sign", patient, |w, id, doc| {
            let note = draft(&doc, id, note_id)?;
            let text = note_text(note.text.as_str())?;
            let mut signature = Signature {
                id: Uuid::now_v7().to_string(),
                note_id: note_id.to_string(),
                by: user.to_string(),
                at: now_text(),
                content_hash: signing::content_hash(&text),
                text,
                key_id: Some(key.key_id.clone()),
                ed25519: None,
            };
            signing::sign_note(&pair, org, id, &mut signature);
            w.edit(id, DocClass::Chart, doc, |doc, by, t| {
                documents::commit_entry(doc, "signatures", &signature.id, &signature, by, t)
                    .map_err(reconcile_err(id))
            })
        })
    }

    /// The procedure catalogue and the odontogram's colours.
    pub fn catalogue(&self) -> Result<Catalogue, Error> {
        Ok(Catalogue::of(&self.directory()?))
    }

    /// Adds or changes a line of the catalogue (by its code).
    pub fn save_procedure(&mut self, procedure: Procedure) -> Result<Catalogue, Error> {
        let p = chart::check_procedure(procedure)?;
        let dir = self.edit_directory("catalogue.procedure", move |d| {
            // A directory from before the catalogue keeps the defaults it
            // was shown.
            if d.procedures.is_empty() {
                d.procedures = chart::catalogue(d);
            }
            d.procedures.insert(p.code.clone(), p);
            Ok(())
        })?;
        Ok(Catalogue::of(&dir))
    }

    /// Sets the odontogram's colours.
    pub fn save_legend(&mut self, legend: &Legend) -> Result<Catalogue, Error> {
        let stored = chart::check_legend(legend)?;
        let dir = self.edit_directory("catalogue.legend", move |d| {
            d.legend = Some(stored);
            Ok(())
        })?;
        Ok(Catalogue::of(&dir))
    }

    /// The visit an entry done now belongs to: the appointment named, which
    /// must be this patient's, or the patient's appointment today.
    fn visit_today(
        &self,
        patient: &str,
        appointment: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let patient_id = self.patient_id(patient)?.to_string();
        if let Some(key) = appointment.map(str::trim).filter(|k| !k.is_empty()) {
            let row = self.appointment(key)?;
            if row.patient_id != patient_id {
                return Err(Error::Invalid {
                    field: "appointment_id",
                    reason: format!("appointment {} is another patient's", row.id),
                });
            }
            return Ok(Some(row.id));
        }
        let day = today();
        let rows = self.appointments(&AppointmentFilter {
            from: format!("{day}T00:00"),
            to: format!("{}T00:00", day.succ_opt().unwrap_or(day)),
            patient_id: Some(patient_id),
            ..AppointmentFilter::default()
        })?;
        Ok(rows
            .into_iter()
            .find(|r| {
                r.status
                    .parse::<AppointmentStatus>()
                    .is_ok_and(|s| s.holds_slot() && s != AppointmentStatus::Faltou)
            })
            .map(|r| r.id))
    }
}

/// Writes an entry; marked realizado, also its frozen copy, in the same
/// change, with the visit it was done in.
fn put_entry(
    w: &mut Writer<'_>,
    id: Uuid,
    doc: Automerge,
    mut entry: OdontogramEntry,
    visit: Option<String>,
) -> Result<Automerge, Error> {
    let lock = (entry.status == EntryStatus::Realizado).then(|| {
        if entry.appointment_id.is_none() {
            entry.appointment_id = visit;
        }
        LockedEntry {
            entry: entry.clone(),
            at: now_text(),
            by: w.by.user.clone(),
        }
    });
    w.edit(id, DocClass::Chart, doc, |doc, by, t| {
        documents::change(doc, by, t, |tx| {
            documents::put_entry(tx, "entries", &entry.id, &entry)?;
            if let Some(lock) = &lock {
                documents::put_entry(tx, "locks", &entry.id, lock)?;
            }
            Ok(())
        })
        .map_err(reconcile_err(id))
    })
}

/// The signatures of a note.
fn signatures_of(doc: &Automerge, chart_id: Uuid, note_id: &str) -> Result<Vec<Signature>, Error> {
    let all: std::collections::BTreeMap<String, Signature> =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "signatures")
            .map_err(schema_err(chart_id))?;
    Ok(all.into_values().filter(|s| s.note_id == note_id).collect())
}

/// A note that may still be edited or signed.
fn draft(doc: &Automerge, chart_id: Uuid, note_id: &str) -> Result<EvolutionNote, Error> {
    if !signatures_of(doc, chart_id, note_id)?.is_empty() {
        return Err(ChartError::NoteSigned(note_id.to_string()).into());
    }
    documents::hydrate_entry(doc, "notes", note_id)
        .map_err(schema_err(chart_id))?
        .ok_or_else(|| Error::NotFound {
            what: "evolution note",
            id: note_id.to_string(),
        })
}
