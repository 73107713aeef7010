//! The database: connection pool, SQLite pragmas, embedded migrations, and the one
//! helper that runs blocking queries off the async executor.

pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The connection type every query takes.
pub type Conn = SqliteConnection;
/// A shared pool of connections.
pub type DbPool = Pool<ConnectionManager<Conn>>;
/// One connection borrowed from the pool.
pub type PooledConn = PooledConnection<ConnectionManager<Conn>>;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a writer waits for another writer before SQLite reports "busy".
/// Long enough that bursts of concurrent writes queue instead of failing.
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database migrations failed: {0}")]
    Migration(String),
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the background task running a query was cancelled")]
    Cancelled,
}

impl DbError {
    /// True when the database is there but cannot take the request right now
    /// (pool exhausted, file locked, disk full, read-only): a 503, not a 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Cancelled => true,
            DbError::Query(diesel::result::Error::DatabaseError(_, info)) => {
                let m = info.message().to_ascii_lowercase();
                m.contains("locked")
                    || m.contains("busy")
                    || m.contains("readonly")
                    || m.contains("read-only")
                    || m.contains("disk")
                    || m.contains("full")
            }
            _ => false,
        }
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<Conn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        // WAL lets readers run beside the one writer; the busy timeout makes
        // writers queue rather than fail with "database is locked".
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;"
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens (creating if needed) the SQLite database at `path`, migrates it and
/// returns a pool of connections to it.
pub fn open(path: &Path) -> Result<DbPool, DbError> {
    let url = path.to_string_lossy().into_owned();
    // One direct connection first: it fails at once with SQLite's own reason
    // (missing folder, not a database, no permission) where the pool would retry.
    let mut probe = Conn::establish(&url).map_err(|e| DbError::Open {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    SqlitePragmas
        .on_acquire(&mut probe)
        .map_err(|e| DbError::Open {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    drop(probe);
    let manager = ConnectionManager::<Conn>::new(url);
    let pool = Pool::builder()
        .max_size(8)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .map_err(|e| DbError::Open {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    let mut conn = pool.get()?;
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(pool)
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
