//! What every page must pass in the browser matrix (issue 13's proof), as functions
//! that return problems instead of panicking, so that one run lists all of them:
//! the viewport, horizontal scrolling, menus inside the viewport, wrapped IDs,
//! dates and headers, lines starting with punctuation, axe-core, and full-page
//! screenshots. The side navigation and token table contract are in `layout_checks`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};

use super::browser::{poll, screenshot_dir, sleep, Browser, POLL};

/// Functions the scripts below share: an element's short CSS-like name.
const PRELUDE: &str = "
const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className.trim()
        ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
const short = (s) => { s = s.replace(/\\s+/g, ' ').trim(); return s.length > 90 ? s.slice(0, 87) + '...' : s; };
";

impl Browser {
    /// Runs one of this module's scripts (with [`PRELUDE`]).
    pub async fn check_js(&self, body: &str, args: Vec<Value>) -> Value {
        self.js(&format!("{PRELUDE}{body}"), args).await
    }

    /// Makes the viewport (`innerWidth` × `innerHeight`) exactly `size`: the window
    /// is larger than its viewport by whatever the browser's frame takes. Chromium
    /// may apply a resize after the WebDriver command has returned, or not give the
    /// window the size asked for, so the frame is measured from the window's real
    /// size and the viewport once it has settled, a few times if need be.
    pub async fn set_viewport(&self, (width, height): (u32, u32)) -> Result<(), String> {
        let target = (u64::from(width), u64::from(height));
        self.set_window_size((width, height)).await;
        let mut inner = self.settled_viewport(target).await;
        for _ in 0..4 {
            if inner == target {
                return Ok(());
            }
            let (outer_w, outer_h) = self.window_size().await;
            let w = (outer_w + target.0).saturating_sub(inner.0);
            let h = (outer_h + target.1).saturating_sub(inner.1);
            self.set_window_size((w as u32, h as u32)).await;
            inner = self.settled_viewport(target).await;
        }
        let (outer_w, outer_h) = self.window_size().await;
        Err(format!(
            "the viewport is [{},{}] instead of [{width},{height}] (the window is {outer_w}×{outer_h})",
            inner.0, inner.1
        ))
    }

    /// The viewport's size as soon as it is `target`, else once two reads a poll
    /// apart agree (for at most two seconds).
    async fn settled_viewport(&self, target: (u64, u64)) -> (u64, u64) {
        let mut last = self.viewport_size().await;
        let deadline = Instant::now() + Duration::from_secs(2);
        while last != target && Instant::now() < deadline {
            sleep(POLL).await;
            let now = self.viewport_size().await;
            if now == last {
                break;
            }
            last = now;
        }
        last
    }

    async fn viewport_size(&self) -> (u64, u64) {
        let inner = self.js("return [innerWidth, innerHeight];", vec![]).await;
        (
            inner[0].as_u64().unwrap_or(0),
            inner[1].as_u64().unwrap_or(0),
        )
    }

