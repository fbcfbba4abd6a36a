"""Representation: the working group's members per faculty beside that faculty's share of technician FTE, and
the faculties with technicians but no member, in words.

The group's faculties are written by people ("MAPS", "Engineering Science", "Brian Sciences"); the HR extract's
are the names the workforce figures use. A member's faculty is matched to the latest snapshot's faculties:
exactly (case, spaces, punctuation, "&"/"and", a leading "Faculty of" and a bracketed part ignored), then as an
acronym ("MAPS" or "MPS" for Mathematical & Physical Sciences, "IOE" for "IOE (Education)"), then singular for
plural ("Engineering Science" for "Engineering Sciences"). A near spelling ("Brian Sciences") is only offered
("did you mean Brain Sciences?") and its members are not counted until an administrator corrects the faculty.

Example:
    >>> match_faculty("MAPS", ["Mathematical & Physical Sciences", "Laws"])
    FacultyMatch(written='MAPS', faculty='Mathematical & Physical Sciences', how='acronym', suggestion=None)
    >>> match_faculty("Brian Sciences", ["Brain Sciences"]).suggestion
    'Brain Sciences'
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlmodel import Session

from tracker.auth import SYSTEM, Actor
from tracker.disclosure import round5
from tracker.group import list_group
from tracker.ingest.cells import norm
from tracker.queries import workforce_by_faculty
from tracker.records import GroupMember
from tracker.views.workforce import snapshot_for, workforce_choices

MatchHow = Literal["exact", "acronym", "plural", "near", "none"]
# Words an acronym may skip ("MPS") or keep ("MAPS"), and words that say nothing about which faculty.
_SMALL = {"and", "of", "the", "for", "in"}
_PREFIXES = ("faculty of ", "school of ", "division of ", "the ")
NEAR = 0.8  # difflib ratio from which a spelling is offered as a correction


@dataclass(frozen=True)
class FacultyMatch:
    """How a faculty as written matched the HR extract's: `faculty` is the HR name counted (None when not
    matched); `suggestion` a near spelling offered, not counted."""

    written: str
    faculty: str | None
    how: MatchHow
    suggestion: str | None = None


def _key(name: str) -> str:
    """Words only: lower case, '&' as 'and', punctuation and a leading 'Faculty of' dropped."""
    k = norm(name)
    for p in _PREFIXES:
        if k.startswith(p):
            k = k[len(p) :]
    return " ".join(w for w in k.split() if w != "and")


def _unbracketed(name: str) -> str:
    """The name without its bracketed part: 'IOE (Education)' → 'IOE'."""
    out, depth = [], 0
    for ch in name:
        depth += ch == "("
        if not depth:
            out.append(ch)
        depth -= ch == ")" and depth > 0
    return "".join(out).strip() or name


def _singular(key: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in key.split())


def _acronyms(name: str) -> set[str]:
    """'Mathematical & Physical Sciences' → {'mps', 'maps'}; 'IOE (Education)' → {'ioe', 'e'}: initials with and
    without the small words, and a one-word name's own letters."""
    out: set[str] = set()
    for part in {_unbracketed(name), name}:
        words = norm(part).split()
        if not words:
            continue
        out.add("".join(w[0] for w in words if w not in _SMALL))
        out.add("".join(w[0] for w in words))
        if len(words) == 1:
            out.add(words[0])
    return {a for a in out if len(a) >= 2}


