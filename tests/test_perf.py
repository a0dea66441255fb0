"""Issue 16: the trimmed plotly.js bundle, what the page preloads, gzip for pages with no secret,
and the PNG browser started (and restarted) before it is needed."""

import gzip
import os
import re
import signal
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.test import RequestFactory

from indicators import browser
from smedash.middleware import PublicGZipMiddleware

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = "vendor/plotly/plotly-smedash.min.js"


def trace_types(javascript):
    """The trace modules a plotly.js bundle registers (each declares `name:"<type>"` beside
    `moduleType:"trace"`)."""
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', javascript))


def test_the_served_bundle_has_bar_and_scatter_and_no_other_trace():
    path = finders.find(BUNDLE)
    assert path, "static-build/out/plotly is not built: run `make assets`"
    javascript = Path(path).read_text()
    assert trace_types(javascript) == {"bar", "scatter"}
    stock = (ROOT / "node_modules" / "plotly.js-basic-dist-min" / "plotly-basic.min.js").read_text()
    assert trace_types(stock) == {"bar", "scatter", "pie"}  # the pattern does find a third
    assert len(javascript) < 0.9 * len(stock)


FONTS_PRELOADED = {
    "en": {"latin-400", "latin-700", "arabic-400"},
    "ar": {"arabic-400", "arabic-700", "latin-400"},
    "fa": {"arabic-400", "arabic-700", "latin-400"},
}


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_a_chart_page_loads_the_trimmed_bundle_and_preloads_the_fonts_of_its_language(client, seeded, lang):
    html = client.get(f"/{lang}/compare/firm_share/").content.decode()
    bundle = "/static/vendor/plotly/plotly-smedash.min.js"
    # Fetched at low priority, after what the first paint needs (a preload at the default, high,
    # priority would take the bandwidth the stylesheet and the fonts need on a slow connection),
    # and run by chart.js once the page is painted: no <script> of its own.
    assert f'<link rel="preload" href="{bundle}" as="script" fetchpriority="low">' in html
    assert f'<script src="/static/js/chart.js" data-plotly="{bundle}" defer></script>' in html
    assert f'<script src="{bundle}"' not in html
    assert html.index("</main>") < html.index(f'href="{bundle}"')
    assert "plotly-basic" not in html
    head = html.split("</head>")[0]
    assert "plotly" not in head
    preloaded = set(re.findall(r'href="/static/fonts/vazirmatn-([a-z]+-\d+)\.woff2" as="font"', head))
    assert preloaded == FONTS_PRELOADED[lang]


def test_a_page_without_chart_loads_no_plotly(client, seeded):
    assert "plotly" not in client.get("/en/sources/").content.decode()


@pytest.mark.parametrize("path", ["/fa/compare/firm_share/", "/ar/areas/IRN/", "/en/compare/firm_share/data.json"])
def test_public_pages_are_gzip_compressed_for_clients_that_accept_it(client, seeded, path):
    plain = client.get(path)
    assert "Content-Encoding" not in plain
    for _ in range(2):  # built afresh, then from the page cache
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        body = gzip.decompress(response.content)
        assert body == plain.content
        assert len(response.content) < len(body) / 3


