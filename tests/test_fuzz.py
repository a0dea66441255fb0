"""Fuzzing every public URL parameter and API filter (issue 7): whatever is asked, never a 500.

Hypothesis generates page addresses (every route of indicators/urls.py, in en, ar and fa, with
real and made-up codes), their query parameters (areas, year, scope, indicator, size, width, height,
scale, unknown ones), the API's filters read from its own OpenAPI document, the downloads, and raw
query strings and paths (percent-encoding, %00, invalid UTF-8, very long values). Every request
runs in-process through the Django test client on the seeded database, with the cache emptied
before each request. Each response must be below 500; errors must say something, in the language
of the request; JSON endpoints must answer JSON. Chart images are never drawn: the browser is
replaced by a stub that returns a tiny PNG. What the fuzzing found is kept as plain regression
tests at the end (strict xfails until fixed), and such responses are counted, not failed, here.

The examples are derandomised (the same on every run) and their number fixed, so CI is stable.
Each fuzz test then checks its own tally: at least as many requests as its examples make (one per
example, or one per language), every one answered below 500. The check belongs to the test, so it
holds when the test runs alone and under pytest-xdist; with ``-s`` each test prints its tally.
"""

import functools
import json
import re
import string
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import Resolver404, URLPattern
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indicators import png
from indicators import urls as page_urls

LANGS = ("en", "ar", "fa")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

AREA_CODES = [a["code"] for a in json.loads((FIXTURES / "areas.json").read_text(encoding="utf-8"))]
INDICATOR_CODES = [i["code"] for i in json.loads((FIXTURES / "indicators.json").read_text(encoding="utf-8"))]
SOURCE_IDS = [s["identifier"] for s in json.loads((FIXTURES / "sources.json").read_text(encoding="utf-8"))]
SCOPES = ["economy", "industry", "not_stated", "all"]
AREA_KINDS = ["country", "aggregate", "subnational"]

# A 500 the fuzzing found and an xfail test below reports: database vendor, exception, words.
KNOWN_500S = {}  # none at present: the NUL-on-PostgreSQL 500 was fixed (see the regression tests)
DJANGO_DEFAULT_400 = "<title>Bad Request (400)</title>"
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
TINY_IMAGES = {"svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', "pdf": b"%PDF-1.4 stub"}


@dataclass
class Tally:
    """What the requests of one fuzz test did."""

    requests: int = 0
    answered: int = 0  # below 500
    known_500s: Counter = field(default_factory=Counter)  # by rule of KNOWN_500S, reported by an xfail test
    by_route: Counter = field(default_factory=Counter)  # (route name, status)

    def summary(self):
        routes = {}
        for (route, status), count in sorted(self.by_route.items()):
            routes.setdefault(route, {})[status] = count
        known = f"; known 500s {dict(self.known_500s)}" if self.known_500s else ""
        return f"{self.requests} requests, {self.answered} answered below 500{known}; by route {routes}"


TALLY = Tally()  # the running fuzz test's (see fuzz)


def fuzz(examples, *, requests_per_example=1):
    """A fuzz test: Hypothesis settings for ``examples`` cases, the same ones on every run, then a
    check of the test's own tally: at least ``examples * requests_per_example`` requests, each one
    answered below 500 (or a 500 listed in KNOWN_500S)."""
    hypothesis_settings = settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,  # no .hypothesis/ directory in the checkout
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    minimum = examples * requests_per_example

    def decorator(test):
        test = hypothesis_settings(test)

        @functools.wraps(test)
        def counted(*args, **kwargs):
            global TALLY
            TALLY = tally = Tally()
            test(*args, **kwargs)
            print(f"\nfuzz: {test.__name__}: {tally.summary()}")
            assert tally.requests >= minimum, f"{tally.requests} requests, fewer than {minimum}: {tally.summary()}"
            assert tally.answered + sum(tally.known_500s.values()) == tally.requests, tally.summary()

        return counted

    return decorator


ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")
# Letters only one of the two languages writes: Arabic yeh, teh marbuta and kaf; Persian yeh,
# keheh, gaf, peh, tcheh and jeh. Every Arabic message has one of Arabic's; a short Persian one may
# have none of Persian's («درخواست نامعتبر است.»), but then it has none of Arabic's either.
SCRIPT_OF = {"ar": re.compile("[\u064a\u0629\u0643]"), "fa": re.compile("[\u06cc\u06a9\u06af\u067e\u0686\u0698]")}


@pytest.fixture(autouse=True)
def no_browser_no_rate_limit(monkeypatch, settings):
    """Chart images come from a stub, never Chromium; thousands of requests are not an abuse."""
    calls = []

    def fake_render(figure, opts, timeout):
        calls.append(opts)
        return TINY_IMAGES.get(opts["format"], TINY_PNG)

    monkeypatch.setattr(png, "_render", fake_render)
    settings.RATELIMIT_EXPENSIVE = "1000000/m"
    return calls


@pytest.fixture
def fuzz_client(seeded):
    # The exception itself, not Django's 500 page, so that a failure shows its traceback.
    return Client(raise_request_exception=True)


# Strategies ------------------------------------------------------------------------------------

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%",
    "%00",
    "%FF",
    "..",
    "../../etc/passwd",
    "null",
    "None",
    "undefined",
    "true",
    "[]",
    "{}",
    "'; DROP TABLE indicators_observation; --",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%(code)s",
    "%s%s%s",
    "IRN\n",
    "\nIRN",
    "IRN\r\nX-Injected: 1",
    "\u202eNRI",  # right-to-left override
    "\u200f\u200e",
    "\ufeffIRN",
    "𝐈𝐑𝐍",
    "ＩＲＮ",
    "ß",
    "İ",
    "ﬁrm_share",
    "ایران",
    "إيران",
    "日本",
    "🇮🇷",
    "e\u0301",
    "-",
    "--",
    "0",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "-inf",
    "0x7d0",
    "1_990",
    "9" * 5000,  # past Python's limit of 4300 digits for int()
    "A" * 13,
    "A" * 121,
    "Z" * 4000,
    "ا" * 1500,
    ",".join(["IRN"] * 400),
]

