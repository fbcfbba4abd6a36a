"""The demo data set: UCL's 2018 plan as published, synthetic HR extracts, two years of updates, and an update
round for each quarterly updates file (closed) plus one open round that nobody has answered yet, and the seed's
ten working-group members (data/demo/working_group.xlsx, laid out as the self-assessment prints them).

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session
    >>> with Session(open_engine("sqlite://")) as s:
    ...     counts = load_demo(session=s)
    >>> counts["plan"], counts["workforce"] >= 3, counts["updates"] >= 8
    (1, True, True)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session

from tracker.auth import SYSTEM
from tracker.config import ROOT
from tracker.load import LoadOutcome, load_file
from tracker.rounds import close_round, open_round
from tracker.users import add_user, set_password

PLAN_FILE = ROOT / "plan" / "ucl_2018_action_plan.xlsx"
DEMO_DIR = ROOT / "data" / "demo"
GROUP_FILE = DEMO_DIR / "working_group.xlsx"
DEMO_ADMIN = "admin@demo.ac.uk"
# One account per role; the leads own the actions whose updates they send in the demo files.
DEMO_USERS = [
    ("admin@demo.ac.uk", "Demo Administrator", "admin", []),
    ("board@demo.ac.uk", "Demo Board Member", "board", []),
    ("viewer@demo.ac.uk", "Demo Working-Group Member", "viewer", []),
    ("skills.lead@demo.ac.uk", "Skills Mapping Lead", "lead", ["U1"]),
    ("cop.lead@demo.ac.uk", "Communities of Practice Lead", "lead", ["D1"]),
    ("careers.lead@demo.ac.uk", "Career Pathways Lead", "lead", ["D2"]),
    ("apprentices.lead@demo.ac.uk", "Apprenticeships Lead", "lead", ["D3"]),
    ("recognition.lead@demo.ac.uk", "Professional Recognition Lead", "lead", ["V1"]),
    ("events.lead@demo.ac.uk", "Conference and Awards Lead", "lead", ["V2"]),
]


class DemoError(RuntimeError):
    """A demo file did not load: the demo data and the importer disagree."""


def demo_files() -> list[tuple[str, Path]]:
    """(kind, path) for every demo file in load order."""
    files = [("plan", PLAN_FILE)]
    files += [("workforce", p) for p in sorted(DEMO_DIR.glob("hr_*.xlsx"))]
    files += [("updates", p) for p in sorted(DEMO_DIR.glob("updates_*.xlsx"))]
    files.append(("group", GROUP_FILE))
    return files


def load_demo(*, session: Session, today: date | None = None) -> dict[str, int]:
    """Load every demo file and create the demo users; returns files loaded per kind."""
    counts = {"plan": 0, "workforce": 0, "updates": 0, "group": 0}
    for kind, path in demo_files():
        out: LoadOutcome = load_file(path, session=session, kind=kind, uploaded_by=DEMO_ADMIN, today=today)
        if out.outcome == "rejected":
            lines = out.result.issue_lines()[:5] if out.result else []
            raise DemoError(f"demo file {path.name} was rejected: " + "; ".join(lines))
        counts[kind] += 1
        if kind == "updates":
            _demo_round(session, path.stem.removeprefix("updates_"), close=True)
        if kind == "plan":
            for email, name, role, refs in DEMO_USERS:
                add_user(session=session, email=email, name=name, role=role, actions=refs)
            session.commit()
    # The round the coordinator has open now: after the plan's last quarterly round, and nobody has reported yet.
    _demo_round(session, OPEN_ROUND, close=False)
    session.commit()
    return counts


# Each demo round runs from the 1st of its month to the 24th, for a working-group meeting a week later.
ROUND_DUE_DAY, OPEN_ROUND = 24, "2020-11"


def _demo_round(session: Session, month: str, *, close: bool) -> None:
    """One update round of the demo, as an administrator would have opened (and closed) it at the time."""
    year, mm = (int(x) for x in month.split("-"))
    start = date(year, mm, 1)
    due = date(year, mm, ROUND_DUE_DAY)
    meeting = due + timedelta(days=7)
    admin = SYSTEM  # the command line builds the demo: its log says so, as for the demo files it loads
    name = f"{start:%B %Y}"
    open_round(
        session=session,
        actor=admin,
        name=name,
        start=start,
        due=due,
        meeting=meeting,
        today=start,
        at=datetime.combine(start, time(9), tzinfo=UTC),
    )
    if close:
        close_round(session=session, actor=admin, name=name, at=datetime.combine(meeting, time(17), tzinfo=UTC))
    session.commit()


def set_demo_passwords(*, session: Session) -> dict[str, str]:
    """Give every demo account a freshly generated password and return them, to be shown once.

    Nothing fixed lives in the code: each database gets its own passwords.
    """
    out = {}
    for email, *_ in DEMO_USERS:
        password = set_password(session=session, email=email)
        assert password is not None
        out[email] = password
    session.commit()
    return out
