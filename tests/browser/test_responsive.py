"""Every public page at phone, tablet and desktop sizes (issue 12), in English, Arabic and Persian:
no horizontal scrolling of the page, the whole chart within the screen's width, no two chart texts
(tick and bar labels, legend, title, subtitle, notes, the modebar) overlapping, chart text of at
least 11 px and page text of at least 16 px on phones, touch targets of at least 24 × 24 px with
room between them; and the chart laid out again when the screen turns.

Measured from the drawn elements' boxes (``helpers.layout_state``), never from pictures; the
screenshots (`make screenshots`: artifacts/screenshots/responsive/) are for people to look at, and each test writes
what it measured to artifacts/responsive/ (pages wider than the screen, overlapping pairs).

To stay fast: every page at 360 px in the three languages; at the other sizes the pages most
likely to break (the comparison with the most bars, the default comparison, the area with the
most figures, the home page's matrix). One browser and one live server for all of them.
"""

import json

import pytest
from django.conf import settings

from countries.models import Area
from indicators.models import Indicator, Observation

from .conftest import screenshot
from .helpers import (
    DIRECTION,
    LANGS,
    PHONES,
    SCREENS,
    SOURCE_ID,
    assert_no_problems,
    chart_overlaps,
    describe_violations,
    in_local_digits,
    layout_problems,
    layout_state,
    norm,
    run_axe,
    url,
)

REPORTS = settings.BASE_DIR / "artifacts" / "responsive"
MOST_BARS = "/compare/firm_share/?year=all"


def chart_pages():
    """Every comparison with a published figure to chart, every area with a published figure."""
    figures = Observation.objects.published().chartable()
    indicators = Indicator.objects.filter(pk__in=figures.values("indicator")).order_by("position", "code")
    areas = Area.objects.filter(pk__in=Observation.objects.published().values("area")).order_by("code")
    compare = {f"compare-{i.code}": f"/compare/{i.code}/" for i in indicators}
    compare["compare-most-bars"] = MOST_BARS
    return compare, {f"area-{a.code}": f"/areas/{a.code}/" for a in areas}


def pages_for(screen, group):
    compare, areas = chart_pages()
    if group == "compare":
        return compare
    if group == "areas":
        return areas
    if group == "other":
        return {
            "home": "/",
            "sources": "/sources/",
            "source": f"/sources/{SOURCE_ID}/",
            "about": "/about/",
        }
    # The other sizes: the pages most likely to break.
    return {
        "home": "/",
        "compare-firm_share": "/compare/firm_share/",
        "compare-most-bars": MOST_BARS,
        "area-IRN": "/areas/IRN/",
        "area-KOR": "/areas/KOR/",
    }


CASES = [("360", lang, group) for lang in LANGS for group in ("compare", "areas", "other")] + [
    (screen, lang, "sample") for screen in ("390", "768", "1280") for lang in LANGS
]


def settle(page):
    """Wait for the web font and the chart (if any), then two animation frames."""
    page.evaluate("() => document.fonts.ready")
    if page.locator("#chart-data").count():
        page.wait_for_function("() => document.getElementById('chart').dataset.layout")
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_picker(page):
    """Open the compare form's area picker, so that its checkboxes are measured too."""
    picker = page.locator("details.area-picker")
    if picker.count() and picker.get_attribute("open") is None:
        picker.locator("summary").click()


def save_report(name, report):
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize(("screen", "lang", "group"), CASES, ids=["-".join(c) for c in CASES])
def test_pages_fit_the_screen(open_page, screen, lang, group):
    page = open_page(**SCREENS[screen])
    width = SCREENS[screen]["viewport"]["width"]
    failures, report = {}, {}
    for name, path in pages_for(screen, group).items():
        response = page.goto(url(page, lang, path))
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
        settle(page)
        open_picker(page)
        state = layout_state(page)
        problems, overlapping = layout_problems(state, width, phone=screen in PHONES)
        report[name] = {
            "page_width": state["scrollWidth"],
            "wider_than_screen": state["scrollWidth"] > width,
            "overlapping_pairs": overlapping,
            "chart_layout": state["chart"] and state["chart"]["layout"],
            "problems": problems,
        }
        screenshot(page, f"responsive/{screen}-{lang}-{name}", scale="css")
        if problems:
            failures[name] = problems
    save_report(f"{screen}-{lang}-{group}", report)
    assert not failures, "\n".join(
        f"{name} at {width} px ({lang}):\n  " + "\n  ".join(p) for name, p in failures.items()
    )
    assert_no_problems(page)


def chart_state(page):
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return layout_state(page)["chart"]


