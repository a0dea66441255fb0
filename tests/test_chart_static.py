"""The chart drawn on the server for the page (issue 16, indicators.chart_static): which widths are
drawn and where each is shown; the drawing cleaned, themable and with ids of its own; drawn by the
worker, never in a request; a page without its drawing yet kept only briefly; the page with it.

Tests that draw need Chromium (the ``chromium`` fixture: skipped without it, a failure under CI).
"""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from countries.models import Area
from indicators import browser, chart_static, svg_export
from indicators.cache import PAGE_SECONDS
from indicators.models import Indicator, Observation, Source

COMPARE = "/fa/compare/firm_share/"
AREA = "/ar/areas/IRN/"
TREND = "/en/trends/firm_share/?areas=IRN&areas=JPN&areas=KOR"
TASK_PATH = "indicators.chart_static.draw_static_chart"
SVG_TAG = re.compile(r"<svg\b[^>]*>")


@pytest.fixture(autouse=True, scope="module")
def stop_the_browser_afterwards():
    yield
    browser.stop_browser()


def figure_text(client, address):
    return figure_text_of(client.get(address).content.decode())


def figure_text_of(html):
    match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    return match.group(1)


def run_queued():
    """What ``manage.py db_worker`` does with each waiting drawing: run it, then mark its row
    finished. (Not the command itself: it closes the database connection, the test's transaction
    with it on PostgreSQL.)"""
    for task in queued():
        if task.status == "READY":
            chart_static.draw_static_chart.call(*task.args_kwargs["args"])
            DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL", finished_at=timezone.now())


def queued():
    return list(DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("enqueued_at"))


# Widths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("wide_min_width", [600, 779, 954, 1039, 1150])
def test_each_width_has_at_most_one_drawing_on_its_side_of_the_layout_switch(wide_min_width):
    figure = {"narrow": {"data": []}, "wide_min_width": wide_min_width}
    found = chart_static.variants(figure)
    for width in range(200, chart_static.WIDEST_CHART + 1):
        shown = [(kind, drawn) for kind, drawn, start, end in found if start <= width < end]
        assert len(shown) <= 1, (width, shown)
        if shown:
            kind, drawn = shown[0]
            assert kind == ("narrow" if width < wide_min_width else "wide"), (width, kind)
            # Its text within 8 % of the size plotly.js would draw it at this width: the narrow
            # layout's smallest, 12 px, at 11 px or more (tests/browser/helpers.MIN_CHART_FONT).
            assert abs(width / drawn - 1) <= chart_static.SCALE_TOLERANCE + 0.005, (width, drawn)
            assert kind == "wide" or 12 * width / drawn >= 11, (width, drawn)
    # Phones from 320 to 430 px wide (charts 286–396 px) and desktop windows get a drawing.
    for width in (288, 326, 341, 356, 378, 396, 1206):
        assert any(start <= width < end for _kind, _drawn, start, end in found), width


def test_a_wide_layout_never_shown_on_this_site_is_not_drawn():
    found = chart_static.variants({"narrow": {"data": []}, "wide_min_width": chart_static.WIDEST_CHART + 40})
    assert {kind for kind, *_rest in found} == {"narrow"}


def test_a_figure_without_a_narrow_layout_is_drawn_wide_only():
    found = chart_static.variants({"data": [], "layout": {}})
    assert found and {kind for kind, *_rest in found} == {"wide"}


# The drawing's markup ---------------------------------------------------------------------------

PLOTLY_LIKE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="main-svg"'
    b' width="320" height="200" style="background: white" onload="alert(1)">'
    b'<defs id="defs-1"><clipPath id="clip1xy"><rect width="10" height="10"/></clipPath></defs>'
    b"<script>alert(2)</script><foreignObject><div>x</div></foreignObject>"
    b'<g clip-path="url(#clip1xy)"><path d="M0,0h5" style="fill: rgb(29, 92, 143); stroke: rgb(255,255,255);"/>'
    b'<use xlink:href="#clip1xy"/><a xlink:href="https://example.org/"><text>link</text></a>'
    b"<style>@import url(https://example.org/x.css); body { display: none }</style>"
    b'<set attributeName="href" to="https://example.org/"/><animate attributeName="fill" to="red"/>'
    b"<rect style=\"clip-path: url('#clip1xy')\" mask='url(\"#clip1xy\")'/>"
    b'<text data-unformatted="&lt;b&gt;x&lt;/b&gt;" onclick="alert(3)" style="font-family: Vazirmatn;'
    b' fill: rgb(31, 35, 40);">\xd8\xa7\xdb\x8c\xd8\xb1\xd8\xa7\xd9\x86 &lt;/svg&gt;</text></g></svg>'
)


