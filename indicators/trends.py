"""The trend page: one indicator over the years for a page of areas, in the active language.

One line per area. Only figures with a stated year are drawn; a line joins the figures of
consecutive years only, so a missing year is a gap. Figures with no year are listed under the
chart, and figures unclear in their source are listed as on the comparison; neither is drawn.
Reads come from ``selectors`` (the comparison's ranked candidates: at most TREND_FIGURES_PER_AREA
of each area, chosen in the database), figures are shaped by ``presenters`` and flagged by ``flags``.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import calendars
from .comparison import _indicator_and_areas
from .flags import distinguish, flag_figures, flag_legend
from .formatting import format_number, format_year
from .models import Observation
from .params import SCOPE_ALL, YEAR_ALL, CompareParams, TrendParams
from .presenters import (
    GROUP_LABELS,
    GROUP_ORDER,
    export_links,
    figure_dicts,
    file_stem,
    indicator_dict,
    last_changed,
    paginate_groups,
    sources_of,
    url,
)
from .selectors import comparison_candidates, coverage, figures_by_ids, indicators
from .share import years_label
from .text import direction

# As many lines as a reader can tell apart on one chart (eight colours, each with its own marker),
# and as many points: long series make pages of fewer areas (three of sixty years). The other areas
# come a page at a time.
TREND_AREAS_PER_PAGE = 8
TREND_POINTS_PER_PAGE = 200
# The figures of one area a page reads at most, newest first: sixty years of yearly figures fit.
TREND_FIGURES_PER_AREA = 80
# Up to this many figures, the page lists each one in a row of its own with its quote. Beyond, a
# page of long series (eight areas of sixty years: 480 figures) would be a wall of rows and quotes
# costing twenty times what the chart costs: the figures come as a table of years by areas, each
# value a link to its quote on its source's page.
TREND_LISTED_FIGURES = 40
Qualifier = Observation.Qualifier


def trend_page(indicator_code, params):
    """One indicator over the years: a series per area of the page (its dated figures, oldest
    first), the figures not drawn (undated, unclear), sources, flags, notices and the form's
    choices. Raises NotFound for an unknown indicator, QueryError for unknown areas or a page
    past the last."""
    indicator, all_areas = _indicator_and_areas(indicator_code, params)
    available, page_areas, pagination = _areas_of_the_page(indicator, all_areas, params)
    figures, more = _figures(indicator, params, page_areas)
    drawn = [f for f in figures if f["charted"] and f["year"] is not None]
    undated = [f for f in figures if f["charted"] and f["year"] is None]
    not_charted = [f for f in figures if not f["charted"]]
    _flag(drawn + undated + not_charted)
    series = _series(page_areas, drawn)
    ordered = [f for s in series for f in s["figures"]]
    listed = ordered + undated + not_charted
    query = params.as_query()
    missing = [all_areas[code] for code in params.areas if code not in available]
    listed_in_full = len(listed) <= TREND_LISTED_FIGURES
    return {
        "kind": "trend",
        "dir": direction(),
        "indicator": indicator_dict(indicator),
        "params": params.as_dict(),
        "query": query,
        "params_label": params_label(params),
        "years_label": years_label(ordered) if ordered else "",
        "series": series,
        "figures": ordered,
        "undated": undated,
        "not_charted": not_charted,
        "listed_in_full": listed_in_full,
        "pagination": pagination,
        "sources": sources_of(listed),
        "flag_legend": flag_legend(listed),
        "more": more,
        "notices": _notices(series, undated, missing, more, all_areas),
        "compare_url": url("compare", indicator.code, query=_compare_query(params)),
        **export_links("trend", indicator.code, query=query),
        "last_changed": last_changed(listed),
        "file_name": file_stem([indicator.name, _("trend"), *(a.name for a in page_areas)]),
        "file_name_ascii": file_stem(["smedash", indicator.code, "trend", *params.areas], ascii_only=True),
    }


def _areas_of_the_page(indicator, all_areas, params):
    """The codes of the areas with a figure of the indicator; the areas asked for (else all of
    those) that this page draws, in their order; and the pagination."""
    areas_by_id = {area.id: area for area in all_areas.values()}
    cells = coverage(indicator_id=indicator.id)
    available = {areas_by_id[cell.area_id].code for cell in cells}
    asked = params.areas or sorted(available)
    shown_areas = sorted(
        (all_areas[code] for code in asked if code in available),
        key=lambda a: (GROUP_ORDER.index(a.kind), a.name),
    )
    points = {cell.area_id: min(cell.figures, TREND_FIGURES_PER_AREA) for cell in cells}
    page_url = url("trend", indicator.code)
    page_areas, pagination = paginate_groups(
        _pages_of_areas(shown_areas, points),
        params.page,
        TREND_AREAS_PER_PAGE,
        lambda n: f"{page_url}?{params.as_query(page=n)}",
    )
    return available, page_areas, pagination


def _pages_of_areas(areas, points):
    """``areas`` in pages, in their order: at most TREND_AREAS_PER_PAGE lines and about
    TREND_POINTS_PER_PAGE points a page (one area at least). ``points``: each area's figures on the
    indicator (the coverage summary, every scope), as many as a page reads of it at most."""
    pages, page, used = [], [], 0
    for area in areas:
        count = points.get(area.id, 0)
        if page and (len(page) == TREND_AREAS_PER_PAGE or used + count > TREND_POINTS_PER_PAGE):
            pages.append(page)
            page, used = [], 0
        page.append(area)
        used += count
    return [*pages, page] if page else pages


def _figures(indicator, params, page_areas):
    """The page's figures, presented (at most TREND_FIGURES_PER_AREA of each kind per area), and
    what is left out of each area: ``{"per_area", "areas": [{area, shown, total, more}]}``."""
    rows = []
    if page_areas:  # no area: no read (the candidates of no area would be every area's)
        rows = comparison_candidates(
            indicator.id,
            [a.id for a in page_areas],
            year=None,
            scope=None if params.scope == SCOPE_ALL else params.scope,
            latest=False,
            per_area=TREND_FIGURES_PER_AREA,
        )
    shown, totals = {}, {}
    for row in rows:
        kind = row.qualifier == Qualifier.UNCLEAR
        shown[row.area_id] = shown.get(row.area_id, 0) + 1
        totals.setdefault(row.area_id, {})[kind] = row.total
    entries = []
    for area in page_areas:
        total = sum(totals.get(area.id, {}).values())
        if total > shown.get(area.id, 0):
            entries.append({"area": area.code, "shown": shown[area.id], "total": total, "more": total - shown[area.id]})
    figures = figure_dicts(figures_by_ids([row.id for row in rows]))
    return figures, {"per_area": TREND_FIGURES_PER_AREA, "areas": entries}


def _flag(figures):
    """Flags as on the comparison, but for one area's figures of one year (told apart as
    several), and without "from different years": on a trend, years differ by design."""
    flag_figures(figures, group_key=lambda f: (f["area"]["code"], f["year"]), years_compared=False)
    # Labels: the area's name and what each figure counts, and what tells apart an area's
    # several figures of one year (or its several undated ones).
    groups = {}
    for f in figures:
        groups.setdefault((f["area"]["code"], f["year"], f["charted"]), []).append(f)
    for group in groups.values():
        distinguish(group, group[0]["area"]["name"])


def _series(page_areas, drawn):
    """One series per area of the page, in the page's order: its drawn figures, oldest first."""
    by_area = {}
    for f in drawn:
        by_area.setdefault(f["area"]["code"], []).append(f)
    series = []
    for area in page_areas:
        figures = sorted(by_area.get(area.code, []), key=lambda f: (f["year"], -f["value"], f["id"]))
        series.append(
            {
                "area": {"code": area.code, "name": area.name, "kind": area.kind, "url": url("area", area.code)},
                "figures": figures,
                "first_year": figures[0]["year"] if figures else None,
                "last_year": figures[-1]["year"] if figures else None,
            }
        )
    return series


