"""A note that hides a formula behind a control character never reaches a spreadsheet as a
formula, in any download a spreadsheet opens (full-data CSV and XLSX, a chart's CSV)."""

import csv
import io

import pytest
from openpyxl import load_workbook

from indicators.models import Observation

HIDDEN = '\x01=HYPERLINK("http://evil.example/","x")'


@pytest.fixture
def hostile_note(seeded):
    # Saved directly, as an older import or a raw SQL edit could have left it.
    Observation.objects.filter(area__code="JPN", indicator__code="firm_share").update(note_en=HIDDEN)


def note_cells(rows):
    return [row["note"] for row in rows if "HYPERLINK" in row["note"]]


@pytest.mark.parametrize(
    "address", ["/api/v1/downloads/observations.csv", "/en/compare/firm_share/data.csv?areas=JPN&year=all"]
)
def test_csv_cells_hold_no_live_formula(client, hostile_note, address):
    response = client.get(address)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    cells = note_cells(rows)
    assert cells and all(cell == "'" + HIDDEN[1:] for cell in cells)


def test_xlsx_cells_hold_no_formula(client, hostile_note):
    response = client.get("/api/v1/downloads/observations.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    header = [cell.value for cell in sheet[1]]
    notes = [row[header.index("note")] for row in sheet.iter_rows(min_row=2)]
    hostile = [cell for cell in notes if cell.value and "HYPERLINK" in cell.value]
    assert hostile and all(cell.data_type == "s" and cell.value == "'" + HIDDEN[1:] for cell in hostile)
