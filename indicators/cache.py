"""The one cache helper: every cached thing (a page's data, a whole page, an API answer, a PNG)
is kept with the data version it was built from, and used only while that is still the version.

``data_version()`` changes whenever the published data may have changed (``indicators.writes``
bumps it after every commit that touches figures, areas, indicators or sources), so any change
makes every cached thing stale at once, on every server sharing the cache (Redis).

An entry is ``(version, value)`` under a key made of normalised parts only, not
``cache.get(key, version=…)``: a hit then costs one round trip (``get_many`` reads the version and
the entry together), and a newer version overwrites the old entry under the same key instead of
leaving it to fill the cache until it expires.
"""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.utils import timezone

from .text import current_lang

VERSION_KEY = "smedash:data-version"
PAGE_SECONDS = 600  # a page's data and a whole page; stale at the next data change anyway


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = timezone.now().timestamp()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def bump_data_version():
    cache.set(VERSION_KEY, timezone.now().timestamp(), timeout=None)


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
    CSRF token, no message), only on the address, the host and the data.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.smedash_keep = True
        return response

    return wrapper
