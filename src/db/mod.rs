//! The database: which backend (SQLite or PostgreSQL), the connection pool,
//! embedded migrations per backend, error classification, the Diesel column types
//! of the ID newtypes, and the one helper that runs blocking queries off the async
//! executor.

mod conn;
mod database_url;
mod error;
mod migrate;
mod pool;
pub mod schema;
mod shared_read;
mod sqlite;
mod types;

use diesel::r2d2::R2D2Connection;
use diesel::result::Error as QueryError;
use diesel::Connection;

pub use conn::{Conn, MultiBackend};
pub use database_url::DatabaseUrl;
pub use error::{is_unique_violation, DbError};
pub use pool::{open, DbPool, Manager, PooledConn};
pub use shared_read::SharedReads;

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

/// Loads `query`'s rows on the concrete connection under `conn`. Through the
/// multi-backend `Conn`, Diesel writes a statement's SQL out again on every run to
/// find its prepared statement (and quotes each identifier doing it); a concrete
/// connection finds it by the query's type. For the reads every request makes
/// (the token list, the Access Tokens page) that was a fifth of their cost.
pub fn load<'q, Q, U>(conn: &mut Conn, query: Q) -> diesel::QueryResult<Vec<U>>
where
    Q: diesel::query_dsl::LoadQuery<'q, diesel::SqliteConnection, U>
        + diesel::query_dsl::LoadQuery<'q, diesel::PgConnection, U>,
{
    use diesel::RunQueryDsl;
    match conn {
        Conn::Sqlite(c) => RunQueryDsl::load(query, c),
        Conn::Postgres(c) => RunQueryDsl::load(query, c),
    }
}

/// The first row of `query`, on the concrete connection as [`load`] reads.
pub fn first<'q, Q, U>(conn: &mut Conn, query: Q) -> diesel::QueryResult<Option<U>>
where
    Q: diesel::query_dsl::methods::LimitDsl,
    Q::Output: diesel::query_dsl::LoadQuery<'q, diesel::SqliteConnection, U>
        + diesel::query_dsl::LoadQuery<'q, diesel::PgConnection, U>,
{
    Ok(load(conn, query.limit(1))?.into_iter().next())
}

/// Is the database answering? A connection from the pool and a trivial query.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    run(pool, |conn| Ok(conn.ping()?)).await
}

/// Runs blocking database work on actix's blocking thread pool, never on the
/// async executor.
///
/// A connection found lost by the work itself (PostgreSQL restarted or dropped
/// it: no `SELECT 1` checks each checkout, see `pool::Manager::is_valid`) makes
/// every checkout checked for a while, and the work runs once more on another
/// connection. That is safe for a write: the server rolled back the transaction of
/// a connection it lost. Only the loss of a `COMMIT` already sent is left in
/// doubt, as it is for any client of any database.
pub async fn run<T, F>(pool: &DbPool, mut work: F) -> Result<T, DbError>
where
    F: FnMut(&mut Conn) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    // The work runs on another thread, where the caller's span (a request's, with
    // its request id) is not current unless entered there.
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        span.in_scope(|| {
            let mut conn = pool.get()?;
            match work(&mut conn) {
                Err(e) if e.is_lost_connection() => {
                    tracing::warn!(error = %e, "a database connection was lost; retrying on another");
                    pool::suspect_connections();
                    drop(conn);
                    let mut conn = pool.get()?;
                    work(&mut conn).map_err(|e| e.diagnose(&mut conn))
                }
                done => done.map_err(|e| e.diagnose(&mut conn)),
            }
        })
    })
    .await
    .map_err(|_| DbError::Cancelled)?
}