def test_the_admin_is_never_compressed(client, seeded):
    response = client.get("/en/admin/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert "Content-Encoding" not in response


def _compressed(request, response=None):
    response = response or HttpResponse("<p>" + "figures " * 200 + "</p>", content_type="text/html; charset=utf-8")
    middleware = PublicGZipMiddleware(lambda request: response)
    return middleware(request).get("Content-Encoding") == "gzip"


def test_gzip_only_where_the_response_holds_no_secret(db):
    factory = RequestFactory(HTTP_ACCEPT_ENCODING="gzip")
    assert _compressed(factory.get("/en/compare/firm_share/"))

    with_token = factory.get("/en/compare/firm_share/")
    with_token.META["CSRF_COOKIE_USED"] = True  # the template asked for a CSRF token
    assert not _compressed(with_token)

    signed_in = factory.get("/en/compare/firm_share/")
    signed_in.user = get_user_model().objects.create_user("editor", password="x" * 12)
    assert not _compressed(signed_in)

    setting_a_cookie = HttpResponse("x" * 2000, content_type="text/html")
    setting_a_cookie.set_cookie("sessionid", "secret")
    assert not _compressed(factory.get("/en/"), setting_a_cookie)

    assert not _compressed(factory.get("/en/admin/"))
    assert not _compressed(factory.get("/api/v1/indicators/"))  # not a page under a language prefix
    assert not _compressed(factory.get("/en/compare/firm_share/data.csv"), HttpResponse("a,b\n" * 500, "text/csv"))


@pytest.fixture(name="gunicorn_conf")
def _gunicorn_conf():
    import importlib.util

    spec = importlib.util.spec_from_file_location("smedash_gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_post_worker_init_starts_keeping_the_browser_warm(gunicorn_conf, monkeypatch):
    calls = []
    monkeypatch.setattr(browser, "keep_warm", lambda: calls.append("warm"))
    monkeypatch.delenv("SMEDASH_PNG_WARM", raising=False)
    gunicorn_conf.post_worker_init(worker=None)
    assert calls == ["warm"]
    monkeypatch.setenv("SMEDASH_PNG_WARM", "0")
    gunicorn_conf.post_worker_init(worker=None)
    assert calls == ["warm"]


def test_the_browser_is_started_before_the_first_render_and_restarted_when_it_dies(chromium):
    browser.stop_browser()
    try:
        assert browser.process_id() is None
        assert browser._browser.warm(30) is True
        first = browser.process_id()
        assert first is not None
        assert browser._browser.warm(30) is False  # running: left alone
        os.killpg(first, signal.SIGKILL)
        for _ in range(50):
            if browser.process_id() is None:
                break
            time.sleep(0.1)
        assert browser._browser.warm(30) is True  # dead: replaced
        assert browser.process_id() not in (None, first)
        start = time.monotonic()
        browser.render({"data": [{"type": "bar", "x": ["a"], "y": [1]}], "layout": {}}, {"format": "png"})
        assert time.monotonic() - start < 3  # warm: no browser start in the render
    finally:
        browser.stop_browser()


def _ranges_in_css(css, script):
    """The code points of the unicode-range of every @font-face of Vazirmatn's ``script`` file."""
    faces = re.findall(r"@font-face\s*{(.*?)}", css, re.S)
    ranges = {re.search(r"unicode-range:([^;]*);", face).group(1) for face in faces if f"-{script}-" in face}
    assert len(ranges) == 1, ranges  # the same for both weights
    return _points(ranges.pop())


def _points(unicode_range):
    points = set()
    for part in unicode_range.split(","):
        first, _, last = part.strip().removeprefix("U+").partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return points


def _ranges_in_build(script):
    source = (ROOT / "static-build" / "build.mjs").read_text()
    block = re.search(rf"const {script.upper()} = \[(.*?)\n?\];", source, re.S).group(1)
    points = set()
    for first, last in re.findall(r"\[0x([0-9a-f]+), 0x([0-9a-f]+)\]", block):
        points.update(range(int(first, 16), int(last, 16) + 1))
    return points


@pytest.mark.parametrize("script", ["arabic", "latin"])
def test_each_font_file_is_used_for_exactly_the_characters_it_was_cut_to(script):
    css = (ROOT / "static" / "css" / "site.css").read_text()
    assert _ranges_in_css(css, script) == _ranges_in_build(script)
    assert finders.find(f"fonts/vazirmatn-{script}-400.woff2") and finders.find(f"fonts/vazirmatn-{script}-700.woff2")


def test_the_two_font_files_share_no_character():
    css = (ROOT / "static" / "css" / "site.css").read_text()
    arabic, latin = _ranges_in_css(css, "arabic"), _ranges_in_css(css, "latin")
    assert not arabic & latin
    assert {ord("a"), ord("%"), 0x00AB} <= latin  # «
    assert {0x06F4, 0x0664, 0x066A, 0x200C} <= arabic  # ۴ ٤ ٪ ZWNJ
