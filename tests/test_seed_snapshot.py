"""The `seeded` fixture's copy of the seed (tests/seed_snapshot.py) is the seed, row for row."""

import pytest

from countries.models import Area
from indicators.cache import data_version
from indicators.models import Observation
from indicators.seed import load_seed
from tests import seed_snapshot


def every_row():
    return {model._meta.label: seed_snapshot.table_rows(model) for model in seed_snapshot.seed_models()}


@pytest.mark.django_db
def test_a_copy_of_the_seed_equals_a_fresh_load(monkeypatch):
    monkeypatch.setattr(seed_snapshot, "_taken", None)  # as if no test of this process had loaded it
    first = seed_snapshot.seed()  # the real load
    loaded = every_row()
    assert loaded["indicators.Observation"] and loaded["indicators.HistoricalObservation"]
    assert loaded["indicators.Coverage"] and loaded["indicators.DataVersion"]
    copied_report = seed_snapshot.seed()  # a copy: the tables are emptied and filled again
    assert every_row() == loaded
    assert str(copied_report) == str(first)
    assert not load_seed().changed  # what load_seed() itself finds: nothing to do


@pytest.mark.django_db
def test_a_copy_reads_like_the_seed_in_every_language():
    seed_snapshot.seed()
    seed_snapshot.seed()
    iran = Area.objects.get(code="IRN")
    assert (iran.name_en, iran.name_fa, iran.name_ar) == ("Iran", "ایران", "إيران")
    assert Observation.objects.published().filter(area=iran).exists()
    assert data_version() != 0


@pytest.mark.django_db
def test_rows_added_after_a_copy_get_new_ids():
    """On PostgreSQL the copy sets the id sequences past the copied rows."""
    seed_snapshot.seed()
    seed_snapshot.seed()
    highest = Area.objects.order_by("-pk").first().pk
    area = Area.objects.create(code="ZZZ", name_en="Test", kind=Area.Kind.COUNTRY)
    assert area.pk > highest
