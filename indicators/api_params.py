"""The API's input: one Django form per address of /api/v1/ (``indicators.api``), read through
``params.read``. The same forms give the OpenAPI document (``indicators.openapi``) its
parameters, types, enums and bounds, so the description cannot drift from what is accepted.
"""

import re

from django import forms
from django.utils.translation import gettext as _

from countries.models import Area

from . import calendars
from .models import EARLIEST_YEAR, LATEST_YEAR, Indicator, Observation, Source
from .params import QueryError, read
from .text import LANGUAGES

# The version of the contract: the fields of every answer and what the parameters mean. It goes
# up (with a new /api/vN/) only for a change an existing client could misread; new fields and
# new parameters keep it.
VERSION = 1
ALLOWED_METHODS = ("GET", "HEAD")
DEFAULT_LANG = "en"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
CACHE_SECONDS = 24 * 60 * 60  # entries go stale with the data version long before this
_CODE = re.compile(r"^[\w.-]{1,120}$")


# Parameters: one form per address ---------------------------------------------------------------


class QueryValues(forms.MultipleHiddenInput):
    """Every value a parameter was given, [] when it was not: absent, empty and repeated differ."""


class ParameterField(forms.Field):
    """A query parameter of the API. ``help_text`` is its description in the OpenAPI document,
    ``schema()`` its JSON Schema there; ``name`` is set by ``ApiForm`` for the messages."""

    widget = QueryValues
    name = ""

    def __init__(self, *, help_text, **kwargs):
        super().__init__(required=False, help_text=help_text, **kwargs)

    def schema(self):
        raise NotImplementedError


class SingleValueField(ParameterField):
    """A parameter given at most once, and then not empty; ``default`` when it is not given."""

    def __init__(self, *, default=None, **kwargs):
        super().__init__(**kwargs)
        self.default = default

    def to_python(self, values):
        if not values:
            return self.default
        if len(values) > 1:
            raise forms.ValidationError(_("Give the parameter %(name)s only once.") % {"name": self.name})
        return self.parse(values[0])

    def parse(self, text):
        raise NotImplementedError

    def with_default(self, schema):
        return schema if self.default is None else {**schema, "default": self.default}


class LangField(SingleValueField):
    def parse(self, text):
        if text not in LANGUAGES:
            raise forms.ValidationError(_("lang must be one of %(choices)s.") % {"choices": ", ".join(LANGUAGES)})
        return text

    def schema(self):
        return self.with_default({"type": "string", "enum": list(LANGUAGES)})


class CalendarField(SingleValueField):
    """The calendar of ``year_display`` and ``year_solar_hijri``; default: the language's own."""

    def parse(self, text):
        if text not in calendars.CHOICES:
            raise forms.ValidationError(
                _("calendar must be one of %(choices)s.") % {"choices": ", ".join(calendars.CHOICES)}
            )
        return text

    def schema(self):
        return {"type": "string", "enum": list(calendars.CHOICES)}


CALENDAR_HELP = (
    "Calendar of year_display and year_solar_hijri: both (Solar Hijri, then the Gregorian year in brackets), "
    "solar_hijri or gregorian. Default: both for lang=fa, gregorian otherwise. A Solar Hijri year the source "
    "wrote is given as written; a Gregorian year G as the Solar Hijri year beginning in it, G - 621. "
    "Filters (year_from, year_to) stay Gregorian."
)


class WholeNumberField(SingleValueField):
    """A whole number in Latin digits, from ``minimum`` to ``maximum``."""

    def __init__(self, *, minimum, maximum, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def parse(self, text):
        if text.isascii() and text.isdigit() and len(text) <= 12 and self.minimum <= int(text) <= self.maximum:
            return int(text)
        raise forms.ValidationError(
            _("%(name)s must be a whole number from %(min)s to %(max)s.")
            % {"name": self.name, "min": self.minimum, "max": self.maximum}
        )

    def schema(self):
        return self.with_default({"type": "integer", "minimum": self.minimum, "maximum": self.maximum})


class CodesField(ParameterField):
    """Codes given as ``?area=IRN,JPN`` or ``?area=IRN&area=JPN``: sorted, without repeats. An
    empty one (``?area=``, ``?area=IRN,``) is refused, as an empty value is everywhere.

    A code that exists nowhere is a mistake worth a message, not an empty result. Subclasses
    say which codes exist: ``known(codes)`` (those of ``codes`` that do) and ``accepted()`` (all of
    them, for the OpenAPI enum).
    """

    def __init__(self, *, upper=False, **kwargs):
        super().__init__(**kwargs)
        self.upper = upper

    def to_python(self, values):
        codes = set()
        for value in values:
            for code in value.split(","):
                code = code.strip()
                if not code:
                    raise forms.ValidationError(
                        _("Empty value for %(name)s: give one code or several, separated by commas.")
                        % {"name": self.name}
                    )
                if not _CODE.match(code):
                    raise forms.ValidationError(
                        _("%(value)s is not a valid code for %(name)s.") % {"value": code, "name": self.name}
                    )
                codes.add(code.upper() if self.upper else code)
        return sorted(codes)

    def validate(self, codes):
        unknown = sorted(set(codes) - set(self.known(codes))) if codes else []
        if unknown:
            raise forms.ValidationError(
                _("Unknown code for %(name)s: %(codes)s.") % {"name": self.name, "codes": ", ".join(unknown)}
            )

    def schema(self):
        return {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(self.accepted())}}


