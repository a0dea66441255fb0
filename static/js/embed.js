/* Two halves of embedding a chart in another site.

   In the embed view itself (indicators/embed.html, body.embed), when it is framed: its height is
   posted to the framing page, {type: "smedash:embed-height", height: px}, at load and whenever it
   changes (the chart is laid out again for the frame's width, a font arrives). The <iframe> code
   (indicators/share.py, embed_code) carries a few lines of script that set the frame's height
   from that message, checking that it comes from this site and from that frame; where a site
   strips scripts, the frame keeps the sensible fixed height the code gives it.

   On a chart page, the chart's "Embed" action (indicators/templates/indicators/includes/embed_action.html): the
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

  var posted = 0;

  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height && height !== posted) {
      posted = height;
      // "*": the height of a public page is no secret, and the framing site is not known here.
      window.parent.postMessage({ type: "smedash:embed-height", height: height }, "*");
    }
  }

  function startEmbedView() {
    if (window.parent === window || !document.body.classList.contains("embed")) {
      return;
    }
    postHeight();
    if (typeof window.ResizeObserver === "function") {
      new window.ResizeObserver(postHeight).observe(document.documentElement);
    } else {
      window.addEventListener("resize", postHeight);
    }
    window.addEventListener("load", postHeight);
  }

  function startAll() {
    start();
    startEmbedView();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
