//! Scopes on the pages (issue 14), over real HTTP as a browser without JavaScript
//! uses them: the Scopes boxes of both Generate dialogs (who is offered what, what
//! is ticked, what is refused and how), the Scopes column of the four token tables,
//! the Scope filter of both admin lists (and the same `scope` parameter of their
//! API), and the service scopes on Workspace Settings. Both databases.

mod common;

use common::api::expect_error;
use common::html::{all, attr, find, text};
use common::{
    signed_in, workspace, Generating, SignedIn, TestApp, ADMIN, MEMBER, OAUTH_TOKENS,
    OAUTH_TOKENS_PAGE, PASSWORD, TOKENS, TOKENS_PAGE,
};
use reqwest::{Response, StatusCode};
use scraper::{ElementRef, Html};
use serde_json::{json, Value};

const SETTINGS: &str = "/admin/workspace-settings";
const ADMIN_TOKENS: &str = "/admin/access-tokens";
const ADMIN_OAUTH: &str = "/admin/oauth-tokens";

/// A workspace where members may generate, with two service scopes: `deploy`,
/// which every member may grant, and `billing:read`, for admins only; and
/// `readxapi`, a name `read_api` must not match as a `LIKE` pattern would.
async fn app() -> TestApp {
    let app = workspace(Generating::MembersToo).await;
    let response = app
        .api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({
            "serviceScopes": ["deploy", "billing:read", "readxapi"],
            "memberServiceScopes": ["deploy"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app
}

/// A page's HTML, whatever its status.
async fn html(app: &TestApp, who: &SignedIn, path: &str) -> (StatusCode, Html) {
    let response = who.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
    )
}

/// The Scopes boxes inside `root`: (value, label, checked).
fn boxes(root: ElementRef) -> Vec<(String, String, bool)> {
    all(root, r#"input[type=checkbox][name="scopes"]"#)
        .into_iter()
        .map(|input| {
            let label = ElementRef::wrap(input.parent().unwrap()).unwrap();
            (
                attr(input, "value").to_owned(),
                text(label),
                input.value().attr("checked").is_some(),
            )
        })
        .collect()
}

/// The values of the ticked boxes inside `root`.
fn ticked(root: ElementRef) -> Vec<String> {
    boxes(root)
        .into_iter()
        .filter(|b| b.2)
        .map(|b| b.0)
        .collect()
}

fn values(root: ElementRef) -> Vec<String> {
    boxes(root).into_iter().map(|b| b.0).collect()
}

/// Form fields as name and value.
type Fields = &'static [(&'static str, &'static str)];

/// The two Generate forms: their page, the dialog's id, and the fields besides the
/// scopes that make a valid form.
const FORMS: [(&str, &str, Fields); 2] = [
    (
        TOKENS_PAGE,
        "generate-token-dialog",
        &[("lifetime_days", "30"), ("description", "ci")],
    ),
    (
        OAUTH_TOKENS_PAGE,
        "generate-oauth-dialog",
        &[("name", "ci"), ("lifetime_days", "30")],
    ),
];

/// Posts a Generate form with these scopes ticked, as the dialog sends it.
async fn generate(
    app: &TestApp,
    who: &SignedIn,
    page: &str,
    fields: &[(&str, &str)],
    scopes: &[&str],
) -> Response {
    let mut form = fields.to_vec();
    form.push(("scopes_offered", "yes"));
    form.extend(scopes.iter().map(|s| ("scopes", *s)));
    who.submit(app, page, &form).await
}

/// A token's scopes as the API reads them: the legacy token `id`, or the caller's
/// only OAuth token.
async fn api_scopes(app: &TestApp, user: &str, page: &str, id: &str) -> Value {
    if page == TOKENS_PAGE {
        app.get_as(user, &format!("{TOKENS}/{id}")).await.1["scopes"].clone()
    } else {
        let body = app.get_as(user, OAUTH_TOKENS).await.1;
        assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
        body["data"][0]["scopes"].clone()
    }
}

// ---------------------------------------------------------------------------
// The Generate dialogs
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_generate_dialogs_offer_each_person_the_scopes_they_may_grant_full_access_ticked() {
    let app = app().await;
    let member = signed_in(&app, MEMBER).await;
    let admin = signed_in(&app, ADMIN).await;
    for (page, dialog, _) in FORMS {
        let (_, doc) = html(&app, &member, page).await;
        let form = find(doc.root_element(), &format!("dialog#{dialog} form"));
        let fieldset = find(form, "fieldset");
        assert_eq!(text(find(fieldset, "legend")), "Scopes");
        let labels: Vec<(String, String, bool)> = boxes(fieldset);
        assert_eq!(
            labels,
            [
                ("api".into(), "Full access (api)".into(), true),
                ("read_api".into(), "Read only (read_api)".into(), false),
                ("tokens".into(), "Tokens (tokens)".into(), false),
                ("deploy".into(), "deploy".into(), false),
            ],
            "{page}: a member is offered no admin, and only the member service scopes"
        );
        // Each built-in box has its one-line explanation.
        let read = find(fieldset, r#"input[value="read_api"]"#);
        let hint = find(fieldset, &format!("#{}", attr(read, "aria-describedby")));
        assert_eq!(
            text(hint),
            "Read only: every GET you may do; anything else is refused."
        );

        let (_, doc) = html(&app, &admin, page).await;
        let form = find(doc.root_element(), &format!("dialog#{dialog} form"));
        assert_eq!(
            values(form),
            [
                "api",
                "read_api",
                "tokens",
                "admin",
                "billing:read",
                "deploy",
                "readxapi"
            ],
            "{page}: an admin is offered every scope"
        );
        assert_eq!(ticked(form), ["api"]);
    }
    // The forms used without JavaScript offer the same.
    for new_page in [
        "/preferences/access-tokens/new",
        "/preferences/oauth-tokens/new",
    ] {
        let (status, doc) = html(&app, &member, new_page).await;
        assert_eq!(status, 200);
        assert_eq!(
            values(doc.root_element()),
            ["api", "read_api", "tokens", "deploy"]
        );
        assert_eq!(ticked(doc.root_element()), ["api"]);
    }
}

#[actix_web::test]
async fn a_token_generated_with_read_api_ticked_has_exactly_that_scope_and_the_table_says_so() {
    let app = app().await;
    let member = signed_in(&app, MEMBER).await;
    for (page, _, fields) in FORMS {
        let response = generate(&app, &member, page, fields, &["read_api"]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        let (_, doc) = html(&app, &member, page).await;
        let root = doc.root_element();
        let id = if page == TOKENS_PAGE {
            text(find(root, "#new-token-id"))
        } else {
            attr(find(root, "#oauth-tokens-table tbody tr"), "data-token-id").to_owned()
        };
        assert_eq!(
            api_scopes(&app, MEMBER, page, &id).await,
            json!(["read_api"]),
            "{page}"
        );
        let cell = find(
            root,
            &format!(r#"tr[data-token-id="{id}"] td[data-label="Scopes"]"#),
        );
        assert_eq!(text(cell), "read_api", "{page}");
    }
}

#[actix_web::test]
async fn several_scopes_are_kept_and_listed_compactly() {
    let app = app().await;
    let admin = signed_in(&app, ADMIN).await;
    for (page, _, fields) in FORMS {
        let asked = ["tokens", "billing:read", "read_api"];
        let response = generate(&app, &admin, page, fields, &asked).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        let (_, doc) = html(&app, &admin, page).await;
        let cells: Vec<String> = all(doc.root_element(), r#"td[data-label="Scopes"]"#)
            .into_iter()
            .map(text)
            .collect();
        assert_eq!(cells, ["billing:read, read_api, tokens"], "{page}");
    }
}

/// Posts `scopes` to each Generate form as `who` and checks the refusal: 422, no
/// token, the dialog open with `message` inside the Scopes fieldset (which names
/// it), the typed values kept, and exactly `kept` ticked.
async fn assert_scopes_refused(who: &str, scopes: &[&str], message: &str, kept: &[&str]) {
    let app = app().await;
    let session = signed_in(&app, who).await;
    for (page, dialog, fields) in FORMS {
        let response = generate(&app, &session, page, fields, scopes).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{page} {scopes:?}"
        );
        let doc = Html::parse_document(&response.text().await.unwrap());
        let root = doc.root_element();
        let open = find(root, &format!("dialog#{dialog}"));
        assert!(open.value().attr("open").is_some(), "{page}: dialog open");
        let fieldset = find(open, "fieldset.scopes");
        let error = find(fieldset, ".field-error");
        assert_eq!(text(error), message, "{page}");
        assert!(attr(fieldset, "aria-describedby").contains(attr(error, "id")));
        assert_eq!(all(root, ".field-error").len(), 1, "{page}: one message");
        assert_eq!(
            ticked(fieldset),
            kept,
            "{page}: what was ticked stays ticked"
        );
        let lifetime = find(open, r#"input[name="lifetime_days"]"#);
        assert_eq!(attr(lifetime, "value"), "30", "{page}");
    }
    assert_eq!(app.token_count(), 0, "no legacy token");
    let grants = app.get_as(who, OAUTH_TOKENS).await.1;
    assert_eq!(grants["data"], json!([]), "no OAuth token");
}

#[actix_web::test]
async fn ticking_no_scope_is_refused_beside_the_boxes() {
    assert_scopes_refused(MEMBER, &[], "Choose at least one scope.", &[]).await;
}

#[actix_web::test]
async fn admin_posted_by_a_member_by_hand_is_refused_beside_the_boxes() {
    let message = "You may not put this scope on a token: admin.";
    assert_scopes_refused(MEMBER, &["read_api", "admin"], message, &["read_api"]).await;
}

#[actix_web::test]
async fn an_admins_only_service_scope_posted_by_a_member_is_refused_beside_the_boxes() {
    // The box is not offered to a member, so only what they may grant stays ticked.
    let message = "You may not put this scope on a token: billing:read.";
    assert_scopes_refused(MEMBER, &["deploy", "billing:read"], message, &["deploy"]).await;
}

#[actix_web::test]
async fn an_unknown_scope_is_refused_beside_the_boxes() {
    let message = "Unknown scope: nope. The scopes are api, read_api, tokens, admin \
                   and this workspace's service scopes.";
    assert_scopes_refused(ADMIN, &["api", "nope"], message, &["api"]).await;
}

#[actix_web::test]
async fn a_refused_lifetime_keeps_the_scopes_ticked() {
    let app = app().await;
    let member = signed_in(&app, MEMBER).await;
    let fields = [("lifetime_days", "0"), ("description", "")];
    let response = generate(&app, &member, TOKENS_PAGE, &fields, &["tokens", "deploy"]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = Html::parse_document(&response.text().await.unwrap());
    let fieldset = find(doc.root_element(), "dialog#generate-token-dialog fieldset");
    assert_eq!(ticked(fieldset), ["tokens", "deploy"]);
    assert!(all(fieldset, ".field-error").is_empty());
}

// ---------------------------------------------------------------------------
// The admin lists: the Scopes column and the Scope filter, page and API
// ---------------------------------------------------------------------------

/// Tokens of both kinds with these scopes (the admin's, so any scope goes): the
/// ids of the legacy ones, then of the OAuth ones, in the same order.
async fn tokens_with(app: &TestApp, scopes: &[&[&str]]) -> (Vec<String>, Vec<String>) {
    let (mut legacy, mut oauth) = (Vec::new(), Vec::new());
    for (i, s) in scopes.iter().enumerate() {
        let body = json!({"lifetimeSeconds": 86_400, "scopes": s});
        let created = app.create_token(ADMIN, PASSWORD, body).await;
        legacy.push(created["tokenInfo"]["tokenId"].as_str().unwrap().to_owned());
        let response = app
            .api_client()
            .post(app.url(OAUTH_TOKENS))
            .basic_auth(ADMIN, Some(PASSWORD))
            .json(&json!({"name": format!("t{i}"), "lifetimeDays": 30, "scopes": s}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        oauth.push(body["tokenInfo"]["tokenId"].as_str().unwrap().to_owned());
    }
    (legacy, oauth)
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The row ids of an admin list page.
fn row_ids(doc: &Html) -> Vec<String> {
    all(doc.root_element(), "table.tokens tbody tr[data-token-id]")
        .into_iter()
        .map(|tr| attr(tr, "data-token-id").to_owned())
        .collect()
}

/// The ids the API lists at `path` (with `?scope=...`), sorted.
async fn api_ids(app: &TestApp, path: &str) -> Vec<String> {
    let (status, body) = app.get_as(ADMIN, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    let ids = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokenId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(body["count"], body["data"].as_array().unwrap().len());
    sorted(ids)
}

#[actix_web::test]
async fn the_admin_lists_show_scopes_and_filter_by_a_whole_scope_name() {
    let app = app().await;
    let (legacy, oauth) = tokens_with(
        &app,
        &[&["read_api"], &["readxapi"], &["api"], &["api", "tokens"]],
    )
    .await;
    let admin = signed_in(&app, ADMIN).await;
    for (page, api, ids) in [
        (ADMIN_TOKENS, "/v4/workspaceAccessTokens", &legacy),
        (ADMIN_OAUTH, "/v4/workspaceOAuthTokens", &oauth),
    ] {
        let (_, doc) = html(&app, &admin, page).await;
        let root = doc.root_element();
        let headings: Vec<String> = all(root, "table.tokens thead th")
            .into_iter()
            .map(text)
            .collect();
        assert!(headings.contains(&"Scopes".to_owned()), "{headings:?}");
        let cell = find(
            root,
            &format!(r#"tr[data-token-id="{}"] td[data-label="Scopes"]"#, ids[3]),
        );
        assert_eq!(text(cell), "api, tokens");
        // The filter offers every scope of the workspace, "Any" first.
        let options: Vec<String> = all(root, "#filter-scope option")
            .into_iter()
            .map(text)
            .collect();
        assert_eq!(
            options,
            [
                "Any",
                "Full access (api)",
                "Read only (read_api)",
                "Tokens (tokens)",
                "Admin (admin)",
                "billing:read",
                "deploy",
                "readxapi"
            ]
        );

        // A whole name: read_api is not readxapi ("_" is no wildcard), api is not
        // read_api.
        for (scope, wanted) in [
            ("read_api", vec![ids[0].clone()]),
            ("readxapi", vec![ids[1].clone()]),
            ("api", vec![ids[2].clone(), ids[3].clone()]),
            ("tokens", vec![ids[3].clone()]),
            ("deploy", vec![]),
        ] {
            let (status, doc) = html(&app, &admin, &format!("{page}?scope={scope}")).await;
            assert_eq!(status, 200, "{page}?scope={scope}");
            assert_eq!(
                sorted(row_ids(&doc)),
                sorted(wanted.clone()),
                "{page}?scope={scope}"
            );
            let selected = find(doc.root_element(), "#filter-scope option[selected]");
            assert_eq!(attr(selected, "value"), scope);
            if wanted.is_empty() {
                let empty = text(find(doc.root_element(), "#no-tokens"));
                assert!(empty.contains("match these filters"), "{empty}");
            } else {
                // Sorting and paging keep the filter.
                let sort = find(doc.root_element(), "th a.sort");
                assert!(attr(sort, "href").contains(&format!("scope={scope}")));
            }
            let listed = api_ids(&app, &format!("{api}?scope={scope}")).await;
            assert_eq!(listed, sorted(wanted), "{api}?scope={scope}");
        }
        // "Any" is no filter.
        let (_, doc) = html(&app, &admin, &format!("{page}?scope=")).await;
        assert_eq!(row_ids(&doc).len(), 4);

        // A well-formed name the workspace does not define filters like any other
        // (tokens may still carry a service scope taken off the list): no rows here,
        // and the select shows it.
        let (status, doc) = html(&app, &admin, &format!("{page}?scope=nope")).await;
        assert_eq!(status, 200, "{page}?scope=nope");
        assert!(row_ids(&doc).is_empty());
        let selected = find(doc.root_element(), "#filter-scope option[selected]");
        assert_eq!(attr(selected, "value"), "nope");
        assert!(api_ids(&app, &format!("{api}?scope=nope")).await.is_empty());

        // A name that cannot be a scope: 400, said beside the filter, no rows; the
        // API refuses it (and a blank one) naming the parameter.
        let (status, doc) = html(&app, &admin, &format!("{page}?scope=READ_API")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}?scope=READ_API");
        let root = doc.root_element();
        let select = find(root, "#filter-scope");
        assert_eq!(select.value().attr("aria-invalid"), Some("true"));
        let error = find(root, &format!("#{}", attr(select, "aria-describedby")));
        assert_eq!(
            text(error),
            "That is not a scope name: choose one from the list."
        );
        assert!(row_ids(&doc).is_empty());
        assert!(text(find(root, "#no-tokens")).contains("match these filters"));
        for bad in ["", "READ_API", "read_%25", "a%20b"] {
            let response = admin_api(&app, &format!("{api}?scope={bad}")).await;
            let body = expect_error(response, 400, "ValidationFailed").await;
            assert_eq!(
                body["exception"]["details"]["field"], "scope",
                "{api}?scope={bad}"
            );
        }
    }
}

async fn admin_api(app: &TestApp, path: &str) -> Response {
    app.api_client()
        .get(app.url(path))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------
// Workspace Settings: the service scopes
// ---------------------------------------------------------------------------

/// The settings form as the page sends it, the policy as `app` starts it, with
/// these two scope fields.
async fn save_settings(app: &TestApp, admin: &SignedIn, all: &str, members: &str) -> Response {
    admin
        .submit(
            app,
            SETTINGS,
            &[
                ("tokens_enabled", "on"),
                ("members_may_generate", "on"),
                ("max_lifetime_days", "-1"),
                ("allow_never_expires", "on"),
                ("allow_legacy_tokens", "on"),
                ("service_scopes", all),
                ("member_service_scopes", members),
            ],
        )
        .await
}

async fn stored_scopes(app: &TestApp) -> (Value, Value) {
    let (_, body) = app.get_as(ADMIN, "/v4/workspaceSettings").await;
    (
        body["serviceScopes"].clone(),
        body["memberServiceScopes"].clone(),
    )
}

#[actix_web::test]
async fn the_settings_page_shows_and_saves_the_service_scopes() {
    let app = app().await;
    let admin = signed_in(&app, ADMIN).await;
    let (_, doc) = html(&app, &admin, SETTINGS).await;
    let root = doc.root_element();
    assert_eq!(
        text(find(root, "#service-scopes-section legend")),
        "Service scopes"
    );
    assert_eq!(
        text(find(root, "textarea#service-scopes")),
        "billing:read deploy readxapi"
    );
    assert_eq!(text(find(root, "textarea#member-service-scopes")), "deploy");

    // One a line, or separated by spaces or commas.
    let response = save_settings(
        &app,
        &admin,
        "ops\r\nbilling:read, deploy  ci.run",
        "ops\r\nci.run",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, doc) = html(&app, &admin, SETTINGS).await;
    let flash = text(find(doc.root_element(), ".flash"));
    assert!(flash.starts_with("Workspace settings saved."), "{flash}");
    assert_eq!(
        stored_scopes(&app).await,
        (
            json!(["billing:read", "ci.run", "deploy", "ops"]),
            json!(["ci.run", "ops"])
        )
    );
    // Members are now offered what they may grant.
    let member = signed_in(&app, MEMBER).await;
    let (_, doc) = html(&app, &member, TOKENS_PAGE).await;
    assert_eq!(
        values(doc.root_element()),
        ["api", "read_api", "tokens", "ci.run", "ops"]
    );

    // Emptied: no service scope left.
    let response = save_settings(&app, &admin, "", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_scopes(&app).await, (json!([]), json!([])));
}

#[actix_web::test]
async fn service_scopes_that_are_not_allowed_are_explained_beside_their_field() {
    let app = app().await;
    let admin = signed_in(&app, ADMIN).await;
    let before = stored_scopes(&app).await;
    for (all_typed, members, field, message) in [
        (
            "deploy Ops",
            "",
            "service-scopes",
            "\u{201c}Ops\u{201d}: A scope name may hold only lower-case letters, digits, \
             \u{201c}:\u{201d}, \u{201c}.\u{201d}, \u{201c}-\u{201d} and \u{201c}_\u{201d}.",
        ),
        (
            "deploy read_api",
            "",
            "service-scopes",
            "\u{201c}read_api\u{201d} is a built-in scope; a service scope needs a name of its own.",
        ),
        (
            "deploy",
            "deploy ops",
            "member-service-scopes",
            "Every member service scope must also be a service scope: ops.",
        ),
    ] {
        let response = save_settings(&app, &admin, all_typed, members).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{all_typed}");
        let doc = Html::parse_document(&response.text().await.unwrap());
        let root = doc.root_element();
        let textarea = find(root, &format!("textarea#{field}"));
        assert_eq!(textarea.value().attr("aria-invalid"), Some("true"));
        let error = find(root, &format!("#{field}-error"));
        assert!(attr(textarea, "aria-describedby").contains(attr(error, "id")));
        assert_eq!(text(error), message);
        assert_eq!(all(root, ".field-error").len(), 1);
        // What was typed is kept.
        assert_eq!(text(find(root, "textarea#service-scopes")), all_typed);
        assert_eq!(stored_scopes(&app).await, before, "nothing saved");
    }
}

#[actix_web::test]
async fn a_settings_form_without_the_scope_fields_keeps_the_service_scopes() {
    let app = app().await;
    let admin = signed_in(&app, ADMIN).await;
    let before = stored_scopes(&app).await;
    let response = admin
        .submit(
            &app,
            SETTINGS,
            &[("tokens_enabled", "on"), ("max_lifetime_days", "90")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_scopes(&app).await, before);
}
