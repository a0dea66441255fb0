"""The staff side of the statistics: indicators, sources and observations, in English, Arabic
and Persian; publishing, deleting and importing figures.

What every model admin shares (history, side-by-side translations, search in any script) is in
smedash/admin_base.py.
"""

import hashlib
import os
import secrets
import time
from decimal import Decimal
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from modeltranslation.translator import NotRegistered, translator
from simple_history.utils import bulk_update_with_history

from smedash.admin_base import TranslatedHistoryAdmin, translated

from .exports import EXPORT_COLUMNS
from .forms import ImportForm, ObservationForm
from .importing import UNCHANGED, ImportFileError, ImportLimits, apply_plan, plan_import, read_table
from .models import Indicator, Observation, Source
from .text import plain_decimal
from .writes import figures_changed

# Two editors at once -----------------------------------------------------------------------

VERSION_FIELD = "edit_version"


def record_version(obj):
    """The version of a stored record, carried by its change form from the moment it is opened:
    the time of its last change, where the model keeps one, and a fingerprint of its stored
    values (every model has those; the time alone would not see a change made in bulk)."""
    skip = _translated_originals(type(obj))
    values = [
        (field.attname, field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.name not in skip and not getattr(field, "auto_now", False)
    ]
    digest = hashlib.sha256(repr(values).encode()).hexdigest()[:32]
    updated = getattr(obj, "updated_at", None)
    return f"{updated.isoformat()}|{digest}" if updated else digest


def _fingerprint(version):
    return version.rpartition("|")[2]


def _translated_originals(model):
    """modeltranslation's original columns (name beside name_en…): read through them, a value
    depends on the active language."""
    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


class VersionField(forms.CharField):
    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False  # not an edit: never in the change message or the history


class VersionedFormMixin:
    """The change form of a record: it refuses to save over a change someone else made after it
    was opened, and shows that version's values next to the editor's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = VersionField(required=False)
        if not self.is_bound and self.instance.pk is not None:
            # The stored record, not self.instance: the history's revert form shows an old version.
            stored = _stored(type(self.instance), self.instance.pk)
            if stored is not None:
                self.initial[VERSION_FIELD] = record_version(stored)

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get(VERSION_FIELD)
        if opened:  # a form posted without it (a script, an old page) is saved as before
            self._refuse_if_changed_since(opened, cleaned)
        return cleaned

    def _refuse_if_changed_since(self, opened, cleaned):
        model = type(self.instance)
        # The admin saves in a transaction: the row stays locked until this save commits, so that
        # two saves at the same moment cannot both pass this check (PostgreSQL; SQLite writes one
        # at a time anyway).
        locked = transaction.get_connection(router.db_for_write(model)).in_atomic_block
        stored = _stored(model, self.instance.pk, lock=locked)
        if stored is None or _fingerprint(record_version(stored)) == _fingerprint(opened):
            return
        differences = list(self._differences(stored, cleaned))
        if differences:  # a save that would put back nothing of theirs can go ahead
            raise ValidationError(_conflict_message(stored, differences), code="edit_conflict")

    def _differences(self, stored, cleaned):
        """(label, their value, yours) for each field of the form whose stored value is not the
        one being saved."""
        for name, form_field in self.fields.items():
            if name == VERSION_FIELD or name not in cleaned:
                continue
            try:
                field = stored._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.concrete or field.many_to_many:
                continue
            theirs, yours = field.value_from_object(stored), cleaned[name]
            if isinstance(yours, models.Model):
                yours = yours.pk
            if _same(theirs, yours):
                continue
            yield form_field.label or name, _shown_value(field, theirs), _shown_value(field, yours)


def _stored(model, pk, lock=False):
    """The record as stored now; ordered by its key alone, so that no joined row is locked."""
    rows = model._base_manager.filter(pk=pk).order_by("pk")
    return (rows.select_for_update() if lock else rows).first()


def _same(a, b):
    empty = (None, "")
    return (a in empty and b in empty) or a == b


def _shown_value(field, value):
    if value is None or value == "":
        return "—"
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        return str(related if related is not None else value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Decimal):
        return plain_decimal(value)
    return str(value)


def _conflict_message(stored, differences):
    last = None
    if hasattr(stored, "history"):
        last = stored.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    name = stored._meta.verbose_name
    if last is not None and last.history_user is not None:
        text = gettext(
            "%(user)s changed this %(name)s at %(time)s, after you opened this page. Nothing was saved, so as "
            "not to undo their change. Their values and yours are below: reload the page to start from their "
            "version, then make your change again."
        ) % {
            "user": last.history_user.get_username(),
            "name": name,
            "time": formats.date_format(timezone.localtime(last.history_date), "DATETIME_FORMAT"),
        }
    else:
        text = gettext(
            "Someone else changed this %(name)s after you opened this page. Nothing was saved, so as not to "
            "undo their change. Their values and yours are below: reload the page to start from their "
            "version, then make your change again."
        ) % {"name": name}
    rows = format_html_join(
        "", "<tr><th scope='row'>{}</th><td><bdi>{}</bdi></td><td><bdi>{}</bdi></td></tr>", differences
    )
    return format_html(
        "<p>{}</p><table class='smedash-conflict'><thead><tr><th scope='col'>{}</th><th scope='col'>{}</th>"
        "<th scope='col'>{}</th></tr></thead><tbody>{}</tbody></table>",
        text,
        gettext("field"),
        gettext("saved now (their version)"),
        gettext("yours (not saved)"),
        rows,
    )


class ConcurrentEditAdmin:
    """For a model admin: a change form opened before someone else saved the same record refuses
    to save, instead of silently putting back the old values (``VersionedFormMixin``). Its
    template renders the hidden version field (and styles the comparison)."""

    change_form_template = "admin/indicators/change_form_versioned.html"

    def get_form(self, request, obj=None, *args, **kwargs):
        form = super().get_form(request, obj, *args, **kwargs)
        if obj is None or obj.pk is None:
            return form  # the add form
        return type(form.__name__, (VersionedFormMixin, form), {})


@admin.register(Indicator)
class IndicatorAdmin(ConcurrentEditAdmin, TranslatedHistoryAdmin):
    list_display = ["code", "name", "unit", "headline", "countries_only", "position"]
    list_filter = ["unit", "headline", "countries_only"]
    search_fields = ["code", *translated("name")]
    fieldsets = [
        (None, {"fields": ["code", *translated("name"), "unit", ("headline", "position"), "countries_only"]}),
        (_("description"), {"fields": translated("description")}),
    ]


@admin.register(Source)
class SourceAdmin(ConcurrentEditAdmin, TranslatedHistoryAdmin):
    list_display = ["identifier", "title", "kind", "language"]
    list_filter = ["kind", "language"]
    search_fields = ["identifier", *translated("title"), *translated("publisher")]
    fieldsets = [
        (None, {"fields": ["identifier", *translated("title"), ("kind", "language"), "url"]}),
        (_("publisher"), {"fields": [*translated("publisher"), *translated("date_known")]}),
        (_("summary"), {"fields": translated("summary")}),
    ]


@admin.register(Observation)
class ObservationAdmin(ConcurrentEditAdmin, TranslatedHistoryAdmin):
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
        # CSRF is checked inside, once the upload limit is in place: Django's CSRF middleware
        # would read the whole upload before the view could set it.
        view = self.admin_site.admin_view(csrf_exempt(self._import_entry))
        return [path("import/", view, name="indicators_observation_import"), *super().get_urls()]

    def _import_entry(self, request):
        limiter = _UploadLimit(ImportLimits.from_settings().max_bytes, request)
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
                        ticket = _UploadStore.keep(
                            upload.name, content, options["lang"], options["publish"], request.user
                        )
        return self._render_import(request, form, plan, ticket)

    def _confirm_import(self, request, ticket, limits):
        """Write what was previewed. The ticket is claimed first, so that the same preview
        confirmed twice (a double click, a second tab) is imported once."""
        try:
            upload = _UploadStore.claim(ticket, request.user)
        except _AlreadyImported:
            self.message_user(request, gettext("This file has already been imported."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:indicators_observation_changelist"))
        except _BeingImported:
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
            _UploadStore.release(ticket)
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if not plan.ok:
            _UploadStore.release(ticket)
            return self._render_import(request, ImportForm(max_bytes=limits.max_bytes), plan, None)
        _UploadStore.finish(ticket)
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


PREVIEW_LIMIT = 1000


class _UploadLimit(FileUploadHandler):
    """Stops taking a file as soon as it is larger than the limit: the rest of the request is read
    and thrown away, never kept in memory or on disk."""

    def __init__(self, limit, request=None):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file


class _AlreadyImported(Exception):
    pass


class _BeingImported(Exception):
    pass


class _UploadStore:
    """The uploaded file between preview and confirmation, in a private directory under var/.

    The form carries only a signed ticket (the file's random name and the options, bound to
    the user), so nobody can make the server read a file of their choosing. Confirming claims the
    file by renaming it (``<token>.importing``), which only one request can do; once imported a
    marker (``<token>.done``) says so to a second confirmation.
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
        for old in folder.iterdir():  # uploads never confirmed, and old markers
            try:
                if old.stat().st_mtime < time.time() - cls.MAX_AGE:
                    old.unlink(missing_ok=True)
            except FileNotFoundError:
                pass  # removed meanwhile by another request
        token = secrets.token_hex(16)
        (folder / token).write_bytes(content)
        data = {"token": token, "name": name, "lang": lang, "publish": publish, "user": user.pk}
        return signing.dumps(data, salt=cls.SALT)

    @classmethod
    def _paths(cls, ticket, user=None, max_age=MAX_AGE):
        data = signing.loads(ticket, salt=cls.SALT, max_age=max_age)
        if user is not None and data["user"] != user.pk:
            raise signing.BadSignature("another user's upload")
        base = cls.directory() / data["token"]
        return data, base, base.with_suffix(".importing"), base.with_suffix(".done")

    @classmethod
    def claim(cls, ticket, user):
        """The upload, for this request alone; ``_AlreadyImported``, ``_BeingImported`` or
        FileNotFoundError (expired) otherwise."""
        data, waiting, claimed, done = cls._paths(ticket, user)
        try:
            os.rename(waiting, claimed)  # atomic: a second request finds the file gone
        except FileNotFoundError:
            if done.exists():
                raise _AlreadyImported from None
            if claimed.exists():
                raise _BeingImported from None
            raise
        return {**data, "content": claimed.read_bytes()}

    @classmethod
    def finish(cls, ticket):
        _data, _waiting, claimed, done = cls._paths(ticket, max_age=None)
        done.touch()
        claimed.unlink(missing_ok=True)

    @classmethod
    def release(cls, ticket):
        """Not imported (the file or the figures had a problem): the upload is thrown away."""
        _data, _waiting, claimed, _done = cls._paths(ticket, max_age=None)
        claimed.unlink(missing_ok=True)
