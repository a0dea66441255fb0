"""The admin on a phone and a tablet (issue 12), in English, Arabic and Persian: the login, the
figures' list, a figure's form, the empty form and the import page fit the screen's width (the
list scrolls in its own box), in the language's direction, and axe-core finds no serious or
critical issue, in light and dark mode. Screenshots (`make screenshots`) go to artifacts/screenshots/admin/.
"""

import pytest

from indicators.models import Observation

from .conftest import screenshot
from .helpers import DIRECTION, LANGS, SCREENS, describe_violations, log_in, make_editor, run_axe

PAGES = {
    "list": "/admin/indicators/observation/",
    "change": "/admin/indicators/observation/{pk}/change/",
    "add": "/admin/indicators/observation/add/",
    "import": "/admin/indicators/observation/import/",
}
# Each language on a phone in dark mode, and English on a tablet in light mode (on a tablet, Arabic
# and Persian editors enter and publish a figure in tests/browser/test_admin_publishing.py).
CASES = [(lang, "360", "dark") for lang in LANGS] + [("en", "768", "light")]


def check_screen(page, lang, screen, scheme, name):
    width = SCREENS[screen]["viewport"]["width"]
    state = page.evaluate(
        """() => ({dir: document.documentElement.dir,
                   scrollWidth: document.documentElement.scrollWidth,
                   innerWidth: window.innerWidth,
                   dark: matchMedia('(prefers-color-scheme: dark)').matches})"""
    )
    assert state["dir"] == DIRECTION[lang], (name, state)
    assert state["dark"] == (scheme == "dark")
    assert state["scrollWidth"] <= width, f"{lang} {screen} {name}: the page is {state['scrollWidth']} px wide"
    violations = run_axe(page)
    assert not violations, f"axe-core on the admin's {name} page ({lang}, {screen}, {scheme}):\n" + (
        describe_violations(violations)
    )
    screenshot(page, f"admin/{screen}-{lang}-{scheme}-{name}")


@pytest.mark.parametrize(("lang", "screen", "scheme"), CASES)
def test_the_admin_fits_phones_and_tablets_and_passes_axe(open_page, lang, screen, scheme):
    page = open_page(**SCREENS[screen], color_scheme=scheme)
    page.goto(f"{page.base_url}/{lang}/admin/login/")
    check_screen(page, lang, screen, scheme, "login")
    log_in(page, lang, make_editor())
    figure = Observation.objects.filter(area__code="IRN").order_by("pk").first()
    for name, path in PAGES.items():
        page.goto(f"{page.base_url}/{lang}{path.format(pk=figure.pk)}")
        check_screen(page, lang, screen, scheme, name)
    # The list's own box scrolls, so that every column can be reached on a phone.
    page.goto(f"{page.base_url}/{lang}{PAGES['list']}")
    box = page.evaluate(
        """() => { const t = document.querySelector('#result_list');
                   const box = t.closest('.results');
                   return {table: t.scrollWidth, box: box.clientWidth, overflow: getComputedStyle(box).overflowX}; }"""
    )
    if box["table"] > box["box"]:
        assert box["overflow"] in ("auto", "scroll"), box
