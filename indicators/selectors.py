"""Reads: the queries behind the public pages, returning declared rows.

Each function here only queries and returns dataclasses (or plain tuples of ids and values):
no formatting, no addresses, no HTTP, no cache. Only published figures are read. Translated
fields (names, notes, definitions) come in the active language, with modeltranslation's fallback
to English. Every function makes a fixed number of queries, however many figures there are:
what a page shows is chosen in the database (window functions, the coverage summary).
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from countries.models import Area

from .models import Coverage, Indicator, Observation, Source
from .text import current_lang

Qualifier = Observation.Qualifier
# A source's quotes: by kind of area, area, indicator, then year (undated last).
SOURCE_ORDER = ("area__kind", "area__code", "indicator__position", F("year").asc(nulls_last=True), "pk")


@dataclass(frozen=True)
class AreaName:
    """What ordering and listing areas needs: no model object per area."""

    id: int
    code: str
    kind: str
    name: str


@dataclass(frozen=True)
class AreaRow:
    id: int
    code: str
    kind: str
    name: str
    parent_code: str | None
    parent_name: str | None


@dataclass(frozen=True)
class IndicatorRow:
    id: int
    code: str
    name: str
    description: str
    unit: str
    headline: bool


@dataclass(frozen=True)
class SourceRow:
    identifier: str
    title: str
    language: str
    kind: str
    summary: str = ""
    publisher: str = ""
    date_known: str = ""
    url: str = ""


@dataclass(frozen=True)
class FigureRow:
    """One published figure with what it is about and where it comes from."""

    id: int
    area: AreaRow
    indicator: IndicatorRow
    source: SourceRow
    value: Decimal
    qualifier: str
    year: int | None
    year_as_written: str
    year_calendar: str
    scope: str
    definition: str
    note: str
    quote: str
    last_changed: date
    measured_as: str = ""  # what the figure counts (industrial units, production value…)


@dataclass(frozen=True)
class CoverageCell:
    indicator_id: int
    area_id: int
    figures: int
    years: int
    undated: int
    first_year: int | None
    last_year: int | None


def area_row(area):
    parent = area.parent if area.parent_id else None
    return AreaRow(
        area.pk, area.code, area.kind, str(area.name or area.code), parent and parent.code, parent and str(parent.name)
    )


def indicator_row(indicator):
    return IndicatorRow(
        indicator.pk,
        indicator.code,
        str(indicator.name or indicator.code),
        str(indicator.description or ""),
        indicator.unit,
        indicator.headline,
    )


def source_row(source, full=False):
    """A source; with ``full``, also what only its own page and the list of sources show."""
    row = SourceRow(source.identifier, str(source.title or source.identifier), source.language, source.kind)
    if not full:
        return row
    return replace(
        row,
        summary=str(source.summary or ""),
        publisher=str(source.publisher or ""),
        date_known=str(source.date_known or ""),
        url=source.url,
    )


# A figure's own columns, then its translated texts (in the active language, else English, as
# modeltranslation's fallback gives them).
_FIGURE_COLUMNS = ("pk", "area_id", "indicator_id", "source_id", "value", "qualifier", "year", "year_as_written")
_FIGURE_COLUMNS_2 = ("year_calendar", "scope", "quote", "updated_at")
_FIGURE_TEXTS = ("definition", "note", "measured_as")


def _figure_rows(observations):
    """The rows of ``observations`` (a queryset, in its order), read as plain values. The areas,
    indicators and sources they name are read once each, in three more queries whatever their
    number: a page of hundreds of figures builds one row per area, indicator and source and no
    model object per figure."""
    lang = current_lang()
    languages = [lang, "en"] if lang != "en" else ["en"]
    texts = [f"{name}_{language}" for language in languages for name in _FIGURE_TEXTS]
    # rewrite(False): the columns are named by language already; modeltranslation would otherwise
    # turn every row into a dict and back.
    values = list(observations.rewrite(False).values_list(*_FIGURE_COLUMNS, *_FIGURE_COLUMNS_2, *texts))

    def rows(queryset, make, ids):
        return {obj.pk: make(obj) for obj in queryset.filter(pk__in=ids)} if ids else {}

    areas = rows(Area.objects.select_related("parent"), area_row, {v[1] for v in values})
    indicators_ = rows(Indicator.objects.all(), indicator_row, {v[2] for v in values})
    sources = rows(Source.objects.all(), source_row, {v[3] for v in values})
    count, fallback = len(_FIGURE_TEXTS), len(texts) - len(_FIGURE_TEXTS)
    figures = []
    for pk, area, indicator, source, value, qualifier, year, written, calendar, scope, quote, updated, *text in values:
        definition, note, measured_as = (text[i] or text[fallback + i] or "" for i in range(count))
        figures.append(
            FigureRow(
                pk,
                areas[area],
                indicators_[indicator],
                sources[source],
                value,
                qualifier,
                year,
                written,
                calendar,
                scope,
                definition,
                note,
                quote,
                updated.date(),
                measured_as,
            )
        )
    return figures


# --- areas and indicators ----------------------------------------------------------------------


def area_names(areas=None):
    """Every area (or those of the ``areas`` queryset) as plain rows, named in the active language."""
    lang = current_lang()
    names = [f"name_{lang}", "name_en"] if lang != "en" else ["name_en"]
    # rewrite(False): the columns are named by language already (see _figure_rows).
    rows = (Area.objects.all() if areas is None else areas).rewrite(False).values_list("id", "code", "kind", *names)
    return [AreaName(id_, code, kind, next(filter(None, texts), code)) for id_, code, kind, *texts in rows]


def covered_area_names():
    """The areas with at least one published figure."""
    return area_names(Area.objects.filter(Exists(Coverage.objects.filter(area=OuterRef("pk")))))


def areas_by_ids(ids):
    by_id = Area.objects.select_related("parent").in_bulk(ids)
    return [area_row(by_id[i]) for i in ids]


def area_by_code(code):
    area = Area.objects.select_related("parent").filter(code=code).first()
    return area_row(area) if area else None


def regions_of(area_id):
    return [area_row(a) for a in Area.objects.filter(parent_id=area_id).select_related("parent").order_by("code")]


def indicator_by_code(code):
    indicator = Indicator.objects.filter(code=code).first()
    return indicator_row(indicator) if indicator else None


def indicators():
    return [indicator_row(i) for i in Indicator.objects.all()]


def indicators_with_figures():
    """(indicator, whether it has a published figure), in the indicators' order."""
    has = Exists(Coverage.objects.filter(indicator=OuterRef("pk")))
    return [(indicator_row(i), i.has_figures) for i in Indicator.objects.annotate(has_figures=has)]


def indicators_with_trends():
    """The codes of the indicators that some area has published figures of in two years or more
    (the coverage summary's count of years), in the indicators' order: those a trend can draw."""
    over_years = Exists(Coverage.objects.filter(indicator=OuterRef("pk"), years__gte=2))
    return list(Indicator.objects.filter(over_years).values_list("code", flat=True))


def first_headline_indicator():
    """The code of the indicator the comparison opens with, or None when there is none."""
    return Indicator.objects.filter(headline=True).values_list("code", flat=True).first()


# --- the coverage summary ------------------------------------------------------------------------


def coverage(area_ids=None, indicator_id=None):
    cells = Coverage.objects.all()
    if area_ids is not None:
        cells = cells.filter(area_id__in=area_ids)
    if indicator_id is not None:
        cells = cells.filter(indicator_id=indicator_id)
    fields = ("indicator_id", "area_id", "figures", "years", "undated", "first_year", "last_year")
    return [CoverageCell(*values) for values in cells.values_list(*fields)]


def area_coverage(area_id):
    """(indicator, figures) of every indicator the area has figures for, in the indicators' order."""
    cells = Coverage.objects.filter(area_id=area_id).select_related("indicator")
    return [(indicator_row(c.indicator), c.figures) for c in cells.order_by("indicator__position", "indicator__code")]


def totals():
    """Published figures and the sources they come from."""
    figures = Coverage.objects.aggregate(total=Sum("figures"))["total"] or 0
    sources = Source.objects.filter(Exists(Observation.objects.published().filter(source=OuterRef("pk")))).count()
    return figures, sources


# --- figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A figure a comparison may show: what choosing and ordering the page needs, no more.

    ``rank`` is its place among its area's figures of its kind (charted, or unclear in the
    source), newest first; ``total`` is how many figures of that kind the area has that match the
    choice, so that a page can say how many it leaves out."""

    id: int
    area_id: int
    value: Decimal
    qualifier: str
    rank: int
    total: int


def comparison_candidates(indicator_id, area_ids, year, scope, latest, per_area):
    """The figures one comparison may show: of each area, at most ``per_area`` that can be charted
    and ``per_area`` unclear ones, the newest first (by year, undated last, then by value), ranked
    and counted in the database, so that an area with thousands of figures costs no more rows than
    ``per_area``.

    With ``latest``: per area and scope, the newest dated figures that can be charted, plus every
    undated one (it cannot be shown to be older) and every unclear one, chosen in the database.
    """
    shown = Observation.objects.published().filter(indicator_id=indicator_id).order_by()
    if area_ids:
        shown = shown.filter(area_id__in=area_ids)
    if scope is not None:
        shown = shown.filter(scope=scope)
    if year is not None:
        shown = shown.filter(year=year)
    if latest:
        charted_year = Case(When(~Q(qualifier=Qualifier.UNCLEAR), then=F("year")))
        newest = Window(Max(charted_year), partition_by=[F("area_id"), F("scope")])
        chosen = shown.annotate(newest=newest).filter(
            Q(qualifier=Qualifier.UNCLEAR) | Q(year__isnull=True) | Q(year=F("newest"))
        )
        # A window cannot be ranked by another at the same level: the choice is a subquery.
        shown = Observation.objects.filter(pk__in=chosen.values("pk")).order_by()
    kind = [F("area_id"), Case(When(qualifier=Qualifier.UNCLEAR, then=Value(1)), default=Value(0))]
    ranked = shown.annotate(
        rank=Window(
            RowNumber(),
            partition_by=kind,
            order_by=[F("year").desc(nulls_last=True), F("value").desc(), F("pk")],
        ),
        total=Window(Count("pk"), partition_by=kind),
    ).filter(rank__lte=per_area)
    columns = ("pk", "area_id", "value", "qualifier", "rank", "total")
    return [Candidate(*row) for row in ranked.rewrite(False).values_list(*columns)]


def years_of(indicator_id):
    """The years with published figures of the indicator, newest first."""
    figures = Observation.objects.published().filter(indicator_id=indicator_id).exclude(year=None)
    return sorted(figures.order_by().values_list("year", flat=True).distinct(), reverse=True)


def figures_by_ids(ids):
    return _figure_rows(Observation.objects.filter(pk__in=ids).order_by("area__code", "year", "pk"))


def newest_figures(area_id, indicator_ids, per_indicator):
    """Of each indicator, the area's ``per_indicator`` newest charted figures and newest unclear
    ones, ranked in the database."""
    unclear = Case(When(qualifier=Qualifier.UNCLEAR, then=Value(1)), default=Value(0))
    rank = Window(
        RowNumber(),
        partition_by=[F("indicator_id"), unclear],
        order_by=[F("year").desc(nulls_last=True), F("value").desc(), F("pk")],
    )
    # Ranked on the figures alone (the comparison's index), then only the chosen few joined.
    chosen = (
        Observation.objects.published()
        .filter(area_id=area_id, indicator_id__in=indicator_ids)
        .order_by()
        .annotate(rank=rank)
        .filter(rank__lte=per_indicator)
    )
    return _figure_rows(Observation.objects.filter(pk__in=chosen.values("pk")))


# --- sources ---------------------------------------------------------------------------------------


def sources_with_counts():
    """Every source with its number of published figures."""
    published = Q(observations__status=Observation.Status.PUBLISHED)
    sources = Source.objects.annotate(figure_count=Count("observations", filter=published))
    return [(source_row(s, full=True), s.figure_count) for s in sources]


def source_by_identifier(identifier):
    source = Source.objects.filter(identifier=identifier).first()
    return source_row(source, full=True) if source else None


class SourceFigures:
    """A source's published figures in SOURCE_ORDER, counted and sliced in the database: what
    django.core.paginator.Paginator needs."""

    def __init__(self, identifier):
        self.queryset = Observation.objects.published().filter(source__identifier=identifier).order_by(*SOURCE_ORDER)

    def count(self):
        return self.queryset.count()

    def position(self, figure_id):
        """Where a figure stands in the order (from 0), or None: ids only are read."""
        ids = list(self.queryset.values_list("pk", flat=True))
        return ids.index(figure_id) if figure_id in ids else None

    def __getitem__(self, index):
        return _figure_rows(self.queryset[index])


def figures_with_definitions():
    """Published figures whose source defines SMEs, by area.

    The English text is every translation's fallback: a definition exists when it does (NULL, too,
    is no definition: modeltranslation's columns are nullable)."""
    figures = Observation.objects.published().filter(definition_en__gt="")
    return _figure_rows(figures.order_by("area__code", "pk"))
