//! Headless Chromium through chromedriver (WebDriver), for the browser tests: the
//! driver process, the browser session and explicit waits. Moved from
//! `tests/browser.rs` so that every browser test file shares it.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (or `CHROME_BIN` and
//! `CHROMEDRIVER` pointing at a browser and its driver). Without a driver the tests
//! fail; they never skip.

use std::fs::File;
use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use super::{TestApp, PASSWORD};

/// How long any explicit wait polls before it gives up.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often it polls.
pub const POLL: Duration = Duration::from_millis(100);
/// The desktop window size; the phone size is the one of a current phone.
pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

// ---------------------------------------------------------------------------
// chromedriver and the browser session
// ---------------------------------------------------------------------------

/// A path from an environment variable, else the first of `candidates` that exists,
/// else `name` found on `PATH`.
pub fn find_program(env: &str, candidates: &[&str], name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join(name)),
        )
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A chromedriver process of our own, in a process group of its own so that
/// dropping it ends the driver and every browser process it started.
pub struct ChromeDriver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl ChromeDriver {
    pub async fn start(dir: &Path) -> ChromeDriver {
        let Some(program) =
            find_program("CHROMEDRIVER", &["/usr/bin/chromedriver"], "chromedriver")
        else {
            panic!(
                "chromedriver was not found (looked at $CHROMEDRIVER, /usr/bin/chromedriver and $PATH). \
                 The browser tests need it: install Chromium and its WebDriver, e.g. \
                 `apt-get install chromium chromium-driver`, or set CHROMEDRIVER (and CHROME_BIN)."
            );
        };
        // The port is picked before chromedriver binds it; if another process takes
        // it in between, chromedriver exits and we try another one.
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let port = free_port();
            let log = dir.join(format!("chromedriver-{attempt}.log"));
            let out = File::create(&log).expect("chromedriver log file");
            let err = out.try_clone().expect("chromedriver log file");
            let child = Command::new(&program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run {} ({e}): install chromium and chromium-driver, or set CHROMEDRIVER",
                        program.display()
                    )
                });
            let mut driver = ChromeDriver {
                child,
                url: format!("http://127.0.0.1:{port}"),
                log,
            };
            match driver.wait_until_ready().await {
                Ok(()) => return driver,
                Err(why) => failures.push(format!("{why}\n{}", driver.log_text())),
            }
        }
        panic!(
            "chromedriver ({}) did not start:\n{}",
            program.display(),
            failures.join("\n---\n")
        );
    }

    pub async fn wait_until_ready(&mut self) -> Result<(), String> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited with {status}"));
            }
            let status = http.get(format!("{}/status", self.url)).send().await;
            if let Ok(response) = status {
                let body: Value = response.json().await.unwrap_or_default();
                if body["value"]["ready"] == json!(true) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver not ready at {} after {WAIT:?}",
                    self.url
                ));
            }
            sleep(POLL).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The process group we created for it: chromedriver and the browser.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session with a fresh profile. The fields drop in order:
/// the WebDriver client, then the driver (and browser), then the profile directory.
pub struct Browser {
    pub client: Client,
    pub driver: ChromeDriver,
    _dir: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let dir = tempfile::tempdir().expect("temp dir for the browser");
        let driver = ChromeDriver::start(dir.path()).await;
        let chrome = find_program("CHROME_BIN", &["/usr/bin/chromium"], "chromium")
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        let profile = dir.path().join("profile");
        std::fs::create_dir_all(&profile).expect("browser profile dir");
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chrome.to_string_lossy(),
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} through chromedriver: {e}\nchromedriver log:\n{}",
                    chrome.display(),
                    driver.log_text()
                )
            });
        Browser {
            client,
            driver,
            _dir: dir,
        }
    }

    /// Ends the WebDriver session (and the browser); the driver ends on drop.
    pub async fn quit(self) {
        let Browser {
            client,
            driver,
            _dir,
        } = self;
        let _ = client.close().await;
        drop(driver);
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .path()
            .to_owned()
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => panic!("no element `{css}` on {}: {e}", self.path().await),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
    }

    /// Waits for an element to be there and displayed.
    pub async fn wait_visible(&self, css: &str) -> Element {
        eventually(&format!("`{css}` to be displayed"), || async move {
            let el = self.client.find(Locator::Css(css)).await.ok()?;
            el.is_displayed().await.ok()?.then_some(el)
        })
        .await
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        eventually(&format!("`{css}` to be gone"), || async move {
            let all = self.client.find_all(Locator::Css(css)).await.ok()?;
            all.is_empty().then_some(())
        })
        .await
    }

    pub async fn wait_path(&self, expected: &str) {
        eventually(&format!("the browser to be at {expected}"), || async move {
            let url = self.client.current_url().await.ok()?;
            (url.path() == expected).then_some(())
        })
        .await
    }

    /// The current document's root, to tell when a navigation replaced it.
    pub async fn document(&self) -> Element {
        self.find("html").await
    }

    /// Waits until `old_document` (from [`Browser::document`]) has been replaced by
    /// a new page.
    pub async fn wait_new_page(&self, old_document: &Element) {
        eventually("the next page to load", || async {
            match old_document.tag_name().await {
                Err(e) if e.is_stale_element_reference() => Some(()),
                _ => None,
            }
        })
        .await;
    }

    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("running `{script}`: {e}"))
    }

    /// Whether the `<dialog id=...>` is open, and whether it is modal.
    pub async fn dialog_state(&self, id: &str) -> (bool, bool) {
        let state = self
            .js(
                "const d = document.getElementById(arguments[0]);
                 return d ? [d.open, d.matches(':modal')] : null;",
                vec![json!(id)],
            )
            .await;
        assert!(
            !state.is_null(),
            "no <dialog id={id}> on {}",
            self.path().await
        );
        (state[0] == json!(true), state[1] == json!(true))
    }

    pub async fn wait_dialog_open(&self, id: &str) {
        eventually(&format!("<dialog id={id}> to open"), || async move {
            let open = self
                .client
                .execute(
                    "const d = document.getElementById(arguments[0]); return !!d && d.open;",
                    vec![json!(id)],
                )
                .await
                .ok()?;
            (open == json!(true)).then_some(())
        })
        .await
    }

    pub async fn value_of(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    pub async fn text_of(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clearing a field");
        field.send_keys(text).await.expect("typing");
    }

    /// Whether a person could see and click `el` where it is: its box lies inside
    /// the viewport, and the element at its centre is it (it is not clipped away by
    /// a scroll container, pushed off screen or covered). Only the page's own
    /// layout counts: nothing is scrolled into view first, as WebDriver's click would.
    pub async fn on_screen(&self, el: &Element) -> Result<(), String> {
        let found = self
            .js(
                "const e = arguments[0];
                 const r = e.getBoundingClientRect();
                 const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
                     && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
                 const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                 return {
                     ok: inside && !!hit && (hit === e || e.contains(hit)),
                     box: [r.left, r.top, r.right, r.bottom].map(Math.round),
                     viewport: [window.innerWidth, window.innerHeight],
                     atCentre: hit ? hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '')
                         + (hit.className ? '.' + hit.className : '') : null,
                 };",
                vec![serde_json::to_value(el).expect("an element reference")],
            )
            .await;
        if found["ok"] == json!(true) {
            Ok(())
        } else {
            Err(format!(
                "box (left, top, right, bottom) {} in a viewport of {}, element at its centre: {}",
                found["box"], found["viewport"], found["atCentre"]
            ))
        }
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(name);
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("writing the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    pub async fn set_window_size(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resizing the window");
    }

    /// The window's outer size, frame included.
    pub async fn window_size(&self) -> (u64, u64) {
        self.client
            .get_window_size()
            .await
            .expect("reading the window's size")
    }
}

// ---------------------------------------------------------------------------
// Steps the browser tests share
// ---------------------------------------------------------------------------

impl Browser {
    /// Signs `user` in through the sign-in form with [`PASSWORD`] and waits until
    /// they land on the Access Tokens page.
    pub async fn sign_in(&self, app: &TestApp, user: &str) {
        self.goto(&app.url("/login")).await;
        self.type_into("#username", user).await;
        self.type_into("#password", PASSWORD).await;
        self.client
            .find(Locator::XPath("//button[normalize-space()='Sign in']"))
            .await
            .expect("a Sign in button")
            .click()
            .await
            .expect("clicking Sign in");
        self.wait_path("/preferences/access-tokens").await;
        assert_eq!(self.text_of("main h1").await, "Access Tokens");
    }
}

/// Clicks the button labelled `label` inside `scope`.
pub async fn click_button(scope: &Element, label: &str) {
    let xpath = format!(".//button[normalize-space()='{label}']");
    scope
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button “{label}”: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking “{label}”: {e}"));
}

/// The CSS of a tokens table's row for the token `id`.
pub fn row_css(id: &str) -> String {
    format!(r#"tr[data-token-id="{id}"]"#)
}

/// `target/screenshots` (of `CARGO_TARGET_DIR` when set).
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("screenshots")
}

pub async fn sleep(d: Duration) {
    actix_web::rt::time::sleep(d).await;
}

/// Polls `check` until it gives a value, for up to `timeout`.
pub async fn poll<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        sleep(POLL).await;
    }
}

/// Polls `check` until it gives a value, for up to [`WAIT`]; panics after that.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    match poll(WAIT, check).await {
        Some(value) => value,
        None => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}
