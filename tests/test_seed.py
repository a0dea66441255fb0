"""The seed data: every figure of the five documents, each with its verbatim quote."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from countries.models import Area
from indicators.models import Observation, Source
from indicators.seed import load_seed

SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed_documents"
THESIS = "001_e2e29c5eae0b9509.txt"
IRAN_ARTICLE = "002_bb35e3d40c82847a.txt"
SYRIA_ARTICLE = "003_a9bddf9fb0107279.txt"


def figures(source):
    """{(area, indicator, year, value, qualifier, scope)} for one source."""
    return {
        (o.area.code, o.indicator.code, o.year, o.value.normalize(), o.qualifier, o.scope)
        for o in Observation.objects.with_related().filter(source__identifier=source)
    }


def d(text):
    return Decimal(text).normalize()


def test_every_seed_document_is_a_source(seeded):
    identifiers = set(Source.objects.values_list("identifier", flat=True))
    assert identifiers == {p.name for p in SEED_DIR.glob("*.txt")}
    assert len(identifiers) == 5


def test_documents_without_shares_are_registered_with_no_figures(seeded):
    for identifier in ("000_939c0177dc8ceb3f.txt", "004_00781e7a92b81ec0.txt"):
        source = Source.objects.get(identifier=identifier)
        assert source.language == "ar"
        assert not source.observations.exists()


def test_every_quote_appears_verbatim_in_its_document(seeded):
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEED_DIR.glob("*.txt")}
    observations = Observation.objects.select_related("source")
    assert observations.count() == 50
    for obs in observations:
        assert obs.quote in texts[obs.source.identifier], (obs.pk, obs.quote)


def test_thesis_chapter_three_country_list(seeded):
    got = figures(THESIS)
    expected = {
        ("JPN", "firm_share", None, d("89"), "exact", "industry"),
        ("JPN", "exports_share", None, d("60"), "exact", "industry"),
        ("JPN", "exports_share", None, d("52"), "exact", "economy"),
        ("JPN", "output_share", None, d("33"), "exact", "not_stated"),
        ("TWN", "firm_share", None, d("97"), "exact", "industry"),
        ("TWN", "value_added_share", None, d("37"), "exact", "industry"),
        ("IRN", "firm_share", None, d("92"), "exact", "industry"),
        ("IRN", "employment_share", None, d("56"), "exact", "industry"),
        ("IRN", "value_added_share", None, d("25"), "exact", "industry"),
        ("IRN", "output_share", None, d("30"), "exact", "industry"),
        ("SGP", "firm_share", None, d("94"), "exact", "industry"),
        ("SGP", "employment_share", None, d("71"), "exact", "industry"),
        ("SGP", "output_share", None, d("59"), "exact", "industry"),
        ("SGP", "exports_share", None, d("90"), "exact", "economy"),
        # South Korea: both 73 % of industrial units and 97.8 % of industrial establishments.
        ("KOR", "firm_share", None, d("73"), "exact", "industry"),
        ("KOR", "firm_share", None, d("97.8"), "exact", "industry"),
        ("KOR", "employment_share", None, d("57.5"), "exact", "industry"),
        ("KOR", "output_share", None, d("47.9"), "exact", "industry"),
        ("KOR", "output_share", None, d("39.5"), "exact", "industry"),
        ("KOR", "value_added_share", None, d("42.6"), "exact", "industry"),
        ("KOR", "exports_share", None, d("38.6"), "exact", "industry"),
        ("IND", "firm_share", None, d("90"), "more_than", "industry"),
        ("EU25", "firm_share", None, d("99"), "exact", "industry"),
    }
    assert expected <= got


def test_thesis_dated_figures(seeded):
    got = figures(THESIS)
    assert {
        ("JPN", "firm_share", 1978, d("99.4"), "exact", "economy"),
        ("JPN", "employment_share", 1978, d("81.1"), "exact", "economy"),
        ("JPN", "sme_count", 1978, d("5810000"), "exact", "economy"),
        ("JPN", "sme_employment", 1978, d("35350000"), "exact", "economy"),
        ("KOR", "sme_exports_value", 1994, d("45"), "more_than", "industry"),
        ("KOR", "exports_share", 1994, d("45"), "more_than", "industry"),
    } <= got


def test_iranian_workshop_counts_keep_their_solar_hijri_years(seeded):
    counts = Observation.objects.filter(area__code="IRN", indicator__code="sme_count").order_by("year")
    assert [(o.year_as_written, o.year, o.value) for o in counts] == [
        ("1353", 1974, Decimal("1405950")),
        ("1375", 1996, Decimal("307955")),
    ]
    assert all(o.year_calendar == Observation.Calendar.SOLAR_HIJRI for o in counts)


def test_garbled_figures_are_kept_as_written_with_a_note_and_not_charted(seeded):
    garbled = Observation.objects.filter(qualifier=Observation.Qualifier.UNCLEAR).with_related()
    assert {(o.area.code, o.indicator.code, o.value.normalize()) for o in garbled} == {
        ("JPN", "employment_share", d("3.3")),
    }
    for obs in garbled:
        assert "garbled" in obs.note_en.lower()
        assert obs.note_ar and obs.note_fa
    assert not Observation.objects.chartable().filter(qualifier="unclear").exists()


def test_iran_article_figures(seeded):
    assert figures(IRAN_ARTICLE) == {
        ("IRN", "employment_share", 2013, d("67"), "about", "industry"),
        ("IRN", "output_share", 2013, d("19"), "exact", "industry"),
        ("IR-02", "firm_share", None, d("80"), "more_than", "industry"),
    }
    mazandaran = Area.objects.get(code="IR-02")
    assert mazandaran.kind == Area.Kind.SUBNATIONAL and mazandaran.parent.code == "IRN"


def test_syria_article_figure_has_no_year(seeded):
    (obs,) = Observation.objects.filter(source__identifier=SYRIA_ARTICLE)
    assert (obs.area.code, obs.indicator.code, obs.value, obs.qualifier) == ("SYR", "firm_share", 98, "more_than")
    assert obs.year is None and obs.year_as_written == ""
    assert "98 %" in obs.quote


def test_every_translated_field_is_filled_in_three_languages(seeded):
    for area in Area.objects.all():
        assert area.name_en and area.name_ar and area.name_fa, area.code
    assert Area.objects.get(code="IRN").name_fa == "ایران"
    assert Area.objects.get(code="JPN").name_ar == "اليابان"
    for obs in Observation.objects.exclude(note_en=""):
        assert obs.note_ar and obs.note_fa, obs.pk


def test_persian_text_uses_persian_letters_not_arabic_ones(seeded):
    """Persian is written with ی and ک; Arabic ي and ك in Persian fields are typos."""
    for area in Area.objects.all():
        assert "ي" not in area.name_fa and "ك" not in area.name_fa, area.code
    for obs in Observation.objects.all():
        assert "ي" not in obs.note_fa and "ك" not in obs.note_fa, obs.pk
        assert "ي" not in obs.definition_fa and "ك" not in obs.definition_fa, obs.pk


def test_loading_twice_changes_nothing(seeded):
    before = list(Observation.objects.order_by("pk").values_list("pk", "updated_at"))
    report = load_seed()
    assert not report.changed
    assert report.unchanged["observation"] == 50
    assert list(Observation.objects.order_by("pk").values_list("pk", "updated_at")) == before


@pytest.mark.django_db
def test_an_edited_fixture_value_is_updated_in_place(monkeypatch):
    load_seed()
    obs = Observation.objects.get(area__code="SYR")
    Observation.objects.filter(pk=obs.pk).update(value=Decimal("1"))
    report = load_seed()
    assert report.updated == {"observation": 1}
    assert Observation.objects.get(pk=obs.pk).value == 98
