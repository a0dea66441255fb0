"""The safety scan of an XLSX workbook to import, before openpyxl opens it (``inspect_xlsx``), and
the streamed reading of a sheet's cells once it has (``sheet_rows``).

It refuses a workbook that openpyxl must not open: not a ZIP archive; more parts, or more
unpacked bytes, than the limits; a part compressed like a "zip bomb"; a DTD (entities: "billion
laughs", external files); XML that is not well formed; more rows, cells in a row, or elements
than the limits. Every XML part is scanned once with expat, streamed, in constant memory.
"""

import io
import re
import zipfile
import zlib
from xml.etree.ElementTree import Element, TreeBuilder, tostring
from xml.parsers import expat

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .import_limits import ImportFileError, MiB, too_many_raw_rows

# XLSX parts whose size is the data's (the sheets and their shared strings); any other part
# (styles, workbook, relationships…) is small in every spreadsheet.
DATA_PARTS = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedStrings\.xml")
MAX_PARTS = 1000
OTHER_PART_ELEMENTS = 250_000
DATA_ELEMENTS_PER_ROW = 60  # a cell is two or three elements (<c><v>, <c><is><t>)
SCAN_CHUNK = 256 * 1024
# The start of an OLE file: an old .xls workbook, or any Office file protected by a password.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def inspect_xlsx(content, limits):
    """Refuse a workbook that openpyxl must not open, before it does (see the module's docstring)."""
    if content.startswith(OLE_SIGNATURE):
        raise ImportFileError(
            _(
                "This is an old Excel workbook (.xls), or one protected by a password: save it as an "
                "Excel workbook (.xlsx) without a password, or as “CSV UTF-8”."
            )
        )
    with _open_archive(content) as archive:
        members = [member for member in archive.infolist() if not member.is_dir()]
        _check_sizes(members, limits)
        for member in members:
            _scan_part(archive, member, limits)


def _open_archive(content):
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ImportFileError(
            _("The file could not be read as an XLSX workbook: it is not one, or it is damaged or incomplete.")
        ) from None


def _check_sizes(members, limits):
    """The number of parts, their unpacked size and their compression, from the archive's
    directory alone: nothing is unpacked yet."""
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
        _check_compression(member, limits)


def _check_compression(member, limits):
    if member.file_size > MiB and member.file_size > limits.max_compression_ratio * max(member.compress_size, 1):
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


def _scan_part(archive, member, limits):
    """One part, streamed through expat: its counts and its DTD are checked as it is parsed."""
    name = member.filename
    parser = _new_parser(name, limits)
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


def _new_parser(name, limits):
    parser = expat.ParserCreate()
    parser.ordered_attributes = True  # a list, cheaper than a dict, for attributes never read
    refuse = _declaration_refuser(name)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = _element_counter(name, limits)
    return parser


def _element_limit(name, limits):
    """A sheet or the shared strings grow with the rows; any other part is small."""
    if DATA_PARTS.fullmatch(name) is not None:
        return (limits.max_rows + 1) * DATA_ELEMENTS_PER_ROW + 100_000
    return OTHER_PART_ELEMENTS


def _element_counter(name, limits):
    """expat's handler for the start of an element: it counts the part's elements, its rows and the
    cells of a row, and refuses the part as soon as one is over its limit. A closure over plain
    counters, called for every element: cheaper than attributes of an object."""
    element_limit = _element_limit(name, limits)
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
                raise too_many_raw_rows(limits)

    return start


def _declaration_refuser(name):
    def declaration(*_args):
        raise ImportFileError(
            _(
                "The workbook's part %(part)s declares a DTD or entities (<!DOCTYPE …>), which spreadsheets "
                "never do: it is refused for safety."
            )
            % {"part": name}
        )

    return declaration


# Reading the cells of a sheet ----------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _VALUE, _INLINE = f"{MAIN}}}row", f"{MAIN}}}v", f"{MAIN}}}is"
_SHEET_DATA = f"{MAIN}}}sheetData"
_TEXT = f"{{{MAIN}}}t"  # as ElementTree names it


def sheet_rows(source, shared_strings, workbook):
    """(row number, [(column, value)]) of every row of a sheet's part, streamed through expat,
    the values as openpyxl's ``WorkSheetParser`` gives them with ``data_only`` (numbers, dates
    by the workbook's styles, shared and inline strings, booleans, cached formula results).

    Why not ``WorkSheetParser``: it builds an ElementTree element for every cell through
    defusedxml's pure-Python parser, then reads it back: most of an XLSX import's reading time.
    Why this reads the same values: the rules are ``WorkSheetParser.parse_row`` and ``parse_cell``
    (row and column numbers from ``r`` or counted, the cell's first ``v``, its ``t`` and ``s``),
    and the conversions are openpyxl's own functions (``_cast_number``, ``from_excel``,
    ``from_ISO8601``, ``Text.from_tree`` for an inline string). The sheet's other elements
    (column widths, print setup, merged cells), which the import does not use, are still read
    by openpyxl, one by one, so that a damaged one refuses the workbook as before. The part has
    passed ``inspect_xlsx`` (no DTD, within the limits); a DTD is refused here too.
    ``tests/test_import_speed_paths.py`` compares the two on every kind of cell."""
    reader = _SheetReader(shared_strings, workbook)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _declaration_refuser("sheet")
    parser.StartElementHandler, parser.EndElementHandler = reader.start, reader.end
    parser.CharacterDataHandler = reader.text
    while chunk := source.read(SCAN_CHUNK):
        parser.Parse(chunk, False)
        yield from reader.take()
    parser.Parse(b"", True)
    yield from reader.take()


