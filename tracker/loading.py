"""Loading a file into the database: read, detect, validate, then write all of it or none of it.

Every attempt is recorded as an `Upload` (who, when, kind, counts, outcome, issues, and the bytes), so
nothing a user sent is lost. `load_file` owns the transaction: the data and its upload record commit
together; a rejected or unreadable file commits only its upload record.

Example:
    >>> from tracker.db import open_engine
    >>> from sqlmodel import Session, col
    >>> with Session(open_engine("sqlite://")) as s:
    ...     out = load_file(b"Theme,Activity,Who\\nValue,Annual awards,OD\\n", filename="p.csv",
    ...                     session=s, plan_start=date(2018, 11, 1))
    >>> out.outcome, out.kind, out.counts["added"]
    ('loaded', 'plan', 1)
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from tracker import audit
from tracker.auth import SYSTEM, Actor
from tracker.config import Settings, get_settings
from tracker.db import is_transient, lock_for_write
from tracker.ingest.base import LoadResult, UnreadableFile
from tracker.ingest.cells import add_months, find_header
from tracker.ingest.plan import ALIASES as PLAN_ALIASES
from tracker.ingest.plan import load_plan
from tracker.ingest.reader import Workbook, read_bytes, read_workbook
from tracker.ingest.updates import ALIASES as UPDATE_ALIASES
from tracker.ingest.updates import ActionInfo, PlanContext, load_updates
from tracker.ingest.workforce import load_workforce
from tracker.models import (
    LOADED_ONCE,
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

KINDS = ("plan", "updates", "workforce")
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


@dataclass
class LoadOutcome:
    """What happened to one file: `outcome` is loaded, rejected, duplicate or unreadable."""

    outcome: str
    kind: str
    filename: str
    upload_id: int | None = None
    result: LoadResult | None = None
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    # What the file writes (or, on a dry run, would write): change, target, before, after, detail.
    changes: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome in ("loaded", "duplicate", "ready")


def current_plan(*, session: Session) -> Plan | None:
    """The plan updates apply to: the most recently started one.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     print(current_plan(session=s))
        None
    """
    q = select(Plan).order_by(col(Plan.start_date).desc(), col(Plan.id).desc()).limit(1)
    return session.exec(q).scalars().first()  # type: ignore[call-overload,no-any-return]


def detect_kind(wb: Workbook) -> str | None:
    """'plan', 'updates' or 'workforce' from the headers the workbook carries, or None."""
    scores: dict[str, int] = {}
    for sheet in wb.sheets:
        wf = find_header(sheet.rows, _WORKFORCE_HINTS, min_hits=2)
        if wf and "faculty" in wf[1] and ({"fte", "headcount", "sex"} & wf[1].keys()):
            scores["workforce"] = max(scores.get("workforce", 0), len(wf[1]) + 2)
        up = find_header(sheet.rows, UPDATE_ALIASES, min_hits=2)
        pl = find_header(sheet.rows, PLAN_ALIASES, min_hits=2)
        # An update table has no activity or purpose column: a plan with a Status column is still a plan.
        if up and pl and up[0] == pl[0]:
            plan_body = {pl[1][f] for f in ("activity", "purpose") if f in pl[1]}
            if plan_body - set(up[1].values()):
                up = None
        if up and "ref" in up[1] and ({"status", "description"} & up[1].keys() or "measure" in up[1]):
            scores["updates"] = max(scores.get("updates", 0), len(up[1]) + 1)
        if pl and ({"activity", "purpose"} & pl[1].keys()):
            scores["plan"] = max(scores.get("plan", 0), len(pl[1]))
    return max(scores, key=lambda k: scores[k]) if scores else None


_WORKFORCE_HINTS = {
    "faculty": ("faculty", "school", "college", "division"),
    "fte": ("fte", "full time equivalent", "total fte", "fte total"),
    "headcount": ("headcount", "head count", "number of staff", "staff count"),
    "sex": ("sex", "gender", "legal sex"),
    "grade": ("grade", "grade band", "pay grade"),
}


def load_file(
    source: str | Path | bytes | BinaryIO,
    *,
    session: Session,
    actor: Actor = SYSTEM,
    dry_run: bool = False,
    filename: str | None = None,
    kind: str | None = None,
    uploaded_by: str = "",
    plan_start: date | None = None,
    as_of: date | None = None,
    mapping: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    today: date | None = None,
) -> LoadOutcome:
    """Read, check permission, validate and (only if there are no errors) write one file; record the attempt.

    `actor` is who is loading it (the command line without --as acts as `SYSTEM`, an administrator): plans and
    workforce extracts need an administrator, updates a lead (for their own actions only) or an administrator.
    With `dry_run`, a valid file is not written: the outcome is "ready" and `changes` lists exactly what
    loading it would write, for the user to confirm. Raises UnreadableFile (after recording it) when the file
    cannot be read at all, and PermissionDenied (after logging it) when the actor's role may not load the kind.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     out = load_file(b"Ref,As of,Status\\nD1,01/02/2019,Green\\n", filename="u.csv", session=s)
        >>> out.outcome, [i.code for i in out.result.issues]
        ('rejected', ['no_plan'])
    """
    settings = settings or get_settings()
    uploaded_by = uploaded_by or (actor.email if actor is not SYSTEM else "")
    if not actor.can("load_updates"):  # viewers and board members load nothing: refuse before reading
        shown = filename or (Path(source).name if isinstance(source, str | Path) else "upload")
        audit.require_logged(session, actor, _KIND_OPERATION.get(kind or "", "load_updates"), shown)
    data, name = read_bytes(source, filename)  # once: a stream cannot be read again on a retry
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _load_once(
                data,
                name,
                session=session,
                actor=actor,
                dry_run=dry_run,
                kind=kind,
                uploaded_by=uploaded_by,
                plan_start=plan_start,
                as_of=as_of,
                mapping=mapping,
                settings=settings,
                today=today,
            )
        except DBAPIError as exc:
            session.rollback()
            if attempt == WRITE_ATTEMPTS or not retriable(exc):
                raise
            # Another upload holds the write lock (SQLite), or won a race (PostgreSQL, or the same bytes sent
            # twice at once): start again from the top, after a jittered, growing pause.
            time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")  # pragma: no cover


# How often a load whose write collided with another is started again before the error reaches the user.
WRITE_ATTEMPTS = 8


def retriable(exc: DBAPIError) -> bool:
    """True when `exc` is a write collision that succeeds if tried again (never a problem with the file).

    Example:
        >>> import sqlite3
        >>> from sqlalchemy.exc import IntegrityError, OperationalError
        >>> retriable(OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")))
        True
        >>> retriable(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed: user.email")))
        False
    """
    if is_transient(exc):
        return True
    # The same bytes loaded by someone else a moment ago: the next try finds them and says "already loaded".
    text = str(exc.orig)
    return LOADED_ONCE in text or "UNIQUE constraint failed: upload.sha256" in text


def _load_once(
    data: bytes,
    name: str,
    *,
    session: Session,
    actor: Actor,
    dry_run: bool,
    kind: str | None,
    uploaded_by: str,
    plan_start: date | None,
    as_of: date | None,
    mapping: Mapping[str, str] | None,
    settings: Settings,
    today: date | None,
) -> LoadOutcome:
    """One attempt at `load_file` on bytes already read."""
    try:
        wb = read_workbook(data, filename=name, settings=settings)
    except UnreadableFile as exc:
        up = _record(session, data, name, kind or "", uploaded_by, "unreadable", exc.message, settings=settings)
        audit.record(session, actor, "upload_unreadable", name, detail=exc.message, upload_id=up.id)
        session.commit()
        raise

    kind = kind or detect_kind(wb)
    if kind in KINDS:
        _check_kind(session, actor, name, kind)
    if not dry_run:
        # Loads take turns from here to their commit, so what is checked below (already loaded? which measures
        # and snapshots exist?) still holds when it is written, whatever other uploads run at the same moment.
        lock_for_write(session)
    first = session.exec(  # type: ignore[call-overload]
        select(Upload.id, Upload.kind)  # type: ignore[call-overload]
        .where(Upload.sha256 == wb.sha256, Upload.outcome == "loaded")
        .limit(1)
    ).first()
    if first is not None:
        dup, kind = first[0], kind or first[1] or ""
        up = _record(
            session,
            b"",
            name,
            kind,
            uploaded_by,
            "duplicate",
            f"already loaded as upload {dup}: nothing changed",
            sha=wb.sha256,
            duplicate_of=dup,
            settings=settings,
            size=len(data),
        )
        audit.record(session, actor, "upload_duplicate", name, detail=up.message, upload_id=up.id)
        session.commit()
        return LoadOutcome("duplicate", kind, name, up.id, message=up.message)

    result: LoadResult
    plan = current_plan(session=session)
    if kind not in KINDS:
        result = LoadResult(kind="", filename=name)
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "unknown_kind",
            "cannot tell whether this is an action plan, an update or a workforce extract; "
            "say which with --kind plan|updates|workforce",
        )
    elif kind == "plan":
        result = load_plan(wb, plan_start=plan_start, default_start=plan.start_date if plan else None, mapping=mapping)
    elif kind == "updates":
        if plan is None:
            result = LoadResult(kind=kind, filename=name)
            result.add(
                wb.sheets[0].name,
                None,
                None,
                None,
                "no_plan",
                "there is no action plan yet: load the plan before its updates",
            )
        else:
            context = _plan_context(session, plan)
            if actor.role == "lead":
                context.allowed = actor.owns
            result = load_updates(wb, plan=context, uploaded_by=uploaded_by, today=today)
    else:
        result = load_workforce(wb, as_of=as_of)

    if not result.valid:
        up = _record(
            session,
            data,
            name,
            kind or "",
            uploaded_by,
            "rejected",
            f"{_plural(len(result.errors), 'problem')} found: nothing was written",
            sha=wb.sha256,
            issues=result,
            settings=settings,
            plan_id=plan.id if plan else None,
        )
        audit.record(session, actor, "upload_rejected", name, detail=up.message, upload_id=up.id)
        session.commit()
        return LoadOutcome("rejected", kind or "", name, up.id, result, message=up.message)

    changes = planned_changes(session, kind or "", result, plan)
    if dry_run:
        counts = _count(changes)
        message = describe_counts(counts) or "no changes"
        return LoadOutcome("ready", kind or "", name, None, result, counts, message, changes)

    try:
        up = _record(
            session, data, name, kind or "", uploaded_by, "loaded", "", sha=wb.sha256, issues=result, settings=settings
        )
        assert up.id is not None
        if kind == "plan":
            counts = _write_plan(session, result, up)
        elif kind == "updates":
            assert plan is not None
            counts = _write_updates(session, result, plan, up.id)
        else:
            counts = _write_workforce(session, result, up.id)
        up.rows_accepted = sum(v for k, v in counts.items() if k not in ("unchanged", "snapshots", "input_rows"))
        up.message = describe_counts(counts)
        session.add(up)
        audit.record(session, actor, f"load_{kind}", name, detail=up.message, upload_id=up.id)
        for c in changes:
            audit.record(
                session,
                actor,
                c["change"],
                c["target"],
                before=c["before"],
                after=c["after"],
                detail=c["detail"],
                upload_id=up.id,
            )
        session.commit()
    except Exception as exc:
        session.rollback()
        if isinstance(exc, DBAPIError) and retriable(exc):
            raise  # load_file tries again: nothing to record yet
        _record(
            session,
            data,
            name,
            kind or "",
            uploaded_by,
            "rejected",
            "the write failed and was undone",
            sha=wb.sha256,
            settings=settings,
        )
        session.commit()
        raise
    return LoadOutcome("loaded", kind or "", name, up.id, result, counts, up.message, changes)


# The singular of each count's name, where dropping a final "s" would be wrong or there is none to drop.
_SINGULAR = {"evidence": "evidence item", "input_rows": "input row", "progress_updates": "progress update"}
_PLURAL = {"evidence": "evidence items"}


def _plural(n: int, word: str) -> str:
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


_KIND_OPERATION = {"plan": "load_plan", "updates": "load_updates", "workforce": "load_workforce"}


def _check_kind(session: Session, actor: Actor, name: str, kind: str) -> None:
    audit.require_logged(session, actor, _KIND_OPERATION[kind], name)  # logged: a security event


def _count(changes: list[dict[str, str]]) -> dict[str, int]:
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


def _find_plan(session: Session, meta: Mapping[str, Any]) -> tuple[Plan | None, str]:
    """The plan a plan file updates (same start date and institution), or None for a new plan."""
    institution = str(meta.get("institution") or get_settings().institution)
    q = select(Plan).where(col(Plan.start_date) == meta["start_date"])
    candidates = list(session.exec(q).scalars())  # type: ignore[call-overload]
    plan = next((p for p in candidates if p.institution.lower() == institution.lower()), None)
    if plan is None and candidates and not institution:
        plan = candidates[0]
    return plan, institution


def _plan_changes(session: Session, result: LoadResult) -> list[dict[str, str]]:
    plan, _ = _find_plan(session, result.meta)
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
        before = _snapshot(act)
        values = row.model_dump(exclude={"ref"})
        fields = [f for f in ACTION_FIELDS if before[f] != _snapshot_value(values[f])]
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
    from tracker.queries import latest_updates

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


def _record(
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


def _plan_context(session: Session, plan: Plan) -> PlanContext:
    acts = session.exec(  # type: ignore[call-overload]
        select(col(Action.ref), col(Action.pillars), col(Action.withdrawn)).where(col(Action.plan_id) == plan.id)
    ).all()
    ev = session.exec(  # type: ignore[call-overload]
        select(col(Evidence.id), col(Action.ref), col(Evidence.supersedes_id))
        .join(Action, col(Evidence.action_id) == col(Action.id))
        .where(col(Action.plan_id) == plan.id)
    ).all()
    end = add_months(plan.start_date, plan.months) - timedelta(days=1)
    return PlanContext(
        start=plan.start_date,
        end=end,
        actions={r: ActionInfo(p, w) for r, p, w in acts},
        evidence_refs={i: r for i, r, _ in ev},
        corrected={sup: i for i, _, sup in ev if sup is not None},
    )


def _snapshot(a: Action) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in ACTION_FIELDS:
        v = getattr(a, f)
        out[f] = v.isoformat() if isinstance(v, date) else (list(v) if isinstance(v, list) else v)
    return out


def _write_plan(session: Session, result: LoadResult, up: Upload) -> dict[str, int]:
    meta = result.meta
    plan, institution = _find_plan(session, meta)
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
        before = _snapshot(act)
        changed = any(before[f] != _snapshot_value(values[f]) for f in ACTION_FIELDS)
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
            session.add(_revision(act, up, "withdrawn", _snapshot(act)))
            act.withdrawn, act.withdrawn_at, act.updated_at = True, now, now
            session.add(act)
            counts["withdrawn"] += 1
    session.flush()
    return counts


def _revision(act: Action, up: Upload, change: str, before: dict[str, Any]) -> ActionRevision:
    assert act.id is not None
    return ActionRevision(action_id=act.id, upload_id=up.id, change=change, before=before)


def _snapshot_value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def _write_updates(session: Session, result: LoadResult, plan: Plan, upload_id: int) -> dict[str, int]:
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


def _write_workforce(session: Session, result: LoadResult, upload_id: int) -> dict[str, int]:
    dates = sorted({r.as_of for r in result.rows})
    # A new extract for a date replaces that snapshot; the old file stays in its Upload for replay.
    if dates:
        session.execute(delete(WorkforceRecord).where(WorkforceRecord.as_of.in_(dates)))  # type: ignore[attr-defined]
    rows = [{**r.model_dump(), "upload_id": upload_id} for r in result.rows]
    if rows:
        session.execute(insert(WorkforceRecord), rows)
    session.flush()
    return {"workforce_rows": len(rows), "snapshots": len(dates), "input_rows": int(result.meta.get("input_rows", 0))}
