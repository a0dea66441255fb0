"""The data version lives in the database, so a change made while the shared cache (Redis)
cannot be told still reaches every cached page, API answer and PNG within seconds."""

import csv
import io
import os
import socket
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from indicators.cache import VERSION_KEY, data_version
from indicators.models import DataVersion, Observation
from indicators.seed import load_seed

REDIS = {"host": "127.0.0.1", "port": 6379}
REDIS_DB = 15  # a database of its own, emptied by the test


def redis_cache(location, seconds_timeout=0.5):
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "smedash-test",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": seconds_timeout,
                "SOCKET_TIMEOUT": seconds_timeout,
            },
        }
    }


@pytest.fixture
def redis_url():
    """A real Redis, as in production; a skip here, a failure in CI (the machine runs one)."""
    try:
        socket.create_connection((REDIS["host"], REDIS["port"]), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Redis answers on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    return f"redis://{REDIS['host']}:{REDIS['port']}/{REDIS_DB}"


def test_a_bump_is_a_new_and_larger_number_kept_in_the_database(db):
    first = DataVersion.current()
    second = DataVersion.bump()
    assert second > first and DataVersion.current() == second
    DataVersion.objects.all().delete()  # a database emptied, then filled again
    assert DataVersion.bump() > second  # numbers are never reused


def test_the_caches_copy_is_used_until_it_expires(db, settings):
    settings.SMEDASH_VERSION_SECONDS = 60
    seen = data_version()
    DataVersion.bump()  # a change the cache was not told of
    assert data_version() == seen
    cache.delete(VERSION_KEY)  # what the copy's expiry does
    assert data_version() == DataVersion.current() != seen


def edited_export(tmp_path, value):
    """The seed's export with Japan's 1978 firm share changed."""
    out = io.StringIO()
    call_command("export_observations", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    for row in rows:
        if row["area"] == "JPN" and row["indicator"] == "firm_share" and row["year"] == "1978":
            row["value"] = value
    path = tmp_path / "edited.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_an_import_run_while_redis_is_down_shows_once_redis_is_back(
    transactional_db, client, settings, tmp_path, redis_url
):
    settings.SMEDASH_VERSION_SECONDS = 1
    load_seed()
    path = edited_export(tmp_path, "77.7")
    page = "/en/compare/firm_share/data.json?areas=JPN&year=all"
    with override_settings(CACHES=redis_cache(redis_url)):
        cache.clear()
        assert 99.4 in [f["value"] for f in client.get(page).json()["figures"]]
    # Redis is down (nothing listens on port 1): the command writes the database all the same.
    with override_settings(CACHES=redis_cache("redis://127.0.0.1:1/0", seconds_timeout=0.1)):
        call_command("import_observations", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Observation.objects.get(area__code="JPN", indicator__code="firm_share", year=1978).value == Decimal("77.7")
    with override_settings(CACHES=redis_cache(redis_url)):
        try:
            # Redis is back with its old entries (the page, the old data version) for a moment;
            # within SMEDASH_VERSION_SECONDS its copy of the version has expired.
            time.sleep(1.2)
            values = [f["value"] for f in client.get(page).json()["figures"]]
            assert 77.7 in values and 99.4 not in values
        finally:
            cache.clear()
