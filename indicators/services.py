"""Selectors for the public pages: the queries and the shaping of what the pages, their JSON twins
and the charts show.

Every function here returns plain data (dicts, lists, str, int, float, None) in one language, so
the same structure is rendered by a template, serialised as JSON, drawn by ``indicators.charts``
and exported as PNG. Only published figures are read (``Observation.objects.published()``), and
each function makes a fixed number of queries, however many areas or figures there are: related
rows come with ``select_related`` and filtering happens in Python on the (small) result.

Results are cached per language and per ``data_version()``, so any change to the data makes every
cached result stale at once.
"""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from countries.models import Area

from .cache import data_version
from .exports import plain_decimal
from .formatting import current_lang, format_figure, format_number, format_year, is_rtl
from .models import Coverage, Indicator, Observation, Source
from .numbers import NumberFormatError, parse_year, solar_hijri_to_gregorian_year, to_latin_digits

CACHE_SECONDS = 600
MAX_AREAS = 60  # more codes than areas could sensibly be compared: a mistake or an abuse
MAX_AREAS_PARAM_LENGTH = 1000
MAX_MESSAGES = 5  # complaints about wrong area codes: the first few say enough
# Pages show a bounded number of areas and indicators, so that they cost the same with every
# country and year loaded as with the seed; each has its previous and next pages.
HOME_AREAS_PER_PAGE = 10  # columns of the overview's matrix
COMPARE_AREAS_PER_PAGE = 12  # areas on one comparison chart
AREA_INDICATORS_PER_PAGE = 8  # indicators on one area profile
AREA_FIGURES_PER_INDICATOR = 2  # an area profile's newest figures of each indicator
SOURCE_FIGURES_PER_PAGE = 100  # figures with their quotes on one page of a source
AREA_CHOICES_OPEN = 30  # up to this many areas, the comparison's list of areas starts unfolded
YEAR_LATEST = "latest"
YEAR_ALL = "all"
SCOPE_ALL = "all"
AREA_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,11}")
INDICATOR_CODE_RE = re.compile(r"[-a-zA-Z0-9_]{1,40}")

Qualifier = Observation.Qualifier
Scope = Observation.Scope

# The order groups are shown in, and what a group is called: aggregates and regions are never
# ranked among countries.
GROUP_ORDER = [Area.Kind.COUNTRY, Area.Kind.AGGREGATE, Area.Kind.SUBNATIONAL]
GROUP_LABELS = {
    Area.Kind.COUNTRY: gettext_lazy("Countries"),
    Area.Kind.AGGREGATE: gettext_lazy("Groups of countries"),
    Area.Kind.SUBNATIONAL: gettext_lazy("Regions within a country"),
}

# Flags warn that a figure cannot be read at face value beside the others. The symbol marks the
# bar on the chart and the row in the table; qualified figures and areas with several figures
# need no symbol (their label says it in words) but are flagged in the data all the same.
FLAGS = {
    "no_year": ("†", gettext_lazy("year not stated")),
    "period": ("‡", gettext_lazy("covers several years, filed under the last")),
    "year_differs": ("*", gettext_lazy("the figures shown are from different years")),
    "scope_differs": ("§", gettext_lazy("scope differs from most figures shown")),
    "definition": ("¶", gettext_lazy("rests on the source's own SME definition (see the table)")),
    "qualified": ("", gettext_lazy("not an exact figure (more than, less than, about)")),
    "several": ("", gettext_lazy("one of several figures for this area, each with its own bar")),
    "unclear": ("", gettext_lazy("unclear in the source: not charted")),
}


class ParameterError(ValueError):
    """Bad query parameters; ``messages`` are in the active language, ready to show."""

    def __init__(self, messages):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


@dataclass(frozen=True)
class CompareParams:
    areas: tuple = ()  # upper-case area codes; empty means every area with a figure
    year: object = YEAR_LATEST  # "latest", "all" or a Gregorian year (int)
    scope: str = SCOPE_ALL
    page: int = 1  # of the areas, COMPARE_AREAS_PER_PAGE at a time

    def as_query(self):
        """The query string that reproduces this view (areas as one comma-separated value)."""
        query = {}
        if self.areas:
            query["areas"] = ",".join(self.areas)
        query["year"] = str(self.year)
        query["scope"] = self.scope
        if self.page > 1:
            query["page"] = str(self.page)
        return urlencode(query, safe=",")  # areas=IRN,JPN, as people write it

    def as_dict(self):
        return {"areas": list(self.areas), "year": self.year, "scope": self.scope, "page": self.page}


