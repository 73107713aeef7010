//! Building the application: shared state, middleware, routes, and the bound server.

use std::net::TcpListener;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpServer};

mod edge;

use crate::auth::bearer::TokenChecks;
use crate::auth::cache::TokenCache;
use crate::auth::changes::ChangeFeed;
use crate::auth::invalid_tokens::InvalidTokenThrottle;
use crate::auth::last_used::LastUsed;
use crate::auth::refusals::RefusalLimiter;
use crate::auth::throttle::LoginThrottle;
use crate::config::{SessionKey, Settings};
use crate::db::{self, DbPool};
use crate::domain::trusted_proxies::TrustedProxies;
use crate::metrics::Metrics;
use crate::services::oauth::{KeySet, OAuth, Revocations};
use crate::shutdown::{Drain, ShutdownSettings};
pub use crate::state::AppState;
use crate::{api, models};

/// The name of the session cookie.
pub use crate::auth::session::SESSION_COOKIE;
/// The settings row that keeps the generated session key.
const SESSION_KEY_SETTING: &str = "session_key";
/// How long an idle connection is kept open (actix's default, named because
/// docs/OPERATIONS.md asks proxies to give up idle connections sooner: then the
/// server never closes one a proxy is about to reuse).
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

/// Per-instance configuration the app factory needs besides the state.
#[derive(Clone)]
pub struct AppConfig {
    pub cookie_key: Key,
    pub secure_cookie: bool,
    pub api_access_tokens: bool,
    /// Shared by every worker's app, like the state.
    pub pages: web::Data<crate::web::tokens::SharedPages>,
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
    // Two cookies, both encrypted with the session key: the session's random
    // secret (the signed-in state is on the server, see `auth::session`), and the
    // state that must stay out of the database (reveal tickets) or lasts one page
    // (the flash message), kept by actix-session.
    let session_cookie =
        crate::auth::session::SessionCookie::new(config.cookie_key.clone(), config.secure_cookie);
    let session = SessionMiddleware::builder(CookieSessionStore::default(), config.cookie_key)
        .cookie_name(crate::auth::session::STATE_COOKIE.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(config.secure_cookie)
        .cookie_content_security(CookieContentSecurity::Private)
        .build();
    let edge = edge::Edge::new(state.drain.clone(), state.metrics.clone());
    App::new()
        .app_data(web::Data::new(state.metrics.clone()))
        .app_data(state)
        .app_data(config.pages)
        .app_data(api::json_config())
        .app_data(api::path_config())
        .configure(|cfg| crate::routes::configure(cfg, config.api_access_tokens))
        // The browser session only where a page may read it: the API, forward
        // auth, the probes and static files never do, and skip its cookie work.
        .service(
            crate::routes::pages(config.api_access_tokens)
                .wrap(session)
                .wrap(from_fn(move |req, next| {
                    crate::auth::session::carry(session_cookie.clone(), req, next)
                })),
        )
        .wrap(from_fn(read_feed_after_changes))
        // Outermost: the drain count, request id, span and log line, metrics and
        // security headers of every request.
        .wrap(edge)
}

/// Blocks of 128 KiB and more are mapped for themselves and unmapped when freed.
///
/// glibc's default raises that threshold to the size of the largest block freed
/// (up to 32 MiB): after one password hash (argon2id's 19 MiB) its blocks come
/// from the heap of the thread that hashed, and stay in the process after they
/// are freed; under load every thread's heap then keeps its high-water mark.
/// Measured with `bench/run.sh`: peak memory under the load 73 MiB with the
/// default, 34 MiB with this (mimalloc instead of glibc: 78 MiB). Call it first
/// thing in `main`, before any thread starts.
#[allow(unsafe_code)]
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = 128 * 1024;
        // SAFETY: mallopt(3) takes two integers and only sets a tuning parameter
        // of glibc's allocator; it is sound to call at any time, from any thread.
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD) };
        if set != 1 {
            eprintln!("access-tokens: mallopt(M_MMAP_THRESHOLD) failed; freed memory may be kept");
        }
    }
}

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    listening: TcpListener,
    state: web::Data<AppState>,
    shutdown: ShutdownSettings,
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
            pages: web::Data::new(Default::default()),
        };
        let keys = KeySet::load(&pool, settings.clock.clone()).await?;
        let revocations = Revocations::load(&pool, settings.clock.clone()).await?;
        let feed = ChangeFeed::start(&pool).await?;
        let metrics = Metrics::new();
        let state = web::Data::new(AppState {
            pool,
            throttle: LoginThrottle::new(),
            proxies: TrustedProxies::new(settings.trusted_proxies.clone()),
            public_url: settings.public_url.clone(),
            tokens: TokenChecks {
                cache: TokenCache::new(settings.token_cache_size),
                feed,
                last_used: LastUsed::new(),
                invalid: InvalidTokenThrottle::new(
                    settings.invalid_token_burst,
                    settings.invalid_token_rate,
                ),
                refusals: RefusalLimiter::new(),
                metrics: metrics.clone(),
                clock: settings.clock.clone(),
            },
            api_access_tokens: settings.api_access_tokens,
            oauth: OAuth {
                keys,
                revocations,
                clock: settings.clock.clone(),
            },
            clock: settings.clock.clone(),
            metrics,
            drain: Drain::default(),
            shared: Default::default(),
        });
        // A weak reference: the state holds the metrics, which must not keep it.
        let weak = std::sync::Arc::downgrade(&state.clone().into_inner());
        state.metrics.read_gauges_with(move |metrics| {
            if let Some(state) = weak.upgrade() {
                metrics.set_pool(&state.pool);
                metrics.set_cache_entries(state.tokens.cache.len());
            }
        });
        spawn_key_reloads(state.clone());
        spawn_revocation_polls(state.clone());
        spawn_feed_reads(state.clone());
        spawn_last_used_writes(state.clone());
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        // Blocking threads, for database work (password hashing has its own pool,
        // see `auth::password::off_executor`): as many in all as the pool has
        // connections. More only wait for one, and with 64 requests in flight
        // dozens of sleeping threads would be woken for every free connection: a
        // short queue of tasks beats a crowd (actix's default is 512 in all).
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let blocking = (state.pool.max_size() as usize).div_ceil(workers).max(2);
        // A handle on the listening socket, so that `shutdown` can close it itself.
        let listening = listener.try_clone()?;
        let server = {
            let state = state.clone();
            let drain = state.drain.clone();
            HttpServer::new(move || app(state.clone(), config.clone()))
                .workers(workers)
                .worker_max_blocking_threads(blocking)
                .keep_alive(KEEP_ALIVE)
                // Signals are `shutdown`'s: actix's own would stop accepting at once.
                .disable_signals()
                .on_connect(move |_, data| {
                    data.insert(drain.connection());
                })
                .listen(listener)?
                .run()
        };
        Ok(Self {
            port,
            server,
            listening,
            state,
            shutdown: settings.shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (SIGTERM or Ctrl-C: a drain, then
    /// the requests in flight, see `shutdown`), then writes the uses of tokens
    /// noted since the last write.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let drain = self.state.drain.clone();
        let served =
            crate::shutdown::serve(self.server, self.listening, drain, self.shutdown).await;
        if let Err(e) = self.state.tokens.last_used.flush(&self.state.pool).await {
            tracing::warn!(error = %e, "the last uses of tokens could not be recorded");
        }
        served
    }
}

/// Every few minutes, rotate the signing key when due and pick up keys other
/// instances made. A failure is logged; the next round tries again.
fn spawn_key_reloads(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let period = std::time::Duration::from_secs(crate::auth::keys::RELOAD_SECONDS);
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
/// revocations of long-expired tokens and the invitations that lapsed. A failure is logged; the next round tries
/// again from the last poll that worked.
fn spawn_revocation_polls(state: web::Data<AppState>) {
    use crate::auth::revocations::{POLL_SECONDS, PURGE_EVERY_POLLS};
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
                // Lapsed invitations free their names, with no account left behind.
                if let Err(e) = crate::services::invitations::purge_lapsed_invitations(
                    &state.pool,
                    state.clock.now(),
                )
                .await
                {
                    tracing::warn!(error = %e, "lapsed invitations could not be purged");
                }
            }
        }
    });
}

