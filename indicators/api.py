"""The read-only JSON API (/api/v1/…) and the full-data downloads, as plain Django views.

Every parameter is validated: a bad one is a 400 with a message naming it, never a 500, and an
unknown one is refused too, so that a typo (``years_from``) cannot silently return everything.
Responses are cached under ``data_version()`` and the *normalised* query, so ``?area=jpn,IRN``
and ``?area=IRN&area=JPN`` share one entry and any change to the data makes every entry stale.
"""

import hashlib
import json
import re
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from countries.models import Area

from . import exports
from .cache import data_version
from .models import EARLIEST_YEAR, Indicator, Observation, Source
from .openapi import openapi_document

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
LATEST_YEAR = 2100  # the model's CHECK constraint
CACHE_SECONDS = 24 * 60 * 60  # entries go stale with the data version long before this
_CODE = re.compile(r"^[\w.-]{1,120}$")


class BadParameter(Exception):
    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


# Parameters ------------------------------------------------------------------------------------


def _single(params, name):
    values = params.getlist(name)
    if len(values) > 1:
        raise BadParameter(name, _("Give the parameter %(name)s only once.") % {"name": name})
    return values[0].strip() if values else ""


def parse_lang(params, default=None):
    lang = _single(params, "lang") or default
    if lang is not None and lang not in exports.EXPORT_LANGUAGES:
        raise BadParameter(
            "lang", _("lang must be one of %(choices)s.") % {"choices": ", ".join(exports.EXPORT_LANGUAGES)}
        )
    return lang


def parse_int(params, name, *, default, minimum, maximum):
    text = _single(params, name)
    if not text:
        return default
    message = _("%(name)s must be a whole number from %(min)s to %(max)s.") % {
        "name": name,
        "min": minimum,
        "max": maximum,
    }
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        raise BadParameter(name, message)
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadParameter(name, message)
    return value


def parse_codes(params, name, *, upper=False):
    """Codes given as ``?area=IRN,JPN`` or ``?area=IRN&area=JPN``: sorted, without repeats."""
    codes = set()
    for value in params.getlist(name):
        for code in value.split(","):
            code = code.strip()
            if not code:
                continue
            if not _CODE.match(code):
                raise BadParameter(
                    name, _("%(value)s is not a valid code for %(name)s.") % {"value": code, "name": name}
                )
            codes.add(code.upper() if upper else code)
    return sorted(codes)


def check_known(name, codes, known):
    """A code that exists nowhere is a mistake worth a message, not an empty result."""
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise BadParameter(
            name, _("Unknown code for %(name)s: %(codes)s.") % {"name": name, "codes": ", ".join(unknown)}
        )


def _known_codes(queryset, field, codes):
    if not codes:
        return []
    return queryset.filter(**{f"{field}__in": codes}).values_list(field, flat=True)


# Responses -------------------------------------------------------------------------------------


def _error(parameter, message, status=400):
    return JsonResponse({"error": str(message), "parameter": parameter}, status=status)


def api_view(*allowed):
    """A GET-only view whose parameters are ``allowed``; a BadParameter becomes a 400.

    Messages are in ``lang`` when it is valid, else in the language LocaleMiddleware chose.
    """

    def decorator(view):
        @require_safe
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            lang = request.GET.get("lang")
            with translation.override(lang if lang in exports.EXPORT_LANGUAGES else translation.get_language()):
                unknown = sorted(set(request.GET) - set(allowed))
                if unknown:
                    known = ", ".join(allowed) or "—"
                    message = _("Unknown parameter %(name)s. This address takes: %(known)s.")
                    return _error(unknown[0], message % {"name": unknown[0], "known": known})
                try:
                    return view(request, *args, **kwargs)
                except BadParameter as error:
                    return _error(error.parameter, error.message)

        wrapper.allowed_parameters = allowed  # read by the OpenAPI test
        return wrapper

    return decorator


def cache_key(kind, query):
    """data_version() + the normalised query; hashed, as the query may be long."""
    normalised = urlencode(sorted(query.items()), doseq=True)
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:40]
    return f"smedash:api:{data_version()}:{kind}:{digest}"


def cached_body(kind, query, produce):
    key = cache_key(kind, query)
    body = cache.get(key)
    if body is None:
        body = produce()
        cache.set(key, body, CACHE_SECONDS)
    return body


def cached_json(kind, query, produce):
    body = cached_body(kind, query, lambda: json.dumps(produce(), ensure_ascii=False).encode())
    return HttpResponse(body, content_type="application/json")


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
    return {"id": obs.pk, **record, "value": exports.json_number(record["value"])}


