//! The whole route table, pages and API, in one place: which path and method
//! reach which handler, in the order actix matches them (a literal path before a
//! `{param}` path it would also match).

use actix_web::web;

use crate::{api, web as pages};

/// Every route that reads no browser session: the OAuth endpoints, forward auth,
/// the metrics, the probes and static files, and the v4 API (Bearer or Basic
/// credentials only). The routes of the token feature only when the instance has
/// it on. They come before [`pages`], which takes every other path.
pub fn configure(cfg: &mut web::ServiceConfig, api_access_tokens: bool) {
    cfg.configure(|cfg| oauth2(cfg, api_access_tokens))
        .configure(forward_auth)
        .configure(metrics)
        .route("/healthz", web::get().to(pages::healthz))
        .route("/readyz", web::get().to(pages::readyz))
        .route("/static/{file}", web::get().to(pages::assets::serve))
        .route("/favicon.ico", web::get().to(pages::assets::favicon))
        .service(v4(api_access_tokens));
}

/// Every page route, in one scope that takes every path the routes of
/// [`configure`] do not, so that the browser session's middleware (see
/// `startup::app`) wraps the pages and nothing else; a path no page has is the
/// Not Found page. The Access Tokens pages only while the instance has the token
/// feature on.
pub fn pages(api_access_tokens: bool) -> actix_web::Scope {
    web::scope("")
        .configure(|cfg| page_routes(cfg, api_access_tokens))
        .default_service(web::to(pages::not_found))
}

fn page_routes(cfg: &mut web::ServiceConfig, api_access_tokens: bool) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(pages::MAX_FORM_BYTES)
            .error_handler(|err, _| {
                pages::PageError::BadRequest(format!("The form could not be read: {err}")).into()
            }),
    );
    if api_access_tokens {
        cfg.configure(page_own_tokens);
    }
    cfg.route("/", web::get().to(pages::index))
        .service(
            web::resource("/login")
                .route(web::get().to(pages::login::form))
                .route(web::post().to(pages::login::submit)),
        )
        .route("/logout", web::post().to(pages::login::logout))
        .route("/preferences", web::get().to(pages::preferences::index))
        .service(
            web::resource("/preferences/password")
                .route(web::get().to(pages::preferences::password_form))
                .route(web::post().to(pages::preferences::change_password)),
        )
        .route(
            "/preferences/invitations",
            web::get().to(pages::invitations::show),
        )
        .route(
            "/preferences/invitations/{workspaceId}/{action}",
            web::post().to(pages::invitations::answer),
        )
        .route(
            "/workspace",
            web::post().to(pages::preferences::switch_workspace),
        )
        .route(
            "/preferences/sessions",
            web::get().to(pages::sessions::list),
        )
        .route(
            "/preferences/sessions/sign-out-others",
            web::post().to(pages::sessions::sign_out_others),
        )
        .route(
            "/preferences/sessions/{sessionId}/sign-out",
            web::post().to(pages::sessions::sign_out_one),
        )
        .service(
            web::resource("/admin/workspace-settings")
                .route(web::get().to(pages::workspace_settings::show))
                .route(web::post().to(pages::workspace_settings::save)),
        )
        .route(
            "/admin/workspace-settings/delete-violating",
            web::post().to(pages::workspace_settings::delete_violating),
        )
        .service(
            web::resource("/admin/people")
                .route(web::get().to(pages::people::list))
                .route(web::post().to(pages::people::add)),
        )
        .route(
            "/admin/people/{userId}/role",
            web::post().to(pages::people::set_role),
        )
        .route(
            "/admin/people/{userId}/active",
            web::post().to(pages::people::set_active),
        )
        .route(
            "/admin/people/{userId}/remove",
            web::post().to(pages::people::remove),
        )
        .service(
            web::resource("/invite/{code}")
                .route(web::get().to(pages::invite::form))
                .route(web::post().to(pages::invite::accept)),
        )
        .route("/admin/audit-log", web::get().to(pages::audit_log::show))
        .route(
            "/admin/audit-log.csv",
            web::get().to(pages::audit_log::export),
        )
        .configure(page_instance);
    if !api_access_tokens {
        return;
    }
    cfg.configure(page_admin_tokens)
        .configure(page_oauth_tokens);
}

