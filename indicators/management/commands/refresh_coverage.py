from django.core.management.base import BaseCommand

from indicators.models import Coverage
from indicators.writes import figures_changed


class Command(BaseCommand):
    help = (
        "Recount the coverage summary (published figures per indicator and area) from the figures. "
        "Every write through Django keeps it in step; this is for data changed by raw SQL."
    )

    def handle(self, *args, **options):
        figures_changed()  # outside a transaction: the data version is bumped at once
        self.stdout.write(f"Coverage recounted: {Coverage.objects.count()} indicator × area cells.")
