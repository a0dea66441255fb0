"""Importing observations from a CSV or XLSX file with the columns of the full-data export.

An export can be edited in a spreadsheet and imported again. The rules:

* **Matching.** A row changes the existing figure with the same source, area, indicator, year as
  written and quote: the words a figure was taken from identify it, as in the seed loader.
  Any other row is a new figure. An import never deletes anything.
* **Status.** A filled ``status`` cell (draft or published) decides. Otherwise "publish" (the
  admin's tick box, the command's ``--publish``) publishes every row; without it new figures
  come in as drafts and existing figures keep their status.
* **All or nothing.** Every row is checked first (the model's own rules, plus the columns'
  formats); if one row is wrong nothing is written, and each problem names its row (the header
  is row 1, as a spreadsheet numbers them), its column and the reason.
* ``unit`` and ``area_kind`` are checks, not data: they must agree with the indicator and area.
  The name columns (``area_name``, ``indicator_name``, ``source_title``) and ``last_changed``
  are ignored. ``note`` and ``definition`` are stored in one language, chosen at import.
* **Limits** (``ImportLimits``). A file larger than the limits (bytes, rows, columns, characters in
  a cell; for XLSX its unpacked size, compression and XML), a DTD in an XLSX part, or a NUL
  character is refused with a message naming the problem. The limits are checked before the file
  is parsed or as it is read, so that no file makes the server use unbounded memory or time.

Everything is looked up once and validated in memory, then written with simple-history's bulk
helpers, so that large files import quickly and still leave a history (who, when, why). This is
why the admin's import pages are our own rather than django-import-export's: its resources look
up and validate row by row, several queries a row, and report problems per field of the model
rather than per column of the file. XLSX is read with openpyxl, installed with its xlsx extra.
"""

import csv
import io
import logging
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from countries.models import Area

from .exports import EXPORT_COLUMNS, NAME_COLUMNS
from .forms import file_too_large_message, has_percent_sign, percent_sign_error
from .models import Indicator, Observation, Source
from .numbers import NumberFormatError, parse_number, parse_year
from .text import FORMULA_PREFIXES, plain_decimal, strip_control
from .writes import figures_changed

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"
REQUIRED_COLUMNS = ["area", "indicator", "value", "source", "quote"]
KNOWN_COLUMNS = EXPORT_COLUMNS + NAME_COLUMNS + ["status"]
TRANSLATED = ("definition", "note")
BATCH_SIZE = 500
# bulk_update writes "CASE WHEN id=… THEN …" for every field and row of a batch: smaller batches
# and only the fields that changed keep it fast.
UPDATE_BATCH_SIZE = 100
EMPTY_TRANSLATIONS = [*TRANSLATED, *(f"{name}_{lang}" for name in TRANSLATED for lang in ("en", "ar", "fa"))]

# Cells with a fixed list of values: column -> (model field, default for an empty cell).
CHOICE_COLUMNS = {
    "qualifier": Observation.Qualifier.EXACT,
    "scope": Observation.Scope.NOT_STATED,
    "year_calendar": Observation.Calendar.GREGORIAN,
}
# What an import may change on an existing figure (the matching columns cannot change).
COMPARED_FIELDS = ["value", "qualifier", "year", "year_calendar", "scope", "status"]


# Built only when a row is wrong: formatting a message for each of 20,000 good rows is slow.
NO_AREA = gettext_lazy("No area has the code “%(text)s”.")
NO_INDICATOR = gettext_lazy("No indicator has the code “%(text)s”.")
NO_SOURCE = gettext_lazy("No source has the identifier “%(text)s”.")
NOT_A_NUMBER = gettext_lazy("“%(text)s” is not a number.")
NOT_A_YEAR = gettext_lazy("“%(text)s” is not a year.")
REQUIRED = gettext_lazy("This cell is required.")
NUL_IN_CELL = gettext_lazy("The cell contains a NUL character (code 0): the file is damaged, or is not UTF-8 text.")

