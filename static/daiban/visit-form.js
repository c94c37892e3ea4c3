/* Visit form: takes the phone's position while the worker fills in the form, keeps the
   most accurate fix in the hidden fields, and says plainly how good it is. The server
   recomputes the distance from the home; this only tells the worker early.

   Saving goes through the outbox (static/daiban/offline.js): the visit, its photos as
   the camera took them and any errand noted with it are put on the phone first, in one
   go, before any slow work; then the photos are made smaller (1600 px JPEG, as the
   server would store them) and kept so, and everything is sent to the API, the record
   before its photos. A worker who leaves while a photo is being made smaller loses
   nothing: the outbox makes it smaller before sending it. A photo the phone has no room
   for is refused when it is chosen, and again when the visit is saved. With signal the
   worker sees the result at once, as before; without, the visit waits on the phone
   and the worker goes on. Without IndexedDB the form posts as a plain form. The same
   script drives the form of the offline page, which offline.js draws and then hands to
   DaibanVisitForm.init. */
(function () {
  "use strict";
  var PHOTOS_PER_VISIT = 6;  // settings.DAIBAN_PHOTOS_PER_VISIT
  var SEND_WAIT_MS = 25000;  // after this the visit stays on the phone and the worker goes on

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (_, key) { return values[key]; });
  }

  // Sentences ending in Chinese punctuation run on without a space; others get one.
  function join(text, more) {
    return /[。！？；]$/.test(text) ? text + more : text + " " + more;
  }

  function distance(lat1, lng1, lat2, lng2) {
    var r = 6371008.8, p1 = lat1 * Math.PI / 180, p2 = lat2 * Math.PI / 180;
    var dp = p2 - p1, dl = (lng2 - lng1) * Math.PI / 180;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The phone's time with its offset (2026-11-27T09:30:00+08:00), as the API asks.
  function localIso(d) {
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function startLocating(form, config) {
    var status = form.querySelector("#gps-status");
    var best = null;

    function show(position) {
      var c = position.coords;
      if (c.accuracy > config.maxAccuracy) {
        if (!best) status.textContent = fill(status.dataset.coarse, { accuracy: Math.round(c.accuracy) });
        return;
      }
      if (best && best.accuracy <= c.accuracy) return;
      best = { lat: c.latitude, lng: c.longitude, accuracy: c.accuracy };
      form.elements.lat.value = best.lat.toFixed(6);
      form.elements.lng.value = best.lng.toFixed(6);
      form.elements.accuracy_m.value = Math.round(best.accuracy);
      var text = fill(status.dataset.fix, { accuracy: Math.round(best.accuracy) });
      status.className = "gps-status ok";
      if (config.home) {
        var d = Math.round(distance(best.lat, best.lng, config.home[0], config.home[1]));
        text = join(text, fill(status.dataset.distance, { distance: d }));
        if (d > config.awayMeters) {
          text = join(text, fill(status.dataset.away, { limit: config.awayMeters }));
          status.className = "gps-status warn";
        }
      }
      status.textContent = text;
      form.dataset.located = "true";
    }

    function failed() {
      if (best) return;
      status.textContent = status.dataset.failed;
      status.className = "gps-status warn";
      var reason = form.querySelector("[name=no_location_reason]");
      if (reason) reason.focus({ preventScroll: true });
    }

    if (!("geolocation" in navigator)) {
      status.textContent = status.dataset.unsupported;
      return null;
    }
    status.textContent = status.dataset.waiting;
    return navigator.geolocation.watchPosition(show, failed, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  }

  function photoFiles(form) {
    return Array.prototype.slice.call((form.elements.namedItem("photos") || {}).files || []);
  }

  function bytesOf(files) {
    return files.reduce(function (sum, f) { return sum + (f.size || 0); }, 0);
  }

  // --- errors where the worker sees them ----------------------------------------------------------

  // The API names the service's fields; the form shows position problems by the reason.
  var FIELD_OF = { lat: "no_location_reason", lng: "no_location_reason", accuracy_m: "no_location_reason" };

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".outbox-error"), function (node) { node.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll(".field.has-outbox-error"), function (node) {
      node.classList.remove("has-outbox-error", "has-error");
    });
  }

  function fieldError(form, field, message) {
    var box = form.querySelector("#field-" + (FIELD_OF[field] || field));
    if (!box) return false;
    var p = document.createElement("p");
    p.className = "form-error outbox-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    box.classList.add("has-error", "has-outbox-error");
    box.appendChild(p);
    return true;
  }

  function showErrors(form, words, body) {
    var loose = [];
    ((body && body.errors) || []).forEach(function (e) {
      if (!e.field || !fieldError(form, e.field, e.message)) loose.push(e.message);
    });
    if (!(body && body.errors && body.errors.length) && body && body.message) loose.push(body.message);
    say(form, [words.tFix].concat(loose).join(" "));
    var first = form.querySelector(".outbox-error, #visit-outbox-message:not([hidden])");
    if (first) first.scrollIntoView({ block: "center" });
  }

  function say(form, text) {
    var box = form.querySelector("#visit-outbox-message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  // --- the outbox ---------------------------------------------------------------------------------

  function checked(form, name) {
    return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"), function (i) { return i.value; });
  }

  function value(form, name) {
    var field = form.elements.namedItem(name);
    return field && field.value !== undefined ? String(field.value).trim() : "";
  }

  function number(text) { return text === "" ? null : Number(text); }

  // What the server would refuse at once is said here, before anything is kept.
  function problems(form, words, photoCount) {
    var found = [];
    if (!value(form, "outcome")) found.push(["outcome", words.tOutcome]);
    if (!value(form, "lat") && !value(form, "no_location_reason")) found.push(["no_location_reason", words.tNoLocation]);
    if (photoCount > PHOTOS_PER_VISIT) found.push(["photos", fill(words.tTooMany, { n: PHOTOS_PER_VISIT })]);
    return found;
  }

  function nextPage(form) {
    if (document.getElementById("offline-app")) return form.dataset.next;
    // Back where the worker came from (Today, or the resident's page), as the plain form does.
    var from = document.referrer;
    try {
      var url = new URL(from);
      if (url.origin === location.origin && url.pathname !== location.pathname && !/[?&]outbox=/.test(url.search)) {
        return url.pathname + url.search;
      }
    } catch (e) { /* no referrer */ }
    return form.dataset.next;
  }

  function fillFrom(form, item, errand) {
    var fields = item.fields;
    Object.keys(fields).forEach(function (name) {
      var value = fields[name];
      var inputs = form.querySelectorAll("[name=" + name + "]");
      Array.prototype.forEach.call(inputs, function (input) {
        if (input.type === "radio" || input.type === "checkbox") {
          input.checked = Array.isArray(value) ? value.indexOf(input.value) >= 0 : String(value) === input.value;
        } else if (input.type !== "file" && value !== null && value !== undefined) {
          input.value = value;
        }
      });
    });
    if (errand) {
      form.elements.namedItem("errand_service").value = String(errand.fields.service);
      form.elements.namedItem("errand_description").value = errand.fields.description || "";
      form.dataset.errandItem = errand.id;
    }
    form.dataset.visitedAt = fields.visited_at;
    form.dataset.createdAt = item.createdAt;
  }

  function init(form) {
    var configNode = document.getElementById("visit-config");
    if (!form || !configNode || form.dataset.ready) return;
    form.dataset.ready = "1";
    var config = JSON.parse(configNode.textContent);
    var watch = startLocating(form, config);
    var offline = window.DaibanOffline;
    var words = form.querySelector("#visit-outbox-message").dataset;
    var idField = form.elements.namedItem("id");
    var keptPhotos = [];  // kept with the visit being fixed: photo items (or, saved before photos followed, its own)
    var legacyPhotos = [];
    var busy = false;
    var shrinking = 0;

    if (!offline || !offline.supported) {
      // No outbox on this browser: the plain form post (the offline page has no server form).
      form.addEventListener("submit", function () { if (watch !== null) navigator.geolocation.clearWatch(watch); });
      return;
    }
    if (!idField.value) idField.value = offline.newId();  // the offline page's form comes without one

    // A photo the phone cannot keep is refused when it is chosen, not when it is sent.
    var photoInput = form.elements.namedItem("photos");
    function refuseIfNoRoom(files) {
      if (!files.length) return Promise.resolve(true);
      return offline.room(bytesOf(files)).then(function (fits) {
        if (fits) return true;
        clearErrors(form);
        fieldError(form, "photos", words.tNoRoom);
        if (photoInput) photoInput.value = "";
        return false;
      }, function () { return true; });
    }
    if (photoInput) photoInput.addEventListener("change", function () { refuseIfNoRoom(photoFiles(form)); });

    // Leaving while photos are being made smaller: the visit and its photos are kept
    // already; the browser still asks, so that the worker knows it is busy.
    window.addEventListener("beforeunload", function (event) {
      if (!shrinking) return;
      event.preventDefault();
      event.returnValue = "";
    });

    // Opened from the list under the top bar to fix a visit the server refused.
    var fixing = new URLSearchParams(location.search).get("outbox");
    if (fixing) {
      offline.ready.then(function () { return offline.get(fixing); }).then(function (item) {
        if (!item || item.kind !== "visit" || item.user !== offline.user()) return;  // the author's only
        var errand = offline.items().filter(function (i) { return i.after === item.id && i.kind === "errand"; })[0];
        // The position is the one taken at the door, not where the worker fixes the visit.
        if (watch !== null) navigator.geolocation.clearWatch(watch);
        watch = null;
        fillFrom(form, item, errand);
        var gps = form.querySelector("#gps-status");
        gps.textContent = item.fields.lat !== null && item.fields.accuracy_m !== null
          ? fill(gps.dataset.fix, { accuracy: Math.round(item.fields.accuracy_m) }) : gps.dataset.failed;
        legacyPhotos = item.photos || [];
        keptPhotos = offline.items().filter(function (i) { return i.after === item.id && i.kind === "photo"; });
        var note = form.querySelector("#visit-kept-photos");
        if (keptPhotos.length + legacyPhotos.length) {
          note.textContent = fill(words.tKeptPhotos, { n: keptPhotos.length + legacyPhotos.length });
          note.hidden = false;
        }
        if (item.error) {
          if (((item.error.errors) || []).some(function (e) { return e.field === "visited_at"; })) {
            delete form.dataset.visitedAt;  // a wrong phone clock: saving again takes the time anew
          }
          showErrors(form, words, item.error);
        }
      });
    }

    function finish(text, url) {
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      offline.flash(text);
      location.assign(url || nextPage(form));
    }

    function unlock() {
      busy = false;
      form.querySelector("[type=submit]").disabled = false;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      clearErrors(form);
      var files = photoFiles(form);
      var found = problems(form, words, keptPhotos.length + legacyPhotos.length + files.length);
      if (found.length) {
        found.forEach(function (p) { fieldError(form, p[0], p[1]); });
        say(form, "");
        var first = form.querySelector(".outbox-error");
        if (first) first.scrollIntoView({ block: "center" });
        return;
      }
      busy = true;
      form.querySelector("[type=submit]").disabled = true;
      say(form, "");
      var visitId = idField.value;
      var residentId = Number(form.dataset.resident);
      var name = form.dataset.residentName;
      // The visit's time is when it was first saved; sending it again must not change it.
      form.dataset.visitedAt = form.dataset.visitedAt || localIso(new Date());
      var createdAt = form.dataset.createdAt || new Date().toISOString();
      var service = value(form, "errand_service");
      var errandId = service ? (form.dataset.errandItem || offline.newId()) : null;
      var kept = false;  // the visit is in the outbox: from then on only the outbox sends it
      var fresh = files.map(function (file, index) {
        return { id: offline.newId(), file: file, name: file.name || "photo-" + (index + 1) + ".jpg" };
      });

      refuseIfNoRoom(files).then(function (fits) {
        if (!fits) throw { refused: true };
        var visit = {
          id: visitId, kind: "visit", user: offline.user(), createdAt: createdAt, state: "waiting",
          label: { name: name },
          fields: {
            id: visitId, resident: residentId, visited_at: form.dataset.visitedAt, outcome: value(form, "outcome"),
            lat: number(value(form, "lat")), lng: number(value(form, "lng")), accuracy_m: number(value(form, "accuracy_m")),
            no_location_reason: value(form, "no_location_reason"), health: value(form, "health"),
            health_notes: value(form, "health_notes"), living_notes: value(form, "living_notes"),
            hazards: checked(form, "hazards"), hazard_notes: value(form, "hazard_notes"), needs: value(form, "needs"),
            photos_expected: keptPhotos.length + legacyPhotos.length + fresh.length,
          },
          photos: legacyPhotos,
        };
        var items = [visit];
        // Each photo its own item, after the visit, under the key the server stores it by.
        fresh.forEach(function (photo) {
          items.push({
            id: photo.id, kind: "photo", user: offline.user(), createdAt: createdAt, state: "waiting", after: visitId,
            label: { name: name }, fields: { visit: visitId }, blob: photo.file, name: photo.name, raw: true,
          });
        });
        if (service) {
          var select = form.elements.namedItem("errand_service");
          items.push({
            id: errandId, kind: "errand", user: offline.user(), createdAt: createdAt, state: "waiting", after: visitId,
            label: { name: name, service: select.options[select.selectedIndex].text },
            fields: { id: errandId, resident: residentId, service: Number(service), source: "visit",
                      description: value(form, "errand_description") || visit.fields.needs, visit: visitId },
          });
        }
        var dropped = !service && form.dataset.errandItem ? [form.dataset.errandItem] : [];
        form.dataset.errandItem = errandId || "";
        form.dataset.createdAt = createdAt;
        return offline.put(items).then(function () {
          kept = true;
          // Kept: saving again (after a refusal) must not keep them a second time.
          keptPhotos = keptPhotos.concat(items.filter(function (i) { return i.kind === "photo"; }));
          if (photoInput) photoInput.value = "";
          if (keptPhotos.length) {
            var note = form.querySelector("#visit-kept-photos");
            note.textContent = fill(words.tKeptPhotos, { n: keptPhotos.length + legacyPhotos.length });
            note.hidden = false;
          }
          return dropped.length ? offline.remove(dropped) : null;
        });
      }).then(function () {
        // The slow part, once everything is kept: each photo made smaller and kept so.
        shrinking = fresh.length;
        return fresh.reduce(function (previous, photo) {
          return previous.then(function () {
            return offline.shrink(photo.file, photo.name).then(function (small) {
              return offline.replacePhoto(photo.id, small);
            }).then(function () { shrinking -= 1; });
          });
        }, Promise.resolve()).then(function () { shrinking = 0; }, function (error) { shrinking = 0; throw error; });
      }).then(function () {
        if (!navigator.onLine) return finish(offline.words.tQueued);
        var waited = new Promise(function (resolve) { setTimeout(function () { resolve(null); }, SEND_WAIT_MS); });
        // The visit's own answer (and its errand's) is enough: its photos follow in the background.
        var answered = offline.settled(visitId).then(function (outcome) {
          var results = {};
          results[visitId] = outcome;
          var ok = outcome.status === 200 || outcome.status === 201;
          if (!ok || !errandId) return { results: results };
          return offline.settled(errandId).then(function (errand) {
            results[errandId] = errand;
            return { results: results };
          });
        });
        return Promise.race([offline.sync(), answered, waited]).then(function (summary) {
          var result = summary && summary.results[visitId];
          if (!result) return finish(summary && summary.login ? offline.words.tQueuedLogin : offline.words.tQueued);
          if (result.status === 200 || result.status === 201) {
            var errand = errandId && summary.results[errandId];
            var opened = errand && (errand.status === 200 || errand.status === 201);
            return finish(form.dataset.sent, opened ? offline.words.errandUrl.replace("00000000-0000-0000-0000-000000000000", errandId) : null);
          }
          if (result.status === 422 || result.status === 400 || result.status === 413) {
            if (((result.body && result.body.errors) || []).some(function (e) { return e.field === "visited_at"; })) {
              delete form.dataset.visitedAt;  // a wrong phone clock: the next save takes the time anew
            }
            showErrors(form, words, result.body);
            return unlock();
          }
          if (result.status === 401 || result.status === 403) return finish(offline.words.tQueuedLogin);
          if (result.status === 0 || result.status >= 500) return finish(offline.words.tQueued);
          // 409 or 404: the visit stays on the phone; the list under the top bar offers the choices.
          say(form, fill(words.tNotSent, { message: (result.body && result.body.message) || "" }));
          return unlock();
        });
      }).catch(function (error) {
        if (error && error.refused) return unlock();  // no room for the photos: said at the field
        // Kept, then something failed while sending: the outbox sends it later. A plain
        // form now would store it a second time (the server's clock, another errand id).
        if (kept) return finish(offline.words.tQueued);
        // The phone could not keep the visit (storage full or blocked): send it as a plain
        // form, which needs signal; on the offline page, say so and keep the form filled in.
        if (watch !== null) navigator.geolocation.clearWatch(watch);
        if (!document.getElementById("offline-app")) {
          HTMLFormElement.prototype.submit.call(form);
        } else {
          say(form, words.tStoreFailed);
          unlock();
        }
      });
    });
  }

  window.DaibanVisitForm = { init: init };
  init(document.getElementById("visit-form"));
})();
