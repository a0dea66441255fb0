"""Hostile and broken import files: each is refused with a message naming the problem, in the
staff member's language, before it can use unbounded memory or time; nothing is ever written.

Every file is built here, small: a "billion laughs" XLSX is a few kilobytes, a sparse sheet is an
ordinary one whose ``<dimension ref>`` was edited, a zip bomb is a part of padding that compresses
a thousand times (or an ordinary file under a small limit)."""

import csv
import html
import io
import re
import time
import tracemalloc
import zipfile
from unittest import mock
from xml.parsers import expat

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook

from indicators import admin_import, import_uploads
from indicators.formatting import format_number
from indicators.forms import ImportForm
from indicators.import_files import read_table
from indicators.import_limits import ImportFileError, ImportLimits
from indicators.importing import import_file
from indicators.models import Observation
from indicators.text import local_digits

IMPORT_URL = "/{lang}/admin/indicators/observation/import/"
CHANGELIST_URL = "/{lang}/admin/indicators/observation/"
REQUIRED = ["area", "indicator", "value", "source", "quote"]
SOURCE = "002_bb35e3d40c82847a.txt"
# India's one undated firm share in the seed is of industry; these are of the whole economy.
ROW = {"area": "IND", "indicator": "firm_share", "value": "55", "source": SOURCE, "quote": "A quote."}
SHEET = "xl/worksheets/sheet1.xml"
MiB = 1024 * 1024
LANGS = ["en", "fa", "ar"]


@pytest.fixture(autouse=True)
def leave_no_language_active():
    yield
    translation.deactivate()


@pytest.fixture
def editor_client(client, seeded, settings, tmp_path):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("sara", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    settings.VAR_DIR = tmp_path  # uploads waiting for confirmation are kept under var/imports
    client.force_login(user)
    return client


# Files ---------------------------------------------------------------------------------------


def rows(count, **changes):
    """Undated figures of one area and indicator; several say what each counts, so that they can
    be told apart (Observation.clean requires it of figures in one group)."""
    records = [{**ROW, "quote": f"Quote number {n}.", "value": str(10 + n)} for n in range(count)]
    if count > 1:
        for n, record in enumerate(records):
            record["measured_as"] = f"test count {n}"
    return [{**record, **changes} for record in records]


def with_extra_columns(records, columns):
    """The columns asked for, and any other the records have (measured_as)."""
    return [*columns, *(key for key in records[0] if key not in columns)]


def to_csv(records, columns=None):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=with_extra_columns(records, columns or []), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


def to_xlsx(records, columns=None):
    columns = with_extra_columns(records, columns or [])
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for record in records:
        sheet.append([record.get(column, "") for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(content, **edits):
    """The same XLSX with some parts rewritten: ``edits`` maps a part's name (``/`` as ``__``,
    ``.`` as ``_``) to a function of its bytes."""
    changes = {name.replace("__", "/").replace("_xml", ".xml"): edit for name, edit in edits.items()}
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename in changes:
                data = changes[info.filename](data)
            target.writestr(info.filename, data)
    return out.getvalue()


def edit_sheet(content, edit):
    return rezip(content, xl__worksheets__sheet1_xml=edit)


def before_sheet_end(extra):
    return lambda xml: xml.replace(b"</sheetData>", extra + b"</sheetData>")


LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'.encode() for n in range(1, 10)
    )
    + b"]>"
)
EXTERNAL = b'<!DOCTYPE Types [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


# Checking --------------------------------------------------------------------------------------


def message(lang, msgid, **params):
    """``msgid`` as the staff member reads it in ``lang``; a parameter may be a callable, to be
    formatted in that language too (a file size)."""
    with translation.override(lang):
        text = gettext(msgid)
        values = {name: value() if callable(value) else value for name, value in params.items()}
        return text % values if values else text


def assert_translated(page, lang, msgid, **params):
    expected = message(lang, msgid, **params)
    assert expected in page, f"{expected!r} not in the page"
    if lang != "en":
        assert expected != message("en", msgid, **params), f"{msgid!r} has no {lang} translation"


def upload(client, content, name="rows.csv", lang="en", **options):
    data = {"file": SimpleUploadedFile(name, content), "lang": "en", **options}
    return client.post(IMPORT_URL.format(lang=lang), data)


def page_of(response):
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def assert_nothing_written(tmp_path, before=50):
    assert Observation.objects.count() == before
    assert not Observation.history.filter(history_change_reason__startswith="Imported").exists()
    kept = tmp_path / "imports"
    assert not kept.exists() or not [path for path in kept.iterdir() if path.suffix != ".done"]


# Every unreadable or oversized file: refused at the preview, translated, nothing written ----------


def too_large(settings):
    settings.SMEDASH_IMPORT_MAX_BYTES = 200
    content = to_csv(rows(10))
    assert len(content) > 200
    return "rows.csv", content


def too_many_rows(settings):
    settings.SMEDASH_IMPORT_MAX_ROWS = 2
    return "rows.csv", to_csv(rows(3))


def too_many_rows_xlsx(settings):
    settings.SMEDASH_IMPORT_MAX_ROWS = 2
    return "rows.xlsx", to_xlsx(rows(3))


def too_many_empty_rows(settings):
    settings.SMEDASH_IMPORT_MAX_ROWS = 2  # 1004 rows counting empty ones
    return "rows.csv", to_csv(rows(1)) + b",,,,\n" * 1100


def too_many_empty_rows_xlsx(settings):
    settings.SMEDASH_IMPORT_MAX_ROWS = 2
    empty = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % n for n in range(10, 1110))
    return "rows.xlsx", edit_sheet(to_xlsx(rows(1)), before_sheet_end(empty))


