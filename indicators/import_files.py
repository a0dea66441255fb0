"""Reading a CSV or XLSX file to import into its header and rows of text cells (``read_table``),
within the limits (``ImportLimits``): each is checked as the rows are read, so that no file makes
the server use unbounded memory or time. An XLSX workbook is scanned first (``import_xlsx_scan``),
then opened with openpyxl (its sheets, styles and shared strings), and its active sheet's cells
are streamed by ``import_xlsx_scan.sheet_rows`` with openpyxl's own conversions.
"""

import csv
import gc
import io
import logging
import re
from contextlib import contextmanager
from datetime import date, datetime

from django.utils.translation import gettext as _

from .forms import file_too_large_message
from .import_limits import (
    ImportFileError,
    ImportLimits,
    beyond_last_column,
    cell_too_long,
    too_many_raw_rows,
    too_many_rows,
)
from .import_ods import read_ods
from .import_xlsx_scan import inspect_xlsx, sheet_rows
from .text import strip_control

NUL = "\x00"
MISSING_PART = re.compile(r"There is no item named '([^']*)'")  # zipfile's KeyError

# The logger of the whole import (reading, planning, writing), as before the modules were split.
logger = logging.getLogger("indicators.importing")


@contextmanager
def gc_paused():
    """Python's cycle collector paused while a file is read or planned, then back as it was (a
    context manager, or a decorator: ``@gc_paused()``).

    Why: reading and planning make a dozen objects a row, each of which counts towards the
    collector's next pass, and a full pass walks every object of the process: with tens of
    thousands of rows that was a quarter of the time, for nothing, since what they make stays in
    the result or is freed by reference counting at once. Why it is safe: only the collector of
    reference cycles pauses (memory is freed as usual), for one read or plan, in a process that
    serves one request at a time (gunicorn's sync workers; the background worker); it is enabled
    again afterwards, also on an error, unless it was off before (a nested pause keeps it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@gc_paused()
def read_table(filename, content, limits=None):
    """Return (header, rows) from CSV or XLSX bytes; rows are (row number, list of text cells)
    for the rows after the header (blank ones may be among them)."""
    limits = limits or ImportLimits.from_settings()
    if len(content) > limits.max_bytes:
        raise ImportFileError(file_too_large_message(limits.max_bytes))
    if filename.lower().endswith(".xlsx"):
        header, rows = _read_xlsx(content, limits)
    else:
        header, rows = _read_csv(content, limits)
    if header is None:
        raise ImportFileError(_("The file is empty."))
    for index, cell in enumerate(header):
        if NUL in cell:
            raise ImportFileError(
                _(
                    "The header, column %(column)s, contains a NUL character (code 0): the file is damaged, "
                    "or is not UTF-8 text."
                )
                % {"column": index + 1}
            )
    return [cell.strip().lower() for cell in header], rows


@gc_paused()
def read_grid(filename, content, limits=None):
    """(sheet name, rows) of a CSV, XLSX or ODS file laid out otherwise than the export (a wide
    table under a title block): every row that holds something, numbered as a spreadsheet shows
    it, its cells as text, read within the same limits as ``read_table``. A CSV's "sheet" is its
    file name."""
    limits = limits or ImportLimits.from_settings()
    if len(content) > limits.max_bytes:
        raise ImportFileError(file_too_large_message(limits.max_bytes))
    lower = filename.lower()
    if lower.endswith(".ods"):
        name, rows = read_ods(content, limits)
        rows = [(number, [_clean(cell) for cell in cells]) for number, cells in rows]
    elif lower.endswith(".xlsx"):
        name, rows = _read_xlsx(content, limits, grid=True)
    else:
        header, rows = _read_csv(content, limits)
        name, rows = filename, ([(1, header)] if header is not None else []) + rows
    rows = [(number, cells) for number, cells in rows if any(cell.strip() for cell in cells)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    return name, rows


def _clean(text):
    """Control characters (but tab and line breaks) out of a cell before anything else: one in
    front of "=" would hide a formula from the downloads' check. A NUL stays, to be refused with
    its row and column (it is no text: the file is damaged, or not UTF-8)."""
    if NUL in text:
        return NUL.join(strip_control(part) for part in text.split(NUL))
    return strip_control(text)


# CSV ---------------------------------------------------------------------------------------


def _read_csv(content, limits):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.")) from None
    clean = _clean if NUL in text else strip_control
    header, rows, filled, number = None, [], 0, 0
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, cells in enumerate(reader, start=1):  # noqa: B007 (read after a csv.Error)
            if number > limits.max_raw_rows:
                raise too_many_raw_rows(limits)
            if len(cells) > limits.max_columns:
                cells = _first_columns(cells, number, limits)
            if cells and max(map(len, cells)) > limits.max_cell_chars:
                index = next(i for i, cell in enumerate(cells) if len(cell) > limits.max_cell_chars)
                raise cell_too_long(limits, number, _column_name(header, index, str(index + 1)))
            cells = [clean(cell) for cell in cells]
            if header is None:
                header = cells
                continue
            if any(cell.strip() for cell in cells):
                filled += 1
                if filled > limits.max_rows:
                    raise too_many_rows(limits)
            rows.append((number, cells))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise cell_too_long(limits, number + 1) from None
        raise ImportFileError(
            _("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number + 1, "error": error}
        ) from None
    return header, rows


def _first_columns(cells, number, limits):
    for index in range(limits.max_columns, len(cells)):
        if cells[index].strip():
            raise beyond_last_column(limits, number, index + 1)
    return cells[: limits.max_columns]


def _column_name(header, index, fallback):
    name = header[index].strip().lower() if header and index < len(header) else ""
    return name or fallback


# XLSX --------------------------------------------------------------------------------------


def _read_xlsx(content, limits, grid=False):
    """The active sheet of a workbook, which ``inspect_xlsx`` has found safe to open
    (``grid``: its name and every row, for ``read_grid``).

    The sheet is read row by row as openpyxl parses it, without the dimension the sheet declares
    (``A1:XFD1048576`` would make openpyxl pad every row to 16,384 cells and add every missing
    row): a row has the cells it holds, and the limits are checked as the rows come."""
    inspect_xlsx(content, limits)
    workbook = _open_workbook(content)
    try:
        return _read_active_sheet(workbook, limits, grid)
    except ImportFileError:
        raise
    except Exception:
        logger.warning("Import: openpyxl could not read a sheet", exc_info=True)
        raise ImportFileError(_("The file could not be read as an XLSX workbook.")) from None
    finally:
        workbook.close()


def _open_workbook(content):
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds of error for a malformed part
        missing = MISSING_PART.search(str(error)) if isinstance(error, KeyError) else None
        if missing:  # a part that the workbook's own lists name
            raise ImportFileError(
                _("The workbook is incomplete: its part %(part)s is missing.") % {"part": missing[1]}
            ) from None
        logger.warning("Import: openpyxl could not open a workbook", exc_info=True)
        raise ImportFileError(_("The file could not be read as an XLSX workbook.")) from None


def _read_active_sheet(workbook, limits, grid=False):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    sheet = workbook.active
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise ImportFileError(_("The workbook has no sheet of cells to import."))
    # The rows of the sheet's part as openpyxl's row parser reads them, streamed
    # (``import_xlsx_scan.sheet_rows``; the read-only worksheet's iter_rows would pad rows to the
    # declared dimension).
    with sheet._get_source() as source:
        rows = sheet_rows(source, sheet._shared_strings, workbook)
        if grid:
            return sheet.title, _read_sheet_grid(rows, limits)
        return _read_sheet_rows(rows, limits)


def _read_sheet_rows(parsed, limits):
    header, rows, filled, raw = None, [], 0, 0
    for number, cells in parsed:
        raw += 1
        if raw > limits.max_raw_rows:
            raise too_many_raw_rows(limits)
        texts = _sheet_row_texts(number, cells, header, limits)
        if not texts:
            continue
        row = [""] * max(texts)
        for column, text in texts.items():
            row[column - 1] = _clean(text)
        if header is None:
            header = row  # the first row with something in it
            continue
        filled += 1
        if filled > limits.max_rows:
            raise too_many_rows(limits)
        rows.append((number, row))
    return header, rows


def _read_sheet_grid(parsed, limits):
    """Every row that holds something, with its number (the wide import finds its header itself)."""
    rows, raw = [], 0
    for number, cells in parsed:
        raw += 1
        if raw > limits.max_raw_rows:
            raise too_many_raw_rows(limits)
        texts = _sheet_row_texts(number, cells, None, limits)
        if not texts:
            continue
        if len(rows) > limits.max_rows:  # the header row is not counted
            raise too_many_rows(limits)
        row = [""] * max(texts)
        for column, text in texts.items():
            row[column - 1] = _clean(text)
        rows.append((number, row))
    return rows


def _sheet_row_texts(number, cells, header, limits):
    """{column number: text} of the cells of a row that hold something."""
    texts = {}
    for column, value in cells:
        if value is None or value == "":
            continue  # an empty cell that only carries formatting
        if column > limits.max_columns:
            raise beyond_last_column(limits, number, _column_letter(column))
        text = _cell_text(value)
        if len(text) > limits.max_cell_chars:
            raise cell_too_long(limits, number, _column_name(header, column - 1, _column_letter(column)))
        texts[column] = text
    return texts


def _column_letter(column):
    from openpyxl.utils import get_column_letter

    try:
        return get_column_letter(column)
    except ValueError:
        return str(column)


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet stores the year 1978 as 1978.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
