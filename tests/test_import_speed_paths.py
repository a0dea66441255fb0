"""The import's fast paths (``indicators.import_plan``) give exactly what the slow ones gave: the
same figures, the same problems with the same messages. Each is compared with the model's own
code (the constructor, ``clean_fields``) on good and bad values."""

import gc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from countries.models import Area
from indicators import import_checks, import_plan
from indicators.exports import EXPORT_COLUMNS
from indicators.import_checks import check_fields, new_figure_like
from indicators.import_files import gc_paused
from indicators.import_plan import EMPTY_TRANSLATIONS, NOT_FROM_THE_FILE, TRANSLATED, plan_import
from indicators.models import Indicator, Observation, Source
from indicators.models.years import gregorian_year

SOURCE = "002_bb35e3d40c82847a.txt"
CREATED = datetime(2024, 1, 2, tzinfo=UTC)
EXCLUDE = {"area", "indicator", "source", *TRANSLATED, *NOT_FROM_THE_FILE}


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")
    yield
    translation.deactivate()


def related():
    """An area, an indicator (a share) and a source, unsaved: no query is needed."""
    return (
        Area(pk=1, code="IRN", kind="country"),
        Indicator(pk=1, code="firm_share", unit="percent"),
        Source(pk=1, identifier=SOURCE),
    )


def good_values():
    return {
        "value": Decimal("97.5"),
        "year_as_written": "۱۴۰۰",
        "year_calendar": "solar_hijri",
        "quote": "نمونهٔ تازه",
        "measured_as_en": "industrial units",
        "note_en": "Sheet1!D7",
        "qualifier": "about",
        "scope": "economy",
    }


# Each case: values put on an otherwise good figure. Every kind of field clean_fields checks.
BAD = {
    "measured_as too long": {"measured_as_en": "x" * 121},
    "measured_as in Persian too long": {"measured_as_fa": "ی" * 121},
    "definition too long": {"definition_en": "d" * 301},
    "definition in Arabic too long": {"definition_ar": "ت" * 301},
    "year as written too long": {"year_as_written": "1" * 61},
    "qualifier not a choice": {"qualifier": "roughly"},
    "scope not a choice": {"scope": "Economy"},
    "calendar not a choice": {"year_calendar": "lunar"},
    "status not a choice": {"status": "public"},
    "empty qualifier": {"qualifier": ""},
    "empty status": {"status": ""},
    "empty quote": {"quote": ""},
    "quote None": {"quote": None},
    "value too many digits": {"value": Decimal("12345678901234567.5")},
    "value too many decimals": {"value": Decimal("1.23456")},
    "value missing": {"value": None},
    "value not a number": {"value": "abc"},
    "year negative": {"year": -1},
    "several at once": {"measured_as_en": "x" * 200, "qualifier": "nope", "value": Decimal("1.000001")},
}
# Values that pass, or whose answer is the database's (the range of a small integer).
OTHER = {
    "every value good": {},
    "value as text": {"value": "12.5"},
    "year too large": {"year": 40000},
    "year as text": {"year": "1999"},
    "measured_as not text": {"measured_as_en": 12},
    "long note (no limit)": {"note_en": "n" * 10_000},
    "measured_as of exactly 120 characters": {"measured_as_en": "x" * 120, "definition_fa": "د" * 300},
    "choice given as the enum": {"qualifier": Observation.Qualifier.MORE_THAN, "status": Observation.Status.DRAFT},
}


def figure(values):
    area, indicator, source = related()
    obs = Observation(area=area, indicator=indicator, source=source, **dict.fromkeys(EMPTY_TRANSLATIONS, ""))
    obs.created_at = CREATED
    for name, value in {**good_values(), **values}.items():
        setattr(obs, name, value)
    return obs


def errors_of(check):
    try:
        check()
    except ValidationError as error:
        return error.message_dict
    return {}


def stored(obs):
    """The figure's values. modeltranslation's clean_fields leaves ``_mt_disable = False`` behind:
    the same as no flag (its descriptor reads it with a default of False)."""
    return {name: value for name, value in vars(obs).items() if name not in ("_state", "_mt_disable")}


def compared(values, lang):
    slow, fast = figure(values), figure(values)
    with translation.override(lang):
        expected = errors_of(lambda: slow.clean_fields(exclude=EXCLUDE))
        found = errors_of(lambda: check_fields(fast, EXCLUDE))
    assert found == expected
    assert stored(fast) == stored(slow)  # the same cleaned values ("12.5" → Decimal)
    return expected


