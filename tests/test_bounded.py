"""Every page and download stays bounded however many figures one area has: a comparison draws
at most COMPARE_FIGURES_PER_AREA figures of an area and says how many it leaves out, an area
profile its two newest of each indicator; the CSV and JSON downloads are streamed a chunk of rows
at a time, and the workbook is built once per data version and language."""

import csv
import io
import json
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from countries.models import Area
from indicators import api, comparison, download_jobs, exports
from indicators.cache import data_version
from indicators.models import Indicator, Observation, Source
from indicators.selectors import comparison_candidates
from indicators.text import RTL_LANGUAGES, json_number, local_digits, plain_decimal, spreadsheet_cell
from indicators.writes import figures_changed

PUBLISHED = Observation.Status.PUBLISHED
UNCLEAR = Observation.Qualifier.UNCLEAR
PER_AREA = comparison.COMPARE_FIGURES_PER_AREA
DOWNLOADS = "/api/v1/downloads/observations"


@pytest.fixture(autouse=True)
def downloads_dir(settings, tmp_path):
    """Each test keeps its workbooks apart (the test databases reuse data versions)."""
    settings.SMEDASH_DOWNLOADS_DIR = tmp_path / "downloads"
    return settings.SMEDASH_DOWNLOADS_DIR


@pytest.fixture
def norway(seeded):
    """An area with no figure yet, so that the counts below are the test's own."""
    return Area.objects.create(code="NOR", kind=Area.Kind.COUNTRY, name_en="Norway", name_fa="نروژ", name_ar="النرويج")


def add_figures(
    area_code, count, indicator_code="firm_share", *, years=None, qualifier="exact", first_value=1, scope=None
):
    """``count`` published figures of one area and indicator, one a year from 2024 back (or in
    ``years``, cycled), each value different, the first 120 of the whole economy and the others of
    industry (or all of ``scope``); written as the bulk writers write."""
    area = Area.objects.get(code=area_code)
    indicator = Indicator.objects.get(code=indicator_code)
    source = Source.objects.first()
    figures = []
    for number in range(count):
        year = years[number % len(years)] if years else 2024 - number % 120
        figures.append(
            Observation(
                area=area,
                indicator=indicator,
                source=source,
                value=Decimal(first_value) + Decimal(number) / 100,
                qualifier=qualifier,
                year=year,
                year_as_written=str(year),
                scope=scope or (Observation.Scope.ECONOMY if number < 120 else Observation.Scope.INDUSTRY),
                quote=f"figure {number}",
                status=PUBLISHED,
            )
        )
    Observation.objects.bulk_create(figures)
    figures_changed(figures)
    cache.clear()  # a new data version, as after a commit
    return figures


def measure(client, url):
    """(queries, bytes) of one uncached request (its chart not drawn yet either: it queues it)."""
    cache.clear()
    caches["drawings"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), len(response.content)


# --- a comparison -----------------------------------------------------------------------------


def test_a_comparison_draws_at_most_its_bound_of_one_area_and_says_how_many_more(client, norway):
    add_figures("NOR", 300)
    data = client.get("/en/compare/firm_share/data.json?areas=NOR&year=all").json()
    assert len(data["figures"]) == PER_AREA
    # The newest: by year, then the higher value; from both scopes.
    newest = Observation.objects.filter(area__code="NOR").order_by("-year", "-value")[:PER_AREA]
    assert sorted(f["id"] for f in data["figures"]) == sorted(obs.pk for obs in newest)
    assert data["more"] == {
        "per_area": PER_AREA,
        "areas": [{"area": "NOR", "shown": PER_AREA, "total": 300, "more": 300 - PER_AREA}],
        "not_charted": 0,
    }
    assert (
        f"Norway: {300 - PER_AREA} more figures for this choice are not shown here; the {PER_AREA} newest "
        "of 300 are. Choose a year to see the others, or download the full data."
    ) in data["notices"]
    # The chart and the CSV beside it draw the same bounded figures.
    rows = client.get("/en/compare/firm_share/data.csv?areas=NOR&year=all").content.decode("utf-8-sig")
    assert len(rows.strip().splitlines()) == 1 + PER_AREA