class _SheetReader:
    """expat's handlers: the row and the cell being read (their depths tell their children)."""

    def __init__(self, shared_strings, workbook):
        from openpyxl.cell.text import Text
        from openpyxl.utils import coordinate_to_tuple
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import WorkSheetParser, _cast_number

        # openpyxl's own conversions, imported here: openpyxl is loaded only when a workbook is read.
        self.rich_text, self.coordinate, self.cast_number = Text, coordinate_to_tuple, _cast_number
        self.sheet_parser = WorkSheetParser
        self.from_excel, self.from_iso = from_excel, from_ISO8601
        self.strings, self.epoch = shared_strings, workbook.epoch
        self.dates, self.durations = workbook._date_formats, workbook._timedelta_formats
        self.done, self.depth = [], 0
        self.row = self.cell = self.inline = None  # [number, depth, cells]; [attributes, depth, text]
        self.other = None  # an element of the sheet beside its cells (column widths, margins…)
        self.row_counter = self.col_counter = 0
        self.in_value = False

    def take(self):
        done, self.done = self.done, []
        return done

    def start(self, name, attributes):
        self.depth += 1
        self.in_value = False  # ElementTree's text of the value stops at its first child
        if self.other is not None:
            self.other.start(_etree_name(name), {_etree_name(k): v for k, v in attributes.items()})
        elif self.inline is not None:
            self.inline.start(_etree_name(name), {_etree_name(k): v for k, v in attributes.items()})
        elif self.cell is not None:
            if self.depth == self.cell[1] + 1:
                self._cell_child(name, attributes)
        elif self.row is not None:
            if self.depth == self.row[1] + 1:  # any child of a row is a cell, as in openpyxl
                self.cell = [attributes, self.depth, None]
        elif name == _ROW:
            self.row = [self._row_number(attributes), self.depth, []]
            self.col_counter = 0
        elif self.depth == 2 and name != _SHEET_DATA:
            self.other = TreeBuilder()
            self.other.start(_etree_name(name), {_etree_name(k): v for k, v in attributes.items()})

    def _cell_child(self, name, attributes):
        inline_cell = self.cell[0].get("t") == "inlineStr"
        if name == _VALUE and self.cell[2] is None and not inline_cell:
            self.cell[2], self.in_value = [], True  # the first value only (findtext)
        elif name == _INLINE and inline_cell and self.cell[2] is None:
            self.cell[2] = self.inline = TreeBuilder()
            self.inline.start(_etree_name(name), {_etree_name(k): v for k, v in attributes.items()})

    def text(self, data):
        if self.other is not None:
            self.other.data(data)
        elif self.inline is not None:
            self.inline.data(data)
        elif self.in_value:
            self.cell[2].append(data)

    def end(self, name):
        if self.other is not None:
            self.other.end(_etree_name(name))
            if self.depth == 2:
                self._read_other(self.other.close())
                self.other = None
        elif self.inline is not None:
            self.inline.end(_etree_name(name))
            if self.depth == self.cell[1] + 1:
                self.inline = None
        elif self.cell is not None and self.depth == self.cell[1]:
            self.row[2].append(self._cell_value(*self.cell))
            self.cell = None
        elif self.row is not None and self.depth == self.row[1]:
            self.done.append((self.row[0], self.row[2]))
            self.row = None
        self.in_value = False
        self.depth -= 1

    def _read_other(self, element):
        """openpyxl's own reading of an element beside the cells, where it comes: the import uses
        none of them, but a damaged one makes the workbook refused, as when openpyxl read it all."""
        sheet = Element(f"{{{MAIN}}}worksheet")
        sheet.append(element)
        parser = self.sheet_parser(io.BytesIO(tostring(sheet)), self.strings, data_only=True, epoch=self.epoch)
        for _row in parser.parse():
            pass

    def _row_number(self, attributes):
        """``WorkSheetParser.parse_row``: ``r``, or the row after the last one."""
        if "r" not in attributes:
            self.row_counter += 1
            return self.row_counter
        try:
            self.row_counter = int(attributes["r"])
        except ValueError:
            number = float(attributes["r"])
            if not number.is_integer():
                raise ValueError(f"{attributes['r']} is not a valid row number") from None
            self.row_counter = int(number)
        return self.row_counter

    def _cell_value(self, attributes, _depth, content):
        """(column, value): ``WorkSheetParser.parse_cell`` with ``data_only``."""
        data_type, style = attributes.get("t", "n"), attributes.get("s", 0)
        style = int(style) if style else style
        if attributes.get("r"):
            self.col_counter = self.coordinate(attributes["r"])[1]
        else:
            self.col_counter += 1
        if data_type == "inlineStr":
            return self.col_counter, None if content is None else self._inline_text(content.close())
        value = "".join(content or ()) or None  # findtext(...) or None
        if value is None:
            return self.col_counter, None
        if data_type == "n":
            value = self.cast_number(value)
            if style in self.dates:
                try:
                    value = self.from_excel(value, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    value = "#VALUE!"  # openpyxl's value for a date beyond the calendar
        elif data_type == "s":
            value = self.strings[int(value)]
        elif data_type == "b":
            value = bool(int(value))
        elif data_type == "d":
            value = self.from_iso(value)
        return self.col_counter, value

    def _inline_text(self, element):
        """openpyxl's ``Text.from_tree(element).content``; for the usual ``<is><t>text</t></is>``
        that is the text itself (or "" for an empty one), read without building a Text."""
        if len(element) == 1 and element[0].tag == _TEXT and not len(element[0]):
            return element[0].text or ""
        return self.rich_text.from_tree(element).content


def _etree_name(name):
    """expat's "uri}name" as ElementTree writes it, "{uri}name"."""
    return "{" + name if "}" in name else name
