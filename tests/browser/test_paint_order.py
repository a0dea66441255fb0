"""Issue 16, the order a chart page is shown in: the page is painted before plotly.js is run, plotly.js
is fetched once (its preload is what the script uses), and the sections below the chart that are
laid out only when near (content-visibility) are still there when a link leads to them or the page
is printed."""

import re

import pytest

from .helpers import LANGS, assert_no_problems, url, wait_for_chart

# Installed before the page's scripts: notes, when plotly.js defines window.Plotly, whether the
# page's first contentful paint had been reported by then (it is reported once on screen).
WATCH_PLOTLY = """(() => {
  let value;
  window.__plotlyAfterPaint = null;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return value; },
    set(next) {
      if (window.__plotlyAfterPaint === null) {
        window.__plotlyAfterPaint = performance.getEntriesByName("first-contentful-paint").length > 0;
      }
      value = next;
    },
  });
})();"""

CHART_PAGES = ["/compare/firm_share/", "/areas/IRN/"]
PLOTLY = re.compile(r"/static/vendor/plotly/plotly-smedash(\.[0-9a-f]+)?\.min\.js$")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", CHART_PAGES)
def test_plotly_runs_after_the_first_paint_and_is_fetched_once(open_page, lang, path):
    page = open_page(fresh=True)  # an init script and a handler of its own
    page.add_init_script(WATCH_PLOTLY)
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if PLOTLY.search(request.url) else None)
    page.goto(url(page, lang, path))
    state = wait_for_chart(page)
    assert state["bars"], "no bar drawn"
    assert page.evaluate("window.__plotlyAfterPaint") is True, "plotly.js ran before the page was painted"
    assert len(fetched) == 1, fetched  # the low-priority preload, used by the script chart.js adds
    assert page.locator("#chart").get_attribute("data-layout") == "wide"
    assert_no_problems(page)  # a preload left unused, or refused by the CSP, is a console error


def test_a_chart_page_without_script_keeps_its_text_and_links(open_page):
    page = open_page(java_script_enabled=False)
    page.goto(url(page, "fa", "/compare/firm_share/"))
    assert page.locator("h1").inner_text()
    assert page.locator("#download-png").get_attribute("href")
    assert page.locator("#chart .main-svg").count() == 0


@pytest.mark.parametrize("lang", LANGS)
def test_a_link_to_a_quote_below_shows_it_though_it_is_laid_out_lazily(page, lang):
    page.goto(url(page, lang, "/compare/firm_share/"))
    wait_for_chart(page)
    quotes = page.locator("section.quotes")
    assert quotes.evaluate("(el) => getComputedStyle(el).contentVisibility") == "auto"
    anchor = page.locator("section.quotes .quote-list li[id]").last.get_attribute("id")
    page.goto(url(page, lang, f"/compare/firm_share/#{anchor}"))
    wait_for_chart(page)
    box = page.evaluate(
        """(id) => { const r = document.getElementById(id).getBoundingClientRect();
                     return {top: r.top, height: r.height, viewport: window.innerHeight}; }""",
        anchor,
    )
    assert box["height"] > 20 and 0 <= box["top"] < box["viewport"], box
    # find-in-page and screen readers see the text of sections not yet laid out: it is in the DOM.
    assert page.locator(f"#{anchor} blockquote.quote").inner_text().strip()
    assert_no_problems(page)


def test_printed_the_lazily_laid_out_sections_are_laid_out(page):
    page.goto(url(page, "en", "/areas/IRN/"))
    wait_for_chart(page)
    page.emulate_media(media="print")
    sections = page.locator(".quotes, .flag-legend")
    visibility = sections.evaluate_all("(els) => els.map((el) => getComputedStyle(el).contentVisibility)")
    assert visibility and set(visibility) == {"visible"}, visibility
