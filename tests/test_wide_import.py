"""Importing a wide table (areas in rows, years in columns) from CSV, XLSX and ODS: the sheet is
melted with pandas and planned by the long import, every problem named by its cell."""

import html
import io
import signal
import zipfile
from decimal import Decimal

import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from indicators.import_limits import ImportFileError, ImportLimits
from indicators.models import ImportJob, Observation
from indicators.wide_forms import WideOptions
from indicators.wide_import import import_wide, normalise, read_wide, year_header

SOURCE = "002_bb35e3d40c82847a.txt"
WIDE_URL = "/{lang}/admin/indicators/observation/import/wide/"
JOB_URL = "/{lang}/admin/indicators/observation/import/jobs/{pk}/"
OPTIONS = WideOptions(
    indicator="firm_share",
    source=SOURCE,
    caption="جدول ۳-۲: سهم بنگاه‌های کوچک",
    location="p. 45, table 3.2",
    measured_as="wide-table units",
)
# A title block, Persian and Latin year headers (Solar Hijri and Gregorian), areas by Persian name
# (typed with the Arabic yeh), by code and by English name, missing markers, and a footnote.
TABLE = [
    ["جدول ۳-۲: سهم بنگاه‌های کوچک از کل بنگاه‌ها"],
    ["(درصد)"],
    [],
    ["کشور", "۱۳۹۲", "۱۳۹۳", "2015", "2016"],
    ["ايران", "۹۷٫۵", "..", "۹۸/۲", "—"],
    ["JPN", "99.7", "-", "", "٩٩٫١"],
    ["South Korea", "", "", "99", ""],
    ["منبع: مرکز آمار"],
]


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")
    yield
    translation.deactivate()


