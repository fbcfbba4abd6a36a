"""Column mappings a person confirmed, kept per header row and offered again when a file with the same headers
comes (a lead's monthly log, a plan re-imported after edits).

Example:
    >>> from sqlmodel import Session
    >>> from tracker.db import open_engine
    >>> with Session(open_engine("sqlite://")) as s:
    ...     _ = save_mapping(session=s, kind="plan", header=["What we do", "Person"],
    ...                  mapping={"activity": "What we do", "owner": "Person"}, saved_by="a@uni.ac.uk")
    ...     print(saved_mapping(session=s, kind="plan", rows=[["Our plan"], ["What we do", "Person"]]).mapping)
    {'activity': 'What we do', 'owner': 'Person'}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from tracker.ingest.cells import norm, text
from tracker.ingest.reader import Cell
from tracker.models import ColumnMapping, utcnow


def header_key(header: Sequence[Cell]) -> str:
    """A key for a header row that ignores case, spacing and punctuation (and trailing empty cells).

    Example:
        >>> header_key(["Action ", "WHO"]) == header_key(["action", "Who", None])
        True
    """
    cells = [norm(text(c)) for c in header]
    while cells and not cells[-1]:
        cells.pop()
    return hashlib.sha256("\x1f".join(cells).encode()).hexdigest()


def saved_mapping(
    *, session: Session, kind: str, rows: Sequence[Sequence[Cell]], scan: int = 30, owner: str = ""
) -> ColumnMapping | None:
    """The confirmed mapping for one of the first `scan` rows of a sheet, if any row is a header seen before
    (`owner`'s own, for an update log)."""
    keys = [header_key(r) for r in rows[:scan] if sum(1 for c in r if c is not None) >= 2]
    if not keys:
        return None
    q = select(ColumnMapping).where(
        col(ColumnMapping.kind) == kind, col(ColumnMapping.owner) == owner, col(ColumnMapping.header_key).in_(keys)
    )
    found = {m.header_key: m for m in session.exec(q).scalars()}  # type: ignore[call-overload]
    return next((found[k] for k in keys if k in found), None)


def saved_mappings(*, session: Session, kind: str, owner: str) -> list[ColumnMapping]:
    """Every mapping `owner` confirmed for files of `kind` (a lead keeps a few logs, not thousands)."""
    q = select(ColumnMapping).where(col(ColumnMapping.kind) == kind, col(ColumnMapping.owner) == owner)
    return list(session.exec(q).scalars())  # type: ignore[call-overload]


def save_mapping(
    *, session: Session, kind: str, header: Sequence[Cell], mapping: Mapping[str, str], saved_by: str, owner: str = ""
) -> ColumnMapping:
    """Keep (or replace) the mapping confirmed for this header row (`owner`'s own, for an update log); the caller
    commits (it is part of a load)."""
    key = header_key(header)
    q = select(ColumnMapping).where(
        col(ColumnMapping.kind) == kind, col(ColumnMapping.owner) == owner, col(ColumnMapping.header_key) == key
    )
    m = session.exec(q).scalars().first() or ColumnMapping(  # type: ignore[call-overload]
        kind=kind, header_key=key, owner=owner
    )
    m.header = [" ".join(text(c).split()) for c in header]
    m.mapping = dict(mapping)
    m.saved_by = saved_by[:254]
    m.saved_at = utcnow()
    session.add(m)
    session.flush()
    return m
