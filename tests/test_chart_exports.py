"""Each chart's exports beside its page: chart.png (drawn on the server), data.csv and data.json,
the action bar that offers them, and that one URL reproduces one view in all of them.

Tests that draw need Chromium (/usr/bin/chromium, or SMEDASH_CHROMIUM): skipped without it on a
laptop, a failure under CI=true. The others replace the browser with a stub that records the
figure it was given.
"""

import csv
import io
import json
import re
from unittest import mock
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.utils import translation

from countries.models import Area
from indicators import browser, charts, png
from indicators.comparison import compare_page
from indicators.models import Indicator, Observation, Source
from indicators.params import CompareParams
from indicators.presenters import FILE_NAME_MAX, file_stem
from indicators.text import escape_plotly, local_digits

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LANGS = ["en", "ar", "fa"]
FA_NAME = "سهم-بنگاه\u200cهای-کوچک-و-متوسط-از-تعداد-بنگاه\u200cها-ایران-ژاپن"


@pytest.fixture(autouse=True, scope="module")
def stop_the_browser_afterwards():
    yield
    browser.stop_browser()


@pytest.fixture
def stub_browser():
    """No browser: every render returns a tiny fake PNG; the figures drawn are in call_args_list."""
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"stub") as stub:
        yield stub


def drawn_figure(stub):
    figure, opts, _timeout = stub.call_args.args
    return figure, opts


