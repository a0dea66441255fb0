"""The other public pages, in the active language: the overview, an area's profile, the list of
sources, a source with its quotes, and the methodology page. (The comparison has a module of its
own: ``indicators.comparison``.)
"""

from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from countries.models import AREA_CODE_RE, Area

from . import calendars
from .flags import all_flags, distinguish, flag_figures, flag_legend
from .formatting import format_number, format_year
from .models import Observation
from .params import YEAR_ALL, CompareParams
from .presenters import (
    GROUP_LABELS,
    GROUP_ORDER,
    NotFound,
    area_dict,
    export_links,
    figure_dicts,
    file_stem,
    indicator_dict,
    last_changed,
    page_query,
    paginate,
    source_dict,
    sources_of,
    url,
    year_sort_key,
)
from .selectors import (
    SourceFigures,
    area_by_code,
    area_coverage,
    areas_by_ids,
    coverage,
    covered_area_names,
    figures_with_definitions,
    indicators,
    indicators_with_figures,
    newest_figures,
    regions_of,
    source_by_identifier,
    sources_with_counts,
    totals,
)
from .text import current_lang, direction

HOME_AREAS_PER_PAGE = 10  # columns of the overview's matrix
AREA_INDICATORS_PER_PAGE = 8  # indicators on one area profile
AREA_FIGURES_PER_INDICATOR = 2  # an area profile's newest figures of each indicator
SOURCE_FIGURES_PER_PAGE = 100  # figures with their quotes on one page of a source


# --- the overview ------------------------------------------------------------------------------------


def home_page(page):
    """What the dashboard holds: indicators × areas (a page of areas at a time), with the years of
    the figures in each cell. Everything comes from the coverage summary, never from the figures
    themselves: the page costs the same however many figures there are."""
    rows = covered_area_names()
    rows.sort(key=lambda a: (GROUP_ORDER.index(a.kind), a.name))
    page_rows, pagination = paginate(rows, page, HOME_AREAS_PER_PAGE, lambda n: url("home", query=page_query(n)))
    page_areas = areas_by_ids([a.id for a in page_rows])
    columns = []
    for area in page_areas:
        if not columns or columns[-1]["kind"] != area.kind:
            columns.append({"kind": area.kind, "label": str(GROUP_LABELS[area.kind]), "areas": []})
        columns[-1]["areas"].append(area_dict(area))
    group_starts = {column["areas"][0]["code"] for column in columns}
    all_indicators = indicators_with_figures()
    matrix = _matrix(all_indicators, page_areas, group_starts)
    figure_count, source_count = totals()
    return {
        "kind": "home",
        "columns": columns,
        "matrix": matrix,
        "pagination": pagination,
        "headline": [row["indicator"] for row in matrix if row["has_figures"] and row["headline"]],
        "counts": {
            "figures": figure_count,
            "areas": len(rows),
            "countries": sum(1 for a in rows if a.kind == Area.Kind.COUNTRY),
            "sources": source_count,
            "indicators": sum(1 for _i, has in all_indicators if has),
        },
    }


def _matrix(all_indicators, page_areas, group_starts):
    """One row per indicator, one cell per area of the page, from the coverage summary."""
    cells = {(c.indicator_id, c.area_id): c for c in coverage(area_ids=[a.id for a in page_areas])}
    queries = {area.id: CompareParams(areas=(area.code,), year=YEAR_ALL).as_query() for area in page_areas}
    reading = (current_lang(), calendars.current())  # what a cell's years look like
    matrix = []
    for indicator, has_figures in all_indicators:
        compare_url = url("compare", indicator.code)
        row_cells = []
        for area in page_areas:
            cell = cells.get((indicator.id, area.id))
            row_cells.append(
                {
                    "area": area.code,
                    "group_start": area.code in group_starts,
                    "count": cell.figures if cell else 0,
                    "years": _cell_years(cell.years, cell.first_year, cell.last_year, cell.undated > 0, reading)
                    if cell
                    else (),
                    "url": f"{compare_url}?{queries[area.id]}" if cell else "",
                }
            )
        row = {"indicator": indicator_dict(indicator), "has_figures": has_figures, "headline": indicator.headline}
        matrix.append({**row, "cells": row_cells})
    return matrix


@lru_cache(maxsize=4096)
def _cell_years(years, first_year, last_year, undated, reading):
    """The years of one cell of the overview, newest first: each of them when there are one or
    two, else the range; 'year not stated' last when some figures have none. Cached per language
    and calendar (``reading``, in the key): with every year loaded, most cells read alike."""
    if years <= 2:
        labels = [format_year(y) for y in sorted({first_year, last_year} - {None}, reverse=True)]
    else:
        labels = [_("%(first)s–%(last)s") % {"first": format_year(first_year), "last": format_year(last_year)}]
    if undated:
        labels.append(format_year(None))
    return tuple(labels)


# --- an area ------------------------------------------------------------------------------------------


