"""What a page tells other sites about itself, in the active language: the title and description
that search engines and link previews (Open Graph, Twitter cards) show, its canonical address
and the same page in the other languages (hreflang), and the ``<iframe>`` code that embeds a
chart page elsewhere.

Everything here is built from a page's presented data (``comparison``, ``pages``); addresses
are made absolute by the ``absolute(path)`` function the view passes in (SITE_URL, or the
request's host), so that this module knows nothing of HTTP.
"""

from html import escape
from urllib.parse import urlsplit

from django.urls import translate_url
from django.utils import translation
from django.utils.translation import gettext as _

from . import calendars
from .formatting import format_number, format_year
from .text import LANGUAGES, current_lang

# og:locale: language_TERRITORY, as Facebook's list has them.
OG_LOCALES = {"en": "en_US", "ar": "ar_AR", "fa": "fa_IR"}
# The language whose address doubles as x-default, without its prefix (as django.contrib.sitemaps
# writes it): LocaleMiddleware sends such an address on to the reader's own language.
X_DEFAULT_LANGUAGE = "en"
NAMES_IN_DESCRIPTION = 5  # areas (or indicators) named in a description; the rest are counted

# The embed's height in the <iframe> code: the chart's own height, in the layout it takes in a
# column of EMBED_COLUMN px (an article's), and what the embed shows above and under it (measured
# in Chromium at 760 px: about 30 px a line), within these bounds.
EMBED_COLUMN = 760
EMBED_MIN_HEIGHT = 400
EMBED_MAX_HEIGHT = 2400
EMBED_FRAME = 80  # the page's padding, the source line and the link to the full page
EMBED_LINE = 30  # a notice, a mark of the flag legend, a figure not charted
EMBED_SECTION = 50  # the box of the notices, the heading of the flag legend or of the figures not charted


# --- titles and descriptions --------------------------------------------------------------------------


def title_of(data):
    """The page's title for a link preview (without the site's name)."""
    kind = data["kind"]
    if kind == "compare":
        return data["indicator"]["name"]
    if kind == "trend":
        return _("%(indicator)s over the years") % {"indicator": data["indicator"]["name"]}
    if kind == "area":
        return _("%(area)s: shares held by small and medium enterprises") % {"area": data["area"]["name"]}
    if kind == "source":
        return data["source"]["title"]
    if kind == "sources":
        return _("Sources")
    if kind == "about":
        return _("About the figures")
    return _("SME statistics by country")


def describe(data):
    """The page's description (meta description, og:description), in the active language: for a
    chart, what it shows (indicator, areas, years)."""
    kind = data["kind"]
    if kind == "compare":
        return _describe_comparison(data)
    if kind == "trend":
        return _describe_trend(data)
    if kind == "area":
        return _describe_area(data)
    if kind == "source":
        return _("%(title)s: the figures on small and medium enterprises taken from it, each with its quote.") % {
            "title": data["source"]["title"]
        }
    if kind == "sources":
        return _("The documents the figures come from, with how many figures each of them gives.")
    if kind == "about":
        return _(
            "How the figures are gathered and what they mean: the indicators, why SME definitions differ, years "
            "and calendars, bounds and estimates, and how far the figures can be trusted."
        )
    return _(
        "Statistics on small and medium enterprises by country, in English, Arabic and Persian: their share of "
        "firms, employment, value added, output and exports, every figure with its source and quote."
    )


def _describe_comparison(data):
    figures = data["figures"] + data["not_charted"]
    if not figures:
        return data["indicator"]["description"] or title_of(data)
    areas = _names(dict.fromkeys(f["area"]["name"] for f in figures))
    text = _("%(indicator)s: %(areas)s (%(years)s).") % {
        "indicator": data["indicator"]["name"],
        "areas": areas,
        "years": years_label(figures),
    }
    return f"{text} {_('Every figure with its source and the sentence it was taken from.')}"


