/* Maps: a resident's home pin (markers inline), or the network map that draws the user's area outlines and service points from the scoped
   GeoJSON endpoint. Needs no tile server: with none, areas sit on a plain background.
   The service points cluster when they would overlap (a city has over a thousand) where
   the page loads Leaflet.markercluster ({% leaflet_js plugins="markercluster" %}). */
(function () {
  "use strict";

  var TIERS = ["street_centre", "community_station", "grid_point"];  // dot.tier-* in app.css

  function readConfig() {
    var node = document.getElementById("map-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  function popupContent(props) {
    var wrap = document.createElement("div");
    var link = document.createElement(props.url ? "a" : "strong");
    if (props.url) link.href = props.url;
    link.textContent = props.name;
    wrap.appendChild(link);
    if (props.tierLabel) {
      wrap.appendChild(document.createElement("br"));
      wrap.appendChild(document.createTextNode(props.tierLabel));
    }
    return wrap;
  }

  function draw(map, config, data) {
    var status = document.getElementById("map-status");
    var areas = L.geoJSON(data, {
      filter: function (f) { return f.properties.kind === "area"; },
      style: function () { return { color: "#6d4c41", weight: 1.5, fillColor: "#fff3e0", fillOpacity: 0.45 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(document.createTextNode(f.properties.name), { sticky: true }); }
    }).addTo(map);
    var points = L.geoJSON(data, {
      filter: function (f) { return f.properties.kind === "point"; },
      pointToLayer: function (f, latlng) {
        var tier = TIERS.indexOf(f.properties.tier) < 0 ? "grid_point" : f.properties.tier;
        return L.marker(latlng, { icon: daibanMarkers.pin("dot tier-" + tier), keyboard: false });
      },
      onEachFeature: function (f, layer) { layer.bindPopup(popupContent(f.properties)); }
    });
    daibanMarkers.clusters("points").addLayer(points).addTo(map);
    if (config.focus) {
      map.setView(config.focus, 15);
      L.circleMarker(config.focus, { radius: 14, color: "#b71c1c", weight: 3, fill: false }).addTo(map);
    } else {
      var bounds = areas.getBounds();
      if (!bounds.isValid()) bounds = points.getBounds();
      map.options.zoomSnap = 0.25;  // fill a narrow phone screen instead of the next whole zoom
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    }
    if (status) {
      status.textContent = status.dataset.loaded || "";
    }
    map.getContainer().dataset.features = String(data.features.length);
  }

  function drawMarkers(map, markers) {
    var group = L.featureGroup(markers.map(function (m) {
      return L.circleMarker([m.lat, m.lng], { radius: 10, color: "#7f0000", fillColor: "#c62828", fillOpacity: 0.9, weight: 2 })
        .bindTooltip(document.createTextNode(m.label || ""));
    })).addTo(map);
    map.setView(group.getBounds().getCenter(), 16);
  }

  // Leaflet labels its zoom buttons in English; the section around the map carries the
  // page-language labels (and the app's name for the attribution corner).
  function localiseControls(map) {
    var labels = map.getContainer().closest("[data-zoom-in]");
    if (!labels) return;
    if (map.zoomControl) {
      map.removeControl(map.zoomControl);
      map.zoomControl = L.control.zoom({ zoomInTitle: labels.dataset.zoomIn, zoomOutTitle: labels.dataset.zoomOut }).addTo(map);
    }
    if (map.attributionControl) map.attributionControl.setPrefix(labels.dataset.attribution || false);
  }

  window.addEventListener("map:init", function (event) {
    var map = event.detail.map;
    var config = readConfig();
    localiseControls(map);
    if (config.markers) { drawMarkers(map, config.markers); return; }
    if (!config.dataUrl) return;
    fetch(config.dataUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { draw(map, config, data); })
      .catch(function () {
        var status = document.getElementById("map-status");
        if (status) status.textContent = status.dataset.failed || "";
      });
  });
})();
