"""The exports beside each chart page: its JSON twin, its CSV and its chart as PNG, SVG or PDF.

Each takes the page's query and the page's own presented data (``views._compare`` and
``views._area``: the same form, the same cache), so a download always holds what the page shows.
The trend pages (``trend_views``) and the citation files (``cite_views``) use the same writers.
"""

from datetime import date
from urllib.parse import quote

from django.http import Http404, HttpResponse, JsonResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from . import chart_exports, charts, png
from .api import expensive_rate
from .cache import cached_response
from .image_views import png_response
from .views import _addresses, _area, _canonical, _compare, absolute


@require_safe
@cached_response
def compare_json(request, code):
    return _json_twin(_compare, request, code)


@require_safe
@cached_response
def area_json(request, code):
    return _json_twin(_area, request, code)


@require_safe
@ratelimit(key="ip", rate=expensive_rate, group="smedash:chart-csv", block=True)
def compare_csv(request, code):
    return _csv(*_compare(request, code))


@require_safe
@ratelimit(key="ip", rate=expensive_rate, group="smedash:chart-csv", block=True)
def area_csv(request, code):
    return _csv(*_area(request, code))


@require_safe
def compare_png(request, code):
    # Rate-limited inside png_response, on cache misses only: a cached image costs nothing.
    return _png(request, *_compare(request, code), charts.compare_figure)


@require_safe
def area_png(request, code):
    return _png(request, *_area(request, code), charts.area_figure)


# The same chart as SVG and PDF (png.FORMATS): the PNG's figure, caption, sizes, limits and cache.


@require_safe
def compare_svg(request, code):
    return _png(request, *_compare(request, code), charts.compare_figure, fmt="svg")


@require_safe
def compare_pdf(request, code):
    return _png(request, *_compare(request, code), charts.compare_figure, fmt="pdf")


@require_safe
def area_svg(request, code):
    return _png(request, *_area(request, code), charts.area_figure, fmt="svg")


@require_safe
def area_pdf(request, code):
    return _png(request, *_area(request, code), charts.area_figure, fmt="pdf")


def _json_twin(load, request, code):
    """A page's data as its JSON twin (``chart_exports.chart_json``); errors as JSON too."""
    try:
        data, errors = load(request, code)
    except Http404 as error:
        return JsonResponse({"errors": [str(error)]}, status=404, json_dumps_params={"ensure_ascii": False})
    if errors:
        return JsonResponse({"errors": errors}, status=400, json_dumps_params={"ensure_ascii": False})
    # Not indented: json.dumps only uses its fast C encoder without ``indent``.
    response = JsonResponse(chart_exports.chart_json(data), json_dumps_params={"ensure_ascii": False})
    return _canonical(response, *_addresses(data["json_url"]))


def _plain(messages, status):
    return HttpResponse("\n".join(messages), content_type="text/plain; charset=utf-8", status=status)


def _csv(data, errors):
    if errors:
        return _plain(errors, 400)
    response = HttpResponse(chart_exports.chart_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(True, data, "csv")
    return response


def _png(request, data, errors, build_chart, fmt="png"):
    """The page's chart as PNG (or ``fmt``: svg, pdf), with a caption saying when the data last
    changed and where the page is; the sources are in the figure's own notes."""
    if errors:
        return _plain(errors, 400)
    page_url = absolute(request, data["url"])
    changed = date.fromisoformat(data["last_changed"]) if data["last_changed"] else None

    def build(size):
        # Labels are wrapped for the width asked for, by default about the page's chart width.
        figure = build_chart(data, width=size["width"] or charts.WIDTH)
        return png.decorate_for_export(figure, last_changed=changed, url=page_url)

    filename = f"{data['file_name_ascii']}.{fmt}"
    response = png_response(request, build, filename=filename, cache_parts=(data["kind"], page_url), fmt=fmt)
    if response.status_code == 200:
        response["Content-Disposition"] = content_disposition(False, data, fmt)
    return response


def content_disposition(as_attachment, data, extension):
    """The file name in the page's language (RFC 5987 ``filename*``), after a plain ASCII
    ``filename`` for clients that read only that one (RFC 6266, section 4.3)."""
    filename, ascii_filename = f"{data['file_name']}.{extension}", f"{data['file_name_ascii']}.{extension}"
    if filename.isascii():
        return content_disposition_header(as_attachment, filename)
    disposition = "attachment" if as_attachment else "inline"
    return f"{disposition}; filename=\"{ascii_filename}\"; filename*=utf-8''{quote(filename)}"
