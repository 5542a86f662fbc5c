//! Files only their owner may read: the clinic's store, the server's
//! database, sessions. Directories 0700, files 0600 (on Unix; elsewhere
//! the platform's defaults stand). Files made before this existed are
//! tightened when opened.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) and makes it the owner's alone.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Options that create a file readable by its owner alone.
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Prepares a SQLite database at `path`: its directory private, the file
/// created private or made so, and so its journal files (SQLite gives
/// them the database file's permissions; ones left by an older version
/// are tightened too).
pub fn database(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    options().create(true).append(true).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            if file.exists() {
                fs::set_permissions(file, fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn databases_and_their_directories_are_the_owners_alone() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("clinic");
        let path = dir.join("arcada.sqlite3");
        // An older install left them readable by everyone.
        fs::create_dir_all(&dir).expect("dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::write(&path, b"").expect("file");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        database(&path).expect("prepared");
        assert_eq!((mode(&dir), mode(&path)), (0o700, 0o600));
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.execute("CREATE TABLE t (x)", []).expect("write");
        let wal = dir.join("arcada.sqlite3-wal");
        assert!(wal.exists());
        assert_eq!(mode(&wal), 0o600, "journal files follow the database");
    }
}
