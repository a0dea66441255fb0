from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from smedash.admin_base import ConcurrentEditAdmin, TranslatedHistoryAdmin, translated

from .models import Area


class AreaForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A country's names come from the ISO list in three languages (Area.fill_country_names).
        if "name_en" in self.fields:
            self.fields["name_en"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") not in (None, Area.Kind.COUNTRY) and not cleaned.get("name_en"):
            self.add_error("name_en", _("A group of countries or a region needs a name, at least in English."))
        return cleaned


@admin.register(Area)
class AreaAdmin(ConcurrentEditAdmin, TranslatedHistoryAdmin):
    form = AreaForm
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", *translated("name")]
    autocomplete_fields = ["parent"]
    fieldsets = [
        (
            None,
            {
                "fields": [("code", "kind"), *translated("name"), "parent"],
                "description": _(
                    "A country's names are filled in from the ISO list in English, Arabic and Persian when left empty."
                ),
            },
        ),
    ]
