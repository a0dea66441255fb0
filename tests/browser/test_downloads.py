"""The chart's downloads and "Copy link", clicked as a reader clicks them: the PNG is a real image
of the chart (size, one bar per figure, bars in the page's reading order), the CSV and JSON hold
the chart's rows, and the copied link reopens the same view.

These links (ids download-png, download-csv, download-json, copy-link) are the chart pages' own;
a page without them fails here with "no #download-…", not with a time-out."""

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation

from indicators import browser, chart_page, charts
from indicators.image_views import DEFAULT_PRESET, PRESETS

from .conftest import SCREENSHOTS, SCREENSHOTS_WANTED
from .helpers import (
    COMPARE_AREAS_QUERY,
    DIRECTION,
    LANGS,
    PNG_SIGNATURE,
    assert_no_problems,
    charted_figures,
    fetch_json,
    in_reading_order,
    norm,
    png_bars,
    png_size,
    url,
    wait_for_chart,
)


@pytest.fixture(autouse=True, scope="module")
def stop_the_png_browser_afterwards():
    # The server's PNG renderer keeps a Chromium per process: close it while pytest's log streams
    # are still open (at interpreter exit its watchdog would log into closed files).
    yield
    browser.stop_browser()


# view -> (page, JSON twin)
VIEWS = {
    "compare-areas": (
        f"/compare/firm_share/?{COMPARE_AREAS_QUERY}",
        f"/compare/firm_share/data.json?{COMPARE_AREAS_QUERY}",
    ),
    "area-IRN": ("/areas/IRN/", "/areas/IRN/data.json"),
}


def the_link(page, link_id):
    link = page.locator(f"#{link_id}")
    assert link.count() == 1, f"no #{link_id} on {page.url}: the chart's download links are missing"
    if not link.is_visible():  # the downloads sit in a closed menu: a reader opens it first
        page.locator("#downloads-menu summary").click()
    return link


def same_view(query_a, query_b):
    """Two queries ask for the same view: areas (repeated or comma-separated), year, scope."""

    def view(query):
        q = parse_qs(query)
        areas = sorted(code for chunk in q.get("areas", []) for code in chunk.split(",") if code)
        return areas, q.get("year", ["latest"]), q.get("scope", ["all"])

    return view(query_a) == view(query_b)


def download(page, locator):
    with page.expect_download() as info:
        locator.click()
    file = info.value
    assert file.failure() is None, file.failure()
    return file, Path(file.path()).read_bytes()


def open_view(page, lang, view):
    page_path, json_path = VIEWS[view]
    page.goto(url(page, lang, page_path))
    figures = charted_figures(fetch_json(page, url(page, lang, json_path)))
    chart = wait_for_chart(page)
    assert len(chart["bars"]) == len(figures)
    return figures, chart


