// The public pages' 大字 switch, remembered on this phone (no cookie). The switch works
// without this script; it only keeps the choice from one page to the next.
(function () {
  "use strict";
  var KEY = "daiban-large-text";
  var box = document.getElementById("big-text");
  if (!box) return;
  try {
    box.checked = localStorage.getItem(KEY) === "1";
    box.addEventListener("change", function () {
      localStorage.setItem(KEY, box.checked ? "1" : "0");
    });
  } catch (e) {
    // storage refused (private mode): the switch still works on this page
  }
})();
