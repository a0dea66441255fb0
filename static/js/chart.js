/* Draws the chart of a page from its json_script elements: #chart-data ({data, layout, config})
   and #plotly-locale (the modebar's texts in the page's language). No data is pasted into inline
   scripts, so a Content-Security-Policy without 'unsafe-inline' can be used. */
(function () {
  "use strict";

  function readJSON(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  /* The modebar's camera, in place of plotly.js's own "Download plot as a PNG" (removed in the
     config): that one draws in the browser, which ignores the page's web font, so Persian and
     Arabic would come out in whatever font the visitor has. This one downloads the server's
     image, the same as the page's "Download PNG" link (#download-png), by following that link. */
  function serverImageButton(link, locale) {
    var title = "Download plot as a PNG";
    if (locale && locale.dictionary && locale.dictionary[title]) {
      title = locale.dictionary[title];
    }
    return {
      name: "downloadServerImage",
      title: title,
      icon: window.Plotly.Icons.camera,
      click: function () {
        link.click();
      }
    };
  }

  function draw() {
    var figure = readJSON("chart-data");
    var target = document.getElementById("chart");
    if (!figure || !target || !window.Plotly) {
      return;
    }
    var locale = readJSON("plotly-locale");
    if (locale && locale.name !== "en") {
      window.Plotly.register({ moduleType: "locale", name: locale.name, dictionary: locale.dictionary, format: {} });
    }
    var config = figure.config || {};
    var pngLink = document.getElementById("download-png");
    if (pngLink) {
      config.modeBarButtonsToAdd = [serverImageButton(pngLink, locale)];
    }
    window.Plotly.newPlot(target, figure.data, figure.layout, config).then(function () {
      // A bar leads to its source and quote: one click away, on the same page.
      target.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && typeof point.customdata === "string" && point.customdata.charAt(0) === "#") {
          window.location.hash = point.customdata;
        }
      });
    });
  }

  function start() {
    // Plotly measures text when it draws: wait for the web font, or labels are placed for another.
    if (document.fonts && document.fonts.ready) {
      document.fonts.ready.then(draw, draw);
    } else {
      draw();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
