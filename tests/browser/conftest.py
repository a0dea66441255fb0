"""End-to-end tests: Playwright driving Debian's Chromium against a live Django server.

Without Chromium the whole browser suite is skipped with the reason shown by `pytest -ra`;
in CI (CI=true) a missing browser is a failure instead, so CI cannot pass by skipping.

One browser is shared by the whole session; every test gets fresh browser contexts (no
cookies, no cache) that record console errors, failed requests, requests to other hosts and
dialogs in `page.problems`. With SMEDASH_SCREENSHOTS=1 (`make screenshots`), screenshots go to
artifacts/screenshots/ (git-ignored).
"""

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("SMEDASH_CHROMIUM", "/usr/bin/chromium")
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
        reason = f"browser tests skipped: no Chromium at {CHROMIUM} (install it: apt-get install chromium)"
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

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed request: {request.url} {request.failure}"))
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("dialog", on_dialog)
    return problems


@pytest.fixture
def open_page(chromium_browser, site):
    """open_page(**context_options) -> a tab in a fresh context (its own cookies and cache)."""
    own_host = urlparse(site.url).netloc
    contexts = []

    def open_(**context_options):
        options = {"viewport": VIEWPORT, "accept_downloads": True, **context_options}
        context = chromium_browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.problems = _record_problems(page, own_host)
        page.base_url = site.url
        return page

    yield open_
    for context in contexts:
        context.close()


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
