//! The HTML pages: routes, the signed-in-user extractor, the shared layout, rendering.

pub mod accounts;
pub mod admin_oauth_tokens;
pub mod admin_tokens;
pub mod assets;
pub mod audit_log;
pub mod back;
pub mod error;
pub mod forms;
pub mod invitations;
pub mod invite;
pub mod list;
pub mod login;
pub mod nav;
pub mod oauth_actions;
pub mod oauth_tokens;
pub mod people;
pub mod preferences;
pub mod scope_choices;
pub mod sessions;
pub mod tokens;
pub mod when;
pub mod workspace_settings;

use actix_web::body::SizedStream;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use crate::auth::session::TypedSession;
use crate::auth::{self, Membership, Principal, SessionStanding};
use crate::db;
use crate::state::AppState;

pub use back::BackPath;
pub use error::{PageError, PASSWORD_PAGE};

/// The largest form body the pages read.
pub(crate) const MAX_FORM_BYTES: usize = 16 * 1024;

/// `/`: the user's home page when signed in, the sign-in page otherwise.
pub(crate) async fn index(
    session: TypedSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    Ok(if signed_in(&state, &session).await?.is_some() {
        see_other(home(&state))
    } else {
        see_other("/login")
    })
}

/// Where a signed-in user lands: Preferences > Access Tokens, or, with the token
/// feature off, their password page.
pub fn home(state: &AppState) -> &'static str {
    if state.api_access_tokens {
        "/preferences/access-tokens"
    } else {
        "/preferences/password"
    }
}

/// Liveness: the process is up and serving.
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Readiness: the database answers and the instance is not stopping, so it can
/// serve requests. A load balancer takes the instance out of rotation while this is
/// 503.
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.drain.is_draining() {
        // No Retry-After: this instance will not be back; its successor will.
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("not ready: shutting down");
    }
    match db::ping(&state.pool).await {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .insert_header((header::RETRY_AFTER, "5"))
                .body("not ready: the database does not answer")
        }
    }
}

/// Any path no page or API route has.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}

/// A signed-in user, checked against the database on every request so a deleted or
/// deactivated user, or a session from before a password change, is signed out at
/// once. Taking it makes a page require sign-in.
pub struct CurrentUser {
    pub principal: Principal,
    /// An admin set the password: the user must choose their own first.
    pub password_must_change: bool,
    pub session: TypedSession,
    /// Every workspace the user belongs to, for the switcher.
    pub memberships: Vec<Membership>,
    /// Whether to show the Instance menu entries (the instance pages check again,
    /// with `auth::authority::InstanceAdmin`).
    pub instance_admin: bool,
    /// The instance's token feature switch.
    pub api_access_tokens: bool,
    /// The TCP peer, for the audit log.
    pub address: Option<std::net::IpAddr>,
    /// The page asked for, so the navigation can mark it.
    pub path: String,
}

impl auth::authority::Caller for CurrentUser {
    fn principal(&self) -> &Principal {
        &self.principal
    }
}

impl FromRequest for CurrentUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let address = crate::auth::client_address::of(req);
        let session = TypedSession::from_request(req, payload).into_inner();
        // Until they choose their own password, a user whose password an admin
        // set may see only the page that changes it.
        let may_wait = req.path() == PASSWORD_PAGE;
        let path = req.path().to_owned();
        Box::pin(async move {
            let state = state.ok_or(PageError::Internal)?;
            let session = session.map_err(|_| PageError::Internal)?;
            let SessionStanding {
                row,
                principal,
                memberships,
                instance_admin,
            } = signed_in(&state, &session)
                .await?
                .ok_or(PageError::SignInRequired)?;
            if row.password_must_change && !may_wait {
                return Err(PageError::PasswordMustChange);
            }
            Ok(CurrentUser {
                principal,
                password_must_change: row.password_must_change,
                session,
                memberships,
                instance_admin,
                api_access_tokens: state.api_access_tokens,
                address,
                path,
            })
        })
    }
}

