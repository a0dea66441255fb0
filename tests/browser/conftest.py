"""End-to-end tests: Playwright driving Debian's Chromium against a live Django server.

Without Chromium the whole browser suite is skipped with the reason shown by `pytest -ra`;
in CI (CI=true) a missing browser is a failure instead, so CI cannot pass by skipping.

One browser is shared by the whole session; every test gets tabs as fresh as a new context (no
cookies, storage or cache: TabPool) that record console errors, failed requests, requests to
other hosts and dialogs in `page.problems`. With SMEDASH_SCREENSHOTS=1 (`make screenshots`),
screenshots go to artifacts/screenshots/ (git-ignored).
"""

import json
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

# Debian's chromium-headless-shell where it is installed (.ci/run installs it): the same Blink and
# V8 as /usr/bin/chromium, without the desktop browser that Chromium's new headless mode runs around
# them. Loading a chart page costs it about a third less CPU, and the browser suite runs in two
# thirds of the time (README, "Tests and CI"). Playwright's own headless runs use this shell too.
# SMEDASH_TEST_CHROMIUM chooses another browser; the server's chart images keep SMEDASH_CHROMIUM.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get("SMEDASH_TEST_CHROMIUM") or (
    HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else os.environ.get("SMEDASH_CHROMIUM", "/usr/bin/chromium")
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_browser():
    if not os.path.exists(CHROMIUM):
        reason = f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium-headless-shell)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason.replace("skipped", "cannot run in CI"))
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are
    # still plain synchronous code, so Django's async-safety guard does not apply to them.
    # Restored afterwards: a subprocess started by a later test must not inherit it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server, transactional_db):
    """The live server with the seed data, as `make run` serves it (tests/seed_snapshot.py)."""
    from tests import seed_snapshot

    seed_snapshot.seed()
    return live_server


def _record_problems(page, own_host):
    problems = []

    def on_request(request):
        host = urlparse(request.url).netloc
        if host and host != own_host:
            problems.append(f"request to another host: {request.url}")

    def on_dialog(dialog):
        problems.append(f"dialog opened: {dialog.type} {dialog.message}")
        dialog.dismiss()

    def on_console(message):
        if message.type == "error":
            problems.append(f"console: {message.text} (at {message.location.get('url', '?')})")

    def on_response(response):
        # A request the server answers with an error is not a "failed request" for Chromium.
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    handlers = {
        "console": on_console,
        "pageerror": lambda error: problems.append(f"page error: {error}"),
        "requestfailed": lambda request: problems.append(f"failed request: {request.url} {request.failure}"),
        "request": on_request,
        "response": on_response,
        "dialog": on_dialog,
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    return problems, handlers


class TabPool:
    """Tabs kept open between the tests of one process, one set per set of context options.

    Opening a tab starts a renderer process and costs Chromium about 0.7 s of CPU, as much as
    loading a chart page in it; the browser tests open hundreds. A tab given back is made as good
    as new (see ``_reset``) and lent to the next test that asks for the same options. A test that
    changes a tab in a way that cannot be undone (an init script, its own event handlers) asks
    for ``open_page(fresh=True)``: that tab is closed after the test, as before."""

    def __init__(self, browser):
        self.browser = browser
        self.idle = {}  # options key -> [page]

    @staticmethod
    def _key(options):
        return json.dumps(options, sort_keys=True)

    def take(self, options):
        idle = self.idle.get(self._key(options))
        if idle:
            return idle.pop()
        return self.browser.new_context(**options).new_page()

    def give_back(self, page, options, origin):
        if page.is_closed() or not self._reset(page, options, origin):
            page.context.close()
            return
        self.idle.setdefault(self._key(options), []).append(page)

    @staticmethod
    def _reset(page, options, origin):
        """What a fresh context would be: no other tab, no cookies, storage or HTTP cache, the
        context's own viewport and media, no routes; the tab on the site's robots.txt, a page
        without script or style. Not about:blank: leaving the site ends the tab's renderer process
        and the next test's first page starts a new one, about 0.4 s of CPU each time."""
        context = page.context
        try:
            for other in context.pages:
                if other != page:
                    other.close()
            page.unroute_all(behavior="ignoreErrors")
            page.goto(f"{origin}/robots.txt")
            # What a navigation keeps within a site and clearDataForOrigin does not clear.
            page.evaluate("() => { sessionStorage.clear(); window.name = ''; }")
            session = context.new_cdp_session(page)
            try:
                session.send("Network.clearBrowserCache")
                session.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            finally:
                session.detach()
            context.clear_cookies()
            page.set_viewport_size(options["viewport"])
            page.emulate_media(media="null", color_scheme=options.get("color_scheme", "null"))
            page.set_default_timeout(TIMEOUT_MS)
        except Exception:  # a tab in a bad state is not worth keeping: the next test gets a new one
            return False
        return True


@pytest.fixture(scope="session")
def tab_pool(chromium_browser):
    return TabPool(chromium_browser)


@pytest.fixture
def open_page(chromium_browser, tab_pool, site):
    """open_page(fresh=False, **context_options) -> a tab as in a fresh context: its own cookies,
    storage and cache (TabPool). fresh=True gives a new context, closed after the test."""
    own_host = urlparse(site.url).netloc
    lent = []

    def open_(fresh=False, **context_options):
        options = {"viewport": VIEWPORT, "accept_downloads": True, **context_options}
        page = chromium_browser.new_context(**options).new_page() if fresh else tab_pool.take(options)
        page.set_default_timeout(TIMEOUT_MS)
        page.problems, handlers = _record_problems(page, own_host)
        page.base_url = site.url
        lent.append((page, options, handlers, fresh))
        return page

    yield open_
    for page, options, handlers, fresh in lent:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)
        if fresh:
            page.context.close()
        else:
            tab_pool.give_back(page, options, site.url)


@pytest.fixture
def page(open_page):
    """A fresh browser tab that records every console error, failed or foreign request and dialog."""
    return open_page()


# Screenshots are for people to look at (`make screenshots`), not for the checks, which measure the
# drawn elements' boxes: encoding a full page at phone density costs more than the check itself,
# so the plain suite skips them.
SCREENSHOTS_WANTED = os.environ.get("SMEDASH_SCREENSHOTS") == "1"


def screenshot(page, name, *, full_page=True, **options):
    """Keep a screenshot as artifacts/screenshots/<name>.png (git-ignored) when SMEDASH_SCREENSHOTS=1."""
    if not SCREENSHOTS_WANTED:
        return
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page, **options)