# Views -----------------------------------------------------------------------------------------


@api_view("lang", "kind")
def areas(request):
    lang = parse_lang(request.GET, "en")
    kinds = parse_codes(request.GET, "kind")
    check_known("kind", kinds, Area.Kind.values)
    query = {"lang": lang, "kind": kinds}

    def produce():
        with translation.override(lang):
            queryset = Area.objects.select_related("parent").order_by("kind", "code")
            if kinds:
                queryset = queryset.filter(kind__in=kinds)
            results = [area_json(area) for area in queryset]
        return {"count": len(results), "results": results}

    return cached_json("areas", query, produce)


@api_view("lang")
def indicators(request):
    lang = parse_lang(request.GET, "en")

    def produce():
        with translation.override(lang):
            results = [indicator_json(indicator) for indicator in Indicator.objects.order_by("position", "code")]
        return {"count": len(results), "results": results}

    return cached_json("indicators", {"lang": lang}, produce)


@api_view("lang")
def sources(request):
    lang = parse_lang(request.GET, "en")

    def produce():
        published = Q(observations__status=Observation.Status.PUBLISHED)
        queryset = Source.objects.annotate(published_count=Count("observations", filter=published))
        with translation.override(lang):
            results = [source_json(source) for source in queryset.order_by("identifier")]
        return {"count": len(results), "results": results}

    return cached_json("sources", {"lang": lang}, produce)


OBSERVATION_PARAMETERS = ("area", "indicator", "source", "scope", "year_from", "year_to", "lang", "limit", "offset")


def observation_query(params):
    """The validated, normalised filters of /observations, as a dict (the cache key's source)."""
    query = {
        "area": parse_codes(params, "area", upper=True),
        "indicator": parse_codes(params, "indicator"),
        "source": parse_codes(params, "source"),
        "scope": parse_codes(params, "scope"),
        "year_from": parse_int(params, "year_from", default=None, minimum=EARLIEST_YEAR, maximum=LATEST_YEAR),
        "year_to": parse_int(params, "year_to", default=None, minimum=EARLIEST_YEAR, maximum=LATEST_YEAR),
        "lang": parse_lang(params, "en"),
        "limit": parse_int(params, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=10**9),
        "offset": parse_int(params, "offset", default=0, minimum=0, maximum=10**9),
    }
    query["limit"] = min(query["limit"], MAX_LIMIT)
    if query["year_from"] and query["year_to"] and query["year_from"] > query["year_to"]:
        raise BadParameter("year_to", _("year_to must not be before year_from."))
    check_known("scope", query["scope"], Observation.Scope.values)
    check_known("area", query["area"], _known_codes(Area.objects, "code", query["area"]))
    check_known("indicator", query["indicator"], _known_codes(Indicator.objects, "code", query["indicator"]))
    check_known("source", query["source"], _known_codes(Source.objects, "identifier", query["source"]))
    return query


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
    with translation.override(query["lang"]):
        results = [observation_json(obs) for obs in exports.export_queryset(queryset)[offset : offset + limit]]
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next": page_link(query, offset + limit) if offset + limit < count else None,
        "previous": page_link(query, max(offset - limit, 0)) if offset > 0 else None,
        "results": results,
    }


@api_view(*OBSERVATION_PARAMETERS)
def observations(request):
    query = observation_query(request.GET)
    return cached_json("observations", query, lambda: observations_page(query))


@api_view()
def openapi(request):
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False, "indent": 1})


# Full-data downloads ---------------------------------------------------------------------------

DOWNLOADS = {
    "csv": (exports.csv_bytes, "text/csv; charset=utf-8"),
    "json": (exports.json_bytes, "application/json"),
    "xlsx": (exports.xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def expensive_rate(group, request):
    """Read when the request comes, so that tests and deployments can change it."""
    return settings.RATELIMIT_EXPENSIVE


@ratelimit(key="ip", rate=expensive_rate, block=True)
@api_view("lang")
def download(request, fmt):
    lang = parse_lang(request.GET)
    produce, content_type = DOWNLOADS[fmt]
    body = cached_body(
        "download", {"format": fmt, "lang": lang or ""}, lambda: produce(Observation.objects.published(), lang)
    )
    response = HttpResponse(body, content_type=content_type)
    filename = f"smedash-observations-{lang}.{fmt}" if lang else f"smedash-observations.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