def test_a_drawing_for_the_page_runs_nothing_and_fetches_nothing():
    markup = svg_export.for_page(PLOTLY_LIKE, "s0-", {"class": "chart-static", "aria-hidden": "true"})
    assert "<script" not in markup and "foreignObject" not in markup
    assert "onload" not in markup and "onclick" not in markup and "alert(1)" not in markup
    assert "example.org" not in markup and "link</text>" in markup  # the link's text stays
    assert "&lt;/svg&gt;" in markup  # text stays text
    assert "@font-face" not in markup  # the page has the font
    assert "<style" not in markup and "@import" not in markup and "<set" not in markup and "<animate" not in markup
    assert markup.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and markup.count("<svg") == 1


def test_a_drawing_scales_to_its_box_and_takes_the_pages_colours():
    markup = svg_export.for_page(PLOTLY_LIKE, "s0-", {"class": "chart-static", "data-min": "288"})
    root = SVG_TAG.search(markup).group(0)
    assert 'viewBox="0 0 320 200"' in root and "width=" not in root and "height=" not in root
    assert "main-svg" not in root and "background" not in root
    assert 'class="chart-static"' in root and 'data-min="288"' in root
    assert "fill: var(--chart-1d5c8f, #1d5c8f)" in markup and "stroke: var(--chart-ffffff, #ffffff)" in markup
    assert "fill: var(--chart-1f2328, #1f2328)" in markup and "rgb(" not in markup
    assert "data-unformatted" not in markup


def test_a_drawings_ids_are_its_own():
    markup = svg_export.for_page(PLOTLY_LIKE, "s3-", {})
    assert 'id="s3-clip1xy"' in markup and 'id="s3-defs-1"' in markup
    assert 'clip-path="url(#s3-clip1xy)"' in markup and 'xlink:href="#s3-clip1xy"' in markup
    assert 'id="clip1xy"' not in markup and "url(#clip1xy)" not in markup
    assert "clip-path: url(#s3-clip1xy)" in markup and 'mask="url(#s3-clip1xy)"' in markup  # quoted ones too


def test_every_colour_dark_mode_changes_for_plotly_js_it_changes_for_the_drawing():
    """site.css's --chart-* (the drawing) and chart.js's DARK_COLOURS (plotly.js) agree."""
    static = Path(settings.BASE_DIR) / "static"
    script = (static / "js" / "chart.js").read_text()
    block = re.search(r"var DARK_COLOURS = \{(.*?)\};", script, re.S).group(1)
    plotly = dict(re.findall(r'"#([0-9a-f]{6})": "(#[0-9a-f]{6})"', block))
    css = (static / "css" / "site.css").read_text()
    dark = re.search(r"@media screen and \(prefers-color-scheme: dark\) \{\s*\.chart \{(.*?)\}", css, re.S).group(1)
    drawing = dict(re.findall(r"--chart-([0-9a-f]{6}): (#[0-9a-f]{6});", dark))
    assert len(plotly) == 7 and drawing == plotly


# Pages, the queue and the worker ------------------------------------------------------------------


def test_a_page_without_its_drawing_queues_it_once_and_is_kept_briefly(client, seeded):
    response = client.get(COMPARE)
    assert response.status_code == 200
    html = response.content.decode()
    chart = re.search(r'<div id="chart"[^>]*>', html).group(0)
    assert "chart-static" not in html and "tabindex" not in chart
    assert response.smedash_keep_seconds == chart_static.PENDING_PAGE_SECONDS
    [task] = queued()
    text = figure_text_of(html)
    assert task.args_kwargs["args"] == [chart_static.figure_key(text)]  # the page's own figure, by name
    assert task.priority < 0  # a large import queued meanwhile goes first
    assert caches["drawings"].get(chart_static.queued_key(chart_static.figure_key(text))) == text
    client.get(COMPARE + "?year=latest")  # another address of the same figure: not queued again
    assert len(queued()) == 1


def test_queueing_a_drawing_costs_a_count_and_a_write_and_a_drawn_page_none(client, seeded, settings):
    def queries(address):
        caches["default"].clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    settings.SMEDASH_STATIC_CHARTS = False
    plain = queries(COMPARE)
    settings.SMEDASH_STATIC_CHARTS = True
    pending = queries(COMPARE)
    extra = [sql for sql in pending if sql not in plain]
    assert len(pending) == len(plain) + 2, extra
    table = '"django_tasks_database_dbtaskresult"'
    assert extra[0].startswith("SELECT COUNT(*)") and table in extra[0]  # how many wait (MAX_PENDING)
    assert extra[1].startswith(f"INSERT INTO {table}")
    assert len(queries(COMPARE)) == len(plain)  # queued already: nothing more
    key = chart_static.figure_key(figure_text_of(client.get(COMPARE).content.decode()))
    caches["drawings"].set(chart_static.drawing_key(key), "<svg/>")
    assert len(queries(COMPARE)) == len(plain)


