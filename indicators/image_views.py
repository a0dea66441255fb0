"""Chart images over HTTP: the size preset asked for, the cache, the limits and the error answers.
PNG, SVG and PDF alike (``png.FORMATS``): the same figure, presets, slots, limits and cache.

A chart view hands ``png_response`` a function that builds its figure for the size asked for;
the figure is built only on a cache miss:

    def compare_png(request, indicator):
        def build(size):
            fig = charts.compare_figure(..., width=size["width"] or charts.WIDTH)
            return png.decorate_for_export(fig, last_changed=..., url=...)
        return image_views.png_response(request, build, filename=f"smedash-{indicator}.png",
                                         cache_parts=("compare", indicator, *area_codes))

Sizes are a few named presets (``size=small|medium|large|share``), not any width x height x
scale: a few presets bound the pixels one request can ask the browser for, and the number of
cached images per page (presets x languages).

Drawing is limited twice, and both limits answer at once rather than make a worker wait:

- site-wide, a few drawing slots (``SMEDASH_PNG_CONCURRENCY``, default 1) kept in the shared
  cache (Redis in production), so that however many worker processes and servers there are, at
  most that many are drawing; the others keep serving pages;
- in this process, one render at a time (kaleido drives one browser tab).

Errors are short plain-text messages in the request's language: 400 for a bad size, 429 when no
drawing slot is free (Retry-After), 503 when there is no browser, it failed or the shared cache
is unreachable, 504 when drawing took too long.
"""

import logging
import math
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import plotly.graph_objects as go
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from . import browser, png
from .params import QueryError, read

logger = logging.getLogger(__name__)

RETRY_AFTER = "5"  # seconds: a render takes well under one once the browser is warm
RETRY_AFTER_UNAVAILABLE = "60"  # no browser (or no shared cache): it will not be back in seconds
BROWSER_CACHE_SECONDS = 300
RATE_GROUP = "smedash:png"


# The size asked for ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """One image size: width and height in CSS pixels (height None: the figure's own, which grows
    with its notes), and ``scale`` device pixels per CSS pixel."""

    name: str
    width: int
    height: int | None
    scale: int


PRESETS = {
    preset.name: preset
    for preset in (
        Preset("small", 800, None, 1),  # a narrow column, a slide
        Preset("medium", 1000, None, 1),  # about the chart on the page: the default
        Preset("large", 1000, None, 2),  # the same layout with twice the pixels: print, dense screens
        Preset("share", 1200, 630, 1),  # a link preview (the 1.91:1 of Open Graph images)
    )
}
DEFAULT_PRESET = "medium"
# The free sizes of before: refused, with a message naming the presets, rather than silently
# answered with another size than the one asked for.
RETIRED_PARAMETERS = ("width", "height", "scale")


def preset_names():
    return ", ".join(PRESETS)


class PresetField(forms.Field):
    """``size``: one of PRESETS' names (any case, spaces around ignored); empty is the default."""

    def __init__(self):
        super().__init__(required=False)

    def to_python(self, value):
        text = (value or "").strip().lower()
        if not text:
            return PRESETS[DEFAULT_PRESET]
        if text not in PRESETS:
            raise forms.ValidationError(_("size must be one of %(choices)s.") % {"choices": preset_names()})
        return PRESETS[text]


class RetiredField(forms.Field):
    """A parameter no longer taken: any value is a mistake, explained (empty is ignored)."""

    def __init__(self, name):
        super().__init__(required=False)
        self.name = name

    def to_python(self, value):
        if (value or "").strip():
            message = _("%(name)s is no longer accepted: choose the image size with size, one of %(choices)s.")
            raise forms.ValidationError(message % {"name": self.name, "choices": preset_names()})


class ImageSizeForm(forms.Form):
    """``size``, one of PRESETS (by default ``medium``); ``width``, ``height`` and ``scale`` are
    refused."""

    size = PresetField()
    width = RetiredField("width")
    height = RetiredField("height")
    scale = RetiredField("scale")


# Drawing slots ------------------------------------------------------------------------------------

DEFAULT_CONCURRENCY = 1  # renders at once, site-wide: on 2 cores, one for Chromium, one for pages
SLOT_KEY = "smedash:png-slot:{}"
SLOT_MARGIN = 10  # seconds a slot outlives the render timeout: time to build the figure and answer


class SharedCacheUnavailable(Exception):
    """The shared cache did not answer, so no slot can be counted."""


@dataclass(frozen=True)
class Slot:
    key: str
    token: str


def concurrency():
    """Renders allowed at once across every process and server sharing the cache."""
    value = getattr(settings, "SMEDASH_PNG_CONCURRENCY", None) or os.environ.get("SMEDASH_PNG_CONCURRENCY")
    return max(1, int(value or DEFAULT_CONCURRENCY))


def slot_seconds():
    """How long a slot is held at most: a worker that dies holding one cannot keep it longer."""
    return math.ceil(browser.render_timeout() + SLOT_MARGIN)