short_text = st.text(max_size=12)
any_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.,", max_size=20),
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "Cf"]), max_size=30),
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(1, 3000)),
)


def digits_in(script):
    return {
        "latin": lambda s: s,
        "fa": lambda s: s.translate(PERSIAN_DIGITS),
        "ar": lambda s: s.translate(ARABIC_DIGITS),
    }[script]


numbers = st.one_of(
    st.integers(1900, 2100),
    st.integers(1300, 1500),  # Solar Hijri years
    st.integers(-(10**6), 10**6),
    st.integers(0, 10**40),
    st.sampled_from([0, 1, 99, 100, 999, 1000, 1899, 1901, 2099, 2101, 9999, 10000, 2**31, 2**63, 10**12, 10**13]),
)
number_text = st.builds(
    lambda n, script, pad: digits_in(script)(f"{pad}{n}{pad}"),
    numbers,
    st.sampled_from(["latin", "fa", "ar"]),
    st.sampled_from(["", "", "", " ", "0", "+", "\t"]),
)
years = st.one_of(
    st.sampled_from(["latest", "all", "LATEST", " All ", "latest,all", "2015.0", "2,015", "١٩٩٠", "۱۳۹۲", "१९९०"]),
    number_text,
    any_text,
)
scopes = st.one_of(st.sampled_from(SCOPES), st.sampled_from(SCOPES).map(str.upper), any_text)


def codes_strategy(real, *, extra=()):
    """One code: a real one (as is, or in another case), one that could be real, or anything."""
    known = st.sampled_from(real)
    return st.one_of(
        known,
        known,
        known.map(str.lower),
        known.map(lambda c: f" {c} "),
        st.sampled_from(["XYZ", "ZZZ", "AAA", "EU27", "IR-99", "IR", "A-B-C-D-E-F", "ABCDEFGHIJKL", "IR\x00N", *extra]),
        any_text,
    )


area_codes = codes_strategy(AREA_CODES)
indicator_codes = codes_strategy(INDICATOR_CODES, extra=["firm-share", "FIRM_SHARE", "x" * 41])
source_ids = codes_strategy(SOURCE_IDS, extra=["001", "001_e2e29c5eae0b9509", "a/b.txt", "../001.txt"])


