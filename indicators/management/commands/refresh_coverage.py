from django.core.management.base import BaseCommand

from indicators.cache import bump_data_version
from indicators.models import Coverage


class Command(BaseCommand):
    help = (
        "Recount the coverage summary (published figures per indicator and area) from the figures. "
        "Every write through Django keeps it in step; this is for data changed by raw SQL."
    )

    def handle(self, *args, **options):
        Coverage.objects.refresh()
        bump_data_version()
        self.stdout.write(f"Coverage recounted: {Coverage.objects.count()} indicator × area cells.")
