"""Every writer of figures goes through indicators.writes: afterwards the coverage summary equals
a recount of the published figures, and the data version changes once the transaction commits,
not before (a reader who missed the cache before the commit would cache the old rows again)."""

import csv
import io
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from countries.models import Area
from indicators.cache import data_version
from indicators.importing import import_file
from indicators.models import Coverage, Indicator, Observation, Source
from indicators.writes import figures_changed

PUBLISHED, DRAFT = Observation.Status.PUBLISHED, Observation.Status.DRAFT
CHANGELIST = "/en/admin/indicators/observation/"


@pytest.fixture(autouse=True)
def leave_no_language_active():
    """An admin request activates its URL's language for the whole thread."""
    yield
    translation.deactivate()


def recount():
    """The coverage worked out here, from the figures, without the code under test."""
    cells = defaultdict(list)
    rows = Observation.objects.values_list("indicator__code", "area__code", "year", "status")
    for indicator, area, year, status in rows:
        if status == PUBLISHED:
            cells[(indicator, area)].append(year)
    summary = {}
    for cell, years in cells.items():
        stated = [year for year in years if year is not None]
        summary[cell] = {
            "figures": len(years),
            "years": len(set(stated)),
            "undated": len(years) - len(stated),
            "first_year": min(stated, default=None),
            "last_year": max(stated, default=None),
        }
    return summary


def coverage():
    """The summary as kept, by indicator and area code (codes survive a backup and restore; ids need not)."""
    fields = ["figures", "years", "undated", "first_year", "last_year"]
    return {
        (row["indicator__code"], row["area__code"]): {name: row[name] for name in fields}
        for row in Coverage.objects.values("indicator__code", "area__code", *fields)
    }


@pytest.fixture
def write(django_capture_on_commit_callbacks):
    """Run a writer and check that afterwards the summary equals a recount (and differs from the
    summary before: the writer did change something it counts), and that the data version is
    changed by the writer's on-commit callbacks, not before them."""

    def run(writer, *, stale_start=False):
        if not stale_start:
            assert coverage() == recount(), "the test starts from a stale summary"
        summary_before, version_before = coverage(), data_version()
        with django_capture_on_commit_callbacks() as callbacks:
            result = writer()
        assert data_version() == version_before, "the data version changed before the commit"
        assert coverage() == recount()
        assert coverage() != summary_before, "the summary did not change"
        for callback in callbacks:
            callback()
        assert data_version() != version_before, "the data version did not change after the commit"
        return result

    return run


@pytest.fixture
def cell(seeded):
    """The (indicator, area) with the most published figures, and those figures."""
    counts = recount()
    indicator, area = max(counts, key=lambda key: counts[key]["figures"])
    figures = Observation.objects.filter(indicator__code=indicator, area__code=area, status=PUBLISHED)
    assert counts[(indicator, area)]["figures"] >= 2
    return list(figures)


def drafts(observations):
    """Make figures drafts behind the summary's back, then bring the summary up to date."""
    Observation.objects.filter(pk__in=[obs.pk for obs in observations]).update(status=DRAFT)
    figures_changed()


# The admin ---------------------------------------------------------------------------------------


def test_the_admin_publish_action(admin_client, cell, write):
    drafts(cell)
    pks = [obs.pk for obs in cell]
    response = write(lambda: admin_client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": pks}))
    assert response.status_code == 302
    assert Observation.objects.filter(pk__in=pks, status=PUBLISHED).count() == len(pks)


def test_the_admin_unpublish_action(admin_client, cell, write):
    pks = [obs.pk for obs in cell[:1]]  # one figure of the cell: the cell is recounted, not dropped
    response = write(lambda: admin_client.post(CHANGELIST, {"action": "unpublish_selected", "_selected_action": pks}))
    assert response.status_code == 302
    assert Observation.objects.get(pk=pks[0]).status == DRAFT


# The import ---------------------------------------------------------------------------------------


def test_an_import_with_publish(seeded, cell, write):
    drafts(cell[:1])
    out = io.StringIO()
    call_command("export_observations", "--drafts", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    new = dict(rows[0], quote="a new figure in a new year", value="42", year="2019", year_as_written="2019")
    content = io.StringIO()
    writer = csv.DictWriter(content, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows, new])
    plan = write(lambda: import_file("rows.csv", content.getvalue().encode(), publish=True))
    assert plan.ok and plan.counts()["new"] == 1 and plan.counts()["changed"] == 1
    assert not Observation.objects.filter(status=DRAFT).exists()


def test_an_import_whose_status_column_unpublishes(seeded, cell, write):
    out = io.StringIO()
    call_command("export_observations", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    for row in rows:
        row["status"] = "draft" if row["quote"] == cell[0].quote else ""
    content = io.StringIO()
    writer = csv.DictWriter(content, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    plan = write(lambda: import_file("rows.csv", content.getvalue().encode()))
    assert plan.ok and plan.counts()["changed"] >= 1
    cell[0].refresh_from_db()
    assert cell[0].status == DRAFT


# The commands -------------------------------------------------------------------------------------


def test_restore_data(seeded, tmp_path, write):
    backup = tmp_path / "backup.json"
    call_command("backup_data", str(backup), stdout=io.StringIO())
    expected = recount()
    # An empty database, as restore_data wants it (flush cannot run inside the test's transaction).
    for model in (Observation, Source, Indicator, Area):
        model.history.model.objects.all().delete()
    Observation.objects.all().delete()
    Source.objects.all().delete()
    Indicator.objects.all().delete()
    while Area.objects.exists():  # an area's parent is protected: the children go first
        Area.objects.exclude(pk__in=Area.objects.filter(parent__isnull=False).values("parent")).delete()
    get_user_model().objects.all().delete()
    assert not Coverage.objects.exists()

    out = io.StringIO()
    write(lambda: call_command("restore_data", str(backup), stdout=out))
    assert out.getvalue() == f"Restored {Observation.objects.count()} observations from {backup}\n"
    assert coverage() == expected


def test_generate_synthetic_data(seeded, write):
    out = io.StringIO()
    arguments = ["--areas", "3", "--indicators", "4", "--years", "3", "--benchmark-database"]
    write(lambda: call_command("generate_synthetic_data", *arguments, stdout=out))
    assert out.getvalue().startswith("36 synthetic observations (3 areas × 4 indicators × 3 years)")
    synthetic = Observation.objects.filter(source__identifier="synthetic:benchmark")
    assert Coverage.objects.filter(area__in=synthetic.values("area"), figures__gte=3).exists()


def test_refresh_coverage(seeded, cell, write):
    # Figures changed behind Django's back (raw SQL; here an update, which sends no signals).
    Observation.objects.filter(pk=cell[0].pk).update(status=DRAFT)
    assert coverage() != recount()  # the stale summary the command is for
    out = io.StringIO()
    write(lambda: call_command("refresh_coverage", stdout=out), stale_start=True)
    assert out.getvalue() == f"Coverage recounted: {Coverage.objects.count()} indicator × area cells.\n"


# Single saves and deletes (the model signals) ------------------------------------------------------


def test_a_single_save(cell, write):
    obs = cell[0]
    obs.status = DRAFT
    write(obs.save)


def test_a_single_save_that_moves_a_figure_to_another_cell(cell, write):
    obs = cell[0]
    obs.area = Area.objects.exclude(pk=obs.area_id).filter(kind=obs.area.kind).first()
    write(obs.save)


def test_a_single_delete(cell, write):
    write(cell[0].delete)