def parse_compare_params(query):
    """Read ``areas``, ``year`` and ``scope`` from a QueryDict (or a plain dict).

    ``areas`` may be repeated (checkboxes) or comma-separated (``areas=IRN,JPN``). Raises
    ParameterError with every problem found, in the active language.
    """
    errors = []
    if hasattr(query, "getlist"):
        raw_areas = query.getlist("areas")
    else:
        value = query.get("areas")
        raw_areas = value if isinstance(value, list | tuple) else ([value] if value else [])
    codes = []
    if sum(len(chunk) for chunk in raw_areas) > MAX_AREAS_PARAM_LENGTH:
        errors.append(_("Too many areas were asked for: choose at most %(max)s.") % {"max": format_number(MAX_AREAS)})
    else:
        for chunk in raw_areas:
            for code in str(chunk).split(","):
                code = code.strip().upper()
                if not code or code in codes:
                    continue
                if not AREA_CODE_RE.fullmatch(code):
                    if len(errors) < MAX_MESSAGES:
                        errors.append(_("“%(code)s” is not an area code.") % {"code": code[:20]})
                    continue
                codes.append(code)
        if len(codes) > MAX_AREAS:
            errors.append(
                _("Too many areas were asked for: choose at most %(max)s.") % {"max": format_number(MAX_AREAS)}
            )

    year_text = (query.get("year") or YEAR_LATEST).strip().lower()
    if year_text in (YEAR_LATEST, YEAR_ALL):
        year = year_text
    else:
        try:
            year = parse_year(year_text)
        except NumberFormatError:
            year = None
        if year is None or not 1900 <= year <= 2100:
            errors.append(_("“%(year)s” is not a year: choose a year, “latest” or “all”.") % {"year": year_text[:20]})

    scope = (query.get("scope") or SCOPE_ALL).strip().lower()
    if scope != SCOPE_ALL and scope not in Scope.values:
        errors.append(_("“%(scope)s” is not a scope.") % {"scope": scope[:20]})

    try:
        page = parse_page(query)
    except ParameterError as error:
        errors.extend(error.messages)

    if errors:
        raise ParameterError(errors)
    return CompareParams(areas=tuple(codes), year=year, scope=scope, page=page)


# --- shaping --------------------------------------------------------------------------------


def _url(name, lang, *args, query=""):
    url = _reverse(name, lang, args, get_script_prefix())
    return f"{url}?{query}" if query else url


@lru_cache(maxsize=4096)
def _reverse(name, lang, args, script_prefix):
    # Addresses never change while the process runs (the script prefix is in the key): a page
    # with a hundred figures asks for the same few of them again and again.
    with translation.override(lang):
        return reverse(name, args=args)


def area_dict(area, lang):
    return {
        "code": area.code,
        "name": str(area.name or area.code),
        "kind": area.kind,
        "kind_label": str(area.get_kind_display()),
        "parent": area.parent.code if area.parent_id else None,
        "url": _url("area", lang, area.code),
    }


@dataclass(frozen=True)
class AreaName:
    id: int
    code: str
    kind: str
    name: str


def area_names(lang, areas=None):
    """Id, code, kind and name (in ``lang``, else in English, as modeltranslation falls back:
    MODELTRANSLATION_FALLBACK_LANGUAGES) of every area, or of the ``areas`` queryset, read as
    plain rows: ordering or listing a few hundred areas needs no model objects."""
    names = [f"name_{lang}", "name_en"] if lang != "en" else ["name_en"]
    rows = (Area.objects.all() if areas is None else areas).values_list("id", "code", "kind", *names)
    return [AreaName(id_, code, kind, next(filter(None, texts), code)) for id_, code, kind, *texts in rows]


def source_dict(source, lang):
    return {
        "identifier": source.identifier,
        "title": str(source.title or source.identifier),
        "url": _url("source", lang, source.identifier),
        "language": source.language,
        "language_label": str(source.get_language_display()),
        "dir": "rtl" if source.language in ("ar", "fa") else "ltr",
        "kind": source.kind,
        "kind_label": str(source.get_kind_display()),
    }


def indicator_dict(indicator, lang):
    return {
        "code": indicator.code,
        "name": str(indicator.name or indicator.code),
        "description": str(indicator.description or ""),
        "unit": indicator.unit,
        "unit_label": str(indicator.get_unit_display()),
        "is_share": indicator.is_share,
        "url": _url("compare", lang, indicator.code),
    }


def figure_dict(obs, lang):
    """One published observation, shaped for a table row, a bar and a JSON record."""
    source = source_dict(obs.source, lang)
    return {
        "id": obs.pk,
        "anchor": f"q-{obs.pk}",
        "area": area_dict(obs.area, lang),
        "indicator": {"code": obs.indicator.code, "name": str(obs.indicator.name), "unit": obs.indicator.unit},
        "value": float(obs.value),
        "value_text": plain_decimal(obs.value),
        "value_display": format_figure(obs.value, obs.indicator.unit, obs.qualifier, lang),
        "qualifier": obs.qualifier,
        "qualifier_label": str(obs.get_qualifier_display()),
        "year": obs.year,
        "year_display": format_year(obs.year, lang),
        "year_as_written": obs.year_as_written,
        "year_calendar": obs.year_calendar,
        "year_calendar_label": str(obs.get_year_calendar_display()),
        "is_period": _is_period(obs),
        "scope": obs.scope,
        "scope_label": str(obs.get_scope_display()),
        "definition": str(obs.definition or ""),
        "note": str(obs.note or ""),
        "quote": obs.quote,
        "quote_lang": obs.source.language,
        "quote_dir": source["dir"],
        "source": {
            "identifier": source["identifier"],
            "title": source["title"],
            "url": source["url"],
            "quote_url": f"{source['url']}?figure={obs.pk}#q-{obs.pk}",
        },
        "charted": obs.qualifier != Qualifier.UNCLEAR,
        "last_changed": obs.updated_at.date().isoformat(),
        "flags": [],
        "label": str(obs.area.name or obs.area.code),
        "label_detail": "",
    }


