"""Who changed what, when; and going back to an earlier version."""

import html
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import translation

from countries.models import Area
from indicators.models import Indicator, Observation, Source


@pytest.fixture(autouse=True)
def leave_no_language_active():
    """A request activates its URL's language for the whole thread: do not hand it to the next test."""
    yield
    translation.deactivate()


@pytest.fixture
def editor_client(client, seeded):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("sara", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client.force_login(user)
    client.user = user
    return client


def form_data(client, url):
    """What the admin form at ``url`` would post back unchanged."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    return data


def test_an_edit_in_the_admin_records_who_and_what(editor_client):
    obs = Observation.objects.get(area__code="JPN", indicator__code="firm_share", year=1978)
    url = f"/en/admin/indicators/observation/{obs.pk}/change/"
    data = form_data(editor_client, url)
    data["value"] = "99.5"
    assert editor_client.post(url, data).status_code == 302
    latest = obs.history.latest()
    assert latest.history_user == editor_client.user and latest.history_type == "~"
    # As on the history page: modeltranslation's original columns and the timestamp are left out.
    delta = latest.diff_against(latest.prev_record, excluded_fields=["definition", "note", "updated_at"])
    assert [change.field for change in delta.changes] == ["value"]
    page = html.unescape(editor_client.get(f"/fa/admin/indicators/observation/{obs.pk}/history/").content.decode())
    assert "sara" in page and "مقدار:" in page
    assert "<bdi>99.4</bdi>" in page and "<bdi>99.5</bdi>" in page and "&larr;" not in page and "←" in page


def test_an_earlier_version_can_be_restored(editor_client):
    obs = Observation.objects.get(area__code="JPN", indicator__code="firm_share", year=1978)
    url = f"/en/admin/indicators/observation/{obs.pk}/change/"
    original = obs.history.latest()
    data = form_data(editor_client, url)
    data.update(value="12", status="draft")
    editor_client.post(url, data)
    revert_url = f"/fa/admin/indicators/observation/{obs.pk}/history/{original.history_id}/"
    revert = form_data(editor_client, revert_url)
    assert revert["value"] == "99.4"
    assert editor_client.post(revert_url, revert).status_code == 302
    obs.refresh_from_db()
    assert (str(obs.value.normalize()), obs.status) == ("99.4", "published")
    assert obs.history.count() == 3 and obs.history.latest().history_user == editor_client.user


@pytest.mark.parametrize(
    ("model", "lookup", "field", "value"),
    [
        (Area, {"code": "EU25"}, "name_fa", "اتحادیهٔ اروپا"),
        (Indicator, {"code": "sme_count"}, "name_ar", "عدد المنشآت"),
        (Source, {"identifier": "003_a9bddf9fb0107279.txt"}, "publisher_en", "A publisher"),
    ],
)
def test_areas_indicators_and_sources_keep_a_history_too(editor_client, model, lookup, field, value):
    instance = model.objects.get(**lookup)
    meta = model._meta
    url = f"/ar/admin/{meta.app_label}/{meta.model_name}/{instance.pk}/change/"
    data = form_data(editor_client, url)
    data[field] = value
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = instance.history.latest()
    assert latest.history_user == editor_client.user and getattr(latest, field) == value
    assert editor_client.get(f"/ar/admin/{meta.app_label}/{meta.model_name}/{instance.pk}/history/").status_code == 200
