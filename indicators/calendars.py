"""Years in the reader's calendar: Gregorian, Solar Hijri, or both ("۱۳۵۳ (۱۹۷۴)").

Figures are filed under a Gregorian ``year`` (models: a Solar Hijri year under the Gregorian year
in which it begins) and keep the year as the source wrote it. How a year is *shown* is a choice
of the reader, made once per request and read by the one year formatter
(``formatting.format_year``), the way the language is: activated for the request, never passed
through the page builders. The rule, stated on the about page:

- a year the source wrote in the Solar Hijri calendar is shown exactly as written (1353);
- a Gregorian year G is shown as the Solar Hijri year that begins in it (1 Farvardin, about
  21 March, falls in G), G − 621: 1974 → 1353. So 1353 (1974) reads the same from both sides.

Persian readers see both by default; Arabic and English readers Gregorian years. The choice
travels in the address (``?calendar=solar_hijri``): ``smedash.middleware.PageCacheMiddleware``
activates it for each request (``activate_from_query``), the page forms (``params.QueryForm``)
and the API's forms refuse a bad value with a message, ``carry_in_links`` keeps it in the page's
links, and ``cache.cache_key`` keeps it in every cache key.
"""

import re
from contextlib import contextmanager
from urllib.parse import quote

from asgiref.local import Local
from django.utils.translation import gettext_lazy

from .text import current_lang

PARAMETER = "calendar"
BOTH = "both"
SOLAR_HIJRI = "solar_hijri"
GREGORIAN = "gregorian"
CHOICES = (BOTH, SOLAR_HIJRI, GREGORIAN)
LABELS = {
    BOTH: gettext_lazy("Solar Hijri and Gregorian"),
    SOLAR_HIJRI: gettext_lazy("Solar Hijri only"),
    GREGORIAN: gettext_lazy("Gregorian only"),
}
# 1 Farvardin of Solar Hijri year N falls on 20 or 21 March of Gregorian year N + 621.
OFFSET = 621
_DEFAULTS = {"fa": BOTH}

# The reader's choice for this request (thread- and task-local, like Django's active language).
_active = Local()


def default(lang=None):
    """The calendar a reader of ``lang`` sees when the address chooses none."""
    return _DEFAULTS.get(lang or current_lang(), GREGORIAN)


def explicit():
    """The choice the address made (one of CHOICES), or None when it made none."""
    return getattr(_active, "value", None)


def current():
    """The calendar years are shown in now: the address's choice, else the language's default."""
    return explicit() or default()


def shows_solar_hijri(choice=None):
    """Whether the active calendar (or ``choice``, read once by a caller with many years to show)
    shows Solar Hijri years."""
    return (choice or current()) in (BOTH, SOLAR_HIJRI)


def shows_gregorian(choice=None):
    return (choice or current()) in (BOTH, GREGORIAN)


def activate(choice):
    """Make ``choice`` (one of CHOICES, or None for the language's default) the active one."""
    if choice is not None and choice not in CHOICES:
        raise ValueError(choice)
    _active.value = choice


@contextmanager
def override(choice):
    previous = explicit()
    activate(choice)
    try:
        yield
    finally:
        activate(previous)


def parse(value):
    """A query value as a choice, or None when it is not one (the forms say why)."""
    text = (value or "").strip().lower()
    return text if text in CHOICES else None


def from_query(query):
    """The valid choice of a query (``request.GET``): None when absent, repeated or invalid, so
    that the page falls back to the default and its form says what was wrong."""
    if query is None:  # a query Django refuses to read (too many fields): the view answers the 400
        return None
    values = query.getlist(PARAMETER)
    return parse(values[0]) if len(values) == 1 else None


@contextmanager
def activate_from_query(query):
    """The request's choice, active while it is answered (and nothing left active after it)."""
    with override(from_query(query)):
        yield


# --- years -----------------------------------------------------------------------------------


def solar_hijri_of(gregorian):
    """The Solar Hijri year that begins in Gregorian year ``gregorian``."""
    return None if gregorian is None else gregorian - OFFSET


def solar_hijri_year(gregorian, written="", written_calendar=GREGORIAN):
    """The Solar Hijri year to show for a figure: the year the source wrote when it wrote a plain
    Solar Hijri year (the one filed under ``gregorian``), else the year that begins in
    ``gregorian``. A period ("the ten years to 92") is not a plain year: the rule applies."""
    from .numbers import NumberFormatError, parse_year  # numbers → text: no cycle, but kept local

    if gregorian is None:
        return None
    if written_calendar == SOLAR_HIJRI and written:
        try:
            year = parse_year(written)
        except NumberFormatError:
            year = None
        if year is not None and year + OFFSET == gregorian:
            return year
    return solar_hijri_of(gregorian)


def years_shown(gregorian, solar_hijri, choice=None):
    """The (calendar, year) pairs the active calendar (or ``choice``) shows for one year."""
    choice = choice or current()
    shown = set()
    if shows_solar_hijri(choice):
        shown.add((SOLAR_HIJRI, solar_hijri))
    if shows_gregorian(choice):
        shown.add((GREGORIAN, gregorian))
    return shown


# --- addresses ----------------------------------------------------------------------------------

# Addresses of the public pages (under a language prefix, not the admin) in the page: links
# (href, relative: the canonical and alternate links in <head> are absolute and stay as they
# are, naming the default view) and the address "Copy link" offers (data-url, value: absolute).
_PAGE_ADDRESS = re.compile(
    r'(?P<attr>href="|data-url="|value=")(?P<path>(?:https?://[^/"\s]+)?/(?:en|ar|fa)/(?!admin/)[^"#?\s]*)'
    r'(?P<query>\?[^"#]*)?(?P<fragment>#[^"]*)?"'
)


def with_choice(address, choice=None):
    """``address`` with the active (or given) explicit choice added, unless it has one already."""
    choice = choice or explicit()
    if not choice or re.search(rf"[?&]{PARAMETER}=", address):
        return address
    path, hash_mark, fragment = address.partition("#")
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{PARAMETER}={quote(choice)}{hash_mark}{fragment}"


def carry_in_links(html, choice=None):
    """Add the reader's explicit choice to every link to a public page in ``html``, so that it
    survives pagination, filters and the way from one page to another, as the language does
    (the language switcher keeps the whole query already). Links that choose one are left alone."""
    choice = choice or explicit()
    if not choice:
        return html

    def add(match):
        attr, path, query = match.group("attr"), match.group("path"), match.group("query") or ""
        if attr == 'href="' and not path.startswith("/") or attr != 'href="' and path.startswith("/"):
            return match.group(0)
        if re.search(rf"(?:\?|&amp;|&){PARAMETER}=", query):
            return match.group(0)
        query = f"{query}&amp;{PARAMETER}={choice}" if query not in ("", "?") else f"?{PARAMETER}={choice}"
        return f'{attr}{path}{query}{match.group("fragment") or ""}"'

    return _PAGE_ADDRESS.sub(add, html)


def canonical_path(full_path):
    """The address without a trailing ``calendar=`` of a valid choice, as the page names itself
    (the page's own links put the choice last); the address unchanged otherwise."""
    match = re.search(rf"[?&]{PARAMETER}=([a-z_]+)$", full_path)
    if match is None or match.group(1) not in CHOICES:
        return full_path
    return full_path[: match.start()]
