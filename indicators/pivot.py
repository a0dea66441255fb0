"""Pivoted downloads: an indicator's published figures as an areas × years table (CSV, XLSX, ODS),
in the reader's language, right to left for Arabic and Persian.

The long rows are read once (one query), reshaped with pandas' ``pivot_table``, and written. A
row is one area's figures of one scope, what they count (``measured_as``) and source, so that two
figures are never added up or one hidden behind another; a second figure in the same cell (a
source giving two figures for one year) gets a row of its own. A figure that is not exact is
marked in its cell (``> 98``, ``< 5``, ``≈ 40``, ``? 12``); a figure with no stated year is in the
column "year not stated". XLSX and ODS add a second sheet, one figure a line, with its qualifier,
scope, year as written, source and quote. The cost is proportional to the figures in the file.
"""

import csv
import io

import pandas as pd
from django.utils.translation import gettext as _

from .models import Observation
from .text import is_rtl, spreadsheet_cell

MARKS = {"more_than": "> ", "less_than": "< ", "about": "≈ ", "unclear": "? "}
NO_YEAR = -1  # the column of figures whose source states no year


def long_frame(indicators=None, lang="en"):
    """The published figures (of ``indicators``, codes; all if None), one a row, names in ``lang``."""
    observations = Observation.objects.published().select_related("area", "indicator", "source")
    if indicators:
        observations = observations.filter(indicator__code__in=indicators)
    rows = []
    for obs in observations.order_by("indicator__position", "indicator__code", "area__code", "year", "pk"):
        rows.append(
            {
                "indicator": obs.indicator.code,
                "indicator_name": getattr(obs.indicator, f"name_{lang}", None) or obs.indicator.name,
                "unit": obs.indicator.unit,
                "area": obs.area.code,
                "area_name": getattr(obs.area, f"name_{lang}", None) or obs.area.name,
                "scope": obs.get_scope_display(),
                "measured_as": getattr(obs, f"measured_as_{lang}", None) or obs.measured_as_en or "",
                "source": obs.source.identifier,
                "year": obs.year if obs.year is not None else NO_YEAR,
                "year_as_written": obs.year_as_written,
                "value": float(obs.value),
                "qualifier": obs.qualifier,
                "qualifier_label": obs.get_qualifier_display(),
                "quote": obs.quote,
            }
        )
    return pd.DataFrame(rows)


KEYS = ["indicator", "indicator_name", "unit", "area", "area_name", "scope", "measured_as", "source"]


def pivot(frame):
    """The areas × years table: one row per figure's keys (and repeat), a column per year."""
    frame = frame.copy()
    frame["cell"] = [
        value if qualifier == "exact" else f"{MARKS.get(qualifier, '')}{value:g}"
        for value, qualifier in zip(frame["value"], frame["qualifier"], strict=True)
    ]
    frame["repeat"] = frame.groupby([*KEYS, "year"]).cumcount()
    table = frame.pivot_table(index=[*KEYS, "repeat"], columns="year", values="cell", aggfunc="first")
    table = table.reset_index().drop(columns="repeat")
    years = sorted(column for column in table.columns if isinstance(column, int))
    return table[[*KEYS, *years]], years


def headers(years):
    labels = {
        "indicator": _("indicator"),
        "indicator_name": _("indicator name"),
        "unit": _("unit"),
        "area": _("area"),
        "area_name": _("area name"),
        "scope": _("scope"),
        "measured_as": _("measured as"),
        "source": _("source"),
    }
    return [labels[key] for key in KEYS] + [_("year not stated") if year == NO_YEAR else str(year) for year in years]


def _rows(table):
    for record in table.itertuples(index=False):
        yield [None if pd.isna(cell) else cell for cell in record]


def _text(cell):
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:g}"
    return spreadsheet_cell(str(cell))


def write_csv(frame):
    """UTF-8 with a byte-order mark (Excel), formula-like cells prefixed with '."""
    out = io.StringIO()
    writer = csv.writer(out)
    if frame.empty:
        writer.writerow(headers([]))
    else:
        table, years = pivot(frame)
        writer.writerow(headers(years))
        writer.writerows([_text(cell) for cell in row] for row in _rows(table))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


FIGURE_COLUMNS = ["indicator", "area", "area_name", "year", "year_as_written", "value", "qualifier_label", "scope"]
FIGURE_COLUMNS += ["measured_as", "source", "quote"]


def _figure_headers():
    return [
        _("indicator"),
        _("area"),
        _("area name"),
        _("year"),
        _("year as written"),
        _("value"),
        _("qualifier"),
        _("scope"),
        _("measured as"),
        _("source"),
        _("quote"),
    ]


def _figure_rows(frame):
    for record in frame[FIGURE_COLUMNS].itertuples(index=False):
        row = list(record)
        row[3] = None if row[3] == NO_YEAR else row[3]
        yield row


def _sheets(frame):
    """(title, header, rows) of the two sheets."""
    if frame.empty:
        table, years = pd.DataFrame(columns=KEYS), []
    else:
        table, years = pivot(frame)
    return [
        (_("areas × years"), headers(years), _rows(table)),
        (_("figures"), _figure_headers(), _figure_rows(frame) if not frame.empty else iter(())),
    ]


def _cell_value(cell):
    if cell is None or isinstance(cell, int | float):
        return cell
    return spreadsheet_cell(str(cell))


def write_xlsx(frame, lang):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in _sheets(frame):
        sheet = book.create_sheet(title[:31])
        sheet.sheet_view.rightToLeft = is_rtl(lang)
        sheet.append(header)
        for row in rows:
            sheet.append([_cell_value(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_ods(frame, lang):
    """With odfpy: one table a sheet, right to left (writing-mode rl-tb) for Arabic and Persian."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    style = Style(name="sheet", family="table")
    style.addElement(TableProperties(writingmode="rl-tb" if is_rtl(lang) else "lr-tb", display=True))
    document.automaticstyles.addElement(style)
    for title, header, rows in _sheets(frame):
        table = Table(name=title, stylename=style)
        for row in [header, *rows]:
            line = TableRow()
            for cell in row:
                value = _cell_value(cell)
                if isinstance(value, int | float):
                    element = TableCell(valuetype="float", value=value)
                    element.addElement(P(text=f"{value:g}"))
                else:
                    element = TableCell(valuetype="string")
                    element.addElement(P(text=value or ""))
                line.addElement(element)
            table.addElement(line)
        document.spreadsheet.addElement(table)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def pivot_file(fmt, indicators=None, lang="en"):
    """(bytes, content type) of the pivoted download."""
    frame = long_frame(indicators, lang)
    if fmt == "csv":
        return write_csv(frame), CONTENT_TYPES[fmt]
    if fmt == "xlsx":
        return write_xlsx(frame, lang), CONTENT_TYPES[fmt]
    return write_ods(frame, lang), CONTENT_TYPES[fmt]
