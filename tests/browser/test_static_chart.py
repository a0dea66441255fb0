"""The chart the server drew (issue 16, indicators.chart_static), in the reader's browser: shown at
once for the chart's width, in the page's direction and colour scheme, without plotly.js; plotly.js
fetched and the interactive chart drawn in its place only when the reader reaches for the chart (a
tap, a mouse over it, the keyboard) or when no drawing suits the width.

The suite has no worker: each test has the page's figure drawn first, as the worker would, in the
live server's process (the drawings' cache is that process's memory).
"""

import json

import pytest
from django.core.cache import caches
from django_tasks_db.models import DBTaskResult

from indicators import browser, chart_static

from .conftest import screenshot
from .helpers import BARS, SCREENS, assert_no_problems, describe_violations, run_axe, url

PLOTLY_FILE = "plotly-smedash"
SHOWN = "#chart > svg.chart-static.is-shown"


@pytest.fixture(autouse=True, scope="module")
def stop_the_browser_afterwards():
    yield
    browser.stop_browser()


def drawn(page, lang, path):
    """The page's address, with its figure drawn by the worker's task (queued by a first request,
    as on a site) and the page not kept without it."""
    address = url(page, lang, path)
    assert page.request.get(address).ok
    task = DBTaskResult.objects.filter(task_path="indicators.chart_static.draw_static_chart").latest("enqueued_at")
    assert chart_static.draw_static_chart.call(*task.args_kwargs["args"]) == "drawn"
    caches["default"].clear()
    return address


def plotly_requests(page):
    requests = []
    page.on("request", lambda request: requests.append(request.url) if PLOTLY_FILE in request.url else None)
    return requests


STATE = """() => {
  const chart = document.getElementById('chart');
  const shown = Array.from(chart.querySelectorAll('svg.chart-static')).filter((s) => s.getClientRects().length);
  const box = shown.length ? shown[0].getBoundingClientRect() : null;
  return {static: chart.dataset.static || null, layout: chart.dataset.layout, width: chart.clientWidth,
          drawings: chart.querySelectorAll('svg.chart-static').length, shown: shown.length,
          shownWidth: box && box.width, plotly: !!window.Plotly,
          interactive: chart.classList.contains('js-plotly-plot'),
          tabindex: chart.getAttribute('tabindex'), busy: chart.getAttribute('aria-busy')};
}"""


def state(page):
    return page.evaluate(STATE)


@pytest.mark.parametrize("lang", ["fa", "ar"])
def test_a_phone_shows_the_drawn_chart_without_plotly_and_a_tap_brings_the_interactive_one(open_page, lang):
    page = open_page(**SCREENS["360"])
    address = drawn(page, lang, "/compare/firm_share/")
    requests = plotly_requests(page)
    page.goto(address)
    page.locator(SHOWN).wait_for()
    now = state(page)
    assert now["static"] == "shown" and now["layout"] == "narrow" and now["shown"] == 1 and now["drawings"] == 5
    assert abs(now["shownWidth"] - now["width"]) <= 1  # scaled to the chart's box
    assert not now["plotly"] and requests == []  # not fetched, not run
    # Right to left: the category labels on the right, the bars growing leftwards from the axis.
    bars = page.eval_on_selector_all(f"{SHOWN} .bars .point path", "(ps) => ps.map((p) => p.getBoundingClientRect())")
    texts = page.eval_on_selector_all(f"{SHOWN} .annotation-text", "(ts) => ts.map((t) => t.getBoundingClientRect())")
    chart = page.locator("#chart").bounding_box()
    assert len(bars) == 12
    top, bottom = min(bar["top"] for bar in bars), max(bar["bottom"] for bar in bars)
    labels = [text for text in texts if top - 20 < text["top"] < bottom]
    assert len(labels) >= 12
    assert min(label["left"] for label in labels) > max(bar["right"] for bar in bars) - 1
    # Every text within the chart's box: nothing cut off at either edge.
    assert all(chart["x"] - 1 <= t["left"] and t["right"] <= chart["x"] + chart["width"] + 1 for t in texts)
    screenshot(page, f"static-chart-{lang}-360")
    assert run_axe(page) == [], describe_violations(run_axe(page))

    # A tap on a bar leads to its quote, as on the interactive chart, and brings that chart.
    figure = json.loads(page.locator("#chart-data").text_content())
    anchors = [anchor for trace in figure["narrow"]["data"] if trace["type"] == "bar" for anchor in trace["customdata"]]
    page.locator(f"{SHOWN} .bars .point path").nth(2).tap()
    page.wait_for_function(f"() => location.hash === {json.dumps(anchors[2])}")
    page.locator(anchors[2]).wait_for()
    assert page.locator(anchors[2]).is_visible()
    page.locator(BARS).first.wait_for(state="attached")
    after = state(page)
    assert after["drawings"] == 0 and after["static"] is None and after["interactive"] and after["plotly"]
    assert after["layout"] == "narrow" and after["busy"] is None
    assert len(requests) == 1
    assert page.locator(BARS).count() == 12
    assert_no_problems(page)


