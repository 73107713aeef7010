//! The page layout contract of issue 13, as checks that return problems: the side
//! navigation (`nav#side-nav`, grouped Preferences / Admin / Instance, the current
//! page marked, folded into the user menu on a phone) and the token tables (dates
//! in `<time datetime>`, full Token IDs as selectable text).

use fantoccini::Locator;
use serde_json::{json, Value};

use super::browser::Browser;
use super::page_checks::strings;

/// The links each group must hold (the list); a group may hold more.
pub const PREFERENCES: &[&str] = &[
    "/preferences/access-tokens",
    "/preferences/oauth-tokens",
    "/preferences/sessions",
    "/preferences/password",
];
pub const ADMIN: &[&str] = &[
    "/admin/access-tokens",
    "/admin/oauth-tokens",
    "/admin/people",
    "/admin/workspace-settings",
    "/admin/audit-log",
];
pub const INSTANCE: &[&str] = &["/instance/accounts", "/instance/audit-log"];

/// A container's links and group labels (leaf elements outside links whose text
/// is short, or the names of its `role=group` elements), and whether it is displayed.
const LINKS_AND_LABELS: &str = "
const c = arguments[0];
if (!c) return null;
const r = c.getBoundingClientRect();
return {
  links: Array.from(c.querySelectorAll('a[href]')).map((a) => [a.getAttribute('href'), a.getAttribute('aria-current')]),
  labels: Array.from(c.querySelectorAll('*'))
    .filter((e) => e.children.length === 0 && !e.closest('a') && e.textContent.trim().length < 40)
    .map((e) => e.textContent.trim())
    .concat(Array.from(c.querySelectorAll('[role=group][aria-label]')).map((e) => e.getAttribute('aria-label'))),
  displayed: r.width > 0 && r.height > 0 && getComputedStyle(c).visibility !== 'hidden',
};";

/// Who is looking: which groups they must and must not see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// A workspace admin who is also an instance admin.
    Admin,
    Member,
}

/// The side navigation on a signed-in page at `path`: its groups for `viewer`, the
/// current page's link, shown at desktop width, and at phone width hidden with the
/// same links in the header's user menu.
pub async fn side_navigation(b: &Browser, viewer: Viewer, path: &str, phone: bool) -> Vec<String> {
    let nav = b.client.find(Locator::Css("nav#side-nav")).await.ok();
    let Some(nav) = nav else {
        return vec!["(nav) no side navigation `nav#side-nav`".into()];
    };
    let found = b.js(LINKS_AND_LABELS, vec![element(&nav)]).await;
    let mut problems = group_problems("nav#side-nav", &found, viewer);
    let current: Vec<&str> = links(&found)
        .into_iter()
        .filter(|(_, c)| c.as_deref() == Some("page"))
        .map(|(h, _)| h)
        .collect();
    let belongs = |h: &str| path == h || path.starts_with(&format!("{h}/"));
    match current.as_slice() {
        [one] if belongs(one) => {}
        [] => problems.push(format!(
            "(nav) no link in nav#side-nav has aria-current=\"page\" (expected the one for {path})"
        )),
        many => problems.push(format!(
            "(nav) aria-current=\"page\" is on {many:?}, expected exactly the link for {path}"
        )),
    }
    let displayed = found["displayed"] == json!(true);
    if !phone && !displayed {
        problems.push("(nav) nav#side-nav is not displayed at desktop width".into());
    }
    if phone {
        if displayed {
            problems.push("(nav) nav#side-nav is displayed at phone width (it should fold into the user menu)".into());
        }
        problems.extend(user_menu_holds(b, viewer, &found).await);
    }
    problems
}

/// At phone width the user menu holds every side-navigation link, grouped.
async fn user_menu_holds(b: &Browser, viewer: Viewer, nav: &Value) -> Vec<String> {
    let Ok(menu) = b.client.find(Locator::Css("details.user-menu")).await else {
        return vec!["(nav) no `details.user-menu` to hold the navigation at phone width".into()];
    };
    let found = b.js(LINKS_AND_LABELS, vec![element(&menu)]).await;
    let mut problems = group_problems("details.user-menu", &found, viewer);
    let held: Vec<String> = links(&found)
        .into_iter()
        .map(|(h, _)| h.to_owned())
        .collect();
    let missing: Vec<&str> = links(nav)
        .into_iter()
        .map(|(h, _)| h)
        .filter(|h| !held.iter().any(|x| x.as_str() == *h))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "(nav) details.user-menu lacks these nav#side-nav links: {missing:?}"
        ));
    }
    problems
}

