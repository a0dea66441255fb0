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

Work the cache cannot spare is limited per client: each miss of an API answer (``cached`` given
the request) and each public page built afresh (``cached_response``) counts against
``RATELIMIT_UNCACHED`` for the client's address; past it, ``UncachedWorkLimited`` is raised before
any work is done (the API answers a JSON 429, smedash.middleware.PageCacheMiddleware a page).
Hits are never counted, so what is already in the cache is served to everyone.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django_ratelimit.core import get_usage

from . import calendars
from .models import DataVersion
from .text import current_lang

VERSION_KEY = "smedash:data-version"
VERSION_SECONDS = 5  # how long the cache's copy of the data version is trusted (SMEDASH_VERSION_SECONDS)
PAGE_SECONDS = 600  # a page's data and a whole page; stale at the next data change anyway
# The largest page a server process keeps a copy of (``kept_page``): with the ``pages`` cache's
# MAX_ENTRIES (SMEDASH_PAGE_COPIES), what bounds the copies' memory.
PAGE_COPY_MAX_BYTES = 256 * 1024
# How long a server process trusts the data version it last read from the shared cache, for its
# copies of whole pages only (a change reaches them within this time; everything else asks the
# shared cache each time), and that reading.
PAGE_VERSION_SECONDS = 1.0
_glimpsed = {"version": None, "until": 0.0}


UNCACHED_GROUP = "smedash:uncached"  # the counters' group: one budget per client for all uncached work


class UncachedWorkLimited(Exception):
    """The client has had its share of uncached work (RATELIMIT_UNCACHED); ``retry_after`` seconds
    until its window ends."""

    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


def count_uncached(request):
    """Count one piece of uncached work against the client's address (django-ratelimit's ``ip``
    key: smedash.client_address), in the rate limits' cache (``counters`` in production); raise
    UncachedWorkLimited past RATELIMIT_UNCACHED. No rate, or the counters unreachable: no limit
    (the rate limits fail open)."""
    rate = getattr(settings, "RATELIMIT_UNCACHED", None)
    if not rate or request is None:
        return
    usage = get_usage(request, group=UNCACHED_GROUP, key="ip", rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        raise UncachedWorkLimited(max(1, usage["time_left"]))


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = DataVersion.current()
        remember_data_version(version)
    return version


def remember_data_version(number):
    """Give the cache the database's current number (a writer, after its commit)."""
    cache.set(VERSION_KEY, number, getattr(settings, "SMEDASH_VERSION_SECONDS", VERSION_SECONDS))
    _glimpsed.update(version=number, until=time.monotonic() + PAGE_VERSION_SECONDS)


def _page_version():
    """The data version whole pages are checked against: the shared cache's copy, as this
    process read it at most PAGE_VERSION_SECONDS ago (None when the cache has none)."""
    if time.monotonic() >= _glimpsed["until"]:
        version = cache.get(VERSION_KEY)
        _glimpsed.update(version=version, until=time.monotonic() + PAGE_VERSION_SECONDS if version else 0.0)
    return _glimpsed["version"]


def cache_key(namespace, *parts):
    """``smedash:<namespace>:<digest of the parts>``; parts must already be normalised. The
    calendar the address chose is part of every key: years are written in it (indicators.calendars;
    no choice, no part, so that the language's default keeps the keys it had)."""
    choice = calendars.explicit()
    if choice is not None:
        parts = (*parts, (calendars.PARAMETER, choice))
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


def kept_page(key):
    """A whole page (``(content, headers)``) kept under ``key`` for the cache's copy of the data
    version, or None; from the caches alone (no database), for PageCacheMiddleware, which runs
    before anything else.

    Each server process keeps copies of the pages it served last (the ``pages`` cache, in its own
    memory, bounded; in production only: without Redis the default cache is in memory already).
    A copy is used while its data version is the shared cache's, as this process read it at most
    PAGE_VERSION_SECONDS ago: a kept page then costs no round trip at all, instead of reading the
    whole page (about 100 KB) from Redis, and a change of the data reaches every server's pages
    within that second (the server that made it, at once: ``remember_data_version``)."""
    copies = _page_copies()
    copy = copies.get(key) if copies is not None else None
    if copy is not None and copy[0] == _page_version():
        return copy[1][:2]
    found = cache.get_many([VERSION_KEY, key])
    entry, version = found.get(key), found.get(VERSION_KEY)
    if entry is None or version is None or entry[0] != version:
        return None
    _copy_page(key, entry)
    return entry[1][:2]


def keep_page(key, content, headers, version, seconds):
    """Keep a whole page for ``seconds`` (in the shared cache, and a copy in this process)."""
    entry = (version, (content, headers, time.time() + seconds))
    cache.set(key, entry, seconds)
    _copy_page(key, entry)


def _copy_page(key, entry):
    # A copy lives no longer than the page it copies (the page knows when that ends: a page waiting
    # for its chart's drawing is kept 30 s only), and the largest pages are read from Redis each time.
    copies = _page_copies()
    content, _headers, ends = entry[1]
    seconds = ends - time.time()
    if copies is not None and seconds > 0 and len(content) <= PAGE_COPY_MAX_BYTES:
        copies.set(key, entry, seconds)


def _page_copies():
    """This process's copies of whole pages (the ``pages`` cache), or None where settings keep none."""
    return caches["pages"] if "pages" in settings.CACHES else None


def store(key, value, version, timeout):
    cache.set(key, (version, value), timeout)


def cached(namespace, parts, produce, timeout=PAGE_SECONDS, request=None):
    """``produce()``'s result, kept per namespace, normalised ``parts`` and active language.

    Given the ``request``, a miss counts against the client's RATELIMIT_UNCACHED first (it may
    raise UncachedWorkLimited); without it (a page's data, inside a page that already counted),
    nothing is counted."""
    key = cache_key(namespace, current_lang(), *parts)
    value, version = lookup(key)
    if value is None:
        count_uncached(request)
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

    The view runs only when the whole page was not in the cache, so each run counts against the
    client's RATELIMIT_UNCACHED (after the data version is read: while the database is down the
    503 costs nothing and is not counted); past it, UncachedWorkLimited, which PageCacheMiddleware
    answers with a 429 page.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        version = data_version()  # read before the page is built: it is kept under this one
        count_uncached(request)
        response = view(request, *args, **kwargs)
        response.smedash_version = version
        canonical = getattr(response, "smedash_canonical", None)
        # The page's own links put the reader's calendar last (calendars.carry_in_links).
        address = calendars.canonical_path(request.get_full_path())
        if canonical is None:
            response.smedash_keep = "?" not in address
        else:
            response.smedash_keep = address in canonical
        return response

    return wrapper
