"""What a chart page gives plotly.js beside the figure (``indicators.charts``): its config, the
modebar's texts in the page's language, and both serialised once for the page."""

from django.utils.translation import gettext_lazy
from plotly.io.json import to_json_plotly

from .chart_narrow import narrow_variant
from .text import current_lang

# The modebar's texts, keyed by plotly.js's English strings (plotly-basic.js); the values go
# through gettext so that translations live in the .po files with the rest of the interface.
MODEBAR_STRINGS = {
    "Autoscale": gettext_lazy("Autoscale"),
    "Box Select": gettext_lazy("Box Select"),
    "Compare data on hover": gettext_lazy("Compare data on hover"),
    "Double-click on legend to isolate one trace": gettext_lazy("Double-click on legend to isolate one trace"),
    "Double-click to zoom back out": gettext_lazy("Double-click to zoom back out"),
    "Download plot as a PNG": gettext_lazy("Download plot as a PNG"),
    "Download plot": gettext_lazy("Download plot"),
    "Image download succeeded": gettext_lazy("Image download succeeded"),
    "Lasso Select": gettext_lazy("Lasso Select"),
    "Pan": gettext_lazy("Pan"),
    "Preparing image - this may take a few seconds": gettext_lazy("Preparing image - this may take a few seconds"),
    "Produced with Plotly.js": gettext_lazy("Produced with Plotly.js"),
    "Reset axes": gettext_lazy("Reset axes"),
    "Reset": gettext_lazy("Reset"),
    "Show closest data on hover": gettext_lazy("Show closest data on hover"),
    "Sorry, there was a problem downloading your image!": gettext_lazy(
        "Sorry, there was a problem downloading your image!"
    ),
    "Toggle Spike Lines": gettext_lazy("Toggle Spike Lines"),
    "Zoom in": gettext_lazy("Zoom in"),
    "Zoom out": gettext_lazy("Zoom out"),
    "Zoom": gettext_lazy("Zoom"),
}


class PageFigure(dict):
    """A page's figure as plotly.js takes it, ``{"data", "layout"}``, built as plain dicts: plotly.py's
    validation would cost more than the rest of a page of hundreds of points. PNGs are drawn from
    validated ``plotly.graph_objects.Figure``s, and tests check page figures against plotly's schema.
    Like a Figure, it can carry its narrow layout (``chart_narrow.narrow_variant``)."""

    def __init__(self, traces, layout):
        super().__init__(data=traces, layout=layout)

    def to_plotly_json(self):
        return {"data": self["data"], "layout": self["layout"]}


def chart_config(filename="smedash-chart"):
    """plotly.js config: the page's locale (registered by chart.js), no logo, no selection tools.

    plotly.js's own "Download plot as a PNG" is removed: it draws in the visitor's browser, which
    ignores the page's web font (Vazirmatn). chart.js puts a camera button in its place that
    downloads the server's image (the page's "Download PNG" link, ``chart.png``).
    """
    return {
        "locale": current_lang(),
        "displaylogo": False,
        # chart.js lays the chart out again itself when its width changes (and switches between
        # the wide and the narrow layout), so plotly.js's own window listener is not needed.
        "responsive": False,
        # sendChartToCloud would post the chart to another host: never offered.
        "modeBarButtonsToRemove": ["select2d", "lasso2d", "toggleSpikelines", "sendChartToCloud", "toImage"],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def figure_json(fig, filename="smedash-chart"):
    """The figure and its config as JSON text for the page, serialised once, by plotly's own
    encoder (it knows numpy arrays; Django's does not): ``{data, layout, config}``, and for a
    page's figure its narrow layout, ``narrow: {data, layout}``, with ``wide_min_width``, the
    chart width (CSS px) below which static/js/chart.js draws it (``chart_narrow.narrow_variant``)."""
    payload = fig.to_plotly_json()
    page = {"data": payload["data"], "layout": payload["layout"], "config": chart_config(filename)}
    variant = narrow_variant(fig)
    if variant is not None:
        narrow, wide_min_width = variant
        narrow_payload = narrow.to_plotly_json()
        page["narrow"] = {"data": narrow_payload["data"], "layout": narrow_payload["layout"]}
        page["wide_min_width"] = wide_min_width
    return to_json_plotly(page)


def modebar_locale():
    """The plotly.js locale dictionary of the modebar, in the active language."""
    return {"name": current_lang(), "dictionary": {key: str(value) for key, value in MODEBAR_STRINGS.items()}}