def area_page(area_code, page):
    """One area's newest published figures (AREA_FIGURES_PER_INDICATOR of each indicator, plus
    any the source garbles), a page of indicators at a time, with the shares to chart.

    Raises NotFound for an unknown area code and QueryError for a page past the last.
    """
    code = (area_code or "").strip().upper()
    area = area_by_code(code) if AREA_CODE_RE.fullmatch(code) else None  # also keeps NUL from the database
    if area is None:
        raise NotFound(_("There is no area with the code “%(code)s”.") % {"code": code[:20]})
    cells, pagination = paginate(
        area_coverage(area.id),
        page,
        AREA_INDICATORS_PER_PAGE,
        lambda n: url("area", area.code, query=page_query(n)),
    )
    rows = newest_figures(area.id, [indicator.id for indicator, _n in cells], AREA_FIGURES_PER_INDICATOR)
    by_indicator = {}
    for row, figure in zip(rows, figure_dicts(rows), strict=True):
        by_indicator.setdefault(row.indicator.id, []).append(figure)
    sections = [_section(indicator, count, by_indicator.get(indicator.id, []), area.code) for indicator, count in cells]
    figures = [f for section in sections for f in section["figures"]]
    # The chart: shares only (percentages can share an axis; counts and money cannot).
    chart_figures = [f for s in sections if s["indicator"]["is_share"] for f in s["figures"] if f["charted"]]
    not_charted = [f for f in figures if not f["charted"]]
    flag_figures(figures, group_key=lambda f: f["indicator"]["code"])
    return {
        "kind": "area",
        "dir": direction(),
        "area": {
            **area_dict(area),
            "parent_name": area.parent_name,
            "parent_url": url("area", area.parent_code) if area.parent_code else None,
            "regions": [{"code": r.code, "name": r.name, "url": url("area", r.code)} for r in regions_of(area.id)],
        },
        "sections": sections,
        "pagination": pagination,
        "figures": chart_figures,
        "not_charted": not_charted,
        "definitions": _definitions(figures),
        "sources": sources_of(figures),
        "flag_legend": flag_legend(figures),
        **export_links("area", area.code, query=page_query(page)),
        "last_changed": last_changed(chart_figures + not_charted),
        "file_name": file_stem([area.name, _("SME shares")]),
        "file_name_ascii": file_stem(["smedash", area.code, "sme-shares"], ascii_only=True),
    }


def _section(indicator_row, count, figures, area_code):
    """One indicator on an area's profile: charted figures first, newest first; unclear after."""
    indicator = indicator_dict(indicator_row)
    figures.sort(key=lambda f: (not f["charted"], *year_sort_key(f), -f["value"]))
    distinguish([f for f in figures if f["charted"]], indicator["name"])
    for f in figures:
        if not f["charted"]:
            distinguish([f], indicator["name"])  # the indicator's name, and what the figure counts
    more = count - len(figures)
    all_years = CompareParams(areas=(area_code,), year=YEAR_ALL).as_query()
    return {
        "indicator": indicator,
        "figures": figures,
        "total": count,
        "more": more,
        "more_label": ngettext(
            "%(indicator)s: one older figure. See all %(total)s over the years",
            "%(indicator)s: %(more)s older figures. See all %(total)s over the years",
            more,
        )
        % {"indicator": indicator["name"], "more": format_number(more), "total": format_number(count)},
        "all_url": f"{indicator['url']}?{all_years}",
    }


def _definitions(figures):
    """The SME definitions the figures rest on, each with the sources that give it."""
    definitions = {}
    for f in figures:
        if f["definition"]:
            entry = definitions.setdefault(f["definition"], {"definition": f["definition"], "sources": []})
            if f["source"]["identifier"] not in {source["identifier"] for source in entry["sources"]}:
                entry["sources"].append({key: f["source"][key] for key in ("identifier", "title", "url")})
    return list(definitions.values())


# --- sources --------------------------------------------------------------------------------------------


def sources_page():
    """Every source, with how many published figures come from it."""
    return {
        "kind": "sources",
        "sources": [
            {**source_dict(s), "publisher": s.publisher, "date_known": s.date_known, "figure_count": count}
            for s, count in sources_with_counts()
        ],
    }


def source_page(identifier, page, figure=None):
    """One source and the published figures taken from it, with their quotes, a page at a time;
    with ``figure`` (an observation id), the page that figure is on. Raises NotFound for an
    unknown source and QueryError for a page past the last."""
    # No identifier holds control characters, and PostgreSQL refuses a NUL in a query.
    source = source_by_identifier(identifier) if identifier and identifier.isprintable() else None
    if source is None:
        raise NotFound(_("There is no source “%(identifier)s”.") % {"identifier": (identifier or "")[:60]})
    rows = SourceFigures(identifier)
    if figure is not None:
        # A quote's link names its figure: open the page it is on (an unknown id: the first).
        position = rows.position(figure)
        page = position // SOURCE_FIGURES_PER_PAGE + 1 if position is not None else 1
    shown, pagination = paginate(
        rows, page, SOURCE_FIGURES_PER_PAGE, lambda n: url("source", source.identifier, query=page_query(n))
    )
    figures = flag_figures(figure_dicts(shown), relative=False)
    return {
        "kind": "source",
        "source": {
            **source_dict(source),
            "summary": source.summary,
            "publisher": source.publisher,
            "date_known": source.date_known,
            "address": source.url,
        },
        "figures": figures,
        "pagination": pagination,
    }


# --- the methodology ------------------------------------------------------------------------------------


def about_page():
    """What the methodology page needs from the data: indicators, qualifiers and definitions."""
    definitions = {}
    for row in figures_with_definitions():
        key = (row.area.code, row.definition)
        if key not in definitions:
            definitions[key] = {
                "area": area_dict(row.area),
                "definition": row.definition,
                "source": source_dict(row.source),
            }
    return {
        "kind": "about",
        "indicators": [indicator_dict(i) for i in indicators()],
        "qualifiers": [{"value": v, "label": str(label)} for v, label in Observation.Qualifier.choices],
        "scopes": [{"value": v, "label": str(label)} for v, label in Observation.Scope.choices],
        "definitions": list(definitions.values()),
        "flags": all_flags(),
    }
