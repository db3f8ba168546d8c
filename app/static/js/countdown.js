// Progressive enhancement for the challenge page: the server already rendered "Closes in 3 days,
// 4 hours" in the viewer's language; this only keeps it current, once a minute, with the
// browser's Intl formatting for the same language. Without JavaScript the page says the same.
(function () {
  "use strict";
  var UNITS = [["day", 1440], ["hour", 60], ["minute", 1]];

  function unit(lang, n, name) {
    return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(n);
  }

  function text(lang, minutes) {
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    var parts = days ? [[days, "day"], [hours, "hour"]] : hours ? [[hours, "hour"], [mins, "minute"]] : [[mins, "minute"]];
    var words = parts.filter(function (p) { return p[0] > 0; }).map(function (p) { return unit(lang, p[0], p[1]); });
    if (typeof Intl.ListFormat === "function") {
      return new Intl.ListFormat(lang, { style: "long", type: "unit" }).format(words);
    }
    return words.join(", ");
  }

  function tick(el) {
    var target = Date.parse(el.getAttribute("data-countdown-target"));
    var out = el.querySelector(".countdown-text");
    if (isNaN(target) || !out) { return false; }
    var minutes = Math.floor((target - Date.now()) / 60000);
    if (minutes < 1) { return false; } // the deadline passed: leave the server's text until a reload
    var lang = el.getAttribute("data-countdown-lang") || document.documentElement.lang || "en";
    try {
      out.textContent = el.getAttribute("data-countdown-template").replace("{time}", text(lang, minutes));
    } catch (e) { return false; } // an old browser without Intl units: keep the server's text
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-countdown-target]"));
    if (!items.length) { return; }
    items.forEach(tick);
    var timer = window.setInterval(function () {
      items = items.filter(tick);
      if (!items.length) { window.clearInterval(timer); }
    }, 60000);
  });
})();
