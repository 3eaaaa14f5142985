// The caseworker console's only script: small conveniences, nothing the pages need to work.
// It never reads or writes case text except to echo the reply being typed into its preview,
// and it does that with textContent (never as markup).
"use strict";

(function () {
  document.documentElement.classList.add("js");

  // A select marked auto-submit sends its form when changed (the language picker).
  function autoSubmit() {
    document.querySelectorAll("select.auto-submit").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.submit();
        }
      });
    });
  }

  // The reply box: a live count against the limit, and what the worker will read.
  function replyPreview() {
    document.querySelectorAll("textarea[data-count]").forEach(function (box) {
      var count = document.getElementById(box.dataset.count);
      var preview = document.getElementById(box.dataset.preview || "");
      var max = count ? parseInt(count.dataset.max, 10) : 0;
      var template = count ? count.dataset.template || "{used} / {max}" : "";
      function update() {
        var used = Array.from(box.value).length; // characters, as the desk counts them
        if (count) {
          count.textContent = template.replace("{used}", used.toLocaleString()).replace("{max}", max.toLocaleString());
          count.classList.toggle("over", used > max);
        }
        if (preview) {
          preview.textContent = box.value;
        }
      }
      box.addEventListener("input", update);
      update();
    });
  }

  // After the console locks (idle time, or "Lock now" in another tab), a page still open
  // would go on showing decrypted text: ask every few seconds, and leave the page if so.
  var LOCK_CHECK_MS = 5000;
  function watchLock() {
    if (document.body.dataset.watchLock !== "yes") {
      return;
    }
    function check() {
      fetch("/session", { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : { locked: true }; })
        .then(function (state) {
          if (state.locked) {
            document.body.textContent = "";
            window.location.replace("/unlock");
          }
        })
        .catch(function () { /* the console stopped: nothing to do until it answers */ });
    }
    window.setInterval(check, LOCK_CHECK_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    autoSubmit();
    replyPreview();
    watchLock();
  });
})();
