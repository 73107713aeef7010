// Workspace Settings: "Allow tokens that never expire" follows the maximum
// lifetime as it is typed (the server renders the same state without this file,
// and normalizes whatever is sent).
(function () {
  "use strict";
  var max = document.getElementById("max-lifetime-days");
  var box = document.getElementById("allow-never-expires");
  var field = document.getElementById("allow-never-expires-field");
  var locked = document.getElementById("never-expires-locked");
  var free = document.getElementById("never-expires-free");
  if (!max || !box || !field || !locked || !free) return;
  function update() {
    var days = parseInt(max.value.trim(), 10);
    var isLocked = String(days) === max.value.trim() && days >= 1;
    if (isLocked && !box.disabled) box.checked = false;
    box.disabled = isLocked;
    field.classList.toggle("is-locked", isLocked);
    locked.hidden = !isLocked;
    free.hidden = isLocked;
  }
  max.addEventListener("input", update);
  update();
})();
