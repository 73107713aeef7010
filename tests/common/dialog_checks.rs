//! The dialogs of the Generate flows, for the browser matrix: which dialog opens
//! where, whether an open dialog and its button are on screen, Escape and a click
//! outside, and the guard that asks before a one-time value is lost.

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::key::Key;
use serde_json::json;

use super::browser::{poll, sleep, Browser, POLL};
use super::fixtures::{OAUTH_TOKENS_PAGE, TOKENS_PAGE};
use super::page_checks::strings;

pub const GUARD_TEXT: &str = "You won't be able to see this token again. Close anyway?";

/// A page with a Generate dialog and a one-time value dialog after it.
pub struct OneTime {
    pub page: &'static str,
    pub opener: &'static str,
    pub form_dialog: &'static str,
    pub name_field: &'static str,
    pub dialog: &'static str,
    pub close: &'static str,
    pub copy: &'static str,
    pub value: &'static str,
}

pub const LEGACY: OneTime = OneTime {
    page: TOKENS_PAGE,
    opener: "#generate-new-token",
    form_dialog: "generate-token-dialog",
    name_field: "#description",
    dialog: "my-token",
    close: "#close-my-token",
    copy: "#copy-token",
    value: "#new-token-value",
};

pub const OAUTH: OneTime = OneTime {
    page: OAUTH_TOKENS_PAGE,
    opener: "#generate-oauth-token",
    form_dialog: "generate-oauth-dialog",
    name_field: "#oauth-name",
    dialog: "oauth-token-created",
    close: "#close-oauth-token",
    copy: "#copy-access-token",
    value: "#new-access-token",
};

/// Problems when the open `<dialog id>` is not fully inside the viewport, or
/// `button` (inside it) cannot be seen and clicked without scrolling.
pub async fn dialog_on_screen(b: &Browser, id: &str, button: &str) -> Vec<String> {
    let found = b
        .check_js(
            "const d = document.getElementById(arguments[0]);
             const r = d.getBoundingClientRect();
             const out = [];
             if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
                 out.push(`(b) dialog#${d.id} [left ${Math.round(r.left)}, top ${Math.round(r.top)}, right ${Math.round(r.right)}, bottom ${Math.round(r.bottom)}] is not inside the ${innerWidth}x${innerHeight} viewport`);
             const btn = d.querySelector(arguments[1]);
             if (!btn) return out.concat([`(b) dialog#${d.id} has no ${arguments[1]}`]);
             const q = btn.getBoundingClientRect();
             const hit = document.elementFromPoint(q.left + q.width / 2, q.top + q.height / 2);
             if (q.top < 0 || q.bottom > innerHeight || q.right > innerWidth || !(hit === btn || btn.contains(hit)))
                 out.push(`(b) ${describe(btn)} \"${short(btn.textContent)}\" in dialog#${d.id} is not on screen without scrolling (top ${Math.round(q.top)}, bottom ${Math.round(q.bottom)} of ${innerHeight})`);
             return out;",
            vec![json!(id), json!(button)],
        )
        .await;
    strings(&found)
}

pub async fn press_escape(b: &Browser) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Escape.into(),
        })
        .then(KeyAction::Up {
            value: Key::Escape.into(),
        });
    b.client
        .perform_actions(keys)
        .await
        .expect("pressing Escape");
}

/// Clicks the viewport at a point outside the open `<dialog id>` (its backdrop).
pub async fn click_outside(b: &Browser, id: &str) -> Result<(), String> {
    let point = b
        .js(
            "const r = document.getElementById(arguments[0]).getBoundingClientRect();
             const inside = (x, y) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
             return [[4, 4], [innerWidth - 4, innerHeight - 4], [4, innerHeight - 4]]
                 .find(([x, y]) => !inside(x, y)) || null;",
            vec![json!(id)],
        )
        .await;
    let (Some(x), Some(y)) = (point[0].as_i64(), point[1].as_i64()) else {
        return Err(format!(
            "dialog#{id} covers the whole viewport: nothing outside to click"
        ));
    };
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x,
            y,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    b.client
        .perform_actions(mouse)
        .await
        .expect("clicking outside");
    Ok(())
}