@st.composite
def code_lists(draw, codes, name):
    """A list of codes as query pairs: comma-separated, repeated, or both; sometimes very many."""
    items = draw(st.lists(codes, max_size=8))
    if draw(st.integers(0, 9)) == 0:
        items = items + [draw(st.sampled_from(AREA_CODES + INDICATOR_CODES))] * draw(st.integers(50, 700))
    style = draw(st.sampled_from(["comma", "repeat", "mixed", "separators"]))
    if style == "comma":
        return [(name, ",".join(items))]
    if style == "repeat":
        return [(name, item) for item in items]
    if style == "separators":
        return [(name, draw(st.sampled_from([",", ";", " ", "|", ", ,"])).join(items))]
    half = len(items) // 2
    return [(name, ",".join(items[:half])), *[(name, item) for item in items[half:]]]


page_param_values = {
    "areas": code_lists(area_codes, "areas"),
    "year": years.map(lambda v: [("year", v)]),
    "scope": scopes.map(lambda v: [("scope", v)]),
    "indicator": indicator_codes.map(lambda v: [("indicator", v)]),
    "page": st.one_of(number_text, any_text).map(lambda v: [("page", v)]),
    "calendar": st.one_of(
        st.sampled_from(["both", "solar_hijri", "gregorian", "SOLAR_HIJRI", " both ", "", "jalali"]), any_text
    ).map(lambda v: [("calendar", v)]),
    "size": st.one_of(
        st.sampled_from(["small", "medium", "large", "share", "SHARE", " small ", "", "huge", "1000"]), any_text
    ).map(lambda v: [("size", v)]),
    "width": st.one_of(number_text, any_text).map(lambda v: [("width", v)]),
    "height": st.one_of(number_text, any_text).map(lambda v: [("height", v)]),
    "scale": st.one_of(
        st.sampled_from(
            ["1", "1.5", "2", "3", "3.001", "0.99", "1e0", "1E1", "NaN", "sNaN", "Infinity", "-0", "1e999999"]
        ),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        number_text,
        any_text,
    ).map(lambda v: [("scale", v)]),
    "lang": st.one_of(st.sampled_from(LANGS), any_text).map(lambda v: [("lang", v)]),
    "format": any_text.map(lambda v: [("format", v)]),
    "unknown": st.tuples(any_text, any_text).map(lambda kv: [kv]),
}


@st.composite
def page_query(draw):
    """Pairs for a page's query string: any of the pages' parameters, any number of times."""
    names = draw(st.lists(st.sampled_from(sorted(page_param_values)), max_size=6))
    pairs = []
    for name in names:
        pairs += draw(page_param_values[name])
    return pairs


def encode(pairs):
    """A query string as a browser would send it (UTF-8, percent-encoded)."""
    return urlencode(pairs, safe=",")


def segment(value, *, keep_slashes=False):
    return quote(value, safe="/" if keep_slashes else "")


ROUTE_PART = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def page_routes():
    """Every route of indicators/urls.py, so that routes added later are fuzzed too."""
    routes = []
    for pattern in page_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        routes.append(str(pattern.pattern))
    return routes


def route_value(route, converter, name):
    """Values for a route's path parameter: the real codes for that kind of page, or anything."""
    if route.startswith("compare"):
        real = indicator_codes
    elif route.startswith("areas"):
        real = area_codes
    elif route.startswith("sources"):
        real = source_ids
    else:
        real = any_text
    nul = st.sampled_from(["\x00", "IR\x00N", "001\x00.txt", "firm\x00share"])
    return st.one_of(real, real, any_text, nul).map(lambda v: segment(v, keep_slashes=converter == "path"))


@st.composite
def page_paths(draw):
    route = draw(st.sampled_from(page_routes()))
    path = ROUTE_PART.sub(lambda m: draw(route_value(route, m["converter"], m["name"])) or "x", route)
    return "/{lang}/" + path


# Requests and checks ---------------------------------------------------------------------------


def known_500(error):
    """A 500 already reported by an xfail test below (KNOWN_500S), or None."""
    for rule, (vendor, kind, words) in KNOWN_500S.items():
        if connection.vendor == vendor and isinstance(error, kind) and words in str(error):
            return rule
    return None


