"""The fullest chart a comparison page holds (issue 12): twelve areas, the most one page charts
(comparison.COMPARE_AREAS_PER_PAGE), several with long names, at phone, tablet and desktop sizes
in the three languages: no horizontal page scroll, the chart within the screen, no two chart texts
overlapping, readable text and touch targets, as tests/browser/test_responsive.py checks the seed;
and at each size no serious or critical axe-core issue, and the keyboard order (skip link, then
the first 12 controls both ways, focus visible and in view).
"""

from decimal import Decimal

import pytest

from countries.models import Area
from indicators.comparison import COMPARE_AREAS_PER_PAGE
from indicators.models import Indicator, Observation, Source
from indicators.writes import figures_changed

from .conftest import screenshot
from .helpers import (
    LANGS,
    PHONES,
    SCREENS,
    assert_no_problems,
    describe_violations,
    layout_problems,
    layout_state,
    run_axe,
    url,
)
from .test_every_page_dark_and_keyboard import tab_through
from .test_responsive import settle

# Real countries with some of the longest names there are, in the three languages.
LONG_NAMES = {
    "VCT": ("Saint Vincent and the Grenadines", "سانت فنسنت وجزر غرينادين", "سنت وینسنت و گرنادین‌ها"),
    "COD": ("Democratic Republic of the Congo", "جمهورية الكونغو الديمقراطية", "جمهوری دموکراتیک کنگو"),
    "CAF": ("Central African Republic", "جمهورية أفريقيا الوسطى", "جمهوری آفریقای مرکزی"),
}


@pytest.fixture
def twelve_areas(site):
    """The seed's nine firm-share areas and three long-named countries: twelve areas to chart."""
    indicator = Indicator.objects.get(code="firm_share")
    source = Source.objects.order_by("pk").first()
    added = []
    for number, (code, (en, ar, fa)) in enumerate(LONG_NAMES.items()):
        area = Area.objects.create(code=code, kind=Area.Kind.COUNTRY, name_en=en, name_ar=ar, name_fa=fa)
        added.append(
            Observation.objects.create(
                area=area,
                indicator=indicator,
                source=source,
                value=Decimal("91.25") + number,
                year=2010 + number,
                year_as_written=str(2010 + number),
                scope=Observation.Scope.ECONOMY,
                quote="test",
                status=Observation.Status.PUBLISHED,
            )
        )
    figures_changed(added)
    charted = Observation.objects.published().chartable().filter(indicator=indicator)
    codes = sorted(set(charted.values_list("area__code", flat=True)))
    assert len(codes) == COMPARE_AREAS_PER_PAGE, codes
    return "/compare/firm_share/?" + "&".join(f"areas={code}" for code in codes)


def keyboard_problems(page, controls=12):
    """The skip link first, landing on the content; then the first ``controls`` controls in reading
    order, the same both ways, each with a visible focus ring and in view."""
    page.keyboard.press("Tab")
    if page.evaluate("document.activeElement.className") != "skip-link":
        return ["the first Tab does not reach the skip link"]
    page.keyboard.press("Enter")
    forward, left_the_page = tab_through(page, "Tab", controls)
    expected = forward[::-1] if left_the_page else forward[-2::-1]
    backward, _ = tab_through(page, "Shift+Tab", len(expected))
    return [] if backward == expected else [f"keyboard order differs: {forward} then back {backward}"]


@pytest.mark.parametrize("lang", LANGS)
def test_twelve_areas_fit_every_screen(open_page, twelve_areas, lang):
    failures = {}
    for screen, options in SCREENS.items():
        page = open_page(**options)
        response = page.goto(url(page, lang, twelve_areas))
        assert response is not None and response.status == 200
        settle(page)
        state = layout_state(page)
        assert len(state["chart"]["texts"]) > COMPARE_AREAS_PER_PAGE  # the chart is drawn, with its labels
        problems, _overlapping = layout_problems(state, options["viewport"]["width"], phone=screen in PHONES)
        screenshot(page, f"responsive/{screen}-{lang}-twelve-areas", scale="css")
        violations = run_axe(page)
        if violations:
            problems.append(describe_violations(violations))
        problems += keyboard_problems(page)
        if problems:
            failures[screen] = problems
        assert_no_problems(page)
    assert not failures, "\n".join(f"{screen} px ({lang}):\n  " + "\n  ".join(p) for screen, p in failures.items())
