"""Uncached work is limited per client (RATELIMIT_UNCACHED, issue 17): every API answer and public
page that the cache could not give counts against the client's address; past the limit, a 429 in
the API's error format or a page in the site's layout, both translated, with Retry-After. What is
in the cache is still served to everyone, and the counters live in the "counters" cache, which
the page cache's evictions cannot touch."""

import re
import time
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.test import Client
from django_ratelimit import core as ratelimit_core

from indicators.openapi import openapi_document

ALICE, BOB = "203.0.113.7", "198.51.100.9"
LIMIT = 3


@pytest.fixture(autouse=True)
def counters_apart(settings, monkeypatch):
    """Production's layout in memory: the page cache and the rate limits' counters apart. The rate
    limits' clock stands still: django-ratelimit counts in fixed one-minute windows, and a slow run
    (PostgreSQL on a busy machine) could otherwise cross into a new one between two requests."""
    now = time.time()
    monkeypatch.setattr(ratelimit_core, "time", SimpleNamespace(time=lambda: now))
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "uncached-default"},
        "counters": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "uncached-counters"},
    }
    settings.RATELIMIT_USE_CACHE = "counters"
    settings.RATELIMIT_UNCACHED = f"{LIMIT}/m"
    settings.SMEDASH_VERSION_SECONDS = 3600  # kept pages stay kept however slowly the test runs
    for name in ("default", "counters"):
        caches[name].clear()
    yield
    for name in ("default", "counters"):
        caches[name].clear()


def client_at(address):
    return Client(REMOTE_ADDR=address)


def observations(offset, lang=None):
    query = f"limit=1&offset={offset}" + (f"&lang={lang}" if lang else "")
    return f"/api/v1/observations?{query}"


def spend(client, addresses):
    """Ask for each address once; each must be a computed (uncached) 200."""
    for address in addresses:
        assert client.get(address).status_code == 200, address


def assert_api_refusal(response):
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert 0 < int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["parameter"] is None and body["error"]
    return body["error"]


def test_api_misses_beyond_the_limit_get_429_and_hits_are_still_served(seeded):
    alice = client_at(ALICE)
    spend(alice, [observations(offset) for offset in range(LIMIT)])
    message = assert_api_refusal(alice.get(observations(LIMIT)))
    assert "Too many requests from your address needed an answer computed afresh" in message
    # What is already in the cache costs nothing and is served, to Alice too, as often as asked.
    for _ in range(5):
        assert alice.get(observations(0)).status_code == 200
    # The same answer spelled another way is the same entry (the key is the normalised query).
    assert alice.get("/api/v1/observations?offset=0&limit=1&lang=en").status_code == 200
    assert_api_refusal(alice.get("/api/v1/areas"))


def test_another_client_is_not_affected(seeded):
    alice, bob = client_at(ALICE), client_at(BOB)
    spend(alice, [observations(offset) for offset in range(LIMIT)])
    assert_api_refusal(alice.get(observations(LIMIT)))
    assert bob.get(observations(LIMIT)).status_code == 200  # computed for Bob, and now cached
    spend(bob, ["/api/v1/areas", "/api/v1/sources"])
    assert_api_refusal(bob.get("/api/v1/indicators"))
    assert alice.get(observations(LIMIT)).status_code == 200  # Bob's answer, from the cache


def test_bad_queries_and_hits_do_not_count(seeded):
    alice = client_at(ALICE)
    for _ in range(10):
        assert alice.get("/api/v1/observations?limit=5000").status_code == 400  # refused before any work
        assert alice.get(observations(0)).status_code == 200  # one miss, then hits
    spend(alice, [observations(1), observations(2)])
    assert_api_refusal(alice.get(observations(3)))


