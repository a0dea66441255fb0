"""Presentation: rows from ``indicators.selectors`` turned into what a page shows, in the active
language: names, labels, formatted numbers, addresses, file names and page links.

The dicts made here are the pages' template context, the input of the charts and the chart
exports, and (through ``chart_exports.chart_json``, which keeps only the declared contract) the JSON
twins. Page builders live in ``indicators.pages`` and ``indicators.comparison``; the rules that
flag and label figures in ``indicators.flags``.
"""

import re
from functools import lru_cache

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from countries.models import Area

from . import calendars
from .formatting import format_figure, format_number, format_year
from .models import Indicator, Observation, Source
from .numbers import NumberFormatError, parse_year
from .text import current_lang, direction, plain_decimal

# The order groups are shown in, and what a group is called: aggregates and regions are never
# ranked among countries.
GROUP_ORDER = [Area.Kind.COUNTRY, Area.Kind.AGGREGATE, Area.Kind.SUBNATIONAL]
GROUP_LABELS = {
    Area.Kind.COUNTRY: gettext_lazy("Countries"),
    Area.Kind.AGGREGATE: gettext_lazy("Groups of countries"),
    Area.Kind.SUBNATIONAL: gettext_lazy("Regions within a country"),
}
FILE_NAME_MAX = 120
# Characters no file name may hold on common systems, direction marks (a name must not reorder
# what follows it) and runs of spaces: replaced by one "-".
_FILE_NAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\s\u200e\u200f\u202a-\u202e\u2066-\u2069]+')


class NotFound(LookupError):
    """What the address names does not exist; the message is in the active language."""


class QueryError(ValueError):
    """Bad query parameters; ``messages`` are in the active language, ready to show.
    ``parameter`` names the first parameter at fault, when one is."""

    def __init__(self, messages, parameter=None):
        self.messages = [str(m) for m in messages]
        self.parameter = parameter
        super().__init__("; ".join(self.messages))


# --- addresses -----------------------------------------------------------------------------------


def url(name, *args, query=""):
    address = _reverse(name, current_lang(), args, get_script_prefix())
    return f"{address}?{query}" if query else address


@lru_cache(maxsize=4096)
def _reverse(name, lang, args, script_prefix):
    # Addresses never change while the process runs (the script prefix is in the key): a page
    # with a hundred figures asks for the same few of them again and again.
    with translation.override(lang):
        return reverse(name, args=args)


def page_query(page):
    return f"page={page}" if page > 1 else ""


# --- rows as the pages show them ---------------------------------------------------------------


def area_dict(area):
    return {
        "code": area.code,
        "name": area.name,
        "kind": area.kind,
        "kind_label": str(Area.Kind(area.kind).label),
        "parent": area.parent_code,
        "url": url("area", area.code),
    }


def indicator_dict(indicator):
    return {
        "code": indicator.code,
        "name": indicator.name,
        "description": indicator.description,
        "unit": indicator.unit,
        "unit_label": str(Indicator.Unit(indicator.unit).label),
        "is_share": indicator.unit == Indicator.Unit.PERCENT,
        "url": url("compare", indicator.code),
    }


def source_dict(source):
    return {
        "identifier": source.identifier,
        "title": source.title,
        "url": url("source", source.identifier),
        "language": source.language,
        "language_label": str(Source.Language(source.language).label),
        "dir": direction(source.language),
        "kind": source.kind,
        "kind_label": str(Source.Kind(source.kind).label),
    }


def figure_dict(row):
    """One published figure, shaped for a table row, a bar and a JSON record."""
    return figure_dicts([row])[0]


def figure_dicts(rows):
    """Published figures (``figure_dict``), many at once: what they share (their areas, indicator
    and sources, the labels of their qualifiers, scopes and years) is presented once, so a page of
    hundreds of figures costs little more per figure than its own numbers. The area and indicator
    dicts are shared between figures: read them, never change them."""
    shared, lang, calendar = {}, current_lang(), calendars.current()

    def once(key, make, *args):
        value = shared.get(key)
        if value is None:
            value = shared[key] = make(*args)
        return value

    return [_figure_dict(row, once, lang, calendar) for row in rows]


