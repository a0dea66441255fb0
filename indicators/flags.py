"""The rules that say how a figure may be read beside the others shown with it: flags, labels for
an area's several figures, and the grouping of a comparison by kind of area.

They work on presented figure dicts (``presenters.figure_dict``) and change them in place.
"""

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .formatting import format_number
from .models import Observation
from .presenters import GROUP_LABELS, GROUP_ORDER, year_sort_key

Qualifier = Observation.Qualifier

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


def _dominant(values, order):
    counts = Counter(values)
    return max(counts, key=lambda v: (counts[v], -order.index(v) if v in order else 0))


def _own_flags(f):
    """The flags that belong to the figure itself, whatever is shown beside it."""
    flags = [] if f["charted"] else ["unclear"]
    if f["qualifier"] in (Qualifier.MORE_THAN, Qualifier.LESS_THAN, Qualifier.ABOUT):
        flags.append("qualified")
    if f["year"] is None:
        flags.append("no_year")
    elif f["is_period"]:
        flags.append("period")
    return flags


def flag_figures(figures, group_key=lambda f: f["area"]["code"], relative=True, years_compared=True):
    """Set each figure's ``flags`` relative to the others shown with it (in place).

    ``group_key`` says which figures belong to one bar group (one area on the comparison, one
    indicator on an area profile): several figures in a group are labelled apart. With
    ``relative=False`` (a list that compares nothing, such as a source's page) only the flags
    that belong to the figure itself are set. With ``years_compared=False`` (a trend, whose years
    differ by design) no figure is flagged for being of another year than the others.
    """
    charted = [f for f in figures if f["charted"]]
    years = {f["year"] for f in charted if f["year"] is not None}
    scopes = [f["scope"] for f in charted]
    dominant_scope = _dominant(scopes, list(Observation.Scope.values)) if scopes else None
    definitions = {f["definition"] for f in charted}
    group_sizes = Counter(group_key(f) for f in charted)
    details = {}  # a flag's detail, translated once per call rather than once per figure
    for f in figures:
        flags = _own_flags(f)
        # An unclear figure is not shown beside the others: only its own flags apply.
        if relative and f["charted"]:
            if years_compared and f["year"] is not None and len(years) > 1:
                flags.append("year_differs")
            if len(set(scopes)) > 1 and f["scope"] != dominant_scope:
                flags.append("scope_differs")
            if f["definition"] and len(definitions) > 1:
                flags.append("definition")
            if group_sizes[group_key(f)] > 1:
                flags.append("several")
        f["flags"] = flags
        f["flag_symbols"] = "".join(FLAGS[code][0] for code in flags)
        f["flag_details"] = [details.get(c) or details.setdefault(c, _flag_detail(c)) for c in flags]
    return figures


def _flag_detail(code):
    """A flag as a figure lists it. Shared between the figures of one call: read it, never change it."""
    return {"code": code, "symbol": FLAGS[code][0], "label": str(FLAGS[code][1])}


def flag_legend(figures):
    """The flags that occur among ``figures``, in a fixed order, with symbol and explanation."""
    present = {code for f in figures for code in f["flags"]}
    return [
        {"code": code, "symbol": symbol, "label": str(label)}
        for code, (symbol, label) in FLAGS.items()
        if code in present
    ]


def all_flags():
    return [{"code": c, "symbol": s, "label": str(label)} for c, (s, label) in FLAGS.items()]


def distinguish(figures, base_label):
    """Labels for the figures of one group (an area's bars, or an indicator's on an area's page):
    the name, then what each figure counts (its measured-as, wherever recorded, so that a figure
    of micro enterprises never reads as one of all SMEs) and, when there are several, what else
    tells them apart: the year, the scope, else the source, or a number when nothing recorded does."""
    details = [[f["measured_as"]] if f.get("measured_as") else [] for f in figures]
    if len(figures) > 1:
        differs = {
            "year": len({f["year_as_written"] or f["year"] for f in figures}) > 1,
            "scope": len({f["scope"] for f in figures}) > 1,
            "source": len({f["source"]["identifier"] for f in figures}) > 1,
        }
        for f, parts in zip(figures, details, strict=True):
            if differs["year"]:
                parts.append(f["year_display"])
            if differs["scope"]:
                parts.append(f["scope_label"])
        if differs["source"]:
            for i in _alike(details):
                details[i].append(figures[i]["source"]["title"])
        # Nothing recorded tells them apart (two figures of one list, neither saying what it
        # counts): number them; the note says why.
        for i in _alike(details):
            details[i].append(
                _("figure %(index)s of %(count)s")
                % {"index": format_number(i + 1, grouping=False), "count": format_number(len(figures))}
            )
    for f, parts in zip(figures, details, strict=True):
        f["label_detail"] = " · ".join(parts)
        f["label"] = f"{base_label} ({f['label_detail']})" if parts else base_label


def _alike(details):
    """The positions of the label parts another figure of the group has too."""
    counts = Counter(tuple(parts) for parts in details)
    return [i for i, parts in enumerate(details) if counts[tuple(parts)] > 1]


def group_by_area_kind(figures):
    """Groups of figures by kind of area; in each, areas by their highest value, each area's
    figures together (newest first), labelled apart when an area has several."""
    groups = []
    for kind in GROUP_ORDER:
        by_area = {}
        for f in figures:
            if f["area"]["kind"] == kind:
                by_area.setdefault(f["area"]["code"], []).append(f)
        if not by_area:
            continue
        ordered = []
        for area_figures in sorted(
            by_area.values(), key=lambda fs: (-max(f["value"] for f in fs), fs[0]["area"]["name"])
        ):
            area_figures.sort(key=lambda f: (*year_sort_key(f), -f["value"]))
            distinguish(area_figures, area_figures[0]["area"]["name"])
            ordered.extend(area_figures)
        groups.append({"kind": kind, "label": str(GROUP_LABELS[kind]), "figures": ordered})
    return groups
