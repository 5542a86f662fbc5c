//! `arcada`: the clinic's data from a terminal. Every read command takes
//! `--json`; every refused input exits non-zero with one line on stderr and
//! writes nothing.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use arcada_core::agenda::{self, AppointmentStatus, OpeningHours, Source, Week};
use arcada_core::clinic::{NewAppointment, NewBlock, Reschedule};
use arcada_core::demo::{self, DemoSize};
use arcada_core::patient::PatientForm;
use arcada_core::projection::{AppointmentFilter, AppointmentRow};
use arcada_core::sync::session::SessionStore;
use arcada_core::Clinic;
use clap::{Args, Parser, Subcommand};

/// `println!` that returns write errors instead of panicking, so that
/// `arcada … | head` ends quietly when `head` stops reading.
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

mod sync;

#[derive(Debug, Parser)]
#[command(
    name = "arcada",
    version,
    about = "Arcada: the dental clinic's data on this workstation"
)]
struct Cli {
    /// Data directory holding the clinic's store [default: the OS data directory]
    #[arg(long, global = true, env = "ARCADA_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Where login sessions are kept, outside the clinic's data [default: the OS configuration directory]
    #[arg(long, global = true, env = "ARCADA_CONFIG_DIR", value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// Print results as JSON
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a clinic in the data directory
    Init {
        /// The organisation's name, e.g. "Clínica Sorriso"
        #[arg(long)]
        org: String,
    },
    /// Fill a new data directory, or an empty clinic (e.g. one just synced from a server), with a demo clinic: professionals, chairs, patients, two weeks of agenda
    Demo {
        #[arg(long, default_value_t = 300)]
        patients: usize,
        #[arg(long, default_value_t = 600)]
        appointments: usize,
        /// Odontogram entries in the ten-year chart of the first patient (0: no chart)
        #[arg(long, default_value_t = 150)]
        chart_entries: usize,
        /// Signed evolution notes in that chart
        #[arg(long, default_value_t = 40)]
        chart_notes: usize,
    },
    /// Patients: add, show, search, update
    #[command(subcommand)]
    Patient(PatientCmd),
    /// Professionals of the clinic
    #[command(subcommand)]
    Professional(ProfessionalCmd),
    /// Chairs (cadeiras) of the site
    #[command(subcommand)]
    Chair(ChairCmd),
    /// The site's opening hours
    #[command(subcommand)]
    Hours(HoursCmd),
    /// Block a professional, a chair or the site (lunch, vacation, course)
    #[command(subcommand)]
    Block(BlockCmd),
    /// WhatsApp: the clinic's approved templates and appointment reminders
    #[command(subcommand)]
    Whatsapp(WhatsappCmd),
    /// Appointments: book, list, move, cancel, status
    #[command(subcommand)]
    Appt(ApptCmd),
    /// Log in to a sync server: pairs this workstation and keeps the session (password on standard input)
    Login(sync::LoginArgs),
    /// Switch to a user who has logged in here before, without the server (password on standard input)
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// End this workstation's session on the server; the data stays
    Logout,
    /// Exchange changes with the server until up to date (--watch: keep going)
    Sync(sync::SyncArgs),
    /// Double bookings that merging workstations' agendas produced
    Conflicts,
    /// Rebuild every index from the documents
    Reindex,
    /// Write every document as JSON (stable order, byte-identical for the same data)
    Export {
        /// File to write; standard output if absent
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct PatientFields {
    /// Full name
    #[arg(long)]
    name: Option<String>,
    /// Nome social (the name the patient goes by)
    #[arg(long)]
    social_name: Option<String>,
    /// CPF, with or without punctuation
    #[arg(long)]
    cpf: Option<String>,
    /// Birth date, YYYY-MM-DD or DD/MM/YYYY
    #[arg(long)]
    birth: Option<String>,
    /// feminino, masculino, intersexo, nao-informado
    #[arg(long)]
    sex: Option<String>,
    #[arg(long)]
    email: Option<String>,
}

#[derive(Debug, Subcommand)]
enum PatientCmd {
    /// Register a patient
    Add {
        #[command(flatten)]
        fields: PatientFields,
        /// Phone number (repeatable), e.g. "(11) 98765-4321"
        #[arg(long = "phone")]
        phones: Vec<String>,
    },
    /// Show one patient
    Show { id: String },
    /// Search by any part of the name (accents ignored), phone ending or CPF
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Change a patient's data; an empty value clears an optional field
    Update {
        id: String,
        #[command(flatten)]
        fields: PatientFields,
        /// Phone to add (repeatable)
        #[arg(long = "add-phone")]
        add_phones: Vec<String>,
        /// Phone to remove (repeatable)
        #[arg(long = "remove-phone")]
        remove_phones: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ProfessionalCmd {
    Add {
        #[arg(long)]
        name: String,
        /// CRO registration, e.g. "CRO-SP 12345"
        #[arg(long)]
        cro: Option<String>,
    },
    List,
}

#[derive(Debug, Subcommand)]
enum ChairCmd {
    Add {
        #[arg(long)]
        name: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
enum HoursCmd {
    /// Replace the opening hours, e.g. "seg-sex 08:00-12:00,13:00-18:00" "sab 08:00-12:00"
    Set {
        #[arg(required = true)]
        lines: Vec<String>,
    },
    Show,
}

#[derive(Debug, Subcommand)]
enum WhatsappCmd {
    /// Templates and reminder settings
    Show,
    /// Send a reminder before each unconfirmed appointment
    Reminders {
        /// Template as NAME:LANGUAGE; it gets the name, the time and the professional
        #[arg(long, default_value = "lembrete_consulta:pt_BR")]
        template: String,
        /// How long before the appointment, 1 to 168
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Only between these times of day at the site, as HH:MM-HH:MM; a
        /// reminder due outside them waits for the start
        #[arg(long, default_value = "08:00-20:00", conflicts_with = "any_hour")]
        between: String,
        /// Send at any hour, night included
        #[arg(long)]
        any_hour: bool,
        /// Turn reminders off instead
        #[arg(long, conflicts_with_all = ["template", "hours", "between", "any_hour"])]
        off: bool,
    },
}

#[derive(Debug, Subcommand)]
enum BlockCmd {
    Add {
        #[arg(long)]
        professional: Option<String>,
        #[arg(long)]
        chair: Option<String>,
        /// Start, e.g. "2026-11-23 12:00"
        #[arg(long)]
        start: String,
        /// End, e.g. "2026-11-23 13:00"
        #[arg(long)]
        end: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum ApptCmd {
    /// Book an appointment
    Book {
        /// Patient id (or unique id prefix)
        #[arg(long)]
        patient: String,
        /// Professional id or name
        #[arg(long)]
        professional: String,
        /// Chair id or name
        #[arg(long)]
        chair: String,
        /// Start, e.g. "2026-11-23 09:00" or "23/11/2026 09:00"
        #[arg(long)]
        start: String,
        /// Duration in minutes
        #[arg(long, default_value_t = 30)]
        duration: u32,
        /// Procedure (repeatable)
        #[arg(long = "procedure")]
        procedures: Vec<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List appointments of a day (default today), a week, or a range
    List {
        /// Day, YYYY-MM-DD
        #[arg(long, conflicts_with_all = ["week", "from"])]
        day: Option<String>,
        /// ISO week, e.g. 2026-W48
        #[arg(long, conflicts_with = "from")]
        week: Option<String>,
        /// First day of a range
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Last day of a range (inclusive)
        #[arg(long, requires = "from")]
        to: Option<String>,
        #[arg(long)]
        professional: Option<String>,
        #[arg(long)]
        chair: Option<String>,
        #[arg(long)]
        patient: Option<String>,
    },
    /// Move an appointment to another time, professional or chair
    Move {
        id: String,
        #[arg(long)]
        start: Option<String>,
        #[arg(long)]
        duration: Option<u32>,
        #[arg(long)]
        professional: Option<String>,
        #[arg(long)]
        chair: Option<String>,
    },
    /// Cancel an appointment (it stays on record)
    Cancel {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Set the status: confirmado, chegou, em-atendimento, concluido, faltou …
    Status { id: String, status: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("ARCADA_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the cause chain joined, most specific last, without
            // repeating a cause that its parent's message already quotes.
            let mut msg = String::new();
            for cause in e.chain().map(ToString::to_string) {
                if !msg.contains(&cause) {
                    msg = if msg.is_empty() {
                        cause
                    } else {
                        format!("{msg}: {cause}")
                    };
                }
            }
            let _ = writeln!(std::io::stderr(), "error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn sessions(config_dir: &Option<PathBuf>) -> Result<SessionStore> {
    Ok(match config_dir {
        Some(d) => SessionStore::new(d),
        None => SessionStore::default_location()?,
    })
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data {
        Some(d) => Ok(d.clone()),
        None => arcada_core::store::default_data_dir()
            .context("no home directory to keep data in; pass --data DIR"),
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    // Never beside the desktop app on the same clinic (a directory that
    // does not exist holds no clinic, and a read must not create it).
    let _lock = if dir.exists() {
        Some(arcada_core::data_lock::hold(
            &dir,
            arcada_core::data_lock::Hold::Command,
        )?)
    } else {
        None
    };
    let json = cli.json;
    match cli.command {
        Command::Init { org } => {
            let clinic = Clinic::init(&dir, &org)?;
            if json {
                print_json(clinic.identity())?;
            } else {
                outln!(
                    "Created {} in {}",
                    clinic.identity().org_name,
                    dir.display()
                );
            }
        }
        Command::Demo {
            patients,
            appointments,
            chart_entries,
            chart_notes,
        } => {
            // Only into a new data directory, or a workstation's clinic that
            // is still empty: demo patients must never mix with a real
            // clinic's.
            let mut clinic = if dir.join(arcada_core::store::FILE_NAME).is_file() {
                let clinic = Clinic::open(&dir)?;
                let empty = clinic.directory()?.professionals.is_empty()
                    && clinic.search_patients("", 1)?.is_empty();
                if !empty {
                    bail!(
                        "{} already holds a clinic with data; the demo only fills a new directory or an empty clinic",
                        dir.display()
                    );
                }
                clinic
            } else {
                Clinic::init(&dir, "Clínica Demonstração")?
            };
            let size = DemoSize {
                patients,
                appointments,
                ..DemoSize::demo(chrono::Local::now().date_naive())
            };
            let mut report = demo::populate(&mut clinic, &size, |_, _| {})?;
            if chart_entries + chart_notes > 0 {
                if let Some(first) = clinic.search_patients("", 1)?.into_iter().next() {
                    demo::add_history_chart(
                        &mut clinic,
                        &first.id,
                        chart_entries,
                        chart_notes,
                        10,
                    )?;
                    report.history_patient = Some(first.id);
                }
            }
            if json {
                print_json(&report)?;
            } else {
                outln!(
                    "Demo clinic in {}: {} professionals, {} chairs, {} patients, {} appointments",
                    dir.display(),
                    report.professionals,
                    report.chairs,
                    report.patients,
                    report.appointments
                );
            }
        }
        Command::Patient(cmd) => patient(&dir, json, cmd)?,
        Command::Professional(cmd) => {
            let mut clinic = Clinic::open(&dir)?;
            match cmd {
                ProfessionalCmd::Add { name, cro } => {
                    let p = clinic.add_professional(&name, cro.as_deref())?;
                    if json {
                        print_json(&p)?
                    } else {
                        outln!("{}  {}", p.id, p.name)
                    }
                }
                ProfessionalCmd::List => {
                    let dir = clinic.directory()?;
                    let list: Vec<_> = dir.professionals.values().collect();
                    if json {
                        print_json(&list)?
                    } else {
                        for p in list {
                            outln!("{}  {}  {}", p.id, p.name, p.cro.as_deref().unwrap_or(""));
                        }
                    }
                }
            }
        }
        Command::Chair(cmd) => {
            let mut clinic = Clinic::open(&dir)?;
            match cmd {
                ChairCmd::Add { name } => {
                    let c = clinic.add_chair(&name)?;
                    if json {
                        print_json(&c)?
                    } else {
                        outln!("{}  {}", c.id, c.name)
                    }
                }
                ChairCmd::List => {
                    let dir = clinic.directory()?;
                    let list: Vec<_> = dir.chairs.values().collect();
                    if json {
                        print_json(&list)?
                    } else {
                        for c in list {
                            outln!("{}  {}", c.id, c.name);
                        }
                    }
                }
            }
        }
        Command::Whatsapp(cmd) => {
            let mut clinic = Clinic::open(&dir)?;
            let settings = match cmd {
                WhatsappCmd::Show => clinic.whatsapp_settings()?,
                WhatsappCmd::Reminders { off: true, .. } => clinic.set_reminders(None)?,
                WhatsappCmd::Reminders {
                    template,
                    hours,
                    between,
                    any_hour,
                    ..
                } => {
                    let sending_hours = match any_hour {
                        true => None,
                        false => Some(sending_hours(&between)?),
                    };
                    clinic.set_reminders(Some(arcada_core::documents::ReminderSettings {
                        template,
                        hours_before: hours,
                        sending_hours,
                    }))?
                }
            };
            if json {
                print_json(&settings)?
            } else {
                match &settings.reminder {
                    Some(r) => outln!(
                        "reminders: {} hours before, {}, template {}",
                        r.hours_before,
                        match &r.sending_hours {
                            Some(h) => format!("sent between {} and {}", h.from, h.until),
                            None => "sent at any hour".to_string(),
                        },
                        r.template
                    ),
                    None => outln!("reminders: off"),
                }
                for t in settings.templates.values() {
                    outln!(
                        "template {}:{} ({} parameters): {}",
                        t.name,
                        t.language,
                        t.params,
                        t.body
                    );
                }
            }
        }
        Command::Hours(cmd) => {
            let mut clinic = Clinic::open(&dir)?;
            if let HoursCmd::Set { lines } = &cmd {
                clinic.set_opening_hours(&OpeningHours::parse(lines)?)?;
            }
            let site = clinic
                .directory()?
                .sites
                .remove(&clinic.identity().site_id.to_string());
            let mut hours = site.map(|s| s.hours).unwrap_or_default();
            hours.sort_by(|a, b| (a.day, &a.open).cmp(&(b.day, &b.open)));
            if json {
                print_json(&hours)?
            } else {
                for p in hours {
                    outln!("{} {}-{}", p.day, p.open, p.close);
                }
            }
        }
        Command::Block(BlockCmd::Add {
            professional,
            chair,
            start,
            end,
            reason,
        }) => {
            let mut clinic = Clinic::open(&dir)?;
            let b = clinic.add_block(&NewBlock {
                professional,
                chair,
                start,
                end,
                reason,
            })?;
            if json {
                print_json(&b)?
            } else {
                outln!("{}  {} → {}  {}", b.id, b.start, b.end, b.reason)
            }
        }
        Command::Appt(cmd) => appt(&dir, json, cmd)?,
        Command::Login(args) => sync::login(&dir, &sessions(&cli.config_dir)?, json, args)?,
        Command::Unlock { email } => sync::unlock(&dir, json, &email)?,
        Command::Logout => sync::logout(&dir, &sessions(&cli.config_dir)?)?,
        Command::Sync(args) => sync::sync(&dir, sessions(&cli.config_dir)?, json, args)?,
        Command::Conflicts => sync::conflicts(&dir, json)?,
        Command::Reindex => {
            let mut clinic = Clinic::open(&dir)?;
            let n = clinic.reindex()?;
            if json {
                print_json(&serde_json::json!({ "documents": n }))?
            } else {
                outln!("Reindexed {n} documents")
            }
        }
        Command::Export { out } => {
            let clinic = Clinic::open(&dir)?;
            let mut bytes = serde_json::to_vec_pretty(&clinic.export()?)?;
            bytes.push(b'\n');
            match out {
                Some(path) => {
                    // Write beside, then rename: a crash never leaves half an export.
                    let tmp = path.with_extension("partial");
                    std::fs::write(&tmp, &bytes)
                        .with_context(|| format!("cannot write {}", tmp.display()))?;
                    std::fs::rename(&tmp, &path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                None => std::io::stdout().lock().write_all(&bytes)?,
            }
        }
    }
    Ok(())
}

fn form(fields: PatientFields, phones: Vec<String>, remove_phones: Vec<String>) -> PatientForm {
    PatientForm {
        name: fields.name,
        social_name: fields.social_name,
        birth_date: fields.birth,
        sex: fields.sex,
        cpf: fields.cpf,
        email: fields.email,
        phones,
        remove_phones,
    }
}

fn patient(dir: &std::path::Path, json: bool, cmd: PatientCmd) -> Result<()> {
    match cmd {
        PatientCmd::Add { fields, phones } => {
            let mut clinic = Clinic::open(dir)?;
            let p = clinic.add_patient(&form(fields, phones, Vec::new()))?;
            if json {
                print_json(&p)?
            } else {
                outln!("{}  {}", p.id, p.name)
            }
        }
        PatientCmd::Show { id } => {
            let clinic = Clinic::open(dir)?;
            let p = clinic.patient(&id)?;
            if json {
                print_json(&p)?
            } else {
                outln!("{}\n  id: {}", p.display_name(), p.id);
                if p.social_name.is_some() {
                    outln!("  nome civil: {}", p.name);
                }
                if let Some(cpf) = p
                    .cpf
                    .as_deref()
                    .and_then(|c| c.parse::<arcada_core::cpf::Cpf>().ok())
                {
                    outln!("  CPF: {cpf}");
                }
                if let Some(b) = &p.birth_date {
                    outln!("  nascimento: {b}");
                }
                for phone in p.phones_in_order() {
                    let shown = phone
                        .number
                        .parse::<arcada_core::phone::Phone>()
                        .map(|p| p.display())
                        .unwrap_or(phone.number.clone());
                    outln!(
                        "  telefone: {shown}{}",
                        if phone.whatsapp { " (WhatsApp)" } else { "" }
                    );
                }
                if let Some(e) = &p.email {
                    outln!("  e-mail: {e}");
                }
            }
        }
        PatientCmd::Search { query, limit } => {
            let clinic = Clinic::open(dir)?;
            let hits = clinic.search_patients(&query, limit)?;
            if json {
                print_json(&hits)?
            } else if hits.is_empty() {
                outln!("No patient matches {query:?}");
            } else {
                for h in hits {
                    outln!(
                        "{}  {}  {}  {}",
                        h.id,
                        h.name,
                        h.cpf.unwrap_or_default(),
                        h.phones.join(" ")
                    );
                }
            }
        }
        PatientCmd::Update {
            id,
            fields,
            add_phones,
            remove_phones,
        } => {
            let mut clinic = Clinic::open(dir)?;
            let p = clinic.update_patient(&id, &form(fields, add_phones, remove_phones))?;
            if json {
                print_json(&p)?
            } else {
                outln!("{}  {}", p.id, p.name)
            }
        }
    }
    Ok(())
}

/// `08:00-20:00` as sending hours; the clinic checks they make a span.
fn sending_hours(s: &str) -> Result<arcada_core::documents::SendingHours> {
    let (from, until) = s.split_once('-').ok_or_else(|| {
        anyhow::anyhow!("--between {s:?}: expected HH:MM-HH:MM, e.g. 08:00-20:00")
    })?;
    Ok(arcada_core::documents::SendingHours {
        from: from.trim().to_string(),
        until: until.trim().to_string(),
    })
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate> {
    agenda::parse_date(s).ok_or_else(|| arcada_core::Error::Date(s.to_string()).into())
}

fn print_appointments(json: bool, rows: &[AppointmentRow], clinic: &Clinic) -> Result<()> {
    if json {
        return print_json(&rows);
    }
    let dir = clinic.directory()?;
    for a in rows {
        let prof = dir
            .professionals
            .get(&a.professional_id)
            .map(|p| p.name.as_str())
            .unwrap_or("?");
        let chair = dir
            .chairs
            .get(&a.chair_id)
            .map(|c| c.name.as_str())
            .unwrap_or("?");
        outln!(
            "{}  {}–{}  {:<14} {}  |  {}  |  {}",
            a.id,
            a.start.replace('T', " "),
            &a.end[11..],
            a.status,
            a.patient_name.as_deref().unwrap_or("?"),
            prof,
            chair
        );
    }
    Ok(())
}

fn appt(dir: &std::path::Path, json: bool, cmd: ApptCmd) -> Result<()> {
    let mut clinic = Clinic::open(dir)?;
    match cmd {
        ApptCmd::Book {
            patient,
            professional,
            chair,
            start,
            duration,
            procedures,
            notes,
        } => {
            let a = clinic.book(&NewAppointment {
                patient,
                professional,
                chair,
                start,
                duration_min: duration,
                procedures,
                notes,
                source: Source::Desk,
            })?;
            print_appointments(json, std::slice::from_ref(&a), &clinic)?;
        }
        ApptCmd::List {
            day,
            week,
            from,
            to,
            professional,
            chair,
            patient,
        } => {
            let (from, to) = match (day, week, from, to) {
                (Some(d), _, _, _) => {
                    let d = parse_day(&d)?;
                    (d, d.succ_opt().unwrap_or(d))
                }
                (_, Some(w), _, _) => {
                    let w: Week = w.parse()?;
                    (w.monday(), w.next().monday())
                }
                (_, _, Some(f), Some(t)) => {
                    let t = parse_day(&t)?;
                    (parse_day(&f)?, t.succ_opt().unwrap_or(t))
                }
                _ => {
                    let d = chrono::Local::now().date_naive();
                    (d, d.succ_opt().unwrap_or(d))
                }
            };
            let directory = clinic.directory()?;
            let filter = AppointmentFilter {
                from: from.to_string(),
                to: to.to_string(),
                professional_id: professional
                    .map(|p| clinic.professional(&directory, &p).map(|p| p.id))
                    .transpose()?,
                chair_id: chair
                    .map(|c| clinic.chair(&directory, &c).map(|c| c.id))
                    .transpose()?,
                patient_id: patient
                    .map(|p| clinic.patient_id(&p).map(|id| id.to_string()))
                    .transpose()?,
            };
            let rows = clinic.appointments(&filter)?;
            print_appointments(json, &rows, &clinic)?;
        }
        ApptCmd::Move {
            id,
            start,
            duration,
            professional,
            chair,
        } => {
            let a = clinic.move_appointment(
                &id,
                &Reschedule {
                    start,
                    duration_min: duration,
                    professional,
                    chair,
                },
            )?;
            print_appointments(json, std::slice::from_ref(&a), &clinic)?;
        }
        ApptCmd::Cancel { id, reason } => {
            let a = clinic.cancel_appointment(&id, reason.as_deref())?;
            print_appointments(json, std::slice::from_ref(&a), &clinic)?;
        }
        ApptCmd::Status { id, status } => {
            let status: AppointmentStatus = status.parse()?;
            let a = clinic.set_appointment_status(&id, status)?;
            print_appointments(json, std::slice::from_ref(&a), &clinic)?;
        }
    }
    Ok(())
}
