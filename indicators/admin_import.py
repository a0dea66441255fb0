"""The admin's pages for importing observations from a file: upload, a preview of every row
(nothing written), then confirmation, which writes every row or none (``ObservationImportAdmin``,
mixed into the observations' model admin). The import itself is ``indicators.importing``'s.

A file of more than ``SMEDASH_IMPORT_INLINE_ROWS`` rows is checked, then written, in the
background (``indicators.import_jobs``): the staff member is sent to the job's status page, which
follows its progress and then shows the preview to confirm, the result, or each row's problems.
"""

from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django_tasks_db.models import DBTaskResult

from .exports import EXPORT_COLUMNS
from .forms import ImportForm
from .import_files import read_table
from .import_jobs import (
    PREVIEW_LIMIT,
    confirm_job,
    done_message,
    expired_message,
    fail,
    hint,
    inline_limits,
    progress,
    shown_rows,
    start_job,
    too_large_for_request,
    visible_jobs,
    with_labels,
)
from .import_limits import ImportFileError, ImportLimits
from .import_plan import plan_import
from .import_uploads import AlreadyImported, BeingImported, UploadStore, with_upload_limit
from .importing import apply_plan
from .models import ImportJob

RECENT_JOBS = 10

# The task queue's own admin pages (django-tasks-db's task results) are in English only, in an
# admin that is otherwise in English, Arabic and Persian: an import's page says what staff need,
# and the worker's log has each failed task's traceback.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