def value_beyond_last_column(settings):
    return "rows.csv", to_csv(rows(1)).replace(b"Quote number 0.", b"Quote number 0." + b"," * 96 + b"far")


def value_beyond_last_column_xlsx(settings):
    far = b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>far</t></is></c></row>'
    return "rows.xlsx", edit_sheet(to_xlsx(rows(1)), before_sheet_end(far))


def too_many_cells_in_a_row_xlsx(settings):
    cells = b"".join(b'<c r="A3" s="1"/>' for _ in range(101))  # empty, formatted: openpyxl keeps them
    return "rows.xlsx", edit_sheet(to_xlsx(rows(1)), before_sheet_end(b'<row r="3">' + cells + b"</row>"))


def long_cell(settings):
    return "rows.csv", to_csv(rows(1, note="x" * 40_000), [*REQUIRED, "note"])


def long_cell_xlsx(settings):
    # Written into the XML: openpyxl itself cuts a cell at Excel's 32,767 characters.
    long = edit_sheet(
        to_xlsx(rows(1, note="short"), [*REQUIRED, "note"]), lambda xml: xml.replace(b"short", b"x" * 40_000)
    )
    return "rows.xlsx", long


def field_over_csv_limit(settings):
    return "rows.csv", to_csv(rows(2, note="x" * (128 * 1024 + 1)), [*REQUIRED, "note"])


def nul_in_header(settings):
    return "rows.csv", to_csv(rows(1)).replace(b"quote", b"quo\x00te", 1)


def old_excel(settings):
    return "rows.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000


