//! The stylesheets, scripts and icon, compiled into the binary so it runs from
//! anywhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::PageError;

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");
const SETTINGS_CSS: &str = include_str!("../../static/settings.css");
const SETTINGS_JS: &str = include_str!("../../static/settings.js");
const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");
const SVG: &str = "image/svg+xml";
/// As long as the other assets: they change only with a new release.
const CACHE: &str = "public, max-age=3600";

/// `/static/{file}`.
pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "settings.css" => (SETTINGS_CSS, "text/css; charset=utf-8"),
        "settings.js" => (SETTINGS_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON_SVG, SVG),
        _ => return Err(PageError::NotFound),
    };
    Ok(asset(body, content_type))
}

/// `/favicon.ico`, which browsers ask for whatever the page links: the same SVG
/// icon as `/static/favicon.svg`, served here rather than redirected, so that it is
/// one request and every browser that reads SVG icons shows it.
pub async fn favicon() -> HttpResponse {
    asset(FAVICON_SVG, SVG)
}

fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, CACHE))
        .body(body)
}
