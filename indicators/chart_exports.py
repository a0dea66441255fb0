"""A chart page's own files, from its presented data: the JSON twin (``data.json``, the
declared, versioned contract below) and the CSV (one row per bar). The full-data files are in
``indicators.exports``.
"""

import csv
import io

from .text import current_lang, list_separator, spreadsheet_cell

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
    "compare": ("indicator", "params", "params_label", "groups", "notices", "more", *_TWIN_COMMON),
    "area": ("area", "sections", "definitions", *_TWIN_COMMON),
    # A trend: ``series`` (one per area of the page: ``area``, ``first_year``, ``last_year`` and
    # the ids of its drawn figures, oldest first) and ``undated`` (figures with no year: listed,
    # not drawn); ``figures`` are the drawn points, series after series.
    "trend": ("indicator", "params", "params_label", "series", "undated", "notices", "more", *_TWIN_COMMON),
}
SERIES_FIELDS = ("area", "first_year", "last_year")
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
    "year_solar_hijri",  # added within version 1 (indicators.calendars)
    "year_as_written",
    "year_calendar",
    "year_calendar_label",
    "is_period",
    "scope",
    "scope_label",
    "measured_as",
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
    if "series" in twin:
        twin["series"] = [
            {**{key: s[key] for key in SERIES_FIELDS}, "figures": [f["id"] for f in s["figures"]]}
            for s in data["series"]
        ]
    if "undated" in twin:
        twin["undated"] = [_figure_record(f) for f in data["undated"]]
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
    "measured_as",  # added within version 1: at the end, so that no column moves
    # Added after it: the Solar Hijri year, filled when the reader's calendar shows one (Persian,
    # or calendar=both / solar_hijri), else empty (indicators.calendars).
    "year_solar_hijri",
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
            "measured_as": f["measured_as"],
            "year_solar_hijri": "" if f["year_solar_hijri"] is None else f["year_solar_hijri"],
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
