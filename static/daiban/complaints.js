/* Complaint form: once the page can run scripts, show only the part that applies —
   "what was done" when handled on the spot, the branch's deadline otherwise. Without
   scripts both stay visible and their help texts say which one counts. */
(function () {
  "use strict";
  var box = document.getElementById("id_handled_on_spot");
  var resolution = document.getElementById("field-resolution");
  var deadline = document.getElementById("field-deadline");
  if (!box || !resolution || !deadline) return;

  function update() {
    resolution.hidden = !box.checked;
    deadline.hidden = box.checked;
  }

  box.addEventListener("change", update);
  update();
})();
