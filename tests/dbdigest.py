"""What a database holds, table by table, to check that an operation changed exactly what it should.

`snapshot(url)` reads every table (those of the schema and Alembic's) into sorted rows; `digests` gives one
SHA-256 per table over its ordered contents; `changes(before, after)` gives the rows each table gained and
lost, compared as whole rows (every column, ids included).

Example:
    >>> from tracker.db import make_engine, migrate
    >>> e = make_engine("sqlite://"); migrate(e)
    >>> snap = snapshot(e)
    >>> sorted(snap)[:3], changes(snap, snapshot(e))
    (['action', 'actionrevision', 'alembic_version'], {})
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, select

Row = tuple[tuple[str, Any], ...]
Snapshot = dict[str, list[Row]]


def _key(row: Row) -> str:
    return repr(row)


def snapshot(db: str | Engine) -> Snapshot:
    """Every table's rows as ((column, value), ...) tuples, sorted; read on a connection of its own."""
    engine = create_engine(db) if isinstance(db, str) else db
    try:
        meta = MetaData()
        meta.reflect(engine)
        out: Snapshot = {}
        with engine.connect() as conn:
            for name, table in sorted(meta.tables.items()):
                rows = [tuple(sorted(r._mapping.items())) for r in conn.execute(select(table))]
                out[name] = sorted(rows, key=_key)
        return out
    finally:
        if isinstance(db, str):
            engine.dispose()


def digests(snap: Snapshot) -> dict[str, str]:
    """One SHA-256 per table over its sorted rows."""
    return {name: hashlib.sha256("\n".join(map(_key, rows)).encode()).hexdigest() for name, rows in snap.items()}


def changes(before: Snapshot, after: Snapshot) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{table: {"added": [...], "removed": [...]}} for the tables whose digest differs (rows as dicts)."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    d0, d1 = digests(before), digests(after)
    for name in sorted(set(d0) | set(d1)):
        if d0.get(name) == d1.get(name):
            continue
        was, now = Counter(map(_key, before.get(name, []))), Counter(map(_key, after.get(name, [])))
        by_key = {_key(r): r for r in before.get(name, []) + after.get(name, [])}
        out[name] = {
            "added": [dict(by_key[k]) for k in (now - was).elements()],
            "removed": [dict(by_key[k]) for k in (was - now).elements()],
        }
    return out
