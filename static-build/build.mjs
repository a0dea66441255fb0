// Builds the front-end files SMEdash serves that npm does not ship ready-made (`make assets`):
//
//   out/plotly/plotly-smedash.min.js
//     plotly.js with only what the charts use: the bar and scatter (lines) traces, the layout
//     components they draw with, and the colour spaces they are given, from the pinned
//     `plotly.js` package (0.95 MB, 325 KB gzipped, against 1.19 MB and 395 KB for the stock
//     basic bundle). Served as /static/vendor/plotly/.
//   out/fonts/vazirmatn-{latin,arabic}-{400,700}.woff2
//     Vazirmatn (the pinned `vazirmatn` package), each weight cut in two by script: Arabic
//     (Arabic and Persian letters, digits, punctuation, ZWNJ) and Latin (with punctuation and
//     symbols), 18-19 KB each against 51 KB for a whole weight. static/css/site.css gives each
//     file the same unicode-range, so a page fetches only the files of the characters it shows
//     (templates/base.html preloads three). Served as /static/fonts/.
//
// Build output: git-ignored, rebuilt from package-lock.json's exact versions (smedash/settings.py,
// STATICFILES_DIRS, serves it). The same inputs give the same bytes (no timestamps, no source
// maps, no absolute paths).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";
import subsetFont from "subset-font";
import { minify } from "terser";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const out = join(here, "out");
const require = createRequire(join(root, "package.json"));
const plotlyVersion = JSON.parse(await readFile(require.resolve("plotly.js/package.json"), "utf8")).version;

// The entry: plotly.js's own src/core.js with fewer components, plus the bar trace. core.js
// registers scatter (the trend lines) and every layout component; the charts use annotations
// (titles, notes), shapes (separators), the legend, hover (fx) and the modebar, and nothing else
// (indicators/charts.py, chart_narrow.py). A component left out is a no-op to plotly.js
// (Registry.getComponentMethod), and what the ones kept need is still bundled by their imports.
// Left out: selections (select and lasso are removed from the modebar), images, update menus,
// sliders, range slider and selector, grid, error bars, colour bar, 3D annotations; the calendars
// and pie of the basic bundle. Locales come at run time from the page (chart.js registers the
// page's dictionary). core.js's Promise polyfill is left out (every browser has Promise). Keep
// the exports below in step with src/core.js when plotly.js is updated.
const entry = `
require("plotly.js/build/plotcss");
var Registry = require("plotly.js/src/registry");
var plotApi = require("plotly.js/src/plot_api");
var Plots = require("plotly.js/src/plots/plots");
var Fx = require("plotly.js/src/components/fx");
var Plotly = { version: require("plotly.js/src/version").version, register: Registry.register };
Object.keys(plotApi).forEach(function (name) {
  if (name.charAt(0) !== "_") Plotly[name] = plotApi[name];
  Registry.register({ moduleType: "apiMethod", name: name, fn: plotApi[name] });
});
Registry.register(require("plotly.js/src/traces/scatter"));
Registry.register([
  require("plotly.js/src/components/annotations"),
  require("plotly.js/src/components/shapes"),
  require("plotly.js/src/components/colorscale"),
  require("plotly.js/src/components/legend"),
  require("plotly.js/src/components/fx"),
  require("plotly.js/src/components/modebar")
]);
Registry.register([require("plotly.js/src/locale-en"), require("plotly.js/src/locale-en-us")]);
Registry.register(require("plotly.js/src/traces/bar"));
Plotly.Icons = require("plotly.js/src/fonts/ploticon");
Plotly.Plots = { resize: Plots.resize, graphJson: Plots.graphJson };
Plotly.Fx = { hover: Fx.hover, unhover: Fx.unhover, loneHover: Fx.loneHover, loneUnhover: Fx.loneUnhover };
Plotly.PlotSchema = require("plotly.js/src/plot_api/plot_schema");
module.exports = Plotly;
`;

