"""Plotly figures for the comparison and area pages, built from presented data (the dicts of
``indicators.comparison`` and ``indicators.pages``), in the active language.

The same figure is drawn in the browser (embedded with ``json_script``, drawn by static/js/chart.js)
and can be exported as PNG on the server, so everything a reader needs is inside the figure: title,
unit, flags legend and sources. Facts this module relies on (see the project notes on Plotly, RTL
and PNG): Plotly lays SVG text out left to right even in a right-to-left page, so in Arabic and
Persian every string is isolated with RLI…PDI (U+2067…U+2069); plotly.js renders some HTML in
labels, so every string from the data has ``&``, ``<`` and ``>`` escaped before it goes in
(``text.escape_plotly``); digits are written by ``indicators.formatting``, since plotly.js's
locales do not change them.

A chart on the page comes in two layouts (``narrow_figure``): the wide one (vertical bars, the
PNG's layout) and one made for phones and narrow windows (horizontal bars, category labels on the
start side, wrapped title, legend and notes below the plot, the modebar in a strip of its own).
static/js/chart.js draws the narrow one when the chart is narrower than ``wide_min_width``
(where the wide layout's labels would run into each other) and switches when the screen turns.
The server PNG keeps the wide layout.
"""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from .chart_hover import flag_labels_of, hover_text, hover_texts
from .chart_style import (
    AREA_COLOR,
    CHAR_WIDTH,
    GRID_COLOR,
    GROUP_COLORS,
    HEIGHT,
    LINE_HEIGHT,
    MUTED_COLOR,
    NOTE_CHAR_WIDTH,
    NOTE_CHARS,
    SIDE_MARGINS,
    TEXT_COLOR,
    TICK_LINE_HEIGHT,
    WIDTH,
    bold,
    chart_lines,
    chart_text,
    nice_ticks,
    wrap_words,
)
from .formatting import format_number, format_quantity
from .text import FONT_FAMILY, is_rtl, list_separator


def _value_axis(values, unit, title):
    top = max(values, default=0)
    if unit == "percent":
        top = min(max(top, 10), 100)
    ticks = nice_ticks(top)
    tick_text = [format_quantity(t, "percent") if unit == "percent" else format_number(t) for t in ticks]
    return {
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [chart_text(t) for t in tick_text],
        # Headroom for the value labels drawn above the bars.
        "range": [0, max(ticks[-1], max(values, default=0)) * 1.18],
        "side": "right" if is_rtl() else "left",
        "title": {"text": chart_text(title), "font": {"size": 12, "color": MUTED_COLOR}},
        "gridcolor": GRID_COLOR,
        "zeroline": True,
        "zerolinecolor": MUTED_COLOR,
        "fixedrange": False,
        "automargin": True,
    }


# --- pieces shared by both figures -----------------------------------------------------------


def slot_chars(bar_count, width=None):
    """How many characters fit under one bar: labels wrap to that width, so that neighbours do
    not overlap in a chart ``width`` pixels wide (by default WIDTH, the PNG's default; the page
    is about as wide or wider)."""
    plot_width = (width or WIDTH) - SIDE_MARGINS
    return max(6, min(20, int(plot_width / max(bar_count, 1) / CHAR_WIDTH)))


def note_chars(width=None):
    """Characters per line of the notes: NOTE_CHARS, fewer in a figure narrower than WIDTH."""
    return max(30, min(NOTE_CHARS, int(((width or WIDTH) - SIDE_MARGINS) / NOTE_CHAR_WIDTH)))


def _bar_text(figure, width):
    """The value label above a bar: the figure in words and its flag symbols."""
    text = figure["value_display"] + (" " + figure["flag_symbols"] if figure.get("flag_symbols") else "")
    return chart_lines(wrap_words(text, width))


def _tick_label(figure, width):
    lines = wrap_words(figure["label_base"], width) + wrap_words(figure.get("label_detail") or "", width)
    return chart_lines(lines)


