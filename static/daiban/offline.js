/* Offline-first for grid workers: the outbox, its sync, the status under the top bar,
   the Today list kept on the phone, the offline page, the logout guard and the install
   hint. Loaded (defer, after the vendored idb-keyval) on every page of a grid worker, on
   the visit form and on the offline page; elsewhere static/daiban/outbox-probe.js loads
   it when the phone holds unsent items, or right after a logout (to delete the Today
   list kept on the phone).

   The outbox (IndexedDB "daiban-outbox") holds visits, their photos (one item each,
   after the visit), errands noted at a visit and errand steps, each under its client
   UUID. Records go before photos: a sync sends every record first (a few at a time, so
   that a slow link's latency is paid in parallel), then the photos one by one to
   /api/v1/visits/{id}/photos under the key the phone made for each; the record says how
   many photos follow, and the visit's page says "photos to come" until they are in. It is sent from the page —
   on load, on the "online" event, every minute while something waits and from "sync
   now" — never only by Background Sync, which many Android browsers lack. An item
   leaves the outbox only when the server confirms it (201 or 200). Everything else
   keeps it and says why: 401/403 asks for a new login, 409 lets the worker choose,
   422 shows what to fix, 404 says it cannot be sent; the worker may discard an item
   only by pressing "discard" twice. Nothing is dropped silently.

   Each item belongs to its author (user id and name, stamped by put()): on a shared
   phone only the author, logged in, sees what it is, sends it or discards it; others are
   told whose items wait and how many. Nobody's login or logout deletes anyone else's.

   Sending again is safe: visits and errands are stored once per UUID (the same one
   again answers 200), a photo once per key. An errand step has no UUID on the server; it names the version
   it was taken on, so a step whose reply was lost answers 409 — and is recognised as
   already done when the errand's next version is that very step by this worker. */
