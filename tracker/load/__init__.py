"""Loading a file: detect what it is, map its columns, preview what it would change, write all of it or none.

`load_file` is the one way in (the command line, the Upload page and the demo all use it).

Example:
    >>> from datetime import date
    >>> from sqlmodel import Session
    >>> from tracker.db import open_engine
    >>> with Session(open_engine("sqlite://")) as s:
    ...     out = load_file(b"Theme,Activity,Who\\nValue,Annual awards,OD\\n", filename="p.csv",
    ...                     session=s, plan_start=date(2018, 11, 1))
    >>> out.outcome, out.kind, out.counts["added"]
    ('loaded', 'plan', 1)
"""

from tracker.load.core import KIND_OPERATION, KINDS, LoadOutcome, PlanOptions, UpdateOptions, load_file, retriable
from tracker.load.detect import detect_kind
from tracker.load.preview import (
    ACTION_FIELDS,
    ActionPreview,
    describe_actions,
    describe_counts,
    describe_reading,
    describe_update_tables,
    describe_updates,
    plan_preview,
    planned_changes,
)

__all__ = [
    "ACTION_FIELDS",
    "KINDS",
    "KIND_OPERATION",
    "ActionPreview",
    "LoadOutcome",
    "PlanOptions",
    "UpdateOptions",
    "describe_actions",
    "describe_counts",
    "describe_reading",
    "describe_update_tables",
    "describe_updates",
    "detect_kind",
    "load_file",
    "plan_preview",
    "planned_changes",
    "retriable",
]
