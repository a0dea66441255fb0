"""The OpenAPI 3.1 description of /api/v1/, generated from what the API itself declares.

- Paths: every route of ``indicators.api_urls``; a route without a description below is an error.
- Parameters: the fields of each view's form (``indicators.api``), the very ones that validate
  the query: names, types, enums (codes from the database for area, indicator and source),
  minimum, maximum and defaults cannot drift from what is accepted.
- Responses: the enums of the answers come from the models' choices; each operation lists the
  refusals its view can give (the 429 of too much uncached work, the workbook's 503).

Developer documentation, in English like the parameter names it describes. Schemathesis runs
against it (tests/test_openapi_schemathesis.py) with every check.
"""

from dataclasses import dataclass

from django.urls import reverse

from countries.models import Area

from . import api, api_urls, exports
from .models import Indicator, Observation, Source


@dataclass(frozen=True)
class Operation:
    tag: str
    summary: str
    description: str
    content: dict  # media type -> {"schema": …} of the 200 answer
    refusals: tuple = ()  # (status, name in components/responses) the view may answer besides


# Every answer of the JSON API is cached; a miss counts against the client's RATELIMIT_UNCACHED.
UNCACHED = (("429", "TooMuchUncachedWork"),)


def _ref(name):
    return {"$ref": f"#/components/{name}"}


def _json(schema_name):
    return {"application/json": {"schema": _ref(f"schemas/{schema_name}")}}


def _file(media_type):
    return {media_type: {"schema": {"type": "string", "format": "binary"}}}


# What each route of api_urls is, by its name.
OPERATIONS = {
    "areas": Operation("data", "Areas", "Countries, groups of countries and regions.", _json("AreaList"), UNCACHED),
    "indicators": Operation("data", "Indicators", "What is measured, with its unit.", _json("IndicatorList"), UNCACHED),
    "sources": Operation(
        "data",
        "Sources",
        "The documents figures are taken from, including those that give none.",
        _json("SourceList"),
        UNCACHED,
    ),
    "observations": Operation(
        "data",
        "Observations",
        "Published figures, in a fixed order (source, area, indicator, year), a page at a time.",
        _json("ObservationPage"),
        UNCACHED,
    ),
    "openapi": Operation(
        "data",
        "This description",
        "The OpenAPI 3.1 document of /api/v1/.",
        {"application/json": {"schema": {"type": "object", "required": ["openapi", "info", "paths"]}}},
        UNCACHED,
    ),
    "download_csv": Operation(
        "downloads",
        "Every published observation as CSV",
        "UTF-8 with a byte-order mark (Excel), cells that would run as formulas prefixed with '.",
        {"text/csv": {"schema": {"type": "string"}}},
    ),
    "download_json": Operation(
        "downloads",
        "Every published observation as JSON",
        "One JSON object: the contract version, the columns, the count and the observations; text unchanged.",
        _json("ObservationDownload"),
    ),
    "download_xlsx": Operation(
        "downloads",
        "Every published observation as XLSX",
        "One sheet; years and values as numbers; right-to-left for ar and fa; no formulas.",
        _file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (("503", "WorkbookNotReady"),),
    ),
    "pivot_csv": Operation(
        "downloads",
        "An indicator's figures, areas x years, as CSV",
        "One row per area, scope, measured-as and source; a column per year; figures that are not exact are "
        "marked (> 98, < 5, ≈ 40, ? 12). Headers and names in lang.",
        {"text/csv": {"schema": {"type": "string"}}},
    ),
    "pivot_xlsx": Operation(
        "downloads",
        "An indicator's figures, areas x years, as XLSX",
        "As the CSV, with a second sheet of the figures (qualifier, scope, source, quote); right to left for ar, fa.",
        _file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ),
    "pivot_ods": Operation(
        "downloads",
        "An indicator's figures, areas x years, as ODS",
        "As the XLSX, in OpenDocument (LibreOffice).",
        _file("application/vnd.oasis.opendocument.spreadsheet"),
    ),
    "sdmx_csv": Operation(
        "downloads",
        "Every published figure with a year, as SDMX-CSV 2.0",
        "STRUCTURE, STRUCTURE_ID, ACTION, REF_AREA, INDICATOR, TIME_PERIOD, OBS_VALUE, then the attributes.",
        {"text/csv": {"schema": {"type": "string"}}},
    ),
    "datapackage_json": Operation(
        "downloads",
        "Frictionless data package of the CSV download",
        "Describes observations.csv beside it: every field with its type and description, licence, sources.",
        {"application/json": {"schema": {"type": "object", "required": ["resources"]}}},
    ),
    "datapackage_zip": Operation(
        "downloads",
        "The data package and the CSV, as one zip",
        "datapackage.json and observations.csv.",
        _file("application/zip"),
    ),
}


