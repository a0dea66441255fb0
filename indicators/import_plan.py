"""Planning an import of observations: every row of a file read by ``import_files`` is checked,
and the plan says what importing it would do (new, changed, unchanged, rejected and why);
nothing is written here (``importing.apply_plan`` writes a plan).

Areas, indicators, sources and existing figures are looked up once for the whole file and every
row is validated in memory, so that large files are checked quickly. The rules (matching, status,
all or nothing, check columns) are in the docstring of ``indicators.importing``.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from countries.models import Area

from .exports import EXPORT_COLUMNS, NAME_COLUMNS
from .forms import has_percent_sign, percent_sign_error
from .import_checks import ORIGINALS, TRANSLATED, check_fields, new_figure_like
from .import_file_rules import check_measured_as, check_unique, column_of
from .import_files import NUL, gc_paused
from .import_limits import ImportFileError
from .import_results import CHANGED, REJECTED, UNCHANGED, ImportPlan, RowPlan
from .models import Indicator, Observation, Source
from .numbers import NumberFormatError, parse_number, parse_year
from .text import FORMULA_PREFIXES, plain_decimal

REQUIRED_COLUMNS = ["area", "indicator", "value", "source", "quote"]
KNOWN_COLUMNS = EXPORT_COLUMNS + NAME_COLUMNS + ["status"]
EMPTY_TRANSLATIONS = [*TRANSLATED, *(f"{name}_{lang}" for name in TRANSLATED for lang in ("en", "ar", "fa"))]

# Cells with a fixed list of values: column -> (model field, default for an empty cell).
CHOICE_COLUMNS = {
    "qualifier": Observation.Qualifier.EXACT,
    "scope": Observation.Scope.NOT_STATED,
    "year_calendar": Observation.Calendar.GREGORIAN,
}
# What an import may change on an existing figure (the matching columns cannot change).
COMPARED_FIELDS = ["value", "qualifier", "year", "year_calendar", "scope", "status"]
# Fields no row sets: a new figure's are the model's defaults (no id, now, none), an existing
# figure's are the database's; ``clean_fields`` has nothing of the file's to check in them.
NOT_FROM_THE_FILE = ("id", "created_at", "updated_at")
MAX_BLANKS = 4096  # new figures kept to copy (``_Lookups.blank``): a bound on their memory
# Left out of ``clean_fields``: the foreign keys (looked up already), modeltranslation's
# original fields (see ``_validate``) and the fields no row sets.
NOT_VALIDATED = frozenset({"area", "indicator", "source", *ORIGINALS, *NOT_FROM_THE_FILE})


# Built only when a row is wrong: formatting a message for each of 20,000 good rows is slow.
NO_AREA = gettext_lazy("No area has the code “%(text)s”.")
NO_INDICATOR = gettext_lazy("No indicator has the code “%(text)s”.")
NO_SOURCE = gettext_lazy("No source has the identifier “%(text)s”.")
NOT_A_NUMBER = gettext_lazy("“%(text)s” is not a number.")
NOT_A_YEAR = gettext_lazy("“%(text)s” is not a year.")
REQUIRED = gettext_lazy("This cell is required.")
NUL_IN_CELL = gettext_lazy("The cell contains a NUL character (code 0): the file is damaged, or is not UTF-8 text.")


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
    """Areas, indicators, sources and existing figures, each read once for the whole file, and
    the new figure every new row starts from."""

    def __init__(self, indicator_codes):
        self.areas = {area.code.upper(): area for area in Area.objects.all()}
        self.indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
        self.sources = {source.identifier: source for source in Source.objects.all()}
        # Only the figures of the indicators the file names: every use of ``existing`` (matching,
        # the unique constraint, the measured-as groups) compares figures of one indicator, and
        # a row whose indicator is not found is rejected before any of them.
        named = [self.indicators[code] for code in indicator_codes if code in self.indicators]
        self.existing = {match_key(obs): obs for obs in Observation.objects.filter(indicator__in=named)}
        self.blanks = {}  # (area, indicator, source) -> the new figure their rows start from
        self.choices = {}  # the choice cells read already (``_choice``)

    def blank(self, area, indicator, source):
        """A new draft of ``area``, ``indicator`` and ``source``, built by the model's constructor
        once (a wide table has one area a row, one indicator and one source)."""
        key = (area.pk, indicator.pk, source.pk)
        if key not in self.blanks:
            if len(self.blanks) >= MAX_BLANKS:  # a long file of many areas and indicators
                self.blanks.clear()
            self.blanks[key] = Observation(
                area=area,
                indicator=indicator,
                source=source,
                status=Observation.Status.DRAFT,
                # Given explicitly: modeltranslation's per-language defaults switch languages, slowly.
                **dict.fromkeys(EMPTY_TRANSLATIONS, ""),
            )
        return self.blanks[key]


def match_key(obs):
    return (obs.source_id, obs.area_id, obs.indicator_id, obs.year_as_written, obs.quote)


def plan_import(header, rows, *, lang="en", publish=False):
    """Check every row and say what importing it would do; nothing is written."""
    check_header(header)
    with gc_paused():
        return _plan_rows(header, rows, lang, publish)


def _plan_rows(header, rows, lang, publish):
    filled, columns = [], [(i, name) for i, name in enumerate(header) if name]
    for number, cells in rows:
        width = len(cells)
        values = {name: cells[i].strip() if i < width else "" for i, name in columns}
        joined = "".join(values.values())
        if "'" in joined:
            values = {name: _unprefixed(text) for name, text in values.items()}
        if joined:  # else a blank line between rows
            filled.append(RowPlan(number=number, cells=values))
    lookups = _Lookups({row.cells.get("indicator", "") for row in filled})
    seen, matched = {}, set()  # match key -> first row number; pks of matched figures
    columns = frozenset(header)  # asked of every row
    for row in filled:
        _plan_row(row, columns, lookups, lang, publish, seen, matched)
    plans = filled
    if not plans:
        raise ImportFileError(_("The file has no rows to import."))
    check_unique(plans, lookups.existing.values(), matched)
    check_measured_as(plans, lookups.existing.values(), matched)
    return ImportPlan(plans)


def _unprefixed(text):
    """The export prefixes cells a spreadsheet would run as a formula with "'"; take it off again."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


