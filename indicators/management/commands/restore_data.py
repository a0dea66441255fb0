from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from countries.models import Area
from indicators.models import Observation
from indicators.writes import figures_changed


class Command(BaseCommand):
    help = "Load a backup written by backup_data into an empty, migrated database (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        # Restoring over live data would mix two states; an empty database makes the result exact.
        if Observation.objects.exists() or Area.objects.exists() or get_user_model().objects.exists():
            raise CommandError("The database is not empty. Restore into a new, migrated database.")
        with transaction.atomic():
            call_command("loaddata", file, verbosity=0)
            figures_changed()  # loaddata's raw saves leave the summary to us: recount all of it
        self.stdout.write(f"Restored {Observation.objects.count()} observations from {file}")
