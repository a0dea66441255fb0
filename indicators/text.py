"""Text for three languages, two directions and several kinds of reader: the one place for it.

- Direction: which languages run right to left, and the bidi isolation marks that keep a phrase
  in its own direction inside a line (Plotly lays SVG text out left to right even on a
  right-to-left page, so Arabic and Persian labels are wrapped in RLI…PDI).
- Digits: Latin digits in English, Persian (۰-۹) in Persian, Arabic-Indic (٠-٩) in Arabic, and
  back to Latin for reading what people type.
- Escaping for Plotly, which renders some HTML (<a>, <b>, <br>) inside labels.
- Spreadsheet safety: control characters removed, then formulas neutralised, for every cell a
  spreadsheet program might run (CSV, XLSX).
- Decimals as plain text (57.5, never 57.5000 or 5.75E+1).
"""

import re
from decimal import Decimal

from django.utils import translation
from persiantools import digits as _digits

LANGUAGES = ("en", "ar", "fa")
RTL_LANGUAGES = frozenset({"ar", "fa"})
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
# The page's font first; the others draw Arabic script correctly too, should Vazirmatn be missing.
FONT_FAMILY = "Vazirmatn, 'Noto Sans Arabic', 'DejaVu Sans', sans-serif"

# A cell beginning with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters (but tab, line feed and carriage return): no spreadsheet cell can hold
# them, and one in front of "=" would hide a formula from the check below.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- language and direction --------------------------------------------------------------------


def current_lang():
    """The active language (LocaleMiddleware's, or an override's), reduced to en, ar or fa.

    The language travels one way only: activated for the request (or by
    ``translation.override`` in commands, the API and tests) and read here.
    """
    code = (translation.get_language() or "en").split("-")[0]
    return code if code in LANGUAGES else "en"


def is_rtl(lang=None):
    return (lang or current_lang()) in RTL_LANGUAGES


def direction(lang=None):
    return "rtl" if is_rtl(lang) else "ltr"


def list_separator(lang=None):
    """Between items of a list in running text: the Arabic semicolon in Arabic and Persian."""
    return "؛ " if is_rtl(lang) else "; "


def isolate(text, lang=None):
    """Wrap text right to left (RLI…PDI) in Arabic and Persian, so that a trailing '.' or '٪' and
    phrases that start with Latin letters stay at the right end."""
    return f"{RLI}{text}{PDI}" if text and is_rtl(lang) else text


def isolate_ltr(text):
    """An address or a code: left to right in every language (LRI…PDI)."""
    return f"{LRI}{text}{PDI}"


def isolate_auto(text):
    """A phrase of unknown direction (a title in English inside an Arabic line): FSI…PDI."""
    return f"{FSI}{text}{PDI}"


# --- digits ----------------------------------------------------------------------------------------


def local_digits(text, lang=None):
    """Write the Latin digits of ``text`` in the reader's digits; other characters are kept."""
    lang = lang or current_lang()
    text = str(text)
    if lang == "fa":
        return _digits.en_to_fa(text)
    if lang == "ar":
        return _digits.fa_to_ar(_digits.en_to_fa(text))
    return text


# What keeps its Latin digits in running text: a source's own words quoted «…» or “…”, and codes,
# names of standards and formats written in Latin letters (IR-02, ISO 3166-2, EU25, UTF-8).
_KEEP_AS_WRITTEN = re.compile(r"«[^«»]*»|“[^“”]*”|[A-Za-z][\w.\-]*(?:[ \-]\d[\d\-]*)?")
# A number in running text, with a decimal point between digits (0.2, 81.1).
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def display_digits(text, lang=None):
    """A data text (a note, a definition, a summary) with its numbers in the reader's digits, at
    display time: the data keeps one canonical form, and an Arabic or Persian page shows one digit
    system. The decimal point becomes the Arabic decimal separator (٫). Kept as written: what the
    text quotes from its source («100-300کارکن», «42/6») and codes in Latin letters (IR-02)."""
    lang = lang or current_lang()
    if text is None or lang not in RTL_LANGUAGES:
        return text
    text, parts, start = str(text), [], 0
    for kept in _KEEP_AS_WRITTEN.finditer(text):
        parts.append(_localise_numbers(text[start : kept.start()], lang))
        parts.append(kept.group())
        start = kept.end()
    parts.append(_localise_numbers(text[start:], lang))
    return "".join(parts)


def _localise_numbers(text, lang):
    return _NUMBER.sub(lambda number: local_digits(number.group().replace(".", "٫"), lang), text)


def latin_digits(text):
    """Replace Persian and Arabic-Indic digits by Latin ones, leaving everything else alone."""
    return _digits.fa_to_en(_digits.ar_to_fa(str(text)))


# --- escaping --------------------------------------------------------------------------------------


def escape_plotly(text):
    """Make data text inert in plotly.js, which renders <a href>, <b>, <br>… inside labels."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_control(text):
    return _CONTROL_CHARACTERS.sub("", text)


def spreadsheet_cell(text):
    """Text safe for a spreadsheet cell: control characters removed first (so that none can hide
    a leading "="), then a formula neutralised by a leading apostrophe."""
    text = strip_control("" if text is None else str(text))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


# --- decimals --------------------------------------------------------------------------------------


def plain_decimal(value):
    """57.5000 -> '57.5', 5810000.0000 -> '5810000': no exponent, no trailing zeros."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def json_number(value):
    """A Decimal as a JSON number: an int when whole (5810000), else a float (57.5)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)