def test_a_desktop_shows_the_wide_drawing_and_a_mouse_over_it_brings_the_interactive_one(open_page):
    page = open_page()
    page.goto(drawn(page, "ar", "/areas/IRN/"))
    page.locator(SHOWN).wait_for()
    now = state(page)
    assert now["layout"] == "wide" and now["width"] == chart_static.WIDEST_CHART and not now["plotly"]
    # Printed: the narrow layout's widest drawing at its own size (its text as plotly.js prints it).
    page.emulate_media(media="print")
    page.wait_for_function("() => document.querySelector('#chart').dataset.layout === 'narrow'")
    printed = page.evaluate("() => document.querySelector('#chart > svg.is-shown').getBoundingClientRect().width")
    assert printed == 380 and not state(page)["plotly"]
    page.emulate_media(media="screen")
    page.wait_for_function("() => document.querySelector('#chart').dataset.layout === 'wide'")
    assert state(page)["shownWidth"] == chart_static.WIDEST_CHART
    # The page scrolled with the wheel under a mouse that does not move: not reaching for it.
    box = page.locator("#chart").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, max(5, box["y"] - 40))
    for _ in range(4):
        page.mouse.wheel(0, 120)
        page.wait_for_timeout(100)
    assert page.locator("#chart").bounding_box()["y"] < box["y"] - 200  # it passed under the mouse
    assert not state(page)["plotly"]
    page.mouse.move(5, 5)  # then a mouse moved onto it, from outside
    page.locator("#chart").hover()
    page.locator(BARS).first.wait_for(state="attached")
    after = state(page)
    assert after["drawings"] == 0 and after["layout"] == "wide" and after["tabindex"] is None
    # The point is now interactive: its hover label appears.
    page.locator(BARS).first.hover(force=True)
    page.locator("#chart .hoverlayer .hovertext").first.wait_for()
    assert_no_problems(page)


def test_the_drawing_takes_the_dark_colours_and_the_keyboard_brings_the_interactive_chart(open_page):
    page = open_page(**SCREENS["360"], color_scheme="dark")
    page.goto(drawn(page, "en", "/compare/firm_share/"))
    page.locator(SHOWN).wait_for()
    colours = page.evaluate(
        f"""() => {{
          const svg = document.querySelector('{SHOWN}');
          return {{bar: getComputedStyle(svg.querySelector('.bars .point path')).fill,
                   paper: getComputedStyle(svg.querySelector('rect')).fill,
                   text: getComputedStyle(svg.querySelector('.annotation-text')).fill}};
        }}"""
    )
    assert colours == {"bar": "rgb(95, 168, 232)", "paper": "rgb(22, 25, 29)", "text": "rgb(230, 232, 235)"}
    screenshot(page, "static-chart-en-360-dark")
    page.locator("#chart").focus()
    page.locator(BARS).first.wait_for(state="attached")
    assert state(page)["tabindex"] == "0"  # still where the keyboard is, until it leaves
    assert page.evaluate("() => document.activeElement.id") == "chart"
    page.keyboard.press("Tab")
    assert state(page)["tabindex"] is None
    assert_no_problems(page)


def test_a_width_no_drawing_suits_gets_the_interactive_chart_at_once_or_when_turned(open_page):
    page = open_page(**SCREENS["768"])
    address = drawn(page, "fa", "/trends/firm_share/?areas=IRN&areas=JPN&areas=KOR")
    page.goto(address)
    page.locator("#chart.js-plotly-plot .scatterlayer .js-line").first.wait_for(state="attached")
    assert state(page)["drawings"] == 0 and state(page)["interactive"]

    page = open_page(**SCREENS["360"])
    page.goto(address)
    page.locator(SHOWN).wait_for()
    page.set_viewport_size({"width": 740, "height": 360})  # the phone turned: no drawing for a 698 px chart
    page.locator("#chart.js-plotly-plot .scatterlayer .js-line").first.wait_for(state="attached")
    after = state(page)
    assert after["drawings"] == 0 and after["interactive"] and after["width"] > 650
    assert_no_problems(page)


def test_a_tap_on_a_marker_of_a_drawn_line_leads_to_its_quote(open_page):
    page = open_page(**SCREENS["360"])
    page.goto(drawn(page, "fa", "/trends/sme_count/?areas=IRN"))  # 1353 and 1375: a gap between
    page.locator(SHOWN).wait_for()
    assert not state(page)["plotly"]
    # A tap on a marker leads to its figure's quote (a line's gaps are values not drawn).
    figure = json.loads(page.locator("#chart-data").text_content())
    lines = [
        [a for a, x, y in zip(t["customdata"], t["x"], t["y"], strict=True) if None not in (x, y)]
        for t in figure["narrow"]["data"]
    ]
    longest = max(range(len(lines)), key=lambda index: len(lines[index]))
    anchors = lines[longest]
    markers = page.locator(f"{SHOWN} .scatterlayer .trace").nth(longest).locator(".point")
    assert markers.count() == len(anchors) >= 2
    assert None in figure["narrow"]["data"][longest]["y"]
    markers.last.tap(force=True)
    page.wait_for_function(f"() => location.hash === {json.dumps(anchors[-1])}")

    page.locator(anchors[-1]).wait_for()
    assert_no_problems(page)


def test_when_plotly_does_not_come_the_drawing_stays_and_the_next_tap_tries_again(open_page):
    page = open_page(**SCREENS["360"])
    address = drawn(page, "fa", "/areas/IRN/")
    page.route(f"**/*{PLOTLY_FILE}*", lambda route: route.abort())
    page.goto(address)
    page.locator(SHOWN).wait_for()
    page.locator("#chart").tap()
    page.wait_for_function("() => !document.getElementById('chart').hasAttribute('aria-busy')")
    now = state(page)
    assert now["static"] == "shown" and now["shown"] == 1 and not now["plotly"] and now["tabindex"] == "0"
    page.unroute(f"**/*{PLOTLY_FILE}*")
    page.locator("#chart").tap()
    page.locator(BARS).first.wait_for(state="attached")
    assert state(page)["drawings"] == 0
    assert_no_problems(page, allowed=[PLOTLY_FILE])  # the request refused on purpose
