"""The trend chart (``trends.trend_page``'s data): one line per area over the years, with markers.

Time runs left to right in every language, as Arabic and Persian statistical publications draw
it; in Arabic and Persian the value axis, the title, the legend and the notes sit on the start
(right) side, and every text is isolated right to left (``chart_style.chart_text``). A line joins
the figures of consecutive years only: a missing year, or a second figure of the same year, is a
gap (a point with no value: plotly.js's ``connectgaps`` is off by default). Figures not exact
("more than", "about") have hollow markers; flag symbols sit beside their points.

Like the comparison's chart, it comes in two layouts: the wide one (the PNG's) and a narrow one
for phones (title and legend wrapped on the start side, fewer year ticks, no zoom), sent together
(``chart_narrow.narrow_variant``; static/js/chart.js chooses by width). The colours keep at least
3:1 against both the light and the dark background, so the page's dark mode needs no swap.
"""

import math

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from .chart_hover import flag_labels_of, hover_text, hover_texts
from .chart_narrow import MODEBAR_STRIP, NARROW_NOTE_CHARS, NARROW_TITLE_CHARS, NARROW_WIDTH, _narrow_legend
from .chart_page import PageFigure
from .chart_style import (
    CHAR_WIDTH,
    HEIGHT,
    LINE_HEIGHT,
    MODEBAR_WIDTH,
    MUTED_COLOR,
    NOTE_CHAR_WIDTH,
    SIDE_MARGINS,
    SUBTITLE_CHAR_WIDTH,
    TEXT_COLOR,
    TITLE_CHAR_WIDTH,
    WIDTH,
    bold,
    chart_lines,
    chart_text,
    wrap_words,
)
from .charts import (
    _empty_annotation,
    _notes,
    _notes_annotation,
    _title,
    _value_axis,
)
from .formatting import format_number, format_year
from .text import FONT_FAMILY, is_rtl, list_separator

# One colour and one marker per line (eight at most on a page: trends.TREND_AREAS_PER_PAGE). Each
# colour has a contrast of at least 3:1 with white and with the dark page (#16191d).
TREND_COLORS = ["#2f79b5", "#c2571a", "#2e8540", "#b0468f", "#7a6fc9", "#a07a00", "#00838f", "#d03b3b"]
TREND_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "hexagon", "star"]
LABELLED_POINTS = 16  # up to this many points on a chart, each shows its value; beyond, only flags
UNDATED_IN_NOTES = 8  # figures with no year named in the chart's notes; the rest are counted
LEGEND_ROW = 22  # px per row of the legend (12 px)
NARROW_SIDE = 52  # px on the value axis's side of the narrow chart (its tick labels)
NARROW_END = 16
NARROW_PLOT_HEIGHT = 280
NARROW_SUBTITLE_CHARS = 38


def trend_figure(data, width=None):
    """The line chart of a trend. ``width`` (pixels): a fixed width (the PNG), labels and ticks
    made for it; without it the figure fills its container and comes with its narrow layout."""
    rtl = is_rtl()
    values = len(data["figures"]) <= LABELLED_POINTS
    hovers = _hovers(data)
    traces = _traces(data, hovers, values)
    notes = _trend_notes(data, width=width)
    plot_width = (width or WIDTH) - SIDE_MARGINS
    rows = _legend_rows([t["name"] for t in traces], plot_width)
    layout = {
        "template": "none",
        "height": HEIGHT + LINE_HEIGHT * len(notes) + LEGEND_ROW * max(rows - 1, 0),
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
        "separators": "\u066b\u066c" if rtl else ".,",
        "title": _title(_title_text(data), _subtitle(data), rtl),
        "margin": {
            "t": 90 + LEGEND_ROW * rows,
            "b": 40 + LINE_HEIGHT * len(notes) + 24,
            "l": SIDE_MARGINS // 2,
            "r": SIDE_MARGINS // 2,
            "pad": 4,
        },
        "xaxis": _year_axis(data, plot_width),
        "yaxis": _value_axis([f["value"] for f in data["figures"]], *_unit(data)),
        "showlegend": bool(traces),
        "legend": {
            "orientation": "h",
            "x": 1 if rtl else 0,
            "xanchor": "right" if rtl else "left",
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 12},
        },
        "hovermode": "closest",
        "hoverlabel": {"align": "right" if rtl else "left", "font": {"family": FONT_FAMILY, "size": 13}},
        "annotations": [_notes_annotation(notes, 40, rtl)] if notes else [],
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
    }
    if not traces:
        layout["annotations"].append(_empty_annotation())
        layout["xaxis"]["visible"] = False
    if width:  # a PNG, SVG or PDF: plotly.py checks the figure
        layout["width"] = width
        return go.Figure(data=traces, layout=layout)
    fig = PageFigure(traces, layout)
    if traces:
        fig._smedash_narrow = _narrow_figure(data, hovers)
        fig._smedash_wide_min_width = _wide_min_width(data, notes, [t["name"] for t in traces])
    return fig