def not_a_zip(settings):
    content = to_xlsx(rows(1))
    return "rows.xlsx", content[: len(content) // 2]  # cut short: the archive's directory is lost


def billion_laughs(settings):
    content = edit_sheet(to_xlsx(rows(1)), lambda xml: LAUGHS + xml.replace(b"Quote number 0.", b"&lol9;"))
    assert len(content) < 10_000
    return "rows.xlsx", content


def external_entity(settings):
    return "rows.xlsx", rezip(to_xlsx(rows(1)), **{"[Content_Types]_xml": lambda xml: EXTERNAL + xml})


def truncated_part(settings):
    return "rows.xlsx", edit_sheet(to_xlsx(rows(1)), lambda xml: xml[: len(xml) // 2])


def zip_bomb(settings):
    # 3 MiB of spaces between two elements of the sheet compress about a thousand times.
    content = edit_sheet(to_xlsx(rows(1)), lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + b" " * 3 * MiB))
    assert len(content) < 20_000
    return "rows.xlsx", content


def unpacks_too_large(settings):
    settings.SMEDASH_IMPORT_MAX_UNPACKED_BYTES = 10_000  # an ordinary workbook unpacks to ~17 KB
    return "rows.xlsx", to_xlsx(rows(1))


REFUSED = {
    # case: (file, msgid, parameters)
    "file too large": (
        too_large,
        "The file is larger than %(limit)s, the most an import takes: split it into smaller files, "
        "or import it on the server with “manage.py import_observations”.",
        {"limit": lambda _content: filesizeformat(200)},
    ),
    "too many rows (CSV)": (
        too_many_rows,
        "The file has more than %(limit)s rows: split it into files of at most %(limit)s rows, "
        "or import it on the server with “manage.py import_observations”.",
        {"limit": 2},
    ),
    "too many rows (XLSX)": (
        too_many_rows_xlsx,
        "The file has more than %(limit)s rows: split it into files of at most %(limit)s rows, "
        "or import it on the server with “manage.py import_observations”.",
        {"limit": 2},
    ),
    "too many empty rows (CSV)": (
        too_many_empty_rows,
        "The file has more than %(limit)s rows, counting empty ones: delete the empty rows below the data.",
        {"limit": 1004},
    ),
    "too many empty rows (XLSX)": (
        too_many_empty_rows_xlsx,
        "The file has more than %(limit)s rows, counting empty ones: delete the empty rows below the data.",
        {"limit": 1004},
    ),
    "a value beyond the last column (CSV)": (
        value_beyond_last_column,
        "Row %(row)s has a value in column %(column)s: a file may have at most %(limit)s columns.",
        {"row": 2, "column": 101, "limit": 100},
    ),
    "a value beyond the last column (XLSX)": (
        value_beyond_last_column_xlsx,
        "Row %(row)s has a value in column %(column)s: a file may have at most %(limit)s columns.",
        {"row": 3, "column": "XFD", "limit": 100},
    ),
    "too many cells in a row (XLSX)": (
        too_many_cells_in_a_row_xlsx,
        "The workbook's part %(part)s has a row of more than %(limit)s cells: a file may have at most "
        "%(limit)s columns.",
        {"part": SHEET, "limit": 100},
    ),
    "a long cell (CSV)": (
        long_cell,
        "Row %(row)s, column %(column)s: the cell has more than %(limit)s characters.",
        {"row": 2, "column": "note", "limit": 32767},
    ),
    "a long cell (XLSX)": (
        long_cell_xlsx,
        "Row %(row)s, column %(column)s: the cell has more than %(limit)s characters.",
        {"row": 2, "column": "note", "limit": 32767},
    ),
    "a CSV field over 128 KiB": (
        field_over_csv_limit,
        "Row %(row)s has a cell of more than %(limit)s characters.",
        {"row": 2, "limit": 32767},
    ),
    "a NUL in the header": (
        nul_in_header,
        "The header, column %(column)s, contains a NUL character (code 0): the file is damaged, or is not UTF-8 text.",
        {"column": 5},
    ),
    "an old Excel file": (
        old_excel,
        "This is an old Excel workbook (.xls), or one protected by a password: save it as an "
        "Excel workbook (.xlsx) without a password, or as “CSV UTF-8”.",
        {},
    ),
    "not a ZIP archive": (
        not_a_zip,
        "The file could not be read as an XLSX workbook: it is not one, or it is damaged or incomplete.",
        {},
    ),
    "billion laughs": (
        billion_laughs,
        "The workbook's part %(part)s declares a DTD or entities (<!DOCTYPE …>), which spreadsheets "
        "never do: it is refused for safety.",
        {"part": SHEET},
    ),
    "an external entity": (
        external_entity,
        "The workbook's part %(part)s declares a DTD or entities (<!DOCTYPE …>), which spreadsheets "
        "never do: it is refused for safety.",
        {"part": "[Content_Types].xml"},
    ),
    "a truncated XML part": (
        truncated_part,
        "The workbook is damaged or incomplete: its part %(part)s is not well-formed XML "
        "(line %(line)s, column %(column)s).",
        {
            "part": SHEET,
            "line": lambda content: where_xml_fails(content)[0],
            "column": lambda content: where_xml_fails(content)[1],
        },
    ),
    "a zip bomb": (
        zip_bomb,
        "The workbook's part %(part)s is compressed %(ratio)s times, more than any spreadsheet "
        "(at most %(limit)s): it is refused as a possible “zip bomb”.",
        {
            "part": SHEET,
            "ratio": lambda content: sheet_info(content).file_size // sheet_info(content).compress_size,
            "limit": 100,
        },
    ),
    "unpacks too large": (
        unpacks_too_large,
        "The workbook unpacks to %(size)s; an import takes at most %(limit)s.",
        {"size": lambda content: filesizeformat(unpacked(content)), "limit": lambda _content: filesizeformat(10_000)},
    ),
}


# What a message states about its file: where the XML breaks off, how much it unpacks…


def sheet_info(content):
    return zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET)


def unpacked(content):
    return sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist())


