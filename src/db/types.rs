//! The ID newtypes as Diesel column types: a `Text` column holding a hyphenated
//! UUID reads straight into a `UserId`, `WorkspaceId`, `TokenId` or `GrantId`, and
//! binds from one, on both backends. The domain types stay free of Diesel: the
//! impls live here (`foreign_derive` derives them for the wrapped type).
//!
//! A stored id that does not parse is a deserialization error (the query fails,
//! the caller answers 500), never a panic.

use std::io::Write;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::conn::MultiBackend;
use crate::domain::oauth::GrantId;
use crate::domain::{TokenId, UserId, WorkspaceId};

/// A stored id, or the error that names the column's kind and the text found.
fn read_id<T>(text: &str, what: &str, parse: fn(&str) -> Option<T>) -> deserialize::Result<T> {
    parse(text).ok_or_else(|| format!("a stored {what} is not a UUID: {text:?}").into())
}

/// Every impl an id needs, for the id type `$id` and the way `$parse` reads one
/// back from text (`None`: not an id).
macro_rules! text_id_column {
    ($id:ident, $proxy:ident, $what:literal, $parse:expr) => {
        /// Carries the derives for the domain type it wraps (`foreign_derive`).
        #[derive(AsExpression, FromSqlRow)]
        #[diesel(foreign_derive)]
        #[diesel(sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($id);

        impl ToSql<Text, Pg> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                write!(out, "{self}")?;
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Sqlite> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_string());
                Ok(IsNull::No)
            }
        }

        /// Hands the id itself to the multi-backend bind collector, which binds it
        /// with the impl of the backend in use (above).
        impl ToSql<Text, MultiBackend> for $id {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }

        /// Read on the concrete connections by the hot reads (`db::load`), where
        /// Diesel caches each statement by its type.
        impl FromSql<Text, Pg> for $id {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
                read_id(std::str::from_utf8(bytes.as_bytes())?, $what, $parse)
            }
        }

        impl FromSql<Text, Sqlite> for $id {
            fn from_sql(
                mut bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                read_id(bytes.read_text(), $what, $parse)
            }
        }

        impl FromSql<Text, MultiBackend> for $id {
            fn from_sql(
                bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, MultiBackend>>::from_sql(bytes)?;
                read_id(&text, $what, $parse)
            }
        }
    };
}

text_id_column!(UserId, UserIdColumn, "user id", UserId::parse);
text_id_column!(
    WorkspaceId,
    WorkspaceIdColumn,
    "workspace id",
    WorkspaceId::parse
);
text_id_column!(TokenId, TokenIdColumn, "token id", |s| s.parse().ok());
text_id_column!(GrantId, GrantIdColumn, "grant id", |s| s.parse().ok());

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Nullable;

    use super::*;
    use crate::db::conn::Conn;
    use crate::db::database_url::DatabaseUrl;
    use crate::db::pool::{open, PooledConn};

    fn conn() -> (tempfile::TempDir, PooledConn) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db"));
        let pool = open(&url).unwrap();
        (dir, pool.get().unwrap())
    }

    #[test]
    fn an_id_binds_and_reads_back_as_itself() {
        let (_dir, mut conn) = conn();
        let conn: &mut Conn = &mut conn;
        let user = UserId::new_random();
        let read: UserId = diesel::select(user.into_sql::<Text>())
            .get_result(conn)
            .unwrap();
        assert_eq!(read, user);
        let none: Option<TokenId> = diesel::select(None::<TokenId>.into_sql::<Nullable<Text>>())
            .get_result(conn)
            .unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn a_stored_id_that_is_not_a_uuid_is_an_error_not_a_panic() {
        let (_dir, mut conn) = conn();
        let conn: &mut Conn = &mut conn;
        let read = diesel::select("not-a-uuid".into_sql::<Text>()).get_result::<GrantId>(conn);
        let error = read.unwrap_err();
        let mut why = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            why = format!("{why}: {cause}");
            source = cause.source();
        }
        assert!(why.contains("a stored grant id is not a UUID"), "{why}");
    }
}
