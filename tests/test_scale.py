"""Pages stay bounded as the data grows: the coverage summary, pages of areas and indicators,
queries that do not grow, and whole responses cached until the data changes."""

import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_countries import countries as country_registry

from countries.models import Area
from indicators import comparison, pages
from indicators.models import Coverage, Indicator, Observation, Source
from indicators.presenters import figure_dict
from indicators.selectors import SOURCE_ORDER, figures_by_ids

PUBLISHED = Observation.Status.PUBLISHED


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def recount():
    """The coverage summary as it should be, counted afresh in Python from the published figures."""
    cells = {}
    for indicator_id, area_id, year in Observation.objects.published().values_list("indicator_id", "area_id", "year"):
        cells.setdefault((indicator_id, area_id), []).append(year)
    expected = {}
    for (indicator_id, area_id), years in cells.items():
        dated = [y for y in years if y is not None]
        expected[(indicator_id, area_id)] = {
            "indicator_id": indicator_id,
            "area_id": area_id,
            "figures": len(years),
            "years": len(set(dated)),
            "undated": len(years) - len(dated),
            "first_year": min(dated, default=None),
            "last_year": max(dated, default=None),
        }
    return expected


def summary():
    fields = ("indicator_id", "area_id", "figures", "years", "undated", "first_year", "last_year")
    return {(c["indicator_id"], c["area_id"]): c for c in Coverage.objects.values(*fields)}


def add_countries(count, indicator_code="firm_share", years=(2020,)):
    """``count`` more countries (not in the seed), each with a published figure per year."""
    seed_codes = set(Area.objects.values_list("code", flat=True))
    codes = [c for c in (country_registry.alpha3(code) for code, _ in country_registry) if c not in seed_codes]
    indicator = Indicator.objects.get(code=indicator_code)
    source = Source.objects.first()
    areas = []
    for number, code in enumerate(codes[:count]):
        area = Area.objects.create(code=code, kind=Area.Kind.COUNTRY)
        areas.append(area)
        for year in years:
            Observation.objects.create(
                area=area,
                indicator=indicator,
                source=source,
                value=Decimal(50 + number % 40),
                year=year,
                year_as_written=str(year),
                scope=Observation.Scope.ECONOMY,
                quote="test",
                status=PUBLISHED,
            )
    return areas


# --- the coverage summary ---------------------------------------------------------------------


def test_the_seed_is_summarised_exactly(seeded):
    assert summary() == recount()
    irn_firms = Coverage.objects.get(area__code="IRN", indicator__code="firm_share")
    # 1974 and one undated figure (the 1996 one, the large workshops' share, is withdrawn: a draft).
    assert (irn_firms.figures, irn_firms.years, irn_firms.undated) == (2, 1, 1)
    assert (irn_firms.first_year, irn_firms.last_year) == (1974, 1974)


def test_the_summary_follows_every_kind_of_change(seeded):
    obs = Observation.objects.published().filter(area__code="SYR").first()
    obs.year, obs.year_as_written = 2001, "2001"
    obs.save()
    assert summary() == recount()

    # Moved to another area: both cells are recounted, the emptied one disappears.
    obs.area = Area.objects.get(code="IRN")
    obs.save()
    assert summary() == recount()
    assert not Coverage.objects.filter(area__code="SYR").exists()

    obs.status = Observation.Status.DRAFT
    obs.save()
    assert summary() == recount()

    Observation.objects.published().filter(area__code="JPN").first().delete()
    assert summary() == recount()


def test_a_full_recount_rebuilds_a_damaged_summary(seeded):
    Coverage.objects.filter(area__code="IRN").delete()
    Coverage.objects.update(figures=99)
    out = io.StringIO()
    call_command("refresh_coverage", stdout=out)
    assert summary() == recount()
    assert f"{len(recount())} indicator × area cells" in out.getvalue()


