"""Every file a reader takes away, in one place, fed presented rows or model rows:

- a chart's JSON twin (``data.json``: the declared, versioned contract below) and its CSV
  (one row per bar), from a page's presented data;
- the full-data export (every column of the data model) as CSV, JSON or XLSX, shared by
  ``manage.py export_observations`` and the downloads under /api/v1/downloads/.

Every cell a spreadsheet could run as a formula goes through ``text.spreadsheet_cell``.
"""

import csv
import io
import json
from decimal import Decimal

from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .text import LANGUAGES, RTL_LANGUAGES, current_lang, json_number, list_separator, plain_decimal, spreadsheet_cell

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
EXPORT_LANGUAGES = LANGUAGES


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
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
        count += 1
    return count


def csv_bytes(observations, lang=None):
    """The CSV as UTF-8 with a byte-order mark: without it Excel reads Arabic and Persian as mojibake."""
    stream = io.StringIO()
    stream.write("\ufeff")
    write_csv(stream, observations, lang)
    return stream.getvalue().encode("utf-8")


def json_bytes(observations, lang=None, head=None):
    """{**head, "columns": [...], "count": n, "observations": [{column: value}]}, values typed, not
    neutralised (``head``: what the API puts first, its contract version).

    JSON is read by programs, not run by spreadsheets, so text stays exactly as it is stored.
    """
    records = [{**record, "value": json_number(record["value"])} for record in observation_records(observations, lang)]
    document = {**(head or {}), "columns": export_columns(lang), "count": len(records), "observations": records}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _xlsx_cell(sheet, value):
    if value is None or isinstance(value, int | Decimal):
        return WriteOnlyCell(sheet, value)
    # openpyxl stores any string that starts with "=" as a formula, and refuses control
    # characters, which an XLSX file cannot hold: both dealt with, in that order.
    return WriteOnlyCell(sheet, spreadsheet_cell(value))


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


# A chart's JSON twin ----------------------------------------------------------------------------

# The contract of every data.json twin: what each kind of page publishes, and nothing else (no
# form choices, no template-only texts). Version 1; a change that removes or renames a field, or
# changes its meaning, makes version 2. Described in the README, "The JSON twins".
TWIN_VERSION = 1
# Every twin's fields, then each kind's own.
_TWIN_COMMON = (
    "figures",
    "not_charted",
    "sources",
    "flag_legend",
    "pagination",
    "last_changed",
    "url",
    "json_url",
    "csv_url",
    "png_url",
)
TWIN_FIELDS = {
    "compare": ("indicator", "params", "params_label", "groups", "notices", *_TWIN_COMMON),
    "area": ("area", "sections", "definitions", *_TWIN_COMMON),
}
FIGURE_FIELDS = (
    "id",
    "anchor",
    "area",
    "indicator",
    "value",
    "value_text",
    "value_display",
    "qualifier",
    "qualifier_label",
    "year",
    "year_display",
    "year_as_written",
    "year_calendar",
    "year_calendar_label",
    "is_period",
    "scope",
    "scope_label",
    "definition",
    "note",
    "quote",
    "quote_lang",
    "quote_dir",
    "source",
    "charted",
    "last_changed",
    "label",
    "label_detail",
    "flags",
    "flag_symbols",
    "flag_details",
)
SECTION_FIELDS = ("indicator", "total", "more", "all_url")


def chart_json(data):
    """A chart page's data as its JSON twin: the declared fields of its kind, figures once each
    (groups and sections name their figures by id)."""
    twin = {"version": TWIN_VERSION, "kind": data["kind"], "lang": current_lang(), "dir": data["dir"]}
    for field in TWIN_FIELDS[data["kind"]]:
        twin[field] = data[field]
    twin["figures"] = [_figure_record(f) for f in data["figures"]]
    twin["not_charted"] = [_figure_record(f) for f in data["not_charted"]]
    if "groups" in twin:
        twin["groups"] = [{**g, "figures": [f["id"] for f in g["figures"]]} for g in data["groups"]]
    if "sections" in twin:
        twin["sections"] = [
            {**{key: s[key] for key in SECTION_FIELDS}, "figures": [_figure_record(f) for f in s["figures"]]}
            for s in data["sections"]
        ]
    return twin


def _figure_record(f):
    return {key: f[key] for key in FIGURE_FIELDS}


# A chart's CSV ------------------------------------------------------------------------------------

# One row per bar, in the chart's order. Codes are the data's own (as in the full-data export);
# names, labels and notes are in the page's language, the quote in its source's.
CHART_CSV_COLUMNS = [
    "label",
    "area",
    "area_name",
    "indicator",
    "indicator_name",
    "unit",
    "year",
    "year_as_written",
    "year_calendar",
    "value",
    "value_as_shown",
    "qualifier",
    "scope",
    "definition",
    "flags",
    "flag_notes",
    "source",
    "source_title",
    "quote",
    "note",
    "last_changed",
]


def chart_rows(data):
    """The bars of a page's chart as CSV rows (text, not yet made safe for a spreadsheet)."""
    separator = list_separator()
    for f in data["figures"]:
        yield {
            "label": f["label"],
            "area": f["area"]["code"],
            "area_name": f["area"]["name"],
            "indicator": f["indicator"]["code"],
            "indicator_name": f["indicator"]["name"],
            "unit": f["indicator"]["unit"],
            "year": "" if f["year"] is None else f["year"],
            "year_as_written": f["year_as_written"],
            "year_calendar": f["year_calendar"],
            "value": f["value_text"],
            "value_as_shown": f["value_display"],
            "qualifier": f["qualifier"],
            "scope": f["scope"],
            "definition": f["definition"],
            "flags": ";".join(f["flags"]),
            "flag_notes": separator.join(flag["label"] for flag in f.get("flag_details", [])),
            "source": f["source"]["identifier"],
            "source_title": f["source"]["title"],
            "quote": f["quote"],
            "note": f["note"],
            "last_changed": f["last_changed"],
        }


def chart_csv(data):
    """UTF-8 with a byte-order mark (Excel reads Arabic and Persian right only with it)."""
    stream = io.StringIO()
    stream.write("\ufeff")
    writer = csv.DictWriter(stream, fieldnames=CHART_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in chart_rows(data):
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
    return stream.getvalue().encode("utf-8")
