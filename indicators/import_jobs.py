"""Imports in the background: a file of more than ``SMEDASH_IMPORT_INLINE_ROWS`` rows leaves the
request. ``start_job`` keeps the upload (``UploadStore``) and queues ``check_import``, which reads
and checks every row as the admin's preview does and keeps what it found on the ``ImportJob``.
Once the staff member who sent the file confirms (``confirm_job`` claims the upload, so that a
second confirmation imports nothing), ``write_import`` checks the file again (the figures may have
changed meanwhile) and writes it with ``importing.apply_plan``: every row in one transaction, or
none. The admin's status page shows the progress (``progress``), then the result or each row's
problems.

The tasks use the django-tasks backport of Django's tasks framework; with the default database
backend (django-tasks-db) they run in ``manage.py db_worker``, which must see the same var/
directory as the web servers (the upload, and the count of figures written so far, are kept
there).
"""

import contextlib
import logging
import os
from dataclasses import replace

from django.conf import settings
from django.core import signing
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tasks import task

from .formatting import format_number
from .import_files import read_table
from .import_limits import ImportFileError, ImportLimits, too_many_raw_rows, too_many_rows
from .import_plan import plan_import
from .import_results import CHANGED, NEW, UNCHANGED
from .import_uploads import UploadStore
from .importing import apply_plan
from .models import ImportJob, Observation
from .wide_import import from_csv as wide_from_csv
from .wide_import import is_wide_csv, plan_wide

# Rows listed in a preview, and kept on a job: those that change something or have a problem.
PREVIEW_LIMIT = 1000
SHOWN_CELLS = ("area", "indicator", "year", "year_as_written", "value", "source")
# Why a failed job wrote nothing, in the reader's language ("file" and "rows" say it otherwise).
FAILURES = {
    "expired": gettext_lazy("The upload has expired: choose the file again."),
    "crashed": gettext_lazy("The import stopped because of an unexpected error: nothing was written. Try again later."),
    "unqueued": gettext_lazy(
        "The import could not be started: the queue of background work is unavailable. Try again later."
    ),
}
# A job waiting this long for a worker, or making no progress for this long, says so on its page.
WAITING_HINT_SECONDS = 30
STALLED_SECONDS = 600

Status = ImportJob.Status
# What the tasks change on a job (never its ticket or task id, which the request may be saving).
STATE_FIELDS = [
    "status",
    "rows_total",
    "rows_checked",
    "rows_to_write",
    "rows_written",
    "counts",
    "rows",
    "failure",
    "message",
    "finished_at",
    "updated_at",
]
logger = logging.getLogger("indicators.importing")


# In the request ----------------------------------------------------------------------------------


def inline_limits(limits):
    """The limits of an import within the request: at most ``SMEDASH_IMPORT_INLINE_ROWS`` rows."""
    rows = getattr(settings, "SMEDASH_IMPORT_INLINE_ROWS", 2000)
    return limits if rows >= limits.max_rows else replace(limits, max_rows=rows)


def too_large_for_request(error, inline):
    """Whether reading a file within ``inline_limits`` stopped only because it has more rows."""
    return str(error) in (str(too_many_rows(inline)), str(too_many_raw_rows(inline)))


def start_job(user, name, content, lang, publish):
    """Keep the upload and queue its check; return the job."""
    ticket = UploadStore.keep(name, content, lang, publish, user)
    job = ImportJob.objects.create(
        user=user,
        file_name=name[:255],
        lang=lang,
        publish=publish,
        ui_language=translation.get_language() or settings.LANGUAGE_CODE,
        ticket=ticket,
    )
    _enqueue(job, check_import)
    return job


def confirm_job(job, user):
    """Claim the checked upload and queue its writing. ``AlreadyImported``, ``BeingImported``,
    ``signing.BadSignature`` or FileNotFoundError (expired) as ``UploadStore.claim`` raises them."""
    UploadStore.claim(job.ticket, user, read=False)
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=Status.QUEUED, confirmed_at=now, updated_at=now)
    job.refresh_from_db()
    _enqueue(job, write_import, claimed=True)


def _enqueue(job, job_task, claimed=False):
    try:
        result = job_task.enqueue(job.pk)
    except Exception:
        logger.exception("Import job %s: could not be queued", job.pk)
        (UploadStore.release if claimed else UploadStore.discard)(job.ticket)
        fail(job, "unqueued")
        return
    # Only this column: the immediate backend has already run the task and saved its result.
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def visible_jobs(user):
    """The jobs a staff member may see: their own, or every one for a superuser."""
    jobs = ImportJob.objects.select_related("user")
    return jobs if user.is_superuser else jobs.filter(user=user)


# The tasks ---------------------------------------------------------------------------------------