/// Several times a second, read the change feed into the cache of verified tokens;
/// every ten minutes, purge old rows. A failure is logged (once per outage); the
/// cache is not trusted until a read works again.
fn spawn_feed_reads(state: web::Data<AppState>) {
    use crate::auth::changes::POLL_MILLIS;
    actix_web::rt::spawn(async move {
        let period = std::time::Duration::from_millis(POLL_MILLIS);
        let purge_every = (600_000 / POLL_MILLIS) as u32;
        let mut round: u32 = 0;
        let mut failing = false;
        loop {
            actix_web::rt::time::sleep(period).await;
            round = round.wrapping_add(1);
            match state
                .tokens
                .feed
                .read(&state.pool, &state.tokens.cache)
                .await
            {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("the change feed is read again; cached tokens are trusted");
                }
                Ok(()) => {}
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "the change feed could not be read; every token check reads the database until it can");
                }
                Err(_) => {}
            }
            if round % purge_every == 0 {
                if let Err(e) = state.tokens.feed.purge(&state.pool).await {
                    tracing::warn!(error = %e, "old rows of the change feed could not be purged");
                }
            }
        }
    });
}

/// Once a second, write the uses of tokens noted since the last write.
fn spawn_last_used_writes(state: web::Data<AppState>) {
    use crate::auth::last_used::FLUSH_MILLIS;
    actix_web::rt::spawn(async move {
        let period = std::time::Duration::from_millis(FLUSH_MILLIS);
        loop {
            actix_web::rt::time::sleep(period).await;
            if let Err(e) = state.tokens.last_used.flush(&state.pool).await {
                tracing::warn!(error = %e, "uses of tokens could not be recorded; retrying");
            }
        }
    });
}

/// After a request that may have changed something (any method but GET, HEAD and
/// OPTIONS), read the change feed before answering: what it changed (a deleted
/// token, a deactivated user, ...) is then out of this instance's cache by the time
/// the caller hears it is done. `/auth/verify` changes nothing, whatever its method.
async fn read_feed_after_changes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let changing = !req.method().is_safe() && req.path() != crate::api::forward_auth::PATH;
    let state = changing
        .then(|| req.app_data::<web::Data<AppState>>().cloned())
        .flatten();
    let response = next.call(req).await?;
    if let Some(state) = state {
        if let Err(e) = state
            .tokens
            .feed
            .read(&state.pool, &state.tokens.cache)
            .await
        {
            // The timer's next read will act on it, a fraction of a second later.
            tracing::warn!(error = %e, "the change feed could not be read after a change");
        }
    }
    Ok(response)
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
