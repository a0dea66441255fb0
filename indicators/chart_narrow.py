"""The narrow layout of a page's chart (phones, narrow windows): horizontal bars, labels on the
start side, title under the modebar's strip, legend and notes below. Built beside the wide figure
of ``indicators.charts`` and sent with it (``chart_page.figure_json``); the server PNG keeps the
wide layout.
"""

import math

import plotly.graph_objects as go

from .chart_hover import flag_labels_of
from .chart_style import (
    CHAR_WIDTH,
    GRID_COLOR,
    LABEL_CHAR_WIDTH,
    LINE_HEIGHT,
    MODEBAR_WIDTH,
    MUTED_COLOR,
    NOTE_CHAR_WIDTH,
    SIDE_MARGINS,
    SUBTITLE_CHAR_WIDTH,
    TEXT_COLOR,
    TICK_LINE_HEIGHT,
    TITLE_CHAR_WIDTH,
    bold,
    chart_lines,
    chart_text,
    nice_ticks,
    wrap_words,
)
from .charts import _bar_trace, _notes, _subtitle, _title_text
from .formatting import format_number, format_quantity
from .text import FONT_FAMILY, is_rtl

# The narrow layout (phones, narrow windows): made for a chart NARROW_WIDTH pixels wide, the
# narrowest it is drawn at (a 320 px phone); wider charts give the bars more room.
NARROW_WIDTH = 300
NARROW_LABEL_CHARS = 18  # characters per line of a category label (left of the bars, or right)
NARROW_LABEL_MARGIN = 124  # px on the start side for those labels (18 characters and a gap)
NARROW_EDGE = 6  # px between the chart's start edge and its labels, title and notes
NARROW_END_MARGIN = 14  # px on the other side
NARROW_BAR_CHARS = 12  # characters per line of a value label at the end of a bar
NARROW_TITLE_CHARS = 27
NARROW_SUBTITLE_CHARS = 38
NARROW_NOTE_CHARS = 44
MODEBAR_STRIP = 34  # px at the top of the narrow chart kept for the modebar, above the title
TITLE_LINE_HEIGHT = 23  # px per line of the title (17 px: plotly.js spaces lines 1.3 em)
SUBTITLE_LINE_HEIGHT = 17  # px per line of the subtitle (13 px)
LEGEND_ROW_HEIGHT = 22  # px per entry of the legend (12 px)


# --- the narrow layout (phones, narrow windows) -----------------------------------------------


def narrow_variant(fig):
    """The page's second layout of ``fig`` and the chart width below which it is drawn:
    ``(narrow figure, wide_min_width)``, or None (a PNG's figure, or nothing to chart)."""
    narrow = getattr(fig, "_smedash_narrow", None)
    return (narrow, fig._smedash_wide_min_width) if narrow is not None else None


def attach_narrow(fig, data, groups, show_legend, chars):
    """Build the narrow layout of a page's figure and keep it with the figure (plotly's Figure
    takes private attributes) for ``chart_page.figure_json``."""
    figures = [f for _name, _color, members in groups for f in members]
    if not figures:
        return
    fig._smedash_narrow = _narrow_figure(data, groups, show_legend)
    fig._smedash_wide_min_width = _wide_min_width(data, figures, groups, show_legend, chars)


def _plain_lines(figure, chars):
    """The lines of a figure's category label and of its value label, as plain text."""
    label = wrap_words(figure["label_base"], chars) + (
        wrap_words(figure["label_detail"], chars) if figure.get("label_detail") else []
    )
    value = figure["value_display"] + (" " + figure["flag_symbols"] if figure.get("flag_symbols") else "")
    return label, wrap_words(value, chars)


def _longest(lines):
    return max((len(line) for line in lines), default=0)


