"""What the browser tests share: the public pages, reading the drawn chart, digits, axe-core."""

import json
import os
import re
import struct
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from playwright.sync_api import expect

LANGS = ["en", "ar", "fa"]
DIRECTION = {"en": "ltr", "ar": "rtl", "fa": "rtl"}

SOURCE_ID = "001_e2e29c5eae0b9509.txt"
COMPARE_AREAS_QUERY = "areas=IRN&areas=JPN&areas=EU25&year=all"

# name -> (path after /<lang>, has a chart, HTTP status)
PAGES = {
    "home": ("/", False, 200),
    "compare-index": ("/compare/", True, 200),  # redirects to the first headline indicator
    "compare": ("/compare/firm_share/", True, 200),
    "compare-areas": (f"/compare/firm_share/?{COMPARE_AREAS_QUERY}", True, 200),
    "area-IRN": ("/areas/IRN/", True, 200),
    "area-EU25": ("/areas/EU25/", True, 200),
    "area-IR-02": ("/areas/IR-02/", True, 200),
    "sources": ("/sources/", False, 200),
    "source": (f"/sources/{SOURCE_ID}/", False, 200),
    "about": ("/about/", False, 200),
    "not-found": ("/no-such-page/", False, 404),
}

LATIN_DIGITS = "0123456789"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
DIGITS = {"en": LATIN_DIGITS, "fa": PERSIAN_DIGITS, "ar": ARABIC_DIGITS}
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")

# Bidirectional isolates and marks the chart wraps its labels in, and line breaks inside them.
_INVISIBLE = re.compile(r"[\u2066-\u2069\u200e\u200f\s]")


def url(page, lang, path):
    return f"{page.base_url}/{lang}{path}"


def norm(text):
    """Text as a reader sees it, for comparison: no isolates, no white space (SVG tick labels
    are wrapped into one <tspan> per line, and textContent joins them without spaces)."""
    return _INVISIBLE.sub("", text or "")


def digits_of(text):
    return {c for c in text if c in LATIN_DIGITS + PERSIAN_DIGITS + ARABIC_DIGITS}


def assert_digits(texts, lang, what):
    """Every digit in these texts is in the language's own digits, and there is at least one."""
    found = digits_of("".join(texts))
    assert found, f"{what}: no digit at all in {texts!r}"
    wrong = found - set(DIGITS[lang])
    assert not wrong, f"{what}: digits {sorted(wrong)} are not {lang} digits, in {texts!r}"


def assert_no_problems(page, allowed=()):
    """Nothing went wrong on the page but what ``allowed`` names (substrings or compiled regexes)."""

    def is_allowed(problem):
        return any(a.search(problem) if isinstance(a, re.Pattern) else a in problem for a in allowed)

    problems = [p for p in page.problems if not is_allowed(p)]
    assert problems == [], "the page reported problems:\n" + "\n".join(problems)


# --- the chart -----------------------------------------------------------------------------------

BARS = "#chart.js-plotly-plot .bars .point path"

_CHART_STATE = """() => {
  const gd = document.getElementById('chart');
  if (!gd) { return null; }
  const box = (e) => { const r = e.getBoundingClientRect();
    return {x: r.x + r.width / 2, y: r.y + r.height / 2, left: r.left, right: r.right,
            width: r.width, height: r.height}; };
  const texts = (sel) => Array.from(gd.querySelectorAll(sel)).map((e) => ({text: e.textContent, ...box(e)}));
  const plot = gd.querySelector('.draglayer .nsewdrag');
  return {
    bars: Array.from(gd.querySelectorAll('.bars .point path')).map(box),
    barTexts: texts('.bars .point text'),
    xTicks: texts('.xaxislayer-above .xtick text'),
    yTicks: texts('.yaxislayer-above .ytick text'),
    plot: plot ? box(plot) : null,
    title: (gd.querySelector('.gtitle') || {}).textContent || '',
    legend: texts('.legend .legendtext').map((t) => t.text),
    annotations: texts('.annotation-text').map((t) => t.text),
    svgText: Array.from(gd.querySelectorAll('svg text')).map((e) => e.textContent).join('\\n'),
  };
}"""


def wait_for_chart(page, bars=None):
    """Wait until Plotly has drawn the chart (``bars`` bars if given, else at least one), then
    return what is drawn: bars, tick labels and bar labels with their positions on the screen."""
    if bars is None:
        page.locator(BARS).first.wait_for(state="attached")
    else:
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length === n", arg=[BARS, bars], polling=100
        )
    # Plotly finishes an afterplot step in the next animation frames; then the SVG stays put.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page.evaluate(_CHART_STATE)