def _describe_trend(data):
    """A trend: the indicator, its areas and the years its lines span."""
    figures = data["figures"] + data["undated"] + data["not_charted"]
    if not figures:
        return data["indicator"]["description"] or title_of(data)
    text = _("%(indicator)s over the years: %(areas)s (%(years)s).") % {
        "indicator": data["indicator"]["name"],
        "areas": _names(series["area"]["name"] for series in data["series"]),
        "years": years_label(figures),
    }
    return f"{text} {_('Every figure with its source and the sentence it was taken from.')}"


def _describe_area(data):
    figures = [f for section in data["sections"] for f in section["figures"]]
    if not figures:
        return _("Figures on small and medium enterprises in %(area)s, each with its source.") % {
            "area": data["area"]["name"]
        }
    text = _("%(area)s: %(indicators)s (%(years)s).") % {
        "area": data["area"]["name"],
        "indicators": _names([section["indicator"]["name"] for section in data["sections"] if section["figures"]]),
        "years": years_label(figures),
    }
    return f"{text} {_('Every figure with its source and the sentence it was taken from.')}"


def _names(names):
    """Up to NAMES_IN_DESCRIPTION names, then how many more."""
    names = list(names)
    shown = _(", ").join(names[:NAMES_IN_DESCRIPTION])
    if len(names) <= NAMES_IN_DESCRIPTION:
        return shown
    return _("%(names)s and %(count)s more") % {
        "names": shown,
        "count": format_number(len(names) - NAMES_IN_DESCRIPTION),
    }


def years_label(figures):
    """The years of ``figures`` in the reader's digits: one year, the first and last, or 'year not
    stated' when none gives one."""
    years = sorted({f["year"] for f in figures if f["year"] is not None})
    if not years:
        return format_year(None)
    if len(years) == 1:
        return format_year(years[0])
    return _("%(first)s–%(last)s") % {"first": format_year(years[0]), "last": format_year(years[-1])}


def image_alt(data):
    """What the preview image shows, for those who cannot see it."""
    figures = data["figures"]
    if data["kind"] == "trend":
        return _("Line chart: %(title)s (%(years)s).") % {"title": title_of(data), "years": years_label(figures)}
    return _("Bar chart: %(title)s (%(years)s).") % {"title": title_of(data), "years": years_label(figures)}


# --- addresses ---------------------------------------------------------------------------------------


def alternates(path, absolute):
    """The same page in every language, then x-default: [{"lang", "url"}], absolute. ``path`` is
    the page's canonical address (path and query) in any language."""
    # translate_url resolves the path in the active language: the path's own.
    with translation.override(translation.get_language_from_path(path) or current_lang()):
        paths = {lang: translate_url(path, lang) for lang in LANGUAGES}
    links = [{"lang": lang, "url": absolute(paths[lang])} for lang in LANGUAGES]
    default = paths[X_DEFAULT_LANGUAGE].replace(f"/{X_DEFAULT_LANGUAGE}/", "/", 1)
    return [*links, {"lang": "x-default", "url": absolute(default)}]


def embed_path(page_url):
    """The embed view of a chart page: ``/fa/compare/firm_share/embed/?areas=IRN`` for
    ``/fa/compare/firm_share/?areas=IRN``."""
    path, _sep, query = page_url.partition("?")
    return f"{path.rstrip('/')}/embed/" + (f"?{query}" if query else "")


def share_image_path(png_url):
    """The chart's PNG in the link-preview size (image_views' ``share`` preset)."""
    return f"{png_url}{'&' if '?' in png_url else '?'}size=share"


# --- the whole set of tags ------------------------------------------------------------------------------


