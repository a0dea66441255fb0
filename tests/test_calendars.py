"""Years in the reader's calendar (indicators.calendars): Solar Hijri and Gregorian in Persian by
default, a choice kept in the address, its links, the cache keys, the downloads and the API."""

import csv
import io
import json
import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import translation
from persiantools.jdatetime import JalaliDate

from indicators import calendars, charts, formatting
from indicators.cache import cache_key
from indicators.comparison import compare_page
from indicators.params import CompareParams
from indicators.presenters import year_fields

IRN_1353 = "/{lang}/compare/firm_share/?areas=IRN&year=all"


def in_lang(lang, function, *args, calendar=None):
    with translation.override(lang), calendars.override(calendar):
        return function(*args)


# --- the rule ---------------------------------------------------------------------------------------


def test_a_gregorian_year_maps_to_the_solar_hijri_year_that_begins_in_it():
    for gregorian in range(1900, 2031):
        solar_hijri = calendars.solar_hijri_of(gregorian)
        # 1 Farvardin of that Solar Hijri year falls in March of the Gregorian year.
        first_day = JalaliDate(solar_hijri, 1, 1).to_gregorian()
        assert (first_day.year, first_day.month) == (gregorian, 3)
    assert calendars.solar_hijri_of(None) is None


def test_a_solar_hijri_year_the_source_wrote_is_shown_as_written():
    assert calendars.solar_hijri_year(1974, "1353", "solar_hijri") == 1353
    assert calendars.solar_hijri_year(1974, "۱۳۵۳", "solar_hijri") == 1353
    # A period is not one year: the rule gives the year that begins in the Gregorian one.
    assert calendars.solar_hijri_year(2013, "۱۰ ساله منتهی به سال ۹۲", "solar_hijri") == 1392
    # A written year that does not belong to the Gregorian one is not trusted over the rule.
    assert calendars.solar_hijri_year(1975, "1353", "solar_hijri") == 1354
    assert calendars.solar_hijri_year(1978, "1978", "gregorian") == 1357
    assert calendars.solar_hijri_year(None, "", "gregorian") is None


def test_the_default_is_both_in_persian_and_gregorian_elsewhere():
    assert in_lang("fa", calendars.current) == calendars.BOTH
    assert in_lang("ar", calendars.current) == calendars.GREGORIAN
    assert in_lang("en", calendars.current) == calendars.GREGORIAN
    assert in_lang("en", calendars.current, calendar="solar_hijri") == calendars.SOLAR_HIJRI
    assert calendars.explicit() is None  # override puts the previous choice back


def test_format_year_in_each_calendar():
    assert in_lang("fa", formatting.format_year, 1974) == "۱۳۵۳ (۱۹۷۴)"
    assert in_lang("fa", formatting.format_year, 1974, calendar="solar_hijri") == "۱۳۵۳"
    assert in_lang("fa", formatting.format_year, 1974, calendar="gregorian") == "۱۹۷۴"
    assert in_lang("ar", formatting.format_year, 1974) == "١٩٧٤"
    assert in_lang("en", formatting.format_year, 1974) == "1974"
    assert in_lang("en", formatting.format_year, 1974, calendar="both") == "1353 (1974)"
    assert in_lang("fa", formatting.format_year, None, calendar="solar_hijri") != ""


def test_a_years_fields_are_kept_per_language_and_calendar():
    # presenters keeps each year's presented fields for the process: one year asked for in turn in
    # every language and calendar must come back in that language and calendar each time.
    written_1353 = SimpleNamespace(year=1974, year_as_written="1353", year_calendar="solar_hijri")
    for _round in range(2):
        assert in_lang("fa", year_fields, written_1353)["year_display"] == "۱۳۵۳ (۱۹۷۴)"
        assert in_lang("fa", year_fields, written_1353, calendar="gregorian")["year_display"] == "۱۹۷۴"
        assert in_lang("ar", year_fields, written_1353)["year_display"] == "١٩٧٤"
        english = in_lang("en", year_fields, written_1353)
        assert (english["year_display"], english["year_solar_hijri"], english["year_as_written_shown"]) == (
            "1974",
            None,
            True,
        )
        both = in_lang("en", year_fields, written_1353, calendar="both")
        assert (both["year_display"], both["year_solar_hijri"], both["year_as_written_shown"]) == (
            "1353 (1974)",
            1353,
            False,
        )
        assert in_lang("fa", year_fields, written_1353)["year_calendar_label"] != english["year_calendar_label"]


# --- pages ------------------------------------------------------------------------------------------


def _table(html):
    return html[html.index('<table class="figures"') : html.index("</table>")]