def fetch_json(page, address):
    """GET a JSON twin through the browser's own request context (same cookies, same server)."""
    response = page.request.get(address)
    assert response.ok, f"{address}: HTTP {response.status}"
    return response.json()


def charted_figures(data):
    """The figures of a compare/area JSON twin in the chart's order (groups: countries first)."""
    by_id = {f["id"]: f for f in data["figures"]}
    if data.get("groups"):
        return [by_id[i] for group in data["groups"] for i in group["figures"]]
    return list(data["figures"])


def in_reading_order(ticks, lang):
    """Tick labels as a reader meets them: left to right, or right to left in Arabic and Persian."""
    return sorted(ticks, key=lambda t: t["x"], reverse=DIRECTION[lang] == "rtl")


def compare_url(page, lang, code="firm_share", query=""):
    return url(page, lang, f"/compare/{code}/") + (f"?{query}" if query else "")


def compare_json_url(page, lang, code="firm_share", query=""):
    return url(page, lang, f"/compare/{code}/data.json") + (f"?{query}" if query else "")


# --- files ---------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """(width, height) from a PNG's IHDR chunk; fails unless the bytes are a PNG."""
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: starts with {data[:16]!r}"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13, f"a PNG's first chunk must be IHDR, got {chunk!r}"
    width, height = struct.unpack(">II", data[16:24])
    assert data[-8:-4] == b"IEND", "the PNG does not end with an IEND chunk (truncated?)"
    return width, height


# --- accessibility (axe-core from node_modules) --------------------------------------------------

AXE_FILE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe.js"  # answered by the test itself (page.route), never by the app


