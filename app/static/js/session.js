// Session-expiry warning (CHECKLIST A07, R07; WCAG 2.2.1 Timing adjustable).
// base.html carries, for signed-in pages, a <template id="session-warning"> with the seconds left
// until the session ends from idleness and at the latest (absolute), and the translated message.
// A minute before the end this script shows the message as a non-modal alert dialog: "Stay
// logged in" POSTs to accounts.extend_session (which resets the idle clock; the absolute limit
// stays) and re-arms; Esc or "Close" dismisses it; nothing traps the keyboard. Without this file
// nothing breaks: the session simply ends as before.
// Other scripts that talk to the server (autosave) may dispatch `ca:session-touched` on document:
// every request resets the idle clock, so the warning then moves along with it.
(function () {
  "use strict";

  var STORE = "ca-session-ends";     // shared between tabs: any tab's request resets the idle clock
  var MAX_WAIT = 60 * 60 * 1000;     // re-check at least hourly (setTimeout overflows past 24.8 days)

  document.addEventListener("DOMContentLoaded", function () {
    var tpl = document.getElementById("session-warning");
    if (!tpl || !("content" in tpl) || !window.fetch) { return; }
    var data = tpl.dataset;
    var idleLength = (parseInt(data.idleSeconds, 10) || 0) * 1000;
    var warnMs = Math.max(20, parseInt(data.warnSeconds, 10) || 60) * 1000;
    var idleEnd = 0;
    var absoluteEnd = 0;
    var timer = null;
    var box = null;
    var boxState = null;
    var previousFocus = null;
    var dismissedFor = null;

    function remember() {
      try { window.localStorage.setItem(STORE, JSON.stringify({ idle: idleEnd, absolute: absoluteEnd })); }
      catch (e) { /* private mode: this tab still works on its own */ }
    }

    function setDeadlines(idleSeconds, absoluteSeconds) {
      var now = Date.now();
      idleEnd = now + idleSeconds * 1000;
      absoluteEnd = now + absoluteSeconds * 1000;
      remember();
    }

    function endsAt() { return Math.min(idleEnd, absoluteEnd); }
    // When the absolute limit comes first, "Stay logged in" could not help: say so instead.
    function isFinal() { return absoluteEnd <= idleEnd; }

    function formatTime(ms) {
      var options = { hour: "2-digit", minute: "2-digit" };
      try {
        return new Intl.DateTimeFormat(document.documentElement.lang || undefined,
          Object.assign({ timeZone: data.timezone }, options)).format(new Date(ms));
      } catch (e) {
        return new Date(ms).toLocaleTimeString([], options);
      }
    }

    function csrfToken() {
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta) { return meta.getAttribute("content"); }
      var field = document.querySelector('input[name="csrf_token"]');
      return field ? field.value : "";
    }

    function part(selector) { return box ? box.querySelector(selector) : null; }

    function close(restoreFocus) {
      if (!box) { return; }
      var active = document.activeElement;
      var hadFocus = box.contains(active) || !active || active === document.body;
      box.remove();
      box = null;
      boxState = null;
      if (restoreFocus && hadFocus && previousFocus && document.contains(previousFocus)) {
        previousFocus.focus();
      }
      previousFocus = null;
    }

    function open(state) {
      if (boxState === state) { return; }
      var wasOpen = !!box;
      if (box) { box.remove(); }
      box = tpl.content.firstElementChild.cloneNode(true);
      boxState = state;
      var expired = state === "expired";
      // A fresh role="alert" element is read out when it appears; the dialog is read when it takes focus.
      if (expired) { box.setAttribute("role", "alert"); }
      box.querySelectorAll("[data-message]").forEach(function (p) { p.hidden = true; });
      if (expired) {
        part('[data-message="expired"]').hidden = false;
      } else {
        part(isFinal() ? '[data-message="final"]' : '[data-message="idle"]').hidden = false;
        part('[data-message="when"]').hidden = false;
        part("[data-when]").textContent = formatTime(endsAt());
      }
      part('[data-action="stay"]').hidden = expired || isFinal();
      part("form").hidden = expired;
      part('[data-action="login"]').hidden = !expired;
      part('[data-action="stay"]').addEventListener("click", stay);
      part('[data-action="dismiss"]').addEventListener("click", dismiss);
      box.addEventListener("keydown", function (event) {
        if (event.key === "Escape" || event.key === "Esc") { event.preventDefault(); dismiss(); }
      });
      document.body.appendChild(box);
      if (!expired) {
        if (!wasOpen) { previousFocus = document.activeElement; }
        var target = part('[data-action="stay"]');
        (target.hidden ? part('[data-action="dismiss"]') : target).focus();
      }
    }

    function dismiss() {
      dismissedFor = boxState === "expired" ? "expired" : endsAt();
      close(true);
    }

    function announce(text, category) {
      var region = document.getElementById("flash");
      if (!region || !text) { return; }
      var p = document.createElement("p");
      p.className = "flash flash-" + (category || "success");
      p.textContent = text;
      region.appendChild(p);
    }

    function schedule() {
      window.clearTimeout(timer);
      var now = Date.now();
      var end = endsAt();
      if (now >= end) {
        if (dismissedFor !== "expired") { open("expired"); }
        return;
      }
      if (now >= end - warnMs) {
        if (dismissedFor !== end) { open("warning"); }
        timer = window.setTimeout(schedule, Math.min(end - now + 250, MAX_WAIT));
        return;
      }
      if (boxState) { close(true); }
      timer = window.setTimeout(schedule, Math.min(end - warnMs - now, MAX_WAIT));
    }

    var busy = false;

    function stay() {
      // Not `disabled`: a disabled button drops the keyboard focus.
      if (busy) { return; }
      busy = true;
      window.fetch(data.extendUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        if (response.status === 401) {
          busy = false;
          idleEnd = absoluteEnd = Date.now();
          schedule();
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (json) {
        busy = false;
        if (!json) { return; }
        setDeadlines(json.idle_seconds, json.absolute_seconds);
        dismissedFor = null;
        var extended = tpl.content.querySelector('[data-message="extended"]');
        close(true);
        announce(extended ? extended.textContent.trim() : "");
        schedule();
      }).catch(function () {
        busy = false;
        if (!box) { return; }
        var failed = part('[data-message="failed"]');
        failed.hidden = false;
        announce(failed.textContent.trim(), "error");
      });
    }

    // Any request resets the server's idle clock: follow other tabs and other scripts.
    window.addEventListener("storage", function (event) {
      if (event.key !== STORE || !event.newValue) { return; }
      try {
        var other = JSON.parse(event.newValue);
        if (other.idle > idleEnd) { idleEnd = other.idle; dismissedFor = null; schedule(); }
      } catch (e) { /* ignore a foreign value */ }
    });
    document.addEventListener("ca:session-touched", function () {
      idleEnd = Date.now() + idleLength;
      dismissedFor = null;
      remember();
      schedule();
    });
    // Timers stop while a laptop sleeps: look again when the page is seen.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { schedule(); }
    });

    setDeadlines(parseInt(data.idleSeconds, 10) || 0, parseInt(data.absoluteSeconds, 10) || 0);
    schedule();
  });
})();
