"""Input: the query parameters of the public pages, read by Django forms.

Every form here is bound to ``request.GET``; ``read(FormClass, query)`` returns its cleaned data
or raises ``QueryError``, the one error type of a bad query, whose messages are in the active
language and ready to show (it is defined in ``presenters``, below this module, because a page
number past the last page is found there). The API's filters (``indicators.api``) and the image sizes
(``indicators.image_views``) raise the same error.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from countries.models import AREA_CODE_RE

from . import calendars
from .formatting import format_number
from .models import EARLIEST_YEAR, LATEST_YEAR, Observation
from .numbers import NumberFormatError, parse_year
from .presenters import QueryError
from .text import latin_digits

MAX_AREAS = 60  # more codes than areas could sensibly be compared: a mistake or an abuse
MAX_AREAS_PARAM_LENGTH = 1000
MAX_MESSAGES = 5  # complaints about wrong area codes: the first few say enough
MAX_PAGE = 9999
YEAR_LATEST = "latest"
YEAR_ALL = "all"
SCOPE_ALL = "all"


def read(form_class, query, **kwargs):
    """The cleaned data of ``form_class`` bound to ``query``; raises QueryError.

    A page's ``calendar`` (CalendarField) is checked but left out: it is not part of what the page
    shows but of how it writes years, activated for the whole request (``indicators.calendars``)."""
    form = form_class(query, **kwargs)
    if not form.is_valid():
        fields = list(form.errors)
        messages = [message for field in fields for message in form.errors[field]]
        raise QueryError(messages, parameter=fields[0] if fields[0] != "__all__" else None)
    return {
        name: value for name, value in form.cleaned_data.items() if not isinstance(form.fields[name], CalendarField)
    }


class MultiValueInput(forms.MultipleHiddenInput):
    """Every value of a repeated parameter (``areas=IRN&areas=JPN``), as the area picker sends."""


class AreaCodesField(forms.Field):
    """Area codes, repeated or comma-separated (``areas=IRN,JPN``), as people write them: upper
    case, without repeats, in the order given."""

    widget = MultiValueInput

    def to_python(self, value):
        chunks = value if isinstance(value, list | tuple) else ([value] if value else [])
        if sum(len(str(chunk)) for chunk in chunks) > MAX_AREAS_PARAM_LENGTH:
            raise forms.ValidationError(self._too_many())
        codes, errors = [], []
        for chunk in chunks:
            for code in str(chunk).split(","):
                code = code.strip().upper()
                if not code or code in codes:
                    continue
                if not AREA_CODE_RE.fullmatch(code):
                    if len(errors) < MAX_MESSAGES:
                        errors.append(_("“%(code)s” is not an area code.") % {"code": code[:20]})
                    continue
                codes.append(code)
        if len(codes) > MAX_AREAS:
            errors.append(self._too_many())
        if errors:
            raise forms.ValidationError(errors)
        return tuple(codes)

    @staticmethod
    def _too_many():
        return _("Too many areas were asked for: choose at most %(max)s.") % {"max": format_number(MAX_AREAS)}


class YearChoiceField(forms.Field):
    """ "latest" (the default), "all", or a Gregorian year in any digits."""

    def to_python(self, value):
        text = (value or YEAR_LATEST).strip().lower()
        if text in (YEAR_LATEST, YEAR_ALL):
            return text
        try:
            year = parse_year(text)
        except NumberFormatError:
            year = None
        if year is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise forms.ValidationError(
                _("“%(year)s” is not a year: choose a year, “latest” or “all”.") % {"year": text[:20]}
            )
        return year


class ScopeField(forms.Field):
    def to_python(self, value):
        scope = (value or SCOPE_ALL).strip().lower()
        if scope != SCOPE_ALL and scope not in Observation.Scope.values:
            raise forms.ValidationError(_("“%(scope)s” is not a scope.") % {"scope": scope[:20]})
        return scope


class PageField(forms.Field):
    """A page number from 1 (the default), in any digits."""

    def to_python(self, value):
        text = (value or "1").strip()
        digits = latin_digits(text)
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 4 and int(digits) >= 1):
            raise forms.ValidationError(_("“%(page)s” is not a page number.") % {"page": text[:20]})
        return int(digits)


class FigureField(forms.Field):
    """An observation id (a source page's ``figure``), or None."""

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise forms.ValidationError(_("“%(figure)s” is not a figure number.") % {"figure": text[:20]})
        return int(text)


class CalendarField(forms.Field):
    """The calendar years are shown in (``calendars.CHOICES``); empty: the language's default."""

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        choice = calendars.parse(text)
        if choice is None:
            raise forms.ValidationError(
                _("“%(calendar)s” is not a calendar: choose one of %(choices)s.")
                % {"calendar": text[:20], "choices": ", ".join(calendars.CHOICES)}
            )
        return choice


class QueryForm(forms.Form):
    """A page's query: a parameter that takes one value must be given once (as the API says).
    Every page reads ``calendar`` (checked here, activated by ``calendars.activate_from_query``)."""

    calendar = CalendarField(required=False)

    def _offer(self, choices):
        """For the filter forms: the indicators, scopes and areas the page's data offers, as
        controls; no page (a new choice starts at the first); the reader's calendar kept."""
        self.fields["indicator"].choices = [(i["code"], i["name"]) for i in choices["indicators"]]
        self.fields["scope"].label = gettext_lazy("Scope")
        self.fields["scope"].widget = forms.Select(
            choices=[(SCOPE_ALL, _("all scopes"))] + [(s["value"], s["label"]) for s in choices["scopes"]]
        )
        self.fields["areas"].widget = AreaPicker(
            choices=[(group["label"], [(a["code"], a["name"]) for a in group["areas"]]) for group in choices["areas"]]
        )
        del self.fields["page"]
        self._keep_calendar()

    def _keep_calendar(self):
        """For the filter forms: the reader's calendar, chosen in the address, goes with the filter
        (hidden: it is chosen beside the chart); without a choice, nothing is sent and the language's
        default applies."""
        choice = calendars.explicit()
        if choice is None:
            del self.fields[calendars.PARAMETER]
        else:
            self.fields[calendars.PARAMETER].widget = forms.HiddenInput()
            self.data = {**self.data, calendars.PARAMETER: choice}

    def clean(self):
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", None)
        for name, field in self.fields.items():
            if getlist and not isinstance(field.widget, MultiValueInput) and len(getlist(name)) > 1:
                self.add_error(name, _("Give the parameter %(name)s only once.") % {"name": name})
        return cleaned


class PageForm(QueryForm):
    """The overview and the area profile: which page."""

    page = PageField(required=False)


class SourcePageForm(PageForm):
    """A source's quotes: a page, or the page a figure is on."""

    figure = FigureField(required=False)


class CompareForm(PageForm):
    """The comparison of one indicator across areas."""

    areas = AreaCodesField(required=False)
    year = YearChoiceField(required=False)
    scope = ScopeField(required=False)


@dataclass(frozen=True)
class CompareParams:
    areas: tuple = ()  # upper-case area codes; empty means every area with a figure
    year: object = YEAR_LATEST  # "latest", "all" or a Gregorian year (int)
    scope: str = SCOPE_ALL
    page: int = 1  # of the areas, a page at a time

    @classmethod
    def from_query(cls, query):
        """Read ``areas``, ``year``, ``scope`` and ``page``; raises QueryError."""
        return cls(**read(CompareForm, query))

    def as_query(self, page=None):
        """The query string that reproduces this view (areas as one comma-separated value)."""
        query = {}
        if self.areas:
            query["areas"] = ",".join(self.areas)
        query["year"] = str(self.year)
        query["scope"] = self.scope
        page = self.page if page is None else page
        if page > 1:
            query["page"] = str(page)
        return urlencode(query, safe=",")  # areas=IRN,JPN, as people write it

    def as_dict(self):
        return {"areas": list(self.areas), "year": self.year, "scope": self.scope, "page": self.page}


class AreaPicker(forms.CheckboxSelectMultiple):
    """Check boxes of areas, grouped by kind of area (countries, groups of countries, regions)."""

    template_name = "indicators/widgets/area_picker.html"


class CompareFilterForm(CompareForm):
    """The comparison's filter as the page shows it: CompareForm's parameters (and its checks), with
    the choices the page's data offers, bound to the view being shown so that it shows it; plus
    the indicator, which the form's target (``compare_index``) reads."""

    indicator = forms.ChoiceField(label=gettext_lazy("Indicator"))

    field_order = ["indicator", "year", "scope", "areas"]

    def __init__(self, indicator_code, params, choices):
        super().__init__(
            {"indicator": indicator_code, "year": str(params.year), "scope": params.scope, "areas": list(params.areas)},
            auto_id="f-%s",
            label_suffix="",
        )
        self.fields["year"].label = gettext_lazy("Year")
        self.fields["year"].widget = forms.Select(
            choices=[(YEAR_LATEST, _("latest available")), (YEAR_ALL, _("all years"))]
            + [(str(y["value"]), y["label"]) for y in choices["years"]]
        )
        self._offer(choices)


class TrendForm(PageForm):
    """The trend of one indicator over the years: which areas, which scope, which page of areas.
    No year: a trend shows them all."""

    areas = AreaCodesField(required=False)
    scope = ScopeField(required=False)


@dataclass(frozen=True)
class TrendParams:
    areas: tuple = ()  # upper-case area codes; empty means every area with a figure
    scope: str = SCOPE_ALL
    page: int = 1  # of the areas, a page at a time (as many as can be told apart on one chart)

    @classmethod
    def from_query(cls, query):
        """Read ``areas``, ``scope`` and ``page``; raises QueryError."""
        return cls(**read(TrendForm, query))

    def as_query(self, page=None):
        """The query string that reproduces this view (areas as one comma-separated value)."""
        query = {"areas": ",".join(self.areas)} if self.areas else {}
        query["scope"] = self.scope
        page = self.page if page is None else page
        if page > 1:
            query["page"] = str(page)
        return urlencode(query, safe=",")

    def as_dict(self):
        return {"areas": list(self.areas), "scope": self.scope, "page": self.page}


class TrendFilterForm(TrendForm):
    """The trend's filter as the page shows it: TrendForm's parameters with the choices the page's
    data offers, bound to the view shown; plus the indicator, read by ``trend_index``."""

    indicator = forms.ChoiceField(label=gettext_lazy("Indicator"))

    field_order = ["indicator", "scope", "areas"]

    def __init__(self, indicator_code, params, choices):
        super().__init__(
            {"indicator": indicator_code, "scope": params.scope, "areas": list(params.areas)},
            auto_id="f-%s",
            label_suffix="",
        )
        self._offer(choices)
