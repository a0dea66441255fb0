"""The full-data files (a chart page's own twin and CSV are in ``indicators.chart_exports``):

- the full-data export (every column of the data model) as CSV, JSON or XLSX, shared by
  ``manage.py export_observations`` and the downloads under /api/v1/downloads/: read a chunk of
  rows at a time, CSV and JSON streamed, the workbook built once per data version and kept on disk.

Every cell a spreadsheet could run as a formula goes through ``text.spreadsheet_cell``.
"""

import csv
import io
import json
import os
import re
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from countries.models import Area

from .models import Indicator, Source
from .text import LANGUAGES, RTL_LANGUAGES, plain_decimal, spreadsheet_cell

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
    # Added later, at the end so that no column moves: what the figure counts, translated like
    # the note.
    "measured_as",
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
    (The API's pages of observations; the full-data files read plain rows: ``export_rows``.)
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
        "measured_as": obs.measured_as,
    }
    if names:
        record.update(area_name=obs.area.name, indicator_name=obs.indicator.name, source_title=obs.source.title)
    return record


# The full-data files -------------------------------------------------------------------------------

# Rows read from the database at a time (``.iterator(chunk_size=…)``) and written as one piece of a
# streamed download: memory stays the same however many figures there are.
EXPORT_CHUNK_ROWS = 2000
_OBSERVATION_FIELDS = (
    "area_id",
    "indicator_id",
    "source_id",
    "year",
    "value",
    "qualifier",
    "scope",
    "quote",
    "year_as_written",
    "year_calendar",
    "updated_at",
)


@contextmanager
def one_snapshot():
    """Every query inside reads the same state of the data: the rows and what names them, the
    count and the rows counted. One transaction; on PostgreSQL, REPEATABLE READ (elsewhere a
    transaction already is one snapshot). Nested in a transaction, that one's snapshot."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _translated(*values):
    """modeltranslation's rule: the first of the language's value and its fallback's that is
    neither NULL nor empty, else empty."""
    return next((value for value in values if value is not None and value != ""), "")


def _languages(lang):
    """The columns a translated text is read from, in order: the language, then English."""
    text_lang = lang or "en"
    return [text_lang] if text_lang == "en" else [text_lang, "en"]


def export_rows(observations, lang=None, chunk_size=None):
    """Yield the export's rows a chunk at a time: lists of tuples in ``export_columns(lang)``'s
    order, typed (year an int or None, value a Decimal), the export order kept.

    Notes, definitions and what a figure counts (and with ``lang`` the names) in ``lang``, English
    without, falling back to English as the models do; the quote in its source's language. The rows
    are plain values read with ``.iterator(chunk_size)``, and areas, indicators and sources (a few
    hundred rows) are read once: no model object per figure, so that 300,000 rows take seconds, not
    a minute.
    """
    chunk_size = chunk_size or EXPORT_CHUNK_ROWS
    langs = _languages(lang)
    texts = [f"{field}_{code}" for field in ("definition", "note", "measured_as") for code in langs]
    width = len(langs)
    with one_snapshot():
        areas, indicators, sources = _names_by_id(langs)
        # rewrite(False): modeltranslation would otherwise turn every row into a dict and back.
        rows = observations.export_order().rewrite(False).values_list(*_OBSERVATION_FIELDS, *texts)
        rows = rows.iterator(chunk_size=chunk_size)
        chunk = []
        for values in rows:
            area_id, indicator_id, source_id, year, value, qualifier, scope = values[:7]
            quote, written, calendar, when, text = *values[7:11], values[11:]
            area_code, area_kind, area_name = areas[area_id]
            indicator_code, unit, indicator_name = indicators[indicator_id]
            source_identifier, source_title = sources[source_id]
            row = (
                area_code,
                indicator_code,
                year,
                value,
                unit,
                qualifier,
                scope,
                source_identifier,
                quote,
                written,
                calendar,
                area_kind,
                _translated(*text[:width]),
                _translated(*text[width : 2 * width]),
                when.date().isoformat(),
                _translated(*text[2 * width :]),
            )
            chunk.append(row + (area_name, indicator_name, source_title) if lang else row)
            if len(chunk) == chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _names_by_id(langs):
    """Areas, indicators and sources by id (a few hundred rows, read once): their codes and, in
    ``langs``' first language with a fall-back, their names."""
    names = [f"name_{code}" for code in langs]
    titles = [f"title_{code}" for code in langs]
    areas = {
        pk: (code, kind, _translated(*rest))
        for pk, code, kind, *rest in Area.objects.order_by().values_list("pk", "code", "kind", *names)
    }
    indicators = {
        pk: (code, unit, _translated(*rest))
        for pk, code, unit, *rest in Indicator.objects.order_by().values_list("pk", "code", "unit", *names)
    }
    sources = {
        pk: (identifier, _translated(*rest))
        for pk, identifier, *rest in Source.objects.order_by().values_list("pk", "identifier", *titles)
    }
    return areas, indicators, sources


