"""Importing observations from a CSV or XLSX file with the columns of the full-data export.

An export can be edited in a spreadsheet and imported again. The rules:

* **Matching.** A row changes the existing figure with the same source, area, indicator, year as
  written and quote: the words a figure was taken from identify it, as in the seed loader.
  Any other row is a new figure. An import never deletes anything.
* **Status.** A filled ``status`` cell (draft or published) decides. Otherwise "publish" (the
  admin's tick box, the command's ``--publish``) publishes every row; without it new figures
  come in as drafts and existing figures keep their status.
* **All or nothing.** Every row is checked first (the model's own rules, plus the columns'
  formats); if one row is wrong nothing is written, and each problem names its row (the header
  is row 1, as a spreadsheet numbers them), its column and the reason.
* ``unit`` and ``area_kind`` are checks, not data: they must agree with the indicator and area.
  The name columns (``area_name``, ``indicator_name``, ``source_title``) and ``last_changed``
  are ignored. ``note`` and ``definition`` are stored in one language, chosen at import.

Everything is looked up once and validated in memory, then written with simple-history's bulk
helpers, so that large files import quickly and still leave a history (who, when, why). This is
why the admin's import pages are our own rather than django-import-export's: its resources look
up and validate row by row, several queries a row, and report problems per field of the model
rather than per column of the file. XLSX is read with openpyxl, installed with its xlsx extra.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from countries.models import Area

from .exports import EXPORT_COLUMNS, NAME_COLUMNS
from .forms import has_percent_sign, percent_sign_error
from .models import Indicator, Observation, Source
from .numbers import NumberFormatError, parse_number, parse_year
from .text import FORMULA_PREFIXES, plain_decimal, strip_control
from .writes import figures_changed

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"
REQUIRED_COLUMNS = ["area", "indicator", "value", "source", "quote"]
KNOWN_COLUMNS = EXPORT_COLUMNS + NAME_COLUMNS + ["status"]
TRANSLATED = ("definition", "note")
BATCH_SIZE = 500
# bulk_update writes "CASE WHEN id=… THEN …" for every field and row of a batch: smaller batches
# and only the fields that changed keep it fast.
UPDATE_BATCH_SIZE = 100
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


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, or its columns are wrong)."""


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


# Reading -----------------------------------------------------------------------------------


def read_table(filename, content):
    """Return (header, rows) from CSV or XLSX bytes; rows are (row number, list of text cells)."""
    if filename.lower().endswith(".xlsx"):
        table = _read_xlsx(content)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”.")
            ) from None
        table = list(csv.reader(io.StringIO(text, newline="")))
    if not table:
        raise ImportFileError(_("The file is empty."))
    # Control characters (but tab and line breaks) out of every cell before anything else: one in
    # front of "=" would hide a formula from the downloads' check.
    table = [[strip_control(cell) for cell in cells] for cells in table]
    header = [cell.strip().lower() for cell in table[0]]
    return header, [(number, cells) for number, cells in enumerate(table[1:], start=2)]


