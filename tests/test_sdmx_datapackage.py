"""SDMX-CSV 2.0 of the full data, and the Frictionless data package of the CSV download."""

import csv
import io
import json
import zipfile

import pandas as pd
import pytest
from frictionless import Package, validate

from indicators.models import Observation
from indicators.sdmx import COLUMNS


@pytest.fixture(autouse=True)
def csv_field_limit_kept():
    """Frictionless raises the csv module's field size limit for the whole process when it first
    reads a CSV; the import's refusal of a cell over that limit (tests/test_import_limits.py) then
    failed in whichever test process had run these tests first. Each test here puts it back."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


def test_the_sdmx_csv_has_the_sdmx_header_and_one_line_per_figure_with_a_year(client, seeded):
    response = client.get("/api/v1/downloads/observations.sdmx.csv")
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(b"".join(response.streaming_content)), dtype=str, keep_default_na=False)
    assert list(frame.columns)[:8] == [
        "STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE",
    ]  # fmt: skip
    assert list(frame.columns) == COLUMNS
    with_year = Observation.objects.published().exclude(year=None)
    assert len(frame) == with_year.count() > 0
    assert set(frame["STRUCTURE"]) == {"dataflow"} and set(frame["ACTION"]) == {"I"}
    obs = with_year.select_related("area", "indicator", "source").first()
    line = frame[frame.REF_AREA.eq(obs.area.code) & frame.SOURCE.eq(obs.source.identifier)]
    assert str(obs.year) in set(line.TIME_PERIOD) and {float(v) for v in line.OBS_VALUE} >= {float(obs.value)}


def test_an_sdmx_library_reads_it_as_one_dataset_of_the_dataflow(client, seeded, tmp_path):
    """pysdmx (the BIS's SDMX library) reads the file as SDMX-CSV 2.0: one dataset of the
    dataflow, every figure with a year, the attributes beside the value."""
    from pysdmx.io import read_sdmx

    path = tmp_path / "observations.sdmx.csv"
    path.write_bytes(b"".join(client.get("/api/v1/downloads/observations.sdmx.csv").streaming_content))
    (dataset,) = read_sdmx(str(path)).data
    assert dataset.short_urn == "Dataflow=SMEDASH:SME_STATS(1.0)"
    assert len(dataset.data) == Observation.objects.published().exclude(year=None).count()
    assert {"REF_AREA", "TIME_PERIOD", "OBS_VALUE", "QUALIFIER", "SCOPE", "SOURCE"} <= set(dataset.data.columns)


def test_the_data_package_describes_the_csv_and_frictionless_finds_it_valid(client, seeded, tmp_path):
    described = client.get("/api/v1/downloads/datapackage.json").json()
    names = [field["name"] for field in described["resources"][0]["schema"]["fields"]]
    assert names[:4] == ["area", "indicator", "year", "value"] and described["licenses"]
    assert {source["title"] for source in described["sources"]}
    response = client.get("/api/v1/downloads/datapackage.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["datapackage.json", "observations.csv"]
    archive.extractall(tmp_path)
    assert json.loads((tmp_path / "datapackage.json").read_text()) == described
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    rows = Package(str(tmp_path / "datapackage.json")).get_resource("observations").read_rows()
    assert len(rows) == Observation.objects.published().count()
    assert isinstance(rows[0]["value"], type(rows[0]["value"])) and rows[0]["area"]


def test_a_broken_csv_is_found_invalid(seeded, tmp_path, client):
    """The validation can fail: a value that is not a number."""
    described = client.get("/api/v1/downloads/datapackage.json").json()
    (tmp_path / "datapackage.json").write_text(json.dumps(described))
    (tmp_path / "observations.csv").write_text("\ufeffarea,indicator,year,value\nIRN,firm_share,2013,lots\n")
    assert not validate(str(tmp_path / "datapackage.json")).valid
