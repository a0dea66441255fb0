from indicators.cache import data_version
from indicators.models import Observation


def test_saving_an_observation_changes_the_data_version(seeded, django_capture_on_commit_callbacks):
    before = data_version()
    obs = Observation.objects.first()
    with django_capture_on_commit_callbacks(execute=True):
        obs.note_en = "changed"
        obs.save()
    assert data_version() != before


def test_reading_does_not_change_the_data_version(seeded):
    before = data_version()
    list(Observation.objects.published())
    assert data_version() == before
