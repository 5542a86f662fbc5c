//! `arcada-fuzz`: coverage-guided fuzz targets for what Arcada takes from
//! others (docs/FUZZING.md).
//!
//! - [`push`]: a push as the server admits it (decode, apply to its copy
//!   of a document, judge).
//! - [`pull`]: a pulled page, or a snapshot page, as a workstation takes
//!   it into its SQLite store.
//! - [`webhook`]: a WhatsApp webhook body, signature to conversation.
//!
//! Each target is a function of the input bytes that panics only when a
//! rule breaks. Its binary (`fuzz-push`, `fuzz-pull`, `fuzz-webhook`) is
//! an AFL++ persistent-mode target when built with the `afl` feature under
//! cargo-afl (scripts/fuzz), and otherwise runs the files or directories
//! it is given; `tests/replay.rs` runs every corpus file through its target.

pub mod chunks;
pub mod clinic;
pub mod pull;
pub mod push;
pub mod webhook;

use std::path::{Path, PathBuf};

/// A fuzz target: panics only when a rule breaks.
pub type Target = fn(&[u8]);

/// The targets by name, as the corpus directories are named.
pub const TARGETS: [(&str, Target); 3] = [
    ("push", push::run),
    ("pull", pull::run),
    ("webhook", webhook::run),
];

/// The checked-in corpus of a target.
pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// The files of `path` (itself if a file), sorted.
pub fn inputs(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// A target binary's `main`: under AFL++ (the `afl` feature), the
/// persistent loop; otherwise each file or directory named on the command
/// line (a crash to reproduce, a corpus to replay) runs through `target`.
pub fn target_main(target: Target) -> anyhow::Result<()> {
    #[cfg(feature = "afl")]
    {
        // The seed documents are made before the fork server starts, so
        // each child does not make them again.
        clinic::seeds();
        // Panics the code catches on purpose (the server's guards around
        // automerge) are refusals, not crashes: no abort-on-panic hook.
        afl::fuzz(false, target);
        Ok(())
    }
    #[cfg(not(feature = "afl"))]
    {
        let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
        anyhow::ensure!(!args.is_empty(), "usage: fuzz-TARGET FILE_OR_DIRECTORY...");
        let mut n = 0;
        for arg in &args {
            for file in inputs(arg)? {
                let data = std::fs::read(&file)?;
                eprintln!("{}", file.display());
                target(&data);
                n += 1;
            }
        }
        eprintln!("{n} inputs ran");
        Ok(())
    }
}
