//! SQLite specifics: opening a file with the right settings, keeping it private,
//! and telling whether it (and its `-wal` and `-shm`) can be written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::result::Error as QueryError;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use super::conn::Conn;

/// How long a writer waits for another writer before SQLite reports "busy".
/// Long enough that bursts of concurrent writes queue instead of failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// Opens the SQLite file at `path` with the settings every connection needs: WAL,
/// a busy timeout, foreign keys; and notes the file in the connection (see
/// [`SqliteFile`]).
pub(super) fn establish(path: &Path) -> Result<SqliteConnection, ConnectionError> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
    // WAL lets readers run beside the one writer; the busy timeout
    // makes writers queue rather than fail with "database is locked".
    conn.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"))
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    // Switching a new file to WAL needs a moment alone with it: while
    // another instance does the same (or migrates), SQLite can answer
    // "database is locked" without consulting the busy handler. Such a
    // race is over in milliseconds, so wait it out like a busy lock.
    let deadline = std::time::Instant::now() + Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS as u64);
    loop {
        match conn.batch_execute(
            "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;",
        ) {
            Ok(()) => break,
            Err(QueryError::DatabaseError(_, info))
                if info.message().contains("locked") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(ConnectionError::CouldntSetupConfiguration(e)),
        }
    }
    conn.set_instrumentation(SqliteFile {
        path: path.to_path_buf(),
        read_only: check_writable(path).is_err(),
    });
    Ok(conn)
}

/// What a pooled SQLite connection knows about its file. It is kept as the
/// connection's Diesel instrumentation (one that ignores every event), the one slot
/// per connection that Diesel lets us fill and find again by downcasting.
pub(super) struct SqliteFile {
    pub(super) path: PathBuf,
    /// SQLite opened the file read-only because it could not be written at the
    /// time. Such a connection never writes again, even once the file can be
    /// written, so the pool replaces it then (see [`super::Manager::is_valid`]).
    pub(super) read_only: bool,
}

impl Instrumentation for SqliteFile {
    fn on_connection_event(&mut self, _event: InstrumentationEvent<'_>) {}
}

pub(super) fn sqlite_file(conn: &mut Conn) -> Option<&SqliteFile> {
    match conn {
        Conn::Sqlite(conn) => conn.instrumentation().downcast_ref::<SqliteFile>(),
        Conn::Postgres(_) => None,
    }
}

/// Whether SQLite can write the database at `path`: the file and its `-wal` and
/// `-shm` files, or for those that do not exist yet, the folder where SQLite must
/// create them. On failure, which one cannot be written and the operating system's
/// reason.
///
/// It asks with access(2) and never opens the files: closing a descriptor of the
/// database would drop every POSIX lock this process holds on it, locks SQLite
/// relies on.
pub(super) fn check_writable(path: &Path) -> Result<(), String> {
    let writable = |p: &Path| {
        rustix::fs::accessat(
            rustix::fs::CWD,
            p,
            rustix::fs::Access::WRITE_OK,
            rustix::fs::AtFlags::EACCESS,
        )
        .map_err(std::io::Error::from)
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if file.exists() {
            writable(&file).map_err(|e| format!("{} cannot be written: {e}", file.display()))?;
        } else {
            writable(folder).map_err(|e| {
                format!(
                    "the folder {} cannot be written, and SQLite must create {} there: {e}",
                    folder.display(),
                    file.display()
                )
            })?;
        }
    }
    Ok(())
}

/// The SQLite file holds the session key and the signing keys: a new one is created
/// here, before SQLite opens it, readable and writable by this user only, whatever
/// the umask (SQLite gives the `-wal` and `-shm` it creates the main file's mode).
/// An existing one (or its `-wal` or `-shm`) that others may read or write is left
/// as it is, with a warning: changing the mode of an operator's file is theirs to
/// decide.
///
/// Creating never opens an existing file (closing a descriptor of the database
/// would drop this process's POSIX locks on it, see `check_writable`). Any other
/// failure is left for SQLite to report with its reason.
pub(super) fn keep_private(path: &Path) {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let name = path.as_os_str();
    if name.is_empty() || name == ":memory:" || path.to_string_lossy().starts_with("file:") {
        return;
    }
    let private = std::fs::Permissions::from_mode(0o600);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        // A umask can only take bits away; this puts back a write bit it took.
        Ok(file) => {
            if let Err(e) = file.set_permissions(private) {
                tracing::warn!(file = %path.display(), error = %e, "cannot make the new database file private");
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                let file = PathBuf::from(name);
                let Ok(meta) = std::fs::metadata(&file) else {
                    continue;
                };
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        file = %file.display(),
                        mode = %format!("{mode:04o}"),
                        "the database file can be read or written by other users, and it holds the \
                         session key and the signing keys: make it private (chmod 600, with its \
                         -wal and -shm files)"
                    );
                }
            }
        }
        Err(_) => {}
    }
}