// registry.js requires maplibre's stylesheet when a map trace is registered; none is, so it is
// left out rather than bundled. Outside the WebGL traces plotly.js uses two of gl-mat4's 25
// functions (src/lib/dom.js, src/lib/matrix.js): only those two are bundled. Its colours go
// through culori (src/components/color/index.js: converter, formatHex, formatRgb and the WCAG
// functions), whose main entry registers every colour space it knows; the tree-shakable
// culori/fn with the spaces of the colours a chart is given (hex, rgb(a), hsl(a), hwb, named) and
// lrgb (which the WCAG functions convert to) takes 17 KB off the gzipped file. A colour in
// another space (lab(), oklch()...) would be drawn black: the charts use none.
const SHIMS = {
  "maplibre-gl.css": "",
  "gl-mat4": 'module.exports = { multiply: require("gl-mat4/multiply"), invert: require("gl-mat4/invert") };',
  culori: `import { useMode, modeRgb, modeHsl, modeHwb, modeLrgb } from "culori/fn";
useMode(modeRgb); useMode(modeHsl); useMode(modeHwb); useMode(modeLrgb);
export { converter, formatHex, formatRgb, wcagContrast, wcagLuminance } from "culori/fn";`,
};
const trimmed = {
  name: "trimmed",
  setup(build) {
    build.onResolve({ filter: /maplibre-gl\.css$/ }, () => ({ path: "maplibre-gl.css", namespace: "trimmed" }));
    build.onResolve({ filter: /^(gl-mat4|culori)$/ }, ({ path }) => ({ path, namespace: "trimmed" }));
    build.onLoad({ filter: /.*/, namespace: "trimmed" }, ({ path }) => ({
      contents: SHIMS[path],
      loader: "js",
      resolveDir: root,
    }));
  },
};

async function buildPlotly() {
  const outfile = join(out, "plotly", "plotly-smedash.min.js");
  await mkdir(dirname(outfile), { recursive: true });
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: root, sourcefile: "plotly-smedash.js", loader: "js" },
    bundle: true,
    format: "iife",
    globalName: "Plotly",
    minify: true,
    legalComments: "none",
    target: "es2016",
    // As plotly.js's own build (esbuild-config.js) sets them.
    define: { global: "window", "define.amd": "false", "process.env.NODE_DEBUG": "false" },
    alias: { stream: "stream-browserify", regl: "@plotly/regl" },
    plugins: [trimmed],
    write: false,
    logLevel: "warning",
  });
  // esbuild bundles and minifies; terser's two passes over its output take another 18 KB off
  // the gzipped file (5 %), which is most of what is left to take.
  const minified = await minify(result.outputFiles[0].text, { compress: { passes: 2 }, mangle: true });
  const banner =
    `/* plotly.js v${plotlyVersion} (MIT, Plotly, Inc.): scatter + bar, ` +
    `built by SMEdash's static-build/build.mjs */\n`;
  await writeFile(outfile, banner + minified.code);
  return outfile;
}

// Keep in step with the unicode-range of site.css's @font-face rules. ARABIC: Arabic and Persian
// letters, digits and punctuation; U+200C (ZWNJ, inside Persian words) and the directional marks
// stay with the letters they sit between. LATIN: the "latin" subset web fonts commonly use (Basic
// Latin, Latin-1, punctuation, euro, minus...); the rest of Vazirmatn's Latin extensions, Greek
// and Cyrillic would add 10 KB a weight for letters no page shows (should a name need one, the
// next font of the stack draws it).
const ARABIC = [[0x0600, 0x06ff], [0x200c, 0x200f], [0xfb50, 0xfdff], [0xfe70, 0xfeff]];
const LATIN = [
  [0x0020, 0x00ff], [0x0131, 0x0131], [0x0152, 0x0153], [0x02bb, 0x02bc], [0x02c6, 0x02c6], [0x02da, 0x02da],
  [0x02dc, 0x02dc], [0x0304, 0x0304], [0x0308, 0x0308], [0x0329, 0x0329], [0x2000, 0x200b], [0x2010, 0x206f],
  [0x20ac, 0x20ac], [0x2122, 0x2122], [0x2191, 0x2191], [0x2193, 0x2193], [0x2212, 0x2212], [0x2215, 0x2215],
  [0xfffd, 0xfffd],
];
const within = (ranges) => (code) => ranges.some(([from, to]) => code >= from && code <= to);

function characters(keep) {
  let text = "";
  for (let code = 0x20; code <= 0xffff; code++) {
    if ((code < 0xd800 || code > 0xdfff) && keep(code)) text += String.fromCodePoint(code);
  }
  return text;
}

async function buildFonts() {
  const source = join(dirname(require.resolve("vazirmatn/package.json")), "fonts", "webfonts");
  await mkdir(join(out, "fonts"), { recursive: true });
  const files = [];
  for (const [weight, name] of [[400, "Regular"], [700, "Bold"]]) {
    const font = await readFile(join(source, `Vazirmatn-${name}.woff2`));
    const scripts = { arabic: characters(within(ARABIC)), latin: characters(within(LATIN)) };
    for (const [script, text] of Object.entries(scripts)) {
      const file = join(out, "fonts", `vazirmatn-${script}-${weight}.woff2`);
      await writeFile(file, await subsetFont(font, text, { targetFormat: "woff2" }));
      files.push(file);
    }
  }
  return files;
}

const built = [await buildPlotly(), ...(await buildFonts())];
for (const file of built) {
  console.log(`built ${file.slice(root.length + 1)}`);
}
