"""The trend pages (``trends.trend_page``): thin views, each the comparison's machinery from
``views`` (page cache, page data cache, JSON twin, CSV, PNG, embed, rate limits) given the trend's
query (``TrendParams``) and figure (``chart_trend.trend_figure``). views.py holds the shared parts;
these live apart so that it stays one module a screen can hold.
"""

from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from .api import expensive_rate
from .cache import cached_response
from .chart_trend import trend_figure
from .export_views import _csv, _json_twin, _png
from .params import QueryError, TrendFilterForm, TrendParams
from .trends import trend_choices, trend_page, year_rows
from .views import _chart_page, _embed, _page, frameable, to_indicators_page


def _trend(request, code):
    """(data, errors): a bad query gives the default view and the messages, as on the comparison."""
    try:
        params = TrendParams.from_query(request.GET)
        return _page("trend", (code, params), lambda: trend_page(code, params)), []
    except QueryError as error:
        return _page("trend", (code, TrendParams()), lambda: trend_page(code, TrendParams())), error.messages


@require_safe
def trend_index(request):
    return to_indicators_page(request, "trend")


@require_safe
@cached_response
def trend(request, code):
    data, errors = _trend(request, code)
    params = TrendParams(areas=tuple(data["params"]["areas"]), scope=data["params"]["scope"])
    indicator = data["indicator"]["code"]
    choices = _page("trend-choices", (indicator,), lambda: trend_choices(indicator))
    form = TrendFilterForm(indicator, params, choices)
    context = {
        "form": form,
        "quote_figures": data["figures"] + data["undated"] + data["not_charted"],
        "year_rows": [] if data["listed_in_full"] else year_rows(data["series"]),
    }
    return _chart_page(request, "indicators/trend.html", data, errors, trend_figure, code, context)


@require_safe
@frameable
@cached_response
def trend_embed(request, code):
    return _embed(request, _trend, code, trend_figure, lambda data: f"{data['indicator']['code']}-trend")


@require_safe
@cached_response
def trend_json(request, code):
    return _json_twin(_trend, request, code)


@require_safe
@ratelimit(key="ip", rate=expensive_rate, group="smedash:chart-csv", block=True)
def trend_csv(request, code):
    return _csv(*_trend(request, code))


@require_safe
def trend_png(request, code):
    # Rate-limited inside png_response, on cache misses only, as the comparison's.
    return _png(request, *_trend(request, code), trend_figure)


@require_safe
def trend_svg(request, code):
    return _png(request, *_trend(request, code), trend_figure, fmt="svg")


@require_safe
def trend_pdf(request, code):
    return _png(request, *_trend(request, code), trend_figure, fmt="pdf")