@pytest.mark.parametrize("values", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_fast_field_check_finds_what_clean_fields_finds(values, lang):
    assert compared(values, lang)  # a bad case: not a comparison of two empty answers


@pytest.mark.parametrize("values", OTHER.values(), ids=OTHER.keys())
def test_the_fast_field_check_passes_what_clean_fields_passes(values):
    compared(values, "en")


def test_a_good_figure_passes_both():
    assert compared({}, "en") == {}


def test_the_fast_field_check_skips_what_it_is_told_to():
    values = {"measured_as_en": "x" * 121, "qualifier": "nope"}
    obs = figure(values)
    found = errors_of(lambda: check_fields(obs, EXCLUDE | {"qualifier"}))
    assert set(found) == {"measured_as_en"}


def test_without_modeltranslations_original_fields_excluded_the_real_clean_fields_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(Observation, "clean_fields", lambda self, exclude=None: calls.append(exclude))
    obs = figure({})
    check_fields(obs, {"area", "indicator", "source"})
    assert calls == [{"area", "indicator", "source"}]


def test_a_new_figure_is_the_one_the_constructor_builds(monkeypatch):
    area, indicator, source = related()
    built = Observation(
        area=area,
        indicator=indicator,
        source=source,
        year_as_written="1392",
        quote="q",
        status=Observation.Status.DRAFT,
        **dict.fromkeys(EMPTY_TRANSLATIONS, ""),
    )
    lookups = import_plan._Lookups.__new__(import_plan._Lookups)
    lookups.blanks = {}
    blank = lookups.blank(area, indicator, source)
    monkeypatch.setattr(import_checks.timezone, "now", lambda: CREATED)  # the constructor's default is not patched
    copied = new_figure_like(blank)
    copied.year_as_written, copied.quote = "1392", "q"
    assert copied.created_at == CREATED  # its own, as the constructor's default gives it
    ignored = {"created_at"}
    assert {k: v for k, v in stored(copied).items() if k not in ignored} == {
        k: v for k, v in stored(built).items() if k not in ignored
    }
    assert (copied._state.adding, copied._state.db) == (built._state.adding, built._state.db)
    assert copied._state.fields_cache == built._state.fields_cache
    assert (copied.area, copied.indicator, copied.source) == (area, indicator, source)
    # Nothing is shared with the figure it was copied from, or with the next copy.
    other = new_figure_like(blank)
    copied.note_en = "changed"
    copied.area = japan = Area(pk=2, code="JPN", kind="country")
    assert (blank.note_en, other.note_en) == ("", "")
    assert (blank.area, other.area, blank.area_id, other.area_id) == (area, area, 1, 1)
    assert (copied.area, copied.area_id) == (japan, 2)
    assert lookups.blank(area, indicator, source) is blank  # built once for the three
    assert lookups.blank(japan, indicator, source) is not blank


def rows_to_plan():
    """Good and bad rows: every check a row goes through (lookups, numbers, years, choices,
    lengths, shares, the file's own repeats)."""
    good = {
        "area": "IRN",
        "indicator": "firm_share",
        "value": "۹۷/۵",
        "unit": "percent",
        "qualifier": "about",
        "scope": "economy",
        "source": SOURCE,
        "quote": "speed paths",
        "year_as_written": "۱۴۰۰",
        "year_calendar": "solar_hijri",
        "area_kind": "country",
        "note": "a note",
        "measured_as": "speed units",
    }
    changes = [
        {},
        {"quote": "speed paths 2", "measured_as": "m" * 121},
        {"quote": "speed paths 3", "definition": "d" * 301},
        {"quote": "speed paths 4", "year_as_written": "1" * 61, "year_calendar": "gregorian"},
        {"quote": "speed paths 5", "value": "12345678901234567.5"},
        {"quote": "speed paths 6", "value": "1.23456"},
        {"quote": "speed paths 7", "value": "101"},
        {"quote": "speed paths 8", "qualifier": "roughly", "scope": "everything"},
        {"quote": "speed paths 9", "area": "XXX", "value": "abc"},
        {"quote": "speed paths 10", "year": "40000"},
        {"quote": "speed paths 11", "year": "1999", "year_as_written": "1998", "year_calendar": "gregorian"},
        {"quote": "", "value": ""},
        {"quote": "speed paths 12", "status": "public"},
        {"quote": "speed paths 13", "value": "'=1+1"},
        {"quote": "speed paths 14", "value": "50", "unit": "persons", "area_kind": "region"},
        {"quote": "speed paths 15", "year_as_written": "۰", "year_calendar": "solar_hijri"},
        {"quote": "speed paths"},  # the first row again
        {"quote": "speed paths 16", "value": "12"},
    ]
    header = [name for name in EXPORT_COLUMNS if name != "last_changed"]
    return header, [
        (number, [{**good, **change}.get(name, "") for name in header]) for number, change in enumerate(changes, 2)
    ]


def existing_rows(header, first):
    """Rows that change figures already recorded: one well, one with a measured-as too long."""
    rows = []
    figures = Observation.objects.filter(indicator__code="firm_share").select_related("area", "source")[:2]
    for obs, measured_as in zip(figures, ["changed by the file", "m" * 121], strict=True):
        cells = {
            "area": obs.area.code,
            "indicator": "firm_share",
            "value": "1.5",
            "source": obs.source.identifier,
            "quote": obs.quote,
            "year_as_written": obs.year_as_written,
            "year_calendar": obs.year_calendar,
            "scope": obs.scope,
            "measured_as": measured_as,
        }
        rows.append((first + len(rows), [cells.get(name, "") for name in header]))
    assert len(rows) == 2
    return rows


def slow_paths(monkeypatch):
    """The model's own code in place of the fast paths."""

    def constructed(blank):
        return Observation(
            area=blank.area,
            indicator=blank.indicator,
            source=blank.source,
            status=Observation.Status.DRAFT,
            **dict.fromkeys(EMPTY_TRANSLATIONS, ""),
        )

    # Django's clean_fields, on the fields no row sets too.
    full = lambda obs, exclude: obs.clean_fields(exclude=set(exclude) - set(NOT_FROM_THE_FILE))  # noqa: E731
    monkeypatch.setattr(import_plan, "check_fields", full)
    monkeypatch.setattr(import_plan, "new_figure_like", constructed)


@pytest.mark.parametrize("max_blanks", [import_plan.MAX_BLANKS, 1])
@pytest.mark.parametrize("lang", ["en", "ar", "fa"])
def test_a_plan_finds_the_same_problems_with_the_same_messages_as_the_models_own_checks(
    seeded, monkeypatch, lang, max_blanks
):
    header, rows = rows_to_plan()
    rows += existing_rows(header, len(rows) + 2)
    monkeypatch.setattr(import_plan, "MAX_BLANKS", max_blanks)
    with translation.override(lang):
        fast = plan_import(header, rows, lang=lang)
        slow_paths(monkeypatch)
        slow = plan_import(header, rows, lang=lang)
    assert fast.problems() == slow.problems()
    assert len(fast.problems()) >= 15  # every bad row is refused, some for several reasons
    assert [row.action for row in fast.rows] == [row.action for row in slow.rows]
    assert {"new", "changed", "rejected"} <= {row.action for row in fast.rows}
    for quick, model in zip(fast.rows, slow.rows, strict=True):
        if quick.observation is not None:
            assert stored(quick.observation).keys() == stored(model.observation).keys()
            for name in stored(model.observation):
                if name != "created_at":
                    assert getattr(quick.observation, name) == getattr(model.observation, name), name


def test_existing_figures_are_read_only_for_the_indicators_the_file_names(seeded):
    codes = {"firm_share", "no_such_indicator"}
    lookups = import_plan._Lookups(codes)
    firm_share = Indicator.objects.get(code="firm_share")
    assert lookups.existing  # the seed has firm_share figures
    assert {obs.indicator_id for obs in lookups.existing.values()} == {firm_share.pk}
    assert len(lookups.existing) == Observation.objects.filter(indicator=firm_share).count()
    assert Observation.objects.exclude(indicator=firm_share).exists()  # the others were left out


def test_an_existing_figure_is_still_matched_and_changed(seeded):
    obs = Observation.objects.filter(indicator__code="firm_share").select_related("area", "source").first()
    cells = {
        "area": obs.area.code,
        "indicator": "firm_share",
        "value": "1",
        "source": obs.source.identifier,
        "quote": obs.quote,
        "year_as_written": obs.year_as_written,
        "year_calendar": obs.year_calendar,
        "scope": obs.scope,
    }
    plan = plan_import(list(cells), [(2, list(cells.values()))])
    assert plan.problems() == []
    assert plan.rows[0].action == "changed" and plan.rows[0].observation.pk == obs.pk


def test_the_collector_is_paused_while_planning_and_back_after_an_error():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner one leaves it paused
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("written", "calendar", "year"),
    [
        ("1392", "solar_hijri", 2013),
        ("۱۳۵۳", Observation.Calendar.SOLAR_HIJRI, 1974),
        ("1978", "gregorian", 1978),
        ("۲۰۱۳", "gregorian", 2013),
        ("0", "solar_hijri", None),
        ("about 1990", "gregorian", None),
        ("", "gregorian", None),
    ],
)
def test_the_gregorian_year_of_a_year_as_written(written, calendar, year):
    assert gregorian_year(written, calendar) == year
    assert Observation(year_as_written=written, year_calendar=calendar).year_from_written() == year


