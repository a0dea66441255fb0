import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators.models import Observation


def test_synthetic_data_needs_an_explicit_benchmark_database(seeded):
    with pytest.raises(CommandError, match="benchmark"):
        call_command("generate_synthetic_data", "--areas", "2")
    assert not Observation.objects.filter(source__identifier__startswith="synthetic:").exists()


def test_synthetic_data_is_marked_and_leaves_the_seed_alone(seeded):
    seed_rows = set(Observation.objects.values_list("pk", "value"))
    call_command(
        "generate_synthetic_data", "--areas", "3", "--indicators", "15", "--years", "4", "--benchmark-database"
    )
    synthetic = Observation.objects.filter(source__identifier="synthetic:benchmark")
    assert synthetic.count() == 3 * 15 * 4
    assert synthetic.first().source.title_en.startswith("SYNTHETIC")
    assert (
        set(Observation.objects.exclude(source__identifier="synthetic:benchmark").values_list("pk", "value"))
        == seed_rows
    )
    # Running it again replaces the synthetic rows rather than adding more.
    call_command(
        "generate_synthetic_data", "--areas", "3", "--indicators", "15", "--years", "4", "--benchmark-database"
    )
    assert synthetic.count() == 3 * 15 * 4
