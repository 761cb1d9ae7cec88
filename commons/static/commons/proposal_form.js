/* Proposal form: show the options field only for a kind that takes options, and the proposed table
   only for a change of the decision rules (both stay visible without JavaScript). A static file,
   not an inline script: the Content-Security-Policy runs none. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-option-kinds]");
  if (!form) { return; }
  var kinds = form.dataset.optionKinds.split(",").filter(Boolean);
  var kind = form.querySelector("select[name=kind]");
  var field = form.querySelector(".field-options");
  var table = form.querySelector(".field-proposed-rules");
  if (!kind) { return; }
  function sync() {
    if (field) {
      var keep = field.querySelector(".errorlist") || field.querySelector("textarea").value.trim();
      field.hidden = kinds.indexOf(kind.value) === -1 && !keep;
    }
    if (table) {
      table.hidden = kind.value !== "rules_change" && !table.querySelector(".errorlist");
    }
  }
  kind.addEventListener("change", sync);
  sync();
})();
