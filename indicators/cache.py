"""One number that changes whenever the published data may have changed.

Cached pages, JSON and PNG renderings put ``data_version()`` in their cache keys, so any save or
delete of an area, indicator, source or observation makes every cached rendering stale at once:
no list of keys to hunt down. With a shared cache (Redis) this holds across processes.
"""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone

VERSION_KEY = "smedash:data-version"
RESPONSE_SECONDS = 600
# The parameters public pages read. An address with any other is answered but not kept, so that
# made-up query strings cannot fill the cache with copies of the same page.
PAGE_PARAMETERS = {"areas", "year", "scope", "page", "figure"}


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = timezone.now().timestamp()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def bump_data_version():
    cache.set(VERSION_KEY, timezone.now().timestamp(), timeout=None)


def data_changed(sender, **kwargs):
    # After the commit, so that a reader who misses the cache sees the new rows.
    transaction.on_commit(bump_data_version)


def observation_changed(sender, instance, raw=False, **kwargs):
    """Keep the coverage summary (see models.Coverage) in step with every saved or deleted figure."""
    if raw:
        return  # loaddata: restore_data recounts everything once at the end
    from .models import Coverage

    Coverage.objects.refresh_for([instance])


def connect_signals():
    from countries.models import Area

    from .models import Indicator, Observation, Source

    post_save.connect(observation_changed, sender=Observation, dispatch_uid="coverage-save")
    post_delete.connect(observation_changed, sender=Observation, dispatch_uid="coverage-delete")
    for model in (Area, Indicator, Source, Observation):
        post_save.connect(data_changed, sender=model, dispatch_uid=f"data-version-save-{model.__name__}")
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"data-version-delete-{model.__name__}")


def cached_response(view):
    """Mark a public page's 200 responses to be kept whole by PageCacheMiddleware.

    Only views so marked are ever kept: nothing on them depends on the visitor (no session, no
    CSRF token, no message), only on the address, the host and the data.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.smedash_keep = True
        return response

    return wrapper


def _page_key(request):
    """The cache key of a page's whole response, or None for an address not to be kept."""
    if request.method not in ("GET", "HEAD"):
        return None
    try:
        if not PAGE_PARAMETERS.issuperset(request.GET):
            return None
    except SuspiciousOperation:
        # Too many fields: not kept. The view reads the query again, after LocaleMiddleware, so
        # that the 400 comes in the page's language.
        return None
    # The host: pages show their own absolute address. The path and query carry the language
    # (/en/, /ar/, /fa/) and the whole selection.
    address = f"{request.get_host()}{request.get_full_path()}"
    return f"smedash:response:{hashlib.sha256(address.encode()).hexdigest()}"


class PageCacheMiddleware:
    """Answer a public page from the cache before the rest of the stack runs, and keep it.

    A kept page costs one round trip to the cache (the data version and the page, read
    together): no URL resolving, session, query, template or chart. A page is kept with the data
    version it was built from and used only while that is still the version, so any change to the
    data makes every kept page stale at once, on every server. It sits after the security and CSP
    middleware, which add their headers afresh to every answer, and keeps the headers the ones
    after it added (X-Frame-Options, Content-Language, Vary).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = _page_key(request)
        if key is None:
            return self.get_response(request)
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or data_version()
        kept = found.get(key)
        if kept is not None and kept[0] == version:
            _version, content, headers = kept
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        if (
            getattr(response, "smedash_keep", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            headers = {name: value for name, value in response.headers.items() if name.lower() != "set-cookie"}
            cache.set(key, (version, response.content, headers), RESPONSE_SECONDS)
        return response
