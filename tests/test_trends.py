"""Trends (issue 13, part 3): one indicator over the years for chosen areas, as a line chart, with
its permalink, JSON twin, CSV, PNG, embed view, link previews, sitemap entry, and a cost that does
not grow with the data."""

import csv
import io
import json
import re
from decimal import Decimal
from html import unescape
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from countries.models import Area
from indicators import png
from indicators.chart_exports import FIGURE_FIELDS, SERIES_FIELDS, TWIN_FIELDS
from indicators.models import Indicator, Observation, Source
from indicators.trends import (
    TREND_AREAS_PER_PAGE,
    TREND_FIGURES_PER_AREA,
    TREND_LISTED_FIGURES,
    TREND_POINTS_PER_PAGE,
)
from indicators.writes import figures_changed

LANGS = ["en", "ar", "fa"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SME_COUNT = "/trends/sme_count/?areas=IRN,JPN"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def stub_browser():
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"stub") as stub:
        yield stub


def chart_of(response):
    """The figure the page gives plotly.js (its json_script)."""
    html = response.content.decode()
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no chart on the page"
    return json.loads(unescape(found.group(1)))


def add_area(code, name):
    return Area.objects.create(code=code, kind=Area.Kind.COUNTRY, name_en=name, name_ar=name, name_fa=name)


