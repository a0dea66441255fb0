"""The admin speaks the editor's digits (issue 12): the figures' list shows values and years, and
the messages their counts, in Persian or Arabic-Indic digits in fa and ar, as the public pages do.
The source's own wording of a year stays as the source wrote it."""

import html
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import translation

from indicators.models import Observation

LIST = "/{lang}/admin/indicators/observation/"
# Iran's firm share in 1353 (1974): 99.64 %, in each language's digits.
# In Persian, years in both calendars (the reader's default, indicators.calendars).
IRAN_1974 = {"en": ("99.64%", "1974"), "fa": ("۹۹٫۶۴٪", "۱۳۵۳ (۱۹۷۴)"), "ar": ("٩٩٫٦٤٪", "١٩٧٤")}


@pytest.fixture(autouse=True)
def leave_no_language_active():
    yield
    translation.deactivate()


@pytest.fixture
def editor_client(client, seeded):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("leila", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client.force_login(user)
    return client


def page_text(response):
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("lang", ["en", "fa", "ar"])
def test_the_list_shows_values_and_years_in_the_editors_digits(editor_client, lang):
    text = page_text(editor_client.get(LIST.format(lang=lang)))
    value, year = IRAN_1974[lang]
    assert f"<bdi>{value}</bdi>" in text
    assert f'<td class="field-year_shown">{year}<br>' in text
    assert "<bdi>1353</bdi>" in text  # the year as the source wrote it, unchanged
    count = {"en": "50", "fa": "۵۰", "ar": "٥٠"}[lang]
    with translation.override(lang):
        assert f"{count} {Observation._meta.verbose_name_plural}" in text  # under the list


@pytest.mark.parametrize(
    # Arabic says two things with the dual, without a numeral (one of its six plural forms).
    ("lang", "published"),
    [("en", "2 figures published."), ("fa", "۲ رقم منتشر شد."), ("ar", "نُشر رقمان.")],
)
def test_the_publish_message_counts_in_the_editors_digits(editor_client, lang, published):
    drafts = list(Observation.objects.filter(area__code="JPN").order_by("pk")[:2])
    Observation.objects.filter(pk__in=[d.pk for d in drafts]).update(status=Observation.Status.DRAFT)
    response = editor_client.post(
        LIST.format(lang=lang),
        {"action": "publish_selected", "_selected_action": [d.pk for d in drafts]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and published in messages[0], messages
    assert not any(digit in messages[0] for digit in "0123456789") or lang == "en"
