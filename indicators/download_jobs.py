"""The full-data Excel workbook of a large data set, built by the background worker.

At more rows than ``api.XLSX_INLINE_ROWS`` a workbook takes longer to build than a request may
take. The first request for it finds none for the current data version, queues ``build_workbook``
once (``queue_workbook``: one task per data version and language, remembered in the cache) and
answers 503 with Retry-After; the worker (``manage.py db_worker``, started by ``make run`` and
``make serve-prod``) builds it into var/downloads/, and the next request is served from there.
``manage.py build_downloads`` builds them all at once, for instance after an import.
"""

import logging

from django.core.cache import cache
from django_tasks import task

from . import api
from .cache import data_version

logger = logging.getLogger(__name__)
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
        built = api.build_workbook(version, lang)
        return "built" if built is True else f"another build is under way ({built} s)"
    finally:
        cache.delete(queued_key(version, lang))