def parameter(name, field):
    """The OpenAPI parameter of one field of a view's form."""
    schema = field.schema()
    described = {"name": name, "in": "query", "required": False, "description": field.help_text, "schema": schema}
    if schema["type"] == "array":
        described.update(style="form", explode=False)
    return described


def operation(route_name, form_class):
    described = OPERATIONS[route_name]
    responses = {
        "200": {"description": "OK", "content": described.content},
        "400": _ref("responses/BadParameter"),
    }
    if described.tag == "downloads":
        responses["200"]["description"] = "smedash-observations[-{lang}].<format>, as an attachment."
        responses["429"] = {"description": "Too many downloads from this address in a minute."}
    for status, name in described.refusals:
        responses[status] = _ref(f"responses/{name}")
    return {
        "get": {
            "tags": [described.tag],
            "summary": described.summary,
            "description": described.description,
            "operationId": route_name,
            "parameters": [parameter(name, field) for name, field in form_class.base_fields.items()],
            "responses": responses,
        }
    }


def _string(description, **extra):
    return {"type": "string", "description": description, **extra}


VERSION_FIELD = {
    "type": "integer",
    "const": api.VERSION,
    "description": "Version of this contract (the fields of the answers and the meaning of the parameters). "
    "It changes only with a new address (/api/v2/); fields may be added without a change.",
}


def _list_of(schema):
    return {
        "type": "object",
        "required": ["version", "count", "results"],
        "properties": {
            "version": VERSION_FIELD,
            "count": {"type": "integer", "minimum": 0},
            "results": {"type": "array", "items": _ref(f"schemas/{schema}")},
        },
    }


def _record_properties():
    """The columns of the export, as in /api/v1/observations and the downloads."""
    return {
        "area": _string("Area code."),
        "indicator": _string("Indicator code."),
        "year": {"type": ["integer", "null"], "description": "Gregorian year; null when the source states none."},
        "value": {"type": "number", "description": "The figure, in the indicator's unit."},
        "unit": _string("Unit of the indicator.", enum=Indicator.Unit.values),
        "qualifier": _string("How the source states the figure.", enum=Observation.Qualifier.values),
        "scope": _string("Part of the economy the figure covers.", enum=Observation.Scope.values),
        "source": _string("Source identifier."),
        "quote": _string("The sentence the figure comes from, verbatim, in the source's language."),
        "year_as_written": _string("The year exactly as the source gives it (1353)."),
        "year_calendar": _string("Calendar of year_as_written.", enum=Observation.Calendar.values),
        "area_kind": _string("Kind of area.", enum=Area.Kind.values),
        "definition": _string("The source's SME definition, in the language asked for."),
        "note": _string("What a reader must know about the figure, in the language asked for."),
        "last_changed": _string("Date the figure was last changed.", format="date"),
        "measured_as": _string(
            "What the figure counts, in the source's terms, in the language asked for, else in English; "
            "empty where not recorded."
        ),
        "area_name": _string("Area name in the language asked for."),
        "indicator_name": _string("Indicator name in the language asked for."),
        "source_title": _string("Source title in the language asked for."),
    }


