/* A joint branch's paired points on a map: red where no activity was held for the
   neglect period, green where it was. Data from the branch's scoped GeoJSON endpoint
   (config.dataUrl, passed with json_script); a popup leads to the point's row in the
   list below the map. Needs no tile server: with none, points sit on a plain background.
   Points cluster when they would overlap (Leaflet.markercluster); a cluster holding a
   neglected point is red. */
(function () {
  "use strict";

  function holdsNeglected(cluster) {
    return cluster.getAllChildMarkers().some(function (m) { return m.feature.properties.neglected; }) ? "neglected" : "recent";
  }

  function readConfig() {
    var node = document.getElementById("map-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  function popupContent(props) {
    var wrap = document.createElement("div");
    var link = document.createElement("a");
    link.href = props.anchor;
    link.textContent = props.name;
    wrap.appendChild(link);
    wrap.appendChild(document.createElement("br"));
    wrap.appendChild(document.createTextNode(props.summary));
    return wrap;
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

  function draw(map, data) {
    var points = L.geoJSON(data, {
      pointToLayer: function (f, latlng) {
        var shape = f.properties.neglected ? "dot point-neglected" : "dot point-recent";
        return L.marker(latlng, { icon: daibanMarkers.pin(shape), keyboard: false });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(popupContent(f.properties));
        layer.bindTooltip(document.createTextNode(f.properties.name));
      }
    });
    daibanMarkers.clusters(holdsNeglected).addLayer(points).addTo(map);
    var bounds = points.getBounds();
    map.options.zoomSnap = 0.25;  // fill a narrow phone screen instead of the next whole zoom
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    var container = map.getContainer();
    container.dataset.features = String(data.features.length);
    container.dataset.neglected = String(data.features.filter(function (f) { return f.properties.neglected; }).length);
  }

  window.addEventListener("map:init", function (event) {
    var map = event.detail.map;
    var config = readConfig();
    localiseControls(map);
    if (!config.dataUrl) return;
    fetch(config.dataUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { draw(map, data); })
      .catch(function () {
        var status = document.getElementById("map-status");
        if (status) status.textContent = status.dataset.failed || "";
      });
  });
})();