@task()
def check_import(job_id):
    """Read and check every row of a job's file; nothing is written."""
    job = _take(job_id, confirmed=False)
    if job is None:
        return None
    with translation.override(job.ui_language), _failing(job):
        try:
            content = UploadStore.read(job.ticket)
        except (FileNotFoundError, signing.BadSignature):
            fail(job, "expired")
            return job.status
        try:
            plan = _check(job, content)
        except ImportFileError as error:
            UploadStore.discard(job.ticket)
            fail(job, "file", str(error))
            return job.status
        if not plan.ok:
            UploadStore.discard(job.ticket)
            fail(job, "rows")
            return job.status
        job.status = Status.CHECKED
        job.save(update_fields=STATE_FIELDS)
    return job.status


@task()
def write_import(job_id):
    """Check a confirmed job's file again and write every row in one transaction, or none."""
    job = _take(job_id, confirmed=True)
    if job is None:
        return None
    with translation.override(job.ui_language), _failing(job, claimed=True):
        try:
            content = UploadStore.claimed(job.ticket)
        except (FileNotFoundError, signing.BadSignature):
            fail(job, "expired")
            return job.status
        try:
            plan = _check(job, content)
            if not plan.ok:
                UploadStore.release(job.ticket)
                fail(job, "rows")
                return job.status
            job.status, job.rows_written = Status.WRITING, 0
            job.save(update_fields=STATE_FIELDS)
            reason = _("Imported from %(file)s") % {"file": job.file_name}
            with _readers_not_locked_out():
                apply_plan(plan, user=job.user, reason=reason, progress=lambda done, total: record_progress(job, done))
        except ImportFileError as error:  # the file, or figures written by someone else meanwhile
            UploadStore.release(job.ticket)
            fail(job, "file", str(error))
            return job.status
        UploadStore.finish(job.ticket)
        job.status, job.rows_written, job.finished_at = Status.DONE, job.rows_to_write, timezone.now()
        job.save(update_fields=STATE_FIELDS)
        clear_progress(job)
    return job.status


def _take(job_id, confirmed):
    """The queued job, now being checked; None if it is gone or another run has taken it."""
    taken = ImportJob.objects.filter(pk=job_id, status=Status.QUEUED, confirmed_at__isnull=not confirmed).update(
        status=Status.CHECKING, rows_checked=0, updated_at=timezone.now()
    )
    if not taken:
        logger.info("Import job %s: not waiting for this task, left alone", job_id)
        return None
    return ImportJob.objects.select_related("user").get(pk=job_id)


def _check(job, content):
    """Read and check the file, keeping on the job what the check found."""
    if is_wide_csv(content):  # a wide table, melted in the request: its problems are named by cell
        table = wide_from_csv(content)
        job.rows_total = len(table.entries)
        job.save(update_fields=["rows_total", "updated_at"])
        plan = plan_wide(table, lang=job.lang, publish=job.publish)
    else:
        header, rows = read_table(job.file_name, content, ImportLimits.from_settings())
        job.rows_total = sum(1 for _number, cells in rows if any(cell.strip() for cell in cells))
        job.save(update_fields=["rows_total", "updated_at"])
        plan = plan_import(header, rows, lang=job.lang, publish=job.publish)
    counts = plan.counts()
    job.rows_total = job.rows_checked = len(plan.rows)
    # A file that cannot be imported keeps its problems, not the rows that would have been written.
    job.counts, job.rows = counts, shown_rows(plan, problems_only=not plan.ok)
    job.rows_to_write = counts[NEW] + counts[CHANGED]
    job.save(update_fields=STATE_FIELDS)
    return plan


@contextlib.contextmanager
def _readers_not_locked_out():
    """On SQLite (``make run``), the writing transaction keeps its pages in memory until it commits:
    spilling them into the database file midway would lock every reader out until the commit,
    the status page among them. PostgreSQL's readers are never kept waiting by a writer."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_spill = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_spill = ON")


@contextlib.contextmanager
def _failing(job, claimed=False):
    """Anything unforeseen (a bug, the database gone, the worker stopped) marks the job failed,
    with a message for its owner, and is raised again for the worker to record."""
    try:
        yield
    except BaseException:
        logger.exception("Import job %s stopped", job.pk)
        try:
            if claimed:
                UploadStore.release(job.ticket)
            fail(job, "crashed")
        except Exception:
            logger.exception("Import job %s: could not be marked as failed", job.pk)
        raise


def fail(job, failure, message=""):
    """Finished without writing anything, for one of ``ImportJob.FAILURES``: ``message`` says
    what is wrong with the file as a whole ("file"); the rows' problems are kept by the check."""
    job.status, job.failure, job.message, job.finished_at = Status.FAILED, failure, message, timezone.now()
    job.rows_written = 0
    job.save(update_fields=STATE_FIELDS)
    clear_progress(job)


