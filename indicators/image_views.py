"""Chart images over HTTP: the size asked for, the cache, the rate limit and the error answers.

A chart view hands ``png_response`` a function that builds its figure for the size asked for;
the figure is built only on a cache miss:

    def compare_png(request, indicator):
        def build(size):
            fig = charts.compare_figure(..., width=size["width"] or charts.WIDTH)
            return png.decorate_for_export(fig, last_changed=..., url=...)
        return image_views.png_response(request, build, filename=f"smedash-{indicator}.png",
                                         cache_parts=("compare", indicator, *area_codes))

Errors are short plain-text messages in the request's language: 400 for a bad size, 429 when
this process is already drawing as much as it may (Retry-After), 503 when there is no browser or
it failed, 504 when drawing took too long.
"""

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

import plotly.graph_objects as go
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from . import browser, png
from .params import QueryError, read

logger = logging.getLogger(__name__)

LIMITS = {"width": (300, 2400), "height": (200, 2400), "scale": (1, 3)}
RETRY_AFTER = "5"  # seconds: a render takes well under one once the browser is warm
RETRY_AFTER_UNAVAILABLE = "60"  # no browser: it will not appear in a few seconds
BROWSER_CACHE_SECONDS = 300
RATE_GROUP = "smedash:png"


# The size asked for ----------------------------------------------------------------------------


class _SizeField(forms.Field):
    """A size parameter, named in its message (the query's own word, which people typed)."""

    message = ""  # marked with gettext_noop, translated when raised (in the request's language)

    def __init__(self, name, low, high):
        super().__init__(required=False)
        self.name, self.low, self.high = name, low, high

    def invalid(self):
        return forms.ValidationError(_(self.message) % {"name": self.name, "min": self.low, "max": self.high})


class PixelsField(_SizeField):
    """Whole pixels in ASCII digits; empty means the figure's own size (None)."""

    message = gettext_noop("%(name)s must be a whole number from %(min)s to %(max)s.")

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit() and len(text) <= 6 and self.low <= int(text) <= self.high):
            raise self.invalid()
        return int(text)


class ScaleField(_SizeField):
    """A factor for both sides (a sharper image for print or high-density screens), rounded to
    two decimals; empty means 1."""

    message = gettext_noop("%(name)s must be a number from %(min)s to %(max)s.")

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return Decimal(1)
        try:
            scale = Decimal(text).quantize(Decimal("0.01")).normalize()
        except InvalidOperation:  # "two", "inf", or too many digits to round
            raise self.invalid() from None
        if not (scale.is_finite() and self.low <= scale <= self.high):
            raise self.invalid()
        return scale


class ImageSizeForm(forms.Form):
    """``width`` (300-2400) and ``height`` (200-2400), whole pixels, by default the figure's own
    size (None); ``scale`` (1-3, at most two decimals), by default 1."""

    width = PixelsField("width", *LIMITS["width"])
    height = PixelsField("height", *LIMITS["height"])
    scale = ScaleField("scale", *LIMITS["scale"])


# The response ---------------------------------------------------------------------------------


def _plain(message, status, retry_after=None):
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)
    if retry_after:
        response["Retry-After"] = retry_after
    return response


def _check_rate(request):
    """Count a render against the client's address; raise Ratelimited (the site's 429 page,
    from RatelimitMiddleware) past the limit. Only renders count: a cached image costs nothing."""
    rate = getattr(settings, "RATELIMIT_EXPENSIVE", None)
    if rate and is_ratelimited(request, group=RATE_GROUP, key="ip", rate=rate, increment=True):
        raise Ratelimited()


def _draw(request, build_figure, size):
    """(PNG bytes, None) or (None, the error response), once a drawing slot is held."""
    try:
        return png.draw(build_figure(size), **size), None
    except browser.BrowserUnavailable as error:
        logger.error("png: no browser: %s", error)
        message = _(
            "Chart images cannot be drawn on this server at the moment. The interactive chart on the page "
            "shows the same data."
        )
        return None, _plain(message, 503, RETRY_AFTER_UNAVAILABLE)
    except browser.RenderTimeout:
        logger.warning("png: timed out: %s", request.path)
        message = _("Drawing the chart image took too long. Please try again in a moment.")
        return None, _plain(message, 504, RETRY_AFTER)
    except browser.RenderError as error:
        logger.exception("png: render failed: %s", error)
        return None, _plain(_("The chart image could not be drawn. Please try again."), 503, RETRY_AFTER)


def png_response(
    request,
    build_figure: Callable[[dict], go.Figure],
    *,
    filename: str,
    cache_parts: Sequence[object],
) -> HttpResponse:
    """The figure ``build_figure(size)`` returns, as a PNG response; built only on a cache miss.

    ``size`` is ImageSizeForm's cleaned data (width and height None when not asked for). The
    image is cached per active language, ``cache_parts`` (normalised: they are the key) and size,
    until the data changes; the cache is read once per request.
    """
    try:
        size = read(ImageSizeForm, request.GET)
    except QueryError as error:
        return _plain("\n".join(error.messages), 400)
    entry = png.cache_entry(cache_parts, **size)
    image = entry.found
    if image is None:
        _check_rate(request)
        if not browser.slots.acquire(blocking=False):
            message = _("Too many chart images are being drawn right now. Please try again in a few seconds.")
            return _plain(message, 429, RETRY_AFTER)
        try:
            image, failure = _draw(request, build_figure, size)
        finally:
            browser.slots.release()
        if failure is not None:
            return failure
        entry.keep(image)
    response = HttpResponse(image, content_type="image/png")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    patch_cache_control(response, public=True, max_age=BROWSER_CACHE_SECONDS)
    return response
