"""Server-side chart PNGs (indicators/browser.py, png.py, image_views.py): size presets, cache,
drawing slots shared between processes, missing or dying browser.

Tests that draw need Chromium (/usr/bin/chromium, or SMEDASH_CHROMIUM). Without it they are
skipped on a laptop, but fail under CI=true: CI must install the browser.
"""

import contextlib
import os
import signal
import threading
import time
from datetime import date
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
from indicators.cache import VERSION_KEY, data_version
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


@pytest.fixture(autouse=True)
def one_drawing_slot(settings):
    """One render at a time site-wide (the default), whatever the environment says."""
    settings.SMEDASH_PNG_CONCURRENCY = 1


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


@pytest.mark.parametrize(
    ("lang", "size", "pixels"),
    # The test figure sets no height: a preset without one gets png.FALLBACK_HEIGHT (600).
    [("en", "small", (800, 600)), ("ar", "large", (2000, 1200)), ("fa", "share", (1200, 630))],
)
def test_a_valid_png_of_the_preset_asked_for(client, db, chromium, lang, size, pixels):
    response = client.get(f"/{lang}/chart.png?size={size}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="smedash-test-{lang}.png"'
    assert image_size(response.content) == pixels


def test_default_size_is_medium_and_the_figures_own_height(client, db, chromium):
    assert image_views.DEFAULT_PRESET == "medium"
    assert image_size(client.get("/en/chart.png").content) == (1000, png.FALLBACK_HEIGHT)
    figure = go.Figure(go.Bar(x=[1], y=[1]), layout={"width": 420, "height": 260})
    assert image_size(png.render_png(figure, scale=1.5)) == (630, 390)


def test_second_request_is_a_cache_hit_until_the_data_changes(
    client, seeded, chromium, renders, django_capture_on_commit_callbacks
):
    url = "/fa/chart.png?size=small"
    first = client.get(url)
    assert client.get(url).content == first.content
    assert renders.call_count == 1
    client.get("/en/chart.png?size=small")  # another language is another image
    client.get("/fa/chart.png?size=share")  # another size too
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
    ("query", "parameter"),
    [
        ("size=huge", "size"),
        ("size=larg", "size"),
        ("size=1000", "size"),
        ("size=small,large", "size"),
        ("size=۱", "size"),
        # The free sizes of before are refused, even when they match a preset.
        ("width=1000", "width"),
        ("width=400&height=300", "width"),
        ("height=630", "height"),
        ("scale=2", "scale"),
        ("size=large&scale=2", "scale"),
    ],
)
def test_bad_size_is_a_400_naming_the_presets(client, db, renders, query, parameter):
    response = client.get(f"/en/chart.png?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    message = response.content.decode()
    assert message.startswith(parameter + " ")
    assert "small, medium, large, share" in message
    assert renders.call_count == 0
    assert built_for == []


def test_bad_size_messages_are_translated(client, db):
    assert client.get("/fa/chart.png?size=huge").content.decode() == (
        "size باید یکی از این‌ها باشد: small, medium, large, share."
    )
    assert client.get("/fa/chart.png?width=800").content.decode() == (
        "width دیگر پذیرفته نمی‌شود: اندازهٔ تصویر را با size انتخاب کنید، یکی از این‌ها: small, medium, large, share."
    )
    assert client.get("/ar/chart.png?size=huge").content.decode() == (
        "يجب أن تكون size إحدى القيم: small, medium, large, share."
    )
    assert client.get("/en/chart.png?scale=2").content.decode() == (
        "scale is no longer accepted: choose the image size with size, one of small, medium, large, share."
    )


def test_empty_size_parameters_are_the_default(client, db):
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake"):
        assert client.get("/en/chart.png?size=&width=&scale=%20").status_code == 200
    assert [size["name"] for size in built_for] == ["medium"]


def expected_busy_message(lang):
    with translation.override(lang):
        expected = translation.gettext(
            "Too many chart images are being drawn right now. Please try again in a few seconds."
        )
    assert expected != "Too many chart images are being drawn right now. Please try again in a few seconds."
    return expected


# Drawing slots, shared by every worker process through the cache -------------------------------------


def test_a_slot_held_by_another_process_is_a_429_at_once(client, db, renders):
    # Another worker process (or server) drawing: its slot is a key in the shared cache.
    other = image_views.take_slot(token="other-host:4242:abc")
    assert other is not None and cache.get(other.key) == "other-host:4242:abc"
    started = time.monotonic()
    response = client.get("/ar/chart.png")
    assert time.monotonic() - started < 1  # turned away, not queued
    assert response.status_code == 429
    assert response["Retry-After"] == image_views.RETRY_AFTER
    assert response.content.decode() == expected_busy_message("ar")
    assert renders.call_count == 0
    assert built_for == []  # nor was the figure built
    assert cache.get(other.key) == "other-host:4242:abc"  # and the other's slot was left alone
    image_views.release_slot(other)
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake"):
        assert client.get("/ar/chart.png").status_code == 200
    assert cache.get(other.key) is None  # our slot was given back after drawing


def test_slots_are_counted_across_processes(settings):
    settings.SMEDASH_PNG_CONCURRENCY = 2
    first = image_views.take_slot(token="worker-1")
    second = image_views.take_slot(token="worker-2")
    assert first and second and first.key != second.key
    assert image_views.take_slot(token="worker-3") is None
    # Releasing checks the token: a slot that is no longer ours (it expired and another worker
    # took it) is not freed by us.
    image_views.release_slot(image_views.Slot(first.key, "worker-3"))
    assert image_views.take_slot(token="worker-3") is None
    image_views.release_slot(first)
    third = image_views.take_slot(token="worker-3")
    assert third is not None and third.key == first.key


def test_the_default_is_one_render_at_a_time_site_wide(settings, monkeypatch):
    del settings.SMEDASH_PNG_CONCURRENCY
    monkeypatch.delenv("SMEDASH_PNG_CONCURRENCY", raising=False)
    assert image_views.DEFAULT_CONCURRENCY == 1
    assert image_views.concurrency() == 1
    assert image_views.take_slot(token="a") and image_views.take_slot(token="b") is None


def test_a_slot_left_by_a_dead_worker_expires(client, db, settings, monkeypatch):
    assert image_views.slot_seconds() == settings.SMEDASH_PNG_TIMEOUT + image_views.SLOT_MARGIN
    settings.SMEDASH_PNG_TIMEOUT = 1
    monkeypatch.setattr(image_views, "SLOT_MARGIN", 0)
    assert image_views.take_slot(token="killed-worker")  # never released
    assert client.get("/en/chart.png").status_code == 429
    time.sleep(1.2)
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake"):
        assert client.get("/en/chart.png").status_code == 200


def test_a_second_request_in_the_same_process_is_a_429_not_a_wait(client, db, renders):
    assert image_views.process_slot.acquire(blocking=False)  # this process is drawing
    try:
        response = client.get("/fa/chart.png")
    finally:
        image_views.process_slot.release()
    assert response.status_code == 429
    assert response.content.decode() == expected_busy_message("fa")
    assert renders.call_count == 0
    assert cache.get(image_views.SLOT_KEY.format(0)) is None  # no shared slot taken meanwhile


def test_slots_are_given_back_when_drawing_fails(client, db, settings):
    settings.SMEDASH_CHROMIUM = "/nonexistent"
    assert client.get("/en/chart.png").status_code == 503
    assert cache.get(image_views.SLOT_KEY.format(0)) is None
    assert image_views.process_slot.acquire(blocking=False)
    image_views.process_slot.release()


def unreachable_redis():
    """django-redis as production configures it (IGNORE_EXCEPTIONS), with nothing listening."""
    from django_redis.cache import RedisCache

    options = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
    return RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": options})


def test_without_the_shared_cache_no_slot_is_taken_and_images_are_a_503(client, db, renders):
    down = unreachable_redis()
    assert down.add("smedash:probe", 1) is None  # what take_slot relies on: None, not False
    with mock.patch.object(image_views, "cache", down):
        with pytest.raises(image_views.SharedCacheUnavailable):
            image_views.take_slot()
        response = client.get("/fa/chart.png")
    assert response.status_code == 503
    assert response["Retry-After"] == image_views.RETRY_AFTER_UNAVAILABLE
    assert response.content.decode().startswith("در حال حاضر نمی‌توان روی این سرور تصویر نمودار ساخت.")
    assert renders.call_count == 0


def test_missing_browser_is_a_503_in_the_visitors_language(client, db, settings):
    settings.SMEDASH_CHROMIUM = "/nonexistent"
    response = client.get("/fa/chart.png")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.content.decode().startswith("در حال حاضر نمی‌توان روی این سرور تصویر نمودار ساخت.")
    assert client.get("/en/chart.png").content.decode().startswith("Chart images cannot be drawn")


def test_a_killed_chromium_is_replaced_before_the_next_render(client, db, chromium):
    assert client.get("/en/chart.png?size=small").status_code == 200
    kill_chromium()
    response = client.get("/en/chart.png?size=share")
    assert response.status_code == 200
    assert image_size(response.content) == (1200, 630)


def test_chromium_dying_during_a_render_fails_that_request_cleanly_and_the_next_one_works(
    client, db, chromium, monkeypatch
):
    assert client.get("/fa/chart.png?size=small").status_code == 200
    ready = browser._Browser._ready

    def ready_then_die(self, deadline):
        kaleido_browser = ready(self, deadline)
        kill_chromium()
        return kaleido_browser

    monkeypatch.setattr(browser._Browser, "_ready", ready_then_die)
    started = time.monotonic()
    response = client.get("/fa/chart.png?size=share")
    assert response.status_code == 503
    assert time.monotonic() - started < 15
    assert response.content.decode() == "تصویر نمودار ساخته نشد. لطفاً دوباره امتحان کنید."
    monkeypatch.undo()
    response = client.get("/fa/chart.png?size=share")
    assert response.status_code == 200
    assert image_size(response.content) == (1200, 630)


def test_a_stuck_render_times_out_with_a_504_and_the_browser_is_replaced(client, db, chromium, settings, monkeypatch):
    assert client.get("/en/chart.png?size=small").status_code == 200  # the browser is warm
    first_browser = browser.process_id()

    async def stuck(self, *args, **kwargs):
        await __import__("asyncio").sleep(60)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", stuck)
    settings.SMEDASH_PNG_TIMEOUT = 1
    started = time.monotonic()
    response = client.get("/en/chart.png?size=share")
    assert response.status_code == 504
    assert time.monotonic() - started < 10
    assert browser.process_id() is None  # killed, not left drawing
    monkeypatch.undo()
    settings.SMEDASH_PNG_TIMEOUT = 20
    assert cache.get(image_views.SLOT_KEY.format(0)) is None  # the slot was given back
    assert client.get("/en/chart.png?size=share").status_code == 200
    assert browser.process_id() != first_browser


def test_png_renders_are_rate_limited_but_cache_hits_are_not(client, db, settings):
    settings.RATELIMIT_EXPENSIVE = "1/m"
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake"):
        assert client.get("/en/chart.png?size=small").status_code == 200
        assert client.get("/en/chart.png?size=large").status_code == 429
        assert client.get("/en/chart.png?size=small").status_code == 200


# What goes into the figure ---------------------------------------------------------------------


def scheduling_classes(pid):
    """The scheduling policy of every thread of a process (5: SCHED_IDLE)."""
    return {os.sched_getscheduler(int(thread)) for thread in os.listdir(f"/proc/{pid}/task")}


def test_chromium_draws_only_with_cpu_time_the_app_leaves(client, db, chromium, settings):
    # While it draws, a page request that needs the CPU gets it first. (The suite itself draws at
    # normal priority: tests/conftest.py; production's default is the idle class.)
    assert browser.DEFAULT_LOW_PRIORITY is True
    settings.SMEDASH_PNG_LOW_PRIORITY = True
    browser.stop_browser()  # a browser of its own, started with the setting on
    try:
        assert client.get("/en/chart.png?size=small").status_code == 200
        assert browser.low_priority() is True
        main = chromium_pid()
        helpers = [int(pid) for pid in Path(f"/proc/{main}/task/{main}/children").read_text().split()]
        assert helpers
        for pid in [main, *helpers]:
            assert scheduling_classes(pid) == {os.SCHED_IDLE}, pid
        assert os.sched_getscheduler(0) == os.SCHED_OTHER  # and the app is not
    finally:
        browser.stop_browser()  # the next test starts one at the suite's priority


def test_the_low_priority_can_be_turned_off(settings):
    from choreographer.browsers.chromium import Chromium

    settings.SMEDASH_PNG_LOW_PRIORITY = True  # production's default (the suite draws at normal priority)
    launcher = object.__new__(browser._FontconfigChromium)  # only its command line is looked at
    with mock.patch.object(Chromium, "get_cli", return_value=["python", "wrapper.py", "/usr/bin/chromium"]):
        assert launcher.get_cli() == ["/usr/bin/chrt", "--idle", "0", "python", "wrapper.py", "/usr/bin/chromium"]
        settings.SMEDASH_PNG_LOW_PRIORITY = "0"
        assert not browser.low_priority()
        assert launcher.get_cli() == ["python", "wrapper.py", "/usr/bin/chromium"]


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


def test_image_size_form_reads_a_preset():
    presets = image_views.PRESETS
    assert read(image_views.ImageSizeForm, QueryDict(""))["size"] == presets["medium"]
    assert read(image_views.ImageSizeForm, QueryDict("size=%20Large%20&other=x"))["size"] == presets["large"]
    assert {name: (p.width, p.height, p.scale) for name, p in presets.items()} == {
        "small": (800, None, 1),
        "medium": (1000, None, 1),
        "large": (1000, None, 2),
        "share": (1200, 630, 1),
    }
    with translation.override("en"), pytest.raises(QueryError) as raised:
        read(image_views.ImageSizeForm, QueryDict("size=5000"))
    assert raised.value.parameter == "size"
    assert raised.value.messages == ["size must be one of small, medium, large, share."]


def test_the_figure_is_built_for_the_preset_asked_for_and_only_on_a_miss(client, db):
    with mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake") as render:
        assert client.get("/en/chart.png?size=large").status_code == 200
        assert client.get("/en/chart.png?size=LARGE%20").status_code == 200  # the same image
        assert client.get("/en/chart.png").status_code == 200
        assert client.get("/en/chart.png?size=medium").status_code == 200  # the default, spelt out
    assert built_for == [
        {"name": "large", "width": 1000, "height": None, "scale": 2},
        {"name": "medium", "width": 1000, "height": None, "scale": 1},
    ]
    assert render.call_count == 2
    assert [call.args[1] for call in render.call_args_list] == [
        {"format": "png", "width": 1000, "height": 600, "scale": 2.0},
        {"format": "png", "width": 1000, "height": 600, "scale": 1.0},
    ]


def png_keys():
    """The image keys in the (local-memory) cache."""
    return [key for key in cache._cache if ":smedash:png:" in key]


def test_one_entry_per_page_preset_and_language_kept_one_day_whatever_the_data_version(client, db):
    with (
        mock.patch.object(png, "_render", return_value=PNG_SIGNATURE + b"fake") as render,
        mock.patch.object(png, "store", wraps=png.store) as store,
    ):
        for _ in range(3):  # the data changes, the image is drawn again, under the same key
            assert client.get("/fa/chart.png?size=share").status_code == 200
            cache.set(VERSION_KEY, data_version() + 1)  # as every server sees a change
        assert client.get("/en/chart.png?size=share").status_code == 200
    assert render.call_count == 4
    assert len(png_keys()) == 2  # fa and en: the old versions did not pile up
    keys = {call.args[0] for call in store.call_args_list}
    assert len(keys) == 2
    assert png.CACHE_SECONDS == 24 * 60 * 60
    assert {call.args[3] for call in store.call_args_list} == {png.CACHE_SECONDS}
    version = cache.get(VERSION_KEY)
    assert not any(str(version) in key for key in keys)  # the key holds no data version


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
        assert client.get("/fa/chart.png?size=small").status_code == 200
        assert len(reads) == 1
        assert client.get("/fa/chart.png?size=small").status_code == 200
        assert len(reads) == 2
