/* For people who do not capture data in the field: the outbox scripts (idb-keyval and
   offline.js, 53 KB) stay off their pages unless this phone holds unsent items (someone
   saved a visit here, or another account did) or the page follows a logout, which
   offline.js finishes by deleting the Today list kept on the phone (never anyone's unsent
   items). The URLs are on #offline-status. */
(function () {
  "use strict";
  var root = document.getElementById("offline-status");
  if (!root || !root.dataset.scripts || !window.indexedDB) return;

  function loadOutbox() {
    root.dataset.scripts.split(" ").forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false;  // in order: idb-keyval first
      document.head.appendChild(script);
    });
  }

  if (/[?&]logged_out=1/.test(location.search)) return loadOutbox();
  // Without databases() (older Firefox), looking would create the database: load instead.
  if (!indexedDB.databases) return loadOutbox();
  indexedDB.databases().then(function (databases) {
    if (!databases.some(function (d) { return d.name === "daiban-outbox"; })) return;
    var open = indexedDB.open("daiban-outbox");
    open.onsuccess = function () {
      var db = open.result;
      if (!db.objectStoreNames.contains("items")) { db.close(); return; }
      var counting = db.transaction("items").objectStore("items").count();
      counting.onsuccess = function () {
        db.close();
        if (counting.result > 0) loadOutbox();
      };
    };
  }).catch(function () { /* no storage: nothing can be waiting */ });
})();
