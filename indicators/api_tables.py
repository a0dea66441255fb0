"""The downloads of tables for statistical tools, beside the full-data files: pivoted areas × years
(CSV, XLSX, ODS; ``pivot``), SDMX-CSV 2.0 (``sdmx``) and a Frictionless data package describing
the full CSV (``datapackage``). Each reads its query with a form, as every address of the API,
and counts against ``RATELIMIT_EXPENSIVE`` like the other downloads.
"""

import json
import tempfile

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django_ratelimit.decorators import ratelimit

from .api import api_view, expensive_rate
from .api_params import DEFAULT_LANG, ApiForm, LangField, ModelCodesField, NoParametersForm
from .datapackage import descriptor, write_zip
from .models import Indicator
from .pivot import pivot_file
from .sdmx import sdmx_stream


class PivotForm(ApiForm):
    indicator = ModelCodesField(
        Indicator,
        "code",
        help_text="Indicator codes; several as for area. Without it: every indicator, each in its own rows.",
    )
    lang = LangField(default=DEFAULT_LANG, help_text="Language of the headers, names and labels.")


def _attachment(response, filename):
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@ratelimit(key="ip", rate=expensive_rate, block=True)
@api_view(PivotForm)
def pivot_download(request, query, fmt):
    codes = sorted(query["indicator"] or [])
    body, content_type = pivot_file(fmt, codes or None, query["lang"])
    name = "-".join(["smedash-pivot", *codes[:5], query["lang"]])
    return _attachment(HttpResponse(body, content_type=content_type), f"{name}.{fmt}")


@ratelimit(key="ip", rate=expensive_rate, block=True)
@api_view(NoParametersForm)
def sdmx_download(request, query):
    body = sdmx_stream() if request.method == "GET" else iter(())
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    return _attachment(response, "smedash-observations-sdmx.csv")


@api_view(NoParametersForm)
def datapackage_json(request, query):
    body = json.dumps(descriptor(), ensure_ascii=False, indent=2).encode()
    # An attachment like every download (data tools read it by its address all the same).
    return _attachment(HttpResponse(body, content_type="application/json"), "datapackage.json")


@ratelimit(key="ip", rate=expensive_rate, block=True)
@api_view(NoParametersForm)
def datapackage_zip(request, query):
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    write_zip(target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename="smedash-datapackage.zip", content_type="application/zip")
