"""Chart images (PNG) drawn on the server by Chromium through kaleido, for download and sharing.

A chart view builds its Plotly figure and hands it to ``png_response``, which validates the
size, answers from the cache when it can, and otherwise renders with the worker's Chromium:

    def compare_png(request, indicator):
        def build():
            fig = charts.compare_figure(...)
            return png.decorate_for_export(fig, source_line=[...], last_changed=..., url=..., lang=...)
        return png.png_response(request, build, filename=f"smedash-{indicator}.png",
                                cache_key_parts=("compare", indicator, *area_codes))

One warm Chromium per worker process, started by the first render (3-4 s) and reused (about
0.3 s a render). kaleido's own ``start_sync_server()``/``calc_fig_sync()`` would give that, but
its call waits on a queue with no timeout and never returns once the browser has died or failed
to start; so kaleido's async API runs on an event loop of our own in a background thread, which
gives every render a deadline, and a dead or stuck browser is killed and replaced.
"""

import asyncio
import atexit
import contextlib
import hashlib
import html
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import kaleido
import plotly
import plotly.graph_objects as go
from choreographer.browsers.chromium import Chromium
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from kaleido.errors import JavascriptError, KaleidoError
from persiantools import digits

from .cache import data_version

logger = logging.getLogger(__name__)

# The page's font first; the others draw Arabic script correctly too, should Vazirmatn be missing.
EXPORT_FONT_FAMILY = "Vazirmatn, 'Noto Sans Arabic', 'DejaVu Sans', sans-serif"
FONTS_CONF = Path(__file__).with_name("fonts.conf")
# The plotly.js that ships with plotly.py: no CDN, and the version the figures were built for.
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_TIMEOUT = 20.0  # gunicorn kills a worker after 30 s (gunicorn.conf.py); stop well before
DEFAULT_CONCURRENCY = 2  # one rendering, one waiting its turn; more would only queue up workers

LIMITS = {"width": (300, 2400), "height": (200, 2400), "scale": (1, 3)}
# Width and height not given: the figure's own layout.width/height, else 1000 x 600.
DEFAULT_SIZE = {"width": None, "height": None, "scale": Decimal(1)}
FALLBACK_WIDTH, FALLBACK_HEIGHT = 1000, 600
CACHE_SECONDS = 7 * 24 * 60 * 60  # entries go stale with the data version, not with age
RETRY_AFTER = "5"

RLI, LRI, FSI, PDI = "\u2067", "\u2066", "\u2068", "\u2069"
RTL_LANGUAGES = ("ar", "fa")


class RenderError(Exception):
    """The image could not be made: the browser crashed or refused the figure."""


class BrowserUnavailable(RenderError):
    """There is no browser at the configured path, or it will not start."""


class RenderTimeout(RenderError):
    """Starting the browser and drawing took longer than the time allowed."""


def _setting(name, default):
    """A Django setting if the project defines it, else the environment, else the default."""
    return getattr(settings, name, None) or os.environ.get(name) or default


def chromium_path():
    return str(_setting("SMEDASH_CHROMIUM", DEFAULT_CHROMIUM))


def render_timeout():
    return float(_setting("SMEDASH_PNG_TIMEOUT", DEFAULT_TIMEOUT))


# The browser -----------------------------------------------------------------------------------


class _FontconfigChromium(Chromium):
    """Chromium that finds Vazirmatn through our fonts.conf, in its own environment only."""

    def get_env(self):
        env = super().get_env()
        env["FONTCONFIG_FILE"] = str(FONTS_CONF)
        return env


def _kill_process_group(process):
    # choreographer starts the browser (via a small wrapper) in a session of its own, so the
    # group holds the wrapper, Chromium and Chromium's helpers, and nothing of ours. Killed even
    # when the wrapper has exited: a killed Chromium leaves its helper processes behind.
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(timeout=5)


