"""The glossary holds: no Arabic or Persian translation or data text uses a known wrong variant of
a term (locale/GLOSSARY.md, "Known wrong variants": the one list of them).

Checked: every msgstr of the catalogues (and of the pending files the lead merges), and every
Arabic and Persian text of the seed fixtures. Not checked: verbatim quotes from the sources
(the ``quote`` field, and a source's words quoted «…» inside a note), which stay as written.
"""

import json
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
GLOSSARY = BASE / "locale" / "GLOSSARY.md"
# A source's own words inside a translated text: «…» (not nested).
_QUOTED = re.compile(r"«[^«»]*»")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def wrong_variants():
    """[(lang, compiled pattern, use)] from the glossary's machine-read table."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## Known wrong variants", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(line.strip())[1:-1]]
        if len(cells) == 4 and cells[0] in ("ar", "fa"):
            rows.append((cells[0], re.compile(cells[1].strip("`")), cells[2]))
    return rows


def catalogue_texts(lang):
    """(where, text) of every translation in the catalogue and the pending files for ``lang``."""
    paths = [BASE / "locale" / lang / "LC_MESSAGES" / "django.po"]
    paths += sorted((BASE / "locale" / "pending").glob(f"*.{lang}.po"))
    for path in paths:
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
            for text in texts:
                yield f"{path.relative_to(BASE)}: {entry.msgid[:60]!r}", text


def _same_letters(text):
    """For comparing a term with a quote: hamza and Arabic letter forms set aside."""
    return text.replace("أ", "ا").replace("ي", "ی").replace("ك", "ک")


def _fixture_texts(value, where, lang, quote=""):
    if isinstance(value, dict):
        if lang in value and isinstance(value[lang], str):
            yield where, value[lang], quote
        quote = value.get("quote", quote) if isinstance(value.get("quote", ""), str) else quote
        for key, inner in value.items():
            if key not in ("en", "ar", "fa", "quote"):
                # "Measured as" is in the source's own terms: a term its quote uses may stay.
                yield from _fixture_texts(inner, f"{where}.{key}", lang, quote if key == "measured_as" else "")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _fixture_texts(inner, f"{where}[{index}]", lang)


def fixture_texts(lang):
    for path in sorted((BASE / "fixtures").glob("*.json")):
        yield from _fixture_texts(json.loads(path.read_text(encoding="utf-8")), path.name, lang)


def test_the_glossary_table_is_read():
    rows = wrong_variants()
    assert {lang for lang, _, _ in rows} == {"ar", "fa"}
    patterns = {pattern.pattern for _, pattern, _ in rows}
    # The wrong meanings are all in the table.
    for known in ("الدقة", "التشغيل", "مخطط", "سوريا", "رونوشت", "تخمین"):
        assert known in patterns


def test_fixture_walk_skips_quotes_and_english():
    data = [{"quote": "سوريا", "note": {"en": "Syria", "ar": "سورية", "fa": "سوریه"}, "measured_as": {"ar": "x"}}]
    assert list(_fixture_texts(data, "x", "ar")) == [("x[0].note", "سورية", ""), ("x[0].measured_as", "x", "سوريا")]


def find_wrong(texts, lang):
    found = []
    rows = [(pattern, use) for row_lang, pattern, use in wrong_variants() if row_lang == lang]
    for where, text, *quote in texts:
        unquoted = _QUOTED.sub("", text)
        source_words = _same_letters(quote[0]) if quote else ""
        for pattern, use in rows:
            match = pattern.search(unquoted)
            if match and not (source_words and _same_letters(match.group()) in source_words):
                found.append(f"{where}: «{match.group()}» → «{use}»")
    return found


def test_find_wrong_reports_a_wrong_variant_outside_quotes_only():
    assert find_wrong([("x", "تنزيل المخطط")], "ar") == ["x: «مخطط» → «الرسم البياني»"]
    assert find_wrong([("x", "يقول المصدر «المخطط»")], "ar") == []
    # A measured-as text may keep the term its source's quote uses, and only that.
    assert find_wrong([("x", "تأسیسات صنعتی", "درصد تاسیسات صنعتی")], "fa") == []
    assert find_wrong([("x", "تأسیسات صنعتی", "واحدهای صنعتی")], "fa") != []


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_catalogues_use_the_glossary(lang):
    wrong = find_wrong(catalogue_texts(lang), lang)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_fixtures_use_the_glossary(lang):
    wrong = find_wrong(fixture_texts(lang), lang)
    assert not wrong, "\n".join(wrong)


def test_data_texts_show_one_digit_system():
    """Numbers in a note are shown in the reader's digits; the source's own words («…») and
    codes in Latin letters keep theirs (the Syria page showed «أكثر من ٩٨٪» beside «98٪»)."""
    from indicators.templatetags.smedash import display_digits as display_filter
    from indicators.text import display_digits

    note = "نصه «100-300کارکن»: 81.1٪ في عام 1978 (القسم 3-7)، الرمز IR-02 في ISO 3166-2."
    assert display_digits(note, "ar") == "نصه «100-300کارکن»: ٨١٫١٪ في عام ١٩٧٨ (القسم ٣-٧)، الرمز IR-02 في ISO 3166-2."
    assert display_digits("بیش از 98 درصد، «42/6»", "fa") == "بیش از ۹۸ درصد، «42/6»"
    assert display_digits("more than 98 %", "en") == "more than 98 %"
    assert display_digits(None, "ar") is None
    from django.utils import translation

    with translation.override("fa"):
        assert display_filter("سال 2016") == "سال ۲۰۱۶"
