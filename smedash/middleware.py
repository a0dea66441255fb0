import logging
import re

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _

from indicators import calendars
from indicators.cache import PAGE_SECONDS, UncachedWorkLimited, cache_key, keep_page, kept_page
from indicators.formatting import format_number

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """While the database is down or restarting, answer 503 with a page that needs no database.

    Only connection-level failures are caught (OperationalError, InterfaceError); other database
    errors are bugs and must surface. Django's persistent connections with health checks
    (CONN_HEALTH_CHECKS) reconnect by themselves once the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            logger.warning("database unavailable: %s", exception)
            response = render(request, "503.html", status=503)
            response["Retry-After"] = "10"
            return response
        return None


# The parameters public pages read. An address with any other is answered but not kept, so that
# made-up query strings cannot fill the cache with copies of the same page.
PAGE_PARAMETERS = {"areas", "year", "scope", "page", "figure", "calendar"}


# Public pages live under a language prefix; the admin under it is never kept.
_PUBLIC_PAGE = re.compile(r"^/(en|ar|fa)/(?!admin/)")


def _page_key(request):
    """The cache key of a page's whole response, or None for an address not to be kept."""
    if request.method not in ("GET", "HEAD") or not _PUBLIC_PAGE.match(request.path):
        return None
    try:
        if not PAGE_PARAMETERS.issuperset(request.GET):
            return None
    except SuspiciousOperation:
        # Too many fields: not kept. The view reads the query again, after LocaleMiddleware, so
        # that the 400 comes in the page's language.
        return None
    # The path and query carry the language (/en/, /ar/, /fa/) and the whole selection. Pages
    # show their own absolute address: from SITE_URL when it is set (production), else from the
    # request's host, which is then part of the key.
    return cache_key("response", getattr(settings, "SITE_URL", "") or request.get_host(), request.get_full_path())


class PageCacheMiddleware:
    """Answer a public page from the cache before the rest of the stack runs, and keep it.

    A kept page costs at most one round trip to the cache, none when this process has a copy of it
    (indicators.cache.kept_page): no URL resolving, session, query, template or chart. Only
    responses of views marked with ``indicators.cache.cached_response`` are kept. It sits after the
    security and CSP middleware, which add their headers afresh to every answer, and keeps the
    headers the ones after it added (X-Frame-Options, Content-Language, Vary).

    A page built afresh counts against the client's RATELIMIT_UNCACHED (``cached_response``);
    past it, ``process_exception`` answers a 429 page in the visitor's language and the site's
    layout (``errors`` for the JSON twins, their error shape), with ``Retry-After``, and keeps
    nothing. Kept pages are still served to every client, this one included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The reader's calendar (?calendar=) travels like the language: active for this request
        # only, in the cache key, and carried into the page's links (indicators.calendars).
        try:
            query = request.GET
        except SuspiciousOperation:  # too many fields: the view answers the 400
            query = None
        with calendars.activate_from_query(query):
            return self._answer(request)

    def _answer(self, request):
        key = _page_key(request)
        if key is None:
            return _carry_calendar(self.get_response(request))
        kept = kept_page(key)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content, headers=headers)
        response = _carry_calendar(self.get_response(request))
        if (
            getattr(response, "smedash_keep", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            headers = {name: value for name, value in response.headers.items() if name.lower() != "set-cookie"}
            # A page may ask to be kept for less (indicators.chart_static: its drawing is coming).
            seconds = getattr(response, "smedash_keep_seconds", PAGE_SECONDS)
            keep_page(key, response.content, headers, response.smedash_version, seconds)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, UncachedWorkLimited):
            return too_much_uncached_work(request, exception.retry_after)
        return None


def _carry_calendar(response):
    """A page's links keep the calendar the address chose (before the page is kept)."""
    if (
        calendars.explicit() is None
        or response.streaming
        or not response.get("Content-Type", "").startswith("text/html")
    ):
        return response
    response.content = calendars.carry_in_links(response.content.decode(response.charset)).encode(response.charset)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response


def too_much_uncached_work(request, seconds):
    """429: too many pages built afresh for this client (RATELIMIT_UNCACHED), in the page's language."""
    message = _(
        "Too many of the pages asked for from your address had to be prepared afresh. Please try again in "
        "%(seconds)s seconds; pages that are already prepared are still shown at once."
    ) % {"seconds": format_number(seconds)}
    if request.path.endswith(".json"):
        response = JsonResponse({"errors": [message]}, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        context = {"title": _("Too many requests"), "message": message, "home": _("Overview of all figures")}
        response = render(request, "429_uncached.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


class PublicGZipMiddleware(GZipMiddleware):
    """Compress the public pages and their JSON twins (about 53 KB of HTML become about 10 KB).

    Only responses that carry nothing secret: a page under a language prefix (never the admin),
    with no CSRF token in it (a page whose template asked for one sets CSRF_COOKIE_USED), no
    cookie set, and no signed-in user (a page served whole from the page cache is the same for
    everyone, so it has none). BREACH recovers a secret from the compressed size of responses that
    also reflect what the attacker sends; with no secret in the body there is nothing to recover.
    Django's GZipMiddleware also pads what it compresses with random bytes (its own BREACH
    mitigation). Sits above PageCacheMiddleware, so kept pages are kept uncompressed and
    compressed on the way out, only for clients that accept gzip.
    """

    def process_response(self, request, response):
        if not _carries_no_secret(request, response):
            return response
        return super().process_response(request, response)


_COMPRESSED_TYPES = ("text/html", "application/json")


def _carries_no_secret(request, response):
    if not _PUBLIC_PAGE.match(request.path) or response.cookies or request.META.get("CSRF_COOKIE_USED"):
        return False
    if not response.get("Content-Type", "").startswith(_COMPRESSED_TYPES):
        return False
    user = getattr(request, "user", None)  # absent when the page came whole from the page cache
    return user is None or not user.is_authenticated