def _wide_min_width(data, figures, groups, show_legend, chars):
    """The narrowest chart in which the wide layout (labels wrapped to ``chars`` characters under
    each bar) has room for every text: below it the page draws the narrow layout."""
    slot = max(_longest(label + value) for label, value in (_plain_lines(f, chars) for f in figures))
    needs = [
        SIDE_MARGINS + len(figures) * (slot * LABEL_CHAR_WIDTH + 10),
        # The title on one line, beside the modebar; the subtitle on one line.
        len(_title_text(data)) * TITLE_CHAR_WIDTH / 0.96 + MODEBAR_WIDTH + 16,
        len(_subtitle(data)) * SUBTITLE_CHAR_WIDTH / 0.96 + 16,
        # The notes under the chart, from the plot's start edge.
        _longest(_notes(data)) * NOTE_CHAR_WIDTH + SIDE_MARGINS // 2 + 24,
        600,  # never on a phone
    ]
    if show_legend:
        needs.append(sum(len(name) * CHAR_WIDTH + 48 for name, _color, _members in groups) + SIDE_MARGINS)
    return math.ceil(max(needs))


def _narrow_value_axis(values, unit, value_lines):
    """The value axis under horizontal bars. It runs from 0 to where the longest value label,
    after its bar, still fits in a chart NARROW_WIDTH wide; ticks no closer than their labels."""
    plot = NARROW_WIDTH - NARROW_LABEL_MARGIN - NARROW_END_MARGIN
    top = max(values, default=0) or 1
    reach = top * 1.05
    for value, lines in zip(values, value_lines, strict=True):
        room = plot - (_longest(lines) * CHAR_WIDTH + 10)
        reach = max(reach, value * plot / max(room, plot * 0.3))
    fmt = (lambda t: format_quantity(t, "percent")) if unit == "percent" else format_number
    for count in (5, 4, 3, 2, 1):
        ticks = [t for t in nice_ticks(min(top, 100) if unit == "percent" else top, count) if t <= reach]
        labels = [fmt(t) for t in ticks]
        step = ticks[1] - ticks[0] if len(ticks) > 1 else reach
        if step / reach * plot >= _longest(labels) * CHAR_WIDTH + 12:
            break
    rtl = is_rtl()
    return {
        "range": [reach, 0] if rtl else [0, reach],
        "autorange": False,
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [chart_text(t) for t in labels],
        "tickfont": {"size": 12},
        "side": "bottom",
        "gridcolor": GRID_COLOR,
        "zeroline": True,
        "zerolinecolor": MUTED_COLOR,
        "fixedrange": True,
        "automargin": False,
    }


def _at_start_edge(text, rtl, **place):
    """An annotation flush with the chart's start edge (left, or right in Arabic and Persian),
    its lines aligned to that edge as the language's text runs."""
    return {
        "text": text,
        "xref": "paper",
        "x": 1 if rtl else 0,
        "xshift": (NARROW_LABEL_MARGIN - NARROW_EDGE) * (1 if rtl else -1),
        "xanchor": "right" if rtl else "left",
        "align": "right" if rtl else "left",
        "showarrow": False,
        **place,
    }


