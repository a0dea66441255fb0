"""A chart page's chart drawn on the server as SVG, written into the page (issue 16).

plotly.js is most of a chart page's weight and of its work on a phone: running it and drawing
takes over half a second of a slow phone's main thread. So the page carries its chart already
drawn: the page's own figure, drawn by the server's Chromium (``png.page_svg``) at a few widths in
each of its two layouts, as inline SVG that uses the page's fonts and colours (dark mode
included: ``svg_export.for_page``). static/js/chart.js shows the drawing made for the chart's
width, and runs plotly.js only when the reader reaches for the chart (a pointer over it, a tap, the
keyboard) or when no drawing suits the width; the interactive chart then takes its place.

Drawing takes Chromium about 0.2 s a width, so it is never done in a request: the first request
for a figure queues ``draw_static_chart`` for the background worker (``manage.py db_worker``), below
the imports' priority and never more than MAX_PENDING at once, and gets plotly.js as before; the
page is then kept only briefly (``PENDING_PAGE_SECONDS``), so that the copy with the drawing soon
replaces it. Drawings are kept by the figure's content (its JSON
text): a figure unchanged by a data change keeps its drawing, a changed one gets a new key. A task
backend that cannot run tasks later (ImmediateBackend) would draw in the request: then pages go
without (``SMEDASH_STATIC_CHARTS=0`` turns them off everywhere).
"""

import hashlib
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.utils import timezone
from django.utils.safestring import mark_safe
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from . import png

logger = logging.getLogger(__name__)

# The widths (CSS px) each layout is drawn at: phones (charts 278–396 px wide on 320–430 px
# screens), laptops, and desktop windows (1206 px: the page's widest column, from 1280 px on).
NARROW_WIDTHS = (300, 340, 380)
WIDE_WIDTHS = (1000, 1206)
WIDEST_CHART = 1206  # site.css: .wrap's 78rem, less its padding and the chart's border
# A drawing is shown at widths within this share of the width it was drawn at: its text is then
# within 8 % of the size plotly.js would draw it, so the narrow layout's smallest (12 px) stays
# at 11 px or more on a phone. Elsewhere, plotly.js draws the chart.
SCALE_TOLERANCE = 0.08
REVISION = 1  # part of every key: raise it when the drawing changes, so old ones are not used
CACHE_SECONDS = 24 * 60 * 60  # the figure's text is the key: age only clears unasked ones
QUEUED_SECONDS = 600  # a queued drawing is not queued again for this long (or until it has run)
PENDING_PAGE_SECONDS = 30  # how long a page still waiting for its drawing is kept whole
MAX_PENDING = 50  # figures waiting for the worker at most; more new ones get no drawing for now
FAILED = ""  # kept in a drawing's place when the browser could not draw the figure
FAILED_SECONDS = 3600
TASK_PATH = "indicators.chart_static.draw_static_chart"


def variants(figure):
    """``[(layout, drawn width, shown from, shown below)]``: the drawings a page's figure gets
    (the dict of ``chart_page.figure_json``), each shown at chart widths (CSS px, rounded) in its
    range ``[from, below)``. The ranges do not overlap, and each stays on its side of
    ``wide_min_width``, where the page switches layouts, and within the page's widest column."""
    wide_min = (figure.get("wide_min_width") or 0) if figure.get("narrow") else 0
    kinds = [("wide", WIDE_WIDTHS, wide_min, WIDEST_CHART + 1)]
    if figure.get("narrow"):
        kinds.insert(0, ("narrow", NARROW_WIDTHS, 0, wide_min))
    found = []
    for kind, widths, low, high in kinds:
        ordered = sorted(widths)
        for index, width in enumerate(ordered):
            start = width * (1 - SCALE_TOLERANCE)
            end = width * (1 + SCALE_TOLERANCE)
            if index > 0:  # halfway to the neighbour, where both would do
                start = max(start, (ordered[index - 1] + width) / 2)
            if index + 1 < len(ordered):
                end = min(end, (width + ordered[index + 1]) / 2)
            start, end = round(max(start, low)), round(min(end, high))
            if start < end:
                found.append((kind, width, start, end))
    return found


def _drawings():
    """Where drawings are kept: settings' ``drawings`` cache, which the worker and the page
    servers share (Redis, else files); the default cache where settings name none."""
    return caches["drawings" if "drawings" in settings.CACHES else "default"]


