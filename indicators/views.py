"""Public pages. Each view reads its data from ``services`` and hands it to a template or to
JSON; the chart is built by ``charts`` from the very same data, so page, JSON twin and chart agree.

Every chart has three exports at stable addresses beside its page, taking the page's own query
(``areas``, ``year``, ``scope``): ``data.json`` (the JSON twin), ``data.csv`` (one row per bar)
and ``chart.png`` (the chart drawn on the server, plus ``width``, ``height`` and ``scale``).
"""

import csv
import io
from datetime import date
from urllib.parse import quote

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from . import charts, png, services
from .api import expensive_rate
from .cache import cached_response
from .exports import neutralise_formula


def _json(data, status=200):
    # Not indented: json.dumps only uses its fast C encoder without ``indent``.
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


@require_safe
@cached_response
def home(request):
    lang = get_language()
    try:
        return render(
            request, "indicators/home.html", {"data": services.home_data(lang, services.parse_page(request.GET))}
        )
    except services.ParameterError as error:
        context = {"data": services.home_data(lang), "errors": error.messages}
        return render(request, "indicators/home.html", context, status=400)


@require_safe
def compare_index(request):
    """The form's target when the indicator is chosen in it: on to that indicator's page."""
    code = request.GET.get("indicator") or services.first_headline_indicator()
    if not code:
        return redirect("home")
    if not services.INDICATOR_CODE_RE.fullmatch(code):
        raise Http404(_("There is no indicator with the code “%(code)s”.") % {"code": code[:40]})
    query = request.GET.copy()
    query.pop("indicator", None)
    url = reverse("compare", args=[code])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def _compare(request, code):
    """(data, errors). With wrong parameters, errors are messages for the reader and data is the
    default view of the indicator, so that the page still offers its form. An unknown indicator
    raises Http404."""
    lang = get_language()
    try:
        return services.compare_data(code, services.parse_compare_params(request.GET), lang), []
    except services.ParameterError as error:
        return services.compare_data(code, services.CompareParams(), lang), error.messages


@require_safe
@cached_response
def compare(request, code):
    data, errors = _compare(request, code)
    if errors:
        return render(request, "indicators/compare.html", {"data": data, "errors": errors}, status=400)
    context = {"data": data, "groups": services.figure_groups(data)}
    if data["figures"]:
        context.update(_chart_context(charts.compare_figure(data), f"smedash-{data['indicator']['code']}"))
        context["share_url"] = request.build_absolute_uri(data["url"])
    return render(request, "indicators/compare.html", context)


@require_safe
@cached_response
def compare_json(request, code):
    return _json_twin(_compare, request, code)


@require_safe
@ratelimit(key="ip", rate=expensive_rate, group="smedash:chart-csv", block=True)
def compare_csv(request, code):
    return _csv_export(*_compare(request, code))


@require_safe
def compare_png(request, code):
    # Rate-limited inside png.png_response, on cache misses only (group "smedash:png"): a cached
    # image costs nothing to send, and a second counter here would count every render twice.
    return _png_export(request, *_compare(request, code), charts.compare_figure)


def _area(request, code):
    """(data, errors), as ``_compare``: with a wrong page, the first page and the messages."""
    lang = get_language()
    try:
        return services.area_data(code, lang, services.parse_page(request.GET)), []
    except services.ParameterError as error:
        return services.area_data(code, lang), error.messages


@require_safe
@cached_response
def area(request, code):
    data, errors = _area(request, code)
    context = {"data": data, "quote_figures": [f for section in data["sections"] for f in section["figures"]]}
    if errors:
        return render(request, "indicators/area.html", {**context, "errors": errors}, status=400)
    if data["figures"]:
        context.update(_chart_context(charts.area_figure(data), f"smedash-{data['area']['code']}"))
        context["share_url"] = request.build_absolute_uri(data["url"])
    return render(request, "indicators/area.html", context)


@require_safe
@cached_response
def area_json(request, code):
    return _json_twin(_area, request, code)


@require_safe
@ratelimit(key="ip", rate=expensive_rate, group="smedash:chart-csv", block=True)
def area_csv(request, code):
    return _csv_export(*_area(request, code))


@require_safe
def area_png(request, code):
    return _png_export(request, *_area(request, code), charts.area_figure)


@require_safe
@cached_response
def source_list(request):
    return render(request, "indicators/source_list.html", {"data": services.sources_data(get_language())})


@require_safe
@cached_response
def source(request, identifier):
    lang = get_language()
    try:
        data = services.source_data(
            identifier, lang, services.parse_page(request.GET), services.parse_figure(request.GET)
        )
        return render(request, "indicators/source.html", {"data": data})
    except services.ParameterError as error:
        context = {"data": services.source_data(identifier, lang), "errors": error.messages}
        return render(request, "indicators/source.html", context, status=400)


