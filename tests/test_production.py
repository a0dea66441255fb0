"""Production behaviour: deploy checks, health, headers, and what happens when a service fails."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, ProgrammingError

from smedash.environment import serving_requests

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECURE_SSL": "1",
    "ALLOWED_HOSTS": "dash.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://dash.example.org",
}


# Variables a test sets itself, never inherited from the shell that runs the tests.
OWN_VARIABLES = {
    "REDIS_URL",
    "REDIS_RATELIMIT_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECRET_KEY",
    "DEBUG",
    "SMEDASH_DEV_SECRET",
    "SECURE_HSTS_PRELOAD",
    "SITE_URL",
}
NO_KEY_MESSAGE = "SECRET_KEY is not set. With DEBUG off, SMEdash does not serve requests"


def python(*args, env):
    # A clean production environment: not the test process's own flags (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which a deployment must never have).
    inherited = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "smedash.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(policy, maxmemory):
    """A throwaway redis-server on a free loopback port, configured as production wants it."""
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--maxmemory", maxmemory, "--maxmemory-policy", policy],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture(scope="module", autouse=True)
def production_redis():
    """The cache's Redis (a memory limit, allkeys-lru) and the counters' (noeviction), as
    `make serve-prod` sets them up and `check --deploy` wants them."""
    if not shutil.which("redis-server"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    cache_server, cache_url = start_redis("allkeys-lru", "64mb")
    counters_server, counters_url = start_redis("noeviction", "16mb")
    PRODUCTION_ENV.update(REDIS_URL=cache_url, REDIS_RATELIMIT_URL=counters_url)
    yield cache_url, counters_url
    for process in (cache_server, counters_server):
        process.kill()
        process.wait()


def test_deploy_checks_want_a_bounded_cache_and_counters_that_are_never_evicted(production_redis):
    """One run for both warnings: a cache Redis without a memory limit (W002) and counters in a
    Redis that evicts (W003, here the cache's own, as when both share one server). Each warning
    is absent where its Redis is right: the run with production's two Redis passes (below)."""
    cache_url, _counters_url = production_redis
    unbounded = start_redis("noeviction", "0")
    try:
        wrong = {"REDIS_URL": unbounded[1], "REDIS_RATELIMIT_URL": cache_url}
        env = {**PRODUCTION_ENV, "SECURE_HSTS_PRELOAD": "1", **wrong}
        result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        output = result.stderr + result.stdout
        assert result.returncode != 0
        assert "smedash.W002" in output and "smedash.W003" in output, output
    finally:
        unbounded[0].kill()
        unbounded[0].wait()


def manage(*args, env):
    return python("manage.py", *args, env=env)


def settings_under(env, *names):
    """The named settings as a process started with this environment has them. Reading them
    imports the settings module, which computes every one of them from the environment (no app's
    ready() changes a setting); django.setup() would add two seconds of imports a process."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = python("-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_deploy_checks_pass_under_production_settings_with_nothing_silenced():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "SECURE_HSTS_PRELOAD": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(0 silenced)" in result.stdout


def test_deploy_checks_pass_without_hsts_preload_silencing_only_its_warning():
    """Preload is opt-in; without it only Django's "cannot be submitted to the preload list" is silenced."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(1 silenced)" in result.stdout
    assert settings_under(PRODUCTION_ENV, "SILENCED_SYSTEM_CHECKS") == {"SILENCED_SYSTEM_CHECKS": ["security.W021"]}


def test_deploy_checks_fail_without_https_settings_or_the_sites_public_address():
    """One run, two missing settings, each its own warning (the passing runs above have neither)."""
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SITE_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**env, "SECURE_SSL": "0"})
    output = result.stderr + result.stdout
    assert result.returncode != 0
    assert "security.W004" in output, output  # no HSTS
    assert "smedash.W001" in output, output  # no SITE_URL


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


# HSTS: preload only on request (SECURE_HSTS_PRELOAD=1).

# The header Django's SecurityMiddleware gives an HTTPS response under the process's settings
# (it reads settings only: no django.setup() and its two seconds of imports).
HSTS_HEADER = (
    "from django.http import HttpResponse; "
    "from django.middleware.security import SecurityMiddleware; from django.test import RequestFactory; "
    "request = RequestFactory().get('/', secure=True, HTTP_HOST='dash.example.org'); "
    "print(SecurityMiddleware(lambda r: HttpResponse())(request)['Strict-Transport-Security'])"
)