def figure_key(figure_text):
    """The figure's name among drawings: a digest of its text and of how it is drawn."""
    spec = repr((REVISION, NARROW_WIDTHS, WIDE_WIDTHS, SCALE_TOLERANCE, WIDEST_CHART))
    return hashlib.sha256(f"{spec}\n{figure_text}".encode()).hexdigest()[:40]


def drawing_key(key):
    return f"smedash:static-chart:{key}"


def queued_key(key):
    """Where a queued figure's text waits for the worker (the task itself carries only the key)."""
    return f"smedash:static-chart-queued:{key}"


def enabled():
    """Drawings only where the worker draws them (the tasks' queue in the database, run by
    ``manage.py db_worker``: not ImmediateBackend, which would draw in the request) and a cache
    keeps them (not CACHE_DISABLED's dummy cache, which would also forget what is queued)."""
    return (
        getattr(settings, "SMEDASH_STATIC_CHARTS", True)
        and isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)
        and not isinstance(_drawings(), DummyCache)
    )


def page_markup(figure_text):
    """``(markup, waiting)`` for the page's figure (``chart_page.figure_json``'s text): its
    drawings as safe markup for #chart, or None; and whether a drawing is on its way (queued now
    or before), so that the page is kept whole only until it comes (``PENDING_PAGE_SECONDS``)."""
    if not enabled():
        return None, False
    key = figure_key(figure_text)
    markup = _drawings().get(drawing_key(key))
    if markup == FAILED:
        return None, False
    if markup is not None:
        return mark_safe(markup), False  # noqa: S308 (our own drawing, cleaned by svg_export.for_page)
    return None, _queue(key, figure_text)


def _queue(key, figure_text):
    """Queue the figure's drawing, once; True if it is queued (now or before). Not while
    MAX_PENDING drawings wait already: many new views at once (a crawler, a flood of distinct
    queries) then cost the worker and the queue a bounded amount, and the pages beyond it are
    drawn by plotly.js. The text waits in the cache; the task names only its key, so that the
    queue's rows stay small."""
    drawings = _drawings()
    if drawings.get(queued_key(key)) is not None:
        return True
    if DBTaskResult.objects.ready().filter(task_path=TASK_PATH).count() >= MAX_PENDING:
        return False
    if drawings.add(queued_key(key), figure_text, QUEUED_SECONDS) is not True:
        # Queued by another request meanwhile (True), or the cache cannot keep the text for the
        # worker (django-redis answers None while Redis is down): then nothing is queued.
        return drawings.get(queued_key(key)) is not None
    try:
        draw_static_chart.enqueue(key)
    except Exception:  # the page is served with plotly.js all the same
        drawings.delete(queued_key(key))
        logger.exception("static chart: the drawing could not be queued")
        return False
    return True


def drawings_of(figure):
    """The markup of every drawing of ``figure`` (``variants``), one <svg> each."""
    parts = []
    for index, (kind, width, start, end) in enumerate(variants(figure)):
        chosen = figure["narrow"] if kind == "narrow" else figure
        attributes = {
            "class": "chart-static",
            "data-layout": kind,
            "data-min": str(start),
            "data-max": str(end),
            "aria-hidden": "true",  # #chart's label and the table say what it shows
        }
        drawing = {"data": chosen["data"], "layout": chosen["layout"]}  # png copies the layout it changes
        height = chosen["layout"].get("height")
        parts.append(png.page_svg(drawing, width=width, height=height, prefix=f"s{index}-", attributes=attributes))
    return "".join(parts)


# Below the default priority: a large import queued meanwhile runs first.
@task(priority=-50)
def draw_static_chart(key):
    """Draw the queued figure's drawings and keep them (``page_markup`` finds them). A figure
    the browser cannot draw is marked FAILED for FAILED_SECONDS, so that its pages do not queue
    it again at every view; finished drawing tasks older than a day leave the queue's table."""
    drawings = _drawings()
    try:
        figure_text = drawings.get(queued_key(key))
        if figure_text is None:
            return "gone"  # its wait expired, or the cache lost it: the next page view queues it again
        if drawings.get(drawing_key(key)) not in (None, FAILED):
            return "drawn already"
        try:
            markup = drawings_of(json.loads(figure_text))
        except Exception:
            drawings.set(drawing_key(key), FAILED, FAILED_SECONDS)
            raise
        drawings.set(drawing_key(key), markup, CACHE_SECONDS)
        return "drawn"
    finally:
        drawings.delete(queued_key(key))
        old = timezone.now() - timedelta(seconds=CACHE_SECONDS)
        DBTaskResult.objects.finished().filter(task_path=TASK_PATH, finished_at__lt=old).delete()
