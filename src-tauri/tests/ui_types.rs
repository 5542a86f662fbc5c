//! The UI's TypeScript types (`ui/src/generated/types.ts`) are generated
//! from the Rust types the desktop's commands exchange, by ts-rs, which
//! follows their serde attributes (`rename_all`, `tag`, `flatten`,
//! `skip_serializing_if` …): what the file declares is what goes on the
//! wire. This check fails when the checked-in file differs from a fresh
//! generation; [`REGENERATE`] rewrites it. Built only with the `ts`
//! feature (scripts/test runs it after clippy).

use std::collections::BTreeSet;
use std::path::PathBuf;

use ts_rs::{Config, TS};

/// The command that rewrites the checked-in file.
const REGENERATE: &str =
    "ARCADA_WRITE_UI_TYPES=1 cargo test -p arcada-desktop --features ts --test ui_types";

fn checked_in_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/types.ts")
}

/// The declarations written so far, and the names they refer to.
struct Bindings {
    cfg: Config,
    text: String,
    declared: BTreeSet<String>,
    /// (declaring type, a type it refers to)
    referenced: Vec<(String, String)>,
}

impl Bindings {
    fn new() -> Bindings {
        Bindings {
            // JSON has no 64-bit integers: serde writes i64 and u64 (ms
            // timestamps, centavos, counts) as plain numbers, and
            // JSON.parse reads them as `number`, never `bigint`.
            cfg: Config::new().with_large_int("number"),
            text: String::new(),
            declared: BTreeSet::new(),
            referenced: Vec::new(),
        }
    }

    fn section(&mut self, title: &str) {
        self.text.push_str(&format!("// ----- {title} -----\n\n"));
    }

    /// `T`'s doc comment and declaration, as ts-rs exports a type.
    fn add<T: TS + 'static>(&mut self) {
        let name = T::ident(&self.cfg);
        assert!(self.declared.insert(name.clone()), "{name} declared twice");
        if let Some(docs) = T::docs() {
            self.text.push_str(&docs);
        }
        self.text.push_str("export ");
        self.text.push_str(&T::decl(&self.cfg));
        self.text.push_str("\n\n");
        for dep in T::dependencies(&self.cfg) {
            self.referenced.push((name.clone(), dep.ts_name));
        }
    }
}

/// Every type the commands take or answer with, and the types those refer
/// to, in the UI's order.
fn bindings() -> Bindings {
    use arcada_core::agenda::{AppointmentStatus, Day, Resource};
    use arcada_core::chart::{
        Alert, AlertKind, AnamnesisForm, Catalogue, ChartView, EntryView, NewEntry, NoteView, Plan,
        PlanPhase, SignatureView,
    };
    use arcada_core::clinic::{
        ConversationRow, MediaView, MessageView, NewNote, PatientRef, TemplateOption, Thread,
    };
    use arcada_core::documents::{
        Address, Anamnesis, AppliesTo, Assignee, Attention, AttentionReason, Block, Chair, Consent,
        Direction, DocClass, Drawing, Guardian, Invalidation, Location, MessageError,
        MessageStatus, OpeningPeriod, PatientDoc, PhoneEntry, Procedure, Professional,
        ReminderSettings, SendingHours, Sex, Site, Template, TemplateRef, ToothType,
        WhatsappSettings,
    };
    use arcada_core::odontogram::{Baseline, EntryStatus, Surface};
    use arcada_core::projection::PatientHit;
    use arcada_core::protocol::{NumberRequest, NumberRow, NumberUpdate};
    use arcada_core::roles::Role;
    use arcada_core::signing::{Tampering, Unproven, Verification};
    use arcada_core::sync::engine::{SyncState, SyncStatus};
    use arcada_core::workstation::{Access, LocalUser, SignIn};
    use arcada_desktop::commands::inbox::MediaData;
    use arcada_desktop::commands::{
        AgendaView, Appointment, ConflictView, DirectoryView, PatientInput, PatientPage,
    };
    use arcada_desktop::error::CommandError;

    let mut b = Bindings::new();
    b.section("session and sync");
    b.add::<Role>();
    b.add::<LocalUser>();
    b.add::<Access>();
    b.add::<SignIn>();
    b.add::<SyncState>();
    b.add::<SyncStatus>();
    b.add::<CommandError>();

    b.section("patients");
    b.add::<PatientHit>();
    b.add::<DocClass>();
    b.add::<Sex>();
    b.add::<PhoneEntry>();
    b.add::<Address>();
    b.add::<Guardian>();
    b.add::<Consent>();
    b.add::<PatientDoc>();
    b.add::<PatientPage>();
    b.add::<PatientInput>();

    b.section("directory and agenda");
    b.add::<Professional>();
    b.add::<Chair>();
    b.add::<Day>();
    b.add::<OpeningPeriod>();
    b.add::<Site>();
    b.add::<DirectoryView>();
    b.add::<AppointmentStatus>();
    b.add::<Appointment>();
    b.add::<Block>();
    b.add::<Resource>();
    b.add::<ConflictView>();
    b.add::<AgendaView>();

    b.section("the clinical chart (docs/CHART.md)");
    b.add::<EntryStatus>();
    b.add::<Baseline>();
    b.add::<Surface>();
    b.add::<Drawing>();
    b.add::<AppliesTo>();
    b.add::<ToothType>();
    b.add::<Procedure>();
    b.add::<Catalogue>();
    b.add::<NewEntry>();
    b.add::<Invalidation>();
    b.add::<EntryView>();
    b.add::<AnamnesisForm>();
    b.add::<Anamnesis>();
    b.add::<AlertKind>();
    b.add::<Alert>();
    b.add::<Tampering>();
    b.add::<Unproven>();
    b.add::<Verification>();
    b.add::<SignatureView>();
    b.add::<NoteView>();
    b.add::<NewNote>();
    b.add::<PlanPhase>();
    b.add::<Plan>();
    b.add::<ChartView>();

    b.section("the WhatsApp inbox");
    b.add::<PatientRef>();
    b.add::<AttentionReason>();
    b.add::<Attention>();
    b.add::<Assignee>();
    b.add::<ConversationRow>();
    b.add::<Direction>();
    b.add::<MessageStatus>();
    b.add::<MessageError>();
    b.add::<MediaView>();
    b.add::<Location>();
    b.add::<TemplateRef>();
    b.add::<MessageView>();
    b.add::<TemplateOption>();
    b.add::<Thread>();
    b.add::<MediaData>();

    b.section("WhatsApp settings and numbers");
    b.add::<Template>();
    b.add::<SendingHours>();
    b.add::<ReminderSettings>();
    b.add::<WhatsappSettings>();
    b.add::<NumberRow>();
    b.add::<NumberRequest>();
    b.add::<NumberUpdate>();
    b
}