def _is_period(obs):
    """A year filed for a period ('the ten years to 1392'): the year as written is not one year."""
    if obs.year is None or not obs.year_as_written:
        return False
    try:
        parse_year(obs.year_as_written)
    except NumberFormatError:
        return True
    return False


def _dominant(values, order):
    counts = Counter(values)
    return max(counts, key=lambda v: (counts[v], -order.index(v) if v in order else 0))


def flag_figures(figures, group_key=lambda f: f["area"]["code"], relative=True):
    """Set each figure's ``flags`` relative to the others shown with it (in place).

    ``group_key`` says which figures belong to one bar group (one area on the comparison, one
    indicator on an area profile): several figures in a group are labelled apart. With
    ``relative=False`` (a list that compares nothing, such as a source's page) only the flags
    that belong to the figure itself are set.
    """
    charted = [f for f in figures if f["charted"]]
    years = {f["year"] for f in charted if f["year"] is not None}
    scopes = [f["scope"] for f in charted]
    dominant_scope = _dominant(scopes, list(Scope.values)) if scopes else None
    definitions = {f["definition"] for f in charted}
    group_sizes = Counter(group_key(f) for f in charted)
    for f in figures:
        flags = []
        # An unclear figure is not shown beside the others: only its own flags apply.
        compared = relative and f["charted"]
        if not f["charted"]:
            flags.append("unclear")
        if f["qualifier"] in (Qualifier.MORE_THAN, Qualifier.LESS_THAN, Qualifier.ABOUT):
            flags.append("qualified")
        if f["year"] is None:
            flags.append("no_year")
        elif f["is_period"]:
            flags.append("period")
        if compared and f["year"] is not None and len(years) > 1:
            flags.append("year_differs")
        if compared and len(set(scopes)) > 1 and f["scope"] != dominant_scope:
            flags.append("scope_differs")
        if compared and f["definition"] and len(definitions) > 1:
            flags.append("definition")
        if compared and group_sizes[group_key(f)] > 1:
            flags.append("several")
        f["flags"] = flags
        f["flag_symbols"] = "".join(FLAGS[code][0] for code in flags)
        f["flag_details"] = [{"code": c, "symbol": FLAGS[c][0], "label": str(FLAGS[c][1])} for c in flags]
    return figures


def flag_legend(figures):
    """The flags that occur among ``figures``, in a fixed order, with symbol and explanation."""
    present = {code for f in figures for code in f["flags"]}
    return [
        {"code": code, "symbol": symbol, "label": str(label)}
        for code, (symbol, label) in FLAGS.items()
        if code in present
    ]


def _distinguish(figures, base_label):
    """Labels for the figures of one group (an area's bars): when there are several, say what
    tells them apart (year, else scope, else source), or number them when nothing recorded does."""
    if len(figures) == 1:
        figures[0]["label"] = base_label
        figures[0]["label_detail"] = ""
        return
    differs = {
        "year": len({f["year_as_written"] or f["year"] for f in figures}) > 1,
        "scope": len({f["scope"] for f in figures}) > 1,
        "source": len({f["source"]["identifier"] for f in figures}) > 1,
    }
    for index, f in enumerate(figures, start=1):
        parts = []
        if differs["year"]:
            parts.append(f["year_display"])
        if differs["scope"]:
            parts.append(f["scope_label"])
        if differs["source"] and not parts:
            parts.append(f["source"]["title"])
        if not parts:
            # Nothing recorded tells them apart (South Korea: 73 % of units, 97.8 % of
            # establishments, same list, same source): number them; the note says why.
            parts.append(
                _("figure %(index)s of %(count)s")
                % {"index": format_number(index, grouping=False), "count": format_number(len(figures))}
            )
        f["label_detail"] = " · ".join(parts)
        f["label"] = f"{base_label} ({f['label_detail']})"


def _sources_of(figures):
    """The sources of ``figures``, in order of first appearance, each with its figures."""
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


# Characters no file name may hold on common systems, direction marks (a name must not reorder
# what follows it) and runs of spaces: replaced by one "-".
_FILE_NAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\s\u200e\u200f\u202a-\u202e\u2066-\u2069]+')
FILE_NAME_MAX = 120


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


def _year_sort_key(f):
    # Newest first; a figure with no year after the dated ones.
    return (f["year"] is None, -(f["year"] or 0))


# --- caching --------------------------------------------------------------------------------


