from django.core.management.base import BaseCommand

from indicators.exports import write_csv
from indicators.models import Observation


class Command(BaseCommand):
    help = "Write every observation, with its source and quote, as CSV to standard output."

    def add_arguments(self, parser):
        parser.add_argument(
            "--lang",
            choices=["en", "ar", "fa"],
            help="Add area, indicator and source names in this language (and translate notes).",
        )
        parser.add_argument("--drafts", action="store_true", help="Include draft figures too.")

    def handle(self, *args, **options):
        observations = Observation.objects.all() if options["drafts"] else Observation.objects.published()
        write_csv(self.stdout, observations, lang=options["lang"])
