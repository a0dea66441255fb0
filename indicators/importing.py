"""Importing observations from a CSV or XLSX file with the columns of the full-data export:
``import_file`` reads, checks and writes; this module writes a checked plan (``apply_plan``).

The steps, one module each: ``import_files`` reads the file within ``import_limits`` (an XLSX is
first scanned by ``import_xlsx_scan``), ``import_plan`` checks every row and says what importing
it would do, and ``apply_plan`` writes it.

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
  are ignored. ``note``, ``definition`` and ``measured_as`` are stored in one language, chosen at import.
* **Limits** (``ImportLimits``). A file larger than the limits (bytes, rows, columns, characters in
  a cell; for XLSX its unpacked size, compression and XML), a DTD in an XLSX part, or a NUL
  character is refused with a message naming the problem. The limits are checked before the file
  is parsed or as it is read, so that no file makes the server use unbounded memory or time.

Everything is looked up once and validated in memory, then written with simple-history's bulk
helpers, so that large files import quickly and still leave a history (who, when, why). This is
why the admin's import pages are our own rather than django-import-export's: its resources look
up and validate row by row, several queries a row, and report problems per field of the model
rather than per column of the file. XLSX is read with openpyxl, installed with its xlsx extra.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .import_files import read_table
from .import_limits import ImportFileError
from .import_plan import plan_import
from .import_results import CHANGED, NEW
from .models import Observation
from .writes import figures_changed

BATCH_SIZE = 500
# bulk_update writes "CASE WHEN id=… THEN …" for every field and row of a batch: smaller batches
# and only the fields that changed keep it fast.
UPDATE_BATCH_SIZE = 100
# With a progress callback (an import in the background): figures written between two reports.
PROGRESS_ROWS = 1000

logger = logging.getLogger(__name__)


def apply_plan(plan, *, user=None, reason="", progress=None):
    """Write a checked plan in one transaction, with a history record for every figure.

    ``progress(written, total)``, if given, is called before the first figure is written and
    then every ``PROGRESS_ROWS`` figures, inside the transaction: what it records must be kept
    outside the database (readers would not see it before the commit), and an exception it
    raises rolls everything back."""
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
    total = len(new) + len(changed)
    # Without a callback each kind is written in one call, as before.
    step = PROGRESS_ROWS if progress is not None else max(total, 1)
    report = progress or (lambda written, total: None)
    try:
        with transaction.atomic():
            written = 0
            report(written, total)
            for part in _parts(new, step):
                bulk_create_with_history(part, Observation, batch_size=BATCH_SIZE, **history)
                written += len(part)
                report(written, total)
            if changed:
                fields.append("updated_at")
            for part in _parts(changed, step):
                bulk_update_with_history(part, Observation, fields, batch_size=UPDATE_BATCH_SIZE, **history)
                written += len(part)
                report(written, total)
            # Bulk writes send no signals: recount the coverage, and tell the caches once the rows
            # are visible.
            figures_changed(new + changed)
    except IntegrityError:
        # Another import or an edit wrote the same figures after this plan was made: the
        # transaction is rolled back, nothing is written.
        logger.warning("Import: a figure was written by someone else meanwhile", exc_info=True)
        raise ImportFileError(
            _(
                "Nothing was imported: some of these figures were written by someone else while the file was "
                "being imported. Check the file again."
            )
        ) from None
    return plan.counts()


def _parts(items, size):
    return [items[start : start + size] for start in range(0, len(items), size)]


def import_file(filename, content, *, lang="en", publish=False, dry_run=False, user=None, reason="", limits=None):
    """Read, check and (unless ``dry_run`` or a row is wrong) write; return the plan."""
    header, rows = read_table(filename, content, limits)
    plan = plan_import(header, rows, lang=lang, publish=publish)
    if plan.ok and not dry_run:
        apply_plan(plan, user=user, reason=reason)
    return plan
