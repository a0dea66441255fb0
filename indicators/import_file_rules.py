"""The import's rules that span rows: for the whole file and the figures already recorded
(``existing``, those of the file's indicators; ``matched``, the pks the file's rows replace), one
figure per unique key, and a label that tells apart figures of one area, indicator, year and scope.
Checked in memory after every row has been planned (``import_plan``), without a query per row."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _

from .import_checks import TRANSLATED
from .import_results import CHANGED, NEW, REJECTED


def unique_key(obs):
    """The fields of the constraint observation_unique_figure."""
    return (obs.area_id, obs.indicator_id, obs.source_id, obs.year_as_written, obs.scope, obs.value)


def check_unique(plans, existing, matched):
    """The constraint observation_unique_figure, for the file and the database together."""
    untouched = {unique_key(obs) for obs in existing if obs.pk not in matched}
    seen = {}
    for row in plans:
        if row.action == REJECTED:
            continue
        key = unique_key(row.observation)
        if key in untouched:
            row.reject("", _("This figure is already recorded: same area, indicator, source, year, scope and value."))
        elif key in seen:
            row.reject(
                "",
                _("Row %(row)s has the same figure: same area, indicator, source, year, scope and value.")
                % {"row": seen[key]},
            )
        else:
            seen[key] = row.number


def group_key(obs):
    """The figures whose labels must tell them apart: one area, indicator, year and scope."""
    return (obs.area_id, obs.indicator_id, obs.year, obs.scope)


def check_measured_as(plans, existing, matched):
    """The model's rule on what a figure counts (``Observation.measured_as_errors``), for the file
    and the database together, without a query per row: a new or changed figure beside others of
    its area, indicator, year and scope must say what it counts. Unchanged rows are left alone."""
    groups = {}
    for obs in existing:
        if obs.pk not in matched:
            groups.setdefault(group_key(obs), []).append(obs)
    written = [row for row in plans if row.action in (NEW, CHANGED)]
    for row in plans:
        if row.action != REJECTED:
            groups.setdefault(group_key(row.observation), []).append(row.observation)
    for row in written:
        obs = row.observation
        others = [other for other in groups[group_key(obs)] if other is not obs]
        for name, message in obs.measured_as_errors(others).items():
            row.reject(column_of(name), message)


def column_of(field_name):
    if field_name == NON_FIELD_ERRORS:
        return ""
    base, _sep, suffix = field_name.rpartition("_")
    return base if base in TRANSLATED and suffix in ("en", "ar", "fa") else field_name
