import os
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.test import override_settings
from django.utils import translation

from indicators import browser, png
from indicators import cache as cache_module
from tests import seed_snapshot

# The longest tests go first: the test processes (pytest-xdist) then finish together instead of
# one of them starting a minute-long test when the others are nearly done.
LONGEST_FIRST = (
    "tests/test_openapi_schemathesis.py",
    "tests/browser/",
    "tests/test_production.py",
    "tests/test_backup.py",
    "tests/test_operations.py",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        path = item.nodeid
        return next((i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: within a rank, the files' own order


@pytest.fixture(autouse=True, scope="session")
def chromium_at_normal_priority():
    """In production Chromium draws in the idle CPU class, behind the pages. Test processes keep
    every core busy, so there it could wait past the render timeout: the suite draws at normal
    priority, and tests/test_png.py checks the idle class on a browser of its own."""
    settings.SMEDASH_PNG_LOW_PRIORITY = False


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing():
    """Production hashes passwords with PBKDF2's 1,000,000 rounds (about 0.3 s a password); the
    suite creates users by the hundred and tests logins, not the hash's strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def static_files_indexed_once():
    """WhiteNoise indexes STATIC_ROOT each time its middleware is built: once per worker in
    production, but Django's test client builds the middleware afresh for every test. After
    `make static` (CI runs it before the tests) that is some 800 files, about 0.3 s a test: minutes
    of a suite's time. The suite indexes each directory once per process, with the same settings."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.update_files_dictionary
    indexed = {}

    def update_files_dictionary(self, root, prefix):
        key = (root, prefix, self.max_age, self.autorefresh)
        if key not in indexed:
            before = set(self.files)
            original(self, root, prefix)
            indexed[key] = {url: self.files[url] for url in self.files.keys() - before}
        self.files.update(indexed[key])

    with mock.patch.object(WhiteNoiseMiddleware, "update_files_dictionary", update_files_dictionary):
        yield


@pytest.fixture(autouse=True)
def starts_in_english():
    """Each test starts in the default language: a request to /fa/ or /ar/ leaves its language
    active in the test's thread (LocaleMiddleware does not put it back), which would otherwise
    reach whatever the next test in this process renders."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def uncached_work_unlimited(settings):
    """Every test is one client (127.0.0.1) and most ask for pages nobody asked for before: under
    production's RATELIMIT_UNCACHED a fuzz test would be refused after 120 of them.
    tests/test_uncached_limits.py sets its own limit."""
    settings.RATELIMIT_UNCACHED = ""


@pytest.fixture(autouse=True)
def downloads_in_tmp(settings, tmp_path):
    """Workbooks built by a test go to its own directory, not var/downloads."""
    settings.SMEDASH_DOWNLOADS_DIR = tmp_path / "downloads"


@pytest.fixture
def seeded(db):
    """The database with the seed data loaded, as `make run` leaves it (tests/seed_snapshot.py)."""
    return seed_snapshot.seed()


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests need no collectstatic run: serve static names as they are, without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True, scope="session")
def drawings_in_memory():
    """Without Redis, settings keep the worker's chart drawings (indicators.chart_static) in files
    under var/, shared by every process: the suite's processes keep their own, in memory."""
    drawings = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "drawings"}
    with override_settings(CACHES={**settings.CACHES, "drawings": drawings}):
        yield


@pytest.fixture(autouse=True)
def empty_cache(drawings_in_memory):
    """Each test starts with an empty cache: rolled-back test data never bumps data_version()."""
    _clear_caches()
    yield
    _clear_caches()


def _clear_caches():
    cache.clear()
    for name in ("drawings", "pages"):
        if name in settings.CACHES:  # a test may have set CACHES of its own
            caches[name].clear()
    # The data version this process last read for its copies of whole pages (indicators.cache).
    cache_module._glimpsed.update(version=None, until=0.0)


@pytest.fixture
def chromium():
    """The browser that draws chart PNGs: its path, or a skip (a failure under CI=true)."""
    path = browser.chromium_path()
    if not os.access(path, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but there is no browser at {path}: CI must install chromium")
        pytest.skip(f"no Chromium at {path} (apt-get install chromium, or set SMEDASH_CHROMIUM)")
    return path


@pytest.fixture
def renders():
    """Counts the renders that reach the browser (a real one, unless a test stubs it)."""
    with mock.patch.object(png, "_render", wraps=png._render) as spy:
        yield spy
