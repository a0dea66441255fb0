"""Reading the first sheet of an OpenDocument spreadsheet (ODS, LibreOffice's own format) into rows
of text cells, within the import's limits (``ImportLimits``), for the wide-table import.

Why not odfpy or pandas' ``read_excel(engine="odf")``: they build the whole document in memory
first, and expand ``number-rows-repeated`` / ``number-columns-repeated`` as they go, so a small
file declaring a row repeated a million times would fill the memory. Here ``content.xml`` is
streamed through expat once, in constant memory: the archive's sizes and compression are checked
first (the XLSX scan's own checks), a DTD is refused, empty repeated rows and cells only move the
row and column numbers on, and every filled row and cell counts against the limits as it comes.
"""

import zipfile
import zlib
from xml.parsers import expat

from django.utils.translation import gettext as _

from .import_limits import ImportFileError, beyond_last_column, cell_too_long, too_many_rows
from .import_xlsx_scan import OLE_SIGNATURE, SCAN_CHUNK, _check_sizes, _declaration_refuser, _open_archive

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
SEP = "|"
# Numbers are read from office:value (the display text may be rounded); a percentage's value is
# a fraction (0.975 for "97.5%"), so its text is read instead.
VALUE_TYPES = {"float", "currency"}


class _Done(Exception):
    """The first sheet has ended: the rest of the document is not read."""


def read_ods(content, limits):
    """(sheet name, [(row number, [text cells])]) of the first sheet's rows that hold something."""
    if content.startswith(OLE_SIGNATURE):
        raise ImportFileError(_("This file is protected by a password, or is not an ODS spreadsheet."))
    with _open_archive(content) as archive:
        members = [member for member in archive.infolist() if not member.is_dir()]
        _check_sizes(members, limits)
        try:
            member = archive.getinfo("content.xml")
        except KeyError:
            raise ImportFileError(_("The file could not be read as an ODS spreadsheet.")) from None
        reader = _SheetReader(limits)
        parser = reader.parser()
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(SCAN_CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except _Done:
            pass
        except expat.ExpatError as error:
            raise ImportFileError(
                _("The spreadsheet is damaged or incomplete: its content is not well-formed XML (line %(line)s).")
                % {"line": error.lineno}
            ) from None
        except RuntimeError:  # zipfile: "File ... is encrypted"
            raise ImportFileError(_("The spreadsheet is protected by a password: save it without one.")) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
            raise ImportFileError(_("The spreadsheet is damaged or incomplete: it cannot be unpacked.")) from None
    return reader.name, reader.rows


class _SheetReader:
    """expat's handlers over the first ``table:table``; the state of the row and cell being read."""

    def __init__(self, limits):
        self.limits = limits
        self.name, self.rows = "", []
        self.in_table = False
        self.row_number = 0  # the row being read, as a spreadsheet numbers it
        self.row_repeat = 1
        self.cells = {}  # column number -> text, of the row being read
        self.column = 0  # the last column number used in the row
        self.cell = None  # [repeat, value or None, text parts] of the cell being read
        self.paragraphs = 0

    def parser(self):
        parser = expat.ParserCreate(namespace_separator=SEP)
        refuse = _declaration_refuser("content.xml")
        parser.StartDoctypeDeclHandler = refuse
        parser.EntityDeclHandler = refuse
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        return parser

    def start(self, tag, attributes):
        if not self.in_table:
            if tag == f"{TABLE}{SEP}table":
                self.in_table = True
                self.name = attributes.get(f"{TABLE}{SEP}name", "")
            return
        if tag == f"{TABLE}{SEP}table-row":
            self.row_repeat = _count(attributes.get(f"{TABLE}{SEP}number-rows-repeated"))
            self.cells, self.column = {}, 0
        elif tag in (f"{TABLE}{SEP}table-cell", f"{TABLE}{SEP}covered-table-cell"):
            value = None
            if attributes.get(f"{OFFICE}{SEP}value-type") in VALUE_TYPES:
                value = attributes.get(f"{OFFICE}{SEP}value")
            self.cell = [_count(attributes.get(f"{TABLE}{SEP}number-columns-repeated")), value, []]
            self.paragraphs = 0
        elif self.cell is not None:
            self._inline(tag, attributes)

    def _inline(self, tag, attributes):
        parts = self.cell[2]
        if tag == f"{TEXT}{SEP}p":
            if self.paragraphs:
                parts.append("\n")
            self.paragraphs += 1
        elif tag == f"{TEXT}{SEP}s":
            parts.append(" " * min(_count(attributes.get(f"{TEXT}{SEP}c")), 100))
        elif tag == f"{TEXT}{SEP}tab":
            parts.append("\t")
        elif tag == f"{TEXT}{SEP}line-break":
            parts.append("\n")

    def text(self, data):
        if self.cell is not None:
            self.cell[2].append(data)
            if len(self.cell[2]) > 1000 and len("".join(self.cell[2])) > self.limits.max_cell_chars:
                raise cell_too_long(self.limits, self.row_number + 1)

    def end(self, tag):
        if not self.in_table:
            return
        if tag in (f"{TABLE}{SEP}table-cell", f"{TABLE}{SEP}covered-table-cell") and self.cell is not None:
            self._end_cell()
        elif tag == f"{TABLE}{SEP}table-row":
            self._end_row()
        elif tag == f"{TABLE}{SEP}table":
            raise _Done

    def _end_cell(self):
        repeat, value, parts = self.cell
        self.cell = None
        text = value if value is not None else "".join(parts)
        if not text.strip():
            self.column += repeat  # empty cells only move the column on, however many
            return
        if len(text) > self.limits.max_cell_chars:
            raise cell_too_long(self.limits, self.row_number + 1)
        for _step in range(repeat):
            self.column += 1
            if self.column > self.limits.max_columns:
                raise beyond_last_column(self.limits, self.row_number + 1, self.column)
            self.cells[self.column] = text

    def _end_row(self):
        if not self.cells:
            self.row_number += self.row_repeat  # empty rows only move the row number on
            return
        row = [""] * max(self.cells)
        for column, text in self.cells.items():
            row[column - 1] = text
        for _step in range(self.row_repeat):
            self.row_number += 1
            if len(self.rows) > self.limits.max_rows:  # the header row is not counted
                raise too_many_rows(self.limits)
            self.rows.append((self.row_number, list(row)))


def _count(text):
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1
