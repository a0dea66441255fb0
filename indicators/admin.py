"""The staff side of the statistics: indicators, sources and observations, in English, Arabic
and Persian; publishing, deleting and importing figures.

What every model admin shares (history, side-by-side translations, search in any script) is in
smedash/admin_base.py.
"""

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from smedash.admin_base import TranslatedHistoryAdmin, translated

from .exports import EXPORT_COLUMNS
from .forms import ImportForm, ObservationForm
from .importing import UNCHANGED, ImportFileError, apply_plan, plan_import, read_table
from .models import Indicator, Observation, Source
from .text import plain_decimal
from .writes import figures_changed


@admin.register(Indicator)
class IndicatorAdmin(TranslatedHistoryAdmin):
    list_display = ["code", "name", "unit", "headline", "countries_only", "position"]
    list_filter = ["unit", "headline", "countries_only"]
    search_fields = ["code", *translated("name")]
    fieldsets = [
        (None, {"fields": ["code", *translated("name"), "unit", ("headline", "position"), "countries_only"]}),
        (_("description"), {"fields": translated("description")}),
    ]


@admin.register(Source)
class SourceAdmin(TranslatedHistoryAdmin):
    list_display = ["identifier", "title", "kind", "language"]
    list_filter = ["kind", "language"]
    search_fields = ["identifier", *translated("title"), *translated("publisher")]
    fieldsets = [
        (None, {"fields": ["identifier", *translated("title"), ("kind", "language"), "url"]}),
        (_("publisher"), {"fields": [*translated("publisher"), *translated("date_known")]}),
        (_("summary"), {"fields": translated("summary")}),
    ]


