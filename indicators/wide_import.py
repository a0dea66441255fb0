"""Importing a wide table: areas in rows, years in columns, one indicator and source for the whole
sheet, as statistical yearbooks, the World Bank and the OECD publish them (CSV, XLSX or ODS).

The sheet is read within the import's limits (``import_files.read_grid``), put in a pandas frame,
its header row found (the first row with year headers, under any title block), and melted into
one long row per filled cell, with the columns of the full-data download. Those rows are then
checked by the long import's own planning (``import_plan.plan_import``) and written by its
``apply_plan``, so the guarantees are shared, not copied: the preview, all or nothing, drafts
unless published, history, matching an existing figure by source, area, indicator, year as
written and quote. What this module adds is the naming of every problem by its cell (``D7``),
its row header (the area as written) and its column header (the year as written).

* **Areas** are matched by code, or by name in English, Arabic or Persian, in any of the columns
  left of the first year (ي/ی, ك/ک, ى/ی, ة/ه alike; case, diacritics, tatweel and the
  zero-width non-joiner ignored). A row whose area is not found is a problem if it holds figures,
  and skipped if it does not (a footnote under the table).
* **Years**: a header of four digits, in any digits, is a year: 1200–1499 Solar Hijri (stored as
  written, with its calendar; the model files it under the Gregorian year in which it begins),
  otherwise Gregorian.
* **Cells**: numbers as the sources write them (``numbers.parse_number``: Persian and
  Arabic-Indic digits, ``٫`` or ``/`` as the decimal point, ``٬`` or ``,`` between thousands);
  "..", "-", "—" and blanks are missing: no figure, never a zero.
* **Provenance**: every figure's quote is the table's caption as the source writes it, with its
  location (page, table number); its note (in the import's language) names its cell,
  ``Sheet1!D7`` (a CSV's "sheet" is its file name).
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from countries.models import Area

from .import_files import gc_paused, read_grid
from .import_limits import ImportFileError
from .import_plan import plan_import
from .import_results import REJECTED, ImportPlan, RowPlan
from .importing import apply_plan
from .models import EARLIEST_YEAR, LATEST_YEAR, Observation
from .text import isolate_auto, latin_digits

MISSING = frozenset({"", "..", "...", "…", "-", "–", "—", "−", "x", "X"})
SOLAR_HIJRI_YEARS = range(1200, 1500)
HEADER_SEARCH_ROWS = 50  # the header is looked for among the first rows that hold something
LONG_HEADER = ["area", "indicator", "value", "source", "quote", "year_as_written", "year_calendar", "scope"]
LONG_HEADER += ["qualifier", "note"]
# The first column of a wide table kept for the background worker (``to_csv``): it tells
# ``import_jobs`` to plan it here.
MARKER = "smedash-wide-table"
EXTRA = [MARKER, "row_header", "column_header", "problem"]
_YEAR = re.compile(r"(\d{4})(?:\.0+)?")
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ـ": "", "\u200c": " ", "\u200f": "", "\u200e": ""})


@dataclass
class Entry:
    """One cell of the sheet: a long row to plan (``cells``, in ``header`` order), or a problem
    found in the sheet's layout (``problem``) before any planning."""

    number: int
    cell: str
    row_header: str
    column_header: str
    cells: list | None = None
    problem: str = ""