def request(client, test, url, *, query_string=None, **headers):
    """GET url; count it in TALLY; fail (with a reproduction) on a 500 or an exception.

    Returns the response, or None for a 500 that is already known (see KNOWN_500S)."""
    cache.clear()  # every example computes its pages afresh
    extra = dict(headers)
    if query_string is not None:
        extra["QUERY_STRING"] = query_string
    shown = url if query_string is None else f"{url}?{query_string}"
    try:
        response = client.get(url, **extra)
    except Exception as error:
        TALLY.requests += 1
        if rule := known_500(error):
            TALLY.known_500s[rule] += 1
            return None
        raise AssertionError(f"500 in {test}: GET {shown!r} {headers or ''}\n{traceback.format_exc()}") from None
    TALLY.requests += 1
    TALLY.by_route[(route_name(response), response.status_code)] += 1
    if response.status_code >= 500:
        raise AssertionError(
            f"{response.status_code} in {test}: GET {shown!r} {headers or ''}\n{response.content[:500]}"
        )
    TALLY.answered += 1
    return response


def route_name(response):
    try:
        match = response.resolver_match
        return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    except Resolver404:
        return "(no route)"


def body_text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def check_language(text, lang, asked):
    """``text`` (an error message) is in ``lang``; ``asked`` is everything the request said,
    which a message may quote: a check that the quote could satisfy is not made."""
    if lang == "en":
        if not ARABIC_SCRIPT.search(asked):
            assert not ARABIC_SCRIPT.search(text), f"an English message in Arabic script: {text[:300]!r}"
    elif lang == "ar":
        assert SCRIPT_OF["ar"].search(text), f"a message not in ar: {text[:300]!r}"
    else:
        persian = SCRIPT_OF["fa"].search(text) or (ARABIC_SCRIPT.search(text) and not SCRIPT_OF["ar"].search(text))
        assert persian, f"a message not in fa: {text[:300]!r}"


def check_page(response, lang, asked):
    """A page under /{lang}/: HTML errors in that language; JSON twins answer JSON."""
    if response is None:  # a known 500
        return
    status = response.status_code
    content_type = response.get("Content-Type", "")
    try:
        view = response.resolver_match.url_name
    except Resolver404:  # the test client resolves lazily; an address that matches no route
        view = None
    if status in (301, 302):
        assert response["Location"]
        return
    if status == 200 and view and view.endswith("_png"):
        assert content_type == "image/png" and response.content.startswith(b"\x89PNG"), content_type
        return
    if status == 200 and view and view.endswith("_csv"):
        assert content_type.startswith("text/csv"), content_type
        assert response.content.decode("utf-8").strip()
        return
    if (view and view.endswith("_json")) or content_type.startswith("application/json"):
        assert content_type.startswith("application/json"), (view, content_type)
        data = json.loads(response.content)
        if status >= 400:
            assert data["errors"] and all(isinstance(m, str) and m.strip() for m in data["errors"]), data
            check_language(" ".join(data["errors"]), lang, asked)
        return
    text = body_text(response)
    if status == 200 and content_type.startswith("text/html"):
        assert f'<html lang="{lang}"' in text, f"a page not in {lang}"
    if status >= 400:
        assert text.strip(), f"an empty {status}"
        if content_type.startswith("text/html"):
            assert f'<html lang="{lang}"' in text, f"a {status} page not in {lang}"
        elif content_type.startswith("text/plain"):
            check_language(text, lang, asked)


def asked_of(*parts):
    """Everything a request said (strings, or lists of pairs of them), as sent and decoded."""
    texts = []

    def collect(part):
        if isinstance(part, list | tuple):
            for item in part:
                collect(item)
        else:
            texts.append(str(part))

    collect(parts)
    text = " ".join(texts)
    return unquote(text) + " " + text


# Pages -----------------------------------------------------------------------------------------


@fuzz(120, requests_per_example=len(LANGS))
@given(path=page_paths(), query=page_query())
def test_fuzz_every_page_route_in_every_language(fuzz_client, path, query):
    """Every route of indicators/urls.py (chart images and CSV files too, when there are any), with
    real and made-up codes and any of the pages' parameters, in English, Arabic and Persian."""
    qs = encode(query)
    for lang in LANGS:
        url = path.format(lang=lang) + (f"?{qs}" if qs else "")
        response = request(fuzz_client, "pages", url)
        check_page(response, lang, asked_of(url, query))


