"""A Frictionless data package (``datapackage.json``) describing the full-data CSV download:
every column with its type, unit and description, the licence and the sources. It is served
beside the CSV (``/api/v1/downloads/datapackage.json``, whose resource path ``observations.csv``
is the CSV's address relative to it) and, with the CSV, as one zip (``datapackage.zip``).
"""

import io
import tempfile
import zipfile

from django.conf import settings

from .exports import EXPORT_COLUMNS, write_csv
from .models import Indicator, Observation, Source

DEFAULT_LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}
ENUMS = {
    "qualifier": Observation.Qualifier.values,
    "scope": Observation.Scope.values,
    "year_calendar": Observation.Calendar.values,
    "unit": Indicator.Unit.values,
}
FIELDS = {
    "area": ("string", "The area's code: ISO 3166-1 alpha-3 for a country, ISO 3166-2 for a region, ours for a group."),
    "indicator": ("string", "The indicator's code (see /api/v1/indicators)."),
    "year": ("integer", "The Gregorian year; empty when the source states none (Solar Hijri years are filed "
             "under the Gregorian year in which they begin)."),
    "value": ("number", "The figure, in the unit of the column unit (a share: a percentage, 0-100)."),
    "unit": ("string", "The indicator's unit."),
    "qualifier": ("string", "exact, more than, less than, about, or unclear in the source (then not charted)."),
    "scope": ("string", "The part of the economy covered: whole economy, industry and manufacturing, not stated."),
    "source": ("string", "The source's identifier (see /api/v1/sources)."),
    "quote": ("string", "The sentence the figure was taken from, verbatim, in the source's language."),
    "year_as_written": ("string", "The year exactly as the source writes it, in its own digits and calendar."),
    "year_calendar": ("string", "The calendar of year_as_written."),
    "area_kind": ("string", "country, aggregate (a group of countries) or subnational (a region)."),
    "definition": ("string", "How the source defines SMEs for this figure."),
    "note": ("string", "What a reader must know about the figure."),
    "last_changed": ("date", "When the figure last changed (ISO 8601 date)."),
    "measured_as": ("string", "What the figure counts, in the source's terms, in a few words."),
}  # fmt: skip


def schema():
    fields = []
    for name in EXPORT_COLUMNS:
        kind, description = FIELDS[name]
        field = {"name": name, "type": kind, "description": description}
        if name in ENUMS:
            field["constraints"] = {"enum": list(ENUMS[name])}
        if name == "value":
            field["unit"] = "see the column unit"
            field["constraints"] = {"minimum": 0}
        if name in ("area", "indicator", "value", "source", "quote"):
            field.setdefault("constraints", {})["required"] = True
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def descriptor(path="observations.csv"):
    sources = [
        {"title": source.title or source.identifier, **({"path": source.url} if source.url else {})}
        for source in Source.objects.order_by("identifier")
    ]
    return {
        "name": "smedash-observations",
        "title": "SMEdash: statistics on small and medium enterprises",
        "description": "Every published figure, with its source and the verbatim quote it was taken from.",
        "licenses": [getattr(settings, "SMEDASH_DATA_LICENSE", DEFAULT_LICENSE)],
        "sources": sources,
        "resources": [
            {
                "name": "observations",
                "path": path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": schema(),
            }
        ],
    }


def write_zip(target):
    """datapackage.json and observations.csv in one zip, the CSV written in pieces to a temporary
    file first, so that memory stays the same whatever the number of figures."""
    import json

    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as text:
        text.write("\ufeff")
        write_csv(text, Observation.objects.published())
        text.seek(0)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("datapackage.json", json.dumps(descriptor(), ensure_ascii=False, indent=2))
            with archive.open("observations.csv", "w") as member:
                wrapper = io.TextIOWrapper(member, encoding="utf-8", newline="")
                while piece := text.read(256 * 1024):
                    wrapper.write(piece)
                wrapper.flush()
                wrapper.detach()
