"""The admin's pages for importing observations from a file: upload, a preview of every row
(nothing written), then confirmation, which writes every row or none (``ObservationImportAdmin``,
mixed into the observations' model admin). The import itself is ``indicators.importing``'s.
"""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .exports import EXPORT_COLUMNS
from .forms import ImportForm
from .import_files import read_table
from .import_limits import ImportFileError, ImportLimits
from .import_plan import UNCHANGED, plan_import
from .import_uploads import AlreadyImported, BeingImported, UploadLimit, UploadStore
from .importing import apply_plan

PREVIEW_LIMIT = 1000


class ObservationImportAdmin:
    """For the observations' model admin: the import page, its URL, and its button on the list."""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        # CSRF is checked inside, once the upload limit is in place: Django's CSRF middleware
        # would read the whole upload before the view could set it.
        view = self.admin_site.admin_view(csrf_exempt(self._import_entry))
        return [path("import/", view, name="indicators_observation_import"), *super().get_urls()]

    def _import_entry(self, request):
        limiter = UploadLimit(ImportLimits.from_settings().max_bytes, request)
        try:
            request.upload_handlers = [limiter, *request.upload_handlers]
        except AttributeError:  # the request was read already: the form checks the size instead
            limiter = None
        return csrf_protect(self.import_view)(request, limiter)

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
                try:
                    header, rows = read_table(upload.name, content, limits)
                    plan = plan_import(header, rows, lang=options["lang"], publish=options["publish"])
                except ImportFileError as error:
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
        self.message_user(request, self._summary(plan), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:indicators_observation_changelist"))

    def _render_import(self, request, form, plan, ticket):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import observations from a file"),
            "form": form,
            "plan": plan,
            "counts": plan.counts() if plan else None,
            "shown_rows": [row for row in plan.rows if row.action != UNCHANGED][:PREVIEW_LIMIT] if plan else [],
            "preview_limit": PREVIEW_LIMIT,
            "ticket": ticket,
            "columns": EXPORT_COLUMNS,
            "limits": ImportLimits.from_settings(),
        }
        return render(request, "admin/indicators/observation/import.html", context)

    @staticmethod
    def _summary(plan):
        counts = plan.counts()
        return gettext("Import done: %(new)d added, %(changed)d changed, %(unchanged)d unchanged.") % counts
