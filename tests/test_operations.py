"""Operations: LOG_LEVEL in any case, and the system check for compiled translation catalogues."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from smedash.checks import check_compiled_catalogues
from smedash.environment import env_log_level

ROOT = Path(settings.BASE_DIR)
LEVELS_MESSAGE = "DEBUG, INFO, WARNING, ERROR, CRITICAL"


def run_python(*args, log_level):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(LOG_LEVEL=log_level, DJANGO_SETTINGS_MODULE="smedash.settings")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# LOG_LEVEL


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("warning", "WARNING"),
        ("Warning", "WARNING"),
        (" DEBUG ", "DEBUG"),
        ("error", "ERROR"),
        ("Critical", "CRITICAL"),
        ("INFO", "INFO"),
        ("warn", "WARNING"),
    ],
)
def test_log_level_is_accepted_in_any_case(value, expected):
    with mock.patch.dict(os.environ, {"LOG_LEVEL": value}):
        assert env_log_level("LOG_LEVEL", "INFO") == expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_log_level_defaults_to_info(value, monkeypatch):
    if value is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", value)
    assert env_log_level("LOG_LEVEL", "INFO") == "INFO"


def test_unknown_log_level_is_refused_with_the_value_and_the_choices():
    with mock.patch.dict(os.environ, {"LOG_LEVEL": "loud"}), pytest.raises(ImproperlyConfigured) as raised:
        env_log_level("LOG_LEVEL", "INFO")
    message = str(raised.value)
    assert "LOG_LEVEL='loud'" in message
    assert LEVELS_MESSAGE in message


def test_settings_use_the_normalised_level():
    assert settings.LOGGING["root"]["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def test_lower_case_log_level_configures_logging_at_startup():
    """What a gunicorn worker does at boot: django.setup() runs dictConfig with LOGGING."""
    code = "import django, logging; django.setup(); print(logging.getLevelName(logging.getLogger().level))"
    result = run_python("-c", code, log_level="warning")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "WARNING"


def test_manage_py_check_passes_with_lower_case_log_level():
    result = run_python("manage.py", "check", log_level="warning")
    assert result.returncode == 0, result.stdout + result.stderr


def test_manage_py_check_fails_clearly_on_unknown_log_level():
    result = run_python("manage.py", "check", log_level="loud")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "LOG_LEVEL='loud'" in result.stderr
    assert LEVELS_MESSAGE in result.stderr


# Compiled translation catalogues


@pytest.fixture
def locale_dir(tmp_path, settings):
    """A copy of the project's .po files with fresh .mo files beside them, as LOCALE_PATHS."""
    locale = tmp_path / "locale"
    for lang in ("ar", "fa"):
        messages = locale / lang / "LC_MESSAGES"
        messages.mkdir(parents=True)
        shutil.copyfile(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po", messages / "django.po")
        (messages / "django.mo").write_bytes(b"compiled")
        os.utime(messages / "django.po", (1_000_000, 1_000_000))
        os.utime(messages / "django.mo", (1_000_100, 1_000_100))
    settings.LOCALE_PATHS = [locale]
    return locale


def ids(errors):
    return sorted(error.id for error in errors)


def test_fresh_catalogues_pass(locale_dir):
    assert check_compiled_catalogues() == []


def test_catalogue_compiled_in_the_same_second_as_its_source_passes(locale_dir):
    mo = locale_dir / "ar" / "LC_MESSAGES" / "django.mo"
    os.utime(mo, (1_000_000, 1_000_000))
    assert check_compiled_catalogues() == []


def test_missing_catalogue_is_an_error(locale_dir):
    (locale_dir / "fa" / "LC_MESSAGES" / "django.mo").unlink()
    errors = check_compiled_catalogues()
    assert ids(errors) == ["smedash.E001"]
    assert isinstance(errors[0], checks.Error)
    assert "'fa'" in errors[0].msg
    assert str(locale_dir / "fa" / "LC_MESSAGES" / "django.mo") in errors[0].msg
    assert "make messages" in errors[0].hint


def test_stale_catalogue_is_an_error(locale_dir):
    po = locale_dir / "ar" / "LC_MESSAGES" / "django.po"
    os.utime(po, (1_000_200, 1_000_200))  # the .po edited after the last compile
    errors = check_compiled_catalogues()
    assert ids(errors) == ["smedash.E002"]
    assert isinstance(errors[0], checks.Error)
    assert str(locale_dir / "ar" / "LC_MESSAGES" / "django.mo") in errors[0].msg
    assert "make messages" in errors[0].hint


def test_missing_and_stale_are_both_reported(locale_dir):
    (locale_dir / "ar" / "LC_MESSAGES" / "django.mo").unlink()
    os.utime(locale_dir / "fa" / "LC_MESSAGES" / "django.po", (1_000_200, 1_000_200))
    assert ids(check_compiled_catalogues()) == ["smedash.E001", "smedash.E002"]


def test_no_catalogues_at_all_is_an_error_per_language(tmp_path, settings):
    settings.LOCALE_PATHS = [tmp_path / "empty"]
    errors = check_compiled_catalogues()
    assert ids(errors) == ["smedash.E001", "smedash.E001"]
    assert {"'ar'" in errors[0].msg, "'fa'" in errors[1].msg} == {True}


def test_check_runs_with_plain_manage_py_check(locale_dir):
    """Registered as a normal (not deploy-only) check: run_checks() without --deploy finds it."""
    (locale_dir / "ar" / "LC_MESSAGES" / "django.mo").unlink()
    errors = checks.run_checks(include_deployment_checks=False)
    assert "smedash.E001" in ids(errors)
    translation_only = checks.run_checks(tags=[checks.Tags.translation])
    assert "smedash.E001" in ids(translation_only)