class _Browser:
    """This process's Chromium, driven by kaleido on an event loop in a background thread.

    The lock serialises renders: kaleido has one tab, and starting or replacing the browser
    must not happen twice at once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None  # the process the loop belongs to: a forked worker starts its own
        self._loop = None
        self._thread = None
        self._kaleido = None
        self._path = None

    def render(self, figure, opts, timeout):
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise RenderTimeout("waited too long for the browser")
        try:
            browser = self._ready(deadline)
            try:
                return self._run(browser.calc_fig(figure, opts), deadline)
            except (KaleidoError, JavascriptError) as error:
                raise RenderError(f"plotly.js refused the figure: {error}") from error
            except RenderTimeout:
                self._discard()  # stuck: the next render needs a new browser
                raise
            except Exception as error:
                self._discard()  # crashed or closed: likewise
                raise RenderError(f"the browser failed: {error!r}") from error
        finally:
            self._lock.release()

    def process_id(self):
        """The wrapper process of the running browser (its group holds Chromium), or None."""
        process = getattr(self._kaleido, "subprocess", None)
        return process.pid if process is not None and process.poll() is None else None

    def stop(self):
        with self._lock:
            if self._pid == os.getpid():
                self._discard()

    def _ready(self, deadline):
        if self._pid != os.getpid() or not (self._thread and self._thread.is_alive()):
            # First use in this process (or after a fork): the parent's browser is not ours.
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="png-chromium", daemon=True)
            self._thread.start()
            self._pid, self._kaleido = os.getpid(), None
        path = chromium_path()
        if self._kaleido is not None and (self._kaleido.subprocess.poll() is not None or self._path != path):
            self._discard()
        if self._kaleido is None:
            self._start(path, deadline)
        return self._kaleido

    def _start(self, path, deadline):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserUnavailable(f"no browser at {path}")
        try:
            self._kaleido = kaleido.Kaleido(
                path=path, browser_cls=_FontconfigChromium, plotlyjs=str(PLOTLY_JS), mathjax=False, timeout=None
            )
            self._path = path
            self._run(self._kaleido.open(), deadline)
        except RenderTimeout:
            self._discard()
            raise
        except Exception as error:  # not found, failed to start, closed at once: all "unavailable"
            self._discard()
            raise BrowserUnavailable(f"the browser did not start: {error!r}") from error
        logger.info("png: Chromium started (%s)", path)

    def _run(self, coroutine, deadline):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=max(deadline - time.monotonic(), 0))
        except TimeoutError:
            future.cancel()
            raise RenderTimeout("the browser took too long") from None

    def _discard(self):
        browser, self._kaleido = self._kaleido, None
        if browser is None:
            return
        # Kill first: closing politely waits seconds for a stuck browser. Then let kaleido and
        # choreographer tidy up their pipes and temporary directory.
        _kill_process_group(getattr(browser, "subprocess", None))
        if hasattr(browser, "subprocess"):
            future = asyncio.run_coroutine_threadsafe(browser.close(), self._loop)
            try:
                future.result(timeout=5)
            except Exception as error:  # tidying up a dead browser: nothing more to do
                future.cancel()
                logger.warning("png: closing the old browser failed: %r", error)


_browser = _Browser()
atexit.register(_browser.stop)
_slots = threading.BoundedSemaphore(int(_setting("SMEDASH_PNG_CONCURRENCY", DEFAULT_CONCURRENCY)))


# Rendering -------------------------------------------------------------------------------------


def _render(figure_dict, opts, timeout):
    """The one place a browser draws: tests count calls here to see cache hits."""
    return _browser.render(figure_dict, opts, timeout)


def stored_key(cache_key, *, width, height, scale):
    digest = hashlib.sha256(str(cache_key).encode()).hexdigest()[:40]
    return f"smedash:png:{data_version()}:{digest}:{width or 'auto'}x{height or 'auto'}@{scale}"


def render_png(
    figure: go.Figure | dict,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float | Decimal = 1,
    cache_key: str | None = None,
    timeout: float | None = None,
) -> bytes:
    """The figure as PNG bytes of (width x scale) by (height x scale) pixels, in Vazirmatn.

    Without width or height, the figure's layout.width/height is used, else 1000 x 600.
    With ``cache_key`` (anything that identifies the figure: view, language, filters), the bytes
    are cached under it, the size and ``data_version()``. Raises BrowserUnavailable, RenderTimeout
    or RenderError; every one leaves the next call free to succeed.
    """
    key = stored_key(cache_key, width=width, height=height, scale=scale) if cache_key is not None else None
    if key and (png := cache.get(key)) is not None:
        return png
    figure_dict = figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)
    layout = dict(figure_dict.get("layout") or {})
    layout["font"] = {**(layout.get("font") or {}), "family": EXPORT_FONT_FAMILY}
    figure_dict["layout"] = layout
    width = width or layout.get("width") or FALLBACK_WIDTH
    height = height or layout.get("height") or FALLBACK_HEIGHT
    opts = {"format": "png", "width": int(width), "height": int(height), "scale": float(scale)}
    png = _render(figure_dict, opts, render_timeout() if timeout is None else timeout)
    if key:
        cache.set(key, png, CACHE_SECONDS)
    return png


def stop_browser():
    """Close this process's Chromium (it starts again on the next render)."""
    _browser.stop()