class ChoiceCodesField(CodesField):
    """Codes from a fixed list (a model's choices)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def known(self, codes):
        return [code for code in codes if code in self.choices]

    def accepted(self):
        return self.choices


class ModelCodesField(CodesField):
    """Codes of rows in the database (``model.field``): one query to check those given."""

    def __init__(self, model, field, **kwargs):
        super().__init__(**kwargs)
        self.model, self.field = model, field

    def known(self, codes):
        return self.model._default_manager.filter(**{f"{self.field}__in": codes}).values_list(self.field, flat=True)

    def accepted(self):
        return self.model._default_manager.order_by(self.field).values_list(self.field, flat=True)


class ApiForm(forms.Form):
    """The parameters of one address: the fields are all it takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.name = name


LANG_HELP = "Language of names, descriptions, notes and definitions (quotes stay in the source's language)."


class NoParametersForm(ApiForm):
    """An address that takes no parameter (the OpenAPI document)."""


class ListForm(ApiForm):
    lang = LangField(default=DEFAULT_LANG, help_text=LANG_HELP)


class AreasForm(ListForm):
    kind = ChoiceCodesField(
        Area.Kind.values,
        help_text="Area kinds. Several: comma-separated, or the parameter repeated. Another value is a 400.",
    )


class IndicatorsForm(ListForm):
    pass


class SourcesForm(ListForm):
    pass


class ObservationsForm(ApiForm):
    area = ModelCodesField(
        Area,
        "code",
        upper=True,
        help_text=(
            "Area codes (IRN, JPN, EU25, IR-02), those of /api/v1/areas; case does not matter. Several: "
            "comma-separated, or the parameter repeated. An unknown code is a 400."
        ),
    )
    indicator = ModelCodesField(
        Indicator,
        "code",
        help_text="Indicator codes, those of /api/v1/indicators. Several as for area. An unknown code is a 400.",
    )
    source = ModelCodesField(
        Source,
        "identifier",
        help_text="Source identifiers, those of /api/v1/sources. Several as for area. An unknown one is a 400.",
    )
    scope = ChoiceCodesField(
        Observation.Scope.values,
        help_text="Part of the economy covered. Several as for area. Another value is a 400.",
    )
    year_from = WholeNumberField(
        minimum=EARLIEST_YEAR,
        maximum=LATEST_YEAR,
        help_text="First Gregorian year, inclusive. A year filter leaves out figures whose source states no year.",
    )
    year_to = WholeNumberField(
        minimum=EARLIEST_YEAR,
        maximum=LATEST_YEAR,
        help_text="Last Gregorian year, inclusive; before year_from is a 400.",
    )
    lang = LangField(default=DEFAULT_LANG, help_text=LANG_HELP)
    calendar = CalendarField(help_text=CALENDAR_HELP)
    limit = WholeNumberField(
        minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT, help_text="Page size; more than 1000 is a 400."
    )
    offset = WholeNumberField(minimum=0, maximum=MAX_OFFSET, default=0, help_text="Number of results to skip.")

    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first and last and first > last:
            self.add_error("year_to", _("year_to must not be before year_from."))
        return data


class DownloadForm(ApiForm):
    lang = LangField(
        help_text=(
            "Adds area_name, indicator_name and source_title in this language, and translates note and "
            "definition. Without it: English notes and no name columns."
        )
    )


def read_query(form_class, params):
    """The cleaned query of ``form_class``; raises QueryError, an unknown parameter first."""
    unknown = sorted(set(params) - set(form_class.base_fields))
    if unknown:
        known = ", ".join(form_class.base_fields) or "—"
        message = _("Unknown parameter %(name)s. This address takes: %(known)s.")
        raise QueryError([message % {"name": unknown[0], "known": known}], parameter=unknown[0])
    return read(form_class, params)
