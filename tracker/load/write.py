"""Writing a validated file: plans by ref with revisions (refs the reader made up first matched to the held
actions by content, `tracker.load.preview.match_plan`), updates in bulk, workforce snapshots replaced; and
the upload record every attempt leaves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session, col

from tracker.config import Settings
from tracker.ingest.base import LoadResult
from tracker.load.preview import ACTION_FIELDS, find_plan, match_plan, snapshot, snapshot_value
from tracker.models import (
    Action,
    ActionCreate,
    ActionRevision,
    Evidence,
    EvidenceCreate,
    Measure,
    MeasureValue,
    MeasureValueCreate,
    Plan,
    ProgressUpdate,
    ProgressUpdateCreate,
    Upload,
    WorkforceRecord,
    utcnow,
)


def record_upload(
    session: Session,
    data: bytes,
    name: str,
    kind: str,
    who: str,
    outcome: str,
    message: str,
    *,
    settings: Settings,
    sha: str | None = None,
    issues: LoadResult | None = None,
    duplicate_of: int | None = None,
    plan_id: int | None = None,
    size: int | None = None,
) -> Upload:
    import hashlib

    keep = data if 0 < len(data) <= settings.max_upload_bytes else None
    up = Upload(
        filename=name[:300],
        sha256=sha or hashlib.sha256(data).hexdigest(),
        kind=kind,
        uploaded_by=who[:200],
        outcome=outcome,
        message=message,
        size_bytes=len(data) if size is None else size,
        issues=[i.as_dict() for i in issues.issues] if issues else [],
        issues_found=len(issues.errors) if issues else 0,
        content=keep,
        duplicate_of=duplicate_of,
        plan_id=plan_id,
    )
    session.add(up)
    session.flush()
    return up


def write_plan(session: Session, result: LoadResult, up: Upload) -> dict[str, int]:
    # Refs made up by counting (no Ref column) shift when an action is added above: match them to the actions
    # held first, so each action keeps its id, and with it its owners, history and updates (done already when
    # the preview was computed; the same answer either way).
    match_plan(session, result)
    meta = result.meta
    plan, institution = find_plan(session, meta)
    if plan is None:
        plan = Plan(
            institution=institution, title=meta["title"][:300], start_date=meta["start_date"], months=meta["months"]
        )
        session.add(plan)
        session.flush()
    else:
        plan.title = meta["title"][:300] or plan.title
        plan.months = meta["months"]
        session.add(plan)
    up.plan_id = plan.id
    aq = select(Action).where(col(Action.plan_id) == plan.id)
    existing: dict[str, Action] = {a.ref: a for a in session.exec(aq).scalars()}  # type: ignore[call-overload]
    assert plan.id is not None
    counts = {"added": 0, "changed": 0, "withdrawn": 0, "restored": 0, "unchanged": 0}
    now = utcnow()
    incoming: list[ActionCreate] = result.rows
    for pos, row in enumerate(incoming):
        act = existing.pop(row.ref, None)
        values = row.model_dump(exclude={"ref"})
        if act is None:
            act = Action(plan_id=plan.id, ref=row.ref, position=pos, source_upload_id=up.id, **values)
            session.add(act)
            session.flush()
            session.add(_revision(act, up, "added", {}))
            counts["added"] += 1
            continue
        before = snapshot(act)
        changed = any(before[f] != snapshot_value(values[f]) for f in ACTION_FIELDS)
        if act.withdrawn:
            act.withdrawn, act.withdrawn_at = False, None
            session.add(_revision(act, up, "restored", before))
            counts["restored"] += 1
        elif changed:
            session.add(_revision(act, up, "changed", before))
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
        for f in ACTION_FIELDS:
            setattr(act, f, values[f])
        act.position = pos
        if changed:
            act.updated_at = now
            act.source_upload_id = up.id
        session.add(act)
    for act in existing.values():
        if not act.withdrawn:
            session.add(_revision(act, up, "withdrawn", snapshot(act)))
            act.withdrawn, act.withdrawn_at, act.updated_at = True, now, now
            session.add(act)
            counts["withdrawn"] += 1
    session.flush()
    return counts


def _revision(act: Action, up: Upload, change: str, before: dict[str, Any]) -> ActionRevision:
    assert act.id is not None
    return ActionRevision(action_id=act.id, upload_id=up.id, change=change, before=before)


def write_updates(session: Session, result: LoadResult, plan: Plan, upload_id: int) -> dict[str, int]:
    q = select(col(Action.ref), col(Action.id)).where(col(Action.plan_id) == plan.id)
    ids: dict[str, int] = {r: i for r, i in session.exec(q).all()}  # type: ignore[call-overload]
    progress = [
        {**r.model_dump(exclude={"ref"}), "action_id": ids[r.ref], "upload_id": upload_id, "created_at": utcnow()}
        for r in result.rows
        if isinstance(r, ProgressUpdateCreate)
    ]
    if progress:
        session.execute(insert(ProgressUpdate), progress)
    evidence = [r for r in result.rows if isinstance(r, EvidenceCreate)]
    for e in evidence:
        session.add(Evidence(action_id=ids[e.ref], upload_id=upload_id, **e.model_dump(exclude={"ref"})))
    values = [r for r in result.rows if isinstance(r, MeasureValueCreate)]
    measures: dict[tuple[int, str], Measure] = {}
    for v in values:
        aid = ids[v.ref]
        m = measures.get((aid, v.name.lower()))
        if m is None:
            m = session.exec(  # type: ignore[call-overload]
                select(Measure).where(col(Measure.action_id) == aid, func.lower(Measure.name) == v.name.lower())
            ).scalars().first() or Measure(action_id=aid, name=v.name)
            measures[aid, v.name.lower()] = m
        # The newest file's unit, baseline and target win; blanks leave what was there.
        m.unit = v.unit or m.unit
        m.baseline = v.baseline if v.baseline is not None else m.baseline
        m.target = v.target if v.target is not None else m.target
        session.add(m)
        session.flush()
        assert m.id is not None
        session.add(MeasureValue(measure_id=m.id, as_of=v.as_of, value=v.value, upload_id=upload_id))
    session.flush()
    return {"progress_updates": len(progress), "evidence": len(evidence), "measure_values": len(values)}


def write_group(session: Session, result: LoadResult, upload_id: int, *, who: str) -> dict[str, int]:
    """The working group replaced by a group file's members (tracker.group: members left out leave on the load
    date, never deleted)."""
    from tracker.group import apply_changes, members_from_rows, plan_changes

    today = result.meta["load_date"]
    changes = plan_changes(session=session, members=members_from_rows(result.rows), today=today)
    counts = apply_changes(session, changes, today=today, who=who, upload_id=upload_id)
    return counts | {"unchanged": len(result.rows) - counts["members_added"] - counts["members_changed"]}


def write_workforce(session: Session, result: LoadResult, upload_id: int) -> dict[str, int]:
    dates = sorted({r.as_of for r in result.rows})
    # A new extract for a date replaces that snapshot; the old file stays in its Upload for replay.
    if dates:
        session.execute(delete(WorkforceRecord).where(WorkforceRecord.as_of.in_(dates)))  # type: ignore[attr-defined]
    rows = [{**r.model_dump(), "upload_id": upload_id} for r in result.rows]
    if rows:
        session.execute(insert(WorkforceRecord), rows)
    session.flush()
    return {"workforce_rows": len(rows), "snapshots": len(dates), "input_rows": int(result.meta.get("input_rows", 0))}