def _figure_dict(row, once, lang, calendar):
    source = once(("source", row.source.identifier), source_dict, row.source)
    indicator = row.indicator
    return {
        "id": row.id,
        "anchor": f"q-{row.id}",
        "area": once(("area", row.area.id), area_dict, row.area),
        "indicator": once(("indicator", indicator.id), _figure_indicator, indicator),
        "value": float(row.value),
        "value_text": plain_decimal(row.value),
        "value_display": format_figure(row.value, indicator.unit, row.qualifier, lang),
        "qualifier": row.qualifier,
        "qualifier_label": once(("qualifier", row.qualifier), _label, Observation.Qualifier, row.qualifier),
        **_year_fields(row.year, row.year_as_written, row.year_calendar, calendar, lang),
        "is_period": _is_period(row.year, row.year_as_written),
        "scope": row.scope,
        "scope_label": once(("scope", row.scope), _label, Observation.Scope, row.scope),
        "measured_as": row.measured_as,
        "definition": row.definition,
        "note": row.note,
        "quote": row.quote,
        "quote_lang": row.source.language,
        "quote_dir": source["dir"],
        "source": {
            "identifier": source["identifier"],
            "title": source["title"],
            "url": source["url"],
            "quote_url": f"{source['url']}?figure={row.id}#q-{row.id}",
            # What a citation of the figure names (citations.figure_citation): a thesis, an article…
            "kind": source["kind"],
            "kind_label": source["kind_label"],
            "publisher": row.source.publisher,
        },
        "charted": row.qualifier != Observation.Qualifier.UNCLEAR,
        "last_changed": row.last_changed.isoformat(),
        "flags": [],
        # What names it on a chart and in a table: ``flags.distinguish`` adds what tells an
        # area's several figures apart.
        "label": f"{row.area.name} ({row.measured_as})" if row.measured_as else row.area.name,
        "label_detail": row.measured_as,
    }


def _figure_indicator(indicator):
    return {"code": indicator.code, "name": indicator.name, "unit": indicator.unit}


def _label(choices, value):
    return str(choices(value).label)


def year_fields(row, calendar=None):
    """A figure's year as the reader's calendar shows it (``calendars``), and as the source wrote it.

    ``year_solar_hijri`` is filled when the calendar shows Solar Hijri years (None otherwise, and
    for no year); ``year_as_written_shown`` says whether the year as written must be shown beside
    it: when it is not one of the years shown (a period, or a Gregorian year shown in Solar Hijri).
    ``calendar``: the active calendar, when the caller has read it already. The dict is shared
    (kept per year, language and calendar): read it, never change it."""
    return _year_fields(
        row.year, row.year_as_written, row.year_calendar, calendar or calendars.current(), current_lang()
    )


@lru_cache(maxsize=4096)
def _year_fields(year, written, written_calendar, calendar, lang):
    # The same few hundred years, as written in a few ways, come back on every page of figures:
    # presented once per process and language (the texts are translated, so ``lang`` is in the
    # key though unused here), then shared. Callers spread the dict: it is never changed.
    solar_hijri = calendars.solar_hijri_year(year, written, written_calendar)
    shown = calendars.years_shown(year, solar_hijri, calendar)
    return {
        "year": year,
        "year_display": format_year(year, solar_hijri, calendar),
        "year_solar_hijri": solar_hijri if calendars.shows_solar_hijri(calendar) else None,
        "year_as_written": written,
        "year_as_written_shown": bool(written) and (written_calendar, _written_year(written)) not in shown,
        "year_calendar": written_calendar,
        "year_calendar_label": str(Observation.Calendar(written_calendar).label),
    }


def _written_year(text):
    try:
        return parse_year(text)
    except NumberFormatError:
        return None


@lru_cache(maxsize=4096)
def _is_period(year, written):
    """A year filed for a period ('the ten years to 1392'): the year as written is not one year."""
    if year is None or not written:
        return False
    return _written_year(written) is None


def sources_of(figures):
    """The sources of ``figures``, in order of first appearance, each with its figures' ids."""
    seen = {}
    for f in figures:
        identifier = f["source"]["identifier"]
        if identifier not in seen:
            seen[identifier] = {**f["source"], "figures": []}
        seen[identifier]["figures"].append(f["id"])
    return list(seen.values())