def _cached(name, lang, parts, build):
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    key = f"smedash:page:{name}:{data_version()}:{lang}:{digest}"
    result = cache.get(key)
    if result is None:
        with translation.override(lang):
            result = build()
        cache.set(key, result, CACHE_SECONDS)
    return result


# --- pages ----------------------------------------------------------------------------------


def first_headline_indicator():
    """The code of the indicator the comparison opens with, or None when there is none."""
    return Indicator.objects.filter(headline=True).values_list("code", flat=True).first()


def compare_data(indicator_code, params, lang=None):
    """One indicator across areas: the figures to chart (in chart order), those not charted,
    sources, flags, notices and the choices for the form.

    Raises Http404 for an unknown indicator and ParameterError for unknown area codes.
    """
    lang = current_lang(lang)
    return _cached("compare", lang, (indicator_code, params), lambda: _compare_data(indicator_code, params, lang))


def _compare_data(indicator_code, params, lang):
    indicator = Indicator.objects.filter(code=indicator_code).first()
    if indicator is None:
        raise Http404(_("There is no indicator with the code “%(code)s”.") % {"code": indicator_code[:40]})
    # Only codes, kinds and names are needed of every area (for the form and the chart's order).
    all_areas = {area.code: area for area in area_names(lang)}
    unknown = [code for code in params.areas if code not in all_areas]
    if unknown:
        raise ParameterError(
            [_("There is no area with the code “%(code)s”.") % {"code": code} for code in unknown[:MAX_MESSAGES]]
        )

    areas_by_id = {area.id: area for area in all_areas.values()}
    published = Observation.objects.published().for_indicator(indicator).order_by()
    # The other indicators, for the form's indicator menu.
    indicator_choices = [
        {"code": i.code, "name": str(i.name), "selected": i.pk == indicator.pk} for i in Indicator.objects.all()
    ]
    available_codes = {
        areas_by_id[area_id].code
        for area_id in Coverage.objects.filter(indicator=indicator).values_list("area_id", flat=True)
    }
    years = sorted(published.exclude(year=None).values_list("year", flat=True).distinct(), reverse=True)

    selected = published
    if params.areas:
        selected = selected.filter(area_id__in=[all_areas[code].id for code in params.areas])
    if params.scope != SCOPE_ALL:
        selected = selected.filter(scope=params.scope)
    if params.year not in (YEAR_LATEST, YEAR_ALL):
        selected = selected.filter(year=params.year)
    shown = selected
    if params.year == YEAR_LATEST:
        # Per area and scope, the newest dated figures that can be charted, plus every undated
        # one (an undated figure cannot be shown to be older) and every unclear one: chosen in the
        # database, not by reading every year.
        charted_year = Case(When(~Q(qualifier=Qualifier.UNCLEAR), then=F("year")))
        newest = Window(Max(charted_year), partition_by=[F("area_id"), F("scope")])
        shown = shown.annotate(newest=newest).filter(
            Q(qualifier=Qualifier.UNCLEAR) | Q(year__isnull=True) | Q(year=F("newest"))
        )
    rows = list(shown.values_list("pk", "area_id", "value", "qualifier"))

    # Areas in chart order (by kind, then by their highest value), a page of them at a time; only
    # that page's figures are read in full. Figures the source garbles (few) are listed on every
    # page: they are not drawn, so they have no place in the chart's order.
    top = {}
    for _pk, area_id, value, qualifier in rows:
        if qualifier != Qualifier.UNCLEAR:
            top[area_id] = max(top.get(area_id, value), value)
    ordered_area_ids = sorted(top, key=lambda i: (GROUP_ORDER.index(areas_by_id[i].kind), -top[i], areas_by_id[i].name))
    page_area_ids, pagination = paginate(ordered_area_ids, params.page, COMPARE_AREAS_PER_PAGE)
    page_area_ids = set(page_area_ids)
    wanted = [pk for pk, area_id, _v, qualifier in rows if qualifier == Qualifier.UNCLEAR or area_id in page_area_ids]
    figures = Observation.objects.filter(pk__in=wanted).with_related().order_by("area__code", "year", "pk")
    figures = [figure_dict(obs, lang) for obs in figures]
    charted = [f for f in figures if f["charted"]]
    not_charted = [f for f in figures if not f["charted"]]

    flag_figures(charted + not_charted)
    groups = _group_by_area_kind(charted)
    ordered = [f for group in groups for f in group["figures"]]
    # In the data, a group lists its figures by id: each figure appears once, in "figures".
    group_ids = [{"kind": g["kind"], "label": g["label"], "figures": [f["id"] for f in g["figures"]]} for g in groups]

    notices = []
    missing = [all_areas[c] for c in params.areas if c not in available_codes]
    for area in missing:
        notices.append(_("There is no published figure for %(area)s on this indicator.") % {"area": area.name})
    if not ordered and not not_charted:
        notices.append(_("No published figure matches this choice."))
    if len({f["year"] for f in ordered if f["year"] is not None}) > 1:
        notices.append(_("The figures are from different years: compare them with care."))
    if len({f["scope"] for f in ordered}) > 1:
        notices.append(_("The figures cover different scopes (the whole economy, or industry only)."))
    if any(f["year"] is None for f in ordered):
        notices.append(_("Some figures have no year in their source."))

    area_choices = []
    for kind in GROUP_ORDER:
        areas = sorted(
            (a for c, a in all_areas.items() if c in available_codes and a.kind == kind), key=lambda a: a.name
        )
        if areas:
            area_choices.append(
                {
                    "kind": kind,
                    "label": str(GROUP_LABELS[kind]),
                    "areas": [{"code": a.code, "name": a.name, "selected": a.code in params.areas} for a in areas],
                }
            )

    page_url = _url("compare", lang, indicator.code)
    return {
        "kind": "compare",
        "lang": lang,
        "dir": "rtl" if is_rtl(lang) else "ltr",
        "indicator": indicator_dict(indicator, lang),
        "params": params.as_dict(),
        "query": params.as_query(),
        "params_label": _params_label(params, lang),
        "groups": group_ids,
        "figures": ordered,
        "not_charted": not_charted,
        "pagination": _page_links(pagination, lambda n: f"{page_url}?{replace(params, page=n).as_query()}", lang),
        "sources": _sources_of(ordered + not_charted),
        "flag_legend": flag_legend(ordered + not_charted),
        "notices": notices,
        "choices": {
            "indicators": indicator_choices,
            "areas": area_choices,
            # A long list of areas starts folded, so that the chart is not pushed out of sight.
            "areas_open": len(available_codes) <= AREA_CHOICES_OPEN,
            "areas_summary": ngettext(
                "Choose areas (%(count)s of %(total)s ticked)",
                "Choose areas (%(count)s of %(total)s ticked)",
                len(params.areas),
            )
            % {"count": format_number(len(params.areas), lang), "total": format_number(len(available_codes), lang)}
            if params.areas
            else _("Choose areas"),
            "years": [{"value": y, "label": format_year(y, lang)} for y in years],
            "scopes": [{"value": value, "label": str(label)} for value, label in Scope.choices],
        },
        "json_url": _url("compare_json", lang, indicator.code, query=params.as_query()),
        "csv_url": _url("compare_csv", lang, indicator.code, query=params.as_query()),
        "png_url": _url("compare_png", lang, indicator.code, query=params.as_query()),
        "url": _url("compare", lang, indicator.code, query=params.as_query()),
        "last_changed": last_changed(ordered + not_charted),
        "file_name": file_stem([str(indicator.name or indicator.code), *(all_areas[c].name for c in params.areas)]),
        "file_name_ascii": file_stem(["smedash", indicator.code, *params.areas], ascii_only=True),
    }


