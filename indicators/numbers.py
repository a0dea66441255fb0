"""Reading numbers and years the way the sources write them.

The seeds mix Persian (۰-۹), Arabic-Indic (٠-٩) and Latin digits, sometimes inside one number
(``۶٧``), and Persian writes the decimal point as a slash (``57/5`` is 57.5). Digit conversion
and the Solar Hijri calendar come from persiantools rather than hand-made tables.
"""

import re
from decimal import Decimal, InvalidOperation

from persiantools.jdatetime import JalaliDate

from .text import latin_digits

# Separators that mean "decimal point" in the sources: Latin '.', Persian '/' and the Arabic
# decimal separator U+066B. U+066C (Arabic thousands separator) and ',' group thousands.
_DECIMAL_MARKS = {"/", "\u066b", "."}
_GROUP_MARKS = {",", "\u066c", "\u060c"}


class NumberFormatError(ValueError):
    """The text is not a number written in any of the forms the sources use."""


def parse_number(text):
    """Parse ``57/5``, ``۶٧``, ``٤٢``, ``1/405/950``, ``99.4`` or ``12,500`` into a Decimal.

    One slash or dot is a decimal point. Several slashes (``1/405/950``) can only be thousands
    groups, as the thesis writes workshop counts; each group after the first must then have
    three digits, otherwise the text is ambiguous and rejected rather than guessed.
    """
    if text is None:
        raise NumberFormatError("empty")
    cleaned = latin_digits(str(text)).strip().replace("\u200f", "").replace("\u200e", "")
    cleaned = cleaned.rstrip("%\u066a").strip()  # a trailing % or Arabic percent sign
    if not cleaned:
        raise NumberFormatError("empty")
    sign = ""
    if cleaned[0] in "-\u2212":
        sign, cleaned = "-", cleaned[1:]
    for mark in _GROUP_MARKS:
        cleaned = cleaned.replace(mark, "")
    marks = [ch for ch in cleaned if ch in _DECIMAL_MARKS]
    if len(marks) > 1:
        if len(set(marks)) != 1 or marks[0] != "/":
            raise NumberFormatError(text)
        groups = cleaned.split("/")
        if not all(len(g) == 3 for g in groups[1:]) or not groups[0]:
            raise NumberFormatError(text)
        cleaned = "".join(groups)
    elif marks:
        cleaned = cleaned.replace(marks[0], ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", cleaned):
        raise NumberFormatError(text)
    try:
        return Decimal(sign + cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex above already guards this
        raise NumberFormatError(text) from exc


def solar_hijri_to_gregorian_year(year):
    """The Gregorian year in which Solar Hijri ``year`` begins (1 Farvardin, about 21 March).

    A Solar Hijri year runs from March to March, so 1353 covers most of 1974 and the first
    months of 1975; statistics for "1353" are filed under 1974, as Iran's statistics centre does.
    """
    return JalaliDate(int(year), 1, 1).to_gregorian().year


def parse_year(text):
    """Read a year typed in any digits; return an int or raise NumberFormatError."""
    cleaned = latin_digits(str(text or "")).strip()
    if not re.fullmatch(r"\d{1,4}", cleaned):
        raise NumberFormatError(text)
    return int(cleaned)
