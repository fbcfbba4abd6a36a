"""Update rounds: the coordinator asks every lead for progress by a date, sees who has reported, reminds the rest.

A round has a name, a first day (`start`), a due date and perhaps a meeting date, and the actions it expects to
hear about (by default every action not complete or withdrawn when it opens). An action has reported when a
progress update dated within the round (`start`..`due`, both included) was loaded for it. Administrators open,
close and remind; everyone may read a round. Reminders go by mail (`tracker.mail`): one per lead with anything
outstanding, naming each outstanding action, with the lead's update template pre-filled for exactly those.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     list_rounds(session=s)
    []
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from tracker import audit
from tracker.auth import Actor
from tracker.config import get_settings
from tracker.db import begin_write
from tracker.mail import MailError, MailServer, connect, default_sender
from tracker.models import Action, ProgressUpdate, Round, RoundAction, RoundCreate, RoundReminder, User, UserAction
from tracker.plans import current_plan
from tracker.queries import action_refs, latest_updates, list_actions
from tracker.text import day, listing, plural

RoundState = Literal["reported", "awaiting", "overdue", "missed"]
# How each state reads, so it never rests on colour: a symbol and words.
STATE_SYMBOLS: dict[RoundState, str] = {"reported": "✔", "awaiting": "○", "overdue": "✕", "missed": "✕"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RoundError(ValueError):
    """A round operation the user asked for that cannot be done (a duplicate name, a due date before the start,
    an unknown ref, a closed round); the message says why."""


class RoundNotFound(RoundError):
    """No round by that name (or no open round) in the current plan."""


# --- what a round is and where it stands ------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInfo:
    """A round as listed: its dates, who opened and closed it, and how many of its actions have reported."""

    id: int
    name: str
    start: date
    due: date
    meeting: date | None
    opened_by: str
    opened_at: datetime | None
    closed_by: str
    closed_at: datetime | None
    expected: int
    reported: int

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def label(self) -> str:
        """'January 2020 (due 24 Jan 2020)', '… closed' for a closed round."""
        return f"{self.name} (due {day(self.due)}{'' if self.is_open else ', closed'})"

    @property
    def dates(self) -> str:
        """'updates dated 1 Jan 2020 to 24 Jan 2020, for the meeting on 31 Jan 2020'."""
        meeting = f", for the meeting on {day(self.meeting)}" if self.meeting else ""
        return f"updates dated {day(self.start)} to {day(self.due)}{meeting}"


@dataclass(frozen=True)
class ActionReport:
    """One expected action in a round: its leads, whether it has reported, and its latest update as the round saw
    it (up to today for an open round, up to the day it closed for a closed one)."""

    ref: str
    activity: str
    leads: tuple[str, ...]
    reported: bool
    reported_on: date | None  # the first update dated within the round
    last_update: date | None
    status: str | None  # the latest update's status words
    percent_complete: int | None
    state: RoundState

    @property
    def state_text(self) -> str:
        """'✔ Reported 14 Jan 2020', '✕ Overdue', '○ Awaiting', '✕ Not reported'."""
        words = {
            "reported": f"Reported {day(self.reported_on)}",
            "awaiting": "Awaiting",
            "overdue": "Overdue",
            "missed": "Not reported",
        }[self.state]
        return f"{STATE_SYMBOLS[self.state]} {words}"


@dataclass(frozen=True)
class LeadReport:
    """One lead in a round: their expected actions, which are outstanding, and when they were last reminded."""

    email: str
    name: str
    refs: tuple[str, ...]
    outstanding: tuple[str, ...]
    last_reminded: datetime | None
    state: RoundState

    @property
    def state_text(self) -> str:
        """'✔ All reported', '✕ Overdue: D2, V2', '○ Awaiting: D2'."""
        if self.state == "reported":
            return f"{STATE_SYMBOLS['reported']} All reported"
        words = {"awaiting": "Awaiting", "overdue": "Overdue", "missed": "Not reported"}[self.state]
        return f"{STATE_SYMBOLS[self.state]} {words}: {', '.join(self.outstanding)}"


@dataclass(frozen=True)
class RoundStatus:
    """Where a round stands on `as_of`: per action and per lead."""

    round: RoundInfo
    as_of: date
    actions: list[ActionReport]
    leads: list[LeadReport]

    @property
    def outstanding(self) -> list[ActionReport]:
        return [a for a in self.actions if not a.reported]

    @property
    def unled(self) -> list[str]:
        """Refs of outstanding actions with no lead to remind."""
        return [a.ref for a in self.outstanding if not a.leads]

    @property
    def summary(self) -> str:
        """'4 of 6 actions reported; outstanding, overdue since 24 Jan 2020: D2 and V2.'"""
        r, n = self.round, len(self.actions)
        done = f"{len(self.actions) - len(self.outstanding)} of {plural(n, 'action')} reported"
        if not self.outstanding:
            return f"{done}: every expected action has reported."
        refs = listing([a.ref for a in self.outstanding], limit=8)
        if not r.is_open:
            when = f"not reported when the round closed on {day(r.closed_at)}"
        elif self.as_of > r.due:
            when = f"outstanding, overdue since {day(r.due)}"
        else:
            when = f"outstanding, due by {day(r.due)}"
        return f"{done}; {when}: {refs}."

    def action_rows(self) -> list[dict[str, str]]:
        """The per-action table as the Rounds page shows it."""
        return [
            {
                "Ref": a.ref,
                "State": a.state_text,
                "Leads": ", ".join(a.leads) or "no lead assigned",
                "Latest update": day(a.last_update) if a.last_update else "none yet",
                "Status": (a.status or "").capitalize() + (f", {a.percent_complete}%" if a.percent_complete else ""),
                "Activity": a.activity,
            }
            for a in self.actions
        ]

    def lead_rows(self) -> list[dict[str, str]]:
        """The per-lead table as the Rounds page shows it."""
        return [
            {
                "Lead": f"{lead.name} ({lead.email})" if lead.name else lead.email,
                "State": lead.state_text,
                "Actions": ", ".join(lead.refs),
                "Reported": f"{len(lead.refs) - len(lead.outstanding)} of {len(lead.refs)}",
                "Last reminded": day(lead.last_reminded) if lead.last_reminded else "never",
            }
            for lead in self.leads
        ]


# --- reading rounds -----------------------------------------------------------------------------------------


def _round_info(session: Session, rows: list[Round]) -> list[RoundInfo]:
    ids = [r.id for r in rows]
    expected: dict[int, int] = {}
    reported: dict[int, int] = {}
    if ids:
        q = select(col(RoundAction.round_id), func.count()).where(col(RoundAction.round_id).in_(ids))
        expected = dict(session.exec(q.group_by(col(RoundAction.round_id))).all())  # type: ignore[call-overload]
        # Counted in SQL: an expected action with at least one update dated within its round.
        hit = (
            select(col(RoundAction.round_id), func.count(func.distinct(col(RoundAction.action_id))))
            .join(Round, col(Round.id) == col(RoundAction.round_id))
            .join(ProgressUpdate, col(ProgressUpdate.action_id) == col(RoundAction.action_id))
            .where(
                col(RoundAction.round_id).in_(ids),
                col(ProgressUpdate.as_of) >= col(Round.start),
                col(ProgressUpdate.as_of) <= col(Round.due),
            )
            .group_by(col(RoundAction.round_id))
        )
        reported = dict(session.exec(hit).all())  # type: ignore[call-overload]
    return [
        RoundInfo(
            id=int(r.id or 0),
            name=r.name,
            start=r.start,
            due=r.due,
            meeting=r.meeting,
            opened_by=r.opened_by,
            opened_at=r.opened_at,
            closed_by=r.closed_by,
            closed_at=r.closed_at,
            expected=expected.get(int(r.id or 0), 0),
            reported=reported.get(int(r.id or 0), 0),
        )
        for r in rows
    ]


def _plan_rounds(session: Session, plan_id: int | None = None) -> list[Round]:
    if plan_id is None:
        plan = current_plan(session=session)
        if plan is None:
            return []
        plan_id = plan.id
    q = select(Round).where(col(Round.plan_id) == plan_id).order_by(col(Round.start).desc(), col(Round.id).desc())
    return list(session.exec(q).scalars())  # type: ignore[call-overload]


def list_rounds(*, session: Session, plan_id: int | None = None) -> list[RoundInfo]:
    """The current (or given) plan's rounds, newest first, each with its expected and reported counts.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     list_rounds(session=s)
        []
    """
    return _round_info(session, _plan_rounds(session, plan_id))


def _find(session: Session, name: str | None) -> Round:
    rounds = _plan_rounds(session)
    if name is None:
        open_ = [r for r in rounds if r.closed_at is None]
        if not open_:
            raise RoundNotFound(
                "no round is open: open one (python -m tracker round open NAME --from YYYY-MM-DD --due YYYY-MM-DD, "
                "or the Rounds page), or name a round"
            )
        return open_[0]
    wanted = " ".join(name.split()).casefold()
    for r in rounds:
        if " ".join(r.name.split()).casefold() == wanted:
            return r
    known = ", ".join(f"'{r.name}'" for r in rounds[:6]) or "none yet"
    raise RoundNotFound(f"no round called '{name}' in the current plan (rounds: {known})")


def find_round(*, session: Session, name: str | None = None) -> RoundInfo:
    """The round called `name` (case and spacing aside) in the current plan, or the newest open round; raises
    RoundNotFound saying which rounds there are.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     find_round(session=s)
        Traceback (most recent call last):
        ...
        tracker.rounds.RoundNotFound: no round is open: open one (python -m tracker round open NAME --from \
YYYY-MM-DD --due YYYY-MM-DD, or the Rounds page), or name a round
    """
    return _round_info(session, [_find(session, name)])[0]


def round_status(*, session: Session, name: str | None = None, today: date | None = None) -> RoundStatus:
    """Where the round (default: the newest open one) stands: each expected action and each lead.

    An open round is seen as of `today` (default: today); a closed one as of the day it closed (its states say
    "not reported" rather than "overdue", and its latest updates are those up to that day). An update loaded
    after the close but dated within the round still counts: the round asks what happened in its dates, and a
    late file is how a lead answers it. Overdue means not reported, the due date past, and the round still open.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     round_status(session=s, name="January 2020")
        Traceback (most recent call last):
        ...
        tracker.rounds.RoundNotFound: no round called 'January 2020' in the current plan (rounds: none yet)
    """
    row = _find(session, name)
    info = _round_info(session, [row])[0]
    today = today or date.today()
    as_of = info.closed_at.date() if info.closed_at is not None else today
    ids = list(session.exec(select(col(RoundAction.action_id)).where(col(RoundAction.round_id) == info.id)).scalars())  # type: ignore[call-overload]
    actions = {
        a.id: a
        for a in session.exec(select(Action).where(col(Action.id).in_(ids)).order_by(col(Action.position))).scalars()  # type: ignore[call-overload]
    }
    first_in_round: dict[int, date] = dict(
        session.exec(  # type: ignore[call-overload]
            select(col(ProgressUpdate.action_id), func.min(col(ProgressUpdate.as_of)))
            .where(
                col(ProgressUpdate.action_id).in_(ids),
                col(ProgressUpdate.as_of) >= info.start,
                col(ProgressUpdate.as_of) <= info.due,
            )
            .group_by(col(ProgressUpdate.action_id))
        ).all()
    )
    latest = latest_updates(session=session, plan_id=row.plan_id, as_of=max(as_of, info.due))
    leads = _leads(session, ids)
    late = info.is_open and today > info.due

    def state(reported: bool) -> RoundState:
        if reported:
            return "reported"
        if not info.is_open:
            return "missed"
        return "overdue" if late else "awaiting"

    reports = []
    for aid, a in actions.items():
        up = latest.get(int(aid or 0))
        reported = aid in first_in_round
        reports.append(
            ActionReport(
                ref=a.ref,
                activity=_first_line(a.activity),
                leads=tuple(email for email, _ in leads.get(int(aid or 0), [])),
                reported=reported,
                reported_on=first_in_round.get(int(aid or 0)),
                last_update=up.as_of if up else None,
                status=up.status if up else None,
                percent_complete=up.percent_complete if up else None,
                state=state(reported),
            )
        )
    return RoundStatus(round=info, as_of=as_of, actions=reports, leads=_lead_reports(session, info, reports, leads))


def _leads(session: Session, action_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(email, name) of the leads of each action, by action id."""
    q = (
        select(col(UserAction.action_id), col(User.email), col(User.name))
        .join(User, col(User.id) == col(UserAction.user_id))
        .where(col(UserAction.action_id).in_(action_ids), col(User.role) == "lead")
        .order_by(col(User.email))
    )
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for aid, email, name in session.exec(q).all():  # type: ignore[call-overload]
        out[aid].append((email, name))
    return out


