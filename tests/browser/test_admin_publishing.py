"""An editor logs in through the real login form on a tablet (768 px, touch), adds a draft figure
through the admin form (in the admin's language and digits), the public chart does not show it;
published with the list action, the public chart shows one bar more and the table shows its value."""

import re

import pytest
from django.utils import translation

from countries.models import Area
from indicators.formatting import format_quantity
from indicators.models import Indicator, Observation, Source

from .conftest import screenshot
from .helpers import (
    LANGS,
    SCREENS,
    assert_no_problems,
    charted_figures,
    choose_autocomplete,
    compare_json_url,
    compare_url,
    in_local_digits,
    log_in,
    make_editor,
    norm,
    wait_for_chart,
)

# Syria has one firm_share figure in the seed: the new one makes a second bar.
AREA, INDICATOR, SOURCE = "SYR", "firm_share", "001_e2e29c5eae0b9509.txt"
VIEW = "areas=SYR&year=all"
VALUE, YEAR = "77.5", "2001"
# Chromium asks every page without an icon link for /favicon.ico; the admin's pages have none
# (see test_admin_pages_do_not_send_the_browser_to_a_missing_favicon).
FAVICON_404 = "/favicon.ico"
# select2 cancels its unfiltered request when the editor types a search: not a failure.
ADMIN_NOISE = [FAVICON_404, re.compile(r"^failed request: \S+/admin/autocomplete/\?\S+ net::ERR_ABORTED$")]


def public_view(open_page, lang):
    """The public chart and table of Syria's firm_share figures, in a fresh anonymous browser."""
    page = open_page()
    page.goto(compare_url(page, lang, query=VIEW))
    chart = wait_for_chart(page)
    table = " | ".join(page.locator("table.figures td.num").all_inner_texts())
    bar_labels = [norm(t["text"]) for t in chart["barTexts"]]
    assert_no_problems(page)
    return page, len(chart["bars"]), table, bar_labels


@pytest.mark.parametrize("lang", LANGS)
def test_a_draft_is_not_public_until_an_editor_publishes_it(open_page, lang):
    with translation.override(lang):
        shown_value = format_quantity(float(VALUE), "percent")  # '77.5%', '۷۷٫۵٪', '٧٧٫٥٪'
    _page, bars_before, table_before, _labels = public_view(open_page, lang)
    assert (
        bars_before
        == Observation.objects.published().chartable().filter(area__code=AREA).filter(indicator__code=INDICATOR).count()
    )
    assert shown_value not in table_before

    editor = make_editor()
    admin = open_page(**SCREENS["768"])  # a tablet, by touch
    log_in(admin, lang, editor)

    # The add form, filled in as an editor would, numbers typed in the admin's own digits.
    admin.goto(f"{admin.base_url}/{lang}/admin/indicators/observation/add/")
    choose_autocomplete(admin, "area", AREA, Area.objects.get(code=AREA).pk)
    choose_autocomplete(admin, "indicator", INDICATOR, Indicator.objects.get(code=INDICATOR).pk)
    choose_autocomplete(admin, "source", SOURCE, Source.objects.get(identifier=SOURCE).pk)
    admin.locator("#id_quote").fill("A test quote typed by the browser test.")
    admin.locator("#id_value").fill(in_local_digits(VALUE, lang))
    admin.locator("#id_qualifier").select_option("exact")
    admin.locator("#id_scope").select_option("economy")
    admin.locator("#id_year").fill(in_local_digits(YEAR, lang))
    admin.locator("#id_status").select_option("draft")
    screenshot(admin, f"admin-observation-add-{lang}")
    with admin.expect_navigation():
        admin.locator("input[name=_save]").click()
    assert admin.locator(".errornote, .errorlist").count() == 0, admin.locator("#content").inner_text()
    assert admin.locator(".messagelist .success").count() == 1

    created = Observation.objects.get(area__code=AREA, indicator__code=INDICATOR, year=int(YEAR))
    assert created.status == Observation.Status.DRAFT
    assert str(created.value.normalize()) == VALUE
    assert created.history.first().history_user == editor

    # A draft: the public chart and table are as they were.
    _page, bars_draft, table_draft, labels_draft = public_view(open_page, lang)
    assert bars_draft == bars_before
    assert shown_value not in table_draft
    assert not any(label.startswith(norm(shown_value)) for label in labels_draft), labels_draft

    # Publish it with the change list's action.
    admin.goto(f"{admin.base_url}/{lang}/admin/indicators/observation/?status__exact=draft")
    admin.locator(f'input[name="_selected_action"][value="{created.pk}"]').check()
    admin.locator('select[name="action"]').select_option("publish_selected")
    with admin.expect_navigation():
        admin.locator('button[name="index"]').click()
    with translation.override(lang):
        expected_message = translation.ngettext("%(count)s figure published.", "%(count)s figures published.", 1)
    # The count in the admin's own digits: "1", "١", "۱".
    shown = expected_message % {"count": in_local_digits("1", lang)}
    assert admin.locator(".messagelist .success").inner_text().strip() == shown
    screenshot(admin, f"admin-observation-published-{lang}")
    created.refresh_from_db()
    assert created.status == Observation.Status.PUBLISHED
    assert_no_problems(admin, allowed=ADMIN_NOISE)

    # Public now: one bar more, labelled with the value, and the value in the table.
    page, bars_after, table_after, labels_after = public_view(open_page, lang)
    assert bars_after == bars_before + 1
    assert shown_value in table_after, table_after
    assert any(label.startswith(norm(shown_value)) for label in labels_after), labels_after
    # ...and in the JSON twin, with the year typed in the admin.
    twin = charted_figures(page.request.get(compare_json_url(page, lang, query=VIEW)).json())
    assert [f["year"] for f in twin if f["id"] == created.pk] == [int(YEAR)]


def test_admin_pages_do_not_send_the_browser_to_a_missing_favicon(page):
    page.goto(f"{page.base_url}/en/admin/login/")
    has_icon_link = page.locator("link[rel~=icon]").count() > 0
    assert has_icon_link or page.request.get(f"{page.base_url}/favicon.ico").ok
