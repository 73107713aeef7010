//! The database: which backend (SQLite or PostgreSQL), the connection pool,
//! embedded migrations per backend, error classification, and the one helper that
//! runs blocking queries off the async executor.

pub mod schema;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The connection every query takes: one code base, two backends. Queries use the
/// SQL both understand (no `ON CONFLICT`, no `RETURNING`).
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// A shared pool of connections.
pub type DbPool = Pool<Manager>;
/// One connection borrowed from the pool.
pub type PooledConn = PooledConnection<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a writer waits for another writer before SQLite reports "busy".
/// Long enough that bursts of concurrent writes queue instead of failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// How long a request waits for a connection before it is answered 503: short, so
/// an unreachable database is reported within seconds instead of hanging clients.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);
/// Key of the PostgreSQL advisory lock held while migrating, so instances that
/// start at once migrate one after the other ("acct" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6163_6374;

/// Where the data lives: a SQLite file (the default) or a PostgreSQL database.
///
/// Parsed from `--database`: `postgres://...` or `postgresql://...` is PostgreSQL
/// (libpq's URL, so `?sslmode=require` and friends work); `sqlite://PATH` or any
/// other string is the path of a SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(s.to_owned()))
        } else if let Some(path) = s.strip_prefix("sqlite://") {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
        }
    }
}

impl From<PathBuf> for DatabaseUrl {
    fn from(path: PathBuf) -> Self {
        DatabaseUrl::Sqlite(path)
    }
}

/// Shows where the data lives without the PostgreSQL password, so it can be logged.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(QueryError),
    /// The database takes no writes: its SQLite file, that file's `-wal` or `-shm`,
    /// its folder or its file system cannot be written, or PostgreSQL is in
    /// read-only mode. Reads still work. The text says which file and why.
    #[error("the database is read-only: {0}")]
    ReadOnly(String),
    /// No space left for the database to grow (SQLite's `SQLITE_FULL`, "database or
    /// disk is full"; PostgreSQL's "No space left on device").
    #[error("the database or its disk is full: {0}")]
    Full(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database migrations failed: {0}")]
    Migration(String),
    #[error("cannot open the database {target}: {reason}")]
    Open { target: String, reason: String },
    #[error("the background task running a query was cancelled")]
    Cancelled,
}

/// Every failed query becomes a `DbError` here, so that a read-only or full
/// database is recognised in one place. Diesel reports SQLite's error codes only
/// through the message, hence the matching on text.
impl From<QueryError> for DbError {
    fn from(e: QueryError) -> Self {
        if let QueryError::DatabaseError(kind, info) = &e {
            let message = info.message().to_ascii_lowercase();
            // SQLITE_READONLY and its extended codes; PostgreSQL's SQLSTATE 25006.
            if *kind == DatabaseErrorKind::ReadOnlyTransaction
                || message.contains("readonly database")
            {
                return DbError::ReadOnly(e.to_string());
            }
            // SQLITE_FULL; PostgreSQL's disk_full (ENOSPC).
            if message.contains("database or disk is full")
                || message.contains("no space left on device")
            {
                return DbError::Full(e.to_string());
            }
        }
        DbError::Query(e)
    }
}

impl DbError {
    /// True when the database is there but cannot take the request right now
    /// (server down or restarting, connection lost, pool exhausted, file locked,
    /// disk full, read-only): a 503, not a 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Cancelled | DbError::ReadOnly(_) | DbError::Full(_) => true,
            DbError::Query(e) => query_error_is_unavailable(e),
            _ => false,
        }
    }

    /// True when the database answers but cannot store anything: read-only or full.
    pub fn is_write_fault(&self) -> bool {
        matches!(self, DbError::ReadOnly(_) | DbError::Full(_))
    }

    /// Names the cause of a SQLite "disk I/O error" when it is a file that can no
    /// longer be written. A connection that was open before the file became
    /// read-only (`chattr +i`, a file system remounted read-only) gets EPERM or
    /// EROFS from the kernel, which SQLite reports only as an I/O error; checking the
    /// files tells the operator what actually happened.
    pub fn diagnose(self, conn: &mut Conn) -> DbError {
        let DbError::Query(e) = &self else {
            return self;
        };
        let is_io_error = matches!(
            e,
            QueryError::DatabaseError(_, info)
                if info.message().eq_ignore_ascii_case("disk I/O error")
        );
        match sqlite_file(conn) {
            Some(file) if is_io_error => match check_writable(&file.path) {
                Err(why) => DbError::ReadOnly(format!("{e}: {why}")),
                Ok(()) => self,
            },
            _ => self,
        }
    }
}

