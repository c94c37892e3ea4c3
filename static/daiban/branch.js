/* The activity form's point picker: a filter box over the paired points' checkboxes and
   a count of those ticked. Without JavaScript the full list works as it is. */
(function () {
  "use strict";

  function init() {
    var picker = document.getElementById("point-picker");
    var tools = document.querySelector("[data-picker-tools]");
    if (!picker || !tools) return;
    var filter = document.getElementById("point-filter");
    var count = document.getElementById("picked-count");
    var choices = Array.prototype.slice.call(picker.querySelectorAll(".choice"));
    tools.hidden = false;

    function showCount() {
      var n = picker.querySelectorAll("input[type=checkbox]:checked").length;
      count.textContent = (count.dataset.template || "%(n)s").replace("%(n)s", String(n));
    }

    filter.addEventListener("input", function () {
      var needle = filter.value.trim().toLowerCase();
      choices.forEach(function (choice) {
        var ticked = choice.querySelector("input").checked;
        // ticked points stay in sight, so a filter never hides what will be sent
        choice.hidden = needle !== "" && !ticked && (choice.dataset.name || "").toLowerCase().indexOf(needle) === -1;
      });
    });
    picker.addEventListener("change", showCount);
    showCount();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
