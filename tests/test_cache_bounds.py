"""What the page cache keeps: a page at the addresses it gives itself, never the same page
spelled another way or asked for through another port, so that nobody can fill the cache; and
each server process's copies of the pages it kept, used only while the data has not changed."""

from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.cache import cache, caches

from indicators import cache as cache_module


@pytest.fixture
def kept():
    """The whole-page entries stored while the test runs."""
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        yield lambda: [c.args[0] for c in stored.call_args_list if c.args[0].startswith("smedash:response:")]


@pytest.mark.parametrize(
    "address",
    [
        "/en/compare/firm_share/?areas=IRN&year=all&scope=all",
        "/en/compare/firm_share/?areas=IRN&year=all",
        "/en/compare/firm_share/?areas=IRN",
        "/en/compare/firm_share/",
        "/en/compare/firm_share/data.json?areas=IRN",
        "/en/areas/IRN/",
        "/en/",
        "/en/about/",
    ],
)
def test_a_page_is_kept_at_its_own_address(client, seeded, kept, address):
    assert client.get(address).status_code == 200
    assert len(kept()) == 1


@pytest.mark.parametrize(
    "address",
    [
        "/en/?page=01",
        "/en/?page=1",
        "/en/compare/firm_share/?year=LATEST",
        "/en/compare/firm_share/?areas=irn",
        "/en/compare/firm_share/?scope=all&year=latest",  # the page writes year first
        "/en/compare/firm_share/?areas=IRN&areas=JPN",  # the page writes areas=IRN,JPN
        "/en/areas/IRN/?page=%DB%B1",  # Persian 1
    ],
)
def test_the_same_page_spelled_another_way_is_answered_but_not_kept(client, seeded, kept, address):
    assert client.get(address).status_code == 200
    assert kept() == []


def test_with_site_url_the_host_and_port_do_not_multiply_entries(client, seeded, kept, settings):
    settings.SITE_URL = "https://sme.example.org"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    for port in (8001, 8002, 8003):
        response = client.get("/en/compare/firm_share/?areas=IRN", HTTP_HOST=f"localhost:{port}")
        assert response.status_code == 200
        assert b"https://sme.example.org/en/compare/firm_share/?areas=IRN" in response.content
    assert len(set(kept())) == 1


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("/en/compare/firm_share/?year=2000&year=2001", "Give the parameter year only once."),
        ("/fa/areas/IRN/?page=1&page=2", "پارامتر page را فقط یک بار بیاورید."),
        ("/en/compare/firm_share/data.json?scope=all&scope=industry", "Give the parameter scope only once."),
    ],
)
def test_a_repeated_single_value_parameter_is_refused_as_the_api_refuses_it(client, seeded, address, message):
    response = client.get(address)
    assert response.status_code == 400
    assert message in response.content.decode()


# --- each server process's copies of kept pages (indicators.cache.kept_page) --------------------------

PAGE = "/en/compare/firm_share/"


@pytest.fixture
def copies(settings):
    """Production's layout in memory: a shared cache (Redis there) and this process's copies."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "copies-shared"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "copies-own"},
    }
    yield caches["pages"]
    for name in ("default", "pages"):
        caches[name].clear()


@pytest.fixture
def clock(monkeypatch):
    """indicators.cache's clock, moved by hand (the caches' own expiry keeps the real one)."""
    now = {"t": 1_000_000.0}
    fake = SimpleNamespace(time=lambda: now["t"], monotonic=lambda: now["t"])
    monkeypatch.setattr(cache_module, "time", fake)
    return now


def shared_reads():
    return mock.patch.object(cache, "get_many", wraps=cache.get_many)


def test_a_kept_page_comes_from_the_servers_own_copy(client, seeded, copies, django_assert_num_queries):
    first = client.get(PAGE)
    version_reads = mock.patch.object(cache, "get", wraps=cache.get)
    with shared_reads() as reads, version_reads as version_reads, django_assert_num_queries(0):
        again = client.get(PAGE)
    assert again.status_code == 200 and again.content == first.content
    assert reads.call_count == 0 and version_reads.call_count == 0  # the version was read a moment ago


def test_a_copy_is_made_from_the_shared_page_and_used_while_the_version_holds(client, seeded, copies):
    first = client.get(PAGE)
    copies.clear()  # another server kept the page: this one has no copy yet
    with shared_reads() as reads:
        assert client.get(PAGE).content == first.content
        assert client.get(PAGE).content == first.content
    assert reads.call_count == 1  # the second visit was served by the copy


def test_a_change_made_here_reaches_the_copies_at_once(client, seeded, copies):
    client.get(PAGE)
    cache_module.remember_data_version(cache_module.data_version() + 1)  # what a writer does after its commit
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        assert client.get(PAGE).status_code == 200
    assert any(c.args[0].startswith("smedash:response:") for c in stored.call_args_list)  # built again


def test_a_change_made_by_another_server_reaches_the_copies_within_a_second(client, seeded, copies, clock):
    client.get(PAGE)
    cache.set(cache_module.VERSION_KEY, cache_module.data_version() + 1)  # another server's writer
    with shared_reads() as reads:
        client.get(PAGE)
    assert reads.call_count == 0  # within the second: the copy
    clock["t"] += cache_module.PAGE_VERSION_SECONDS
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        assert client.get(PAGE).status_code == 200
    assert any(c.args[0].startswith("smedash:response:") for c in stored.call_args_list)  # built again


def test_a_copy_lasts_no_longer_than_its_page(client, seeded, copies, clock):
    version = cache_module.data_version()
    with mock.patch.object(copies, "set", wraps=copies.set) as copied:
        cache_module.keep_page("smedash:response:x", b"page", {}, version, 30)  # waiting for its drawing
        assert copied.call_args.args[2] == 30
        copies.clear()
        clock["t"] += 20
        assert cache_module.kept_page("smedash:response:x") == (b"page", {})
        assert copied.call_args.args[2] == pytest.approx(10)  # copied from the shared cache: 10 s left


def test_the_largest_pages_are_not_copied(seeded, copies):
    version = cache_module.data_version()
    large = b"x" * (cache_module.PAGE_COPY_MAX_BYTES + 1)
    cache_module.keep_page("smedash:response:large", large, {}, version, 600)
    cache_module.keep_page("smedash:response:small", b"small", {}, version, 600)
    assert copies.get("smedash:response:large") is None and copies.get("smedash:response:small") is not None
    assert cache_module.kept_page("smedash:response:large") == (large, {})  # from the shared cache