# --- lines ---------------------------------------------------------------------------------------


def _hovers(data):
    """What pointing at each drawn figure shows, by id: made once for both layouts."""
    flag_labels, texts = flag_labels_of(data), hover_texts()
    return {f["id"]: hover_text(f, flag_labels, f["label"], texts) for s in data["series"] for f in s["figures"]}


def _traces(data, hovers, values, narrow=False):
    """One trace per area with drawn figures; its colour and marker are the area's place on the page."""
    traces = []
    for index, series in enumerate(data["series"]):
        if series["figures"]:
            traces.append(_line(series, index, hovers, values, narrow))
    return traces


def _line(series, index, hovers, values, narrow):
    color = TREND_COLORS[index % len(TREND_COLORS)]
    symbol = TREND_SYMBOLS[index % len(TREND_SYMBOLS)]
    points = {"x": [], "y": [], "text": [], "hovertext": [], "customdata": [], "symbol": []}
    previous = None
    for f in series["figures"]:
        if previous is not None and f["year"] != previous + 1:
            # A gap: a missing year, or a second figure of the same year. No value, no line.
            for key, blank in (("x", f["year"]), ("y", None), ("text", ""), ("hovertext", ""), ("customdata", "")):
                points[key].append(blank)
            points["symbol"].append(symbol)
        qualified = "qualified" in f["flags"]
        label = (f["value_display"] + " " + f["flag_symbols"]).strip() if values else f["flag_symbols"]
        points["x"].append(f["year"])
        points["y"].append(f["value"])
        points["text"].append(chart_text(label) if label else "")
        points["hovertext"].append(hovers[f["id"]])
        points["customdata"].append(f"#{f['anchor']}")  # a click leads to its quote
        points["symbol"].append(f"{symbol}-open" if qualified else symbol)
        previous = f["year"]
    return {
        "type": "scatter",
        "x": points["x"],
        "y": points["y"],
        "mode": "lines+markers+text",
        "name": chart_text(series["area"]["name"]),
        "line": {"color": color, "width": 2.5},
        "marker": {"color": color, "size": 8 if narrow else 9, "symbol": points["symbol"], "line": {"width": 2}},
        "text": points["text"],
        "textposition": "top center",
        "textfont": {"size": 12, "color": TEXT_COLOR},
        "cliponaxis": False,
        "hovertext": points["hovertext"],
        "hoverinfo": "text",
        "customdata": points["customdata"],
        "connectgaps": False,
    }


# --- axes and texts ------------------------------------------------------------------------------


def _unit(data):
    indicator = data["indicator"]
    return indicator["unit"], indicator["unit_label"]