def figure_groups(compare_data):
    """The groups of a comparison with their figure dicts (the data lists them by id), in order."""
    by_id = {f["id"]: f for f in compare_data["figures"]}
    return [{**group, "figures": [by_id[i] for i in group["figures"]]} for group in compare_data["groups"]]


def _group_by_area_kind(figures):
    """Groups of figures by kind of area; in each, areas by their highest value, each area's
    figures together (newest first), labelled apart when an area has several."""
    groups = []
    for kind in GROUP_ORDER:
        members = [f for f in figures if f["area"]["kind"] == kind]
        if not members:
            continue
        by_area = {}
        for f in members:
            by_area.setdefault(f["area"]["code"], []).append(f)
        ordered_areas = sorted(by_area.values(), key=lambda fs: (-max(f["value"] for f in fs), fs[0]["area"]["name"]))
        ordered = []
        for area_figures in ordered_areas:
            area_figures.sort(key=lambda f: (*_year_sort_key(f), -f["value"]))
            _distinguish(area_figures, area_figures[0]["area"]["name"])
            ordered.extend(area_figures)
        groups.append({"kind": kind, "label": str(GROUP_LABELS[kind]), "figures": ordered})
    return groups


def _params_label(params, lang):
    """The filters in words, for the chart's subtitle."""
    if params.year == YEAR_LATEST:
        year = _("latest year available")
    elif params.year == YEAR_ALL:
        year = _("all years")
    else:
        year = format_year(params.year, lang)
    scope = _("all scopes") if params.scope == SCOPE_ALL else str(Scope(params.scope).label)
    return f"{year} · {scope}"


def area_data(area_code, lang=None, page=1):
    """One area's newest published figures (AREA_FIGURES_PER_INDICATOR of each indicator, plus
    any the source garbles), a page of indicators at a time, with the shares to chart.

    Raises Http404 for an unknown area code and ParameterError for a page past the last.
    """
    lang = current_lang(lang)
    code = (area_code or "").strip().upper()
    if not AREA_CODE_RE.fullmatch(code):
        # Not a code any area can have; also keeps NUL bytes away from PostgreSQL.
        raise Http404(_("There is no area with this code."))
    return _cached("area", lang, (code, page), lambda: _area_data(code, lang, page))


