//! The connection type every query takes, over either backend; the submodules of
//! `db` import it from here, not from `db`, so `db` has no import cycle.

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

/// The connection every query takes: one code base, two backends. Queries use the
/// SQL both understand (no `ON CONFLICT`, no `RETURNING`).
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}
