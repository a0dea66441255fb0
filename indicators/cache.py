"""One number that changes whenever the published data may have changed.

Cached pages, JSON and PNG renderings put ``data_version()`` in their cache keys, so any save or
delete of an area, indicator, source or observation makes every cached rendering stale at once:
no list of keys to hunt down. With a shared cache (Redis) this holds across processes.
"""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone

VERSION_KEY = "smedash:data-version"
RESPONSE_SECONDS = 600
KEPT_HEADERS = ("Content-Type", "Content-Disposition")
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
    """Keep a public page's whole response until the data changes (or RESPONSE_SECONDS pass).

    A cached visit costs one round trip to the cache (the data version and the page, read
    together): no query, no template, no chart built. The page is kept with the data version it
    was built from and used only while that is still the version. The key holds the host (pages
    show their own absolute address) and the path with its query, which carries the language
    (/en/, /ar/, /fa/) and the whole selection. Only 200s are kept; nothing on these pages depends
    on the visitor (no session, no CSRF token), and the security and CSP headers are added afresh
    by the middleware on every answer.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not PAGE_PARAMETERS.issuperset(request.GET):
            return view(request, *args, **kwargs)
        address = f"{request.get_host()}{request.get_full_path()}"
        key = f"smedash:response:{hashlib.sha256(address.encode()).hexdigest()}"
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or data_version()
        kept = found.get(key)
        if kept is not None and kept[0] == version:
            _version, content, headers = kept
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            cache.set(key, (version, response.content, headers), RESPONSE_SECONDS)
        return response

    return wrapper
