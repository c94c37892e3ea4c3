/* Visit form: takes the phone's position while the worker fills in the form, keeps the
   most accurate fix in the hidden fields, and says plainly how good it is. The server
   recomputes the distance from the home; this only tells the worker early. */
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  var status = document.getElementById("gps-status");
  var configNode = document.getElementById("visit-config");
  if (!form || !status || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var best = null;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
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
    var reason = document.getElementById("id_no_location_reason");
    if (reason) reason.focus({ preventScroll: true });
  }

  if (!("geolocation" in navigator)) {
    status.textContent = status.dataset.unsupported;
    return;
  }
  status.textContent = status.dataset.waiting;
  var watch = navigator.geolocation.watchPosition(show, failed, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  form.addEventListener("submit", function () { navigator.geolocation.clearWatch(watch); });
})();
