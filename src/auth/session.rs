//! The browser session: a random secret in an encrypted cookie, the signed-in
//! state on the server (`sessions`, found by the secret's SHA-256), and a second
//! encrypted cookie for what must stay out of the database (reveal tickets) or is
//! only worth one page view (the flash message).
//!
//! Why on the server: a self-contained cookie cannot be ended, so a copy saved
//! before sign-out kept working until its maximum age. With the state in the
//! database, sign-out, a password change, a deactivation or "sign out" on
//! Preferences > Sessions ends it at once, on every instance.

use std::cell::RefCell;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::time::Duration;

use actix_session::{Session, SessionExt, SessionInsertError};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::db::{self, Conn, DbError, DbPool};
use crate::domain::{Timestamp, UserId, WorkspaceId};
use crate::models::session::{self as rows, NewSession};

pub use crate::models::session::SessionRow;

/// The cookie that carries the session's secret (and nothing else).
pub const SESSION_COOKIE: &str = "access_tokens_session";
/// The cookie that carries the flash message and the reveal tickets.
pub const STATE_COOKIE: &str = "access_tokens_state";

const FLASH: &str = "flash";
const REVEAL: &str = "reveal";
const OAUTH_REVEAL: &str = "oauth_reveal";

/// How long a sign-in lasts, however active the session.
pub const MAX_SESSION_AGE: Duration = Duration::from_secs(12 * 60 * 60);
/// A session not seen for this long has ended: a browser left signed in on a
/// shared machine does not stay usable for the whole 12 hours.
pub const IDLE_LIMIT: Duration = Duration::from_secs(2 * 60 * 60);
/// "Last seen" is written at most this often, so that browsing costs no write.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// The longest user agent kept, in characters.
const USER_AGENT_CHARS: usize = 255;

/// The secret a session cookie carries: 32 bytes from the OS.
#[derive(Clone)]
pub struct SessionSecret([u8; 32]);

impl SessionSecret {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SessionSecret(bytes)
    }

    fn to_cookie_value(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Anything but 32 bytes of base64url (a cookie from before sessions moved to
    /// the server, say) is no session.
    fn from_cookie_value(value: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        Some(SessionSecret(bytes.try_into().ok()?))
    }

    /// What the database stores and looks the session up by.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }

    /// The CSRF token of this session, derived so it needs no storage; it reveals
    /// nothing of the secret, and a new sign-in (a new secret) gets a new one.
    fn csrf(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"access-tokens csrf\0");
        hasher.update(self.0);
        hex::encode(hasher.finalize())
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret((sensitive))")
    }
}

enum CookieChange {
    Set,
    Remove,
}

/// This request's view of the session cookie, shared by every extractor of it.
struct Handle {
    secret: Option<SessionSecret>,
    change: Option<CookieChange>,
    /// The row the secret was found to belong to (set by [`TypedSession::load`]).
    row_id: Option<String>,
    address: Option<String>,
    user_agent: Option<String>,
}

/// How the session cookie is sealed and sent.
pub struct SessionCookie {
    key: Key,
    secure: bool,
}

impl SessionCookie {
    pub fn new(key: Key, secure: bool) -> Rc<Self> {
        Rc::new(SessionCookie { key, secure })
    }

    fn open(&self, cookie: Cookie<'static>) -> Option<SessionSecret> {
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        let plain = jar.private(&self.key).get(SESSION_COOKIE)?;
        SessionSecret::from_cookie_value(plain.value())
    }

    fn cookie(&self, value: String) -> Cookie<'static> {
        Cookie::build(SESSION_COOKIE, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish()
    }

    fn seal(&self, secret: &SessionSecret) -> Option<Cookie<'static>> {
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(self.cookie(secret.to_cookie_value()));
        jar.get(SESSION_COOKIE).cloned()
    }
}