fn query_error_is_unavailable(e: &QueryError) -> bool {
    match e {
        QueryError::BrokenTransactionManager => true,
        QueryError::DatabaseError(kind, info) => {
            if matches!(
                kind,
                DatabaseErrorKind::UnableToSendCommand
                    | DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::SerializationFailure
            ) {
                return true;
            }
            let m = info.message().to_ascii_lowercase();
            [
                // SQLite
                "locked",
                "busy",
                "disk i/o error",
                "unable to open",
                // PostgreSQL going away or coming back
                "connection",
                "terminating",
                "shutting down",
                "starting up",
                "recovery mode",
            ]
            .iter()
            .any(|needle| m.contains(needle))
        }
        _ => false,
    }
}

/// What a pooled SQLite connection knows about its file. It is kept as the
/// connection's Diesel instrumentation (one that ignores every event), the one slot
/// per connection that Diesel lets us fill and find again by downcasting.
struct SqliteFile {
    path: PathBuf,
    /// SQLite opened the file read-only because it could not be written at the
    /// time. Such a connection never writes again, even once the file can be
    /// written, so the pool replaces it then (see [`Manager::is_valid`]).
    read_only: bool,
}

impl Instrumentation for SqliteFile {
    fn on_connection_event(&mut self, _event: InstrumentationEvent<'_>) {}
}

fn sqlite_file(conn: &mut Conn) -> Option<&SqliteFile> {
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
fn check_writable(path: &Path) -> Result<(), String> {
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

/// Makes pool connections of the configured backend. (Diesel's generic manager
/// would try each backend in turn on every connect, and a PostgreSQL URL that
/// cannot connect would then be opened as a SQLite file name.)
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    fn establish(&self) -> Result<Conn, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => Ok(Conn::Postgres(PgConnection::establish(url)?)),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the one writer; the busy timeout
                // makes writers queue rather than fail with "database is locked".
                conn.batch_execute(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"))
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                // Switching a new file to WAL needs a moment alone with it: while
                // another instance does the same (or migrates), SQLite can answer
                // "database is locked" without consulting the busy handler. Such a
                // race is over in milliseconds, so wait it out like a busy lock.
                let deadline = std::time::Instant::now()
                    + Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS as u64);
                loop {
                    match conn.batch_execute(
                        "PRAGMA journal_mode = WAL;
                         PRAGMA synchronous = NORMAL;
                         PRAGMA foreign_keys = ON;",
                    ) {
                        Ok(()) => break,
                        Err(QueryError::DatabaseError(_, info))
                            if info.message().contains("locked")
                                && std::time::Instant::now() < deadline =>
                        {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(e) => {
                            return Err(diesel::ConnectionError::CouldntSetupConfiguration(e))
                        }
                    }
                }
                conn.set_instrumentation(SqliteFile {
                    path: path.clone(),
                    read_only: check_writable(path).is_err(),
                });
                Ok(Conn::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        self.establish()
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    /// Runs on every checkout. A SQLite connection that was opened read-only is
    /// replaced once its file can be written again, so the server recovers without
    /// a restart; any other SQLite connection is a file handle that cannot go
    /// stale, so it costs no query (a `SELECT 1` here would double every request's
    /// round trips). A PostgreSQL connection can (a restarted server): a trivial
    /// query.
    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        if let Some(file) = sqlite_file(conn) {
            if file.read_only && check_writable(&file.path).is_ok() {
                let why = "the SQLite file can be written again: replacing a connection \
                           that was opened while it could not";
                tracing::info!("{why}");
                return Err(diesel::r2d2::Error::ConnectionError(
                    diesel::ConnectionError::BadConnection(why.into()),
                ));
            }
            return Ok(());
        }
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Opens the database (creating a SQLite file if needed), migrates it and returns
/// a pool of connections to it.
pub fn open(url: &DatabaseUrl) -> Result<DbPool, DbError> {
    if let DatabaseUrl::Sqlite(path) = url {
        keep_private(path);
    }
    let manager = Manager { url: url.clone() };
    let open_error = |reason: String| DbError::Open {
        target: url.to_string(),
        reason,
    };
    // One direct connection first: it fails at once with the backend's own reason
    // (missing folder, not a database, refused, bad password) where the pool
    // would retry until its timeout.
    let mut first = manager.establish().map_err(|e| {
        let mut reason = e.to_string();
        // SQLite says only "unable to open database file": add the cause when it
        // is a file or folder that cannot be written.
        if let DatabaseUrl::Sqlite(path) = url {
            if let Err(why) = check_writable(path) {
                reason = format!("{reason}: {why}");
            }
        }
        open_error(reason)
    })?;
    // SQLite opens a file it cannot write read-only, and an up-to-date database
    // needs no write to start: refuse here rather than fail on the first write.
    if let DatabaseUrl::Sqlite(path) = url {
        check_writable(path).map_err(|why| open_error(format!("it is read-only: {why}")))?;
    }
    migrate(&mut first)?;
    drop(first);
    let max_size = match url {
        // One writer at a time anyway; a few readers beside it.
        DatabaseUrl::Sqlite(_) => 8,
        DatabaseUrl::Postgres(_) => 16,
    };
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(CHECKOUT_TIMEOUT)
        .build(manager)
        .map_err(|e| open_error(e.to_string()))
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
fn keep_private(path: &Path) {
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

/// Runs the backend's pending migrations. Safe when several instances start at
/// once: they take turns (an exclusive transaction on SQLite, an advisory lock on
/// PostgreSQL) and the later ones find nothing left to do.
fn migrate(conn: &mut Conn) -> Result<(), DbError> {
    let failed = |e: &dyn fmt::Display| DbError::Migration(e.to_string());
    match conn {
        Conn::Sqlite(conn) => conn
            .exclusive_transaction(|conn| {
                conn.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|_| ())
                    .map_err(|e| QueryError::QueryBuilderError(e.to_string().into()))
            })
            .map_err(|e| failed(&e)),
        Conn::Postgres(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| failed(&e));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
            result
        }
    }
}

/// Runs `f` in a transaction that may write. On SQLite the outermost one begins
/// with `BEGIN IMMEDIATE`, taking the write lock at once and waiting out the busy
/// timeout: a deferred transaction that reads before it writes fails with
/// "database is locked", without waiting, when another connection (or another
/// instance) wrote since its read. Nested calls are savepoints, and PostgreSQL gets
/// an ordinary transaction.
pub fn write_transaction<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<QueryError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let Conn::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    let outermost = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()?
        .is_none();
    if !outermost {
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    type Manager = <Conn as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            Manager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Is the database answering? A connection from the pool and a trivial query.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    run(pool, |conn| Ok(conn.ping()?)).await
}

/// Runs blocking database work on actix's blocking thread pool, never on the
/// async executor.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, DbError>
where
    F: FnOnce(&mut Conn) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    // The work runs on another thread, where the caller's span (a request's, with
    // its request id) is not current unless entered there.
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        span.in_scope(|| {
            let mut conn = pool.get()?;
            work(&mut conn).map_err(|e| e.diagnose(&mut conn))
        })
    })
    .await
    .map_err(|_| DbError::Cancelled)?
}

/// True for the error a unique index raises (a name or key already taken).
pub fn is_unique_violation(e: &QueryError) -> bool {
    matches!(
        e,
        QueryError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_picks_the_backend() {
        assert_eq!(
            "access-tokens.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("access-tokens.db".into())
        );
        assert_eq!(
            "sqlite:///var/lib/at.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("/var/lib/at.db".into())
        );
        for url in [
            "postgres://u@localhost/db",
            "postgresql://u@localhost/db?sslmode=require",
            "POSTGRES://u@localhost/db",
        ] {
            assert!(url.parse::<DatabaseUrl>().unwrap().is_postgres(), "{url}");
        }
    }

    fn query_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        QueryError::DatabaseError(kind, Box::new(message.to_owned())).into()
    }

    #[test]
    fn a_read_only_or_full_database_is_told_apart_from_other_failures() {
        use DatabaseErrorKind::*;
        for read_only in [
            query_error(Unknown, "attempt to write a readonly database"),
            query_error(
                ReadOnlyTransaction,
                "cannot execute INSERT in a read-only transaction",
            ),
        ] {
            assert!(matches!(read_only, DbError::ReadOnly(_)), "{read_only}");
            assert!(read_only.is_write_fault() && read_only.is_unavailable());
        }
        for full in [
            query_error(Unknown, "database or disk is full"),
            query_error(
                Unknown,
                "could not extend file \"base/16384/16385\": No space left on device",
            ),
        ] {
            assert!(matches!(full, DbError::Full(_)), "{full}");
            assert!(full.is_write_fault() && full.is_unavailable());
        }
        let locked = query_error(Unknown, "database is locked");
        assert!(matches!(locked, DbError::Query(_)));
        assert!(locked.is_unavailable() && !locked.is_write_fault());
        let taken = query_error(UniqueViolation, "UNIQUE constraint failed: users.username");
        assert!(!taken.is_unavailable() && !taken.is_write_fault());
    }

    #[test]
    fn the_password_never_shows() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.example:5432/tokens?sslmode=require"
            .parse()
            .unwrap();
        let shown = url.to_string();
        assert_eq!(
            shown,
            "postgres://app:***@db.example:5432/tokens?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let no_password: DatabaseUrl = "postgres://app@db/tokens".parse().unwrap();
        assert_eq!(no_password.to_string(), "postgres://app@db/tokens");
    }
}