def where_xml_fails(content):
    parser = expat.ParserCreate()
    try:
        parser.Parse(zipfile.ZipFile(io.BytesIO(content)).read(SHEET), True)
    except expat.ExpatError as error:
        return error.lineno, error.offset + 1
    raise AssertionError("the part is well formed")


@pytest.mark.parametrize("case", REFUSED)
def test_every_refused_file_is_named_in_the_staff_members_language_and_nothing_is_written(
    editor_client, settings, tmp_path, case
):
    build, msgid, params = REFUSED[case]
    name, content = build(settings)
    # A figure of the file, formatted in the page's language (a size) once it is known.
    params = {key: (lambda value=value: value(content)) if callable(value) else value for key, value in params.items()}
    for lang in LANGS:
        page = page_of(upload(editor_client, content, name=name, lang=lang))
        assert_translated(page, lang, msgid, **params)
        assert 'name="ticket"' not in page
    assert_nothing_written(tmp_path)


def test_a_nul_byte_is_refused_at_the_preview_with_its_cell(editor_client, tmp_path):
    content = to_csv([*rows(1), *rows(1, quote="a quote with a \x00 in it", note="\x00")], [*REQUIRED, "note"])
    nul = "The cell contains a NUL character (code 0): the file is damaged, or is not UTF-8 text."
    where = {
        "en": "Row 3, column <code>{}</code>:",
        "fa": "سطر ۳، ستون <code>{}</code>:",
        "ar": "الصف ٣، العمود <code>{}</code>:",
    }
    for lang in LANGS:
        page = page_of(upload(editor_client, content, lang=lang))
        assert_translated(page, lang, nul)
        for column in ("quote", "note"):
            assert f"{where[lang].format(column)} {message(lang, nul)}" in page
        assert 'name="ticket"' not in page
    assert_nothing_written(tmp_path)