/// The groups a container shows: labels and links for the groups `viewer` may see,
/// none of the others.
fn group_problems(container: &str, found: &Value, viewer: Viewer) -> Vec<String> {
    let hrefs: Vec<&str> = links(found).into_iter().map(|(h, _)| h).collect();
    let labels = strings(&found["labels"]);
    let mut problems = Vec::new();
    let groups = [
        ("Preferences", PREFERENCES, true),
        ("Admin", ADMIN, viewer == Viewer::Admin),
        ("Instance", INSTANCE, viewer == Viewer::Admin),
    ];
    for (label, expected, shown) in groups {
        let has_label = labels.iter().any(|l| l == label);
        let present: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|h| hrefs.contains(h))
            .collect();
        if shown {
            if !has_label {
                problems.push(format!(
                    "(nav) {container} has no group label \"{label}\" (an element whose text is exactly that, or a role=group named so)"
                ));
            }
            let missing: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|h| !present.contains(h))
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "(nav) {container} group {label} lacks links {missing:?}"
                ));
            }
        } else if has_label || !present.is_empty() {
            problems.push(format!(
                "(nav) {container} shows the {label} group to a member (label: {has_label}, links: {present:?})"
            ));
        }
    }
    problems
}

fn links(found: &Value) -> Vec<(&str, Option<String>)> {
    found["links"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| Some((l[0].as_str()?, l[1].as_str().map(str::to_owned))))
                .collect()
        })
        .unwrap_or_default()
}

fn element(el: &fantoccini::elements::Element) -> Value {
    serde_json::to_value(el).expect("an element reference")
}

/// The token tables' cells: each date in `<time datetime>` with the text
/// `YYYY-MM-DD HH:MM:SS` agreeing with its attribute, "Never"/"Never Used" as plain
/// text, and every Token ID in full as selectable text in `td.token-id code`.
pub async fn token_table_cells(b: &Browser, legacy: bool) -> Vec<String> {
    let found = b
        .js(
            "const legacy = arguments[0];
             const out = [];
             const plain = {'Expires': 'Never', 'Last used': 'Never Used'};
             const bad = {};
             const note = (key, example) => { bad[key] = bad[key] || [0, example]; bad[key][0] += 1; };
             for (const label of ['Created', 'Expires', 'Last used']) {
                 for (const td of document.querySelectorAll(`table.tokens td[data-label=\"${label}\"]`)) {
                     const text = td.textContent.replace(/\\s+/g, ' ').trim();
                     const time = td.querySelector('time[datetime]');
                     if (!time) {
                         if (plain[label] !== text) note(`\"${label}\" cell without <time datetime>`, text);
                         continue;
                     }
                     const shown = time.textContent.trim();
                     const iso = time.getAttribute('datetime').replace('T', ' ');
                     if (!/^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$/.test(shown))
                         note(`\"${label}\" <time> text not YYYY-MM-DD HH:MM:SS`, shown);
                     else if (!iso.startsWith(shown))
                         note(`\"${label}\" <time datetime> disagrees with its text`, `${shown} vs ${iso}`);
                 }
             }
             if (legacy) {
                 for (const tr of document.querySelectorAll('table.tokens tr[data-token-id]')) {
                     const code = tr.querySelector('td.token-id code');
                     const id = tr.getAttribute('data-token-id');
                     if (!code) { note('row without td.token-id code', id); continue; }
                     if (code.textContent.trim() !== id) note('Token ID not shown in full', code.textContent.trim());
                     if (getComputedStyle(code).userSelect === 'none') note('Token ID not selectable (user-select: none)', id);
                 }
             }
             // Rows that can be selected can all be selected at once, at any width.
             for (const t of document.querySelectorAll('table.tokens')) {
                 const all = t.querySelector('#select-all');
                 // Shown: neither it nor a box around it is hidden or clipped to a pixel.
                 const shown = (e) => {
                     for (let n = e; n && n !== t; n = n.parentElement) {
                         const r = n.getBoundingClientRect();
                         if (r.width <= 1 || r.height <= 1 || getComputedStyle(n).visibility === 'hidden') return false;
                     }
                     return true;
                 };
                 if (t.querySelector('input[name=token_id]') && !(all && shown(all)))
                     note('selectable rows without a visible \"select all\"', t.id);
             }
             for (const [what, [n, example]] of Object.entries(bad))
                 out.push(`(table) ${n} x ${what}, e.g. \"${example}\"`);
             return out;",
            vec![json!(legacy)],
        )
        .await;
    strings(&found)
}
