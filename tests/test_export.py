import csv
import io

from django.core.management import call_command

from indicators.exports import EXPORT_COLUMNS
from indicators.models import Observation
from indicators.text import spreadsheet_cell


def run_export(*args):
    out = io.StringIO()
    call_command("export_observations", *args, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_export_lists_every_observation_with_the_required_columns_first(seeded):
    rows = run_export()
    header, body = rows[0], rows[1:]
    assert header[:9] == ["area", "indicator", "year", "value", "unit", "qualifier", "scope", "source", "quote"]
    assert header == EXPORT_COLUMNS
    assert len(body) == Observation.objects.count() == 50
    assert all(row[header.index("quote")] for row in body)


def test_export_values_are_plain_and_years_empty_when_not_stated(seeded):
    rows = run_export()
    header = rows[0]
    by_key = {(r[0], r[1], r[3]): r for r in rows[1:]}
    korea = by_key[("KOR", "employment_share", "57.5")]
    assert korea[header.index("year")] == ""
    assert korea[header.index("unit")] == "percent"
    iran = by_key[("IRN", "sme_count", "1405950")]
    assert iran[header.index("year")] == "1974"
    assert iran[header.index("year_as_written")] == "1353"
    syria = by_key[("SYR", "firm_share", "98")]
    assert syria[header.index("qualifier")] == "more_than"
    assert syria[header.index("source")] == "003_a9bddf9fb0107279.txt"


def test_export_with_lang_adds_translated_names(seeded):
    rows = run_export("--lang", "fa")
    header = rows[0]
    assert header[-3:] == ["area_name", "indicator_name", "source_title"]
    iran = next(r for r in rows[1:] if r[0] == "IRN")
    assert iran[header.index("area_name")] == "ایران"
    arabic = run_export("--lang", "ar")
    assert next(r for r in arabic[1:] if r[0] == "JPN")[header.index("area_name")] == "اليابان"


def test_cells_a_spreadsheet_would_run_are_neutralised():
    assert spreadsheet_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_cell("57.5") == "57.5"
    assert spreadsheet_cell("ایران") == "ایران"


def test_drafts_are_left_out_unless_asked_for(seeded):
    Observation.objects.filter(area__code="SYR").update(status=Observation.Status.DRAFT)
    assert len(run_export()) - 1 == 49
    assert len(run_export("--drafts")) - 1 == 50