/// The middleware: reads the session cookie into the request, and sets or removes
/// it on the response when the request signed in, started an anonymous session
/// (the sign-in form's CSRF token) or signed out.
pub async fn carry<B: MessageBody>(
    config: Rc<SessionCookie>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let secret = req.cookie(SESSION_COOKIE).and_then(|c| config.open(c));
    let address = crate::auth::client_address::of(req.request()).map(|a| a.to_string());
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(USER_AGENT_CHARS).collect());
    let handle = Rc::new(RefCell::new(Handle {
        secret,
        change: None,
        row_id: None,
        address,
        user_agent,
    }));
    req.extensions_mut().insert(handle.clone());
    let mut res = next.call(req).await?;
    let (change, secret) = {
        let mut h = handle.borrow_mut();
        (h.change.take(), h.secret.clone())
    };
    let cookie = match (change, secret) {
        (Some(CookieChange::Set), Some(secret)) => config.seal(&secret),
        (Some(_), _) => {
            let mut removal = config.cookie(String::new());
            removal.make_removal();
            Some(removal)
        }
        (None, _) => None,
    };
    if let Some(cookie) = cookie {
        if let Err(e) = res.response_mut().add_cookie(&cookie) {
            tracing::error!(error = %e, "the session cookie could not be set");
        }
    }
    Ok(res)
}

/// The session with typed accessors; every key it uses is named here.
pub struct TypedSession {
    handle: Rc<RefCell<Handle>>,
    /// The second cookie: flash message and reveal tickets.
    state: Session,
}

impl TypedSession {
    fn secret(&self) -> Option<SessionSecret> {
        self.handle.borrow().secret.clone()
    }

    /// The digest this browser's session is stored under, if it has one.
    pub fn digest(&self) -> Option<[u8; 32]> {
        self.handle
            .borrow()
            .secret
            .as_ref()
            .map(SessionSecret::digest)
    }

    /// Remembers which row [`load`] found for this browser, for the calls that
    /// change it (switching workspace, a password change).
    pub fn found(&self, row: &SessionRow) {
        self.handle.borrow_mut().row_id = Some(row.id.clone());
    }

    /// Starts a signed-in session: a fresh secret (no fixation), so a fresh CSRF
    /// token; ends the session this browser had before, if any. `epoch` is the
    /// user's session epoch now: when their password changes, this session ends.
    pub async fn sign_in(
        &self,
        pool: &DbPool,
        user: UserId,
        epoch: i64,
        workspace: WorkspaceId,
        now: Timestamp,
    ) -> Result<(), DbError> {
        let secret = SessionSecret::generate();
        let digest = secret.digest();
        let previous = self.secret().map(|s| s.digest());
        let (address, user_agent) = {
            let h = self.handle.borrow();
            (h.address.clone(), h.user_agent.clone())
        };
        let id = Uuid::new_v4().to_string();
        let row_id = id.clone();
        db::run(pool, move |conn| {
            if let Some(previous) = previous {
                rows::delete_by_digest(conn, &previous)?;
            }
            rows::insert(
                conn,
                &NewSession {
                    id: &id,
                    secret_digest: &digest,
                    user_id: user,
                    workspace_id: workspace,
                    epoch,
                    now,
                    address: address.as_deref(),
                    user_agent: user_agent.as_deref(),
                },
                now.plus_seconds(-(MAX_SESSION_AGE.as_secs() as i64)),
                now.plus_seconds(-(IDLE_LIMIT.as_secs() as i64)),
            )?;
            Ok(())
        })
        .await?;
        self.state.clear();
        let mut h = self.handle.borrow_mut();
        h.secret = Some(secret);
        h.change = Some(CookieChange::Set);
        h.row_id = Some(row_id);
        Ok(())
    }

    /// The public id of this browser's session row, once [`TypedSession::load`]
    /// found it.
    pub fn row_id(&self) -> Option<String> {
        self.handle.borrow().row_id.clone()
    }

    /// The workspace the pages act in from now on.
    pub async fn set_workspace(
        &self,
        pool: &DbPool,
        workspace: WorkspaceId,
    ) -> Result<(), DbError> {
        let Some(id) = self.row_id() else {
            return Ok(());
        };
        db::run(pool, move |conn| {
            Ok(rows::set_workspace(conn, &id, workspace)?)
        })
        .await
    }

    /// After this session changed the user's password: it stays signed in under
    /// the new `epoch`, and every other session of the user ends.
    pub async fn keep_after_password_change(
        &self,
        pool: &DbPool,
        user: UserId,
        epoch: i64,
    ) -> Result<(), DbError> {
        let Some(id) = self.row_id() else {
            return Ok(());
        };
        db::run(pool, move |conn| {
            rows::delete_others(conn, user, &id, Some(epoch))?;
            Ok(())
        })
        .await
    }

