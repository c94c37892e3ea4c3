/* 今日路线: the day's stops in walking order.

   DaibanRoute.plan(start, stops) orders stops ({lat, lng, …}) into an open walk from
   start ({lat, lng}): nearest neighbour, then 2-opt (reverse any stretch that makes the
   walk shorter, until none does). Distances are straight lines on a local flat
   projection, good to a few metres across a town. It needs nothing but the points, so
   the offline Today can plan from the list kept on the phone.

   On the route page (#route) it reorders the server's list (urgency order, which is what
   shows without this script), numbers it, draws it on the map (numbered markers, the
   walk as a line; names only as text) and starts again from the phone's position when
   the worker asks. */
(function () {
  "use strict";

  var EARTH_M = 6371008.8;
  var WALK_M_PER_MIN = 75;  // 4.5 km/h
  var DETOUR = 1.3;  // streets are longer than straight lines

  function metres(a, b) {
    var rad = Math.PI / 180;
    var x = (b.lng - a.lng) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
    var y = (b.lat - a.lat) * rad;
    return Math.sqrt(x * x + y * y) * EARTH_M;
  }

  function plan(start, stops) {
    var points = [start].concat(stops);
    var n = points.length;
    var d = [];
    for (var i = 0; i < n; i++) {
      d.push(new Float64Array(n));
      for (var j = 0; j < i; j++) d[i][j] = d[j][i] = metres(points[i], points[j]);
    }
    // nearest neighbour from the start
    var path = [0];
    var left = [];
    for (var k = 1; k < n; k++) left.push(k);
    while (left.length) {
      var last = path[path.length - 1];
      var best = 0;
      for (var m = 1; m < left.length; m++) if (d[last][left[m]] < d[last][left[best]]) best = m;
      path.push(left.splice(best, 1)[0]);
    }
    // 2-opt on the open walk (the start stays first)
    var improved = true;
    var rounds = 0;
    while (improved && rounds < 100) {
      improved = false;
      rounds++;
      for (var a = 1; a < n - 1; a++) {
        for (var b = a + 1; b < n; b++) {
          var before = d[path[a - 1]][path[a]] + (b + 1 < n ? d[path[b]][path[b + 1]] : 0);
          var after = d[path[a - 1]][path[b]] + (b + 1 < n ? d[path[a]][path[b + 1]] : 0);
          if (after < before - 0.01) {
            path = path.slice(0, a).concat(path.slice(a, b + 1).reverse(), path.slice(b + 1));
            improved = true;
          }
        }
      }
    }
    var legs = [];
    var total = 0;
    for (var s = 1; s < n; s++) {
      legs.push(d[path[s - 1]][path[s]]);
      total += legs[legs.length - 1];
    }
    return {
      order: path.slice(1).map(function (index) { return stops[index - 1]; }),
      legs: legs,
      metres: total,
      minutes: Math.round((total * DETOUR) / WALK_M_PER_MIN)
    };
  }

  function length(start, stops) {
    var total = 0;
    var here = start;
    stops.forEach(function (stop) { total += metres(here, stop); here = stop; });
    return total;
  }

  window.DaibanRoute = { plan: plan, metres: metres, length: length };

  // --- the route page ----------------------------------------------------------------------

  var root = document.getElementById("route");
  if (!root) return;
  var list = document.getElementById("route-list");
  var summary = document.getElementById("route-summary");
  var hereButton = document.getElementById("route-here");
  var items = Array.prototype.slice.call(list.querySelectorAll("li[data-lat]"));
  var stops = items.map(function (item) {
    return { lat: parseFloat(item.dataset.lat), lng: parseFloat(item.dataset.lng), item: item,
      name: item.querySelector(".row-title").textContent };
  });
  var map = null;
  var layer = null;
  var pointStart = root.dataset.startLat ? { lat: parseFloat(root.dataset.startLat), lng: parseFloat(root.dataset.startLng) } : null;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  function numberIcon(n) {
    var label = document.createElement("span");
    label.className = "route-marker";
    label.textContent = String(n);
    return L.divIcon({ className: "map-pin", html: label, iconSize: [44, 44] });
  }

  function draw(start, result) {
    if (!map) return;
    if (layer) layer.remove();
    var line = [[start.lat, start.lng]].concat(result.order.map(function (s) { return [s.lat, s.lng]; }));
    layer = L.featureGroup([L.polyline(line, { color: "#b71c1c", weight: 4, opacity: 0.8 }),
      L.circleMarker([start.lat, start.lng], { radius: 8, color: "#1b5e20", fillColor: "#2e7d32", fillOpacity: 1 })]);
    result.order.forEach(function (stop, i) {
      L.marker([stop.lat, stop.lng], { icon: numberIcon(i + 1), keyboard: false })
        .bindTooltip(document.createTextNode((i + 1) + ". " + stop.name))
        .addTo(layer);
    });
    layer.addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [24, 24] });
  }

  function show(start, from) {
    if (!stops.length) return;
    var origin = start || stops[0];
    var result = plan(origin, stops);
    result.order.forEach(function (stop, i) {
      stop.item.querySelector(".route-number").textContent = String(i + 1);
      var leg = Math.round(result.legs[i]);
      stop.item.querySelector(".route-leg").textContent = fill(i ? root.dataset.leg : root.dataset.legFirst, { m: leg });
      list.appendChild(stop.item);
    });
    list.dataset.planned = "true";
    summary.textContent = from + " · " + fill(root.dataset.summary, {
      stops: stops.length, km: (result.metres / 1000).toFixed(1), minutes: result.minutes
    });
    draw(origin, result);
  }

  window.addEventListener("map:init", function (event) {
    map = event.detail.map;
    show(pointStart, root.dataset.fromPoint);
  });
  show(pointStart, root.dataset.fromPoint);

  if (navigator.geolocation && stops.length) {
    hereButton.hidden = false;
    hereButton.addEventListener("click", function () {
      summary.textContent = root.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        show({ lat: position.coords.latitude, lng: position.coords.longitude }, root.dataset.fromHere);
      }, function () {
        show(pointStart, root.dataset.noPosition);
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 120000 });
    });
  }
})();
