"""Choosing areas, a year and a scope in the compare form: the address says what was chosen, the
chart shows it, and the same address opened in a fresh browser shows the same chart."""

from urllib.parse import parse_qs, urlparse

import pytest

from .helpers import (
    LANGS,
    assert_no_problems,
    charted_figures,
    compare_json_url,
    compare_url,
    dump,
    fetch_json,
    in_reading_order,
    norm,
    wait_for_chart,
)

CHOSEN_AREAS = ["IRN", "JPN", "EU25"]


def drawn(chart, lang):
    """What the chart shows, position by position in reading order: label and value."""
    ticks = [norm(t["text"]) for t in in_reading_order(chart["xTicks"], lang)]
    values = sorted(norm(t["text"]) for t in chart["barTexts"])
    return {"bars": len(chart["bars"]), "ticks": ticks, "values": values}


@pytest.mark.parametrize("lang", LANGS)
def test_changing_the_selection_updates_the_address_which_reproduces_the_view(open_page, lang):
    page = open_page()
    page.goto(compare_url(page, lang))
    before = drawn(wait_for_chart(page), lang)

    for code in CHOSEN_AREAS:
        page.locator(f'form.filters input[name="areas"][value="{code}"]').check()
    page.locator("#f-year").select_option("all")
    page.locator("#f-scope").select_option("industry")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()

    # The address carries the choice (the form's indicator field became the path).
    address = urlparse(page.url)
    assert address.path == f"/{lang}/compare/firm_share/"
    query = parse_qs(address.query)
    assert sorted(query.get("areas", [])) == sorted(CHOSEN_AREAS), page.url
    assert query.get("year") == ["all"] and query.get("scope") == ["industry"], page.url
    assert "indicator" not in query

    # The chart shows exactly the figures of that choice, and they differ from the first view.
    figures = charted_figures(fetch_json(page, compare_json_url(page, lang, query=address.query)))
    assert figures and {f["area"]["code"] for f in figures} <= set(CHOSEN_AREAS)
    assert all(f["scope"] == "industry" for f in figures)
    after = drawn(wait_for_chart(page), lang)
    assert after["bars"] == len(figures), dump(after)
    assert after["ticks"] == [norm(f["area"]["name"]) + norm(f.get("label_detail") or "") for f in figures]
    assert after != before, "the chart did not change with the choice"
    # The form shows the choice.
    for code in CHOSEN_AREAS:
        assert page.locator(f'input[name="areas"][value="{code}"]').is_checked()
    assert page.locator("#f-year").input_value() == "all"
    assert page.locator("#f-scope").input_value() == "industry"
    assert_no_problems(page)

    # The same address in a fresh browser (no cookies, no history) shows the same view.
    fresh = open_page()
    fresh.goto(page.url)
    assert drawn(wait_for_chart(fresh), lang) == after
    for code in CHOSEN_AREAS:
        assert fresh.locator(f'input[name="areas"][value="{code}"]').is_checked()
    assert fresh.locator('input[name="areas"]:checked').count() == len(CHOSEN_AREAS)
    assert fresh.locator("#f-year").input_value() == "all"
    assert fresh.locator("#f-scope").input_value() == "industry"
    assert_no_problems(fresh)