/// Preferences > Access Tokens. Matched first among the pages: it is the one a
/// person opens most, and actix tries the routes in order, each `{param}` path
/// by its regex (ten of them came before it, 3% of what the page cost). No
/// route after it has its prefix, so none is shadowed.
fn page_own_tokens(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/preferences/access-tokens")
            .route(web::get().to(pages::tokens::list))
            .route(web::post().to(pages::tokens::create)),
    )
    .route(
        "/preferences/access-tokens/new",
        web::get().to(pages::tokens::new_form),
    )
    .service(
        web::resource("/preferences/access-tokens/{tokenId}/delete")
            .route(web::get().to(pages::tokens::confirm_delete))
            .route(web::post().to(pages::tokens::delete)),
    );
}

/// Preferences > OAuth 2.0 API Tokens and Admin > OAuth 2.0 API Tokens. The literal `selected` and `new` come before
/// the `{tokenId}` paths.
fn page_oauth_tokens(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/preferences/oauth-tokens")
            .route(web::get().to(pages::oauth_tokens::list))
            .route(web::post().to(pages::oauth_tokens::create)),
    )
    .route(
        "/preferences/oauth-tokens/new",
        web::get().to(pages::oauth_tokens::new_form),
    )
    .route(
        "/preferences/oauth-tokens/selected",
        web::post().to(pages::oauth_tokens::selected),
    )
    .service(
        web::resource("/preferences/oauth-tokens/{tokenId}/{action}")
            .route(web::get().to(pages::oauth_tokens::confirm_one))
            .route(web::post().to(pages::oauth_tokens::act_one)),
    )
    .route(
        "/admin/oauth-tokens",
        web::get().to(pages::admin_oauth_tokens::list),
    )
    .route(
        "/admin/oauth-tokens/selected",
        web::post().to(pages::admin_oauth_tokens::selected),
    )
    .service(
        web::resource("/admin/oauth-tokens/{tokenId}/{action}")
            .route(web::get().to(pages::admin_oauth_tokens::confirm_one))
            .route(web::post().to(pages::admin_oauth_tokens::act_one)),
    );
}

/// Instance > Accounts and Instance > Audit Log, for instance admins. The literal
/// `password` comes before the `{action}` path.
fn page_instance(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance/accounts", web::get().to(pages::accounts::list))
        .service(
            web::resource("/instance/accounts/{userId}/password")
                .route(web::get().to(pages::accounts::password_form))
                .route(web::post().to(pages::accounts::set_password)),
        )
        .service(
            web::resource("/instance/accounts/{userId}/invitations/{workspaceId}/withdraw")
                .route(web::get().to(pages::accounts::confirm_withdraw))
                .route(web::post().to(pages::accounts::withdraw)),
        )
        .service(
            web::resource("/instance/accounts/{userId}/{action}")
                .route(web::get().to(pages::accounts::confirm))
                .route(web::post().to(pages::accounts::act)),
        )
        .route(
            "/instance/audit-log",
            web::get().to(pages::audit_log::show_instance),
        )
        .route(
            "/instance/audit-log.csv",
            web::get().to(pages::audit_log::export_instance),
        );
}

/// Admin > Access Tokens.
fn page_admin_tokens(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin/access-tokens",
        web::get().to(pages::admin_tokens::list),
    )
    .route(
        "/admin/access-tokens/delete-selected",
        web::post().to(pages::admin_tokens::delete_selected),
    )
    .service(
        web::resource("/admin/access-tokens/{tokenId}/delete")
            .route(web::get().to(pages::admin_tokens::confirm_delete_one))
            .route(web::post().to(pages::admin_tokens::delete_one)),
    );
}

