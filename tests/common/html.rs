//! Reading server-rendered pages with `scraper`: fetching one, finding elements by
//! CSS, their text and attributes, and the rows of a tokens table.

use std::collections::HashMap;

use reqwest::Client;
use scraper::{ElementRef, Html, Selector};

use super::TestApp;

/// GETs a page with `client` and parses it; anything but a 200 fails the test.
pub async fn page(app: &TestApp, client: &Client, path: &str) -> Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    Html::parse_document(&response.text().await.unwrap())
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// An element's text with whitespace collapsed.
pub fn text(el: ElementRef) -> String {
    el.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn all<'a>(root: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    root.select(&sel(css)).collect()
}

/// The first element matching `css`; none fails the test.
pub fn find<'a>(root: ElementRef<'a>, css: &str) -> ElementRef<'a> {
    root.select(&sel(css))
        .next()
        .unwrap_or_else(|| panic!("an element matching {css}"))
}

/// An attribute that must be there.
pub fn attr<'a>(el: ElementRef<'a>, name: &str) -> &'a str {
    el.value()
        .attr(name)
        .unwrap_or_else(|| panic!("a {name} attribute on <{}>", el.value().name()))
}

/// The first element matching `css` whose text is `wanted`.
pub fn with_text<'a>(root: ElementRef<'a>, css: &str, wanted: &str) -> ElementRef<'a> {
    all(root, css)
        .into_iter()
        .find(|el| text(*el) == wanted)
        .unwrap_or_else(|| panic!("a {css} with the text {wanted:?}"))
}

/// The control a `<label>` with this text points to through its `for` attribute.
pub fn labelled<'a>(root: ElementRef<'a>, label: &str) -> ElementRef<'a> {
    let for_id = attr(with_text(root, "label", label), "for");
    find(root, &format!("#{for_id}"))
}

/// The rows of `#tokens-table` (the user's and the admin's Access Tokens pages),
/// each as `data-label -> cell text` plus "id" (the row's `data-token-id`).
pub fn token_rows(doc: &Html) -> Vec<HashMap<String, String>> {
    all(doc.root_element(), "#tokens-table tbody tr")
        .into_iter()
        .map(|tr| {
            let mut row: HashMap<String, String> = all(tr, "td[data-label]")
                .into_iter()
                .map(|td| (attr(td, "data-label").to_owned(), text(td)))
                .collect();
            row.insert("id".into(), attr(tr, "data-token-id").to_owned());
            row
        })
        .collect()
}

/// The ids of these rows, in order.
pub fn ids(rows: &[HashMap<String, String>]) -> Vec<String> {
    rows.iter().map(|r| r["id"].clone()).collect()
}

/// What is said beside the control `#input_id`: the texts of the elements it names
/// in `aria-describedby` that sit in its own `.field`, the hint and the server's
/// answer alike (so a message far from the field does not count).
pub fn said_beside(html: &str, input_id: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let root = doc.root_element();
    let field = all(root, ".field")
        .into_iter()
        .find(|f| f.select(&sel(&format!("#{input_id}"))).next().is_some())
        .unwrap_or_else(|| panic!("a .field around #{input_id}"));
    let input = find(field, &format!("#{input_id}"));
    input
        .value()
        .attr("aria-describedby")
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|id| field.select(&sel(&format!("#{id}"))).next())
        .map(text)
        .collect()
}
