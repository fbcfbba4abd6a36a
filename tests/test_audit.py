"""tracker.audit: counting and listing agree under every filter; the actors seen; administrators only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tracker.audit import audit_actions, audit_actors, count_events, list_events, record
from tracker.auth import SYSTEM, Actor, PermissionDenied

LEAD = Actor("lead@uni.ac.uk", "lead", frozenset({"D2"}))


def _fill(s: Session) -> None:
    record(s, SYSTEM, "load_plan", "plan.xlsx", detail="6 actions added", at=datetime(2026, 1, 5, 9, tzinfo=UTC))
    record(s, LEAD, "status", "D2", before="delayed", after="on track", at=datetime(2026, 2, 1, 12, tzinfo=UTC))
    record(s, LEAD, "load_updates", "d2.csv", detail="1 progress update", at=datetime(2026, 2, 1, 12, tzinfo=UTC))
    record(s, SYSTEM, "user_added", "new@uni.ac.uk", after="viewer", at=datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    s.commit()


@pytest.mark.parametrize(
    ("filters", "targets"),
    [
        ({}, ["new@uni.ac.uk", "d2.csv", "D2", "plan.xlsx"]),
        ({"who": "lead@uni.ac.uk"}, ["d2.csv", "D2"]),
        ({"action": "status"}, ["D2"]),
        ({"text": "PLAN"}, ["plan.xlsx"]),  # case-insensitive, in the target
        ({"text": "progress"}, ["d2.csv"]),  # or in the detail
        ({"since": date(2026, 2, 1)}, ["new@uni.ac.uk", "d2.csv", "D2"]),
        ({"until": date(2026, 2, 1)}, ["d2.csv", "D2", "plan.xlsx"]),  # the whole of the last day
        ({"since": date(2026, 3, 9), "until": date(2026, 3, 9)}, ["new@uni.ac.uk"]),
        ({"who": "system", "action": "status"}, []),
    ],
)
def test_count_agrees_with_the_list(engine: Engine, filters: dict[str, object], targets: list[str]) -> None:
    with Session(engine) as s:
        _fill(s)
        events = list_events(session=s, actor=SYSTEM, **filters)  # type: ignore[arg-type]
        assert [e.target for e in events] == targets
        assert count_events(session=s, actor=SYSTEM, **filters) == len(targets)  # type: ignore[arg-type]


def test_count_is_not_capped_by_the_list_limit(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        _fill(s)
        assert len(list_events(session=s, actor=SYSTEM, limit=2)) == 2
        assert count_events(session=s, actor=SYSTEM) == 4


def test_actors_and_actions_seen(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        assert audit_actors(session=s, actor=SYSTEM) == []
        _fill(s)
        assert audit_actors(session=s, actor=SYSTEM) == ["lead@uni.ac.uk", "system"]
        assert audit_actions(session=s) == ["load_plan", "load_updates", "status", "user_added"]


@pytest.mark.parametrize("role", ["viewer", "lead", "board"])
def test_only_an_administrator_reads_the_log(sqlite_engine: Engine, role: str) -> None:
    who = Actor(f"{role}@uni.ac.uk", role)
    with Session(sqlite_engine) as s:
        _fill(s)
        for fn in (list_events, count_events, audit_actors):
            with pytest.raises(PermissionDenied, match="but not read the audit log"):
                fn(session=s, actor=who)