valid_years = st.one_of(
    st.sampled_from(["latest", "all", "Latest", " ALL "]),
    st.builds(
        lambda y, script: digits_in(script)(str(y)), st.integers(1990, 2020), st.sampled_from(["latin", "fa", "ar"])
    ),
)


@st.composite
def compare_query(draw):
    """Half the time a query a reader could make (real codes in any case, a year in any digits, a
    scope), half the time anything."""
    if draw(st.booleans()):
        codes = draw(st.lists(VALID_CODES["area"], max_size=5))
        areas = [("areas", ",".join(codes))] if draw(st.booleans()) else [("areas", c) for c in codes]
        year = draw(st.lists(valid_years, max_size=1))
        scope = draw(st.lists(st.sampled_from(SCOPES), max_size=1))
        indicator = []
    else:
        areas = draw(code_lists(area_codes, "areas"))
        year = draw(st.lists(years, max_size=2))
        scope = draw(st.lists(scopes, max_size=2))
        indicator = draw(st.lists(indicator_codes, max_size=1))
    query = areas + [("year", y) for y in year] + [("scope", s) for s in scope] + [("indicator", i) for i in indicator]
    draw(st.randoms()).shuffle(query)
    return query


@fuzz(150)
@given(
    lang=st.sampled_from(LANGS),
    route=st.sampled_from([r for r in page_routes() if r.startswith("compare")]),
    code=st.one_of(st.sampled_from(INDICATOR_CODES), indicator_codes),
    query=compare_query(),
)
def test_fuzz_compare_parameters(fuzz_client, lang, route, code, query):
    """The comparison's own parameters, harder: areas, year and scope in every form, on the page,
    its JSON twin, and its CSV and chart image if it has them."""
    path = f"/{lang}/" + ROUTE_PART.sub(segment(code) or "x", route)
    url = f"{path}?{encode(query)}"
    response = request(fuzz_client, "compare", url)
    check_page(response, lang, asked_of(url, query))
    if response is not None and response.status_code == 200 and route.endswith("data.json"):
        data = response.json()
        assert data["indicator"]["code"] == code


AREA_ROUTES = [r for r in page_routes() if r.startswith("areas/")]


@fuzz(80, requests_per_example=len(LANGS))
@given(route=st.sampled_from(AREA_ROUTES), code=area_codes, query=page_query())
@example(route=AREA_ROUTES[0], code="\x00", query=[])  # was a 500 on PostgreSQL: see the regression tests
@example(route=AREA_ROUTES[-1], code="IR\x00N", query=[])
@example(route=AREA_ROUTES[0], code="ir-02", query=[("year", "۱۳۹۲")])
def test_fuzz_area_pages(fuzz_client, route, code, query):
    """An area's page, JSON twin, CSV and chart image, with real and made-up codes."""
    path = ROUTE_PART.sub(segment(code) or "x", route)
    for lang in LANGS:
        url = f"/{lang}/{path}?{encode(query)}"
        response = request(fuzz_client, "areas", url)
        check_page(response, lang, asked_of(url, query))


@fuzz(50, requests_per_example=len(LANGS))
@given(identifier=source_ids, keep_slashes=st.booleans(), suffix=st.sampled_from(["/", "", "/data.json", "//"]))
@example(identifier="001\x00.txt", keep_slashes=False, suffix="/")  # a 500 on PostgreSQL
@example(identifier="../../001_e2e29c5eae0b9509.txt", keep_slashes=True, suffix="/")
def test_fuzz_source_pages(fuzz_client, identifier, keep_slashes, suffix):
    path = segment(identifier, keep_slashes=keep_slashes) + suffix
    for lang in LANGS:
        url = f"/{lang}/sources/{path}"
        response = request(fuzz_client, "sources", url)
        check_page(response, lang, asked_of(url))


# The API, from its OpenAPI document ------------------------------------------------------------

OPENAPI = {}


def openapi_document(client):
    if not OPENAPI:
        response = request(client, "api", "/api/v1/openapi.json")
        assert response.status_code == 200
        OPENAPI.update(response.json())
    return OPENAPI


def resolve_ref(document, item):
    while "$ref" in item:
        node = document
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


