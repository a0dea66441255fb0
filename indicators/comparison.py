"""The comparison page: one indicator across areas, a page of areas at a time, in the active
language. Reads come from ``selectors``; figures are shaped by ``presenters`` and flagged and
grouped by ``flags``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .flags import flag_figures, flag_legend, group_by_area_kind
from .formatting import format_number, format_year
from .models import Observation
from .params import MAX_MESSAGES, SCOPE_ALL, YEAR_ALL, YEAR_LATEST, QueryError
from .presenters import (
    GROUP_LABELS,
    GROUP_ORDER,
    NotFound,
    export_links,
    figure_dicts,
    file_stem,
    indicator_dict,
    last_changed,
    paginate,
    sources_of,
    url,
)
from .selectors import (
    area_names,
    comparison_candidates,
    coverage,
    figures_by_ids,
    indicator_by_code,
    indicators,
    years_of,
)
from .text import direction

COMPARE_AREAS_PER_PAGE = 12  # areas on one comparison chart
# The figures one page draws, however many an area has: the newest of each area (two decades of
# yearly figures fit), and of the figures unclear in their source, listed on every page, at most
# as many again. What is left out is counted, and said (notices, and ``more`` in the JSON twin).
COMPARE_FIGURES_PER_AREA = 20
COMPARE_NOT_CHARTED_PER_PAGE = 20
AREA_CHOICES_OPEN = 30  # up to this many areas, the comparison's list of areas starts unfolded
Qualifier = Observation.Qualifier


def compare_page(indicator_code, params):
    """One indicator across areas: the figures to chart (grouped by kind of area, in chart order),
    those not charted, sources, flags, notices and the choices for the form.

    Raises NotFound for an unknown indicator and QueryError for unknown area codes or a page
    past the last.
    """
    indicator, all_areas = _indicator_and_areas(indicator_code, params)
    areas_by_id = {area.id: area for area in all_areas.values()}
    available = {areas_by_id[cell.area_id].code for cell in coverage(indicator_id=indicator.id)}

    picked = _pick_figures(indicator, params, all_areas, areas_by_id)
    groups, ordered, not_charted, more = picked.groups, picked.ordered, picked.not_charted, picked.more
    query = params.as_query()
    return {
        "kind": "compare",
        "dir": direction(),
        "indicator": indicator_dict(indicator),
        "params": params.as_dict(),
        "query": query,
        "params_label": params_label(params),
        "groups": groups,
        "figures": ordered,
        "not_charted": not_charted,
        "pagination": picked.pagination,
        "sources": sources_of(ordered + not_charted),
        "flag_legend": flag_legend(ordered + not_charted),
        "more": more,
        "notices": [
            *_notices(ordered, not_charted, [all_areas[c] for c in params.areas if c not in available]),
            *_left_out_notices(more, params, all_areas),
        ],
        "choices": _choices(indicator, params, all_areas, available),
        **export_links("compare", indicator.code, query=query),
        "last_changed": last_changed(ordered + not_charted),
        "file_name": file_stem([indicator.name, *(all_areas[c].name for c in params.areas)]),
        "file_name_ascii": file_stem(["smedash", indicator.code, *params.areas], ascii_only=True),
    }


@dataclass
class _Picked:
    """The comparison's figures on the asked page, presented and flagged."""

    groups: list
    ordered: list
    not_charted: list
    more: dict
    pagination: dict


def _pick_figures(indicator, params, all_areas, areas_by_id):
    """The database ranks the candidates; only the page's figures are then read in full."""
    rows = comparison_candidates(
        indicator.id,
        [all_areas[code].id for code in params.areas],
        year=params.year if params.year not in (YEAR_LATEST, YEAR_ALL) else None,
        scope=None if params.scope == SCOPE_ALL else params.scope,
        latest=params.year == YEAR_LATEST,
        per_area=COMPARE_FIGURES_PER_AREA,
    )
    charted_rows = [row for row in rows if row.qualifier != Qualifier.UNCLEAR]
    page_url = url("compare", indicator.code)
    page_ids, pagination = paginate(
        _chart_order(charted_rows, areas_by_id),
        params.page,
        COMPARE_AREAS_PER_PAGE,
        lambda n: f"{page_url}?{params.as_query(page=n)}",
    )
    on_page = set(page_ids)
    unclear_rows = _unclear_first_on_page(rows, on_page, areas_by_id)
    listed_unclear = unclear_rows[:COMPARE_NOT_CHARTED_PER_PAGE]
    wanted = [row.id for row in charted_rows if row.area_id in on_page] + [row.id for row in listed_unclear]
    figures = figure_dicts(figures_by_ids(wanted))
    charted = [f for f in figures if f["charted"]]
    not_charted = [f for f in figures if not f["charted"]]
    flag_figures(charted + not_charted)
    groups = group_by_area_kind(charted)
    ordered = [f for group in groups for f in group["figures"]]
    more = _left_out(charted_rows, unclear_rows, len(listed_unclear), page_ids, areas_by_id)
    return _Picked(groups, ordered, not_charted, more, pagination)


def _indicator_and_areas(indicator_code, params):
    """The indicator, and every area by code (only codes, kinds and names: for the form and the
    chart's order). Raises NotFound and QueryError."""
    indicator = indicator_by_code(indicator_code)
    if indicator is None:
        raise NotFound(_("There is no indicator with the code “%(code)s”.") % {"code": indicator_code[:40]})
    all_areas = {area.code: area for area in area_names()}
    unknown = [code for code in params.areas if code not in all_areas]
    if unknown:
        messages = [_("There is no area with the code “%(code)s”.") % {"code": code} for code in unknown]
        raise QueryError(messages[:MAX_MESSAGES], parameter="areas")
    return indicator, all_areas