def test_the_command_refuses_a_nul_byte_with_its_row_and_column(tmp_path, seeded):
    path = tmp_path / "rows.csv"
    path.write_bytes(to_csv(rows(1, note="a\x00b"), [*REQUIRED, "note"]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_observations", str(path), stdout=io.StringIO(), stderr=err)
    assert "row 2, column note: The cell contains a NUL character" in err.getvalue()
    assert Observation.objects.count() == 50


# Files that are fine -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rows.csv", "rows.xlsx"])
@pytest.mark.parametrize("columns", [REQUIRED, [*REQUIRED, "year"], [*REQUIRED, "year_as_written"]])
def test_a_file_with_only_some_optional_columns_is_previewed_and_imported(editor_client, name, columns):
    """Without a year_as_written column the preview once failed (a template's missing variable)."""
    records = [dict(ROW, **{column: "2011" for column in columns if column.startswith("year")})]
    content = (to_xlsx if name.endswith(".xlsx") else to_csv)(records, columns)
    response = upload(editor_client, content, name=name)
    page = page_of(response)
    assert "1 figure to add" in page
    assert ("<td><bdi>2011</bdi></td>" in page) == (columns != REQUIRED)
    response = editor_client.post(IMPORT_URL.format(lang="en"), {"ticket": response.context["ticket"]}, follow=True)
    assert "Import done: 1 added" in page_of(response)
    assert Observation.objects.filter(quote=ROW["quote"]).exists()


def sparse(content, dimension=b"A1:XFD1048576"):
    return edit_sheet(
        content, lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + dimension + b'"', xml)
    )


@pytest.mark.parametrize(
    "far",
    [
        b"",  # only the declared dimension is huge
        b'<row r="1048576"><c r="XFD1048576" s="1"/></row>',  # and an empty formatted cell at its corner
    ],
)
def test_a_sparse_sheet_is_read_by_its_cells_not_its_declared_dimension(seeded, far):
    content = edit_sheet(sparse(to_xlsx(rows(3))), before_sheet_end(far))
    assert len(content) < 20_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        header, table = read_table("rows.xlsx", content)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5  # 16,384 × 1,048,576 cells would take hours
    assert peak < 10 * MiB, f"{peak:,} bytes"
    assert header == [*REQUIRED, "measured_as"]
    assert [number for number, _cells in table] == [2, 3, 4]
    plan = import_file("rows.xlsx", content)
    assert plan.ok and Observation.objects.count() == 53


def test_an_xlsx_within_the_limits_still_imports_like_before(seeded):
    plan = import_file("rows.xlsx", to_xlsx(rows(3)))
    assert plan.ok and plan.counts()["new"] == 3


# Confirming ---------------------------------------------------------------------------------------


def test_confirming_the_same_preview_twice_imports_it_once(editor_client, tmp_path):
    ticket = upload(editor_client, to_csv(rows(2))).context["ticket"]
    first = editor_client.post(IMPORT_URL.format(lang="en"), {"ticket": ticket}, follow=True)
    assert "Import done: 2 added" in page_of(first)
    for lang in LANGS:
        second = editor_client.post(IMPORT_URL.format(lang=lang), {"ticket": ticket}, follow=True)
        assert_translated(page_of(second), lang, "This file has already been imported.")
    assert Observation.objects.count() == 52
    assert Observation.history.filter(history_change_reason="Imported from rows.csv").count() == 2


def test_a_confirmation_while_the_first_is_running_waits_for_it(editor_client, tmp_path):
    ticket = upload(editor_client, to_csv(rows(2))).context["ticket"]
    (kept,) = (tmp_path / "imports").iterdir()
    kept.rename(kept.with_suffix(".importing"))  # as the first confirmation does while it imports
    response = editor_client.post(IMPORT_URL.format(lang="fa"), {"ticket": ticket}, follow=True)
    assert_translated(
        page_of(response), "fa", "This file is being imported: its figures will be in the list when it is done."
    )
    assert Observation.objects.count() == 50


def test_figures_written_by_someone_else_meanwhile_make_the_import_write_nothing(editor_client, tmp_path):
    records = rows(2)
    ticket = upload(editor_client, to_csv(records)).context["ticket"]
    real_apply = admin_import.apply_plan

    def someone_else_first(plan, **kwargs):
        # Another import writes the first row's figure between this one's check and its writing.
        twin = plan.rows[0].observation
        Observation.objects.create(
            area=twin.area, indicator=twin.indicator, source=twin.source, value=twin.value, quote="Meanwhile."
        )
        return real_apply(plan, **kwargs)

    with mock.patch.object(admin_import, "apply_plan", someone_else_first):
        response = editor_client.post(IMPORT_URL.format(lang="ar"), {"ticket": ticket}, follow=True)
    assert_translated(
        page_of(response),
        "ar",
        "Nothing was imported: some of these figures were written by someone else while the file was "
        "being imported. Check the file again.",
    )
    assert Observation.objects.count() == 51  # the other one's figure, none of the file's
    assert not Observation.objects.filter(quote__in=[r["quote"] for r in records]).exists()


# The other ways in -------------------------------------------------------------------------------


def test_the_form_checks_the_size_before_reading_the_file():
    form = ImportForm({"lang": "en"}, {"file": SimpleUploadedFile("rows.csv", b"x" * 100)}, max_bytes=99)
    assert not form.is_valid()
    assert "The file is larger than 99\xa0bytes" in form.errors["file"][0]


def test_an_upload_over_the_limit_is_not_kept(editor_client, settings):
    """The upload handler stops taking the file at the limit (the rest is read and thrown away)."""
    settings.SMEDASH_IMPORT_MAX_BYTES = 1000
    seen = []
    real = import_uploads.UploadLimit.receive_data_chunk

    def spy(self, raw_data, start):
        try:
            return real(self, raw_data, start)
        except Exception as error:
            seen.append(type(error).__name__)
            raise

    with mock.patch.object(import_uploads.UploadLimit, "receive_data_chunk", spy):
        response = upload(editor_client, b"area,indicator\n" + b"x" * 200_000)
    assert seen == ["SkipFile"]
    assert response.context["form"].errors["file"] == [
        "The file is larger than 1000\xa0bytes, the most an import takes: split it into smaller files, "
        "or import it on the server with “manage.py import_observations”."
    ]


def test_the_command_has_its_own_larger_limits_and_a_max_rows_option(tmp_path, seeded, settings):
    settings.SMEDASH_IMPORT_MAX_ROWS = 2
    settings.SMEDASH_IMPORT_MAX_BYTES = 100  # the command's: the larger of ten times that and 2 KiB a row
    path = tmp_path / "rows.csv"
    path.write_bytes(to_csv(rows(3)))
    out = io.StringIO()
    call_command("import_observations", str(path), "--dry-run", stdout=out)  # 20 rows on the server
    assert "Would import: 3 new" in out.getvalue()
    with pytest.raises(CommandError, match="The file has more than 2 rows"):
        call_command("import_observations", str(path), "--max-rows", "2", stdout=io.StringIO())
    path.write_bytes(to_csv(rows(1, note="x" * 3000), [*REQUIRED, "note"]))
    with pytest.raises(CommandError, match="The file is larger than 2.0\xa0KB"):
        call_command("import_observations", str(path), "--max-rows", "1", stdout=io.StringIO())
    assert Observation.objects.count() == 50


def test_import_file_raises_the_same_errors(seeded, settings):
    settings.SMEDASH_IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        import_file("rows.csv", to_csv(rows(3)))
    with pytest.raises(ImportFileError, match="declares a DTD"):
        import_file("rows.xlsx", billion_laughs(settings)[1])
    assert Observation.objects.count() == 50


@pytest.mark.parametrize("lang", LANGS)
def test_the_upload_page_states_the_limits(editor_client, lang):
    page = page_of(editor_client.get(IMPORT_URL.format(lang=lang)))
    assert_translated(
        page,
        lang,
        "A file may have at most %(rows)s rows and %(size)s; a larger one is imported on the server with "
        "“manage.py import_observations”.",
        rows=lambda: format_number(20000),  # in the staff member's digits
        size=lambda: local_digits(filesizeformat(20 * MiB)),
    )


def test_the_limits_come_from_the_settings_else_the_environment(monkeypatch, settings):
    monkeypatch.setenv("SMEDASH_IMPORT_MAX_ROWS", "5")
    monkeypatch.setenv("SMEDASH_IMPORT_MAX_COLUMNS", "7")
    settings.SMEDASH_IMPORT_MAX_COLUMNS = 30  # the setting wins
    limits = ImportLimits.from_settings()
    assert (limits.max_rows, limits.max_columns, limits.max_bytes) == (5, 30, 20 * MiB)
    monkeypatch.setenv("SMEDASH_IMPORT_MAX_BYTES", "20MB")
    with pytest.raises(ImproperlyConfigured, match="SMEDASH_IMPORT_MAX_BYTES must be a whole number"):
        ImportLimits.from_settings()