def _schemas():
    columns = exports.EXPORT_COLUMNS + exports.NAME_COLUMNS
    return {
        "Area": {
            "type": "object",
            "required": ["code", "kind", "name", "parent"],
            "properties": {
                "code": _string("ISO 3166-1 alpha-3, ISO 3166-2, or a short code for a group of countries."),
                "kind": _string("Kind of area.", enum=Area.Kind.values),
                "name": _string("Name in the language asked for."),
                "parent": {"type": ["string", "null"], "description": "For a region: its country's code."},
            },
        },
        "Indicator": {
            "type": "object",
            "required": ["code", "name", "description", "unit", "headline", "position"],
            "properties": {
                "code": _string("Indicator code."),
                "name": _string("Name in the language asked for."),
                "description": _string("Description in the language asked for."),
                "unit": _string("Unit.", enum=Indicator.Unit.values),
                "headline": {"type": "boolean"},
                "position": {"type": "integer", "description": "Display order."},
            },
        },
        "Source": {
            "type": "object",
            "required": ["identifier", "title", "summary", "kind", "language", "publisher", "date", "url"],
            "properties": {
                "identifier": _string("Source identifier (the seed file name for seed documents)."),
                "title": _string("Title in the language asked for."),
                "summary": _string("Summary in the language asked for."),
                "kind": _string("Kind of document.", enum=Source.Kind.values),
                "language": _string("Language of the original.", enum=Source.Language.values),
                "publisher": _string("Publisher."),
                "date": _string("What is known of the date, in words."),
                "url": _string("Address of the document, or empty."),
                "observations": {"type": "integer", "minimum": 0, "description": "Number of published figures."},
            },
        },
        "Observation": {
            "type": "object",
            "required": ["id", *columns, "year_display", "year_solar_hijri"],
            "properties": {
                "id": {"type": "integer"},
                **_record_properties(),
                "year_display": _string(
                    "The year as a reader of lang sees it, in the calendar asked for (calendar), in the "
                    "language's digits: 1974, ۱۳۵۳ (۱۹۷۴); 'year not stated' in that language when there is none."
                ),
                "year_solar_hijri": {
                    "type": ["integer", "null"],
                    "description": "The Solar Hijri year (as the source wrote it, else G - 621) when the calendar "
                    "shows Solar Hijri years (calendar both or solar_hijri); null otherwise and without a year.",
                },
            },
        },
        "ObservationRecord": {
            "type": "object",
            "description": "One row of a download: the name columns only when lang is given.",
            "required": exports.EXPORT_COLUMNS,
            "properties": _record_properties(),
        },
        "AreaList": _list_of("Area"),
        "IndicatorList": _list_of("Indicator"),
        "SourceList": _list_of("Source"),
        "ObservationPage": {
            "type": "object",
            "required": ["version", "count", "limit", "offset", "next", "previous", "results"],
            "properties": {
                "version": VERSION_FIELD,
                "count": {"type": "integer", "minimum": 0, "description": "Matching observations on all pages."},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "next": {"type": ["string", "null"], "description": "Relative address of the next page."},
                "previous": {"type": ["string", "null"], "description": "Relative address of the previous page."},
                "results": {"type": "array", "items": _ref("schemas/Observation")},
            },
        },
        "ObservationDownload": {
            "type": "object",
            "required": ["version", "columns", "count", "observations"],
            "properties": {
                "version": VERSION_FIELD,
                "columns": {"type": "array", "items": {"type": "string", "enum": columns}},
                "count": {"type": "integer", "minimum": 0},
                "observations": {"type": "array", "items": _ref("schemas/ObservationRecord")},
            },
        },
        "Refusal": {
            "type": "object",
            "required": ["error", "parameter"],
            "properties": {
                "error": _string(
                    "Why, and when to try again, in the language of lang when it is valid, else of the request."
                ),
                "parameter": {"type": "null", "description": "No parameter is at fault."},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": _string("What is wrong, in the language of lang when it is valid, else of the request."),
                "parameter": _string(
                    "The parameter at fault. Absent only when the query could not be read at all "
                    "(more than 1000 parameters)."
                ),
            },
        },
    }


DESCRIPTION = (
    "Read-only statistics on small and medium enterprises, by country, with the source and the verbatim "
    "quote behind every figure. Only published figures. Names in English, Arabic or Persian (lang).\n\n"
    f'Contract version {api.VERSION}: every JSON answer but an error has "version": {api.VERSION}. Fields may '
    "be added within a version; a change an existing client could misread comes with a new address "
    "(/api/v2/).\n\n"
    "Errors: an unknown parameter, a second value for one that takes one, an empty or invalid value and an "
    'unknown code are each a 400 with {"error": message, "parameter": name}, the message in the language '
    "of lang when that is valid, else in the request's (Accept-Language).\n\n"
    "Methods: GET and HEAD only; any other is a 405 with Allow: GET, HEAD.\n\n"
    "Limits: answers are cached until the data changes. An answer that is not in the cache yet is computed, "
    "and counts against a per-client-address limit (RATELIMIT_UNCACHED, 120 a minute by default); past it, "
    'the answer is a 429 with Retry-After and {"error": message, "parameter": null}. Answers already in the '
    "cache are served to every client at any rate. The full downloads have a limit of their own."
)


def _retry_after(description):
    return {
        "Retry-After": {
            "description": description,
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    }


def _refusal(description, retry_after):
    return {
        "description": description,
        "headers": _retry_after(retry_after),
        "content": {"application/json": {"schema": _ref("schemas/Refusal")}},
    }


def openapi_document():
    paths = {}
    for route in api_urls.urlpatterns:
        paths[reverse(f"{api_urls.app_name}:{route.name}")] = operation(route.name, route.callback.form_class)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SMEdash data API", "version": f"{api.VERSION}.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "data", "description": "Reference lists and observations, as JSON."},
            {"name": "downloads", "description": "Every published observation with every column, as one file."},
        ],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": {
                "BadParameter": {
                    "description": "A parameter is unknown, repeated, empty or invalid, or a code is unknown.",
                    "content": {"application/json": {"schema": _ref("schemas/Error")}},
                },
                "TooMuchUncachedWork": _refusal(
                    "This client address has had more answers computed afresh (not in the cache) than "
                    "RATELIMIT_UNCACHED allows; cached answers are still served.",
                    "Seconds until the client's count starts again.",
                ),
                "WorkbookNotReady": _refusal(
                    "The workbook of the current data is not built yet (queued for the background "
                    "worker, or being built); the CSV and JSON downloads are ready.",
                    "Seconds after which the workbook should be ready.",
                ),
            },
        },
    }
