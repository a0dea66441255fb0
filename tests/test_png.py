"""Server-side chart PNGs (indicators/browser.py, png.py, image_views.py): size limits, cache,
overload, missing or dying browser.

Tests that draw need Chromium (/usr/bin/chromium, or SMEDASH_CHROMIUM). Without it they are
skipped on a laptop, but fail under CI=true: CI must install the browser.
"""

import contextlib
import os
import signal
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

import kaleido
import plotly.graph_objects as go
import pytest
from django.conf.urls.i18n import i18n_patterns
from django.core.cache import cache
from django.http import QueryDict
from django.urls import path
from django.utils import translation

from indicators import browser, image_views, png, text
from indicators.cache import data_version
from indicators.models import Observation
from indicators.params import QueryError, read

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LABELS = {
    "en": (["Iran", "Japan", "South Korea"], ["0", "50", "100"]),
    "fa": (["ایران", "ژاپن", "کره جنوبی"], ["۰", "۵۰", "۱۰۰"]),
    "ar": (["إيران", "اليابان", "كوريا الجنوبية"], ["٠", "٥٠", "١٠٠"]),
}


built_for = []  # the sizes the test view's figures were built for


def chart(request):
    """A chart view as the pages will write one: build the figure only on a cache miss."""
    lang = text.current_lang()

    def build(size):
        built_for.append(size)
        names, ticks = LABELS[lang]
        fig = go.Figure(go.Bar(x=[text.isolate(n) for n in names], y=[99.4, 99.7, 57.5]))
        fig.update_layout(yaxis={"tickmode": "array", "tickvals": [0, 50, 100], "ticktext": ticks})
        return png.decorate_for_export(fig, last_changed=date(2026, 11, 22), url=request.build_absolute_uri())

    return image_views.png_response(request, build, filename=f"smedash-test-{lang}.png", cache_parts=("test-chart",))


urlpatterns = i18n_patterns(path("chart.png", chart))
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True, scope="module")
def stop_the_browser_afterwards():
    # Here rather than at interpreter exit, when pytest has already closed the log streams.
    yield
    browser.stop_browser()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # cached images, and the rate-limit counters
    built_for.clear()
    yield
    cache.clear()


def image_size(data):
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def chromium_pid():
    """The Chromium main process: the child of choreographer's wrapper process."""
    wrapper = browser.process_id()
    assert wrapper, "no browser running"
    children = Path(f"/proc/{wrapper}/task/{wrapper}/children").read_text().split()
    assert children, "the wrapper has no Chromium child"
    return int(children[0])


def kill_chromium():
    pid = chromium_pid()
    os.kill(pid, signal.SIGKILL)
    for _ in range(50):  # until the wrapper notices and exits
        if browser.process_id() is None:
            return
        time.sleep(0.1)


# Drawing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_a_valid_png_of_the_size_asked_for(client, db, chromium, lang):
    response = client.get(f"/{lang}/chart.png?width=400&height=300&scale=2")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="smedash-test-{lang}.png"'
    assert image_size(response.content) == (800, 600)


def test_default_size_is_the_figures_own(client, db, chromium):
    assert image_size(client.get("/en/chart.png").content) == (png.FALLBACK_WIDTH, png.FALLBACK_HEIGHT)
    figure = go.Figure(go.Bar(x=[1], y=[1]), layout={"width": 420, "height": 260})
    assert image_size(png.render_png(figure, scale=1.5)) == (630, 390)


def test_second_request_is_a_cache_hit_until_the_data_changes(
    client, seeded, chromium, renders, django_capture_on_commit_callbacks
):
    url = "/fa/chart.png?width=500&height=300"
    first = client.get(url)
    assert client.get(url).content == first.content
    assert renders.call_count == 1
    client.get("/en/chart.png?width=500&height=300")  # another language is another image
    client.get("/fa/chart.png?width=501&height=300")  # another size too
    assert renders.call_count == 3
    obs = Observation.objects.published().first()
    with django_capture_on_commit_callbacks(execute=True):
        obs.note_en = "changed"
        obs.save()
    assert client.get(url).status_code == 200
    assert renders.call_count == 4


