"""The public pages and their JSON twins, in English, Arabic and Persian."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from countries.models import Area
from indicators.formatting import format_number
from indicators.models import Indicator, Observation, Source

DIRECTION = {"en": "ltr", "ar": "rtl", "fa": "rtl"}
LANGS = ["en", "ar", "fa"]


@pytest.fixture(autouse=True)
def fresh_cache():
    # Tests roll their data back without committing, so the data version does not move.
    cache.clear()


def html_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def json_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    assert response["Content-Type"].startswith("application/json")
    return response.json()


# --- every page -------------------------------------------------------------------------------

PAGES = [
    "/{lang}/",
    "/{lang}/compare/firm_share/",
    "/{lang}/areas/IRN/",
    "/{lang}/areas/EU25/",
    "/{lang}/areas/IR-02/",
    "/{lang}/sources/",
    "/{lang}/sources/001_e2e29c5eae0b9509.txt/",
    "/{lang}/sources/000_939c0177dc8ceb3f.txt/",
    "/{lang}/about/",
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_served_in_every_language_and_direction(client, seeded, lang, page):
    html = html_of(client, page.format(lang=lang))
    assert f'<html lang="{lang}" dir="{DIRECTION[lang]}">' in html


@pytest.mark.parametrize("page", PAGES)
def test_pages_load_nothing_from_another_host_and_run_no_inline_script(client, seeded, page):
    html = html_of(client, page.format(lang="fa"))
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html):
        if re.search(r'\brel="(?:canonical|alternate)"', tag):
            continue  # this page's own addresses, absolute for search engines: nothing is loaded from them
        assert "//" not in tag.split("href=")[0] + "".join(re.findall(r'src="([^"]*)"', tag)), tag
        assert not re.search(r'(?:src|href)="(?:https?:)?//', tag), tag
    for script in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in script or 'type="application/json"' in script, script


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "Which figures exist"), ("ar", "ما الأرقام المتوفرة"), ("fa", "چه ارقامی موجود است")],
)
def test_home_is_translated_and_shows_the_matrix_with_years(client, seeded, lang, text):
    html = html_of(client, f"/{lang}/")
    assert text in html
    assert {"en": "1978", "ar": "١٩٧٨", "fa": "۱۹۷۸"}[lang] in html  # Japan's 1978 figures
    # Iran's workshop counts: both years, newest first, one per line.
    # In Persian both calendars, the source's own Solar Hijri years first.
    assert {"en": "1996<br>1974", "ar": "١٩٩٦<br>١٩٧٤", "fa": "۱۳۷۵ (۱۹۹۶)<br>۱۳۵۳ (۱۹۷۴)"}[lang] in html
    assert "&lt;br&gt;" not in html
    assert {"en": "year not stated", "ar": "السنة غير مذكورة", "fa": "سال ذکر نشده"}[lang] in html
    assert f'href="/{lang}/compare/firm_share/"' in html  # an entry point to a comparison
    assert f'href="/{lang}/areas/EU25/"' in html


def test_the_language_switcher_keeps_the_page_and_its_query(client, seeded):
    html = html_of(client, "/en/compare/firm_share/?areas=IRN,JPN&year=latest&scope=industry")
    assert 'href="/fa/compare/firm_share/?areas=IRN,JPN&amp;year=latest&amp;scope=industry"' in html
    assert 'href="/ar/compare/firm_share/?areas=IRN,JPN&amp;year=latest&amp;scope=industry"' in html
    html = html_of(client, "/fa/areas/IR-02/")
    assert 'href="/en/areas/IR-02/"' in html


# --- compare ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "figure"), [("fa", "بیش از ۹۸٪"), ("ar", "أكثر من ٩٨٪"), ("en", "more than 98%")])
def test_compare_page_localises_digits_and_words_qualifiers(client, seeded, lang, figure):
    html = html_of(client, f"/{lang}/compare/firm_share/")
    assert figure in html  # Syria, in the table
    assert {"fa": "۹۸", "ar": "٩٨", "en": "98"}[lang] in html
    assert 'id="chart-data" type="application/json"' in html
    assert 'id="plotly-locale" type="application/json"' in html
    assert "/static/vendor/plotly/plotly-smedash.min.js" in html
    assert "/static/js/chart.js" in html


def test_compare_page_has_a_table_sources_and_quotes_in_their_own_language(client, seeded):
    html = html_of(client, "/en/compare/firm_share/")
    assert '<th scope="col">Area</th>' in html
    assert "<caption" in html
    # Syria's figure: its quote, in Arabic, right to left, on an English page.
    syria = Observation.objects.get(area__code="SYR")
    assert f'<li id="q-{syria.pk}">' in html
    assert f'href="#q-{syria.pk}"' in html  # the table row leads to the quote
    assert '<blockquote class="quote" lang="ar" dir="rtl">' in html
    assert '<blockquote class="quote" lang="fa" dir="rtl">' in html
    assert "التي تمثل أكثر من 98 % من المشروعات في سورية" in html


def test_compare_filters_come_from_the_url(client, seeded):
    data = json_of(client, "/en/compare/firm_share/data.json?areas=IRN,JPN&year=latest&scope=industry")
    assert {f["area"]["code"] for f in data["figures"]} == {"IRN", "JPN"}
    assert {f["scope"] for f in data["figures"]} == {"industry"}
    assert data["params"] == {"areas": ["IRN", "JPN"], "year": "latest", "scope": "industry", "page": 1}
    assert data["url"] == "/en/compare/firm_share/?areas=IRN,JPN&year=latest&scope=industry"
    # Latest: Iran's newest dated figure (1353 SH = 1974) and its undated one, not older ones.
    iran = sorted((f["year"] or 0, f["value"]) for f in data["figures"] if f["area"]["code"] == "IRN")
    assert iran == [(0, 92.0), (1974, 99.64)]
    # The same with checkboxes (areas repeated) and lower-case codes.
    again = json_of(client, "/en/compare/firm_share/data.json?areas=irn&areas=jpn&year=latest&scope=industry")
    assert [f["id"] for f in again["figures"]] == [f["id"] for f in data["figures"]]


def test_compare_year_filter(client, seeded):
    data = json_of(client, "/en/compare/firm_share/data.json?year=1978")
    assert [(f["area"]["code"], f["value"]) for f in data["figures"]] == [("JPN", 99.4)]
    everything = json_of(client, "/en/compare/firm_share/data.json?year=all")
    assert (
        len(everything["figures"])
        == Observation.objects.filter(indicator__code="firm_share").exclude(qualifier="unclear").count()
    )


def test_compare_json_twin_has_what_the_chart_uses(client, seeded):
    data = json_of(client, "/fa/compare/firm_share/data.json?areas=IRN&year=all")
    figure = next(f for f in data["figures"] if f["year"] == 1974)
    for key in ("value", "qualifier", "year", "year_as_written", "scope", "definition", "quote", "note", "flags"):
        assert key in figure
    assert figure["value"] == 99.64
    assert figure["value_display"] == "۹۹٫۶۴٪"
    assert figure["year_as_written"] == "1353"
    assert figure["year_calendar"] == "solar_hijri"
    assert figure["source"]["identifier"] == "001_e2e29c5eae0b9509.txt"
    assert figure["source"]["title"].startswith("نقش")  # in the page's language
    assert figure["quote_lang"] == "fa"
    # "about 4/2" for 1375 was the large workshops' share: not an SME figure, not listed at all.
    assert data["not_charted"] == []
    garbled = json_of(client, "/fa/compare/employment_share/data.json?areas=JPN&year=all")
    assert [f["value"] for f in garbled["not_charted"]] == [3.3]  # garbled in the source, listed, not charted
    assert data["indicator"]["code"] == "firm_share"


def test_aggregates_and_regions_are_grouped_apart_and_flagged_figures_marked(client, seeded):
    data = json_of(client, "/en/compare/firm_share/data.json")
    assert [g["kind"] for g in data["groups"]] == ["country", "aggregate", "subnational"]
    by_area = {}
    for f in data["figures"]:
        by_area.setdefault(f["area"]["code"], []).append(f)
    assert [f["area"]["kind"] for f in data["figures"]][-2:] == ["aggregate", "subnational"]
    assert "qualified" in by_area["SYR"][0]["flags"]
    assert "no_year" in by_area["SYR"][0]["flags"]
    assert "scope_differs" in by_area["SYR"][0]["flags"]  # whole economy among industry figures
    assert "definition" in by_area["IND"][0]["flags"]
    assert "year_differs" in next(f for f in by_area["JPN"] if f["year"] == 1978)["flags"]
    korea = by_area["KOR"]
    assert sorted(f["value"] for f in korea) == [73, 97.8]
    assert all("several" in f["flags"] for f in korea)
    assert len({f["label"] for f in korea}) == 2
    legend = {item["code"]: item for item in data["flag_legend"]}
    assert legend["no_year"]["symbol"] == "†"


def test_a_period_is_flagged(client, seeded):
    data = json_of(client, "/en/compare/employment_share/data.json?areas=IRN&year=all")
    period = next(f for f in data["figures"] if f["year"] == 2013)
    assert "period" in period["flags"] and "qualified" in period["flags"]
    assert period["value_display"] == "about 67%"


def test_unclear_figures_are_listed_with_their_note(client, seeded):
    html = html_of(client, "/en/compare/employment_share/?areas=JPN")
    assert "Not charted: Garbled in the source" in html
    data = json_of(client, "/en/compare/employment_share/data.json?areas=JPN")
    assert 3.3 not in [f["value"] for f in data["figures"]]
    assert [f["value"] for f in data["not_charted"]] == [3.3]


def test_draft_figures_are_not_public(client, seeded):
    for obs in Observation.objects.filter(area__code="SYR"):  # saved, as the admin does (signals)
        obs.status = Observation.Status.DRAFT
        obs.save()
    assert "SYR" not in {f["area"]["code"] for f in json_of(client, "/en/compare/firm_share/data.json")["figures"]}
    html = html_of(client, "/en/compare/firm_share/")
    assert "أكثر من 98 %" not in html
    assert 'href="/en/areas/SYR/"' not in html_of(client, "/en/")
    assert json_of(client, "/en/areas/SYR/data.json")["sections"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "“abc” is not a year"),
        ("areas=XXX", "There is no area with the code “XXX”."),
        ("areas=IRN,<script>", "is not an area code"),
        ("scope=nonsense", "“nonsense” is not a scope."),
        ("areas=" + ",".join(f"A{i}" for i in range(400)), "Too many areas"),
        ("year=1800", "is not a year"),
    ],
)
def test_bad_parameters_get_a_clear_message_not_an_error(client, seeded, query, message):
    html = html_of(client, f"/en/compare/firm_share/?{query}", status=400)
    assert message in html
    assert 'role="alert"' in html
    assert "<script>" not in html.split("<main", 1)[1]  # the bad value is shown escaped
    data = json_of(client, f"/en/compare/firm_share/data.json?{query}", status=400)
    assert any(message in error for error in data["errors"])


def test_bad_parameters_are_explained_in_the_pages_language(client, seeded):
    html = html_of(client, "/fa/compare/firm_share/?year=abc&scope=nonsense", status=400)
    assert "«abc» سال نیست" in html
    assert "«nonsense» گستره نیست." in html
    assert 'dir="rtl"' in html


def test_unknown_indicator_and_area_are_404_in_the_pages_language(client, seeded):
    html = html_of(client, "/fa/compare/nonexistent/", status=404)
    assert "صفحه پیدا نشد" in html
    assert "شاخصی با کد «nonexistent» وجود ندارد." in html
    html = html_of(client, "/ar/areas/XYZ/", status=404)
    assert "الصفحة غير موجودة" in html and 'dir="rtl"' in html
    assert json_of(client, "/en/areas/XYZ/data.json", status=404)["errors"]
    assert json_of(client, "/en/compare/nonexistent/data.json", status=404)["errors"]
    assert "صفحه پیدا نشد" in html_of(client, "/fa/no/such/page/", status=404)


def test_the_form_target_redirects_to_the_chosen_indicator(client, seeded):
    response = client.get("/en/compare/?indicator=employment_share&year=all&areas=IRN")
    assert response.status_code == 302
    assert response["Location"] == "/en/compare/employment_share/?year=all&areas=IRN"
    assert client.get("/fa/compare/")["Location"] == "/fa/compare/firm_share/"


def test_compare_makes_as_many_queries_for_two_areas_as_for_all(client, seeded, django_assert_num_queries, settings):
    settings.SMEDASH_STATIC_CHARTS = (
        False  # the reads only: queueing a chart's drawing is one write more (tests/test_chart_static.py)
    )
    with CaptureQueriesContext(connection) as two_areas:
        html_of(client, "/en/compare/firm_share/?areas=IRN,JPN")
    cache.clear()
    with django_assert_num_queries(len(two_areas.captured_queries)):
        html_of(client, "/en/compare/firm_share/")
    cache.clear()
    with django_assert_num_queries(len(two_areas.captured_queries)):
        json_of(client, "/en/compare/firm_share/data.json?year=all")


def test_pages_make_a_fixed_number_of_queries_whatever_the_data(client, seeded, django_assert_num_queries, settings):
    settings.SMEDASH_STATIC_CHARTS = (
        False  # the reads only: queueing a chart's drawing is one write more (tests/test_chart_static.py)
    )
    counts = {}
    for url in ("/en/", "/en/areas/IRN/", "/en/sources/001_e2e29c5eae0b9509.txt/", "/en/about/", "/en/sources/"):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            html_of(client, url)
        counts[url] = len(queries.captured_queries)
    # More data (another area with figures from every source) changes no count.
    area = Area.objects.create(code="TUR", kind=Area.Kind.COUNTRY)
    for source in Source.objects.all():
        for indicator in Indicator.objects.all()[:3]:
            Observation.objects.create(
                area=area, indicator=indicator, source=source, value=10, quote="q", status="published"
            )
    for url, count in counts.items():
        cache.clear()
        with django_assert_num_queries(count):
            html_of(client, url)


def test_cached_pages_ask_the_database_nothing(client, seeded, django_assert_num_queries):
    html_of(client, "/en/compare/firm_share/")
    with django_assert_num_queries(0):
        html_of(client, "/en/compare/firm_share/")


# --- area, sources, about -----------------------------------------------------------------------


def test_area_profile_shows_definitions_regions_chart_and_json_twin(client, seeded):
    html = html_of(client, "/en/areas/IRN/")
    assert "How the sources define SMEs here" in html
    assert "fewer than 100 workers" in html
    assert 'href="/en/areas/IR-02/"' in html  # its region
    assert 'id="chart-data"' in html
    data = json_of(client, "/en/areas/IRN/data.json")
    assert data["area"]["code"] == "IRN"
    assert {s["indicator"]["code"] for s in data["sections"]} >= {"firm_share", "sme_count"}
    assert all(f["indicator"]["unit"] == "percent" and f["charted"] for f in data["figures"])
    # The article's "fewer than 100 workers", and the thesis's Statistical Centre rule for workshops.
    assert len(data["definitions"]) == 2 and all(len(d["sources"]) == 1 for d in data["definitions"])


def test_area_profile_of_a_region_and_of_a_group(client, seeded):
    html = html_of(client, "/fa/areas/IR-02/")
    assert "ناحیهٔ درون یک کشور" in html
    assert 'href="/fa/areas/IRN/"' in html
    assert "بیش از ۸۰٪" in html
    html = html_of(client, "/en/areas/EU25/")
    assert "A group of countries" in html


def test_sources_list_and_source_page_with_every_figure_and_quote(client, seeded):
    html = html_of(client, "/fa/sources/")
    thesis_count = Observation.objects.filter(source__identifier="001_e2e29c5eae0b9509.txt").count()
    assert f'<td class="num">{format_number(thesis_count, "fa")}</td>' in html  # in Persian digits
    assert 'href="/fa/sources/003_a9bddf9fb0107279.txt/"' in html
    html = html_of(client, "/en/sources/003_a9bddf9fb0107279.txt/")
    assert "Syria: an integrated plan" in html
    assert "News article" in html and "Arabic" in html
    assert '<blockquote class="quote" lang="ar" dir="rtl">' in html
    assert "more than 98%" in html
    html = html_of(client, "/en/sources/000_939c0177dc8ceb3f.txt/")
    assert "No figure is taken from this source" in html
    html_of(client, "/en/sources/nonexistent.txt/", status=404)


@pytest.mark.parametrize(("lang", "conversion"), [("en", "1353"), ("fa", "۱۳۵۳"), ("ar", "١٣٥٣")])
def test_about_explains_indicators_definitions_calendar_and_qualifiers(client, seeded, lang, conversion):
    html = html_of(client, f"/{lang}/about/")
    assert conversion in html
    assert {"en": "1974", "fa": "۱۹۷۴", "ar": "١٩٧٤"}[lang] in html
    indicator = Indicator.objects.get(code="firm_share")
    assert getattr(indicator, f"description_{lang}") in html
    if lang == "en":
        assert "Figures are only as good as their sources" in html
        assert "more than" in html and "unclear in the source" in html


def test_hostile_names_are_escaped_in_pages_and_in_the_embedded_figure(client, seeded):
    hostile = "<img src=x onerror=alert(1)>"
    area = Area.objects.create(code="XX-01", kind=Area.Kind.SUBNATIONAL, name_en=hostile, name_fa=hostile)
    Observation.objects.create(
        area=area,
        indicator=Indicator.objects.get(code="firm_share"),
        source=Source.objects.get(identifier="001_e2e29c5eae0b9509.txt"),
        value=50,
        quote="<script>alert(1)</script>",
        status=Observation.Status.PUBLISHED,
    )
    for url in ("/en/compare/firm_share/", "/fa/compare/firm_share/", "/en/areas/XX-01/", "/en/"):
        html = html_of(client, url)
        assert hostile not in html and "<script>alert(1)</script>" not in html
    html = html_of(client, "/en/compare/firm_share/")
    chart_json = html.split('id="chart-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert "&amp;lt;img src=x onerror=alert(1)&amp;gt;" not in chart_json  # escaped once, not twice
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in chart_json


def test_the_form_target_refuses_a_code_that_is_no_indicator(client, seeded):
    html = html_of(client, "/en/compare/?indicator=<script>", status=404)
    assert "There is no indicator with the code “&lt;script&gt;”." in html


# --- exports of a chart (tests/test_chart_exports.py has the rest) -------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", ["compare/firm_share/?year=all", "areas/IRN/", "areas/EU25/"])
def test_every_chart_offers_png_csv_json_and_its_link(client, seeded, lang, page):
    html = html_of(client, f"/{lang}/{page}")
    for element in ('id="download-png"', 'id="download-csv"', 'id="download-json"', 'id="copy-link"'):
        assert html.count(element) == 1, element
    path = page.split("?")[0]
    assert f'href="/{lang}/{path}chart.png' in html
    assert f'href="/{lang}/{path}data.csv' in html
    assert f'href="/{lang}/{path}data.json' in html
    assert '<script src="/static/js/share.js" defer></script>' in html
    data = json_of(client, f"/{lang}/{path}data.json")
    query = data["url"].partition("?")[2]
    assert data["png_url"] == f"/{lang}/{path}chart.png" + (f"?{query}" if query else "")
    assert data["csv_url"] == f"/{lang}/{path}data.csv" + (f"?{query}" if query else "")


def test_figures_in_the_json_twin_say_when_they_last_changed(client, seeded):
    data = json_of(client, "/en/compare/firm_share/data.json")
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", f["last_changed"]) for f in data["figures"])
    assert data["last_changed"] == max(f["last_changed"] for f in data["figures"] + data["not_charted"])


def test_the_comparisons_filter_is_its_bound_form_and_shows_the_view(client, seeded):
    html = client.get("/fa/compare/firm_share/?areas=IRN,JPN&year=1978&scope=industry").content.decode()
    assert '<option value="1978" selected>۱۳۵۷ (۱۹۷۸)</option>' in html
    assert '<option value="industry" selected>' in html
    assert '<option value="firm_share" selected>' in html
    assert 'value="IRN" checked' in html and 'value="JPN" checked' in html and 'value="KOR" checked' not in html
    assert '<label for="f-year">سال</label>' in html
    # A bad query: the page shows the default view, and so does its form.
    bad = client.get("/fa/compare/firm_share/?year=1066&areas=IRN").content.decode()
    assert '<option value="latest" selected>' in bad and "checked" not in bad
