"""Planning an import of observations: every row of a file read by ``import_files`` is checked,
and the plan says what importing it would do (new, changed, unchanged, rejected and why);
nothing is written here (``importing.apply_plan`` writes a plan).

Areas, indicators, sources and existing figures are looked up once for the whole file and every
row is validated in memory, so that large files are checked quickly. The rules (matching, status,
all or nothing, check columns) are in the docstring of ``indicators.importing``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from countries.models import Area

from .exports import EXPORT_COLUMNS, NAME_COLUMNS
from .forms import has_percent_sign, percent_sign_error
from .import_files import NUL
from .import_limits import ImportFileError
from .models import Indicator, Observation, Source
from .numbers import NumberFormatError, parse_number, parse_year
from .text import FORMULA_PREFIXES, plain_decimal

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"
REQUIRED_COLUMNS = ["area", "indicator", "value", "source", "quote"]
KNOWN_COLUMNS = EXPORT_COLUMNS + NAME_COLUMNS + ["status"]
TRANSLATED = ("definition", "note", "measured_as")
EMPTY_TRANSLATIONS = [*TRANSLATED, *(f"{name}_{lang}" for name in TRANSLATED for lang in ("en", "ar", "fa"))]

# Cells with a fixed list of values: column -> (model field, default for an empty cell).
CHOICE_COLUMNS = {
    "qualifier": Observation.Qualifier.EXACT,
    "scope": Observation.Scope.NOT_STATED,
    "year_calendar": Observation.Calendar.GREGORIAN,
}
# What an import may change on an existing figure (the matching columns cannot change).
COMPARED_FIELDS = ["value", "qualifier", "year", "year_calendar", "scope", "status"]


# Built only when a row is wrong: formatting a message for each of 20,000 good rows is slow.
NO_AREA = gettext_lazy("No area has the code “%(text)s”.")
NO_INDICATOR = gettext_lazy("No indicator has the code “%(text)s”.")
NO_SOURCE = gettext_lazy("No source has the identifier “%(text)s”.")
NOT_A_NUMBER = gettext_lazy("“%(text)s” is not a number.")
NOT_A_YEAR = gettext_lazy("“%(text)s” is not a year.")
REQUIRED = gettext_lazy("This cell is required.")
NUL_IN_CELL = gettext_lazy("The cell contains a NUL character (code 0): the file is damaged, or is not UTF-8 text.")


@dataclass
class Problem:
    column: str
    message: str


@dataclass
class RowPlan:
    number: int
    cells: dict
    action: str = NEW
    observation: Observation | None = None
    changes: list = field(default_factory=list)  # (column, old, new)
    changed_fields: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def reject(self, column, message):
        self.problems.append(Problem(column, str(message)))
        self.action = REJECTED


@dataclass
class ImportPlan:
    rows: list

    def counts(self):
        counts = {NEW: 0, CHANGED: 0, UNCHANGED: 0, REJECTED: 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def ok(self):
        return not any(row.action == REJECTED for row in self.rows)

    def problems(self):
        """(row number, column, reason) for every problem, in file order."""
        return [(row.number, p.column, p.message) for row in self.rows for p in row.problems]


@dataclass
class _Cells:
    """A row's cells as looked up and parsed (None where a cell is empty or wrong)."""

    area: Area | None
    indicator: Indicator | None
    source: Source | None
    value: Decimal | None
    year: int | None
    choices: dict
    status: str | None