# Captions --------------------------------------------------------------------------------------


def escape_text(text):
    """Plotly reads '<' as the start of a tag (links, styles): show such text literally."""
    return html.escape(str(text), quote=False)


def isolate(text, lang):
    """Wrap text right-to-left (RLI…PDI) in Arabic and Persian: Plotly lays SVG text out left to
    right, which puts a trailing '.' or '٪' and Latin-first phrases at the wrong end."""
    return f"{RLI}{text}{PDI}" if lang in RTL_LANGUAGES else text


def local_digits(text, lang):
    text = str(text)
    if lang == "fa":
        return digits.en_to_fa(text)
    if lang == "ar":
        return digits.fa_to_ar(digits.en_to_fa(text))
    return text


def decorate_for_export(
    fig: go.Figure,
    *,
    source_line: str | Sequence[str] | None,
    last_changed: date | datetime | str | None,
    url: str | None,
    lang: str,
) -> go.Figure:
    """Add a caption under the chart, so that the image explains itself once shared alone.

    Up to three lines: the source(s), the date the data last changed and the page's address;
    right-aligned in Arabic and Persian, left-aligned in English. The bottom margin grows to
    hold them; the caption starts below the figure's own bottom margin (80 px unless set), so a
    figure whose axis labels need more should set ``margin.b``. Changes ``fig`` and returns it.
    """
    rtl = lang in RTL_LANGUAGES
    with translation.override(lang):
        lines = []
        if source_line:
            names = [source_line] if isinstance(source_line, str) else list(source_line)
            if rtl:  # a title in English keeps its own direction inside a right-to-left line
                names = [f"{FSI}{name}{PDI}" for name in names]
            separator = "؛ " if rtl else "; "
            # The same messages as the charts' own notes (indicators/charts.py): one translation.
            label = _("Source: %(sources)s") if len(names) == 1 else _("Sources: %(sources)s")
            lines.append(label % {"sources": separator.join(names)})
        if last_changed:
            if isinstance(last_changed, datetime):
                last_changed = last_changed.date()
            # "22 نوامبر 2026": the month in words cannot be misread, whichever way the line runs.
            day = date_format(last_changed, "DATE_FORMAT") if isinstance(last_changed, date) else str(last_changed)
            lines.append(_("Data last changed: %(date)s") % {"date": local_digits(day, lang)})
    text_lines = [isolate(escape_text(line), lang) for line in lines]
    if url:
        # An address reads left to right in every language.
        text_lines.append(isolate(f"{LRI}{escape_text(url)}{PDI}", lang))
    if not text_lines:
        return fig
    line_height, font_size = 16, 11
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 80
    added = line_height * len(text_lines) + 8
    fig.update_layout(margin_b=bottom + added)
    if fig.layout.height:  # keep the plot as tall as it was; the caption adds to the image
        fig.update_layout(height=fig.layout.height + added)
    fig.add_annotation(
        text="<br>".join(text_lines),
        xref="paper",
        yref="paper",
        x=1 if rtl else 0,
        xanchor="right" if rtl else "left",
        align="right" if rtl else "left",
        y=0,
        yanchor="top",
        yshift=-bottom,
        showarrow=False,
        font={"size": font_size, "color": "#555555"},
    )
    return fig


