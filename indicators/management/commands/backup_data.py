from django.core.management import call_command
from django.core.management.base import BaseCommand

# What a backup holds: the statistics with their history, and the accounts that made them.
# Sessions, login attempts, admin log entries and content types are rebuilt or disposable.
BACKUP_MODELS = ["auth.group", "auth.user", "countries", "indicators"]


class Command(BaseCommand):
    help = (
        "Write the data (areas, indicators, sources, observations, their history, users) to FILE (.json or .json.gz)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write, e.g. var/backup-2026-11-22.json.gz")

    def handle(self, *args, file, **options):
        call_command(
            "dumpdata",
            *BACKUP_MODELS,
            # A summary, recounted by restore_data, and the data version, bumped by it.
            exclude=["indicators.coverage", "indicators.dataversion"],
            natural_foreign=True,
            natural_primary=True,
            indent=None,
            output=file,
            verbosity=0,
        )
        self.stdout.write(f"Backup written to {file}")
