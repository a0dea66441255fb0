"""The seed, loaded once per test process and then copied in: the tests' cheapest fixture.

`load_seed()` compares and saves row by row, with its signals, history and recounts: about
0.7 s, paid by some 700 tests. The first test of a process that asks for the seed runs the
real `load_seed()`; its result, every row of the two apps' tables (figures, areas, sources,
their history, the coverage summary and the data version), is kept and inserted again with one
`bulk_create` per table for the next tests. `tests/test_seed_snapshot.py` checks that a copy
equals a fresh load, row for row.
"""

import copy
from contextlib import contextmanager

from django.apps import apps
from django.core.management.color import no_style
from django.core.serializers import sort_dependencies
from django.db import connection, transaction

from indicators.seed import load_seed

APPS = ("countries", "indicators")

_taken = None  # (report, [(model, [row dict, ...]), ...])


def seed_models():
    """The models `load_seed()` writes to, parents before children."""
    app_models = [(apps.get_app_config(label), None) for label in APPS]
    return sort_dependencies(app_models, allow_cycles=True)


def table_rows(model):
    fields = [f.attname for f in model._meta.concrete_fields]
    return [dict(zip(fields, row, strict=True)) for row in model._base_manager.order_by("pk").values_list(*fields)]


def _clear(models):
    for model in reversed(models):
        model._base_manager.all()._raw_delete(connection.alias)


@contextmanager
def _times_kept(model):
    """bulk_create would stamp auto_now fields with the time of the copy, not of the load."""
    fields = model._meta.concrete_fields
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f.auto_now, f.auto_now_add) for f in stamped]
    for f in stamped:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (now, now_add) in zip(stamped, saved, strict=True):
            f.auto_now, f.auto_now_add = now, now_add


@transaction.atomic
def _copy_in(taken):
    models = [model for model, _ in taken]
    _clear(models)
    for model, rows in taken:
        names = list(rows[0]) if rows else []
        # from_db, not model(**row): modeltranslation rewrites keyword arguments.
        copies = [model.from_db(connection.alias, names, list(row.values())) for row in rows]
        with _times_kept(model):
            model._base_manager.bulk_create(copies)
    # PostgreSQL's sequences do not move for rows inserted with their ids.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def seed():
    """The database as `load_seed()` leaves an empty one, and that load's report."""
    global _taken
    if _taken is None:
        if any(model._base_manager.exists() for model in seed_models()):
            return load_seed()  # not a copy of an empty database's load: keep nothing
        report = load_seed()
        _taken = (copy.deepcopy(report), [(model, table_rows(model)) for model in seed_models()])
        return report
    report, tables = _taken
    _copy_in(tables)
    return copy.deepcopy(report)
