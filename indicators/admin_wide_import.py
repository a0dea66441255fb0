"""The admin's page for importing a wide table (areas in rows, years in columns): upload with the
indicator, source, caption and location of the table, a preview of every cell (nothing
written), then confirmation, which writes every cell or none (``WideImportAdmin``, mixed into the
observations' model admin beside ``ObservationImportAdmin``). The reading and checking are
``wide_import``'s; the writing is the long import's ``apply_plan``.

What is kept between the preview and its confirmation, and what a table of more than
``SMEDASH_IMPORT_INLINE_ROWS`` figures sends to the background worker, is the melted table
(``WideTable.to_csv``): the worker plans it with ``wide_import.plan_wide``, so its problems are
named by their cells too.
"""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from .import_jobs import PREVIEW_LIMIT, done_message, inline_limits, start_job
from .import_limits import ImportFileError, ImportLimits
from .import_results import UNCHANGED
from .import_uploads import AlreadyImported, BeingImported, UploadStore, with_upload_limit
from .importing import apply_plan
from .models import Observation
from .wide_forms import WideImportForm
from .wide_import import from_csv, plan_wide, read_wide


class WideImportAdmin:
    """For the observations' model admin: the wide-table import page and its URL."""

    def get_urls(self):
        # CSRF is checked inside, once the upload limit is in place (as on the long import's page).
        view = self.admin_site.admin_view(csrf_exempt(self._wide_import_entry))
        return [path("import/wide/", view, name="indicators_observation_import_wide"), *super().get_urls()]

    def _wide_import_entry(self, request):
        return with_upload_limit(self.wide_import_view, request, ImportLimits.from_settings().max_bytes)

    def wide_import_view(self, request, limiter=None):
        """Upload → preview of every cell (nothing written) → confirm → all cells written, or none."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        limits = ImportLimits.from_settings()
        if request.method == "POST" and "ticket" in request.POST:
            return self._confirm_wide(request, request.POST["ticket"])
        form, plan, ticket = WideImportForm(max_bytes=limits.max_bytes), None, None
        if request.method == "POST":
            too_large = limiter is not None and limiter.exceeded
            form = WideImportForm(request.POST, request.FILES, max_bytes=limits.max_bytes, too_large=too_large)
            if form.is_valid():
                upload, options = form.cleaned_data["file"], form.options()
                try:
                    table = read_wide(upload.name, upload.read(), options, limits)
                    inline = inline_limits(limits)
                    if inline is not limits and table.figures > inline.max_rows:
                        job = start_job(request.user, upload.name, table.to_csv(), options.lang, options.publish)
                        return HttpResponseRedirect(reverse("admin:indicators_observation_import_job", args=[job.pk]))
                    plan = plan_wide(table, lang=options.lang, publish=options.publish)
                except ImportFileError as error:
                    form.add_error("file", str(error))
                else:
                    if plan.ok:
                        ticket = UploadStore.keep(
                            upload.name, table.to_csv(), options.lang, options.publish, request.user
                        )
        return self._render_wide(request, form, plan, ticket)

    def _confirm_wide(self, request, ticket):
        """Write what was previewed, checked again; the same preview confirmed twice imports once."""
        changelist = reverse("admin:indicators_observation_changelist")
        try:
            upload = UploadStore.claim(ticket, request.user)
        except AlreadyImported:
            self.message_user(request, gettext("This file has already been imported."), messages.WARNING)
            return HttpResponseRedirect(changelist)
        except BeingImported:
            self.message_user(
                request,
                gettext("This file is being imported: its figures will be in the list when it is done."),
                messages.WARNING,
            )
            return HttpResponseRedirect(changelist)
        except (signing.BadSignature, FileNotFoundError):
            self.message_user(request, gettext("The upload has expired: choose the file again."), messages.ERROR)
            return HttpResponseRedirect(request.path)
        try:
            plan = plan_wide(from_csv(upload["content"]), lang=upload["lang"], publish=upload["publish"])
            if plan.ok:
                reason = gettext("Imported from %(file)s") % {"file": upload["name"]}
                apply_plan(plan, user=request.user, reason=reason)
        except ImportFileError as error:
            UploadStore.release(ticket)
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if not plan.ok:
            UploadStore.release(ticket)
            limits = ImportLimits.from_settings()
            return self._render_wide(request, WideImportForm(max_bytes=limits.max_bytes), plan, None)
        UploadStore.finish(ticket)
        self.message_user(request, done_message(plan.counts()), messages.SUCCESS)
        return HttpResponseRedirect(changelist)

    def _render_wide(self, request, form, plan, ticket):
        limits = ImportLimits.from_settings()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import a wide table (areas × years)"),
            "form": form,
            "plan": plan,
            "counts": plan.counts() if plan else None,
            "cells": shown_cells(plan) if plan else [],
            "preview_limit": PREVIEW_LIMIT,
            "ticket": ticket,
            "limits": limits,
            "inline_rows": inline_limits(limits).max_rows,
        }
        return render(request, "admin/indicators/observation/import_wide.html", context)


def shown_cells(plan, limit=PREVIEW_LIMIT):
    """The cells that change something or have a problem, at most ``limit``, for the preview."""
    labels = dict(Observation.Status.choices)
    shown = []
    for row in plan.rows:
        if row.action == UNCHANGED:
            continue
        if len(shown) >= limit:
            break
        obs = row.observation
        shown.append(
            {
                "cell": row.cell,
                "row_header": row.row_header,
                "column_header": row.column_header,
                "value": row.cells.get("value", ""),
                "area": row.cells.get("area", ""),
                "action": row.action,
                "problems": [problem.message for problem in row.problems],
                "changes": row.changes,
                "year": obs.year if obs is not None else None,
                "status_label": labels.get(obs.status, "") if obs is not None else "",
            }
        )
    return shown
