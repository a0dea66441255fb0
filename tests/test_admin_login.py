"""Brute-force protection on the admin login (django-axes): by user name *and* address."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.shortcuts import resolve_url
from django.utils import translation

LOGIN = "/fa/admin/login/"
PASSWORD = "the-right-long-password"


@pytest.fixture(autouse=True)
def leave_no_language_active():
    """A request activates its URL's language for the whole thread: do not hand it to the next test."""
    yield
    translation.deactivate()


@pytest.fixture
def staff(db):
    return [User.objects.create_user(name, password=PASSWORD, is_staff=True) for name in ("sara", "omid")]


def log_in(client, username, password, address):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/fa/admin/"}, REMOTE_ADDR=address)


def fail_five_times(client, username="sara", address="203.0.113.7"):
    for _ in range(5):
        log_in(client, username, "wrong guess", address)


def test_a_good_password_logs_in(client, staff):
    response = log_in(client, "sara", PASSWORD, "203.0.113.7")
    assert response.status_code == 302 and response["Location"] == "/fa/admin/"


def test_five_failures_lock_that_user_name_from_that_address(client, staff):
    fail_five_times(client)
    response = log_in(client, "sara", PASSWORD, "203.0.113.7")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_does_not_reach_the_same_user_elsewhere(client, staff):
    fail_five_times(client)
    response = log_in(client, "sara", PASSWORD, "198.51.100.20")
    assert response.status_code == 302


def test_the_lockout_does_not_reach_another_user_from_the_same_address(client, staff):
    fail_five_times(client)
    response = log_in(client, "omid", PASSWORD, "203.0.113.7")
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, staff):
    fail_five_times(client)
    assert log_in(client, "sara", PASSWORD, "203.0.113.7").status_code == 429
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=16)
        attempt.save()
    assert log_in(client, "sara", PASSWORD, "203.0.113.7").status_code == 302


def test_failed_logins_are_logged_and_recorded(client, staff, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        fail_five_times(client, address="192.0.2.55")
    messages = [record.getMessage() for record in caplog.records]
    assert len([m for m in messages if "New login failure" in m or "Repeated login failure" in m]) == 5
    assert any("Locking out" in m for m in messages)
    attempt = AccessAttempt.objects.get(username="sara", ip_address="192.0.2.55")
    assert attempt.failures_since_start == 5
    assert "wrong guess" not in attempt.post_data  # axes masks the password


@pytest.mark.parametrize(("lang", "text"), [("fa", "ورود قفل شد"), ("ar", "قُفل تسجيل الدخول")])
def test_the_lockout_page_speaks_the_admins_language(client, staff, settings, lang, text):
    settings.AXES_LOCKOUT_TEMPLATE = "admin/indicators/lockout.html"
    for _ in range(5):
        response = client.post(f"/{lang}/admin/login/", {"username": "sara", "password": "x"}, REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    page = response.content.decode()
    assert text in page and 'dir="rtl"' in page


# Where a login ends when `next` is missing or unsafe: the admin's index, in the login's language
# (LOGIN_REDIRECT_URL), not Django's default /accounts/profile/, which does not exist here.


@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
@pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com/", None])
def test_a_login_without_a_safe_next_ends_at_the_admin_index(client, staff, lang, next_url):
    data = {"username": "sara", "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    response = client.post(f"/{lang}/admin/login/", data, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    assert response["Location"] == f"/{lang}/admin/"
    assert client.get(response["Location"]).status_code == 200


def test_the_login_settings_name_pages_that_exist(client, staff, settings):
    with translation.override("ar"):
        assert resolve_url(settings.LOGIN_REDIRECT_URL) == "/ar/admin/"
        assert resolve_url(settings.LOGIN_URL) == "/ar/admin/login/"
    assert client.get("/en/admin/login/").status_code == 200