/// Every `/v4` route. Anything else under `/v4`, including a method a path does not
/// have (nothing modifies or extends a token), is `RouteNotFoundException`; with
/// the instance's token feature off, so is every route of access tokens and OAuth
/// API tokens (`/v4/apiAccessTokens`, `/v4/workspaceAccessTokens`,
/// `/v4/oauthTokens`, `/v4/workspaceOAuthTokens`).
fn v4(api_access_tokens: bool) -> actix_web::Scope {
    let scope = web::scope("/v4");
    let scope = if api_access_tokens {
        scope
            .service(
                web::resource("/apiAccessTokens")
                    .route(web::post().to(api::tokens::create))
                    .route(web::get().to(api::tokens::list))
                    .default_service(web::to(api::route_not_found)),
            )
            .service(
                web::resource("/apiAccessTokens/{tokenId}")
                    .route(web::get().to(api::tokens::get))
                    .route(web::delete().to(api::tokens::delete))
                    .default_service(web::to(api::route_not_found)),
            )
            .configure(v4_admin_tokens)
            .configure(v4_oauth_tokens)
            .configure(v4_workspace_oauth_tokens)
    } else {
        scope
    };
    scope
        .service(
            web::resource("/workspaceSettings")
                .route(web::get().to(api::workspace_settings::get))
                .route(web::patch().to(api::workspace_settings::update))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/workspaceMembers")
                .route(web::get().to(api::people::list))
                .route(web::post().to(api::people::add))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/workspaceMembers/{userId}")
                .route(web::patch().to(api::people::update))
                .route(web::delete().to(api::people::remove))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/workspaceInvitations")
                .route(web::get().to(api::people::my_invitations))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/workspaceInvitations/{workspaceId}/accept")
                .route(web::post().to(api::people::accept))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/workspaceInvitations/{workspaceId}/decline")
                .route(web::post().to(api::people::decline))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/workspaceSettings/deleteViolatingTokens")
                .route(web::post().to(api::workspace_settings::delete_violating))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/auditEvents")
                .route(web::get().to(api::audit_events::list))
                .default_service(web::to(api::route_not_found)),
        )
        .service(
            web::resource("/instanceAuditEvents")
                .route(web::get().to(api::audit_events::list_instance))
                .default_service(web::to(api::route_not_found)),
        )
        .configure(v4_accounts)
        .service(
            web::resource("/open-api-spec")
                .route(web::get().to(api::openapi::spec))
                .default_service(web::to(api::route_not_found)),
        )
        .default_service(web::to(api::route_not_found))
}

/// `/v4/workspaceAccessTokens`: the admin's view of everyone's tokens.
fn v4_admin_tokens(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/workspaceAccessTokens")
            .app_data(api::list_query::query_config())
            .route(web::get().to(api::admin_tokens::list))
            .default_service(web::to(api::route_not_found)),
    )
    .service(
        web::resource("/workspaceAccessTokens/delete")
            .app_data(api::json_config().limit(api::bulk::MAX_BULK_BODY_BYTES))
            .route(web::post().to(api::admin_tokens::delete_many))
            .default_service(web::to(api::route_not_found)),
    )
    .service(
        web::resource("/workspaceAccessTokens/{tokenId}")
            .route(web::delete().to(api::admin_tokens::delete))
            .default_service(web::to(api::route_not_found)),
    );
}