def csv_bytes(rows):
    return "\n".join(",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows).encode()


def xlsx_bytes(rows, title="Table 3"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row or [None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods_bytes(rows, title="Tableau"):
    width = max(len(row) for row in rows)
    frame = pd.DataFrame([row + [""] * (width - len(row)) for row in rows])
    out = io.BytesIO()
    frame.to_excel(out, engine="odf", sheet_name=title, header=False, index=False)
    return out.getvalue()


def figures():
    return {(o.area.code, o.year_as_written): o for o in Observation.objects.filter(quote=OPTIONS.quote)}


@pytest.mark.parametrize(
    ("name", "build", "sheet"),
    [("table.csv", csv_bytes, "table.csv"), ("table.xlsx", xlsx_bytes, "Table 3"), ("table.ods", ods_bytes, "Tableau")],
)
def test_a_wide_sheet_becomes_one_draft_figure_per_filled_cell(seeded, name, build, sheet):
    table, plan = import_wide(name, build(TABLE), OPTIONS)
    assert plan.ok, plan.problems()
    assert table.header_row == 4 and plan.counts()["new"] == 5
    found = figures()
    iran = found[("IRN", "۱۳۹۲")]
    assert (iran.value, iran.year, iran.year_calendar) == (Decimal("97.5"), 2013, "solar_hijri")
    assert iran.note_en == f"{sheet}!B5" and iran.status == "draft"
    assert iran.quote == "جدول ۳-۲: سهم بنگاه‌های کوچک (p. 45, table 3.2)"
    assert found[("IRN", "2015")].value == Decimal("98.2") and found[("IRN", "2015")].note_en == f"{sheet}!D5"
    assert found[("JPN", "2016")].value == Decimal("99.1")
    assert found[("KOR", "2015")].year == 2015
    # "..", "-", "—" and blanks are missing: no figure, never a zero.
    assert ("IRN", "۱۳۹۳") not in found and ("JPN", "۱۳۹۳") not in found and ("IRN", "2016") not in found
    assert Observation.history.filter(quote=OPTIONS.quote).count() == 5


def test_importing_the_same_table_again_changes_nothing_and_a_new_value_changes_its_figure(seeded):
    import_wide("t.csv", csv_bytes(TABLE), OPTIONS)
    _table, plan = import_wide("t.csv", csv_bytes(TABLE), OPTIONS, dry_run=True)
    assert plan.counts() == {"new": 0, "changed": 0, "unchanged": 5, "rejected": 0}
    edited = [list(row) for row in TABLE]
    edited[4][1] = "۹۶"
    _table, plan = import_wide("t.csv", csv_bytes(edited), OPTIONS)
    assert plan.counts()["changed"] == 1
    assert figures()[("IRN", "۱۳۹۲")].value == 96


def test_every_problem_is_named_by_its_cell_row_header_and_column_header_and_nothing_is_written(seeded):
    bad = [list(row) for row in TABLE]
    bad[4][1] = "۱۲۰"  # a share over 100
    bad[5][1] = "abc"
    bad.insert(7, ["Atlantis", "5"])
    before = Observation.objects.count()
    _table, plan = import_wide("t.csv", csv_bytes(bad), OPTIONS)
    assert not plan.ok and Observation.objects.count() == before
    messages = [message.replace("\u2068", "").replace("\u2069", "") for _n, _c, message in plan.problems()]
    assert messages == [
        "Cell B5 (ايران × ۱۳۹۲): A share is a percentage: it must be between 0 and 100.",
        "Cell B6 (JPN × ۱۳۹۲): “abc” is not a number.",
        "Cell A8 (Atlantis): No area has the code or name “Atlantis”.",
    ]


def test_problems_are_in_the_staff_members_language(seeded):
    bad = [list(row) for row in TABLE]
    bad[4][1] = "abc"
    with translation.override("fa"):
        _table, plan = import_wide("t.csv", csv_bytes(bad), OPTIONS, dry_run=True)
        reason = translation.gettext("“%(text)s” is not a number.") % {"text": "abc"}
    assert not plan.ok and reason != "“abc” is not a number."
    assert reason in plan.problems()[0][2] and "B5" in plan.problems()[0][2]


def test_a_repeated_year_and_figures_under_a_header_that_is_no_year_are_problems(seeded):
    rows = [["area", "2015", "۲۰۱۵", "total"], ["IRN", "50", "51", "52"]]
    _table, plan = import_wide("t.csv", csv_bytes(rows), OPTIONS, dry_run=True)
    messages = [message for _n, _c, message in plan.problems()]
    assert any(m.startswith("Cell C1") and "same year as column B" in m for m in messages)
    assert any(m.startswith("Cell D1") and "is not a year" in m for m in messages)


def test_a_sheet_without_a_header_of_years_is_refused_with_a_message(seeded):
    with pytest.raises(ImportFileError, match="No header row of years"):
        read_wide("t.csv", b"area,value\nIRN,5\n", OPTIONS)


def test_year_headers_and_names_are_read_loosely():
    assert year_header("۱۳۹۲") == ("۱۳۹۲", "solar_hijri")
    assert year_header("٢٠١٣") == ("٢٠١٣", "gregorian")
    assert year_header("2013.0") == ("2013", "gregorian")
    assert year_header("Total") is None and year_header("1066") is None
    assert normalise("كره‌ جنوبي") == normalise("کره جنوبی")


def test_more_figures_than_the_limit_are_refused(seeded):
    rows = [["area", *map(str, range(2000, 2010))], ["IRN", *["5"] * 10], ["JPN", *["6"] * 10]]
    with pytest.raises(ImportFileError, match="more than 15 figures"):
        read_wide("t.csv", csv_bytes(rows), OPTIONS, ImportLimits(max_rows=15))


def ods_with_content(body):
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        f'<table:table table:name="S">{body}</table:table></office:spreadsheet></office:body></office:document-content>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return out.getvalue()


def cell(text, repeat=1):
    return f'<table:table-cell table:number-columns-repeated="{repeat}"><text:p>{text}</text:p></table:table-cell>'


def test_an_ods_row_repeated_a_million_times_is_refused_and_empty_repeats_cost_nothing(seeded):
    header = f"<table:table-row>{cell('area')}{cell('2015')}</table:table-row>"
    empty = '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
    row = f"<table:table-row>{cell('IRN')}{cell('50')}</table:table-row>"
    table = read_wide("t.ods", ods_with_content(header + empty + row), OPTIONS)
    assert [entry.cell for entry in table.entries] == ["B1048002"]
    bomb = f'<table:table-row table:number-rows-repeated="1000000">{cell("IRN")}{cell("5")}</table:table-row>'
    with pytest.raises(ImportFileError, match="more than"):
        read_wide("t.ods", ods_with_content(header + bomb), OPTIONS)
    wide = f"<table:table-row>{cell('IRN')}{cell('5', 5000)}</table:table-row>"
    with pytest.raises(ImportFileError, match="at most 100 columns"):
        read_wide("t.ods", ods_with_content(header + wide), OPTIONS)


def test_an_ods_with_a_dtd_is_refused(seeded):
    content = ods_with_content("").replace(b"", b"")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert content
    with pytest.raises(ImportFileError, match="DTD"):
        read_wide("t.ods", out.getvalue(), OPTIONS)


# The command and the admin ---------------------------------------------------------------------


def test_the_command_imports_and_names_each_problem_by_cell(seeded, tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_bytes(xlsx_bytes(TABLE))
    args = [str(path), "--indicator", "firm_share", "--source", SOURCE, "--caption", OPTIONS.caption]
    args += ["--location", OPTIONS.location, "--measured-as", OPTIONS.measured_as]
    out = io.StringIO()
    call_command("import_wide_table", *args, "--dry-run", stdout=out)
    assert "Would import from Table 3, header in row 4: 5 new" in out.getvalue()
    assert not figures()
    call_command("import_wide_table", *args, "--publish", stdout=out)
    assert {o.status for o in figures().values()} == {"published"}
    bad = [list(row) for row in TABLE]
    bad[5][1] = "abc"
    path.write_bytes(xlsx_bytes(bad))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_wide_table", *args, stderr=err)
    assert "Cell B6" in err.getvalue() and "“abc” is not a number." in err.getvalue()


@pytest.fixture
def editor_client(client, seeded, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("sara", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    client.force_login(user)
    return client


def post_table(client, content, name="table.xlsx", lang="en", **extra):
    data = {
        "file": SimpleUploadedFile(name, content),
        "indicator": "firm_share",
        "source": SOURCE,
        "caption": OPTIONS.caption,
        "location": OPTIONS.location,
        "scope": "not_stated",
        "qualifier": "exact",
        "measured_as": OPTIONS.measured_as,
        "lang": "en",
        **extra,
    }
    return client.post(WIDE_URL.format(lang=lang), data)


def test_the_admin_previews_every_cell_then_writes_them_once(editor_client):
    page = editor_client.get(WIDE_URL.format(lang="en"))
    assert page.status_code == 200 and "Import a wide table" in page.content.decode()
    response = post_table(editor_client, xlsx_bytes(TABLE))
    text = html.unescape(response.content.decode())
    assert "Preview: nothing has been written yet" in text and "<code>B5</code>" in text
    assert not figures()
    ticket = response.context["ticket"]
    done = editor_client.post(WIDE_URL.format(lang="en"), {"ticket": ticket}, follow=True)
    assert "Import done: 5 added" in html.unescape(done.content.decode())
    assert len(figures()) == 5
    again = editor_client.post(WIDE_URL.format(lang="en"), {"ticket": ticket}, follow=True)
    assert "already been imported" in html.unescape(again.content.decode()) and len(figures()) == 5


def test_the_admin_shows_cell_named_problems_and_refuses_a_bad_file(editor_client):
    bad = [list(row) for row in TABLE]
    bad[4][1] = "۱۲۰"
    text = html.unescape(post_table(editor_client, ods_bytes(bad), name="t.ods").content.decode())
    assert "Cell B5" in text and "must be between 0 and 100" in text and 'name="ticket"' not in text
    refused = post_table(editor_client, b"not a workbook", name="t.xlsx")
    assert refused.status_code == 200 and "could not be read as an XLSX" in html.unescape(refused.content.decode())
    wrong_type = post_table(editor_client, b"x", name="t.txt")
    assert "Choose a CSV, XLSX or ODS file." in html.unescape(wrong_type.content.decode())


def run_worker():
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


@pytest.mark.django_db(transaction=True)
def test_a_large_table_is_checked_in_the_background_with_its_problems_named_by_cell(editor_client, settings):
    settings.SMEDASH_IMPORT_INLINE_ROWS = 2
    bad = [list(row) for row in TABLE]
    bad[5][1] = "abc"
    response = post_table(editor_client, xlsx_bytes(bad))
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.failure == "rows"
    text = html.unescape(editor_client.get(JOB_URL.format(lang="en", pk=job.pk)).content.decode())
    assert "Cell B6" in text and "“abc” is not a number." in text
    post_table(editor_client, xlsx_bytes(TABLE))
    job = ImportJob.objects.latest("pk")
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and job.counts["new"] == 5
    editor_client.post(JOB_URL.format(lang="en", pk=job.pk), {"confirm": "1"})
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and len(figures()) == 5
