"""Numbers, years and figures written the way a reader of the active language writes them.

One place for every number a page, a table, a chart or a JSON twin shows: Latin digits in
English, Persian digits (۰-۹) in Persian, Arabic-Indic digits (٠-٩) in Arabic, with the Arabic
decimal and thousands separators (U+066B, U+066C) in both right-to-left languages. Qualifiers are
written in words ("more than 98 %"), so that a bound is never read as an exact figure.

Babel (CLDR) was tried for this and left out. Babel 2.19 with each locale's default numbering
system writes 1405950.5 as "1٬405٬950٫5" in Persian (the right separators, but Latin digits:
Babel does not change digits), "1,405,950.5" in Arabic (CLDR's "ar" numbers in Latin) and 98 % as
"98%" in both, not "۹۸٪"; so it would need the same digit and sign replacements as below.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from . import calendars
from .text import current_lang, local_digits

_SEPARATORS = {
    # language: (decimal separator, thousands separator)
    "en": (".", ","),
    "ar": ("\u066b", "\u066c"),
    "fa": ("\u066b", "\u066c"),
}
_PERCENT_SIGN = {"en": "%", "ar": "\u066a", "fa": "\u066a"}


def format_number(value, grouping=True, lang=None):
    """57.5000 -> '57.5' / '۵۷٫۵' / '٥٧٫٥'; 1405950 -> '1,405,950' / '۱٬۴۰۵٬۹۵۰'.

    Trailing zeros are dropped (the sources give as many decimals as they mean), and nothing is
    rounded: a figure is shown as precisely as it was entered. ``lang``: the active language's
    code, when the caller has it at hand (a page of hundreds of figures asks once).
    """
    if value is None:
        return ""
    lang = lang or current_lang()
    number = Decimal(str(value)).normalize()
    sign = "-" if number < 0 else ""
    whole, _dot, fraction = format(abs(number), "f").partition(".")
    decimal_mark, group_mark = _SEPARATORS[lang]
    if grouping and len(whole) > 3:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = group_mark.join([whole, *groups])
    text = sign + whole + (decimal_mark + fraction if fraction else "")
    return local_digits(text, lang)


def format_year(year, solar_hijri=None, choice=None):
    """A year in the reader's calendar (``calendars.current()``), without thousands separator:
    Gregorian 1974 -> '1974', '۱۳۵۳', or '۱۳۵۳ (۱۹۷۴)' (Solar Hijri first, the Gregorian year in
    brackets). ``solar_hijri`` is the Solar Hijri year a source wrote (``calendars.solar_hijri_year``);
    without it, the one that begins in ``year``. ``choice``: the calendar, when the caller has
    read it already (a page of many years reads it once). None -> 'year not stated'."""
    if year is None:
        return _("year not stated")
    shown = choice or calendars.current()
    if shown == calendars.GREGORIAN:
        return local_digits(str(year))
    sh_text = local_digits(str(solar_hijri if solar_hijri is not None else calendars.solar_hijri_of(year)))
    if shown == calendars.SOLAR_HIJRI:
        return sh_text
    # Translators: a year in two calendars, e.g. "1353 (1974)": the Solar Hijri year, then the Gregorian one.
    return _("%(solar_hijri)s (%(gregorian)s)") % {"solar_hijri": sh_text, "gregorian": local_digits(str(year))}


def format_quantity(value, unit, lang=None):
    """The number with its unit: '98%' / '۹۸٪', '5,810,000', '260,000 million (local currency)'."""
    number = format_number(value, lang=lang)
    if unit == "percent":
        return number + _PERCENT_SIGN[lang or current_lang()]
    if unit == "million_lcu":
        return _("%(number)s million (local currency)") % {"number": number}
    if unit == "billion_usd":
        return _("%(number)s billion US dollars") % {"number": number}
    return number


def format_figure(value, unit, qualifier="exact", lang=None):
    """A figure with its qualifier in words: 'more than 98%', 'about 67%', '3.3 (unclear in the source)'."""
    quantity = format_quantity(value, unit, lang)
    if qualifier == "more_than":
        return _("more than %(value)s") % {"value": quantity}
    if qualifier == "less_than":
        return _("less than %(value)s") % {"value": quantity}
    if qualifier == "about":
        return _("about %(value)s") % {"value": quantity}
    if qualifier == "unclear":
        return _("%(value)s (unclear in the source)") % {"value": quantity}
    return quantity
