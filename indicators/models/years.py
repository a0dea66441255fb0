"""The year of a figure: the year as its source writes it, in the source's calendar, and the
Gregorian year that comes to; and the rules ``Observation.clean`` applies to the two (they agree,
the year is plausible, and a Solar Hijri year typed as a Gregorian one is recognised)."""

from functools import lru_cache

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..numbers import NumberFormatError, parse_year, solar_hijri_to_gregorian_year

EARLIEST_YEAR = 1900
LATEST_YEAR = 2100  # far enough for any statistic; the CHECK constraint on Observation


class Calendar(models.TextChoices):
    GREGORIAN = "gregorian", _("Gregorian")
    SOLAR_HIJRI = "solar_hijri", _("Solar Hijri")


@lru_cache(maxsize=4096, typed=True)
def gregorian_year(written, calendar):
    """The Gregorian year of a year as written in ``calendar``; None when it is not a plain year.
    Kept for the texts seen last: an import checks the same few dozen years on every row, and
    the answer depends on the two texts alone."""
    try:
        year = parse_year(written)
        if calendar == Calendar.SOLAR_HIJRI:
            return solar_hijri_to_gregorian_year(year)
    except (NumberFormatError, ValueError):  # ValueError: a year the calendar cannot hold (0)
        return None
    return year


class YearRules:
    """Observation's year rules (``year``, ``year_as_written``, ``year_calendar``)."""

    def year_from_written(self):
        """The Gregorian year implied by ``year_as_written``; None when it is not a plain year."""
        return gregorian_year(self.year_as_written, self.year_calendar)

    def _year_errors(self):
        """Fill the Gregorian year from the year as written, and check the two agree and are plausible."""
        written_year = self.year_from_written() if self.year_as_written else None
        derived = self.year is None and written_year is not None
        if derived:
            self.year = written_year
        if self.year is None:
            return {}
        this_year = timezone.now().year
        if EARLIEST_YEAR <= self.year <= this_year:
            if written_year is not None and written_year != self.year:
                return {
                    "year": _(
                        "The year as written, %(written)s (%(calendar)s), is %(expected)s, not %(year)s. "
                        "Leave this field empty to have it filled in."
                    )
                    % {
                        "written": self.year_as_written,
                        "calendar": self.get_year_calendar_display(),
                        "expected": written_year,
                        "year": self.year,
                    }
                }
            return {}
        year = self.year
        if derived:
            # Not kept: the error belongs to the year as written, and the constraint on the year
            # would only repeat it.
            self.year = None
        return {"year_as_written" if derived else "year": self._year_range_messages(year, derived, this_year)}

    def _year_range_messages(self, year, derived, this_year):
        """Why ``year`` is refused, and how to enter a Solar Hijri year where it looks like one."""
        limits = {"first": EARLIEST_YEAR, "last": this_year}
        if derived:
            messages = [
                _(
                    "The year as written, %(written)s (%(calendar)s), is %(year)s: "
                    "the year must be between %(first)s and %(last)s."
                )
                % {
                    "written": self.year_as_written,
                    "calendar": self.get_year_calendar_display(),
                    "year": year,
                    **limits,
                }
            ]
        else:
            messages = [_("The year must be between %(first)s and %(last)s.") % limits]
        # A year between 1250 and 1500 is most likely a Solar Hijri year typed as a Gregorian one.
        if year < EARLIEST_YEAR and 1250 <= year <= 1500:
            if derived:
                messages.append(
                    _("If the source uses the Solar Hijri calendar, choose it as the calendar of the year as written.")
                )
            else:
                messages.append(
                    _(
                        "If this is a Solar Hijri year, write it under “year as written”, choose the Solar Hijri "
                        "calendar and leave this field empty: it is converted for you."
                    )
                )
        return messages
