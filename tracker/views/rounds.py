"""The Rounds page: every round of the plan, where the chosen one stands, and the signed-in person's part in it.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> from tracker.auth import SYSTEM
    >>> with Session(open_engine("sqlite://")) as s:
    ...     rounds_view(session=s, actor=SYSTEM).rounds
    []
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from tracker.auth import Actor
from tracker.queries import action_refs
from tracker.rounds import RoundInfo, RoundStatus, expected_by_default, list_rounds, round_status


@dataclass(frozen=True)
class RoundsView:
    """What the Rounds page shows: the rounds (newest first), the chosen one's status, what the signed-in lead
    still owes it, and for a new round the plan's refs and those it would expect by default."""

    rounds: list[RoundInfo]
    status: RoundStatus | None
    mine: tuple[str, ...]  # the actor's actions the chosen round expects
    my_outstanding: tuple[str, ...]
    refs: list[str]  # every action of the current plan not withdrawn
    suggested: list[str]

    @property
    def open_rounds(self) -> list[RoundInfo]:
        return [r for r in self.rounds if r.is_open]


def default_round(rounds: list[RoundInfo]) -> RoundInfo | None:
    """The round the page opens on: the newest open one, else the newest.

    Example:
        >>> default_round([]) is None
        True
    """
    return next((r for r in rounds if r.is_open), rounds[0] if rounds else None)


def rounds_view(*, session: Session, actor: Actor, name: str | None = None, today: date | None = None) -> RoundsView:
    """The page's content for `actor`, with the round called `name` chosen (default: `default_round`).

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     rounds_view(session=s, actor=SYSTEM).status is None
        True
    """
    today = today or date.today()
    rounds = list_rounds(session=session)
    chosen = next((r for r in rounds if r.name == name), None) or default_round(rounds)
    status = round_status(session=session, name=chosen.name, today=today) if chosen else None
    mine = tuple(a.ref for a in status.actions if a.ref in actor.owns) if status else ()
    outstanding = tuple(a.ref for a in status.outstanding if a.ref in actor.owns) if status else ()
    refs = action_refs(session=session)
    suggested = expected_by_default(session=session, today=today) if actor.can("manage_rounds") else []
    return RoundsView(
        rounds=rounds, status=status, mine=mine, my_outstanding=outstanding, refs=refs, suggested=suggested
    )
