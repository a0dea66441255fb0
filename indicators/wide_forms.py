"""The form of the wide-table import (``wide_import``): the file, and what it says of the whole
sheet (indicator, source, the table's caption and location, scope, qualifier, what it counts)."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .forms import file_too_large_message
from .models import Indicator, Observation, Source
from .text import strip_control

WIDE_EXTENSIONS = (".csv", ".xlsx", ".ods")


@dataclass(frozen=True)
class WideOptions:
    """What the form (or the command) says of the whole sheet."""

    indicator: str
    source: str
    caption: str
    location: str
    scope: str = Observation.Scope.NOT_STATED
    qualifier: str = Observation.Qualifier.EXACT
    measured_as: str = ""
    lang: str = "en"
    publish: bool = False

    @property
    def quote(self):
        return f"{self.caption.strip()} ({self.location.strip()})"


class WideImportForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        help_text=_("CSV (UTF-8), XLSX or ODS: areas in rows, years in columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(WIDE_EXTENSIONS)}),
    )
    indicator = forms.ModelChoiceField(
        label=_("indicator"), queryset=Indicator.objects.order_by("position", "code"), to_field_name="code"
    )
    source = forms.ModelChoiceField(
        label=_("source"), queryset=Source.objects.order_by("identifier"), to_field_name="identifier"
    )
    caption = forms.CharField(
        label=_("the table's caption"),
        max_length=2000,
        help_text=_("As the source writes it, in the source's language: it becomes every figure's quote."),
    )
    location = forms.CharField(
        label=_("where the table is in the source"),
        max_length=200,
        help_text=_("Page and table number, e.g. “p. 45, table 3.2”: added to the quote."),
    )
    scope = forms.ChoiceField(label=_("scope"), choices=Observation.Scope.choices, initial=Observation.Scope.NOT_STATED)
    qualifier = forms.ChoiceField(
        label=_("qualifier"), choices=Observation.Qualifier.choices, initial=Observation.Qualifier.EXACT
    )
    measured_as = forms.CharField(
        label=_("measured as"),
        required=False,
        max_length=Observation._meta.get_field("measured_as").max_length,
        help_text=_(
            "What every figure of the table counts, in a few words; required where an area already has "
            "another figure for the same indicator, year and scope."
        ),
    )
    lang = forms.ChoiceField(
        label=_("language of the notes"),
        choices=settings.LANGUAGES,
        initial="en",
        help_text=_("Each figure's note names its cell (Sheet1!D7); it and “measured as” are stored in this language."),
    )
    publish = forms.BooleanField(
        label=_("publish every figure in the file"),
        required=False,
        help_text=_("Otherwise new figures come in as drafts and existing figures keep their status."),
    )

    def __init__(self, *args, max_bytes=None, too_large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        if too_large:
            self.fields["file"].error_messages["required"] = file_too_large_message(max_bytes)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(WIDE_EXTENSIONS):
            raise ValidationError(_("Choose a CSV, XLSX or ODS file."))
        if self.max_bytes is not None and upload.size > self.max_bytes:
            raise ValidationError(file_too_large_message(self.max_bytes))
        return upload

    def options(self):
        data = self.cleaned_data
        return WideOptions(
            indicator=data["indicator"].code,
            source=data["source"].identifier,
            # Control characters out, as from every text of a figure (see forms.TEXT_FIELDS).
            caption=strip_control(data["caption"]),
            location=strip_control(data["location"]),
            scope=data["scope"],
            qualifier=data["qualifier"],
            measured_as=data["measured_as"].strip(),
            lang=data["lang"],
            publish=data["publish"],
        )
