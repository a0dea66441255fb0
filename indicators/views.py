"""Public pages: thin views. Each reads its query with a form (``params``), gets the page's
presented data (``comparison``, ``pages``) through the cache helper, and renders it as a
template. Its JSON twin, CSV and chart images come from the same data (``export_views``).

How a request becomes a chart, e.g. /fa/compare/firm_share/?areas=IRN,JPN: LocaleMiddleware
activates Persian; ``compare`` reads the query into ``CompareParams`` (a bad one: the default
view with the messages, 400); ``comparison.compare_page`` asks ``selectors`` for rows and shapes
them with ``presenters`` and ``flags``; ``charts.compare_figure`` draws those presented figures;
the template shows the figure, the table and the quotes. ``data.json``, ``data.csv`` and
``chart.png`` beside the page (``export_views``) take the same query and the same presented
data, and so does
``embed/``, the chart alone for other sites to frame (the only pages that may be framed).

Every public page also says what it is to search engines and link previews (``share.page_meta``,
written into <head> by base.html); ``/sitemap.xml`` and ``/robots.txt`` list and point to them.
"""

import json
from functools import wraps

from csp.constants import HEADER as CSP_HEADER
from csp.decorators import csp_replace
from csp.utils import build_policy
from django.conf import settings
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from . import chart_page, chart_static, charts, share
from .cache import cached, cached_response
from .comparison import compare_page
from .image_views import PRESETS
from .pages import about_page, area_page, home_page, source_page, sources_page
from .params import CompareFilterForm, CompareParams, PageForm, QueryError, SourcePageForm, read
from .presenters import NotFound
from .selectors import first_headline_indicator
from .sitemaps import SITEMAPS


def _page(name, parts, build):
    """A page's presented data, kept per data version and language; NotFound becomes a 404."""
    try:
        return cached(name, parts, build)
    except NotFound as error:
        raise Http404(str(error)) from None


# The pages' data, each read with its form: (data, errors). With a bad query, errors are the
# messages for the reader and data is the default view, so that the page still offers its form.


def _compare(request, code):
    try:
        params = CompareParams.from_query(request.GET)
        return _page("compare", (code, params), lambda: compare_page(code, params)), []
    except QueryError as error:
        return _page("compare", (code, CompareParams()), lambda: compare_page(code, CompareParams())), error.messages


def _area(request, code):
    try:
        page = read(PageForm, request.GET)["page"]
        return _page("area", (code, page), lambda: area_page(code, page)), []
    except QueryError as error:
        return _page("area", (code, 1), lambda: area_page(code, 1)), error.messages


def absolute(request, path):
    """A page's public address: SITE_URL (production) or, without it, this request's host."""
    site = getattr(settings, "SITE_URL", "")
    return f"{site.rstrip('/')}{path}" if site else request.build_absolute_uri(path)


def _canonical(response, *addresses):
    """Where the page may be kept whole: the addresses it gives itself (indicators.cache)."""
    response.smedash_canonical = set(addresses)
    return response


# The link preview's image: the chart's PNG in this size (1200 × 630).
SHARE_IMAGE = PRESETS["share"]


def _meta(request, data, canonical_path, chart=False, noindex=False):
    """The page's <head> tags (base.html): description, canonical address, hreflang alternates,
    Open Graph and Twitter card; a chart page's preview image is its PNG in the share size."""
    image_size = (SHARE_IMAGE.width, SHARE_IMAGE.height) if chart else None
    return share.page_meta(data, canonical_path, lambda path: absolute(request, path), image_size, noindex)


def _paged(path, page):
    return path if page == 1 else f"{path}?page={page}"


@require_safe
@cached_response
def home(request):
    try:
        page = read(PageForm, request.GET)["page"]
        data = _page("home", (page,), lambda: home_page(page))
        canonical = _paged(request.path, page)
        response = render(request, "indicators/home.html", {"data": data, "meta": _meta(request, data, canonical)})
        return _canonical(response, canonical)
    except QueryError as error:
        data = _page("home", (1,), lambda: home_page(1))
        context = {"data": data, "errors": error.messages, "meta": _meta(request, data, request.path)}
        return render(request, "indicators/home.html", context, status=400)