logger = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, or its columns are wrong)."""


@dataclass
class Problem:
    column: str
    message: str


@dataclass
class RowPlan:
    number: int
    cells: dict
    action: str = NEW
    observation: Observation | None = None
    changes: list = field(default_factory=list)  # (column, old, new)
    changed_fields: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def reject(self, column, message):
        self.problems.append(Problem(column, str(message)))
        self.action = REJECTED


@dataclass
class ImportPlan:
    rows: list

    def counts(self):
        counts = {NEW: 0, CHANGED: 0, UNCHANGED: 0, REJECTED: 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def ok(self):
        return not any(row.action == REJECTED for row in self.rows)

    def problems(self):
        """(row number, column, reason) for every problem, in file order."""
        return [(row.number, p.column, p.message) for row in self.rows for p in row.problems]


# Limits ------------------------------------------------------------------------------------

MiB = 1024 * 1024
# XLSX parts whose size is the data's (the sheets and their shared strings); any other part
# (styles, workbook, relationships…) is small in every spreadsheet.
DATA_PARTS = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedStrings\.xml")
MAX_PARTS = 1000
OTHER_PART_ELEMENTS = 250_000
DATA_ELEMENTS_PER_ROW = 60  # a cell is two or three elements (<c><v>, <c><is><t>)
SCAN_CHUNK = 256 * 1024
MISSING_PART = re.compile(r"There is no item named '([^']*)'")  # zipfile's KeyError


@dataclass(frozen=True)
class ImportLimits:
    """How much an import takes. Each limit is checked before the file is parsed (its size; an
    XLSX's parts, unpacked size and compression) or while it is read (rows, columns, cells), so
    that no file makes the server use unbounded memory or time. The admin's come from the
    settings (``SMEDASH_IMPORT_MAX_BYTES``, …); the command's are larger (``for_command``)."""

    max_bytes: int = 20 * MiB  # the file as uploaded
    max_rows: int = 20_000  # rows with something in them, the header not counted
    max_columns: int = 100  # cells a row may have: a value further right is refused
    max_unpacked_bytes: int = 100 * MiB  # XLSX: all its parts unpacked
    max_compression_ratio: int = 100  # XLSX: how many times a part over 1 MiB may be compressed
    max_cell_chars: int = 32_767  # one cell, as in Excel

    @classmethod
    def from_settings(cls):
        """Each limit from the Django setting ``SMEDASH_IMPORT_<NAME>`` (``SMEDASH_IMPORT_MAX_ROWS``)
        if the project defines it, else the environment variable of that name, else the default."""
        defaults, values = cls(), {}
        for name in cls.__dataclass_fields__:
            key = f"SMEDASH_IMPORT_{name.upper()}"
            value = getattr(settings, key, None)
            if value is None:
                value = os.environ.get(key) or getattr(defaults, name)
            try:
                values[name] = int(value)
            except (TypeError, ValueError):
                raise ImproperlyConfigured(f"{key} must be a whole number, not {value!r}.") from None
        return cls(**values)

    @classmethod
    def for_command(cls, max_rows=None):
        """On the server the file is the operator's own and no request times out: ten times the
        admin's sizes, and as many rows as asked for (ten times the admin's by default)."""
        base = cls.from_settings()
        rows = max_rows or 10 * base.max_rows
        return replace(
            base,
            max_rows=rows,
            max_bytes=max(10 * base.max_bytes, rows * 2 * 1024),
            max_unpacked_bytes=max(10 * base.max_unpacked_bytes, rows * 10 * 1024),
        )

    @property
    def max_raw_rows(self):
        """Rows counted with the empty ones (a sheet formatted far below its data has many)."""
        return 2 * self.max_rows + 1000


def _too_many_rows(limits):
    return ImportFileError(
        _(
            "The file has more than %(limit)s rows: split it into files of at most %(limit)s rows, "
            "or import it on the server with “manage.py import_observations”."
        )
        % {"limit": limits.max_rows}
    )


def _too_many_raw_rows(limits):
    return ImportFileError(
        _("The file has more than %(limit)s rows, counting empty ones: delete the empty rows below the data.")
        % {"limit": limits.max_raw_rows}
    )


def _beyond_last_column(limits, row, column):
    return ImportFileError(
        _("Row %(row)s has a value in column %(column)s: a file may have at most %(limit)s columns.")
        % {"row": row, "column": column, "limit": limits.max_columns}
    )


def _cell_too_long(limits, row, column=None):
    limit = min(limits.max_cell_chars, csv.field_size_limit())
    if column is None:
        message = _("Row %(row)s has a cell of more than %(limit)s characters.")
    else:
        message = _("Row %(row)s, column %(column)s: the cell has more than %(limit)s characters.")
    return ImportFileError(message % {"row": row, "column": column, "limit": limit})


# Reading -----------------------------------------------------------------------------------

NUL = "\x00"
# The start of an OLE file: an old .xls workbook, or any Office file protected by a password.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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


def _clean(text):
    """Control characters (but tab and line breaks) out of a cell before anything else: one in
    front of "=" would hide a formula from the downloads' check. A NUL stays, to be refused with
    its row and column (it is no text: the file is damaged, or not UTF-8)."""
    if NUL in text:
        return NUL.join(strip_control(part) for part in text.split(NUL))
    return strip_control(text)


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
                raise _too_many_raw_rows(limits)
            if len(cells) > limits.max_columns:
                cells = _first_columns(cells, number, limits)
            if cells and max(map(len, cells)) > limits.max_cell_chars:
                index = next(i for i, cell in enumerate(cells) if len(cell) > limits.max_cell_chars)
                raise _cell_too_long(limits, number, _column_name(header, index, str(index + 1)))
            cells = [clean(cell) for cell in cells]
            if header is None:
                header = cells
                continue
            if any(cell.strip() for cell in cells):
                filled += 1
                if filled > limits.max_rows:
                    raise _too_many_rows(limits)
            rows.append((number, cells))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _cell_too_long(limits, number + 1) from None
        raise ImportFileError(
            _("Row %(row)s cannot be read as CSV: %(error)s") % {"row": number + 1, "error": error}
        ) from None
    return header, rows


def _first_columns(cells, number, limits):
    for index in range(limits.max_columns, len(cells)):
        if cells[index].strip():
            raise _beyond_last_column(limits, number, index + 1)
    return cells[: limits.max_columns]


def _column_name(header, index, fallback):
    name = header[index].strip().lower() if header and index < len(header) else ""
    return name or fallback


def _read_xlsx(content, limits):
    """The active sheet of a workbook, which ``_inspect_xlsx`` has found safe to open.

    The sheet is read row by row as openpyxl parses it, without the dimension the sheet declares
    (``A1:XFD1048576`` would make openpyxl pad every row to 16,384 cells and add every missing
    row): a row has the cells it holds, and the limits are checked as the rows come."""
    _inspect_xlsx(content, limits)
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds of error for a malformed part
        missing = MISSING_PART.search(str(error)) if isinstance(error, KeyError) else None
        if missing:  # a part that the workbook's own lists name
            raise ImportFileError(
                _("The workbook is incomplete: its part %(part)s is missing.") % {"part": missing[1]}
            ) from None
        logger.warning("Import: openpyxl could not open a workbook", exc_info=True)
        raise ImportFileError(_("The file could not be read as an XLSX workbook.")) from None
    try:
        sheet = workbook.active
        if not isinstance(sheet, ReadOnlyWorksheet):
            raise ImportFileError(_("The workbook has no sheet of cells to import."))
        # openpyxl's own row parser, on the sheet's part (the read-only worksheet's iter_rows
        # would pad rows to the declared dimension).
        with sheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            return _read_sheet_rows(parser.parse(), limits)
    except ImportFileError:
        raise
    except Exception:
        logger.warning("Import: openpyxl could not read a sheet", exc_info=True)
        raise ImportFileError(_("The file could not be read as an XLSX workbook.")) from None
    finally:
        workbook.close()


def _read_sheet_rows(parsed, limits):
    header, rows, filled, raw = None, [], 0, 0
    for number, cells in parsed:
        raw += 1
        if raw > limits.max_raw_rows:
            raise _too_many_raw_rows(limits)
        texts = {}
        for cell in cells:
            value = cell["value"]
            if value is None or value == "":
                continue  # an empty cell that only carries formatting
            column = cell["column"]
            if column > limits.max_columns:
                raise _beyond_last_column(limits, number, _column_letter(column))
            text = _cell_text(value)
            if len(text) > limits.max_cell_chars:
                raise _cell_too_long(limits, number, _column_name(header, column - 1, _column_letter(column)))
            texts[column] = text
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
            raise _too_many_rows(limits)
        rows.append((number, row))
    return header, rows


def _column_letter(column):
    from openpyxl.utils import get_column_letter

    try:
        return get_column_letter(column)
    except ValueError:
        return str(column)


def _inspect_xlsx(content, limits):
    """Refuse a workbook that openpyxl must not open, before it does: not a ZIP archive; more
    parts, or more unpacked bytes, than the limits; a part compressed like a "zip bomb"; a DTD
    (entities: "billion laughs", external files); XML that is not well formed; more rows, cells in
    a row, or elements than the limits. Every XML part is scanned once with expat, streamed, in
    constant memory."""
    if content.startswith(OLE_SIGNATURE):
        raise ImportFileError(
            _(
                "This is an old Excel workbook (.xls), or one protected by a password: save it as an "
                "Excel workbook (.xlsx) without a password, or as “CSV UTF-8”."
            )
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ImportFileError(
            _("The file could not be read as an XLSX workbook: it is not one, or it is damaged or incomplete.")
        ) from None
    with archive:
        members = [member for member in archive.infolist() if not member.is_dir()]
        if len(members) > MAX_PARTS:
            raise ImportFileError(
                _("The workbook has %(count)s parts; a spreadsheet has far fewer (at most %(limit)s are read).")
                % {"count": len(members), "limit": MAX_PARTS}
            )
        # The sizes come from the archive's directory; zipfile never unpacks more than a part's
        # stated size (and a part that unpacks to something else fails its checksum).
        unpacked = sum(member.file_size for member in members)
        if unpacked > limits.max_unpacked_bytes:
            raise ImportFileError(
                _("The workbook unpacks to %(size)s; an import takes at most %(limit)s.")
                % {"size": filesizeformat(unpacked), "limit": filesizeformat(limits.max_unpacked_bytes)}
            )
        for member in members:
            if member.file_size > MiB and member.file_size > limits.max_compression_ratio * max(
                member.compress_size, 1
            ):
                raise ImportFileError(
                    _(
                        "The workbook's part %(part)s is compressed %(ratio)s times, more than any spreadsheet "
                        "(at most %(limit)s): it is refused as a possible “zip bomb”."
                    )
                    % {
                        "part": member.filename,
                        "ratio": member.file_size // max(member.compress_size, 1),
                        "limit": limits.max_compression_ratio,
                    }
                )
        for member in members:
            _scan_part(archive, member, limits)


def _scan_part(archive, member, limits):
    name = member.filename
    data = DATA_PARTS.fullmatch(name) is not None
    element_limit = (limits.max_rows + 1) * DATA_ELEMENTS_PER_ROW + 100_000 if data else OTHER_PART_ELEMENTS
    max_rows, max_cells = limits.max_raw_rows, limits.max_columns
    elements = rows = cells = 0

    def start(tag, _attributes):
        nonlocal elements, rows, cells
        elements += 1
        if elements > element_limit:
            raise ImportFileError(
                _("The workbook's part %(part)s has more than %(limit)s XML elements: it is too large to import.")
                % {"part": name, "limit": element_limit}
            )
        if ":" in tag:  # a prefixed name, x:c
            tag = tag.rpartition(":")[2]
        if tag == "c":
            cells += 1
            if cells > max_cells:
                raise ImportFileError(
                    _(
                        "The workbook's part %(part)s has a row of more than %(limit)s cells: "
                        "a file may have at most %(limit)s columns."
                    )
                    % {"part": name, "limit": max_cells}
                )
        elif tag == "row":
            rows, cells = rows + 1, 0
            if rows > max_rows:
                raise _too_many_raw_rows(limits)

    def declaration(*_args):
        raise ImportFileError(
            _(
                "The workbook's part %(part)s declares a DTD or entities (<!DOCTYPE …>), which spreadsheets "
                "never do: it is refused for safety."
            )
            % {"part": name}
        )

    parser = expat.ParserCreate()
    parser.ordered_attributes = True  # a list, cheaper than a dict, for attributes never read
    parser.StartDoctypeDeclHandler = declaration
    parser.EntityDeclHandler = declaration
    parser.StartElementHandler = start
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(SCAN_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        # A part that is no XML (an image) is never parsed as XML; a damaged XML part is refused.
        if name.lower().endswith((".xml", ".rels")):
            raise ImportFileError(
                _(
                    "The workbook is damaged or incomplete: its part %(part)s is not well-formed XML "
                    "(line %(line)s, column %(column)s)."
                )
                % {"part": name, "line": error.lineno, "column": error.offset + 1}
            ) from None
    except RuntimeError:  # zipfile: "File ... is encrypted"
        raise ImportFileError(
            _("The workbook is protected by a password: save it without one, or as “CSV UTF-8”.")
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
        raise ImportFileError(
            _("The workbook is damaged or incomplete: its part %(part)s cannot be unpacked.") % {"part": name}
        ) from None


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet stores the year 1978 as 1978.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _unprefixed(text):
    """The export prefixes cells a spreadsheet would run as a formula with "'"; take it off again."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


# Planning ----------------------------------------------------------------------------------


def check_header(header):
    unknown = [name for name in header if name and name not in KNOWN_COLUMNS]
    if unknown:
        raise ImportFileError(
            _("Unknown column(s): %(unknown)s. The columns are those of the full-data download: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(KNOWN_COLUMNS)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileError(_("Missing column(s): %(missing)s.") % {"missing": ", ".join(missing)})
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise ImportFileError(_("Repeated column(s): %(repeated)s.") % {"repeated": ", ".join(repeated)})


class _Lookups:
    """Areas, indicators, sources and existing figures, each read once for the whole file."""

    def __init__(self):
        self.areas = {area.code.upper(): area for area in Area.objects.all()}
        self.indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
        self.sources = {source.identifier: source for source in Source.objects.all()}
        self.existing = {match_key(obs): obs for obs in Observation.objects.all()}


def match_key(obs):
    return (obs.source_id, obs.area_id, obs.indicator_id, obs.year_as_written, obs.quote)


def unique_key(obs):
    """The fields of the constraint observation_unique_figure."""
    return (obs.area_id, obs.indicator_id, obs.source_id, obs.year_as_written, obs.scope, obs.value)


def plan_import(header, rows, *, lang="en", publish=False):
    """Check every row and say what importing it would do; nothing is written."""
    check_header(header)
    lookups = _Lookups()
    plans, seen, matched = [], {}, set()  # match key -> first row number; pks of matched figures
    for number, cells in rows:
        values = {name: _unprefixed(cells[i]) if i < len(cells) else "" for i, name in enumerate(header) if name}
        if not any(values.values()):
            continue  # a blank line between rows
        row = RowPlan(number=number, cells=values)
        _plan_row(row, header, lookups, lang, publish, seen, matched)
        plans.append(row)
    if not plans:
        raise ImportFileError(_("The file has no rows to import."))
    _check_unique(plans, lookups, matched)
    return ImportPlan(plans)


def _plan_row(row, header, lookups, lang, publish, seen, matched):
    cells = row.cells
    if NUL in "".join(cells.values()):
        for name, text in cells.items():
            if NUL in text:
                row.reject(name, NUL_IN_CELL)
        return
    for name in REQUIRED_COLUMNS:
        if not cells.get(name):
            row.reject(name, REQUIRED)
    area = _lookup(row, "area", lookups.areas, cells.get("area", "").upper(), NO_AREA)
    indicator = _lookup(row, "indicator", lookups.indicators, cells.get("indicator", ""), NO_INDICATOR)
    source = _lookup(row, "source", lookups.sources, cells.get("source", ""), NO_SOURCE)
    value = _parse(row, "value", parse_number, NOT_A_NUMBER)
    year = _parse(row, "year", parse_year, NOT_A_YEAR)
    choices = {name: _choice(row, name, default) for name, default in CHOICE_COLUMNS.items()}
    status = _choice(row, "status", None)
    _check_agreement(row, area, indicator, value)
    if row.action == REJECTED and not (area and indicator and source):
        return

    key = (source.pk, area.pk, indicator.pk, cells.get("year_as_written", ""), cells["quote"])
    if key in seen:
        row.reject(
            "",
            _("Row %(row)s has the same source, area, indicator, year as written and quote: a figure may appear once.")
            % {"row": seen[key]},
        )
        return
    seen[key] = row.number
    obs = lookups.existing.get(key)
    before = {name: getattr(obs, name) for name in COMPARED_FIELDS + _translated_fields(lang)} if obs else None
    if obs is None:
        obs = Observation(
            area=area,
            indicator=indicator,
            source=source,
            year_as_written=key[3],
            quote=key[4],
            status=Observation.Status.DRAFT,
            # Given explicitly: modeltranslation's per-language defaults switch languages, slowly.
            **dict.fromkeys(EMPTY_TRANSLATIONS, ""),
        )
    else:
        matched.add(obs.pk)
        # The objects already looked up: clean() reads the indicator and area without a query.
        obs.area, obs.indicator, obs.source = area, indicator, source
    row.observation = obs
    obs.value = value
    obs.year = year
    for name in CHOICE_COLUMNS:
        if name in header:
            setattr(obs, name, choices[name])
    for name in TRANSLATED:
        if name in header and not _is_export_fallback(obs, name, lang, cells[name]):
            setattr(obs, f"{name}_{lang}", cells[name])
    if status:
        obs.status = status
    elif publish:
        obs.status = Observation.Status.PUBLISHED
    _validate(row, obs)
    if row.action != REJECTED and before is not None:
        row.changed_fields = [name for name in before if before[name] != getattr(obs, name)]
        row.changes = [
            (_column_of(name), _shown(before[name]), _shown(getattr(obs, name))) for name in row.changed_fields
        ]
        row.action = CHANGED if row.changes else UNCHANGED


def _is_export_fallback(obs, name, lang, text):
    """An export in Arabic or Persian fills a missing translation with the English text:
    importing it again must not copy that English text into the Arabic or Persian field."""
    return (
        lang != "en"
        and obs.pk is not None
        and not getattr(obs, f"{name}_{lang}")
        and text == getattr(obs, f"{name}_en")
    )


def _lookup(row, column, table, text, message):
    if not text:
        return None
    found = table.get(text)
    if found is None:
        row.reject(column, message % {"text": text})
    return found


def _parse(row, column, parse, message):
    text = row.cells.get(column, "")
    if not text:
        return None
    try:
        return parse(text)
    except NumberFormatError:
        row.reject(column, message % {"text": text})
        return None


def _choice(row, column, default):
    text = row.cells.get(column, "").strip().lower()
    if not text:
        return default
    allowed = [value for value, _label in Observation._meta.get_field(column).choices]
    if text not in allowed:
        row.reject(column, _("“%(text)s” is not one of: %(allowed)s.") % {"text": text, "allowed": ", ".join(allowed)})
        return default
    return text


def _check_agreement(row, area, indicator, value):
    """The unit and area kind columns, and a % sign, must agree with the indicator and the area."""
    cells = row.cells
    if indicator and cells.get("unit") and cells["unit"] != indicator.unit:
        row.reject(
            "unit",
            _("The indicator %(indicator)s is in %(expected)s (%(code)s), not “%(unit)s”.")
            % {
                "indicator": indicator.code,
                "expected": indicator.get_unit_display(),
                "code": indicator.unit,
                "unit": cells["unit"],
            },
        )
    if area and cells.get("area_kind") and cells["area_kind"] != area.kind:
        row.reject(
            "area_kind",
            _("The area %(area)s is of the kind “%(expected)s” (%(code)s), not “%(kind)s”.")
            % {"area": area.code, "expected": area.get_kind_display(), "code": area.kind, "kind": cells["area_kind"]},
        )
    if indicator and value is not None and not indicator.is_share and has_percent_sign(cells.get("value")):
        row.reject("value", percent_sign_error(indicator))


def _validate(row, obs):
    """The model's own rules: field formats, then clean() (shares, years, countries only)."""
    # The foreign keys were looked up above; modeltranslation's original columns must not be
    # validated, because doing so writes the active language's text into them. A column that
    # already has a problem is not checked again (an unreadable value would also be "missing").
    already = {problem.column for problem in row.problems}
    exclude = ["area", "indicator", "source", *TRANSLATED, *already]
    for check in (lambda: obs.clean_fields(exclude=exclude), obs.clean):
        try:
            check()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = _column_of(name)
                if column not in already:
                    for message in messages:
                        row.reject(column, message)


def _check_unique(plans, lookups, matched):
    """The constraint observation_unique_figure, for the file and the database together."""
    untouched = {unique_key(obs) for obs in lookups.existing.values() if obs.pk not in matched}
    seen = {}
    for row in plans:
        if row.action == REJECTED:
            continue
        key = unique_key(row.observation)
        if key in untouched:
            row.reject("", _("This figure is already recorded: same area, indicator, source, year, scope and value."))
        elif key in seen:
            row.reject(
                "",
                _("Row %(row)s has the same figure: same area, indicator, source, year, scope and value.")
                % {"row": seen[key]},
            )
        else:
            seen[key] = row.number


def _translated_fields(lang):
    return [f"{name}_{lang}" for name in TRANSLATED]


def _column_of(field_name):
    if field_name == NON_FIELD_ERRORS:
        return ""
    base, _sep, suffix = field_name.rpartition("_")
    return base if base in TRANSLATED and suffix in ("en", "ar", "fa") else field_name


def _shown(value):
    if value is None:
        return ""
    return plain_decimal(value) if isinstance(value, Decimal) else str(value)


# Writing -----------------------------------------------------------------------------------


def apply_plan(plan, *, user=None, reason=""):
    """Write a checked plan in one transaction, with a history record for every figure."""
    if not plan.ok:
        raise ValueError("a plan with rejected rows cannot be applied")
    new = [row.observation for row in plan.rows if row.action == NEW]
    changed = [row.observation for row in plan.rows if row.action == CHANGED]
    # modeltranslation's original columns (note, definition) are never written here: reading
    # them gives the active language's text, not a column of their own.
    fields = sorted({name for row in plan.rows if row.action == CHANGED for name in row.changed_fields})
    now = timezone.now()
    for obs in changed:
        obs.updated_at = now  # bulk_update does not run auto_now
    history = {"default_user": user, "default_change_reason": reason[:100], "default_date": now}
    try:
        with transaction.atomic():
            if new:
                bulk_create_with_history(new, Observation, batch_size=BATCH_SIZE, **history)
            if changed:
                fields.append("updated_at")
                bulk_update_with_history(changed, Observation, fields, batch_size=UPDATE_BATCH_SIZE, **history)
            # Bulk writes send no signals: recount the coverage, and tell the caches once the rows
            # are visible.
            figures_changed(new + changed)
    except IntegrityError:
        # Another import or an edit wrote the same figures after this plan was made: the
        # transaction is rolled back, nothing is written.
        logger.warning("Import: a figure was written by someone else meanwhile", exc_info=True)
        raise ImportFileError(
            _(
                "Nothing was imported: some of these figures were written by someone else while the file was "
                "being imported. Check the file again."
            )
        ) from None
    return plan.counts()


def import_file(filename, content, *, lang="en", publish=False, dry_run=False, user=None, reason="", limits=None):
    """Read, check and (unless ``dry_run`` or a row is wrong) write; return the plan."""
    header, rows = read_table(filename, content, limits)
    plan = plan_import(header, rows, lang=lang, publish=publish)
    if plan.ok and not dry_run:
        apply_plan(plan, user=user, reason=reason)
    return plan
