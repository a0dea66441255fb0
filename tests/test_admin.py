"""The staff admin: who may do what, the observation form's rules and messages, publishing."""

import html
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone, translation

from countries.models import Area
from indicators.cache import data_version
from indicators.models import Indicator, Observation, Source

ADD_URL = "/{lang}/admin/indicators/observation/add/"


@pytest.fixture(autouse=True)
def leave_no_language_active():
    """A request activates its URL's language for the whole thread: do not hand it to the next test."""
    yield
    translation.deactivate()


@pytest.fixture
def editor(db):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("sara", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


@pytest.fixture
def editor_client(client, editor, seeded):
    client.force_login(editor)
    return client


@pytest.fixture
def parts(seeded):
    return {
        "area": Area.objects.get(code="IRN"),
        "share": Indicator.objects.get(code="firm_share"),
        "count": Indicator.objects.get(code="sme_count"),
        "source": Source.objects.get(identifier="002_bb35e3d40c82847a.txt"),
    }


def observation_data(parts, **changes):
    data = {
        "area": parts["area"].pk,
        "indicator": parts["share"].pk,
        "source": parts["source"].pk,
        "quote": "بیش از ۹۰ درصد واحدها کوچک و متوسط‌اند",
        "value": "90",
        "qualifier": "more_than",
        "scope": "industry",
        "year_as_written": "",
        "year_calendar": "gregorian",
        "year": "",
        "status": "draft",
        **{f"{name}_{lang}": "" for name in ("definition", "note", "measured_as") for lang in ("en", "ar", "fa")},
        # Iran already has an undated figure of industry for this indicator: say what this one counts.
        "measured_as_en": "units of a test",
    }
    data.update(changes)
    return data


def page_text(response):
    return html.unescape(response.content.decode())


# Access -------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, seeded):
    response = client.get("/fa/admin/indicators/observation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/fa/admin/login/?next=")


def test_an_editor_cannot_reach_user_management(editor_client):
    for url in ("/en/admin/auth/user/", "/en/admin/auth/user/add/", "/en/admin/auth/group/"):
        assert editor_client.get(url).status_code == 403
    index = page_text(editor_client.get("/en/admin/"))
    assert "/admin/auth/user/" not in index
    assert "/admin/indicators/observation/" in index


def test_an_editor_can_open_every_statistics_page(editor_client):
    for model in ("countries/area", "indicators/indicator", "indicators/source", "indicators/observation"):
        assert editor_client.get(f"/ar/admin/{model}/").status_code == 200
        assert editor_client.get(f"/ar/admin/{model}/add/").status_code == 200
    assert editor_client.get("/ar/admin/indicators/observation/import/").status_code == 200


def test_a_staff_member_without_a_role_cannot_import(client, seeded):
    user = User.objects.create_user("nobody", password="x-long-password-1", is_staff=True)
    client.force_login(user)
    assert client.get("/en/admin/indicators/observation/import/").status_code == 403


def test_an_editor_cannot_delete_a_published_figure(editor_client):
    published = Observation.objects.published().first()
    assert editor_client.get(f"/en/admin/indicators/observation/{published.pk}/delete/").status_code == 403
    response = editor_client.post(
        "/en/admin/indicators/observation/",
        {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"},
        follow=True,
    )
    assert "can only be deleted by an administrator" in page_text(response)
    assert Observation.objects.filter(pk=published.pk).exists()


def test_an_editor_cannot_delete_a_figure_that_was_once_published(editor_client):
    obs = Observation.objects.published().first()
    obs.status = Observation.Status.DRAFT
    obs.save()
    assert editor_client.get(f"/en/admin/indicators/observation/{obs.pk}/delete/").status_code == 403


def test_an_editor_can_delete_a_draft(editor_client, parts):
    editor_client.post(ADD_URL.format(lang="en"), observation_data(parts))
    draft = Observation.objects.get(status=Observation.Status.DRAFT)
    response = editor_client.post(
        "/en/admin/indicators/observation/",
        {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Observation.objects.filter(pk=draft.pk).exists()


def test_a_superuser_can_delete_a_published_figure(admin_client, seeded):
    published = Observation.objects.published().first()
    response = admin_client.post(f"/en/admin/indicators/observation/{published.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Observation.objects.filter(pk=published.pk).exists()


# Assets -------------------------------------------------------------------------------------

EXTERNAL_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def test_admin_pages_load_nothing_from_another_host(admin_client, seeded):
    obs = Observation.objects.first()
    urls = [
        "/fa/admin/",
        "/fa/admin/indicators/observation/",
        "/fa/admin/indicators/observation/add/",
        f"/fa/admin/indicators/observation/{obs.pk}/change/",
        f"/fa/admin/indicators/observation/{obs.pk}/history/",
        "/fa/admin/indicators/observation/import/",
        f"/ar/admin/indicators/indicator/{Indicator.objects.first().pk}/change/",
        f"/ar/admin/indicators/source/{Source.objects.first().pk}/change/",
        f"/ar/admin/countries/area/{Area.objects.first().pk}/change/",
        "/en/admin/countries/area/add/",
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert not EXTERNAL_ASSET.search(response.content.decode()), url
    admin_client.logout()
    login = admin_client.get("/fa/admin/login/").content.decode()
    assert not EXTERNAL_ASSET.search(login)


def test_the_admin_is_right_to_left_in_arabic_and_persian(admin_client, seeded):
    for lang in ("ar", "fa"):
        page = admin_client.get(f"/{lang}/admin/indicators/observation/").content.decode()
        assert f'lang="{lang}" dir="rtl"' in page
        assert "admin/css/rtl.css" in page


def test_translated_fields_are_typed_in_their_own_direction(admin_client, seeded):
    page = admin_client.get("/en/admin/indicators/indicator/add/").content.decode()
    assert re.search(r'<input[^>]*name="name_fa"[^>]*dir="rtl"|<input[^>]*dir="rtl"[^>]*name="name_fa"', page)
    page = admin_client.get("/fa/admin/indicators/indicator/add/").content.decode()
    assert re.search(r'<input[^>]*name="name_en"[^>]*dir="ltr"|<input[^>]*dir="ltr"[^>]*name="name_en"', page)


# Searching in any language ------------------------------------------------------------------


def autocomplete(client, term, field="area"):
    response = client.get(
        "/en/admin/autocomplete/",
        {"app_label": "indicators", "model_name": "observation", "field_name": field, "term": term},
    )
    assert response.status_code == 200
    return {int(item["id"]) for item in response.json()["results"]}


@pytest.mark.parametrize("term", ["Iran", "إيران", "ایران", "ايران", "IRN"])
def test_areas_are_found_in_any_language_and_either_keyboard(editor_client, term):
    assert Area.objects.get(code="IRN").pk in autocomplete(editor_client, term)


def test_indicators_and_sources_are_found_in_persian_and_arabic(editor_client):
    assert Indicator.objects.get(code="employment_share").pk in autocomplete(editor_client, "اشتغال", "indicator")
    assert Indicator.objects.get(code="employment_share").pk in autocomplete(editor_client, "العمالة", "indicator")
    source = Source.objects.get(identifier="003_a9bddf9fb0107279.txt")
    assert source.pk in autocomplete(editor_client, "سوريا", "source") | autocomplete(editor_client, "Syria", "source")


# Entering a figure --------------------------------------------------------------------------


def test_a_solar_hijri_year_is_converted_and_the_original_kept(editor_client, parts):
    data = observation_data(parts, year_as_written="۱۳۹۲", year_calendar="solar_hijri")
    response = editor_client.post(ADD_URL.format(lang="fa"), data)
    assert response.status_code == 302, page_text(response)
    obs = Observation.objects.get(source=parts["source"], quote=data["quote"])
    assert (obs.year, obs.year_as_written, obs.year_calendar) == (2013, "۱۳۹۲", "solar_hijri")
    assert obs.status == Observation.Status.DRAFT


def test_the_year_may_be_left_empty(editor_client, parts):
    response = editor_client.post(ADD_URL.format(lang="en"), observation_data(parts))
    assert response.status_code == 302
    assert Observation.objects.get(quote=observation_data(parts)["quote"]).year is None


@pytest.mark.parametrize(
    ("typed_value", "typed_year", "value", "year"),
    [("۵۷/۵", "۲۰۱۰", Decimal("57.5"), 2010), ("٤٢", "٢٠٠٩", Decimal("42"), 2009), ("۶٧", "1999", Decimal("67"), 1999)],
)
def test_persian_and_arabic_digits_are_accepted(editor_client, parts, typed_value, typed_year, value, year):
    response = editor_client.post(
        ADD_URL.format(lang="fa"), observation_data(parts, value=typed_value, year=typed_year)
    )
    assert response.status_code == 302, page_text(response)
    obs = Observation.objects.get(quote=observation_data(parts)["quote"])
    assert (obs.value, obs.year) == (value, year)


def test_changing_the_year_as_written_recomputes_the_year(editor_client, parts):
    editor_client.post(
        ADD_URL.format(lang="en"), observation_data(parts, year_as_written="1392", year_calendar="solar_hijri")
    )
    obs = Observation.objects.get(quote=observation_data(parts)["quote"])
    data = observation_data(parts, year_as_written="1390", year_calendar="solar_hijri", year="2013")
    response = editor_client.post(f"/en/admin/indicators/observation/{obs.pk}/change/", data)
    assert response.status_code == 302, page_text(response)
    obs.refresh_from_db()
    assert obs.year == 2011


NEXT_YEAR = timezone.now().year + 1
MESSAGES = {
    # case: (changes, English, Persian, Arabic)
    "share above 100": (
        {"value": "120"},
        "A share is a percentage: it must be between 0 and 100.",
        "سهم درصد است: باید میان ۰ و ۱۰۰ باشد.",
        "الحصة نسبة مئوية: يجب أن تكون بين ٠ و١٠٠.",
    ),
    "year in the future": (
        {"year": str(NEXT_YEAR)},
        f"The year must be between 1900 and {NEXT_YEAR - 1}.",
        f"سال باید میان 1900 و {NEXT_YEAR - 1} باشد.",
        f"يجب أن تكون السنة بين 1900 و{NEXT_YEAR - 1}.",
    ),
    "year before 1900": (
        {"year": "1850"},
        f"The year must be between 1900 and {NEXT_YEAR - 1}.",
        f"سال باید میان 1900 و {NEXT_YEAR - 1} باشد.",
        f"يجب أن تكون السنة بين 1900 و{NEXT_YEAR - 1}.",
    ),
    "solar hijri year typed as gregorian": (
        {"year": "1392"},
        "If this is a Solar Hijri year, write it under “year as written”",
        "اگر این سال هجری شمسی است",
        "إذا كانت هذه سنة هجرية شمسية",
    ),
    "solar hijri year with the gregorian calendar": (
        {"year_as_written": "1392"},
        "If the source uses the Solar Hijri calendar, choose it as the calendar of the year as written.",
        "اگر منبع تقویم هجری شمسی را به کار برده",
        "إذا كان المصدر يستخدم التقويم الهجري الشمسي",
    ),
    "year and year as written disagree": (
        {"year_as_written": "1392", "year_calendar": "solar_hijri", "year": "2015"},
        "The year as written, 1392 (Solar Hijri), is 2013, not 2015.",
        "سالِ نوشته‌شده، 1392 (هجری شمسی)، برابر 2013 است، نه 2015.",
        "السنة كما كُتبت، 1392 (هجري شمسي)، تقابل 2013 لا 2015.",
    ),
    "percent sign on a count": (
        {"value": "45%", "indicator": "COUNT"},
        "is counted in number of enterprises, not as a percentage: remove the % sign",
        "بر حسب «تعداد بنگاه‌ها» شمرده می‌شود، نه به درصد: علامت % را بردارید",
        "يُحسب بوحدة «عدد المنشآت» لا بنسبة مئوية: احذف علامة %",
    ),
    "not a number": (
        {"value": "ninety"},
        "Enter a number, such as 57.5, ۵۷/۵ or ٥٧٫٥.",
        "عددی وارد کنید، مانند 57.5 یا ۵۷/۵ یا ٥٧٫٥.",
        "أدخل عدداً، مثل 57.5 أو ۵۷/۵ أو ٥٧٫٥.",
    ),
    "missing quote": (
        {"quote": ""},
        "Every figure needs the sentence it was taken from, quoted exactly.",
        "هر رقم باید جمله‌ای را که از آن برداشته شده، عیناً به همراه داشته باشد.",
        "يحتاج كل رقم إلى الجملة التي أُخذ منها، منقولة بنصها.",
    ),
    "a group of countries for a countries-only indicator": (
        {"area": "EU25", "indicator": "COUNTRIES_ONLY"},
        "is compared between countries only: choose a country, not a group of countries or a region.",
        "فقط میان کشورها مقایسه می‌شود: یک کشور انتخاب کنید، نه گروه کشورها یا ناحیه‌ای درون یک کشور.",
        "يُقارن بين البلدان فقط: اختر بلدًا، لا مجموعة بلدان ولا إقليمًا.",
    ),
}


@pytest.mark.parametrize("case", MESSAGES)
@pytest.mark.parametrize("lang", ["en", "fa", "ar"])
def test_every_rule_has_a_clear_message_in_the_admins_language(editor_client, parts, case, lang):
    changes, *texts = MESSAGES[case]
    changes = dict(changes)
    if changes.get("indicator") == "COUNT":
        changes["indicator"] = parts["count"].pk
    if changes.get("indicator") == "COUNTRIES_ONLY":
        Indicator.objects.filter(code="employment_share").update(countries_only=True)
        changes["indicator"] = Indicator.objects.get(code="employment_share").pk
    if changes.get("area") == "EU25":
        changes["area"] = Area.objects.get(code="EU25").pk
    before = Observation.objects.count()
    response = editor_client.post(ADD_URL.format(lang=lang), observation_data(parts, **changes))
    assert response.status_code == 200
    expected = dict(zip(["en", "fa", "ar"], texts, strict=True))[lang]
    text = page_text(response)
    assert expected in text
    assert Observation.objects.count() == before
    # One message per problem: the database constraints' own messages do not repeat it.
    assert "The year is not plausible." not in text and "سال پذیرفتنی نیست." not in text
    headline = {"en": "Please correct the error", "fa": "لطفاً خطا", "ar": "الرجاء تصحيح"}[lang]
    assert headline in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "This figure is already recorded: same area, indicator, source, year, scope and value."),
        ("fa", "این رقم پیش‌تر ثبت شده است: همان منطقه، شاخص، منبع، سال، گستره و مقدار."),
    ],
)
def test_an_exact_duplicate_is_refused(editor_client, seeded, lang, expected):
    existing = Observation.objects.get(area__code="SYR")
    data = observation_data(
        {"area": existing.area, "share": existing.indicator, "source": existing.source},
        value=str(existing.value),
        scope=existing.scope,
        qualifier=existing.qualifier,
        year_as_written=existing.year_as_written,
        quote="another quote of the same figure",
    )
    response = editor_client.post(ADD_URL.format(lang=lang), data)
    assert response.status_code == 200
    assert expected in page_text(response)


def test_control_characters_are_taken_out_of_the_text_fields(editor_client, parts):
    hidden_formula = '\x01=HYPERLINK("http://evil.example/","x")'
    data = observation_data(
        parts,
        quote="\x02" + observation_data(parts)["quote"],
        year_as_written="۱۴۰۰\x1f",
        year_calendar="solar_hijri",
        note_ar=hidden_formula,
        definition_fa="\x7fتعریف",
    )
    response = editor_client.post(ADD_URL.format(lang="en"), data)
    assert response.status_code == 302, page_text(response)
    obs = Observation.objects.get(status=Observation.Status.DRAFT)
    assert obs.note_ar == '=HYPERLINK("http://evil.example/","x")'
    assert (obs.quote, obs.year_as_written, obs.year) == (observation_data(parts)["quote"], "۱۴۰۰", 2021)
    assert obs.definition_fa == "تعریف"


def test_a_quote_of_control_characters_only_is_refused_as_missing(editor_client, parts):
    response = editor_client.post(ADD_URL.format(lang="en"), observation_data(parts, quote="\x01\x02"))
    assert response.status_code == 200
    assert "Every figure needs the sentence it was taken from, quoted exactly." in page_text(response)
    assert not Observation.objects.filter(status=Observation.Status.DRAFT).exists()


# Publishing ---------------------------------------------------------------------------------


def test_publish_and_unpublish_actions_record_history_and_refresh_the_public_pages(
    editor_client, editor, parts, django_capture_on_commit_callbacks
):
    editor_client.post(ADD_URL.format(lang="en"), observation_data(parts))
    draft = Observation.objects.get(status=Observation.Status.DRAFT)
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            "/fa/admin/indicators/observation/", {"action": "publish_selected", "_selected_action": [draft.pk]}
        )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Observation.Status.PUBLISHED
    assert data_version() != before
    latest = draft.history.latest()
    assert (latest.status, latest.history_user, latest.history_change_reason) == ("published", editor, "منتشر شد")

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            "/en/admin/indicators/observation/", {"action": "unpublish_selected", "_selected_action": [draft.pk]}
        )
    draft.refresh_from_db()
    assert draft.status == Observation.Status.DRAFT
    assert draft.history.count() == 3


def test_the_list_shows_and_filters_by_status(editor_client, parts):
    editor_client.post(ADD_URL.format(lang="en"), observation_data(parts))
    page = page_text(editor_client.get("/fa/admin/indicators/observation/?status__exact=draft"))
    assert page.count("class='smedash-status smedash-status-draft'>پیش‌نویس<") == 1  # one row: the draft
    assert "class='smedash-status smedash-status-published'" not in page


def test_a_new_figure_is_a_draft_and_absent_from_the_export(editor_client, parts):
    editor_client.post(ADD_URL.format(lang="en"), observation_data(parts))
    out = io.StringIO()
    call_command("export_observations", stdout=out)
    assert observation_data(parts)["quote"] not in out.getvalue()
    out = io.StringIO()
    call_command("export_observations", "--drafts", stdout=out)
    assert observation_data(parts)["quote"] in out.getvalue()


def test_an_indicator_cannot_become_countries_only_while_it_has_regional_figures(seeded):
    from django.core.exceptions import ValidationError

    indicator = Indicator.objects.get(code="firm_share")
    indicator.countries_only = True
    with pytest.raises(ValidationError) as exc_info:
        indicator.full_clean()
    assert "EU25" in str(exc_info.value) and "IR-02" in str(exc_info.value)