    /// Ends the session: its row at once, and both cookies. The cookies go even
    /// when the database cannot be written (the error is returned, so the user is
    /// told).
    pub async fn sign_out(&self, pool: &DbPool) -> Result<(), DbError> {
        let secret = {
            let mut h = self.handle.borrow_mut();
            h.change = Some(CookieChange::Remove);
            h.row_id = None;
            h.secret.take()
        };
        self.state.purge();
        let Some(secret) = secret else {
            return Ok(());
        };
        let digest = secret.digest();
        db::run(pool, move |conn| {
            rows::delete_by_digest(conn, &digest)?;
            Ok(())
        })
        .await
    }

    /// The session's CSRF token. A visitor with no session yet (the sign-in form)
    /// gets an anonymous one: a secret in the cookie, nothing in the database.
    pub fn csrf_token(&self) -> Result<String, SessionInsertError> {
        let mut h = self.handle.borrow_mut();
        if h.secret.is_none() {
            h.secret = Some(SessionSecret::generate());
            h.change = Some(CookieChange::Set);
        }
        Ok(h.secret
            .as_ref()
            .map(SessionSecret::csrf)
            .unwrap_or_default())
    }

    /// Whether a submitted form carried this session's CSRF token.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        match self.secret() {
            Some(secret) => {
                let expected = secret.csrf();
                expected.len() == submitted.len()
                    && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
            }
            None => false,
        }
    }

    /// A one-line message to show on the next page.
    pub fn set_flash(&self, message: &str) -> Result<(), SessionInsertError> {
        self.state.insert(FLASH, message)
    }

    pub fn take_flash(&self) -> Option<String> {
        self.state.remove_as::<String>(FLASH).and_then(Result::ok)
    }

    /// The ticket under which a new token's value waits, sealed, to be shown once
    /// (see `crate::services::reveal`). Only the ticket is in the (encrypted) state cookie,
    /// never the value, and never in the database: the database alone cannot
    /// reveal a value.
    pub fn set_reveal_ticket(&self, ticket: &str) -> Result<(), SessionInsertError> {
        self.state.insert(REVEAL, ticket)
    }

    pub fn take_reveal_ticket(&self) -> Option<String> {
        self.state.remove_as::<String>(REVEAL).and_then(Result::ok)
    }

    /// The same for a new OAuth API token's two values; kept apart so that neither
    /// page consumes the other's ticket.
    pub fn set_oauth_reveal_ticket(&self, ticket: &str) -> Result<(), SessionInsertError> {
        self.state.insert(OAUTH_REVEAL, ticket)
    }

    pub fn take_oauth_reveal_ticket(&self) -> Option<String> {
        self.state
            .remove_as::<String>(OAUTH_REVEAL)
            .and_then(Result::ok)
    }
}

/// The session stored under `digest` if it is signed in and has not ended (too
/// old, or idle too long) at `now`. "Last seen" is moved on here, at most once a
/// minute; a failed write (a read-only database) is logged and the request goes on.
pub fn load(
    conn: &mut Conn,
    digest: &[u8; 32],
    now: Timestamp,
) -> Result<Option<SessionRow>, DbError> {
    let Some(row) = rows::find_by_digest(conn, digest)? else {
        return Ok(None);
    };
    if ended(&row, now) {
        return Ok(None);
    }
    let recently = now.plus_seconds(-(TOUCH_EVERY.as_secs() as i64));
    if row.last_seen_at.millis() <= recently.millis() {
        if let Err(e) = rows::touch(conn, &row.id, now, recently) {
            tracing::warn!(error = %e, "the session's last use could not be recorded");
        }
    }
    Ok(Some(row))
}

/// Whether a session has ended by age or idleness.
pub fn ended(row: &SessionRow, now: Timestamp) -> bool {
    // A little clock skew between instances gives a negative age: accepted.
    let age = now.millis().saturating_sub(row.created_at.millis());
    let idle = now.millis().saturating_sub(row.last_seen_at.millis());
    age as u128 >= MAX_SESSION_AGE.as_millis() || idle as u128 >= IDLE_LIMIT.as_millis()
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let handle = req
            .extensions()
            .get::<Rc<RefCell<Handle>>>()
            .cloned()
            // Outside the middleware (never, in the app): a session of one request.
            .unwrap_or_else(|| {
                Rc::new(RefCell::new(Handle {
                    secret: None,
                    change: None,
                    row_id: None,
                    address: None,
                    user_agent: None,
                }))
            });
        ready(Ok(TypedSession {
            handle,
            state: req.get_session(),
        }))
    }
}

/// 32 random bytes as hex.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