def _lead_reports(
    session: Session, info: RoundInfo, reports: list[ActionReport], leads: dict[int, list[tuple[str, str]]]
) -> list[LeadReport]:
    names = {email: name for pairs in leads.values() for email, name in pairs}
    reminded: dict[str, datetime] = dict(
        session.exec(  # type: ignore[call-overload]
            select(col(RoundReminder.email), func.max(col(RoundReminder.sent_at)))
            .where(col(RoundReminder.round_id) == info.id)
            .group_by(col(RoundReminder.email))
        ).all()
    )
    by_lead: dict[str, list[ActionReport]] = defaultdict(list)
    for a in reports:
        for email in a.leads:
            by_lead[email].append(a)
    out = []
    for email in sorted(by_lead):
        mine = by_lead[email]
        outstanding = tuple(a.ref for a in mine if not a.reported)
        worst: RoundState = next((a.state for a in mine if not a.reported), "reported")
        out.append(
            LeadReport(
                email=email,
                name=names.get(email, ""),
                refs=tuple(a.ref for a in mine),
                outstanding=outstanding,
                last_reminded=reminded.get(email),
                state=worst,
            )
        )
    # Those with something outstanding first: they are who the coordinator is chasing.
    return sorted(out, key=lambda lead: (not lead.outstanding, lead.email))


