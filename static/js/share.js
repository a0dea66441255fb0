/* The chart's "Copy link" button (#copy-link): copies the page's address (its data-url, the
   canonical URL of the view) to the clipboard and says so in #copy-link-status. Where the
   clipboard cannot be written (no navigator.clipboard outside HTTPS, or permission refused),
   the address is shown selected in a text field instead, ready to copy by hand. */
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("copy-link");
    var status = document.getElementById("copy-link-status");
    var fallback = document.getElementById("copy-link-fallback");
    var field = document.getElementById("copy-link-field");
    if (!button || !status || !fallback || !field) {
      return;
    }
    var url = button.getAttribute("data-url") || window.location.href;

    function showField() {
      status.textContent = "";
      field.value = url;
      fallback.hidden = false;
      field.focus();
      field.select();
    }

    function copied() {
      fallback.hidden = true;
      // Emptied first, so that a second click is announced again.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = button.getAttribute("data-copied");
      }, 50);
    }

    button.addEventListener("click", function () {
      var clipboard = window.isSecureContext && navigator.clipboard;
      if (clipboard && typeof clipboard.writeText === "function") {
        clipboard.writeText(url).then(copied, showField);
      } else {
        showField();
      }
    });
    button.hidden = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
