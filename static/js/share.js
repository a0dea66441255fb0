/* Taking a chart away: "Copy link" (#copy-link) and the copy buttons of the "Cite" boxes
   (indicators/templates/indicators/includes/cite_box.html).

   "Copy link" copies the page's address (its data-url, the canonical URL of the view) to the
   clipboard and says so in #copy-link-status. Where the clipboard cannot be written (no
   navigator.clipboard outside HTTPS, or permission refused), the address is shown selected in a
   text field instead, ready to copy by hand.

   Each ".copy-button" copies the text of the field its data-copy-target names (a citation in
   APA or BibTeX) and says so in the status next to it; without a clipboard the field's text is
   selected instead, and the status says to copy it with the keyboard. */
(function () {
  "use strict";

  function announce(status, text) {
    // Emptied first, so that a second click is announced again.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  function writeClipboard(text, done, failed) {
    var clipboard = window.isSecureContext && navigator.clipboard;
    if (clipboard && typeof clipboard.writeText === "function") {
      clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  }

  function startCopyLink() {
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

    button.addEventListener("click", function () {
      writeClipboard(
        url,
        function () {
          fallback.hidden = true;
          announce(status, button.getAttribute("data-copied"));
        },
        showField
      );
    });
    button.hidden = false;
  }

  function startCopyButton(button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.nextElementSibling;
    if (!field || !status || !status.classList.contains("copy-status")) {
      return;
    }

    function selectField() {
      field.focus();
      field.select();
      announce(status, button.getAttribute("data-selected"));
    }

    button.addEventListener("click", function () {
      writeClipboard(
        field.value,
        function () {
          announce(status, button.getAttribute("data-copied"));
        },
        selectField
      );
    });
    button.hidden = false;
  }

  function start() {
    startCopyLink();
    var buttons = document.querySelectorAll(".copy-button[data-copy-target]");
    for (var i = 0; i < buttons.length; i += 1) {
      startCopyButton(buttons[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
