from django.core.management.base import BaseCommand

from indicators.seed import load_seed


class Command(BaseCommand):
    help = "Load the seed areas, indicators, sources and observations from fixtures/ (idempotent)."

    def handle(self, *args, **options):
        report = load_seed()
        self.stdout.write(f"Seed data: {report}")
