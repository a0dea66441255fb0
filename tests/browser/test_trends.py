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
