"""Behind a reverse proxy: the client's address for rate limits and the login lockout.

Every connection then comes from the proxy. With TRUSTED_PROXY_HEADER the visitor's address is read
from the proxy's header, on connections from TRUSTED_PROXIES only; without it, or from any other
peer, the header is ignored, so that a forged X-Forwarded-For neither splits a counter nor frames
someone else.
"""

import os
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.utils import translation

from smedash.client_address import client_ip, meta_key, parse_address
from smedash.environment import env_int, env_networks

DOWNLOAD = "/api/v1/downloads/observations.csv"
LOGIN = "/fa/admin/login/"
PASSWORD = "the-right-long-password"
PROXY = "127.0.0.1"  # the default TRUSTED_PROXIES: a proxy on the same machine
ALICE, BOB = "203.0.113.7", "198.51.100.20"


@pytest.fixture(autouse=True)
def leave_no_language_active():
    yield
    translation.deactivate()


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    return settings


@pytest.fixture
def no_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = ""
    return settings


@pytest.fixture
def two_a_window(settings):
    # Per hour, so that the window cannot roll over in the middle of a test.
    settings.RATELIMIT_EXPENSIVE = "2/h"


def download(client, forwarded_for, remote_addr=PROXY):
    return client.get(DOWNLOAD, REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for).status_code


def request(remote_addr=PROXY, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


# Both libraries ask the same function.


def test_axes_and_ratelimit_both_use_the_one_client_address_function():
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "smedash.client_address.client_ip"
    assert django_settings.RATELIMIT_IP_META_KEY == "smedash.client_address.client_ip"


def test_by_default_no_header_is_trusted():
    assert django_settings.TRUSTED_PROXY_HEADER == ""  # the test run sets none


# client_ip


def test_without_the_setting_the_address_is_the_connections(no_proxy):
    assert client_ip(request(HTTP_X_FORWARDED_FOR=ALICE)) == PROXY
    assert client_ip(request(remote_addr=BOB, HTTP_X_FORWARDED_FOR=ALICE)) == BOB


def test_behind_the_proxy_the_address_is_the_one_the_proxy_wrote(behind_proxy):
    # The proxy appends the address it saw; what the client wrote is further left and ignored.
    assert client_ip(request(HTTP_X_FORWARDED_FOR=ALICE)) == ALICE
    assert client_ip(request(HTTP_X_FORWARDED_FOR=f"10.9.9.9, {BOB}, {ALICE}")) == ALICE


def test_a_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(behind_proxy):
    assert client_ip(request(remote_addr=BOB, HTTP_X_FORWARDED_FOR=ALICE)) == BOB


def test_trusted_proxies_may_be_networks(behind_proxy):
    behind_proxy.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(request(remote_addr="10.0.0.17", HTTP_X_FORWARDED_FOR=ALICE)) == ALICE
    assert client_ip(request(remote_addr="10.0.1.17", HTTP_X_FORWARDED_FOR=ALICE)) == "10.0.1.17"
    assert client_ip(request(remote_addr=PROXY, HTTP_X_FORWARDED_FOR=ALICE)) == PROXY  # loopback no longer listed


def test_with_two_proxies_the_address_is_the_second_from_the_right(behind_proxy):
    behind_proxy.TRUSTED_PROXY_COUNT = 2
    # client → outer proxy (appends ALICE) → inner proxy (appends the outer one's 10.0.0.2) → app
    assert client_ip(request(HTTP_X_FORWARDED_FOR=f"{BOB}, {ALICE}, 10.0.0.2")) == ALICE
    # Shorter than the chain: nothing in it can be trusted.
    assert client_ip(request(HTTP_X_FORWARDED_FOR=ALICE)) == PROXY


def test_another_header_name(behind_proxy):
    behind_proxy.TRUSTED_PROXY_HEADER = "X-Real-IP"
    assert client_ip(request(HTTP_X_REAL_IP=ALICE, HTTP_X_FORWARDED_FOR=BOB)) == ALICE


@pytest.mark.parametrize("header", ["", "unknown", " , ", "203.0.113.999", "<script>"])
def test_a_missing_or_unreadable_header_leaves_the_proxys_address(behind_proxy, header):
    assert client_ip(request(HTTP_X_FORWARDED_FOR=header)) == PROXY
    assert client_ip(request()) == PROXY


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7:51234", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ('"[2001:DB8::1]"', "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", None),
        ("", None),
    ],
)
def test_addresses_are_read_as_proxies_write_them(written, address):
    assert parse_address(written) == address


