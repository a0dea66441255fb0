"""Dark mode and the keyboard on every kind of public page, at phone width, in the three languages
(issue 12). tests/browser/test_responsive.py checks the comparison in depth (the chart's colours,
the area picker); here every other kind of page: the overview, an area (a group of countries has
the same template as a country), the sources, a source and the about page. In dark mode: the
page's own dark colours and no serious or critical axe-core issue (contrast included). With the
keyboard: the skip link first, then the first 30 controls in reading order both ways, each with a
visible focus ring, in view.
"""

import pytest

from .conftest import screenshot
from .helpers import LANGS, SCREENS, SOURCE_ID, assert_no_problems, describe_violations, run_axe, url
from .test_responsive import _FOCUS, settle

PAGES = {
    "home": "/",
    "area-IRN": "/areas/IRN/",
    "sources": "/sources/",
    "source": f"/sources/{SOURCE_ID}/",
    "about": "/about/",
}
DARK_BACKGROUND = "rgb(22, 25, 29)"  # static/css/site.css, prefers-color-scheme: dark


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_in_dark_mode_stays_accessible(open_page, lang):
    page = open_page(**SCREENS["360"], color_scheme="dark")
    for name, path in PAGES.items():
        page.goto(url(page, lang, path))
        settle(page)
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND, name
        if page.locator("#chart").count():
            assert page.locator("#chart").get_attribute("data-scheme") == "dark", name
        violations = run_axe(page)
        assert not violations, f"{name} ({lang}, dark):\n{describe_violations(violations)}"
        screenshot(page, f"responsive/360-{lang}-dark-{name}", scale="css")
    assert_no_problems(page)


def tab_through(page, key, limit):
    """The controls the key reaches, in order, and whether focus left the page after the last."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        focus = page.evaluate(_FOCUS)
        if focus is None:
            return seen, True
        assert focus["outline"] and focus["inView"], f"focus not visible on {focus}"
        seen.append(focus["what"])
    return seen, False


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_can_be_used_with_the_keyboard(open_page, lang):
    page = open_page(**SCREENS["360"])
    for name, path in PAGES.items():
        page.goto(url(page, lang, path))
        settle(page)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link", name
        assert page.evaluate(_FOCUS)["outline"], name
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content", name
        # The first 30 controls: the header, the page's own controls, then its lists of links.
        forward, left_the_page = tab_through(page, "Tab", 30)
        assert forward, f"{name}: no control after the skip link"
        # Back from where forward stopped: from outside the page the first Shift+Tab comes back
        # to the last control, otherwise to the one before the focused one.
        expected = forward[::-1] if left_the_page else forward[-2::-1]
        backward, _ = tab_through(page, "Shift+Tab", len(expected))
        assert backward == expected, (name, forward, backward)
    assert_no_problems(page)