def _notes(data, width=None, chars=None):
    """Lines under the chart: the flag legend, then the sources (every chart names its sources)."""
    chars = chars or note_chars(width)
    lines = []
    separator = list_separator()
    symbols = [f"{item['symbol']} {item['label']}" for item in data.get("flag_legend", []) if item["symbol"]]
    if symbols:
        lines.extend(wrap_words("   ".join(symbols), chars))
    titles = [s["title"] for s in data.get("sources", [])]
    if titles:
        label = _("Source: %(sources)s") if len(titles) == 1 else _("Sources: %(sources)s")
        lines.extend(wrap_words(label % {"sources": separator.join(titles)}, chars))
    not_charted = data.get("not_charted", [])
    if not_charted:
        lines.extend(
            wrap_words(
                _("Not charted (unclear in the source): %(figures)s")
                % {"figures": separator.join(f"{_named(data, f)} {f['value_display']}" for f in not_charted)},
                chars,
            )
        )
    return lines


def _layout(title, subtitle, value_axis, categories, ticktext, notes, show_legend, width=None):
    rtl = is_rtl()
    notes_height = LINE_HEIGHT * len(notes)
    tick_lines = max((t.count("<br>") + 1 for t in ticktext), default=1)
    # Tick labels are laid out by us (no automargin), so the notes can sit at a known distance.
    ticks_height = TICK_LINE_HEIGHT * tick_lines + 12
    layout = {
        "template": "none",
        "height": HEIGHT + notes_height + TICK_LINE_HEIGHT * max(tick_lines - 2, 0),
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
        "separators": "\u066b\u066c" if rtl else ".,",
        "title": _title(title, subtitle, rtl),
        # Title and subtitle above the plot, and the legend between them and the plot if shown.
        "margin": {
            "t": 112 if show_legend else 90,
            "b": ticks_height + notes_height + 24,
            "l": SIDE_MARGINS // 2,
            "r": SIDE_MARGINS // 2,
            "pad": 4,
        },
        "xaxis": _category_axis(categories, ticktext, rtl),
        "yaxis": value_axis,
        "bargap": 0.35,
        "barmode": "overlay",
        "showlegend": show_legend,
        "legend": {
            "orientation": "h",
            "x": 1 if rtl else 0,
            "xanchor": "right" if rtl else "left",
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 12},
        },
        "hoverlabel": {"align": "right" if rtl else "left", "font": {"family": FONT_FAMILY, "size": 13}},
        "annotations": [_notes_annotation(notes, ticks_height, rtl)] if notes else [],
        "shapes": [],
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
    }
    if not categories:
        layout["annotations"].append(_empty_annotation())
        layout["xaxis"]["visible"] = False
    if width:
        layout["width"] = width
    return layout


def _title(title, subtitle, rtl):
    return {
        "text": bold(title),
        "subtitle": {"text": chart_text(subtitle), "font": {"size": 13, "color": MUTED_COLOR}},
        "x": 0.98 if rtl else 0.02,
        "xanchor": "right" if rtl else "left",
        "xref": "container",
        "y": 0.97,
        "yanchor": "top",
        "yref": "container",
        "font": {"size": 17},
    }


def _category_axis(categories, ticktext, rtl):
    """One category per bar (the figure's anchor), labelled by us; the first on the right in
    Arabic and Persian."""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": categories,
        "tickmode": "array",
        "tickvals": categories,
        "ticktext": ticktext,
        "tickangle": 0,
        "automargin": False,
        "autorange": "reversed" if rtl else True,
        "showgrid": False,
        "tickfont": {"size": 12},
    }


def _notes_annotation(notes, ticks_height, rtl):
    """The notes under the tick labels, on the reading side."""
    return {
        "text": "<br>".join(chart_text(line) for line in notes),
        "xref": "paper",
        "yref": "paper",
        "x": 1 if rtl else 0,
        "xanchor": "right" if rtl else "left",
        "y": 0,
        "yanchor": "top",
        "yshift": -(ticks_height + 8),
        "align": "right" if rtl else "left",
        "showarrow": False,
        "font": {"size": 12, "color": MUTED_COLOR},
    }


def _empty_annotation():
    return {
        "text": chart_text(_("No figure to chart for this choice.")),
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 15, "color": MUTED_COLOR},
    }


def _bar_trace(figures, name, color, flag_labels, width, horizontal=False):
    anchors = [f["anchor"] for f in figures]
    values = [f["value"] for f in figures]
    texts = hover_texts()
    return go.Bar(
        x=values if horizontal else anchors,
        y=anchors if horizontal else values,
        orientation="h" if horizontal else "v",
        name=chart_text(name),
        marker={"color": color, "line": {"width": 0}},
        text=[_bar_text(f, width) for f in figures],
        textposition="outside",
        textangle=0,
        # Labels are wrapped to the bar's width; Plotly would otherwise shrink some of them.
        constraintext="none",
        cliponaxis=False,
        textfont={"size": 12, "color": TEXT_COLOR},
        hovertext=[hover_text(f, flag_labels, f["label"], texts) for f in figures],
        hoverinfo="text",
        # Where a click on the bar leads: the figure's source and quote on the same page.
        customdata=[f"#{f['anchor']}" for f in figures],
    )


