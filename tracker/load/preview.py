"""What writing a parsed file would change, computed before anything is written: the preview a user confirms
and, once written, the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.config import get_settings
from tracker.ingest.base import LoadResult
from tracker.ingest.plan import FIELDS
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


def plural(n: int, word: str) -> str:
    """'1 problem', '2 problems'."""
    return f"{n:,} {word if n == 1 else word + 's'}"


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


def _plan_changes(session: Session, result: LoadResult) -> list[dict[str, str]]:
    plan, _ = find_plan(session, result.meta)
    existing: dict[str, Action] = {}
    if plan is not None:
        q = select(Action).where(col(Action.plan_id) == plan.id)
        existing = {a.ref: a for a in session.exec(q).scalars()}  # type: ignore[call-overload]
    out = []
    for row in result.rows:
        act = existing.pop(row.ref, None)
        if act is None:
            out.append(_change("action_added", row.ref, after=row.activity[:120], detail=row.theme))
            continue
        before = snapshot(act)
        values = row.model_dump(exclude={"ref"})
        fields = [f for f in ACTION_FIELDS if before[f] != snapshot_value(values[f])]
        if act.withdrawn:
            out.append(_change("action_restored", row.ref, "withdrawn", "in the plan", ", ".join(fields)))
        elif fields:
            shown = fields[0]
            out.append(
                _change(
                    "action_changed",
                    row.ref,
                    str(before[shown])[:120],
                    str(values[shown])[:120],
                    "changed: " + ", ".join(fields),
                )
            )
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
                out.append(_change("status", r.ref, was, r.status, f"as of {r.as_of:%d %b %Y} {pct} {r.note}"[:500]))
            else:
                out.append(_change("progress", r.ref, "", r.status, f"as of {r.as_of:%d %b %Y} {pct} {r.note}"[:500]))
            state[r.ref] = (r.as_of, r.status)
        else:  # an older update arriving late: kept in the history, the current status stays
            out.append(_change("progress", r.ref, "", r.status, f"earlier update as of {r.as_of:%d %b %Y} {pct}"))
    for e in result.rows:
        if isinstance(e, EvidenceCreate):
            what = "evidence_corrected" if e.supersedes_id else "evidence"
            out.append(_change(what, e.ref, e.supersedes_id or "", e.kind, f"{e.date:%d %b %Y}: {e.description}"[:500]))
    for m in result.rows:
        if isinstance(m, MeasureValueCreate):
            out.append(
                _change("measure", m.ref, "", f"{m.value:g} {m.unit}".strip(), f"{m.name} as of {m.as_of:%d %b %Y}")
            )
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
            f"  plan: {meta['start_date']:%d %b %Y} – {meta['end_date']:%d %b %Y} ({meta['months']} months"
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
    return f"{d:%d %b %Y}" if d else "?"