def add_figures(area_code, years, indicator_code="firm_share", qualifier="exact", first_value=10):
    """One published figure a year (None: no year), each value different, written as the bulk
    writers write."""
    area = Area.objects.get(code=area_code)
    indicator = Indicator.objects.get(code=indicator_code)
    source = Source.objects.first()
    figures = [
        Observation(
            area=area,
            indicator=indicator,
            source=source,
            value=Decimal(first_value) + Decimal(number) / 10,
            qualifier=qualifier,
            year=year,
            year_as_written="" if year is None else str(year),
            scope=Observation.Scope.ECONOMY,
            quote=f"figure {number}",
            status=Observation.Status.PUBLISHED,
        )
        for number, year in enumerate(years)
    ]
    Observation.objects.bulk_create(figures)
    figures_changed(figures)
    cache.clear()
    return figures


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_trend_draws_one_line_per_area_with_the_years_running_left_to_right(client, seeded, lang):
    response = client.get(f"/{lang}{SME_COUNT}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'dir="{"ltr" if lang == "en" else "rtl"}"' in html
    chart = chart_of(response)
    traces = chart["data"]
    assert [t["type"] for t in traces] == ["scatter", "scatter"]
    assert all(t["mode"] == "lines+markers+text" for t in traces)
    iran, japan = traces
    assert [x for x, y in zip(iran["x"], iran["y"], strict=True) if y is not None] == [1974, 1996]
    assert [y for y in iran["y"] if y is not None] == [1405950.0, 307955.0]
    assert [y for y in japan["y"] if y is not None] == [5810000.0]
    layout = chart["layout"]
    # Time runs left to right in every language; the value axis and the legend on the start side.
    assert layout["xaxis"]["autorange"] is False and layout["xaxis"]["range"][0] < 1974 < layout["xaxis"]["range"][1]
    rtl = lang != "en"
    assert layout["yaxis"]["side"] == ("right" if rtl else "left")
    assert layout["legend"]["xanchor"] == ("right" if rtl else "left")
    assert (
        chart["narrow"]["layout"]["margin"]["r" if rtl else "l"]
        > chart["narrow"]["layout"]["margin"]["l" if rtl else "r"]
    )
    assert chart["narrow"]["layout"]["dragmode"] is False


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_years_and_values_are_in_the_readers_digits(client, seeded, lang):
    chart = chart_of(client.get(f"/{lang}{SME_COUNT}"))
    digits = "٠١٢٣٤٥٦٧٨٩" if lang == "ar" else "۰۱۲۳۴۵۶۷۸۹"
    ticks = "".join(chart["layout"]["xaxis"]["ticktext"]) + "".join(chart["layout"]["yaxis"]["ticktext"])
    assert not re.search(r"[0-9]", ticks) and any(d in ticks for d in digits)


def test_a_missing_year_is_a_gap_and_consecutive_years_are_joined(client, seeded):
    add_area("NOR", "Norway")
    add_figures("NOR", [2000, 2001, 2003, 2004])
    chart = chart_of(client.get("/en/trends/firm_share/?areas=NOR"))
    (line,) = chart["data"]
    # 2000–2001 joined, nothing at 2002 (a point with no value breaks the line), 2003–2004 joined.
    assert line["y"] == [10.0, 10.1, None, 10.2, 10.3]
    assert line.get("connectgaps") is False
    assert [c for c in line["customdata"] if c] == [
        f"#q-{f.pk}" for f in Observation.objects.filter(area__code="NOR").order_by("year")
    ]


def test_two_figures_of_one_year_are_not_joined_and_are_told_apart(client, seeded):
    add_area("NOR", "Norway")
    add_figures("NOR", [2000, 2000])
    twin = client.get("/en/trends/firm_share/data.json?areas=NOR").json()
    assert all("several" in f["flags"] for f in twin["figures"])
    assert len({f["label"] for f in twin["figures"]}) == 2
    (line,) = chart_of(client.get("/en/trends/firm_share/?areas=NOR"))["data"]
    assert None in line["y"]


def test_undated_figures_are_listed_not_drawn_and_unclear_ones_not_charted(client, seeded):
    twin = client.get("/en/trends/employment_share/data.json?areas=IRN,JPN").json()
    drawn = {(f["area"]["code"], f["year"]) for f in twin["figures"]}
    assert drawn == {("IRN", 2013), ("JPN", 1978)}
    assert [(f["area"]["code"], f["value_text"]) for f in twin["undated"]] == [("IRN", "56")]
    assert [(f["area"]["code"], f["value_text"]) for f in twin["not_charted"]] == [("JPN", "3.3")]
    html = client.get("/en/trends/employment_share/?areas=IRN,JPN").content.decode()
    assert "Not drawn: year not stated" in html and "Figures with no year in their source" in html
    chart = chart_of(client.get("/en/trends/employment_share/?areas=IRN,JPN"))
    assert 56.0 not in [y for t in chart["data"] for y in t["y"]]
    assert 3.3 not in [y for t in chart["data"] for y in t["y"]]
    notes = chart["layout"]["annotations"][0]["text"]
    assert "Not drawn (year not stated)" in notes and "Not charted (unclear in the source)" in notes


def test_flags_are_the_comparisons_without_year_differs(client, seeded):
    twin = client.get("/en/trends/exports_share/data.json?areas=KOR").json()
    (korea_1994,) = twin["figures"]
    assert "qualified" in korea_1994["flags"] and "year_differs" not in korea_1994["flags"]
    assert korea_1994["value_display"].startswith("more than")
    (line,) = chart_of(client.get("/en/trends/exports_share/?areas=KOR"))["data"]
    assert line["marker"]["symbol"] == ["circle-open"]  # hollow: not an exact figure
    twin = client.get("/en/trends/sme_count/data.json?areas=IRN,JPN").json()
    assert not any("year_differs" in f["flags"] for f in twin["figures"])
    assert any("scope_differs" in f["flags"] for f in twin["figures"])


# --- pages of areas and what a page costs ---------------------------------------------------------


def test_a_page_draws_at_most_eight_areas_and_the_others_come_a_page_at_a_time(client, seeded):
    codes = [f"X{n:02d}" for n in range(TREND_AREAS_PER_PAGE + 3)]
    for n, code in enumerate(codes):
        add_area(code, f"Area {n:02d}")
    for code in codes:
        add_figures(code, [2010, 2011])
    query = ",".join(codes)
    first = client.get(f"/en/trends/firm_share/data.json?areas={query}").json()
    assert [s["area"]["code"] for s in first["series"]] == codes[:TREND_AREAS_PER_PAGE]
    assert first["pagination"]["pages"] == 2
    assert first["pagination"]["next_url"] == f"/en/trends/firm_share/?areas={query}&scope=all&page=2"
    second = client.get(f"/en/trends/firm_share/data.json?areas={query}&page=2").json()
    assert [s["area"]["code"] for s in second["series"]] == codes[TREND_AREAS_PER_PAGE:]
    assert len(chart_of(client.get(f"/en/trends/firm_share/?areas={query}"))["data"]) == TREND_AREAS_PER_PAGE
    assert "Next page" in client.get(f"/en/trends/firm_share/?areas={query}").content.decode()


def test_long_series_make_pages_of_fewer_areas(client, seeded):
    """Sixty years an area: as many areas a page as TREND_POINTS_PER_PAGE points allow."""
    codes = [f"L{n:02d}" for n in range(5)]
    for n, code in enumerate(codes):
        add_area(code, f"Long {n:02d}")
        add_figures(code, range(1960, 2020))
    per_page = TREND_POINTS_PER_PAGE // 60
    assert 1 <= per_page < len(codes)
    query = ",".join(codes)
    first = client.get(f"/en/trends/firm_share/data.json?areas={query}").json()
    assert [s["area"]["code"] for s in first["series"]] == codes[:per_page]
    assert len(first["figures"]) == 60 * per_page <= TREND_POINTS_PER_PAGE
    assert first["pagination"]["label"] == f"1–{per_page} of {len(codes)}"
    last = client.get(f"/en/trends/firm_share/data.json?areas={query}&page={first['pagination']['pages']}").json()
    assert last["series"][-1]["area"]["code"] == codes[-1]
    assert last["pagination"]["next_url"] is None


def test_a_page_of_many_figures_tables_years_by_areas_each_value_linked_to_its_quote(client, seeded):
    add_area("NOR", "Norway")
    add_area("SWE", "Sweden")
    norway = add_figures("NOR", range(1990, 2020))
    add_figures("SWE", range(2000, 2020), first_value=30)
    response = client.get("/en/trends/firm_share/?areas=NOR,SWE")
    html = response.content.decode()
    assert len(norway) + 20 > TREND_LISTED_FIGURES
    # One row a year, one column an area; 1990-1999 have no Swedish figure.
    table = html[html.index('<table class="figures trend-years">') : html.index("</table>")]
    assert table.count("<tr>") == 1 + 30
    assert ">Norway</a></th>" in table and ">Sweden</a></th>" in table
    row_1990 = table[table.index('<th scope="row">1990</th>') :].split("</tr>")[0]
    assert row_1990.count("<td") == 2 and row_1990.endswith('<td class="num"></td>\n    ')
    first = norway[0]
    assert f'id="q-{first.pk}"' in table  # where a click on the chart's point leads
    assert f'href="/en/sources/{first.source.identifier}/?figure={first.pk}#q-{first.pk}">10%</a>' in table
    # No quote is repeated on the page: the sources are listed, each figure's quote is on its page.
    assert "figure 0" not in html and 'class="quote-list"' not in html
    assert "50 figures on this page" in html
    points = chart_of(response)["data"][0]["customdata"]
    assert f"#q-{first.pk}" in points


def test_a_page_of_few_figures_lists_each_with_its_quote(client, seeded):
    add_area("NOR", "Norway")
    figures = add_figures("NOR", range(2000, 2005))
    html = client.get("/en/trends/firm_share/?areas=NOR").content.decode()
    assert 'class="figures trend-table"' in html and "trend-years" not in html
    assert f'<li id="q-{figures[0].pk}">' in html and "figure 0" in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_pages_figure_is_valid_for_plotly_in_both_layouts(client, seeded, lang):
    """Page figures are built as plain dicts (chart_page.PageFigure), without plotly.py's checks
    at run time: checked here against plotly's schema, both layouts."""
    import plotly.graph_objects as go

    add_area("NOR", "Norway")
    add_figures("NOR", [*range(1990, 2000), 2003, None], qualifier="more_than")
    chart = chart_of(client.get(f"/{lang}/trends/firm_share/?areas=NOR,IRN,JPN"))
    for layout in (chart, chart["narrow"]):
        go.Figure(data=layout["data"], layout=layout["layout"])  # raises on anything plotly.js would not take
        assert layout["data"] and all(trace["type"] == "scatter" for trace in layout["data"])


def measure(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "url",
    ["/en/trends/firm_share/?areas=NOR", "/fa/trends/firm_share/data.json", "/ar/trends/firm_share/data.csv?areas=NOR"],
)
def test_what_a_trend_costs_does_not_grow_with_the_data(client, seeded, url):
    add_area("NOR", "Norway")
    add_figures("NOR", range(2000, 2005))
    queries = measure(client, url)
    add_figures("NOR", range(1900, 2000), first_value=20)
    for n in range(12):
        add_area(f"Y{n:02d}", f"More {n}")
        add_figures(f"Y{n:02d}", range(1990, 2020))
    assert measure(client, url) == queries


def test_one_area_draws_at_most_its_bound_and_says_how_many_more(client, seeded):
    add_area("NOR", "Norway")
    add_figures("NOR", range(1900, 1900 + TREND_FIGURES_PER_AREA + 5))
    twin = client.get("/en/trends/firm_share/data.json?areas=NOR").json()
    assert len(twin["figures"]) == TREND_FIGURES_PER_AREA
    assert twin["figures"][-1]["year"] == 1900 + TREND_FIGURES_PER_AREA + 4  # the newest are kept
    assert twin["more"]["areas"] == [
        {"area": "NOR", "shown": TREND_FIGURES_PER_AREA, "total": TREND_FIGURES_PER_AREA + 5, "more": 5}
    ]
    assert any("5 older figures are not shown here" in notice for notice in twin["notices"])


def test_the_whole_page_is_kept_at_its_own_address(client, seeded):
    url = "/en/trends/sme_count/?areas=IRN,JPN&scope=all"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.status_code == 200 and len(queries) == 0


# --- exports beside the page ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_json_twin_keeps_its_declared_contract(client, seeded, stub_browser, lang):
    twin = client.get(f"/{lang}/trends/employment_share/data.json?areas=IRN,JPN").json()
    assert set(twin) == {"version", "kind", "lang", "dir", *TWIN_FIELDS["trend"]}
    assert twin["version"] == 1 and twin["kind"] == "trend" and twin["lang"] == lang
    for record in twin["figures"] + twin["undated"] + twin["not_charted"]:
        assert set(record) == set(FIGURE_FIELDS)
    for series in twin["series"]:
        assert set(series) == {*SERIES_FIELDS, "figures"}
    assert [i for s in twin["series"] for i in s["figures"]] == [f["id"] for f in twin["figures"]]
    assert twin["url"] == f"/{lang}/trends/employment_share/?areas=IRN,JPN&scope=all"
    for key in ("json_url", "csv_url", "png_url"):
        assert client.get(twin[key]).status_code == 200


def test_the_csv_has_one_row_per_drawn_point_in_the_charts_order(client, seeded):
    response = client.get("/fa/trends/sme_count/data.csv?areas=IRN,JPN")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "smedash-sme_count-trend-IRN-JPN.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["area"], r["year"]) for r in rows] == [("IRN", "1974"), ("IRN", "1996"), ("JPN", "1978")]
    assert rows[0]["area_name"] == "ایران"


def test_the_png_is_the_same_trend_drawn_on_the_server(client, seeded, stub_browser):
    response = client.get("/fa/trends/sme_count/chart.png?areas=IRN,JPN&size=small")
    assert response.status_code == 200 and response.content.startswith(PNG_SIGNATURE)
    figure, _opts, _timeout = stub_browser.call_args.args
    assert [t["type"] for t in figure["data"]] == ["scatter", "scatter"]
    assert figure["layout"]["yaxis"]["side"] == "right" and figure["layout"]["xaxis"].get("autorange") is False
    caption = figure["layout"]["annotations"][-1]["text"]
    assert "/fa/trends/sme_count/?areas=IRN,JPN&amp;scope=all" in caption


def test_the_embed_view_may_be_framed_and_names_the_full_page(client, seeded):
    response = client.get("/ar/trends/sme_count/embed/?areas=IRN,JPN")
    assert response.status_code == 200
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    html = response.content.decode()
    assert 'id="chart-data"' in html and "/ar/trends/sme_count/?areas=IRN,JPN&amp;scope=all" in html
    assert client.get("/ar/trends/sme_count/?areas=IRN,JPN")["X-Frame-Options"] == "DENY"


def test_link_previews_and_the_sitemap(client, seeded):
    html = client.get("/en/trends/sme_count/?areas=IRN,JPN").content.decode()
    assert '<meta property="og:title" content="Number of SMEs over the years' in html
    assert "/en/trends/sme_count/chart.png?areas=IRN,JPN&amp;scope=all&amp;size=share" in html
    assert "Line chart: Number of SMEs over the years" in html
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/en/trends/sme_count/</loc>" in sitemap and "/fa/trends/sme_count/" in sitemap
    # No area has figures of two years of this one: its trend would draw no line.
    assert "/trends/subcontracting_share/" not in sitemap


# --- links to the trend -------------------------------------------------------------------------


def test_an_area_profile_links_the_trend_of_each_indicator_with_two_dated_figures(client, seeded):
    html = client.get("/en/areas/IRN/").content.decode()
    links = re.findall(r'class="trend-link" href="([^"]+)"', html)
    # Iran: sme_count has 1974 and 1996; firm_share, employment_share, output_share one dated each.
    assert links == ["/en/trends/sme_count/?areas=IRN&amp;scope=all"]
    assert client.get(unescape(links[0])).status_code == 200
    assert 'class="trend-link"' not in client.get("/en/areas/SGP/").content.decode()


def test_the_comparison_links_the_trend_of_the_same_areas(client, seeded):
    html = client.get("/fa/compare/firm_share/?areas=IRN,JPN&year=all&scope=industry").content.decode()
    assert 'class="trend-link" href="/fa/trends/firm_share/?areas=IRN,JPN&amp;scope=industry"' in html
    html = client.get("/en/trends/firm_share/?areas=IRN,JPN&scope=industry").content.decode()
    assert "/en/compare/firm_share/?areas=IRN,JPN&amp;year=all&amp;scope=industry" in html


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?areas=XXX", 400, "There is no area with the code “XXX”."),
        ("?areas=I*N", 400, "is not an area code"),
        ("?page=9", 400, "There is no page 9"),
        ("?scope=moon", 400, "is not a scope"),
        ("?scope=all&scope=industry", 400, "Give the parameter scope only once."),
    ],
)
def test_a_bad_query_is_explained_never_a_500(client, seeded, query, status, message):
    for suffix in ("", "data.json", "data.csv", "embed/"):
        response = client.get(f"/en/trends/firm_share/{suffix}{query}")
        assert response.status_code == status, suffix
        assert message in response.content.decode("utf-8-sig") or message in json.dumps(
            response.json() if suffix == "data.json" else {}, ensure_ascii=False
        )