@require_safe
@cached_response
def about(request):
    return render(request, "indicators/about.html", {"data": services.about_data(get_language())})


def _json_twin(load, request, code):
    """A page's data as JSON (``load`` is ``_compare`` or ``_area``); its errors as JSON too."""
    try:
        data, errors = load(request, code)
    except Http404 as error:
        return _json({"errors": [str(error)]}, status=404)
    if errors:
        return _json({"errors": errors}, status=400)
    return _json(data)


def _csv_export(data, errors):
    return _plain(errors, 400) if errors else _csv_response(data)


def _png_export(request, data, errors, build_chart):
    return _plain(errors, 400) if errors else _png_response(request, data, build_chart)


def _chart_context(fig, filename):
    lang = get_language()
    return {
        "chart": charts.figure_payload(fig, lang, filename),
        "plotly_locale": charts.modebar_locale(lang),
    }


# Exports of a chart ------------------------------------------------------------------------------

# One row per bar, in the chart's order. Codes are the data's own (as in the full-data export);
# names, labels and notes are in the page's language, the quote in its source's.
CHART_CSV_COLUMNS = [
    "label",
    "area",
    "area_name",
    "indicator",
    "indicator_name",
    "unit",
    "year",
    "year_as_written",
    "year_calendar",
    "value",
    "value_as_shown",
    "qualifier",
    "scope",
    "definition",
    "flags",
    "flag_notes",
    "source",
    "source_title",
    "quote",
    "note",
    "last_changed",
]


def chart_rows(data):
    """The bars of a page's chart (``services.compare_data`` or ``area_data``) as CSV rows."""
    separator = "؛ " if data["dir"] == "rtl" else "; "
    for f in data["figures"]:
        yield {
            "label": f["label"],
            "area": f["area"]["code"],
            "area_name": f["area"]["name"],
            "indicator": f["indicator"]["code"],
            "indicator_name": f["indicator"]["name"],
            "unit": f["indicator"]["unit"],
            "year": "" if f["year"] is None else f["year"],
            "year_as_written": f["year_as_written"],
            "year_calendar": f["year_calendar"],
            "value": f["value_text"],
            "value_as_shown": f["value_display"],
            "qualifier": f["qualifier"],
            "scope": f["scope"],
            "definition": f["definition"],
            "flags": ";".join(f["flags"]),
            "flag_notes": separator.join(flag["label"] for flag in f.get("flag_details", [])),
            "source": f["source"]["identifier"],
            "source_title": f["source"]["title"],
            "quote": f["quote"],
            "note": f["note"],
            "last_changed": f["last_changed"],
        }


def chart_csv(data):
    """UTF-8 with a byte-order mark (Excel reads Arabic and Persian right only with it); every
    cell a spreadsheet would run as a formula is neutralised."""
    stream = io.StringIO()
    stream.write("\ufeff")
    writer = csv.DictWriter(stream, fieldnames=CHART_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in chart_rows(data):
        writer.writerow({key: neutralise_formula(value) for key, value in row.items()})
    return stream.getvalue().encode("utf-8")


def content_disposition(as_attachment, filename, ascii_filename):
    """The file name in the page's language (RFC 5987 ``filename*``), after a plain ASCII
    ``filename`` for clients that read only that one (RFC 6266, section 4.3)."""
    if filename.isascii():
        return content_disposition_header(as_attachment, filename)
    disposition = "attachment" if as_attachment else "inline"
    return f"{disposition}; filename=\"{ascii_filename}\"; filename*=utf-8''{quote(filename)}"


def _plain(messages, status):
    return HttpResponse("\n".join(messages), content_type="text/plain; charset=utf-8", status=status)


def _csv_response(data):
    response = HttpResponse(chart_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(
        True, f"{data['file_name']}.csv", f"{data['file_name_ascii']}.csv"
    )
    return response


def _png_response(request, data, build_chart):
    """The page's chart as PNG, with a caption saying where it comes from: its sources are in the
    figure's own notes; the caption adds the date the data last changed and the page's address."""
    page_url = request.build_absolute_uri(data["url"])

    def build():
        # Labels are wrapped for the width asked for (png_response has checked it by now), by
        # default charts.WIDTH: about the chart's width on the page. The height follows from it.
        width = png.parse_size(request.GET)["width"] or charts.WIDTH
        last_changed = date.fromisoformat(data["last_changed"]) if data["last_changed"] else None
        return png.decorate_for_export(
            build_chart(data, width=width), source_line=None, last_changed=last_changed, url=page_url, lang=data["lang"]
        )

    response = png.png_response(
        request, build, filename=f"{data['file_name_ascii']}.png", cache_key_parts=(data["kind"], page_url)
    )
    if response.status_code == 200:
        response["Content-Disposition"] = content_disposition(
            False, f"{data['file_name']}.png", f"{data['file_name_ascii']}.png"
        )
    return response
