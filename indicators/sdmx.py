"""The full data as SDMX-CSV 2.0, the format .Stat-style tools and the sdmx libraries read.

One line per published figure that states a year (SDMX needs a time period; figures whose source
states none are left out), streamed 2,000 rows at a time as the full-data CSV is:

* ``STRUCTURE`` ``dataflow``, ``STRUCTURE_ID`` ``SMEDASH:SME_STATS(1.0)``, ``ACTION`` ``I``
  (information: the file replaces nothing in a receiver's database);
* dimensions ``REF_AREA`` (ISO 3166-1 alpha-3, a group's or an ISO 3166-2 code), ``INDICATOR``
  (our indicator codes), ``TIME_PERIOD`` (the Gregorian year);
* the measure ``OBS_VALUE`` (a plain decimal number);
* attributes ``UNIT_MEASURE`` (``percent``, …), ``QUALIFIER`` (exact, more_than, less_than,
  about, unclear), ``SCOPE`` (economy, industry, not_stated), ``SOURCE`` (the source's
  identifier), ``MEASURED_AS`` (what the figure counts, in English), ``YEAR_AS_WRITTEN`` and
  ``YEAR_CALENDAR``. An area may have several figures for one indicator and year: they are told
  apart by these attributes, as on the site.
"""

import csv
import io

from .models import Observation
from .text import plain_decimal

STRUCTURE_ID = "SMEDASH:SME_STATS(1.0)"
COLUMNS = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE"]
COLUMNS += ["UNIT_MEASURE", "QUALIFIER", "SCOPE", "SOURCE", "MEASURED_AS", "YEAR_AS_WRITTEN", "YEAR_CALENDAR"]
CHUNK = 2000
FIELDS = ["area__code", "indicator__code", "year", "value", "indicator__unit", "qualifier", "scope"]
FIELDS += ["source__identifier", "measured_as_en", "year_as_written", "year_calendar"]


def sdmx_rows():
    observations = Observation.objects.published().filter(year__isnull=False)
    observations = observations.order_by("indicator__code", "area__code", "year", "pk").values_list(*FIELDS)
    for (
        area,
        indicator,
        year,
        value,
        unit,
        qualifier,
        scope,
        source,
        measured,
        written,
        calendar,
    ) in observations.iterator(chunk_size=CHUNK):
        yield [
            "dataflow",
            STRUCTURE_ID,
            "I",
            area,
            indicator,
            str(year),
            plain_decimal(value),
            unit,
            qualifier,
            scope,
            source,
            measured or "",
            written,
            calendar,
        ]


def sdmx_stream():
    """UTF-8 pieces (no byte-order mark: SDMX readers do not expect one), the header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for count, row in enumerate(sdmx_rows(), start=1):
        writer.writerow(row)
        if count % CHUNK == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")
