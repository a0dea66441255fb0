"""Pivoted downloads: an indicator's figures as areas x years, in CSV, XLSX and ODS."""

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from indicators.models import Observation

URL = "/api/v1/downloads/pivot.{fmt}"


def get(client, fmt, **params):
    response = client.get(URL.format(fmt=fmt), params)
    assert response.status_code == 200, response.content[:300]
    return response


def published(indicator="firm_share"):
    return Observation.objects.published().filter(indicator__code=indicator).select_related("area")


def test_the_csv_has_one_column_per_year_and_every_figure_once_with_its_qualifier_marked(client, seeded):
    response = get(client, "csv", indicator="firm_share")
    assert response["Content-Disposition"].startswith('attachment; filename="smedash-pivot-firm_share-en.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:8] == ["indicator", "indicator name", "unit", "area", "area name", "scope", "measured as", "source"]
    figures = published()
    cells = [cell for row in body for cell in row[8:] if cell]
    assert len(cells) == figures.count()
    years = {str(obs.year) for obs in figures if obs.year} | (
        {"year not stated"} if figures.filter(year=None) else set()
    )
    assert set(header[8:]) == years
    for obs in figures.exclude(qualifier="exact").exclude(year=None)[:3]:
        row = next(r for r in body if r[3] == obs.area.code and r[header.index(str(obs.year))])
        assert row[header.index(str(obs.year))][:1] in "<>≈?"


def test_the_workbooks_are_right_to_left_in_persian_with_a_sheet_of_figures(client, seeded):
    book = load_workbook(io.BytesIO(get(client, "xlsx", indicator="firm_share", lang="fa").content))
    pivot, figures = book.worksheets
    assert pivot.sheet_view.rightToLeft and figures.sheet_view.rightToLeft
    assert figures.max_row - 1 == published().count()
    english = load_workbook(io.BytesIO(get(client, "xlsx", indicator="firm_share").content))
    assert not english.worksheets[0].sheet_view.rightToLeft
    ods = get(client, "ods", indicator="firm_share", lang="ar").content
    sheets = pd.read_excel(io.BytesIO(ods), engine="odf", sheet_name=None, header=None)
    assert len(sheets) == 2 and len(list(sheets.values())[1]) - 1 == published().count()
    assert b'writing-mode="rl-tb"' in __import__("zipfile").ZipFile(io.BytesIO(ods)).read("content.xml")


def test_a_bad_indicator_is_a_400_naming_the_parameter(client, seeded):
    response = client.get(URL.format(fmt="csv"), {"indicator": "nope"})
    assert response.status_code == 400 and response.json()["parameter"] == "indicator"


@pytest.mark.django_db
def test_with_no_figures_the_csv_is_just_its_header(client):
    rows = list(csv.reader(io.StringIO(get(client, "csv").content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][0] == "indicator"


def test_the_include_links_the_three_files_of_the_indicator_in_the_pages_language(seeded):
    from django.template.loader import render_to_string
    from django.utils import translation

    from indicators.models import Indicator

    with translation.override("fa"):
        text = render_to_string(
            "indicators/includes/pivot_downloads.html", {"indicator": Indicator.objects.get(code="firm_share")}
        )
    for fmt in ("csv", "xlsx", "ods"):
        assert f"/api/v1/downloads/pivot.{fmt}?indicator=firm_share&amp;lang=fa" in text
