//! Issue 13's proof in a real headless Chromium: every page at 1280×800 and 390×844,
//! as a workspace admin (also an instance admin) and as a member, plus the sign-in
//! page and the 403 page: no horizontal scrolling, menus inside the viewport, no
//! wrapped Token ID, date or header at 1280 px, no line starting with punctuation,
//! the side navigation and token table contract, no serious or critical axe-core
//! violation; a screenshot of each. Then the one-time dialogs: axe and screenshots
//! with each dialog open, and the guard that keeps a new value from being lost.
//!
//! Every check adds to a list instead of stopping the test, so that one run names
//! every problem, each as `[role size page] (check) what`. Needs chromium,
//! chromedriver and axe-core (see `common/page_checks.rs`).

mod common;

use access_tokens::domain::Role;
use common::browser::{click_button, Browser};
use common::dialog_checks::*;
use common::layout_checks::{side_navigation, token_table_cells, Viewer};
use common::page_checks::*;
use common::{
    generate, signed_in, workspace, Generate, Generating, TestApp, ADMIN, ALICE, MEMBER,
    OAUTH_TOKENS, OAUTH_TOKENS_PAGE, PASSWORD, TOKENS_PAGE,
};
use serde_json::json;

const SIZES: [(u32, u32); 2] = [(1280, 800), (390, 844)];

/// The pages every signed-in person may open (the last two are the forms used
/// without JavaScript).
const PREFERENCES_PAGES: &[&str] = &[
    TOKENS_PAGE,
    OAUTH_TOKENS_PAGE,
    "/preferences/sessions",
    "/preferences/password",
    "/preferences/invitations",
    "/preferences/access-tokens/new",
    "/preferences/oauth-tokens/new",
];
/// The pages of workspace admins, then of instance admins: a member gets a 403.
const ADMIN_PAGES: &[&str] = &[
    "/admin/access-tokens",
    "/admin/oauth-tokens",
    "/admin/people",
    "/admin/workspace-settings",
    "/admin/audit-log",
    "/instance/accounts",
    "/instance/audit-log",
];

const LONG_DESCRIPTION: &str = "Nightly deploy of the marketing site from the build server \
    in the basement rack, rotated every quarter by the platform team (ask Olga before deleting)";

/// A workspace with an admin who is also the instance admin, two members, two
/// service scopes, and for each person legacy tokens (a long description with two
/// scopes, one never expiring, one expiring within days with a service scope, one
/// used) and OAuth tokens (one used): every table has rows, and the audit logs have
/// entries.
async fn seeded() -> TestApp {
    let app = workspace(Generating::MembersToo).await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    app.set_instance_admin(ADMIN, true);
    let scopes = json!({
        "serviceScopes": ["deploy:production", "billing.read"],
        "memberServiceScopes": ["deploy:production"],
    });
    let response = app
        .api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&scopes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "defining service scopes");
    for user in [ADMIN, MEMBER, ALICE] {
        for (description, lifetime, scopes) in [
            (LONG_DESCRIPTION, 90 * 86_400, json!(["read_api", "tokens"])),
            ("never expires", -1, json!(["api"])),
            (
                "short-lived",
                3 * 86_400,
                json!(["deploy:production", "read_api"]),
            ),
        ] {
            let body =
                json!({"lifetimeSeconds": lifetime, "description": description, "scopes": scopes});
            app.create_token(user, PASSWORD, body).await;
        }
        let used = generate(&app, Generate::legacy(user).lifetime_seconds(30 * 86_400)).await;
        assert_eq!(app.bearer_status(&used.value).await, 200);
        let oauth = generate(&app, Generate::oauth(user).name("nightly export")).await;
        assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &oauth.value).await, 200);
        generate(&app, Generate::oauth(user).name("ci").days(365)).await;
    }
    app
}

fn size_name((w, h): (u32, u32)) -> String {
    format!("{w}x{h}")
}

/// `/preferences/access-tokens` → `preferences-access-tokens`.
fn page_name(path: &str) -> String {
    path.trim_matches('/').replace('/', "-")
}

/// What kind of page is being checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A page of the app's layout, seen by this viewer.
    SignedIn(Viewer),
    /// The sign-in page or the 403 page: no navigation to check.
    Bare,
}

/// Every check of the matrix on the page now loaded; the screenshot is
/// `<role>-<size>-<name>.png`.
async fn check_loaded_page(
    b: &Browser,
    role: &str,
    size: (u32, u32),
    path: &str,
    name: &str,
    kind: Kind,
) -> Vec<String> {
    let phone = size.0 < 600;
    let mut found = no_horizontal_scroll(b).await;
    found.extend(menus_inside(b, phone && kind != Kind::Bare).await);
    if !phone {
        found.extend(nothing_wraps(b).await);
    }
    found.extend(no_line_starts_with_punctuation(b).await);
    if let Kind::SignedIn(viewer) = kind {
        found.extend(side_navigation(b, viewer, path, phone).await);
    }
    if path.ends_with("access-tokens") || path.ends_with("oauth-tokens") {
        found.extend(token_table_cells(b, path.ends_with("access-tokens")).await);
    }
    found.extend(axe_violations(b).await);
    b.full_page_screenshot(size, &format!("{role}-{}-{name}.png", size_name(size)))
        .await;
    let at = format!("[{role} {} {path}]", size_name(size));
    found.into_iter().map(|p| format!("{at} {p}")).collect()
}

/// Opens `path` and checks it.
async fn check_page(
    b: &Browser,
    app: &TestApp,
    role: &str,
    size: (u32, u32),
    path: &str,
    kind: Kind,
) -> Vec<String> {
    b.goto(&app.url(path)).await;
    check_loaded_page(b, role, size, path, &page_name(path), kind).await
}

