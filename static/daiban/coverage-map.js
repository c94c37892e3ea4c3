/* The coverage map: draws the parts of the area opened, coloured by their band of the
   on-time share (band-* classes; the colours live in app.css), each with its name, and
   the overlays ticked below the map, from the scoped GeoJSON endpoints named by the panel
   (#coverage-state). Needs no tile server.

   One tap on an area opens it, by clicking that area's link in the table, so the map and
   the plain links take the same road (and Back works through htmx's history). The figures
   never come as a popup on the area: the map's "figures" button (#map-figures below the
   map) shows those of the whole, then of each area tapped while it is on.

   Names thin out by zoom: the biggest areas are labelled first, and a name is hidden
   where its area is too small for it or where it would cover another name or a control.
   Markers of each overlay cluster (Leaflet.markercluster) when they would overlap. */
(function () {
  "use strict";

  var map = null;
  var areas = null;
  var areasData = null;
  var areasUrl = null;
  var areasZoom = null;
  var names = null;
  var overlays = {};
  var selected = null;
  var figuresOn = false;
  var figuresButton = null;
  var labels = {};

  var NAME_GAP = 2;  // px kept free around a name
  var GRID_LEVEL = 3;  // grid.models.Area.Level.GRID: its page is its missed list

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

  function share(props) {
    return props.percent === null ? "–" : props.percent + " %";
  }

  // --- Opening an area ------------------------------------------------------------------

  // The table's link for the area: clicking it is what a user would do, so htmx swaps
  // the panel, pushes the address, and the map follows (see refresh).
  function drill(id) {
    var link = document.querySelector('#coverage-panel [data-area-link="' + id + '"]');
    if (!link) return false;
    link.click();
    return true;
  }

  function select(layer) {
    if (selected && selected !== layer && selected.getElement()) L.DomUtil.removeClass(selected.getElement(), "selected");
    selected = layer;
    if (layer && layer.getElement()) {
      L.DomUtil.addClass(layer.getElement(), "selected");
      layer.bringToFront();  // its outline above its neighbours'
    }
  }

  function tap(props, layer) {
    if (!figuresOn && props.drill && drill(props.id)) return;
    select(layer);
    showFigures(props);
  }

  // --- The figures panel (below the map) and its button (on the map) ---------------------

  function figuresPanel() {
    return document.getElementById("map-figures");
  }

  function showFigures(props, isWhole) {
    var panel = figuresPanel();
    if (!panel) return;
    panel.textContent = "";
    var head = el("div", "map-figures-head");
    head.appendChild(el("strong", "map-figures-name", props.name));
    var close = el("button", "map-figures-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", labels.close);
    close.addEventListener("click", function () { setFiguresOn(false); });
    head.appendChild(close);
    panel.appendChild(head);
    var list = el("div", "map-figures-list");
    if (props.percent === null) {
      list.appendChild(el("div", "", labels.noResidents));
    } else {
      line(list, labels.onTime, share(props) + " (" + props.onTime + "/" + props.active + ")");
      line(list, labels.missed, props.missed);
    }
    line(list, labels.visits, props.visits);
    line(list, labels.flagged, props.visitsAway + props.visitsNoLocation);
    panel.appendChild(list);
    if (isWhole) {
      panel.appendChild(el("p", "help", labels.tapHint));
    } else if (props.drill) {
      var open = el("a", "button small", props.level === GRID_LEVEL ? labels.openMissed : labels.open);
      open.href = props.url;
      open.addEventListener("click", function (event) {
        if (drill(props.id)) event.preventDefault();
      });
      panel.appendChild(open);
    }
    panel.dataset.area = isWhole ? "" : String(props.id);
    panel.hidden = false;
    if (panel.scrollIntoView) panel.scrollIntoView({ block: "nearest" });
  }

  function hideFigures() {
    var panel = figuresPanel();
    select(null);
    if (!panel) return;
    panel.hidden = true;
    panel.textContent = "";
    panel.dataset.area = "";
  }

  function showWhole() {
    if (!areasData) return;
    showFigures(L.extend({ name: areasData.properties.name }, areasData.properties.total), true);
  }

  function setFiguresOn(on) {
    figuresOn = on;
    if (figuresButton) figuresButton.setAttribute("aria-pressed", on ? "true" : "false");
    L.DomUtil[on ? "addClass" : "removeClass"](map.getContainer(), "figures-on");
    if (on) showWhole();
    else hideFigures();
    if (names) {
      names.eachLayer(function (name) { name.setContent(nameContent(name.props)); });
      placeNames();
    }
  }

  function addControls() {
    var button = el("button", "map-figures-button", labels.figures);
    button.type = "button";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", "map-figures");
    button.addEventListener("click", function () { setFiguresOn(!figuresOn); });
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var box = el("div", "leaflet-bar map-figures-control");
      box.appendChild(button);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    figuresButton = button;

    // The legend, written by the server below the map, goes onto the map.
    var legend = document.getElementById("coverage-legend");
    if (legend) {
      var legendControl = L.control({ position: "bottomleft" });
      legendControl.onAdd = function () {
        L.DomEvent.disableClickPropagation(legend);
        return legend;
      };
      legendControl.addTo(map);
    }
  }

  // --- Names of the areas ---------------------------------------------------------------

  // A part's name without the name of the area opened ("第2网格" inside "绣湖社区", not
  // "绣湖社区第2网格"): shorter names, so more of them fit.
  function shortName(name) {
    var whole = areasData && areasData.properties.name;
    return whole && name.length > whole.length && name.indexOf(whole) === 0 ? name.slice(whole.length) : name;
  }

  function nameContent(props) {
    var node = el("span", "area-name-text", shortName(props.name));
    if (figuresOn) node.appendChild(el("span", "area-name-share", share(props)));
    return node;
  }

  function drawNames(data) {
    if (names) map.removeLayer(names);
    names = L.layerGroup();
    data.features.forEach(function (feature) {
      var props = feature.properties;
      if (!props.labelAt) return;
      var name = L.tooltip({ permanent: true, direction: "center", className: "area-name", interactive: false, opacity: 1 })
        .setLatLng(props.labelAt)
        .setContent(nameContent(props));
      name.props = props;
      names.addLayer(name);
    });
    names.addTo(map);
  }

  function overlaps(box, boxes) {
    return boxes.some(function (other) {
      return !(box.right + NAME_GAP <= other.left || box.left >= other.right + NAME_GAP ||
               box.bottom + NAME_GAP <= other.top || box.top >= other.bottom + NAME_GAP);
    });
  }

  // Biggest areas first; a name shows where its area is at least about as wide as the name
  // and it covers no name already shown and no control (zoom, figures button, legend).
  function placeNames() {
    if (!names || !areas) return;
    var container = map.getContainer();
    var taken = Array.prototype.map.call(container.querySelectorAll(".leaflet-control"), function (node) {
      return node.getBoundingClientRect();
    });
    var items = [];
    names.eachLayer(function (name) {
      var node = name.getElement();
      var layer = areaLayers[name.props.id];
      if (!node || !layer) return;
      var bounds = layer.getBounds();
      var nw = map.latLngToContainerPoint(bounds.getNorthWest());
      var se = map.latLngToContainerPoint(bounds.getSouthEast());
      items.push({ node: node, width: se.x - nw.x, height: se.y - nw.y });
    });
    items.sort(function (a, b) { return b.width * b.height - a.width * a.height; });
    var shown = 0;
    items.forEach(function (item) {
      var box = item.node.getBoundingClientRect();
      var fits = item.width >= box.width * 0.75 && item.height >= box.height;
      var free = fits && !overlaps(box, taken);
      L.DomUtil[free ? "removeClass" : "addClass"](item.node, "area-name-hidden");
      if (free) { taken.push(box); shown += 1; }
    });
    container.dataset.names = String(shown);
  }

  // --- Areas ----------------------------------------------------------------------------

  var areaLayers = {};

  function drawAreas(data, fit) {
    if (areas) map.removeLayer(areas);
    selected = null;
    areaLayers = {};
    areasData = data;
    areas = L.geoJSON(data, {
      style: function (feature) {
        var props = feature.properties;
        return { className: "coverage-area band-" + props.band + " area-" + props.id, weight: 1.5, color: "#ffffff" };
      },
      onEachFeature: function (feature, layer) {
        areaLayers[feature.properties.id] = layer;
        layer.on("click", function () { tap(feature.properties, layer); });
      }
    }).addTo(map);
    areas.bringToBack();
    drawNames(data);
    var container = map.getContainer();
    container.dataset.features = String(data.features.length);
    container.dataset.area = data.properties.area === null ? "" : String(data.properties.area);
    if (fit) {
      var bounds = areas.getBounds();
      // No zoom animation: the old areas are gone already, and the names are placed once.
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8], animate: false });
      if (figuresOn) showWhole();  // a new place: its figures, until an area is tapped
      else hideFigures();
    } else {
      var panel = figuresPanel();  // sharper outlines of the same areas: keep the one tapped
      if (panel && panel.dataset.area) select(areaLayers[panel.dataset.area] || null);
    }
    placeNames();
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

  // --- Overlays: markers, clustered ---------------------------------------------------

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

  var SHAPES = { branch_points: "branch-point", missed: "missed", errands: "errand" };

  function iconFor(kind, props) {
    return daibanMarkers.pin("cov-icon " + (kind === "points" ? "tier-" + props.tier : SHAPES[kind]));
  }

  function loadOverlay(kind) {
    var current = state();
    if (!current) return;
    var url = current.layersUrl + (current.layersUrl.indexOf("?") < 0 ? "?" : "&") + "layer=" + kind;
    removeOverlay(kind);
    overlays[kind] = { url: url, layer: null };
    getJSON(url).then(function (data) {
      if (!overlays[kind] || overlays[kind].url !== url) return;
      var cluster = daibanMarkers.clusters(kind);
      cluster.addLayer(L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.marker(latlng, { icon: iconFor(kind, feature.properties), keyboard: false });
        },
        onEachFeature: function (feature, marker) { marker.bindPopup(popupFor(kind, feature.properties)); }
      }));
      map.addLayer(cluster);
      overlays[kind].layer = cluster;
      map.getContainer().dataset["overlay" + kind.replace("_", "")] = String(data.features.length);
      if (data.properties.truncated) status(labels.truncated);
      if (data.properties.open_town) status(labels.openTown);
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
    addControls();
    toggles().forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.checked) loadOverlay(input.dataset.layer);
        else removeOverlay(input.dataset.layer);
      });
    });
    map.on("moveend resize", placeNames);  // controls stay put while names move
    map.on("zoomend", function () {
      // Zoomed well past what the outlines were simplified for: fetch sharper ones.
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
