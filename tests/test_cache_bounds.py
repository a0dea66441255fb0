"""What the page cache keeps: a page at the addresses it gives itself, never the same page
spelled another way or asked for through another port, so that nobody can fill the cache."""

from unittest import mock

import pytest
from django.core.cache import cache


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
