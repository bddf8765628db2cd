/* Jaga officers' app, page side (loaded on every page; see outbox-core.js and /sw.js).
   - Registers the service worker; on logout or when another account signs in, deletes the
     cached pages and hands the outbox to the new account (older entries stay, unseen and unsent,
     until their own officer signs in again).
   - Field forms (form[data-outbox]): what is typed is kept as a draft; on Save the entry (all
     fields, its idempotency key and its photos) goes into the outbox first, then is sent. Without
     signal it simply waits there. A page that loads with ?saved=<key> removes it.
   - Sends waiting entries on page load, when the signal returns and by Background Sync.
   - The badge in the top bar and the "Waiting to be sent" page list what is waiting. */
(function () {
  "use strict";
  var O = window.JagaOutbox;
  var me = document.currentScript;
  if (!O || !window.indexedDB || !me) { return; }
  var cfg = me.dataset;  // data-sw, data-login, data-logout, data-outbox
  var textsEl = document.getElementById("outbox-text");
  function t(name) { return (textsEl && textsEl.getAttribute("data-" + name)) || ""; }
  var userMeta = document.querySelector("meta[name=jaga-user]");
  var pageUser = userMeta ? userMeta.content : null;  // null: the offline page (no account)
  var params = new URLSearchParams(window.location.search);
  var user = null;

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ------------------------------------------------------------------ worker and accounts
  function worker(message, then) {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) { reg.active.postMessage(message); if (then) { then(); } }
    });
  }
  function forgetPages() {
    var done = window.caches ? caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("jaga-pages-") === 0; })
        .map(function (n) { return caches.delete(n); }));
    }) : Promise.resolve();
    worker({type: "forget"});
    try { localStorage.removeItem("jaga-user"); } catch (e) { /* private mode */ }
    return done;
  }
  if ("serviceWorker" in navigator && cfg.sw) {
    navigator.serviceWorker.register(cfg.sw, {scope: "/"})["catch"](function () { /* no worker: the outbox still works */ });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") { refresh(); }
    });
  }
  function settleUser() {
    if (pageUser === null) { return O.getUser().then(function (u) { user = u || null; }); }
    if (!pageUser) {  // signed out
      return O.getUser().then(function (u) {
        if (u) { return forgetPages().then(function () { return O.setUser(null); }); }
      });
    }
    var before = null;
    try { before = localStorage.getItem("jaga-user"); } catch (e) { /* private mode */ }
    return O.getUser().then(function (stored) {
      var changed = (stored && stored !== pageUser) || (before && before !== pageUser);
      return (changed ? forgetPages() : Promise.resolve()).then(function () {
        user = pageUser;
        try { localStorage.setItem("jaga-user", pageUser); } catch (e) { /* private mode */ }
        return O.setUser(pageUser);
      });
    }).then(function () {
      var last = 0;
      try { last = Number(localStorage.getItem("jaga-warm-" + pageUser) || 0); } catch (e) { /* ignore */ }
      if (navigator.onLine && Date.now() - last > 3600 * 1000) {
        worker({type: "warm"}, function () {
          try { localStorage.setItem("jaga-warm-" + pageUser, String(Date.now())); } catch (e) { /* ignore */ }
        });
      }
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!cfg.logout || !(form instanceof HTMLFormElement) || new URL(form.action).pathname !== cfg.logout) { return; }
    if (form.getAttribute("data-forgotten")) { return; }
    event.preventDefault();
    form.setAttribute("data-forgotten", "1");
    forgetPages().then(function () { return O.setUser(null); })["finally"](function () { form.submit(); });
  }, true);

  // ------------------------------------------------------------------ badge and lists
  function formatTime(iso) {
    try { return new Date(iso).toLocaleString(document.documentElement.lang || undefined, {dateStyle: "medium", timeStyle: "short"}); }
    catch (e) { return iso; }
  }
  function statusText(entry) {
    if (entry.status === "invalid") { return t("invalid"); }
    if (entry.status === "login") { return t("login"); }
    if (entry.status === "refused") { return t("refused"); }
    if (entry.status === "later") { return t("later"); }
    return t("waiting");
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function renderList(box, mine, others) {
    box.textContent = "";
    var empty = document.getElementById("outbox-empty");
    if (empty) { empty.hidden = mine.length > 0; }
    var sendAll = document.getElementById("outbox-send");
    if (sendAll) { sendAll.hidden = mine.length === 0; }
    mine.forEach(function (entry) {
      var card = el("article", "card outbox-entry");
      card.setAttribute("data-key", entry.key);
      card.appendChild(el("h2", "outbox-title", entry.title || entry.form));
      var facts = el("p", "small muted");
      facts.textContent = formatTime(entry.created) + (entry.village ? " · " + entry.village : "");
      card.appendChild(facts);
      var photos = (entry.files || []).length;
      if (photos) { card.appendChild(el("p", "small", t("photos").replace("{n}", String(photos)))); }
      var status = el("p", "outbox-status " + (entry.status || "waiting"), statusText(entry));
      card.appendChild(status);
      if (entry.errors && entry.errors.length) {
        var ul = el("ul", "errorlist");
        entry.errors.forEach(function (e) { ul.appendChild(el("li", "", e)); });
        card.appendChild(ul);
      }
      var actions = el("div", "outbox-actions");
      var edit = el("a", "button secondary small", t("edit"));
      edit.href = entry.url + "?outbox=" + encodeURIComponent(entry.key);
      actions.appendChild(edit);
      var del = el("button", "small secondary", t("delete"));
      del.type = "button";
      del.addEventListener("click", function () {
        if (window.confirm(t("confirm"))) { O.remove(entry.key).then(refresh); }
      });
      actions.appendChild(del);
      card.appendChild(actions);
      box.appendChild(card);
    });
    var note = document.getElementById("outbox-others");
    if (note) {
      note.hidden = others === 0;
      note.textContent = t("others").replace("{n}", String(others));
    }
  }
  function refresh() {
    if (!user) { return Promise.resolve(); }
    return O.all().then(function (all) {
      all = all || [];
      var mine = all.filter(function (e) { return String(e.user) === String(user); })
        .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
      var badge = document.getElementById("outbox-badge");
      if (badge) {
        badge.hidden = mine.length === 0;
        var n = badge.querySelector("[data-count]");
        if (n) { n.textContent = String(mine.length); }
      }
      var box = document.getElementById("outbox-list");
      if (box) { renderList(box, mine, all.length - mine.length); }
      var waiting = document.getElementById("offline-waiting");
      if (waiting) {
        waiting.hidden = mine.length === 0;
        waiting.querySelector("[data-count]").textContent = String(mine.length);
      }
    });
  }
  var sending = false;
  function flush() {
    if (!user || sending || !navigator.onLine || pageUser === null) { return Promise.resolve(); }
    sending = true;
    var state = document.getElementById("outbox-state");
    if (state) { state.textContent = t("sending"); }
    return O.flush({login: cfg.login}).then(function (result) {
      if (state) {
        state.textContent = result && result.sent ? t("sent").replace("{n}", String(result.sent)) : "";
      }
    })["catch"](function () { /* kept; tried again later */ })["finally"](function () {
      sending = false;
      return refresh();
    });
  }
  function laterBySync() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) { return reg.sync.register("jaga-outbox"); }
      })["catch"](function () { /* no Background Sync: the online event and page loads send */ });
    }
  }

  // ------------------------------------------------------------------ field forms
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (e) {
      return e.name && e.type !== "file" && e.type !== "submit" && e.type !== "button" &&
        e.name !== "csrfmiddlewaretoken";
    });
  }
  function draftKey(form) { return "jaga-draft-" + user + "-" + form.getAttribute("data-outbox"); }
  function saveDraft(form) {
    var data = {};
    fields(form).forEach(function (e) {
      if (e.type === "checkbox" || e.type === "radio") { data[e.name + "=" + e.value] = e.checked; }
      else { data[e.name] = e.value; }
    });
    try { localStorage.setItem(draftKey(form), JSON.stringify(data)); } catch (e) { /* full */ }
  }
  function fill(form, pairs) {
    var values = {};
    pairs.forEach(function (p) { (values[p[0]] = values[p[0]] || []).push(p[1]); });
    fields(form).forEach(function (e) {
      var v = values[e.name];
      if (e.type === "checkbox" || e.type === "radio") { e.checked = !!v && v.indexOf(e.value) !== -1; }
      else if (e.multiple && e.options) {
        Array.prototype.forEach.call(e.options, function (o) { o.selected = !!v && v.indexOf(o.value) !== -1; });
      } else if (v) { e.value = v[0]; }
      if (v) { e.dispatchEvent(new Event("change", {bubbles: true})); }
    });
  }
  function village(form) {
    var v = form.elements.namedItem("village");
    if (v && v.tagName === "SELECT" && v.selectedIndex >= 0) { return v.options[v.selectedIndex].text; }
    var label = form.querySelector("[data-village-label]");
    if (label) { return label.value || label.textContent; }
    return form.getAttribute("data-outbox-place") || (v && v.value) || "";
  }
  function entryFrom(form, old) {
    var pairs = [];
    var files = [];
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") { return; }
      if (typeof value === "string") { pairs.push([name, value]); }
      else if (value && value.size) { files.push({field: name, name: value.name, type: value.type, blob: value}); }
    });
    var keyInput = form.elements.namedItem("client_key");
    var key = (keyInput && keyInput.value) || form.getAttribute("data-outbox-key") || uuid();
    var created = (old && old.created) || new Date().toISOString();
    var timeField = form.getAttribute("data-outbox-time");  // e.g. check-in: when it was confirmed
    if (timeField) { pairs.push([timeField, created]); }
    return {
      key: key, user: user, form: form.getAttribute("data-outbox"),
      title: form.getAttribute("data-outbox-title") || document.title.split(" · ")[0],
      url: new URL(form.action || window.location.href, window.location.href).pathname,
      fields: pairs, files: files, village: village(form),
      created: created, status: "waiting", errors: []
    };
  }
  function setupForm(form) {
    var keyInput = form.elements.namedItem("client_key");
    var bound = form.getAttribute("data-bound") === "1";
    var editing = params.get("outbox");
    var notice = document.getElementById("outbox-editing");
    var ready;
    if (editing) {
      ready = O.get(editing).then(function (entry) {
        if (!entry || String(entry.user) !== String(user)) { return; }
        fill(form, entry.fields || []);
        var byField = {};
        (entry.files || []).forEach(function (f) { (byField[f.field] = byField[f.field] || []).push(f); });
        Object.keys(byField).forEach(function (name) {
          var input = form.elements.namedItem(name);
          if (!input || !window.DataTransfer) { return; }
          var dt = new DataTransfer();
          byField[name].forEach(function (f) { dt.items.add(new File([f.blob], f.name, {type: f.type})); });
          try { input.files = dt.files; } catch (e) { /* old browser: the photo stays in the entry */ }
        });
        if (notice) {
          notice.hidden = false;
          var list = notice.querySelector("ul");
          (entry.errors || []).forEach(function (e) { list.appendChild(el("li", "", e)); });
        }
      });
    } else if (bound) {
      // The server refused what was sent: the entry waits for the officer's correction.
      ready = keyInput && keyInput.value ? O.get(keyInput.value).then(function (entry) {
        if (entry && String(entry.user) === String(user)) {
          entry.status = "invalid";
          entry.errors = Array.prototype.map.call(document.querySelectorAll(".errorlist li"), function (li) { return li.textContent.trim(); });
          return O.put(entry);
        }
      }) : Promise.resolve();
      saveDraft(form);
    } else {
      var raw = null;
      try { raw = localStorage.getItem(draftKey(form)); } catch (e) { /* private mode */ }
      var draft = null;
      try { draft = raw ? JSON.parse(raw) : null; } catch (e) { draft = null; }
      if (draft) {
        fields(form).forEach(function (e) {
          if (e.type === "checkbox" || e.type === "radio") {
            var k = e.name + "=" + e.value;
            if (k in draft) { e.checked = draft[k]; }
          } else if (e.name in draft) { e.value = draft[e.name]; }
        });
        var dn = document.getElementById("draft-notice");
        if (dn) { dn.hidden = false; }
      } else if (keyInput) {
        // A fresh key for every new entry, also when the page itself came from the cache.
        keyInput.value = uuid();
      }
      ready = Promise.resolve();
    }
    var discard = document.getElementById("draft-discard");
    if (discard) {
      discard.addEventListener("click", function () {
        try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ }
        window.location.href = window.location.pathname;
      });
    }
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.getAttribute("data-sending")) { return; }
      if (typeof form.reportValidity === "function" && !form.reportValidity()) { return; }
      form.setAttribute("data-sending", "1");
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = button.getAttribute("data-sending") || button.textContent; }
      var keyNow = (keyInput && keyInput.value) || form.getAttribute("data-outbox-key");
      ready.then(function () { return keyNow ? O.get(keyNow) : null; }).then(function (old) {
        var entry = entryFrom(form, old);
        if (keyInput && !keyInput.value) { keyInput.value = entry.key; }
        return O.put(entry).then(function () { return entry; });
      }).then(function (entry) {
        try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ }
        if (!navigator.onLine) {
          laterBySync();
          window.location.href = cfg.outbox + "?antre=" + encodeURIComponent(entry.key);
        } else {
          form.submit();  // with signal: the normal page answer (the worker covers a drop)
        }
      }, function () {
        form.submit();  // IndexedDB unavailable (private mode): send as before
      });
    });
  }

  settleUser().then(function () {
    if (!user) { return; }
    var saved = params.get("saved");
    var work = saved ? O.get(saved).then(function (entry) {
      if (entry && String(entry.user) === String(user)) { return O.remove(saved); }
    }) : Promise.resolve();
    var done = document.querySelector("[data-outbox-done]");
    if (done) {
      var k = done.getAttribute("data-outbox-done");
      work = work.then(function () { return O.get(k); }).then(function (entry) {
        if (entry && String(entry.user) === String(user)) { return O.remove(k); }
      });
    }
    var form = document.querySelector("form[data-outbox]");
    if (form) { setupForm(form); }
    var queued = document.getElementById("outbox-queued");
    if (queued && params.get("antre")) { queued.hidden = false; }
    var sendAll = document.getElementById("outbox-send");
    if (sendAll) { sendAll.addEventListener("click", function () { flush(); }); }
    return work.then(refresh).then(flush);
  })["catch"](function () { /* IndexedDB refused (private mode): forms are sent as before */ });
  window.addEventListener("online", function () { flush(); });
})();