    /// A screenshot of the whole page: the window is made as tall as the document
    /// for the shot, then set back to `size`. Written to `screenshot_dir()/name`.
    pub async fn full_page_screenshot(&self, size: (u32, u32), name: &str) -> PathBuf {
        let height = self
            .js(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or(0) as u32;
        if height > size.1 {
            let _ = self.set_viewport((size.0, height.min(8000))).await;
        }
        let path = self.screenshot(name).await;
        if height > size.1 {
            let _ = self.set_viewport(size).await;
        }
        path
    }
}

/// (a) The document is no wider than the viewport; else names the outermost
/// element that sticks out.
pub async fn no_horizontal_scroll(b: &Browser) -> Vec<String> {
    let found = b
        .check_js(
            "const sw = document.documentElement.scrollWidth;
             if (sw <= innerWidth) return null;
             const over = Array.from(document.querySelectorAll('body *')).find((e) => {
                 const r = e.getBoundingClientRect();
                 const p = e.parentElement.getBoundingClientRect();
                 return r.width > 0 && r.right > innerWidth + 0.5 && p.right <= innerWidth + 0.5;
             });
             return `(a) horizontal scrolling: document.documentElement.scrollWidth ${sw} > innerWidth ${innerWidth}`
                 + (over ? `; first element past the right edge: ${describe(over)} (right edge at ${Math.round(over.getBoundingClientRect().right)} px)` : '');",
            vec![],
        )
        .await;
    found.as_str().map(str::to_owned).into_iter().collect()
}

/// Where an open `<details>`' `.menu-items` lies: problems when it is not fully
/// inside the viewport horizontally, inside the document vertically, and not
/// clipped by a scrolling or clipping ancestor.
const MENU_BOX: &str = "
const d = arguments[0];
const m = d.querySelector('.menu-items');
if (!m) return ['has no .menu-items'];
const r = m.getBoundingClientRect();
const box = `[left ${Math.round(r.left)}, right ${Math.round(r.right)}, top ${Math.round(r.top + scrollY)}, bottom ${Math.round(r.bottom + scrollY)}]`;
const out = [];
if (r.width === 0 || r.height === 0) return ['.menu-items is not displayed after opening'];
if (r.left < -0.5) out.push(`.menu-items ${box} starts left of the viewport (left ${Math.round(r.left)} < 0)`);
if (r.right > innerWidth + 0.5) out.push(`.menu-items ${box} ends right of the viewport (right ${Math.round(r.right)} > innerWidth ${innerWidth})`);
const docH = document.documentElement.scrollHeight;
if (r.top + scrollY < -0.5 || r.bottom + scrollY > docH + 0.5) out.push(`.menu-items ${box} is outside the document (height ${docH})`);
if (getComputedStyle(m).position !== 'fixed') {
  for (let a = m.parentElement; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
    const p = a.getBoundingClientRect();
    if (r.left < p.left - 0.5 || r.right > p.right + 0.5 || r.top < p.top - 0.5 || r.bottom > p.bottom + 0.5)
      out.push(`.menu-items ${box} is clipped by ${describe(a)} (overflow ${s.overflowX}/${s.overflowY}, box [${Math.round(p.left)}, ${Math.round(p.right)}, ${Math.round(p.top + scrollY)}, ${Math.round(p.bottom + scrollY)}])`);
  }
}
return out;";

/// (b) Opens the header's user menu and the first and last row menu (`details.menu`)
/// and checks where each one's `.menu-items` lies. `user_menu_required`: the user
/// menu must be displayed (it is the navigation on a phone).
pub async fn menus_inside(b: &Browser, user_menu_required: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let user_menu = b
        .client
        .find(Locator::Css("details.user-menu > summary"))
        .await
        .ok();
    match user_menu {
        None if user_menu_required => {
            problems.push("(b) no header user menu (`details.user-menu > summary`)".into())
        }
        None => {}
        Some(summary) => {
            if summary.is_displayed().await.unwrap_or(false) {
                problems.extend(open_and_measure(b, "details.user-menu", 0).await);
            } else if user_menu_required {
                problems.push("(b) the header user menu's summary is not displayed".into());
            }
        }
    }
    let rows = b.find_all("details.menu").await.len();
    let mut which = vec![0];
    if rows > 1 {
        which.push(rows - 1);
    }
    if rows > 0 {
        for i in which {
            problems.extend(open_and_measure(b, "details.menu", i).await);
        }
    }
    problems
}

/// Clicks the summary of the `index`th `css` (a `<details>`), measures its menu,
/// and closes it again.
async fn open_and_measure(b: &Browser, css: &str, index: usize) -> Vec<String> {
    let what = if index == 0 {
        format!("{css} (first)")
    } else {
        format!("{css} (row {})", index + 1)
    };
    let details = b.find_all(css).await.remove(index);
    let summary = details.find(Locator::Css("summary")).await;
    let Ok(summary) = summary else {
        return vec![format!("(b) {what} has no <summary>")];
    };
    if let Err(e) = summary.click().await {
        return vec![format!("(b) {what}: clicking its summary failed: {e}")];
    }
    let el = serde_json::to_value(&details).expect("an element reference");
    let opened = poll(POLL * 10, || async {
        let open = b.js("return arguments[0].open;", vec![el.clone()]).await;
        (open == json!(true)).then_some(())
    })
    .await;
    let problems = if opened.is_none() {
        vec![format!(
            "(b) {what} did not open when its summary was clicked"
        )]
    } else {
        let found = b.check_js(MENU_BOX, vec![el.clone()]).await;
        strings(&found)
            .into_iter()
            .map(|p| format!("(b) {what}: {p}"))
            .collect()
    };
    b.js("arguments[0].open = false;", vec![el]).await;
    problems
}

/// (c) At 1280 px: no Token ID, date or column header spans more than one line
/// (a date is its `<time>`, or while there is none its whole cell).
pub async fn nothing_wraps(b: &Browser) -> Vec<String> {
    let found = b
        .check_js(
            "const lines = (el) => {
                 const range = document.createRange();
                 range.selectNodeContents(el);
                 const rects = Array.from(range.getClientRects())
                     .filter((r) => r.width > 0 && r.height > 0)
                     .sort((a, b) => a.top - b.top);
                 let n = 0, bottom = -Infinity;
                 for (const r of rects) {
                     if ((r.top + r.bottom) / 2 > bottom) { n += 1; bottom = r.bottom; }
                     else bottom = Math.max(bottom, r.bottom);
                 }
                 return n;
             };
             const all = (css) => Array.from(document.querySelectorAll(css));
             // A date cell without <time> (today's markup) counts as the date.
             const bare = all('table.tokens td[data-label=\"Created\"], table.tokens td[data-label=\"Expires\"], '
                 + 'table.tokens td[data-label=\"Last used\"]').filter((td) => !td.querySelector('time'));
             const out = [];
             for (const [what, els, css] of [
                 ['token ID', all('td.token-id code'), 'td.token-id code'],
                 ['date', all('table.tokens time').concat(bare), 'table.tokens time, or a date cell without <time>'],
                 ['column header', all('table.tokens th'), 'table.tokens th']]) {
                 const wrapped = els.map((e) => [short(e.textContent), lines(e)]).filter(([, n]) => n > 1);
                 const seen = new Set();
                 for (const [text, n] of wrapped) {
                     if (seen.has(text)) continue;
                     seen.add(text);
                     if (seen.size <= 4) out.push(`(c) ${what} \"${text}\" wraps onto ${n} lines (${css})`);
                 }
                 if (wrapped.length > 0)
                     out.push(`(c) ${wrapped.length} ${what} element(s) wrap in all (${seen.size} distinct texts)`);
             }
             return out;",
            vec![],
        )
        .await;
    strings(&found)
}