def test_the_notice_is_translated_and_shown_on_the_page(client, norway):
    add_figures("NOR", 300)
    html = client.get("/fa/compare/firm_share/?areas=NOR&year=all").content.decode()
    more, shown = local_digits(str(300 - PER_AREA), "fa"), local_digits(str(PER_AREA), "fa")
    assert f"نروژ: {more} رقم دیگرِ این انتخاب اینجا نیامده است؛ از ۳۰۰ رقم، {shown} رقمِ جدیدتر آمده است." in html
    arabic = client.get("/ar/compare/firm_share/data.json?areas=NOR&year=all").json()
    more = local_digits(str(300 - PER_AREA), "ar")
    expected = f"النرويج: لا يُعرض هنا {more} رقمًا آخر من أرقامها"  # 11-99: the accusative singular
    assert any(notice.startswith(expected) for notice in arabic["notices"]), arabic


def test_a_year_and_the_latest_year_are_bounded_too(client, norway):
    # Thirty figures of one year (different values): the latest year and that year alike.
    add_figures("NOR", 30, years=[2030], first_value=50)
    for query, message in (
        ("year=latest", "for this choice"),
        ("year=2030", "of this year are not shown here; 20 of 30 are. Download the full data to see them all."),
    ):
        data = client.get(f"/en/compare/firm_share/data.json?areas=NOR&{query}").json()
        figures = data["figures"]
        assert len(figures) == PER_AREA and {f["year"] for f in figures} == {2030}, query
        # The highest values of the year, as the chart orders them.
        assert min(f["value"] for f in figures) == 50 + (30 - PER_AREA) / 100, query
        assert data["more"]["areas"] == [{"area": "NOR", "shown": PER_AREA, "total": 30, "more": 10}], query
        assert any(message in notice for notice in data["notices"]), (query, data["notices"])


def test_unclear_figures_are_bounded_on_every_page(client, norway):
    before = client.get("/en/compare/firm_share/data.json?year=all").json()
    Area.objects.create(code="DNK", kind=Area.Kind.COUNTRY, name_en="Denmark")
    add_figures("NOR", 15, qualifier=UNCLEAR)
    add_figures("DNK", 15, qualifier=UNCLEAR)
    data = client.get("/en/compare/firm_share/data.json?year=all").json()
    listed = data["not_charted"]
    assert len(listed) == comparison.COMPARE_NOT_CHARTED_PER_PAGE
    unclear_total = 30 + len(before["not_charted"])
    assert data["more"]["not_charted"] == unclear_total - len(listed)
    assert f"{unclear_total - len(listed)} more figures unclear in their source are not listed here." in " ".join(
        data["notices"]
    )
    # The charted figures are those of before: an unclear figure is never a bar.
    assert [f["id"] for f in data["figures"]] == [f["id"] for f in before["figures"]]
    # The page's areas' first, then by area code: Denmark's fifteen, then Norway's.
    assert [f["area"]["code"] for f in listed if f["area"]["code"] in ("DNK", "NOR")][:16] == ["DNK"] * 15 + ["NOR"]
    # One area: at most COMPARE_FIGURES_PER_AREA of its unclear figures, never more.
    add_figures("NOR", 10, qualifier=UNCLEAR, first_value=70)
    norway = client.get("/en/compare/firm_share/data.json?areas=NOR&year=all").json()
    assert len(norway["not_charted"]) == PER_AREA and norway["more"]["not_charted"] == 25 - PER_AREA


@pytest.mark.parametrize(
    "url",
    [
        "/en/compare/firm_share/data.json?areas=NOR&year=all",
        "/en/compare/firm_share/?areas=NOR&year=all",
        "/fa/compare/firm_share/data.json?year=all",
        "/en/compare/firm_share/data.json?areas=NOR",
        "/ar/compare/firm_share/data.json?areas=NOR&year=2020",
    ],
)
def test_what_a_comparison_costs_does_not_grow_with_one_areas_figures(client, norway, url):
    add_figures("NOR", 40, years=range(2024, 1984, -1))
    queries, size = measure(client, url)
    # Older figures (of years the form already offers): the page shows the same ones, and only
    # counts what it leaves out.
    add_figures("NOR", 260, years=range(2004, 1984, -1), first_value=30, scope=Observation.Scope.ECONOMY)
    more_queries, more_size = measure(client, url)
    assert more_queries == queries
    assert abs(more_size - size) < 300, (size, more_size)


