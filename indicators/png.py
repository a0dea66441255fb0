"""Chart images (PNG, SVG, PDF): a Plotly figure drawn in the page's font, cached until the data
changes, with a caption that lets the image explain itself once shared alone.

The browser that draws lives in ``indicators.browser``; the HTTP side (size from the query, rate
limit, error pages) in ``indicators.image_views``. A caller that holds a figure calls
``render_png`` (any size); a view that should build its figure only on a cache miss goes through
``image_views.png_response`` (size presets only), which uses ``cache_entry`` and ``draw`` below.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import plotly.graph_objects as go
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import browser, calendars, svg_export
from .cache import cache_key, lookup, store
from .text import FONT_FAMILY, current_lang, escape_plotly, is_rtl, isolate, isolate_ltr, local_digits

# Width and height not given: the figure's own layout.width/height, else 1000 x 600.
FALLBACK_WIDTH, FALLBACK_HEIGHT = 1000, 600
# Entries go stale with the data version (a newer one overwrites the same key: see
# indicators.cache), so age only has to clear out the images of pages nobody asks for any more.
CACHE_SECONDS = 24 * 60 * 60

CAPTION_LINE_HEIGHT, CAPTION_FONT_SIZE, CAPTION_COLOR = 16, 11, "#555555"
DEFAULT_MARGIN_BOTTOM = 80  # plotly.js's own default

# What Chromium (kaleido) can draw, with each format's media type. SVG and PDF are the same figure
# as the PNG, drawn by the same browser: the PDF embeds its fonts (Chromium's printing does), the
# SVG gets the font written into it (``svg_export``), so that both read the same anywhere.
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


# Drawing ---------------------------------------------------------------------------------------


def _render(figure_dict, opts, timeout):
    """The one place a browser draws: tests count calls here to see cache hits."""
    return browser.render(figure_dict, opts, timeout)


def draw(figure: go.Figure | dict, *, width=None, height=None, scale=1, timeout=None, fmt="png") -> bytes:
    """The figure as PNG bytes of (width x scale) by (height x scale) pixels, in the page's font;
    with ``fmt`` "svg" or "pdf", the same figure as a self-contained SVG or a PDF.

    Without width or height, the figure's layout.width/height is used, else 1000 x 600. No
    cache: see ``render_png``. Raises browser.BrowserUnavailable, RenderTimeout or RenderError.
    """
    if fmt not in FORMATS:
        raise ValueError(f"no such image format: {fmt!r}")
    image = _drawn(figure, width, height, scale, timeout, fmt)
    # Plotly's SVG names the font without holding it, and could link out: made self-contained.
    return svg_export.self_contained(image) if fmt == "svg" else image


def page_svg(figure: dict, *, width, height, prefix, attributes, timeout=None) -> str:
    """The figure drawn as SVG markup for a page (``svg_export.for_page``): without the font,
    which the page has, scaled to its box. Raises as ``draw`` does."""
    image = _drawn(figure, width, height, 1, timeout, "svg")
    return svg_export.for_page(image, prefix, attributes)


def _drawn(figure, width, height, scale, timeout, fmt):
    """What the browser draws, as it draws it (see ``draw``)."""
    figure_dict = figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)
    layout = dict(figure_dict.get("layout") or {})
    # The font the page uses, installed for the server's Chromium (fonts.conf): not whatever
    # the figure names, which a visitor's browser may have and the server not.
    layout["font"] = {**(layout.get("font") or {}), "family": FONT_FAMILY}
    figure_dict["layout"] = layout
    width = width or layout.get("width") or FALLBACK_WIDTH
    height = height or layout.get("height") or FALLBACK_HEIGHT
    opts = {"format": fmt, "width": int(width), "height": int(height), "scale": float(scale)}
    return _render(figure_dict, opts, browser.render_timeout() if timeout is None else timeout)


# The cache ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheEntry:
    """Where one image is kept, and what one read of the cache found there (None on a miss).

    ``keep`` stores a new image with the data version read together with the entry, so that an
    image drawn from data that changed meanwhile is stale at once rather than kept as new.
    """

    key: str
    version: object
    found: bytes | None

    def keep(self, png: bytes) -> None:
        store(self.key, png, self.version, CACHE_SECONDS)


def _scale_part(scale):
    """1, 1.0, "1.00" and Decimal(1) are one image: one key."""
    return format(Decimal(str(scale)).normalize(), "f")


def cache_entry(cache_parts, size_name, fmt="png") -> CacheEntry:
    """The cached image of ``cache_parts`` (anything that identifies the figure: view, filters,
    address) at the size named ``size_name`` (a preset's name), in the active language and the
    format ``fmt`` (png, svg, pdf): one round trip to the cache. The key holds no data version, so
    a page has one entry per format, size and language however often the data changes."""
    key = cache_key(fmt, current_lang(), *cache_parts, size_name)
    found, version = lookup(key)
    return CacheEntry(key, version, found)


def render_png(figure: go.Figure | dict, *, width=None, height=None, scale=1, cache_parts=None) -> bytes:
    """The figure as PNG bytes (see ``draw``), kept in the cache under ``cache_parts`` when given.

    The cache is read once: a hit costs no drawing, a miss is drawn and kept until the data
    version changes. Raises browser.BrowserUnavailable, RenderTimeout or RenderError.
    """
    size_name = f"{width}x{height}@{_scale_part(scale)}"
    entry = cache_entry(cache_parts, size_name) if cache_parts is not None else None
    if entry is not None and entry.found is not None:
        return entry.found
    png = draw(figure, width=width, height=height, scale=scale)
    if entry is not None:
        entry.keep(png)
    return png


# The caption -----------------------------------------------------------------------------------


def _caption_lines(last_changed, url):
    """The caption's lines, escaped for Plotly and isolated so that each runs in the reader's
    direction (Plotly lays SVG text out left to right, even on a right-to-left page)."""
    lines = []
    if last_changed:
        if isinstance(last_changed, datetime):
            last_changed = last_changed.date()
        # "22 نوامبر 2026": the month in words cannot be misread, whichever way the line runs.
        day = date_format(last_changed, "DATE_FORMAT") if isinstance(last_changed, date) else str(last_changed)
        line = _("Data last changed: %(date)s") % {"date": local_digits(day)}
        lines.append(isolate(escape_plotly(line)))
    if url:
        # An address reads left to right in every language; with the reader's calendar, so that
        # the page it names writes the years as the image does.
        lines.append(isolate(isolate_ltr(escape_plotly(calendars.with_choice(url)))))
    return lines


def decorate_for_export(fig: go.Figure, *, last_changed: date | datetime | str | None, url: str | None) -> go.Figure:
    """Add a caption under the chart, so that the image explains itself once shared alone.

    Up to two lines, in the active language: the date the data last changed and the page's
    address (the sources are in the figure's own notes); right-aligned in Arabic and Persian,
    left-aligned in English. The bottom margin grows to hold them; the caption starts below the
    figure's own bottom margin (80 px unless set), so a figure whose axis labels need more should
    set ``margin.b``. Changes ``fig`` and returns it.
    """
    lines = _caption_lines(last_changed, url)
    if not lines:
        return fig
    rtl = is_rtl()
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else DEFAULT_MARGIN_BOTTOM
    added = CAPTION_LINE_HEIGHT * len(lines) + 8
    fig.update_layout(margin_b=bottom + added)
    if fig.layout.height:  # keep the plot as tall as it was; the caption adds to the image
        fig.update_layout(height=fig.layout.height + added)
    fig.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=1 if rtl else 0,
        xanchor="right" if rtl else "left",
        align="right" if rtl else "left",
        y=0,
        yanchor="top",
        yshift=-bottom,
        showarrow=False,
        font={"size": CAPTION_FONT_SIZE, "color": CAPTION_COLOR},
    )
    return fig