REAL_CODES = {
    "area": area_codes,
    "kind": codes_strategy(AREA_KINDS),
    "indicator": indicator_codes,
    "source": source_ids,
    "scope": codes_strategy(SCOPES[:3]),
}
VALID_CODES = {
    "area": st.sampled_from(AREA_CODES) | st.sampled_from(AREA_CODES).map(str.lower),
    "kind": st.sampled_from(AREA_KINDS),
    "indicator": st.sampled_from(INDICATOR_CODES),
    "source": st.sampled_from(SOURCE_IDS),
    "scope": st.sampled_from(SCOPES[:3]),
}


def value_strategy(name, schema, *, valid_only=False):
    """Values for one parameter, from its schema: valid ones, edge cases and nonsense."""
    kind = schema.get("type")
    if "enum" in schema:
        valid = st.sampled_from(schema["enum"])
        if valid_only:
            return valid
        return st.one_of(valid, valid, valid.map(str.upper), valid.map(lambda v: f" {v} "), any_text)
    if kind == "integer":
        low, high = schema.get("minimum", -(10**6)), schema.get("maximum", 10**9)
        if valid_only:
            return st.integers(low, min(high, low + 300)).map(str)
        edges = [low - 1, low, low + 1, high - 1, high, high + 1, 0, -1, 10**9, 10**9 + 1, 10**12, 10**13]
        return st.one_of(
            st.integers(low, high).map(str),
            st.sampled_from(edges).map(str),
            number_text,
            st.sampled_from(["1.0", "1e3", "0x10", "+5", "5 ", "½", "²", "١٠", "۱۰", "１０"]),
            any_text,
        )
    if kind == "array":
        return (VALID_CODES if valid_only else REAL_CODES).get(name, any_text)
    return any_text


@st.composite
def api_request(draw, document):
    """A path of the API and a query built from that path's parameters in the document: half the
    time valid values only (each parameter once), half the time anything, unknown names too."""
    path = draw(st.sampled_from(sorted(document["paths"])))
    operation = document["paths"][path]["get"]
    parameters = [resolve_ref(document, p) for p in operation.get("parameters", [])]
    valid = draw(st.booleans())
    pairs = []
    chosen = []
    if parameters:
        unique = (lambda p: p["name"]) if valid else None
        chosen = draw(st.lists(st.sampled_from(parameters), max_size=5, unique_by=unique))
    for parameter in chosen:
        name, schema = parameter["name"], parameter["schema"]
        values = value_strategy(name, schema, valid_only=valid)
        if schema.get("type") == "array":
            if valid:
                pairs.append((name, ",".join(draw(st.lists(values, min_size=1, max_size=4)))))
            else:
                pairs += draw(code_lists(values, name))
        else:
            pairs += [(name, v) for v in draw(st.lists(values, min_size=1, max_size=1 if valid else 2))]
    if not valid and draw(st.integers(0, 3)) == 0:  # a parameter this path does not take, or a typo
        names = ["years_from", "Area", "area[]", "page", "format", "callback", "", "lang ", "ﻻang"]
        names += ["kind", "area", "limit"]
        pairs.append((draw(st.sampled_from(names) | short_text), draw(any_text)))
    draw(st.randoms()).shuffle(pairs)
    accept = draw(st.sampled_from(["", "en", "ar", "fa", "fa-IR,fa;q=0.9", "ar-EG", "de", "*", "q=;;,", "x" * 300]))
    return path, pairs, accept


def expected_api_language(response, pairs):
    """Messages come in the last lang given when it is a valid one, else the request's language."""
    langs = [value for name, value in pairs if name == "lang"]
    if langs and langs[-1] in LANGS:
        return langs[-1]
    return response.wsgi_request.LANGUAGE_CODE


def check_api(response, path, pairs):
    if response is None:  # a known 500
        return
    status = response.status_code
    content_type = response.get("Content-Type", "")
    if status == 200:
        if "/downloads/" in path:
            assert response["Content-Disposition"].startswith("attachment")
            assert body_text(response) or response.content
        else:
            assert content_type.startswith("application/json"), content_type
            json.loads(response.content)
        return
    assert status == 400, (status, path, pairs)
    assert content_type.startswith("application/json"), content_type
    data = json.loads(response.content)
    assert data["error"].strip() and isinstance(data["parameter"], str), data
    assert data["parameter"] in {name for name, _ in pairs}, data
    check_language(data["error"], expected_api_language(response, pairs), asked_of(pairs))