def test_renders_from_many_threads_each_get_their_own_image(db, chromium):
    figure = go.Figure(go.Bar(x=["ایران", "ژاپن"], y=[1, 2]))
    widths = [300 + 10 * i for i in range(6)]
    results = {}

    def draw(width):
        results[width] = image_size(png.render_png(figure, width=width, height=200))

    threads = [threading.Thread(target=draw, args=(width,)) for width in widths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {width: (width, 200) for width in widths}


# Failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "width=299",
        "width=2401",
        "width=abc",
        "width=1e3",
        "width=-400",
        "height=199",
        "height=9999999",
        "scale=0.5",
        "scale=4",
        "scale=nan",
        "scale=inf",
        "scale=two",
        "width=۵۰۰",
    ],
)
def test_bad_size_is_a_400_with_a_message(client, db, renders, query):
    response = client.get(f"/en/chart.png?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert query.split("=")[0] in response.content.decode()
    assert renders.call_count == 0


def test_bad_size_message_is_translated(client, db):
    response = client.get("/fa/chart.png?scale=9")
    assert response.content.decode() == "scale باید عددی از 1 تا 3 باشد."


def test_overload_is_a_429_with_retry_after(client, db, renders):
    held = 0
    while browser.slots.acquire(blocking=False):
        held += 1
    try:
        response = client.get("/ar/chart.png")
    finally:
        for _ in range(held):
            browser.slots.release()
    assert held == browser.DEFAULT_CONCURRENCY
    assert response.status_code == 429
    assert response["Retry-After"] == image_views.RETRY_AFTER
    with translation.override("ar"):
        expected = translation.gettext(
            "Too many chart images are being drawn right now. Please try again in a few seconds."
        )
    assert response.content.decode() == expected != "Too many chart images are being drawn right now."
    assert renders.call_count == 0
    assert built_for == []  # nor was the figure built


def test_missing_browser_is_a_503_in_the_visitors_language(client, db, settings):
    settings.SMEDASH_CHROMIUM = "/nonexistent"
    response = client.get("/fa/chart.png")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.content.decode().startswith("در حال حاضر نمی‌توان روی این سرور تصویر نمودار ساخت.")
    assert client.get("/en/chart.png").content.decode().startswith("Chart images cannot be drawn")


def test_a_killed_chromium_is_replaced_before_the_next_render(client, db, chromium):
    assert client.get("/en/chart.png?width=400").status_code == 200
    kill_chromium()
    response = client.get("/en/chart.png?width=401")
    assert response.status_code == 200
    assert image_size(response.content) == (401, 600)


def test_chromium_dying_during_a_render_fails_that_request_cleanly_and_the_next_one_works(
    client, db, chromium, monkeypatch
):
    assert client.get("/fa/chart.png?width=400").status_code == 200
    ready = browser._Browser._ready

    def ready_then_die(self, deadline):
        kaleido_browser = ready(self, deadline)
        kill_chromium()
        return kaleido_browser

    monkeypatch.setattr(browser._Browser, "_ready", ready_then_die)
    started = time.monotonic()
    response = client.get("/fa/chart.png?width=402")
    assert response.status_code == 503
    assert time.monotonic() - started < 15
    assert response.content.decode() == "تصویر نمودار ساخته نشد. لطفاً دوباره امتحان کنید."
    monkeypatch.undo()
    response = client.get("/fa/chart.png?width=402")
    assert response.status_code == 200
    assert image_size(response.content) == (402, 600)


def test_a_stuck_render_times_out_with_a_504_and_the_browser_is_replaced(client, db, chromium, settings, monkeypatch):
    assert client.get("/en/chart.png?width=400").status_code == 200  # the browser is warm
    first_browser = browser.process_id()

    async def stuck(self, *args, **kwargs):
        await __import__("asyncio").sleep(60)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", stuck)
    settings.SMEDASH_PNG_TIMEOUT = 1
    started = time.monotonic()
    response = client.get("/en/chart.png?width=403")
    assert response.status_code == 504
    assert time.monotonic() - started < 10
    assert browser.process_id() is None  # killed, not left drawing
    monkeypatch.undo()
    settings.SMEDASH_PNG_TIMEOUT = 20
    assert client.get("/en/chart.png?width=403").status_code == 200
    assert browser.process_id() != first_browser


def test_png_renders_are_rate_limited_but_cache_hits_are_not(client, db, settings):
    settings.RATELIMIT_EXPENSIVE = "1/m"
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake"):
        assert client.get("/en/chart.png?width=400").status_code == 200
        assert client.get("/en/chart.png?width=500").status_code == 429
        assert client.get("/en/chart.png?width=400").status_code == 200


# What goes into the figure ---------------------------------------------------------------------


def test_the_export_font_is_the_pages_font(db):
    with mock.patch.object(png, "_render", return_value=b"png") as render:
        png.render_png(go.Figure(layout={"font": {"size": 13}}), width=400, height=300)
    figure, opts, _timeout = render.call_args.args
    assert figure["layout"]["font"] == {"size": 13, "family": text.FONT_FAMILY}
    assert opts == {"format": "png", "width": 400, "height": 300, "scale": 1.0}


def test_caption_in_persian_is_right_aligned_isolated_and_escaped():
    fig = go.Figure(layout={"height": 500, "margin": {"b": 90}})
    with translation.override("fa"):
        png.decorate_for_export(fig, last_changed=date(2026, 11, 22), url="https://example.org/fa/?a=1&b=<2>")
    (caption,) = fig.layout.annotations
    assert (caption.x, caption.xanchor, caption.align) == (1, "right", "right")
    lines = caption.text.split("<br>")
    assert len(lines) == 2
    assert all(line.startswith(text.RLI) and line.endswith(text.PDI) for line in lines)
    assert lines[0].startswith(text.RLI + "آخرین تغییر داده‌ها: ")
    assert "۲۲" in lines[0] and "۲۰۲۶" in lines[0] and "2026" not in lines[0]
    # The address runs left to right inside the right-to-left line, and its "<" is shown, not read.
    assert lines[1] == text.RLI + text.LRI + "https://example.org/fa/?a=1&amp;b=&lt;2&gt;" + text.PDI + text.PDI
    assert "<2>" not in caption.text
    assert caption.yshift == -90
    assert fig.layout.margin.b == 90 + 2 * 16 + 8
    assert fig.layout.height == 500 + 2 * 16 + 8


def test_caption_in_english_is_left_aligned_and_not_isolated():
    with translation.override("en"):
        fig = png.decorate_for_export(go.Figure(), last_changed="2026-11-22", url=None)
    (caption,) = fig.layout.annotations
    assert (caption.x, caption.xanchor, caption.align) == (0, "left", "left")
    assert caption.text == "Data last changed: 2026-11-22"
    assert text.RLI not in caption.text
    assert fig.layout.margin.b == 80 + 16 + 8


def test_arabic_caption_uses_arabic_indic_digits():
    with translation.override("ar"):
        fig = png.decorate_for_export(go.Figure(), last_changed=date(2026, 1, 5), url=None)
    caption = fig.layout.annotations[0].text
    assert "٢٠٢٦" in caption and "۲" not in caption and "2026" not in caption


def test_no_date_and_no_address_is_no_caption():
    fig = go.Figure()
    assert png.decorate_for_export(fig, last_changed=None, url=None) is fig
    assert fig.layout.annotations == () and fig.layout.margin.b is None


# The size asked for, and the cache ---------------------------------------------------------------


def test_image_size_form_reads_whole_pixels_and_a_rounded_scale():
    assert read(image_views.ImageSizeForm, QueryDict("")) == {"width": None, "height": None, "scale": Decimal(1)}
    size = read(image_views.ImageSizeForm, QueryDict("width=500&height=%20300%20&scale=1.50&other=x"))
    assert size == {"width": 500, "height": 300, "scale": Decimal("1.5")}
    with translation.override("en"), pytest.raises(QueryError) as raised:
        read(image_views.ImageSizeForm, QueryDict("width=5000"))
    assert raised.value.parameter == "width"
    assert raised.value.messages == ["width must be a whole number from 300 to 2400."]


def test_the_figure_is_built_for_the_size_asked_for_and_only_on_a_miss(client, db):
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake") as render:
        assert client.get("/en/chart.png?width=640&scale=2").status_code == 200
        assert client.get("/en/chart.png?width=640&scale=2.00").status_code == 200  # the same image
    assert built_for == [{"width": 640, "height": None, "scale": Decimal(2)}]
    assert render.call_count == 1


@contextlib.contextmanager
def cache_reads(only=""):
    """Spy on the cache's reads (get_many and get): yields the list of key lists read whose keys
    contain ``only``. mock, not monkeypatch: it removes the patched attribute afterwards."""
    reads = []
    inside = threading.local()  # the base get_many calls get once a key: count the outer call only

    def spy(real):
        def read(keys, *args, **kwargs):
            key_list = [keys] if isinstance(keys, str) else list(keys)
            if not getattr(inside, "reading", False) and any(only in key for key in key_list):
                reads.append(key_list)
            outer, inside.reading = getattr(inside, "reading", False), True
            try:
                return real(keys, *args, **kwargs)
            finally:
                inside.reading = outer

        return read

    with (
        mock.patch.object(cache, "get_many", side_effect=spy(cache.get_many)),
        mock.patch.object(cache, "get", side_effect=spy(cache.get)),
    ):
        yield reads


def test_a_cache_miss_reads_the_cache_once(db):
    data_version()  # as on a running site: the version is there (a first ever read would set it)
    figure = go.Figure(go.Bar(x=[1], y=[1]))
    with cache_reads() as reads, mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake") as render:
        png.render_png(figure, width=400, height=300, cache_parts=("once",))  # a miss
        assert len(reads) == 1
        assert png.render_png(figure, width=400, height=300, cache_parts=("once",)) == PNG_SIGNATURE + b"fake"
        assert len(reads) == 2  # the hit: one read again, and no drawing
    assert render.call_count == 1


def test_a_png_request_that_misses_reads_the_image_key_once(client, db):
    with (
        cache_reads(only="smedash:png:") as reads,
        mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake"),
    ):
        assert client.get("/fa/chart.png?width=400").status_code == 200
        assert len(reads) == 1
        assert client.get("/fa/chart.png?width=400").status_code == 200
        assert len(reads) == 2