def test_an_unknown_indicator_is_a_404_in_the_pages_language(client, seeded):
    assert client.get("/en/trends/nope/").status_code == 404
    response = client.get("/fa/trends/nope/data.json")
    assert response.status_code == 404 and response.json()["errors"]


def test_the_form_sends_the_indicator_on_to_its_trend(client, seeded):
    response = client.get("/en/trends/?indicator=sme_count&areas=IRN&scope=all")
    assert response.status_code == 302 and response["Location"] == "/en/trends/sme_count/?areas=IRN&scope=all"


# --- the time axis ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
@pytest.mark.parametrize(("first", "last"), [(1965, 2024), (1974, 1996), (2013, 2013), (1998, 2001)])
def test_every_year_label_fits_inside_the_chart_on_a_phone_and_a_desktop(lang, first, last):
    # plotly.js hides a tick label that would pass the chart's edge: a phone's axis of sixty
    # years once showed a single year. Every label must fit, and at least two when two can.
    from django.utils import translation

    from indicators.chart_narrow import NARROW_WIDTH
    from indicators.chart_style import CHAR_WIDTH, SIDE_MARGINS
    from indicators.chart_trend import NARROW_END, NARROW_SIDE, _year_axis

    data = {"figures": [{"year": year} for year in range(first, last + 1)]}
    with translation.override(lang):
        for plot_width, edge_room in ((NARROW_WIDTH - NARROW_SIDE - NARROW_END, NARROW_END), (860, SIDE_MARGINS // 2)):
            axis = _year_axis(data, plot_width, edge_room=edge_room)
            low, high = axis["range"]
            per_year = plot_width / (high - low)
            for tick, text in zip(axis["tickvals"], axis["ticktext"], strict=True):
                half = len(text.strip("\u2066\u2067\u2069")) * CHAR_WIDTH / 2
                assert (tick - low) * per_year + edge_room >= half and (high - tick) * per_year + edge_room >= half
            assert len(axis["tickvals"]) >= (2 if last - first >= 10 else 1)
            gaps = [(b - a) * per_year for a, b in zip(axis["tickvals"], axis["tickvals"][1:], strict=False)]
            assert all(gap >= half * 2 for gap in gaps)  # labels never touch
