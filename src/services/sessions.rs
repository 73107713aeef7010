//! A user's signed-in browsers (Preferences > Sessions): list them, sign one out,
//! sign out all but this one.

use crate::auth::session::{self, IDLE_LIMIT, MAX_SESSION_AGE};
use crate::db::{self, DbError, DbPool};
use crate::domain::{Timestamp, UserId};
use crate::models::session::{self as rows, SessionRow};

/// The user's sessions that have not ended, newest first.
pub async fn list(pool: &DbPool, user: UserId, now: Timestamp) -> Result<Vec<SessionRow>, DbError> {
    let rows = db::run(pool, move |conn| Ok(rows::list_for_user(conn, user)?)).await?;
    Ok(rows
        .into_iter()
        .filter(|r| !session::ended(r, now))
        .collect())
}

/// Signs out one of the user's sessions; `false` when they have no such session.
pub async fn sign_out_one(pool: &DbPool, user: UserId, id: String) -> Result<bool, DbError> {
    db::run(
        pool,
        move |conn| Ok(rows::delete_one(conn, user, &id)? == 1),
    )
    .await
}

/// Signs out every session of the user but `keep`; how many there were.
pub async fn sign_out_others(pool: &DbPool, user: UserId, keep: String) -> Result<usize, DbError> {
    db::run(pool, move |conn| {
        Ok(rows::delete_others(conn, user, &keep, None)?)
    })
    .await
}

/// How long a sign-in lasts at most, and unused, in hours, for the page's hint.
pub fn limits_in_hours() -> (u64, u64) {
    (
        MAX_SESSION_AGE.as_secs() / 3600,
        IDLE_LIMIT.as_secs() / 3600,
    )
}