def _area_data(code, lang, page):
    area = Area.objects.select_related("parent").filter(code=code).first()
    if area is None:
        raise Http404(_("There is no area with the code “%(code)s”.") % {"code": code[:20]})
    regions = list(Area.objects.filter(parent=area).order_by("code"))
    cells = list(
        Coverage.objects.filter(area=area)
        .select_related("indicator")
        .order_by("indicator__position", "indicator__code")
    )
    cells, pagination = paginate(cells, page, AREA_INDICATORS_PER_PAGE)
    # Of each indicator, its newest charted figures and its newest unclear ones, ranked in the
    # database: an area with sixty years of twenty-five indicators costs no more than one with few.
    unclear = Case(When(qualifier=Qualifier.UNCLEAR, then=Value(1)), default=Value(0))
    rank = Window(
        RowNumber(),
        partition_by=[F("indicator_id"), unclear],
        order_by=[F("year").desc(nulls_last=True), F("value").desc(), F("pk")],
    )
    observations = list(
        Observation.objects.published()
        .with_related()
        .for_area(area)
        .filter(indicator_id__in=[cell.indicator_id for cell in cells])
        .annotate(rank=rank)
        .filter(rank__lte=AREA_FIGURES_PER_INDICATOR)
    )

    figures = [figure_dict(obs, lang) for obs in observations]
    by_indicator = {}
    for obs, f in zip(observations, figures, strict=True):
        by_indicator.setdefault(obs.indicator_id, []).append(f)
    sections = []
    all_years = CompareParams(areas=(area.code,), year=YEAR_ALL).as_query()
    for cell in cells:
        # Charted figures first, newest first; the unclear ones after them.
        section_figures = sorted(
            by_indicator.get(cell.indicator_id, []), key=lambda f: (not f["charted"], *_year_sort_key(f), -f["value"])
        )
        indicator = indicator_dict(cell.indicator, lang)
        sections.append(
            {
                "indicator": indicator,
                "figures": section_figures,
                "total": cell.figures,
                "more": cell.figures - len(section_figures),
                "more_label": ngettext(
                    "%(indicator)s: one older figure. See all %(total)s over the years",
                    "%(indicator)s: %(more)s older figures. See all %(total)s over the years",
                    cell.figures - len(section_figures),
                )
                % {
                    "indicator": indicator["name"],
                    "more": format_number(cell.figures - len(section_figures), lang),
                    "total": format_number(cell.figures, lang),
                },
                "all_url": f"{indicator['url']}?{all_years}",
            }
        )

    # The chart: shares only (percentages can share an axis; counts and money cannot).
    chart_figures = []
    for section in sections:
        name = section["indicator"]["name"]
        charted = [f for f in section["figures"] if f["charted"]]
        _distinguish(charted, name)
        for f in section["figures"]:
            if not f["charted"]:
                f["label"] = name
        if section["indicator"]["is_share"]:
            chart_figures.extend(charted)
    not_charted = [f for f in figures if not f["charted"]]
    flag_figures(figures, group_key=lambda f: f["indicator"]["code"])

    definitions = {}
    for f in figures:
        if f["definition"]:
            entry = definitions.setdefault(f["definition"], {"definition": f["definition"], "sources": []})
            if f["source"]["identifier"] not in {source["identifier"] for source in entry["sources"]}:
                entry["sources"].append({key: f["source"][key] for key in ("identifier", "title", "url")})

    return {
        "kind": "area",
        "lang": lang,
        "dir": "rtl" if is_rtl(lang) else "ltr",
        "area": {
            **area_dict(area, lang),
            "parent_name": str(area.parent.name) if area.parent_id else None,
            "parent_url": _url("area", lang, area.parent.code) if area.parent_id else None,
            "regions": [{"code": r.code, "name": str(r.name), "url": _url("area", lang, r.code)} for r in regions],
        },
        "sections": sections,
        "pagination": _page_links(pagination, lambda n: _url("area", lang, area.code, query=_page_query(n)), lang),
        "figures": chart_figures,
        "not_charted": not_charted,
        "definitions": list(definitions.values()),
        "sources": _sources_of(figures),
        "flag_legend": flag_legend(figures),
        "json_url": _url("area_json", lang, area.code, query=_page_query(page)),
        "csv_url": _url("area_csv", lang, area.code, query=_page_query(page)),
        "png_url": _url("area_png", lang, area.code, query=_page_query(page)),
        "url": _url("area", lang, area.code, query=_page_query(page)),
        "last_changed": last_changed(chart_figures + not_charted),
        "file_name": file_stem([str(area.name or area.code), _("SME shares")]),
        "file_name_ascii": file_stem(["smedash", area.code, "sme-shares"], ascii_only=True),
    }


def parse_page(query):
    """The ``page`` parameter: a whole number from 1 (the default), in any digits. Raises
    ParameterError."""
    text = (query.get("page") or "1").strip()
    digits = to_latin_digits(text)
    if not re.fullmatch(r"\d{1,4}", digits) or int(digits) < 1:
        raise ParameterError([_("“%(page)s” is not a page number.") % {"page": text[:20]}])
    return int(digits)