@pytest.mark.django_db
def test_persian_tables_show_both_years_and_the_choice_changes_them(client, seeded):
    both = _table(client.get(IRN_1353.format(lang="fa")).content.decode())
    assert "۱۳۵۳ (۱۹۷۴)" in both
    assert "as-written" not in both.split("۱۳۵۳ (۱۹۷۴)")[1].split("</td>")[0]  # written 1353: already shown

    only_sh = _table(client.get(IRN_1353.format(lang="fa") + "&calendar=solar_hijri").content.decode())
    assert "۱۳۵۳" in only_sh and "(۱۹۷۴)" not in only_sh

    only_g = _table(client.get(IRN_1353.format(lang="fa") + "&calendar=gregorian").content.decode())
    assert "۱۹۷۴" in only_g and "۱۳۵۳ (۱۹۷۴)" not in only_g
    assert 'class="as-written"' in only_g  # the year as written, 1353, beside the Gregorian one


@pytest.mark.django_db
def test_english_and_arabic_keep_gregorian_years_with_the_original_as_written(client, seeded):
    english = _table(client.get(IRN_1353.format(lang="en")).content.decode())
    assert "1974" in english and "1353 (1974)" not in english
    assert "written “<bdi>1353</bdi>”" in english
    arabic = _table(client.get(IRN_1353.format(lang="ar")).content.decode())
    assert "١٩٧٤" in arabic and "<bdi>1353</bdi>" in arabic


@pytest.mark.django_db
def test_a_period_shows_its_solar_hijri_year_and_what_the_source_wrote(client, seeded):
    html = client.get("/fa/areas/IRN/").content.decode()
    assert "۱۳۹۲ (۲۰۱۳)" in html
    assert "۱۰ ساله منتهی به سال ۹۲" in _table(html)


@pytest.mark.django_db
def test_the_choice_is_offered_in_persian_only_until_one_is_made(client, seeded):
    assert 'class="chart-actions calendar-choice"' in client.get(IRN_1353.format(lang="fa")).content.decode()
    assert "calendar-choice" not in client.get(IRN_1353.format(lang="en")).content.decode()
    chosen = client.get(IRN_1353.format(lang="en") + "&calendar=solar_hijri").content.decode()
    assert "calendar-choice" in chosen  # a way back
    current = re.search(r'<a class="action" href="([^"]+)" aria-current="true">', chosen)
    assert current and current.group(1).endswith("calendar=solar_hijri")


@pytest.mark.django_db
def test_links_filters_and_the_language_switcher_keep_the_choice(client, seeded):
    html = client.get("/fa/compare/firm_share/?areas=IRN,JPN&year=all&calendar=gregorian").content.decode()
    assert 'href="/fa/areas/IRN/?calendar=gregorian"' in html  # to the area page
    assert 'href="/en/compare/firm_share/?areas=IRN,JPN&amp;year=all&amp;calendar=gregorian"' in html  # switcher
    assert re.search(r'href="/fa/compare/firm_share/data\.csv\?[^"]*calendar=gregorian"', html)
    assert '<input type="hidden" name="calendar" value="gregorian"' in html  # the filter
    assert "admin/?calendar" not in html
    # The canonical link names the default view, not this spelling of it.
    canonical = re.search(r'<link rel="canonical" href="([^"]*)"', html).group(1)
    assert "year=all" in canonical and "calendar" not in canonical
    assert re.search(r'data-url="http[^"]*calendar=gregorian"', html)  # "Copy link"
    area = client.get("/fa/areas/IRN/?calendar=gregorian").content.decode()
    assert re.search(r'href="/fa/compare/[a-z_]+/\?[^"]*calendar=gregorian"', area)


