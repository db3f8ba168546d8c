// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // After a failed submit, move focus to the error summary so it is read out first (A04).
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    // Buttons that ask for confirmation carry data-confirm (no inline script under our CSP).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    // "On this page" lists are open in the HTML; on a narrow screen they start closed, so that the
    // content is not pushed down (issue 12). The reader can open them with one tap.
    if (window.matchMedia && window.matchMedia("(max-width: 40rem)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (el) { el.open = false; });
    }
  });
})();