def take_slot(token=None):
    """A site-wide drawing slot (``Slot``), or None when all are taken; never waits.

    Each slot is one key in the shared cache, taken with ``cache.add`` (atomic: Redis SET NX),
    holding a token of its holder and expiring after ``slot_seconds()``. Raises
    SharedCacheUnavailable when the cache does not answer: django-redis with IGNORE_EXCEPTIONS
    returns None from ``add`` then (False means taken). That fails closed: without Redis every
    PNG would be a cache miss and the rate limits are off (they fail open), which is exactly
    when rendering in every worker would take the site down; the pages keep working.
    """
    token = token or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
    seconds = slot_seconds()
    for number in range(concurrency()):
        key = SLOT_KEY.format(number)
        taken = cache.add(key, token, timeout=seconds)
        if taken is None:
            raise SharedCacheUnavailable(key)
        if taken:
            return Slot(key, token)
    return None


def release_slot(slot):
    """Free ``slot`` if it is still ours. Not atomic (read, then delete): another holder can only
    have it if ours expired first, i.e. after the render timeout plus SLOT_MARGIN, which the
    render's own deadline prevents."""
    if cache.get(slot.key) == slot.token:
        cache.delete(slot.key)


# One render at a time in this process (kaleido has one tab): a second request is turned away at
# once rather than left waiting for the browser's lock while it holds a worker and a slot.
process_slot = threading.BoundedSemaphore(1)


# The response ---------------------------------------------------------------------------------


def _plain(message, status, retry_after=None):
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)
    if retry_after:
        response["Retry-After"] = retry_after
    return response


def _unavailable():
    return _plain(
        _(
            "Chart images cannot be drawn on this server at the moment. The interactive chart on the page "
            "shows the same data."
        ),
        503,
        RETRY_AFTER_UNAVAILABLE,
    )


def _busy():
    message = _("Too many chart images are being drawn right now. Please try again in a few seconds.")
    return _plain(message, 429, RETRY_AFTER)


def _check_rate(request):
    """Count a render against the client's address; raise Ratelimited (the site's 429 page,
    from RatelimitMiddleware) past the limit. Only renders count: a cached image costs nothing."""
    rate = getattr(settings, "RATELIMIT_EXPENSIVE", None)
    if rate and is_ratelimited(request, group=RATE_GROUP, key="ip", rate=rate, increment=True):
        raise Ratelimited()


def _draw(request, build_figure, preset, fmt="png"):
    """(image bytes, None) or (None, the error response), once a drawing slot is held."""
    try:
        figure = build_figure(asdict(preset))
        return png.draw(figure, width=preset.width, height=preset.height, scale=preset.scale, fmt=fmt), None
    except browser.BrowserUnavailable as error:
        logger.error("png: no browser: %s", error)
        return None, _unavailable()
    except browser.RenderTimeout:
        logger.warning("png: timed out: %s", request.path)
        message = _("Drawing the chart image took too long. Please try again in a moment.")
        return None, _plain(message, 504, RETRY_AFTER)
    except browser.RenderError as error:
        logger.exception("png: render failed: %s", error)
        return None, _plain(_("The chart image could not be drawn. Please try again."), 503, RETRY_AFTER)


def _draw_in_slots(request, build_figure, preset, fmt="png"):
    """Like ``_draw``, holding this process's slot and a site-wide one; a 429 (or 503) at once
    when either is not free."""
    if not process_slot.acquire(blocking=False):
        return None, _busy()
    try:
        try:
            slot = take_slot()
        except SharedCacheUnavailable:
            logger.error("png: the shared cache is unavailable: no drawing slot can be counted")
            return None, _unavailable()
        if slot is None:
            return None, _busy()
        try:
            return _draw(request, build_figure, preset, fmt)
        finally:
            release_slot(slot)
    finally:
        process_slot.release()


# An SVG opened from this site is a document of its own: no script may run in it whatever it
# held, and it needs nothing but its inline styles and the font inside it (svg_export).
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:"


def png_response(
    request,
    build_figure: Callable[[dict], go.Figure],
    *,
    filename: str,
    cache_parts: Sequence[object],
    fmt: str = "png",
) -> HttpResponse:
    """The figure ``build_figure(size)`` returns, as a PNG response (or, with ``fmt``, SVG or
    PDF: ``png.FORMATS``); built only on a cache miss.

    ``size`` is the preset asked for as a dict: ``name``, ``width``, ``height`` (None: the
    figure's own) and ``scale``. The image is cached per active language, ``cache_parts``
    (normalised: they are the key), format and preset name, until the data changes; the cache
    is read once per request.
    """
    try:
        preset = read(ImageSizeForm, request.GET)["size"]
    except QueryError as error:
        return _plain("\n".join(error.messages), 400)
    entry = png.cache_entry(cache_parts, preset.name, fmt)
    image = entry.found
    if image is None:
        _check_rate(request)
        image, failure = _draw_in_slots(request, build_figure, preset, fmt)
        if failure is not None:
            return failure
        entry.keep(image)
    response = HttpResponse(image, content_type=png.FORMATS[fmt])
    if fmt == "svg":
        response["Content-Security-Policy"] = SVG_POLICY
    response["Content-Disposition"] = content_disposition_header(False, filename)
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response