def run_axe(page):
    """Run axe-core on the page as it is now and return its violations of impact serious or
    critical. axe is served at a same-origin address through page.route, so the page's
    Content-Security-Policy (script-src 'self') applies to it as to the app's own scripts."""
    if not AXE_FILE.exists():
        reason = f"axe-core is not installed ({AXE_FILE} missing): run `make assets` (npm ci)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    address = page.base_url + AXE_PATH
    body = AXE_FILE.read_bytes()
    page.route(address, lambda route: route.fulfill(status=200, body=body, content_type="application/javascript"))
    page.add_script_tag(url=address)
    results = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                        summary: n.failureSummary}))}));
        }"""
    )
    return [v for v in results if v["impact"] in ("serious", "critical")]


def describe_violations(violations):
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {node['target']}: {node['html']}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def dump(value):
    return json.dumps(value, ensure_ascii=False, indent=1)


# --- the admin -----------------------------------------------------------------------------------

EDITOR_PASSWORD = "a-long-editor-password-1"
LOCAL_DIGITS = {
    lang: str.maketrans(LATIN_DIGITS + ".", digits + ("." if lang == "en" else "٫")) for lang, digits in DIGITS.items()
}


def in_local_digits(text, lang):
    """'77.5' as a Persian or Arab editor types it: '۷۷٫۵', '٧٧٫٥'."""
    return text.translate(LOCAL_DIGITS[lang])


def make_editor():
    """A staff user in the "editor" group (manage.py create_roles), with a name never used before:
    django-axes counts failures per user name, so no test can lock another one out."""
    import io
    import uuid

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user(f"editor-{uuid.uuid4().hex[:12]}", password=EDITOR_PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


def log_in(page, lang, user, password=EDITOR_PASSWORD):
    """Log in through the admin's own login form, as a person would."""
    page.goto(f"{page.base_url}/{lang}/admin/login/?next=/{lang}/admin/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    assert urlparse(page.url).path == f"/{lang}/admin/", f"login failed: still at {page.url}"
    assert page.locator("#user-tools").count() == 1


def choose_autocomplete(page, field, term, expected_value):
    """Pick ``term`` in one of the admin's autocomplete (select2) fields, by typing and Enter."""
    page.locator(f"#id_{field} + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(term)
    results = page.locator(".select2-container--open .select2-results__option")
    # The list first shows every choice, then the server's answer to the search: exactly one.
    expect(results).to_have_count(1)
    expect(results).not_to_have_class(re.compile("loading-results"))
    search.press("Enter")
    assert page.locator(f"#id_{field}").input_value() == str(expected_value)


# The bar colours of indicators.charts (GROUP_COLORS, AREA_COLOR).
BAR_COLOURS = ["#1d5c8f", "#8a4f00", "#2f6b2c"]

_PNG_BARS = """async ([b64, colours]) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const {data, width, height} = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const rgb = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const isBar = (x, y) => { const o = (y * width + x) * 4;
    return rgb.some(([r, g, b]) =>
      Math.abs(data[o] - r) + Math.abs(data[o + 1] - g) + Math.abs(data[o + 2] - b) < 12); };
  // The bars stand on one baseline: the lowest row with a good run of bar colour.
  let base = -1;
  for (let y = height - 1; y >= 0 && base < 0; y--) {
    let count = 0;
    for (let x = 0; x < width; x++) { if (isBar(x, y)) { count++; } }
    if (count > 20) { base = y; }
  }
  if (base < 0) { return {width, height, bars: []}; }
  const row = base - 2, bars = [];
  for (let x = 0; x < width; x++) {
    if (!isBar(x, row)) { continue; }
    let end = x; while (end + 1 < width && isBar(end + 1, row)) { end++; }
    if (end - x >= 4) {
      const mid = Math.round((x + end) / 2);
      let top = row; while (top > 0 && isBar(mid, top - 1)) { top--; }
      bars.push({left: x, right: end, height: base - top + 1});
    }
    x = end;
  }
  return {width, height, bars};
}"""


def png_bars(page, data):
    """The bars drawn in a PNG, found by their colour (decoded by the browser's own canvas):
    [{left, right, height}] from left to right, and the image's size."""
    import base64

    return page.evaluate(_PNG_BARS, [base64.b64encode(data).decode(), BAR_COLOURS])


# --- layout at every screen size (tests/browser/test_responsive.py) ------------------------------

# name -> Playwright context options: phones and a tablet are touch screens with a mobile viewport.
SCREENS = {
    "360": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "390": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "768": {"viewport": {"width": 768, "height": 1024}, "is_mobile": True, "has_touch": True},
    "1280": {"viewport": {"width": 1280, "height": 900}},
}
PHONES = ("360", "390")

# The chart's texts, by kind: each drawn <text> is one box (a wrapped label is one <text>).
CHART_TEXTS = {
    "category/value tick": ".xtick text, .ytick text",
    "bar label": ".bartext, .textpoint text",
    "legend": ".legendtext",
    "title": ".gtitle, .gtitle-subtitle",
    "axis title": ".g-xtitle text, .g-ytitle text",
    "note": ".annotation-text",
}

_LAYOUT_STATE = """([textKinds, targets]) => {
  const round = (r) => ({left: Math.round(r.left * 10) / 10, right: Math.round(r.right * 10) / 10,
                         top: Math.round(r.top * 10) / 10, bottom: Math.round(r.bottom * 10) / 10});
  const shown = (e, stop) => {
    // Inside a closed <details> an element is not drawn (content-visibility), yet it still has a box.
    if (!e.checkVisibility({visibilityProperty: true, opacityProperty: true})) { return false; }
    for (let n = e; n && n !== stop; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') { return false; }
    }
    return true;
  };
  const doc = document.documentElement;
  const state = {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, chart: null,
                 smallText: [], targets: []};
  const gd = document.getElementById('chart');
  if (gd && gd.querySelector('.main-svg')) {
    const svg = gd.querySelector('.main-svg');
    const texts = [];
    for (const [kind, selector] of Object.entries(textKinds)) {
      for (const e of gd.querySelectorAll(selector)) {
        const r = e.getBoundingClientRect();
        if (!e.textContent.trim() || r.width < 1 || r.height < 1 || !shown(e, gd)) { continue; }
        texts.push({kind, text: e.textContent.slice(0, 60), fontSize: parseFloat(getComputedStyle(e).fontSize),
                    ...round(r)});
      }
    }
    const modebar = gd.querySelector('.modebar');
    const frame = svg.getBoundingClientRect(), size = gd._fullLayout._size;
    state.chart = {
      svg: round(frame),
      plot: round({left: frame.left + size.l, right: frame.left + size.l + size.w,
                   top: frame.top + size.t, bottom: frame.top + size.t + size.h}),
      texts,
      modebar: modebar ? round(modebar.getBoundingClientRect()) : null,
      layout: gd.dataset.layout || null,
      horizontal: !!(gd.data && gd.data[0] && gd.data[0].orientation === 'h'),
    };
  }
  // Page text (outside the chart): every visible run of text, with its element's font size.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const e = node.parentElement;
    if (!node.textContent.trim() || seen.has(e) || (gd && gd.contains(e))) { continue; }
    seen.add(e);
    if (e.closest('.visually-hidden, .skip-link, script, style, [hidden]')) { continue; }
    const r = e.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || !shown(e, document.body)) { continue; }
    const size = parseFloat(getComputedStyle(e).fontSize);
    state.smallText.push({tag: e.tagName.toLowerCase(), cls: e.className || '', size,
                          text: node.textContent.trim().slice(0, 40)});
  }
  for (const e of document.querySelectorAll(targets)) {
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || !shown(e, document.body)) { continue; }
    state.targets.push({what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' +
                        e.textContent.trim().slice(0, 30), ...round(r)});
  }
  return state;
}"""

# What a finger must hit (WCAG 2.2, 2.5.8): the language switcher, the site's navigation, the
# compare form's controls and area picker, the chart's downloads and "Copy link", pagination.
TOUCH_TARGETS = ", ".join(
    [
        ".language-nav a",
        ".site-nav a",
        "form.filters select",
        "form.filters button",
        ".area-picker summary",
        ".area-choices label.check",
        ".chart-actions .action",
        ".pagination a",
        ".entry-points a",
    ]
)
MIN_TARGET = 24  # CSS px
TARGET_GAP = 4  # CSS px between two targets
MIN_CHART_FONT = 11  # px
MIN_PHONE_FONT = 16  # px


def layout_state(page):
    return page.evaluate(_LAYOUT_STATE, [CHART_TEXTS, TOUCH_TARGETS])


def overlap(a, b, tolerance=1):
    """Two boxes overlap if they share more than ``tolerance`` px both across and down."""
    across = min(a["right"], b["right"]) - max(a["left"], b["left"])
    down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return across > tolerance and down > tolerance


def chart_overlaps(chart):
    """Pairs of chart texts (and the modebar, and the plot area where the bars are) that overlap:
    [(a, b)]. Only the value labels belong inside the plot area."""
    boxes = list(chart["texts"])
    if chart["modebar"] and chart["modebar"]["right"] - chart["modebar"]["left"] > 1:
        boxes.append({"kind": "modebar", "text": "", **chart["modebar"]})
    boxes.append({"kind": "plot area", "text": "", **chart["plot"]})

    def clash(a, b):
        if "plot area" in (a["kind"], b["kind"]) and "bar label" in (a["kind"], b["kind"]):
            return False
        return overlap(a, b)

    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if clash(a, b)]


def layout_problems(state, screen_width, phone):
    """Everything wrong with a page's layout at this screen width, as readable lines, and the
    number of overlapping chart text pairs."""
    problems = []
    if state["scrollWidth"] > screen_width:
        problems.append(f"page {state['scrollWidth']} px wide on a {screen_width} px screen")
    overlaps = []
    chart = state["chart"]
    if chart:
        svg = chart["svg"]
        if svg["left"] < -0.5 or svg["right"] > screen_width + 0.5:
            problems.append(f"chart from x={svg['left']} to {svg['right']}, screen {screen_width} px")
        for t in chart["texts"]:
            if t["left"] < svg["left"] - 1 or t["right"] > svg["right"] + 1 or t["top"] < svg["top"] - 1:
                problems.append(f"chart text outside the chart: {t['kind']} {t['text']!r} {t}")
            if t["fontSize"] < MIN_CHART_FONT:
                problems.append(f"chart text of {t['fontSize']} px: {t['kind']} {t['text']!r}")
        overlaps = chart_overlaps(chart)
        for a, b in overlaps:
            problems.append(f"overlap: {a['kind']} {a['text']!r} {box(a)} × {b['kind']} {b['text']!r} {box(b)}")
    if phone:
        small = [t for t in state["smallText"] if t["size"] < MIN_PHONE_FONT - 0.05]
        for t in small[:10]:
            problems.append(f"page text of {t['size']} px: <{t['tag']} class={t['cls']!r}> {t['text']!r}")
        if len(small) > 10:
            problems.append(f"… and {len(small) - 10} more texts under {MIN_PHONE_FONT} px")
    targets = state["targets"]
    for t in targets:
        if t["right"] - t["left"] < MIN_TARGET - 0.05 or t["bottom"] - t["top"] < MIN_TARGET - 0.05:
            problems.append(f"touch target {t['what']!r} {t['right'] - t['left']:.1f} × {t['bottom'] - t['top']:.1f}")
        if t["left"] < -0.5 or t["right"] > screen_width + 0.5:
            problems.append(f"touch target {t['what']!r} outside the screen: {box(t)}")
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            if overlap(a, b, tolerance=-TARGET_GAP):
                problems.append(
                    f"touch targets closer than {TARGET_GAP} px: {a['what']!r} {box(a)} × {b['what']!r} {box(b)}"
                )
    return problems, len(overlaps)


def box(b):
    return f"[{b['left']:.0f}–{b['right']:.0f} × {b['top']:.0f}–{b['bottom']:.0f}]"