def _plan_row(row, columns, lookups, lang, publish, seen, matched):
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
    _fill_figure(obs, row, columns, parsed, lang, publish)
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
        choices={name: _choice(row, name, default, lookups.choices) for name, default in CHOICE_COLUMNS.items()},
        status=_choice(row, "status", None, lookups.choices),
    )
    _check_agreement(row, parsed.area, parsed.indicator, parsed.value)
    return parsed


def _figure_for(key, parsed, lookups, lang, matched):
    """The existing figure the row changes, with its values before the change; or a new draft
    figure, and None."""
    obs = lookups.existing.get(key)
    if obs is None:
        new = new_figure_like(lookups.blank(parsed.area, parsed.indicator, parsed.source))
        new.year_as_written, new.quote = key[3], key[4]
        return new, None
    before = {name: getattr(obs, name) for name in COMPARED_FIELDS + _translated_fields(lang)}
    matched.add(obs.pk)
    # The objects already looked up: clean() reads the indicator and area without a query.
    obs.area, obs.indicator, obs.source = parsed.area, parsed.indicator, parsed.source
    return obs, before


def _fill_figure(obs, row, columns, parsed, lang, publish):
    """The row's values on the figure; a column the file does not have leaves its field alone."""
    cells = row.cells
    obs.value = parsed.value
    obs.year = parsed.year
    for name in CHOICE_COLUMNS:
        if name in columns:
            setattr(obs, name, parsed.choices[name])
    for name in TRANSLATED:
        if name in columns and not _is_export_fallback(obs, name, lang, cells[name]):
            setattr(obs, f"{name}_{lang}", cells[name])
    if parsed.status:
        obs.status = parsed.status
    elif publish:
        obs.status = Observation.Status.PUBLISHED


def _record_changes(row, obs, before):
    row.changed_fields = [name for name in before if before[name] != getattr(obs, name)]
    row.changes = [(column_of(name), _shown(before[name]), _shown(getattr(obs, name))) for name in row.changed_fields]
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


@cache
def _allowed(column):
    """The values a choice column takes, read once from the model's field."""
    return tuple(value for value, _label in Observation._meta.get_field(column).choices)


def _choice(row, column, default, known):
    """The value of a choice cell, or ``default`` for an empty or wrong one (and the row's problem).
    ``known``: {(column, cell): value, "" when empty, None when wrong} of the cells seen already
    in the file (a wide table repeats a few on every row): the answer depends on them alone."""
    cell = row.cells.get(column, "")
    value = known.get((column, cell), False)
    if value is False:
        text = cell.strip().lower()
        value = known[column, cell] = text if not text or text in _allowed(column) else None
    if value is None:
        text, allowed = cell.strip().lower(), _allowed(column)
        row.reject(column, _("“%(text)s” is not one of: %(allowed)s.") % {"text": text, "allowed": ", ".join(allowed)})
        return default
    return value or default


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
    figure counts is checked for the whole file at the end, ``import_file_rules.check_measured_as``)."""
    # The foreign keys were looked up above; modeltranslation's original columns must not be
    # validated, because doing so writes the active language's text into them. A column that
    # already has a problem is not checked again (an unreadable value would also be "missing").
    already = {problem.column for problem in row.problems}
    exclude = NOT_VALIDATED | already if already else NOT_VALIDATED
    for check in (lambda: check_fields(obs, exclude), lambda: obs.clean(others=())):
        try:
            check()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = column_of(name)
                if column not in already:
                    for message in messages:
                        row.reject(column, message)


def _translated_fields(lang):
    return [f"{name}_{lang}" for name in TRANSLATED]


def _shown(value):
    if value is None:
        return ""
    return plain_decimal(value) if isinstance(value, Decimal) else str(value)