def check_header(header):
    unknown = [name for name in header if name and name not in KNOWN_COLUMNS]
    if unknown:
        raise ImportFileError(
            _("Unknown column(s): %(unknown)s. The columns are those of the full-data download: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(KNOWN_COLUMNS)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileError(_("Missing column(s): %(missing)s.") % {"missing": ", ".join(missing)})
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise ImportFileError(_("Repeated column(s): %(repeated)s.") % {"repeated": ", ".join(repeated)})


class _Lookups:
    """Areas, indicators, sources and existing figures, each read once for the whole file."""

    def __init__(self):
        self.areas = {area.code.upper(): area for area in Area.objects.all()}
        self.indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
        self.sources = {source.identifier: source for source in Source.objects.all()}
        self.existing = {match_key(obs): obs for obs in Observation.objects.all()}


def match_key(obs):
    return (obs.source_id, obs.area_id, obs.indicator_id, obs.year_as_written, obs.quote)


def unique_key(obs):
    """The fields of the constraint observation_unique_figure."""
    return (obs.area_id, obs.indicator_id, obs.source_id, obs.year_as_written, obs.scope, obs.value)


def plan_import(header, rows, *, lang="en", publish=False):
    """Check every row and say what importing it would do; nothing is written."""
    check_header(header)
    lookups = _Lookups()
    plans, seen, matched = [], {}, set()  # match key -> first row number; pks of matched figures
    for number, cells in rows:
        values = {name: _unprefixed(cells[i]) if i < len(cells) else "" for i, name in enumerate(header) if name}
        if not any(values.values()):
            continue  # a blank line between rows
        row = RowPlan(number=number, cells=values)
        _plan_row(row, header, lookups, lang, publish, seen, matched)
        plans.append(row)
    if not plans:
        raise ImportFileError(_("The file has no rows to import."))
    _check_unique(plans, lookups, matched)
    _check_measured_as(plans, lookups, matched)
    return ImportPlan(plans)


def _unprefixed(text):
    """The export prefixes cells a spreadsheet would run as a formula with "'"; take it off again."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


def _plan_row(row, header, lookups, lang, publish, seen, matched):
    if _rejected_for_nul(row):
        return
    parsed = _parse_cells(row, lookups)
    if row.action == REJECTED and not (parsed.area and parsed.indicator and parsed.source):
        return
    cells = row.cells
    key = (parsed.source.pk, parsed.area.pk, parsed.indicator.pk, cells.get("year_as_written", ""), cells["quote"])
    if key in seen:
        row.reject(
            "",
            _("Row %(row)s has the same source, area, indicator, year as written and quote: a figure may appear once.")
            % {"row": seen[key]},
        )
        return
    seen[key] = row.number
    obs, before = _figure_for(key, parsed, lookups, lang, matched)
    row.observation = obs
    _fill_figure(obs, row, header, parsed, lang, publish)
    _validate(row, obs)
    if row.action != REJECTED and before is not None:
        _record_changes(row, obs, before)


def _rejected_for_nul(row):
    """A NUL is no text (the file is damaged, or not UTF-8): its cells are refused, and nothing
    else of the row is checked."""
    cells = row.cells
    if NUL not in "".join(cells.values()):
        return False
    for name, text in cells.items():
        if NUL in text:
            row.reject(name, NUL_IN_CELL)
    return True


def _parse_cells(row, lookups):
    """Every cell looked up or parsed, each problem recorded on the row, in the columns' order."""
    cells = row.cells
    for name in REQUIRED_COLUMNS:
        if not cells.get(name):
            row.reject(name, REQUIRED)
    parsed = _Cells(
        area=_lookup(row, "area", lookups.areas, cells.get("area", "").upper(), NO_AREA),
        indicator=_lookup(row, "indicator", lookups.indicators, cells.get("indicator", ""), NO_INDICATOR),
        source=_lookup(row, "source", lookups.sources, cells.get("source", ""), NO_SOURCE),
        value=_parse(row, "value", parse_number, NOT_A_NUMBER),
        year=_parse(row, "year", parse_year, NOT_A_YEAR),
        choices={name: _choice(row, name, default) for name, default in CHOICE_COLUMNS.items()},
        status=_choice(row, "status", None),
    )
    _check_agreement(row, parsed.area, parsed.indicator, parsed.value)
    return parsed


def _figure_for(key, parsed, lookups, lang, matched):
    """The existing figure the row changes, with its values before the change; or a new draft
    figure, and None."""
    obs = lookups.existing.get(key)
    if obs is None:
        new = Observation(
            area=parsed.area,
            indicator=parsed.indicator,
            source=parsed.source,
            year_as_written=key[3],
            quote=key[4],
            status=Observation.Status.DRAFT,
            # Given explicitly: modeltranslation's per-language defaults switch languages, slowly.
            **dict.fromkeys(EMPTY_TRANSLATIONS, ""),
        )
        return new, None
    before = {name: getattr(obs, name) for name in COMPARED_FIELDS + _translated_fields(lang)}
    matched.add(obs.pk)
    # The objects already looked up: clean() reads the indicator and area without a query.
    obs.area, obs.indicator, obs.source = parsed.area, parsed.indicator, parsed.source
    return obs, before


def _fill_figure(obs, row, header, parsed, lang, publish):
    """The row's values on the figure; a column the file does not have leaves its field alone."""
    cells = row.cells
    obs.value = parsed.value
    obs.year = parsed.year
    for name in CHOICE_COLUMNS:
        if name in header:
            setattr(obs, name, parsed.choices[name])
    for name in TRANSLATED:
        if name in header and not _is_export_fallback(obs, name, lang, cells[name]):
            setattr(obs, f"{name}_{lang}", cells[name])
    if parsed.status:
        obs.status = parsed.status
    elif publish:
        obs.status = Observation.Status.PUBLISHED


def _record_changes(row, obs, before):
    row.changed_fields = [name for name in before if before[name] != getattr(obs, name)]
    row.changes = [(_column_of(name), _shown(before[name]), _shown(getattr(obs, name))) for name in row.changed_fields]
    row.action = CHANGED if row.changes else UNCHANGED


def _is_export_fallback(obs, name, lang, text):
    """An export in Arabic or Persian fills a missing translation with the English text:
    importing it again must not copy that English text into the Arabic or Persian field."""
    return (
        lang != "en"
        and obs.pk is not None
        and not getattr(obs, f"{name}_{lang}")
        and text == getattr(obs, f"{name}_en")
    )


def _lookup(row, column, table, text, message):
    if not text:
        return None
    found = table.get(text)
    if found is None:
        row.reject(column, message % {"text": text})
    return found


def _parse(row, column, parse, message):
    text = row.cells.get(column, "")
    if not text:
        return None
    try:
        return parse(text)
    except NumberFormatError:
        row.reject(column, message % {"text": text})
        return None


def _choice(row, column, default):
    text = row.cells.get(column, "").strip().lower()
    if not text:
        return default
    allowed = [value for value, _label in Observation._meta.get_field(column).choices]
    if text not in allowed:
        row.reject(column, _("“%(text)s” is not one of: %(allowed)s.") % {"text": text, "allowed": ", ".join(allowed)})
        return default
    return text


def _check_agreement(row, area, indicator, value):
    """The unit and area kind columns, and a % sign, must agree with the indicator and the area."""
    cells = row.cells
    if indicator and cells.get("unit") and cells["unit"] != indicator.unit:
        row.reject(
            "unit",
            _("The indicator %(indicator)s is in %(expected)s (%(code)s), not “%(unit)s”.")
            % {
                "indicator": indicator.code,
                "expected": indicator.get_unit_display(),
                "code": indicator.unit,
                "unit": cells["unit"],
            },
        )
    if area and cells.get("area_kind") and cells["area_kind"] != area.kind:
        row.reject(
            "area_kind",
            _("The area %(area)s is of the kind “%(expected)s” (%(code)s), not “%(kind)s”.")
            % {"area": area.code, "expected": area.get_kind_display(), "code": area.kind, "kind": cells["area_kind"]},
        )
    if indicator and value is not None and not indicator.is_share and has_percent_sign(cells.get("value")):
        row.reject("value", percent_sign_error(indicator))


def _validate(row, obs):
    """The model's own rules: field formats, then clean() (shares, years, countries only; what a
    figure counts is checked for the whole file at the end, ``_check_measured_as``)."""
    # The foreign keys were looked up above; modeltranslation's original columns must not be
    # validated, because doing so writes the active language's text into them. A column that
    # already has a problem is not checked again (an unreadable value would also be "missing").
    already = {problem.column for problem in row.problems}
    exclude = ["area", "indicator", "source", *TRANSLATED, *already]
    for check in (lambda: obs.clean_fields(exclude=exclude), lambda: obs.clean(others=())):
        try:
            check()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = _column_of(name)
                if column not in already:
                    for message in messages:
                        row.reject(column, message)


def _check_unique(plans, lookups, matched):
    """The constraint observation_unique_figure, for the file and the database together."""
    untouched = {unique_key(obs) for obs in lookups.existing.values() if obs.pk not in matched}
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


def _check_measured_as(plans, lookups, matched):
    """The model's rule on what a figure counts (``Observation.measured_as_errors``), for the file
    and the database together, without a query per row: a new or changed figure beside others of
    its area, indicator, year and scope must say what it counts. Unchanged rows are left alone."""
    groups = {}
    for obs in lookups.existing.values():
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
            row.reject(_column_of(name), message)


def _translated_fields(lang):
    return [f"{name}_{lang}" for name in TRANSLATED]


def _column_of(field_name):
    if field_name == NON_FIELD_ERRORS:
        return ""
    base, _sep, suffix = field_name.rpartition("_")
    return base if base in TRANSLATED and suffix in ("en", "ar", "fa") else field_name


def _shown(value):
    if value is None:
        return ""
    return plain_decimal(value) if isinstance(value, Decimal) else str(value)
