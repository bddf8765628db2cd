/* Jaga outbox: entries waiting on the phone for signal, shared by the pages and the service
   worker. IndexedDB "jaga-outbox": store "entries" (one per form sent without an answer) and
   store "meta" (which account is signed in on this phone).
   An entry: {key, user, form, title, url, fields: [[name, value]], files: [{field, name, type,
   blob}], village, created, updated, status, errors, message}. `key` is the form's idempotency
   key: sending it again never records twice. Entries are never dropped unless the server
   confirmed them or the officer deletes them. */
(function (root) {
  "use strict";
  var DB = "jaga-outbox";
  var dbPromise = null;

  function open() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("entries")) {
          db.createObjectStore("entries", {keyPath: "key"}).createIndex("user", "user");
        }
        if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { dbPromise = null; reject(req.error); };
    });
    return dbPromise;
  }

  function run(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result;
        var req = fn(tx.objectStore(store));
        if (req) { req.onsuccess = function () { result = req.result; }; }
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var api = {
    put: function (entry) {
      entry.updated = new Date().toISOString();
      return run("entries", "readwrite", function (s) { return s.put(entry); });
    },
    get: function (key) { return run("entries", "readonly", function (s) { return s.get(key); }); },
    remove: function (key) {
      return run("entries", "readwrite", function (s) { return s["delete"](key); });
    },
    all: function () { return run("entries", "readonly", function (s) { return s.getAll(); }); },
    // The entries of one account only: another officer's entries are neither shown nor sent.
    mine: function (user) {
      return api.all().then(function (list) {
        return (list || []).filter(function (e) { return String(e.user) === String(user); })
          .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
      });
    },
    setUser: function (user) {
      return run("meta", "readwrite", function (s) {
        return user ? s.put(String(user), "user") : s["delete"]("user");
      });
    },
    getUser: function () { return run("meta", "readonly", function (s) { return s.get("user"); }); },

    token: function (html) {
      var m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html || "");
      return m ? m[1] : null;
    },
    // The form's errors as the server wrote them (Django's <ul class="errorlist">).
    errors: function (html) {
      var out = [];
      var re = /<ul class="errorlist[^"]*"[^>]*>([\s\S]*?)<\/ul>/g;
      var m;
      while ((m = re.exec(html || ""))) {
        var items = m[1].match(/<li>([\s\S]*?)<\/li>/g) || [];
        items.forEach(function (li) {
          var text = li.replace(/<[^>]+>/g, "").replace(/&quot;/g, "\"").replace(/&#x27;|&#39;/g, "'")
            .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").trim();
          if (text && out.indexOf(text) === -1) { out.push(text); }
        });
      }
      var msg = /<li class="error">([\s\S]*?)<\/li>/g;
      while ((m = msg.exec(html || ""))) {
        var t = m[1].replace(/<[^>]+>/g, "").trim();
        if (t && out.indexOf(t) === -1) { out.push(t); }
      }
      return out;
    },

    body: function (entry, token) {
      var fd = new FormData();
      (entry.fields || []).forEach(function (pair) {
        if (pair[0] !== "csrfmiddlewaretoken") { fd.append(pair[0], pair[1]); }
      });
      (entry.files || []).forEach(function (f) {
        fd.append(f.field, new File([f.blob], f.name || "foto.jpg", {type: f.type || f.blob.type}));
      });
      fd.append("csrfmiddlewaretoken", token);
      return fd;
    },

    fetchTimeout: function (url, options, ms) {
      var ctrl = typeof AbortController !== "undefined" ? new AbortController() : null;
      if (ctrl) { options.signal = ctrl.signal; }
      return new Promise(function (resolve, reject) {
        var timer = setTimeout(function () { if (ctrl) { ctrl.abort(); } reject(new Error("timeout")); }, ms);
        root.fetch(url, options).then(function (r) { clearTimeout(timer); resolve(r); },
          function (e) { clearTimeout(timer); reject(e); });
      });
    },

    // A fresh CSRF token from the entry's own form page (the token of a page loaded days ago
    // may have been rotated by a new login). null + login=true when the session has expired.
    freshToken: function (url, login) {
      return api.fetchTimeout(url, {credentials: "same-origin", cache: "no-store"}, 20000)
        .then(function (r) {
          if (r.redirected && new URL(r.url).pathname.indexOf(login) === 0) { return {login: true}; }
          if (!r.ok) { return {status: r.status}; }
          return r.text().then(function (html) { return {token: api.token(html)}; });
        });
    },

    // Send one entry. Resolves to "sent", "invalid", "login", "refused", "later" or "offline".
    send: function (entry, options) {
      var login = options.login;
      var attempt = function (retry) {
        return api.freshToken(entry.url, login).then(function (t) {
          if (t.login) { return "login"; }
          if (!t.token) { return t.status === 403 || t.status === 404 ? "refused" : "later"; }
          return api.fetchTimeout(entry.url, {
            method: "POST", body: api.body(entry, t.token), credentials: "same-origin",
            headers: {"X-CSRFToken": t.token, "X-Jaga-Outbox": "1"}
          }, 90000).then(function (r) {
            var final = new URL(r.url);
            if (r.redirected && final.pathname.indexOf(login) === 0) { return "login"; }
            if (r.status === 403 && retry) { return attempt(false); }
            if (r.status === 403 || r.status === 404 || r.status === 400) { return "refused"; }
            if (!r.ok) { return "later"; }
            if (final.searchParams.get("saved") === entry.key) { return "sent"; }
            return r.text().then(function (html) {
              if (html.indexOf('data-outbox-done="' + entry.key + '"') !== -1) { return "sent"; }
              entry.errors = api.errors(html);
              return entry.errors.length ? "invalid" : "later";
            });
          });
        });
      };
      return attempt(true)["catch"](function () { return "offline"; });
    },

    // Send every waiting entry of the signed-in account, oldest first. Stops at the first
    // network failure (no signal yet); entries with errors wait for the officer.
    flush: function (options) {
      var go = function () {
        return api.getUser().then(function (user) {
          if (!user) { return {sent: 0}; }
          return api.mine(user).then(function (list) {
            var result = {sent: 0, offline: false};
            var todo = list.filter(function (e) { return e.status !== "invalid"; });
            var next = function (i) {
              if (i >= todo.length) { return result; }
              var entry = todo[i];
              return api.send(entry, options).then(function (outcome) {
                if (outcome === "sent") { result.sent += 1; return api.remove(entry.key); }
                if (outcome === "offline") { result.offline = true; return "stop"; }
                entry.status = outcome;
                if (outcome !== "invalid") { entry.errors = []; }
                return api.put(entry).then(function () { return outcome === "login" ? "stop" : null; });
              }).then(function (stop) { return stop === "stop" ? result : next(i + 1); });
            };
            return next(0);
          });
        });
      };
      // One sender at a time, across tabs and the service worker.
      if (root.navigator && root.navigator.locks) {
        return root.navigator.locks.request("jaga-outbox", go);
      }
      return go();
    }
  };
  root.JagaOutbox = api;
})(typeof self !== "undefined" ? self : window);
