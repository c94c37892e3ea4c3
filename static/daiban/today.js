/* Today: "nearest first" asks the phone where it is, then reloads the due list sorted
   by distance (the server measures, the page only passes the position along). */
(function () {
  "use strict";
  var form = document.getElementById("near-form");
  var button = document.getElementById("near-button");
  var status = document.getElementById("near-status");
  if (!form || !button || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = position.coords.latitude.toFixed(6);
      form.elements.lng.value = position.coords.longitude.toFixed(6);
      status.textContent = "";
      button.classList.add("selected");  // the list below is now sorted by distance
      if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
    }, function () {
      status.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
