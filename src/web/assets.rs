//! The stylesheets and scripts, compiled into the binary so it runs from anywhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::PageError;

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");
const SETTINGS_CSS: &str = include_str!("../../static/settings.css");
const SETTINGS_JS: &str = include_str!("../../static/settings.js");

/// `/static/{file}`.
pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let (body, content_type) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "settings.css" => (SETTINGS_CSS, "text/css; charset=utf-8"),
        "settings.js" => (SETTINGS_JS, "text/javascript; charset=utf-8"),
        _ => return Err(PageError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body))
}
