"""Public pages. Each view reads its data from ``services`` and hands it to a template or to
JSON; the chart is built by ``charts`` from the very same data, so page, JSON twin and chart agree.
"""

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import charts, services


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_safe
def home(request):
    return render(request, "indicators/home.html", {"data": services.home_data(get_language())})


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
def compare(request, code):
    data, errors = _compare(request, code)
    if errors:
        return render(request, "indicators/compare.html", {"data": data, "errors": errors}, status=400)
    context = {"data": data, "groups": services.figure_groups(data)}
    if data["figures"]:
        context.update(_chart_context(charts.compare_figure(data), f"smedash-{data['indicator']['code']}"))
    return render(request, "indicators/compare.html", context)


@require_safe
def compare_json(request, code):
    try:
        data, errors = _compare(request, code)
    except Http404 as error:
        return _json({"errors": [str(error)]}, status=404)
    if errors:
        return _json({"errors": errors}, status=400)
    return _json(data)


@require_safe
def area(request, code):
    data = services.area_data(code, get_language())
    context = {"data": data, "quote_figures": [f for section in data["sections"] for f in section["figures"]]}
    if data["figures"]:
        context.update(_chart_context(charts.area_figure(data), f"smedash-{data['area']['code']}"))
    return render(request, "indicators/area.html", context)


@require_safe
def area_json(request, code):
    try:
        return _json(services.area_data(code, get_language()))
    except Http404 as error:
        return _json({"errors": [str(error)]}, status=404)


@require_safe
def source_list(request):
    return render(request, "indicators/source_list.html", {"data": services.sources_data(get_language())})


@require_safe
def source(request, identifier):
    return render(request, "indicators/source.html", {"data": services.source_data(identifier, get_language())})


@require_safe
def about(request):
    return render(request, "indicators/about.html", {"data": services.about_data(get_language())})


def _chart_context(fig, filename):
    lang = get_language()
    return {
        "chart": charts.figure_payload(fig, lang, filename),
        "plotly_locale": charts.modebar_locale(lang),
    }
