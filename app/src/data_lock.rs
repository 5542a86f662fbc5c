//! Who may write a clinic's data directory while the desktop app has it
//! open: no one else. The app holds `desktop.lock` (an OS file lock)
//! exclusively for as long as it runs; the `arcada` command line holds it
//! shared for each command, so it refuses to run beside the app (and the
//! app refuses to open beside a running command), while several commands
//! may still run together (SQLite serialises their writes).

use std::fs::File;
use std::path::{Path, PathBuf};

/// The lock file in a data directory.
pub const FILE: &str = "desktop.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the clinic in {0} is open in the Arcada app; close it there first")]
    InUse(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How the lock is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The desktop app: alone.
    App,
    /// A command: beside other commands, never beside the app.
    Command,
}

/// Takes the lock of `dir` (created if needed); it is held until the file
/// returned is dropped.
pub fn hold(dir: &Path, how: Hold) -> Result<File, LockError> {
    let io = |source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    };
    crate::owner_only::create_dir(dir).map_err(io)?;
    let file = crate::owner_only::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(FILE))
        .map_err(io)?;
    let taken = match how {
        Hold::App => file.try_lock(),
        Hold::Command => file.try_lock_shared(),
    };
    match taken {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::InUse(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_run_together_but_never_beside_the_app() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = hold(tmp.path(), Hold::Command).expect("a command");
        let b = hold(tmp.path(), Hold::Command).expect("another command");
        assert!(matches!(
            hold(tmp.path(), Hold::App),
            Err(LockError::InUse(_))
        ));
        drop((a, b));
        let app = hold(tmp.path(), Hold::App).expect("the app");
        assert!(matches!(
            hold(tmp.path(), Hold::Command),
            Err(LockError::InUse(_))
        ));
        drop(app);
        assert!(hold(tmp.path(), Hold::Command).is_ok());
    }
}