def test_the_worker_draws_it_and_the_page_then_carries_it(client, seeded, chromium):
    text = figure_text(client, COMPARE)
    [task] = queued()
    assert chart_static.draw_static_chart.call(*task.args_kwargs["args"]) == "drawn"
    key = chart_static.figure_key(text)
    assert chart_static.draw_static_chart.call(key) == "gone"  # no longer waiting: nothing to do
    caches["drawings"].set(chart_static.queued_key(key), text)  # queued again after a long wait
    assert chart_static.draw_static_chart.call(key) == "drawn already"
    caches["default"].clear()  # the page kept without it
    response = client.get(COMPARE)
    html = response.content.decode()
    assert not hasattr(response, "smedash_keep_seconds") and len(queued()) == 1  # kept as long as any page
    chart = re.search(r'<div id="chart"[^>]*>(.*?)</div>', html, re.S)
    assert "tabindex" not in chart.group(0)  # chart.js gives it, once it shows a drawing
    drawings = SVG_TAG.findall(chart.group(1))
    figure = json.loads(text)
    expected = chart_static.variants(figure)
    assert len(drawings) == len(expected) == 5
    for root, (kind, width, start, end) in zip(drawings, expected, strict=True):
        assert f'data-layout="{kind}"' in root and f'data-min="{start}"' in root and f'data-max="{end}"' in root
        height = (figure["narrow"] if kind == "narrow" else figure)["layout"]["height"]
        assert f'viewBox="0 0 {width} {height}"' in root and 'aria-hidden="true"' in root
    body = chart.group(1)
    assert "<script" not in body and "@font-face" not in body and "rgb(" not in body
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # five drawings of one chart, no id twice on the page
    # The drawing says what the page's chart says, in Persian digits: the title, every bar's value.
    assert "سهم بنگاه‌های کوچک و متوسط" in body and body.count('class="point"') >= 5 * 12
    assert re.search("[۰-۹]+٪", body) and not re.search(r"[0-9]+%", body)


def test_a_drawing_is_kept_by_the_figure_so_area_and_trend_pages_get_their_own(client, seeded, chromium):
    for address in (AREA, TREND):
        text = figure_text(client, address)
        assert chart_static.draw_static_chart.call(chart_static.figure_key(text)) == "drawn"
        caches["default"].clear()
        html = client.get(address).content.decode()
        assert html.count('class="chart-static"') == len(chart_static.variants(json.loads(text)))


def test_the_embed_carries_its_drawing_too(client, seeded, chromium):
    address = "/fa/compare/firm_share/embed/"
    pending = client.get(address)
    assert "chart-static" not in pending.content.decode()
    assert pending.smedash_keep_seconds == chart_static.PENDING_PAGE_SECONDS
    key = chart_static.figure_key(figure_text_of(pending.content.decode()))
    assert chart_static.draw_static_chart.call(key) == "drawn"
    caches["default"].clear()
    html = client.get(address).content.decode()
    assert html.count('class="chart-static"') == 5


def test_a_page_is_never_kept_waiting_when_the_drawing_cannot_be_queued(client, seeded):
    with mock.patch.object(chart_static, "draw_static_chart") as task:
        task.enqueue.side_effect = RuntimeError("queue down")
        response = client.get(COMPARE)
    assert task.enqueue.call_count == 1
    assert response.status_code == 200 and "chart-static" not in response.content.decode()
    assert not hasattr(response, "smedash_keep_seconds")  # nothing is coming: kept as long as any page
    marker = chart_static.queued_key(chart_static.figure_key(figure_text_of(response.content.decode())))
    assert not queued() and caches["drawings"].get(marker) is None  # the next request queues it again