@pytest.mark.parametrize("lang", LANGS)
def test_chart_is_laid_out_again_when_the_screen_turns(open_page, lang):
    """Portrait phone → landscape → portrait, and a desktop window made narrow: the chart takes
    the new width each time, with no text overlapping and nothing wider than the screen."""
    page = open_page(**SCREENS["360"])
    page.goto(url(page, lang, MOST_BARS))
    settle(page)
    seen = []
    for width, height in ((360, 740), (740, 360), (360, 740), (1280, 900), (700, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function(
            "(w) => { const svg = document.querySelector('#chart .main-svg');"
            " return svg && Math.abs(svg.getBoundingClientRect().right"
            " - document.getElementById('chart').getBoundingClientRect().right) < 2"
            " && document.getElementById('chart').dataset.width == String(w); }",
            arg=page.evaluate("() => document.getElementById('chart').clientWidth"),
        )
        state = layout_state(page)
        problems, _count = layout_problems(state, width, phone=False)
        problems = [p for p in problems if not p.startswith("touch target")]
        assert not problems, f"at {width} × {height}:\n" + "\n".join(problems)
        assert not chart_overlaps(state["chart"])
        seen.append(state["chart"]["layout"])
    # Narrow screens get the narrow layout, a desktop window the wide one.
    assert seen[0] == seen[2] == "narrow" and seen[3] == "wide", seen
    assert_no_problems(page)


@pytest.mark.parametrize("lang", LANGS)
def test_chart_fits_at_every_window_width(open_page, lang):
    """A desktop window dragged from 1280 px down to 320 px, 160 px at a time, and the widths at
    the switch between the wide and the narrow layout: at each, the chart is laid out again
    within the window, with no text overlapping."""
    page = open_page()

    def resize(width):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_function(
            "() => { const g = document.getElementById('chart'); return g.dataset.width == String(g.clientWidth); }"
        )
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return page.evaluate("document.getElementById('chart').clientWidth")

    def check(path, width):
        state = layout_state(page)
        problems, _count = layout_problems(state, width, phone=False)
        problems = [p for p in problems if not p.startswith("touch target")]
        assert not problems, f"{path} at {width} px ({state['chart']['layout']}):\n" + "\n".join(problems)
        return state["chart"]["layout"]

    for path in (MOST_BARS, "/areas/KOR/"):
        page.goto(url(page, lang, path))
        settle(page)
        for width in range(1280, 319, -160):
            resize(width)
            check(path, width)
        # Exactly at the switch: the wide layout at wide_min_width, the narrow one a pixel less.
        switch = page.evaluate("JSON.parse(document.getElementById('chart-data').textContent).wide_min_width")
        for chart_width, expected in ((switch, "wide"), (switch - 1, "narrow")):
            width = chart_width + 42
            for _ in range(3):
                width += chart_width - resize(width)
            assert resize(width) == chart_width
            assert check(path, width) == expected
    assert_no_problems(page)


@pytest.mark.parametrize("lang", LANGS)
def test_chart_has_a_text_alternative_naming_the_indicator_the_areas_and_the_table(page, lang):
    page.goto(url(page, lang, MOST_BARS))
    data = page.request.get(url(page, lang, "/compare/firm_share/data.json?year=all")).json()
    chart = page.locator("#chart")
    assert chart.get_attribute("role") == "figure"
    label = chart.get_attribute("aria-label")
    areas = {f["area"]["code"] for f in data["figures"]}
    assert norm(data["indicator"]["name"]) in norm(label), label
    assert in_local_digits(str(len(areas)), lang) in label and in_local_digits(str(len(data["figures"])), lang) in label
    assert {"en": "table", "ar": "الجدول", "fa": "جدول"}[lang] in label, label
    area = page.goto(url(page, lang, "/areas/IRN/"))
    assert area.ok
    assert norm(page.evaluate("document.querySelector('main h1').textContent")) in norm(
        page.locator("#chart").get_attribute("aria-label")
    )


@pytest.mark.parametrize("lang", LANGS)
def test_tables_scroll_in_their_own_box_with_the_first_column_in_view(open_page, lang):
    """At 360 px the matrix is far wider than the screen: it scrolls inside its box, and its first
    column stays at the start side (left, or right in Arabic and Persian) however far it goes."""
    page = open_page(**SCREENS["360"])
    for path, selector in (("/", ".matrix"), ("/compare/firm_share/?year=all", ".figures")):
        page.goto(url(page, lang, path))
        settle(page)
        state = page.evaluate(
            """(sel) => {
              const table = document.querySelector(sel), box = table.closest('.table-scroll');
              const before = box.getBoundingClientRect();
              const wide = box.scrollWidth > box.clientWidth;
              box.scrollLeft = (getComputedStyle(box).direction === 'rtl' ? -1 : 1) * box.scrollWidth;
              const cell = table.querySelector('tbody tr:not(.group-row) > :first-child').getBoundingClientRect();
              const caption = table.querySelector('caption').getBoundingClientRect();
              return {wide, box: {left: before.left, right: before.right}, cell: {left: cell.left, right: cell.right},
                      caption: {left: caption.left, right: caption.right},
                      scrolled: box.scrollLeft, page: document.documentElement.scrollWidth};
            }""",
            selector,
        )
        assert state["wide"] and state["scrolled"] != 0, state
        assert state["page"] <= 360, state
        side = "right" if DIRECTION[lang] == "rtl" else "left"
        assert abs(state["cell"][side] - state["box"][side]) < 2, f"{path}: first column not in view: {state}"
        assert (
            state["box"]["left"] - 1 <= state["caption"]["left"]
            and state["caption"]["right"] <= state["box"]["right"] + 1
        )
        screenshot(page, f"responsive/360-{lang}-table-scrolled-{selector[1:]}", full_page=False)
    assert_no_problems(page)


@pytest.mark.parametrize("lang", LANGS)
def test_dark_mode_follows_the_system_and_stays_accessible(open_page, lang):
    page = open_page(**SCREENS["390"], color_scheme="dark")
    page.goto(url(page, lang, "/compare/firm_share/"))
    settle(page)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 25, 29)", background
    chart = page.locator("#chart")
    assert chart.get_attribute("data-scheme") == "dark"
    paper = page.evaluate("document.getElementById('chart')._fullLayout.paper_bgcolor")
    colours = page.evaluate("document.getElementById('chart')._fullData.map((t) => t.marker.color)")
    assert paper == "#16191d" and set(colours) == {"#5fa8e8", "#e0a24a", "#7cc777"}, (paper, colours)
    # The exported image is the server's, drawn light whatever the page's scheme.
    assert "dark" not in page.locator("#download-png").get_attribute("href")
    screenshot(page, f"responsive/390-{lang}-dark-compare", scale="css")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    # Switching the system's scheme redraws the chart.
    page.emulate_media(color_scheme="light")
    page.wait_for_function("() => document.getElementById('chart').dataset.scheme === 'light'")
    assert page.evaluate("document.getElementById('chart')._fullLayout.paper_bgcolor") == "#ffffff"
    assert_no_problems(page)


@pytest.mark.parametrize("lang", LANGS)
def test_printed_page_has_the_chart_table_and_sources_without_navigation(open_page, lang):
    """A4 at 96 px per inch (794 px, 680 px inside 15 mm margins): print media as Chromium prints."""
    page = open_page(viewport={"width": 794, "height": 1123})
    page.goto(url(page, lang, "/compare/firm_share/"))
    settle(page)
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    for hidden in (".site-nav", ".language-nav", "form.filters", ".chart-actions", ".skip-link"):
        assert not page.locator(hidden).first.is_visible(), f"{hidden} is printed"
    for shown in ("main h1", "#chart .main-svg", ".flag-legend", "table.figures", ".quotes"):
        assert page.locator(shown).first.is_visible(), f"{shown} is not printed"
    chart = page.evaluate(
        "() => { const g = document.getElementById('chart'); const r = g.querySelector('.main-svg')"
        ".getBoundingClientRect(); return {width: r.width, scheme: g.dataset.scheme}; }"
    )
    assert chart["width"] <= 680 and chart["scheme"] == "light", chart
    assert page.evaluate("document.documentElement.scrollWidth") <= 794
    assert page.pdf(format="A4")[:5] == b"%PDF-"
    screenshot(page, f"responsive/print-{lang}-compare")
    assert_no_problems(page)


_FOCUS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return null; }
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  const name = (e.textContent || e.value || '').trim().slice(0, 30);
  return {what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + name,
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth && r.width > 0};
}"""


@pytest.mark.parametrize("lang", LANGS)
def test_keyboard_reaches_every_control_with_focus_visible(open_page, lang):
    """At 360 px: the skip link comes first and lands on the content; every control after it is
    reached in reading order, both ways, with a visible focus ring, in view; the area picker
    opens and ticks with the keyboard."""
    page = open_page(**SCREENS["360"])
    page.goto(url(page, lang, "/compare/firm_share/"))
    settle(page)
    page.keyboard.press("Tab")
    first = page.evaluate(_FOCUS)
    assert first and first["what"].startswith("a") and page.evaluate("document.activeElement.className") == "skip-link"
    assert first["inView"] and first["outline"], first
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"

    forward = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS)
        if focus is None:
            break
        assert focus["outline"] and focus["inView"], f"focus not visible on {focus}"
        forward.append(focus["what"])
    assert any(w.startswith("select#f-indicator") for w in forward) and any("summary" in w for w in forward), forward
    backward = []
    for _ in range(len(forward) - 1):
        page.keyboard.press("Shift+Tab")
        focus = page.evaluate(_FOCUS)
        assert focus["outline"] and focus["inView"], f"focus not visible on {focus}"
        backward.append(focus["what"])
    assert backward == forward[-2::-1], (forward, backward)

    # The area picker: open it from its summary, tick the first area, all with the keyboard.
    picker = page.locator("details.area-picker")
    page.locator("details.area-picker summary").focus()
    was_open = picker.get_attribute("open") is not None
    page.keyboard.press("Enter")
    assert (picker.get_attribute("open") is not None) != was_open, "Enter does not open or close the picker"
    if was_open:
        page.keyboard.press("Enter")
    assert picker.get_attribute("open") is not None
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked") is True
    assert_no_problems(page)
