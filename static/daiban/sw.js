/* Daiban's service worker: keeps the app's static files and the offline page, nothing
   else. Served from /sw.js by outreach.offline.views.service_worker, which fills in the
   version, the offline page's URL and the files to keep.

   - Static files: cache first (they are versioned with the worker; a new version brings
     a new cache and deletes the old one).
   - Pages: network first; without a network the offline page, whose script draws Today,
     the visit form or an errand's next steps from IndexedDB. Pages are never cached:
     they hold personal data.
   - Everything else (the API, photos, the Today list for offline use): not touched. The
     outbox is sent by the page itself, not from here: Background Sync is missing from
     many Android browsers, and the page can show what happened to each item. */
"use strict";

var VERSION = "__DAIBAN_VERSION__";
var CACHE = "daiban-" + VERSION;
var OFFLINE_URL = "__DAIBAN_OFFLINE_URL__";
var STATIC_URL = "__DAIBAN_STATIC_URL__";
var PRECACHE = "__DAIBAN_PRECACHE__";
// A stairwell's one bar of signal can hang a request for a minute: after this long the
// offline page is shown instead, so the worker can go on.
var NAVIGATION_TIMEOUT_MS = 12000;

function cacheOfflinePage(cache) {
  // Fetched, not taken from a page: it is rendered for nobody, in the worker's language.
  return fetch(OFFLINE_URL, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (response.ok) return cache.put(OFFLINE_URL, response);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    var requests = PRECACHE.map(function (url) { return new Request(url, { cache: "reload" }); });
    return Promise.all([cache.addAll(requests), cacheOfflinePage(cache)]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("daiban-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage() {
  return caches.open(CACHE).then(function (cache) { return cache.match(OFFLINE_URL); }).then(function (page) {
    return page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

function networkFirst(request) {
  return new Promise(function (resolve) {
    var settled = false;
    var timer = setTimeout(function () {
      settled = true;
      resolve(offlinePage());
    }, NAVIGATION_TIMEOUT_MS);
    fetch(request).then(function (response) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(response);
    }, function () {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(offlinePage());
    });
  });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") cache.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf(STATIC_URL) === 0) {
    event.respondWith(cacheFirst(request));
  }
});

// The page asks, now and then while online, for a fresh offline page (a login, another
// language) and for any kept file gone missing (a browser without Clear-Site-Data whose
// page script emptied the caches at logout while this worker stayed).
function refresh() {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(PRECACHE.map(function (url) {
      return cache.match(url).then(function (hit) { return hit || cache.add(new Request(url, { cache: "reload" })); });
    })).then(function () { return cacheOfflinePage(cache); });
  });
}

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "refresh-offline-page") {
    event.waitUntil(refresh().catch(function () { /* no signal: try again next time */ }));
  }
});
