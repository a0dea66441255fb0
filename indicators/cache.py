"""The one cache helper: every cached thing (a page's data, a whole page, an API answer, a PNG)
is kept with the data version it was built from, and used only while that is still the version.

``data_version()`` changes whenever the published data may have changed (``indicators.writes``
bumps it in every transaction that touches figures, areas, indicators or sources), so any change
makes every cached thing stale at once, on every server sharing the cache (Redis). The number
itself lives in the database (``models.DataVersion``); the cache holds a copy for VERSION_SECONDS
only, so a change made while the cache could not be told is seen within seconds of its return.

An entry is ``(version, value)`` under a key made of normalised parts only, not
``cache.get(key, version=…)``: a hit then costs one round trip (``get_many`` reads the version and
the entry together), and a newer version overwrites the old entry under the same key instead of
leaving it to fill the cache until it expires.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache

from .models import DataVersion
from .text import current_lang

VERSION_KEY = "smedash:data-version"
VERSION_SECONDS = 5  # how long the cache's copy of the data version is trusted (SMEDASH_VERSION_SECONDS)
PAGE_SECONDS = 600  # a page's data and a whole page; stale at the next data change anyway


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = DataVersion.current()
        remember_data_version(version)
    return version


def remember_data_version(number):
    """Give the cache the database's current number (a writer, after its commit)."""
    cache.set(VERSION_KEY, number, getattr(settings, "SMEDASH_VERSION_SECONDS", VERSION_SECONDS))


def cache_key(namespace, *parts):
    """``smedash:<namespace>:<digest of the parts>``; parts must already be normalised."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
    return f"smedash:{namespace}:{digest}"


def lookup(key):
    """(the value kept under ``key`` for the current data version or None, that version)."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or data_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1], version
    return None, version


def peek(key):
    """The value kept under ``key`` for the cache's copy of the data version, or None; from the
    cache alone (no database), for PageCacheMiddleware, which runs before anything else."""
    found = cache.get_many([VERSION_KEY, key])
    entry, version = found.get(key), found.get(VERSION_KEY)
    return entry[1] if entry is not None and version is not None and entry[0] == version else None


def store(key, value, version, timeout):
    cache.set(key, (version, value), timeout)


def cached(namespace, parts, produce, timeout=PAGE_SECONDS):
    """``produce()``'s result, kept per namespace, normalised ``parts`` and active language."""
    key = cache_key(namespace, current_lang(), *parts)
    value, version = lookup(key)
    if value is None:
        value = produce()
        store(key, value, version, timeout)
    return value


def cached_response(view):
    """Mark a public page's 200 responses to be kept whole by smedash.middleware.PageCacheMiddleware.

    Only views so marked are ever kept: nothing on them depends on the visitor (no session, no
    CSRF token, no message), only on the address and the data. And only at a canonical address:
    the one the page links to itself (``response.smedash_canonical``, a set of paths with their
    queries, set by the view) or, where the view names none, the address without a query. The
    same page spelled another way (``page=01``, ``year=LATEST``) is answered, not kept, so that
    spellings cannot fill the cache.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        version = data_version()  # read before the page is built: it is kept under this one
        response = view(request, *args, **kwargs)
        response.smedash_version = version
        canonical = getattr(response, "smedash_canonical", None)
        if canonical is None:
            response.smedash_keep = not request.META.get("QUERY_STRING")
        else:
            response.smedash_keep = request.get_full_path() in canonical
        return response

    return wrapper
