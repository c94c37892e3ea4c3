/* The coverage map: draws the parts of the area opened, coloured by coverage (band-*
   classes, coloured in coverage.css), and the overlays ticked below the map, from the
   scoped GeoJSON endpoints named by the panel (#coverage-state). Needs no tile server.

   The panel beside the map is swapped by htmx (breadcrumb, period, table links); after
   each swap the map follows the panel's new state. Clicking an area drills down by
   clicking that area's link in the table, so the map and the plain links take the same
   road (and Back works through htmx's history). On a touch screen the first tap shows the
   figures, with a button to open the area. */
(function () {
  "use strict";

  var map = null;
  var areas = null;
  var areasUrl = null;
  var areasZoom = null;
  var overlays = {};
  var selected = null;
  var labels = {};
  var touchOnly = window.matchMedia && window.matchMedia("(hover: none)").matches;

  var ICON_SIZES = {
    street_centre: 20, community_station: 16, grid_point: 14, branch: 18, missed: 12, errand: 14
  };

  function state() {
    var node = document.getElementById("coverage-state");
    return node ? node.dataset : null;
  }

  function status(text) {
    var node = document.getElementById("map-status");
    if (node) node.textContent = text || "";
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function line(parent, label, value) {
    parent.appendChild(el("div", "", label + ": " + value));
  }

  function figures(props, withButton) {
    var wrap = el("div", "coverage-figures");
    wrap.appendChild(el("strong", "", props.name));
    if (props.percent === null) {
      wrap.appendChild(el("div", "", labels.noResidents));
    } else {
      line(wrap, labels.onTime, props.percent + " % (" + props.onTime + "/" + props.active + ")");
      line(wrap, labels.missed, props.missed);
    }
    line(wrap, labels.visits, props.visits);
    line(wrap, labels.flagged, props.visitsAway + props.visitsNoLocation);
    if (withButton && props.drill) {
      var open = el("a", "button small", labels.open);
      open.href = props.url;
      open.addEventListener("click", function (event) {
        if (drill(props.id)) event.preventDefault();
      });
      wrap.appendChild(open);
    }
    return wrap;
  }

  // The table's link for the area: clicking it is what a user would do, so htmx swaps
  // the panel, pushes the address, and the map follows (see refresh).
  function drill(id) {
    var link = document.querySelector('#coverage-panel [data-area-link="' + id + '"]');
    if (!link) return false;
    link.click();
    return true;
  }

  function select(layer) {
    if (selected && selected !== layer) L.DomUtil.removeClass(selected.getElement(), "selected");
    selected = layer;
    if (layer.getElement()) L.DomUtil.addClass(layer.getElement(), "selected");
  }

  function drawAreas(data, fit) {
    if (areas) map.removeLayer(areas);
    selected = null;
    areas = L.geoJSON(data, {
      style: function (feature) {
        var props = feature.properties;
        return { className: "coverage-area band-" + props.band + " area-" + props.id, weight: 1.5, color: "#ffffff" };
      },
      onEachFeature: function (feature, layer) {
        var props = feature.properties;
        if (!touchOnly) layer.bindTooltip(function () { return figures(props, false); }, { sticky: true });
        layer.on("click", function () {
          if (props.drill && (!touchOnly || selected === layer)) {
            drill(props.id);
            return;
          }
          select(layer);
          layer.bindPopup(figures(props, true)).openPopup();
        });
      }
    }).addTo(map);
    areas.bringToBack();
    var container = map.getContainer();
    container.dataset.features = String(data.features.length);
    container.dataset.area = data.properties.area === null ? "" : String(data.properties.area);
    if (fit) {
      var bounds = areas.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    }
  }

  function loadAreas(url, zoom) {
    var fit = zoom === undefined;
    var full = zoom === undefined ? url : url + "&zoom=" + zoom;
    return getJSON(full).then(function (data) {
      if (url !== areasUrl) return;  // the user has moved on meanwhile
      areasZoom = data.properties.zoom;
      drawAreas(data, fit);
      status("");
    });
  }

  function markerIcon(className, size) {
    return L.divIcon({
      className: "cov-marker",
      html: '<span class="cov-icon ' + className + '"></span>',
      iconSize: [size + 8, size + 8]
    });
  }

  function popupFor(kind, props) {
    var wrap = el("div", "coverage-figures");
    var link = el("a", "", kind === "errands" ? props.number : props.name);
    link.href = props.url;
    wrap.appendChild(link);
    if (kind === "points") wrap.appendChild(el("div", "", props.tierLabel));
    if (kind === "branch_points") line(wrap, labels.pairedWith, props.branches.join("、"));
    if (kind === "missed") {
      wrap.appendChild(el("div", "", props.address));
      line(wrap, labels.daysOverdue, props.daysOverdue);
    }
    if (kind === "errands") {
      wrap.appendChild(el("div", "", props.service));
      line(wrap, labels.resident, props.resident);
      line(wrap, labels.daysOverdue, props.daysOverdue);
    }
    return wrap;
  }

  function iconFor(kind, props) {
    if (kind === "points") return markerIcon("tier-" + props.tier, ICON_SIZES[props.tier] || 14);
    if (kind === "branch_points") return markerIcon("branch-point", ICON_SIZES.branch);
    if (kind === "missed") return markerIcon("missed", ICON_SIZES.missed);
    return markerIcon("errand", ICON_SIZES.errand);
  }

  function loadOverlay(kind) {
    var current = state();
    if (!current) return;
    var url = current.layersUrl + (current.layersUrl.indexOf("?") < 0 ? "?" : "&") + "layer=" + kind;
    removeOverlay(kind);
    overlays[kind] = { url: url, layer: null };
    getJSON(url).then(function (data) {
      if (!overlays[kind] || overlays[kind].url !== url) return;
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.marker(latlng, { icon: iconFor(kind, feature.properties), keyboard: false });
        },
        onEachFeature: function (feature, marker) { marker.bindPopup(popupFor(kind, feature.properties)); }
      }).addTo(map);
      overlays[kind].layer = layer;
      map.getContainer().dataset["overlay" + kind.replace("_", "")] = String(data.features.length);
      if (data.properties.truncated) status(labels.truncated);
    }).catch(function () { status(labels.failed); });
  }

  function removeOverlay(kind) {
    if (overlays[kind] && overlays[kind].layer) map.removeLayer(overlays[kind].layer);
    delete overlays[kind];
  }

  function toggles() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-layer]"));
  }

  // Follow the panel: new area or period → new areas and overlays.
  function refresh() {
    var current = state();
    if (!map || !current || current.areasUrl === areasUrl) return;
    areasUrl = current.areasUrl;
    loadAreas(areasUrl).catch(function () { status(labels.failed); });
    toggles().forEach(function (input) {
      if (input.checked) loadOverlay(input.dataset.layer);
      else removeOverlay(input.dataset.layer);
    });
  }

  // Leaflet labels its zoom buttons in English; the section around the map carries the
  // page-language labels (and the app's name for the attribution corner).
  function localiseControls() {
    var holder = map.getContainer().closest("[data-zoom-in]");
    if (!holder) return;
    if (map.zoomControl) {
      map.removeControl(map.zoomControl);
      map.zoomControl = L.control.zoom({ zoomInTitle: holder.dataset.zoomIn, zoomOutTitle: holder.dataset.zoomOut }).addTo(map);
    }
    if (map.attributionControl) map.attributionControl.setPrefix(holder.dataset.attribution || false);
  }

  window.addEventListener("map:init", function (event) {
    if (event.detail.map.getContainer().id !== "coverage-map") return;
    map = event.detail.map;
    map.options.zoomSnap = 0.25;  // fill a narrow phone screen instead of the next whole zoom
    var node = document.getElementById("coverage-labels");
    labels = node ? JSON.parse(node.textContent) : {};
    localiseControls();
    toggles().forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.checked) loadOverlay(input.dataset.layer);
        else removeOverlay(input.dataset.layer);
      });
    });
    // Zoomed well past what the outlines were simplified for: fetch sharper ones.
    map.on("zoomend", function () {
      var zoom = Math.round(map.getZoom());
      if (areasUrl && areasZoom !== null && zoom >= areasZoom + 2) {
        areasZoom = zoom;
        loadAreas(areasUrl, zoom).catch(function () { status(labels.failed); });
      }
    });
    refresh();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "coverage-panel") refresh();
  });
  document.addEventListener("htmx:historyRestore", refresh);
})();