/// (d) No visual line in `main`'s text starts with `. , ; : ! ? ) ]`: each
/// character's box is compared with the one before it; a character below it,
/// above it (a new grid column), back to its left or far to its right starts a line.
pub async fn no_line_starts_with_punctuation(b: &Browser) -> Vec<String> {
    let found = b
        .check_js(
            "const sel = 'p, li, td, dd, label, h1, h2, h3, .notice, .hint';
             const main = document.querySelector('main');
             if (!main) return ['(d) the page has no <main>'];
             const outer = Array.from(main.querySelectorAll(sel)).filter((e) => {
                 const p = e.parentElement && e.parentElement.closest(sel);
                 return !p || !main.contains(p);
             });
             const out = [];
             const range = document.createRange();
             for (const el of outer) {
                 const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                 let prev = null;
                 for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                     const em = parseFloat(getComputedStyle(node.parentElement).fontSize) || 16;
                     for (let i = 0; i < node.data.length; i++) {
                         const ch = node.data[i];
                         if (/\\s/.test(ch)) continue;
                         range.setStart(node, i);
                         range.setEnd(node, i + 1);
                         const r = range.getClientRects()[0];
                         if (!r || (r.width === 0 && r.height === 0)) continue;
                         const cy = (r.top + r.bottom) / 2;
                         const starts = !prev || cy > prev.bottom || cy < prev.top
                             || r.left < prev.left - 1 || r.left > prev.right + 2 * em;
                         if (starts && '.,;:!?)]'.includes(ch)) {
                             out.push(`(d) a line starts with \"${ch}\" in ${describe(el)} \"${short(el.textContent)}\" (at \"${short(node.data.slice(i, i + 30))}\")`);
                         }
                         prev = r;
                     }
                 }
             }
             return out;",
            vec![],
        )
        .await;
    strings(&found)
}

/// axe-core's browser script: `$AXE_CORE_JS`, else what `.ci/run` installs.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("AXE_CORE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join(".ci/node/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing ({}: {e}). The browser tests need it: run \
                 `npm install --no-save --prefix .ci/node axe-core@4.14.1` in the repository \
                 (as .ci/run does), or set AXE_CORE_JS to axe.min.js",
                path.display()
            )
        })
    })
}

/// (e) axe-core on the page as it is now (a dialog open or not): every violation
/// of impact "serious" or "critical", with its first targets.
pub async fn axe_violations(b: &Browser) -> Vec<String> {
    let loaded = b.js("return typeof window.axe === 'object';", vec![]).await;
    if loaded != json!(true) {
        if let Err(e) = b.client.execute(axe_source(), vec![]).await {
            return vec![format!("(e) injecting axe-core failed: {e}")];
        }
    }
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then((r) => done(
                 r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => `(e) axe ${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} node(s), e.g. `
                         + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '))
             )).catch((e) => done([`(e) axe failed to run: ${e}`]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| json!([format!("(e) axe failed to run: {e}")]));
    strings(&found)
}

/// A JSON array of strings (or null) as strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Where the screenshots go, printed once per run straight to stderr (not through
/// `eprintln!`, which the test harness captures), so CI logs always name it.
pub fn announce_screenshots() {
    use std::io::Write;
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let line = format!("screenshots folder: {}\n", screenshot_dir().display());
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
}
