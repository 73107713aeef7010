//! Building the application: shared state, middleware, routes, and the bound server.

use std::net::TcpListener;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::telemetry::RedactingRootSpan;

use crate::auth::{LoginThrottle, RefusalLimiter};
use crate::config::{SessionKey, Settings};
use crate::db::{self, DbPool};
use crate::oauth::{KeySet, OAuth, Revocations};
use crate::{api, models, web as pages};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "access_tokens_session";
/// The settings row that keeps the generated session key.
const SESSION_KEY_SETTING: &str = "session_key";

/// What every request handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub throttle: LoginThrottle,
    /// Holds back refused-token events beyond a few per minute (see `auth::refusals`).
    pub refusals: RefusalLimiter,
    /// The instance switch for the whole token feature (see `Settings`).
    pub api_access_tokens: bool,
    /// OAuth 2.0 API tokens: the signing keys and revoked access tokens in memory,
    /// and the clock.
    pub oauth: OAuth,
}

/// Per-instance configuration the app factory needs besides the state.
#[derive(Clone)]
pub struct AppConfig {
    pub cookie_key: Key,
    pub secure_cookie: bool,
    pub api_access_tokens: bool,
}

/// The application factory: every route and middleware. The server and the tests
/// build the app with this one function.
pub fn app(
    state: web::Data<AppState>,
    config: AppConfig,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let session = SessionMiddleware::builder(CookieSessionStore::default(), config.cookie_key)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(config.secure_cookie)
        .cookie_content_security(CookieContentSecurity::Private)
        .build();
    App::new()
        .app_data(state)
        .app_data(api::json_config())
        .app_data(api::path_config())
        .configure(|cfg| api::oauth::routes(cfg, config.api_access_tokens))
        .service(api::scope(config.api_access_tokens))
        .configure(|cfg| pages::routes(cfg, config.api_access_tokens))
        .default_service(web::to(pages::not_found))
        .wrap(session)
        .wrap(security_headers())
        .wrap(TracingLogger::<RedactingRootSpan>::new())
}

/// Headers on every response: no framing, no sniffing, no inline script, and no
/// caching of anything unless a handler says otherwise (static files do).
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"))
}

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens and migrates the database, loads the session key, binds the address.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let path = settings.database.clone();
        let pool = tokio::task::spawn_blocking(move || db::open(&path)).await??;
        Self::build_with_pool(settings, pool).await
    }

    /// As [`Application::build`], over a pool that is already open and migrated.
    pub async fn build_with_pool(settings: Settings, pool: DbPool) -> anyhow::Result<Self> {
        let cookie_key = match &settings.session_key {
            Some(key) => key.cookie_key(),
            None => stored_session_key(&pool).await?.cookie_key(),
        };
        let config = AppConfig {
            cookie_key,
            secure_cookie: settings.secure_cookie,
            api_access_tokens: settings.api_access_tokens,
        };
        let keys = KeySet::load(&pool, settings.clock.clone()).await?;
        let revocations = Revocations::load(&pool, settings.clock.clone()).await?;
        let state = web::Data::new(AppState {
            pool,
            throttle: LoginThrottle::new(),
            refusals: RefusalLimiter::new(),
            api_access_tokens: settings.api_access_tokens,
            oauth: OAuth {
                keys,
                revocations,
                clock: settings.clock.clone(),
            },
        });
        spawn_key_reloads(state.clone());
        spawn_revocation_polls(state.clone());
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || app(state.clone(), config.clone()))
            .listen(listener)?
            .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every few minutes, rotate the signing key when due and pick up keys other
/// instances made. A failure is logged; the next round tries again.
fn spawn_key_reloads(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let period = std::time::Duration::from_secs(crate::oauth::keys::RELOAD_SECONDS);
        loop {
            actix_web::rt::time::sleep(period).await;
            if let Err(e) = state.oauth.keys.reload(&state.pool).await {
                tracing::warn!(error = %e, "the signing keys could not be reloaded");
            }
        }
    });
}

/// Every second, pick up the access tokens other instances revoked (a read of the
/// rows stored since the last poll); every ten minutes, purge the stored
/// revocations of long-expired tokens. A failure is logged; the next round tries
/// again from the last poll that worked.
fn spawn_revocation_polls(state: web::Data<AppState>) {
    use crate::oauth::revocations::{POLL_SECONDS, PURGE_EVERY_POLLS};
    actix_web::rt::spawn(async move {
        let period = std::time::Duration::from_secs(POLL_SECONDS);
        let revocations = &state.oauth.revocations;
        let mut round: u32 = 0;
        loop {
            actix_web::rt::time::sleep(period).await;
            round = round.wrapping_add(1);
            if let Err(e) = revocations.poll(&state.pool).await {
                tracing::warn!(error = %e, "revoked access tokens could not be polled");
            }
            if round % PURGE_EVERY_POLLS == 0 {
                if let Err(e) = revocations.purge(&state.pool).await {
                    tracing::warn!(error = %e, "expired revocations could not be purged");
                }
            }
        }
    });
}

/// The session key kept in the database, generated on first start, so a restart
/// (or a second instance on the same database) keeps everyone signed in.
async fn stored_session_key(pool: &DbPool) -> anyhow::Result<SessionKey> {
    let secret = db::run(pool, |conn| {
        Ok(models::setting::get_or_insert_with(
            conn,
            SESSION_KEY_SETTING,
            crate::auth::session::random_hex,
        )?)
    })
    .await?;
    Ok(SessionKey::parse(secret)?)
}
