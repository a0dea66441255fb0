"""The read-only JSON API (/api/v1/…) and the full-data downloads, as plain Django views.

Each address reads its query with one Django form (``AreasForm``, ``ObservationsForm``…), through
``params.read``: a bad value is a 400 with a message naming the parameter, never a 500, and an
unknown parameter is refused too, so that a typo (``years_from``) cannot silently return
everything. The same forms give the OpenAPI document (``indicators.openapi``) its parameters,
their types, enums and bounds, so the description cannot drift from what is accepted.

Every JSON body carries ``"version": VERSION``, the version of this contract. Only GET and HEAD
are answered; any other method is a 405 with ``Allow: GET, HEAD``.

Answers are cached with ``indicators.cache.cached`` under the *normalised* query and the language
of the answer, so ``?area=jpn,IRN`` and ``?area=IRN&area=JPN`` share one entry, and any change to
the data makes every entry stale. Each miss counts against the client's ``RATELIMIT_UNCACHED``;
past it the answer is a 429 (``Retry-After``) in the error format, while answers already in the
cache are still served to every client, this one included.
"""

import json
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from countries.models import Area

from . import calendars, download_jobs, exports
from .api_params import (
    CACHE_SECONDS,
    DEFAULT_LANG,
    VERSION,
    AreasForm,
    DownloadForm,
    IndicatorsForm,
    NoParametersForm,
    ObservationsForm,
    SourcesForm,
    read_query,
)
from .cache import UncachedWorkLimited, cached, data_version
from .formatting import format_number
from .models import Indicator, Observation, Source
from .params import QueryError
from .presenters import year_fields
from .text import LANGUAGES, json_number

# Responses -------------------------------------------------------------------------------------


def _error(parameter, message, status=400):
    return JsonResponse({"error": str(message), "parameter": parameter}, status=status)


