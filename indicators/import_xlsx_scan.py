"""The safety scan of an XLSX workbook to import, before openpyxl opens it (``inspect_xlsx``).

It refuses a workbook that openpyxl must not open: not a ZIP archive; more parts, or more
unpacked bytes, than the limits; a part compressed like a "zip bomb"; a DTD (entities: "billion
laughs", external files); XML that is not well formed; more rows, cells in a row, or elements
than the limits. Every XML part is scanned once with expat, streamed, in constant memory.
"""

import io
import re
import zipfile
import zlib
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
