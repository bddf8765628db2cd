/* Jaga officers' app: service worker (served by jaga.fieldwork.pwa at /sw.js).
   - The app shell (static files, the offline page) in a versioned cache.
   - The field form pages, per signed-in officer, network first; the cached copy only when the
     network fails. No other page is ever cached; nothing answered to a POST is cached.
   - A page that cannot be reached shows the offline page instead of the browser's error.
   - Background Sync sends the outbox (IndexedDB) when the signal returns.
   The page deletes the page cache on logout and when another account signs in. */
"use strict";
var CONFIG = {{ config|safe }};
var SHELL = "jaga-shell-" + CONFIG.version;
var PAGES = "jaga-pages-" + CONFIG.version;
var TIMEOUT = 8000;
importScripts(CONFIG.core);

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    var offline = new Request(CONFIG.offline, {credentials: "omit"});
    return Promise.all([
      cache.addAll(CONFIG.shell),
      fetch(offline).then(function (r) { if (r.ok) { return cache.put(CONFIG.offline, r); } })
    ]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("jaga-") === 0 && n !== SHELL && n !== PAGES;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(request, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    fetch(request).then(function (r) { clearTimeout(timer); resolve(r); },
      function (e) { clearTimeout(timer); reject(e); });
  });
}

function offlinePage() {
  return caches.match(CONFIG.offline, {cacheName: SHELL}).then(function (r) {
    return r || new Response("Offline", {status: 503, headers: {"Content-Type": "text/plain"}});
  });
}

function keepable(response) {
  // Only a plain 200 HTML page of our own, not a redirect (e.g. to the login page).
  return response && response.ok && response.type === "basic" && !response.redirected &&
    (response.headers.get("Content-Type") || "").indexOf("text/html") === 0 &&
    (response.headers.get("Cache-Control") || "").indexOf("no-store") === -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    // A form sent while the signal drops: the page already put the entry in the outbox
    // before sending; show the offline page (which lists it) instead of the browser's error.
    if (request.mode === "navigate") {
      event.respondWith(fetch(request).catch(offlinePage));
    }
    return;  // never cached
  }
  if (url.pathname.indexOf(CONFIG.static) === 0) {
    if (CONFIG.shell.indexOf(url.pathname) !== -1) {  // the shell: from the versioned cache
      event.respondWith(caches.match(request, {cacheName: SHELL, ignoreSearch: true}).then(function (hit) {
        return hit || fetch(request);
      }));
    } else {  // other static files (public): network first, the last copy without signal
      event.respondWith(fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") {
          var copy = response.clone();
          caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(request, {cacheName: SHELL}).then(function (hit) {
          return hit || new Response("", {status: 504});
        });
      }));
    }
    return;
  }
  if (request.mode !== "navigate") { return; }
  var page = CONFIG.pages.indexOf(url.pathname) !== -1;
  if (!page) {
    event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  event.respondWith(withTimeout(request, TIMEOUT).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname, {cacheName: PAGES}).then(function (hit) {
      return hit || offlinePage();
    });
  }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    // Logout or another account: no page of the previous officer stays on the phone.
    event.waitUntil(caches.delete(PAGES));
  } else if (data.type === "warm") {
    // Keep the officer's field pages for offline use (only those this account may open).
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return Promise.all(CONFIG.pages.map(function (path) {
        return fetch(path, {credentials: "same-origin"}).then(function (r) {
          if (keepable(r)) { return cache.put(path, r); }
        }).catch(function () {});
      }));
    }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "jaga-outbox") {
    event.waitUntil(JagaOutbox.flush({login: CONFIG.login}).then(function (result) {
      return self.clients.matchAll({type: "window"}).then(function (list) {
        list.forEach(function (c) { c.postMessage({type: "outbox-changed"}); });
      }).then(function () {
        if (result && result.offline) { throw new Error("still offline: retry later"); }
      });
    }));
  }
});