def test_the_counters_live_in_the_counters_cache(seeded):
    alice = client_at(ALICE)
    spend(alice, [observations(offset) for offset in range(LIMIT)])
    assert any(":rl:" in key or key.startswith("rl:") for key in caches["counters"]._cache)  # noqa: SLF001
    # The page cache losing everything (an eviction, a flush) does not reset Alice's count...
    caches["default"].clear()
    assert_api_refusal(alice.get(observations(0)))
    # ...emptying the counters does.
    caches["counters"].clear()
    assert alice.get(observations(0)).status_code == 200


def test_the_refusal_is_in_the_language_asked_for(seeded):
    alice = client_at(ALICE)
    spend(alice, [observations(offset) for offset in range(LIMIT)])
    persian = assert_api_refusal(alice.get(observations(LIMIT, lang="fa")))
    assert "درخواست" in persian and re.search("[۰-۹]", persian)
    arabic = assert_api_refusal(alice.get(observations(LIMIT, lang="ar"), HTTP_ACCEPT_LANGUAGE="fa"))
    assert "طلبات" in arabic
    by_header = assert_api_refusal(alice.get(observations(LIMIT), HTTP_ACCEPT_LANGUAGE="fa"))
    assert "درخواست" in by_header


def test_no_rate_means_no_limit(seeded, settings):
    settings.RATELIMIT_UNCACHED = ""
    spend(client_at(ALICE), [observations(offset) for offset in range(LIMIT + 3)])


# Pages ------------------------------------------------------------------------------------------

PAGES = ["/fa/about/", "/fa/sources/", "/fa/", "/fa/compare/firm_share/?areas=IRN"]


def test_pages_built_beyond_the_limit_get_a_translated_429_in_the_sites_layout(seeded):
    alice = client_at(ALICE)
    spend(alice, PAGES[:LIMIT])
    response = alice.get(PAGES[LIMIT])
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert 0 < int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html  # the site's layout
    assert "<h1>درخواست‌های بیش از حد</h1>" in html
    assert "صفحه" in html and re.search("[۰-۹]", html)
    # Kept pages are still served to Alice; another client still gets pages built.
    for page in PAGES[:LIMIT]:
        assert alice.get(page).status_code == 200
    assert client_at(BOB).get(PAGES[LIMIT]).status_code == 200
    assert alice.get(PAGES[LIMIT]).status_code == 200  # Bob's, now kept


def test_a_refused_page_is_not_kept(seeded):
    alice, bob = client_at(ALICE), client_at(BOB)
    spend(alice, PAGES[:LIMIT])
    assert alice.get("/en/about/").status_code == 429
    response = bob.get("/en/about/")
    assert response.status_code == 200 and b"<h1>Too many requests</h1>" not in response.content


def test_a_json_twin_beyond_the_limit_gets_its_own_error_shape(seeded):
    alice = client_at(ALICE)
    spend(alice, PAGES[:LIMIT])
    response = alice.get("/ar/compare/firm_share/data.json?areas=IRN")
    assert response.status_code == 429
    assert response["Retry-After"]
    [message] = response.json()["errors"]
    assert "الصفحات" in message


def test_pages_and_api_share_one_budget(seeded):
    alice = client_at(ALICE)
    spend(alice, ["/en/about/", observations(0), "/en/sources/"])
    assert alice.get("/en/").status_code == 429
    assert_api_refusal(alice.get(observations(1)))


# The OpenAPI document says so ------------------------------------------------------------------


def test_the_openapi_document_declares_the_429_and_the_workbooks_503(seeded):
    document = openapi_document()
    paths = document["paths"]
    for path in ("/api/v1/areas", "/api/v1/indicators", "/api/v1/sources", "/api/v1/observations"):
        assert paths[path]["get"]["responses"]["429"] == {"$ref": "#/components/responses/TooMuchUncachedWork"}
    xlsx = paths["/api/v1/downloads/observations.xlsx"]["get"]["responses"]
    assert xlsx["503"] == {"$ref": "#/components/responses/WorkbookNotReady"}
    for name in ("TooMuchUncachedWork", "WorkbookNotReady"):
        described = document["components"]["responses"][name]
        assert described["headers"]["Retry-After"]["required"] is True
        assert described["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Refusal"}
