/* A background import's status page (admin, #import-job): asks the job's progress address
   (data-progress-url) every second and a half and updates the sentence (#job-progress-text) and
   the bar (#job-progress) in place; once the job's status is no longer the page's
   (data-job-status), the page is loaded again to show the preview, the result or the problems.
   Without JavaScript, a <noscript> refresh reloads the whole page instead. */
(function () {
  "use strict";

  var EVERY = 1500;
  var LONGEST = 30000;

  function start() {
    var root = document.getElementById("import-job");
    if (!root || !window.fetch) {
      return;
    }
    var url = root.getAttribute("data-progress-url");
    var status = root.getAttribute("data-job-status");
    var text = document.getElementById("job-progress-text");
    var bar = document.getElementById("job-progress");
    var wait = EVERY;

    function show(data) {
      if (data.status !== status) {
        window.location.reload();
        return false;
      }
      if (text && text.textContent !== data.text) {
        text.textContent = data.text;
      }
      if (bar && data.value !== null && data.max !== null) {
        bar.max = Math.max(data.max, 1);
        bar.value = data.value;
      }
      return true;
    }

    function ask() {
      window
        .fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (show(data)) {
            wait = EVERY;
            window.setTimeout(ask, wait);
          }
        })
        .catch(function () {
          // The server busy or unreachable: ask again, less often.
          wait = Math.min(wait * 2, LONGEST);
          window.setTimeout(ask, wait);
        });
    }

    window.setTimeout(ask, wait);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