def _year_axis(data, plot_width, narrow=False, edge_room=SIDE_MARGINS // 2):
    """Years left to right, ticked every 1, 2, 5, 10… years so that their labels (the reader's
    years, ``formatting.format_year``) never touch, and never at a year so near an end of the
    axis that half its label would pass the chart's edge (``edge_room``: the narrower side
    margin, in px): plotly.js hides such a label, leaving a phone's axis with one year."""
    years = [f["year"] for f in data["figures"]]
    first, last = (min(years), max(years)) if years else (0, 1)
    longest = max(len(format_year(first)), len(format_year(last)))
    room = longest * CHAR_WIDTH + 18
    pad = max(0.6, (last - first) * 0.03)
    per_year = plot_width / (last - first + 2 * pad)  # px
    inset = max(0.0, (longest * CHAR_WIDTH / 2 - edge_room) / per_year) - pad  # years in from first/last
    low, high = math.ceil(first + max(0.0, inset)), math.floor(last - max(0.0, inset))
    steps = [s for s in (1, 2, 5, 10, 20, 25, 50, 100) if s * per_year >= room]
    ticks = next(
        (found for s in steps if len(found := [y for y in range(low, high + 1) if y % s == 0]) >= 2),
        # No two round years fit: the first and the last that may carry a label, if both fit.
        sorted({low, high}) if (high - low) * per_year >= room else [round((first + last) / 2)],
    )
    return {
        "type": "linear",
        "range": [first - pad, last + pad],
        "autorange": False,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [chart_text(format_year(y)) for y in ticks],
        "tickfont": {"size": 12},
        "showgrid": False,
        "zeroline": False,
        "showline": True,
        "linecolor": MUTED_COLOR,
        "fixedrange": narrow,
        "automargin": False,
    }


def _title_text(data):
    return _("%(indicator)s over the years") % {"indicator": data["indicator"]["name"]}


def _subtitle(data):
    parts = [data["indicator"]["unit_label"], data.get("params_label", ""), data.get("years_label", "")]
    return " · ".join(part for part in parts if part)


def _trend_notes(data, width=None, chars=None):
    """Lines under the chart: what hollow markers mean, the figures not drawn for want of a year,
    then the comparison's notes (flag marks, sources, figures not charted)."""
    chars = chars or max(30, min(120, int(((width or WIDTH) - SIDE_MARGINS) / NOTE_CHAR_WIDTH)))
    lines = []
    if any("qualified" in f["flags"] for f in data["figures"]):
        lines += wrap_words(_("Hollow markers: not exact figures (more than, less than, about)."), chars)
    undated = data.get("undated", [])
    if undated:
        named = [f"{f['label']} {f['value_display']}" for f in undated[:UNDATED_IN_NOTES]]
        text = list_separator().join(named)
        if len(undated) > UNDATED_IN_NOTES:
            count = format_number(len(undated) - UNDATED_IN_NOTES)
            text = _("%(names)s and %(count)s more") % {"names": text, "count": count}
        lines += wrap_words(_("Not drawn (year not stated): %(figures)s") % {"figures": text}, chars)
    return lines + _notes(data, width, chars)


def _legend_rows(names, plot_width):
    """How many rows the horizontal legend takes (plotly.js wraps it to the plot's width)."""
    rows, used = 1, 0
    for name in names:
        entry = len(name) * CHAR_WIDTH + 44
        if used and used + entry > plot_width:
            rows, used = rows + 1, 0
        used += entry
    return rows


# --- the narrow layout (phones) ------------------------------------------------------------------


def _wide_min_width(data, notes, names):
    """The narrowest chart in which the wide layout's title, subtitle, notes and a legend of at
    most two rows fit; below it the page draws the narrow layout."""
    needs = [
        len(_title_text(data)) * TITLE_CHAR_WIDTH / 0.96 + MODEBAR_WIDTH + 16,
        len(_subtitle(data)) * SUBTITLE_CHAR_WIDTH / 0.96 + 16,
        max((len(line) for line in notes), default=0) * NOTE_CHAR_WIDTH + SIDE_MARGINS // 2 + 24,
        sum(len(name) * CHAR_WIDTH + 44 for name in names) / 2 + SIDE_MARGINS,
        600,  # never on a phone
    ]
    return math.ceil(max(needs))


def _narrow_figure(data, hovers):
    """The trend for a narrow chart: title and subtitle wrapped under the modebar's strip, flush
    with the start side; the value axis on the start side; few year ticks; the legend (one area a
    row) and the notes under the plot; no zoom or pan, so that a finger scrolls the page."""
    rtl = is_rtl()
    traces = _traces(data, hovers, values=False, narrow=True)
    title_lines = wrap_words(_title_text(data), NARROW_TITLE_CHARS)
    subtitle_lines = wrap_words(_subtitle(data), NARROW_SUBTITLE_CHARS)
    notes = _trend_notes(data, chars=NARROW_NOTE_CHARS)
    subtitle_height = len(subtitle_lines) * 17 + 2
    top = MODEBAR_STRIP + len(title_lines) * 23 + 2 + 6 + subtitle_height + 14
    axis = 30
    legend = len(traces) * LEGEND_ROW + 8
    bottom = axis + legend + LINE_HEIGHT * len(notes) + 14
    start, end = ("r", "l") if rtl else ("l", "r")
    value_axis = _value_axis([f["value"] for f in data["figures"]], *_unit(data))
    value_axis.update({"fixedrange": True, "automargin": False, "title": {"text": ""}})
    edge = {"x": 1 if rtl else 0, "xanchor": "right" if rtl else "left", "align": "right" if rtl else "left"}
    shift = (NARROW_SIDE - 6) * (1 if rtl else -1)

    def at_start(text, y, yanchor, yshift, font):
        return {"text": text, "xref": "paper", "yref": "paper", "y": y, "yanchor": yanchor, "yshift": yshift,
                "xshift": shift, "showarrow": False, "font": font, **edge}  # fmt: skip

    annotations = [
        at_start("<br>".join(bold(line) for line in title_lines), 1, "bottom", 14 + subtitle_height + 6,
                 {"size": 17, "color": TEXT_COLOR}),
        at_start(chart_lines(subtitle_lines), 1, "bottom", 14, {"size": 13, "color": MUTED_COLOR}),
    ]  # fmt: skip
    if notes:
        notes_text = "<br>".join(chart_text(line) for line in notes)
        annotations.append(at_start(notes_text, 0, "top", -(axis + legend + 4), {"size": 12, "color": MUTED_COLOR}))
    layout = {
        "template": "none",
        "height": top + NARROW_PLOT_HEIGHT + bottom,
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
        "separators": "\u066b\u066c" if rtl else ".,",
        "margin": {start: NARROW_SIDE, end: NARROW_END, "t": top, "b": bottom, "pad": 2},
        "xaxis": _year_axis(data, NARROW_WIDTH - NARROW_SIDE - NARROW_END, narrow=True, edge_room=NARROW_END),
        "yaxis": value_axis,
        "dragmode": False,
        "showlegend": True,
        "legend": _narrow_legend(-(axis + 2) / NARROW_PLOT_HEIGHT, rtl),
        "hovermode": "closest",
        "hoverlabel": {"align": "right" if rtl else "left", "font": {"family": FONT_FAMILY, "size": 13}},
        "annotations": annotations,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
    }
    return PageFigure(traces, layout)
