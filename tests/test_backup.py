import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from countries.models import Area
from indicators.models import Indicator, Observation, Source


def snapshot():
    return {
        "areas": sorted(Area.objects.values_list("code", "kind", "name_en", "name_ar", "name_fa")),
        "indicators": sorted(Indicator.objects.values_list("code", "unit", "name_fa")),
        "sources": sorted(Source.objects.values_list("identifier", "title_ar")),
        "observations": sorted(
            Observation.objects.values_list(
                "area__code",
                "indicator__code",
                "source__identifier",
                "value",
                "year",
                "year_as_written",
                "qualifier",
                "scope",
                "quote",
                "note_fa",
                "status",
            )
        ),
        "history": Observation.history.count(),
        "users": sorted(get_user_model().objects.values_list("username", flat=True)),
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_is_identical(tmp_path):
    from indicators.seed import load_seed

    load_seed()
    get_user_model().objects.create_user("editor", password="a-long-pass-phrase")
    obs = Observation.objects.get(area__code="SYR")
    obs.note_fa = "ویرایش شده"
    obs.save()
    before = snapshot()
    backup = tmp_path / "backup.json.gz"
    call_command("backup_data", str(backup))

    call_command("flush", interactive=False, verbosity=0)
    assert Observation.objects.count() == 0
    call_command("restore_data", str(backup))

    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_data(tmp_path):
    from indicators.seed import load_seed

    load_seed()
    backup = tmp_path / "backup.json"
    call_command("backup_data", str(backup))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_data", str(backup))
