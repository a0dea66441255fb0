"""One number that changes whenever the published data may have changed.

Cached pages, JSON and PNG renderings put ``data_version()`` in their cache keys, so any save or
delete of an area, indicator, source or observation makes every cached rendering stale at once:
no list of keys to hunt down. With a shared cache (Redis) this holds across processes.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

VERSION_KEY = "smedash:data-version"


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


def connect_signals():
    from countries.models import Area

    from .models import Indicator, Observation, Source

    for model in (Area, Indicator, Source, Observation):
        post_save.connect(data_changed, sender=model, dispatch_uid=f"data-version-save-{model.__name__}")
        post_delete.connect(data_changed, sender=model, dispatch_uid=f"data-version-delete-{model.__name__}")
