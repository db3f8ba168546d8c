// Progressive enhancement: a <details data-open-wide> (the challenge list's filters) is open beside
// the results on a wide screen and stays a closed "Filter" disclosure on a phone. Without this file
// it is a disclosure at every width. A disclosure the server opened (a filter to correct) stays open.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia) { return; }
    var wide = window.matchMedia("(min-width: 60em)");
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      var keep = details.open;
      function sync() { details.open = wide.matches || keep; }
      sync();
      if (wide.addEventListener) { wide.addEventListener("change", sync); }
    });
  });
})();
