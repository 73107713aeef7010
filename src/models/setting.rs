//! Instance settings kept in the database, such as the generated session key.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::Conn;

/// Returns the value stored under `name`, storing `make()` first if there is none.
///
/// Safe when several processes start at once: the first insert wins and everyone
/// reads that one.
pub fn get_or_insert_with(
    conn: &mut Conn,
    name: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    diesel::insert_into(settings::table)
        .values((settings::name.eq(name), settings::value.eq(make())))
        .on_conflict_do_nothing()
        .execute(conn)?;
    settings::table
        .find(name)
        .select(settings::value)
        .first(conn)
}
