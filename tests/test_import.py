"""Importing observations: an export can be edited and imported again, all or nothing."""

import csv
import html
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from indicators.cache import data_version
from indicators.exports import EXPORT_COLUMNS
from indicators.import_limits import ImportFileError
from indicators.importing import import_file
from indicators.models import Observation

IMPORT_URL = "/{lang}/admin/indicators/observation/import/"
NEW_ROW = {
    "area": "IRN",
    "indicator": "firm_share",
    "year": "",
    "value": "۹۷/۵",
    "unit": "percent",
    "qualifier": "about",
    "scope": "economy",
    "source": "002_bb35e3d40c82847a.txt",
    "quote": "نمونهٔ تازه: ۹۷/۵ درصد واحدها کوچک و متوسط‌اند",
    "year_as_written": "۱۴۰۰",
    "year_calendar": "solar_hijri",
    "area_kind": "country",
    "definition": "",
    "note": "Typed in Persian digits.",
    "last_changed": "",
    "measured_as": "",
}


@pytest.fixture(autouse=True)
def english():
    """Messages follow the active language: English here, and none left active for the next test."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def editor(db):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user("sara", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


@pytest.fixture
def exported(seeded):
    """The full-data export as a list of dicts, ready to edit."""
    out = io.StringIO()
    call_command("export_observations", stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def to_csv(rows, columns=None):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def run_command(tmp_path, content, *args, name="rows.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_observations", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


def values():
    return dict(Observation.objects.values_list("pk", "value"))


# The command -------------------------------------------------------------------------------


def test_an_unedited_export_imports_as_unchanged(tmp_path, exported):
    out, err, error = run_command(tmp_path, to_csv(exported))
    assert error is None and err == ""
    assert "0 new, 0 changed, 50 unchanged, 0 rejected" in out


def test_an_edited_value_changes_the_matching_figure_and_keeps_its_status(tmp_path, exported):
    row = next(r for r in exported if (r["area"], r["indicator"], r["value"]) == ("JPN", "firm_share", "99.4"))
    row["value"] = "99.5"
    out, _err, error = run_command(tmp_path, to_csv(exported))
    assert error is None
    assert "0 new, 1 changed, 49 unchanged" in out
    obs = Observation.objects.get(area__code="JPN", indicator__code="firm_share", year=1978)
    assert str(obs.value.normalize()) == "99.5"
    assert obs.status == Observation.Status.PUBLISHED


def test_new_rows_come_in_as_drafts_and_stay_out_of_the_export(tmp_path, exported):
    out, _err, error = run_command(tmp_path, to_csv([*exported, NEW_ROW]))
    assert error is None and "1 new, 0 changed" in out
    new = Observation.objects.get(quote=NEW_ROW["quote"])
    assert (new.status, new.year, new.year_as_written, str(new.value.normalize())) == ("draft", 2021, "۱۴۰۰", "97.5")
    assert new.note_en == "Typed in Persian digits."
    export = io.StringIO()
    call_command("export_observations", stdout=export)
    assert NEW_ROW["quote"] not in export.getvalue()


def test_publish_publishes_every_row_of_the_file(tmp_path, seeded):
    Observation.objects.filter(area__code="SYR").update(status=Observation.Status.DRAFT)
    out = io.StringIO()
    call_command("export_observations", "--drafts", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    _out, _err, error = run_command(tmp_path, to_csv([*rows, NEW_ROW]), "--publish")
    assert error is None
    assert not Observation.objects.filter(status=Observation.Status.DRAFT).exists()


def test_a_status_column_decides_row_by_row(tmp_path, seeded):
    # Two figures of one area, indicator, year and scope: each says what it counts (issue 13).
    rows = [
        dict(NEW_ROW, status="published", measured_as="units"),
        dict(NEW_ROW, quote="another quote", value="12", status="draft", measured_as="establishments"),
    ]
    _out, _err, error = run_command(tmp_path, to_csv(rows), "--publish")
    assert error is None
    assert Observation.objects.get(quote=NEW_ROW["quote"]).status == "published"
    assert Observation.objects.get(quote="another quote").status == "draft"


def test_one_bad_row_writes_nothing_and_names_row_column_and_reason(tmp_path, exported):
    before = values()
    exported[0]["value"] = "99.9"  # a good change, which must not be written either
    share = next(i for i, r in enumerate(exported) if r["unit"] == "percent")
    exported[share]["value"] = "120"
    _out, err, error = run_command(tmp_path, to_csv([*exported, NEW_ROW]))
    assert error and "Nothing imported" in error and "1 rejected" in error
    assert f"row {share + 2}, column value: A share is a percentage: it must be between 0 and 100." in err
    assert values() == before
    assert not Observation.objects.filter(quote=NEW_ROW["quote"]).exists()


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"area": "XXX"}, "area", "No area has the code “XXX”."),
        ({"indicator": "nope"}, "indicator", "No indicator has the code “nope”."),
        ({"source": "nope.txt"}, "source", "No source has the identifier “nope.txt”."),
        ({"value": "many"}, "value", "“many” is not a number."),
        ({"value": ""}, "value", "This cell is required."),
        ({"quote": ""}, "quote", "This cell is required."),
        ({"year": "19x8"}, "year", "“19x8” is not a year."),
        ({"year": "2200", "year_as_written": ""}, "year", "The year must be between 1900 and"),
        (
            {"qualifier": "roughly"},
            "qualifier",
            "“roughly” is not one of: exact, more_than, less_than, about, unclear.",
        ),
        ({"unit": "persons"}, "unit", "The indicator firm_share is in per cent (percent), not “persons”."),
        ({"area_kind": "aggregate"}, "area_kind", "The area IRN is of the kind “Country” (country), not “aggregate”."),
        ({"indicator": "sme_count", "unit": "", "value": "45%"}, "value", "not as a percentage: remove the % sign"),
        ({"value": "-3"}, "value", "A value cannot be negative."),
        ({"value": "1.23456"}, "value", "Ensure that there are no more than 4 decimal places."),
        ({"year_calendar": "gregorian"}, "year_as_written", "If the source uses the Solar Hijri calendar"),
    ],
)
def test_each_problem_is_reported_with_its_row_and_column(seeded, changes, column, reason):
    rows = [dict(NEW_ROW, quote="first good row"), dict(NEW_ROW, **changes)]
    plan = import_file("rows.csv", to_csv(rows, EXPORT_COLUMNS), dry_run=True)
    assert not plan.ok
    problems = plan.problems()
    assert any(number == 3 and col == column and reason in message for number, col, message in problems), problems
    assert Observation.objects.count() == 50


def test_duplicates_within_the_file_and_against_the_database_are_refused(seeded):
    syria = Observation.objects.get(area__code="SYR")
    copy = dict(
        NEW_ROW,
        area="SYR",
        value=str(syria.value),
        source=syria.source.identifier,
        scope=syria.scope,
        year_as_written="",
        year_calendar="gregorian",
        quote="the same figure, quoted differently",
    )
    plan = import_file("rows.csv", to_csv([NEW_ROW, NEW_ROW, copy]), dry_run=True)
    problems = {(number, message.split(":")[0]) for number, _column, message in plan.problems()}
    assert (3, "Row 2 has the same source, area, indicator, year as written and quote") in problems
    assert (4, "This figure is already recorded") in problems


def test_the_file_must_have_the_export_columns(seeded):
    with pytest.raises(ImportFileError, match="Unknown column.*qualifer"):
        import_file("rows.csv", b"area,indicator,value,source,quote,qualifer\n")
    with pytest.raises(ImportFileError, match="Missing column.*quote"):
        import_file("rows.csv", b"area,indicator,value,source\nIRN,firm_share,5,x\n")
    with pytest.raises(ImportFileError, match="UTF-8"):
        import_file("rows.csv", "area,indicator\nایران".encode("utf-16"))


def test_name_columns_and_formula_guards_of_a_localised_export_are_understood(tmp_path, seeded):
    row = dict(NEW_ROW, quote="=1+1 is not a formula here")
    _out, _err, error = run_command(tmp_path, to_csv([row]), "--publish")
    assert error is None
    out = io.StringIO()
    call_command("export_observations", "--lang", "fa", stdout=out)
    assert "'=1+1 is not a formula here" in out.getvalue()
    result, _err, error = run_command(tmp_path, out.getvalue().encode(), "--lang", "fa", name="fa.csv")
    assert error is None and "0 new, 0 changed, 51 unchanged" in result


HIDDEN_FORMULA = '\x01=HYPERLINK("http://evil.example/","x")'


def test_control_characters_are_taken_out_of_every_cell_before_anything_else(tmp_path, seeded):
    # A control character in front of "=" must not survive to hide the formula from the export's check.
    row = dict(NEW_ROW, note=HIDDEN_FORMULA, quote="a quote\x07 with a bell", year_as_written="\x1b۱۴۰۰")
    _out, _err, error = run_command(tmp_path, to_csv([row]))
    assert error is None
    obs = Observation.objects.get(quote="a quote with a bell")
    assert obs.note_en == '=HYPERLINK("http://evil.example/","x")'
    assert (obs.year_as_written, obs.year) == ("۱۴۰۰", 2021)


def test_control_characters_are_taken_out_of_xlsx_cells_too(seeded):
    book = Workbook()
    sheet = book.active
    sheet.append(EXPORT_COLUMNS)
    # openpyxl refuses to write most control characters; \x7f (DEL) it keeps.
    sheet.append([dict(NEW_ROW, note='\x7f=HYPERLINK("http://evil.example/","x")')[c] for c in EXPORT_COLUMNS])
    content = io.BytesIO()
    book.save(content)
    plan = import_file("rows.xlsx", content.getvalue())
    assert plan.ok
    assert Observation.objects.get(quote=NEW_ROW["quote"]).note_en == '=HYPERLINK("http://evil.example/","x")'


def test_dry_run_writes_nothing(tmp_path, exported):
    out, _err, error = run_command(tmp_path, to_csv([*exported, NEW_ROW]), "--dry-run")
    assert error is None and out.startswith("Would import: 1 new")
    assert not Observation.objects.filter(quote=NEW_ROW["quote"]).exists()


def test_an_xlsx_file_imports_like_a_csv(tmp_path, seeded):
    book = Workbook()
    sheet = book.active
    sheet.append(EXPORT_COLUMNS)
    sheet.append([NEW_ROW[c] for c in EXPORT_COLUMNS])
    sheet.append(
        [
            dict(
                NEW_ROW,
                quote="numbers typed as numbers",
                value=12.5,
                year=2011,
                year_as_written=2011,
                year_calendar="gregorian",
            )[c]
            for c in EXPORT_COLUMNS
        ]
    )
    content = io.BytesIO()
    book.save(content)
    out, _err, error = run_command(tmp_path, content.getvalue(), name="rows.xlsx")
    assert error is None and "2 new" in out
    typed = Observation.objects.get(quote="numbers typed as numbers")
    assert (str(typed.value.normalize()), typed.year, typed.year_as_written) == ("12.5", 2011, "2011")


def test_imports_record_history_with_the_importer_and_refresh_caches(
    tmp_path, exported, editor, django_capture_on_commit_callbacks
):
    next(r for r in exported if r["value"] == "5810000")["value"] = "5810001"
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        _out, _err, error = run_command(tmp_path, to_csv([*exported, NEW_ROW]), "--user", "sara")
    assert error is None
    assert data_version() != before
    new = Observation.objects.get(quote=NEW_ROW["quote"])
    created = new.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        editor,
        "Imported from rows.csv",
    )
    changed = Observation.objects.get(value=5810001).history.latest()
    assert (changed.history_type, changed.history_user) == ("~", editor)
    assert changed.prev_record.value == 5810000


# The admin ---------------------------------------------------------------------------------


@pytest.fixture
def editor_client(client, editor, seeded, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # uploads waiting for confirmation are kept under var/imports
    client.force_login(editor)
    return client


def upload(client, content, lang="en", name="rows.csv", **options):
    data = {"file": SimpleUploadedFile(name, content), "lang": "en", **options}
    return client.post(IMPORT_URL.format(lang=lang), data)


def test_the_admin_preview_lists_each_row_and_writes_nothing(editor_client, exported):
    exported[3]["value"] = "1"
    response = upload(editor_client, to_csv([*exported, NEW_ROW]))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Preview: nothing has been written yet" in page
    assert "1 figure to add" in page and "1 figure to change" in page and "49 unchanged" in page
    assert "value</code>:" in page  # the change, column by column
    assert not Observation.objects.filter(quote=NEW_ROW["quote"]).exists()
    assert 'name="ticket"' in page


def test_the_admin_import_is_written_on_confirmation_with_the_editor_in_the_history(
    editor_client, editor, exported, tmp_path
):
    response = upload(editor_client, to_csv([*exported, NEW_ROW]))
    ticket = response.context["ticket"]
    assert len(list((tmp_path / "imports").iterdir())) == 1  # kept until confirmed
    response = editor_client.post(IMPORT_URL.format(lang="fa"), {"ticket": ticket}, follow=True)
    done = "ورود انجام شد: ۱ رقم افزوده شد، ۰ رقم تغییر کرد و ۵۰ رقم بی‌تغییر ماند."  # in Persian digits
    assert done in html.unescape(response.content.decode())
    new = Observation.objects.get(quote=NEW_ROW["quote"])
    assert new.status == Observation.Status.DRAFT
    assert new.history.get().history_user == editor
    # The upload is gone; an empty marker remains, for a second confirmation to say it was imported.
    left = list((tmp_path / "imports").iterdir())
    assert [path.suffix for path in left] == [".done"] and left[0].stat().st_size == 0


def test_a_ticket_is_good_for_its_own_user_only(client, editor_client, exported):
    ticket = upload(editor_client, to_csv([NEW_ROW])).context["ticket"]
    other = User.objects.create_superuser("omid", password="another-long-password")
    client.force_login(other)
    client.post(IMPORT_URL.format(lang="en"), {"ticket": ticket})
    assert not Observation.objects.filter(quote=NEW_ROW["quote"]).exists()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Row 6, column <code>value</code>: A share is a percentage: it must be between 0 and 100."),
        ("fa", "سطر ۶، ستون <code>value</code>: سهم درصد است: باید میان ۰ و ۱۰۰ باشد."),
        ("ar", "الصف ٦، العمود <code>value</code>: الحصة نسبة مئوية: يجب أن تكون بين ٠ و١٠٠."),
    ],
)
def test_the_admin_names_the_failing_row_column_and_reason_in_its_language(editor_client, exported, lang, expected):
    share = [i for i, r in enumerate(exported) if r["unit"] == "percent"][2]
    exported[share]["value"] = "120"
    exported.insert(0, exported.pop(share))  # the bad row is now row 2 of the file…
    exported.insert(4, exported.pop(0))  # …and now row 6
    response = upload(editor_client, to_csv([*exported, NEW_ROW]), lang=lang)
    page = html.unescape(response.content.decode())
    assert expected in page
    assert 'name="ticket"' not in page  # nothing to confirm
    assert not Observation.objects.filter(quote=NEW_ROW["quote"]).exists()


def test_the_admin_refuses_other_file_types(editor_client):
    response = upload(editor_client, b"{}", name="rows.json")
    assert "Choose a CSV or XLSX file." in html.unescape(response.content.decode())
