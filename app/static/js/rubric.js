// The rubric editor (progressive enhancement: without this file every button is a submit button
// that the server handles, and the page comes back with the rows as typed, unsaved).
// With it, "Add another criterion" copies the template row, and a row's "Move up", "Move down" and
// "Remove" act in place. The rows are renumbered after each change so that the names stay
// criteria-0-..., criteria-1-... in page order (the order the server saves), focus stays where the
// person is working, and each change is said in the form's status region.
(function () {
  "use strict";
  var INDEXED = /criteria-(\d+|__n__)-/g;
  var ATTRS = ["id", "for", "name", "aria-describedby", "data-for"];

  function init() {
    var form = document.querySelector("form.rubric-editor");
    var list = form && form.querySelector("[data-criteria]");
    var template = document.getElementById("criterion-template");
    if (!form || !list || !template || !template.content) { return; }
    var status = document.getElementById("rubric-status");
    var count = form.querySelector("[data-row-count]");
    var maxRows = parseInt(form.getAttribute("data-max-rows") || "0", 10);

    function msg(key, values) {
      var text = form.getAttribute("data-msg-" + key) || "";
      Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
      return text;
    }

    function say(text) {
      if (!status) { return; }
      // Emptied first, so that the same words said twice (two moves in a row) are announced again.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    function rows() { return Array.prototype.slice.call(list.querySelectorAll(":scope > [data-criterion]")); }

    function renumber() {
      var all = rows();
      all.forEach(function (row, index) {
        var prefix = "criteria-" + index + "-";
        [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (el) {
          ATTRS.forEach(function (attr) {
            var value = el.getAttribute(attr);
            if (value && value.indexOf("criteria-") !== -1) { el.setAttribute(attr, value.replace(INDEXED, prefix)); }
          });
        });
        var legend = row.querySelector(":scope > legend");
        if (legend) {
          legend.removeAttribute("data-template-legend");
          legend.textContent = legend.textContent.replace(/\d+/, String(index + 1));
        }
        row.querySelectorAll("[data-row-action]").forEach(function (button) {
          button.value = String(index);
          var kind = button.getAttribute("data-row-action");
          var stuck = (kind === "up" && index === 0) || (kind === "down" && index === all.length - 1);
          if (stuck) { button.setAttribute("aria-disabled", "true"); } else { button.removeAttribute("aria-disabled"); }
        });
      });
      if (count) { count.value = String(all.length); }
    }

    function firstField(row) { return row && row.querySelector("input:not([type=hidden]), textarea"); }

    function add() {
      if (rows().length >= maxRows) { say(msg("full")); return; }
      var row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      renumber();
      if (window.charCounters) { window.charCounters(row); }
      var field = firstField(row);
      if (field) { field.focus(); }
      say(msg("added", {number: rows().length}));
    }

    function move(row, button, up) {
      var all = rows();
      var index = all.indexOf(row);
      var target = up ? index - 1 : index + 1;
      if (target < 0 || target >= all.length) { say(msg(up ? "first" : "last")); return; }
      if (up) { list.insertBefore(row, all[target]); } else { list.insertBefore(all[target], row); }
      renumber();
      button.focus();  // moving an element in the page drops its focus: give it back
      say(msg("moved", {position: target + 1, count: all.length}));
    }

    function remove(row) {
      var all = rows();
      var index = all.indexOf(row);
      row.parentNode.removeChild(row);
      renumber();
      var rest = rows();
      var next = rest[Math.min(index, rest.length - 1)];
      var focus = firstField(next) || form.querySelector("[data-add-row]");
      if (focus) { focus.focus(); }
      say(msg("removed"));
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !form.contains(button)) { return; }
      if (button.hasAttribute("data-add-row")) {
        event.preventDefault();
        add();
        return;
      }
      var kind = button.getAttribute("data-row-action");
      var row = kind && button.closest("[data-criterion]");
      if (!row) { return; }
      event.preventDefault();
      if (kind === "remove") { remove(row); } else { move(row, button, kind === "up"); }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
