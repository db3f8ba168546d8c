// Concept workspace (progressive enhancement; the form works without this file):
// - autosave: the text is saved a few seconds after the last change and when a field loses focus,
//   with the outcome announced in a role="status" region (A06, A07, R07);
// - files chosen in the form are uploaded at once, with a progress bar announced as it moves.
// On any failure the text stays exactly as typed, and the message says so.
(function () {
  "use strict";
  var DELAY_MS = 5000;

  function init() {
    var form = document.getElementById("concept-form");
    if (!form || !form.getAttribute("data-autosave-url") || !window.fetch || !window.FormData) { return; }
    var status = document.getElementById("autosave-status");
    var version = form.querySelector("input[name='lock_version']");
    var token = form.querySelector("input[name='csrf_token']");
    var msgs = texts(form);
    var timer = null;
    var dirty = false;
    var stopped = false;
    var queue = Promise.resolve();
    var pending = 0;
    var waiting = false;

    function track(task) {
      pending += 1;
      return function () {
        return Promise.resolve(task()).then(function (value) { pending -= 1; return value; },
                                            function () { pending -= 1; return null; });
      };
    }

    function say(text, kind) {
      if (!status) { return; }
      status.textContent = text;
      status.className = "autosave-status" + (kind ? " autosave-" + kind : "");
    }

    function stop(text, withCompare) {
      stopped = true;
      if (timer) { window.clearTimeout(timer); }
      say(text, "error");
      if (withCompare && status) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = msgs.compare;
        button.addEventListener("click", function () {
          var save = form.querySelector("button[name='action'][value='save']");
          if (form.requestSubmit) { form.requestSubmit(save || undefined); } else { form.submit(); }
        });
        status.appendChild(document.createTextNode(" "));
        status.appendChild(button);
      }
    }

    function textData() {
      var data = new FormData(form);
      data.delete("cover");
      data.delete("attachment");
      data.delete("remove_cover");
      data.delete("action");
      return data;
    }

    function save() {
      if (!dirty || stopped) { return queue; }
      dirty = false;
      queue = queue.then(track(function () {
        if (stopped) { return null; }
        say(msgs.saving, "busy");
        return fetch(form.getAttribute("data-autosave-url"), {
          method: "POST", body: textData(), credentials: "same-origin",
          headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}
        }).then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            dirty = true;
            say(msgs.failed.replace("%s", msgs.unexpected), "error");
            return null;
          }
          return response.json().then(function (body) {
            if (response.ok && body.ok) {
              if (version && body.lock_version) { version.value = body.lock_version; }
              // The request reset the session's idle clock: tell session.js (A07).
              document.dispatchEvent(new CustomEvent("ca:session-touched"));
              say(body.message, "ok");
            } else if (body.conflict) {
              stop(body.message + " " + msgs.kept, true);
            } else if (body.deadline || body.locked) {
              stop(body.message);
            } else {
              dirty = true;
              say(body.message || msgs.failed.replace("%s", msgs.unexpected), "error");
            }
            return null;
          });
        }).catch(function () {
          dirty = true;
          say(msgs.failed.replace("%s", msgs.offline), "error");
          return null;
        });
      }));
      return queue;
    }

    function changed(event) {
      var target = event.target;
      if (!target || target.type === "file" || stopped) { return; }
      dirty = true;
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, DELAY_MS);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("focusout", function (event) {
      var target = event.target;
      if (target && target.type !== "file" && dirty) {
        if (timer) { window.clearTimeout(timer); }
        save();
      }
    });
    // A normal submit saves everything itself: no autosave may race it. If an autosave or an
    // upload is still on its way, the form waits for it (and so sends the version it produced),
    // else the server would see its own page's save as someone else's.
    form.addEventListener("submit", function (event) {
      if (timer) { window.clearTimeout(timer); }
      if (pending === 0 || waiting) { stopped = true; return; }
      event.preventDefault();
      stopped = true;
      waiting = true;
      say(msgs.saving, "busy");
      var submitter = event.submitter;
      queue.then(function () {
        if (submitter && submitter.name) {
          var field = document.createElement("input");
          field.type = "hidden";
          field.name = submitter.name;
          field.value = submitter.value;
          form.appendChild(field);
        }
        HTMLFormElement.prototype.submit.call(form);
      });
    });

    setupUpload(form, token, version, msgs, function (task) { queue = queue.then(track(task)); return queue; },
                function () { return stopped; });
  }

  function setupUpload(form, token, version, msgs, enqueue, isStopped) {
    var input = form.querySelector("input[name='attachment']");
    var url = form.getAttribute("data-upload-url");
    if (!input || !url || !window.XMLHttpRequest) { return; }
    var box = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-progress-bar");
    var status = document.getElementById("upload-status");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);

    function say(text) { if (status) { status.textContent = text; } }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || isStopped()) { return; }
      if (maxBytes && file.size > maxBytes) {
        say(msgs.tooBig.replace("%s", file.name));
        input.value = "";
        return;
      }
      enqueue(function () {
        return new Promise(function (resolve) {
          var data = new FormData();
          data.append("csrf_token", token ? token.value : "");
          data.append("lock_version", version ? version.value : "");
          data.append("attachment", file, file.name);
          var xhr = new XMLHttpRequest();
          var lastStep = -1;
          xhr.open("POST", url);
          xhr.setRequestHeader("Accept", "application/json");
          xhr.setRequestHeader("X-CSRFToken", token ? token.value : "");
          if (box) { box.hidden = false; }
          if (bar) { bar.value = 0; }
          say(msgs.uploading.replace("%d", "0").replace("%s", file.name));
          xhr.upload.addEventListener("progress", function (event) {
            if (!event.lengthComputable) { return; }
            var pct = Math.floor(event.loaded * 100 / event.total);
            if (bar) { bar.value = pct; }
            // Announce in quarters, not every percent: a screen reader would read nothing else.
            var step = Math.floor(pct / 25);
            if (step !== lastStep) {
              lastStep = step;
              say(msgs.uploading.replace("%d", String(pct)).replace("%s", file.name));
            }
          });
          xhr.addEventListener("load", function () {
            var body = null;
            try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
            if (box) { box.hidden = true; }
            if (xhr.status === 200 && body && body.ok) {
              if (version && body.lock_version) { version.value = body.lock_version; }
              document.dispatchEvent(new CustomEvent("ca:session-touched"));
              var list = document.getElementById("files-list");
              if (list && body.html) {
                var holder = document.createElement("div");
                holder.innerHTML = body.html;
                var fresh = holder.querySelector("#files-list");
                if (fresh) { list.parentNode.replaceChild(fresh, list); }
              }
              input.value = "";
              say(body.message);
            } else if (xhr.status === 413 && !body) {
              say(msgs.tooBig.replace("%s", file.name));
            } else {
              say((body && body.message) || msgs.uploadFailed);
            }
            resolve(null);
          });
          xhr.addEventListener("error", function () {
            if (box) { box.hidden = true; }
            say(msgs.uploadFailed);
            resolve(null);
          });
          xhr.send(data);
        });
      });
    });
  }

  // The words come from the page (data-msg-* attributes, translated by the server); English if absent.
  function texts(form) {
    var fallback = {
      saving: "Saving…",
      failed: "Not saved: %s. Your text is still here; copy it or try again.",
      unexpected: "the server did not answer as expected (you may have been logged out)",
      offline: "the connection failed",
      kept: "Your text is still here and has not been saved.",
      compare: "Compare the two versions",
      uploading: "Uploading %s: %d%",
      uploadFailed: "The file could not be uploaded. Your text is still here; try again.",
      tooBig: "“%s” is larger than the limit for a file here. Please choose a smaller file."
    };
    var out = {};
    Object.keys(fallback).forEach(function (key) {
      var attr = "data-msg-" + key.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); });
      out[key] = form.getAttribute(attr) || fallback[key];
    });
    return out;
  }

  document.addEventListener("DOMContentLoaded", init);
})();
