"""Uploads from the uploader's side: their history, the original files, the issues found, the template they
fill in, and the words a page shows for a preview of what a file would change.

Everyone sees their own uploads; an administrator sees everybody's and can download any original file
(`download_any_upload`). The checks are here, not in the pages.

Example:
    >>> from tracker.db import open_engine
    >>> from tracker.load import load_file
    >>> admin, lead = Actor("admin@uni.ac.uk", "admin"), Actor("lead@uni.ac.uk", "lead", frozenset({"D1"}))
    >>> with Session(open_engine("sqlite://")) as s:
    ...     out = load_file(b"Theme,Activity,Who\\nValue,Annual awards,OD\\n", filename="p.csv", session=s,
    ...                     actor=admin, plan_start=date(2018, 11, 1))
    ...     mine, theirs = list_uploads_for(session=s, actor=admin), list_uploads_for(session=s, actor=lead)
    ...     name, data = upload_file(session=s, actor=admin, upload_id=out.upload_id)
    >>> [u.filename for u in mine], theirs, name, data[:5]
    (['p.csv'], [], 'p.csv', b'Theme')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlmodel import Session

from tracker.auth import ROLE_CAN, Actor, PermissionDenied
from tracker.charts.plan import status_label
from tracker.ingest.base import Issue, LoadResult, Severity
from tracker.ingest.cells import col_letter, norm
from tracker.ingest.columns import column_labels
from tracker.load import KIND_OPERATION, KINDS
from tracker.load.core import TEMPLATE_HEADERS
from tracker.models import EvidenceCreate, ProgressUpdateCreate, Upload
from tracker.queries import list_uploads
from tracker.records import UploadRow
from tracker.text import day

KIND_LABELS = {
    "plan": "Action plan",
    "updates": "Progress and evidence update",
    "workforce": "Workforce extract (HR)",
    "group": "Working-group list",
}
OUTCOME_LABELS = {
    "loaded": "✔ Loaded",
    "rejected": "✕ Rejected",
    "duplicate": "✔ Already loaded (nothing changed)",
    "unreadable": "✕ Unreadable",
}
# change code (tracker.load.planned_changes) → (singular, plural) words for the preview
CHANGE_WORDS: dict[str, tuple[str, str]] = {
    "status": ("status change", "status changes"),
    "progress": ("progress update", "progress updates"),
    "evidence": ("new evidence item", "new evidence items"),
    "evidence_corrected": ("evidence correction", "evidence corrections"),
    "measure": ("measure value", "measure values"),
    "action_added": ("action added", "actions added"),
    "action_changed": ("action changed", "actions changed"),
    "action_withdrawn": ("action withdrawn", "actions withdrawn"),
    "action_restored": ("action restored", "actions restored"),
    "action_matched": ("action matched under its held ref", "actions matched under their held refs"),
    "snapshot": ("workforce snapshot", "workforce snapshots"),
    "group_member_added": ("working-group member added", "working-group members added"),
    "group_member_changed": ("working-group member changed", "working-group members changed"),
    "group_member_left": ("working-group member left", "working-group members left"),
}
STATUS_CHANGES = ("status", "progress")


def kinds_for(actor: Actor) -> list[str]:
    """The kinds of file `actor` may load, in the order a page offers them (a lead: updates only).

    Example:
        >>> kinds_for(Actor("l@uni.ac.uk", "lead")), kinds_for(Actor("a@uni.ac.uk", "admin"))
        (['updates'], ['plan', 'updates', 'workforce', 'group'])
        >>> kinds_for(Actor("v@uni.ac.uk", "viewer"))
        []
    """
    return [k for k in KINDS if actor.can(KIND_OPERATION[k])]


def template_for(*, session: Session, actor: Actor) -> tuple[str, bytes]:
    """The update template for `actor` as (filename, bytes): every ref of the current plan in the Ref
    drop-down; the Progress sheet pre-filled with a lead's own refs, or with every ref for an administrator.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     name, data = template_for(session=s, actor=Actor("l@uni.ac.uk", "lead", frozenset({"D2"})))
        >>> name, data[:2]
        ('update_template_D2.xlsx', b'PK')
    """
    from tracker.queries import action_refs
    from tracker.templates import updates_template

    refs = action_refs(session=session)
    if actor.can("load_plan"):  # an administrator may update every action
        prefill: list[str] = refs
        name = "update_template.xlsx"
    else:
        prefill = sorted(actor.owns)
        name = f"update_template_{'_'.join(prefill)}.xlsx" if prefill else "update_template.xlsx"
    return name, updates_template(refs=refs, prefill=prefill)


def list_uploads_for(*, session: Session, actor: Actor, limit: int = 500) -> list[UploadRow]:
    """Upload attempts `actor` may see, newest first: an administrator every one, anyone else their own.

    The file's bytes are not read: `has_file` says whether they were kept.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     list_uploads_for(session=s, actor=Actor("l@uni.ac.uk", "lead"))
        []
    """
    return list_uploads(session=session, actor=actor, limit=limit)


def _upload(session: Session, actor: Actor, upload_id: int, what: str) -> Upload:
    up = session.get(Upload, upload_id)
    if up is None:
        raise ValueError(f"there is no upload {upload_id}")
    if up.uploaded_by != actor.email and not actor.can("download_any_upload"):
        raise PermissionDenied(
            f"upload {upload_id} was sent by someone else: {actor.email} is a {actor.role} and can {what} only "
            f"their own uploads ({ROLE_CAN[actor.role]}); an administrator can {what} any upload"
        )
    return up


def upload_file(*, session: Session, actor: Actor, upload_id: int) -> tuple[str, bytes]:
    """The original file of an upload as (filename, bytes): the actor's own, or any for an administrator.

    Raises PermissionDenied for someone else's upload, and ValueError for an id that does not exist or an
    upload whose bytes were not kept (a duplicate keeps none: its first upload has them).

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     upload_file(session=s, actor=Actor("a@uni.ac.uk", "admin"), upload_id=7)
        Traceback (most recent call last):
        ...
        ValueError: there is no upload 7
    """
    up = _upload(session, actor, upload_id, "download")
    if not up.content:
        if up.duplicate_of is not None:
            raise ValueError(
                f"upload {upload_id} kept no copy of {up.filename}: it was the same file as upload "
                f"{up.duplicate_of}, which has it"
            )
        raise ValueError(f"upload {upload_id} kept no copy of {up.filename} (it was empty or over the size limit)")
    return up.filename, bytes(up.content)


def upload_issues(*, session: Session, actor: Actor, upload_id: int) -> list[Issue]:
    """The issues found in one upload, as the loader found them (the actor's own upload, or any for an admin);
    `issue_rows` makes them a table.

    Example:
        >>> from tracker.db import open_engine
        >>> with Session(open_engine("sqlite://")) as s:
        ...     upload_issues(session=s, actor=Actor("a@uni.ac.uk", "admin"), upload_id=1)
        Traceback (most recent call last):
        ...
        ValueError: there is no upload 1
    """
    up = _upload(session, actor, upload_id, "see the issues of")
    return [stored_issue(d) for d in up.issues]


def stored_issue(d: Mapping[str, Any]) -> Issue:
    """An issue as an upload keeps it (`Issue.as_dict`; an older upload's may lack a field) back as an `Issue`.

    Example:
        >>> stored_issue({"sheet": "HR", "row": 7, "value": 3, "message": "not a grade"})
        Issue(sheet='HR', row=7, column=None, value='3', code='', message='not a grade', severity='error')
    """
    value = d.get("value")
    return Issue(
        sheet=str(d.get("sheet") or ""),
        row=d.get("row"),
        column=d.get("column") or None,
        value=None if value is None else str(value),
        code=str(d.get("code") or ""),
        message=str(d.get("message") or ""),
        severity="warning" if d.get("severity") == "warning" else "error",
    )


def issue_rows(
    issues: Iterable[Issue], severity: Severity | None = None, *, saying: str = "Problem"
) -> list[dict[str, str]]:
    """Issues as table rows, headed as the pages show them: Sheet, Row (as Excel numbers it, as text: blank for a
    problem with the whole sheet or file), Column, Value, Problem (or `saying`: the reader's notes are guesses,
    not problems), and Severity; only those of `severity` when given (and then no Severity column).

    Example:
        >>> bad = Issue("Progress", 412, "Status", "Purple", "bad_status", "not a status")
        >>> issue_rows([bad])  # doctest: +ELLIPSIS
        [{'Sheet': 'Progress', 'Row': '412', 'Column': 'Status', 'Value': 'Purple', 'Problem': 'not a status', ...}]
        >>> issue_rows([bad], severity="warning")
        []
    """
    out = []
    for i in issues:
        if severity is not None and i.severity != severity:
            continue
        row = {
            "Sheet": i.sheet or "",
            "Row": "" if i.row is None else str(i.row),
            "Column": i.column or "",
            "Value": "" if i.value is None else str(i.value),
            saying: i.message or "",
        }
        if severity is None:
            row["Severity"] = i.severity
        out.append(row)
    return out


# Options the command line takes, as the Upload page names them (loader messages mention the options).
PAGE_OPTIONS = {
    "--as-of": "the command line's --as-of is the 'As at (workforce extracts only)' date above the file",
    "--plan-start": "the command line's --plan-start is the 'Plan start (action plans only)' date above the file",
    "--kind": "the command line's --kind is 'What is the file?' above the file",
}


def option_hints(issues: Iterable[Issue | Mapping[str, Any]]) -> list[str]:
    """For issues that name a command-line option, where that option is on the Upload page.

    Example:
        >>> option_hints([Issue("HR", None, None, None, "no_as_of", "No as-of date: ... or pass --as-of YYYY-MM-DD")])
        ["On this page, the command line's --as-of is the 'As at (workforce extracts only)' date above the file."]
    """
    text = " ".join(i.message if isinstance(i, Issue) else str(i.get("message", "")) for i in issues)
    return [f"On this page, {hint}." for flag, hint in PAGE_OPTIONS.items() if flag in text]


def change_counts(changes: Sequence[Mapping[str, str]]) -> str:
    """A one-line count of what a file changes, e.g. '1 status change, 2 new evidence items'.

    Example:
        >>> change_counts([{"change": "status"}, {"change": "evidence"}, {"change": "evidence"}])
        '1 status change, 2 new evidence items'
        >>> change_counts([])
        'no changes'
    """
    counts: dict[str, int] = {}
    for c in changes:
        counts[c["change"]] = counts.get(c["change"], 0) + 1
    parts = []
    for code, n in counts.items():
        one, many = CHANGE_WORDS.get(code, (code.replace("_", " "), code.replace("_", " ")))
        parts.append(f"{n:,} {one if n == 1 else many}")
    return ", ".join(parts) or "no changes"


def change_rows(kind: str, changes: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The preview table: what each change is, to which action (or snapshot date), from → to, and details.

    Statuses are shown with their symbol and word (never colour alone).

    Example:
        >>> row, = change_rows("updates", [{"change": "status", "target": "D2", "before": "delayed",
        ...                                 "after": "on track", "detail": "as of 31 Oct 2020  80% "}])
        >>> row  # doctest: +ELLIPSIS
        {'Change': 'Status change', 'Action': 'D2', 'From': '✕ Delayed', 'To': '● On track', 'Details': ...}
        >>> row["Details"]
        'as of 31 Oct 2020 80%'
    """
    target = {"workforce": "Snapshot", "group": "Member"}.get(kind, "Action")
    out = []
    for c in changes:
        code = c["change"]
        before, after = c.get("before", ""), c.get("after", "")
        if code in STATUS_CHANGES:
            before = status_label(before) if before else ""
            after = status_label(after) if after else ""
        word = CHANGE_WORDS.get(code, (code.replace("_", " "), ""))[0]
        out.append(
            {
                "Change": word[:1].upper() + word[1:],
                target: c.get("target", ""),
                "From": before,
                "To": after,
                "Details": " ".join(c.get("detail", "").split()),
            }
        )
    return out


@dataclass(frozen=True)
class FollowUp:
    """A link to where a load's changes can be seen: the page (the pages decide which file that is), the link's
    words, and its query parameters."""

    page: Literal["action_plan", "evidence", "workforce"]
    label: str
    params: dict[str, str | list[str]] = field(default_factory=dict)


def follow_ups(kind: str, changes: Sequence[Mapping[str, str]], *, limit: int = 4) -> list[FollowUp]:
    """Where to see what a load changed; at most `limit` links to single actions.

    Example:
        >>> [(f.page, f.params) for f in follow_ups("updates", [
        ...     {"change": "status", "target": "D2"}, {"change": "evidence", "target": "D2"}])]
        [('evidence', {'ref': ['D2']}), ('action_plan', {'action': 'D2'})]
    """
    if kind == "workforce":
        dates = sorted({c["target"] for c in changes if c["change"] == "snapshot"})
        return [
            FollowUp("workforce", f"See the workforce snapshot of {day(date.fromisoformat(d))}", {"snapshot": d})
            for d in dates[-limit:]
        ]
    if kind == "plan":
        return [FollowUp("action_plan", "See the action plan")]
    if kind == "group":
        return [FollowUp("workforce", "See the working group's representation on the Workforce page")]
    out: list[FollowUp] = []
    evidence = sorted({c["target"] for c in changes if c["change"] in ("evidence", "evidence_corrected", "measure")})
    if evidence:
        out.append(FollowUp("evidence", f"See the evidence for {', '.join(evidence)}", {"ref": evidence}))
    refs = sorted({c["target"] for c in changes if c["change"] in STATUS_CHANGES})
    for ref in refs[:limit]:
        out.append(FollowUp("action_plan", f"See {ref} on the action plan", {"action": ref}))
    if len(refs) > limit:
        out.append(FollowUp("action_plan", f"See all {len(refs)} actions on the action plan"))
    return out


# --- the mapping step of a plan upload ------------------------------------------------------------------

PREVIEW_COLUMNS = ("Ref", "Theme", "Activity", "Pillars", "Owners", "Start", "Due", "Promised evidence")


def preview_rows(actions: Iterable[Any]) -> list[dict[str, str]]:
    """The actions a plan file would store (tracker.load.plan_preview) as table rows of text: pillars as letters
    with commas, dates as 1 Nov 2018 ('' when none).

    Example:
        >>> from tracker.load import ActionPreview
        >>> preview_rows([ActionPreview("D1", "Develop", "Run a survey", "VC", "HR; OD", date(2018, 11, 1),
        ...                             date(2020, 10, 31), "survey report")])  # doctest: +NORMALIZE_WHITESPACE
        [{'Ref': 'D1', 'Theme': 'Develop', 'Activity': 'Run a survey', 'Pillars': 'V, C', 'Owners': 'HR; OD',
          'Start': '1 Nov 2018', 'Due': '31 Oct 2020', 'Promised evidence': 'survey report'}]
    """

    def day(d: date | None) -> str:
        return f"{d.day} {d:%b %Y}" if d else ""

    return [
        {
            "Ref": a.ref,
            "Theme": a.theme,
            "Activity": " ".join(a.activity.split()),
            "Pillars": ", ".join(a.pillars),
            "Owners": a.owners,
            "Start": day(a.start),
            "Due": day(a.due),
            "Promised evidence": a.evidence,
        }
        for a in actions
    ]


def header_guess(rows: Sequence[Sequence[Any]], *, scan: int = 30) -> int:
    """The row (as Excel numbers it) most likely to be a table's header when the reader found none: the first of
    the first `scan` rows with two or more text cells, else 1.

    Example:
        >>> header_guess([["Our action plan"], [], ["What we do", "Who", None]])
        3
    """
    for i, row in enumerate(rows[:scan]):
        if sum(1 for c in row if isinstance(c, str) and c.strip()) >= 2:
            return i + 1
    return 1


def raw_columns(rows: Sequence[Sequence[Any]], header_row: int, *, look: int = 50) -> list[tuple[int, str, str]]:
    """(index, letter, label) of each column under header row `header_row` (as Excel numbers it): labels as the
    plan reader gives them ('(column B)' when unheaded), up to the last column with a header or a value in the
    `look` rows below.

    Example:
        >>> raw_columns([["Title"], ["What we do", None, "Who"], ["Survey", "x", "HR", None]], 2)
        [(0, 'A', 'What we do'), (1, 'B', '(column B)'), (2, 'C', 'Who')]
    """
    if not 1 <= header_row <= len(rows):
        return []
    block = rows[header_row - 1 : header_row - 1 + look]
    width = max(
        (max((j + 1 for j, c in enumerate(r) if c is not None and str(c).strip()), default=0) for r in block),
        default=0,
    )
    header = list(rows[header_row - 1])[:width]
    header += [None] * (width - len(header))
    return [(j, col_letter(j), label) for j, label in enumerate(column_labels(header))]


# --- the mapping step of a lead's own progress or evidence log --------------------------------------------

TABLE_KIND_WORDS = {
    "progress": "progress updates",
    "evidence": "evidence of impact",
    "both": "progress updates with evidence of impact",
    "measures": "measure values",
}


def needs_log_step(result: LoadResult | None) -> bool:
    """True when an update file is a log of the person's own (a column not headed as the template heads it) or no
    table was found in it: the page then shows how each column was read, for them to confirm or correct.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> from tracker.ingest.updates import ActionInfo, PlanContext, load_updates
        >>> plan = PlanContext(date(2018, 11, 1), date(2020, 10, 31), {"D1": ActionInfo("V", False)})
        >>> def read(csv): return load_updates(read_workbook(csv, filename="u.csv"), plan=plan, today=date(2020, 1, 1))
        >>> needs_log_step(read(b"Ref,As of,Status\\nD1,01/02/2019,Green\\n"))
        False
        >>> needs_log_step(read(b"Action ref,Update date,RAG\\nD1,01/02/2019,Green\\n"))
        True
    """
    if result is None or result.kind != "updates":
        return False
    tables = result.meta.get("tables", [])
    if not tables:
        return any(i.code == "unrecognised_layout" for i in result.issues)
    return any(not {norm(label) for label in t.columns().values()} <= TEMPLATE_HEADERS for t in tables)


def log_preview(result: LoadResult) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(progress rows, evidence rows) an update file would store, as table rows of text for the mapping step.

    Example:
        >>> from tracker.models import ProgressUpdateCreate
        >>> from tracker.ingest.base import LoadResult
        >>> r = LoadResult("updates", "u.csv", rows=[ProgressUpdateCreate(ref="D1", as_of=date(2019, 2, 1),
        ...                status="at risk", percent_complete=40, note="Room booking slipped")])
        >>> log_preview(r)[0]
        [{'Ref': 'D1', 'Date': '1 Feb 2019', 'Status': '▲ At risk', '% complete': '40', 'Note': 'Room booking slipped'}]
    """
    progress, evidence = [], []
    for r in result.rows:
        if isinstance(r, ProgressUpdateCreate):
            progress.append(
                {
                    "Ref": r.ref,
                    "Date": day(r.as_of),
                    "Status": status_label(r.status),
                    "% complete": "" if r.percent_complete is None else str(r.percent_complete),
                    "Note": " ".join(r.note.split()),
                }
            )
        elif isinstance(r, EvidenceCreate):
            evidence.append(
                {
                    "Ref": r.ref,
                    "Date": day(r.date),
                    "Kind": r.kind.capitalize(),
                    "Pillars": ", ".join(r.pillars),
                    "Evidence": " ".join(r.description.split()),
                    "Link": r.link,
                }
            )
    return progress, evidence