@admin.register(Observation)
class ObservationAdmin(TranslatedHistoryAdmin):
    form = ObservationForm
    change_list_template = "admin/indicators/observation/change_list.html"
    autocomplete_fields = ["area", "indicator", "source"]
    # Few, narrow columns: with long indicator names in Arabic and Persian, more would push the
    # status off the screen.
    list_display = ["area", "indicator", "year_shown", "value_shown", "status_shown", "source_shown"]
    list_filter = ["status", "indicator", "area__kind", "source", "year_calendar", "qualifier"]
    list_select_related = ["area", "indicator", "source"]
    search_fields = [
        "area__code",
        *(f"area__{name}" for name in translated("name")),
        "indicator__code",
        *(f"indicator__{name}" for name in translated("name")),
        "source__identifier",
        *(f"source__{name}" for name in translated("title")),
        "year_as_written",
        "quote",
    ]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["publish_selected", "unpublish_selected", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["area", "indicator", "source", "quote"]}),
        (_("The figure"), {"fields": ["value", "qualifier", "scope"]}),
        (
            _("Year"),
            {
                "fields": ["year_as_written", "year_calendar", "year"],
                "description": _(
                    "Type the year as the source writes it and choose its calendar: a Solar Hijri year "
                    "(۱۳۹۲) is converted to the Gregorian year in which it begins (2013). "
                    "Leave everything empty when the source gives no year."
                ),
            },
        ),
        (_("SME definition and note"), {"fields": [*translated("definition"), *translated("note")]}),
        (_("Publication"), {"fields": ["status", ("created_at", "updated_at")]}),
    ]

    # Columns ---------------------------------------------------------------------------

    @admin.display(description=_("year"), ordering="year")
    def year_shown(self, obj):
        year = "—" if obj.year is None else str(obj.year)
        if obj.year_as_written and obj.year_as_written != year:
            # The source's own wording underneath, isolated so that its digits and brackets keep their order.
            return format_html(
                "{}<br><small class='quiet'><bdi>{}</bdi> ({})</small>",
                year,
                obj.year_as_written,
                obj.get_year_calendar_display(),
            )
        return year

    @admin.display(description=_("value"), ordering="value")
    def value_shown(self, obj):
        # No space: "99%" keeps the sign beside its number in a right-to-left line too.
        suffix = "%" if obj.indicator.is_share else ""
        qualifier = "" if obj.qualifier == Observation.Qualifier.EXACT else obj.get_qualifier_display()
        return format_html(
            "<bdi dir='ltr'>{}{}</bdi><br><small class='quiet'>{}</small>", plain_decimal(obj.value), suffix, qualifier
        )

    @admin.display(description=_("source"), ordering="source__identifier")
    def source_shown(self, obj):
        return Truncator(str(obj.source)).chars(40)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj):
        return format_html(
            "<span class='smedash-status smedash-status-{}'>{}</span>", obj.status, obj.get_status_display()
        )

    # Publishing ------------------------------------------------------------------------

    @admin.action(permissions=["change"], description=_("Publish selected figures"))
    def publish_selected(self, request, queryset):
        count = self._set_status(request, queryset, Observation.Status.PUBLISHED, gettext("Published"))
        message = ngettext("%(count)d figure published.", "%(count)d figures published.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Unpublish selected figures (back to draft)"))
    def unpublish_selected(self, request, queryset):
        count = self._set_status(request, queryset, Observation.Status.DRAFT, gettext("Unpublished"))
        message = ngettext("%(count)d figure unpublished.", "%(count)d figures unpublished.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    def _set_status(self, request, queryset, status, reason):
        """Change the status with one history record per figure, and refresh the public pages."""
        changing = list(queryset.exclude(status=status))
        now = timezone.now()
        for obs in changing:
            obs.status, obs.updated_at = status, now
        with transaction.atomic():
            bulk_update_with_history(
                changing,
                Observation,
                ["status", "updated_at"],
                default_user=request.user,
                default_change_reason=reason,
                default_date=now,
            )
            # A bulk update sends no signals: recount the coverage, bump the data version after commit.
            figures_changed(changing)
        return len(changing)

    # Deleting: a figure that has ever been public stays, unless an administrator removes it.

    def has_delete_permission(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        ever_published = Observation.objects.filter(pk=obj.pk).ever_published().exists()
        return not ever_published and super().has_delete_permission(request, obj)

    @admin.action(permissions=["delete"], description=_("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        if not request.user.is_superuser and queryset.ever_published().exists():
            self.message_user(
                request,
                _(
                    "Published figures, and figures that once were, can only be deleted by an administrator. "
                    "Unpublish them to take them off the public pages."
                ),
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)

    # Import ----------------------------------------------------------------------------

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="indicators_observation_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"has_import_permission": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload → preview of every row (nothing written) → confirm → all rows written, or none."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form, plan, ticket = ImportForm(), None, None
        if request.method == "POST" and "ticket" in request.POST:
            try:
                upload = _UploadStore.open(request.POST["ticket"], request.user)
            except (signing.BadSignature, FileNotFoundError):
                self.message_user(request, gettext("The upload has expired: choose the file again."), messages.ERROR)
                return HttpResponseRedirect(request.path)
            plan = self._plan(request, upload)
            if plan is not None and plan.ok:
                reason = gettext("Imported from %(file)s") % {"file": upload["name"]}
                apply_plan(plan, user=request.user, reason=reason)
                _UploadStore.discard(request.POST["ticket"])
                self.message_user(request, self._summary(plan), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:indicators_observation_changelist"))
        elif request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload, options = form.cleaned_data["file"], form.cleaned_data
                content = upload.read()
                try:
                    header, rows = read_table(upload.name, content)
                    plan = plan_import(header, rows, lang=options["lang"], publish=options["publish"])
                except ImportFileError as error:
                    form.add_error("file", str(error))
                else:
                    if plan.ok:
                        ticket = _UploadStore.keep(
                            upload.name, content, options["lang"], options["publish"], request.user
                        )
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
        }
        return render(request, "admin/indicators/observation/import.html", context)

    def _plan(self, request, upload):
        try:
            header, rows = read_table(upload["name"], upload["content"])
            return plan_import(header, rows, lang=upload["lang"], publish=upload["publish"])
        except ImportFileError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None

    @staticmethod
    def _summary(plan):
        counts = plan.counts()
        return gettext("Import done: %(new)d added, %(changed)d changed, %(unchanged)d unchanged.") % counts


PREVIEW_LIMIT = 1000


class _UploadStore:
    """The uploaded file between preview and confirmation, in a private directory under var/.

    The form carries only a signed ticket (the file's random name and the options, bound to
    the user), so nobody can make the server read a file of their choosing.
    """

    SALT = "smedash.import"
    MAX_AGE = 3600

    @classmethod
    def directory(cls):
        folder = Path(settings.VAR_DIR) / "imports"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    @classmethod
    def keep(cls, name, content, lang, publish, user):
        folder = cls.directory()
        for old in folder.iterdir():  # uploads never confirmed
            if old.stat().st_mtime < time.time() - cls.MAX_AGE:
                old.unlink(missing_ok=True)
        token = secrets.token_hex(16)
        (folder / token).write_bytes(content)
        data = {"token": token, "name": name, "lang": lang, "publish": publish, "user": user.pk}
        return signing.dumps(data, salt=cls.SALT)

    @classmethod
    def open(cls, ticket, user):
        data = signing.loads(ticket, salt=cls.SALT, max_age=cls.MAX_AGE)
        if data["user"] != user.pk:
            raise signing.BadSignature("another user's upload")
        return {**data, "content": (cls.directory() / data["token"]).read_bytes()}

    @classmethod
    def discard(cls, ticket):
        data = signing.loads(ticket, salt=cls.SALT)
        (cls.directory() / data["token"]).unlink(missing_ok=True)