def _csv_rows(chunk, safe):
    """Rows as CSV text, each cell safe for a spreadsheet (``safe``: cells already made so, kept
    per file, as most repeat: codes, names, units, dates): no year is empty, the value a plain
    decimal (57.5, not 57.5000)."""
    for row in chunk:
        year = row[2]
        cells = (*row[:2], "" if year is None else str(year), plain_decimal(row[3]), *row[4:])
        yield [safe[cell] if cell in safe else _remember(safe, cell) for cell in cells]


def _remember(safe, cell, most=20_000):
    text = spreadsheet_cell(cell)
    if len(safe) < most:
        safe[cell] = text
    return text


def _csv_pieces(observations, lang=None):
    """(text, rows in it): the header, then one piece per chunk of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def drain():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(export_columns(lang))
    yield drain(), 0
    safe = {}
    for chunk in export_rows(observations, lang):
        writer.writerows(_csv_rows(chunk, safe))
        yield drain(), len(chunk)


def write_csv(stream, observations, lang=None):
    """The CSV (no byte-order mark) written to a text stream; returns the number of rows."""
    count = 0
    for text, rows in _csv_pieces(observations, lang):
        stream.write(text)
        count += rows
    return count


def csv_stream(observations, lang=None):
    """The CSV download as pieces of UTF-8 bytes, the first with a byte-order mark (without it
    Excel reads Arabic and Persian as mojibake) and the header, sent before any row is read."""
    pieces = _csv_pieces(observations, lang)
    yield ("\ufeff" + next(pieces)[0]).encode("utf-8")
    for text, _rows in pieces:
        yield text.encode("utf-8")


def json_stream(observations, lang=None, head=None):
    """{**head, "columns": [...], "count": n, "observations": [{column: value}]} as pieces of UTF-8
    bytes, one per chunk of rows, one observation a line; values typed, not neutralised (``head``:
    what the API puts first, its contract version). The count and the rows come from one snapshot.

    JSON is read by programs, not run by spreadsheets, so text stays exactly as it is stored.
    """
    columns = export_columns(lang)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # the C encoder: no indent
    with one_snapshot():
        opening = {**(head or {}), "columns": columns, "count": observations.count()}
        yield (encode(opening)[:-1] + ', "observations": [').encode("utf-8")
        separator = "\n"
        for chunk in export_rows(observations, lang):
            records = []
            for row in chunk:
                record = dict(zip(columns, row, strict=True))
                value = record["value"]  # a Decimal, as text.json_number takes it
                record["value"] = int(value) if value == value.to_integral_value() else float(value)
                records.append(encode(record))
            yield (separator + ",\n".join(records)).encode("utf-8")
            separator = ",\n"
    yield b"\n]}\n"


def _xlsx_value(value):
    # Numbers stay numbers. openpyxl stores any string that starts with "=" as a formula, and
    # refuses control characters, which an XLSX file cannot hold: both dealt with, in that order.
    return value if value is None or isinstance(value, int | Decimal) else spreadsheet_cell(value)


def write_xlsx(target, observations, lang=None):
    """One sheet, a bold header, years and values as numbers, right-to-left for Arabic and Persian,
    written to ``target`` (a path or a binary file) by openpyxl's write-only mode, a chunk of rows
    at a time."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("observations")
    sheet.sheet_view.rightToLeft = lang in RTL_LANGUAGES
    sheet.freeze_panes = "A2"
    header = []
    for column in export_columns(lang):
        cell = WriteOnlyCell(sheet, column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for chunk in export_rows(observations, lang):
        for row in chunk:
            sheet.append([_xlsx_value(value) for value in row])
    workbook.save(target)


# The workbook kept on disk, once per data version and language ------------------------------------

# A workbook of 300,000 rows takes tens of seconds to write: it is built once per data version and
# language into this directory (settings.SMEDASH_DOWNLOADS_DIR, else VAR_DIR/downloads) and served
# from there. Named by the data version, written under a temporary name and renamed into place, so
# that a reader sees a whole file or none; the files of older versions are deleted after a build.
_STORED = re.compile(r"^observations-(?P<version>\d+)-(?P<lang>[a-z]+)\.xlsx$")
PARTIAL_SUFFIX = ".part"


def downloads_dir():
    configured = getattr(settings, "SMEDASH_DOWNLOADS_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "downloads"


def stored_xlsx_path(version, lang=None):
    return downloads_dir() / f"observations-{int(version)}-{lang or 'all'}.xlsx"


def build_stored_xlsx(version, observations, lang=None, stale_after=3600):
    """Write the workbook of data version ``version`` into place and delete older versions' files
    (and partial files older than ``stale_after`` seconds, left by a process killed mid-build).
    The rows are read after ``version`` was: the file is never older than its name says."""
    path = stored_xlsx_path(version, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as stream:
            write_xlsx(stream, observations, lang)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    _delete_older(path.parent, int(version), stale_after)
    return path


def _delete_older(directory, version, stale_after):
    now = time.time()
    for entry in directory.iterdir():
        match = _STORED.match(entry.name)
        try:
            if match and int(match["version"]) < version:
                entry.unlink()  # a reader that has it open keeps reading it
            elif entry.name.endswith(PARTIAL_SUFFIX) and now - entry.stat().st_mtime > stale_after:
                entry.unlink()
        except FileNotFoundError:  # another process was first
            pass
