"""How to cite a chart, or one of its figures (``?figure=``): RIS files for reference managers
(``citations`` builds them; the Cite boxes on the pages link here). Thin views over the pages'
own data, as ``views`` loads it."""

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import citations
from .export_views import _plain, content_disposition
from .pages import source_page
from .params import QueryError, SourcePageForm, read
from .presenters import file_stem
from .trend_views import _trend
from .views import _area, _compare, _page, absolute


@require_safe
def compare_ris(request, code):
    return _ris(request, *_compare(request, code))


@require_safe
def area_ris(request, code):
    return _ris(request, *_area(request, code))


@require_safe
def trend_ris(request, code):
    return _ris(request, *_trend(request, code))


@require_safe
def source_ris(request, identifier):
    try:
        figure = read(SourcePageForm, request.GET)["figure"]
    except QueryError as error:
        return _plain(error.messages, 400)
    data = _page("source", (identifier, 1, figure), lambda: source_page(identifier, 1, figure))
    names = {
        "url": data["source"]["url"],
        "file_name": file_stem(["smedash", data["source"]["title"]]),
        "file_name_ascii": file_stem(["smedash", data["source"]["identifier"]], ascii_only=True),
    }
    return _ris(request, {**data, **names}, [], figure_required=True)


def _ris(request, data, errors, figure_required=False):
    """The page's chart (or, with ``?figure=``, one of its figures) as an RIS reference, read today."""
    if errors:
        return _plain(errors, 400)
    try:
        figure_id = read(SourcePageForm, request.GET)["figure"]
    except QueryError as error:
        return _plain(error.messages, 400)
    accessed = timezone.localdate()
    if figure_id is None and not figure_required:
        text = citations.chart_citation(data, permalink=absolute(request, data["url"]), accessed=accessed).ris
    else:
        figures = {f["id"]: f for f in _figures_of(data)}
        figure = figures.get(figure_id)
        if figure is None:
            raise Http404(_("This page has no such figure."))
        text = citations.figure_citation(
            figure,
            source=data.get("source"),
            quote_url=absolute(request, figure["source"]["quote_url"]),
            permalink=absolute(request, data["url"]),
            accessed=accessed,
        ).ris
    response = HttpResponse(text, content_type="application/x-research-info-systems; charset=utf-8")
    names = {key: citations.file_name(data[key], figure_id) for key in ("file_name", "file_name_ascii")}
    response["Content-Disposition"] = content_disposition(True, names, "ris")
    return response


def _figures_of(data):
    """Every figure a page shows: a comparison's or trend's (charted or not), an area profile's
    by section."""
    for part in [data, *data.get("sections", [])]:
        yield from part.get("figures", [])
        yield from part.get("not_charted", [])
