"""The import's two fast paths, each the same as Django's slower way, which a file of 20,000 rows
would otherwise spend most of its check in (``bench/import_bench.py``): copying a new figure
instead of building it (``new_figure_like``), and checking a figure's fields without calling each
field's ``clean`` where that can only pass (``check_fields``). ``tests/test_import_speed_paths.py``
compares each with the slow way, on good and bad rows in three languages."""

from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone

from .models import Observation

# The figure's translated texts; modeltranslation's original fields of them hold the active
# language's text, not a stored value.
TRANSLATED = ("definition", "note", "measured_as")
ORIGINALS = frozenset(TRANSLATED)


def new_figure_like(blank):
    """A new figure with the values of ``blank``, a new draft built by ``Observation(...)``.

    Why not ``Observation(...)`` for every row: modeltranslation's constructor rewrites each
    keyword argument's name and asks for the active language, and each foreign key is routed
    and checked as it is set: most of a row's time. Why this is the same figure: it is how
    Django copies and unpickles a model (``Model.__getstate__``: ``__new__``, a copy of the
    instance's ``__dict__``, of its ``ModelState`` and of the related objects it holds), from a
    figure the constructor built with every signal it sends; its values are plain (text, None,
    the status, the area, indicator and source), so sharing them is safe; it gets its own state (a new,
    unsaved figure) and its own ``created_at``, the field's default, as the constructor gives it.
    ``tests/test_import_speed_paths.py`` compares the two."""
    obs = Observation.__new__(Observation)
    obs.__dict__.update(blank.__dict__)
    obs._state = ModelState()
    obs._state.db = blank._state.db
    obs._state.fields_cache = dict(blank._state.fields_cache)
    obs.created_at = timezone.now()
    return obs


@lru_cache(maxsize=64)
def _field_checks(exclude):
    """(field, attname, plain, max_length, choices, decimal) for each field ``clean_fields`` checks
    but those in ``exclude``, in its order; ``plain`` for a plain text field (``_plain_text``),
    ``decimal`` for a plain decimal field (``_plain_decimal``). A few sets of excluded fields
    serve a whole file."""
    checks = []
    for f in Observation._meta.fields:
        if not f.generated and f.name not in exclude:
            plain = _plain_text(f)
            checks.append((f, f.attname, plain is not None, *(plain or (None, None)), _plain_decimal(f)))
    return tuple(checks)


def _plain_text(f):
    """(max_length, choices or None) of a text field whose whole ``Field.clean``, for a text that
    is not empty, is its choices and its max_length: ``to_python`` gives a text back as it is,
    and the field has no validator but its MaxLengthValidator. Read from the model's field
    definitions, so that a field with anything more is checked by ``Field.clean`` itself."""
    kind = models.CharField if isinstance(f, models.CharField) else models.TextField
    if not isinstance(f, kind) or type(f).to_python is not kind.to_python:
        return None
    # Only a field read as stored (not modeltranslation's original fields, whose attribute is
    # the active language's text).
    if type(vars(Observation).get(f.attname)) is not DeferredAttribute:
        return None
    methods = [getattr(type(f), name) for name in ("clean", "validate", "run_validators")]
    if methods != [models.Field.clean, models.Field.validate, models.Field.run_validators]:
        return None
    if not all(isinstance(v, MaxLengthValidator) and v.limit_value == f.max_length for v in f.validators):
        return None
    return f.max_length, frozenset(value for value, _label in f.flatchoices) if f.choices else None


def _plain_decimal(f):
    """A decimal field whose whole ``Field.clean``, for a finite Decimal, is its validators (the
    number of digits): ``to_python`` gives an equal Decimal back, a Decimal is never one of the
    empty values, and the field has no choices."""
    if not isinstance(f, models.DecimalField) or f.choices or type(f).to_python is not models.DecimalField.to_python:
        return False
    methods = [getattr(type(f), name) for name in ("clean", "validate", "run_validators")]
    return methods == [models.Field.clean, models.Field.validate, models.Field.run_validators]


def check_fields(obs, exclude):
    """``obs.clean_fields(exclude=exclude)``: the same errors, in the same order, and the same
    cleaned values, at a fraction of its time.

    Why it is the same: it is Django's loop (skip the excluded fields, an empty value where
    blank is allowed, a database default; ``Field.clean`` the rest), except that a plain text
    field (``_plain_text``) holding a text that is not empty, one of its choices and no longer
    than its max_length is passed without calling ``Field.clean``, which would give it back
    unchanged and without an error, and that a finite Decimal in a plain decimal field
    (``_plain_decimal``) only meets the field's validators. Any other value, and one that a
    validator refuses, goes through ``Field.clean``, for the model's own message.
    modeltranslation's wrapper of ``clean_fields`` only matters for its original fields and for
    its forms: with either, the real ``clean_fields`` runs. ``tests/test_import_speed_paths.py``
    compares the two."""
    if hasattr(obs, "_mt_form_pending_clear") or not exclude >= ORIGINALS:
        return obs.clean_fields(exclude=exclude)
    errors, stored = {}, obs.__dict__
    for f, attname, plain, limit, choices, decimal in _field_checks(frozenset(exclude)):
        if decimal and type(stored.get(attname)) is Decimal and stored[attname].is_finite():
            try:
                for validator in f.validators:
                    validator(stored[attname])
                continue
            except ValidationError:
                pass  # Field.clean below gives the error as the model words it
        if plain and attname in stored:  # a plain field's attribute is its stored value
            raw = stored[attname]
            if isinstance(raw, str) and raw:  # never skipped as blank below: no need to ask
                if (limit is None or len(raw) <= limit) and (choices is None or raw in choices):
                    continue
            elif raw == "" and f.blank:  # clean_fields' own skip of a blank value, without its list
                continue
        else:
            raw = getattr(obs, attname)
        if (f.blank and raw in f.empty_values) or isinstance(raw, DatabaseDefault):
            continue
        try:
            setattr(obs, f.attname, f.clean(raw, obs))
        except ValidationError as error:
            errors[f.name] = error.error_list
    if errors:
        raise ValidationError(errors)
    return None