def _first_line(text: str, limit: int = 160) -> str:
    line = next((s.strip(" •-*\t") for s in text.splitlines() if s.strip(" •-*\t")), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# --- opening and closing ------------------------------------------------------------------------------------


def _open_refs(session: Session, plan_id: int, today: date) -> list[str]:
    """The refs of the plan's actions neither withdrawn nor complete by their latest update on `today`, in plan
    order (list_actions has both, from one light query)."""
    return [
        a.ref
        for a in list_actions(session=session, plan_id=plan_id, include_withdrawn=False, as_of=today)
        if a.status != "complete"
    ]


def _still_open(session: Session, plan_id: int, acts: list[Action], today: date) -> list[Action]:
    """Those of the plan's actions `acts` that `_open_refs` names, in plan order."""
    still = set(_open_refs(session, plan_id, today))
    return sorted((a for a in acts if a.ref in still), key=lambda a: a.position)


def expected_by_default(*, session: Session, today: date | None = None) -> list[str]:
    """The refs a round opened now would expect unless told otherwise: every action of the current plan that is
    neither withdrawn nor complete.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     expected_by_default(session=s)
        []
    """
    plan = current_plan(session=session)
    if plan is None or plan.id is None:
        return []
    return _open_refs(session, plan.id, today or date.today())


def open_round(
    *,
    session: Session,
    actor: Actor,
    name: str,
    start: date,
    due: date,
    meeting: date | None = None,
    refs: list[str] | None = None,
    today: date | None = None,
    at: datetime | None = None,
) -> RoundInfo:
    """Open a round in the current plan (administrators only); the caller commits.

    `refs` are the actions expected to report; by default every action that is neither withdrawn nor complete
    by its latest update on `today` (default: today). `at` is the round's opening time (default: now; the demo
    dates its rounds in the past); the audit event is always stamped when it is recorded. RoundError says what
    is wrong with the request.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     open_round(session=s, actor=SYSTEM, name="Q1", start=date(2020, 1, 1), due=date(2020, 1, 24))
        Traceback (most recent call last):
        ...
        tracker.rounds.RoundError: no action plan is loaded: load the plan before opening a round
    """
    audit.require_logged(session, actor, "manage_rounds", name)
    name = " ".join(name.split())
    if not name:
        raise RoundError("a round needs a name, e.g. 'January 2020'")
    if len(name) > 120:
        raise RoundError(f"the name is {len(name)} characters long: at most 120")
    if due < start:
        raise RoundError(f"the due date {day(due)} is before the round's first day {day(start)}")
    if meeting is not None and meeting < due:
        raise RoundError(f"the meeting on {day(meeting)} is before the due date {day(due)}")
    plan = current_plan(session=session)
    if plan is None or plan.id is None:
        raise RoundError("no action plan is loaded: load the plan before opening a round")
    data = RoundCreate(name=name, start=start, due=due, meeting=meeting, refs=refs)
    acts = list(session.exec(select(Action).where(col(Action.plan_id) == plan.id)).scalars())  # type: ignore[call-overload]
    by_ref = {a.ref.casefold(): a for a in acts}
    if data.refs is not None:
        wanted = [r.strip() for r in data.refs if r.strip()]
        if not wanted:  # named, but none given (--actions ','): not 'every action is complete'
            raise RoundError("no actions named: name the actions the round expects, e.g. D1,D2")
        unknown = [r for r in wanted if r.casefold() not in by_ref]
        if unknown:
            raise RoundError(f"no action {', '.join(unknown)} in the current plan")
        withdrawn = [by_ref[r.casefold()].ref for r in wanted if by_ref[r.casefold()].withdrawn]
        if withdrawn:
            raise RoundError(f"{', '.join(withdrawn)} {'is' if len(withdrawn) == 1 else 'are'} withdrawn")
        # Once each, by id: a table model is not hashable (dict.fromkeys over actions raised TypeError).
        chosen = list({a.id: a for a in (by_ref[r.casefold()] for r in wanted)}.values())
    else:
        chosen = _still_open(session, plan.id, acts, today or date.today())
    if not chosen:
        raise RoundError("every action is complete or withdrawn: name the actions the round expects (--actions)")
    chosen.sort(key=lambda a: a.position)
    taken = select(col(Round.id)).where(col(Round.plan_id) == plan.id, func.lower(col(Round.name)) == name.lower())
    if session.exec(taken).first() is not None:  # type: ignore[call-overload]
        raise RoundError(f"there is already a round called '{name}' in this plan: choose another name")
    row = Round(
        name=name,
        start=start,
        due=due,
        meeting=meeting,
        plan_id=plan.id,
        opened_by=actor.email[:254],
        opened_at=at or datetime.now().astimezone(),
    )
    try:
        # A savepoint: the same name opened by someone else a moment ago fails here (on the unique index), not
        # the caller's whole transaction.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise RoundError(f"there is already a round called '{name}' in this plan: choose another name") from None
    for a in chosen:
        session.add(RoundAction(round_id=int(row.id or 0), action_id=int(a.id or 0)))
    refs_text = ", ".join(a.ref for a in chosen)
    audit.record(
        session,
        actor,
        "round_opened",
        name,
        after=f"due {day(due)}",
        detail=f"{day(start)} to {day(due)}"
        + (f"; meeting {day(meeting)}" if meeting else "")
        + f"; expects {refs_text}",
    )
    session.flush()
    return _round_info(session, [row])[0]


def close_round(*, session: Session, actor: Actor, name: str | None = None, at: datetime | None = None) -> RoundInfo:
    """Close the round (default: the newest open one); administrators only, the caller commits.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     close_round(session=s, actor=SYSTEM)
        Traceback (most recent call last):
        ...
        tracker.rounds.RoundNotFound: no round is open: open one (python -m tracker round open NAME --from \
YYYY-MM-DD --due YYYY-MM-DD, or the Rounds page), or name a round
    """
    audit.require_logged(session, actor, "manage_rounds", name or "")
    row = _find(session, name)
    info = _round_info(session, [row])[0]
    when = at or datetime.now().astimezone()
    # Closed in one UPDATE that only an open round matches: of two administrators closing it at once, one does.
    done = session.execute(
        update(Round)
        .where(col(Round.id) == row.id, col(Round.closed_at).is_(None))
        .values(closed_at=when, closed_by=actor.email[:254])
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise RoundError(f"the round '{row.name}' was closed on {day(row.closed_at)} by {row.closed_by or 'someone'}")
    audit.record(
        session, actor, "round_closed", row.name, before="open", after="closed",
        detail=f"{info.reported} of {info.expected} expected actions reported",
    )  # fmt: skip
    session.flush()
    session.refresh(row)
    return _round_info(session, [row])[0]


# --- templates and reminders --------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40] or "round"


def round_template(*, session: Session, refs: list[str], round_name: str) -> tuple[str, bytes]:
    """The update template pre-filled with exactly `refs` (every ref of the plan in its drop-down), as
    (filename, bytes): what a lead needs for the actions a round is waiting on.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     round_template(session=s, refs=["D2", "V2"], round_name="January 2020")[0]
        'update_January_2020_D2_V2.xlsx'
    """
    from tracker.templates import updates_template

    every = action_refs(session=session)
    name = f"update_{_slug(round_name)}_{_slug('_'.join(refs))}.xlsx"
    return name, updates_template(refs=every or refs, prefill=refs)


@dataclass(frozen=True)
class LeadRound:
    """A lead's part in the newest open round that expects anything of them (Home and Upload show it)."""

    round: RoundInfo
    refs: tuple[str, ...]  # their actions the round expects
    outstanding: tuple[str, ...]
    overdue: bool

    @property
    def text(self) -> str:
        """'Round January 2020: 3 of your actions due by 24 Jan 2020 (D1, D2 and V2).'"""
        r = self.round
        if not self.outstanding:
            return f"Round {r.name}: {_yours(len(self.refs), len(self.refs))} reported. Thank you."
        refs = listing(list(self.outstanding), limit=8)
        late = "overdue, was due" if self.overdue else "due"
        return f"Round {r.name}: {_yours(len(self.outstanding), len(self.refs))} {late} by {day(r.due)} ({refs})."


def _yours(n: int, of: int) -> str:
    """'your action', 'your 2 actions', '2 of your 3 actions'."""
    if n == of:
        return "your action" if n == 1 else f"your {n} actions"
    return f"{n} of your {of} actions"


def lead_round(*, session: Session, actor: Actor, today: date | None = None) -> LeadRound | None:
    """What the newest open round expects of `actor` (a lead, by the actions they own), or None.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     lead_round(session=s, actor=Actor("l@uni.ac.uk", "lead", frozenset({"D1"})))
    """
    if not actor.owns:
        return None
    today = today or date.today()
    for row in _plan_rounds(session):
        if row.closed_at is not None:
            continue
        status = round_status(session=session, name=row.name, today=today)
        mine = [a for a in status.actions if a.ref in actor.owns]
        if mine:
            return LeadRound(
                round=status.round,
                refs=tuple(a.ref for a in mine),
                outstanding=tuple(a.ref for a in mine if not a.reported),
                overdue=today > status.round.due,
            )
    return None


@dataclass(frozen=True)
class Reminder:
    """One reminder: to one lead, for their outstanding actions in one round, with their template attached."""

    round: str
    to: str
    name: str
    refs: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachment_name: str
    attachment: bytes
    reminded_today: datetime | None  # a reminder for this round already went to this lead today: not sent again

    def message(self, *, sender: str, reply_to: str = "") -> EmailMessage:
        """The email: plain text and HTML, the template attached.

        Example:
            >>> r = Reminder("Q1", "l@uni.ac.uk", "Lee", ("D1",), "Due", "Hello", "<p>Hello</p>", "t.xlsx", b"PK", None)
            >>> m = r.message(sender="tracker@uni.ac.uk", reply_to="tc@uni.ac.uk")
            >>> m["To"], m["Reply-To"], [p.get_content_type() for p in m.walk()][1:]
            ('Lee <l@uni.ac.uk>', 'tc@uni.ac.uk', ['multipart/alternative', 'text/plain', 'text/html', \
'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'])
        """
        msg = EmailMessage()
        msg["Subject"] = self.subject
        msg["From"] = formataddr(("Technician Commitment Tracker", sender))
        msg["To"] = formataddr((self.name, self.to))
        if reply_to:
            msg["Reply-To"] = reply_to
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or None)
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        main, sub = XLSX.split("/")
        msg.add_attachment(self.attachment, maintype=main, subtype=sub, filename=self.attachment_name)
        return msg


def _one_line(text: str) -> str:
    """A person's name or a plan's words made safe for a mail header: one line, no control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:200]


def reminders(
    *, session: Session, actor: Actor, name: str | None = None, today: date | None = None
) -> tuple[RoundStatus, list[Reminder]]:
    """The reminders the round (default: the newest open one) would send now, one per lead with anything
    outstanding, for a preview or a dry run; nothing is sent or written. Administrators only.

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:
        ...     reminders(session=s, actor=SYSTEM)
        Traceback (most recent call last):
        ...
        tracker.rounds.RoundNotFound: no round is open: open one (python -m tracker round open NAME --from \
YYYY-MM-DD --due YYYY-MM-DD, or the Rounds page), or name a round
    """
    audit.require_logged(session, actor, "manage_rounds", name or "")
    today = today or date.today()
    status = round_status(session=session, name=name, today=today)
    info = status.round
    if not info.is_open:
        raise RoundError(f"the round '{info.name}' is closed ({day(info.closed_at)}): reminders go for open rounds")
    settings = get_settings()
    plan = current_plan(session=session)
    who = _one_line(settings.institution or (plan.institution if plan else ""))
    signer = _one_line(actor.name) if actor.name and "@" in actor.email else "The Technician Commitment coordinator"
    link = f"{settings.public_url}/upload" if settings.public_url else ""
    sent_today: dict[str, datetime] = dict(
        session.exec(  # type: ignore[call-overload]
            select(col(RoundReminder.email), func.max(col(RoundReminder.sent_at)))
            .where(col(RoundReminder.round_id) == info.id, col(RoundReminder.sent_on) == today)
            .group_by(col(RoundReminder.email))
        ).all()
    )
    by_ref = {a.ref: a for a in status.actions}
    out = []
    for lead in status.leads:
        if not lead.outstanding:
            continue  # never a reminder to a lead who has reported everything
        items = [by_ref[r] for r in lead.outstanding]
        filename, data = round_template(session=session, refs=list(lead.outstanding), round_name=info.name)
        text, body = _bodies(info, items, name=_one_line(lead.name), who=who, signer=signer, link=link, today=today)
        late = today > info.due
        refs = ", ".join(lead.outstanding)
        subject = f"{info.name}: Technician Commitment update for {refs} {'was due' if late else 'due'} {day(info.due)}"
        out.append(
            Reminder(
                round=info.name,
                to=lead.email,
                name=_one_line(lead.name),
                refs=lead.outstanding,
                subject=_one_line(subject),
                text=text,
                html=body,
                attachment_name=filename,
                attachment=data,
                reminded_today=sent_today.get(lead.email),
            )
        )
    return status, out


def _bodies(
    info: RoundInfo, items: list[ActionReport], *, name: str, who: str, signer: str, link: str, today: date
) -> tuple[str, str]:
    """The reminder's plain text and HTML, saying the same."""
    one = len(items) == 1
    meeting = f", ahead of the working-group meeting on {day(info.meeting)}" if info.meeting else ""
    late = " The due date has passed: please send it as soon as you can." if today > info.due else ""
    ask = (
        f'The update round "{info.name}" asks for a progress update on '
        f"{'your action below' if one else 'each of your actions below'} by {day(info.due)}{meeting}.{late}"
    )

    def seen(a: ActionReport) -> str:
        if a.last_update is None:
            return "no update yet"
        pct = f", {a.percent_complete}%" if a.percent_complete is not None else ""
        return f"last update {day(a.last_update)}: {(a.status or '').capitalize()}{pct}"

    how = (
        f"Your update template is attached, with {'this action' if one else 'these actions'} filled in. On the "
        "Progress sheet add the date, the status, % complete and a short note; put any evidence of impact on the "
        "Evidence sheet."
    )
    where = "Then upload it on the tracker's Upload page" + (f": {link}" if link else ".")
    counts = f"Updates dated {day(info.start)} to {day(info.due)} count for this round."
    team = f"{who} Technician Commitment" if who else "Technician Commitment"
    lines = [f"Dear {name or 'colleague'},", "", ask, ""]
    lines += [f"  {a.ref}: {_one_line(a.activity)} ({seen(a)})" for a in items]
    lines += ["", how, where, "", counts, "", "Thank you,", signer, team, ""]
    text = "\n".join(lines)
    e = html.escape
    link_html = f': <a href="{e(link)}">{e(link)}</a>' if link else "."
    items_html = "".join(
        f"<li><strong>{e(a.ref)}</strong>: {e(_one_line(a.activity))} ({e(seen(a))})</li>" for a in items
    )
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{e(info.name)}</title></head><body>"
        f"<p>Dear {e(name or 'colleague')},</p><p>{e(ask)}</p><ul>{items_html}</ul>"
        f"<p>{e(how)} Then upload it on the tracker's Upload page{link_html}</p>"
        f"<p>{e(counts)}</p><p>Thank you,<br>{e(signer)}<br>{e(team)}</p></body></html>"
    )
    return text, body


