"""How fast does import_observations go? Rows per second on a throwaway SQLite database.

    .venv/bin/python bench/import_bench.py            # 20,000 rows
    .venv/bin/python bench/import_bench.py 100000     # any number

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

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
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


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
