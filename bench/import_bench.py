"""How fast does import_observations go? Rows per second on a throwaway SQLite database.

    .venv/bin/python bench/import_bench.py            # 20,000 rows
    .venv/bin/python bench/import_bench.py 100000     # any number
    .venv/bin/python bench/import_bench.py wide       # a wide table: 200 areas x 60 years, cells/s

The wide run generates a 200 x 60 sheet (areas by English or Persian name or code, half the year
headers Solar Hijri in Persian digits, values in Persian digits with "٫", some ".." cells) as CSV,
XLSX and ODS, and times the wide import's check (read, melt, plan) of each, then its writing, in
wall-clock and CPU time (on a busy machine the wall-clock figure says more about the neighbours);
the target (issue 15) is at least 20,000 cells a second checked.

It writes synthetic rows (the columns of the full-data export) to a temporary CSV, migrates a
fresh database in a temporary directory, loads the seed (for the areas, indicators and
sources), then times three runs of the command: a dry run, the import of new rows, and a
second import in which every value has changed.
"""

import csv
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

WIDE = sys.argv[1:2] == ["wide"]
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and not WIDE else 20_000
WORK = Path(tempfile.mkdtemp(prefix="smedash-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["SMEDASH_VAR_DIR"] = str(WORK)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smedash.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from indicators.exports import EXPORT_COLUMNS  # noqa: E402

COUNTRIES = ["IND", "IRN", "JPN", "KOR", "SGP", "SYR", "TWN"]
SHARES = ["firm_share", "employment_share", "value_added_share", "output_share", "exports_share"]
SOURCE = "001_e2e29c5eae0b9509.txt"


def write_rows(path, shift=0):
    rng = random.Random(1)  # the same rows each time: the second file only shifts the values
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for number in range(ROWS):
            solar = number % 4 == 0
            year = rng.randint(1360, 1400) if solar else rng.randint(1950, 2020)
            writer.writerow(
                {
                    "area": rng.choice(COUNTRIES),
                    "indicator": rng.choice(SHARES),
                    "year": "",
                    # Distinct values keep every row distinct under observation_unique_figure.
                    "value": f"{number * 90 / ROWS + shift:.4f}",
                    "unit": "percent",
                    "qualifier": rng.choice(["exact", "about", "more_than"]),
                    "scope": rng.choice(["economy", "industry", "not_stated"]),
                    "source": SOURCE,
                    "quote": f"Synthetic figure number {number}",
                    "year_as_written": str(year),
                    "year_calendar": "solar_hijri" if solar else "gregorian",
                    "area_kind": "country",
                    "definition": "",
                    "note": f"Note {number}",
                    "last_changed": "",
                    # Several figures of one area, indicator, year and scope must say what each counts.
                    "measured_as": f"synthetic count {number}",
                }
            )


def timed(label, *args):
    start, cpu = time.perf_counter(), time.process_time()
    call_command("import_observations", *args, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    # CPU time too: on a busy machine the wall-clock figure says more about the neighbours.
    print(
        f"{label:<26} {ROWS:>7} rows in {seconds:6.2f} s = {ROWS / seconds:>7,.0f} rows/s"
        f"  (CPU {cpu:5.2f} s = {ROWS / cpu:>7,.0f} rows/s)"
    )


def main():
    call_command("migrate", verbosity=0)
    call_command("load_seed", stdout=open(os.devnull, "w"))  # noqa: SIM115
    first, second = WORK / "rows.csv", WORK / "rows-changed.csv"
    write_rows(first)
    write_rows(second, shift=5)
    print(f"import_observations, SQLite in {WORK}")
    timed("dry run (check only)", str(first), "--dry-run")
    timed("import, all rows new", str(first))
    timed("import, all rows changed", str(second))

    from indicators.models import Observation

    print(f"observations: {Observation.objects.count()}, history records: {Observation.history.count()}")


def wide_sheet(areas):
    """200 areas x 60 years: a title row, then the header, then one row per area."""
    from indicators.text import local_digits

    years = [local_digits(str(year), "fa") for year in range(1340, 1370)] + [str(y) for y in range(1991, 2021)]
    rows = [["Table 9: share of small firms (synthetic)"], ["area", *years]]
    for index, area in enumerate(areas):
        label = [area.name_en, area.name_fa, area.code][index % 3]
        cells = [".." if (index + column) % 11 == 0 else local_digits(f"{(index + column) % 97}٫{column % 10}", "fa")
                 for column in range(len(years))]  # fmt: skip
        rows.append([label, *cells])
    return rows


def wide_files(rows):
    import io

    import pandas as pd
    from openpyxl import Workbook

    text = "\n".join(",".join(row) for row in rows).encode()
    book = Workbook()
    for row in rows:
        book.active.append(row)
    xlsx = io.BytesIO()
    book.save(xlsx)
    width = max(len(row) for row in rows)
    ods = io.BytesIO()
    frame = pd.DataFrame([row + [""] * (width - len(row)) for row in rows])
    frame.to_excel(ods, engine="odf", header=False, index=False)
    return {"table.csv": text, "table.xlsx": xlsx.getvalue(), "table.ods": ods.getvalue()}


def main_wide():
    from django_countries import countries

    from countries.models import Area
    from indicators.import_limits import ImportLimits
    from indicators.importing import apply_plan
    from indicators.wide_forms import WideOptions
    from indicators.wide_import import plan_wide, read_wide

    call_command("migrate", verbosity=0)
    call_command("load_seed", stdout=open(os.devnull, "w"))  # noqa: SIM115
    known = set(Area.objects.values_list("code", flat=True))
    for country in countries:
        code = countries.alpha3(country.code)
        if code and code not in known and Area.objects.count() < 210:
            area = Area(code=code, kind="country")
            area.fill_country_names()
            area.save()
    areas = list(Area.objects.filter(kind="country").order_by("code")[:200])
    options = WideOptions("firm_share", SOURCE, "Synthetic table 9", "p. 1, table 9", measured_as="synthetic")
    rows = wide_sheet(areas)
    print(f"wide import, {len(areas)} areas x {len(rows[1]) - 1} years, SQLite in {WORK}")
    cells = len(areas) * (len(rows[1]) - 1)
    for name, content in wide_files(rows).items():
        start, cpu = time.perf_counter(), time.process_time()
        table = read_wide(name, content, options, ImportLimits())
        read = time.perf_counter() - start
        plan = plan_wide(table)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        # CPU time too: on a busy machine the wall-clock figure says more about the neighbours.
        print(
            f"check {name:<11} {cells} cells ({table.figures} figures) in {seconds:5.2f} s "
            f"(read and melt {read:4.2f} s) = {cells / seconds:>7,.0f} cells/s"
            f"  (CPU {cpu:4.2f} s = {cells / cpu:>7,.0f} cells/s); ok={plan.ok}"
        )
    start, cpu = time.perf_counter(), time.process_time()
    apply_plan(plan)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"write {table.figures} figures in {seconds:5.2f} s (CPU {cpu:4.2f} s)")


if __name__ == "__main__":
    try:
        main_wide() if WIDE else main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