# Reading an XLSX sheet ---------------------------------------------------------------------------

SHARED = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">'
    "<si><t>shared one</t></si><si><r><t>shared </t></r><r><rPr><b/></rPr><t>rich</t></r></si>"
    '<si><t xml:space="preserve"> ۱۳۹۲ </t></si></sst>'
)
SHARED_REL = (
    '<Relationship Id="rIdShared" Target="sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def rows_of_every_kind(style):
    """Rows as spreadsheets write them, and as only a hand-made file would: no row or cell
    numbers, gaps, every cell type, empty values, a date beyond the calendar (``style``: a date
    format of the workbook)."""
    return (
        "<row>"  # no r: the row after the last
        '<c t="inlineStr"><is><t>plain inline</t></is></c>'
        '<c t="inlineStr"><is><r><t>rich </t></r><r><rPr><b/></rPr><t>inline</t></r></is></c>'
        '<c t="inlineStr"><is><t>one</t><rPh sb="0" eb="1"><t>phonetic</t></rPh></is></c>'
        '<c t="inlineStr"><is><t/></is></c><c t="inlineStr"/><c t="inlineStr"><v>ignored</v></c>'
        '<c t="e"><v>#N/A</v></c><c t="str"><f>A1</f><v>cached text</v></c><c t="b"><v>1</v></c>'
        '<c t="b"><v>0</v></c><c><v></v></c><c><v>1.5E3</v></c><c t="n"><v>42</v></c><c s="0"><v>7</v></c>'
        '<c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="d"><v>2020-02-03T04:05:06</v></c>'
        "<c><v>1</v><v>2</v></c><c><f>1+1</f></c>"
        "</row>"
        '<row r="20"><c r="C20"><v>3</v></c><c><v>4</v></c>'
        '<c r="F20" t="inlineStr"><is><t xml:space="preserve">  spaced  </t></is></c>'
        f'<c r="G20" s="{style}"><v>1e20</v></c><c r="H20" s="{style}"><v>43831.5</v></c></row>'
        '<row r="21.0"><c r="A21"><v>-0.25</v></c></row><row/>'
    )


def workbook_of_every_kind(epoch=None):
    import io
    import re
    import zipfile
    from datetime import date, time, timedelta
    from datetime import datetime as moment

    from openpyxl import Workbook

    book = Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    sheet.append(["area", "1392", 2013, 97.5, True, None, "=1+1"])
    sheet.append([moment(2020, 1, 2, 3, 4, 5), date(1999, 12, 31), time(12, 30), timedelta(hours=36), "ایران"])
    out = io.BytesIO()
    book.save(out)
    parts = {}
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        for name in archive.namelist():
            parts[name] = archive.read(name).decode()
    style = re.search(r'<c r="A2" s="(\d+)"', parts["xl/worksheets/sheet1.xml"])[1]
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        "</sheetData>", rows_of_every_kind(style) + "</sheetData>"
    )
    parts["xl/sharedStrings.xml"] = SHARED
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>", SHARED_REL + "</Relationships>"
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace("</Types>", SHARED_TYPE + "</Types>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def openpyxl_rows(content):
    """What openpyxl's own row parser reads, and what ``sheet_rows`` reads, of the active sheet."""
    import io
    import warnings

    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    from indicators.import_xlsx_scan import sheet_rows

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    sheet = book.active
    with sheet._get_source() as source, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of the date beyond the calendar
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        expected = [(number, [(cell["column"], cell["value"]) for cell in cells]) for number, cells in parser.parse()]
    with sheet._get_source() as source:
        found = list(sheet_rows(source, sheet._shared_strings, book))
    return expected, found


@pytest.mark.parametrize("epoch", ["windows", "mac"])
def test_the_streamed_sheet_reads_every_kind_of_cell_as_openpyxl_does(epoch):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    expected, found = openpyxl_rows(workbook_of_every_kind(CALENDAR_MAC_1904 if epoch == "mac" else None))
    assert found == expected
    values = [value for _number, cells in expected for _column, value in cells]
    # The comparison covers what it means to: dates, durations, shared and rich strings, errors.
    for kind in ("datetime", "time", "timedelta", "bool", "float", "int", "str", "NoneType"):
        assert kind in {type(value).__name__ for value in values}
    for text in ("shared rich", "rich inline", "plain inline", "#VALUE!", "#N/A", "cached text", "  spaced  "):
        assert text in values
    assert [number for number, _cells in expected][-4:] == [3, 20, 21, 22]


def test_the_bench_sheet_is_read_the_same(seeded):
    """The sheet of ``bench/import_bench.py wide``: Persian digits, Solar Hijri headers, "..",
    written by openpyxl (inline strings)."""
    import io

    from openpyxl import Workbook

    from indicators.text import local_digits

    book = Workbook()
    book.active.append(["Table 9"])
    book.active.append(["area", *(local_digits(str(year), "fa") for year in range(1340, 1350)), "2001"])
    for index, area in enumerate(Area.objects.order_by("code")):
        book.active.append([area.name_fa or area.code, *(f"{index}٫{column}" for column in range(10)), ".."])
    out = io.BytesIO()
    book.save(out)
    expected, found = openpyxl_rows(out.getvalue())
    assert found == expected and len(found) > 3


def test_a_choice_seen_before_is_refused_or_taken_again_on_every_row(seeded):
    header = ["area", "indicator", "value", "source", "quote", "qualifier", "scope"]
    cells = [
        ["IRN", "firm_share", "1", SOURCE, "choices 1", "Roughly", "economy"],
        ["IRN", "firm_share", "2", SOURCE, "choices 2", "Roughly", "ECONOMY"],
        ["IRN", "firm_share", "3", SOURCE, "choices 3", "about", ""],
        ["IRN", "firm_share", "4", SOURCE, "choices 4", "about", "economy"],
    ]
    plan = plan_import(header, list(enumerate(cells, 2)))
    wrong = "“roughly” is not one of: exact, more_than, less_than, about, unclear."
    assert plan.problems() == [(2, "qualifier", wrong), (3, "qualifier", wrong)]
    observations = [row.observation for row in plan.rows]
    assert [(obs.qualifier, obs.scope) for obs in observations[2:]] == [("about", "not_stated"), ("about", "economy")]


def sheet_edited(edit):
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["area", "indicator", "value", "source", "quote"])
    sheet.append(["IRN", "firm_share", "1", SOURCE, "q"])
    sheet.merge_cells("F1:G1")
    sheet.column_dimensions["A"].width = 30
    sheet["H1"].hyperlink = "https://example.org/"
    out = io.BytesIO()
    book.save(out)
    edited = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive, zipfile.ZipFile(edited, "w") as copy:
        for name in archive.namelist():
            data = archive.read(name)
            copy.writestr(name, edit(data) if name == "xl/worksheets/sheet1.xml" else data)
    return edited.getvalue()


