"""The chart as a reader sees it: drawn, one bar per figure of the page's JSON twin, labelled in
the page's language and digits, and laid out right to left in Arabic and Persian (first category
at the right, value axis on the right); the modebar speaks the page's language too."""

from collections import Counter

import pytest
from django.utils import translation

from countries.models import Area
from indicators.chart_page import MODEBAR_STRINGS
from indicators.models import Observation

from .helpers import (
    ARABIC_SCRIPT,
    COMPARE_AREAS_QUERY,
    DIGITS,
    DIRECTION,
    LANGS,
    PAGES,
    assert_digits,
    assert_no_problems,
    charted_figures,
    digits_of,
    dump,
    fetch_json,
    in_reading_order,
    norm,
    url,
    wait_for_chart,
)

# view -> (page, JSON twin, what names each bar)
VIEWS = {
    "compare": ("/compare/firm_share/", "/compare/firm_share/data.json", "area"),
    "compare-areas": (
        f"/compare/firm_share/?{COMPARE_AREAS_QUERY}",
        f"/compare/firm_share/data.json?{COMPARE_AREAS_QUERY}",
        "area",
    ),
    "area-IRN": ("/areas/IRN/", "/areas/IRN/data.json", "indicator"),
}


def point_at(page, locator):
    """Move the pointer over an element of the chart (Plotly's drag layer lies on top of the bars,
    so Playwright's hover() would refuse: the pointer goes where a reader's would)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def expected_tick_label(figure, named_by):
    return norm(figure[named_by]["name"]) + norm(figure.get("label_detail") or "")


def expected_bar_label(figure):
    return norm(figure["value_display"] + (figure.get("flag_symbols") or ""))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", list(VIEWS))
def test_chart_shows_every_figure_in_the_pages_language_and_direction(page, lang, view):
    page_path, json_path, named_by = VIEWS[view]
    page.goto(url(page, lang, page_path))
    data = fetch_json(page, url(page, lang, json_path))
    figures = charted_figures(data)
    assert figures, "the JSON twin has no figure: the view chosen for this test is wrong"
    chart = wait_for_chart(page)

    # One bar per figure, and a label under each, in the JSON twin's order as the page's
    # language reads: left to right in English, right to left in Arabic and Persian.
    assert len(chart["bars"]) == len(figures), dump(chart["xTicks"])
    ticks = in_reading_order(chart["xTicks"], lang)
    assert [norm(t["text"]) for t in ticks] == [expected_tick_label(f, named_by) for f in figures]
    # The value above each bar, as the table writes it (qualifier in words, local digits, flags).
    assert Counter(norm(t["text"]) for t in chart["barTexts"]) == Counter(expected_bar_label(f) for f in figures)

    # Each bar stands over its own label.
    bar_xs = sorted(b["x"] for b in chart["bars"])
    tick_xs = sorted(t["x"] for t in chart["xTicks"])
    assert all(abs(b - t) < 3 for b, t in zip(bar_xs, tick_xs, strict=True)), (bar_xs, tick_xs)

    # Right to left: the first category at the right, the value axis at the right of the plot.
    first, last = ticks[0]["x"], ticks[-1]["x"]
    plot = chart["plot"]
    y_tick_xs = [t["x"] for t in chart["yTicks"]]
    if DIRECTION[lang] == "rtl":
        assert len(figures) == 1 or first > last, f"first category at x={first}, last at x={last}"
        assert min(y_tick_xs) > plot["right"] - 1, f"value axis labels at {y_tick_xs}, plot {plot}"
    else:
        assert len(figures) == 1 or first < last, f"first category at x={first}, last at x={last}"
        assert max(y_tick_xs) < plot["left"] + 1, f"value axis labels at {y_tick_xs}, plot {plot}"

    # Digits: the value axis, the bar labels and the category labels use the page's digits only.
    assert_digits([t["text"] for t in chart["yTicks"]], lang, "value axis")
    assert_digits([t["text"] for t in chart["barTexts"]], lang, "bar labels")
    wrong = digits_of("".join(t["text"] for t in chart["xTicks"])) - set(DIGITS[lang])
    assert not wrong, f"category labels use digits {sorted(wrong)}: {dump(chart['xTicks'])}"
    # Every label is in the page's language: Arabic script in Arabic and Persian, none in English.
    for tick in chart["xTicks"]:
        assert bool(ARABIC_SCRIPT.search(tick["text"])) == (DIRECTION[lang] == "rtl"), tick["text"]

    # The title names the indicator (or the area), as the page does.
    titled = data["indicator"]["name"] if "indicator" in data else data["area"]["name"]
    assert norm(titled) in norm(chart["title"]), (titled, chart["title"])

    # Pointing at the first bar shows its figure: label, value, in the page's language.
    point_at(page, page.locator("#chart .bars .point path").first)
    hover = page.locator("#chart .hoverlayer .hovertext")
    hover.wait_for()
    hover_text = norm(hover.text_content())
    assert norm(figures[0]["label"]) in hover_text, (figures[0]["label"], hover_text)
    assert norm(figures[0]["value_display"]) in hover_text, (figures[0]["value_display"], hover_text)

    assert_no_problems(page)


def test_compare_chart_bars_match_the_database(page):
    """The expected count from the database itself, not from the app's JSON: every published,
    chartable firm_share figure of Iran, Japan and the EU-25, all years."""
    expected = (
        Observation.objects.published()
        .chartable()
        .filter(indicator__code="firm_share", area__code__in=["IRN", "JPN", "EU25"])
        .count()
    )
    assert expected >= 3
    page.goto(url(page, "fa", PAGES["compare-areas"][0]))
    chart = wait_for_chart(page)
    assert len(chart["bars"]) == expected
    eu = norm(Area.objects.get(code="EU25").name_fa)
    assert eu and any(eu in norm(t["text"]) for t in chart["xTicks"]), dump(chart["xTicks"])
    assert_no_problems(page)


MODEBAR_BUTTONS = {
    # selector -> plotly.js's English title (chart_page.MODEBAR_STRINGS translates them)
    '[data-attr="dragmode"][data-val="zoom"]': "Zoom",
    '[data-attr="dragmode"][data-val="pan"]': "Pan",
    '[data-attr="zoom"][data-val="in"]': "Zoom in",
    '[data-attr="zoom"][data-val="out"]': "Zoom out",
    '[data-attr="zoom"][data-val="auto"]': "Autoscale",
    '[data-attr="zoom"][data-val="reset"]': "Reset axes",
}


@pytest.mark.parametrize("lang", LANGS)
def test_modebar_tooltips_are_in_the_pages_language(page, lang):
    page.goto(url(page, lang, "/compare/firm_share/"))
    wait_for_chart(page)
    page.locator("#chart .nsewdrag").hover()  # the modebar shows while the pointer is over the chart
    with translation.override(lang):
        expected = {selector: str(MODEBAR_STRINGS[english]) for selector, english in MODEBAR_BUTTONS.items()}
    titles = {}
    for selector in MODEBAR_BUTTONS:
        button = page.locator(f"#chart .modebar-btn{selector}")
        assert button.count() == 1, f"no modebar button {selector}"
        titles[selector] = button.get_attribute("data-title")
    assert titles == expected
    if lang != "en":
        for title in titles.values():
            assert ARABIC_SCRIPT.search(title), f"modebar tooltip {title!r} is not in {lang}"
    # The camera (the PNG download) is there and speaks the page's language too.
    with translation.override(lang):
        camera_title = str(MODEBAR_STRINGS["Download plot as a PNG"])
    assert page.locator(f'#chart .modebar-btn[data-title="{camera_title}"]').count() == 1, [
        b.get_attribute("data-title") for b in page.locator("#chart .modebar-btn").all()
    ]

    # Pointing at a button shows its tooltip (CSS ::after with the data-title) in the page's language.
    selector = '#chart .modebar-btn[data-attr="zoom"][data-val="in"]'
    page.locator(selector).hover()
    page.wait_for_function(
        "(sel) => getComputedStyle(document.querySelector(sel), '::after').opacity === '1'", arg=selector
    )
    shown = page.evaluate("(sel) => getComputedStyle(document.querySelector(sel), '::after').content", selector)
    assert shown == f'"{expected[selector[len("#chart .modebar-btn") :]]}"'
    assert_no_problems(page)