def last_changed(figures):
    """The date (ISO) the newest of ``figures`` was last changed, or None when there is none."""
    return max((f["last_changed"] for f in figures), default=None)


def year_sort_key(f):
    # Newest first; a figure with no year after the dated ones.
    return (f["year"] is None, -(f["year"] or 0))


def file_stem(parts, ascii_only=False):
    """A download's file name (without extension) from its parts, in their own script: words
    joined by "-", characters a file system refuses dropped, at most FILE_NAME_MAX characters.
    ``ascii_only`` keeps letters, digits, "-" and "_" only (the fallback for old clients)."""
    text = "-".join(str(part).strip() for part in parts if part and str(part).strip())
    if ascii_only:
        text = re.sub(r"[^A-Za-z0-9_-]+", "-", text)
    text = _FILE_NAME_UNSAFE.sub("-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-.")[:FILE_NAME_MAX].rstrip("-.")
    return text or "smedash"


def export_links(name, *args, query=""):
    """The addresses of a chart page and of its exports beside it, and its calendar choice."""
    return {
        "url": url(name, *args, query=query),
        "json_url": url(f"{name}_json", *args, query=query),
        "csv_url": url(f"{name}_csv", *args, query=query),
        "png_url": url(f"{name}_png", *args, query=query),
        "calendar_choice": calendar_choice(name, *args, query=query),
    }


def calendar_choice(name, *args, query=""):
    """The control that chooses the calendar of a chart page's years (includes/calendar_choice.html):
    offered to Persian readers, and to others only once the address has chosen one, so that they
    can go back. Each option is this page's address with that choice (last, as the page's links
    carry it: ``calendars.carry_in_links``)."""
    current = calendars.current()
    options = [
        {
            "value": choice,
            "label": str(calendars.LABELS[choice]),
            "url": url(name, *args, query="&".join(filter(None, [query, f"{calendars.PARAMETER}={choice}"]))),
            "current": choice == current,
        }
        for choice in calendars.CHOICES
    ]
    return {"shown": current_lang() == "fa" or calendars.explicit() is not None, "options": options}


# --- pages of a long list --------------------------------------------------------------------------


def paginate(items, page, per_page, url_for_page):
    """(the items on ``page``, a dict describing the pages with their links). ``items`` is a
    list or anything with count() and slicing; raises QueryError past the last page."""
    paginator = Paginator(items, per_page)
    shown = _page(paginator, page)
    objects = list(shown.object_list)
    first = (page - 1) * per_page
    return objects, _pagination(shown, per_page, first, len(objects), paginator.count, url_for_page)


def paginate_groups(groups, page, per_page, url_for_page):
    """``paginate`` for pages made beforehand, of different sizes (``groups``, a list of lists,
    each at most ``per_page`` long): (the items of group ``page``, the pages described by item)."""
    shown = _page(Paginator(groups, 1), page)
    group = list(groups[page - 1]) if groups else []
    first = sum(len(g) for g in groups[: page - 1])
    total = sum(len(g) for g in groups)
    return group, _pagination(shown, per_page, first, len(group), total, url_for_page)


def _page(paginator, page):
    try:
        return paginator.page(page)
    except (EmptyPage, PageNotAnInteger):
        raise QueryError(
            [
                _("There is no page %(page)s: the last page is %(last)s.")
                % {
                    "page": format_number(page, grouping=False),
                    "last": format_number(paginator.num_pages, grouping=False),
                }
            ],
            parameter="page",
        ) from None


def _pagination(shown, per_page, first, count, total, url_for_page):
    pagination = {
        "page": shown.number,
        "pages": shown.paginator.num_pages,
        "per_page": per_page,
        "total": total,
        "first": first + 1 if count else 0,
        "last": first + count,
        "previous": shown.previous_page_number() if shown.has_previous() else None,
        "next": shown.next_page_number() if shown.has_next() else None,
    }
    numbers = {key: format_number(pagination[key], grouping=False) for key in ("first", "last")}
    pagination["label"] = _("%(first)s–%(last)s of %(total)s") % {**numbers, "total": format_number(total)}
    for key in ("previous", "next"):
        pagination[f"{key}_url"] = url_for_page(pagination[key]) if pagination[key] else None
    return pagination
