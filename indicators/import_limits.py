"""How much an import of observations takes (``ImportLimits``), and the error it raises for a
file that cannot be imported (``ImportFileError``), with the messages for a file over a limit.

The limits themselves are checked where the file is read: ``import_files`` (CSV and XLSX rows,
columns, cells) and ``xlsx_scan`` (an XLSX's parts, before openpyxl opens it).
"""

import csv
import os
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

MiB = 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, or its columns are wrong)."""


@dataclass(frozen=True)
class ImportLimits:
    """How much an import takes. Each limit is checked before the file is parsed (its size; an
    XLSX's parts, unpacked size and compression) or while it is read (rows, columns, cells), so
    that no file makes the server use unbounded memory or time. The admin's come from the
    settings (``SMEDASH_IMPORT_MAX_BYTES``, …); the command's are larger (``for_command``)."""

    max_bytes: int = 20 * MiB  # the file as uploaded
    max_rows: int = 20_000  # rows with something in them, the header not counted
    max_columns: int = 100  # cells a row may have: a value further right is refused
    max_unpacked_bytes: int = 100 * MiB  # XLSX: all its parts unpacked
    max_compression_ratio: int = 100  # XLSX: how many times a part over 1 MiB may be compressed
    max_cell_chars: int = 32_767  # one cell, as in Excel

    @classmethod
    def from_settings(cls):
        """Each limit from the Django setting ``SMEDASH_IMPORT_<NAME>`` (``SMEDASH_IMPORT_MAX_ROWS``)
        if the project defines it, else the environment variable of that name, else the default."""
        defaults, values = cls(), {}
        for name in cls.__dataclass_fields__:
            key = f"SMEDASH_IMPORT_{name.upper()}"
            value = getattr(settings, key, None)
            if value is None:
                value = os.environ.get(key) or getattr(defaults, name)
            try:
                values[name] = int(value)
            except (TypeError, ValueError):
                raise ImproperlyConfigured(f"{key} must be a whole number, not {value!r}.") from None
        return cls(**values)

    @classmethod
    def for_command(cls, max_rows=None):
        """On the server the file is the operator's own and no request times out: ten times the
        admin's sizes, and as many rows as asked for (ten times the admin's by default)."""
        base = cls.from_settings()
        rows = max_rows or 10 * base.max_rows
        return replace(
            base,
            max_rows=rows,
            max_bytes=max(10 * base.max_bytes, rows * 2 * 1024),
            max_unpacked_bytes=max(10 * base.max_unpacked_bytes, rows * 10 * 1024),
        )

    @property
    def max_raw_rows(self):
        """Rows counted with the empty ones (a sheet formatted far below its data has many)."""
        return 2 * self.max_rows + 1000


def too_many_rows(limits):
    return ImportFileError(
        _(
            "The file has more than %(limit)s rows: split it into files of at most %(limit)s rows, "
            "or import it on the server with “manage.py import_observations”."
        )
        % {"limit": limits.max_rows}
    )


def too_many_raw_rows(limits):
    return ImportFileError(
        _("The file has more than %(limit)s rows, counting empty ones: delete the empty rows below the data.")
        % {"limit": limits.max_raw_rows}
    )


def beyond_last_column(limits, row, column):
    return ImportFileError(
        _("Row %(row)s has a value in column %(column)s: a file may have at most %(limit)s columns.")
        % {"row": row, "column": column, "limit": limits.max_columns}
    )


def cell_too_long(limits, row, column=None):
    limit = min(limits.max_cell_chars, csv.field_size_limit())
    if column is None:
        message = _("Row %(row)s has a cell of more than %(limit)s characters.")
    else:
        message = _("Row %(row)s, column %(column)s: the cell has more than %(limit)s characters.")
    return ImportFileError(message % {"row": row, "column": column, "limit": limit})