/// The session's row and principal when this browser is signed in: the session
/// row exists and has not ended, and its user is active, in a workspace, and has
/// not changed their password since (the session epoch). A session that fails is
/// left alone (its row ends by itself): removing its cookie here could sign out
/// the very browser that just signed in again in another tab.
///
/// Requests of one session that wait together (a page and its reloads) share the
/// read (`SharedReads`: only a read begun after each of them arrived).
async fn signed_in(
    state: &AppState,
    session: &TypedSession,
) -> Result<Option<SessionStanding>, PageError> {
    let Some(digest) = session.digest() else {
        return Ok(None);
    };
    let pool = &state.pool;
    let clock = &state.clock;
    let loaded = state
        .shared
        .sessions
        .read(digest, || {
            let now = clock.now();
            db::run(pool, move |conn| {
                let Some(row) = auth::session::load(conn, &digest, now)? else {
                    return Ok(None);
                };
                Ok(
                    auth::load_session_principal(conn, row.user_id, row.epoch, row.workspace_id)?
                        .map(|(principal, memberships, instance_admin)| SessionStanding {
                            row,
                            principal,
                            memberships,
                            instance_admin,
                        }),
                )
            })
        })
        .await?;
    let loaded = Option::clone(&loaded);
    if let Some(signed) = &loaded {
        session.found(&signed.row);
    }
    Ok(loaded)
}

/// What the shared layout (`base.html`) shows: the user menu and a flash message.
pub struct Layout {
    pub username: Option<String>,
    pub csrf: String,
    pub flash: Option<String>,
    /// Whether the signed-in user is an admin of the current workspace.
    pub is_admin: bool,
    /// Whether the signed-in user is an instance admin (the Instance entries).
    pub is_instance_admin: bool,
    /// Whether the token pages and menu entries exist (the instance switch).
    pub api_access_tokens: bool,
    /// The current workspace, and every workspace the user may switch to.
    pub workspace: Option<WorkspaceChoice>,
    pub workspaces: Vec<WorkspaceChoice>,
    /// The settings navigation; empty when signed out.
    pub nav: Vec<nav::NavGroup>,
}

/// A workspace in the switcher.
pub struct WorkspaceChoice {
    pub id: String,
    pub name: String,
    pub current: bool,
}

impl Layout {
    pub fn for_user(user: &CurrentUser) -> Result<Self, PageError> {
        let current = user.principal.workspace_id;
        let workspaces = user
            .memberships
            .iter()
            .map(|m| WorkspaceChoice {
                id: m.workspace_id.to_string(),
                name: m.workspace_name.clone(),
                current: m.workspace_id == current,
            })
            .collect();
        Ok(Layout {
            username: Some(user.principal.username.clone()),
            csrf: user.session.csrf_token()?,
            flash: user.session.take_flash(),
            is_admin: user.principal.is_admin(),
            is_instance_admin: user.instance_admin,
            api_access_tokens: user.api_access_tokens,
            workspace: Some(WorkspaceChoice {
                id: current.to_string(),
                name: user.principal.workspace_name.clone(),
                current: true,
            }),
            workspaces,
            nav: nav::groups(
                &nav::NavAccess {
                    is_admin: user.principal.is_admin(),
                    is_instance_admin: user.instance_admin,
                    api_access_tokens: user.api_access_tokens,
                },
                &user.path,
            ),
        })
    }

    pub fn anonymous(session: &TypedSession) -> Result<Self, PageError> {
        Ok(Layout {
            username: None,
            csrf: session.csrf_token()?,
            flash: None,
            is_admin: false,
            is_instance_admin: false,
            api_access_tokens: false,
            workspace: None,
            workspaces: Vec::new(),
            nav: Vec::new(),
        })
    }
}

