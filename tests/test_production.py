"""Production behaviour: deploy checks, health, headers, and what happens when a service fails."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, ProgrammingError

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECURE_SSL": "1",
    "ALLOWED_HOSTS": "dash.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env):
    # A clean production environment: not the test process's own flags (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which a deployment must never have).
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_under_production_settings_with_nothing_silenced():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(0 silenced)" in result.stdout


def test_deploy_checks_fail_without_https_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "SECURE_SSL": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_healthz_reports_database_and_cache(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_is_503_when_the_database_is_down(client, db):
    with mock.patch("smedash.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.urls("tests.urls_faults")
@pytest.mark.parametrize(("lang", "text"), [("en", "Temporarily unavailable"), ("fa", 'dir="rtl"')])
def test_a_dead_database_gives_a_clean_503_page(client, lang, text):
    response = client.get(f"/{lang}/down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert text in response.content.decode()


@pytest.mark.urls("tests.urls_faults")
def test_other_database_errors_are_not_hidden(client):
    with pytest.raises(ProgrammingError):
        client.get("/en/bug/")


def test_pages_carry_a_content_security_policy_without_eval(client, seeded):
    policy = client.get("/en/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_forged_host_headers_are_rejected(client, seeded):
    assert client.get("/en/", HTTP_HOST="evil.example.com").status_code == 400


def test_pages_are_served_when_redis_is_down(client, seeded, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    # (pytest-django's settings fixture sends setting_changed, which rebuilds the cache handler.)
    assert client.get("/en/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["cache"] == "unavailable"