def paginate(items, page, per_page):
    """(the items on ``page``, a dict describing the pages). Raises ParameterError past the end.

    ``items`` is a list or a queryset (counted, then sliced, in the database)."""
    total = items.count() if isinstance(items, QuerySet) else len(items)
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise ParameterError(
            [
                _("There is no page %(page)s: the last page is %(last)s.")
                % {"page": format_number(page, grouping=False), "last": format_number(pages, grouping=False)}
            ]
        )
    first = (page - 1) * per_page
    shown = list(items[first : first + per_page])
    return shown, {
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "total": total,
        "first": first + 1 if shown else 0,
        "last": first + len(shown),
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None,
    }


def _page_links(pagination, url_for_page, lang):
    """Add the previous and next pages' addresses and a sentence saying what is shown."""
    numbers = {key: format_number(pagination[key], grouping=False) for key in ("first", "last")}
    pagination["label"] = _("%(first)s–%(last)s of %(total)s") % {
        **numbers,
        "total": format_number(pagination["total"], lang),
    }
    for key in ("previous", "next"):
        pagination[f"{key}_url"] = url_for_page(pagination[key]) if pagination[key] else None
    return pagination


def _page_query(page):
    return f"page={page}" if page > 1 else ""


def home_data(lang=None, page=1):
    """What the dashboard holds: indicators × areas (a page of areas at a time), with the years of
    the figures in each cell. Raises ParameterError for a page past the last."""
    lang = current_lang(lang)
    return _cached("home", lang, page, lambda: _home_data(lang, page))


@lru_cache(maxsize=4096)
def _cell_years(years, first_year, last_year, undated, lang):
    """The years of one cell of the overview, newest first: each of them when there are one or
    two, else the range; 'year not stated' last when some figures have none. Cached: with every
    year loaded, most cells read alike ("1965–2024")."""
    if years <= 2:
        labels = [format_year(y, lang) for y in sorted({first_year, last_year} - {None}, reverse=True)]
    else:
        with translation.override(lang):
            labels = [
                _("%(first)s–%(last)s") % {"first": format_year(first_year, lang), "last": format_year(last_year, lang)}
            ]
    if undated:
        labels.append(format_year(None, lang))
    return tuple(labels)


def _home_data(lang, page):
    # Everything comes from the coverage summary (one row per indicator × area), never from the
    # figures themselves: the page costs the same however many figures there are.
    indicators = list(Indicator.objects.annotate(has_figures=Exists(Coverage.objects.filter(indicator=OuterRef("pk")))))
    figure_count = Coverage.objects.aggregate(total=Sum("figures"))["total"] or 0
    source_count = Source.objects.filter(Exists(Observation.objects.published().filter(source=OuterRef("pk")))).count()
    # Columns: the areas with figures, countries first, then groups of countries, then regions, by
    # name; a page of them at a time. All are ordered from plain rows, only the page's are objects.
    rows = area_names(lang, Area.objects.filter(Exists(Coverage.objects.filter(area=OuterRef("pk")))))
    rows.sort(key=lambda a: (GROUP_ORDER.index(a.kind), a.name))
    page_rows, pagination = paginate(rows, page, HOME_AREAS_PER_PAGE)
    by_id = Area.objects.select_related("parent").in_bulk([a.id for a in page_rows])
    page_areas = [by_id[a.id] for a in page_rows]
    columns = []
    for area in page_areas:
        if not columns or columns[-1]["kind"] != area.kind:
            columns.append({"kind": area.kind, "label": str(GROUP_LABELS[area.kind]), "areas": []})
        columns[-1]["areas"].append(area)
    group_starts = {column["areas"][0].id for column in columns}
    cells = {
        (cell["indicator_id"], cell["area_id"]): cell
        for cell in Coverage.objects.filter(area__in=page_areas).values(
            "indicator_id", "area_id", "figures", "years", "undated", "first_year", "last_year"
        )
    }
    queries = {area.id: CompareParams(areas=(area.code,), year=YEAR_ALL).as_query() for area in page_areas}
    matrix = []
    for indicator in indicators:
        compare_url = _url("compare", lang, indicator.code)
        row_cells = []
        for area in page_areas:
            cell = cells.get((indicator.id, area.id))
            row_cells.append(
                {
                    "area": area.code,
                    "group_start": area.id in group_starts,
                    "count": cell["figures"] if cell else 0,
                    "years": _cell_years(
                        cell["years"], cell["first_year"], cell["last_year"], cell["undated"] > 0, lang
                    )
                    if cell
                    else (),
                    "url": f"{compare_url}?{queries[area.id]}" if cell else "",
                }
            )
        matrix.append(
            {
                "indicator": indicator_dict(indicator, lang),
                "has_figures": indicator.has_figures,
                "headline": indicator.headline,
                "cells": row_cells,
            }
        )
    return {
        "kind": "home",
        "lang": lang,
        "columns": [{**c, "areas": [area_dict(a, lang) for a in c["areas"]]} for c in columns],
        "matrix": matrix,
        "pagination": _page_links(pagination, lambda n: _url("home", lang, query=_page_query(n)), lang),
        "headline": [row["indicator"] for row in matrix if row["has_figures"] and row["headline"]],
        "counts": {
            "figures": figure_count,
            "areas": len(rows),
            "countries": sum(1 for a in rows if a.kind == Area.Kind.COUNTRY),
            "sources": source_count,
            "indicators": sum(1 for i in indicators if i.has_figures),
        },
    }