def _narrow_figure(data, groups, show_legend):
    """Horizontal bars for a narrow chart: the first figure at the top, category labels wrapped
    and flush with the start edge (right in Arabic and Persian), each value label after its bar;
    above the plot the title and subtitle (annotations, wrapped, under a strip kept for the
    modebar); under it the value axis, the legend and the notes. Its height is fixed (computed
    from the lines of text); its width follows the page."""
    rtl = is_rtl()
    figures = [f for _name, _color, members in groups for f in members]
    categories = [f["anchor"] for f in figures]
    lines = [_plain_lines(f, NARROW_LABEL_CHARS)[0] for f in figures]
    value_lines = [_plain_lines(f, NARROW_BAR_CHARS)[1] for f in figures]
    unit = data["indicator"]["unit"] if "indicator" in data else "percent"
    title_lines = wrap_words(_title_text(data), NARROW_TITLE_CHARS)
    subtitle_lines = wrap_words(_subtitle(data), NARROW_SUBTITLE_CHARS)
    notes = _notes(data, chars=NARROW_NOTE_CHARS)

    # Heights in px, from the lines of text (plotly.js spaces lines 1.3 em).
    title_height = len(title_lines) * TITLE_LINE_HEIGHT + 2
    subtitle_height = len(subtitle_lines) * SUBTITLE_LINE_HEIGHT + 2
    top = MODEBAR_STRIP + title_height + 6 + subtitle_height + 10
    slot = max(max(len(a), len(b)) for a, b in zip(lines, value_lines, strict=True)) * TICK_LINE_HEIGHT + 18
    plot_height = slot * len(figures)
    axis = 30
    legend = len(groups) * LEGEND_ROW_HEIGHT + 8 if show_legend else 0
    notes_height = LINE_HEIGHT * len(notes)
    bottom = axis + legend + notes_height + 14
    height = top + plot_height + bottom

    start, end = ("r", "l") if rtl else ("l", "r")
    annotations = _narrow_annotations(
        title_lines, subtitle_lines, subtitle_height, categories, lines, notes, axis + legend + 4, rtl
    )
    layout = {
        "template": "none",
        "height": height,
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
        "separators": "\u066b\u066c" if rtl else ".,",
        "margin": {start: NARROW_LABEL_MARGIN, end: NARROW_END_MARGIN, "t": top, "b": bottom, "pad": 0},
        "xaxis": _narrow_value_axis([f["value"] for f in figures], unit, value_lines),
        "yaxis": _narrow_category_axis(categories, rtl),
        # Bars about 28 px thick, however many lines their labels take.
        "bargap": round(1 - min(0.7, 28 / slot), 3),
        "barmode": "overlay",
        "dragmode": False,
        "showlegend": show_legend,
        # Under the value axis, from the plot's start edge, where the bars start.
        "legend": _narrow_legend(-(axis + 2) / plot_height, rtl),
        "hoverlabel": {"align": "right" if rtl else "left", "font": {"family": FONT_FAMILY, "size": 13}},
        "annotations": annotations,
        "shapes": [],
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
    }
    traces = _narrow_traces(data, groups, layout["shapes"])
    return go.Figure(data=traces, layout=layout)


def _narrow_annotations(title_lines, subtitle_lines, subtitle_height, categories, lines, notes, notes_shift, rtl):
    """Title and subtitle above the plot, category labels beside their bars, notes below: all
    flush with the start edge."""
    annotations = [
        _at_start_edge(
            "<br>".join(bold(line) for line in title_lines),
            rtl,
            yref="paper",
            y=1,
            yanchor="bottom",
            yshift=10 + subtitle_height + 6,
            font={"size": 17, "color": TEXT_COLOR},
        ),
        _at_start_edge(
            chart_lines(subtitle_lines),
            rtl,
            yref="paper",
            y=1,
            yanchor="bottom",
            yshift=10,
            font={"size": 13, "color": MUTED_COLOR},
        ),
    ]
    annotations += [
        _at_start_edge(chart_lines(label), rtl, yref="y", y=category, yanchor="middle", font={"size": 12})
        for category, label in zip(categories, lines, strict=True)
    ]
    if notes:
        annotations.append(
            _at_start_edge(
                "<br>".join(chart_text(line) for line in notes),
                rtl,
                yref="paper",
                y=0,
                yanchor="top",
                yshift=-notes_shift,
                font={"size": 12, "color": MUTED_COLOR},
            )
        )
    return annotations


def _narrow_category_axis(categories, rtl):
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": categories,
        "tickmode": "array",
        "tickvals": categories,
        "showticklabels": False,  # labelled by annotations, flush with the start edge
        "autorange": "reversed",  # the first figure at the top
        "side": "right" if rtl else "left",
        "automargin": False,
        "fixedrange": True,
        "showgrid": False,
    }


def _narrow_legend(y, rtl):
    return {
        "orientation": "v",
        "x": 1 if rtl else 0,
        "xanchor": "right" if rtl else "left",
        "y": y,
        "yanchor": "top",
        "font": {"size": 12},
        "itemclick": False,
        "itemdoubleclick": False,
    }


def _narrow_traces(data, groups, shapes):
    """One horizontal bar trace per group of areas, with a dotted line between groups."""
    flag_labels = flag_labels_of(data)
    traces = []
    position = 0
    for name, color, members in groups:
        if position:  # a dotted line between two groups of areas
            line = {"color": MUTED_COLOR, "width": 1, "dash": "dot"}
            y = position - 0.5
            shapes.append(
                {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": y, "y1": y, "line": line}
            )
        position += len(members)
        traces.append(_bar_trace(members, name, color, flag_labels, NARROW_BAR_CHARS, horizontal=True))
    return traces
