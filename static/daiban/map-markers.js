/* Markers for Daiban's maps, loaded with the vendored Leaflet.markercluster by
   {% leaflet_js plugins="markercluster" %} (LEAFLET_CONFIG["PLUGINS"]):

   daibanMarkers.pin(className): a marker icon drawn by CSS (a span of className, sized
   there) in the middle of a 44 px tap target;
   daibanMarkers.clusters(kind, options): a cluster group whose clusters are 44 px round
   counts coloured per kind (.map-cluster-<kind> in app.css); `kind` may be a function of
   the cluster, e.g. to colour a cluster by what it holds. Icons are built from elements,
   never from HTML strings. */
(function () {
  "use strict";

  function pin(className) {
    var shape = document.createElement("span");
    shape.className = className;
    return L.divIcon({ className: "map-pin", html: shape, iconSize: [44, 44] });
  }

  function clusters(kind, options) {
    return L.markerClusterGroup(L.extend({
      iconCreateFunction: function (cluster) {
        var count = document.createElement("span");
        count.textContent = String(cluster.getChildCount());
        var name = typeof kind === "function" ? kind(cluster) : kind;
        return L.divIcon({ className: "map-cluster map-cluster-" + name, html: count, iconSize: [44, 44] });
      },
      maxClusterRadius: 44,
      showCoverageOnHover: false,
      spiderfyDistanceMultiplier: 1.6
    }, options || {}));
  }

  window.daibanMarkers = { pin: pin, clusters: clusters };
})();
