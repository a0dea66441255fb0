/* Draws the chart of a page from its json_script elements: #chart-data ({data, layout, config})
   and #plotly-locale (the modebar's texts in the page's language). No data is pasted into inline
   scripts, so a Content-Security-Policy without 'unsafe-inline' can be used. */
(function () {
  "use strict";

  function readJSON(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
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
    window.Plotly.newPlot(target, figure.data, figure.layout, figure.config).then(function () {
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