def hsts_header(tmp_path, **env):
    result = python("-c", HSTS_HEADER, env={**PRODUCTION_ENV, "SMEDASH_VAR_DIR": str(tmp_path), **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_hsts_does_not_ask_for_preloading_by_default(tmp_path):
    assert hsts_header(tmp_path) == "max-age=31536000; includeSubDomains"


def test_hsts_preload_is_opt_in(tmp_path):
    assert hsts_header(tmp_path, SECURE_HSTS_PRELOAD="1") == "max-age=31536000; includeSubDomains; preload"


# SECRET_KEY: a server with DEBUG off refuses to start without one; commands and tests do not need it.

WITHOUT_KEY = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}


def assert_refused(result):
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and NO_KEY_MESSAGE in result.stderr, result.stderr


@pytest.mark.parametrize(
    "start",
    [
        ["-c", "import smedash.wsgi"],  # what gunicorn (or any WSGI server) loads
        ["-c", "import gunicorn, django; django.setup()"],  # a gunicorn worker, whatever the module
        ["manage.py", "runserver", "--noreload", "127.0.0.1:0"],
        ["manage.py", "check", "--deploy"],  # it judges what the server would run with
    ],
    ids=["wsgi", "gunicorn", "runserver", "check-deploy"],
)
def test_a_server_with_debug_off_refuses_to_start_without_a_secret_key(tmp_path, start):
    assert_refused(python(*start, env={**WITHOUT_KEY, "SMEDASH_VAR_DIR": str(tmp_path)}))
    assert not (tmp_path / "secret_key").exists()  # nothing generated behind the operator's back


def test_an_empty_secret_key_is_no_key(tmp_path):
    assert_refused(
        python("-c", "import smedash.wsgi", env={**WITHOUT_KEY, "SECRET_KEY": "", "SMEDASH_VAR_DIR": str(tmp_path)})
    )


@pytest.mark.parametrize(
    "env",
    [
        {"SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"]},
        {"DEBUG": "1"},  # make run
        {"SMEDASH_DEV_SECRET": "1"},  # a production-like server on a laptop (make serve-prod)
    ],
    ids=["secret-key", "debug", "dev-secret"],
)
def test_the_wsgi_application_starts_with_a_key_in_debug_or_when_asked(tmp_path, env):
    result = python("-c", "import smedash.wsgi", env={**WITHOUT_KEY, "SMEDASH_VAR_DIR": str(tmp_path), **env})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists() == ("SECRET_KEY" not in env)


def test_commands_with_debug_off_use_the_development_key(tmp_path):
    """migrate, load_seed, collectstatic, check: what make run, make static and CI run without a key."""
    result = manage("check", env={**WITHOUT_KEY, "SMEDASH_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    key = (tmp_path / "secret_key").read_text().strip()
    assert len(key) >= 50
    assert settings_under({**WITHOUT_KEY, "SMEDASH_VAR_DIR": str(tmp_path)}, "SECRET_KEY") == {"SECRET_KEY": key}


def test_the_tests_themselves_run_with_a_key():
    assert settings.SECRET_KEY


@pytest.mark.parametrize(
    ("argv", "modules", "serving"),
    [
        (["manage.py", "runserver"], {}, True),
        (["manage.py", "check", "--deploy"], {}, True),
        (["manage.py", "check"], {}, False),
        (["manage.py", "migrate", "--no-input"], {}, False),
        (["manage.py", "collectstatic", "--no-input"], {}, False),
        (["pytest", "-n", "2"], {"pytest": None}, False),
        (["gunicorn", "smedash.wsgi"], {"gunicorn": None}, True),
        (["-c"], {"smedash.wsgi": None}, True),
        (["uwsgi"], {"uwsgi": None}, True),
    ],
)
def test_what_counts_as_serving_requests(argv, modules, serving):
    assert serving_requests(argv, modules) is serving


# The trusted proxy's header, from the environment.


def test_the_trusted_proxy_settings_are_read_from_the_environment():
    names = ("TRUSTED_PROXY_HEADER", "TRUSTED_PROXY_COUNT", "TRUSTED_PROXIES")
    assert settings_under({**PRODUCTION_ENV}, *names) == {
        "TRUSTED_PROXY_HEADER": "",
        "TRUSTED_PROXY_COUNT": 1,
        "TRUSTED_PROXIES": ["127.0.0.1", "::1"],
    }
    env = {
        **PRODUCTION_ENV,
        "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
        "TRUSTED_PROXY_COUNT": "2",
        "TRUSTED_PROXIES": "10.0.0.5,10.1.0.0/16",
    }
    assert settings_under(env, *names) == {
        "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
        "TRUSTED_PROXY_COUNT": 2,
        "TRUSTED_PROXIES": ["10.0.0.5", "10.1.0.0/16"],
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRUSTED_PROXY_COUNT", "0"),
        ("TRUSTED_PROXIES", "proxy.local"),
        ("TRUSTED_PROXY_HEADER", "X-Forwarded-For: 1.2.3.4"),
    ],
)
def test_bad_trusted_proxy_settings_stop_the_start(variable, value):
    result = manage("check", env={**PRODUCTION_ENV, variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and variable in result.stderr
