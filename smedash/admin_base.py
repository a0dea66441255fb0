"""What every model admin of the project shares, whatever its app: the site's titles, history,
side-by-side translations, and search in any of the three languages and scripts.

Every model admin records history (django-simple-history: who, when, what changed, and
"revert to this version"), edits the three languages of a translated field side by side
(modeltranslation without tabs: its tabs load jQuery UI from a CDN, and the admin serves
every asset itself), and lets staff search in any of the three languages.

This module imports nothing from the project's apps (countries, indicators), so that each app's
admin can import it without importing another app's admin.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.utils.text import capfirst, format_lazy
from django.utils.translation import get_language_info, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.translator import translator
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
            # What indicators.text.plain_decimal does (57.5000 -> 57.5), inline: no app imported here.
            return format(value.normalize(), "f")
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
