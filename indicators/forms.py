"""Admin forms: numbers and years typed the way staff type them, in any of the three scripts."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .numbers import NumberFormatError, parse_number, parse_year
from .text import plain_decimal, strip_control

PERCENT_SIGNS = ("%", "\u066a")  # '%' and the Arabic percent sign '٪'
# Text fields of a figure: control characters are taken out of them (one in front of "=" would
# hide a formula from the downloads' check). Translated ones by their base name (note_ar, …).
TEXT_FIELDS = ("quote", "year_as_written")
TRANSLATED_TEXT_FIELDS = ("note", "definition", "measured_as")


class NumberField(forms.CharField):
    """A number in Latin, Persian or Arabic-Indic digits; '/' or '٫' may be the decimal point."""

    default_error_messages = {"invalid": _("Enter a number, such as 57.5, ۵۷/۵ or ٥٧٫٥.")}

    def prepare_value(self, value):
        # Decimal('57.5000') -> '57.5', as staff wrote it; what they typed (text) is shown as it is.
        return plain_decimal(value) if isinstance(value, Decimal) else value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_number(text)
        except NumberFormatError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class YearField(forms.CharField):
    """A year in any digits (۱۹۷۸, ١٩٧٨ or 1978); empty when the source states none."""

    default_error_messages = {"invalid": _("Enter a year as a number, such as 2013 or ۲۰۱۳.")}

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_year(text)
        except NumberFormatError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def has_percent_sign(text):
    return any(sign in (text or "") for sign in PERCENT_SIGNS)


def percent_sign_error(indicator):
    return _(
        "“%(indicator)s” is counted in %(unit)s, not as a percentage: remove the %% sign, or choose a share indicator."
    ) % {"indicator": indicator, "unit": indicator.get_unit_display()}


class ObservationForm(forms.ModelForm):
    value = NumberField(
        label=_("value"),
        help_text=_("Digits in any script; a slash or ٫ is read as the decimal point (57/5 is 57.5)."),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "decimal", "maxlength": 40}),
    )
    year = YearField(
        label=_("year (Gregorian)"),
        required=False,
        help_text=_(
            "Empty when the source states no year. Leave it empty to have it filled in from the year as written."
        ),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric", "size": 6, "maxlength": 8}),
    )

    class Meta:
        error_messages = {
            "quote": {"required": _("Every figure needs the sentence it was taken from, quoted exactly.")},
        }
        widgets = {
            # The quote is in the source's language, whatever the language of the admin.
            "quote": forms.Textarea(attrs={"dir": "auto", "rows": 3}),
            "year_as_written": forms.TextInput(attrs={"dir": "auto"}),
            # Copied by modeltranslation to note_en, note_ar, note_fa: three short boxes, not three pages.
            "note": forms.Textarea(attrs={"rows": 2}),
            "definition": forms.TextInput(attrs={"size": 60}),
            "measured_as": forms.TextInput(attrs={"size": 40}),
        }

    def clean(self):
        cleaned = super().clean()
        self._strip_control_characters(cleaned)
        indicator = cleaned.get("indicator")
        raw_value = self.data.get(self.add_prefix("value"), "")
        if indicator and not indicator.is_share and has_percent_sign(raw_value):
            self.add_error("value", percent_sign_error(indicator))
        # A corrected year as written must not be checked against the old Gregorian year:
        # empty it so that the model fills it in again.
        rewritten = {"year_as_written", "year_calendar"} & set(self.changed_data)
        if self.instance.pk and rewritten and "year" not in self.changed_data:
            cleaned["year"] = None
        return cleaned

    def _strip_control_characters(self, cleaned):
        """Take control characters (but tab and line breaks) out of the text fields, before the
        model checks them; a required text that was nothing else is refused as if left empty."""
        for name, value in list(cleaned.items()):
            if not (isinstance(value, str) and _is_text_field(name)):
                continue
            field = self.fields[name]
            text = strip_control(value)
            if getattr(field, "strip", False):
                text = text.strip()
            if text == value:
                continue
            cleaned[name] = text
            if not text and field.required:
                self.add_error(name, ValidationError(field.error_messages["required"], code="required"))


def _is_text_field(name):
    base, _sep, language = name.rpartition("_")
    return name in TEXT_FIELDS or (base in TRANSLATED_TEXT_FIELDS and language in dict(settings.LANGUAGES))


def file_too_large_message(limit):
    return _(
        "The file is larger than %(limit)s, the most an import takes: split it into smaller files, "
        "or import it on the server with “manage.py import_observations”."
    ) % {"limit": filesizeformat(limit)}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        help_text=_("CSV (UTF-8) or XLSX, with the columns of the full-data download."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    lang = forms.ChoiceField(
        label=_("language of the notes and definitions"),
        choices=settings.LANGUAGES,
        initial="en",
        help_text=_("The note, definition and measured-as columns are stored in this language."),
    )
    publish = forms.BooleanField(
        label=_("publish every figure in the file"),
        required=False,
        help_text=_(
            "Otherwise new figures come in as drafts and existing figures keep their status, "
            "unless the file has a status column."
        ),
    )

    def __init__(self, *args, max_bytes=None, too_large=False, **kwargs):
        """``too_large``: the upload was stopped at ``max_bytes`` (by the admin's upload handler)
        and never kept, so the file is missing for the size alone."""
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        if too_large:
            self.fields["file"].error_messages["required"] = file_too_large_message(max_bytes)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Choose a CSV or XLSX file."))
        # Before the file is read: its size as received.
        if self.max_bytes is not None and upload.size > self.max_bytes:
            raise ValidationError(file_too_large_message(self.max_bytes))
        return upload
