//! Instance settings kept in the database, such as the generated session key.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::{is_unique_violation, Conn};

/// Returns the value stored under `name`, storing `make()` first if there is none.
///
/// Safe when several processes start at once: the first insert wins and everyone
/// reads that one.
pub fn get_or_insert_with(
    conn: &mut Conn,
    name: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    let read = |conn: &mut Conn| {
        settings::table
            .find(name)
            .select(settings::value)
            .first::<String>(conn)
            .optional()
    };
    if let Some(value) = read(conn)? {
        return Ok(value);
    }
    // A savepoint, so that on PostgreSQL a lost race does not abort an enclosing
    // transaction.
    let inserted = crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(settings::table)
            .values((settings::name.eq(name), settings::value.eq(make())))
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    read(conn)?.ok_or(diesel::result::Error::NotFound)
}