def page_meta(data, canonical_path, absolute, image_size=None, noindex=False):
    """What base.html writes into <head>: title and description, the canonical address and its
    alternates in the other languages, Open Graph and Twitter card tags. A chart page with figures
    (``image_size``: the preview PNG's width and height) also names its preview image."""
    lang = current_lang()
    title = title_of(data)
    meta = {
        "title": title,
        "description": describe(data),
        "canonical": absolute(canonical_path),
        "alternates": alternates(canonical_path, absolute),
        "locale": OG_LOCALES[lang],
        "locale_alternates": [OG_LOCALES[other] for other in LANGUAGES if other != lang],
        "site_name": _("SMEdash"),
        "type": "website",
        "noindex": noindex,
        "image": None,
        "twitter_card": "summary",
    }
    if image_size and data.get("figures"):
        width, height = image_size
        meta["image"] = {
            "url": absolute(share_image_path(data["png_url"])),
            "width": width,
            "height": height,
            "alt": image_alt(data),
        }
        meta["twitter_card"] = "summary_large_image"
    return meta


# --- embedding ------------------------------------------------------------------------------------------


def chart_height(chart):
    """The chart's height in a column of EMBED_COLUMN px: ``chart`` is what the page gives
    plotly.js (``chart_page.figure_json``), whose narrow layout is drawn below ``wide_min_width``."""
    narrow = (chart.get("narrow") or {}).get("layout", {}).get("height")
    if narrow and (chart.get("wide_min_width") or 0) > EMBED_COLUMN:
        return narrow
    return chart["layout"].get("height") or 0


def embed_height(height, data):
    """A sensible height (CSS px) for the <iframe>: the chart (``height``) and what the embed shows
    above and under it (views.compare_embed, views.area_embed)."""
    total = int(height or 0) + EMBED_FRAME
    for lines in (data.get("notices"), data.get("flag_legend"), data.get("not_charted")):
        if lines:
            total += EMBED_SECTION + EMBED_LINE * len(lines)
    return max(EMBED_MIN_HEIGHT, min(EMBED_MAX_HEIGHT, total))


def embed_code(data, absolute, height):
    """The <iframe> code that embeds the chart page in another site: plain text to copy (a
    template escapes it once more to show it), its attributes escaped; then the script that
    keeps the frame as tall as the embed view (``resize_script``). The reader's calendar choice goes
    with the address: the code is text in a textarea, which ``calendars.carry_in_links`` leaves alone."""
    code = '<iframe src="{}" title="{}" width="100%" height="{}" style="border: 0; max-width: 100%;" loading="lazy">'
    frame = (
        code.format(
            _attribute(absolute(calendars.with_choice(embed_path(data["url"])))),
            _attribute(f"{title_of(data)} · {_('SMEdash')}"),
            embed_height(height, data),
        )
        + "</iframe>"
    )
    return f"{frame}\n{resize_script(absolute('/'))}"


# The frame's height, from the message the embed view posts (static/js/embed.js): only from this
# site's origin and from a frame of the page, within bounds. A site that strips scripts keeps the
# iframe's own height (``embed_height``).
RESIZE_SCRIPT = (
    "<script>addEventListener('message',function(e){{var d=e.data;"
    "if(e.origin!=='{origin}'||!d||d.type!=='smedash:embed-height')return;"
    "[].forEach.call(document.getElementsByTagName('iframe'),function(f){{"
    "if(f.contentWindow===e.source)f.style.height=Math.min(Math.max(+d.height||0,{low}),{high})+'px'}})}})</script>"
)


def resize_script(site_address):
    """The <iframe> code's script, for the site at ``site_address`` (absolute)."""
    parts = urlsplit(site_address)
    origin = f"{parts.scheme}://{parts.netloc}".replace("'", "%27").replace("<", "%3C")
    return RESIZE_SCRIPT.format(origin=origin, low=EMBED_MIN_HEIGHT // 2, high=EMBED_MAX_HEIGHT * 2)


def _attribute(text):
    """A value for a double-quoted attribute: &, <, > and " escaped (an apostrophe is left as it is
    written, for people to read the code)."""
    return escape(text, quote=False).replace('"', "&quot;")