def _refusal(message, status, retry_after):
    """A 429 or 503 that is no fault of the query: when to ask again, and why, in the API's shape."""
    response = JsonResponse(
        {"error": message, "parameter": None}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    response["Retry-After"] = str(retry_after)
    return response


def too_much_uncached_work(request, seconds):
    """429: the client has asked for too many answers that had to be computed (RATELIMIT_UNCACHED)."""
    with translation.override(message_language(request)):
        message = _(
            "Too many requests from your address needed an answer computed afresh. Please try again in "
            "%(seconds)s seconds; answers that are already prepared are still served at once."
        ) % {"seconds": format_number(seconds)}
    return _refusal(message, 429, seconds)


def message_language(request):
    """The last ``lang`` given when it is a valid one, else the language LocaleMiddleware chose."""
    lang = request.GET.get("lang")
    return lang if lang in LANGUAGES else translation.get_language()


def api_view(form_class):
    """A view of the API whose query ``form_class`` reads; it is called as ``view(request, query)``.

    GET and HEAD only (other methods: 405 with ``Allow: GET, HEAD``; nothing here writes, so no
    CSRF check). A QueryError becomes a 400 in ``message_language``; too much uncached work
    (UncachedWorkLimited, from ``cached``) a 429 in that language too. The answer is made in its
    ``lang`` (default English), activated here and only here: ``cached`` keys entries by it.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            with translation.override(message_language(request)):
                try:
                    query = read_query(form_class, request.GET)
                except QueryError as error:
                    return _error(error.parameter, error.messages[0])
            try:
                # The answer's language and calendar (None: the language's default), as the pages'.
                with translation.override(query.get("lang") or DEFAULT_LANG), calendars.override(query.get("calendar")):
                    return view(request, query, *args, **kwargs)
            except UncachedWorkLimited as limited:
                return too_much_uncached_work(request, limited.retry_after)

        wrapper = csrf_exempt(require_safe(wrapper))
        wrapper.form_class = form_class  # read by indicators.openapi
        wrapper.allowed_parameters = tuple(form_class.base_fields)
        return wrapper

    return decorator


def json_body(document):
    """A JSON answer of the API: the contract version first, then the document."""
    return json.dumps({"version": VERSION, **document}, ensure_ascii=False).encode()


def cached_json(request, namespace, parts, produce):
    """The answer kept for ``parts``, else ``produce()``'s, counted against the client's limit."""
    body = cached(f"api:{namespace}", parts, lambda: json_body(produce()), CACHE_SECONDS, request=request)
    return HttpResponse(body, content_type="application/json")


def results(items):
    return {"count": len(items), "results": items}


# Serialisation ---------------------------------------------------------------------------------


def area_json(area):
    return {
        "code": area.code,
        "kind": area.kind,
        "name": area.name,
        "parent": area.parent.code if area.parent else None,
    }


def indicator_json(indicator):
    return {
        "code": indicator.code,
        "name": indicator.name,
        "description": indicator.description,
        "unit": indicator.unit,
        "headline": indicator.headline,
        "position": indicator.position,
    }


def source_json(source):
    return {
        "identifier": source.identifier,
        "title": source.title,
        "summary": source.summary,
        "kind": source.kind,
        "language": source.language,
        "publisher": source.publisher,
        "date": source.date_known,
        "url": source.url,
        "observations": source.published_count,
    }


def observation_json(obs):
    record = exports.observation_record(obs, names=True)
    years = year_fields(obs)  # in the answer's language and calendar (``calendar=``)
    return {
        "id": obs.pk,
        **record,
        "value": json_number(record["value"]),
        "year_display": years["year_display"],
        "year_solar_hijri": years["year_solar_hijri"],
    }


# Views (in the language of the query: see api_view) --------------------------------------------


@api_view(AreasForm)
def areas(request, query):
    def produce():
        queryset = Area.objects.select_related("parent").order_by("kind", "code")
        if query["kind"]:
            queryset = queryset.filter(kind__in=query["kind"])
        return results([area_json(area) for area in queryset])

    return cached_json(request, "areas", (query["kind"],), produce)


@api_view(IndicatorsForm)
def indicators(request, query):
    def produce():
        return results([indicator_json(indicator) for indicator in Indicator.objects.order_by("position", "code")])

    return cached_json(request, "indicators", (), produce)


@api_view(SourcesForm)
def sources(request, query):
    def produce():
        published = Q(observations__status=Observation.Status.PUBLISHED)
        queryset = Source.objects.annotate(published_count=Count("observations", filter=published))
        return results([source_json(source) for source in queryset.order_by("identifier")])

    return cached_json(request, "sources", (), produce)


def filter_observations(query):
    """Published observations matching the query; a year filter leaves out figures with no year."""
    queryset = Observation.objects.published()
    for parameter, lookup in (
        ("area", "area__code__in"),
        ("indicator", "indicator__code__in"),
        ("source", "source__identifier__in"),
        ("scope", "scope__in"),
    ):
        if query[parameter]:
            queryset = queryset.filter(**{lookup: query[parameter]})
    if query["year_from"]:
        queryset = queryset.filter(year__gte=query["year_from"])
    if query["year_to"]:
        queryset = queryset.filter(year__lte=query["year_to"])
    return queryset


def page_link(query, offset):
    """A relative link to another page of the same query (relative: cached bodies name no host)."""
    params = {key: ",".join(value) if isinstance(value, list) else value for key, value in query.items()}
    params["offset"] = offset
    params = {key: value for key, value in params.items() if value not in ("", None)}
    return reverse("api:observations") + "?" + urlencode(params)


def observations_page(query):
    queryset = filter_observations(query)
    count = queryset.count()
    limit, offset = query["limit"], query["offset"]
    items = [observation_json(obs) for obs in exports.export_queryset(queryset)[offset : offset + limit]]
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next": page_link(query, offset + limit) if offset + limit < count else None,
        "previous": page_link(query, max(offset - limit, 0)) if offset > 0 else None,
        "results": items,
    }


@api_view(ObservationsForm)
def observations(request, query):
    return cached_json(request, "observations", tuple(sorted(query.items())), lambda: observations_page(query))


@api_view(NoParametersForm)
def openapi(request, query):
    from .openapi import openapi_document  # here, not above: it reads this module's forms

    body = cached(
        "api:openapi",
        (),
        lambda: json.dumps(openapi_document(), ensure_ascii=False, indent=1).encode(),
        CACHE_SECONDS,
        request=request,
    )
    return HttpResponse(body, content_type="application/json")


# Full-data downloads ---------------------------------------------------------------------------

# CSV and JSON are streamed from the database, a chunk of rows at a time (constant memory; the
# header leaves at once), on every request: the rate limit bounds what one address can ask for,
# and a body of 300,000 rows has no place in the cache. The workbook takes about a minute to write
# at that size, so it is built once per data version and language into a file
# (``exports.build_stored_xlsx``) and served from there: in the request when the data is small
# enough to be written well within gunicorn's 30 s; else by the background worker, queued by the
# first request that finds it missing, or by ``manage.py build_downloads``, while requests get a
# 503 saying the CSV and JSON are ready (``download_jobs``: one build at a time, on every server).
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_INLINE_ROWS = 10_000  # up to this many rows the workbook is built in the request (~2 s)


def json_stream(observations, lang=None):
    """The export's JSON document with the contract version first."""
    return exports.json_stream(observations, lang, head={"version": VERSION})


STREAMED = {"csv": (exports.csv_stream, "text/csv; charset=utf-8"), "json": (json_stream, "application/json")}


def expensive_rate(group, request):
    """Read when the request comes, so that tests and deployments can change it."""
    return settings.RATELIMIT_EXPENSIVE


@ratelimit(key="ip", rate=expensive_rate, block=True)
@api_view(DownloadForm)
def download(request, query, fmt):
    lang = query["lang"]  # None: the language-less file (English notes, no name columns)
    if fmt == "xlsx":
        response = xlsx_download(request, lang)
    else:
        produce, content_type = STREAMED[fmt]
        # HEAD: the same headers, and no query at all.
        body = produce(Observation.objects.published(), lang) if request.method == "GET" else iter(())
        response = StreamingHttpResponse(body, content_type=content_type)
    if response.status_code == 200:
        filename = f"smedash-observations-{lang}.{fmt}" if lang else f"smedash-observations.{fmt}"
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_download(request, lang):
    """The stored workbook of the current data version, built first if it is small (see above)."""
    version = data_version()
    stream = _open(exports.stored_xlsx_path(version, lang))
    if stream is None:
        if Observation.objects.published().count() > XLSX_INLINE_ROWS:
            return _not_built(request, version, lang)
        started = download_jobs.build_stored_workbook(version, lang)
        if started is not True:
            return _being_built(request, started)
        stream = _open(exports.stored_xlsx_path(version, lang))
        if stream is None:  # built, then replaced by a newer version's build at once
            return _being_built(request, 5)
    return FileResponse(stream, content_type=XLSX_CONTENT_TYPE)


def _open(path):
    try:
        return open(path, "rb")  # noqa: SIM115 (FileResponse closes it); once open, a deletion cannot hurt
    except FileNotFoundError:
        return None


def _not_built(request, version, lang):
    """A large workbook not built yet for this data version: the worker builds it (queued by the
    first request that finds it missing; see download_jobs)."""
    download_jobs.queue_workbook(version, lang)
    with translation.override(message_language(request)):
        message = _(
            "The Excel workbook of this much data is being prepared on the server and is not ready yet: "
            "try again in a few minutes. The CSV and JSON downloads are ready now."
        )
    return _refusal(message, 503, 300)


def _being_built(request, seconds):
    with translation.override(message_language(request)):
        message = _(
            "The Excel workbook of the current data is being prepared. Please try again in about %(seconds)s "
            "seconds; the CSV and JSON downloads are ready now."
        ) % {"seconds": format_number(seconds)}
    return _refusal(message, 503, seconds)