def sources_data(lang=None):
    """Every source, with how many published figures come from it."""
    lang = current_lang(lang)
    return _cached("sources", lang, None, lambda: _sources_data(lang))


def _sources_data(lang):
    published = Q(observations__status=Observation.Status.PUBLISHED)
    sources = Source.objects.annotate(figure_count=Count("observations", filter=published))
    return {
        "kind": "sources",
        "lang": lang,
        "sources": [
            {
                **source_dict(s, lang),
                "publisher": str(s.publisher or ""),
                "date_known": str(s.date_known or ""),
                "figure_count": s.figure_count,
            }
            for s in sources
        ],
    }


SOURCE_ORDER = ("area__kind", "area__code", "indicator__position", F("year").asc(nulls_last=True), "pk")


def source_data(identifier, lang=None, page=1, figure=None):
    """One source and the published figures taken from it, with their quotes, a page at a time;
    with ``figure`` (an observation id), the page that figure is on. Raises Http404 for an unknown
    source and ParameterError for a page past the last."""
    lang = current_lang(lang)
    if not identifier or any(ord(ch) < 32 for ch in identifier):
        # No identifier holds control characters, and PostgreSQL refuses a NUL in a query.
        raise Http404(_("There is no source with this identifier."))
    return _cached("source", lang, (identifier, page, figure), lambda: _source_data(identifier, lang, page, figure))


def parse_figure(query):
    """The ``figure`` parameter of a source page (an observation id), or None."""
    text = (query.get("figure") or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ParameterError([_("“%(figure)s” is not a figure number.") % {"figure": text[:20]}])
    return int(text)


def _source_data(identifier, lang, page, figure):
    source = Source.objects.filter(identifier=identifier).first()
    if source is None:
        raise Http404(_("There is no source “%(identifier)s”.") % {"identifier": identifier[:60]})
    observations = Observation.objects.published().from_source(source).order_by(*SOURCE_ORDER)
    if figure is not None:
        # A quote's link (figure_dict's quote_url) names its figure: open the page it is on. Only
        # ids are read, once per followed link; an unknown id opens the first page.
        ids = list(observations.values_list("pk", flat=True))
        page = ids.index(figure) // SOURCE_FIGURES_PER_PAGE + 1 if figure in ids else 1
    shown, pagination = paginate(observations.with_related(), page, SOURCE_FIGURES_PER_PAGE)
    figures = [figure_dict(obs, lang) for obs in shown]
    flag_figures(figures, relative=False)
    return {
        "kind": "source",
        "lang": lang,
        "source": {
            **source_dict(source, lang),
            "summary": str(source.summary or ""),
            "publisher": str(source.publisher or ""),
            "date_known": str(source.date_known or ""),
            "address": source.url,
        },
        "figures": figures,
        "pagination": _page_links(
            pagination, lambda n: _url("source", lang, source.identifier, query=_page_query(n)), lang
        ),
    }


def about_data(lang=None):
    """What the methodology page needs from the data: indicators, qualifiers and definitions."""
    lang = current_lang(lang)
    return _cached("about", lang, None, lambda: _about_data(lang))


def _about_data(lang):
    indicators = [indicator_dict(i, lang) for i in Indicator.objects.all()]
    definitions = {}
    # The English text is every translation's fallback: a definition exists when it does.
    # (NULL, too, is no definition: modeltranslation's columns are nullable.)
    with_definition = Observation.objects.published().filter(definition_en__gt="").with_related()
    for obs in with_definition.order_by("area__code", "pk"):
        key = (obs.area.code, str(obs.definition))
        if key not in definitions:
            definitions[key] = {
                "area": area_dict(obs.area, lang),
                "definition": str(obs.definition),
                "source": source_dict(obs.source, lang),
            }
    return {
        "kind": "about",
        "lang": lang,
        "indicators": indicators,
        "qualifiers": [{"value": v, "label": str(label)} for v, label in Qualifier.choices],
        "scopes": [{"value": v, "label": str(label)} for v, label in Scope.choices],
        "definitions": list(definitions.values()),
        "solar_hijri_examples": [
            {"solar_hijri": format_year(y, lang), "gregorian": format_year(solar_hijri_to_gregorian_year(y), lang)}
            for y in (1353, 1375, 1392)
        ],
        "flags": [{"code": c, "symbol": s, "label": str(label)} for c, (s, label) in FLAGS.items()],
    }
