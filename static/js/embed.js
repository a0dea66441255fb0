/* The chart's "Embed" action (indicators/templates/indicators/includes/embed_action.html): the
   "Copy code" button (#copy-embed) copies the <iframe> code of #embed-code to the clipboard and
   says so in #copy-embed-status. Where the clipboard cannot be written (no navigator.clipboard
   outside HTTPS, or permission refused), the code is selected in its field, ready to copy by hand. */
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("copy-embed");
    var field = document.getElementById("embed-code");
    var status = document.getElementById("copy-embed-status");
    if (!button || !field || !status) {
      return;
    }

    function say(text) {
      // Emptied first, so that a second click is announced again.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = text;
      }, 50);
    }

    function selectField() {
      field.focus();
      field.select();
      say(button.getAttribute("data-selected"));
    }

    button.addEventListener("click", function () {
      var clipboard = window.isSecureContext && navigator.clipboard;
      if (clipboard && typeof clipboard.writeText === "function") {
        clipboard.writeText(field.value).then(function () {
          say(button.getAttribute("data-copied"));
        }, selectField);
      } else {
        selectField();
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
