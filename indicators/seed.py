"""Loading the seed fixtures (fixtures/*.json) into the database, idempotently.

The fixtures are written for people to read and review: natural keys (area codes, indicator
codes, source file names) instead of primary keys, and translations as {"en", "ar", "fa"}
objects. Loading compares before saving, so a second load writes nothing.

A figure taken out of the seed after it was loaded somewhere is listed in ``withdrawn.json``:
loading sets it back to a draft (kept, with its history and the reason, never deleted), so that
a database seeded before the correction no longer shows it.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from countries.models import Area

from .models import Indicator, Observation, Source

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
LANGS = ("en", "ar", "fa")


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    withdrawn: dict = field(default_factory=dict)

    def count(self, bucket, model):
        name = model._meta.model_name
        getattr(self, bucket)[name] = getattr(self, bucket).get(name, 0) + 1

    @property
    def changed(self):
        return bool(self.created or self.updated or self.withdrawn)

    def __str__(self):
        parts = []
        for bucket in ("created", "updated", "withdrawn", "unchanged"):
            counts = getattr(self, bucket)
            if counts:
                parts.append(bucket + ": " + ", ".join(f"{n} {m}" for m, n in sorted(counts.items())))
        return "; ".join(parts) or "nothing to load"


def _read(name):
    with open(FIXTURES_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def _translated(values, field_name, data):
    """Spread {"en": …, "ar": …, "fa": …} over modeltranslation's name_en, name_ar, name_fa.

    Only the per-language fields are set: modeltranslation keeps the original column in step
    with the default language, and assigning ``name`` would write the *active* language.
    """
    text = data.get(field_name)
    if text is None:
        return
    for lang in LANGS:
        values[f"{field_name}_{lang}"] = text.get(lang, "")


def _sync(model, lookup, values, report):
    """Create or update one row; save only when something differs, after full validation."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        bucket = "created"
    else:
        differs = [name for name, value in values.items() if getattr(instance, name) != value]
        if not differs:
            report.count("unchanged", model)
            return instance
        for name in differs:
            setattr(instance, name, values[name])
        bucket = "updated"
    instance.full_clean()
    instance.save()
    report.count(bucket, model)
    return instance


def _load_areas(report):
    areas = {}
    # Parents first, so that a region can point at its country.
    for data in sorted(_read("areas.json"), key=lambda item: "parent" in item):
        values = {"kind": data["kind"], "parent": areas.get(data.get("parent"))}
        _translated(values, "name", data)
        if data["kind"] == Area.Kind.COUNTRY and "name" not in data:
            # Country names come from django-countries' translations (Area.fill_country_names).
            probe = Area(code=data["code"], kind=data["kind"])
            probe.fill_country_names()
            values.update({f"name_{lang}": getattr(probe, f"name_{lang}") for lang in LANGS})
        areas[data["code"]] = _sync(Area, {"code": data["code"]}, values, report)
    return areas


def _load_indicators(report):
    indicators = {}
    for data in _read("indicators.json"):
        values = {"unit": data["unit"], "headline": data["headline"], "position": data["position"]}
        _translated(values, "name", data)
        _translated(values, "description", data)
        indicators[data["code"]] = _sync(Indicator, {"code": data["code"]}, values, report)
    return indicators


def _load_sources(report):
    sources = {}
    for data in _read("sources.json"):
        values = {"kind": data["kind"], "language": data["language"]}
        for name in ("title", "summary", "publisher", "date_known"):
            _translated(values, name, data)
        sources[data["identifier"]] = _sync(Source, {"identifier": data["identifier"]}, values, report)
    return sources


def _load_observations(report, areas, indicators, sources):
    for data in _read("observations.json"):
        lookup = {
            "source": sources[data["source"]],
            "area": areas[data["area"]],
            "indicator": indicators[data["indicator"]],
            "year_as_written": data["year_as_written"],
            "quote": data["quote"],
        }
        values = {
            "value": Decimal(data["value"]),
            "qualifier": data["qualifier"],
            "year": data["year"],
            "year_calendar": data["year_calendar"],
            "scope": data["scope"],
            "status": Observation.Status.PUBLISHED,
        }
        # What the figure counts ("measured_as") too: a database seeded before it existed gets it
        # on the next load, as an update.
        for name in ("definition", "note", "measured_as"):
            _translated(values, name, data)
            for lang in LANGS:
                values.setdefault(f"{name}_{lang}", "")
        _sync(Observation, lookup, values, report)


def _withdraw_observations(report, areas, indicators, sources):
    """Figures the seed no longer holds: published ones become drafts, with the reason in their
    history."""
    for data in _read("withdrawn.json"):
        figures = Observation.objects.published().filter(
            source=sources[data["source"]],
            area=areas[data["area"]],
            indicator=indicators[data["indicator"]],
            year_as_written=data["year_as_written"],
            value=Decimal(data["value"]),
        )
        for obs in figures:
            obs.status = Observation.Status.DRAFT
            # django-simple-history keeps it with the change, in a column of 100 characters.
            obs._change_reason = data["reason"][:100]
            obs.save()
            report.count("withdrawn", Observation)


@transaction.atomic
def load_seed():
    """Load every fixture; all or nothing."""
    report = LoadReport()
    areas = _load_areas(report)
    indicators = _load_indicators(report)
    sources = _load_sources(report)
    _load_observations(report, areas, indicators, sources)
    _withdraw_observations(report, areas, indicators, sources)
    return report
