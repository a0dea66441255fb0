"""Two editors with the same record open: the second save may not silently put back what the
first one changed. It is refused with both versions shown; after a reload it goes through."""

import html
import io
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from countries.models import Area
from indicators.models import Indicator, Observation, Source

VERSION = re.compile(r'<input type="hidden" name="edit_version" value="([^"]+)"')
REFUSED = {
    # The start of the message, with the other editor's name and the record's kind filled in.
    "en": "omid changed this {name} at ",
    "fa": "omid این {name} را در ",
    "ar": "غيّر omid هذا {name} في ",
}


@pytest.fixture(autouse=True)
def leave_no_language_active():
    yield
    translation.deactivate()


def editor(name):
    user = User.objects.create_user(name, password=f"a-long-password-for-{name}", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editors(seeded):
    call_command("create_roles", stdout=io.StringIO())
    return editor("sara"), editor("omid")


def open_form(client, url):
    """The change form as the browser has it: every field's value, and the hidden version."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    (version,) = VERSION.findall(page)  # rendered once, in the form
    form = response.context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    assert data["edit_version"] == html.unescape(version)
    return data


def text(response):
    return html.unescape(response.content.decode())


def change_url(obj, lang="en"):
    meta = obj._meta
    return f"/{lang}/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/change/"


@pytest.fixture
def figure(seeded):
    return Observation.objects.get(area__code="JPN", indicator__code="firm_share", year=1978)


@pytest.mark.parametrize("lang", ["en", "fa", "ar"])
def test_a_save_over_another_editors_change_is_refused_with_both_versions(editors, figure, lang):
    sara, omid = editors
    url = change_url(figure, lang)
    mine = open_form(sara, url)  # sara opens the form…

    theirs = open_form(omid, url)  # …omid opens it too, and saves first
    theirs.update(value="98.7", qualifier="about", year_as_written="", year="1979", note_en="Checked again.")
    assert omid.post(url, theirs).status_code == 302

    mine.update(value="12", note_en="My note.")  # sara saves the form she opened before
    response = sara.post(url, mine)
    assert response.status_code == 200
    page = text(response)
    with translation.override(lang):
        name = str(Observation._meta.verbose_name)
        headings = [gettext("field"), gettext("saved now (their version)"), gettext("yours (not saved)")]
        labels = {field: str(response.context["adminform"].form.fields[field].label) for field in mine}
    assert REFUSED[lang].format(name=name) in page
    for heading in headings:
        assert heading in page
    # Their values next to hers, field by field; what both have the same is not listed.
    cells = r"<tr><th scope='row'>(.*?)</th><td><bdi>(.*?)</bdi></td><td><bdi>(.*?)</bdi></td>"
    rows = {label: (a, b) for label, a, b in re.findall(cells, page)}
    assert rows[labels["value"]] == ("98.7", "12")
    assert rows[labels["year"]] == ("1979", "1978")
    assert rows[labels["note_en"]] == ("Checked again.", "My note.")
    assert labels["qualifier"] in rows and labels["quote"] not in rows

    figure.refresh_from_db()  # omid's version stands
    assert (str(figure.value.normalize()), figure.qualifier, figure.year, figure.note_en) == (
        "98.7",
        "about",
        1979,
        "Checked again.",
    )

    again = sara.post(url, mine)  # the same old form again: still refused
    assert again.status_code == 200 and REFUSED[lang].format(name=name) in text(again)

    mine = open_form(sara, url)  # reloaded: omid's values, and his version
    mine.update(value="12", note_en="My note.")
    assert sara.post(url, mine).status_code == 302
    figure.refresh_from_db()
    assert (str(figure.value.normalize()), figure.qualifier, figure.year, figure.note_en) == (
        "12",
        "about",
        1979,
        "My note.",
    )


@pytest.mark.parametrize(
    ("model", "lookup", "field", "theirs", "mine"),
    [
        (Indicator, {"code": "sme_count"}, "name_ar", "عدد المنشآت", "عدد الشركات"),
        (Source, {"identifier": "003_a9bddf9fb0107279.txt"}, "publisher_en", "A publisher", "Another publisher"),
    ],
)
def test_indicators_and_sources_are_protected_too(editors, model, lookup, field, theirs, mine):
    sara, omid = editors
    record = model.objects.get(**lookup)
    url = change_url(record, "fa")
    hers = open_form(sara, url)
    his = open_form(omid, url)
    his[field] = theirs
    assert omid.post(url, his).status_code == 302
    hers[field] = mine
    response = sara.post(url, hers)
    assert response.status_code == 200
    page = text(response)
    with translation.override("fa"):
        assert REFUSED["fa"].format(name=model._meta.verbose_name) in page
    assert f"<td><bdi>{theirs}</bdi></td><td><bdi>{mine}</bdi></td>" in page
    record.refresh_from_db()
    assert getattr(record, field) == theirs
    hers = open_form(sara, url)
    hers[field] = mine
    assert sara.post(url, hers).status_code == 302
    record.refresh_from_db()
    assert getattr(record, field) == mine


def test_an_areas_change_form_refuses_an_outdated_save(editors):
    """The areas' admin, in the countries app, has the same protection (smedash.admin_base)."""
    sara, omid = editors
    area = Area.objects.get(code="JPN")
    url = change_url(area, "ar")
    hers = open_form(sara, url)
    his = open_form(omid, url)
    his["name_en"] = "Japan (State of)"
    assert omid.post(url, his).status_code == 302
    hers["name_en"] = "Nippon"
    response = sara.post(url, hers)
    assert response.status_code == 200
    page = text(response)
    with translation.override("ar"):
        assert REFUSED["ar"].format(name=Area._meta.verbose_name) in page
    assert "<td><bdi>Japan (State of)</bdi></td><td><bdi>Nippon</bdi></td>" in page
    area.refresh_from_db()
    assert area.name_en == "Japan (State of)"
    hers = open_form(sara, url)  # reloaded: his version, and the save goes through
    hers["name_en"] = "Nippon"
    assert sara.post(url, hers).status_code == 302
    area.refresh_from_db()
    assert area.name_en == "Nippon"


def test_a_save_that_changed_nothing_in_between_is_no_conflict(editors, figure):
    sara, omid = editors
    url = change_url(figure)
    mine = open_form(sara, url)
    assert omid.post(url, open_form(omid, url)).status_code == 302  # saved as it was
    mine["value"] = "12"
    assert sara.post(url, mine).status_code == 302
    figure.refresh_from_db()
    assert figure.value == 12


def test_a_change_by_publishing_or_importing_counts_too(editors, figure):
    """Bulk writes (publish, import) change the record without the form: the version sees them."""
    sara, _omid = editors
    url = change_url(figure)
    mine = open_form(sara, url)
    Observation.objects.filter(pk=figure.pk).update(status=Observation.Status.DRAFT)  # no history, no updated_at
    mine["value"] = "12"
    response = sara.post(url, mine)
    assert response.status_code == 200
    assert "Someone else changed this observation after you opened this page." in text(response)


def test_a_form_without_the_version_saves_as_before(editors, figure):
    sara, omid = editors
    url = change_url(figure)
    mine = open_form(sara, url)
    theirs = open_form(omid, url)
    theirs["value"] = "98.7"
    omid.post(url, theirs)
    del mine["edit_version"]
    mine["value"] = "12"
    assert sara.post(url, mine).status_code == 302


def test_the_version_is_no_change_in_the_log_or_the_history(editors, figure):
    sara, _omid = editors
    url = change_url(figure)
    mine = open_form(sara, url)
    mine["value"] = "12"
    assert sara.post(url, mine).status_code == 302
    entry = LogEntry.objects.filter(object_id=str(figure.pk)).latest("action_time")
    assert "edit_version" not in entry.change_message and entry.get_change_message() == "Changed value."


def test_a_revert_over_a_later_change_is_refused_too(editors, figure):
    sara, omid = editors
    original = figure.history.latest()
    theirs = open_form(omid, change_url(figure))
    theirs["value"] = "98.7"
    omid.post(change_url(figure), theirs)  # a second version, which sara will revert
    revert_url = f"/en/admin/indicators/observation/{figure.pk}/history/{original.history_id}/"
    revert = open_form(sara, revert_url)
    assert revert["value"] == "99.4"
    theirs = open_form(omid, change_url(figure))
    theirs["value"] = "97.1"
    omid.post(change_url(figure), theirs)  # a third, after sara opened the revert page
    response = sara.post(revert_url, revert)
    assert response.status_code == 200 and "omid changed this observation at " in text(response)
    figure.refresh_from_db()
    assert str(figure.value.normalize()) == "97.1"
    assert sara.post(revert_url, open_form(sara, revert_url)).status_code == 302  # reopened: reverts
    figure.refresh_from_db()
    assert str(figure.value.normalize()) == "99.4"
