"""SMEdash settings: one module, every deployment-specific value read from the environment.

Defaults are safe for a developer's machine: SQLite under var/, DEBUG off unless asked for,
only local hosts allowed, and a secret key generated into var/ on first run (never in git) for
development, commands and tests. A server with DEBUG off refuses to start without SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

from smedash.environment import env_bool, env_int, env_list, env_log_level, env_networks, serving_requests

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SMEDASH_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key():
    """A per-checkout key kept in var/ so sessions survive restarts; production sets SECRET_KEY."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


NO_KEY_TO_SERVE_WITH = (
    "SECRET_KEY is not set. With DEBUG off, SMEdash does not serve requests with a generated key: "
    "set SECRET_KEY in the environment to a long random value, the same on every app server "
    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'). For development use DEBUG=1; "
    "to run a production-like server on your own machine with the development key in var/, "
    "set SMEDASH_DEV_SECRET=1."
)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Development (DEBUG=1), management commands and the tests use a key generated into var/; a
    # server with DEBUG off refuses to start rather than sign sessions with a key nobody chose.
    if not DEBUG and serving_requests() and not env_bool("SMEDASH_DEV_SECRET", False):
        raise ImproperlyConfigured(NO_KEY_TO_SERVE_WITH)
    SECRET_KEY = _development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # modeltranslation must come before the admin so that translated fields show there.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "django_ratelimit",
    "simple_history",
    "axes",
    "django_countries",  # only for its translated country names (ar, fa)
    # Background jobs (large imports): the tasks framework and its database queue.
    "django_tasks",
    "django_tasks_db",
    # No models: only the project's system checks (smedash/checks.py).
    "smedash.apps.SmedashConfig",
    "countries",
    "indicators",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public pages with nothing secret in them, gzip-compressed (kept pages too, on the way out).
    "smedash.middleware.PublicGZipMiddleware",
    # Public pages kept whole until the data changes: before everything else that a kept page
    # does not need.
    "smedash.middleware.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "smedash.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "smedash.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "smedash.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Admin login: brute-force protection (django-axes). A lockout is per user name *and* address,
# so one attacker cannot lock every editor out by guessing their names from elsewhere.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client's address behind a trusted proxy (TRUSTED_PROXY_HEADER below), as the rate limits see it.
AXES_CLIENT_IP_CALLABLE = "smedash.client_address.client_ip"
# The lockout page in the admin's style and language, instead of axes' plain-text response.
AXES_LOCKOUT_TEMPLATE = "admin/indicators/lockout.html"

# Staff log in through the admin: after a login whose `next` is missing or unsafe, the admin's
# index in the login page's language (/fa/admin/), never Django's default /accounts/profile/.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Internationalisation: English, Arabic and Persian; URLs carry the language (/en/, /ar/, /fa/).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# Translated model fields fall back to English when a translation is missing.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package.json; `make assets` runs `npm ci`) and are served
# from node_modules under our own prefixes: no page loads anything from another host.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js with only the traces and components the charts use, built from the pinned npm
    # package by `make assets` (static-build/build.mjs; build output, not in git).
    ("vendor/plotly", BASE_DIR / "static-build" / "out" / "plotly"),
    # Vazirmatn cut by script (Latin, Arabic), built by `make assets` from the npm package.
    ("fonts", BASE_DIR / "static-build" / "out" / "fonts"),
    ("vendor/vazirmatn", BASE_DIR / "node_modules" / "vazirmatn" / "fonts" / "webfonts"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# A shared Redis cache in production (REDIS_URL), so that every app server sees the same cached
# pages, API answers and PNGs. If Redis goes away, cache calls fail quietly and pages are
# rendered afresh (slower, never a 500); rate limits then fail open. The cache Redis needs a
# memory limit and an eviction policy (allkeys-lru); the rate-limit counters, which must never be
# evicted to make room for pages, live in a Redis of their own with noeviction
# (REDIS_RATELIMIT_URL; `make serve-prod` sets both up, and `check --deploy` checks them).
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_RATELIMIT_URL = os.environ.get("REDIS_RATELIMIT_URL", "") or REDIS_URL
SILENCED_SYSTEM_CHECKS = []


def _redis_cache(location):
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": "smedash",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }


if env_bool("CACHE_DISABLED", False):
    # For benchmarks that must measure the uncached cost of every request.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]
elif REDIS_URL:
    CACHES = {"default": _redis_cache(REDIS_URL), "counters": _redis_cache(REDIS_RATELIMIT_URL)}
    RATELIMIT_USE_CACHE = "counters"
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "smedash"}}
    # django-ratelimit rightly warns that a per-process cache does not share its counters; that
    # is the single-process development default. Production sets REDIS_URL.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Each server process's own copies of the whole pages it served last (indicators.cache.kept_page),
# in front of Redis: used only while the data has not changed (as Redis told this process at most
# a second ago), they spare reading each page (about 100 KB) from Redis on every visit. At most
# SMEDASH_PAGE_COPIES pages of at most 256 KB each (about 10 MB a process in practice; LocMemCache
# drops a third when full). Without Redis the default cache is in this process's memory already:
# no copies (no ``pages`` cache).
if REDIS_URL and not env_bool("CACHE_DISABLED", False):
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "smedash-pages",
        "OPTIONS": {"MAX_ENTRIES": env_int("SMEDASH_PAGE_COPIES", 100, minimum=1)},
    }

