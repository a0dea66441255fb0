from decimal import Decimal

import pytest

from indicators.numbers import NumberFormatError, parse_number, parse_year, solar_hijri_to_gregorian_year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("57/5", Decimal("57.5")),  # Persian decimal slash
        ("57/5%", Decimal("57.5")),
        ("۶٧", Decimal("67")),  # Persian six, Arabic-Indic seven, as seed 002 writes it
        ("٤٢", Decimal("42")),  # Arabic-Indic
        ("۴۲", Decimal("42")),  # Persian
        ("99/64", Decimal("99.64")),
        ("1/405/950", Decimal("1405950")),  # slashes between thousands (seed 001)
        ("٣٫٥", Decimal("3.5")),  # Arabic decimal separator
        ("۱۲٬۵۰۰", Decimal("12500")),  # Arabic thousands separator
        ("12,500", Decimal("12500")),
        ("99.4", Decimal("99.4")),
        (" ۸۰٪ ", Decimal("80")),
    ],
)
def test_parse_number_reads_every_form_the_sources_use(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1/40/950", "5/5.5", "12-3", "۱۲ درصد", None])
def test_parse_number_rejects_what_it_cannot_read_without_guessing(text):
    with pytest.raises(NumberFormatError):
        parse_number(text)


@pytest.mark.parametrize(("solar_hijri", "gregorian"), [(1353, 1974), (1375, 1996), (1392, 2013), (1403, 2024)])
def test_solar_hijri_year_converts_to_the_gregorian_year_it_begins_in(solar_hijri, gregorian):
    assert solar_hijri_to_gregorian_year(solar_hijri) == gregorian


def test_parse_year_accepts_persian_and_arabic_digits():
    assert parse_year("۱۳۵۳") == 1353
    assert parse_year("١٣٧٥") == 1375
    with pytest.raises(NumberFormatError):
        parse_year("سال ۹۲")
