"""Imports run in the background (``ImportJob``): a file above ``SMEDASH_IMPORT_INLINE_ROWS`` rows
is checked by a task and, once the staff member who sent it confirms, written by another
(``indicators.import_jobs``); the admin shows its progress, then its result or its problems."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting for the background worker")
        CHECKING = "checking", _("checking the rows")
        CHECKED = "checked", _("checked: waiting for your confirmation")
        WRITING = "writing", _("writing the figures")
        DONE = "done", _("done")
        FAILED = "failed", _("not imported")

    FINISHED = (Status.DONE, Status.FAILED)
    # Why a failed job wrote nothing; its page says so in the reader's language
    # (``import_jobs.FAILURES``). "file": ``message`` says what is wrong with the file as a whole.
    FAILURES = ("file", "rows", "expired", "crashed", "unqueued")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("started by")
    )
    file_name = models.CharField(_("file"), max_length=255)
    # The import's options, as on the form.
    lang = models.CharField(_("language of the notes and definitions"), max_length=8, choices=settings.LANGUAGES)
    publish = models.BooleanField(_("publish every figure in the file"), default=False)
    # The admin's language when the file was sent: the tasks write the rows' problems in it.
    ui_language = models.CharField(max_length=8, default=settings.LANGUAGE_CODE, editable=False)
    # The upload kept between check and confirmation (``UploadStore``), and the task running now.
    ticket = models.TextField(editable=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Progress: rows of the file checked, then figures written (the live count while writing is
    # kept beside the upload, outside the transaction: see ``import_jobs.read_progress``).
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_to_write = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    # What the check found ({"new": …, "changed": …, "unchanged": …, "rejected": …}), the rows
    # that change something or have a problem (at most ``import_jobs.PREVIEW_LIMIT``; the
    # problems are written in ``ui_language``), and why a failed job wrote nothing.
    counts = models.JSONField(default=dict, blank=True)
    rows = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=10, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import in the background")
        verbose_name_plural = _("imports in the background")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="import_job_user_recent")]
        constraints = [
            models.CheckConstraint(
                name="import_job_status_valid",
                condition=Q(status__in=["queued", "checking", "checked", "writing", "done", "failed"]),
            ),
            models.CheckConstraint(
                name="import_job_checked_within_total", condition=Q(rows_checked__lte=F("rows_total"))
            ),
            models.CheckConstraint(
                name="import_job_written_within_total", condition=Q(rows_written__lte=F("rows_to_write"))
            ),
            models.CheckConstraint(
                name="import_job_failure_valid",
                condition=Q(failure="", status__in=["queued", "checking", "checked", "writing", "done"])
                | Q(failure__in=["file", "rows", "expired", "crashed", "unqueued"], status="failed"),
            ),
            # A finished job says when; a job still under way does not.
            models.CheckConstraint(
                name="import_job_finished_when_done",
                condition=(Q(status__in=["done", "failed"]) & Q(finished_at__isnull=False))
                | (~Q(status__in=["done", "failed"]) & Q(finished_at__isnull=True)),
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def finished(self):
        return self.status in self.FINISHED