@dataclass(frozen=True)
class RemindResult:
    """What `send_reminders` did: sent, not sent because the lead was reminded today already, failed (with why)."""

    round: RoundInfo
    sent: list[Reminder]
    skipped: list[Reminder]
    failed: list[tuple[Reminder, str]]
    unled: list[str]  # outstanding actions with no lead to remind


def send_reminders(
    *,
    session: Session,
    actor: Actor,
    name: str | None = None,
    today: date | None = None,
    server: MailServer | None = None,
) -> RemindResult:
    """Send the round's reminders through `server` (default: TRACKER_SMTP_URL); administrators only.

    One email per lead with anything outstanding, none to a lead already reminded for this round today. Each
    reminder is recorded (a RoundReminder row and an audit event) and committed as it is sent, so this function
    commits (call it with no other pending work): a reminder the server did not take is recorded as nothing, and
    one sent before a later failure stays recorded. The once-a-day guard is the unique index on (round, lead,
    day), claimed before the email goes: of two administrators reminding at once, one sends each email.
    Raises MailError when no server is set or it cannot be reached (nothing sent, nothing recorded).

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.auth import SYSTEM
        >>> with Session(open_engine("sqlite://")) as s:  # doctest: +SKIP
        ...     send_reminders(session=s, actor=SYSTEM, server=MailServer.parse("smtp://127.0.0.1:2525")).sent
        [Reminder(round='January 2020', to='cop.lead@uni.ac.uk', ...)]
    """
    today = today or date.today()
    status, planned = reminders(session=session, actor=actor, name=name, today=today)
    settings = get_settings()
    server = server or MailServer.parse(settings.smtp_url)
    sender = settings.mail_from or default_sender()
    reply_to = settings.reply_to or (actor.email if "@" in actor.email else "")
    session.commit()  # the reads above end here: each reminder below is a transaction of its own
    sent: list[Reminder] = []
    skipped = [r for r in planned if r.reminded_today is not None]
    failed: list[tuple[Reminder, str]] = []
    due = [r for r in planned if r.reminded_today is None]
    if due:
        with connect(server) as mailer:
            for r in due:
                begin_write(session)
                try:
                    with session.begin_nested():
                        session.add(
                            RoundReminder(
                                round_id=status.round.id,
                                email=r.to,
                                sent_on=today,
                                sent_by=actor.email[:254],
                                refs=list(r.refs),
                            )
                        )
                        session.flush()
                except IntegrityError:  # another administrator's reminder to this lead went a moment ago
                    session.rollback()
                    skipped.append(r)
                    continue
                try:
                    mailer.send(r.message(sender=sender, reply_to=reply_to))
                except MailError as exc:
                    session.rollback()  # not sent: not recorded
                    failed.append((r, str(exc)))
                    continue
                audit.record(
                    session,
                    actor,
                    "reminder_sent",
                    r.to,
                    after=", ".join(r.refs),
                    detail=f"round {status.round.name}; due {day(status.round.due)}; through {server.shown}",
                )
                session.commit()
                sent.append(r)
    return RemindResult(round=status.round, sent=sent, skipped=skipped, failed=failed, unled=status.unled)