def match_faculty(written: str, faculties: Sequence[str]) -> FacultyMatch:
    """The HR faculty a member's faculty as written means, and how it was matched.

    Example:
        >>> hr = ["Engineering Sciences", "IOE (Education)", "Social & Historical Sciences"]
        >>> [(m.faculty, m.how) for m in (match_faculty(w, hr) for w in
        ...     ("engineering  sciences", "Engineering Science", "IOE", "Social and Historical Science", "Laws"))]
        [('Engineering Sciences', 'exact'), ('Engineering Sciences', 'plural'), ('IOE (Education)', 'exact'), \
('Social & Historical Sciences', 'plural'), (None, 'none')]
    """
    w = written.strip()
    if not w:
        return FacultyMatch(written, None, "none")
    keys = [(f, {_key(f), _key(_unbracketed(f))}) for f in faculties]
    wk = {_key(w), _key(_unbracketed(w))}
    for how, pick in (("exact", lambda s: s), ("plural", _singular)):
        found = [f for f, ks in keys if {pick(k) for k in ks} & {pick(k) for k in wk}]
        if len(found) == 1:
            return FacultyMatch(written, found[0], how)  # type: ignore[arg-type]
        if found:  # two faculties could be meant: offer the first, count neither
            return FacultyMatch(written, None, "near", found[0])
        if how == "exact":
            letters = norm(w).replace(" ", "")
            if " " not in norm(w) and 2 <= len(letters) <= 8:
                found = [f for f in faculties if letters in _acronyms(f)]
                if len(found) == 1:
                    return FacultyMatch(written, found[0], "acronym")
    close = difflib.get_close_matches(_key(w), [_key(f) for f in faculties], n=1, cutoff=NEAR)
    if close:
        return FacultyMatch(written, None, "near", next(f for f in faculties if _key(f) == close[0]))
    return FacultyMatch(written, None, "none")


@dataclass(frozen=True)
class RepresentationRow:
    """One faculty of the HR extract (`in_workforce`), or a faculty as members wrote it that matched none.

    `fte` is HESA-rounded unless the actor may see exact figures; `fte_share` (0–1) is from exact figures;
    `members` are the names counted here; `flagged`: technicians and no member; `suggestion`: for a faculty
    that matched none, the HR faculty it is probably a misspelling of."""

    faculty: str
    fte: int | float | None
    fte_share: float | None
    members: list[str] = field(default_factory=list)
    technicians: int = 0  # of the members, how many are technicians
    flagged: bool = False
    suggestion: str | None = None
    in_workforce: bool = True

    @property
    def text(self) -> str:
        """The row in words: 'Medical Sciences: 95 FTE, no working-group member', 'Brian Sciences: did you mean
        Brain Sciences?'."""
        if not self.in_workforce:
            who = ", ".join(self.members)
            if self.suggestion:
                return f"{self.faculty}: did you mean {self.suggestion}? ({who}; not counted until corrected)"
            return f"{self.faculty}: not a faculty in the workforce data ({who})"
        n = len(self.members)
        if not n:
            return f"{self.faculty}: {self.fte:,} FTE, no working-group member"
        return f"{self.faculty}: {self.fte:,} FTE, {n} working-group member{'' if n == 1 else 's'}"


@dataclass
class Representation:
    """The working group against the technical workforce: `rows` are the HR faculties by FTE (largest first),
    then any faculty as written that matched none. `snapshot` is the workforce snapshot used (None: no
    workforce data); `as_of` the day the group is read for."""

    as_of: date
    snapshot: date | None
    rounded: bool
    members: int = 0
    rows: list[RepresentationRow] = field(default_factory=list)
    matches: list[FacultyMatch] = field(default_factory=list)  # every faculty as written, how it matched

    @property
    def flagged(self) -> list[RepresentationRow]:
        """Faculties with technicians and no working-group member."""
        return [r for r in self.rows if r.flagged]

    @property
    def unmatched(self) -> list[RepresentationRow]:
        """Faculties as members wrote them that are not the HR extract's (with a suggestion where one is near)."""
        return [r for r in self.rows if not r.in_workforce]

    def sentences(self) -> list[str]:
        """What needs attention, in words: each flagged faculty, then each faculty that matched none."""
        return [r.text for r in self.flagged + self.unmatched]

    def table_rows(self) -> list[dict[str, object]]:
        """The table as a page shows it (column names as headings)."""
        return [
            {
                "Faculty": r.faculty,
                "Technician FTE": "" if r.fte is None else r.fte,
                "Share of FTE": "" if r.fte_share is None else f"{100 * r.fte_share:.1f}%",
                "Members": len(r.members),
                "Who": ", ".join(r.members),
                "Note": "no working-group member"
                if r.flagged
                else (f"did you mean {r.suggestion}?" if r.suggestion else "not in the workforce data")
                if not r.in_workforce
                else "",
            }
            for r in self.rows
        ]