def assert_png_shows(page, data, figures, lang):
    """The PNG has one bar per figure, their heights proportional to the values, in the order the
    page's language reads (the first figure at the right in Arabic and Persian)."""
    drawn = png_bars(page, data)
    bars = drawn["bars"]
    assert len(bars) == len(figures), f"{len(bars)} bars in the PNG, {len(figures)} figures: {bars}"
    reading = sorted(bars, key=lambda b: b["left"], reverse=DIRECTION[lang] == "rtl")
    ratios = [bar["height"] / figure["value"] for bar, figure in zip(reading, figures, strict=True)]
    spread = max(ratios) / min(ratios)
    assert spread < 1.02, (
        "bar heights are not the values in reading order: "
        f"{[(b['height'], f['value']) for b, f in zip(reading, figures, strict=True)]}"
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", list(VIEWS))
def test_download_png_is_an_image_of_the_chart(page, lang, view):
    figures, _chart = open_view(page, lang, view)
    link = the_link(page, "download-png")
    href = urlparse(link.get_attribute("href"))
    assert href.path == urlparse(page.url).path + "chart.png"
    assert same_view(href.query, urlparse(page.url).query), (href.query, page.url)

    file, data = download(page, link)
    assert file.suggested_filename.endswith(".png")
    assert data[:8] == PNG_SIGNATURE
    width, height = png_size(data)
    preset = PRESETS[parse_qs(href.query).get("size", [DEFAULT_PRESET])[0]]
    assert width == preset.width * preset.scale, (width, height)
    assert charts.HEIGHT * preset.scale <= height <= 2400 * preset.scale, (width, height)
    assert len(data) > 20_000, "the PNG is suspiciously small for a chart"
    assert_png_shows(page, data, figures, lang)
    if SCREENSHOTS_WANTED:  # for people to look at
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"download-{view}-{lang}.png").write_bytes(data)

    # The modebar's camera downloads the same image.
    page.locator("#chart .nsewdrag").hover()
    with translation.override(lang):
        camera_title = str(chart_page.MODEBAR_STRINGS["Download plot as a PNG"])
    camera = page.locator(f'#chart .modebar-btn[data-title="{camera_title}"]')
    assert camera.count() == 1, "no PNG button in the modebar"
    _file, camera_data = download(page, camera)
    assert png_size(camera_data) == (width, height)

    # A size preset asked for in the address is the size delivered (scale multiplies it).
    share = PRESETS["share"]
    sized = page.request.get(f"{page.base_url}{href.path}?{href.query}&size={share.name}")
    assert sized.ok, sized.status
    assert png_size(sized.body()) == (share.width * share.scale, share.height * share.scale)
    assert_no_problems(page)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", list(VIEWS))
def test_download_csv_and_json_hold_the_charts_rows(page, lang, view):
    figures, chart = open_view(page, lang, view)

    link = the_link(page, "download-csv")
    href = urlparse(link.get_attribute("href"))
    assert href.path == urlparse(page.url).path + "data.csv"
    assert same_view(href.query, urlparse(page.url).query)
    file, data = download(page, link)
    assert file.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    # One row per bar, in the chart's order, with the bar's label, value and area.
    assert len(rows) == len(chart["bars"]) == len(figures)
    for row, figure in zip(rows, figures, strict=True):
        assert row["area"] == figure["area"]["code"]
        assert row["indicator"] == figure["indicator"]["code"]
        assert float(row["value"]) == figure["value"]
        assert row["value_as_shown"] == figure["value_display"]
        assert row["label"] == figure["label"]
        assert row["year"] == ("" if figure["year"] is None else str(figure["year"]))
    # The labels a reader sees under the bars are the CSV's, in reading order.
    ticks = [norm(t["text"]) for t in in_reading_order(chart["xTicks"], lang)]
    assert all(
        norm(row["area_name"] if view != "area-IRN" else row["indicator_name"]) in tick
        for row, tick in zip(rows, ticks, strict=True)
    )

    link = the_link(page, "download-json")
    file, data = download(page, link)
    assert file.suggested_filename.endswith(".json")
    twin = json.loads(data)
    assert [f["id"] for f in charted_figures(twin)] == [f["id"] for f in figures]
    assert twin["lang"] == lang
    assert_no_problems(page)


@pytest.mark.parametrize("lang", LANGS)
def test_copy_link_copies_an_address_that_reopens_the_view(open_page, lang):
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    figures, chart = open_view(page, lang, "compare-areas")
    button = the_link(page, "copy-link")
    button.click()
    status = page.locator("#copy-link-status")
    status.wait_for()
    page.wait_for_function("() => document.getElementById('copy-link-status').textContent.trim() !== ''")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    address = urlparse(copied)
    assert copied.startswith(page.base_url + f"/{lang}/compare/firm_share/"), copied
    assert same_view(address.query, urlparse(page.url).query), copied

    fresh = open_page()
    fresh.goto(copied)
    again = wait_for_chart(fresh)
    assert len(again["bars"]) == len(figures)
    assert [norm(t["text"]) for t in in_reading_order(again["xTicks"], lang)] == [
        norm(t["text"]) for t in in_reading_order(chart["xTicks"], lang)
    ]
    assert_no_problems(page)
    assert_no_problems(fresh)
