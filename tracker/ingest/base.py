"""What every loader returns: a result with a `valid` flag, the rows, and issues a page can show as a table.

Example:
    >>> r = LoadResult(kind="plan", filename="plan.xlsx")
    >>> r.add("Plan", 7, "Who", "", "required", "Who is empty")
    >>> r.valid, r.issue_lines()[0]
    (False, 'plan.xlsx:Plan:7:Who: Who is empty')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
MAX_MESSAGE = 500  # characters of one issue's message


class UnreadableFile(Exception):
    """The file cannot be read at all (not a spreadsheet, corrupt, encrypted, too big)."""

    def __init__(self, filename: str, code: str, message: str) -> None:
        super().__init__(f"{filename}: {message}")
        self.filename = filename
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Issue:
    """One problem found in a file; `row` is the row number as Excel shows it."""

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    code: str
    message: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoadResult:
    """Rows parsed from one file, plus every issue found; nothing is written while `valid` is False."""

    kind: str
    filename: str
    rows: list[Any] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    # How the reader read what it had to guess (a section row, a date in words, a carried-down pillar): shown
    # beside the preview so every guess can be checked; never a reason to refuse.
    notes: list[Issue] = field(default_factory=list)
    # A totally wrong file gives this many precise messages and a count, not 100,000 lines.
    max_issues: int = 200
    dropped: int = 0
    dropped_errors: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors and not self.dropped_errors

    def add(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        value: object,
        code: str,
        message: str,
        severity: Severity = "error",
    ) -> None:
        if len(self.issues) >= self.max_issues:
            self.dropped += 1
            self.dropped_errors += severity == "error"
            return
        shown = None if value is None else str(value)[:200]
        if len(message) > MAX_MESSAGE:  # a message quoting a 100,000-character cell quotes only its start
            message = message[: MAX_MESSAGE - 1] + "…"
        self.issues.append(Issue(sheet, row, column, shown, code, message, severity))

    def note(self, sheet: str, row: int | None, column: str | None, value: object, message: str) -> None:
        """Record a guess the reader made (kept to the first 500)."""
        if len(self.notes) < 500:
            shown = None if value is None else str(value)[:200]
            self.notes.append(Issue(sheet, row, column, shown, "note", message[:MAX_MESSAGE], "warning"))

    def extend(self, issues: Iterable[Issue]) -> None:
        """Add issues found elsewhere (the reader's, about single cells), within `max_issues` like `add`."""
        for i in issues:
            self.add(i.sheet, i.row, i.column, i.value, i.code, i.message, i.severity)

    def close(self) -> None:
        """Add one issue counting those past `max_issues` (call once, when parsing is done)."""
        if self.dropped:
            self.issues.append(
                Issue(
                    self.issues[-1].sheet if self.issues else "",
                    None,
                    None,
                    str(self.dropped),
                    "too_many_issues",
                    f"{self.dropped:,} more issue(s) not listed ({self.dropped_errors:,} of them errors): "
                    "fix the ones above and load the file again",
                    "error" if self.dropped_errors else "warning",
                )
            )

    def issue_lines(self) -> list[str]:
        """`FILE:SHEET:ROW:COLUMN: message` per issue, as the CLI prints them."""
        return [
            f"{self.filename}:{i.sheet}:{i.row or ''}:{i.column or ''}: "
            + (f"warning: {i.message}" if i.severity == "warning" else i.message)
            for i in self.issues
        ]
