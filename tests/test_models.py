"""Rules on the data: database constraints by name, and the same rules as friendly messages."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from countries.models import Area
from indicators.models import Indicator, Observation, Source


@pytest.fixture
def parts(seeded):
    return {
        "area": Area.objects.get(code="IRN"),
        "share": Indicator.objects.get(code="firm_share"),
        "count": Indicator.objects.get(code="sme_count"),
        "source": Source.objects.get(identifier="001_e2e29c5eae0b9509.txt"),
    }


def new_observation(parts, **changes):
    values = {
        "area": parts["area"],
        "indicator": parts["share"],
        "source": parts["source"],
        "value": Decimal("50"),
        "scope": Observation.Scope.INDUSTRY,
        "quote": "متن نمونه",
        "year_as_written": "1390",
        "year_calendar": Observation.Calendar.SOLAR_HIJRI,
    }
    values.update(changes)
    return Observation(**values)


def messages(exc_info):
    return [str(m) for ms in exc_info.value.message_dict.values() for m in ms]


def test_a_share_above_100_is_refused_with_a_clear_message(parts):
    obs = new_observation(parts, value=Decimal("100.5"))
    with pytest.raises(ValidationError) as exc_info:
        obs.full_clean()
    assert "A share is a percentage: it must be between 0 and 100." in messages(exc_info)


def test_a_count_above_100_is_fine(parts):
    new_observation(parts, indicator=parts["count"], value=Decimal("307955")).full_clean()


def test_the_message_is_in_the_users_language(parts):
    obs = new_observation(parts, value=Decimal("120"))
    with translation.override("fa"):
        with pytest.raises(ValidationError) as exc_info:
            obs.full_clean()
        assert "سهم درصد است: باید میان ۰ و ۱۰۰ باشد." in messages(exc_info)


def test_solar_hijri_year_is_converted_on_clean_and_the_original_kept(parts):
    obs = new_observation(parts, year_as_written="۱۳۹۰")
    obs.full_clean()
    assert obs.year == 2011 and obs.year_as_written == "۱۳۹۰"


def test_year_may_be_empty(parts):
    # Beside Iran's undated 92 % of industrial units: it must say what it counts (issue 13).
    obs = new_observation(parts, year_as_written="", year=None, measured_as_en="units of a test")
    obs.full_clean()
    obs.save()
    assert obs.year is None


@pytest.mark.parametrize("year", [1850, timezone.now().year + 1])
def test_implausible_years_are_refused(parts, year):
    with pytest.raises(ValidationError) as exc_info:
        new_observation(parts, year_as_written="", year=year).full_clean()
    assert "year" in exc_info.value.message_dict


def test_a_missing_quote_is_refused(parts):
    with pytest.raises(ValidationError) as exc_info:
        new_observation(parts, quote="   ").full_clean()
    assert "quote" in exc_info.value.message_dict


def test_an_exact_duplicate_is_refused_with_a_clear_message(parts):
    existing = Observation.objects.get(area__code="SYR")
    duplicate = Observation(
        area=existing.area,
        indicator=existing.indicator,
        source=existing.source,
        value=existing.value,
        scope=existing.scope,
        year_as_written=existing.year_as_written,
        quote="another quote",
    )
    with pytest.raises(ValidationError) as exc_info:
        duplicate.full_clean()
    assert "This figure is already recorded" in " ".join(exc_info.value.messages)


def test_the_same_area_indicator_and_year_may_differ_by_source_or_definition(seeded):
    korea = Observation.objects.filter(area__code="KOR", indicator__code="firm_share", year=None)
    assert sorted(korea.values_list("value", flat=True)) == [Decimal("73"), Decimal("97.8")]


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"value": Decimal("-1")}, "observation_value_not_negative"),
        ({"quote": ""}, "observation_quote_present"),
        ({"year": 1700}, "observation_year_plausible"),
        ({"qualifier": "roughly"}, "observation_qualifier_valid"),
    ],
)
def test_database_constraints_hold_without_clean(parts, changes, constraint):
    obs = new_observation(parts, **changes)
    with pytest.raises(IntegrityError) as exc_info, transaction.atomic():
        obs.save()
    # SQLite names the failing CHECK; PostgreSQL names the constraint too.
    assert constraint in str(exc_info.value)


def test_database_refuses_exact_duplicates(parts):
    existing = Observation.objects.get(area__code="SYR")
    existing.pk = None
    existing.quote = "another quote"
    with pytest.raises(IntegrityError), transaction.atomic():
        existing.save()


def test_a_country_needs_a_real_iso_code(db):
    with pytest.raises(ValidationError) as exc_info:
        Area(code="XXX", kind=Area.Kind.COUNTRY, name_en="Nowhere").full_clean()
    assert "code" in exc_info.value.message_dict


def test_a_new_country_gets_its_names_in_three_languages(db):
    area = Area(code="EGY", kind=Area.Kind.COUNTRY)
    area.full_clean()
    area.save()
    assert (area.name_en, area.name_ar, area.name_fa) == ("Egypt", "مصر", "مصر")


def test_only_regions_have_a_parent(seeded):
    with pytest.raises(ValidationError):
        Area(code="XEU", kind=Area.Kind.AGGREGATE, name_en="x", parent=Area.objects.get(code="IRN")).full_clean()
