from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from indicators import calendars, formatting
from indicators.text import local_digits


def in_lang(lang, function, *args):
    """The formatting functions write in the active language, as every page activates it."""
    with translation.override(lang):
        return function(*args)


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (Decimal("57.5000"), "en", "57.5"),
        (Decimal("57.5000"), "fa", "۵۷٫۵"),
        (Decimal("57.5000"), "ar", "٥٧٫٥"),
        (Decimal("1405950"), "en", "1,405,950"),
        (Decimal("1405950"), "fa", "۱٬۴۰۵٬۹۵۰"),
        (Decimal("1405950"), "ar", "١٬٤٠٥٬٩٥٠"),
        (Decimal("99.64"), "fa", "۹۹٫۶۴"),
        (98, "en", "98"),
        (0, "fa", "۰"),
        (None, "en", ""),
    ],
)
def test_numbers_are_written_in_the_readers_digits_and_separators(value, lang, expected):
    assert in_lang(lang, formatting.format_number, value) == expected


def test_persian_and_arabic_digits_are_distinct():
    assert local_digits("456", "fa") == "۴۵۶"
    assert local_digits("456", "ar") == "٤٥٦"
    assert local_digits("IR-02", "en") == "IR-02"


@pytest.mark.parametrize(
    ("qualifier", "lang", "expected"),
    [
        ("exact", "en", "98%"),
        ("more_than", "en", "more than 98%"),
        ("about", "en", "about 98%"),
        ("less_than", "en", "less than 98%"),
        ("more_than", "fa", "بیش از ۹۸٪"),
        ("more_than", "ar", "أكثر من ٩٨٪"),
        ("about", "fa", "حدود ۹۸٪"),
        ("unclear", "en", "98% (unclear in the source)"),
    ],
)
def test_qualifiers_are_written_in_words(qualifier, lang, expected):
    assert in_lang(lang, formatting.format_figure, Decimal("98"), "percent", qualifier) == expected


def test_counts_get_thousands_separators_and_money_its_unit():
    assert in_lang("en", formatting.format_quantity, Decimal("5810000"), "enterprises") == "5,810,000"
    assert (
        in_lang("en", formatting.format_quantity, Decimal("260000"), "million_lcu")
        == "260,000 million (local currency)"
    )
    assert in_lang("fa", formatting.format_quantity, Decimal("45"), "billion_usd") == "۴۵ میلیارد دلار آمریکا"


def test_years_have_no_separator_and_a_missing_year_says_so():
    assert in_lang("fa", formatting.format_year, 1974) == "۱۳۵۳ (۱۹۷۴)"  # Persian: both calendars
    with calendars.override(calendars.GREGORIAN):
        assert in_lang("fa", formatting.format_year, 1974) == "۱۹۷۴"
    assert in_lang("en", formatting.format_year, None) == "year not stated"
    assert in_lang("ar", formatting.format_year, None) == "السنة غير مذكورة"


def test_template_filters_follow_the_active_language():
    template = Template("{% load smedash %}{{ n|number }} {{ y|year }} {{ t|digits }}")
    with translation.override("fa"):
        assert template.render(Context({"n": 12500, "y": 1974, "t": "1-2"})) == "۱۲٬۵۰۰ ۱۳۵۳ (۱۹۷۴) ۱-۲"
    with translation.override("en"):
        assert template.render(Context({"n": 12500, "y": 1974, "t": "1-2"})) == "12,500 1974 1-2"