@require_safe
def compare_index(request):
    return to_indicators_page(request, "compare")


def to_indicators_page(request, route):
    """A filter form's target when the indicator is chosen in it: on to that indicator's page
    (``route``: compare, trend), with the rest of the query."""
    code = request.GET.get("indicator") or first_headline_indicator()
    if not code:
        return redirect("home")
    query = request.GET.copy()
    query.pop("indicator", None)
    try:
        url = reverse(route, args=[code])
    except NoReverseMatch:  # not a slug, so no indicator's code
        raise Http404(_("There is no indicator with the code “%(code)s”.") % {"code": code[:40]}) from None
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@require_safe
@cached_response
def compare(request, code):
    data, errors = _compare(request, code)
    # The filter shows the view on the page: with a bad query, the default view.
    params = CompareParams(**{key: tuple(v) if key == "areas" else v for key, v in data["params"].items()})
    form = CompareFilterForm(data["indicator"]["code"], params, data["choices"])
    return _chart_page(request, "indicators/compare.html", data, errors, charts.compare_figure, code, {"form": form})


@require_safe
@cached_response
def area(request, code):
    data, errors = _area(request, code)
    context = {"quote_figures": [f for section in data["sections"] for f in section["figures"]]}
    return _chart_page(request, "indicators/area.html", data, errors, charts.area_figure, data["area"]["code"], context)


def _chart_page(request, template, data, errors, build_chart, name, context=None):
    context = {"data": data, **(context or {})}
    if errors:
        context["meta"] = _meta(request, data, data["url"])
        return render(request, template, {**context, "errors": errors}, status=400)
    context["meta"] = _meta(request, data, data["url"], chart=True)
    if data["figures"]:
        _chart(context, build_chart(data), f"smedash-{name}")
        context["share_url"] = absolute(request, data["url"])
        # The "Embed" action (includes/embed_action.html): the <iframe> code, as tall as the embed.
        height = share.chart_height(json.loads(context["chart_json"]))
        context["embed_code"] = share.embed_code(data, lambda path: absolute(request, path), height)
    return _canonical(_kept_while_drawing(render(request, template, context), context), *_addresses(data["url"]))


def _chart(context, figure, filename):
    """The chart's figure for plotly.js, its modebar's texts, and the chart already drawn by the
    worker (``chart_static``; None until it is, and plotly.js draws it at load)."""
    context["chart_json"] = chart_page.figure_json(figure, filename)
    context["plotly_locale"] = chart_page.modebar_locale()
    context["static_chart"], context["drawing_waiting"] = chart_static.page_markup(context["chart_json"])


def _kept_while_drawing(response, context):
    """A page whose chart the worker is about to draw is kept whole only briefly: the copy with
    the drawing replaces it soon after."""
    if context.get("drawing_waiting"):
        response.smedash_keep_seconds = chart_static.PENDING_PAGE_SECONDS
    return response


def _addresses(url):
    """A chart page's own address, and the same with default parameters left out (``?areas=IRN``
    for ``?areas=IRN&year=latest&scope=all``), as people write it."""
    path, _sep, query = url.partition("?")
    parts = query.split("&") if query else []
    addresses = set()
    for omit in ((), ("year=latest",), ("scope=all",), ("year=latest", "scope=all")):
        kept = [part for part in parts if part not in omit]
        addresses.add(f"{path}?{'&'.join(kept)}" if kept else path)
    return addresses


@require_safe
@cached_response
def source_list(request):
    data = _page("sources", (), sources_page)
    return render(request, "indicators/source_list.html", {"data": data, "meta": _meta(request, data, request.path)})


