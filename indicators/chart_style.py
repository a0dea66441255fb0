"""What both layouts of a chart share (``charts`` the wide one, ``chart_narrow`` the phone one):
colours, sizes, the measures used to wrap text before plotly.js draws it, and the escaping and
isolation of every text that goes into a figure."""

import math
import re
import textwrap

from .text import escape_plotly, isolate

TEXT_COLOR = "#1f2328"
MUTED_COLOR = "#4d5560"
GRID_COLOR = "#d9dde3"
# Dark enough for white text and for 3:1 against the white background (WCAG non-text contrast).
GROUP_COLORS = {"country": "#1d5c8f", "aggregate": "#8a4f00", "subnational": "#2f6b2c"}
AREA_COLOR = "#1d5c8f"
HEIGHT = 540
WIDTH = 1000  # the width labels are wrapped for: the PNG's default, about the page's chart
SIDE_MARGINS = 140  # left and right margins together (layout.margin.l + .r)
PLOT_WIDTH = WIDTH - SIDE_MARGINS
LINE_HEIGHT = 17  # pixels per line of the notes under the chart (font size 12)
TICK_LINE_HEIGHT = 16  # pixels per line of a tick label (font size 12; plotly.js spaces lines 1.3 em)
CHAR_WIDTH = 6.5  # an average character of Vazirmatn at 12 px, with room to spare (for wrapping)
LABEL_CHAR_WIDTH = 5.9  # the same, as measured in the browser (for the room a line of labels takes)
NOTE_CHARS = 120  # characters per line of the notes under the chart, in a figure WIDTH wide
NOTE_CHAR_WIDTH = 5.8  # an average character of the notes, at 12 px
TITLE_CHAR_WIDTH = 9.6  # an average character of the title (17 px, bold)
SUBTITLE_CHAR_WIDTH = 7.2  # an average character of the subtitle (13 px)
MODEBAR_WIDTH = 130  # the modebar at the chart's top end corner, with its margin (a few buttons)


# --- text ------------------------------------------------------------------------------------


def chart_text(text):
    """Escape one line of data text and, in Arabic and Persian, isolate it right to left."""
    return isolate(escape_plotly(text))


def chart_lines(lines):
    """Several lines (already plain text, not HTML), each escaped and isolated, joined by <br>."""
    return "<br>".join(chart_text(line) for line in lines if line)


# Words separated by single spaces: a short text of this form is already one wrapped line.
_ONE_LINE = re.compile(r"\S+(?: \S+)*")


def wrap_words(text, width):
    """Break text into lines of about ``width`` characters, at spaces only."""
    text = str(text)
    if len(text) <= width and _ONE_LINE.fullmatch(text):
        return [text]  # most lines: what textwrap would give, without its cost (hundreds a chart)
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]


def bold(text):
    return f"<b>{chart_text(text)}</b>"


# --- axes ------------------------------------------------------------------------------------


def nice_ticks(top, count=5):
    """Round tick values from 0 to at least ``top``: 0, 20, 40 … 100 for a share near 100."""
    if top <= 0:
        return [0, 1]
    raw_step = top / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    ticks = [0]
    while ticks[-1] < top - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks
