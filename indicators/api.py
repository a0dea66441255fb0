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
import re
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from countries.models import Area

from . import exports
from .cache import cached
from .models import EARLIEST_YEAR, LATEST_YEAR, Indicator, Observation, Source
from .params import QueryError, read
from .text import LANGUAGES, json_number

# The version of the contract: the fields of every answer and what the parameters mean. It goes
# up (with a new /api/vN/) only for a change an existing client could misread; new fields and
# new parameters keep it.
VERSION = 1
ALLOWED_METHODS = ("GET", "HEAD")
DEFAULT_LANG = "en"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
CACHE_SECONDS = 24 * 60 * 60  # entries go stale with the data version long before this
_CODE = re.compile(r"^[\w.-]{1,120}$")


# Parameters: one form per address ---------------------------------------------------------------


class QueryValues(forms.MultipleHiddenInput):
    """Every value a parameter was given, [] when it was not: absent, empty and repeated differ."""


class ParameterField(forms.Field):
    """A query parameter of the API. ``help_text`` is its description in the OpenAPI document,
    ``schema()`` its JSON Schema there; ``name`` is set by ``ApiForm`` for the messages."""

    widget = QueryValues
    name = ""

    def __init__(self, *, help_text, **kwargs):
        super().__init__(required=False, help_text=help_text, **kwargs)

    def schema(self):
        raise NotImplementedError


class SingleValueField(ParameterField):
    """A parameter given at most once, and then not empty; ``default`` when it is not given."""

    def __init__(self, *, default=None, **kwargs):
        super().__init__(**kwargs)
        self.default = default

    def to_python(self, values):
        if not values:
            return self.default
        if len(values) > 1:
            raise forms.ValidationError(_("Give the parameter %(name)s only once.") % {"name": self.name})
        return self.parse(values[0])

    def parse(self, text):
        raise NotImplementedError

    def with_default(self, schema):
        return schema if self.default is None else {**schema, "default": self.default}


class LangField(SingleValueField):
    def parse(self, text):
        if text not in LANGUAGES:
            raise forms.ValidationError(_("lang must be one of %(choices)s.") % {"choices": ", ".join(LANGUAGES)})
        return text

    def schema(self):
        return self.with_default({"type": "string", "enum": list(LANGUAGES)})


class WholeNumberField(SingleValueField):
    """A whole number in Latin digits, from ``minimum`` to ``maximum``."""

    def __init__(self, *, minimum, maximum, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def parse(self, text):
        if text.isascii() and text.isdigit() and len(text) <= 12 and self.minimum <= int(text) <= self.maximum:
            return int(text)
        raise forms.ValidationError(
            _("%(name)s must be a whole number from %(min)s to %(max)s.")
            % {"name": self.name, "min": self.minimum, "max": self.maximum}
        )

    def schema(self):
        return self.with_default({"type": "integer", "minimum": self.minimum, "maximum": self.maximum})


class CodesField(ParameterField):
    """Codes given as ``?area=IRN,JPN`` or ``?area=IRN&area=JPN``: sorted, without repeats. An
    empty one (``?area=``, ``?area=IRN,``) is refused, as an empty value is everywhere.

    A code that exists nowhere is a mistake worth a message, not an empty result. Subclasses
    say which codes exist: ``known(codes)`` (those of ``codes`` that do) and ``accepted()`` (all of
    them, for the OpenAPI enum).
    """

    def __init__(self, *, upper=False, **kwargs):
        super().__init__(**kwargs)
        self.upper = upper

    def to_python(self, values):
        codes = set()
        for value in values:
            for code in value.split(","):
                code = code.strip()
                if not code:
                    raise forms.ValidationError(
                        _("Empty value for %(name)s: give one code or several, separated by commas.")
                        % {"name": self.name}
                    )
                if not _CODE.match(code):
                    raise forms.ValidationError(
                        _("%(value)s is not a valid code for %(name)s.") % {"value": code, "name": self.name}
                    )
                codes.add(code.upper() if self.upper else code)
        return sorted(codes)

    def validate(self, codes):
        unknown = sorted(set(codes) - set(self.known(codes))) if codes else []
        if unknown:
            raise forms.ValidationError(
                _("Unknown code for %(name)s: %(codes)s.") % {"name": self.name, "codes": ", ".join(unknown)}
            )

    def schema(self):
        return {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(self.accepted())}}