/// After `how` (before any copy), the dialog must still be open with the guard
/// shown inside it, its text and both buttons.
pub async fn guard_shown(b: &Browser, t: &OneTime, how: &str) -> Result<(), String> {
    let state = poll(POLL * 5, || async {
        let s = b
            .js(
                "const d = document.getElementById(arguments[0]);
                 const g = d.querySelector('.close-guard');
                 const shown = (e) => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
                 const text = (e) => e ? e.textContent.replace(/\\s+/g, ' ').trim() : null;
                 const a = document.activeElement;
                 return {open: d.open, guard: shown(g), text: text(g),
                         focus: a ? a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') : null,
                         close: text(g && g.querySelector('[data-guard-close]')),
                         keep: text(g && g.querySelector('[data-guard-keep]'))};",
                vec![json!(t.dialog)],
            )
            .await;
        (s["guard"] == json!(true) || s["open"] != json!(true)).then_some(s)
    })
    .await;
    let Some(s) = state else {
        return Err(format!(
            "{how} left dialog#{} open but showed no `.close-guard` inside it",
            t.dialog
        ));
    };
    if s["open"] != json!(true) {
        return Err(format!(
            "{how} before copying closed dialog#{} at once (no guard): the value is lost; focus went to {}",
            t.dialog, s["focus"]
        ));
    }
    let text = s["text"].as_str().unwrap_or_default();
    let mut wrong = Vec::new();
    if !text.contains(GUARD_TEXT) {
        wrong.push(format!(
            "its text is {text:?}, not containing {GUARD_TEXT:?}"
        ));
    }
    if s["close"] != json!("Close anyway") {
        wrong.push(format!(
            "[data-guard-close] is {}, not \"Close anyway\"",
            s["close"]
        ));
    }
    if s["keep"] != json!("Keep it open") {
        wrong.push(format!(
            "[data-guard-keep] is {}, not \"Keep it open\"",
            s["keep"]
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "after {how} the guard in dialog#{}: {}",
            t.dialog,
            wrong.join("; ")
        ))
    }
}

/// Clicks a guard button (`[data-guard-keep]` or `[data-guard-close]`).
pub async fn guard_button(b: &Browser, t: &OneTime, which: &str) {
    b.find(&format!("#{} .close-guard {which}", t.dialog))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {which}: {e}"));
}

/// The guard flow on a one-time dialog just opened: Escape, Close and a click
/// outside each ask first; Keep keeps it; Close anyway closes it and gives focus
/// back to the Generate button.
pub async fn guard_flow(b: &Browser, t: &OneTime) -> Result<(), String> {
    // Nothing asks before the person tries to close: the dialog opens on its value.
    // (Give a stray "close" event from opening it time to arrive first.)
    sleep(POLL * 3).await;
    let early = b
        .js(
            "const g = document.getElementById(arguments[0]).querySelector('.close-guard');
             return !!g && g.getClientRects().length > 0;",
            vec![json!(t.dialog)],
        )
        .await;
    if early == json!(true) {
        return Err(format!(
            "dialog#{} shows the close guard before anyone tried to close it",
            t.dialog
        ));
    }
    let steps: [&str; 3] = ["Escape", "clicking Close", "clicking outside the dialog"];
    for (i, how) in steps.into_iter().enumerate() {
        match i {
            0 => press_escape(b).await,
            1 => b.find(t.close).await.click().await.expect("clicking Close"),
            _ => click_outside(b, t.dialog).await?,
        }
        guard_shown(b, t, how).await?;
        let last = i == steps.len() - 1;
        guard_button(
            b,
            t,
            if last {
                "[data-guard-close]"
            } else {
                "[data-guard-keep]"
            },
        )
        .await;
        let s = b
            .js(
                "const d = document.getElementById(arguments[0]);
                 const g = d.querySelector('.close-guard');
                 const a = document.activeElement;
                 return {open: d.open, guard: !!g && g.getClientRects().length > 0,
                         body: !a || a === document.body, opener: !!a && a.matches(arguments[1]),
                         focus: a ? a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') : null};",
                vec![json!(t.dialog), json!(t.opener)],
            )
            .await;
        if !last && (s["open"] != json!(true) || s["guard"] == json!(true)) {
            return Err(format!(
                "after {how}, Keep it open: expected the dialog open and the guard hidden, got {s}"
            ));
        }
        if last && s["open"] == json!(true) {
            return Err(format!("Close anyway left dialog#{} open", t.dialog));
        }
        if last && (s["body"] == json!(true) || s["opener"] != json!(true)) {
            return Err(format!(
                "after Close anyway focus is on {}, not on the Generate button {}",
                s["focus"], t.opener
            ));
        }
    }
    Ok(())
}

/// A reload after the one-time dialog (closed or not) shows neither it nor `value`.
pub async fn reload_hides_the_value(b: &Browser, t: &OneTime, value: &str) -> Result<(), String> {
    b.client.refresh().await.expect("reloading");
    b.find(t.opener).await;
    let source = b.client.source().await.expect("page source");
    if !b.find_all(&format!("#{}", t.dialog)).await.is_empty() || source.contains(value) {
        return Err(format!(
            "a reload after closing shows dialog#{} or the value again",
            t.dialog
        ));
    }
    Ok(())
}

/// After a copy button was clicked, Escape closes the one-time dialog at once.
pub async fn escape_after_copy_closes(b: &Browser, t: &OneTime) -> Result<(), String> {
    b.find(t.copy).await.click().await.expect("clicking copy");
    press_escape(b).await;
    let closed = poll(POLL * 10, || async {
        (!b.dialog_state(t.dialog).await.0).then_some(())
    })
    .await;
    closed.ok_or_else(|| {
        format!(
            "after {} was clicked, Escape left dialog#{} open",
            t.copy, t.dialog
        )
    })
}
