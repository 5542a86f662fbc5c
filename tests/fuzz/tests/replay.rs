//! Every file of the checked-in corpus through its target, without AFL++:
//! a target that panics on any of them (a regression of a crash once
//! found, or a seed the rules now treat differently) fails here, in the
//! ordinary test suite.

use arcada_fuzz::{corpus_dir, inputs, TARGETS};

fn replay(target: &str) {
    let (_, run) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a target of that name");
    let files = inputs(&corpus_dir(target)).expect("the corpus reads");
    assert!(
        files.len() >= 10,
        "{target}: the corpus holds {} files",
        files.len()
    );
    for file in files {
        let data = std::fs::read(&file).expect("a corpus file reads");
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target} panicked on {}", file.display());
    }
}

#[test]
fn every_push_input_of_the_corpus_runs() {
    replay("push");
}

#[test]
fn every_pull_input_of_the_corpus_runs() {
    replay("pull");
}

#[test]
fn every_webhook_input_of_the_corpus_runs() {
    replay("webhook");
}

#[test]
fn the_corpus_is_small() {
    let mut total = 0;
    for (target, _) in TARGETS {
        for file in inputs(&corpus_dir(target)).expect("the corpus reads") {
            total += std::fs::metadata(&file).expect("metadata").len();
        }
    }
    assert!(total < 1024 * 1024, "the corpus holds {total} bytes");
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir(target).join(name)).expect("a seed of that name")
}

/// The seeds do what their names say, so the fuzzer starts from both
/// sides of every rule: honest changes stored, hostile ones refused.
#[test]
fn honest_push_seeds_are_stored_and_hostile_ones_refused() {
    use arcada_fuzz::push::admit;
    for file in inputs(&corpus_dir("push")).expect("the corpus reads") {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let v = admit(&std::fs::read(&file).expect("reads"));
        let honest = (name.starts_with("new-") || name.starts_with("edit-"))
            && name != "edit-chart-by-the-front-desk";
        if honest {
            assert!(v.stored > 0 && v.refused == 0 && !v.whole, "{name}: {v:?}");
        }
    }
    let v = admit(&seed("push", "edit-chart-by-the-front-desk"));
    assert!(v.whole && v.stored == 0, "{v:?}");
    for name in [
        "chart-alters-a-lock",
        "chart-removes-an-entry",
        "chart-rewrites-a-signature",
        "chart-drops-an-invalidation",
        "chart-becomes-a-patient",
        "chart-of-another-patient",
        "patient-claims-another-id",
        "patient-loses-its-class",
        "patient-name-becomes-a-number",
        "agenda-removes-an-appointment",
        "agenda-moves-to-another-week",
        "agenda-missing-dependency",
        "conversation-removes-a-message",
        "conversation-changes-contact",
        "directory-names-another-org",
        "compression-bomb",
        "wrong-checksum",
        "a-whole-document",
        "truncated",
    ] {
        let v = admit(&seed("push", name));
        assert!(v.stored == 0 && v.refused > 0, "{name}: {v:?}");
    }
    for (name, stored, refused) in [
        ("chart-honest-then-hostile", 1, 1),
        ("chart-out-of-order", 2, 0),
        ("patient-duplicate-seq", 1, 1),
    ] {
        let v = admit(&seed("push", name));
        assert_eq!((v.stored, v.refused), (stored, refused), "{name}");
    }
}

#[test]
fn honest_pull_seeds_are_taken_in_and_hostile_ones_set_aside() {
    use arcada_fuzz::pull::take;
    for file in inputs(&corpus_dir("pull")).expect("the corpus reads") {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let set_aside = take(&std::fs::read(&file).expect("reads"));
        let honest = ["page-new-", "page-edit-", "snapshot-new-", "snapshot-held-"]
            .iter()
            .any(|p| name.starts_with(p));
        if honest {
            assert_eq!(set_aside, 0, "{name}");
        } else if name.starts_with("page-") || name.starts_with("snapshot-") {
            assert!(set_aside > 0, "{name}: nothing set aside");
        }
    }
}