def expired_message():
    return str(FAILURES["expired"])


# What a job shows --------------------------------------------------------------------------------


def shown_rows(plan, limit=PREVIEW_LIMIT, problems_only=False):
    """The rows that change something or have a problem (``problems_only``: only the latter), at
    most ``limit``, as plain data: the preview's table, and what a job keeps."""
    shown = []
    for row in plan.rows:
        if row.action == UNCHANGED or (problems_only and not row.problems):
            continue
        if len(shown) >= limit:
            break
        obs = row.observation
        shown.append(
            {
                "number": row.number,
                "action": row.action,
                "cells": {name: row.cells.get(name, "") for name in SHOWN_CELLS},
                "problems": [{"column": problem.column, "message": problem.message} for problem in row.problems],
                "year": obs.year if obs is not None else None,
                "status": obs.status if obs is not None else "",
                "changes": [list(change) for change in row.changes],
            }
        )
    return shown


def with_labels(rows):
    """The rows, each with its figure's status in the active language."""
    labels = dict(Observation.Status.choices)
    return [{**row, "status_label": labels.get(row["status"], "")} for row in rows]


def progress(job):
    """What the status page shows of a job under way: a sentence, and a bar's value and maximum
    (no value: a bar that only says "busy")."""
    value = maximum = None
    if job.status == Status.QUEUED and job.confirmed_at:
        text = _("Waiting for the background worker to write the figures.")
    elif job.status == Status.QUEUED:
        text = _("Waiting for the background worker to check the file.")
    elif job.status == Status.CHECKING and job.rows_total:
        text = ngettext("Checking %(count)s row…", "Checking %(count)s rows…", job.rows_total) % {
            "count": job.rows_total
        }
    elif job.status == Status.CHECKING:
        text = _("Reading the file…")
    elif job.status == Status.WRITING:
        value, maximum = read_progress(job), job.rows_to_write
        text = ngettext(
            "%(written)s of %(total)s figure written…", "%(written)s of %(total)s figures written…", maximum
        ) % {"written": value, "total": maximum}
    elif job.status == Status.CHECKED:
        value = maximum = job.rows_checked
        text = ngettext(
            "%(count)s row checked: nothing has been written yet.",
            "%(count)s rows checked: nothing has been written yet.",
            job.rows_checked,
        ) % {"count": job.rows_checked}
    elif job.status == Status.DONE:
        value = maximum = job.rows_written
        text = done_message(job.counts)
    elif job.failure in FAILURES:
        text = str(FAILURES[job.failure])
    elif job.failure == "file":
        text = job.message
    else:
        text = _("Nothing was written: the rows listed below have problems.")
    return {"text": text, "value": value, "max": maximum}


def hint(job, now=None):
    """A note for a job that has waited, or made no progress, for a while; or ""."""
    now = now or timezone.now()
    if job.status == Status.QUEUED and (now - job.updated_at).total_seconds() > WAITING_HINT_SECONDS:
        return _(
            "No background worker has taken this import yet. If this lasts, the worker "
            "(manage.py db_worker) is not running: tell an administrator."
        )
    if job.status in (Status.CHECKING, Status.WRITING):
        last = max(job.updated_at.timestamp(), _progress_time(job))
        if now.timestamp() - last > STALLED_SECONDS:
            return _(
                "This import has made no progress for a long while: the background worker may have stopped. "
                "Nothing is written unless it finishes; tell an administrator."
            )
    return ""


def done_message(counts):
    """What an import did, in the reader's language and digits (in the request or from a job)."""
    shown = {key: format_number(counts.get(key, 0)) for key in (NEW, CHANGED, UNCHANGED)}
    return _("Import done: %(new)s added, %(changed)s changed, %(unchanged)s unchanged.") % shown


# The count of figures written: kept in a file, because the transaction that writes the figures
# hides everything it writes to the database until it commits.


def _progress_path(job):
    return UploadStore.directory() / f"job-{job.pk}.progress"


def record_progress(job, written):
    path = _progress_path(job)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(str(written))
    os.replace(temporary, path)  # a reader sees the old count or the new one, never half of it


def read_progress(job):
    if job.status != Status.WRITING:
        return job.rows_written
    try:
        return min(int(_progress_path(job).read_text() or 0), job.rows_to_write)
    except (FileNotFoundError, ValueError):
        return 0


def _progress_time(job):
    try:
        return _progress_path(job).stat().st_mtime
    except FileNotFoundError:
        return 0


def clear_progress(job):
    _progress_path(job).unlink(missing_ok=True)
