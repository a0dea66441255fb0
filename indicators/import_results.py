"""What an import plan says (``import_plan.plan_import``): for each row of the file, what importing
it would do (new, changed, unchanged or rejected) and why; and for the file, the counts, whether it
can be imported (all or nothing) and every problem in file order. The admin's preview, the
commands, the background jobs and ``importing.apply_plan`` read these."""

from dataclasses import dataclass, field

from .models import Observation

NEW, CHANGED, UNCHANGED, REJECTED = "new", "changed", "unchanged", "rejected"


@dataclass
class Problem:
    column: str
    message: str


@dataclass
class RowPlan:
    number: int
    cells: dict
    action: str = NEW
    observation: Observation | None = None
    changes: list = field(default_factory=list)  # (column, old, new)
    changed_fields: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def reject(self, column, message):
        self.problems.append(Problem(column, str(message)))
        self.action = REJECTED


@dataclass
class ImportPlan:
    rows: list

    def counts(self):
        counts = {NEW: 0, CHANGED: 0, UNCHANGED: 0, REJECTED: 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def ok(self):
        return not any(row.action == REJECTED for row in self.rows)

    def problems(self):
        """(row number, column, reason) for every problem, in file order."""
        return [(row.number, p.column, p.message) for row in self.rows for p in row.problems]