/// The routes, inside `/v4`. The literal paths come before `{tokenId}`: actix
/// gives a request to the first resource whose path matches.
fn v4_oauth_tokens(cfg: &mut web::ServiceConfig) {
    let not_found = || web::to(api::route_not_found);
    cfg.service(
        web::resource("/oauthTokens")
            .route(web::post().to(api::oauth_tokens::create))
            .route(web::get().to(api::oauth_tokens::list))
            .default_service(not_found()),
    )
    .service(
        web::resource("/oauthTokens/disable")
            .app_data(api::json_config().limit(api::bulk::MAX_BULK_BODY_BYTES))
            .route(web::post().to(api::oauth_tokens::disable_many))
            .default_service(not_found()),
    )
    .service(
        web::resource("/oauthTokens/delete")
            .app_data(api::json_config().limit(api::bulk::MAX_BULK_BODY_BYTES))
            .route(web::post().to(api::oauth_tokens::delete_many))
            .default_service(not_found()),
    )
    .service(
        web::resource("/oauthTokens/{tokenId}")
            .route(web::delete().to(api::oauth_tokens::delete))
            .default_service(not_found()),
    )
    .service(
        web::resource("/oauthTokens/{tokenId}/disable")
            .route(web::post().to(api::oauth_tokens::disable))
            .default_service(not_found()),
    );
}

/// The routes, inside `/v4`. The literal paths come before `{tokenId}`: actix
/// gives a request to the first resource whose path matches.
fn v4_workspace_oauth_tokens(cfg: &mut web::ServiceConfig) {
    let not_found = || web::to(api::route_not_found);
    cfg.service(
        web::resource("/workspaceOAuthTokens")
            .app_data(api::list_query::query_config())
            .route(web::get().to(api::workspace_oauth_tokens::list))
            .default_service(not_found()),
    )
    .service(
        web::resource("/workspaceOAuthTokens/disable")
            .app_data(api::json_config().limit(api::bulk::MAX_BULK_BODY_BYTES))
            .route(web::post().to(api::workspace_oauth_tokens::disable_many))
            .default_service(not_found()),
    )
    .service(
        web::resource("/workspaceOAuthTokens/delete")
            .app_data(api::json_config().limit(api::bulk::MAX_BULK_BODY_BYTES))
            .route(web::post().to(api::workspace_oauth_tokens::delete_many))
            .default_service(not_found()),
    )
    .service(
        web::resource("/workspaceOAuthTokens/{tokenId}")
            .route(web::delete().to(api::workspace_oauth_tokens::delete))
            .default_service(not_found()),
    )
    .service(
        web::resource("/workspaceOAuthTokens/{tokenId}/disable")
            .route(web::post().to(api::workspace_oauth_tokens::disable))
            .default_service(not_found()),
    );
}

/// `/v4/accounts` and `/v4/accounts/{userId}`.
fn v4_accounts(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/accounts")
            .route(web::get().to(api::accounts::list))
            .default_service(web::to(api::route_not_found)),
    )
    .service(
        web::resource("/accounts/{userId}")
            .route(web::get().to(api::accounts::get))
            .route(web::patch().to(api::accounts::update))
            .default_service(web::to(api::route_not_found)),
    )
    .service(
        web::resource("/accounts/{userId}/invitations/{workspaceId}")
            .route(web::delete().to(api::accounts::withdraw_invitation))
            .default_service(web::to(api::route_not_found)),
    );
}

/// The OAuth routes; none when the instance has api::oauth::API tokens turned off.
fn oauth2(cfg: &mut web::ServiceConfig, api_access_tokens: bool) {
    if !api_access_tokens {
        return;
    }
    cfg.service(
        web::resource("/oauth2/token")
            .app_data(api::oauth::form_config())
            .route(web::post().to(api::oauth::token)),
    )
    .service(
        web::resource("/oauth2/revoke")
            .app_data(api::oauth::form_config())
            .route(web::post().to(api::oauth::revoke)),
    )
    .service(
        web::resource("/oauth2/introspect")
            .app_data(api::oauth::form_config())
            .route(web::post().to(api::oauth::introspect)),
    )
    .service(web::resource("/.well-known/jwks.json").route(web::get().to(api::oauth::jwks)));
}

fn forward_auth(cfg: &mut web::ServiceConfig) {
    cfg.route(
        api::forward_auth::PATH,
        web::route().to(api::forward_auth::verify),
    );
}

fn metrics(cfg: &mut web::ServiceConfig) {
    cfg.route(crate::metrics::PATH, web::get().to(crate::metrics::scrape));
}
