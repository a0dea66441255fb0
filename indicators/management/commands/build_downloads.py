"""Build the full-data Excel workbooks of the current data version, in every language.

Large workbooks take about a minute at 300,000 figures, longer than a request may take: the first
request for one queues its build for the background worker (indicators.download_jobs) and answers
503 until it is done. This command builds all four at once, for instance right after an import.
Small ones are built by the first request that asks.
"""

from django.core.management.base import BaseCommand, CommandError

from indicators import download_jobs
from indicators.cache import data_version

WORKBOOK_LANGUAGES = (None, "en", "ar", "fa")  # None: the language-less file, no name columns


class Command(BaseCommand):
    help = "Build the Excel workbooks of /api/v1/downloads/observations.xlsx for the current data."

    def handle(self, *args, **options):
        version = data_version()
        for lang in WORKBOOK_LANGUAGES:
            built = download_jobs.build_stored_workbook(version, lang)
            if built is not True:
                raise CommandError(f"Another build is under way; try again in about {built} s.")
            self.stdout.write(f"Built the workbook for data version {version}, language {lang or 'none'}.")