def test_a_backend_that_would_draw_in_the_request_gets_no_drawings(client, seeded, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with mock.patch.object(chart_static, "drawings_of") as drawings:
        response = client.get(COMPARE)
    assert response.status_code == 200 and not drawings.called
    assert "chart-static" not in response.content.decode() and not hasattr(response, "smedash_keep_seconds")


def test_without_a_cache_to_keep_them_there_are_no_drawings(client, seeded, settings):
    """CACHE_DISABLED (benchmarks of uncached work): a dummy cache would forget what is queued,
    so every page view would queue its figure again."""
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    settings.CACHES = {**settings.CACHES, "drawings": dummy}
    for _ in range(2):
        response = client.get(COMPARE)
        assert response.status_code == 200 and "chart-static" not in response.content.decode()
    assert not queued() and not hasattr(response, "smedash_keep_seconds")


def test_drawings_can_be_turned_off(client, seeded, settings):
    settings.SMEDASH_STATIC_CHARTS = False
    response = client.get(COMPARE)
    assert "chart-static" not in response.content.decode() and not queued()
    assert not hasattr(response, "smedash_keep_seconds")


def test_a_pending_page_is_kept_for_less_time_than_a_page(client, seeded):
    with mock.patch("smedash.middleware.keep_page") as keep_page:
        client.get(COMPARE)
    assert keep_page.call_args.args[4] == chart_static.PENDING_PAGE_SECONDS < PAGE_SECONDS


def test_at_most_max_pending_figures_wait_for_the_worker(client, seeded, monkeypatch, chromium):
    """A flood of new views (a crawler, distinct queries) costs the queue and the worker a bounded
    amount: past MAX_PENDING waiting, pages go without a drawing (plotly.js draws them), are kept
    as long as any page, and queue nothing, until the worker has drawn some."""
    monkeypatch.setattr(chart_static, "MAX_PENDING", 2)
    views = [f"/en/compare/firm_share/?areas={code}" for code in ("IRN", "JPN", "KOR", "IND")]
    waiting = [client.get(view) for view in views[:3]]
    assert len(queued()) == 2
    assert [hasattr(response, "smedash_keep_seconds") for response in waiting] == [True, True, False]
    run_queued()
    assert [task.status for task in queued()] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert client.get(views[3]).smedash_keep_seconds == chart_static.PENDING_PAGE_SECONDS
    assert len(queued()) == 3


def test_a_figure_the_browser_cannot_draw_is_not_queued_again_for_an_hour(client, seeded):
    client.get(COMPARE)
    [task] = queued()
    failing = mock.patch.object(chart_static.png, "page_svg", side_effect=browser.RenderError("no"))
    with failing, pytest.raises(browser.RenderError):
        chart_static.draw_static_chart.call(*task.args_kwargs["args"])
    key = task.args_kwargs["args"][0]
    assert caches["drawings"].get(chart_static.drawing_key(key)) == chart_static.FAILED
    caches["default"].clear()
    response = client.get(COMPARE)
    assert "chart-static" not in response.content.decode() and len(queued()) == 1
    assert not hasattr(response, "smedash_keep_seconds")


def test_finished_drawings_leave_the_queues_table_after_a_day(client, seeded, chromium):
    client.get(COMPARE)
    client.get(AREA)
    run_queued()
    first, second = queued()
    DBTaskResult.objects.filter(pk=first.pk).update(finished_at=timezone.now() - timedelta(days=2))
    caches["drawings"].clear()
    caches["default"].clear()
    client.get(TREND)
    run_queued()
    left = queued()
    assert len(left) == 2 and left[0].pk == second.pk and first.pk not in {task.pk for task in left}


def test_nothing_is_queued_when_the_cache_cannot_keep_the_figure_for_the_worker(client, seeded):
    """Redis down (django-redis then answers None): queueing would add a row to the queue at every
    page view, for a task that could not find its figure."""
    with mock.patch.object(caches["drawings"], "add", return_value=None):
        assert client.get(COMPARE).status_code == 200
        assert client.get(COMPARE + "?year=latest").status_code == 200
    assert not queued()


def test_a_hostile_name_stays_text_in_the_drawing(client, seeded, chromium):
    """Names are data: whatever markup one holds is drawn as its characters, never as markup."""
    hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>&amp;"'
    area = Area.objects.create(code="XSS", kind=Area.Kind.COUNTRY, name_en=hostile)
    indicator = Indicator.objects.get(code="firm_share")
    Observation.objects.create(
        area=area, indicator=indicator, source=Source.objects.first(), value=97, quote="q", status="published"
    )
    address = "/en/compare/firm_share/?areas=XSS"
    assert client.get(address).status_code == 200
    [task] = queued()  # (the figure's text in the page is escaped for a <script> element)
    assert chart_static.draw_static_chart.call(*task.args_kwargs["args"]) == "drawn"
    caches["default"].clear()
    html = client.get(address).content.decode()
    body = re.search(r'<div id="chart"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert body.count("<svg") == len(chart_static.variants(json.loads(figure_text_of(html))))
    tags = ElementsSeen()
    tags.feed(body)  # as a browser's HTML parser reads it
    assert not tags.seen & {"img", "script"} and not tags.handlers
    assert "&lt;img src=x" in body  # drawn as its characters (the label wrapped in lines)


class ElementsSeen(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen, self.handlers = set(), []

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        self.handlers += [name for name, _value in attrs if name.startswith("on")]