DAMAGED = {
    "column widths": lambda xml: xml.replace(b"<cols>", b'<cols><col min="x" max="y" width="abc"/>'),
    "page margins": lambda xml: xml.replace(b'<pageMargins left="0.75"', b'<pageMargins left="wide"'),
    "merged cells": lambda xml: xml.replace(b'<mergeCell ref="F1:G1"', b'<mergeCell ref="nonsense"'),
    "row number": lambda xml: xml.replace(b'<row r="2"', b'<row r="2.5"'),
    "cell name": lambda xml: xml.replace(b'r="A2"', b'r="2A"'),
}


@pytest.mark.parametrize("edit", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_sheet_is_refused_as_when_openpyxl_read_all_of_it(edit):
    from indicators.import_files import read_table
    from indicators.import_limits import ImportFileError

    content = sheet_edited(edit)
    assert content != sheet_edited(lambda xml: xml)  # the edit found its place
    with pytest.raises(ImportFileError, match="The file could not be read as an XLSX workbook."):
        read_table("rows.xlsx", content)


def test_a_sheet_with_widths_merged_cells_and_links_is_read():
    from indicators.import_files import read_table

    header, rows = read_table("rows.xlsx", sheet_edited(lambda xml: xml))
    assert header[:5] == ["area", "indicator", "value", "source", "quote"]
    assert rows == [(2, ["IRN", "firm_share", "1", SOURCE, "q"])]