# The charts the worker draws for the pages (indicators.chart_static), where both the worker and
# the page servers see them: Redis in production, else files under var/ (the worker is another
# process), at most DRAWINGS_MAX_ENTRIES figures (about 15 KB each; when full, Django's file cache
# deletes a third of them, at random, and the next views queue theirs again).
DRAWINGS_MAX_ENTRIES = env_int("SMEDASH_DRAWINGS_MAX_ENTRIES", 2000, minimum=1)
if env_bool("CACHE_DISABLED", False):
    CACHES["drawings"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
elif REDIS_URL:
    CACHES["drawings"] = _redis_cache(REDIS_URL)
else:
    CACHES["drawings"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "drawings"),
        "OPTIONS": {"MAX_ENTRIES": DRAWINGS_MAX_ENTRIES},
    }
# Whether chart pages carry the chart drawn by the worker (indicators.chart_static); off, every
# chart is drawn by plotly.js in the browser.
SMEDASH_STATIC_CHARTS = env_bool("SMEDASH_STATIC_CHARTS", True)

RATELIMIT_FAIL_OPEN = True
RATELIMIT_VIEW = "smedash.views.rate_limited"
# Requests per minute per client address on the expensive endpoints (PNG rendering, full CSV).
RATELIMIT_EXPENSIVE = os.environ.get("RATELIMIT_EXPENSIVE", "30/m")
# Answers and pages the cache could not give (computed afresh), per client address; hits are free.
RATELIMIT_UNCACHED = os.environ.get("RATELIMIT_UNCACHED", "120/m")

# The site's public address (https://sme.example.org), used for the absolute addresses pages
# show (share links, PNG captions) instead of the request's Host header; set it in production
# (check --deploy says so), so that the host or port a client sends cannot multiply cached pages.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# How long the cache's copy of the data version (kept in the database) is trusted, in seconds.
SMEDASH_VERSION_SECONDS = int(os.environ.get("SMEDASH_VERSION_SECONDS", "5"))
# The client address for `key="ip"`: the trusted proxy's header when configured (below).
RATELIMIT_IP_META_KEY = "smedash.client_address.client_ip"

# Behind a reverse proxy every connection comes from the proxy. TRUSTED_PROXY_HEADER names the
# header in which it passes on the visitor's address (X-Forwarded-For, X-Real-IP); it is read only
# on connections from TRUSTED_PROXIES, taking the TRUSTED_PROXY_COUNT-th address from the right
# (one per proxy that appends to it). Unset: REMOTE_ADDR only, forged headers change nothing.
# Used by the rate limits and the login lockout alike (smedash/client_address.py).
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "").strip()
if TRUSTED_PROXY_HEADER and not all(c.isalnum() or c in "-_" for c in TRUSTED_PROXY_HEADER):
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_HEADER={TRUSTED_PROXY_HEADER!r} is not a header name (e.g. X-Forwarded-For)."
    )
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=1)
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# Chart PNGs (indicators/png.py): the browser that draws them, how long one may take, and how
# many may be drawn at once in one process before further requests get 429.
SMEDASH_CHROMIUM = os.environ.get("SMEDASH_CHROMIUM", "/usr/bin/chromium")
SMEDASH_PNG_TIMEOUT = float(os.environ.get("SMEDASH_PNG_TIMEOUT", "20"))
# How many may be drawn at once across every worker and server sharing the cache (more get 429
# at once), and whether Chromium draws in the idle CPU class, behind the pages.
SMEDASH_PNG_CONCURRENCY = int(os.environ.get("SMEDASH_PNG_CONCURRENCY", "1"))
SMEDASH_PNG_LOW_PRIORITY = env_bool("SMEDASH_PNG_LOW_PRIORITY", True)

# Background jobs: the django-tasks backport of Django's tasks framework. Large imports
# (indicators/import_jobs.py) are queued in the database (django-tasks-db) and run by
# `manage.py db_worker`, which `make run` and `make serve-prod` start beside the web servers.
# TASKS_BACKEND may name another backend: django_tasks.backends.immediate.ImmediateBackend runs
# each job inside the request that queues it (no worker needed, and no background either).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "").strip() or "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# The admin imports a file of more rows than this in the background, with its progress shown;
# a smaller one is checked and written within the request. 0: every file in the background.
SMEDASH_IMPORT_INLINE_ROWS = env_int("SMEDASH_IMPORT_INLINE_ROWS", 2000, minimum=0)

# Content-Security-Policy: everything from our own origin; no eval, no inline script.
# Plotly.js injects its own <style> rules, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Security headers; the HTTPS-only ones are switched on by SECURE_SSL=1 behind TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL = env_bool("SECURE_SSL", False)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if SECURE_SSL else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
# Preloading commits the domain and all its subdomains to HTTPS in browsers for months, and is
# slow to undo: only on request. Without it, Django's deploy check warns that the site cannot be
# submitted to the preload list (security.W021); that is then the deployment's choice.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS += ["security.W021"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to standard error: one JSON object a line by default (for a log collector), plain
# text with LOG_FORMAT=plain (the default under DEBUG, for people reading a terminal).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", "INFO")},
    # django-axes announces itself at every start, kaleido and choreographer narrate every
    # render; their warnings and errors still show.
    "loggers": {
        "axes.apps": {"level": "WARNING"},
        "kaleido": {"level": "WARNING"},
        "choreographer": {"level": "WARNING"},
    },
}
