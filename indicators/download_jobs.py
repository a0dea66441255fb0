"""The full-data Excel workbook: built once per data version and language, in the request when the
data are small, else by the background worker.

``build_stored_workbook`` writes it into var/downloads/, one build at a time on every server (a
lock in the cache) and in each process. At more rows than ``api.XLSX_INLINE_ROWS`` a workbook
takes longer to build than a request may take: the first request for it finds none for the
current data version, queues ``build_workbook`` once (``queue_workbook``: one task per data
version and language, remembered in the cache) and answers 503 with Retry-After; the worker
(``manage.py db_worker``, started by ``make run`` and ``make serve-prod``) builds it, and the next
request is served from there. ``manage.py build_downloads`` builds them all at once, for
instance after an import.
"""

import logging
import secrets
import threading
import time

from django.core.cache import cache
from django_tasks import task

from . import exports
from .cache import data_version
from .models import Observation

logger = logging.getLogger(__name__)
XLSX_ROWS_PER_SECOND = 5_000  # about how fast a workbook is written, for Retry-After
XLSX_BUILD_SECONDS = 15 * 60  # a build lock left by a killed process expires after this
XLSX_LOCK_KEY = "smedash:xlsx-build"
_building_here = threading.Lock()
QUEUED_SECONDS = 3600  # a queued build is not queued again for this long (or until it has run)


def queued_key(version, lang):
    return f"smedash:xlsx-queued:{version}:{lang or 'none'}"


def queue_workbook(version, lang):
    """Queue the build of this version's workbook, unless it is queued already: True if queued now."""
    if cache.add(queued_key(version, lang), True, QUEUED_SECONDS) is False:
        return False
    try:
        build_workbook.enqueue(version, lang)
    except Exception:
        cache.delete(queued_key(version, lang))
        logger.exception("download xlsx-%s-%s: the build could not be queued", version, lang or "all")
        raise
    return True


@task()
def build_workbook(version, lang):
    """Build the stored workbook, unless the data have moved on (a newer version needs its own)."""
    try:
        if data_version() != version:
            return "stale"
        built = build_stored_workbook(version, lang)
        return "built" if built is True else f"another build is under way ({built} s)"
    finally:
        cache.delete(queued_key(version, lang))


def build_stored_workbook(version, lang):
    """Build the stored workbook of ``version`` and ``lang`` now, unless a build is under way:
    True when built, else the seconds until the other build should be done."""
    if not _building_here.acquire(blocking=False):
        return _seconds_left(cache.get(XLSX_LOCK_KEY))
    try:
        token, rows = secrets.token_hex(8), Observation.objects.published().count()
        lock = {"token": token, "started": time.time(), "seconds": max(5, rows // XLSX_ROWS_PER_SECOND)}
        if cache.add(XLSX_LOCK_KEY, lock, XLSX_BUILD_SECONDS) is False:  # None: no cache to ask; build
            return _seconds_left(cache.get(XLSX_LOCK_KEY))
        try:
            started = time.monotonic()
            exports.build_stored_xlsx(version, Observation.objects.published(), lang, stale_after=XLSX_BUILD_SECONDS)
            logger.info("download xlsx-%s-%s built in %.1f s", version, lang or "all", time.monotonic() - started)
        finally:
            if (cache.get(XLSX_LOCK_KEY) or {}).get("token") == token:
                cache.delete(XLSX_LOCK_KEY)
        return True
    finally:
        _building_here.release()


def _seconds_left(lock):
    if not lock:
        return 5
    return max(5, round(lock["started"] + lock["seconds"] - time.time()))