def image_size(data):
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def csv_rows(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def page_chart(client, url):
    """The figure a page embeds for its chart (json_script #chart-data)."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    return json.loads(html.split('id="chart-data" type="application/json">', 1)[1].split("</script>", 1)[0])


def bars(figure):
    """(anchor, value) of every bar, in the order of the traces: what the chart shows."""
    return [(x, y) for trace in figure["data"] for x, y in zip(trace["x"], trace["y"], strict=True)]


# The PNG, drawn -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", ["compare/firm_share/?areas=IRN,JPN&year=all", "areas/IRN/?"])
def test_png_of_every_chart_is_a_valid_image_of_the_size_asked_for(client, seeded, chromium, lang, page):
    path, query = page.split("?")
    response = client.get(f"/{lang}/{path}chart.png?{query}&size=share")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert image_size(response.content) == (1200, 630)
    width, height = image_size(client.get(f"/{lang}/{path}chart.png?{query}&size=large").content)
    assert width == 2 * charts.WIDTH and 2 * 600 <= height <= 2 * 800 and height % 2 == 0


def test_png_default_size_is_about_the_charts_on_the_page(client, seeded, chromium):
    width, height = image_size(client.get("/fa/compare/firm_share/chart.png").content)
    assert width == charts.WIDTH == 1000
    assert 600 <= height <= 800  # the chart's own height plus the caption


def test_same_png_url_twice_is_one_render_until_an_observation_changes(
    client, seeded, chromium, renders, django_capture_on_commit_callbacks
):
    url = "/fa/compare/firm_share/chart.png?areas=IRN,JPN&size=small"
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url).content == first.content
    # The same view written differently is the same image.
    assert client.get("/fa/compare/firm_share/chart.png?areas=irn&areas=jpn&size=SMALL&year=latest").status_code == 200
    assert renders.call_count == 1
    obs = Observation.objects.published().get(area__code="JPN", indicator__code="firm_share", year=1978)
    with django_capture_on_commit_callbacks(execute=True):
        obs.value = 88
        obs.save()
    again = client.get(url)
    assert again.status_code == 200
    assert renders.call_count == 2
    assert again.content != first.content


# What the PNG shows ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_png_figure_explains_itself(client, seeded, stub_browser, lang):
    url = f"/{lang}/compare/firm_share/chart.png?areas=IRN,JPN&year=latest&scope=all&size=small"
    assert client.get(url).status_code == 200
    figure, opts = drawn_figure(stub_browser)
    text = json.dumps(figure, ensure_ascii=False)
    with translation.override(lang):
        data = compare_page("firm_share", CompareParams(areas=("IRN", "JPN")))
    assert data["indicator"]["name"] in figure["layout"]["title"]["text"]
    assert data["indicator"]["unit_label"] in figure["layout"]["title"]["subtitle"]["text"]
    for f in data["figures"]:
        assert escape_plotly(f["area"]["name"]) in text
    for source in data["sources"]:
        assert escape_plotly(source["title"]) in text
    caption = figure["layout"]["annotations"][-1]["text"]
    assert f"http://testserver/{lang}/compare/firm_share/?areas=IRN,JPN&amp;year=latest&amp;scope=all" in caption
    assert "width" not in caption
    assert local_digits("2026", lang) in caption or local_digits("20", lang) in caption  # the date
    assert opts["width"] == 800 and figure["layout"]["width"] == 800
    rtl = lang != "en"
    assert figure["layout"]["title"]["xanchor"] == ("right" if rtl else "left")
    assert figure["layout"]["annotations"][-1]["xanchor"] == ("right" if rtl else "left")
    assert figure["layout"]["xaxis"]["autorange"] == ("reversed" if rtl else True)


def test_png_caption_dates_the_newest_change_of_the_figures_shown(client, seeded, stub_browser):
    Observation.objects.filter(area__code="JPN").update(updated_at="2031-08-04T10:00:00Z")
    Observation.objects.exclude(area__code="JPN").update(updated_at="2029-01-01T10:00:00Z")
    client.get("/en/compare/firm_share/chart.png?areas=IRN,JPN")
    assert "Aug. 4, 2031" in drawn_figure(stub_browser)[0]["layout"]["annotations"][-1]["text"]
    client.get("/en/compare/firm_share/chart.png?areas=IRN")
    caption = drawn_figure(stub_browser)[0]["layout"]["annotations"][-1]["text"]
    assert "Jan. 1, 2029" in caption and "2031" not in caption


def test_png_labels_are_wrapped_for_the_width_asked_for(client, seeded, stub_browser):
    client.get("/en/compare/firm_share/chart.png?size=share")
    wide = drawn_figure(stub_browser)[0]["layout"]["xaxis"]["ticktext"]
    client.get("/en/compare/firm_share/chart.png?size=small")
    narrow = drawn_figure(stub_browser)[0]["layout"]["xaxis"]["ticktext"]
    assert sum(t.count("<br>") for t in narrow) > sum(t.count("<br>") for t in wide)


def test_png_names_its_file_in_the_pages_language_with_an_ascii_fallback(client, seeded, stub_browser):
    response = client.get("/fa/compare/firm_share/chart.png?areas=IRN,JPN")
    assert response["Content-Disposition"] == (
        f"inline; filename=\"smedash-firm_share-IRN-JPN.png\"; filename*=utf-8''{quote(FA_NAME + '.png')}"
    )


def test_png_rate_limit_counts_renders_once_and_not_cache_hits(client, seeded, stub_browser, settings):
    settings.RATELIMIT_EXPENSIVE = "2/m"
    assert client.get("/en/compare/firm_share/chart.png?size=small").status_code == 200
    assert client.get("/en/areas/IRN/chart.png?size=small").status_code == 200
    for _ in range(3):
        assert client.get("/en/compare/firm_share/chart.png?size=small").status_code == 200  # cached
    response = client.get("/fa/compare/firm_share/chart.png?size=large")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert 'lang="fa"' in response.content.decode()  # the site's 429 page, translated
    assert stub_browser.call_count == 2


# CSV and JSON: exactly the chart's bars -------------------------------------------------------------

VIEWS = [
    "compare/firm_share/?",
    "compare/firm_share/?areas=IRN,JPN,KOR&year=all",
    "compare/firm_share/?areas=IRN&year=1974&scope=industry",
    "compare/employment_share/?year=all",
    "areas/IRN/?",
    "areas/JPN/?",
]


@pytest.mark.parametrize("view", VIEWS)
def test_csv_and_json_have_exactly_the_charts_bars_in_its_order(client, seeded, view):
    path, query = view.split("?")
    chart = bars(page_chart(client, f"/en/{path}?{query}"))
    data = client.get(f"/en/{path}data.json?{query}").json()
    assert [(f["anchor"], f["value"]) for f in data["figures"]] == chart
    rows = csv_rows(client.get(f"/en/{path}data.csv?{query}"))
    assert [(row["area"], float(row["value"])) for row in rows] == [
        (f["area"]["code"], f["value"]) for f in data["figures"]
    ]
    assert [row["label"] for row in rows] == [f["label"] for f in data["figures"]]


def test_csv_columns_and_a_row_in_persian(client, seeded):
    response = client.get("/fa/compare/firm_share/data.csv?areas=IRN,JPN&year=all")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert list(rows[0]) == [
        "label",
        "area",
        "area_name",
        "indicator",
        "indicator_name",
        "unit",
        "year",
        "year_as_written",
        "year_calendar",
        "value",
        "value_as_shown",
        "qualifier",
        "scope",
        "definition",
        "flags",
        "flag_notes",
        "source",
        "source_title",
        "quote",
        "note",
        "last_changed",
        "measured_as",
        "year_solar_hijri",
    ]
    iran_1974 = next(row for row in rows if row["area"] == "IRN" and row["year"] == "1974")
    assert iran_1974["area_name"] == "ایران"
    assert iran_1974["indicator_name"] == "سهم بنگاه\u200cهای کوچک و متوسط از تعداد بنگاه\u200cها"
    assert iran_1974["value"] == "99.64"
    assert iran_1974["value_as_shown"] == "۹۹٫۶۴٪"
    assert iran_1974["year_as_written"] == "1353"
    assert iran_1974["year_calendar"] == "solar_hijri"
    assert iran_1974["qualifier"] == "exact"
    assert iran_1974["scope"] == "industry"
    assert iran_1974["source"] == "001_e2e29c5eae0b9509.txt"
    assert iran_1974["source_title"].startswith("نقش")
    assert "99/64" in iran_1974["quote"]  # the source's own words
    assert iran_1974["note"]
    assert "year_differs" in iran_1974["flags"].split(";")
    assert "سال" in iran_1974["flag_notes"]
    undated = next(row for row in rows if row["area"] == "IRN" and row["year"] == "")
    assert "no_year" in undated["flags"].split(";")
    assert not any(row["value"] == "4.2" for row in rows)  # unclear in the source: not a bar


def test_csv_names_its_file_in_the_pages_language(client, seeded):
    response = client.get("/fa/compare/firm_share/data.csv?areas=IRN,JPN")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"smedash-firm_share-IRN-JPN.csv\"; filename*=utf-8''{quote(FA_NAME + '.csv')}"
    )
    response = client.get("/en/compare/firm_share/data.csv?areas=IRN,JPN")
    assert response["Content-Disposition"] == 'attachment; filename="SMEs\'-share-of-enterprises-Iran-Japan.csv"'
    response = client.get("/ar/areas/IRN/data.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="smedash-IRN-sme-shares.csv"; filename*=')
    assert quote("إيران-حصص-المنشآت-الصغيرة-والمتوسطة.csv") in response["Content-Disposition"]


def test_csv_neutralises_formulas(client, seeded):
    area = Area.objects.create(code="XX-01", kind=Area.Kind.SUBNATIONAL, name_en="=HYPERLINK(1)")
    Observation.objects.create(
        area=area,
        indicator=Indicator.objects.get(code="firm_share"),
        source=Source.objects.get(identifier="001_e2e29c5eae0b9509.txt"),
        value=50,
        quote="+SUM(A1:A9)",
        note_en="@cmd",
        status=Observation.Status.PUBLISHED,
    )
    cache.clear()
    rows = csv_rows(client.get("/en/compare/firm_share/data.csv?areas=XX-01"))
    assert len(rows) == 1
    assert rows[0]["area_name"] == "'=HYPERLINK(1)"
    assert rows[0]["label"] == "'=HYPERLINK(1)"
    assert rows[0]["quote"] == "'+SUM(A1:A9)"
    assert rows[0]["note"] == "'@cmd"


def test_csv_is_rate_limited_with_the_sites_translated_429(client, seeded, settings):
    settings.RATELIMIT_EXPENSIVE = "2/m"
    assert client.get("/ar/compare/firm_share/data.csv").status_code == 200
    assert client.get("/ar/areas/IRN/data.csv").status_code == 200
    response = client.get("/ar/compare/firm_share/data.csv?year=all")
    assert response.status_code == 429
    assert 'lang="ar"' in response.content.decode()
    assert client.get("/ar/compare/firm_share/data.json").status_code == 200  # the JSON twin is not limited


# Bad parameters and drafts -------------------------------------------------------------------------


BAD_VIEWS = [
    ("/en/compare/firm_share/{export}?year=abc", 400),
    ("/en/compare/firm_share/{export}?areas=XXX", 400),
    ("/en/compare/firm_share/{export}?areas=IRN,<script>", 400),
    ("/en/compare/firm_share/{export}?scope=nonsense", 400),
    ("/en/compare/firm_share/{export}?year=1800", 400),
    ("/en/compare/nonexistent/{export}", 404),
    ("/en/compare/nonexistent/{export}?year=abc", 404),
    ("/fa/areas/XYZ/{export}", 404),
    ("/fa/areas/%3Cscript%3E/{export}", 404),
]


def test_bad_parameters_give_the_pages_status_not_an_error(client, seeded, stub_browser):
    for url, status in BAD_VIEWS:
        assert client.get(url.format(export="")).status_code == status, url
        for export in ("chart.png", "data.csv", "data.json"):
            response = client.get(url.format(export=export))
            assert response.status_code == status, (url, export)
            if status == 400 and export != "data.json":
                assert response["Content-Type"] == "text/plain; charset=utf-8"  # a bad value is never HTML
    assert stub_browser.call_count == 0


def test_bad_parameters_are_explained_in_the_pages_language(client, seeded):
    response = client.get("/fa/compare/firm_share/data.csv?year=abc&scope=nonsense")
    assert response.status_code == 400
    assert response.content.decode().splitlines() == [
        "«abc» سال نیست: یک سال، «latest» (آخرین) یا «all» (همه) را انتخاب کنید.",
        "«nonsense» گستره نیست.",
    ]


@pytest.mark.parametrize("query", ["size=huge", "size=1000", "width=1000", "height=630", "scale=2"])
def test_bad_png_size_is_a_400(client, seeded, stub_browser, query):
    response = client.get(f"/en/areas/IRN/chart.png?{query}")
    assert response.status_code == 400
    assert stub_browser.call_count == 0


def test_only_get_and_head(client, seeded):
    for url in ("/en/compare/firm_share/data.csv", "/en/areas/IRN/chart.png"):
        assert client.post(url).status_code == 405


def test_drafts_never_appear_in_png_or_csv(client, seeded, stub_browser):
    Observation.objects.filter(area__code="SYR").update(status=Observation.Status.DRAFT)
    draft = Observation.objects.get(area__code="SYR")
    for url in ("/en/compare/firm_share/data.csv", "/en/compare/firm_share/data.csv?areas=SYR,IRN&year=all"):
        rows = csv_rows(client.get(url))
        assert rows and "SYR" not in {row["area"] for row in rows}
    client.get("/en/compare/firm_share/chart.png?year=all")
    text = json.dumps(drawn_figure(stub_browser)[0], ensure_ascii=False)
    assert f"q-{draft.pk}" not in text and "Syria" not in text
    assert csv_rows(client.get("/en/areas/SYR/data.csv")) == []
    assert client.get("/en/areas/SYR/chart.png").status_code == 200  # an empty chart says so
    assert "Syria" in drawn_figure(stub_browser)[0]["layout"]["title"]["text"]
    assert drawn_figure(stub_browser)[0]["data"][0]["y"] == []


# One URL, one view -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "view",
    [
        "compare/firm_share/?areas=IRN,JPN,KOR&year=all&scope=all",
        "compare/firm_share/?areas=IRN,JPN&year=latest&scope=industry",
        "compare/employment_share/?year=2013",
        "areas/JPN/?",
    ],
)
def test_page_png_csv_and_json_of_one_url_show_the_same_areas_and_values(client, seeded, stub_browser, lang, view):
    path, query = view.split("?")
    page = page_chart(client, f"/{lang}/{path}?{query}")
    client.get(f"/{lang}/{path}chart.png?{query}&size=small")
    drawn, _opts = drawn_figure(stub_browser)
    data = client.get(f"/{lang}/{path}data.json?{query}").json()
    rows = csv_rows(client.get(f"/{lang}/{path}data.csv?{query}"))
    assert bars(page) == bars(drawn) == [(f["anchor"], f["value"]) for f in data["figures"]]
    assert bars(page)  # something is shown
    assert page["layout"]["xaxis"]["categoryarray"] == drawn["layout"]["xaxis"]["categoryarray"]
    assert [(row["area"], row["area_name"], float(row["value"])) for row in rows] == [
        (f["area"]["code"], f["area"]["name"], f["value"]) for f in data["figures"]
    ]
    assert data["lang"] == lang
    # The page's own address reproduces the view: the same query, normalised.
    assert data["url"].startswith(f"/{lang}/{path}")
    assert client.get(data["url"]).status_code == 200
    assert bars(page_chart(client, data["url"])) == bars(page)


def test_the_shared_url_keeps_every_filter(client, seeded):
    data = client.get("/fa/compare/firm_share/data.json?areas=jpn&areas=irn&year=1974&scope=industry").json()
    assert data["url"] == "/fa/compare/firm_share/?areas=JPN,IRN&year=1974&scope=industry"
    for key in ("csv_url", "png_url", "json_url"):
        assert data[key].endswith("?areas=JPN,IRN&year=1974&scope=industry")


# The action bar ---------------------------------------------------------------------------------------


def action_bar(html):
    return html.split('<div class="chart-actions"', 1)[1].split("</div>", 1)[0]


@pytest.mark.parametrize("lang", LANGS)
def test_action_bar_links_carry_the_pages_parameters(client, seeded, lang):
    html = client.get(f"/{lang}/compare/firm_share/?areas=irn,JPN&year=all&scope=industry").content.decode()
    bar = action_bar(html)
    query = "?areas=IRN,JPN&amp;year=all&amp;scope=industry"
    assert f'id="download-png" class="action" href="/{lang}/compare/firm_share/chart.png{query}"' in bar
    assert f'id="download-csv" class="action" href="/{lang}/compare/firm_share/data.csv{query}"' in bar
    assert f'id="download-json" class="action" href="/{lang}/compare/firm_share/data.json{query}"' in bar
    assert f'data-url="http://testserver/{lang}/compare/firm_share/{query}"' in bar
    assert 'id="copy-link"' in bar
    assert 'id="copy-link-status"' in bar and 'role="status"' in bar
    assert f'value="http://testserver/{lang}/compare/firm_share/{query}"' in bar  # the fallback field
    names = re.findall(r'download="([^"]+)"', bar)
    assert len(names) == 5 and len({name.rsplit(".", 1)[0] for name in names}) == 1
    assert {name.rsplit(".", 1)[1] for name in names} == {"png", "svg", "pdf", "csv", "json"}


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("en", ["Download PNG", "Download CSV", "Download JSON", "Copy link", "Link copied"]),
        ("fa", ["بارگیری PNG", "بارگیری CSV", "بارگیری JSON", "کپی پیوند", "پیوند کپی شد"]),
        ("ar", ["تنزيل PNG", "تنزيل CSV", "تنزيل JSON", "نسخ الرابط", "نُسخ الرابط"]),
    ],
)
def test_action_bar_is_translated(client, seeded, lang, labels):
    bar = action_bar(client.get(f"/{lang}/areas/IRN/").content.decode())
    for label in labels:
        assert label in bar
    assert f'href="/{lang}/areas/IRN/chart.png"' in bar
    assert 'download="' + ("Iran-SME-shares" if lang == "en" else "") in bar


def test_action_bar_only_with_a_chart_and_its_script_is_a_file(client, seeded):
    html = client.get("/en/compare/firm_share/?areas=XXX").content.decode()
    assert 'id="download-png"' not in html  # the view cannot be shown: nothing to download
    html = client.get("/en/compare/export_share/").content.decode()
    assert 'id="download-png"' not in html  # no figure, no chart
    html = client.get("/en/compare/firm_share/").content.decode()
    assert '<script src="/static/js/share.js" defer></script>' in html


def test_modebar_camera_is_the_servers_image(client, seeded):
    config = page_chart(client, "/fa/compare/firm_share/")["config"]
    assert "toImage" in config["modeBarButtonsToRemove"]  # chart.js adds a camera that follows #download-png


# File names ----------------------------------------------------------------------------------------


def test_file_stem_keeps_the_script_and_drops_what_file_systems_refuse():
    assert file_stem(["سهم بنگاه\u200cها", "ایران"]) == "سهم-بنگاه\u200cها-ایران"
    assert file_stem(['a/b\\c:d*e?f"g<h>i|j', "  k  l "]) == "a-b-c-d-e-f-g-h-i-j-k-l"
    assert file_stem(["\u202eevil\u2066", "..."]) == "evil"
    assert file_stem(["", None]) == "smedash"
    assert file_stem(["x" * 500]) == "x" * FILE_NAME_MAX
    assert file_stem(["smedash", "firm_share", "IR-02"], ascii_only=True) == "smedash-firm_share-IR-02"
