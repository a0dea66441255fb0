"""Template tags for what a chart or a figure offers to take away: the chart's image in each
format, and the "Cite" box (``indicators.citations``).

{% load share_tags %}
{{ data.png_url|image_as:"svg" }}      the chart's SVG beside its PNG (chart.svg, same query)
{% cite_box data %}                    how to cite the page's chart
{% cite_box data figure=f %}           how to cite one figure: its source, then the dashboard
{% cite_box data figure=f source=data.source %}  ... with the source page's fuller source

They work on any chart page whose data has ``url`` and ``png_url`` (comparison, area, trend)
and on a source page, without the view doing anything: the access date is the day the page is
drawn (a whole page is kept at most ``cache.PAGE_SECONDS``, ten minutes).
"""

from django import template
from django.utils import timezone

from .. import citations
from ..views import absolute

register = template.Library()


@register.filter
def image_as(png_url, fmt):
    """``/fa/compare/firm_share/chart.png?areas=IRN`` → ``…/chart.svg?areas=IRN``."""
    path, sep, query = str(png_url).partition("?")
    if not path.endswith("/chart.png"):
        return ""
    return f"{path[: -len('png')]}{fmt}{sep}{query}"


@register.inclusion_tag("indicators/includes/cite_box.html", takes_context=True)
def cite_box(context, data, figure=None, source=None):
    request = context["request"]
    accessed = timezone.localdate()
    page_url = data.get("url") or data["source"]["url"]
    if figure is None:
        citation = citations.chart_citation(data, permalink=absolute(request, page_url), accessed=accessed)
        box_id = "cite-chart"
    else:
        quote_url = absolute(request, figure["source"]["quote_url"])
        # On a source's page the figure's own place is its quote there; elsewhere, the chart page.
        permalink = quote_url if source else absolute(request, page_url)
        citation = citations.figure_citation(
            figure, source=source, quote_url=quote_url, permalink=permalink, accessed=accessed
        )
        box_id = f"cite-{figure['anchor']}"
    return {
        "box_id": box_id,
        "citation": citation,
        "figure": figure,
        "accessed": accessed,
        "ris_url": citations.ris_path(page_url, figure["id"] if figure else None),
        "ris_name": citations.file_name(data.get("file_name") or "smedash", figure["id"] if figure else None),
    }
