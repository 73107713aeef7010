//! What every page of the site shares, over real HTTP: a strict Content Security
//! Policy and the framing and sniffing headers, no inline script, style or event
//! handler anywhere, the stylesheet and script served with their types, and the
//! page for a path that does not exist.

mod common;

use common::html::{all, find, text};
use common::{
    app_with_members, generate_on_page, get, header, signed_in, spawn_app, GenerateForm, TestApp,
    ALICE, TOKENS_PAGE as PAGE,
};
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use scraper::Html;

const NEW_PAGE: &str = "/preferences/access-tokens/new";

/// The pages a signed-in user can reach, with a token row, a just-shown value
/// and the error page among them; each as (path, headers, body).
async fn every_page(app: &TestApp) -> Vec<(String, HeaderMap, String)> {
    let anonymous = app.browser_client();
    let browser = signed_in(app, ALICE).await;
    let mut pages = Vec::new();
    let fetch = |path: String, response: Response| async move {
        let headers = response.headers().clone();
        (path, headers, response.text().await.unwrap())
    };
    pages.push(fetch("/login".into(), get(app, &anonymous, "/login").await).await);
    let failed = app.sign_in(&app.browser_client(), ALICE, "wrong").await;
    pages.push(fetch("/login (failed)".into(), failed).await);
    generate_on_page(app, &browser, GenerateForm::legacy("30", "<b>bold</b>")).await;
    let id = {
        let (path, headers, body) = fetch(PAGE.into(), get(app, &browser.client, PAGE).await).await;
        let id = text(find(
            Html::parse_document(&body).root_element(),
            "#new-token-id",
        ));
        pages.push((format!("{path} (new token)"), headers, body));
        id
    };
    pages.push(fetch(PAGE.into(), get(app, &browser.client, PAGE).await).await);
    pages.push(fetch(NEW_PAGE.into(), get(app, &browser.client, NEW_PAGE).await).await);
    let invalid = generate_on_page(app, &browser, GenerateForm::legacy("abc", "")).await;
    pages.push(fetch("generate (invalid)".into(), invalid).await);
    let delete = format!("{PAGE}/{id}/delete");
    pages.push(fetch(delete.clone(), get(app, &browser.client, &delete).await).await);
    pages.push(
        fetch(
            "/nowhere".into(),
            get(app, &browser.client, "/nowhere").await,
        )
        .await,
    );
    pages
}

#[actix_web::test]
async fn pages_send_a_strict_content_security_policy_and_framing_and_sniffing_headers() {
    let app = app_with_members(&[ALICE]).await;
    for (path, headers, _) in every_page(&app).await {
        let csp = header(&headers, "content-security-policy");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(header(&headers, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert!(
            header(&headers, "content-type").starts_with("text/html"),
            "{path}"
        );
    }
}

/// Not only pages: every answer, whatever route made it and whatever its status,
/// gets the security headers and an id of its own; a header its handler set (a
/// static file's caching) is kept.
#[actix_web::test]
async fn every_answer_carries_the_security_headers_and_a_request_id_of_its_own() {
    let app = spawn_app().await;
    let client = app.api_client();
    let answers = [
        ("GET", "/healthz", 200, "no-store"),
        ("GET", "/v4/apiAccessTokens", 401, "no-store"),
        ("POST", "/v4/apiAccessTokens", 401, "no-store"),
        ("GET", "/auth/verify", 401, "no-store"),
        ("GET", "/nowhere", 404, "no-store"),
        ("GET", "/static/app.css", 200, "public, max-age=3600"),
    ];
    let mut ids = std::collections::HashSet::new();
    for (method, path, status, cache) in answers {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let what = format!("{method} {path}");
        assert_eq!(response.status().as_u16(), status, "{what}");
        let headers = response.headers();
        assert!(
            header(headers, "content-security-policy").contains("frame-ancestors 'none'"),
            "{what}"
        );
        assert_eq!(header(headers, "x-frame-options"), "DENY", "{what}");
        assert_eq!(
            header(headers, "x-content-type-options"),
            "nosniff",
            "{what}"
        );
        assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header(headers, "cache-control"), cache, "{what}");
        assert_eq!(headers.get_all("cache-control").iter().count(), 1, "{what}");
        let id = header(headers, "x-request-id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{what}: {id}");
        assert!(ids.insert(id.to_owned()), "{what}: {id} was given before");
    }
}

#[actix_web::test]
async fn pages_have_no_inline_script_style_or_event_handler_attributes() {
    let app = app_with_members(&[ALICE]).await;
    for (path, _, body) in every_page(&app).await {
        let doc = Html::parse_document(&body);
        for script in all(doc.root_element(), "script") {
            assert!(
                script.text().collect::<String>().trim().is_empty(),
                "{path}: inline script"
            );
            assert!(
                script.value().attr("src").is_some(),
                "{path}: script without src"
            );
        }
        assert!(
            all(doc.root_element(), "style").is_empty(),
            "{path}: <style>"
        );
        for el in all(doc.root_element(), "*") {
            for (name, _) in el.value().attrs() {
                let name = name.to_ascii_lowercase();
                assert!(
                    name != "style" && !name.starts_with("on"),
                    "{path}: <{} {name}=...>",
                    el.value().name()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Static files and missing pages
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_stylesheet_is_served_as_css() {
    let app = spawn_app().await;
    let response = get(&app, &app.api_client(), "/static/app.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(response.headers(), "content-type").starts_with("text/css"));
    assert_eq!(
        header(response.headers(), "x-content-type-options"),
        "nosniff"
    );
    assert!(!response.text().await.unwrap().is_empty());
}

#[actix_web::test]
async fn the_script_is_served_as_javascript() {
    let app = spawn_app().await;
    let response = get(&app, &app.api_client(), "/static/app.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = header(response.headers(), "content-type");
    assert!(
        content_type.starts_with("text/javascript")
            || content_type.starts_with("application/javascript"),
        "{content_type}"
    );
    assert!(!response.text().await.unwrap().is_empty());
}

#[actix_web::test]
async fn the_favicon_is_an_svg_at_its_own_path_and_at_favicon_ico() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    for path in ["/static/favicon.svg", "/favicon.ico"] {
        let response = get(&app, &app.browser_client(), path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(response.headers(), "content-type"), "image/svg+xml");
        assert_eq!(
            header(response.headers(), "cache-control"),
            "public, max-age=3600",
            "cached like the other assets"
        );
        bodies.push(response.text().await.unwrap());
    }
    assert!(bodies[0].starts_with("<svg"));
    assert_eq!(bodies[0], bodies[1], "one icon");
}

#[actix_web::test]
async fn an_unknown_page_is_a_404_html_page() {
    let app = spawn_app().await;
    let response = get(&app, &app.browser_client(), "/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(header(response.headers(), "content-type").starts_with("text/html"));
    let doc = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(text(find(doc.root_element(), "h1")), "Page not found");
}