def _unclear_first_on_page(rows, on_page, areas_by_id):
    """Figures the source garbles, listed on every page (they are not drawn, so they have no place
    in the chart's order): those of the page's areas first, then by area."""
    return sorted(
        (row for row in rows if row.qualifier == Qualifier.UNCLEAR),
        key=lambda row: (row.area_id not in on_page, areas_by_id[row.area_id].code, row.rank),
    )


def _chart_order(rows, areas_by_id):
    """The ids of the areas with charted figures, in chart order: by kind, then by their highest
    value (of the figures the page would draw), then by name."""
    top = {}
    for row in rows:
        top[row.area_id] = max(top.get(row.area_id, row.value), row.value)
    return sorted(top, key=lambda i: (GROUP_ORDER.index(areas_by_id[i].kind), -top[i], areas_by_id[i].name))


def _left_out(charted_rows, unclear_rows, listed, page_ids, areas_by_id):
    """What the page leaves out: of each of its areas, the figures past COMPARE_FIGURES_PER_AREA
    (in chart order), and the unclear figures not listed (of every area)."""
    shown, totals = {}, {}
    for row in charted_rows:
        shown[row.area_id] = shown.get(row.area_id, 0) + 1
        totals[row.area_id] = row.total
    unclear_totals = {row.area_id: row.total for row in unclear_rows}
    return {
        "per_area": COMPARE_FIGURES_PER_AREA,
        "areas": [
            {"area": areas_by_id[i].code, "shown": shown[i], "total": totals[i], "more": totals[i] - shown[i]}
            for i in page_ids
            if totals[i] > shown[i]
        ],
        "not_charted": sum(unclear_totals.values()) - listed,
    }


def _left_out_notices(more, params, all_areas):
    """What the page leaves out, in words, with how to see it."""
    notices = []
    for entry in more["areas"]:
        numbers = {
            "area": all_areas[entry["area"]].name,
            "more": format_number(entry["more"]),
            "shown": format_number(entry["shown"]),
            "total": format_number(entry["total"]),
        }
        if params.year in (YEAR_LATEST, YEAR_ALL):
            notice = ngettext(
                "%(area)s: one more figure for this choice is not shown here; the %(shown)s newest of "
                "%(total)s are. Choose a year to see the others, or download the full data.",
                "%(area)s: %(more)s more figures for this choice are not shown here; the %(shown)s newest of "
                "%(total)s are. Choose a year to see the others, or download the full data.",
                entry["more"],
            )
        else:
            notice = ngettext(
                "%(area)s: one more figure of this year is not shown here; %(shown)s of %(total)s are. "
                "Download the full data to see them all.",
                "%(area)s: %(more)s more figures of this year are not shown here; %(shown)s of %(total)s are. "
                "Download the full data to see them all.",
                entry["more"],
            )
        notices.append(notice % numbers)
    if more["not_charted"]:
        notices.append(
            ngettext(
                "One more figure unclear in its source is not listed here. Choose fewer areas or a year, "
                "or download the full data, to see it.",
                "%(count)s more figures unclear in their source are not listed here. Choose fewer areas or "
                "a year, or download the full data, to see them.",
                more["not_charted"],
            )
            % {"count": format_number(more["not_charted"])}
        )
    return notices


def _notices(ordered, not_charted, missing):
    notices = [_("There is no published figure for %(area)s on this indicator.") % {"area": a.name} for a in missing]
    if not ordered and not not_charted:
        notices.append(_("No published figure matches this choice."))
    if len({f["year"] for f in ordered if f["year"] is not None}) > 1:
        notices.append(_("The figures are from different years: compare them with care."))
    if len({f["scope"] for f in ordered}) > 1:
        notices.append(_("The figures cover different scopes (the whole economy, or industry only)."))
    if any(f["year"] is None for f in ordered):
        notices.append(_("Some figures have no year in their source."))
    return notices


def _choices(indicator, params, all_areas, available):
    """What the comparison's form offers: indicators, areas by kind, years and scopes."""
    area_choices = []
    for kind in GROUP_ORDER:
        areas = sorted((a for c, a in all_areas.items() if c in available and a.kind == kind), key=lambda a: a.name)
        if areas:
            area_choices.append(
                {
                    "kind": kind,
                    "label": str(GROUP_LABELS[kind]),
                    "areas": [{"code": a.code, "name": a.name} for a in areas],
                }
            )
    if params.areas:
        summary = ngettext(
            "Choose areas (%(count)s of %(total)s ticked)",
            "Choose areas (%(count)s of %(total)s ticked)",
            len(params.areas),
        ) % {"count": format_number(len(params.areas)), "total": format_number(len(available))}
    else:
        summary = _("Choose areas")
    return {
        "indicators": [{"code": i.code, "name": i.name} for i in indicators()],
        "areas": area_choices,
        # A long list of areas starts folded, so that the chart is not pushed out of sight.
        "areas_open": len(available) <= AREA_CHOICES_OPEN,
        "areas_summary": summary,
        "years": [{"value": y, "label": format_year(y)} for y in years_of(indicator.id)],
        "scopes": [{"value": value, "label": str(label)} for value, label in Observation.Scope.choices],
    }


def params_label(params):
    """The filters in words, for the chart's subtitle."""
    if params.year == YEAR_LATEST:
        year = _("latest year available")
    elif params.year == YEAR_ALL:
        year = _("all years")
    else:
        year = format_year(params.year)
    scope = _("all scopes") if params.scope == SCOPE_ALL else str(Observation.Scope(params.scope).label)
    return f"{year} · {scope}"
