//! The schema's migrations, embedded per backend, and running them safely when
//! several instances start at once.

use std::fmt;

use diesel::result::Error as QueryError;
use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::conn::Conn;
use super::error::DbError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating, so instances that
/// start at once migrate one after the other ("acct" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x6163_6374;

/// Runs the backend's pending migrations. Safe when several instances start at
/// once: they take turns (an exclusive transaction on SQLite, an advisory lock on
/// PostgreSQL) and the later ones find nothing left to do.
pub(super) fn migrate(conn: &mut Conn) -> Result<(), DbError> {
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

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::super::sqlite::establish;
    use super::*;

    #[derive(QueryableByName)]
    struct PlanStep {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    /// A person's tokens come out of the owner index in the list's order (newest
    /// first, ties by id), so SQLite sorts nothing on each list or page.
    #[test]
    fn the_owner_index_gives_the_lists_order_without_a_sort() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Conn::Sqlite(establish(&dir.path().join("t.db")).unwrap());
        migrate(&mut conn).unwrap();
        let plan: Vec<PlanStep> = diesel::sql_query(
            "EXPLAIN QUERY PLAN SELECT id, description, created_at, expires_at, \
             last_used_at, scopes FROM api_tokens WHERE workspace_id = 'w' \
             AND user_id = 'u' ORDER BY created_at DESC, id DESC",
        )
        .load(&mut conn)
        .unwrap();
        let plan: Vec<&str> = plan.iter().map(|s| s.detail.as_str()).collect();
        assert!(
            plan.iter().any(|s| s.contains("INDEX api_tokens_owner")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|s| s.contains("TEMP B-TREE")), "{plan:?}");
    }
}