@dataclass
class WideTable:
    sheet: str
    header: list
    entries: list = field(default_factory=list)
    header_row: int = 0
    figures: int = 0  # cells to plan

    def to_csv(self):
        """The melted table as CSV bytes (a large one is planned again by the background worker)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*EXTRA, *self.header])
        for entry in self.entries:
            extra = [entry.cell, entry.row_header, entry.column_header, entry.problem]
            writer.writerow([*extra, *(entry.cells or [""] * len(self.header))])
        return out.getvalue().encode("utf-8")


def is_wide_csv(content):
    return content.startswith(MARKER.encode())


def from_csv(content):
    """The table ``WideTable.to_csv`` wrote."""
    reader = csv.reader(io.StringIO(content.decode("utf-8"), newline=""))
    first = next(reader)
    table = WideTable(sheet="", header=first[len(EXTRA) :])
    for cells in reader:
        cell, row_header, column_header, problem = cells[: len(EXTRA)]
        long = cells[len(EXTRA) :]
        number = int(re.sub(r"\D", "", cell.rpartition("!")[2]) or 0)
        entry = Entry(number, cell, row_header, column_header, None if problem else long, problem)
        table.entries.append(entry)
    table.figures = sum(1 for entry in table.entries if entry.cells is not None)
    return table


# Reading the sheet -----------------------------------------------------------------------------


@gc_paused()  # see import_files.gc_paused: a row of objects for every cell
def read_wide(filename, content, options, limits=None):
    """The sheet melted into one entry per filled cell under a year (see the module's docstring)."""
    sheet, grid = read_grid(filename, content, limits)
    width = max(len(cells) for _number, cells in grid)
    frame = pd.DataFrame(
        [cells + [""] * (width - len(cells)) for _number, cells in grid],
        index=[number for number, _cells in grid],
        columns=range(1, width + 1),
    )
    header_row, years = _find_header(frame)
    first_year = min(years)
    header = LONG_HEADER + (["measured_as"] if options.measured_as else [])
    table = WideTable(sheet=sheet, header=header, header_row=header_row)
    body = frame.loc[frame.index > header_row]
    labels = body[[column for column in frame.columns if column < first_year]]
    areas = _match_areas(labels)
    table.entries += _header_problems(frame.loc[header_row], years, first_year, header_row, body, areas)
    table.entries += _area_problems(labels, areas, body, years)
    table.entries += _melt(body, areas, years, frame.loc[header_row], sheet, options, header)
    table.entries.sort(key=lambda entry: (entry.number, _column_number(entry.cell)))
    table.figures = sum(1 for entry in table.entries if entry.cells is not None)
    if limits is not None and table.figures > limits.max_rows:
        raise ImportFileError(
            _("The table has more than %(limit)s figures: split it, or import it on the server.")
            % {"limit": limits.max_rows}
        )
    return table


def year_header(text):
    """(year as written, calendar) of a column header that is a year; None otherwise."""
    written = text.strip()
    found = _YEAR.fullmatch(latin_digits(written))
    if not found:
        return None
    year = int(found[1])
    if year in SOLAR_HIJRI_YEARS:
        return written.partition(".")[0], Observation.Calendar.SOLAR_HIJRI
    if EARLIEST_YEAR <= year <= LATEST_YEAR:
        return written.partition(".")[0], Observation.Calendar.GREGORIAN
    return None


def _find_header(frame):
    """The first row with a year header right of its first column (a title block above has at
    most one cell a row, and a lone year in column A is a title), and its {column: year}."""
    for number in frame.index[:HEADER_SEARCH_ROWS]:
        years = {}
        for column, text in frame.loc[number].items():
            parsed = year_header(text) if column > 1 else None
            if parsed:
                years[column] = parsed
        if years:
            return number, years
    raise ImportFileError(
        _(
            "No header row of years was found: the table needs a row with the years (1392, 2013, ۱۳۹۲…) "
            "as column headers, with the areas in a column to their left."
        )
    )


def normalise(text):
    """A name compared loosely: ي/ی, ك/ک, ى/ی, ة/ه alike; case, marks and spacing ignored."""
    text = unicodedata.normalize("NFKD", str(text).translate(_LETTERS).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def _area_index():
    """{code or normalised name: area}; a name two areas share matches neither."""
    codes, names, shared = {}, {}, set()
    for area in Area.objects.all():
        codes[area.code.upper()] = area
        for name in {area.name, area.name_en, area.name_ar, area.name_fa} - {None, ""}:
            key = normalise(name)
            if key in names and names[key] != area:
                shared.add(key)
            names[key] = area
    for key in shared:
        names.pop(key)
    return codes, names


def _match_areas(labels):
    """{row number: (area, its row header)} for the rows whose label cells name an area (by code
    first); the row header is the row's first label, as written."""
    codes, names = _area_index()
    found = {}
    for number, row in labels.iterrows():
        texts = [text.strip() for text in row if text.strip()]
        area = next((codes[t.upper()] for t in texts if t.upper() in codes), None)
        area = area or next((names[normalise(t)] for t in texts if normalise(t) in names), None)
        if area is not None:
            found[number] = (area, texts[0])
    return found


def _filled(text):
    return text.strip() not in MISSING


def _header_problems(header, years, first_year, header_row, body, areas):
    """Repeated year headers, and figures under a header that is not a year."""
    problems, seen = [], {}
    for column, (written, calendar) in sorted(years.items()):
        key = (latin_digits(written), calendar)
        if key in seen:
            cell = f"{get_column_letter(column)}{header_row}"
            message = _("Column %(column)s has the same year as column %(other)s.") % {
                "column": get_column_letter(column),
                "other": get_column_letter(seen[key]),
            }
            problems.append(Entry(header_row, cell, "", written, problem=message))
        else:
            seen[key] = column
    rows = body.loc[body.index.isin(list(areas))]
    for column in header.index:
        if column > first_year and column not in years and rows[column].map(_filled).any():
            cell = f"{get_column_letter(column)}{header_row}"
            message = _("Its column holds figures, but its header “%(text)s” is not a year.") % {"text": header[column]}
            problems.append(Entry(header_row, cell, "", header[column], problem=message))
    for entry in problems:
        years.pop(_column_number(entry.cell), None)  # the column's figures are not read
    return problems


def _area_problems(labels, areas, body, years):
    """Rows that hold figures but whose area is not found."""
    problems = []
    year_columns = list(years)
    for number, row in labels.iterrows():
        if number in areas or not body.loc[number, year_columns].map(_filled).any():
            continue
        texts = [(column, text.strip()) for column, text in row.items() if text.strip()]
        if texts:
            column, text = texts[0]
            message = _("No area has the code or name “%(text)s”.") % {"text": text}
        else:
            column, text = 1, ""
            message = _("This row holds figures but names no area.")
        problems.append(Entry(number, f"{get_column_letter(column)}{number}", text, "", problem=message))
    return problems


def _melt(body, areas, years, header, sheet, options, long_header):
    """One long row per filled cell under a year, in the rows whose area is known (pandas' melt)."""
    if not areas or not years:
        return []
    frame = body.loc[body.index.isin(list(areas)), list(years)]
    frame = frame.rename_axis("number").reset_index()
    long = frame.melt(id_vars="number", var_name="column", value_name="text")
    long = long[long["text"].map(_filled)]
    letters = {column: get_column_letter(column) for column in years}
    headers = {column: header[column] for column in years}  # read from pandas once, not per cell
    constant = {
        "indicator": options.indicator,
        "source": options.source,
        "quote": options.quote,
        "scope": options.scope,
        "qualifier": options.qualifier,
        "measured_as": options.measured_as,
    }
    # Each row is the constant cells with the ones of its cell put in (a list, in ``long_header``
    # order, as ``plan_import`` reads it).
    template = [constant.get(name, "") for name in long_header]
    at = {name: long_header.index(name) for name in ("area", "value", "year_as_written", "year_calendar", "note")}
    entries = []
    for number, column, text in zip(long["number"], long["column"], long["text"], strict=True):
        area, label = areas[number]
        written, calendar = years[column]
        cell = f"{letters[column]}{number}"
        cells = template.copy()
        cells[at["area"]], cells[at["value"]], cells[at["note"]] = area.code, text.strip(), f"{sheet}!{cell}"
        cells[at["year_as_written"]], cells[at["year_calendar"]] = written, calendar
        entries.append(Entry(int(number), cell, label, headers[column], cells))
    return entries


def _column_number(cell):
    """The column number of a cell's name (``D7``, ``Sheet1!AB12``): its letters, as a number."""
    number = 0
    for letter in cell.rpartition("!")[2]:
        if not "A" <= letter <= "Z":
            break
        number = number * 26 + ord(letter) - 64
    return number


# Planning ---------------------------------------------------------------------------------------


@gc_paused()
def plan_wide(table, *, lang="en", publish=False):
    """The long import's plan of the table's cells, every problem named by its cell; nothing is
    written. Each RowPlan gets ``cell``, ``row_header`` and ``column_header``."""
    long = [entry for entry in table.entries if entry.cells is not None]
    if not table.entries:
        raise ImportFileError(_("The table has no figures to import: every cell under a year is empty."))
    rows = []
    if long:
        plan = plan_import(table.header, [(entry.number, entry.cells) for entry in long], lang=lang, publish=publish)
        for row, entry in zip(plan.rows, long, strict=True):
            _name(row, entry)
            rows.append(row)
    for entry in table.entries:
        if entry.cells is None:
            row = RowPlan(number=entry.number, cells={"year_as_written": entry.column_header})
            row.reject("", entry.problem)
            _name(row, entry)
            rows.append(row)
    rows.sort(key=lambda row: (row.number, _column_number(row.cell)))
    return ImportPlan(rows)


def _name(row, entry):
    """The row's problems named by the cell, its row header and its column header."""
    row.cell, row.row_header, row.column_header = entry.cell, entry.row_header, entry.column_header
    if row.action != REJECTED:
        return
    for problem in row.problems:
        problem.message = cell_message(entry.cell, entry.row_header, entry.column_header, problem.message)
        problem.column = ""


def cell_message(cell, row_header, column_header, reason):
    headers = [isolate_auto(text) for text in (row_header, column_header) if text]
    if not headers:
        return _("Cell %(cell)s: %(reason)s") % {"cell": cell, "reason": reason}
    return _("Cell %(cell)s (%(headers)s): %(reason)s") % {
        "cell": cell,
        "headers": " × ".join(headers),
        "reason": reason,
    }


def import_wide(filename, content, options, *, dry_run=False, user=None, reason="", limits=None):
    """Read, check and (unless ``dry_run`` or a cell is wrong) write; return (table, plan)."""
    table = read_wide(filename, content, options, limits)
    plan = plan_wide(table, lang=options.lang, publish=options.publish)
    if plan.ok and not dry_run:
        apply_plan(plan, user=user, reason=reason)
    return table, plan
