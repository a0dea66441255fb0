/* Draws the chart of a page from its json_script elements: #chart-data ({data, layout, config},
   and narrow: {data, layout} with wide_min_width) and #plotly-locale (the modebar's texts in the
   page's language). No data is pasted into inline scripts, so a Content-Security-Policy without
   'unsafe-inline' can be used.

   Two layouts, both built on the server (indicators/charts.py): the wide one (vertical bars, as
   in the PNG) where the chart is at least wide_min_width CSS pixels wide, else the narrow one
   (horizontal bars, labels on the start side, legend and notes below). When the chart's width
   changes (a window resized, a phone turned), the chart is laid out again for the new width,
   switching layouts with Plotly.react where needed. #chart carries data-layout ("wide" or
   "narrow"), data-width (the width it was last laid out for) and data-scheme ("light" or
   "dark"). In dark mode (prefers-color-scheme) the chart's colours are swapped for dark ones
   (DARK_COLOURS); printed, it is drawn light, PRINT_WIDTH pixels wide. Server PNGs stay light.

   Where the server has drawn the chart already (indicators/chart_static.py: SVGs in #chart), the
   drawing for the chart's width is shown and plotly.js waits until the reader reaches for the
   chart (keepDrawing). Otherwise, or then (issue 16): the page is painted first, then plotly.js is
   run (one task), then the chart is drawn (another task), once the chart's fonts are there. */