def year_rows(series):
    """The drawn figures as a table of years by areas, oldest year first: ``{year, year_display,
    cells}``, a cell per series (the area's figures of that year, usually one, maybe none). For
    the HTML page alone, when it does not list each figure (``listed_in_full``): the twin, CSV and
    PNG do without, so it is not part of the page's data."""
    by_year = {}
    for index, s in enumerate(series):
        for f in s["figures"]:
            by_year.setdefault(f["year"], [[] for _s in series])[index].append(f)
    calendar = calendars.current()
    return [
        {"year": year, "year_display": format_year(year, choice=calendar), "cells": by_year[year]}
        for year in sorted(by_year)
    ]


def _notices(series, undated, missing, more, all_areas):
    notices = [_("There is no published figure for %(area)s on this indicator.") % {"area": a.name} for a in missing]
    drawn = [f for s in series for f in s["figures"]]
    if not drawn and not undated:
        notices.append(_("No published figure matches this choice."))
    for s in series:
        if not s["figures"]:
            notices.append(_("%(area)s: no figure with a stated year for this choice.") % {"area": s["area"]["name"]})
    if len({f["scope"] for f in drawn}) > 1:
        notices.append(_("The figures cover different scopes (the whole economy, or industry only)."))
    if undated:
        notices.append(_("Figures with no year in their source are listed under the chart, not drawn."))
    for entry in more["areas"]:
        notices.append(
            ngettext(
                "%(area)s: one older figure is not shown here; the %(shown)s newest of %(total)s are. "
                "Download the full data to see them all.",
                "%(area)s: %(more)s older figures are not shown here; the %(shown)s newest of %(total)s are. "
                "Download the full data to see them all.",
                entry["more"],
            )
            % {
                "area": all_areas[entry["area"]].name,
                "more": format_number(entry["more"]),
                "shown": format_number(entry["shown"]),
                "total": format_number(entry["total"]),
            }
        )
    return notices


def trend_choices(indicator_code):
    """What the trend page's form offers: the same for every query of the indicator, and wanted by
    the HTML page alone (the twin, CSV and PNG do without), so kept apart from the page's data.
    Raises NotFound for an unknown indicator."""
    indicator, all_areas = _indicator_and_areas(indicator_code, TrendParams())
    areas_by_id = {area.id: area for area in all_areas.values()}
    available = {areas_by_id[cell.area_id].code for cell in coverage(indicator_id=indicator.id)}
    return _choices(all_areas, available)


def _choices(all_areas, available):
    """What the trend's form offers: indicators, areas by kind, scopes."""
    area_choices = []
    for kind in GROUP_ORDER:
        areas = sorted((a for c, a in all_areas.items() if c in available and a.kind == kind), key=lambda a: a.name)
        if areas:
            choices = [{"code": a.code, "name": a.name} for a in areas]
            area_choices.append({"kind": kind, "label": str(GROUP_LABELS[kind]), "areas": choices})
    return {
        "indicators": [{"code": i.code, "name": i.name} for i in indicators()],
        "areas": area_choices,
        "areas_open": len(available) <= 30,
        "scopes": [{"value": value, "label": str(label)} for value, label in Observation.Scope.choices],
    }


def _compare_query(params):
    """The comparison of the same areas and scope, every year."""
    return CompareParams(areas=params.areas, year=YEAR_ALL, scope=params.scope).as_query()


def params_label(params):
    """The filters in words, for the chart's subtitle."""
    return _("all scopes") if params.scope == SCOPE_ALL else str(Observation.Scope(params.scope).label)
