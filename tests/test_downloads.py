"""Full-data downloads: CSV (Excel-ready), JSON and XLSX of every published observation."""

import csv
import io
import json

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from indicators.exports import EXPORT_COLUMNS, NAME_COLUMNS
from indicators.models import Observation

BASE = "/api/v1/downloads/observations"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # also the rate-limit counters
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def downloads_dir(settings, tmp_path):
    """Workbooks are kept on disk per data version: each test its own directory."""
    settings.SMEDASH_DOWNLOADS_DIR = tmp_path


@pytest.fixture
def formula_note(seeded):
    """A published figure whose English note and Persian note would run as spreadsheet formulas."""
    obs = Observation.objects.published().get(area__code="SYR", indicator__code="firm_share")
    obs.note_en = FORMULA
    obs.note_fa = "@SUM(1+1)"
    obs.save()
    return obs


def read_csv(response):
    assert response.streaming  # read from the database a chunk at a time, never whole
    body = response.getvalue()
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_every_column_and_every_published_observation(client, seeded):
    response = client.get(f"{BASE}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="smedash-observations.csv"'
    rows = read_csv(response)
    assert rows[0] == EXPORT_COLUMNS
    assert len(rows) - 1 == Observation.objects.published().count() == 50
    quote = rows[0].index("quote")
    assert all(row[quote] for row in rows[1:])


def test_csv_names_in_persian_and_arabic(client, seeded):
    response = client.get(f"{BASE}.csv?lang=fa")
    assert response["Content-Disposition"] == 'attachment; filename="smedash-observations-fa.csv"'
    rows = read_csv(response)
    header = rows[0]
    assert header == EXPORT_COLUMNS + NAME_COLUMNS
    iran = next(r for r in rows[1:] if r[0] == "IRN")
    assert iran[header.index("area_name")] == "ایران"
    arabic = read_csv(client.get(f"{BASE}.csv?lang=ar"))[1:]
    japan = next(r for r in arabic if r[0] == "JPN" and r[header.index("year")] == "1978")
    assert japan[header.index("area_name")] == "اليابان"
    # Notes are translated too.
    assert [r for r in arabic if r[header.index("note")].startswith("يكتب المصدر ٥٫٨١ مليون.")]


def test_cells_that_would_run_as_formulas_are_neutralised(client, formula_note):
    rows = read_csv(client.get(f"{BASE}.csv"))
    note = rows[0].index("note")
    assert [r[note] for r in rows[1:] if r[0] == "SYR" and r[1] == "firm_share"] == ["'" + FORMULA]
    rows = read_csv(client.get(f"{BASE}.csv?lang=fa"))
    assert "'@SUM(1+1)" in [r[note] for r in rows[1:]]


def test_json_download(client, formula_note):
    response = client.get(f"{BASE}.json?lang=fa")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="smedash-observations-fa.json"'
    assert response.streaming
    document = json.loads(response.getvalue())
    assert document["columns"] == EXPORT_COLUMNS + NAME_COLUMNS
    assert document["count"] == len(document["observations"]) == 50
    korea = next(o for o in document["observations"] if o["area"] == "KOR" and o["value"] == 57.5)
    assert korea["year"] is None and korea["area_name"] == "کرهٔ جنوبی"
    # JSON is read by programs: the text is exactly as stored, not prefixed.
    assert "@SUM(1+1)" in [o["note"] for o in document["observations"]]


def test_xlsx_download_has_no_formulas_and_numbers_as_numbers(client, formula_note):
    response = client.get(f"{BASE}.xlsx?lang=ar")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="smedash-observations-ar.xlsx"'
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header == EXPORT_COLUMNS + NAME_COLUMNS
    assert len(rows) - 1 == 50
    assert sheet.sheet_view.rightToLeft
    assert all(cell.data_type != "f" for row in rows for cell in row)
    by_column = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    iran = next(r for r in by_column if r["area"].value == "IRN" and r["year_as_written"].value == "1353")
    assert iran["year"].value == 1974 and iran["year"].data_type == "n"
    assert iran["area_name"].value == "إيران"
    assert isinstance(iran["value"].value, int | float)
    assert any(r["year"].value is None for r in by_column)


def test_xlsx_in_english_keeps_the_formula_as_text(client, formula_note):
    sheet = load_workbook(io.BytesIO(client.get(f"{BASE}.xlsx").getvalue())).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'" + FORMULA in values
    assert not sheet.sheet_view.rightToLeft


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_bad_parameters_are_a_400_not_a_500(client, seeded, fmt):
    for query in ("lang=xx", "lang=en&lang=fa", "format=pdf"):
        response = client.get(f"{BASE}.{fmt}?{query}")
        assert response.status_code == 400
        assert response.json()["error"]


def test_drafts_are_not_downloaded(client, seeded):
    Observation.objects.filter(area__code="SYR").update(status=Observation.Status.DRAFT)
    assert len(read_csv(client.get(f"{BASE}.csv"))) - 1 == 49


def test_downloads_are_rate_limited(client, seeded, settings):
    settings.RATELIMIT_EXPENSIVE = "2/m"
    assert client.get(f"{BASE}.csv").status_code == 200
    assert client.get(f"{BASE}.json").status_code == 200
    response = client.get(f"{BASE}.xlsx")
    assert response.status_code == 429
    assert response["Retry-After"]