def test_the_importer_and_the_publish_action_keep_the_summary(seeded, admin_client):
    from indicators.importing import import_file

    header = "area,indicator,year,value,qualifier,scope,source,quote\n"
    rows = "SYR,employment_share,2005,40,exact,economy,003_a9bddf9fb0107279.txt,test quote\n"
    plan = import_file("rows.csv", (header + rows).encode(), publish=False)
    assert plan.ok, plan.errors if hasattr(plan, "errors") else plan
    assert summary() == recount()  # a draft is not counted
    draft = Observation.objects.get(area__code="SYR", indicator__code="employment_share")
    response = admin_client.post(
        "/en/admin/indicators/observation/",
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    assert Coverage.objects.get(area__code="SYR", indicator__code="employment_share").figures == 1
    assert summary() == recount()


# --- pages of areas and indicators ----------------------------------------------------------


def test_the_overview_shows_a_page_of_areas_at_a_time(client, seeded):
    add_countries(20)
    html = client.get("/en/").content.decode()
    assert html.count('class="area-head') == pages.HOME_AREAS_PER_PAGE
    assert 'href="/en/?page=2"' in html and 'rel="next"' in html
    page2 = client.get("/en/?page=2").content.decode()
    assert 'href="/en/" rel="prev"' in page2
    last = client.get("/en/?page=3").content.decode()
    assert 'rel="next"' not in last
    shown = pages.HOME_AREAS_PER_PAGE * 2 + last.count('class="area-head')
    assert shown == Coverage.objects.values("area").distinct().count() == 29
    # Groups and regions come after every country, on the last page.
    assert 'href="/en/areas/EU25/"' in last and 'href="/en/areas/EU25/"' not in html + page2


@pytest.mark.parametrize(
    ("lang", "page", "message"),
    [
        ("en", "9", "There is no page 9: the last page is 1."),
        ("fa", "abc", "«abc» شمارهٔ صفحه نیست."),
        ("ar", "٩", "لا توجد صفحة ٩: آخر صفحة هي ١."),
    ],
)
def test_a_page_that_does_not_exist_is_explained(client, seeded, lang, page, message):
    for url in (f"/{lang}/?page={page}", f"/{lang}/compare/firm_share/?page={page}", f"/{lang}/areas/IRN/?page={page}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.content.decode(), url
    response = client.get(f"/{lang}/areas/IRN/data.json?page={page}")
    assert response.status_code == 400 and message in response.json()["errors"]


def test_the_comparison_charts_a_page_of_areas_in_chart_order(client, seeded):
    add_countries(comparison.COMPARE_AREAS_PER_PAGE + 1)  # with the seed's 9 areas: two pages
    first = client.get("/en/compare/firm_share/data.json").json()
    second = client.get("/en/compare/firm_share/data.json?page=2").json()
    assert first["pagination"]["pages"] == 2 and first["pagination"]["next"] == 2
    assert first["pagination"]["next_url"] == "/en/compare/firm_share/?year=latest&scope=all&page=2"
    first_areas = list(dict.fromkeys(f["area"]["code"] for f in first["figures"]))
    second_areas = list(dict.fromkeys(f["area"]["code"] for f in second["figures"]))
    assert len(first_areas) == comparison.COMPARE_AREAS_PER_PAGE
    assert not set(first_areas) & set(second_areas)
    total = Coverage.objects.filter(indicator__code="firm_share").values("area").distinct().count()
    assert len(first_areas) + len(second_areas) == total
    # Countries by their highest figure, page after page; groups and regions after them.
    countries = [f for f in first["figures"] + second["figures"] if f["area"]["kind"] == "country"]
    tops = {}
    for f in countries:
        tops[f["area"]["code"]] = max(tops.get(f["area"]["code"], 0), f["value"])
    assert list(tops.values()) == sorted(tops.values(), reverse=True)
    assert second["figures"][-1]["area"]["kind"] != "country"
    # The chart's exports follow the page.
    assert "page=2" in second["csv_url"] and "page=2" in second["png_url"]


def test_latest_keeps_the_newest_year_of_each_area_and_scope(client, seeded):
    add_countries(3, years=(2018, 2019, 2020))
    data = client.get("/en/compare/firm_share/data.json?year=latest").json()
    added = [f for f in data["figures"] if f["area"]["code"] not in {"IRN", "JPN", "KOR", "SGP", "TWN", "IND", "SYR"}]
    added = [f for f in added if f["area"]["kind"] == "country"]
    assert len(added) == 3 and {f["year"] for f in added} == {2020}
    # Iran's industry figures: the newest dated charted one (1974) and the undated one.
    iran = [f for f in data["figures"] if f["area"]["code"] == "IRN"]
    assert sorted((f["year"] or 0) for f in iran) == [0, 1974]
    # A figure unclear in its source is listed apart, not charted, whatever its year.
    unclear = Observation.objects.published().get(qualifier=Observation.Qualifier.UNCLEAR)
    data = client.get(f"/en/compare/{unclear.indicator.code}/data.json?year=latest").json()
    assert [f["id"] for f in data["not_charted"]] == [unclear.pk]
    assert unclear.pk not in [f["id"] for f in data["figures"]]


def test_an_area_profile_shows_the_newest_figures_of_each_indicator(client, seeded):
    iran = Area.objects.get(code="IRN")
    indicator = Indicator.objects.get(code="employment_share")
    for year in range(2000, 2006):
        Observation.objects.create(
            area=iran,
            indicator=indicator,
            source=Source.objects.first(),
            value=Decimal(60),
            year=year,
            year_as_written=str(year),
            scope=Observation.Scope.ECONOMY,
            quote="test",
            status=PUBLISHED,
        )
    data = client.get("/en/areas/IRN/data.json").json()
    section = next(s for s in data["sections"] if s["indicator"]["code"] == "employment_share")
    assert [f["year"] for f in section["figures"]] == [2013, 2005]
    assert (section["total"], section["more"]) == (8, 6)
    assert section["all_url"] == "/en/compare/employment_share/?areas=IRN&year=all&scope=all"
    html = client.get("/fa/areas/IRN/").content.decode()
    assert "۶ رقم قدیمی‌تر" in html and "همهٔ ۸ رقم" in html


def test_an_area_profile_shows_a_page_of_indicators(client, seeded):
    japan = Area.objects.get(code="JPN")
    indicators = list(Indicator.objects.all())
    for indicator in indicators:
        if not Coverage.objects.filter(area=japan, indicator=indicator).exists():
            Observation.objects.create(
                area=japan,
                indicator=indicator,
                source=Source.objects.first(),
                value=Decimal(5),
                year=2020,
                year_as_written="2020",
                quote="test",
                status=PUBLISHED,
            )
    first = client.get("/en/areas/JPN/data.json").json()
    second = client.get("/en/areas/JPN/data.json?page=2").json()
    assert len(first["sections"]) == pages.AREA_INDICATORS_PER_PAGE
    assert len(first["sections"]) + len(second["sections"]) == len(indicators)
    assert [s["indicator"]["code"] for s in first["sections"] + second["sections"]] == [i.code for i in indicators]


# --- costs that do not grow -----------------------------------------------------------------


def query_count(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "url", ["/en/", "/en/compare/firm_share/", "/en/compare/firm_share/data.json", "/en/areas/IRN/data.json"]
)
def test_queries_do_not_grow_with_the_data(client, seeded, url):
    before = query_count(client, url)
    add_countries(25, years=(2019, 2020))
    assert query_count(client, url) == before


def test_a_cached_page_costs_no_query_and_a_change_refreshes_it(client, seeded, django_capture_on_commit_callbacks):
    first = client.get("/fa/compare/firm_share/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/fa/compare/firm_share/")
    assert len(queries) == 0
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert again["Content-Security-Policy"]  # the middleware's headers, added afresh
    assert again["X-Frame-Options"] == first["X-Frame-Options"] == "DENY"
    assert again["Content-Language"] == "fa"
    # Another language, another selection, another host: each its own answer.
    assert client.get("/en/compare/firm_share/").content != first.content
    other_host = client.get("/fa/compare/firm_share/", HTTP_HOST="localhost")
    assert b"http://localhost/fa/compare/firm_share/" in other_host.content
    # A change to the data: the next visit is built afresh and shows it.
    syria = Area.objects.get(code="SYR")
    syria.name_fa = "سوریهٔ تازه"
    with django_capture_on_commit_callbacks(execute=True):  # as outside a test's transaction
        syria.save()
    assert "سوریهٔ تازه" in client.get("/fa/compare/firm_share/").content.decode()


def test_errors_are_not_cached(client, seeded):
    assert client.get("/en/compare/firm_share/?year=abc").status_code == 400
    assert client.get("/en/compare/firm_share/?year=abc").status_code == 400
    assert client.get("/en/compare/firm_share/").status_code == 200


def test_a_source_lists_its_figures_a_page_at_a_time_and_a_quote_link_finds_its_page(client, seeded):
    source = Source.objects.get(identifier="003_a9bddf9fb0107279.txt")
    add_countries(30, years=range(2017, 2021))  # 120 figures, all from the first source
    big = Source.objects.first()
    total = Observation.objects.published().filter(source=big).count()
    assert total > pages.SOURCE_FIGURES_PER_PAGE
    url = f"/en/sources/{big.identifier}/"
    first = client.get(url).content.decode()
    assert first.count('<li id="q-') == pages.SOURCE_FIGURES_PER_PAGE
    assert f'href="{url}?page=2" rel="next"' in first
    second = client.get(f"{url}?page=2").content.decode()
    assert second.count('<li id="q-') == total - pages.SOURCE_FIGURES_PER_PAGE
    assert f'<ol class="quote-list" start="{pages.SOURCE_FIGURES_PER_PAGE + 1}">' in second
    # Every figure's "quote" link opens the page its quote is on.
    last = Observation.objects.published().filter(source=big).order_by(*SOURCE_ORDER).last()
    with translation.override("en"):
        figure = figure_dict(figures_by_ids([last.pk])[0])
    assert figure["source"]["quote_url"] == f"{url}?figure={last.pk}#q-{last.pk}"
    assert f'<li id="q-{last.pk}">' in client.get(f"{url}?figure={last.pk}").content.decode()
    assert f'<li id="q-{last.pk}">' not in first
    # A small source is one page, with no page links.
    small = client.get(f"/en/sources/{source.identifier}/").content.decode()
    assert 'class="pagination"' not in small and small.count('<li id="q-') == 1
    response = client.get(f"/fa/sources/{source.identifier}/?figure=abc")
    assert response.status_code == 400 and "«abc» شناسهٔ هیچ رقمی نیست." in response.content.decode()


def test_the_methodology_page_lists_only_real_definitions(client, seeded):
    # A figure whose definition columns were never filled (NULL, as bulk loads leave them) has none.
    add_countries(5)
    Observation.objects.filter(definition_en="").update(definition_en=None)
    with translation.override("en"):
        data = pages.about_page()
    assert data["definitions"] and all(d["definition"] for d in data["definitions"])
    assert {d["area"]["code"] for d in data["definitions"]} <= {"IRN", "JPN", "KOR", "EU25", "IND", "SGP", "TWN"}


def test_addresses_with_made_up_parameters_are_answered_but_not_kept(client, seeded):
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        assert client.get("/en/compare/firm_share/?utm_source=x").status_code == 200
        assert not [c for c in stored.call_args_list if c.args[0].startswith("smedash:response:")]
        assert client.get("/en/compare/firm_share/?areas=IRN").status_code == 200
        assert [c for c in stored.call_args_list if c.args[0].startswith("smedash:response:")]
