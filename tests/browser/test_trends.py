"""The trend page in the browser: a line per area drawn in both layouts (narrow on a phone, wide
on a desktop), in the three languages, with no console error, no failed or foreign request and no
sideways scroll; screenshots under artifacts/screenshots/."""

import pytest

from .conftest import screenshot
from .helpers import DIRECTION, SCREENS, assert_no_problems, url

TREND = "/trends/sme_count/?areas=IRN,JPN"


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
@pytest.mark.parametrize(("screen", "layout"), [("360", "narrow"), ("1280", "wide")])
def test_the_trend_is_drawn_in_each_layout_and_language(open_page, lang, screen, layout):
    page = open_page(**SCREENS[screen])
    page.goto(url(page, lang, TREND))
    assert page.locator("html").get_attribute("dir") == DIRECTION[lang]
    page.wait_for_function("() => document.querySelector('#chart')?.getAttribute('data-layout')")
    assert page.get_attribute("#chart", "data-layout") == layout
    # One trace per area (Iran, Japan), each with its markers: three dated figures in all.
    assert page.locator("#chart .scatterlayer .trace").count() == 2
    assert page.locator("#chart .scatterlayer .point").count() == 3
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    chart = page.locator("#chart").bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= width + 0.5
    screenshot(page, f"trend-{lang}-{screen}")
    assert_no_problems(page)


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_sixty_years_of_three_areas_read_on_a_phone(site, open_page, lang):
    # The synthetic benchmark's shape: a page of three areas of sixty years each, shown as a
    # table of years by areas. On a phone the time axis keeps at least two years (plotly.js hides
    # a label that would pass the chart's edge) and the three areas fit beside the years.
    from tests.test_trends import add_area, add_figures

    for code, name in (("NOR", "Norway"), ("SWE", "Sweden"), ("FIN", "Finland")):
        add_area(code, name)
        add_figures(code, range(1965, 2025), first_value=40)
    page = open_page(**SCREENS["360"])
    page.goto(url(page, lang, "/trends/firm_share/?areas=NOR,SWE,FIN"))
    page.wait_for_function("() => document.querySelector('#chart')?.getAttribute('data-layout') === 'narrow'")
    years = page.locator("#chart .xtick text")
    assert years.count() >= 2
    for i in range(years.count()):  # each label drawn whole inside the chart
        box, chart = years.nth(i).bounding_box(), page.locator("#chart").bounding_box()
        assert chart["x"] <= box["x"] and box["x"] + box["width"] <= chart["x"] + chart["width"]
    scroller = page.locator("table.trend-years").locator("xpath=..")
    assert page.locator("table.trend-years thead th").count() == 4  # the year, then the three areas
    assert scroller.evaluate("(box) => box.scrollWidth <= box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS["360"]["viewport"]["width"]
    screenshot(page, f"trend-sixty-years-{lang}-360")
    assert_no_problems(page)