class ChoiceCodesField(CodesField):
    """Codes from a fixed list (a model's choices)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def known(self, codes):
        return [code for code in codes if code in self.choices]

    def accepted(self):
        return self.choices


class ModelCodesField(CodesField):
    """Codes of rows in the database (``model.field``): one query to check those given."""

    def __init__(self, model, field, **kwargs):
        super().__init__(**kwargs)
        self.model, self.field = model, field

    def known(self, codes):
        return self.model._default_manager.filter(**{f"{self.field}__in": codes}).values_list(self.field, flat=True)

    def accepted(self):
        return self.model._default_manager.order_by(self.field).values_list(self.field, flat=True)


class ApiForm(forms.Form):
    """The parameters of one address: the fields are all it takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.name = name


LANG_HELP = "Language of names, descriptions, notes and definitions (quotes stay in the source's language)."


class NoParametersForm(ApiForm):
    """An address that takes no parameter (the OpenAPI document)."""


class ListForm(ApiForm):
    lang = LangField(default=DEFAULT_LANG, help_text=LANG_HELP)


class AreasForm(ListForm):
    kind = ChoiceCodesField(
        Area.Kind.values,
        help_text="Area kinds. Several: comma-separated, or the parameter repeated. Another value is a 400.",
    )


class IndicatorsForm(ListForm):
    pass


class SourcesForm(ListForm):
    pass


class ObservationsForm(ApiForm):
    area = ModelCodesField(
        Area,
        "code",
        upper=True,
        help_text=(
            "Area codes (IRN, JPN, EU25, IR-02), those of /api/v1/areas; case does not matter. Several: "
            "comma-separated, or the parameter repeated. An unknown code is a 400."
        ),
    )
    indicator = ModelCodesField(
        Indicator,
        "code",
        help_text="Indicator codes, those of /api/v1/indicators. Several as for area. An unknown code is a 400.",
    )
    source = ModelCodesField(
        Source,
        "identifier",
        help_text="Source identifiers, those of /api/v1/sources. Several as for area. An unknown one is a 400.",
    )
    scope = ChoiceCodesField(
        Observation.Scope.values,
        help_text="Part of the economy covered. Several as for area. Another value is a 400.",
    )
    year_from = WholeNumberField(
        minimum=EARLIEST_YEAR,
        maximum=LATEST_YEAR,
        help_text="First Gregorian year, inclusive. A year filter leaves out figures whose source states no year.",
    )
    year_to = WholeNumberField(
        minimum=EARLIEST_YEAR,
        maximum=LATEST_YEAR,
        help_text="Last Gregorian year, inclusive; before year_from is a 400.",
    )
    lang = LangField(default=DEFAULT_LANG, help_text=LANG_HELP)
    limit = WholeNumberField(
        minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT, help_text="Page size; more than 1000 is a 400."
    )
    offset = WholeNumberField(minimum=0, maximum=MAX_OFFSET, default=0, help_text="Number of results to skip.")

    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first and last and first > last:
            self.add_error("year_to", _("year_to must not be before year_from."))
        return data


class DownloadForm(ApiForm):
    lang = LangField(
        help_text=(
            "Adds area_name, indicator_name and source_title in this language, and translates note and "
            "definition. Without it: English notes and no name columns."
        )
    )


def read_query(form_class, params):
    """The cleaned query of ``form_class``; raises QueryError, an unknown parameter first."""
    unknown = sorted(set(params) - set(form_class.base_fields))
    if unknown:
        known = ", ".join(form_class.base_fields) or "—"
        message = _("Unknown parameter %(name)s. This address takes: %(known)s.")
        raise QueryError([message % {"name": unknown[0], "known": known}], parameter=unknown[0])
    return read(form_class, params)


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
    return json.dumps(
        {"version": VERSION, **json.loads(exports.json_bytes(observations, lang))}, ensure_ascii=False, indent=1
    ).encode()


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
