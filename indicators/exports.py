"""The full-data export: every column of the data model, as CSV, JSON or XLSX.

Shared by ``manage.py export_observations`` and the download views under /api/v1/downloads/.
"""

import csv
import io
import json
from decimal import Decimal

from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

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
EXPORT_LANGUAGES = ("en", "ar", "fa")
RTL_LANGUAGES = ("ar", "fa")

# A cell beginning with one of these is run as a formula by spreadsheet programs.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def plain_decimal(value):
    """57.5000 -> '57.5', 5810000.0000 -> '5810000': no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text


def json_number(value):
    """A Decimal as a JSON number: an int when whole (5810000), else a float (57.5)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def neutralise_formula(text):
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def export_columns(lang=None):
    return EXPORT_COLUMNS + (NAME_COLUMNS if lang else [])


def export_queryset(observations):
    """The rows of an export, in their fixed order, with one query for everything they show."""
    return observations.with_related().export_order()


def observation_record(obs, *, names=False):
    """One observation as a dict of typed values: year an int or None, value a Decimal.

    Translated fields (note, definition and, with ``names``, the names) come out in the active
    language, so call this inside ``translation.override``; the quote stays in the source's own.
    """
    record = {
        "area": obs.area.code,
        "indicator": obs.indicator.code,
        "year": obs.year,
        "value": obs.value,
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
    if names:
        record.update(area_name=obs.area.name, indicator_name=obs.indicator.name, source_title=obs.source.title)
    return record


def observation_records(observations, lang=None):
    """Every observation of the queryset, as typed dicts, in export order."""
    with translation.override(lang or "en"):
        return [observation_record(obs, names=bool(lang)) for obs in export_queryset(observations)]


def as_text(record):
    """A record as the text a CSV cell holds: empty for no year, a plain decimal for the value."""
    return {
        **record,
        "year": "" if record["year"] is None else record["year"],
        "value": plain_decimal(record["value"]),
    }


def observation_rows(observations, lang=None):
    """Yield one dict of text per observation. With ``lang``, translated text is in that language."""
    for record in observation_records(observations, lang):
        yield as_text(record)


def write_csv(stream, observations, lang=None):
    writer = csv.DictWriter(stream, fieldnames=export_columns(lang), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in observation_rows(observations, lang):
        writer.writerow({key: neutralise_formula(value) for key, value in row.items()})
        count += 1
    return count


def csv_bytes(observations, lang=None):
    """The CSV as UTF-8 with a byte-order mark: without it Excel reads Arabic and Persian as mojibake."""
    stream = io.StringIO()
    stream.write("\ufeff")
    write_csv(stream, observations, lang)
    return stream.getvalue().encode("utf-8")


def json_bytes(observations, lang=None):
    """{"columns": [...], "count": n, "observations": [{column: value}]}, values typed, not neutralised.

    JSON is read by programs, not run by spreadsheets, so text stays exactly as it is stored.
    """
    records = [{**record, "value": json_number(record["value"])} for record in observation_records(observations, lang)]
    document = {"columns": export_columns(lang), "count": len(records), "observations": records}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _xlsx_cell(sheet, value):
    if value is None or isinstance(value, int | Decimal):
        return WriteOnlyCell(sheet, value)
    # openpyxl stores any string that starts with "=" as a formula: neutralise it first. It also
    # refuses control characters, which an XLSX file cannot hold.
    text = ILLEGAL_CHARACTERS_RE.sub("", neutralise_formula(value))
    return WriteOnlyCell(sheet, text)


def xlsx_bytes(observations, lang=None):
    """One sheet, a bold header, years and values as numbers, right-to-left for Arabic and Persian."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("observations")
    sheet.sheet_view.rightToLeft = lang in RTL_LANGUAGES
    sheet.freeze_panes = "A2"
    columns = export_columns(lang)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for record in observation_records(observations, lang):
        sheet.append([_xlsx_cell(sheet, record[column]) for column in columns])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