def test_the_candidates_are_chosen_and_counted_in_the_database(norway):
    """The page reads no more than the bound of each area's rows, whatever the area holds."""
    add_figures("NOR", 300)
    add_figures("NOR", 7, qualifier=UNCLEAR, first_value=80)
    indicator = Indicator.objects.get(code="firm_share")
    for latest in (False, True):
        rows = comparison_candidates(indicator.id, [norway.id], year=None, scope=None, latest=latest, per_area=5)
        charted = [row for row in rows if row.qualifier != UNCLEAR]
        unclear = [row for row in rows if row.qualifier == UNCLEAR]
        total = 3 if latest else 300  # latest: 2024's, in each scope
        assert sorted(row.rank for row in charted) == list(range(1, min(5, total) + 1))
        assert {row.total for row in charted} == {total}
        assert sorted(row.rank for row in unclear) == [1, 2, 3, 4, 5] and {row.total for row in unclear} == {7}


# --- an area profile --------------------------------------------------------------------------


def test_an_area_profile_stays_bounded_with_many_figures(client, seeded):
    url = "/en/areas/IRN/data.json"
    queries, size = measure(client, url)
    add_figures("IRN", 300, "employment_share")
    more_queries, more_size = measure(client, url)
    assert more_queries == queries
    assert more_size < size * 1.1, (size, more_size)
    data = client.get(url).json()
    section = next(s for s in data["sections"] if s["indicator"]["code"] == "employment_share")
    assert [f["year"] for f in section["figures"]] == [2024, 2024]
    assert section["more"] == section["total"] - 2 >= 300


def test_an_area_page_stays_bounded_with_many_figures(client, seeded):
    url = "/fa/areas/IRN/"
    queries, size = measure(client, url)
    add_figures("IRN", 300, "employment_share")
    more_queries, more_size = measure(client, url)
    assert more_queries == queries and more_size < size * 1.1, (size, more_size)


# --- the downloads: the old, whole-in-memory output, as the reference ----------------------------


def old_records(lang):
    """The downloads as they were built before streaming: model objects, in the export order."""
    with translation.override(lang or "en"):
        observations = exports.export_queryset(Observation.objects.published())
        return [exports.observation_record(obs, names=bool(lang)) for obs in observations]


def old_csv(lang):
    stream = io.StringIO()
    stream.write("\ufeff")
    writer = csv.DictWriter(stream, fieldnames=exports.export_columns(lang), lineterminator="\n")
    writer.writeheader()
    for record in old_records(lang):
        row = {**record, "year": "" if record["year"] is None else record["year"]}
        row["value"] = plain_decimal(record["value"])
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
    return stream.getvalue().encode("utf-8")


def old_json(lang):
    records = [{**record, "value": json_number(record["value"])} for record in old_records(lang)]
    return {"version": 1, "columns": exports.export_columns(lang), "count": len(records), "observations": records}


def old_xlsx_cells(lang):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("observations")
    sheet.sheet_view.rightToLeft = lang in RTL_LANGUAGES
    columns = exports.export_columns(lang)
    sheet.append(columns)
    for record in old_records(lang):
        values = [record[column] for column in columns]
        sheet.append(
            [
                WriteOnlyCell(sheet, v if v is None or isinstance(v, int | Decimal) else spreadsheet_cell(v))
                for v in values
            ]
        )
    stream = io.BytesIO()
    workbook.save(stream)
    return xlsx_cells(stream.getvalue())


def xlsx_cells(body):
    sheet = load_workbook(io.BytesIO(body)).active
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def awkward(seeded):
    """Notes that would run as formulas, a Persian note left empty (English is its fallback), and
    an Arabic name left empty."""
    syria = Observation.objects.published().get(area__code="SYR", indicator__code="firm_share")
    syria.note_en, syria.note_fa = '=HYPERLINK("http://evil.example","x")', "@SUM(1+1)"
    syria.save()
    Observation.objects.filter(pk=Observation.objects.published().exclude(pk=syria.pk).first().pk).update(
        note_fa="", definition_fa=None
    )
    Area.objects.filter(code="JPN").update(name_ar="")
    cache.clear()