(function () {
  "use strict";

  /* plotly.js: chart_scripts.html preloads it (at low priority, after the page's own files) and
     names it in this script's data-plotly; it is run only once the page has been painted (see
     start). */
  var PLOTLY_SRC = document.currentScript ? document.currentScript.getAttribute("data-plotly") : null;

  /* indicators/charts.py's colours, and what they become on a dark page (the same contrast
     against the dark background, the three kinds of area still told apart). */
  var DARK_COLOURS = {
    "#ffffff": "#16191d", // paper and plot: site.css's --background in dark mode
    "#1f2328": "#e6e8eb", // text
    "#4d5560": "#b4bac2", // muted text, zero line, separators
    "#d9dde3": "#3a414b", // grid
    "#1d5c8f": "#5fa8e8", // countries
    "#8a4f00": "#e0a24a", // groups of countries
    "#2f6b2c": "#7cc777" // regions
  };
  var DARK_MODEBAR = { bgcolor: "rgba(0,0,0,0)", color: "#b4bac2", activecolor: "#e6e8eb" };
  // The chart on an A4 page (site.css's print rules give #chart this width: 170 mm).
  var PRINT_WIDTH = 642;

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

  function chooseLayout(figure, width) {
    return figure.narrow && width < (figure.wide_min_width || 0) ? "narrow" : "wide";
  }

  /* Every colour of the figure that has a dark counterpart, swapped (in place). */
  function darken(value) {
    if (Array.isArray(value)) {
      for (var i = 0; i < value.length; i++) {
        value[i] = darken(value[i]);
      }
      return value;
    }
    if (value && typeof value === "object") {
      Object.keys(value).forEach(function (key) {
        value[key] = darken(value[key]);
      });
      return value;
    }
    if (typeof value === "string" && DARK_COLOURS.hasOwnProperty(value.toLowerCase())) {
      return DARK_COLOURS[value.toLowerCase()];
    }
    return value;
  }

  /* A fresh copy of one layout's {data, layout}: plotly.js writes into the objects it is given
     (autoranges, defaults), and each redraw must start again from what the server sent. */
  function layoutCopy(text, kind, dark) {
    var figure = JSON.parse(text);
    var chosen = kind === "narrow" ? figure.narrow : figure;
    // The width is the chart's own (its container's), measured again at every redraw.
    chosen.layout.autosize = true;
    if (dark) {
      darken(chosen.data);
      darken(chosen.layout);
      chosen.layout.modebar = DARK_MODEBAR;
    }
    return chosen;
  }

  function draw() {
    var element = document.getElementById("chart-data");
    var target = document.getElementById("chart");
    if (!element || !target || !window.Plotly) {
      return Promise.resolve(false);
    }
    var text = element.textContent;
    var figure = JSON.parse(text);
    var locale = readJSON("plotly-locale");
    if (locale && locale.name !== "en") {
      window.Plotly.register({ moduleType: "locale", name: locale.name, dictionary: locale.dictionary, format: {} });
    }
    var config = figure.config || {};
    var pngLink = document.getElementById("download-png");
    if (pngLink) {
      config.modeBarButtonsToAdd = [serverImageButton(pngLink, locale)];
    }
    var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    var printing = false;

    var drawn = { kind: null, width: null, dark: null };
    var pending = false;
    var queue = Promise.resolve();

    function isDark() {
      return !printing && !!(darkQuery && darkQuery.matches);
    }

    /* The chart's box gets the height of the layout it is about to draw, and CSS containment of
       its size and layout: plotly.js measures its text many times while it draws, and each
       measurement lays out again what changed; contained, that is the chart, not the page
       around it (a long table, the quotes). */
    function reserve(chosen) {
      var height = chosen.layout && chosen.layout.height;
      if (!height || printing) {
        target.style.height = "";
        target.style.contain = "";
        return;
      }
      var borders = target.offsetHeight - target.clientHeight;
      target.style.height = height + borders + "px";
      target.style.contain = "size layout style";
    }

    function laidOut(kind, width, dark) {
      drawn.kind = kind;
      drawn.width = width;
      drawn.dark = dark;
      target.setAttribute("data-layout", kind);
      target.setAttribute("data-width", String(width));
      target.setAttribute("data-scheme", dark ? "dark" : "light");
    }

    function update() {
      pending = false;
      var width = target.clientWidth;
      var dark = isDark();
      if (printing || !width || (width === drawn.width && dark === drawn.dark)) {
        return;
      }
      var kind = chooseLayout(figure, width);
      queue = queue
        .then(function () {
          if (kind !== drawn.kind || dark !== drawn.dark) {
            var chosen = layoutCopy(text, kind, dark);
            reserve(chosen);
            return window.Plotly.react(target, chosen.data, chosen.layout, config);
          }
          return window.Plotly.Plots.resize(target);
        })
        .then(function () {
          laidOut(kind, width, dark);
        });
    }

    function schedule() {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(update);
      }
    }

    /* Printing: there is no frame to wait for between this event and the printed layout, so the
       chart is drawn at once (plotly.js draws bars synchronously), light, at the printed width. */
    function beforePrint() {
      if (printing) {
        return;
      }
      printing = true;
      var kind = chooseLayout(figure, PRINT_WIDTH);
      var chosen = layoutCopy(text, kind, false);
      chosen.layout.autosize = false;
      chosen.layout.width = PRINT_WIDTH;
      reserve(chosen);
      window.Plotly.react(target, chosen.data, chosen.layout, config);
      laidOut(kind, PRINT_WIDTH, false);
    }

    function afterPrint() {
      if (!printing) {
        return;
      }
      printing = false;
      drawn.kind = null;
      drawn.width = null;
      schedule();
    }

    removeDrawings(target); // the server's drawing, if the reader has just reached for it
    var width = target.clientWidth;
    var kind = chooseLayout(figure, width);
    var dark = isDark();
    var first = layoutCopy(text, kind, dark);
    reserve(first);
    queue = window.Plotly.newPlot(target, first.data, first.layout, config).then(function () {
      laidOut(kind, width, dark);
      // A bar leads to its source and quote: one click away, on the same page.
      target.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && typeof point.customdata === "string" && point.customdata.charAt(0) === "#") {
          window.location.hash = point.customdata;
        }
      });
      // Laid out again when the chart's width changes; its height is the layout's own.
      if (window.ResizeObserver) {
        new window.ResizeObserver(schedule).observe(target);
      } else {
        window.addEventListener("resize", schedule);
      }
      if (darkQuery && darkQuery.addEventListener) {
        darkQuery.addEventListener("change", schedule);
      }
      window.addEventListener("beforeprint", beforePrint);
      window.addEventListener("afterprint", afterPrint);
      var printQuery = window.matchMedia ? window.matchMedia("print") : null;
      if (printQuery && printQuery.addEventListener) {
        printQuery.addEventListener("change", function (event) {
          (event.matches ? beforePrint : afterPrint)();
        });
      }
      schedule();
    });
    return queue.then(function () {
      return true;
    });
  }

  /* The faces the chart draws with (site.css's @font-face, cut by script; base.html preloads
     them): both weights of the page's script, and the regular weight of the other. The sample
     text picks the file: document.fonts.load fetches only the faces its text needs. */
  var ARABIC_SAMPLE = "\u0627 ";
  var LATIN_SAMPLE = "a ";
  function chartFonts() {
    var rtl = document.documentElement.dir === "rtl";
    var own = rtl ? ARABIC_SAMPLE : LATIN_SAMPLE;
    var other = rtl ? LATIN_SAMPLE : ARABIC_SAMPLE;
    return [["400 13px Vazirmatn", own], ["700 13px Vazirmatn", own], ["400 13px Vazirmatn", other]];
  }
  var FONT_WAIT_MS = 3000;

  /* Resolved once the chart's faces are loaded, or after FONT_WAIT_MS. Plotly measures text when
     it draws: without them, labels are placed for another font. Only those (document.fonts.ready
     would also wait for every other font the page uses), and not for ever: a font that does not
     come is no reason to show no chart. */
  function chartFontsLoaded() {
    if (!document.fonts || !document.fonts.load) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      window.setTimeout(resolve, FONT_WAIT_MS);
      Promise.all(
        chartFonts().map(function (face) {
          return document.fonts.load(face[0], face[1]);
        })
      ).then(resolve, resolve);
    });
  }

  /* Resolved once the page's first contentful paint is on screen (its "paint" entry is only
     reported then), or at once where that cannot be known or will not come (a hidden tab). The
     heading and the text are shown before plotly.js is run: running it takes a long while on a
     slow phone, and would otherwise hold up the page's first paint whenever the script arrives
     first. */
  function painted() {
    return new Promise(function (resolve) {
      var Observer = window.PerformanceObserver;
      var types = Observer && Observer.supportedEntryTypes;
      if (document.visibilityState === "hidden" || !types || types.indexOf("paint") < 0) {
        resolve();
        return;
      }
      var observer = new Observer(function (list) {
        var entries = list.getEntries();
        for (var i = 0; i < entries.length; i++) {
          if (entries[i].name === "first-contentful-paint") {
            observer.disconnect();
            resolve();
            return;
          }
        }
      });
      observer.observe({ type: "paint", buffered: true });
      // A page with nothing to paint yet (no text, no image) reports no contentful paint.
      window.setTimeout(resolve, FONT_WAIT_MS);
    });
  }

  /* plotly.js, run by adding its script (preloaded: it is not fetched again) once asked for. */
  function plotlyLoaded() {
    if (window.Plotly || !PLOTLY_SRC) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = PLOTLY_SRC;
      script.onload = resolve;
      script.onerror = resolve; // draw() then draws nothing, as without a script
      document.head.appendChild(script);
    });
  }

  /* Runs fn in a task of its own: the chart is drawn in one task, plotly.js is run in another,
     so that neither keeps the page from answering a tap for their sum. */
  function nextTask(fn) {
    return new Promise(function (resolve) {
      window.setTimeout(function () {
        resolve(fn());
      }, 0);
    });
  }

  /* The interactive chart: plotly.js run once the page is painted, then the chart drawn once its
     fonts are there. */
  function interactive() {
    var fonts = chartFontsLoaded();
    return painted()
      .then(plotlyLoaded)
      .then(function () {
        return fonts;
      })
      .then(function () {
        return nextTask(draw);
      });
  }

  /* The chart already drawn by the server (indicators/chart_static.py): #chart holds one
     <svg class="chart-static"> per width it was drawn at, each with the chart widths it suits
     (data-min to below data-max, CSS px) and its layout (data-layout). The one for the chart's
     width is shown; plotly.js is run only when the reader reaches for the chart (a mouse over
     it, a tap or a click, the keyboard's focus) or when no drawing suits the width (a window
     resized, a phone turned). Printed, the drawing nearest the printed width is shown. */
  function drawingFor(drawings, width) {
    for (var i = 0; i < drawings.length; i++) {
      var from = Number(drawings[i].getAttribute("data-min"));
      var below = Number(drawings[i].getAttribute("data-max"));
      if (width >= from && width < below) {
        return drawings[i];
      }
    }
    return null;
  }

  /* The drawing to print (PRINT_WIDTH): the widest of the narrow layout, at its own size (its
     text as plotly.js would print it), else the wide layout's nearest, scaled to the page. */
  function printedDrawing(drawings) {
    var best = null;
    for (var i = 0; i < drawings.length; i++) {
      var drawing = drawings[i];
      var width = drawing.viewBox.baseVal.width;
      var narrow = drawing.getAttribute("data-layout") === "narrow";
      var rank = narrow ? 1e6 + Math.min(width, PRINT_WIDTH) : -Math.abs(width - PRINT_WIDTH);
      if (!best || rank > best.rank) {
        best = { drawing: drawing, rank: rank, width: narrow ? Math.min(width, PRINT_WIDTH) : PRINT_WIDTH };
      }
    }
    return best;
  }

  function showDrawing(target, drawings, chosen, width) {
    for (var i = 0; i < drawings.length; i++) {
      drawings[i].classList.toggle("is-shown", drawings[i] === chosen);
    }
    target.setAttribute("data-static", "shown");
    target.setAttribute("data-layout", chosen.getAttribute("data-layout"));
    target.setAttribute("data-width", String(width));
  }

  function removeDrawings(target) {
    var drawings = target.querySelectorAll("svg.chart-static");
    for (var i = 0; i < drawings.length; i++) {
      drawings[i].parentNode.removeChild(drawings[i]);
    }
    target.removeAttribute("data-static");
  }

  /* The reader reaching for the chart: a mouse moving over it, a click or a tap on it, the
     keyboard's focus. */
  var REACHING = ["pointermove", "click", "focus"];

  /* Where a click on the drawing leads: its point's customdata ("#anchor": the figure's quote,
     where plotly.js's chart leads on plotly_click), or null. The drawing's points are plotly.js's
     own (g.trace > .points > .point), in its order: the traces of one type in the order of the
     figure's data, a trace's points in the order of its values, those without a value not drawn. */
  function pointedQuote(event, drawing) {
    var point = event.target && event.target.closest ? event.target.closest(".point") : null;
    var trace = point ? point.closest(".trace") : null;
    if (!trace || !drawing || !drawing.contains(trace)) {
      return null;
    }
    var figure = JSON.parse(document.getElementById("chart-data").textContent);
    var chosen = drawing.getAttribute("data-layout") === "narrow" ? figure.narrow : figure;
    var type = trace.classList.contains("bars") ? "bar" : "scatter";
    var sameType = chosen.data.filter(function (data) {
      return (data.type || "scatter") === type;
    });
    var traces = Array.prototype.filter.call(trace.parentNode.children, function (element) {
      return element.classList.contains("trace");
    });
    var data = sameType[traces.indexOf(trace)];
    var points = trace.querySelectorAll(".point");
    var values = (data && data.customdata) || [];
    if (values.length !== points.length) {
      values = values.filter(function (value, i) {
        return data.x[i] !== null && data.y[i] !== null;
      });
    }
    var value = values.length === points.length ? values[Array.prototype.indexOf.call(points, point)] : null;
    return typeof value === "string" && value.charAt(0) === "#" ? value : null;
  }

  function keepDrawing(target, drawings) {
    var observer = null;
    var printing = false;
    var loading = false;
    var printQuery = window.matchMedia ? window.matchMedia("print") : null;

    function reached(event) {
      // Neither a finger on its way to scroll the page nor the page scrolling under a mouse
      // that does not move is reaching for the chart; a tap (click) and a mouse moved are.
      if (event.type === "pointermove" && (event.pointerType === "touch" || (!event.movementX && !event.movementY))) {
        return;
      }
      toInteractive();
    }

    function onPrintChange(event) {
      (event.matches ? beforePrint : afterPrint)();
    }

    /* plotly.js has drawn the chart in the drawings' place: nothing here is needed any more. */
    function drawn() {
      REACHING.forEach(function (type) {
        target.removeEventListener(type, reached);
      });
      if (observer) {
        observer.disconnect();
      }
      window.removeEventListener("beforeprint", beforePrint);
      window.removeEventListener("afterprint", afterPrint);
      if (printQuery && printQuery.removeEventListener) {
        printQuery.removeEventListener("change", onPrintChange);
      }
      // Not a stop for the keyboard any more, once it has left (plotly.js's modebar is).
      if (document.activeElement === target) {
        target.addEventListener(
          "blur",
          function () {
            target.removeAttribute("tabindex");
          },
          { once: true }
        );
      } else {
        target.removeAttribute("tabindex");
      }
    }

    /* plotly.js fetched and run, and the chart drawn by it. If it does not come (the network),
       the drawing stays as it was, and the next reach tries again. */
    function toInteractive() {
      if (loading) {
        return;
      }
      loading = true;
      target.setAttribute("aria-busy", "true");
      interactive().then(function (done) {
        loading = false;
        target.removeAttribute("aria-busy");
        if (done) {
          drawn();
        }
      });
    }

    function fit() {
      if (printQuery && printQuery.matches) {
        beforePrint(); // the printed width may be seen here before the print events come
        return;
      }
      if (printing) {
        return;
      }
      var width = target.clientWidth;
      var chosen = drawingFor(drawings, width);
      if (chosen) {
        showDrawing(target, drawings, chosen, width);
      } else {
        toInteractive();
      }
    }

    function beforePrint() {
      var printed = printedDrawing(drawings);
      if (printing || !printed) {
        return;
      }
      printing = true;
      showDrawing(target, drawings, printed.drawing, printed.width);
      printed.drawing.style.width = printed.width + "px";
    }

    function afterPrint() {
      if (!printing) {
        return;
      }
      printing = false;
      for (var i = 0; i < drawings.length; i++) {
        drawings[i].style.width = "";
      }
      fit();
    }

    target.setAttribute("tabindex", "0"); // the keyboard can reach for it too
    REACHING.forEach(function (type) {
      target.addEventListener(type, reached);
    });
    // A click on a bar (or a marker) of the drawing leads to its quote, as on the interactive
    // chart, also while plotly.js is on its way.
    target.addEventListener("click", function (event) {
      var quote = pointedQuote(event, target.querySelector("svg.chart-static.is-shown"));
      if (quote) {
        window.location.hash = quote;
      }
    });
    if (window.ResizeObserver) {
      observer = new window.ResizeObserver(fit);
      observer.observe(target);
    }
    window.addEventListener("beforeprint", beforePrint);
    window.addEventListener("afterprint", afterPrint);
    if (printQuery && printQuery.addEventListener) {
      printQuery.addEventListener("change", onPrintChange);
    }
  }

  function start() {
    if (!window.Promise) {
      return;
    }
    var target = document.getElementById("chart");
    var drawings = target ? target.querySelectorAll("svg.chart-static") : [];
    var width = target ? target.clientWidth : 0;
    var chosen = drawings.length ? drawingFor(drawings, width) : null;
    if (chosen) {
      showDrawing(target, drawings, chosen, width);
      keepDrawing(target, drawings);
      return;
    }
    if (target && drawings.length) {
      removeDrawings(target);
      target.removeAttribute("tabindex");
    }
    interactive();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
