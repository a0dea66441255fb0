"""Embedding a chart in another site: a page served from a second local port (another origin)
frames a chart's embed view and a normal page. The browser draws the embed view's chart in its
frame and refuses to show the normal page there (CSP frame-ancestors 'none', X-Frame-Options
DENY). Also the embed view on a phone, and the "Embed" action's code pasted into another site."""

import http.server
import threading
from urllib.parse import urlparse

import pytest
from django.template.loader import get_template

from .conftest import screenshot
from .helpers import (
    BARS,
    COMPARE_AREAS_QUERY,
    DIRECTION,
    SCREENS,
    assert_no_problems,
    charted_figures,
    fetch_json,
    layout_problems,
    layout_state,
    url,
    wait_for_chart,
)

# name -> (the chart page, its JSON twin), after /<lang>
VIEWS = {
    "compare": (f"/compare/firm_share/?{COMPARE_AREAS_QUERY}", f"/compare/firm_share/data.json?{COMPARE_AREAS_QUERY}"),
    "area": ("/areas/IRN/", "/areas/IRN/data.json"),
}
REFUSED = "violates the following Content Security Policy directive: \"frame-ancestors 'none'\""

BLOCKED = "net::ERR_BLOCKED_BY_RESPONSE"  # how the frame's request ends
ANOTHER_SITE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title><link rel="icon" href="data:,">
<style>body {{ font-family: sans-serif; margin: 2rem; max-width: 60rem; }} iframe {{ display: block; }}</style>
</head><body>
<h1>An article on another site</h1>
<p>The chart below is embedded from SMEdash.</p>
{embed}
<p>And here the full page, which must not show up in a frame:</p>
<iframe name="full" src="{full}" title="The full page" width="100%" height="300"></iframe>
</body></html>"""


@pytest.fixture
def another_site():
    """A second web server on 127.0.0.1, on a free port of its own (another origin than the live
    server's): ``serve(path, html)`` puts a page there and returns its address."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path, html):
        pages[path] = html
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield serve
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def iframe(src, height=700):
    return f'<iframe name="embed" src="{src}" title="A chart from SMEdash" width="100%" height="{height}"></iframe>'


def embed_address(page, lang, view):
    path, _sep, query = VIEWS[view][0].partition("?")
    return url(page, lang, f"{path}embed/") + (f"?{query}" if query else "")


def open_another_site(page, another_site, lang, view, embed_html):
    """Another site's page with the embed code and the full page in frames; (frames, messages)."""
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    address = another_site(f"/{lang}-{view}.html", ANOTHER_SITE.format(embed=embed_html, full=url(page, lang, "/")))
    page.goto(address)
    return address, messages


def assert_refused(page, messages):
    """The full page's frame shows nothing of the page: Chromium refused it, and said so."""
    full = page.frame(name="full")
    assert full is not None
    shown = full.evaluate("() => !!document.querySelector('.site-header, main, #chart')")
    assert not shown, f"the full page was shown in another site's frame ({full.url})"
    assert any(REFUSED in text for text in messages), messages
    assert any(BLOCKED in problem for problem in page.problems), page.problems


@pytest.mark.parametrize(("lang", "view"), [("en", "compare"), ("ar", "compare"), ("fa", "compare"), ("fa", "area")])
def test_another_site_can_frame_the_embed_view_but_not_the_page(open_page, another_site, lang, view):
    page = open_page(fresh=True)  # open_another_site adds a handler of its own
    figures = charted_figures(fetch_json(page, url(page, lang, VIEWS[view][1])))
    address, messages = open_another_site(page, another_site, lang, view, iframe(embed_address(page, lang, view)))

    embedded = page.frame(name="embed")
    assert embedded is not None and urlparse(embedded.url).netloc == urlparse(page.base_url).netloc
    embedded.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n", arg=[BARS, len(figures)], polling=100
    )
    assert embedded.evaluate("() => document.documentElement.dir") == DIRECTION[lang]
    assert embedded.locator(".site-header, .site-nav, form").count() == 0
    assert_refused(page, messages)
    screenshot(page, f"embed-{lang}-{view}-in-another-site")

    # The link back opens the full page outside the frame (it could not be shown inside).
    with page.expect_popup() as popup:
        embedded.locator(".embed-more a").click()
    full_page = popup.value
    full_page.wait_for_load_state()
    assert urlparse(full_page.url).path == urlparse(url(page, lang, VIEWS[view][0])).path
    assert_no_problems(page, allowed=[urlparse(address).netloc, REFUSED, BLOCKED])


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_the_embed_view_fits_a_phone(open_page, lang):
    page = open_page(**SCREENS["360"])
    page.goto(embed_address(page, lang, "compare"))
    wait_for_chart(page)
    assert page.locator("#chart").get_attribute("data-layout") == "narrow"
    problems, _overlaps = layout_problems(layout_state(page), 360, phone=True)
    assert problems == [], "\n".join(problems)
    screenshot(page, f"embed-{lang}-compare-360")
    assert_no_problems(page)


def test_the_embed_actions_code_pasted_into_another_site_shows_the_chart(open_page, another_site):
    if "embed_action.html" not in get_template("indicators/includes/chart_actions.html").template.source:
        pytest.skip("indicators/includes/chart_actions.html does not include embed_action.html yet")
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    lang = "fa"
    page.goto(url(page, "fa", VIEWS["compare"][0]))
    figures = wait_for_chart(page)["bars"]
    page.locator(".embed-action summary").click()
    field = page.locator("#embed-code")
    assert field.is_visible() and field.get_attribute("readonly") is not None
    page.locator("#copy-embed").click()
    page.wait_for_function("() => document.getElementById('copy-embed-status').textContent.trim() !== ''")
    code = page.evaluate("() => navigator.clipboard.readText()")
    assert code == field.input_value()
    assert code.startswith(f'<iframe src="{page.base_url}/{lang}/compare/firm_share/embed/?areas=')
    assert_no_problems(page)

    host = open_page(fresh=True)  # open_another_site adds a handler of its own
    _address, messages = open_another_site(
        host, another_site, lang, "pasted", code.replace("<iframe ", '<iframe name="embed" ', 1)
    )
    host.frame(name="embed").wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n", arg=[BARS, len(figures)], polling=100
    )
    assert_refused(host, messages)
