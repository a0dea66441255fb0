"""End-to-end tests: Playwright driving Debian's Chromium against a live Django server.

Without Chromium the whole browser suite is skipped with the reason shown by `pytest -ra`;
in CI (CI=true) a missing browser is a failure instead, so CI cannot pass by skipping.
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
    """The live server with the seed data, as `make run` serves it."""
    from indicators.seed import load_seed

    load_seed()
    return live_server


@pytest.fixture
def page(chromium_browser, site, tmp_path):
    """A fresh browser tab that records every console error, failed or foreign request and dialog."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    own_host = urlparse(site.url).netloc
    problems = []

    def on_request(request):
        host = urlparse(request.url).netloc
        if host and host != own_host:
            problems.append(f"request to another host: {request.url}")

    def on_dialog(dialog):
        problems.append(f"dialog opened: {dialog.type} {dialog.message}")
        dialog.dismiss()

    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed request: {request.url} {request.failure}"))
    page.on("request", on_request)
    page.on("dialog", on_dialog)
    page.problems = problems
    page.base_url = site.url
    yield page
    context.close()


def screenshot(page, name):
    """Keep a full-page screenshot under artifacts/screenshots/ (git-ignored) for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