@fuzz(120)
@given(data=st.data())
def test_fuzz_api_from_its_openapi_document(fuzz_client, data):
    """Every path of /api/v1/openapi.json with its own parameters (valid, out of range, unknown,
    repeated), the downloads included, in any Accept-Language."""
    document = openapi_document(fuzz_client)
    path, pairs, accept = data.draw(api_request(document), label="request")
    url = f"{path}?{encode(pairs)}" if pairs else path
    response = request(fuzz_client, "api", url, HTTP_ACCEPT_LANGUAGE=accept)
    check_api(response, path, pairs)
    if path.endswith("/observations") and response is not None and response.status_code == 200:
        page = response.json()
        assert page["count"] >= 0 and len(page["results"]) <= page["limit"] <= 1000


@fuzz(120)
@given(
    area=st.lists(area_codes, max_size=4),
    indicator=st.lists(indicator_codes, max_size=3),
    source=st.lists(source_ids, max_size=2),
    scope=st.lists(REAL_CODES["scope"], max_size=2),
    year_from=st.lists(st.one_of(number_text, any_text), max_size=2),
    year_to=st.lists(st.one_of(number_text, any_text), max_size=2),
    lang=st.lists(st.one_of(st.sampled_from(LANGS), any_text), max_size=2),
    limit=st.lists(st.one_of(number_text, any_text), max_size=2),
    offset=st.lists(st.one_of(number_text, any_text), max_size=2),
    joined=st.booleans(),
)
def test_fuzz_observation_filters_together(
    fuzz_client, area, indicator, source, scope, year_from, year_to, lang, limit, offset, joined
):
    """Every filter of /api/v1/observations at once, each given zero, one or two times."""
    pairs = []
    for name, values in (("area", area), ("indicator", indicator), ("source", source), ("scope", scope)):
        if values:
            pairs += [(name, ",".join(values))] if joined else [(name, v) for v in values]
    for name, values in (("year_from", year_from), ("year_to", year_to), ("lang", lang)):
        pairs += [(name, v) for v in values]
    pairs += [("limit", v) for v in limit] + [("offset", v) for v in offset]
    path = "/api/v1/observations"
    response = request(fuzz_client, "api", f"{path}?{encode(pairs)}")
    check_api(response, path, pairs)


@fuzz(30)
@given(
    fmt=st.sampled_from(["csv", "json", "xlsx"]),
    lang=st.lists(st.one_of(st.sampled_from(LANGS), any_text), max_size=2),
    other=st.lists(st.tuples(short_text, short_text), max_size=1),
)
def test_fuzz_downloads(fuzz_client, fmt, lang, other):
    """The full-data downloads: lang (valid, invalid, repeated) and parameters they do not take."""
    pairs = [("lang", v) for v in lang] + other
    path = f"/api/v1/downloads/observations.{fmt}"
    response = request(fuzz_client, "downloads", f"{path}?{encode(pairs)}" if pairs else path)
    check_api(response, path, pairs)


# Raw query strings and paths -------------------------------------------------------------------

RAW_TARGETS = [
    "/en/",
    "/ar/compare/",
    "/fa/compare/firm_share/",
    "/en/compare/firm_share/data.json",
    "/ar/areas/IRN/",
    "/fa/areas/IRN/data.json",
    "/en/sources/001_e2e29c5eae0b9509.txt/",
    "/ar/about/",
    "/fa/sources/",
    "/api/v1/areas",
    "/api/v1/indicators",
    "/api/v1/sources",
    "/api/v1/observations",
    "/api/v1/openapi.json",
    "/api/v1/downloads/observations.csv",
    "/api/v1/downloads/observations.json",
    "/healthz",
    "/i18n/setlang/",
] + [
    "/en/" + ROUTE_PART.sub("IRN" if r.startswith("areas") else "firm_share", r)
    for r in page_routes()
    if r.endswith((".png", ".csv", ".svg", ".xlsx"))
]