@pytest.mark.parametrize("lang", [None, "en", "ar", "fa"])
def test_the_streamed_csv_is_the_old_csv_byte_for_byte(client, awkward, lang):
    response = client.get(f"{DOWNLOADS}.csv" + (f"?lang={lang}" if lang else ""))
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.getvalue() == old_csv(lang)


@pytest.mark.parametrize("lang", [None, "en", "ar", "fa"])
def test_the_streamed_json_is_the_old_json(client, awkward, lang):
    response = client.get(f"{DOWNLOADS}.json" + (f"?lang={lang}" if lang else ""))
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    body = response.getvalue()
    assert body.startswith(b'{"version": 1, "columns": [')  # the contract version first
    document = json.loads(body)
    assert document == old_json(lang)
    assert list(document) == ["version", "columns", "count", "observations"]


@pytest.mark.parametrize("lang", [None, "fa"])
def test_the_workbook_holds_the_old_workbooks_cells(client, awkward, lang):
    response = client.get(f"{DOWNLOADS}.xlsx" + (f"?lang={lang}" if lang else ""))
    assert response.status_code == 200
    assert xlsx_cells(response.getvalue()) == old_xlsx_cells(lang)


def test_the_command_writes_the_same_rows(seeded):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("export_observations", "--lang", "ar", stdout=out)
    assert out.getvalue().encode("utf-8") == old_csv("ar")[len("\ufeff".encode()) :]