# --- figures ---------------------------------------------------------------------------------


def compare_figure(data, width=None):
    """The bar chart of a comparison (``comparison.compare_page``): one bar per figure, countries
    first, then groups of countries and regions apart (their own colour, legend entry and a
    separating line).

    ``width`` (pixels): the figure's fixed width, labels wrapped to fit it (for a PNG); without
    it the figure fills its container and labels are wrapped for WIDTH."""
    indicator = data["indicator"]
    flag_labels = flag_labels_of(data)
    traces, categories, ticktext, boundaries = [], [], [], []
    chars = slot_chars(len(data["figures"]), width)
    for group in data["groups"]:
        figures = [_with_base(f, f["area"]["name"]) for f in group["figures"]]
        if categories:
            boundaries.append(len(categories) - 0.5)
        categories.extend(f["anchor"] for f in figures)
        ticktext.extend(_tick_label(f, chars) for f in figures)
        color = GROUP_COLORS.get(group["kind"], AREA_COLOR)
        traces.append(_bar_trace(figures, group["label"], color, flag_labels, chars))
    layout = _layout(
        _title_text(data),
        _subtitle(data),
        _value_axis([f["value"] for f in data["figures"]], indicator["unit"], indicator["unit_label"]),
        categories,
        ticktext,
        _notes(data, width),
        show_legend=len(traces) > 1,
        width=width,
    )
    layout["shapes"].extend(_separator(x) for x in boundaries)
    fig = go.Figure(data=traces, layout=layout)
    if width is None:
        groups = [
            (
                group["label"],
                GROUP_COLORS.get(group["kind"], AREA_COLOR),
                [_with_base(f, f["area"]["name"]) for f in group["figures"]],
            )
            for group in data["groups"]
        ]
        from .chart_narrow import attach_narrow  # noqa: PLC0415 (it builds on this module)

        attach_narrow(fig, data, groups, show_legend=len(traces) > 1, chars=chars)
    return fig


def _subtitle(data):
    """The chart's subtitle: the unit, and for a comparison the choice shown."""
    if "indicator" in data:
        return f"{data['indicator']['unit_label']} · {data.get('params_label', '')}".strip(" ·")
    return str(_("per cent, as each source states it"))


def _title_text(data):
    if "indicator" in data:
        return data["indicator"]["name"]
    return _("%(area)s: shares held by small and medium enterprises") % {"area": data["area"]["name"]}


def _separator(x):
    """A dotted line between two groups of areas."""
    line = {"color": MUTED_COLOR, "width": 1, "dash": "dot"}
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": line}


def area_figure(data, width=None):
    """The bar chart of an area's profile (``pages.area_page``): its share indicators, one bar
    per figure. ``width``: as for ``compare_figure``."""
    figures = [_with_base(f, f["indicator"]["name"]) for f in data["figures"]]
    chars = slot_chars(len(figures), width)
    layout = _layout(
        _title_text(data),
        _subtitle(data),
        _value_axis([f["value"] for f in figures], "percent", str(_("per cent"))),
        [f["anchor"] for f in figures],
        [_tick_label(f, chars) for f in figures],
        _notes(data, width),
        show_legend=False,
        width=width,
    )
    trace = _bar_trace(figures, data["area"]["name"], AREA_COLOR, flag_labels_of(data), chars)
    fig = go.Figure(data=[trace], layout=layout)
    if width is None:
        from .chart_narrow import attach_narrow  # noqa: PLC0415

        attach_narrow(fig, data, [(data["area"]["name"], AREA_COLOR, figures)], show_legend=False, chars=chars)
    return fig


def _named(data, figure):
    """What names a figure on its chart: its area on a comparison, its indicator on an area's page,
    and what it counts where that is recorded."""
    name = figure["area"]["name"] if "indicator" in data else figure["indicator"]["name"]
    return f"{name} ({figure['measured_as']})" if figure.get("measured_as") else name


def _with_base(figure, base):
    """A copy of the figure dict that knows the label's first part (area or indicator name)."""
    return {**figure, "label_base": base}
