import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries as country_registry

# The one rule for an area's code, wherever a code is checked: it is a part of public URLs
# (areas/<code>/), so no slash, space or markup. Countries are stricter still (ISO alpha-3).
AREA_CODE_PATTERN = r"[A-Z0-9][A-Z0-9-]{0,11}"
AREA_CODE_RE = re.compile(AREA_CODE_PATTERN)
AREA_CODE_MESSAGE = _(
    "An area code is 1 to 12 capital letters, digits and hyphens, starting with a letter or digit, "
    "such as EU25 or IR-02."
)


def is_area_code(text) -> bool:
    """Whether ``text`` is a valid area code, as it is (no stripping or upper-casing)."""
    return isinstance(text, str) and AREA_CODE_RE.fullmatch(text) is not None


class Area(models.Model):
    """A place a figure is about: a country, an aggregate of countries, or a region inside one.

    Aggregates and sub-national areas are kept apart from countries (``kind``) so that pages
    never rank the EU-25 or a province beside a country without saying so.
    """

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        AGGREGATE = "aggregate", _("Group of countries")
        SUBNATIONAL = "subnational", _("Region within a country")

    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        help_text=_(
            "ISO 3166-1 alpha-3 for a country (IRN), ISO 3166-2 for a region (IR-02), "
            "a short code of your own for a group of countries (EU25)."
        ),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regions",
        help_text=_("For a region within a country: the country."),
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                name="area_code_valid",
                # \A and \Z, not ^ and $: on SQLite (Python's re) "$" also matches before a final newline.
                # PostgreSQL's regular expressions read \A and \Z the same way.
                condition=models.Q(code__regex=rf"\A{AREA_CODE_PATTERN}\Z"),
                violation_error_message=AREA_CODE_MESSAGE,
            ),
            models.CheckConstraint(
                name="area_kind_valid",
                condition=models.Q(kind__in=["country", "aggregate", "subnational"]),
            ),
            models.CheckConstraint(
                name="area_only_regions_have_parent",
                condition=models.Q(kind="subnational") | models.Q(parent__isnull=True),
            ),
        ]

    def __str__(self):
        return self.name or self.code

    def save(self, *args, **kwargs):
        self.fill_country_names()
        super().save(*args, **kwargs)

    @property
    def is_country(self):
        return self.kind == self.Kind.COUNTRY

    def clean(self):
        self.code = (self.code or "").strip().upper()
        code_ok = is_area_code(self.code)
        if self.kind == self.Kind.COUNTRY and (
            not code_ok or len(self.code) != 3 or not country_registry.alpha2(self.code)
        ):
            raise ValidationError({"code": _("A country needs its ISO 3166-1 alpha-3 code, such as IRN or JPN.")})
        if not code_ok:
            raise ValidationError({"code": AREA_CODE_MESSAGE})
        if self.kind != self.Kind.SUBNATIONAL and self.parent_id:
            raise ValidationError({"parent": _("Only a region within a country has a parent area.")})
        if self.kind == self.Kind.SUBNATIONAL and self.parent_id and not self.parent.is_country:
            raise ValidationError({"parent": _("A region must belong to a country.")})

    def fill_country_names(self):
        """Fill empty name translations of a country from django-countries' translated names."""
        alpha2 = country_registry.alpha2((self.code or "").upper())
        if self.kind != self.Kind.COUNTRY or not alpha2:
            return
        for lang in ("en", "ar", "fa"):
            field = f"name_{lang}"
            if not getattr(self, field, ""):
                with translation.override(lang):
                    setattr(self, field, str(country_registry.name(alpha2)))

    def clean_fields(self, exclude=None):
        # A new country needs no typed names: they come from the library before validation.
        self.fill_country_names()
        super().clean_fields(exclude=exclude)
