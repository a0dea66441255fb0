from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from countries.models import Area

from ..text import plain_decimal
from .queries import ObservationQuerySet
from .years import EARLIEST_YEAR, LATEST_YEAR, Calendar, YearRules

MEASURED_AS_MAX_LENGTH = 120  # a few words: it goes into a bar's label
# The field the measured-as rule names: the English text, which Arabic and Persian fall back to.
MEASURED_AS_REQUIRED_FIELD = "measured_as_en"


class Indicator(models.Model):
    class Unit(models.TextChoices):
        PERCENT = "percent", _("per cent")
        ENTERPRISES = "enterprises", _("number of enterprises")
        PERSONS = "persons", _("persons")
        MILLION_LCU = "million_lcu", _("million, in local currency")
        BILLION_USD = "billion_usd", _("billion US dollars")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    headline = models.BooleanField(
        _("headline indicator"),
        default=False,
        help_text=_("Headline indicators are offered first on the comparison pages."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    countries_only = models.BooleanField(
        _("countries only"),
        default=False,
        help_text=_(
            "Tick when figures for this indicator are compared between countries: groups of countries "
            "(such as the EU-25) and regions within a country are then refused."
        ),
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                name="indicator_unit_valid",
                condition=Q(unit__in=["percent", "enterprises", "persons", "million_lcu", "billion_usd"]),
            ),
        ]

    def __str__(self):
        return self.name or self.code

    @property
    def is_share(self):
        return self.unit == self.Unit.PERCENT

    def clean(self):
        if self.countries_only and self.pk:
            others = self.observations.exclude(area__kind=Area.Kind.COUNTRY).select_related("area")[:3]
            if others:
                raise ValidationError(
                    {
                        "countries_only": _(
                            "Some figures for this indicator are about areas that are not countries (%(areas)s): "
                            "change or delete them first."
                        )
                        % {"areas": ", ".join(sorted({obs.area.code for obs in others}))}
                    }
                )


class Source(models.Model):
    """A document figures are taken from; seed documents are identified by their file name."""

    class Kind(models.TextChoices):
        THESIS = "thesis", _("Thesis")
        NEWS_ARTICLE = "news_article", _("News article")
        ARTICLE = "article", _("Article")
        REPORT = "report", _("Statistical report")

    class Language(models.TextChoices):
        ARABIC = "ar", _("Arabic")
        PERSIAN = "fa", _("Persian")
        ENGLISH = "en", _("English")

    identifier = models.CharField(
        _("identifier"),
        max_length=120,
        unique=True,
        help_text=_("For the seed documents, the file name, such as 001_e2e29c5eae0b9509.txt."),
    )
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    language = models.CharField(_("language of the original"), max_length=2, choices=Language.choices)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    date_known = models.CharField(
        _("date"),
        max_length=200,
        blank=True,
        help_text=_("What is known of the date, in words, e.g. 'not stated; after 2016'."),
    )
    url = models.URLField(_("address"), blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["identifier"]
        constraints = [
            models.CheckConstraint(name="source_identifier_not_blank", condition=~Q(identifier="")),
            models.CheckConstraint(
                name="source_kind_valid", condition=Q(kind__in=["thesis", "news_article", "article", "report"])
            ),
            models.CheckConstraint(name="source_language_valid", condition=Q(language__in=["ar", "fa", "en"])),
        ]

    def __str__(self):
        return self.title or self.identifier


class Observation(YearRules, models.Model):
    """One figure, exactly as a source states it, with the words it was taken from."""

    class Qualifier(models.TextChoices):
        EXACT = "exact", _("exact")
        MORE_THAN = "more_than", _("more than")
        LESS_THAN = "less_than", _("less than")
        ABOUT = "about", _("about")
        UNCLEAR = "unclear", _("unclear in the source")

    class Scope(models.TextChoices):
        ECONOMY = "economy", _("whole economy")
        INDUSTRY = "industry", _("industry and manufacturing")
        NOT_STATED = "not_stated", _("not stated")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    Calendar = Calendar

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="observations")
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="observations"
    )
    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="observations")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    qualifier = models.CharField(_("qualifier"), max_length=12, choices=Qualifier.choices, default=Qualifier.EXACT)
    year = models.PositiveSmallIntegerField(
        _("year (Gregorian)"),
        null=True,
        blank=True,
        help_text=_("Empty when the source states no year. Filled in from the year as written."),
    )
    year_as_written = models.CharField(
        _("year as written"),
        max_length=60,
        blank=True,
        help_text=_("The year exactly as the source gives it, e.g. 1353."),
    )
    year_calendar = models.CharField(
        _("calendar of the year as written"),
        max_length=12,
        choices=Calendar.choices,
        default=Calendar.GREGORIAN,
    )
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.NOT_STATED)
    measured_as = models.CharField(
        _("measured as"),
        max_length=MEASURED_AS_MAX_LENGTH,
        blank=True,
        help_text=_(
            "What the figure counts, in a few words, as the source says (industrial units, production value, "
            "industrial employment in micro enterprises). Required when the area has another figure for the "
            "same indicator, year and scope: the labels tell them apart by it."
        ),
    )
    definition = models.CharField(
        _("SME definition"),
        max_length=300,
        blank=True,
        help_text=_("How the source defines small and medium enterprises, where it says."),
    )
    quote = models.TextField(
        _("quote"), help_text=_("The sentence the figure comes from, verbatim, in the source's language.")
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Only published figures appear on public pages, charts and downloads."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["indicator__position", "area__code", "year"]
        # The comparison's index (one indicator's published figures by area, scope and year) is
        # made by migration 0003: covering on PostgreSQL, which Index(include=…) cannot say
        # without a warning on SQLite.
        constraints = [
            # "A share lies within 0-100" depends on the indicator's unit, a join a CHECK cannot
            # see: clean() enforces it; the database guarantees what it can see on the row.
            models.CheckConstraint(
                name="observation_value_not_negative",
                condition=Q(value__gte=0),
                violation_error_message=_("A value cannot be negative."),
            ),
            models.CheckConstraint(
                name="observation_year_plausible",
                condition=Q(year__isnull=True) | Q(year__gte=EARLIEST_YEAR) & Q(year__lte=LATEST_YEAR),
                violation_error_message=_("The year is not plausible."),
            ),
            models.CheckConstraint(
                name="observation_quote_present",
                condition=~Q(quote=""),
                violation_error_message=_("Every figure needs the sentence it was taken from, quoted exactly."),
            ),
            models.CheckConstraint(
                name="observation_qualifier_valid",
                condition=Q(qualifier__in=["exact", "more_than", "less_than", "about", "unclear"]),
            ),
            models.CheckConstraint(
                name="observation_scope_valid", condition=Q(scope__in=["economy", "industry", "not_stated"])
            ),
            models.CheckConstraint(name="observation_status_valid", condition=Q(status__in=["draft", "published"])),
            models.UniqueConstraint(
                name="observation_unique_figure",
                fields=["area", "indicator", "source", "year_as_written", "scope", "value"],
                violation_error_message=_(
                    "This figure is already recorded: same area, indicator, source, year, scope and value."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.area} · {self.indicator} · {self.year or '—'}: {plain_decimal(self.value)}"

    @classmethod
    def from_db(cls, db, field_names, values):
        obs = super().from_db(db, field_names, values)
        # Where the figure was counted before an edit moves it (see Coverage.refresh).
        obs.loaded_cell = (obs.__dict__.get("indicator_id"), obs.__dict__.get("area_id"))
        return obs

    def clean(self, others=None):
        """The rules a database constraint cannot see. ``others``: the figures of ``same_group()``
        when the caller has them already (an import reads every figure at once), ``()`` to leave
        the measured-as rule to the caller; None reads them here."""
        errors = {}
        self.quote = (self.quote or "").strip()
        self.year_as_written = (self.year_as_written or "").strip()
        if not self.quote:
            errors["quote"] = _("Every figure needs the sentence it was taken from, quoted exactly.")
        errors.update(self._year_errors())
        # The group depends on the year: not checked while the year itself is wrong.
        if self.area_id and self.indicator_id and not {"year", "year_as_written"} & set(errors):
            errors.update(self.measured_as_errors(self.same_group() if others is None else others))
        if self.value is not None:
            if self.value < 0:
                errors["value"] = _("A value cannot be negative.")
            elif self.indicator_id and self.indicator.is_share and self.value > 100:
                errors["value"] = _("A share is a percentage: it must be between 0 and 100.")
        if self.indicator_id and self.area_id and self.indicator.countries_only and not self.area.is_country:
            errors["area"] = _(
                "“%(indicator)s” is compared between countries only: choose a country, "
                "not a group of countries or a region."
            ) % {"indicator": self.indicator}
        if errors:
            raise ValidationError(errors)

    def same_group(self):
        """The area's other figures for the same indicator, year and scope, of any source and
        status: their labels must tell them apart."""
        others = Observation.objects.filter(area_id=self.area_id, indicator_id=self.indicator_id, scope=self.scope)
        others = others.filter(year__isnull=True) if self.year is None else others.filter(year=self.year)
        return list(others.exclude(pk=self.pk) if self.pk else others)

    def measured_as_errors(self, others):
        """Beside ``others`` (``same_group()``), the figure must say what it counts, in English at
        least (Arabic and Persian fall back to it), and not what another figure of its source in
        the group says."""
        if not others:
            return {}
        text = (self.measured_as_en or "").strip()
        if not text:
            return {
                MEASURED_AS_REQUIRED_FIELD: _(
                    "This area already has another figure for this indicator, year and scope: say what this "
                    "one counts (for example “industrial units” or “industrial establishments”), in English at "
                    "least, so that the labels on the charts tell them apart."
                )
            }
        same = [
            other
            for other in others
            if other.source_id == self.source_id and (other.measured_as_en or "").strip().casefold() == text.casefold()
        ]
        if same:
            return {
                MEASURED_AS_REQUIRED_FIELD: _(
                    "Another figure of this area from the same source, for the same indicator, year and scope, is "
                    "measured as “%(text)s” too: say what tells this one apart."
                )
                % {"text": text}
            }
        return {}
