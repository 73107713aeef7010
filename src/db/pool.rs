//! The connection pool: one connection per checkout, of the configured backend,
//! checked on the way out; and opening the database (migrated) behind it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::Connection;

use super::conn::Conn;
use super::database_url::DatabaseUrl;
use super::error::DbError;
use super::migrate::migrate;
use super::sqlite::{self, check_writable, keep_private, sqlite_file};

/// A shared pool of connections.
pub type DbPool = Pool<Manager>;
/// One connection borrowed from the pool.
pub type PooledConn = PooledConnection<Manager>;

/// How long a request waits for a connection before it is answered 503: short, so
/// an unreachable database is reported within seconds instead of hanging clients.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

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
            DatabaseUrl::Sqlite(path) => Ok(Conn::Sqlite(sqlite::establish(path)?)),
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
    /// stale, so it costs no query. A PostgreSQL connection can (a restarted
    /// server), but a `SELECT 1` on every checkout doubled every request's round
    /// trips: it is checked only while [`suspect_connections`] says a connection
    /// was lost lately. Outside that window a stale one is still caught: its first
    /// query fails, and [`super::run`] retries the work once on another.
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
        if !checking_connections() {
            return Ok(());
        }
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// How long every checkout of a PostgreSQL connection is checked after one was
/// found lost: long enough for a busy pool to pass each idle connection through a
/// check (and drop those the restart left behind).
const SUSPECT_WINDOW: Duration = Duration::from_secs(10);

/// Until when (milliseconds since the Unix epoch) checkouts are checked; 0 when
/// no connection was lost. One for the process: a second pool (tests open many)
/// only pays a few more checks.
static CHECK_UNTIL_MILLIS: AtomicU64 = AtomicU64::new(0);

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A connection was lost (the database restarted or went away): for the next
/// [`SUSPECT_WINDOW`], every checkout runs a trivial query first, so the other
/// connections the same event broke are dropped before work is given to them.
pub(super) fn suspect_connections() {
    let until = now_millis() + SUSPECT_WINDOW.as_millis() as u64;
    CHECK_UNTIL_MILLIS.fetch_max(until, Ordering::Relaxed);
}

fn checking_connections() -> bool {
    let until = CHECK_UNTIL_MILLIS.load(Ordering::Relaxed);
    until != 0 && now_millis() < until
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