(function () {
  "use strict";
  var root = document.getElementById("offline-status");
  if (!root) return;
  var T = root.dataset;
  var kv = window.idbKeyval;
  var supported = !!(kv && window.indexedDB && window.fetch && window.Promise && window.FormData);
  var outbox = supported ? kv.createStore("daiban-outbox", "items") : null;
  var kept = supported ? kv.createStore("daiban-offline", "data") : null;
  var FLASH_KEY = "daiban-flash";
  var INSTALL_KEY = "daiban-install-dismissed";
  var SYNC_EVERY_MS = 60 * 1000;
  var REFRESH_EVERY_MS = 10 * 60 * 1000;  // the Today list on the phone, while online
  var DAY_MS = 24 * 60 * 60 * 1000;
  var SENDABLE = { waiting: true, login: true };
  var RECORD_LANES = 4;  // records in flight at once: a 400 ms link pays its latency once per four
  var ROOM_RESERVE = 20 * 1024 * 1024;  // bytes kept free on the phone: a photo that would eat into them is refused
  var ROOM_WARN = 100 * 1024 * 1024;  // below this much free space the bar warns
  var PHOTO_LONG_EDGE = 1600;  // settings.DAIBAN_PHOTO_LONG_EDGE: the size the server keeps
  var PHOTO_QUALITY = 0.85;
  var ATTENTION = { conflict: true, invalid: true, gone: true };
  var pageUser = T.user ? Number(T.user) : null;
  var pageUserName = T.userName || "";
  var isShell = T.shell === "1";
  var fieldWorker = T.field === "1";  // grid workers see the bar on every page
  var state = { user: pageUser, userName: pageUserName, items: [], lastSync: null, syncing: false, network: "unknown", login: false,
                progress: null, storage: null };
  var panelOpen = false;
  ["offline-panel", "offline-others", "offline-install", "offline-install-ios", "offline-install-button"].forEach(function (id) {
    var node = document.getElementById(id);
    if (node) node.hidden = true;
  });
  root.hidden = !(fieldWorker || isShell);  // theirs stays in place (its row was kept): no jump
  root.dataset.ready = "1";

  // --- small helpers -------------------------------------------------------------------------

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (_, key) {
      return values[key] === undefined || values[key] === null ? "" : values[key];
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(when) {
    var d = new Date(when);
    var now = new Date();
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (d.toDateString() === now.toDateString()) return time;
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + time;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else if (attrs[key] !== null && attrs[key] !== undefined && attrs[key] !== false) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function flash(text) {
    try { sessionStorage.setItem(FLASH_KEY, text); } catch (e) { /* private mode: no message, nothing lost */ }
  }

  function showFlash() {
    var text = null;
    try { text = sessionStorage.getItem(FLASH_KEY); sessionStorage.removeItem(FLASH_KEY); } catch (e) { return; }
    var main = document.getElementById("main");
    if (!text || !main) return;
    var list = el("ul", { className: "messages", role: "status" }, [el("li", { className: "message message-success", text: text })]);
    main.insertBefore(list, main.firstChild);
  }

  function sameOriginPath(url) {
    try { return new URL(url, location.href).pathname; } catch (e) { return ""; }
  }

  // --- what is on the phone ------------------------------------------------------------------

  function getMeta() {
    return kv.get("meta", kept).then(function (meta) { return meta || { lastUser: null, lastSync: {} }; });
  }

  function setMeta(change) {
    return kv.update("meta", function (meta) {
      meta = meta || { lastUser: null, lastSync: {} };
      change(meta);
      return meta;
    }, kept);
  }

  // Oldest first; an errand noted at a visit (saved at the same moment) right after it.
  function byAge(a, b) {
    if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
    return (a.after ? 1 : 0) - (b.after ? 1 : 0);
  }

  function load() {
    if (!supported) return Promise.resolve();
    return Promise.all([kv.values(outbox), getMeta()]).then(function (results) {
      state.items = results[0].filter(Boolean).sort(byAge);
      var meta = results[1];
      if (!state.user && isShell) {  // the offline page knows nobody: the last one logged in here
        state.user = meta.lastUser;
        state.userName = meta.lastUserName || "";
      }
      state.lastSync = state.user ? (meta.lastSync || {})[state.user] || null : null;
      return estimate();
    });
  }

  // --- the phone's storage -----------------------------------------------------------------

  // Bytes the outbox holds: its photos' blobs, and about 2 KB for each record.
  function outboxBytes(items) {
    return items.reduce(function (sum, item) {
      var photos = item.blob ? [item] : item.photos || [];
      return sum + 2048 + photos.reduce(function (s, p) { return s + ((p.blob && p.blob.size) || 0); }, 0);
    }, 0);
  }

  function estimate() {
    if (!navigator.storage || !navigator.storage.estimate) return Promise.resolve();
    return navigator.storage.estimate().then(function (e) {
      state.storage = { usage: e.usage || 0, quota: e.quota || 0 };
    }, function () { state.storage = null; });
  }

  function freeBytes() {
    return state.storage && state.storage.quota ? state.storage.quota - state.storage.usage : Infinity;
  }

  // Whether ``bytes`` more can be kept on the phone, with room to spare; asked before a
  // photo is kept, so that it is refused at once rather than lost later.
  function room(bytes) {
    return estimate().then(function () { return freeBytes() - bytes > ROOM_RESERVE; });
  }

  function megabytes(bytes) { return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0); }

  function askPersistence() {
    if (!navigator.storage || !navigator.storage.persist || !navigator.storage.persisted) return Promise.resolve();
    return navigator.storage.persisted().then(function (already) {
      return already || navigator.storage.persist();
    }).then(function (granted) { state.persisted = !!granted; }, function () {});
  }

  // --- photos: smaller before they are sent (and kept, when the visit form has the time) ---

  function shrink(blob, name) {
    if (!window.createImageBitmap) return Promise.resolve({ blob: blob, name: name });
    return createImageBitmap(blob).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_LONG_EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY); });
    }).then(function (small) {
      return small ? { blob: small, name: name.replace(/\.[^.]*$/, "") + ".jpg" } : { blob: blob, name: name };
    }, function () {
      // A format this browser cannot draw: keep the original, the server says if it is not a photo.
      return { blob: blob, name: name };
    });
  }

  // A photo kept as the camera took it (the visit form was left while it was being made
  // smaller): made smaller now, before it is sent, and kept so.
  function shrunk(item) {
    if (!item.raw) return Promise.resolve(item);
    return shrink(item.blob, item.name).then(function (small) {
      return changeItem(item.id, function (i) { i.blob = small.blob; i.name = small.name; i.raw = false; }).then(function () {
        return Object.assign({}, item, { blob: small.blob, name: small.name, raw: false });
      });
    });
  }

  function changeItem(id, change) {
    var missing = {};
    return kv.update(id, function (item) {
      if (!item) throw missing;  // discarded meanwhile (another tab): do not bring it back
      change(item);
      return item;
    }, outbox).catch(function (error) { if (error !== missing) throw error; });
  }

  function dependentsOf(id) {
    return state.items.filter(function (item) { return item.after === id; });
  }

  // --- sending -------------------------------------------------------------------------------

  function request(item, token) {
    var headers = { "X-CSRFToken": token, "Accept": "application/json" };
    if (item.kind === "photo") {
      var form = new FormData();
      form.append("photos", item.blob, item.name);
      form.append("keys", item.id);
      return { url: T.apiUrl + "visits/" + item.fields.visit + "/photos", headers: headers, body: form };
    }
    if (item.kind === "visit" && item.photos && item.photos.length) {  // saved before photos followed their visit
      var body = new FormData();
      Object.keys(item.fields).forEach(function (name) {
        var value = item.fields[name];
        (Array.isArray(value) ? value : [value]).forEach(function (v) {
          if (v !== null && v !== undefined && v !== "") body.append(name, v);
        });
      });
      (item.photos || []).forEach(function (photo) { body.append("photos", photo.blob, photo.name); });
      return { url: T.apiUrl + "visits", headers: headers, body: body };
    }
    headers["Content-Type"] = "application/json";
    if (item.kind === "visit") {
      return { url: T.apiUrl + "visits", headers: headers, body: JSON.stringify(item.fields) };
    }
    if (item.kind === "errand") {
      return { url: T.apiUrl + "errands", headers: headers, body: JSON.stringify(item.fields) };
    }
    return {
      url: T.apiUrl + "errands/" + item.errand + "/transitions", headers: headers,
      body: JSON.stringify({ action: item.action, version: item.version, note: item.note || "", reason: item.reason || "" }),
    };
  }

  function send(item, token) {
    var r = request(item, token);
    return fetch(r.url, { method: "POST", credentials: "same-origin", cache: "no-store", headers: r.headers, body: r.body })
      .then(function (response) {
        // Read the whole answer: a connection that drops half-way is no answer at all.
        return response.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          return { status: response.status, body: body };
        });
      })
      .catch(function () { return { status: 0, body: null }; });
  }

  // A step whose reply was lost: its resend meets the version it made. It was ours when
  // the errand moved exactly one version, and that change is this step by this worker.
  function alreadyDone(item, errand) {
    if (!errand || errand.version !== item.version + 1 || !errand.timeline) return false;
    var changes = errand.timeline.filter(function (event) { return event.action !== "materials"; });
    var last = changes[changes.length - 1];
    return !!last && last.action === item.action && last.actor && last.actor.id === item.user;
  }

  function settle(item, outcome, summary) {
    var status = outcome.status;
    var body = outcome.body || {};
    if (status === 200 || status === 201 || (status === 409 && item.kind === "transition" && alreadyDone(item, body.errand))) {
      summary.sent.push(item);
      return kv.del(item.id, outbox).then(function () { return false; });
    }
    if (status === 0) {
      summary.network = false;
      return Promise.resolve(true);  // the connection dropped: stop, try again later
    }
    if (status === 401 || status === 403) {
      summary.login = true;
      return changeItem(item.id, function (i) { i.state = "login"; }).then(function () { return true; });
    }
    if (status === 409 || status === 422 || status === 400 || status === 413 || status === 404) summary.attention = true;
    if (status === 409) {
      return changeItem(item.id, function (i) { i.state = "conflict"; i.conflict = body; }).then(function () { return false; });
    }
    if (status === 422 || status === 400 || status === 413) {
      return changeItem(item.id, function (i) { i.state = "invalid"; i.error = body; }).then(function () { return false; });
    }
    if (status === 404) {
      return changeItem(item.id, function (i) { i.state = "gone"; i.error = body; }).then(function () { return false; });
    }
    // A server error: keep it waiting and try it again next time; the others may pass.
    summary.failed = true;
    return changeItem(item.id, function (i) { i.lastError = status; }).then(function () { return false; });
  }

  // Those waiting for an item's answer (the visit form waits for its visit's).
  var listeners = {};

  function settled(id) {
    return new Promise(function (resolve) { (listeners[id] = listeners[id] || []).push(resolve); });
  }

  function tell(id, outcome) {
    (listeners[id] || []).forEach(function (resolve) { resolve(outcome); });
    delete listeners[id];
  }

  function sendOne(item, token, summary, progress) {
    return kv.get(item.after || "-", outbox).then(function (before) {
      if (item.after && before) return false;  // its visit has not arrived yet
      return (item.kind === "photo" ? shrunk(item) : Promise.resolve(item)).then(function (ready) {
        return send(ready, token);
      }).then(function (outcome) {
        summary.results[item.id] = outcome;
        return settle(item, outcome, summary).then(function (stop) {
          tell(item.id, outcome);
          if (!stop) {
            progress.done += 1;
            render();
          }
          return stop;
        });
      });
    });
  }

  // One after another; true when the connection is gone or the login needed.
  function sendInTurn(items, token, summary, progress, halted) {
    return items.reduce(function (previous, item) {
      return previous.then(function (stop) {
        if (stop || halted.now) return true;
        return sendOne(item, token, summary, progress).then(function (s) { if (s) halted.now = true; return s; });
      });
    }, Promise.resolve(false));
  }

  // Records first, all of them: a few lanes at once, each taking a visit with what was
  // noted at it, or an errand's steps, in their order. Then the photos, one at a time
  // (they share the link anyway), each after its visit.
  function sendAll(items, token, summary) {
    var records = items.filter(function (i) { return i.kind !== "photo"; });
    var photos = items.filter(function (i) { return i.kind === "photo"; });
    var groups = [];
    var groupOf = {};
    records.forEach(function (item) {
      var key = item.after || (item.kind === "transition" ? "errand:" + item.errand : item.id);
      if (!groupOf[key]) { groupOf[key] = []; groups.push(groupOf[key]); }
      groupOf[key].push(item);
    });
    state.progress = { records: { done: 0, total: records.length }, photos: { done: 0, total: photos.length } };
    var halted = { now: false };
    var next = 0;
    function lane() {
      if (halted.now || next >= groups.length) return Promise.resolve();
      var group = groups[next++];
      return sendInTurn(group, token, summary, state.progress.records, halted).then(lane);
    }
    var lanes = [];
    for (var n = 0; n < RECORD_LANES; n++) lanes.push(lane());
    return Promise.all(lanes).then(function () {
      if (halted.now) return true;
      return sendInTurn(photos, token, summary, state.progress.photos, halted);
    });
  }

  function fetchToken() {
    return fetch(T.csrfUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); });
  }

  function runSync(options) {
    var summary = { sent: [], results: {}, network: true, login: false, attempted: false };
    return load().then(function () {
      var user = state.user;
      var sendable = state.items.filter(function (i) { return i.user === user && SENDABLE[i.state]; });
      if (!user || (!sendable.length && !options.force)) return summary;
      if (!navigator.onLine) {
        state.network = "down";
        summary.network = false;
        return summary;
      }
      state.syncing = true;
      render();
      summary.attempted = true;
      return fetchToken().then(function (csrf) {
        if (!csrf.authenticated || csrf.user !== user) {
          summary.login = true;
          return Promise.all(sendable.map(function (i) {
            return changeItem(i.id, function (item) { item.state = "login"; });
          }));
        }
        return sendAll(sendable, csrf.token, summary);
      }, function () {
        summary.network = false;
      });
    }).then(function () {
      state.syncing = false;
      state.progress = null;
      if (summary.attempted) {
        state.network = summary.network ? "ok" : "down";
        state.login = summary.login;
      }
      if (summary.attention) panelOpen = true;  // a conflict or a refusal: show what to choose
      if (summary.attempted && summary.network && !summary.login && !summary.failed) {
        var now = new Date().toISOString();
        return setMeta(function (meta) { meta.lastSync = meta.lastSync || {}; meta.lastSync[state.user] = now; });
      }
    }).then(load).then(function () {
      render();
      // The due list changed with the visits: fetch it now, after the sends (one request
      // at a time on a weak connection).
      return summary.sent.length ? refreshKept(true) : null;
    }).then(function () {
      return summary;
    }, function (error) {
      state.syncing = false;
      state.progress = null;
      render();
      throw error;
    });
  }

  // One sync at a time, across this phone's tabs too (two would send the same step twice).
  var chain = Promise.resolve();
  var queued = null;

  function sync(options) {
    if (!supported) return Promise.resolve({ sent: [], results: {}, network: false, login: false });
    if (queued && !(options && options.force)) return queued;
    var run = chain.then(function () {
      if (queued === run) queued = null;
      var job = function () { return runSync(options || {}); };
      return navigator.locks && navigator.locks.request ? navigator.locks.request("daiban-outbox", job) : job();
    });
    queued = run;
    chain = run.catch(function () {});
    return run;
  }

  function hasSendable() {
    return state.items.some(function (i) { return i.user === state.user && SENDABLE[i.state]; });
  }

  // --- the status under the top bar ----------------------------------------------------------

  var count = document.getElementById("offline-count");
  var text = document.getElementById("offline-text");
  var summaryButton = document.getElementById("offline-summary");
  var syncButton = document.getElementById("offline-sync");
  var panel = document.getElementById("offline-panel");
  var list = document.getElementById("offline-items");

  // Pending items belong to their author: only they see what the items are, send them or
  // discard them. Everyone else learns whose they are and how many, nothing more.
  function ownItems() {
    return state.items.filter(function (i) { return state.user && i.user === state.user; });
  }

  // [{ name, count, visits }] for every other author with items on this phone, oldest first.
  function othersWaiting() {
    var authors = [];
    var byUser = {};
    state.items.forEach(function (item) {
      if (state.user && item.user === state.user) return;
      if (item.kind === "photo") return;  // part of a visit: told as the visit
      var key = String(item.user);
      if (!byUser[key]) {
        byUser[key] = { name: item.userName || "", count: 0, visits: 0 };  // saved before names were kept
        authors.push(byUser[key]);
      }
      byUser[key].count += 1;
      if (item.kind === "visit") byUser[key].visits += 1;
    });
    return authors;
  }

  function othersText(author) {
    var words = !author.name ? T.tOthersUnnamed : author.visits === author.count ? T.tOthersVisits : T.tOthersItems;
    return fill(words, { name: author.name, n: author.count });
  }

  // What is counted as waiting: records, and photos whose visit has left already (a
  // photo still behind its visit counts as part of it).
  function tallied(items) {
    var ids = {};
    items.forEach(function (i) { ids[i.id] = true; });
    return items.filter(function (i) { return i.kind !== "photo" || !ids[i.after]; });
  }

  function render() {
    var mine = ownItems();
    var others = tallied(state.items).length - tallied(mine).length;
    var attention = mine.filter(function (i) { return ATTENTION[i.state]; }).length;
    var photosWaiting = mine.filter(function (i) { return i.kind === "photo"; }).length;
    // Nobody logged in on this page: the count is everybody's (how many, never what).
    var mustLogIn = !state.user && state.items.length > 0;
    var shown = tallied(state.user ? mine : state.items).length;
    // Only for those who capture data in the field, and for anyone with items on the phone.
    root.hidden = !(fieldWorker || isShell || state.items.length);
    root.dataset.waiting = String(shown);
    root.dataset.attention = String(attention);
    root.dataset.photos = String(photosWaiting);
    var records = tallied(state.user ? mine : state.items).filter(function (i) { return i.kind !== "photo"; }).length;
    var progress = state.syncing && state.progress;
    // The count in bold: how far a sync has got while it sends, else what waits (the
    // photos by name when nothing else does).
    if (progress) {
      count.textContent = [fill(T.tProgressRecords, { done: progress.records.done, total: progress.records.total })]
        .concat(progress.photos.total ? [fill(T.tProgressPhotos, { done: progress.photos.done, total: progress.photos.total })] : [])
        .join(" · ");
    } else if (!records && photosWaiting && state.user) {
      count.textContent = fill(T.tPhotosWaiting, { n: photosWaiting });
    } else {
      count.textContent = fill(T.tWaiting, { n: shown });
    }
    var parts = [];
    var tone = mine.length ? "waiting" : "ok";
    if (state.syncing && !progress) parts.push(T.tSending);
    else if (!navigator.onLine) { parts.push(T.tOffline); tone = "offline"; }
    else if (mustLogIn || (state.login && mine.length)) { parts.push(T.tLogin); tone = "problem"; }
    else if (state.network === "down" && mine.length) { parts.push(T.tNoConnection); tone = "offline"; }
    if (attention) { parts.push(fill(T.tAttention, { n: attention })); tone = "problem"; }
    if (photosWaiting && records && !progress && state.user) parts.push(fill(T.tPhotosWaiting, { n: photosWaiting }));
    var full = state.user && freeBytes() < ROOM_WARN;
    root.dataset.storageLow = full ? "1" : "0";
    if (full) { parts.push(fill(T.tStorageLow, { free: megabytes(Math.max(0, freeBytes())) })); tone = "problem"; }
    parts.push(state.lastSync ? fill(T.tSynced, { time: clock(state.lastSync) }) : T.tNever);
    if (others && state.user) parts.push(fill(T.tOtherUser, { n: others }));
    text.textContent = parts.join(" · ");
    root.dataset.tone = tone;
    root.dataset.syncing = state.syncing ? "1" : "0";
    syncButton.hidden = !pageUser && !isShell;
    syncButton.disabled = state.syncing;
    summaryButton.setAttribute("aria-expanded", panelOpen ? "true" : "false");
    panel.hidden = !panelOpen;
    if (panelOpen || attention) renderPanel(mine, mustLogIn || state.login);
    renderOthers();
  }

  function noticeShown() {
    return location.pathname === T.loginUrl || location.pathname === T.homeUrl;
  }

  // On the login page and on Today: whose items wait here, so that they come back to send them.
  function renderOthers() {
    var box = document.getElementById("offline-others");
    if (!box) return;
    var authors = noticeShown() ? othersWaiting() : [];
    box.textContent = "";
    authors.forEach(function (author) { box.appendChild(el("p", { text: othersText(author) })); });
    box.hidden = !authors.length;
  }

  function itemTitle(item) {
    var label = item.label || {};
    if (item.kind === "visit") return fill(T.tItemVisit, { name: label.name });
    if (item.kind === "photo") return fill(T.tItemPhoto, { name: label.name });
    if (item.kind === "errand") return fill(T.tItemErrand, { service: label.service, name: label.name });
    return fill(T.tItemStep, { action: label.action, number: label.number, name: label.name });
  }

  function stateText(item) {
    if (item.state === "waiting" && item.after && state.items.some(function (i) { return i.id === item.after; })) {
      return item.kind === "photo" ? T.tStatePhotoAfter : T.tStateAfter;
    }
    return T["tState" + item.state.charAt(0).toUpperCase() + item.state.slice(1)] || item.state;
  }

  function messagesOf(body) {
    if (!body) return [];
    var lines = body.message ? [body.message] : [];
    (body.errors || []).forEach(function (e) { if (e.message) lines.push(e.message); });
    return lines;
  }

  function stateLabel(code) {
    return (state.stateLabels && state.stateLabels[code]) || code;
  }

  function button(label, action, extra) {
    return el("button", Object.assign({ type: "button", className: "button small", "data-action": action }, extra || {}), [
      document.createTextNode(label),
    ]);
  }

  function itemActions(item, login) {
    var actions = [];
    if (item.state === "login" || (login && SENDABLE[item.state])) {
      var back = location.pathname === T.loginUrl ? "" : "?next=" + encodeURIComponent(location.pathname);
      actions.push(el("a", { className: "button small primary", href: T.loginUrl + back, text: T.tLogIn }));
    } else if (item.state === "invalid" && item.kind === "visit") {
      actions.push(el("a", { className: "button small primary", href: fixUrl(item), text: T.tFix }));
    } else if (item.state === "conflict" && item.kind === "visit") {
      actions.push(button(T.tKeepVisit, "renew", { className: "button small primary" }));
    } else if (item.state === "conflict" && item.kind === "errand") {
      actions.push(button(T.tKeepErrand, "renew", { className: "button small primary" }));
    } else if (item.state === "conflict" && item.kind === "transition") {
      var current = item.conflict && item.conflict.errand;
      if (current && (current.next_actions || []).indexOf(item.action) >= 0) {
        actions.push(button(T.tReapply, "reapply", { className: "button small primary" }));
      }
    }
    if (item.kind !== "visit" && (item.state === "conflict" || item.state === "invalid" || item.state === "gone")) {
      var errandId = item.kind === "transition" ? item.errand : item.fields.id;
      if (item.state !== "gone" && (item.kind === "transition" || item.state === "conflict")) {
        actions.push(el("a", { className: "button small", href: errandUrl(errandId), text: T.tOpenErrand }));
      }
    }
    if (ATTENTION[item.state]) {
      actions.push(button(T.tDiscard, "discard", { className: "button small danger" }));
    }
    return actions;
  }

  function itemMessage(item) {
    if (item.state === "conflict") {
      if (item.kind === "visit") return T.tConflictVisit;
      if (item.kind === "errand") return T.tConflictErrand;
      var current = (item.conflict && item.conflict.errand) || {};
      var open = (current.next_actions || []).indexOf(item.action) >= 0;
      return fill(open ? T.tConflictStep : T.tConflictStepClosed, { state: stateLabel(current.state) });
    }
    if (item.state === "invalid") return messagesOf(item.error).join(" ");
    if (item.state === "gone") return fill(T.tGone, { message: messagesOf(item.error).join(" ") });
    return "";
  }

  function storageLine(mine) {
    if (!state.storage || !state.storage.quota) return null;
    var text = fill(T.tStorage, { used: megabytes(outboxBytes(mine)), free: megabytes(Math.max(0, freeBytes())) });
    if (state.persisted === false) text += " " + T.tNotPersisted;
    return el("li", { className: "offline-item muted offline-storage", text: text });
  }

  function renderPanel(mine, login) {
    list.textContent = "";
    var line = mine.length ? storageLine(mine) : null;
    if (!mine.length) {
      var authors = othersWaiting();
      var empty = !authors.length ? T.tEmpty : state.user ? T.tNoneOfYours : T.tLogInForYours;
      list.appendChild(el("li", { className: "offline-item muted", text: empty }));
      if (!noticeShown()) {  // whose they are, unless the notice under the bar says it already
        authors.forEach(function (author) { list.appendChild(el("li", { className: "offline-item", text: othersText(author) })); });
      }
      return;
    }
    if (line) list.appendChild(line);
    var ids = {};
    mine.forEach(function (i) { ids[i.id] = true; });
    mine.forEach(function (item) {
      // A photo behind its visit is told in the visit's row, unless it needs the worker.
      if (item.kind === "photo" && ids[item.after] && !ATTENTION[item.state]) return;
      var meta = [fill(T.tSavedAt, { time: clock(item.createdAt) })];
      var photos = (item.photos || []).length + dependentsOf(item.id).filter(function (f) { return f.kind === "photo"; }).length;
      if (photos) meta.push(fill(T.tPhotos, { n: photos }));
      meta.push(stateText(item));
      var message = itemMessage(item);
      list.appendChild(el("li", { className: "offline-item state-" + item.state, "data-item": item.id }, [
        el("strong", { className: "offline-item-title", text: itemTitle(item) }),
        el("span", { className: "offline-item-meta", text: meta.join(" · ") }),
        message ? el("p", { className: "offline-item-message", text: message }) : null,
        el("div", { className: "offline-item-actions" }, itemActions(item, login)),
      ]));
    });
  }

  // Page addresses from the server's URL patterns, rendered with a placeholder id.
  var VISIT_ID = "999999999";
  var ERRAND_ID = "00000000-0000-0000-0000-000000000000";

  function visitUrl(residentId) { return T.visitUrl.replace(VISIT_ID, String(residentId)); }

  function fixUrl(item) { return visitUrl(item.fields.resident) + "?outbox=" + encodeURIComponent(item.id); }

  function errandUrl(id) { return T.errandUrl.replace(ERRAND_ID, id); }

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function matchPath(template, placeholder, pattern, path) {
    var parts = template.split(placeholder);
    var found = (path || location.pathname).match(new RegExp("^" + escapeRegExp(parts[0]) + "(" + pattern + ")" + escapeRegExp(parts[1]) + "$"));
    return found ? found[1] : null;
  }

  // The worker's choices on an item that needs them.
  function renew(item) {
    var fresh = newId();
    var copy = Object.assign({}, item, { id: fresh, state: "waiting", conflict: null, error: null });
    copy.fields = Object.assign({}, item.fields, { id: fresh });
    var followers = dependentsOf(item.id);
    return kv.set(fresh, copy, outbox).then(function () {
      return Promise.all(followers.map(function (f) {
        return changeItem(f.id, function (i) { i.after = fresh; i.fields.visit = fresh; });
      }));
    }).then(function () { return kv.del(item.id, outbox); });
  }

  function reapply(item) {
    return changeItem(item.id, function (i) {
      i.version = i.conflict.errand.version;
      i.state = "waiting";
      i.conflict = null;
    });
  }

  function discard(item) {
    // An errand noted at a visit goes with it: it would name a visit that never arrives.
    var ids = [item.id].concat(dependentsOf(item.id).map(function (f) { return f.id; }));
    return kv.delMany(ids, outbox);
  }

  if (list) list.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-action]");
    if (!target) return;
    var row = target.closest("[data-item]");
    var item = state.items.filter(function (i) { return i.id === row.dataset.item; })[0];
    if (!item) return;
    var action = target.dataset.action;
    if (action === "discard") {
      // Twice, never by accident: the second button says what goes.
      target.dataset.action = "discard-confirmed";
      var noted = dependentsOf(item.id).some(function (f) { return f.kind === "errand"; });
      target.textContent = item.kind === "visit" && noted ? T.tDiscardVisitConfirm : T.tDiscardConfirm;
      target.className = "button small danger confirm";
      return;
    }
    var job = action === "renew" ? renew(item) : action === "reapply" ? reapply(item) : action === "discard-confirmed" ? discard(item) : null;
    if (!job) return;
    job.then(load).then(function () {
      render();
      return sync();
    });
  });

  if (summaryButton) summaryButton.addEventListener("click", function () {
    panelOpen = !panelOpen;
    render();
  });

  if (syncButton) syncButton.addEventListener("click", function () {
    sync({ force: true });
  });

  // --- the Today list kept on the phone ------------------------------------------------------

  function expireKept() {
    return kv.get("today", kept).then(function (data) {
      if (!data) return;
      var days = (data.payload && data.payload.keep_days) || 3;
      var tooOld = Date.now() - data.savedAt > days * DAY_MS;
      var someoneElse = pageUser && data.user !== pageUser;
      if (tooOld || someoneElse) return kv.del("today", kept);
    });
  }

  function markKept(data) {
    if (data && (!state.user || data.user === state.user)) {
      root.dataset.keptAt = String(data.savedAt);
      state.stateLabels = data.payload.state_labels || {};
    }
  }

  function refreshKept(force) {
    if (!pageUser || !navigator.onLine) return Promise.resolve();
    return kv.get("today", kept).then(function (data) {
      markKept(data);
      if (!force && data && data.user === pageUser && Date.now() - data.savedAt < REFRESH_EVERY_MS) return;
      return fetch(T.dataUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (payload) {
          if (!payload || payload.user !== pageUser) return;
          var record = { user: payload.user, savedAt: Date.now(), payload: payload };
          return kv.set("today", record, kept).then(function () {
            markKept(record);
            refreshOfflinePage();
          });
        });
    }).catch(function () { /* no signal: the list on the phone stays as it is */ });
  }

  // --- the service worker ----------------------------------------------------------------------

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !T.swUrl) return;
    navigator.serviceWorker.register(T.swUrl, { scope: "/" }).catch(function () { /* plain pages still work */ });
  }

  function refreshOfflinePage() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "refresh-offline-page" });
    });
  }

  // At logout, before the request and again on the logged-out page (where the page before
  // had no outbox script): what the person logging out may not leave behind — the Today
  // list kept here, who was last logged in, this tab's messages. The outbox is not
  // touched: its items belong to their authors (the logout warning deletes the person's own
  // only when they say so). Nor is the service worker's cache: it holds the app's files
  // and the offline page rendered for nobody, which the next person needs without signal.
  // The server's Clear-Site-Data says "cache" only, for the same reason (README).
  function wipe() {
    var jobs = supported ? [kv.delMany(["today", "meta"], kept)] : [];
    try { sessionStorage.clear(); localStorage.removeItem(INSTALL_KEY); } catch (e) { /* nothing kept there */ }
    return Promise.all(jobs.map(function (job) { return job.catch(function () {}); }));
  }

  // --- logout: never deletes unsent items without saying so, never anyone else's -------------

  function logOut(form, deleteOwn) {
    form.dataset.confirmed = "1";
    var own = ownItems().map(function (i) { return i.id; });
    var job = deleteOwn && own.length ? kv.delMany(own, outbox) : Promise.resolve();
    // Without signal the logout cannot reach the server: the person stays logged in and
    // keeps their Today on the phone (the logged-out page wipes it once it succeeds).
    if (navigator.onLine) job = job.then(wipe, wipe);
    job.then(function () { form.submit(); }, function () { form.submit(); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!supported || sameOriginPath(form.getAttribute("action") || "") !== T.logoutUrl || form.dataset.confirmed) return;
    event.preventDefault();
    load().then(function () {
      var own = tallied(ownItems()).length;  // a photo behind its visit is part of it
      if (!own) return logOut(form, false);
      var old = document.getElementById("logout-warning");
      if (old) old.remove();
      var sendNow = button(T.tLogoutSend, "send", { className: "button wide primary" });
      var keep = button(T.tLogoutKeep, "keep", { className: "button wide" });
      var drop = button(T.tLogoutDelete, "delete", { className: "button wide danger" });
      var box = el("div", { id: "logout-warning", className: "form-error stack", role: "alert" }, [
        el("p", { text: fill(T.tLogoutWarn, { n: own }) }), navigator.onLine ? sendNow : null, keep, drop,
      ]);
      form.parentNode.insertBefore(box, form);
      sendNow.addEventListener("click", function () { box.remove(); sync({ force: true }); });
      keep.addEventListener("click", function () { logOut(form, false); });
      drop.addEventListener("click", function () {
        // Twice, never by accident, as a discard in the list: the second button says what goes.
        if (drop.dataset.action !== "delete-confirmed") {
          drop.dataset.action = "delete-confirmed";
          drop.textContent = fill(T.tLogoutDeleteConfirm, { n: own });
          drop.className = "button wide danger confirm";
          return;
        }
        logOut(form, true);
      });
    });
  }, true);

  // --- the errand page's step buttons, pressed without signal ------------------------------------

  // The step waits in the outbox like one taken on the offline page; the reload then shows
  // the offline page's view of the errand, with the step waiting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!supported || navigator.onLine || event.defaultPrevented || !state.user) return;
    var errandId = matchPath(T.errandUrl + "act/", ERRAND_ID, "[0-9a-f-]{36}", sameOriginPath(form.getAttribute("action") || ""));
    var action = form.elements.namedItem("action");
    var version = form.elements.namedItem("version");
    if (!errandId || !action || !version) return;
    event.preventDefault();
    var note = form.elements.namedItem("note");
    var reason = form.elements.namedItem("reason");
    var pressed = (event.submitter && event.submitter.textContent.trim()) || action.value;
    kv.get("today", kept).then(function (data) {
      var errand = data && data.user === state.user ? data.payload.errands.filter(function (e) { return e.id === errandId; })[0] : null;
      var heading = document.querySelector("h1");
      return put([{
        id: newId(), kind: "transition", user: state.user, createdAt: new Date().toISOString(), state: "waiting",
        errand: errandId, action: action.value, version: Number(version.value),
        note: note ? note.value.trim() : "", reason: reason ? reason.value.trim() : "",
        label: { action: pressed, number: errand ? errand.number : "", name: errand ? errand.resident.name : (heading ? heading.textContent : ""),
                 service: errand ? errand.service : "" },
      }]);
    }).then(function () {
      flash(T.tQueued);
      location.reload();
    });
  });

  // --- the install hint --------------------------------------------------------------------------

  function installDismissed() {
    try { return Date.now() - Number(localStorage.getItem(INSTALL_KEY) || 0) < 30 * DAY_MS; } catch (e) { return true; }
  }

  function setUpInstallHint() {
    var box = document.getElementById("offline-install");
    if (!box || !pageUser) return;
    var installButton = document.getElementById("offline-install-button");
    var prompt = null;
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      prompt = event;
      if (installDismissed()) return;
      installButton.hidden = false;
      box.hidden = false;
    });
    installButton.addEventListener("click", function () {
      if (!prompt) return;
      prompt.prompt();
      prompt = null;
      box.hidden = true;
    });
    document.getElementById("offline-install-dismiss").addEventListener("click", function () {
      try { localStorage.setItem(INSTALL_KEY, String(Date.now())); } catch (e) { /* asked again next time */ }
      box.hidden = true;
    });
    var ios = /iphone|ipad|ipod/i.test(navigator.userAgent) && !navigator.standalone;
    if (ios && !installDismissed()) {
      document.getElementById("offline-install-ios").hidden = false;
      document.getElementById("offline-install-text").hidden = true;
      box.hidden = false;
    }
  }

  // --- the offline page: Today, a visit form, an errand's next steps from the phone --------------

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function addDays(iso, days) {
    var d = new Date(iso + "T12:00:00");
    d.setDate(d.getDate() + days);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function daysBetween(from, to) {
    return Math.round((new Date(to + "T12:00:00") - new Date(from + "T12:00:00")) / DAY_MS);
  }

  function counted(forms, n) { return fill(n === 1 ? forms.one : forms.other, { days: n }); }

  // The offline page stands in for whatever page could not load: draw the one asked for.
  function shellRoute() {
    var resident = matchPath(T.visitUrl, VISIT_ID, "\\d+");
    if (resident) return { view: "visit", id: Number(resident) };
    var errand = matchPath(T.errandUrl, ERRAND_ID, "[0-9a-f-]{36}");
    if (errand) return { view: "errand", id: errand };
    return { view: "today" };
  }

  function renderShell() {
    var app = document.getElementById("offline-app");
    if (!app || !supported) return Promise.resolve();
    var words = JSON.parse(document.getElementById("offline-strings").textContent);
    var view = document.getElementById("offline-view");
    var notice = document.getElementById("offline-notice");
    return kv.get("today", kept).then(function (data) {
      view.textContent = "";
      if (!data || !state.user || data.user !== state.user) {
        view.appendChild(el("p", { className: "card empty", text: words.noData }));
        return;
      }
      markKept(data);
      // How old the list is, in days: after a week without signal the due dates say less.
      var age = Math.floor((Date.now() - data.savedAt) / DAY_MS);
      notice.textContent = age >= 1 ? fill(age === 1 ? words.savedAgo.one : words.savedAgo.other, { days: age, time: clock(data.savedAt) })
        : fill(words.savedAt, { time: clock(data.savedAt) });
      notice.dataset.age = String(age);
      notice.hidden = false;
      var route = shellRoute();
      if (route.view === "visit") return shellVisit(view, words, data.payload, route.id);
      if (route.view === "errand") return shellErrand(view, words, data.payload, route.id);
      return shellToday(view, words, data.payload);
    });
  }

  function bucketOf(dueOn, day) {
    if (dueOn < day) return "overdue";
    if (dueOn === day) return "today";
    if (dueOn < addDays(day, 7)) return "week";
    return "later";
  }

  function dueText(words, bucket, dueOn, day) {
    if (bucket === "overdue") return counted(words.overdue, daysBetween(dueOn, day));
    if (bucket === "today") return words.dueToday;
    if (bucket === "week") return counted(words.dueIn, daysBetween(day, dueOn));
    return words.due.later;
  }

  function shellToday(view, words, payload) {
    var day = today();
    var visited = {};
    var stepped = {};
    ownItems().forEach(function (i) {  // nobody else's: not even whom they visited
      if (i.kind === "visit") visited[i.fields.resident] = true;
      if (i.kind === "transition") stepped[i.errand] = true;
    });
    view.appendChild(el("div", { className: "page-head" }, [el("h1", { text: words.todayTitle })]));
    if (payload.errands.length) {
      var errands = el("ul", { className: "card-list" });
      payload.errands.forEach(function (e) {
        var overdue = e.due_on < day && ["requested", "accepted", "in_progress", "needs_materials"].indexOf(e.state) >= 0;
        errands.appendChild(el("li", {}, [el("a", { className: "row-link errand-row" + (overdue ? " overdue" : ""), href: errandUrl(e.id) }, [
          el("span", { className: "row-title", text: e.service }),
          el("span", { className: "due-flag" + (overdue ? " due-overdue" : ""),
                       text: overdue ? counted(words.overdue, daysBetween(e.due_on, day)) : fill(words.errandDue, { date: e.due_on.slice(5) }) }),
          el("span", { className: "row-meta", text: [e.resident.name, e.state_label, e.number, stepped[e.id] ? words.stepWaiting : ""].filter(Boolean).join(" · ") }),
        ])]));
      });
      view.appendChild(el("section", { className: "card my-errands" }, [el("h2", { text: words.myErrands }), errands]));
    }
    shellWalkingRoute(view, words, payload, day, visited);
    var groups = { overdue: [], today: [], week: [] };
    payload.residents.forEach(function (r) {
      var bucket = bucketOf(r.due_on, day);
      if (groups[bucket]) groups[bucket].push(r);
    });
    ["overdue", "today", "week"].forEach(function (bucket) {
      var rows = groups[bucket];
      var section = el("section", { className: "due-section" }, [
        el("h2", { className: "due-heading due-" + bucket }, [document.createTextNode(words.due[bucket] + " "),
          el("span", { className: "count", text: String(rows.length) })]),
      ]);
      if (!rows.length) section.appendChild(el("p", { className: "empty", text: words.nobody }));
      else {
        var ul = el("ul", { className: "card-list columns" });
        rows.forEach(function (r) {
          ul.appendChild(el("li", { className: "due-item" }, [
            el("div", { className: "row-link resident-row due-" + bucket }, [
              el("span", { className: "row-title", text: r.name }),
              el("span", { className: "due-flag due-" + bucket, text: visited[r.id] ? words.visitSaved : dueText(words, bucket, r.due_on, day) }),
              el("span", { className: "row-meta", text: [r.national_id_masked, r.care_level].filter(Boolean).join(" · ") }),
              el("span", { className: "row-meta", text: r.address }),
            ]),
            el("a", { className: "button primary visit-button", href: visitUrl(r.id), text: words.visit,
                      "aria-label": fill(words.visitAria, { name: r.name }) }),
          ]));
        });
        section.appendChild(ul);
      }
      view.appendChild(section);
    });
    if (!payload.residents.length) view.appendChild(el("p", { className: "card empty", text: words.allVisited }));
  }

  // 今日路线 from the kept list: the residents due by today with a home location, in
  // walking order from the grid point (static/daiban/route.js, kept on the phone). No map:
  // Leaflet and the tiles are not kept; the numbered list and its distances are.
  function shellWalkingRoute(view, words, payload, day, visited) {
    var R = words.route;
    var stops = payload.residents.filter(function (r) { return r.home && r.due_on <= day; });
    if (!window.DaibanRoute || !R || !stops.length) return;
    var section = el("section", { className: "card stack", id: "offline-route", hidden: true });
    var button = el("button", { type: "button", className: "button wide", id: "offline-route-button", text: R.button });
    button.addEventListener("click", function () {
      var start = payload.route_start ? { lat: payload.route_start[0], lng: payload.route_start[1] }
        : { lat: stops[0].home[0], lng: stops[0].home[1] };
      var result = window.DaibanRoute.plan(start, stops.map(function (r) { return { lat: r.home[0], lng: r.home[1], resident: r }; }));
      section.textContent = "";
      section.appendChild(el("h2", { text: R.title }));
      section.appendChild(el("p", { className: "route-summary", role: "status", text: R.fromPoint + " · " + fill(R.summary, {
        stops: result.order.length, km: (result.metres / 1000).toFixed(1), minutes: result.minutes }) }));
      var list = el("ol", { className: "card-list route-list", id: "offline-route-list" });
      result.order.forEach(function (stop, i) {
        var r = stop.resident;
        list.appendChild(el("li", { className: "route-stop card" }, [
          el("span", { className: "route-number", text: String(i + 1), "aria-hidden": "true" }),
          el("div", { className: "route-body" }, [
            el("span", { className: "row-title", text: r.name }),
            el("span", { className: "row-meta", text: r.address }),
            el("span", { className: "row-meta route-leg", text: fill(i ? R.leg : R.legFirst, { m: Math.round(result.legs[i]) }) }),
            el("div", { className: "route-actions" }, [visited[r.id] ? el("span", { className: "due-flag", text: words.visitSaved })
              : el("a", { className: "button primary small", href: visitUrl(r.id), text: words.visit, "aria-label": fill(words.visitAria, { name: r.name }) })]),
          ]),
        ]));
      });
      section.appendChild(list);
      section.hidden = false;
      button.hidden = true;
    });
    view.appendChild(button);
    view.appendChild(section);
  }

  function shellVisit(view, words, payload, residentId) {
    var resident = payload.residents.filter(function (r) { return r.id === residentId; })[0];
    if (!resident) {
      view.appendChild(el("p", { className: "card empty", text: words.notInList }));
      view.appendChild(el("a", { className: "button wide", href: T.homeUrl, text: words.backToday }));
      return;
    }
    var template = document.getElementById("offline-visit-template");
    view.appendChild(template.content.cloneNode(true));
    view.querySelector("[data-slot=title]").textContent = fill(words.visitTitle, { name: resident.name });
    view.querySelector("[data-slot=address]").textContent = resident.address;
    document.title = fill(words.visitTitle, { name: resident.name });
    var form = view.querySelector("#visit-form");
    form.dataset.resident = String(resident.id);
    form.dataset.residentName = resident.name;
    form.dataset.sent = fill(form.dataset.sent, { name: resident.name });
    var config = el("script", { type: "application/json", id: "visit-config" });
    config.textContent = JSON.stringify(Object.assign({ home: resident.home }, payload.visit_rules || {}));
    view.appendChild(config);
    if (window.DaibanVisitForm) window.DaibanVisitForm.init(form);
  }

  function shellErrand(view, words, payload, errandId) {
    var errand = payload.errands.filter(function (e) { return e.id === errandId; })[0];
    if (!errand) {
      view.appendChild(el("p", { className: "card empty", text: words.errandNotInList }));
      view.appendChild(el("a", { className: "button wide", href: T.homeUrl, text: words.backToday }));
      return;
    }
    document.title = errand.number;
    view.appendChild(el("nav", { className: "breadcrumb" }, [el("a", { href: T.homeUrl, text: words.backToday })]));
    view.appendChild(el("div", { className: "page-head row" }, [
      el("h1", { text: errand.service }), el("span", { className: "badge state-" + errand.state, text: errand.state_label }),
    ]));
    var facts = words.errandFacts;
    view.appendChild(el("section", { className: "card" }, [el("dl", { className: "facts" }, [
      el("dt", { text: facts.number }), el("dd", { text: errand.number }),
      el("dt", { text: facts.resident }), el("dd", { text: errand.resident.name + " · " + errand.resident.address }),
      el("dt", { text: facts.due }), el("dd", { text: errand.due_on }),
    ])]));
    var pending = ownItems().filter(function (i) { return i.kind === "transition" && i.errand === errand.id; })[0];
    var card = el("section", { className: "card actions stack", id: "offline-errand-actions" }, [el("h2", { text: words.nextStep })]);
    view.appendChild(card);
    if (pending) {
      card.appendChild(el("p", { className: "offline-pending", role: "status", text: fill(words.pendingStep, { action: pending.label.action }) }));
      return;
    }
    if (!errand.next_actions.length) {
      card.appendChild(el("p", { className: "muted", text: words.noSteps }));
      return;
    }
    errand.next_actions.forEach(function (step, index) {
      var form = el("form", { className: "action-form stack", "data-step": step.action });
      var field = null;
      if (step.field) {
        var fieldId = "offline-" + step.action + "-" + step.field;
        field = el("textarea", { id: fieldId, name: step.field, rows: "2", maxlength: step.max_length ? String(step.max_length) : null, required: step.action !== "escalate" ? "required" : null });
        form.appendChild(el("label", { "for": fieldId, text: step.prompt }));
        form.appendChild(field);
      }
      form.appendChild(el("button", { type: "submit", className: "button wide big" + (index === 0 && !step.field ? " primary" : "") + (step.action === "cancel" ? " danger" : ""), text: step.label }));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (field && field.required && !field.value.trim()) {
          field.setCustomValidity(words.fieldMissing);
          field.reportValidity();
          field.setCustomValidity("");
          return;
        }
        var item = {
          id: newId(), kind: "transition", user: state.user, createdAt: new Date().toISOString(), state: "waiting",
          errand: errand.id, action: step.action, version: errand.version,
          note: step.field === "note" && field ? field.value.trim() : "",
          reason: step.field === "reason" && field ? field.value.trim() : "",
          label: { action: step.label, number: errand.number, name: errand.resident.name, service: errand.service },
        };
        put([item]).then(function () {
          flash(fill(words.stepQueued, { action: step.label }));
          location.reload();
        });
      });
      card.appendChild(form);
    });
  }

  // --- what the visit form uses ------------------------------------------------------------------

  function put(items) {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    items.forEach(function (item) {
      // Its author, by name too: on a shared phone the others are told whose it is.
      if (item.user === undefined || item.user === null) item.user = state.user;
      if (item.user === state.user && !item.userName) item.userName = state.userName;
    });
    return kv.setMany(items.map(function (item) { return [item.id, item]; }), outbox).then(load).then(render);
  }

  var ready = Promise.resolve();

  window.DaibanOffline = {
    supported: supported,
    words: T,
    ready: Promise.resolve(),
    user: function () { return state.user; },
    newId: newId,
    put: put,
    get: function (id) { return kv.get(id, outbox); },
    items: function () { return state.items.slice(); },
    shrink: shrink,
    room: room,
    settled: settled,
    // A kept photo made smaller (the visit form, once it has done so).
    replacePhoto: function (id, small) {
      return changeItem(id, function (i) { i.blob = small.blob; i.name = small.name; i.raw = false; }).then(load).then(render);
    },
    remove: function (ids) { return kv.delMany(ids, outbox).then(load).then(render); },
    sync: sync,
    flash: flash,
  };

  // --- start ---------------------------------------------------------------------------------------

  showFlash();
  if (!supported) return;
  var loggedOut = /[?&]logged_out=1/.test(location.search);
  // Once only: a tab left on this address and reloaded later must not delete the Today
  // list another tab's login has kept since.
  if (loggedOut) history.replaceState(null, "", location.pathname);
  ready = (loggedOut ? wipe() : Promise.resolve()).then(function () {
    if (pageUser) return setMeta(function (meta) { meta.lastUser = pageUser; meta.lastUserName = pageUserName; });
  }).then(expireKept).then(function () {
    // A week without signal: the browser must not clear the outbox to make room.
    if (fieldWorker || isShell) return askPersistence();
  }).then(load).then(function () {
    render();
    registerWorker();
    setUpInstallHint();
  });
  window.DaibanOffline.ready = ready;
  ready.then(function () {
    var shell = isShell ? new Promise(function (resolve) {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve);
      else resolve();
    }).then(renderShell) : Promise.resolve();
    return shell.then(sendThenRefresh);
  });

  // The outbox first, then the list: one request at a time on a weak connection.
  function sendThenRefresh() {
    return (hasSendable() ? sync() : Promise.resolve()).then(function () { return refreshKept(false); });
  }

  window.addEventListener("online", function () {
    render();
    sendThenRefresh();
    if (isShell) {
      var notice = document.getElementById("offline-notice");
      if (notice && !document.getElementById("offline-reload")) {
        notice.textContent = T.tBackOnline + " ";
        notice.appendChild(el("a", { id: "offline-reload", href: location.href, text: T.tReload }));
        notice.hidden = false;
      }
    }
  });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && hasSendable()) sync();
  });
  setInterval(function () { if (hasSendable()) sync(); }, SYNC_EVERY_MS);
})();