/// Sets the viewport, or says why it could not be set.
async fn viewport(b: &Browser, role: &str, size: (u32, u32)) -> Vec<String> {
    match b.set_viewport(size).await {
        Ok(()) => vec![],
        Err(why) => vec![format!("[{role} {}] {why}", size_name(size))],
    }
}

/// Fails with every problem found, one a line.
fn report(what: &str, problems: &[String]) {
    for p in problems {
        eprintln!("{p}");
    }
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[actix_web::test]
async fn every_page_fits_reads_and_passes_axe_for_an_admin() {
    announce_screenshots();
    let app = seeded().await;
    let b = Browser::start().await;
    b.sign_in(&app, ADMIN).await;
    let mut problems = Vec::new();
    for size in SIZES {
        problems.extend(viewport(&b, "admin", size).await);
        for path in PREFERENCES_PAGES.iter().chain(ADMIN_PAGES) {
            let kind = Kind::SignedIn(Viewer::Admin);
            problems.extend(check_page(&b, &app, "admin", size, path, kind).await);
        }
    }
    b.quit().await;
    report("the admin's pages", &problems);
}

#[actix_web::test]
async fn every_page_fits_reads_and_passes_axe_for_a_member_and_signed_out() {
    announce_screenshots();
    let app = seeded().await;
    // A member is refused every admin and instance page.
    let session = signed_in(&app, MEMBER).await;
    let mut problems = Vec::new();
    for path in ADMIN_PAGES {
        let status = session.get(app.url(path)).send().await.unwrap().status();
        if status != 403 {
            problems.push(format!(
                "[member] {path} answers {status} to a member, not 403"
            ));
        }
    }
    let b = Browser::start().await;
    for size in SIZES {
        problems.extend(viewport(&b, "anonymous", size).await);
        problems.extend(check_page(&b, &app, "anonymous", size, "/login", Kind::Bare).await);
    }
    b.sign_in(&app, MEMBER).await;
    for size in SIZES {
        problems.extend(viewport(&b, "member", size).await);
        for path in PREFERENCES_PAGES {
            let kind = Kind::SignedIn(Viewer::Member);
            problems.extend(check_page(&b, &app, "member", size, path, kind).await);
        }
        b.goto(&app.url("/admin/people")).await;
        let refused = "/admin/people (403)";
        problems
            .extend(check_loaded_page(&b, "member", size, refused, "forbidden", Kind::Bare).await);
    }
    b.quit().await;
    report("the member's and the signed-out pages", &problems);
}

// ---------------------------------------------------------------------------
// The dialogs: axe and screenshots with each open, and the one-time value guard
// ---------------------------------------------------------------------------

/// Opens the Generate dialog, submits it, and waits for the one-time dialog; with
/// `check`, axe, the on-screen checks and screenshots of both dialogs.
async fn generate_in_dialog(
    b: &Browser,
    app: &TestApp,
    t: &OneTime,
    size: (u32, u32),
    check: bool,
) -> Vec<String> {
    let mut found = Vec::new();
    b.goto(&app.url(t.page)).await;
    b.find(t.opener)
        .await
        .click()
        .await
        .expect("clicking Generate");
    b.wait_dialog_open(t.form_dialog).await;
    let form = b.find(&format!("#{}", t.form_dialog)).await;
    if check {
        found.extend(open_dialog_checks(b, size, t, t.form_dialog, "button[type=submit]").await);
    }
    b.type_into(t.name_field, "guard test").await;
    click_button(&form, "Generate").await;
    b.wait_dialog_open(t.dialog).await;
    if check {
        found.extend(open_dialog_checks(b, size, t, t.dialog, t.close).await);
    }
    found
}

/// The open dialog `id` on `t`'s page: on screen up to `last`, no axe finding, and
/// its screenshot.
async fn open_dialog_checks(
    b: &Browser,
    size: (u32, u32),
    t: &OneTime,
    id: &str,
    last: &str,
) -> Vec<String> {
    let mut found = dialog_on_screen(b, id, last).await;
    found.extend(axe_violations(b).await);
    let name = format!("member-{}-{}-{id}.png", size_name(size), page_name(t.page));
    b.screenshot(&name).await;
    found
}

#[actix_web::test]
async fn the_one_time_dialogs_ask_before_losing_the_value_and_pass_axe() {
    announce_screenshots();
    let app = workspace(Generating::MembersToo).await;
    let b = Browser::start().await;
    b.sign_in(&app, MEMBER).await;
    let mut problems = Vec::new();
    for size in SIZES {
        problems.extend(viewport(&b, "member", size).await);
        for t in [&LEGACY, &OAUTH] {
            let at = format!(
                "[member {} {} dialog#{}]",
                size_name(size),
                t.page,
                t.dialog
            );
            let found = generate_in_dialog(&b, &app, t, size, true).await;
            problems.extend(found.into_iter().map(|p| format!("{at} {p}")));
            let value = b.value_of(t.value).await;
            if let Err(why) = guard_flow(&b, t).await {
                problems.push(format!("{at} (guard) {why}"));
            }
            if let Err(why) = reload_hides_the_value(&b, t, &value).await {
                problems.push(format!("{at} (guard) {why}"));
            }
            generate_in_dialog(&b, &app, t, size, false).await;
            if let Err(why) = escape_after_copy_closes(&b, t).await {
                problems.push(format!("{at} (guard) {why}"));
            }
        }
    }
    b.quit().await;
    report("the one-time dialogs", &problems);
}
