"""Issue 18: one digit system in running Arabic and Persian text. Every public page of the seed, in
ar and fa, shows no Latin digit outside what is kept as written: the sources' own words (quotes,
«…»), codes (IR-02, ISO 3166-2) and machine text (code, scripts)."""

import re

import pytest

from indicators.models import Indicator, Source

KEPT = [
    re.compile(r"<blockquote.*?</blockquote>", re.S),
    re.compile(r"<(script|code|bdi|pre|textarea|style)[^>]*>.*?</\1>", re.S),
    re.compile(r"<[^>]+>"),  # tags and their attributes (addresses, ids)
    re.compile(r"«[^»]*»"),  # the sources' words, quoted
    re.compile(r"ISO\s*[0-9-]+"),  # a standard's name (ISO 3166-2)
]
LATIN_NUMBER = re.compile(r"\S{0,12}[0-9][0-9.,/%-]*\S{0,12}")


def running_text(html):
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    for pattern in KEPT:
        main = pattern.sub(" ", main)
    return main


def public_pages():
    indicators = Indicator.objects.values_list("code", flat=True)
    return [
        "/",
        "/about/",
        "/sources/",
        *(f"/compare/{code}/?year=all" for code in indicators),
        *(f"/areas/{code}/" for code in ("IRN", "KOR", "JPN", "SYR", "IR-02", "EU25")),
        *(f"/sources/{identifier}/" for identifier in Source.objects.values_list("identifier", flat=True)),
        "/trends/sme_count/?areas=IRN",
    ]


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_running_text_has_no_latin_digits(client, seeded, lang):
    found = {}
    for path in public_pages():
        response = client.get(f"/{lang}{path}")
        assert response.status_code == 200, path
        text = running_text(response.content.decode())
        numbers = {n for n in LATIN_NUMBER.findall(text) if not re.search("[A-Za-z]", n)}  # codes kept
        if numbers:
            found[path] = sorted(numbers)
    assert not found, found


def test_the_check_finds_a_latin_digit():
    assert LATIN_NUMBER.findall(running_text("<main><p>أكثر من 98٪</p><blockquote>1353</blockquote></main>")) == ["98٪"]
