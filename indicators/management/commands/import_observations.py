from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from indicators.forms import file_too_large_message
from indicators.import_limits import ImportFileError, ImportLimits
from indicators.import_results import CHANGED, NEW, REJECTED
from indicators.importing import import_file


class Command(BaseCommand):
    help = (
        "Import observations from a CSV or XLSX file with the columns of the full-data export. "
        "All or nothing: one wrong row and nothing is written. New figures are drafts unless --publish "
        "or a status column says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--publish", action="store_true", help="Publish every figure in the file.")
        parser.add_argument(
            "--lang",
            choices=["en", "ar", "fa"],
            default="en",
            help="Language of the note, definition and measured_as columns, and of the messages (default: en).",
        )
        parser.add_argument("--user", help="User name recorded in the history as the importer.")
        parser.add_argument(
            "--max-rows",
            type=int,
            help="The most rows a file may have (default: ten times the admin's, SMEDASH_IMPORT_MAX_ROWS); "
            "the size limits grow with it.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']}")
        limits = ImportLimits.for_command(options["max_rows"])
        with translation.override(options["lang"]):
            if path.stat().st_size > limits.max_bytes:  # before the file is read
                raise CommandError(file_too_large_message(limits.max_bytes))
            try:
                plan = import_file(
                    path.name,
                    path.read_bytes(),
                    lang=options["lang"],
                    publish=options["publish"],
                    dry_run=options["dry_run"],
                    user=user,
                    reason=translation.gettext("Imported from %(file)s") % {"file": path.name},
                    limits=limits,
                )
            except ImportFileError as error:
                raise CommandError(str(error)) from None
            if options["verbosity"] >= 2:
                for row in plan.rows:
                    if row.action in (NEW, CHANGED):
                        details = ", ".join(f"{column}: {old} -> {new}" for column, old, new in row.changes)
                        self.stdout.write(f"row {row.number}: {row.action} {details}".rstrip())
            for number, column, message in plan.problems():
                where = f"row {number}, column {column}" if column else f"row {number}"
                self.stderr.write(f"{where}: {message}")
        counts = plan.counts()
        summary = "{new} new, {changed} changed, {unchanged} unchanged, {rejected} rejected".format(**counts)
        if counts[REJECTED]:
            raise CommandError(f"Nothing imported: {summary}.")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(f"{verb}: {summary}.")
