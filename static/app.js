// Progressive enhancement for the Access Tokens pages: every form works without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const byId = (id) => document.getElementById(id);

  // "Generate New Token" opens the dialog instead of the form page.
  document.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    const dialog = byId(opener.dataset.openDialog);
    if (!dialog || typeof dialog.showModal !== "function") return;
    opener.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden])");
      if (first) { first.focus(); first.select(); }
    });
  });

  // Cancel and × close the dialog they are in; on a page of their own they navigate.
  document.querySelectorAll("[data-close-dialog]").forEach((closer) => {
    closer.addEventListener("click", (event) => {
      const dialog = closer.closest("dialog");
      if (!dialog) return;
      event.preventDefault();
      dialog.close();
    });
  });

  // A dialog the server opened (a new token's value, a refused form) becomes a modal.
  document.querySelectorAll("dialog[data-show-modal]").forEach((dialog) => {
    if (typeof dialog.showModal !== "function") return;
    // Not close(): that would fire "close", which a guarded dialog takes for a
    // person closing it.
    dialog.removeAttribute("open");
    dialog.showModal();
    const first = dialog.querySelector(".field.invalid input, [data-copy-from]");
    if (first) first.focus();
  });

  // A one-time value is not lost to one Escape, Close or click outside: until it
  // has been copied, closing asks first. The server shows the value once either way.
  document.querySelectorAll("dialog[data-guard-until-copied]").forEach((dialog) => {
    if (typeof dialog.showModal !== "function") return;
    const guard = dialog.querySelector(".close-guard");
    let copied = false;
    let confirmed = false;
    const ask = () => {
      guard.hidden = false;
      guard.querySelector("[data-guard-keep]").focus();
    };
    // Focus goes back to where a person would make the next token, not to <body>.
    const focusBack = () => {
      const back = document.querySelector("#generate-new-token, #generate-oauth-token") || byId("main");
      if (back) back.focus();
    };
    const leave = () => { confirmed = true; dialog.close(); focusBack(); };
    const tryClose = () => (copied ? leave() : ask());
    dialog.querySelectorAll("[data-copy-from]").forEach((b) => {
      b.addEventListener("click", () => { copied = true; guard.hidden = true; });
    });
    guard.querySelector("[data-guard-keep]").addEventListener("click", () => {
      guard.hidden = true;
      const copy = dialog.querySelector("[data-copy-from]");
      if (copy) copy.focus();
    });
    guard.querySelector("[data-guard-close]").addEventListener("click", leave);
    dialog.querySelectorAll("form[method=dialog] button").forEach((b) => {
      b.addEventListener("click", (event) => { event.preventDefault(); tryClose(); });
    });
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      tryClose();
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      tryClose();
    });
    // A click on the backdrop lands on the dialog element itself, outside its box.
    dialog.addEventListener("click", (event) => {
      if (event.target !== dialog) return;
      const r = dialog.getBoundingClientRect();
      const inside = event.clientX >= r.left && event.clientX <= r.right &&
        event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) tryClose();
    });
    // Should the browser close it regardless (a second Escape with no other input
    // in between skips "cancel"), it opens again, asking.
    dialog.addEventListener("close", () => {
      if (dialog.open) return;
      if (!copied && !confirmed) {
        dialog.showModal();
        ask();
        return;
      }
      focusBack();
    });
  });

  // "Copy Token to clipboard": the Clipboard API, or select-all and copy as a fallback.
  document.querySelectorAll("[data-copy-from]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = byId(button.dataset.copyFrom);
      const status = byId(button.dataset.status);
      const say = (text) => { if (status) status.textContent = text; };
      try {
        await navigator.clipboard.writeText(field.value);
        say("Copied to clipboard.");
      } catch (_) {
        field.focus();
        field.select();
        let copied = false;
        try { copied = document.execCommand("copy"); } catch (_) { copied = false; }
        say(copied ? "Copied to clipboard." : "Selected: press Ctrl+C (or ⌘C) to copy.");
      }
    });
  });

  // A Token ID's copy button (the ID itself stays selectable text without it).
  if (navigator.clipboard) {
    document.querySelectorAll("button[data-copy-text]").forEach((button) => {
      button.hidden = false;
      const label = button.getAttribute("aria-label");
      button.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(button.dataset.copyText);
          button.classList.add("copied");
          button.setAttribute("aria-label", "Copied");
        } catch (_) {
          const range = document.createRange();
          range.selectNodeContents(button.previousElementSibling);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }
        setTimeout(() => {
          button.classList.remove("copied");
          button.setAttribute("aria-label", label);
        }, 1500);
      });
    });
  }

  // "Delete Token..." asks in a dialog instead of on a page of its own.
  const confirmDialog = byId("delete-token-dialog");
  document.querySelectorAll("[data-delete-token]").forEach((link) => {
    if (!confirmDialog || typeof confirmDialog.showModal !== "function") return;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const menu = link.closest("details");
      if (menu) menu.open = false;
      byId("delete-token-id").textContent = link.dataset.deleteToken;
      const name = byId("delete-token-name");
      const description = link.dataset.tokenDescription || "";
      if (name) name.textContent = description ? `\u201c${description}\u201d` : "";
      byId("delete-token-form").action = link.getAttribute("href");
      confirmDialog.showModal();
      confirmDialog.querySelector("button[data-close-dialog]").focus();
    });
  });

  // Row menus and the user menu close on Escape or a click elsewhere.
  const menus = () => document.querySelectorAll("details.menu[open], details.user-menu[open]");
  document.addEventListener("click", (event) => {
    menus().forEach((menu) => { if (!menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus().forEach((menu) => {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  // A field that matters only with one choice of a radio group shows only with it
  // (People: the initial password with "Set an initial password").
  document.querySelectorAll("[data-shown-with]").forEach((field) => {
    const radio = byId(field.dataset.shownWith);
    if (!radio || !radio.form) return;
    const sync = () => { field.hidden = !radio.checked; };
    radio.form.querySelectorAll(`input[name="${radio.name}"]`).forEach((r) => r.addEventListener("change", sync));
    sync();
  });

  // One submission per form: a double click does not generate two tokens.
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
});

// Admin > Access Tokens: "select all", and "Delete selected" asks in a dialog that
// names the count. Without JavaScript the button posts to a confirmation page.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("bulk-delete-form");
  if (!form) return;
  const boxes = () => Array.from(form.querySelectorAll("input[name=token_id]"));
  const checked = () => boxes().filter((b) => b.checked).length;
  const all = document.getElementById("select-all");
  const button = document.getElementById("delete-selected");
  const dialog = document.getElementById("bulk-delete-dialog");
  const update = () => {
    const n = checked();
    const total = boxes().length;
    if (all) {
      all.checked = n > 0 && n === total;
      all.indeterminate = n > 0 && n < total;
    }
    button.disabled = n === 0;
    button.textContent = n === 0 ? "Delete selected" : `Delete selected (${n})`;
  };
  if (all) {
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
  }
  boxes().forEach((b) => b.addEventListener("change", update));
  button.addEventListener("click", (event) => {
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    const n = checked();
    if (n === 0) return;
    document.getElementById("bulk-delete-question").textContent =
      n === 1 ? "Delete 1 token?" : `Delete ${n} tokens?`;
    dialog.showModal();
    dialog.querySelector("button[data-close-dialog]").focus();
  });
  update();
});

// Forms that do something drastic ask first (People: deactivate, remove).
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
});

// OAuth 2.0 API Tokens (the user's page and the admin's): a row menu's Disable and
// Delete, and the checkboxes' Disable and Delete, ask in a dialog. Without
// JavaScript each goes to a confirmation page instead.
document.addEventListener("DOMContentLoaded", () => {
  const byId = (id) => document.getElementById(id);
  const dialog = byId("oauth-confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const form = byId("oauth-confirm-form");
  const submit = byId("oauth-confirm-submit");
  const verb = (action) => (action === "disable" ? "Disable" : "Delete");
  const ask = (action, question, postTo, fields, n) => {
    byId("oauth-confirm-title").textContent = `${verb(action)} ${n === 1 ? "Token" : "Tokens"}`;
    byId("oauth-confirm-question").textContent = question;
    byId("oauth-confirm-disable-warning").hidden = action !== "disable";
    byId("oauth-confirm-delete-warning").hidden = action !== "delete";
    submit.textContent = n === 1 ? verb(action) : `${verb(action)} ${n} tokens`;
    form.action = postTo;
    form.querySelectorAll("input[data-added]").forEach((input) => input.remove());
    fields.forEach(([name, value]) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      input.dataset.added = "";
      form.appendChild(input);
    });
    dialog.showModal();
    dialog.querySelector("button[data-close-dialog]").focus();
  };

  document.querySelectorAll("[data-oauth-action]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const menu = link.closest("details");
      if (menu) menu.open = false;
      const action = link.dataset.oauthAction;
      const question = `${verb(action)} the token \u201c${link.dataset.tokenName}\u201d?`;
      ask(action, question, link.getAttribute("href"), [], 1);
    });
  });

  const bulk = byId("oauth-bulk-form");
  if (!bulk) return;
  const boxes = () => Array.from(bulk.querySelectorAll("input[name=token_id]"));
  const chosen = () => boxes().filter((b) => b.checked).map((b) => b.value);
  const all = byId("select-all");
  const buttons = Array.from(bulk.querySelectorAll("button[name=action]"));
  const status = byId("selected-count");
  const update = () => {
    const n = chosen().length;
    const total = boxes().length;
    if (all) {
      all.checked = n > 0 && n === total;
      all.indeterminate = n > 0 && n < total;
    }
    buttons.forEach((b) => { b.disabled = n === 0; });
    if (status) status.textContent = n === 0 ? "" : `${n} selected`;
  };
  if (all) {
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
  }
  boxes().forEach((b) => b.addEventListener("change", update));
  buttons.forEach((button) => {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const ids = chosen();
      if (ids.length === 0) return;
      const action = button.value;
      const back = bulk.querySelector("input[name=back]");
      const fields = [["action", action], ["confirmed", "yes"]]
        .concat(back ? [["back", back.value]] : [])
        .concat(ids.map((id) => ["token_id", id]));
      const n = ids.length;
      const question = n === 1 ? `${verb(action)} 1 token?` : `${verb(action)} ${n} tokens?`;
      ask(action, question, bulk.getAttribute("action"), fields, n);
    });
  });
  update();
});
