/* Site-wide behaviour, as a static file: the Content-Security-Policy runs no inline script or
   on*= attribute. A <select data-autosubmit> submits its form when changed (the language switcher;
   without JavaScript its <noscript> button does it). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });
})();