@require_safe
@cached_response
def source(request, identifier):
    try:
        query = read(SourcePageForm, request.GET)
        page, figure = query["page"], query["figure"]
        data = _page("source", (identifier, page, figure), lambda: source_page(identifier, page, figure))
        # ?figure= opens the page a quote is on: that page's own address is the canonical one.
        canonical = _paged(request.path, data["pagination"]["page"])
        response = render(request, "indicators/source.html", {"data": data, "meta": _meta(request, data, canonical)})
        return _canonical(response, _paged(request.path, page))
    except QueryError as error:
        data = _page("source", (identifier, 1, None), lambda: source_page(identifier, 1))
        context = {"data": data, "errors": error.messages, "meta": _meta(request, data, request.path)}
        return render(request, "indicators/source.html", context, status=400)


@require_safe
@cached_response
def about(request):
    data = _page("about", (), about_page)
    return render(request, "indicators/about.html", {"data": data, "meta": _meta(request, data, request.path)})


# The embed views: a chart page's chart for other sites to frame ---------------------------------

# Any site may frame an embed view; every other page keeps frame-ancestors 'none' and
# X-Frame-Options DENY (settings).
FRAME_ANYWHERE = {"frame-ancestors": ["*"]}


def frameable(view):
    """Let other sites frame this view: CSP ``frame-ancestors *`` (django-csp's ``csp_replace``)
    and no X-Frame-Options (``xframe_options_exempt``).

    The policy is also written into the response here: smedash.middleware.PageCacheMiddleware
    keeps a page's headers but not django-csp's per-response attributes, so a kept copy would
    otherwise be served with the site's policy, ``frame-ancestors 'none'``. CSPMiddleware leaves
    a policy the response already has alone."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response[CSP_HEADER] = build_policy(replace=FRAME_ANYWHERE)
        return response

    return xframe_options_exempt(csp_replace(FRAME_ANYWHERE)(wrapper))


@require_safe
@frameable
@cached_response
def compare_embed(request, code):
    return _embed(request, _compare, code, charts.compare_figure, lambda data: data["indicator"]["code"])


@require_safe
@frameable
@cached_response
def area_embed(request, code):
    return _embed(request, _area, code, charts.area_figure, lambda data: data["area"]["code"])


def _embed(request, load, code, build_chart, name):
    """The chart of a page, its notices, flags and sources, and a link to the page; no navigation.
    A bad query or an unknown code: the message, in the frame (400, 404)."""
    template = "indicators/embed.html"
    try:
        data, errors = load(request, code)
    except Http404 as error:
        return render(request, template, {"errors": [str(error)], "home_url": reverse("home")}, status=404)
    context = {
        "data": data,
        "title": share.title_of(data),
        "page_url": absolute(request, data["url"]),
        "meta": _meta(request, data, data["url"], noindex=True),
    }
    if errors:
        return render(request, template, {**context, "errors": errors}, status=400)
    if data["figures"]:
        _chart(context, build_chart(data), f"smedash-{name(data)}")
    response = _kept_while_drawing(render(request, template, context), context)
    return _canonical(response, *_addresses(share.embed_path(data["url"])))


# Search engines: the sitemap and robots.txt -------------------------------------------------------

SITEMAP_SECONDS = 3600  # how long a client (a crawler) may keep them


@require_safe
def sitemap_xml(request):
    """Every public page in the three languages, with its alternates (indicators.sitemaps), kept
    per public address until the data changes."""

    def build():
        return sitemap_view(request, sitemaps=SITEMAPS).render().content

    # The same list whatever the visitor's language: kept once (the key holds the language).
    with translation.override(settings.LANGUAGE_CODE):
        content = cached("sitemap", (absolute(request, "/"),), build, request=request)
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    patch_cache_control(response, public=True, max_age=SITEMAP_SECONDS)
    return response


@require_safe
def robots_txt(request):
    """Crawlers may read every public page; not the admin, nor the API and its downloads."""
    lines = [
        "User-agent: *",
        *(f"Disallow: /{lang}/admin/" for lang, _name in settings.LANGUAGES),
        "Disallow: /api/",
        "",
        f"Sitemap: {absolute(request, reverse('sitemap'))}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=SITEMAP_SECONDS)
    return response
