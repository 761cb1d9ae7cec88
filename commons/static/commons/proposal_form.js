/* Proposal form: show the options field only for a rule that takes options (it stays visible
   without JavaScript). A static file, not an inline script: the Content-Security-Policy runs none. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-option-rules]");
  if (!form) { return; }
  var ids = form.dataset.optionRules.split(",").filter(Boolean);
  var rule = form.querySelector("select[name=rule]");
  var field = form.querySelector(".field-options");
  if (!rule || !field) { return; }
  function sync() {
    var keep = field.querySelector(".errorlist") || field.querySelector("textarea").value.trim();
    field.hidden = ids.indexOf(rule.value) === -1 && !keep;
  }
  rule.addEventListener("change", sync);
  sync();
})();
