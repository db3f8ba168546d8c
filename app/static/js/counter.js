// Character counters (progressive enhancement; without this file the limit is a hint, and the server
// says which field is too long and by how much). A text over the limit is never cut: the counter says
// "12 characters too many" instead, as the browser's maxlength would not.
// The hint element (.char-limit[data-for][data-max], rendered by the field macro) gets a visible
// count, read with the field's description. A screen reader is told politely, and only when the
// typing pauses near or over the limit, never on every keystroke.
(function () {
  "use strict";
  var NEAR = 20;          // remaining characters from which the count is announced (and quiet fields show it)
  var PAUSE_MS = 900;     // the announcement waits for a pause in the typing

  function length(text) {
    // Characters as the server counts them: a line break is one, an emoji outside the BMP is one.
    var pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
    return text.replace(/\r\n/g, "\n").length - (pairs ? pairs.length : 0);
  }

  function attach(box) {
    if (box.hasAttribute("data-counting")) { return; }
    var field = document.getElementById(box.getAttribute("data-for"));
    var max = parseInt(box.getAttribute("data-max") || "0", 10);
    if (!field || !max) { return; }
    box.setAttribute("data-counting", "");
    var quiet = box.hasAttribute("data-quiet");
    var lang = document.documentElement.lang || "en";
    var number = window.Intl ? new Intl.NumberFormat(lang) : null;
    var count = document.createElement("span");
    count.className = "char-count";
    box.appendChild(count);
    // A separate polite region: the hint itself is the field's description and must not chatter.
    var live = document.createElement("span");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    box.parentNode.insertBefore(live, box.nextSibling);
    var timer = null;
    var spoken = "";

    function text(left) {
      var n = Math.abs(left);
      var key = (left < 0 ? "data-over-" : "data-left-") + (n === 1 ? "one" : "other");
      return (box.getAttribute(key) || "{n}").replace("{n}", number ? number.format(n) : String(n));
    }

    function update(announce) {
      var left = max - length(field.value);
      var message = text(left);
      var near = left < NEAR;
      count.textContent = (!quiet || near) ? message : "";
      box.classList.toggle("char-limit-over", left < 0);
      box.classList.toggle("char-limit-near", left >= 0 && near);
      if (announce && near && message !== spoken) {
        live.textContent = message;
        spoken = message;
      } else if (!near) {
        spoken = "";
      }
    }

    field.addEventListener("input", function () {
      update(false);
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { update(true); }, PAUSE_MS);
    });
    update(false);
  }

  function init(root) {
    (root || document).querySelectorAll(".char-limit[data-for][data-max]").forEach(attach);
  }

  // For rows added later (the rubric editor): window.charCounters(row).
  window.charCounters = init;
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