RAW_PIECES = [
    "%00",
    "%FF",
    "%FE%FF",
    "%C3%28",
    "%E2%82",
    "%ED%A0%80",  # a UTF-16 surrogate, in UTF-8
    "%F4%90%80%80",  # past U+10FFFF
    "%C0%AF",  # an overlong '/'
    "%",
    "%%",
    "%G1",
    "%2",
    "+",
    "&",
    "&&",
    "=",
    "==",
    ";",
    "%26",
    "%3D",
    "%2C",
    "%0A",
    "%0D%0A",
    "\xff",
    "\xe9",
]
PARAM_NAMES = [
    "areas",
    "page",
    "year",
    "scope",
    "indicator",
    "area",
    "source",
    "kind",
    "lang",
    "limit",
    "offset",
    "year_from",
    "year_to",
    "size",
    "width",
    "height",
    "scale",
    "next",
]
raw_query_strings = st.lists(
    st.one_of(
        st.sampled_from(RAW_PIECES),
        st.sampled_from(PARAM_NAMES).map(lambda n: n + "="),
        st.text(alphabet=string.ascii_letters + string.digits + "-_.,", min_size=1, max_size=12),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0xFF), max_size=8),
        st.builds(lambda p, n: p * n, st.sampled_from(["%FF", "A", "%41", "IRN,", "9"]), st.integers(100, 3000)),
        # More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (1000): Django refuses them (400).
        st.integers(990, 1010).map(lambda n: "&" + "&".join(f"f{i}=1" for i in range(n)) + "&"),
    ),
    max_size=20,
).map("".join)


@fuzz(150)
@given(target=st.sampled_from(RAW_TARGETS), raw=raw_query_strings)
def test_fuzz_raw_query_strings(fuzz_client, target, raw):
    """Query strings no browser would send: invalid UTF-8, %00, broken escapes, bare bytes."""
    response = request(fuzz_client, "raw", target, query_string=raw)
    lang = target.split("/")[1]
    if lang in LANGS:
        check_page(response, lang, asked_of(raw, parse_qsl(raw, encoding="latin-1")))
    elif target.startswith("/api/") and response is not None and response.status_code == 400:
        assert response["Content-Type"].startswith("application/json")
        assert json.loads(response.content)["error"].strip()


raw_path_pieces = st.lists(
    st.one_of(
        st.sampled_from(RAW_PIECES + ["%2F", "/", "//", ".", "..", "%2E%2E", "IRN", "firm_share", "data.json"]),
        st.sampled_from(["compare/", "areas/", "sources/", "about/", "chart.png", "data.csv"]),
        st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=10),
        st.text(max_size=6).map(lambda t: quote(t, safe="")),
    ),
    max_size=10,
).map("".join)


@fuzz(100)
@given(lang=st.sampled_from([*LANGS, "api/v1"]), raw=raw_path_pieces)
def test_fuzz_raw_paths(fuzz_client, lang, raw):
    """Paths with percent-escapes that decode to NUL, '/', '..' or invalid UTF-8."""
    url = f"/{lang}/{raw}"
    response = request(fuzz_client, "raw", url)
    if lang in LANGS and response is not None and response.status_code != 200:
        check_page(response, lang, asked_of(url))


# Failures the fuzzing found, fixed since; these keep them fixed ------------------------------

NUL_ADDRESSES = [
    "/en/areas/%00/",
    "/ar/areas/IR%00N/data.json",
    "/fa/areas/%00/data.csv",
    "/en/areas/%00/chart.png",
    "/en/sources/001%00.txt/",
]


@pytest.mark.parametrize("url", NUL_ADDRESSES)
def test_nul_in_an_address_is_a_404_not_a_500(seeded, url):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/ar/compare/?areas=" + "A" * 17000,
        "/fa/compare/firm_share/?" + "&".join(f"f{i}=1" for i in range(1001)),
    ],
)
def test_400_page_is_in_the_language_of_the_address(seeded, url):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400
    lang = url.split("/")[1]
    assert f'<html lang="{lang}"' in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/observations?", "/api/v1/areas?", "/en/compare/firm_share/data.json?"])
def test_api_400_is_json(seeded, url):
    response = Client(raise_request_exception=False).get(url + "&".join(f"f{i}=1" for i in range(1001)))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