/// The whole file as generated now.
fn render() -> String {
    let header = format!(
        "// Generated from the Rust types of the desktop's commands (arcada-core,\n\
         // arcada-desktop) by ts-rs: do not edit by hand. To regenerate:\n\
         //   {REGENERATE}\n\
         // scripts/test fails when this file differs from a fresh generation.\n\n"
    );
    let body = bindings().text;
    format!("{header}{}\n", body.trim_end())
}

/// Ok when `checked_in` is `fresh`; otherwise says where they part and how
/// to regenerate.
fn compare(checked_in: &str, fresh: &str) -> Result<(), String> {
    if checked_in == fresh {
        return Ok(());
    }
    let (mut old, mut new) = (checked_in.lines(), fresh.lines());
    let mut line = 1;
    loop {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Err(format!(
                    "ui/src/generated/types.ts is not what the Rust types generate \
                     (edited by hand, or a Rust type changed); from line {line}:\n\
                     checked in: {}\n\
                     generated:  {}\n\
                     Regenerate it with\n    {REGENERATE}",
                    a.unwrap_or("(end of file)"),
                    b.unwrap_or("(end of file)"),
                ));
            }
        }
    }
}

#[test]
fn the_checked_in_ui_types_are_what_the_rust_types_generate() {
    let fresh = render();
    let path = checked_in_path();
    if std::env::var_os("ARCADA_WRITE_UI_TYPES").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a parent directory"))
            .expect("ui/src/generated");
        std::fs::write(&path, &fresh).expect("write ui/src/generated/types.ts");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate it with\n    {REGENERATE}",
            path.display()
        )
    });
    if let Err(why) = compare(&checked_in, &fresh) {
        panic!("{why}");
    }
}

#[test]
fn every_type_the_file_refers_to_is_declared_in_it() {
    let b = bindings();
    let missing: Vec<String> = b
        .referenced
        .iter()
        .filter(|(_, dep)| !b.declared.contains(dep))
        .map(|(by, dep)| format!("{dep} (used by {by})"))
        .collect();
    assert!(
        missing.is_empty(),
        "add these to bindings(): {}",
        missing.join(", ")
    );
}

#[test]
fn a_hand_edit_of_the_generated_file_is_caught() {
    let fresh = render();
    assert_eq!(compare(&fresh, &fresh), Ok(()));

    // A field's type changed by hand: the check names the line and the
    // command that regenerates the file.
    let edited = fresh.replacen("pending: number", "pending: string", 1);
    assert_ne!(edited, fresh, "the field to edit is in the file");
    let why = compare(&edited, &fresh).expect_err("a hand edit must fail the check");
    assert!(why.contains("checked in: "), "{why}");
    assert!(why.contains("pending: string"), "{why}");
    assert!(why.contains(REGENERATE), "{why}");

    // A declaration added by hand at the end, or a blank line taken out.
    let appended = format!("{fresh}export type Extra = string;\n");
    assert!(compare(&appended, &fresh).is_err());
    let squeezed = fresh.replacen("\n\n", "\n", 1);
    assert!(compare(&squeezed, &fresh).is_err());
}
