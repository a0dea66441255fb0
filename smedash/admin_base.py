"""What every model admin of the project shares, whatever its app: the site's titles, history,
side-by-side translations, search in any of the three languages and scripts, and the refusal
of a save over another editor's later change.

Every model admin records history (django-simple-history: who, when, what changed, and
"revert to this version"), edits the three languages of a translated field side by side
(modeltranslation without tabs: its tabs load jQuery UI from a CDN, and the admin serves
every asset itself), and lets staff search in any of the three languages. With
``ConcurrentEditAdmin`` a change form opened before someone else saved the same record refuses
to save, and shows both versions.

This module imports nothing from the project's apps (countries, indicators), so that each app's
admin can import it without importing another app's admin.
"""

import hashlib
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, router, transaction
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst, format_lazy
from django.utils.translation import get_language_info, gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.translator import NotRegistered, translator
from persiantools import digits
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

# Arabic and Persian keyboards type different letters for ye and kaf (ي/ی, ك/ک): a search
# typed on either keyboard should find names written with the other.
_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})
_TO_ARABIC = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})

# django-simple-history has no Persian catalogue, and Django's Persian admin misses a few strings:
# they are listed here so that makemessages keeps them in ours (LOCALE_PATHS wins over an app's
# own translations).
THIRD_PARTY_STRINGS = (
    ngettext_lazy("Please correct the error below.", "Please correct the errors below.", 1),
    _("Breadcrumbs"),
    _("Model name"),
    _("Select this object for an action - {}"),
    _("Choose a date from the list below to revert to a previous version of this object."),
    _("This object doesn't have a change history."),
    _("Revert"),
    _("Close"),
    _("Created"),
    _("Changed"),
    _("Deleted"),
    _("View history: %s"),
    _("Change history: %s"),
    _("View %s"),
    _("Revert %s"),
    _("Press the 'Revert' button below to revert to this version of the object."),
)


admin.site.site_header = _("SMEdash administration")
admin.site.site_title = _("SMEdash administration")
admin.site.index_title = _("Statistics on small and medium enterprises")
# The side menu repeats the home page and takes a third of the width the observation list needs
# for long Arabic and Persian indicator names.
admin.site.enable_nav_sidebar = False


def translated(name):
    """modeltranslation's fields of ``name``, one per language: name_en, name_ar, name_fa."""
    return tuple(f"{name}_{lang}" for lang, _label in settings.LANGUAGES)


def _plain_decimal(value):
    """57.5000 -> '57.5': what indicators.text.plain_decimal does, here since this module imports no app."""
    return format(value.normalize(), "f")


def search_variants(term):
    """The term as typed, with Latin digits, and with the Persian and the Arabic ye and kaf."""
    # persiantools directly, not indicators.text.latin_digits: this module imports no app.
    latin = digits.fa_to_en(digits.ar_to_fa(str(term)))
    return {term, latin, latin.translate(_TO_PERSIAN), latin.translate(_TO_ARABIC)}


class ReadableChangesContextHelper(HistoricalRecordContextHelper):
    """Show 'draft → published' and '57.5' on the history page, not 'draft' and '57.5000'."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        value = super().prepare_delta_change_value(change, value)
        if isinstance(value, Decimal):
            return _plain_decimal(value)
        return value


class TranslatedHistoryAdmin(SimpleHistoryAdmin, TranslationAdmin):
    """History, side-by-side translations, and search that forgives the script it is typed in."""

    # In the indicators app's templates; any admin may use them (they name no model).
    object_history_list_template = "admin/indicators/object_history_list.html"
    object_history_form_template = "admin/indicators/object_history_form.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # Django 6's default; a source's address is typed without it
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        language = getattr(db_field, "language", None)  # set on modeltranslation's name_ar, …
        if field is not None and language:
            info = get_language_info(language)
            # "note (Arabic)" in the admin's language rather than modeltranslation's "note [ar]".
            field.label = format_lazy(
                "{} ({})", capfirst(db_field.translated_field.verbose_name), info["name_translated"]
            )
            # An Arabic name is typed right to left even in the English admin, and vice versa.
            field.widget.attrs.update(lang=language, dir="rtl" if info["bidi"] else "ltr")
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.setdefault("rows", 3)  # three languages, one under the other
        return field

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        for variant in search_variants(search_term) - {search_term}:
            more, duplicates = super().get_search_results(request, queryset, variant)
            results, may_have_duplicates = results | more, may_have_duplicates or duplicates
        return results, may_have_duplicates

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChangesContextHelper(self.model, historical_record)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # modeltranslation's original columns (name beside name_en, name_ar, name_fa) repeat one
        # of the languages; the diff shows the languages themselves.
        options = translator.get_options_for_model(self.model)
        excluded = [*options.all_fields, "updated_at"]
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=excluded, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current


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
        return _plain_decimal(value)
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

    # In the indicators app's templates, like the history's; it names no model.
    change_form_template = "admin/indicators/change_form_versioned.html"

    def get_form(self, request, obj=None, *args, **kwargs):
        form = super().get_form(request, obj, *args, **kwargs)
        if obj is None or obj.pk is None:
            return form  # the add form
        return type(form.__name__, (VersionedFormMixin, form), {})
