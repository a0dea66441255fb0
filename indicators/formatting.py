"""Numbers, years and figures written the way a reader of each language writes them.

One place for every number a page, a table, a chart or a JSON twin shows: Latin digits in
English, Persian digits (۰-۹) in Persian, Arabic-Indic digits (٠-٩) in Arabic, with the Arabic
decimal and thousands separators (U+066B, U+066C) in both right-to-left languages. Qualifiers are
written in words ("more than 98 %"), so that a bound is never read as an exact figure.
"""

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from persiantools import digits

RTL_LANGUAGES = {"ar", "fa"}

_SEPARATORS = {
    # language: (decimal separator, thousands separator)
    "en": (".", ","),
    "ar": ("\u066b", "\u066c"),
    "fa": ("\u066b", "\u066c"),
}
_PERCENT_SIGN = {"en": "%", "ar": "\u066a", "fa": "\u066a"}


def current_lang(lang=None):
    """``lang`` if given, else the active language, reduced to one of en, ar, fa."""
    code = (lang or translation.get_language() or "en").split("-")[0]
    return code if code in _SEPARATORS else "en"


def is_rtl(lang=None):
    return current_lang(lang) in RTL_LANGUAGES


def localize_digits(text, lang=None):
    """Write the Latin digits of ``text`` in the reader's digits; other characters are kept."""
    lang = current_lang(lang)
    text = str(text)
    if lang == "fa":
        return digits.en_to_fa(text)
    if lang == "ar":
        return digits.fa_to_ar(digits.en_to_fa(text))
    return text


def format_number(value, lang=None, grouping=True):
    """57.5000 -> '57.5' / '۵۷٫۵' / '٥٧٫٥'; 1405950 -> '1,405,950' / '۱٬۴۰۵٬۹۵۰'.

    Trailing zeros are dropped (the sources give as many decimals as they mean), and nothing is
    rounded: a figure is shown as precisely as it was entered.
    """
    if value is None:
        return ""
    lang = current_lang(lang)
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
    return localize_digits(text, lang)


def format_year(year, lang=None):
    """A Gregorian year, without thousands separator; None -> 'year not stated'."""
    if year is None:
        with translation.override(current_lang(lang)):
            return _("year not stated")
    return localize_digits(str(year), lang)


def format_quantity(value, unit, lang=None):
    """The number with its unit: '98%' / '۹۸٪', '5,810,000', '260,000 million (local currency)'."""
    lang = current_lang(lang)
    number = format_number(value, lang)
    if unit == "percent":
        return number + _PERCENT_SIGN[lang]
    with translation.override(lang):
        if unit == "million_lcu":
            return _("%(number)s million (local currency)") % {"number": number}
        if unit == "billion_usd":
            return _("%(number)s billion US dollars") % {"number": number}
    return number


def format_figure(value, unit, qualifier="exact", lang=None):
    """A figure with its qualifier in words: 'more than 98%', 'about 67%', '3.3 (unclear in the source)'."""
    lang = current_lang(lang)
    quantity = format_quantity(value, unit, lang)
    with translation.override(lang):
        if qualifier == "more_than":
            return _("more than %(value)s") % {"value": quantity}
        if qualifier == "less_than":
            return _("less than %(value)s") % {"value": quantity}
        if qualifier == "about":
            return _("about %(value)s") % {"value": quantity}
        if qualifier == "unclear":
            return _("%(value)s (unclear in the source)") % {"value": quantity}
    return quantity
