"""Rows of the full-data export, shared by the management command and the download views."""

import csv
from decimal import Decimal

from django.utils import translation

EXPORT_COLUMNS = [
    "area",
    "indicator",
    "year",
    "value",
    "unit",
    "qualifier",
    "scope",
    "source",
    "quote",
    "year_as_written",
    "year_calendar",
    "area_kind",
    "definition",
    "note",
    "last_changed",
]
NAME_COLUMNS = ["area_name", "indicator_name", "source_title"]

# A cell beginning with one of these is run as a formula by spreadsheet programs.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def plain_decimal(value):
    """57.5000 -> '57.5', 5810000.0000 -> '5810000': no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


def neutralise_formula(text):
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def export_columns(lang=None):
    return EXPORT_COLUMNS + (NAME_COLUMNS if lang else [])


def observation_rows(observations, lang=None):
    """Yield one dict per observation. With ``lang``, translated text is in that language."""
    with translation.override(lang or "en"):
        for obs in observations.with_related().export_order():
            row = {
                "area": obs.area.code,
                "indicator": obs.indicator.code,
                "year": "" if obs.year is None else obs.year,
                "value": plain_decimal(obs.value),
                "unit": obs.indicator.unit,
                "qualifier": obs.qualifier,
                "scope": obs.scope,
                "source": obs.source.identifier,
                "quote": obs.quote,
                "year_as_written": obs.year_as_written,
                "year_calendar": obs.year_calendar,
                "area_kind": obs.area.kind,
                "definition": obs.definition,
                "note": obs.note,
                "last_changed": obs.updated_at.date().isoformat(),
            }
            if lang:
                row.update(
                    area_name=obs.area.name,
                    indicator_name=obs.indicator.name,
                    source_title=obs.source.title,
                )
            yield row


def write_csv(stream, observations, lang=None):
    writer = csv.DictWriter(stream, fieldnames=export_columns(lang), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in observation_rows(observations, lang):
        writer.writerow({key: neutralise_formula(value) for key, value in row.items()})
        count += 1
    return count
