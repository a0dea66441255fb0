"""The Arabic and Persian catalogues are complete: every message the code and the templates ask
for is there, translated, not fuzzy, with headers that say which language and plural rule they
are for.

The messages are extracted by Django's own ``makemessages`` (xgettext underneath) from a copy of
the source in a temporary directory, so the real ``locale/`` is never written to.
"""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"
# The directories holding code and templates with translatable text (not .venv, node_modules, var).
SOURCE_DIRS = ("countries", "indicators", "smedash", "templates")
PLURAL_FORMS = {
    "ar": (
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
        "n%100>=11 && n%100<=99 ? 4 : 5;"
    ),
    "fa": "nplurals=2; plural=(n > 1);",
}
# A named placeholder (%(count)s) or a positional one (%s, %d).
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdfr]|%[sdfr]")


def catalogue(lang):
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of today's code and templates: {(msgctxt, msgid): POEntry}."""
    root = tmp_path_factory.mktemp("extract")
    for name in SOURCE_DIRS:
        shutil.copytree(
            Path(settings.BASE_DIR) / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "locale")
        )
    (root / "locale").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(settings, "LOCALE_PATHS", [root / "locale"])
        call_command("makemessages", locale=["ar"], domain="django", keep_pot=True, verbosity=0)
    pot = polib.pofile(str(root / "locale" / "django.pot"))
    entries = {(entry.msgctxt, entry.msgid): entry for entry in pot if entry.msgid}
    assert len(entries) > 300, "the extraction found too few messages: is xgettext installed?"
    return entries


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_every_message_of_the_code_is_translated(extracted, lang):
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalogue(lang) if not entry.obsolete}
    missing = [msgid for key, msgid in ((key, key[1]) for key in extracted) if key not in entries]
    assert not missing, f"{lang}: {len(missing)} messages missing from the catalogue: {missing[:10]}"
    untranslated, fuzzy, wrong_count = [], [], []
    nplurals = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[lang]).group(1))
    for key, source in extracted.items():
        entry = entries[key]
        if "fuzzy" in entry.flags:
            fuzzy.append(entry.msgid)
        if source.msgid_plural:
            forms = entry.msgstr_plural
            if len(forms) != nplurals:
                wrong_count.append(entry.msgid)
            if not entry.msgid_plural or not all(str(text).strip() for text in forms.values()):
                untranslated.append(entry.msgid)
        elif not entry.msgstr.strip():
            untranslated.append(entry.msgid)
    assert not untranslated, f"{lang}: untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy[:10]}"
    assert not wrong_count, f"{lang}: plural messages without {nplurals} forms: {wrong_count[:10]}"


def single_value_forms(lang):
    """The plural forms that stand for one number only (Arabic: 0, 1, 2; Persian: 0 and 1 share
    the first form): there the count may be written in words (رقم واحد، رقمان، یک رقم)."""
    return {0, 1, 2} if lang == "ar" else {0}


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_translations_keep_the_placeholders(lang):
    """A translation uses exactly the placeholders of its message: a missing %(name)s loses a
    value, an unknown one is a KeyError at run time. Only a form for a single number may leave
    the one placeholder holding that number out, as the language writes it in words."""
    wrong = []
    for entry in catalogue(lang):
        if not entry.msgid or entry.obsolete:
            continue
        expected = set(_PLACEHOLDER.findall(entry.msgid)) | set(_PLACEHOLDER.findall(entry.msgid_plural or ""))
        forms = entry.msgstr_plural if entry.msgid_plural else {0: entry.msgstr}
        for index, text in forms.items():
            found = set(_PLACEHOLDER.findall(text))
            left_out = expected - found
            may_leave_out = entry.msgid_plural and int(index) in single_value_forms(lang)
            if found - expected or (left_out and not (may_leave_out and len(left_out) == 1)):
                wrong.append((entry.msgid, index, text))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_headers(lang):
    po = catalogue(lang)
    header = po.metadata
    assert "fuzzy" not in po.metadata_is_fuzzy and not po.metadata_is_fuzzy
    assert header["Language"] == lang
    assert header["Plural-Forms"] == PLURAL_FORMS[lang]
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    for field in ("Project-Id-Version", "Last-Translator", "Language-Team", "PO-Revision-Date"):
        value = header.get(field, "")
        assert value and not any(blank in value for blank in ("PACKAGE", "FULL NAME", "YEAR", "LANGUAGE")), field
