from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from indicators.forms import file_too_large_message
from indicators.import_limits import ImportFileError, ImportLimits
from indicators.import_results import REJECTED
from indicators.models import Indicator, Observation, Source
from indicators.wide_forms import WideOptions
from indicators.wide_import import import_wide


class Command(BaseCommand):
    help = (
        "Import a wide table (CSV, XLSX or ODS): areas in rows, years in columns, one indicator and source "
        "for the whole sheet. All or nothing: one wrong cell and nothing is written; each problem is named "
        "by its cell. New figures are drafts unless --publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8), .xlsx or .ods file")
        parser.add_argument("--indicator", required=True, help="The indicator's code, e.g. firm_share.")
        parser.add_argument("--source", required=True, help="The source's identifier.")
        parser.add_argument("--caption", required=True, help="The table's caption, as the source writes it.")
        parser.add_argument("--location", required=True, help="Where the table is: page and table number.")
        parser.add_argument("--scope", choices=Observation.Scope.values, default=Observation.Scope.NOT_STATED)
        parser.add_argument("--qualifier", choices=Observation.Qualifier.values, default=Observation.Qualifier.EXACT)
        parser.add_argument("--measured-as", default="", help="What every figure counts, in a few words.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--publish", action="store_true", help="Publish every figure in the table.")
        parser.add_argument(
            "--lang", choices=["en", "ar", "fa"], default="en", help="Language of the notes and of the messages."
        )
        parser.add_argument("--user", help="User name recorded in the history as the importer.")
        parser.add_argument("--max-rows", type=int, help="The most rows (and figures) a table may have.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if not Indicator.objects.filter(code=options["indicator"]).exists():
            raise CommandError(f"No indicator has the code {options['indicator']}")
        if not Source.objects.filter(identifier=options["source"]).exists():
            raise CommandError(f"No source has the identifier {options['source']}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']}")
        wide = WideOptions(
            indicator=options["indicator"],
            source=options["source"],
            caption=options["caption"],
            location=options["location"],
            scope=options["scope"],
            qualifier=options["qualifier"],
            measured_as=options["measured_as"].strip(),
            lang=options["lang"],
            publish=options["publish"],
        )
        limits = ImportLimits.for_command(options["max_rows"])
        with translation.override(options["lang"]):
            if path.stat().st_size > limits.max_bytes:
                raise CommandError(file_too_large_message(limits.max_bytes))
            try:
                table, plan = import_wide(
                    path.name,
                    path.read_bytes(),
                    wide,
                    dry_run=options["dry_run"],
                    user=user,
                    reason=translation.gettext("Imported from %(file)s") % {"file": path.name},
                    limits=limits,
                )
            except ImportFileError as error:
                raise CommandError(str(error)) from None
            for row in plan.rows:
                for problem in row.problems:
                    self.stderr.write(problem.message)
        counts = plan.counts()
        summary = "{new} new, {changed} changed, {unchanged} unchanged, {rejected} rejected".format(**counts)
        if counts[REJECTED]:
            raise CommandError(f"Nothing imported: {summary}.")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(f"{verb} from {table.sheet}, header in row {table.header_row}: {summary}.")
