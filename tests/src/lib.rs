//! Cross-process integration tests (real server binary, several
//! workstations, crashes and partitions) live in this crate's `tests/`.
//! The single-process CLI tests live beside the `arcada` binary in `app/tests`.
