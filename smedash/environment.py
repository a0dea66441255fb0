"""Reading the environment for the settings: typed values, and a clear error naming the variable
when one cannot be read, at start rather than at the first request that needs it."""

import ipaddress
import os
import sys

from django.core.exceptions import ImproperlyConfigured


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name, default, minimum=None):
    """A whole number from the environment; anything else is refused at start, naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum):
        at_least = f" of at least {minimum}" if minimum is not None else ""
        raise ImproperlyConfigured(f"{name}={os.environ[name]!r} is not a whole number{at_least}.")
    return number


def env_networks(name, default):
    """Comma-separated IP addresses or networks (`10.0.0.5`, `10.0.0.0/24`, `::1`); a bad one is refused."""
    networks = env_list(name, default)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {network!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24, ::1)."
            ) from None
    return networks


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_log_level(name="LOG_LEVEL", default="INFO"):
    """A logging level name from the environment, in any case (`warning`, ` Debug `).

    logging's dictConfig accepts only upper-case names, and a bad one stops every worker at boot
    with a traceback; an unknown level is refused here instead, with the value and the choices.
    """
    value = os.environ.get(name, "").strip().upper()
    if not value:
        return default
    # Python's own aliases, which worked before and still do.
    value = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(value, value)
    if value not in LOG_LEVELS:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is not a logging level; use one of {', '.join(LOG_LEVELS)} (any case)."
        )
    return value


# Processes that serve requests: WSGI/ASGI servers (their module, or this project's wsgi.py being
# imported) and `manage.py runserver`. `check --deploy` judges the settings such a server would run
# with, so it counts as one.
SERVER_MODULES = ("gunicorn", "uwsgi", "mod_wsgi", "waitress", "uvicorn", "daphne", "hypercorn")


def serving_requests(argv=None, modules=None):
    """Whether this process is (about to be) a server, rather than a management command or the tests."""
    argv = sys.argv if argv is None else argv
    modules = sys.modules if modules is None else modules
    if any(name in modules for name in (*SERVER_MODULES, "smedash.wsgi", "smedash.asgi")):
        return True
    command = argv[1:2]
    return command == ["runserver"] or (command == ["check"] and "--deploy" in argv)
