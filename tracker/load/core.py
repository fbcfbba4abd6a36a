"""Loading a file into the database: read, detect, validate, then write all of it or none of it.

Every attempt is recorded as an `Upload` (who, when, kind, counts, outcome, issues, and the bytes), so
nothing a user sent is lost. `load_file` owns the transaction: the data and its upload record commit
together; a rejected or unreadable file commits only its upload record.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from tracker import audit
from tracker.auth import SYSTEM, Actor
from tracker.config import Settings, get_settings
from tracker.db import is_transient, lock_for_write
from tracker.ingest.base import LoadResult, UnreadableFile
from tracker.ingest.cells import norm
from tracker.ingest.group import load_group
from tracker.ingest.plan import load_plan
from tracker.ingest.reader import Cell, Reading, Workbook, read_bytes, read_workbook
from tracker.ingest.updates import (
    EVIDENCE_COLUMNS,
    MEASURE_COLUMNS,
    PROGRESS_COLUMNS,
    ActionInfo,
    PlanContext,
    Remembered,
    find_update_tables,
    load_updates,
)
from tracker.ingest.workforce import load_workforce
from tracker.load.detect import detect_kind
from tracker.load.mapping import header_key, save_mapping, saved_mapping, saved_mappings
from tracker.load.preview import count_changes, describe_counts, find_plan, planned_changes
from tracker.load.write import record_upload, write_group, write_plan, write_updates, write_workforce
from tracker.models import (
    LOADED_ONCE,
    Action,
    Evidence,
    Plan,
    Upload,
)
from tracker.plans import current_plan, plan_end
from tracker.text import day, plural
from tracker.users import owned_refs
from tracker.vocab import KINDS


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


@dataclass(frozen=True)
class PlanOptions:
    """What a person says about a plan file: its start and length, the column mapping they confirmed, where
    the table is, and whether withdrawing most of the current plan is meant.

    `mapping` maps a field (tracker.ingest.plan.FIELD_HELP) to a header as written; with `complete`, columns
    not in it are ignored rather than guessed (the browser's mapping step sends every column)."""

    start: date | None = None
    months: int | None = None
    mapping: Mapping[str, str] | None = None
    complete: bool = False
    header_row: int | None = None  # as Excel numbers it
    sheet: str | None = None
    allow_withdraw: bool = False
    use_saved: bool = True  # read with the mapping kept for the file's header row, when none is given


@dataclass(frozen=True)
class UpdateOptions:
    """What a person says about the columns of a progress or evidence log of their own.

    `tables` maps a table ('Sheet!row', as `LoadResult.meta["tables"]` names them) to the {field: header} they
    confirmed for it, every other column of that table ignored (the Upload page's mapping step sends each table
    it shows); `mapping` is one {field: header} for every table holding those headers (--map). With neither, the
    mapping this person confirmed before for the same headers is used (`use_saved`)."""

    tables: Mapping[str, Mapping[str, str]] | None = None
    mapping: Mapping[str, str] | None = None
    use_saved: bool = True


# A re-import that would withdraw more than this share of the current plan's actions needs a yes.
WITHDRAW_SHARE = 0.5


def load_file(
    source: str | Path | bytes | BinaryIO | Reading,
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
    plan: PlanOptions | None = None,
    updates: UpdateOptions | None = None,
    record: bool = True,
    settings: Settings | None = None,
    today: date | None = None,
) -> LoadOutcome:
    """Read, check permission, validate and (only if there are no errors) write one file; record the attempt.

    `source` is a path, bytes, a file object, or a `Reading` already under way (the command line starts one
    before it imports the database layer).

    `actor` is who is loading it (the command line without --as acts as `SYSTEM`, an administrator): plans and
    workforce extracts need an administrator, updates a lead (for their own actions only) or an administrator.
    With `dry_run`, a valid file is not written: the outcome is "ready" and `changes` lists exactly what
    loading it would write, for the user to confirm. Raises UnreadableFile (after recording it) when the file
    cannot be read at all, and PermissionDenied (after logging it) when the actor's role may not load the kind.
    `plan` says what the person knows of a plan file (`plan_start` and `mapping` are shorthands for its start
    and mapping), `updates` what they say of an update log's columns (`mapping` serves an update log too when
    `updates` is not given); a confirmed update mapping is kept for that person's next log with the same headers.
    `record=False` leaves no upload record for a dry run the file fails (a page re-checking a file
    while its user corrects the mapping; the first check and every load are recorded). A plan loaded with a
    mapping keeps it for the next file with the same header row; a plan file
    without one is read with the mapping kept for its header row, if any.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     out = load_file(b"Ref,As of,Status\\nD1,01/02/2019,Green\\n", filename="u.csv", session=s)
        >>> out.outcome, [i.code for i in out.result.issues]
        ('rejected', ['no_plan'])
    """
    settings = settings or get_settings()
    plan = plan or PlanOptions()
    if plan_start or mapping:
        plan = replace(plan, start=plan.start or plan_start, mapping=plan.mapping or mapping)
    updates = updates or UpdateOptions(mapping=plan.mapping)
    uploaded_by = uploaded_by or (actor.email if actor is not SYSTEM else "")
    reading = source if isinstance(source, Reading) else None
    if not actor.can("load_updates"):  # viewers and board members load nothing: refuse before reading
        shown = (
            reading.name
            if reading is not None
            else filename or (Path(source).name if isinstance(source, str | Path) else "upload")
        )
        audit.require_logged(session, actor, KIND_OPERATION.get(kind or "", "load_updates"), shown)
    # Once: a stream cannot be read again on a retry.
    data, name = (source.data, source.name) if isinstance(source, Reading) else read_bytes(source, filename)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _load_once(
                data,
                name,
                reading=reading if attempt == 1 else None,
                session=session,
                actor=actor,
                dry_run=dry_run,
                kind=kind,
                uploaded_by=uploaded_by,
                as_of=as_of,
                plan=plan,
                updates=updates,
                record=record or not dry_run,
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
    reading: Reading | None = None,
    session: Session,
    actor: Actor,
    dry_run: bool,
    kind: str | None,
    uploaded_by: str,
    as_of: date | None,
    plan: PlanOptions,
    updates: UpdateOptions,
    record: bool,
    settings: Settings,
    today: date | None,
) -> LoadOutcome:
    """One attempt at `load_file` on bytes already read."""
    try:
        # A retry reads the bytes afresh: the loaders may have changed the first reading's cells. A workforce
        # extract is streamed (summed a batch of rows at a time), so its parse can refuse it while it is read.
        wb = (
            reading.result()
            if reading is not None
            else read_workbook(data, filename=name, settings=settings, stream=kind == "workforce")
        )
        with wb:  # a streamed parse stops when this attempt ends, however it ends
            return _load_workbook(
                wb,
                data,
                name,
                session=session,
                actor=actor,
                dry_run=dry_run,
                kind=kind,
                uploaded_by=uploaded_by,
                as_of=as_of,
                plan=plan,
                updates=updates,
                record=record,
                settings=settings,
                today=today,
            )
    except UnreadableFile as exc:
        session.rollback()  # a streamed file refused half-way: nothing of it was written
        up = record_upload(session, data, name, kind or "", uploaded_by, "unreadable", exc.message, settings=settings)
        audit.record(session, actor, "upload_unreadable", name, detail=exc.message, upload_id=up.id)
        session.commit()
        raise


def _load_workbook(
    wb: Workbook,
    data: bytes,
    name: str,
    *,
    session: Session,
    actor: Actor,
    dry_run: bool,
    kind: str | None,
    uploaded_by: str,
    as_of: date | None,
    plan: PlanOptions,
    updates: UpdateOptions,
    record: bool,
    settings: Settings,
    today: date | None,
) -> LoadOutcome:
    """`_load_once` on the workbook read from `data`."""
    kind = kind or _kind_for(session, wb, actor, updates, uploaded_by)
    if kind in KINDS:
        check_kind(session, actor, name, kind)
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
        up = record_upload(
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

    held = current_plan(session=session)
    result = _parse(
        session,
        wb,
        kind,
        actor=actor,
        plan=plan,
        updates=updates,
        held=held,
        as_of=as_of,
        uploaded_by=uploaded_by,
        today=today,
    )

    changes = planned_changes(session, kind or "", result, held) if result.valid else []
    if kind == "plan" and result.valid and not plan.allow_withdraw:
        _guard_withdrawal(session, result, changes)
    if not result.valid and not record:
        return LoadOutcome("rejected", kind or "", name, None, result, message=_problems(result))
    if not result.valid:
        up = record_upload(
            session,
            data,
            name,
            kind or "",
            uploaded_by,
            "rejected",
            _problems(result),
            sha=wb.sha256,
            issues=result,
            settings=settings,
            plan_id=held.id if held else None,
        )
        audit.record(session, actor, "upload_rejected", name, detail=up.message, upload_id=up.id)
        session.commit()
        return LoadOutcome("rejected", kind or "", name, up.id, result, message=up.message)

    if dry_run:
        counts = count_changes(changes)
        message = describe_counts(counts) or "no changes"
        return LoadOutcome("ready", kind or "", name, None, result, counts, message, changes)

    try:
        up = record_upload(
            session, data, name, kind or "", uploaded_by, "loaded", "", sha=wb.sha256, issues=result, settings=settings
        )
        assert up.id is not None
        counts = _write(
            session, kind or "", result, up, wb=wb, held=held, plan=plan, updates=updates, uploaded_by=uploaded_by
        )
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
        record_upload(
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


def _kind_for(session: Session, wb: Workbook, actor: Actor, updates: UpdateOptions, uploaded_by: str) -> str | None:
    """What `wb` is, for `actor`: a lead loads only updates, so their file is read as one (the mapping step then
    shows its columns) unless it is plainly something else and holds no update table, even with the mappings they
    confirmed before (then it is refused with the reason: a lead may not load plans)."""
    detected = detect_kind(wb)
    lead = actor.can("load_updates") and not actor.can("load_plan")
    if not lead or detected == "updates":
        return detected
    if detected is None or updates.mapping or updates.tables:
        return "updates"
    remembered = kept_mappings(session, owner=uploaded_by)  # only for a lead's file detection could not place
    return "updates" if any(find_update_tables(sheet, remembered=remembered) for sheet in wb.sheets) else detected


def _parse(
    session: Session,
    wb: Workbook,
    kind: str | None,
    *,
    actor: Actor,
    plan: PlanOptions,
    updates: UpdateOptions,
    held: Plan | None,
    as_of: date | None,
    uploaded_by: str,
    today: date | None,
) -> LoadResult:
    """The rows and issues of `wb` read as `kind` (an issue saying why when it cannot be read as anything)."""
    if kind == "plan":
        return _read_plan(session, wb, plan, held)
    if kind == "workforce":
        return load_workforce(wb, as_of=as_of)
    if kind == "group":
        return load_group(wb, today=today)
    if kind == "updates" and held is not None:
        context = plan_context(session, held)
        if actor.role == "lead":
            # A lead may update what they own in the plan being updated, by action: the refs an Actor carries are
            # a snapshot taken at sign-in, so they count only where the database still links this user to that
            # action of `held` (a later plan's D1 is not the earlier D1 its lead owned).
            context.allowed = actor.owns & frozenset(owned_refs(session=session, email=actor.email, plan_id=held.id))
        return load_updates(
            wb,
            plan=context,
            uploaded_by=uploaded_by,
            today=today,
            mapping=updates.mapping,
            tables=updates.tables,
            remembered=kept_mappings(session, owner=uploaded_by) if updates.use_saved else None,
        )
    result = LoadResult(kind=kind or "", filename=wb.filename)
    if kind == "updates":
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "no_plan",
            "there is no action plan yet: load the plan before its updates",
        )
    else:
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "unknown_kind",
            "cannot tell whether this is an action plan, an update, a workforce extract or a working-group list; "
            "say which with --kind plan|updates|workforce|group",
        )
    return result


def _write(
    session: Session,
    kind: str,
    result: LoadResult,
    up: Upload,
    *,
    wb: Workbook,
    held: Plan | None,
    plan: PlanOptions,
    updates: UpdateOptions,
    uploaded_by: str,
) -> dict[str, int]:
    """Write a valid `result` (in the caller's transaction); the counts of what was written."""
    assert up.id is not None
    if kind == "plan":
        counts = write_plan(session, result, up)
        if plan.mapping:  # a mapping the person gave: offered again for a file with the same headers
            sheet = wb.sheet(result.meta["sheet"])
            assert sheet is not None
            header = sheet.rows[result.meta["reading"].header_index]
            save_mapping(
                session=session, kind="plan", header=header, mapping=result.meta["columns"], saved_by=uploaded_by
            )
        return counts
    if kind == "updates":
        assert held is not None
        if updates.tables or updates.mapping:
            _keep_update_mappings(session, wb, result, updates, uploaded_by)
        return write_updates(session, result, held, up.id)
    if kind == "group":
        return write_group(session, result, up.id, who=uploaded_by)
    return write_workforce(session, result, up.id)


def kept_mappings(session: Session, *, owner: str) -> Remembered:
    """`owner`'s confirmed update-log mappings, as `load_updates` asks for them (one query, then by header)."""
    kept = {m.header_key: m for m in saved_mappings(session=session, kind="updates", owner=owner)}

    def remembered(header: Sequence[Cell]) -> tuple[Mapping[str, str], str] | None:
        m = kept.get(header_key(header))
        return (m.mapping, f"{m.saved_by or 'someone'} on {day(m.saved_at)}") if m else None

    return remembered


def _keep_update_mappings(
    session: Session, wb: Workbook, result: LoadResult, updates: UpdateOptions, uploaded_by: str
) -> None:
    """Keep the columns the person confirmed for each table of their log, for their next log with these headers
    (not for the template's own headers, which read the same way without)."""
    for t in result.meta.get("tables", []):
        if updates.tables is not None and t.key not in updates.tables:
            continue
        columns = t.columns()
        if {norm(label) for label in columns.values()} <= TEMPLATE_HEADERS:
            continue
        sheet = wb.sheet(t.sheet)
        assert sheet is not None
        save_mapping(
            session=session,
            kind="updates",
            header=sheet.rows[t.header_row - 1],
            mapping=columns,
            saved_by=uploaded_by,
            owner=uploaded_by,
        )


TEMPLATE_HEADERS = {norm(h) for h in (*PROGRESS_COLUMNS, *EVIDENCE_COLUMNS, *MEASURE_COLUMNS)}


def _problems(result: LoadResult) -> str:
    return f"{plural(len(result.errors), 'problem')} found: nothing was written"


def _read_plan(session: Session, wb: Workbook, options: PlanOptions, held: Plan | None) -> LoadResult:
    """The plan in `wb` read with what the person said, else with the mapping kept for its header row."""
    mapping, complete, kept = options.mapping, options.complete, None
    if mapping is None and options.use_saved:
        for sheet in wb.sheets:
            kept = saved_mapping(session=session, kind="plan", rows=sheet.rows)
            if kept is not None:
                mapping, complete = kept.mapping, True
                break
    result = load_plan(
        wb,
        plan_start=options.start,
        default_start=held.start_date if held else None,
        months=options.months,
        mapping=mapping,
        complete=complete,
        header_row=options.header_row,
        sheet=options.sheet,
    )
    if kept is not None:
        result.meta["mapping_from"] = f"{kept.saved_by or 'someone'} on {day(kept.saved_at)}"
        result.note(
            str(result.meta.get("sheet", "")),
            result.meta.get("header_row"),
            None,
            None,
            f"columns mapped as {result.meta['mapping_from']} confirmed for these headers",
        )
    return result


def _guard_withdrawal(session: Session, result: LoadResult, changes: list[dict[str, str]]) -> None:
    """An error when re-importing would withdraw more than half the plan's actions: a file that is not this
    plan (or a different layout read wrongly) must never empty it without a yes."""
    withdrawn = [c["target"] for c in changes if c["change"] == "action_withdrawn"]
    if not withdrawn:
        return
    plan, _ = find_plan(session, result.meta)
    assert plan is not None
    active = session.exec(  # type: ignore[call-overload]
        select(func.count()).select_from(Action).where(col(Action.plan_id) == plan.id, col(Action.withdrawn).is_(False))
    ).one()[0]
    if len(withdrawn) > WITHDRAW_SHARE * active:
        result.add(
            str(result.meta.get("sheet", "")),
            None,
            None,
            str(len(withdrawn)),
            "mass_withdrawal",
            f"loading this file would withdraw {len(withdrawn)} of the plan's {active} actions "
            f"({', '.join(withdrawn[:12])}{'…' if len(withdrawn) > 12 else ''}): if that is meant, confirm it "
            "(--allow-withdraw, or the 'withdraw them' box on the Upload page); if not, check the file is this plan",
        )


KIND_OPERATION = {"plan": "load_plan", "updates": "load_updates", "workforce": "load_workforce", "group": "load_plan"}


def check_kind(session: Session, actor: Actor, name: str, kind: str) -> None:
    audit.require_logged(session, actor, KIND_OPERATION[kind], name)  # logged: a security event


def plan_context(session: Session, plan: Plan) -> PlanContext:
    acts = session.exec(  # type: ignore[call-overload]
        select(col(Action.ref), col(Action.pillars), col(Action.withdrawn)).where(col(Action.plan_id) == plan.id)
    ).all()
    ev = session.exec(  # type: ignore[call-overload]
        select(col(Evidence.id), col(Action.ref), col(Evidence.supersedes_id))
        .join(Action, col(Evidence.action_id) == col(Action.id))
        .where(col(Action.plan_id) == plan.id)
    ).all()
    end = plan_end(plan)
    return PlanContext(
        start=plan.start_date,
        end=end,
        actions={r: ActionInfo(p, w) for r, p, w in acts},
        evidence_refs={i: r for i, r, _ in ev},
        corrected={sup: i for i, _, sup in ev if sup is not None},
    )
