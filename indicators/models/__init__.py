"""The data: indicators, sources and figures (``figures``, their years in ``years``) with their
named queries (``queries``), the summaries kept beside them (``summaries``: coverage and the
data version), and the imports run in the background (``jobs``)."""

from .figures import EARLIEST_YEAR, LATEST_YEAR, Indicator, Observation, Source
from .jobs import ImportJob
from .queries import ObservationQuerySet
from .summaries import COVERAGE_LOCK, Coverage, CoverageQuerySet, DataVersion, _now_microseconds

__all__ = [
    "COVERAGE_LOCK",
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "Coverage",
    "CoverageQuerySet",
    "DataVersion",
    "ImportJob",
    "Indicator",
    "Observation",
    "ObservationQuerySet",
    "Source",
    "_now_microseconds",  # migration 0004 names it as indicators.models._now_microseconds
]