def representation(
    *,
    session: Session,
    as_of: date | None = None,
    actor: Actor = SYSTEM,
    snapshot: date | None = None,
    rounded: bool | None = None,
) -> Representation:
    """The working group on `as_of` (default: today) per faculty, beside each faculty's technician FTE in the
    latest workforce snapshot on or before `as_of` (or the `snapshot` given). FTE is HESA-rounded unless `actor`
    may see exact figures; `rounded=True` rounds for them too (a page whose exact toggle is off).

    Example:
        >>> from tracker.db import open_engine
        >>> from tracker.models import WorkforceRecord as W, WorkingGroupMember as M
        >>> with Session(open_engine("sqlite://")) as s:
        ...     s.add_all([W(as_of=date(2020, 7, 31), faculty="Laws", sex="Male", fte=40, headcount=40),
        ...                W(as_of=date(2020, 7, 31), faculty="Life Sciences", sex="Female", fte=60, headcount=60),
        ...                M(name="Ann", faculty="Life Science")])
        ...     s.flush()
        ...     rep = representation(session=s, actor=Actor("v@uni.ac.uk", "viewer"))
        >>> rep.sentences(), [(r.faculty, r.fte, r.fte_share, r.members) for r in rep.rows]
        (['Laws: 40 FTE, no working-group member'], [('Life Sciences', 60, 0.6, ['Ann']), ('Laws', 40, 0.4, [])])
    """
    on = as_of or date.today()
    members = list_group(session=session, as_of=on)
    snaps = workforce_choices(session=session)["snapshots"]
    snap = snapshot if snapshot in snaps else snapshot_for(snaps, on)
    exact: dict[str, float] = defaultdict(float)
    if snap is not None:
        for c in workforce_by_faculty(session=session, as_of=snap, actor=SYSTEM):
            exact[c.faculty] += c.fte
    rounded = bool(rounded) or not actor.can("see_exact_figures")
    total = sum(exact.values())
    faculties = sorted(exact, key=lambda f: (-exact[f], f))
    counted: dict[str, list[GroupMember]] = defaultdict(list)
    astray: dict[str, list[GroupMember]] = defaultdict(list)
    matches: dict[str, FacultyMatch] = {}
    for m in members:
        match = matches.get(m.faculty) or matches.setdefault(m.faculty, match_faculty(m.faculty, faculties))
        if match.faculty is not None:
            counted[match.faculty].append(m)
        else:
            astray[m.faculty].append(m)
    rows = []
    for f in faculties:
        fte = round5(exact[f]) if rounded else round(exact[f], 2)
        who = counted.get(f, [])
        rows.append(
            RepresentationRow(
                faculty=f,
                fte=fte,
                fte_share=round(exact[f] / total, 4) if total else None,
                members=[m.name for m in who],
                technicians=sum(m.technician for m in who),
                flagged=not who and exact[f] > 0,
            )
        )
    for written, who in astray.items():
        match = matches[written]
        rows.append(
            RepresentationRow(
                faculty=written or "(no faculty given)",
                fte=None,
                fte_share=None,
                members=[m.name for m in who],
                technicians=sum(m.technician for m in who),
                suggestion=match.suggestion,
                in_workforce=False,
            )
        )
    return Representation(
        as_of=on, snapshot=snap, rounded=rounded, members=len(members), rows=rows, matches=list(matches.values())
    )