class ObservationImportAdmin:
    """For the observations' model admin: the import page, its URL, and its button on the list."""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        # CSRF is checked inside, once the upload limit is in place: Django's CSRF middleware
        # would read the whole upload before the view could set it.
        view = self.admin_site.admin_view(csrf_exempt(self._import_entry))
        job = self.admin_site.admin_view(self.import_job_view)
        job_progress = self.admin_site.admin_view(self.import_job_progress)
        return [
            path("import/", view, name="indicators_observation_import"),
            path("import/jobs/<int:pk>/", job, name="indicators_observation_import_job"),
            path("import/jobs/<int:pk>/progress/", job_progress, name="indicators_observation_import_job_progress"),
            *super().get_urls(),
        ]

    def _import_entry(self, request):
        return with_upload_limit(self.import_view, request, ImportLimits.from_settings().max_bytes)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"has_import_permission": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request, limiter=None):
        """Upload → preview of every row (nothing written) → confirm → all rows written, or none."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        limits = ImportLimits.from_settings()
        form, plan, ticket = ImportForm(max_bytes=limits.max_bytes), None, None
        if request.method == "POST" and "ticket" in request.POST:
            return self._confirm_import(request, request.POST["ticket"], limits)
        if request.method == "POST":
            too_large = limiter is not None and limiter.exceeded
            form = ImportForm(request.POST, request.FILES, max_bytes=limits.max_bytes, too_large=too_large)
            if form.is_valid():
                upload, options = form.cleaned_data["file"], form.cleaned_data
                content = upload.read()
                inline = inline_limits(limits)
                try:
                    # Read no further than the rows checked within the request: a larger file
                    # goes to the background, where the limits are read in full.
                    header, rows = read_table(upload.name, content, inline)
                    plan = plan_import(header, rows, lang=options["lang"], publish=options["publish"])
                except ImportFileError as error:
                    if inline is not limits and too_large_for_request(error, inline):
                        job = start_job(request.user, upload.name, content, options["lang"], options["publish"])
                        return HttpResponseRedirect(self._job_url(job))
                    form.add_error("file", str(error))
                else:
                    if plan.ok:
                        ticket = UploadStore.keep(
                            upload.name, content, options["lang"], options["publish"], request.user
                        )
        return self._render_import(request, form, plan, ticket)

    def _confirm_import(self, request, ticket, limits):
        """Write what was previewed. The ticket is claimed first, so that the same preview
        confirmed twice (a double click, a second tab) is imported once."""
        try:
            upload = UploadStore.claim(ticket, request.user)
        except AlreadyImported:
            self.message_user(request, gettext("This file has already been imported."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:indicators_observation_changelist"))
        except BeingImported:
            self.message_user(
                request,
                gettext("This file is being imported: its figures will be in the list when it is done."),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:indicators_observation_changelist"))
        except (signing.BadSignature, FileNotFoundError):
            self.message_user(request, gettext("The upload has expired: choose the file again."), messages.ERROR)
            return HttpResponseRedirect(request.path)
        try:
            # Checked again: the figures may have changed since the preview.
            header, rows = read_table(upload["name"], upload["content"], limits)
            plan = plan_import(header, rows, lang=upload["lang"], publish=upload["publish"])
            if plan.ok:
                reason = gettext("Imported from %(file)s") % {"file": upload["name"]}
                apply_plan(plan, user=request.user, reason=reason)
        except ImportFileError as error:
            UploadStore.release(ticket)
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if not plan.ok:
            UploadStore.release(ticket)
            return self._render_import(request, ImportForm(max_bytes=limits.max_bytes), plan, None)
        UploadStore.finish(ticket)
        self.message_user(request, done_message(plan.counts()), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:indicators_observation_changelist"))

    def _render_import(self, request, form, plan, ticket):
        limits = ImportLimits.from_settings()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import observations from a file"),
            "form": form,
            "plan": plan,
            "counts": plan.counts() if plan else None,
            "shown_rows": with_labels(shown_rows(plan)) if plan else [],
            "preview_limit": PREVIEW_LIMIT,
            "ticket": ticket,
            "columns": EXPORT_COLUMNS,
            "limits": limits,
            "inline_rows": inline_limits(limits).max_rows,
            "background": inline_limits(limits) is not limits,
            "jobs": visible_jobs(request.user)[:RECENT_JOBS] if plan is None else [],
        }
        return render(request, "admin/indicators/observation/import.html", context)

    # Imports in the background ---------------------------------------------------------------

    @staticmethod
    def _job_url(job):
        return reverse("admin:indicators_observation_import_job", args=[job.pk])

    def _visible_job(self, request, pk):
        """The job, for its owner or a superuser; 404 for anyone else, who need not know it exists."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            return visible_jobs(request.user).get(pk=pk)
        except ImportJob.DoesNotExist:
            raise Http404 from None

    def import_job_view(self, request, pk):
        """A job's progress; then the preview to confirm, the result, or its rows' problems."""
        job = self._visible_job(request, pk)
        if request.method == "POST":
            return self._confirm_job(request, job)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import of %(file)s") % {"file": job.file_name},
            "job": job,
            "under_way": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.CHECKING, ImportJob.Status.WRITING),
            "progress": progress(job),
            "hint": hint(job),
            "counts": job.counts,
            "shown_rows": with_labels(job.rows),
            "preview_limit": PREVIEW_LIMIT,
            "can_confirm": job.status == ImportJob.Status.CHECKED and job.user_id == request.user.pk,
            "progress_url": reverse("admin:indicators_observation_import_job_progress", args=[job.pk]),
        }
        return render(request, "admin/indicators/observation/import_job.html", context)

    def import_job_progress(self, request, pk):
        """The job's state for the status page's script, which reloads the page when it changes."""
        job = self._visible_job(request, pk)
        return JsonResponse({"status": job.status, "label": job.get_status_display(), **progress(job)})

    def _confirm_job(self, request, job):
        """Queue the writing of a checked job. The upload is claimed first, as in the request, so
        that a second confirmation (a double click, another tab) imports nothing."""
        if job.user_id != request.user.pk:
            raise PermissionDenied
        Status = ImportJob.Status
        if job.status == Status.DONE:
            self.message_user(request, gettext("This file has already been imported."), messages.WARNING)
        elif job.status == Status.CHECKED or (job.confirmed_at and job.status != Status.FAILED):
            try:
                confirm_job(job, request.user)
            except AlreadyImported:
                self.message_user(request, gettext("This file has already been imported."), messages.WARNING)
            except BeingImported:
                self.message_user(
                    request,
                    gettext("This file is being imported: its figures will be in the list when it is done."),
                    messages.WARNING,
                )
            except (signing.BadSignature, FileNotFoundError):
                if job.status == Status.CHECKED:
                    fail(job, "expired")
                self.message_user(request, expired_message(), messages.ERROR)
        return HttpResponseRedirect(self._job_url(job))