/// Renders a page with `status`. Pages are never cached (see the default headers).
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, PageError> {
    let body = rendered(page, |text| Bytes::copy_from_slice(text.as_bytes()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// Where [`render_around`] puts the part of a page rendered before: an HTML
/// comment, which no value a template escapes can hold (`<` is always escaped).
pub const SHARED_PART: &str = "<!--shared-part-->";

/// Renders a page with `status` around `shared`, a part of it rendered once for
/// many requests (the rows of a table that a shared read made), which `page`
/// marks with [`SHARED_PART`] (through `|safe`). The body is sent as the page
/// before the mark, `shared` itself and the page after it: the shared part, most
/// of a page of 50 tokens, is neither copied into this page nor copied again into
/// the body.
pub fn render_around(
    status: StatusCode,
    page: &impl Template,
    shared: &Bytes,
) -> Result<HttpResponse, PageError> {
    let parts = rendered(page, |text| {
        let at = memchr::memmem::find(text.as_bytes(), SHARED_PART.as_bytes())?;
        let (before, after) = (&text[..at], &text[at + SHARED_PART.len()..]);
        Some([
            Bytes::copy_from_slice(before.as_bytes()),
            shared.clone(),
            Bytes::copy_from_slice(after.as_bytes()),
        ])
    })?
    .ok_or_else(|| {
        tracing::error!("a page rendered around a shared part does not mark its place");
        PageError::Internal
    })?;
    let size = parts.iter().map(Bytes::len).sum::<usize>();
    let parts = futures_util::stream::iter(parts.map(Ok::<_, std::convert::Infallible>));
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(SizedStream::new(size as u64, parts)))
}

/// `page` rendered into this worker's buffer, which keeps its size from page to
/// page, and given to `take` (which copies what it keeps). Rendered into a fresh
/// `String`, a page of 50 tokens grew it four times, copying it each time, and
/// its last size crossed the allocator's mmap threshold: a mapping made and
/// unmapped on every request.
fn rendered<T>(page: &impl Template, take: impl FnOnce(&str) -> T) -> Result<T, askama::Error> {
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            page.render_into(&mut *buffer)?;
            let kept = take(&buffer);
            // A page far larger than usual does not stay resident in every worker.
            buffer.shrink_to(RENDER_BUFFER_KEPT);
            Ok(kept)
        }
        Err(_) => page.render().map(|text| take(&text)),
    })
}

/// The most a worker's render buffer keeps between pages: a few pages of 50 rows.
const RENDER_BUFFER_KEPT: usize = 512 * 1024;

/// The redirect after a POST (post/redirect/get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Refuses a form that does not carry this session's CSRF token.
pub fn check_csrf(session: &TypedSession, submitted: &str) -> Result<(), PageError> {
    if session.csrf_matches(submitted) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;

    use super::*;

    #[derive(Template)]
    #[template(
        source = "<h1>{{ title }}</h1><table>{{ rows|safe }}</table>",
        ext = "html"
    )]
    struct Around<'a> {
        title: &'a str,
        rows: &'a str,
    }

    #[actix_web::test]
    async fn a_page_is_sent_around_its_shared_part_as_if_rendered_whole() {
        let rows = "<tr><td>one</td></tr><tr><td>two</td></tr>";
        // A value that spells the mark is escaped, so it is not taken for it.
        let title = "<!--shared-part--> & co";
        let expected = Around { title, rows }.render().unwrap();
        assert!(expected.contains(rows) && !expected.contains(SHARED_PART));
        let page = Around {
            title,
            rows: SHARED_PART,
        };
        let shared = Bytes::from_static(rows.as_bytes());
        let response = render_around(StatusCode::OK, &page, &shared).unwrap();
        let body = response.into_body();
        assert_eq!(
            body.size(),
            actix_web::body::BodySize::Sized(expected.len() as u64)
        );
        let sent = actix_web::body::to_bytes(body).await.unwrap();
        assert_eq!(std::str::from_utf8(&sent).unwrap(), expected);
    }

    #[test]
    fn a_page_that_does_not_mark_its_shared_part_is_an_error_not_a_page_without_it() {
        let page = Around {
            title: "t",
            rows: "",
        };
        let shared = Bytes::from_static(b"<tr></tr>");
        assert!(matches!(
            render_around(StatusCode::OK, &page, &shared),
            Err(PageError::Internal)
        ));
    }
}