def test_downloads_are_read_a_chunk_at_a_time_with_the_header_first(client, seeded, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 20)
    add_figures("KOR", 100)
    rows = Observation.objects.published().count()
    for fmt in ("csv", "json"):
        response = client.get(f"{DOWNLOADS}.{fmt}")
        pieces = list(response.streaming_content)
        # The head leaves before any row is read, then one piece per chunk, then (JSON) the end.
        assert len(pieces) == 1 + -(-rows // 20) + (fmt == "json"), fmt
        if fmt == "csv":
            assert pieces[0] == ("\ufeff" + ",".join(exports.EXPORT_COLUMNS) + "\n").encode()
        else:
            assert json.loads(b"".join(pieces))["count"] == rows


def test_a_download_costs_the_same_queries_whatever_its_size(client, seeded):
    def queries(fmt):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{DOWNLOADS}.{fmt}?lang=fa").getvalue()
        return len(captured)

    before = {fmt: queries(fmt) for fmt in ("csv", "json")}
    add_figures("KOR", 300)
    assert {fmt: queries(fmt) for fmt in ("csv", "json")} == before


def test_downloads_are_not_kept_in_the_cache(client, seeded):
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        client.get(f"{DOWNLOADS}.csv").getvalue()
        client.get(f"{DOWNLOADS}.json").getvalue()
    assert not [c for c in stored.call_args_list if "download" in str(c.args[0])]


def test_head_sends_the_headers_and_reads_no_row(client, seeded):
    with CaptureQueriesContext(connection) as captured:
        response = client.head(f"{DOWNLOADS}.csv?lang=fa")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="smedash-observations-fa.csv"'
    assert b"".join(response.streaming_content) == b""
    assert not [q for q in captured if "indicators_observation" in q["sql"]]


# --- the workbook, built once per data version ---------------------------------------------------


@pytest.fixture
def builds():
    with mock.patch.object(exports, "write_xlsx", wraps=exports.write_xlsx) as spy:
        yield spy


def test_the_workbook_is_built_once_per_data_version_and_language(
    client, seeded, builds, downloads_dir, django_capture_on_commit_callbacks
):
    first = client.get(f"{DOWNLOADS}.xlsx?lang=fa")
    assert first.status_code == 200 and builds.call_count == 1
    body = first.getvalue()
    again = client.get(f"{DOWNLOADS}.xlsx?lang=fa")
    assert again.getvalue() == body and builds.call_count == 1  # served from the file
    assert again["Content-Disposition"] == 'attachment; filename="smedash-observations-fa.xlsx"'
    client.get(f"{DOWNLOADS}.xlsx").getvalue()  # another language, another file
    assert builds.call_count == 2
    version = data_version()
    assert sorted(p.name for p in downloads_dir.iterdir()) == [
        f"observations-{version}-all.xlsx",
        f"observations-{version}-fa.xlsx",
    ]
    # A change to the data: a new version, a new workbook showing it; the old files are deleted.
    syria = Area.objects.get(code="SYR")
    syria.name_fa = "سوریهٔ تازه"
    with django_capture_on_commit_callbacks(execute=True):
        syria.save()
    changed = client.get(f"{DOWNLOADS}.xlsx?lang=fa")
    assert builds.call_count == 3
    assert "سوریهٔ تازه" in [value for row in xlsx_cells(changed.getvalue()) for value, _type in row]
    assert [p.name for p in downloads_dir.iterdir()] == [f"observations-{data_version()}-fa.xlsx"]


def test_a_workbook_being_built_elsewhere_is_a_503_with_retry_after(client, seeded, builds):
    cache.add(download_jobs.XLSX_LOCK_KEY, {"token": "other", "started": time.time(), "seconds": 40}, 60)
    response = client.get(f"{DOWNLOADS}.xlsx?lang=fa")
    assert response.status_code == 503 and builds.call_count == 0
    assert 35 <= int(response["Retry-After"]) <= 40
    assert response.json()["error"].startswith("کارپوشهٔ اکسلِ داده‌های کنونی در حال آماده شدن است")
    assert "Content-Disposition" not in response
    assert client.get(f"{DOWNLOADS}.csv").status_code == 200  # the other downloads are ready
    cache.delete(download_jobs.XLSX_LOCK_KEY)
    assert client.get(f"{DOWNLOADS}.xlsx?lang=fa").status_code == 200 and builds.call_count == 1


def test_a_large_workbook_is_queued_for_the_worker_not_built_by_a_request(client, seeded, builds, monkeypatch):
    monkeypatch.setattr(api, "XLSX_INLINE_ROWS", 10)
    response = client.get(f"{DOWNLOADS}.xlsx?lang=ar")
    assert response.status_code == 503 and int(response["Retry-After"]) >= 5
    assert response.json()["error"].startswith("يجري إعداد مصنف Excel")
    assert builds.call_count == 0  # a request never writes a large workbook, nor starts a thread for it
    queued = DBTaskResult.objects.get()  # the worker's queue, in the database
    assert queued.task_path == "indicators.download_jobs.build_workbook"
    assert queued.args_kwargs["args"] == [data_version(), "ar"]
    assert client.get(f"{DOWNLOADS}.xlsx?lang=ar").status_code == 503
    assert DBTaskResult.objects.count() == 1  # asked again before the worker ran: queued once
    assert download_jobs.build_workbook.call(*queued.args_kwargs["args"]) == "built"  # what the worker runs
    assert builds.call_count == 1 and cache.get(download_jobs.XLSX_LOCK_KEY) is None
    done = client.get(f"{DOWNLOADS}.xlsx?lang=ar")
    assert done.status_code == 200 and builds.call_count == 1
    assert xlsx_cells(done.getvalue()) == old_xlsx_cells("ar")
    # A build queued for a version the data have since left is not done: the new one needs its own.
    assert download_jobs.build_workbook.call(data_version() - 1, "fa") == "stale" and builds.call_count == 1


def test_the_command_builds_every_workbook_ahead_of_time(client, seeded, builds, monkeypatch):
    monkeypatch.setattr(api, "XLSX_INLINE_ROWS", 10)
    call_command("build_downloads", stdout=io.StringIO())
    assert builds.call_count == 4  # no language, en, ar, fa
    assert cache.get(download_jobs.XLSX_LOCK_KEY) is None
    done = client.get(f"{DOWNLOADS}.xlsx?lang=ar")
    assert done.status_code == 200 and builds.call_count == 4
    assert not DBTaskResult.objects.exists()


def test_a_failed_build_leaves_no_file_and_no_lock(client, seeded, downloads_dir, monkeypatch):
    def half_written(target, observations, lang=None):
        target.write(b"PK\x03\x04 half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_xlsx", half_written)
    with pytest.raises(OSError):
        client.get(f"{DOWNLOADS}.xlsx")
    assert list(downloads_dir.iterdir()) == []  # neither the final name nor the partial file
    assert cache.get(download_jobs.XLSX_LOCK_KEY) is None and not download_jobs._building_here.locked()
    monkeypatch.undo()
    assert client.get(f"{DOWNLOADS}.xlsx").status_code == 200