@pytest.mark.django_db
def test_the_filter_sends_no_calendar_without_a_choice(client, seeded):
    html = client.get(IRN_1353.format(lang="fa")).content.decode()
    assert 'name="calendar"' not in html
    assert "calendar=" not in html.replace("calendar=both", "").replace("calendar=solar_hijri", "").replace(
        "calendar=gregorian", ""
    )


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["calendar=julian", "calendar=both&calendar=gregorian"])
def test_a_bad_calendar_is_refused_and_the_default_shown(client, seeded, query):
    response = client.get(f"/en/compare/firm_share/?areas=IRN&year=all&{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a calendar" in html or "only once" in html
    area = client.get(f"/fa/areas/IRN/?{query}")
    assert area.status_code == 400
    assert "۱۳۵۳ (۱۹۷۴)" in area.content.decode()  # the default view, in the default calendar


@pytest.mark.django_db
def test_each_choice_has_its_own_kept_page(client, seeded, django_assert_num_queries):
    address = IRN_1353.format(lang="fa") + "&calendar=gregorian"
    assert "۱۳۵۳ (۱۹۷۴)" in client.get(IRN_1353.format(lang="fa")).content.decode()
    first = client.get(address).content.decode()
    assert "۱۳۵۳ (۱۹۷۴)" not in _table(first)
    with django_assert_num_queries(0):
        kept = client.get(address)
    assert kept.content.decode() == first


def test_the_choice_is_part_of_every_cache_key():
    plain = cache_key("png", "fa", "compare", "x")
    with calendars.override("gregorian"):
        gregorian = cache_key("png", "fa", "compare", "x")
    with calendars.override("solar_hijri"):
        solar_hijri = cache_key("png", "fa", "compare", "x")
    assert len({plain, gregorian, solar_hijri}) == 3
    assert cache_key("png", "fa", "compare", "x") == plain  # no choice: the keys of before


@pytest.mark.django_db
def test_page_data_is_kept_per_calendar(seeded):
    params = CompareParams(areas=("IRN",), year="all")
    with translation.override("fa"):
        from indicators.cache import cached

        both = cached("compare", ("firm_share", params), lambda: compare_page("firm_share", params))
        with calendars.override("gregorian"):
            gregorian = cached("compare", ("firm_share", params), lambda: compare_page("firm_share", params))
    assert {f["year_display"] for f in both["figures"]} != {f["year_display"] for f in gregorian["figures"]}
    cache.clear()


# --- charts, downloads, API ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_chart_hover_and_json_twin_follow_the_calendar(client, seeded):
    params = CompareParams(areas=("IRN",), year="all")
    with translation.override("fa"):
        data = compare_page("firm_share", params)
        hover = json.dumps(charts.compare_figure(data).to_plotly_json()["data"], ensure_ascii=False)
    assert "۱۳۵۳ (۱۹۷۴)" in hover
    twin = client.get("/fa/compare/firm_share/data.json?areas=IRN&year=all").json()
    record = next(f for f in twin["figures"] if f["year"] == 1974)
    assert (record["year_display"], record["year_solar_hijri"]) == ("۱۳۵۳ (۱۹۷۴)", 1353)
    english = client.get("/en/compare/firm_share/data.json?areas=IRN&year=all").json()
    assert next(f for f in english["figures"] if f["year"] == 1974)["year_solar_hijri"] is None


def _csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_the_chart_csv_adds_the_solar_hijri_year_when_asked(client, seeded):
    persian = _csv_rows(client.get("/fa/compare/firm_share/data.csv?areas=IRN&year=all"))
    assert [(r["year"], r["year_solar_hijri"]) for r in persian if r["year"] == "1974"] == [("1974", "1353")]
    english = _csv_rows(client.get("/en/compare/firm_share/data.csv?areas=IRN&year=all"))
    assert all(r["year_solar_hijri"] == "" for r in english)
    asked = _csv_rows(client.get("/en/compare/firm_share/data.csv?areas=IRN&year=all&calendar=both"))
    assert [r["year_solar_hijri"] for r in asked if r["year"] == "1974"] == ["1353"]
    gregorian = _csv_rows(client.get("/fa/compare/firm_share/data.csv?areas=IRN&year=all&calendar=gregorian"))
    assert all(r["year_solar_hijri"] == "" for r in gregorian)


@pytest.mark.django_db
def test_the_api_takes_calendar_in_every_language(client, seeded):
    def years(query):
        results = client.get(f"/api/v1/observations?area=IRN&indicator=firm_share&{query}").json()["results"]
        return [(o["year_display"], o["year_solar_hijri"]) for o in results if o["year"] == 1974]

    assert years("lang=en") == [("1974", None)]
    assert years("lang=fa") == [("۱۳۵۳ (۱۹۷۴)", 1353)]
    assert years("lang=fa&calendar=gregorian") == [("۱۹۷۴", None)]
    assert years("lang=en&calendar=solar_hijri") == [("1353", 1353)]
    assert years("lang=ar&calendar=both") == [("١٣٥٣ (١٩٧٤)", 1353)]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["calendar=julian", "calendar=both&calendar=both", "calendar="])
def test_the_api_refuses_a_bad_calendar_in_its_error_shape(client, seeded, query):
    response = client.get(f"/api/v1/observations?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == "calendar" and body["error"]


@pytest.mark.django_db
def test_the_openapi_document_declares_calendar(client, seeded):
    document = client.get("/api/v1/openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/observations"]["get"]["parameters"]}
    assert parameters["calendar"]["schema"]["enum"] == ["both", "solar_hijri", "gregorian"]
    observation = document["components"]["schemas"]["Observation"]
    assert {"year_display", "year_solar_hijri"} <= set(observation["required"])


@pytest.mark.django_db
def test_the_about_page_states_the_rule(client, seeded):
    english = client.get("/en/about/").content.decode()
    assert 'id="calendar-rule"' in english and "minus 621" in english
    persian = client.get("/fa/about/").content.decode()
    assert "۱۳۵۳" in persian and "۷۳۲" not in persian  # example years are not run through the rule again
