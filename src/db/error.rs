//! What can go wrong with the database, classified once: unavailable (a 503),
//! read-only or full (a write fault), or a plain failure.

use diesel::result::{DatabaseErrorKind, Error as QueryError};

use super::conn::Conn;
use super::sqlite::{check_writable, sqlite_file};

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

    /// True when the connection itself is gone (the server closed it, restarted,
    /// or cannot be written to): another connection may well work.
    pub fn is_lost_connection(&self) -> bool {
        matches!(
            self,
            DbError::Query(QueryError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _
            ))
        )
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
    fn only_a_connection_that_is_gone_is_worth_retrying_on_another() {
        use DatabaseErrorKind::*;
        for lost in [
            query_error(
                ClosedConnection,
                "server closed the connection unexpectedly",
            ),
            query_error(UnableToSendCommand, "no connection to the server"),
        ] {
            assert!(lost.is_lost_connection() && lost.is_unavailable(), "{lost}");
        }
        for other in [
            query_error(Unknown, "database is locked"),
            query_error(UniqueViolation, "duplicate key value"),
            query_error(SerializationFailure, "could not serialize access"),
            DbError::Cancelled,
        ] {
            assert!(!other.is_lost_connection(), "{other}");
        }
    }
}
