"""Summaries kept beside the figures, in the writer's transaction: the coverage of each
indicator × area, and the data version that every cache entry is built from."""

from django.db import connection, models, transaction
from django.db.models import Count, F, Max, Min, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from countries.models import Area

from .figures import Indicator, Observation


class CoverageQuerySet(models.QuerySet):
    def refresh_for(self, observations):
        """Recount the cells these figures are in, and the cells they were loaded from."""
        cells = set()
        for obs in observations:
            cells.add((obs.indicator_id, obs.area_id))
            cells.add(getattr(obs, "loaded_cell", (None, None)))
        cells.discard((None, None))
        if cells:
            self.refresh(areas={area for _i, area in cells}, indicators={ind for ind, _a in cells})

    def refresh(self, areas=None, indicators=None):
        """Recount the published figures of these areas × indicators (ids; None: all of them).

        Called after every change to observations (signals, or the bulk writers themselves), in
        the writer's transaction, so the summary commits with the figures it counts.
        """
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Two writers recounting at once would each insert the rows the other deleted;
                # one at a time, each recount sees the figures committed before it.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COVERAGE_LOCK])
            stale = self.all()
            figures = Observation.objects.published()
            if areas is not None:
                stale, figures = stale.filter(area_id__in=areas), figures.filter(area_id__in=areas)
            if indicators is not None:
                stale, figures = stale.filter(indicator_id__in=indicators), figures.filter(indicator_id__in=indicators)
            stale.delete()
            rows = (
                figures.order_by()
                .values("indicator_id", "area_id")
                .annotate(
                    figures=Count("id"),
                    years=Count("year", distinct=True),
                    undated=Count("id", filter=Q(year__isnull=True)),
                    first_year=Min("year"),
                    last_year=Max("year"),
                )
            )
            self.bulk_create([Coverage(**row) for row in rows], batch_size=2000)


COVERAGE_LOCK = 52_710_301  # any number of our own, for pg_advisory_xact_lock


class Coverage(models.Model):
    """How many published figures there are for one indicator and one area, and for which years.

    A summary kept beside the figures (refreshed whenever they change) so that the overview page
    costs the same at 300,000 figures as at 50: counting them afresh on every visit would not.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    figures = models.PositiveIntegerField()
    years = models.PositiveIntegerField(help_text="distinct years stated")
    undated = models.PositiveIntegerField(help_text="figures whose source states no year")
    first_year = models.PositiveSmallIntegerField(null=True)
    last_year = models.PositiveSmallIntegerField(null=True)

    objects = CoverageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(name="coverage_unique_cell", fields=["indicator", "area"]),
            models.CheckConstraint(name="coverage_has_figures", condition=Q(figures__gt=0)),
        ]

    def __str__(self):
        return f"{self.area} · {self.indicator}: {self.figures}"


def _now_microseconds():
    return int(timezone.now().timestamp() * 1_000_000)


class DataVersion(models.Model):
    """The number that changes whenever the published data may have changed: one row.

    Kept in the database, with the data, and changed in the same transaction as the data, so
    that a writer that cannot reach the cache (Redis down, or a command run without REDIS_URL)
    still changes it; caches hold a copy for a few seconds only (indicators.cache). Numbers are
    microseconds, always growing, so that a database restored or recreated never reuses one
    that cached pages were kept under.
    """

    number = models.PositiveBigIntegerField(default=_now_microseconds)

    class Meta:
        constraints = [models.CheckConstraint(name="data_version_single_row", condition=Q(pk=1))]

    def __str__(self):
        return str(self.number)

    @classmethod
    def current(cls):
        number = cls.objects.filter(pk=1).values_list("number", flat=True).first()
        return number if number is not None else cls.objects.get_or_create(pk=1)[0].number

    @classmethod
    def bump(cls):
        """The next number, in the caller's transaction: later than the last, and than now."""
        with transaction.atomic():
            if not cls.objects.filter(pk=1).update(number=Greatest(F("number") + 1, Value(_now_microseconds()))):
                cls.objects.create(pk=1)
            return cls.current()
