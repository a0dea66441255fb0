"""The named queries of figures (``Observation.objects``): what the public sees, what may be
charted, the export's order; views and selectors call these rather than filtering by hand."""

from django.db import models
from django.db.models import Q


class ObservationQuerySet(models.QuerySet):
    def published(self):
        """What the public sees: pages, charts, exports and the API show nothing else."""
        return self.filter(status=self.model.Status.PUBLISHED)

    def with_related(self):
        return self.select_related("area", "area__parent", "indicator", "source")

    def for_indicator(self, indicator):
        return self.filter(indicator=indicator)

    def for_area(self, area):
        return self.filter(area=area)

    def from_source(self, source):
        return self.filter(source=source)

    def chartable(self):
        """Figures that may be drawn as bars: not those the source garbles."""
        return self.exclude(qualifier=self.model.Qualifier.UNCLEAR)

    def export_order(self):
        return self.order_by("source__identifier", "area__code", "indicator__position", "year", "pk")

    def ever_published(self):
        """Figures that are, or once were, public: only an administrator may delete them."""
        once = self.model.history.filter(status=self.model.Status.PUBLISHED).values("id")
        return self.filter(Q(status=self.model.Status.PUBLISHED) | Q(pk__in=once))
