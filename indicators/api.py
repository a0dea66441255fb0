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
the data makes every entry stale.
"""

import json
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from countries.models import Area

from . import exports
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
from .cache import cached
from .models import Indicator, Observation, Source
from .params import QueryError
from .text import LANGUAGES, json_number

# Responses -------------------------------------------------------------------------------------


def _error(parameter, message, status=400):
    return JsonResponse({"error": str(message), "parameter": parameter}, status=status)


def message_language(request):
    """The last ``lang`` given when it is a valid one, else the language LocaleMiddleware chose."""
    lang = request.GET.get("lang")
    return lang if lang in LANGUAGES else translation.get_language()


def api_view(form_class):
    """A view of the API whose query ``form_class`` reads; it is called as ``view(request, query)``.

    GET and HEAD only (other methods: 405 with ``Allow: GET, HEAD``; nothing here writes, so no
    CSRF check). A QueryError becomes a 400 in ``message_language``. The answer is made in its
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
            with translation.override(query.get("lang") or DEFAULT_LANG):
                return view(request, query, *args, **kwargs)

        wrapper = csrf_exempt(require_safe(wrapper))
        wrapper.form_class = form_class  # read by indicators.openapi
        wrapper.allowed_parameters = tuple(form_class.base_fields)
        return wrapper

    return decorator


def json_body(document):
    """A JSON answer of the API: the contract version first, then the document."""
    return json.dumps({"version": VERSION, **document}, ensure_ascii=False).encode()


def cached_json(namespace, parts, produce):
    body = cached(f"api:{namespace}", parts, lambda: json_body(produce()), CACHE_SECONDS)
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
    return {"id": obs.pk, **record, "value": json_number(record["value"])}


# Views (in the language of the query: see api_view) --------------------------------------------


@api_view(AreasForm)
def areas(request, query):
    def produce():
        queryset = Area.objects.select_related("parent").order_by("kind", "code")
        if query["kind"]:
            queryset = queryset.filter(kind__in=query["kind"])
        return results([area_json(area) for area in queryset])

    return cached_json("areas", (query["kind"],), produce)


@api_view(IndicatorsForm)
def indicators(request, query):
    def produce():
        return results([indicator_json(indicator) for indicator in Indicator.objects.order_by("position", "code")])

    return cached_json("indicators", (), produce)


@api_view(SourcesForm)
def sources(request, query):
    def produce():
        published = Q(observations__status=Observation.Status.PUBLISHED)
        queryset = Source.objects.annotate(published_count=Count("observations", filter=published))
        return results([source_json(source) for source in queryset.order_by("identifier")])

    return cached_json("sources", (), produce)


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
    return cached_json("observations", tuple(sorted(query.items())), lambda: observations_page(query))


@api_view(NoParametersForm)
def openapi(request, query):
    from .openapi import openapi_document  # here, not above: it reads this module's forms

    body = cached(
        "api:openapi",
        (),
        lambda: json.dumps(openapi_document(), ensure_ascii=False, indent=1).encode(),
        CACHE_SECONDS,
    )
    return HttpResponse(body, content_type="application/json")


# Full-data downloads ---------------------------------------------------------------------------


def json_download(observations, lang=None):
    """The export's JSON document with the contract version first."""
    return exports.json_bytes(observations, lang, head={"version": VERSION})


DOWNLOADS = {
    "csv": (exports.csv_bytes, "text/csv; charset=utf-8"),
    "json": (json_download, "application/json"),
    "xlsx": (exports.xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def expensive_rate(group, request):
    """Read when the request comes, so that tests and deployments can change it."""
    return settings.RATELIMIT_EXPENSIVE


@ratelimit(key="ip", rate=expensive_rate, block=True)
@api_view(DownloadForm)
def download(request, query, fmt):
    lang = query["lang"]  # None: the language-less file (English notes, no name columns)
    produce, content_type = DOWNLOADS[fmt]
    body = cached("api:download", (fmt, lang), lambda: produce(Observation.objects.published(), lang), CACHE_SECONDS)
    response = HttpResponse(body, content_type=content_type)
    filename = f"smedash-observations-{lang}.{fmt}" if lang else f"smedash-observations.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
