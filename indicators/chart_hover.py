"""What a chart's points say when the reader points at them (the comparison, area and trend
figures alike): the figure, its year as the source wrote it, scope, definition, source and flags,
each line isolated for right-to-left text and escaped for plotly.js."""

from django.utils.translation import gettext as _

from .chart_style import bold, wrap_words
from .text import current_lang, escape_plotly, isolate


def flag_labels_of(data):
    """{flag code: (symbol, label)} from a page's flag legend."""
    return {item["code"]: (item["symbol"], item["label"]) for item in data.get("flag_legend", [])}


def hover_texts():
    """What every point's hover says around its own values, in the active language: asked for once
    a chart, not once a point (a trend draws hundreds)."""
    return {
        "lang": current_lang(),
        "year": _("Year: %(year)s"),
        "written": _("%(year)s (written “%(written)s”, %(calendar)s)"),
        "scope": _("Scope: %(scope)s"),
        "measured_as": _("Measured as: %(measured_as)s"),
        "definition": _("SME definition: %(definition)s"),
        "source": _("Source: %(source)s"),
        "click": _("Click to read the quote."),
    }


def hover_text(figure, flag_labels, first_line, texts):
    """One point's hover, from ``texts`` (``hover_texts()``, asked for once a chart)."""
    lines = [bold(first_line)]
    body = [figure["value_display"]]
    year = figure["year_display"]
    if figure["year_as_written_shown"]:  # not one of the years shown (presenters.year_fields)
        year = texts["written"] % {
            "year": year,
            "written": figure["year_as_written"],
            "calendar": figure["year_calendar_label"],
        }
    body.append(texts["year"] % {"year": year})
    body.append(texts["scope"] % {"scope": figure["scope_label"]})
    if figure.get("measured_as"):
        body.append(texts["measured_as"] % {"measured_as": figure["measured_as"]})
    if figure["definition"]:
        body.append(texts["definition"] % {"definition": figure["definition"]})
    body.append(texts["source"] % {"source": figure["source"]["title"]})
    for code in figure["flags"]:
        if code in flag_labels:
            symbol, label = flag_labels[code]
            body.append(f"{symbol} {label}".strip())
    body.append(texts["click"])
    lang = texts["lang"]
    for line in body:
        lines.extend(isolate(escape_plotly(part), lang) for part in wrap_words(line, 60))
    return "<br>".join(lines)
