"""The OpenAPI 3 description of /api/v1/, built from the models' choices so enums stay true.

Developer documentation, in English like the parameter names it describes. A test checks that
every route of api_urls is described and that each path lists exactly the parameters its view
accepts.
"""

from countries.models import Area

from . import exports
from .models import EARLIEST_YEAR, Indicator, Observation, Source

API_VERSION = "1.0.0"


def _string(description, **extra):
    return {"type": "string", "description": description, **extra}


def _parameter(name, description, schema, **extra):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema, **extra}


def _codes(name, description):
    return _parameter(
        name,
        description + " Several codes: comma-separated, or the parameter repeated. An unknown code is a 400.",
        {"type": "array", "items": {"type": "string"}},
        style="form",
        explode=False,
    )


LANG = _parameter(
    "lang",
    "Language of names, descriptions, notes and definitions (quotes stay in the source's language).",
    {"type": "string", "enum": list(exports.EXPORT_LANGUAGES), "default": "en"},
)


def _parameters():
    return {
        "lang": LANG,
        "kind": _codes("kind", f"Area kinds: {', '.join(Area.Kind.values)}."),
        "area": _codes("area", "Area codes (IRN, JPN, EU25, IR-02); case does not matter."),
        "indicator": _codes("indicator", "Indicator codes (firm_share, employment_share…)."),
        "source": _codes("source", "Source identifiers (001_e2e29c5eae0b9509.txt)."),
        "scope": _codes("scope", f"Scopes: {', '.join(Observation.Scope.values)}."),
        "year_from": _parameter(
            "year_from",
            "First Gregorian year, inclusive. A year filter leaves out figures whose source states no year.",
            {"type": "integer", "minimum": EARLIEST_YEAR, "maximum": 2100},
        ),
        "year_to": _parameter(
            "year_to",
            "Last Gregorian year, inclusive; not before year_from.",
            {"type": "integer", "minimum": EARLIEST_YEAR, "maximum": 2100},
        ),
        "limit": _parameter(
            "limit",
            "Page size. Larger values are capped at 1000.",
            {"type": "integer", "minimum": 1, "default": 100, "maximum": 1000},
        ),
        "offset": _parameter("offset", "Number of results to skip.", {"type": "integer", "minimum": 0, "default": 0}),
    }


def _ref(name):
    return {"$ref": f"#/components/{name}"}


def _list_of(schema):
    return {
        "type": "object",
        "required": ["count", "results"],
        "properties": {"count": {"type": "integer"}, "results": {"type": "array", "items": _ref(f"schemas/{schema}")}},
    }


def _json_get(summary, description, parameters, schema, *, tag="data"):
    return {
        "get": {
            "tags": [tag],
            "summary": summary,
            "description": description,
            "parameters": [_ref(f"parameters/{name}") for name in parameters],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                "400": _ref("responses/BadParameter"),
            },
        }
    }


def _download(fmt, media_type, description):
    return {
        "get": {
            "tags": ["downloads"],
            "summary": f"Every published observation as {fmt.upper()}",
            "description": description,
            "parameters": [
                _parameter(
                    "lang",
                    "Adds area_name, indicator_name and source_title in this language, and translates note and "
                    "definition. Without it: English notes and no name columns.",
                    {"type": "string", "enum": list(exports.EXPORT_LANGUAGES)},
                )
            ],
            "responses": {
                "200": {
                    "description": f"smedash-observations[-{{lang}}].{fmt}, as an attachment.",
                    "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
                },
                "400": _ref("responses/BadParameter"),
                "429": {"description": "Too many downloads from this address in a minute."},
            },
        }
    }


def _schemas():
    observation_properties = {
        "id": {"type": "integer"},
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
        "area_name": _string("Area name in the language asked for."),
        "indicator_name": _string("Indicator name in the language asked for."),
        "source_title": _string("Source title in the language asked for."),
    }
    return {
        "Area": {
            "type": "object",
            "properties": {
                "code": _string("ISO 3166-1 alpha-3, ISO 3166-2, or a short code for a group of countries."),
                "kind": _string("Kind of area.", enum=Area.Kind.values),
                "name": _string("Name in the language asked for."),
                "parent": {"type": ["string", "null"], "description": "For a region: its country's code."},
            },
        },
        "Indicator": {
            "type": "object",
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
            "properties": {
                "identifier": _string("Source identifier (the seed file name for seed documents)."),
                "title": _string("Title in the language asked for."),
                "summary": _string("Summary in the language asked for."),
                "kind": _string("Kind of document.", enum=Source.Kind.values),
                "language": _string("Language of the original.", enum=Source.Language.values),
                "publisher": _string("Publisher."),
                "date": _string("What is known of the date, in words."),
                "url": _string("Address of the document, if any."),
                "observations": {"type": "integer", "description": "Number of published figures from it."},
            },
        },
        "Observation": {"type": "object", "properties": observation_properties},
        "AreaList": _list_of("Area"),
        "IndicatorList": _list_of("Indicator"),
        "SourceList": _list_of("Source"),
        "ObservationPage": {
            "type": "object",
            "required": ["count", "limit", "offset", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Number of matching observations on all pages."},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "next": {"type": ["string", "null"], "description": "Relative address of the next page."},
                "previous": {"type": ["string", "null"], "description": "Relative address of the previous page."},
                "results": {"type": "array", "items": _ref("schemas/Observation")},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error", "parameter"],
            "properties": {
                "error": _string("What is wrong, in the language of lang (or of the request)."),
                "parameter": _string("The parameter at fault."),
            },
        },
    }


def openapi_document():
    prefix = "/api/v1"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SMEdash data API",
            "version": API_VERSION,
            "description": (
                "Read-only statistics on small and medium enterprises, by country, with the source and the "
                "verbatim quote behind every figure. Only published figures. Names in English, Arabic or Persian "
                "(lang). Unknown parameters and invalid values are refused with a 400 and a message."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "data", "description": "Reference lists and observations, as JSON."},
            {"name": "downloads", "description": "Every published observation with every column, as one file."},
        ],
        "paths": {
            f"{prefix}/areas": _json_get(
                "Areas", "Countries, groups of countries and regions.", ["lang", "kind"], _ref("schemas/AreaList")
            ),
            f"{prefix}/indicators": _json_get(
                "Indicators", "What is measured, with its unit.", ["lang"], _ref("schemas/IndicatorList")
            ),
            f"{prefix}/sources": _json_get(
                "Sources",
                "The documents figures are taken from, including those that give none.",
                ["lang"],
                _ref("schemas/SourceList"),
            ),
            f"{prefix}/observations": _json_get(
                "Observations",
                "Published figures, in a fixed order (source, area, indicator, year), a page at a time.",
                ["area", "indicator", "source", "scope", "year_from", "year_to", "lang", "limit", "offset"],
                _ref("schemas/ObservationPage"),
            ),
            f"{prefix}/openapi.json": {
                "get": {
                    "tags": ["data"],
                    "summary": "This description",
                    "parameters": [],
                    "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {}}}},
                }
            },
            f"{prefix}/downloads/observations.csv": _download(
                "csv",
                "text/csv",
                "UTF-8 with a byte-order mark (Excel), cells that would run as formulas prefixed with '.",
            ),
            f"{prefix}/downloads/observations.json": _download(
                "json", "application/json", '{"columns": [...], "count": n, "observations": [{...}]}; text unchanged.'
            ),
            f"{prefix}/downloads/observations.xlsx": _download(
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "One sheet; years and values as numbers; right-to-left for ar and fa; no formulas.",
            ),
        },
        "components": {
            "parameters": _parameters(),
            "schemas": _schemas(),
            "responses": {
                "BadParameter": {
                    "description": "A parameter is unknown, repeated or invalid.",
                    "content": {"application/json": {"schema": _ref("schemas/Error")}},
                }
            },
        },
    }
