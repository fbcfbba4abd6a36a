"""What writing a parsed file would change, computed before anything is written: the preview a user confirms
and, once written, the audit trail."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.config import get_settings
from tracker.ingest.base import LoadResult
from tracker.ingest.plan import FIELDS
from tracker.ingest.updates import FIELDS as UPDATE_FIELDS
from tracker.models import (
    Action,
    ActionCreate,
    EvidenceCreate,
    MeasureValueCreate,
    Plan,
    ProgressUpdateCreate,
    WorkforceRecord,
)
from tracker.queries import latest_updates
from tracker.text import day

ACTION_FIELDS = (
    "theme",
    "purpose",
    "activity",
    "impact",
    "expected_evidence",
    "owners",
    "pillars",
    "start",
    "due",
    "success_measures",
)


_SINGULAR = {"evidence": "evidence item", "input_rows": "input row", "progress_updates": "progress update"}
_PLURAL = {"evidence": "evidence items"}


def describe_counts(counts: dict[str, int]) -> str:
    """Counts in words, singular where the count is one.

    Example:
        >>> describe_counts({"progress_updates": 1, "evidence": 2, "measure_values": 0})
        '1 progress update, 2 evidence items, 0 measure values'
        >>> describe_counts({"added": 1, "unchanged": 3})
        '1 added, 3 unchanged'
    """
    parts = []
    for key, n in counts.items():
        many = _PLURAL.get(key, key.replace("_", " "))
        one = _SINGULAR.get(key, many[:-1] if many.endswith("s") else many)
        parts.append(f"{n:,} {one if n == 1 else many}")
    return ", ".join(parts)


def count_changes(changes: list[dict[str, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in changes:
        out[c["change"]] = out.get(c["change"], 0) + 1
    return out


def _change(change: str, target: object, before: object = "", after: object = "", detail: str = "") -> dict[str, str]:
    return {"change": change, "target": str(target), "before": str(before), "after": str(after), "detail": detail}


def planned_changes(session: Session, kind: str, result: LoadResult, plan: Plan | None) -> list[dict[str, str]]:
    """What writing `result` changes, computed before anything is written (the preview and the audit trail)."""
    if kind == "plan":
        return _plan_changes(session, result)
    if kind == "updates" and plan is not None:
        return _update_changes(session, result, plan)
    if kind == "workforce":
        return _workforce_changes(session, result)
    if kind == "group":
        from tracker.group import members_from_rows, plan_changes

        today = result.meta["load_date"]
        return [c.as_dict() for c in plan_changes(session=session, members=members_from_rows(result.rows), today=today)]
    return []


def find_plan(session: Session, meta: Mapping[str, Any]) -> tuple[Plan | None, str]:
    """The plan a plan file updates (same start date and institution), or None for a new plan."""
    institution = str(meta.get("institution") or get_settings().institution)
    q = select(Plan).where(col(Plan.start_date) == meta["start_date"])
    candidates = list(session.exec(q).scalars())  # type: ignore[call-overload]
    plan = next((p for p in candidates if p.institution.lower() == institution.lower()), None)
    if plan is None and candidates and not institution:
        plan = candidates[0]
    return plan, institution


def _words(s: str) -> str:
    """Text compared for matching: lower case, words only (punctuation, bullets and spacing ignored)."""
    return " ".join(re.findall(r"\w+", s.casefold()))


@dataclass(frozen=True)
class Match:
    """An incoming action of a plan file matched to an action already held: its `ref`, and `how` ("text":
    the same activity text; "position": the same theme and place among its theme's actions)."""

    ref: str
    how: str


MATCH_WORDS = {"text": "by its activity text", "position": "by its theme and place in the plan"}


def match_actions(existing: Sequence[Action], rows: Sequence[ActionCreate]) -> dict[int, Match]:
    """Which held action each incoming action (by index in `rows`) is, for a plan file whose refs were made up
    by the reader (no Ref column): refs made up by counting shift when an action is added or removed above,
    so they cannot say which action is which. First the same activity text (normalised; among several, the
    one with the same ref, then the same theme, then the first in the plan); then, for what is left, the same
    theme and place between actions already matched, only where the unmatched ones there pair up one to one.
    An action with no match is new.

    Example:
        >>> held = [Action(plan_id=1, ref="D1", theme="Develop", activity="Communities of practice", position=0),
        ...         Action(plan_id=1, ref="D2", theme="Develop", activity="Career pathways", position=1)]
        >>> new = [ActionCreate(ref="D1", theme="Develop", activity="Mentoring scheme"),
        ...        ActionCreate(ref="D2", theme="Develop", activity="Communities of practice."),
        ...        ActionCreate(ref="D3", theme="Develop", activity="Career pathways for all")]
        >>> match_actions(held, new)
        {1: Match(ref='D1', how='text'), 2: Match(ref='D2', how='position')}
    """
    ordered = sorted(existing, key=lambda a: (a.position, a.id or 0))
    by_text: dict[str, list[Action]] = {}
    for a in ordered:
        by_text.setdefault(_words(a.activity), []).append(a)
    out: dict[int, Match] = {}
    taken: set[str] = set()
    for i, row in enumerate(rows):
        free = [a for a in by_text.get(_words(row.activity), []) if a.ref not in taken]
        if not _words(row.activity) or not free:
            continue
        pick = min(free, key=lambda a: (a.ref != row.ref, _words(a.theme) != _words(row.theme)))
        out[i] = Match(pick.ref, "text")
        taken.add(pick.ref)
    # Same theme and place: between two actions matched by text (or a theme's start and end), the unmatched
    # incoming actions and the unmatched held ones pair up in order only when there are as many of each; any
    # other difference is an addition or a withdrawal, shown as such, rather than a guess that moves an
    # action's history and owner to another action.
    themes: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        themes.setdefault(_words(row.theme), []).append(i)
    for theme, idx in themes.items():
        held = [a for a in ordered if _words(a.theme) == theme and not a.withdrawn]
        place = {a.ref: k for k, a in enumerate(held)}
        lo, gap = -1, []
        for at in [*idx, None]:  # None: the end of the theme, after its last action
            if at is not None and at not in out:
                gap.append(at)
                continue
            # An anchor matched to an action of another theme (or a withdrawn one) gives no place: no pairing.
            hi = len(held) if at is None else place.get(out[at].ref, -2)
            if gap and hi > lo:
                free = [a for a in held[lo + 1 : hi] if a.ref not in taken]
                if len(free) == len(gap):
                    for j, a in zip(gap, free, strict=True):
                        out[j] = Match(a.ref, "position")
                        taken.add(a.ref)
            gap = []
            if at is not None:
                lo = place.get(out[at].ref, lo)
    return dict(sorted(out.items()))


def match_plan(session: Session, result: LoadResult) -> dict[str, str]:
    """Give a re-imported plan's actions the refs of the actions they are, when the reader made its refs up (no
    Ref column): matched actions keep their held ref (and so their id, owners, history and updates); a new
    action whose made-up ref is held by another action gets the next free ref of its prefix. Rewrites the refs
    in `result.rows` once (a second call changes nothing) and returns, by final ref, what the preview says of
    each action matched to a different ref, or by its place, or renumbered.

    Example:
        >>> from tracker.db import open_engine
        >>> r = LoadResult(kind="plan", filename="p.csv", meta={"refs_assigned": True, "start_date": date(2021, 1, 1)})
        >>> with Session(open_engine("sqlite://")) as s:
        ...     match_plan(s, r)  # no plan held for that start: nothing to match
        {}
    """
    said: dict[str, str] | None = result.meta.get("matched")
    if said is not None:
        return said
    said = result.meta["matched"] = {}
    plan, _ = find_plan(session, result.meta) if result.meta.get("refs_assigned") else (None, "")
    if plan is None:
        return said
    q = select(Action).where(col(Action.plan_id) == plan.id)
    existing: list[Action] = list(session.exec(q).scalars())  # type: ignore[call-overload]
    rows: list[ActionCreate] = [r for r in result.rows if isinstance(r, ActionCreate)]
    matches = match_actions(existing, rows)
    held = {a.ref for a in existing}
    read_as: dict[str, str] = result.meta.setdefault("read_as", {})
    renumber = []
    for i, row in enumerate(rows):
        m = matches.get(i)
        if m is None:
            if row.ref in held:  # a new action under a held action's made-up ref: that ref stays with its action
                renumber.append(row)
            continue
        if m.ref != row.ref or m.how != "text":
            said[m.ref] = f"matched to {m.ref} {MATCH_WORDS[m.how]}" + (
                f" (read as {row.ref})" if m.ref != row.ref else ""
            )
        read_as[m.ref], row.ref = row.ref, m.ref
    used = held | {r.ref for r in rows}
    for row in renumber:
        prefix = re.sub(r"\d+$", "", row.ref)
        numbered = (int(x[len(prefix) :]) for x in used if re.fullmatch(re.escape(prefix) + r"\d+", x))
        ref = f"{prefix}{1 + max(numbered, default=0)}"
        said[ref] = f"a new action, numbered {ref} (read as {row.ref}, which stays with the action it names)"
        read_as[ref], row.ref = row.ref, ref
        used.add(ref)
    return said


def _plan_changes(session: Session, result: LoadResult) -> list[dict[str, str]]:
    matched = match_plan(session, result)
    plan, _ = find_plan(session, result.meta)
    existing: dict[str, Action] = {}
    if plan is not None:
        q = select(Action).where(col(Action.plan_id) == plan.id)
        existing = {a.ref: a for a in session.exec(q).scalars()}  # type: ignore[call-overload]
    out = []
    for row in result.rows:
        act = existing.pop(row.ref, None)
        how = matched.get(row.ref, "")
        if act is None:
            detail = "; ".join(x for x in (row.theme, how) if x)
            out.append(_change("action_added", row.ref, after=row.activity[:120], detail=detail))
            continue
        before = snapshot(act)
        values = row.model_dump(exclude={"ref"})
        fields = [f for f in ACTION_FIELDS if before[f] != snapshot_value(values[f])]
        if act.withdrawn:
            detail = "; ".join(x for x in (how, ", ".join(fields)) if x)
            out.append(_change("action_restored", row.ref, "withdrawn", "in the plan", detail))
        elif fields:
            shown = fields[0]
            out.append(
                _change(
                    "action_changed",
                    row.ref,
                    str(before[shown])[:120],
                    str(values[shown])[:120],
                    "; ".join(x for x in (how, "changed: " + ", ".join(fields)) if x),
                )
            )
        elif how:  # the same action under another made-up ref: say so, since nothing else about it changes
            read = result.meta.get("read_as", {}).get(row.ref, "")
            out.append(_change("action_matched", row.ref, f"read as {read}" if read else "", row.ref, how))
    out += [
        _change("action_withdrawn", a.ref, "in the plan", "withdrawn", a.activity[:120])
        for a in existing.values()
        if not a.withdrawn
    ]
    return out


def _update_changes(session: Session, result: LoadResult, plan: Plan) -> list[dict[str, str]]:
    refs = {a.id: a.ref for a in session.exec(select(Action).where(col(Action.plan_id) == plan.id)).scalars()}  # type: ignore[call-overload]
    latest = {refs[aid]: u for aid, u in latest_updates(session=session, plan_id=plan.id).items()}
    state = {ref: (u.as_of, u.status) for ref, u in latest.items()}
    out = []
    for r in sorted((r for r in result.rows if isinstance(r, ProgressUpdateCreate)), key=lambda r: r.as_of):
        was_date, was = state.get(r.ref, (date.min, "not started"))
        pct = f"{r.percent_complete}%" if r.percent_complete is not None else ""
        if r.as_of >= was_date:
            if r.status != was:
                out.append(_change("status", r.ref, was, r.status, f"as of {day(r.as_of)} {pct} {r.note}"[:500]))
            else:
                out.append(_change("progress", r.ref, "", r.status, f"as of {day(r.as_of)} {pct} {r.note}"[:500]))
            state[r.ref] = (r.as_of, r.status)
        else:  # an older update arriving late: kept in the history, the current status stays
            out.append(_change("progress", r.ref, "", r.status, f"earlier update as of {day(r.as_of)} {pct}"))
    for e in result.rows:
        if isinstance(e, EvidenceCreate):
            what = "evidence_corrected" if e.supersedes_id else "evidence"
            out.append(_change(what, e.ref, e.supersedes_id or "", e.kind, f"{day(e.date)}: {e.description}"[:500]))
    for m in result.rows:
        if isinstance(m, MeasureValueCreate):
            out.append(_change("measure", m.ref, "", f"{m.value:g} {m.unit}".strip(), f"{m.name} as of {day(m.as_of)}"))
    return out


def _workforce_changes(session: Session, result: LoadResult) -> list[dict[str, str]]:
    totals: dict[date, list[float]] = {}
    for r in result.rows:
        t = totals.setdefault(r.as_of, [0.0, 0])
        t[0] += r.fte
        t[1] += r.headcount
    out = []
    for d, (fte, heads) in sorted(totals.items()):
        old = session.exec(  # type: ignore[call-overload]
            select(func.sum(WorkforceRecord.fte), func.sum(WorkforceRecord.headcount)).where(
                col(WorkforceRecord.as_of) == d
            )
        ).one()
        before = f"{old[0]:,.1f} FTE, {int(old[1]):,} staff" if old[0] is not None else "none"
        detail = "replaces the snapshot held for this date" if old[0] is not None else "a new snapshot"
        out.append(_change("snapshot", d.isoformat(), before, f"{fte:,.1f} FTE, {int(heads):,} staff", detail))
    return out


def snapshot(a: Action) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in ACTION_FIELDS:
        v = getattr(a, f)
        out[f] = v.isoformat() if isinstance(v, date) else (list(v) if isinstance(v, list) else v)
    return out


def snapshot_value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


@dataclass(frozen=True)
class ActionPreview:
    """One action of a plan file as it will be stored: what the mapping step shows and the dry run prints."""

    ref: str
    theme: str
    activity: str
    pillars: str
    owners: str
    start: date | None
    due: date | None
    evidence: str


def plan_preview(result: LoadResult) -> list[ActionPreview]:
    """The actions a parsed plan file would store, in plan order.

    Example:
        >>> from tracker.ingest.plan import load_plan
        >>> from tracker.ingest.reader import read_workbook
        >>> r = load_plan(read_workbook(b"Action,Lead,V\\nRun a survey,HR,X\\n", filename="p.csv"),
        ...               plan_start=date(2021, 1, 1))
        >>> [(a.ref, a.pillars, a.owners, str(a.due)) for a in plan_preview(r)]
        [('A1', 'V', 'HR', '2022-12-31')]
    """
    return [
        ActionPreview(
            a.ref,
            a.theme,
            a.activity,
            a.pillars,
            "; ".join(a.owners),
            a.start,
            a.due,
            "; ".join(a.expected_evidence),
        )
        for a in result.rows
        if isinstance(a, ActionCreate)
    ]


def describe_reading(result: LoadResult) -> list[str]:
    """How a plan file was read, as lines: the sheet and header row, the window, each column's field."""
    meta = result.meta
    reading = meta["reading"]
    lines = [f"{result.filename}: sheet '{meta['sheet']}', header row {meta['header_row']}"]
    if "start_date" in meta:
        lines.append(
            f"  plan: {day(meta['start_date'])} – {day(meta['end_date'])} ({meta['months']} months"
            + (f"; start {meta['start_from']}" if meta.get("start_from") else "")
            + ")"
        )
    if meta.get("mapping_from"):
        lines.append(f"  columns as mapped by {meta['mapping_from']}")
    for c in reading.columns:
        lines.append(f"  column {c.letter:<3} {c.label[:50]!r:<52} → {FIELDS.get(c.field, 'ignored')}")
    for n in result.notes[:50]:
        where = f"row {n.row}" if n.row else "plan"
        lines.append(f"  {where}: {n.message}" + (f" ({n.value[:60]!r})" if n.value else ""))
    if len(result.notes) > 50:
        lines.append(f"  … {len(result.notes) - 50} more notes")
    return lines


def describe_actions(result: LoadResult) -> list[str]:
    """The actions a plan file would store, one line each (ref, pillars, start – due, owners, activity)."""
    return [
        f"  {a.ref:<6} {a.pillars or '-':<4} {_day(a.start)} – {_day(a.due)}  {a.owners[:30]:<30}  "
        + " ".join(a.activity.split())[:70]
        for a in plan_preview(result)
    ]


def _day(d: date | None) -> str:
    return f"{day(d)}" if d else "?"


def describe_update_tables(result: LoadResult) -> list[str]:
    """How an update log was read, as lines: each table's sheet, header row and kind, each column's field, and
    the guesses made.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> from tracker.ingest.updates import ActionInfo, PlanContext, load_updates
        >>> wb = read_workbook(b"Ref,Update date,RAG\\nD1,01/02/2019,Green\\n", filename="log.csv")
        >>> plan = PlanContext(date(2018, 11, 1), date(2020, 10, 31), {"D1": ActionInfo("V", False)})
        >>> print("\\n".join(describe_update_tables(load_updates(wb, plan=plan, today=date(2020, 1, 1)))))
        log.csv: sheet 'log', header row 1: progress
          column A   'Ref'                                                → Ref
          column B   'Update date'                                        → Date
          column C   'RAG'                                                → Status
    """
    lines: list[str] = []
    for t in result.meta.get("tables", []):
        lines.append(f"{result.filename}: sheet '{t.sheet}', header row {t.header_row}: {t.kind}")
        if t.mapped_by:
            lines.append(f"  columns as mapped by {t.mapped_by}")
        for c in t.reading.columns:
            lines.append(f"  column {c.letter:<3} {c.label[:50]!r:<52} → {UPDATE_FIELDS.get(c.field, 'ignored')}")
    for n in result.notes[:50]:
        lines.append(f"  sheet '{n.sheet}' row {n.row}: {n.message}" + (f" ({n.value[:60]!r})" if n.value else ""))
    return lines


def describe_updates(result: LoadResult) -> list[str]:
    """The progress updates and evidence an update log would store, one line each."""
    lines = []
    for r in result.rows:
        if isinstance(r, ProgressUpdateCreate):
            pct = f"{r.percent_complete}%" if r.percent_complete is not None else "-"
            lines.append(
                f"  progress  {r.ref:<6} {_day(r.as_of)}  {r.status:<11} {pct:>4}  {' '.join(r.note.split())[:60]}"
            )
        elif isinstance(r, EvidenceCreate):
            lines.append(
                f"  evidence  {r.ref:<6} {_day(r.date)}  {r.kind:<8} {r.pillars or '-':<4} "
                f"{' '.join(r.description.split())[:50]}" + (f"  <{r.link[:60]}>" if r.link else "")
            )
        elif isinstance(r, MeasureValueCreate):
            lines.append(f"  measure   {r.ref:<6} {_day(r.as_of)}  {r.name[:40]} = {r.value:g}")
    return lines