def test_header_names_become_meta_keys():
    assert meta_key("X-Forwarded-For") == "HTTP_X_FORWARDED_FOR"
    assert meta_key("x-real-ip") == "HTTP_X_REAL_IP"
    assert meta_key("HTTP_X_FORWARDED_FOR") == "HTTP_X_FORWARDED_FOR"


# Rate limits


def test_behind_the_proxy_each_client_has_its_own_rate_limit(client, db, behind_proxy, two_a_window):
    assert [download(client, ALICE) for _ in range(3)] == [200, 200, 429]
    assert download(client, BOB) == 200  # not the proxy's shared counter
    assert download(client, f"{BOB}, {ALICE}") == 429  # ALICE, whatever she puts in front


def test_without_the_setting_a_forged_header_does_not_split_the_counter(client, db, no_proxy, two_a_window):
    assert [download(client, forged) for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3")] == [200, 200, 429]


def test_a_forged_header_from_an_untrusted_peer_does_not_split_the_counter(client, db, behind_proxy, two_a_window):
    codes = [download(client, forged, remote_addr=BOB) for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3")]
    assert codes == [200, 200, 429]


# Login lockout


@pytest.fixture
def staff(db):
    return User.objects.create_user("sara", password=PASSWORD, is_staff=True)


def log_in(client, forwarded_for, password=PASSWORD, remote_addr=PROXY):
    data = {"username": "sara", "password": password, "next": "/fa/admin/"}
    return client.post(LOGIN, data, REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for).status_code


def test_behind_the_proxy_a_lockout_is_for_that_client_only(client, staff, behind_proxy):
    for _ in range(5):
        log_in(client, ALICE, "wrong guess")
    assert log_in(client, ALICE) == 429
    assert log_in(client, BOB) == 302  # the editor, from elsewhere behind the same proxy
    assert AccessAttempt.objects.get(username="sara").ip_address == ALICE  # recorded with the real address


def test_without_the_setting_a_forged_header_does_not_escape_a_lockout(client, staff, no_proxy):
    for number in range(5):
        log_in(client, f"192.0.2.{number}", "wrong guess", remote_addr=ALICE)
    assert log_in(client, "192.0.2.99", remote_addr=ALICE) == 429
    assert AccessAttempt.objects.get(username="sara").ip_address == ALICE


def test_a_forged_header_from_an_untrusted_peer_does_not_escape_a_lockout(client, staff, behind_proxy):
    for number in range(5):
        log_in(client, f"192.0.2.{number}", "wrong guess", remote_addr=ALICE)
    assert log_in(client, "192.0.2.99", remote_addr=ALICE) == 429


# The settings, read from the environment


def test_the_proxy_count_must_be_a_positive_whole_number():
    for value in ("0", "-1", "two"):
        with mock.patch.dict(os.environ, {"TRUSTED_PROXY_COUNT": value}), pytest.raises(ImproperlyConfigured) as raised:
            env_int("TRUSTED_PROXY_COUNT", 1, minimum=1)
        assert f"TRUSTED_PROXY_COUNT={value!r}" in str(raised.value)
    with mock.patch.dict(os.environ, {"TRUSTED_PROXY_COUNT": " 2 "}):
        assert env_int("TRUSTED_PROXY_COUNT", 1, minimum=1) == 2


def test_trusted_proxies_must_be_addresses_or_networks():
    with mock.patch.dict(os.environ, {"TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16, ::1"}):
        assert env_networks("TRUSTED_PROXIES", []) == ["10.0.0.5", "10.1.0.0/16", "::1"]
    with (
        mock.patch.dict(os.environ, {"TRUSTED_PROXIES": "10.0.0.5,proxy.local"}),
        pytest.raises(ImproperlyConfigured) as raised,
    ):
        env_networks("TRUSTED_PROXIES", [])
    assert "'proxy.local'" in str(raised.value)