def _read_xlsx(content):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportFileError(_("The file could not be read as an XLSX workbook.")) from None
    try:
        return [[_cell_text(cell) for cell in row] for row in workbook.active.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet stores the year 1978 as 1978.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _unprefixed(text):
    """The export prefixes cells a spreadsheet would run as a formula with "'"; take it off again."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


# Planning ----------------------------------------------------------------------------------


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
    return ImportPlan(plans)


def _plan_row(row, header, lookups, lang, publish, seen, matched):
    cells = row.cells
    for name in REQUIRED_COLUMNS:
        if not cells.get(name):
            row.reject(name, REQUIRED)
    area = _lookup(row, "area", lookups.areas, cells.get("area", "").upper(), NO_AREA)
    indicator = _lookup(row, "indicator", lookups.indicators, cells.get("indicator", ""), NO_INDICATOR)
    source = _lookup(row, "source", lookups.sources, cells.get("source", ""), NO_SOURCE)
    value = _parse(row, "value", parse_number, NOT_A_NUMBER)
    year = _parse(row, "year", parse_year, NOT_A_YEAR)
    choices = {name: _choice(row, name, default) for name, default in CHOICE_COLUMNS.items()}
    status = _choice(row, "status", None)
    _check_agreement(row, area, indicator, value)
    if row.action == REJECTED and not (area and indicator and source):
        return

    key = (source.pk, area.pk, indicator.pk, cells.get("year_as_written", ""), cells["quote"])
    if key in seen:
        row.reject(
            "",
            _("Row %(row)s has the same source, area, indicator, year as written and quote: a figure may appear once.")
            % {"row": seen[key]},
        )
        return
    seen[key] = row.number
    obs = lookups.existing.get(key)
    before = {name: getattr(obs, name) for name in COMPARED_FIELDS + _translated_fields(lang)} if obs else None
    if obs is None:
        obs = Observation(
            area=area,
            indicator=indicator,
            source=source,
            year_as_written=key[3],
            quote=key[4],
            status=Observation.Status.DRAFT,
            # Given explicitly: modeltranslation's per-language defaults switch languages, slowly.
            **dict.fromkeys(EMPTY_TRANSLATIONS, ""),
        )
    else:
        matched.add(obs.pk)
        # The objects already looked up: clean() reads the indicator and area without a query.
        obs.area, obs.indicator, obs.source = area, indicator, source
    row.observation = obs
    obs.value = value
    obs.year = year
    for name in CHOICE_COLUMNS:
        if name in header:
            setattr(obs, name, choices[name])
    for name in TRANSLATED:
        if name in header and not _is_export_fallback(obs, name, lang, cells[name]):
            setattr(obs, f"{name}_{lang}", cells[name])
    if status:
        obs.status = status
    elif publish:
        obs.status = Observation.Status.PUBLISHED
    _validate(row, obs)
    if row.action != REJECTED and before is not None:
        row.changed_fields = [name for name in before if before[name] != getattr(obs, name)]
        row.changes = [
            (_column_of(name), _shown(before[name]), _shown(getattr(obs, name))) for name in row.changed_fields
        ]
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
    """The model's own rules: field formats, then clean() (shares, years, countries only)."""
    # The foreign keys were looked up above; modeltranslation's original columns must not be
    # validated, because doing so writes the active language's text into them. A column that
    # already has a problem is not checked again (an unreadable value would also be "missing").
    already = {problem.column for problem in row.problems}
    exclude = ["area", "indicator", "source", *TRANSLATED, *already]
    for check in (lambda: obs.clean_fields(exclude=exclude), obs.clean):
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


# Writing -----------------------------------------------------------------------------------


def apply_plan(plan, *, user=None, reason=""):
    """Write a checked plan in one transaction, with a history record for every figure."""
    if not plan.ok:
        raise ValueError("a plan with rejected rows cannot be applied")
    new = [row.observation for row in plan.rows if row.action == NEW]
    changed = [row.observation for row in plan.rows if row.action == CHANGED]
    # modeltranslation's original columns (note, definition) are never written here: reading
    # them gives the active language's text, not a column of their own.
    fields = sorted({name for row in plan.rows if row.action == CHANGED for name in row.changed_fields})
    now = timezone.now()
    for obs in changed:
        obs.updated_at = now  # bulk_update does not run auto_now
    history = {"default_user": user, "default_change_reason": reason[:100], "default_date": now}
    with transaction.atomic():
        if new:
            bulk_create_with_history(new, Observation, batch_size=BATCH_SIZE, **history)
        if changed:
            fields.append("updated_at")
            bulk_update_with_history(changed, Observation, fields, batch_size=UPDATE_BATCH_SIZE, **history)
        # Bulk writes send no signals: recount the coverage, and tell the caches once the rows
        # are visible.
        figures_changed(new + changed)
    return plan.counts()


def import_file(filename, content, *, lang="en", publish=False, dry_run=False, user=None, reason=""):
    """Read, check and (unless ``dry_run`` or a row is wrong) write; return the plan."""
    header, rows = read_table(filename, content)
    plan = plan_import(header, rows, lang=lang, publish=publish)
    if plan.ok and not dry_run:
        apply_plan(plan, user=user, reason=reason)
    return plan
