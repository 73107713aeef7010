//! The database: which backend (SQLite or PostgreSQL), the connection pool,
//! embedded migrations per backend, error classification, and the one helper that
//! runs blocking queries off the async executor.

pub mod schema;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use diesel::connection::SimpleConnection;
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
    Query(#[from] QueryError),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database migrations failed: {0}")]
    Migration(String),
    #[error("cannot open the database {target}: {reason}")]
    Open { target: String, reason: String },
    #[error("the background task running a query was cancelled")]
    Cancelled,
}

impl DbError {
    /// True when the database is there but cannot take the request right now
    /// (server down or restarting, connection lost, pool exhausted, file locked,
    /// disk full, read-only): a 503, not a 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Cancelled => true,
            DbError::Query(e) => query_error_is_unavailable(e),
            _ => false,
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
                    | DatabaseErrorKind::ReadOnlyTransaction
                    | DatabaseErrorKind::SerializationFailure
            ) {
                return true;
            }
            let m = info.message().to_ascii_lowercase();
            [
                // SQLite
                "locked",
                "busy",
                "readonly",
                "read-only",
                "disk",
                "full",
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
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;"
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
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

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Opens the database (creating a SQLite file if needed), migrates it and returns
/// a pool of connections to it.
pub fn open(url: &DatabaseUrl) -> Result<DbPool, DbError> {
    let manager = Manager { url: url.clone() };
    let open_error = |reason: String| DbError::Open {
        target: url.to_string(),
        reason,
    };
    // One direct connection first: it fails at once with the backend's own reason
    // (missing folder, not a database, refused, bad password) where the pool
    // would retry until its timeout.
    let mut first = manager.establish().map_err(|e| open_error(e.to_string()))?;
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
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
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