# The view helper -------------------------------------------------------------------------------


class BadSize(ValueError):
    pass


def parse_size(params):
    """width, height (whole pixels) and scale (1-3, two decimals at most) from the query."""
    size = dict(DEFAULT_SIZE)
    for name, (low, high) in LIMITS.items():
        text = params.get(name, "").strip()
        if not text:
            continue
        if name == "scale":
            message = _("%(name)s must be a number from %(min)s to %(max)s.")
            try:
                value = Decimal(text).quantize(Decimal("0.01")).normalize()
            except InvalidOperation:
                value = None
            valid = value is not None and value.is_finite() and low <= value <= high
        else:
            message = _("%(name)s must be a whole number from %(min)s to %(max)s.")
            valid = text.isascii() and text.isdigit() and len(text) <= 6 and low <= int(text) <= high
            value = int(text) if valid else None
        if not valid:
            raise BadSize(message % {"name": name, "min": low, "max": high})
        size[name] = value
    return size


def _plain(message, status, retry_after=None):
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)
    if retry_after:
        response["Retry-After"] = retry_after
    return response


def png_response(
    request,
    build_figure: Callable[[], go.Figure],
    *,
    filename: str,
    cache_key_parts: Sequence[object],
):
    """The figure ``build_figure()`` returns, as a PNG response; the figure is built only on a miss.

    Query parameters: width (300-2400) and height (200-2400), by default the figure's own size
    or 1000 x 600, and scale (1-3, default 1). The cache key is data_version(), the active language, ``cache_key_parts``
    and the size. Errors are short plain-text messages in the request's language: 400 for a bad
    size, 429 when this process is already drawing (Retry-After), 503 when there is no browser
    or it failed, 504 when drawing took too long.
    """
    try:
        size = parse_size(request.GET)
    except BadSize as error:
        return _plain(str(error), 400)
    cache_key = "/".join([translation.get_language() or "", *map(str, cache_key_parts)])
    png = cache.get(stored_key(cache_key, **size))
    if png is None:
        rate = getattr(settings, "RATELIMIT_EXPENSIVE", None)
        if rate and is_ratelimited(request, group="smedash:png", key="ip", rate=rate, increment=True):
            raise Ratelimited()  # RatelimitMiddleware answers with the site's 429 page
        if not _slots.acquire(blocking=False):
            message = _("Too many chart images are being drawn right now. Please try again in a few seconds.")
            return _plain(message, 429, RETRY_AFTER)
        try:
            png = render_png(build_figure(), cache_key=cache_key, **size)
        except BrowserUnavailable as error:
            logger.error("png: no browser: %s", error)
            message = _(
                "Chart images cannot be drawn on this server at the moment. The interactive chart on the page "
                "shows the same data."
            )
            return _plain(message, 503, "60")
        except RenderTimeout:
            logger.warning("png: timed out: %s", request.path)
            return _plain(_("Drawing the chart image took too long. Please try again in a moment."), 504, RETRY_AFTER)
        except RenderError as error:
            logger.exception("png: render failed: %s", error)
            return _plain(_("The chart image could not be drawn. Please try again."), 503, RETRY_AFTER)
        finally:
            _slots.release()
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    patch_cache_control(response, public=True, max_age=300)
    return response
