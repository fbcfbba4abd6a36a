"""Progress, evidence and measure updates from leads, on the template `tracker.templates` makes.

Each sheet is recognised by its header (Progress: Ref + Status; Evidence: Ref + Description; Measures:
Ref + Measure + Value), so a CSV with one of those tables loads too.

Example:
    >>> from tracker.ingest.reader import read_workbook
    >>> csv = b"Ref,As of,Status,Percent complete,Note\\nD1,31/01/2019,Amber,40%,Room booking slipped\\n"
    >>> plan = PlanContext(start=date(2018, 11, 1), end=date(2020, 10, 31), actions={"D1": ActionInfo("VC", False)})
    >>> r = load_updates(read_workbook(csv, filename="u.csv"), plan=plan, today=date(2019, 2, 1))
    >>> r.valid, r.rows[0].status, r.rows[0].percent_complete
    (True, 'at risk', 40)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from tracker.ingest.base import LoadResult
from tracker.ingest.cells import add_months, cell, is_blank, norm, parse_date, pillars_from_words, text
from tracker.ingest.columns import IGNORE, ColumnReading, FieldSpec, choose_columns, forced_columns, header_score
from tracker.ingest.reader import Cell, Sheet, Workbook
from tracker.models import EVIDENCE_KINDS, EvidenceCreate, MeasureValueCreate, ProgressUpdateCreate
from tracker.text import day
from tracker.vocab import UPDATE_FIELD_HELP

PROGRESS_COLUMNS = ("Ref", "As of", "Status", "Percent complete", "Note", "Updated by")
EVIDENCE_COLUMNS = ("Ref", "Date", "Description", "Kind", "Link", "Pillars", "Added by", "Supersedes ID")
MEASURE_COLUMNS = ("Ref", "Measure", "Unit", "Baseline", "Target", "As of", "Value")

STATUS_WORDS = {
    "not started": "not started",
    "not yet started": "not started",
    "grey": "not started",
    "gray": "not started",
    "on track": "on track",
    "on target": "on track",
    "in progress": "on track",
    "ongoing": "on track",
    "underway": "on track",
    "under way": "on track",
    "started": "on track",
    "not due": "not started",
    "not yet due": "not started",
    "planned": "not started",
    "overdue": "delayed",
    "closed": "complete",
    "finished": "complete",
    "green": "on track",
    "g": "on track",
    "at risk": "at risk",
    "amber": "at risk",
    "a": "at risk",
    "delayed": "delayed",
    "behind": "delayed",
    "off track": "delayed",
    "red": "delayed",
    "r": "delayed",
    "complete": "complete",
    "completed": "complete",
    "done": "complete",
    "achieved": "complete",
    "blue": "complete",
    "b": "complete",
    "suspended": "suspended",
    "on hold": "suspended",
    "paused": "suspended",
    "cancelled": "suspended",
}
KIND_WORDS = {k: k for k in EVIDENCE_KINDS} | {
    "doc": "document",
    "report": "document",
    "minutes": "document",
    "paper": "document",
    "webpage": "document",
    "workshop": "event",
    "meeting": "event",
    "conference": "event",
    "training": "event",
    "questionnaire": "survey",
    "feedback": "survey",
    "procedure": "policy",
    "recognition": "award",
    "kpi": "metric",
    "data": "metric",
    "statistic": "metric",
    "case study": "other",
    "presentation": "event",
    "seminar": "event",
    "webinar": "event",
    "talk": "event",
    "course": "event",
    "visit": "event",
    "showcase": "event",
    "website": "document",
    "guidance": "document",
    "handbook": "document",
    "poster": "document",
    "leaflet": "document",
    "certificate": "award",
    "nomination": "award",
    "prize": "award",
    "statistics": "metric",
    "figures": "metric",
    "dashboard": "metric",
}


def status_of(c: Cell) -> str | None:
    """The status a cell's words say ('Green', 'Amber - slipped', 'On track', 'R'), or None.

    Example:
        >>> [status_of(x) for x in ("Green", "amber (at risk)", "Completed.", "G", "A survey", 40)]
        ['on track', 'at risk', 'complete', 'on track', None, None]
    """
    if c is None or isinstance(c, (bool, int, float)):
        return None
    n = norm(c)
    if n in STATUS_WORDS:
        return STATUS_WORDS[n]
    # 'Amber - room booking slipped', 'Green (on track)': the status words first, more after; never a single
    # letter ('A survey was run' is not Amber).
    for phrase in _STATUS_PHRASES:
        if n.startswith(phrase + " "):
            return STATUS_WORDS[phrase]
    return None


_STATUS_PHRASES = sorted((k for k in STATUS_WORDS if len(k) > 1), key=len, reverse=True)


def kind_of(c: Cell) -> str | None:
    """The evidence kind a cell's words say ('Report', 'Staff survey', 'Conference presentation'), or None.

    Example:
        >>> [kind_of(x) for x in ("Report", "Staff survey", "Conference talk", "Case study", "Newsletter article")]
        ['document', 'survey', 'event', 'other', None]
    """
    n = norm(c)
    if not n:
        return None
    if n in KIND_WORDS:
        return KIND_WORDS[n]
    for w in n.split():
        for key in (w, w.rstrip("s")):
            if key in KIND_WORDS:
                return KIND_WORDS[key]
    return None


def _is_percent(c: Cell) -> bool:
    if isinstance(c, str) and not re.fullmatch(r"\s*\d{1,3}(?:\.\d+)?\s*%?\s*", c):
        return False
    try:
        v = parse_percent(c)
    except ValueError:
        return False
    return v is not None and 0 <= v <= 100


_LINKISH = re.compile(r"^(?:https?://|www\.|mailto:|\\\\|[a-z]:\\|file:)|[/\\]\S", re.I)


def _is_link(c: Cell) -> bool:
    return isinstance(c, str) and bool(_LINKISH.search(c.strip()))


def _is_number(c: Cell) -> bool:
    try:
        _number(c)
    except ValueError:
        return False
    return True


# The columns of a progress or evidence log, read by meaning (tracker.ingest.columns): the template's headers are
# whole known headers; a lead's own log ('Update date', 'RAG', '% done', 'Evidence of impact', 'Where it is
# kept') is read by its words and what its cells hold.
UPDATE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "ref",
        "Ref",
        (
            "ref",
            "ref no",
            "reference",
            "action ref",
            "action reference",
            "action no",
            "action number",
            "action",
            "action id",
            "id",
            "no",
            "objective ref",
            "plan ref",
            "action plan ref",
        ),
        # 'Item' and 'Number' hold refs in some logs and other things in others: said by their words, the cells
        # decide (a whole header meaning a ref, 'Action' among them, takes refs of any shape).
        ("ref", "no", "number", "id", "action", "item"),
        "ref",
        required_shape=True,
    ),
    FieldSpec(
        "date",
        "Date",
        (
            "date",
            "as of",
            "as at",
            "update date",
            "date of update",
            "reporting date",
            "as of date",
            "evidence date",
            "date received",
            "when",
            "date added",
            "date updated",
            "month",
            "reporting period",
            "period",
            "updated",
            "date of evidence",
            "date of activity",
            "date completed",
            "date achieved",
        ),
        ("date", "when", "month", "period", "dated"),
        "dates",
    ),
    FieldSpec(
        "status",
        "Status",
        ("status", "rag", "rag status", "progress status", "rag rating", "current status", "status rag", "rating"),
        ("status", "rag", "rating"),
        "fits",
        fits=lambda c: status_of(c) is not None,
    ),
    FieldSpec(
        "percent",
        "Percent complete",
        (
            "percent complete",
            "percent",
            "percent done",
            "progress percent",
            "percentage complete",
            "completion",
            "complete",
            "percentage",
            "percent progress",
            "progress percentage",
            "completion percent",
        ),
        ("percent", "percentage", "complet"),
        "fits",
        required_shape=True,
        fits=_is_percent,
    ),
    FieldSpec(
        "note",
        "Note",
        (
            "note",
            "notes",
            "comment",
            "comments",
            "commentary",
            "update",
            "progress note",
            "progress update",
            "progress",
            "narrative",
            "update on progress",
            "progress to date",
            "summary",
            "progress commentary",
            "latest update",
            "progress made",
            "remarks",
        ),
        ("note", "comment", "update", "progress", "narrative", "summary", "remark", "ongoing", "position", "latest"),
        "long",
    ),
    FieldSpec(
        "description",
        "Description",
        (
            "description",
            "evidence",
            "evidence description",
            "evidence of impact",
            "what",
            "evidence of progress",
            "evidence impact",
            "impact evidence",
            "evidence of success",
            "what happened",
            "activity",
            "achievement",
            "achievements",
            "details",
            "detail",
        ),
        ("evidence", "descri", "achiev", "detail"),
        "long",
    ),
    FieldSpec(
        "impact",
        "Impact",
        ("impact", "outcome", "outcomes", "impact achieved", "difference made", "benefit", "benefits", "result"),
        ("impact", "outcome", "benefit", "differen"),
        "long",
        required_shape=True,  # 'Impact (Y/N)' over ticks is no text of an impact
    ),
    FieldSpec(
        "kind",
        "Kind",
        ("kind", "type", "evidence type", "evidence kind", "type of evidence", "category", "format", "form"),
        ("type", "kind", "categor", "format"),
        "fits",
        fits=lambda c: kind_of(c) is not None,
    ),
    FieldSpec(
        "link",
        "Link",
        (
            "link",
            "url",
            "location",
            "file",
            "where",
            "where it is kept",
            "where held",
            "where kept",
            "link to evidence",
            "evidence location",
            "hyperlink",
            "where stored",
            "file location",
            "filed",
            "where is it kept",
            "where is the evidence",
            "storage location",
        ),
        ("link", "url", "location", "where", "file", "kept", "stored", "held", "hyperlink"),
        "fits",
        fits=_is_link,
    ),
    FieldSpec(
        "pillars",
        "Pillars",
        (
            "pillars",
            "pillar",
            "key areas",
            "key area",
            "tc pillars",
            "tc pillar",
            "pillars addressed",
            "commitment pillars",
            "technician commitment pillars",
        ),
        ("pillar", "key area"),
        "pillar_words",
    ),
    FieldSpec(
        "by",
        "Updated by",
        (
            "updated by",
            "who",
            "by",
            "reported by",
            "added by",
            "submitted by",
            "lead",
            "owner",
            "name",
            "completed by",
            "author",
        ),
        ("by", "who", "lead", "owner", "report", "submit", "author"),
        "names",
    ),
    FieldSpec(
        "supersedes",
        "Supersedes ID",
        ("supersedes id", "supersedes", "corrects", "replaces", "correction of"),
        ("supersed", "correct", "replac"),
        "fits",
        required_shape=True,
        fits=_is_number,
    ),
    FieldSpec(
        "measure",
        "Measure",
        ("measure", "kpi", "indicator", "measure name", "metric"),
        ("measure", "kpi", "indicator", "metric"),
        "short",
    ),
    FieldSpec("unit", "Unit", ("unit", "units"), ("unit",), "short"),
    FieldSpec("baseline", "Baseline", ("baseline",), ("baseline",), "fits", fits=_is_number),
    FieldSpec("target", "Target", ("target",), ("target",), "fits", fits=_is_number),
    FieldSpec(
        "value",
        "Value",
        ("value", "actual", "result", "figure"),
        ("value", "actual", "result", "figure"),
        "fits",
        required_shape=True,
        fits=_is_number,
    ),
)
FIELDS = {f.name: f.label for f in UPDATE_FIELDS}
FIELD_HELP = UPDATE_FIELD_HELP
TableKind = Literal["progress", "evidence", "both", "measures"]


@dataclass
class UpdateTable:
    """One table of a progress or evidence log: where it is, what it holds, and how its columns were read."""

    sheet: str
    header_row: int  # as Excel numbers it
    last_row: int  # the table's last row (as Excel numbers it): the next table's header is below it
    kind: TableKind
    reading: ColumnReading
    mapped_by: str = ""  # 'a@uni.ac.uk on 3 Mar 2020' when read with a mapping kept for these headers

    @property
    def key(self) -> str:
        """'Sheet!row': how a person's mapping names this table."""
        return f"{self.sheet}!{self.header_row}"

    def columns(self) -> dict[str, str]:
        """{field: header label} of the mapped columns (what is kept, and what --map takes)."""
        return {c.field: c.label for c in self.reading.columns if c.field != IGNORE}


def table_kind(reading: ColumnReading, *, ref_optional: bool = False) -> TableKind | None:
    """What a table holds from the fields its columns were mapped to: a ref and a date with a status or percent
    (progress), a description (evidence) or both; a ref, a measure and a value (measures). With `ref_optional`
    (a lead with one action: their log is about it), a table needs no ref column.

    Example:
        >>> from tracker.ingest.columns import ColumnChoice
        >>> r = ColumnReading(0, [ColumnChoice(i, "", "", f, 1.0) for i, f in enumerate(["ref", "date", "status"])])
        >>> table_kind(r)
        'progress'
    """
    f = set(reading.index_of()) | ({"ref"} if ref_optional else set())
    if {"ref", "measure", "value"} <= f:
        return "measures"
    if not {"ref", "date"} <= f:
        return None
    progress, evidence = bool({"status", "percent"} & f), "description" in f
    return "both" if progress and evidence else "progress" if progress else "evidence" if evidence else None


# Rows scanned for a table's header: the first SCAN_ROWS, and any row after a blank one (a second table below
# the first) in the first SCAN_BELOW rows, at most MAX_CANDIDATES rows in all.
SCAN_ROWS, SCAN_BELOW, MAX_CANDIDATES = 30, 5_000, 200
Remembered = Callable[[Sequence[Cell]], "tuple[Mapping[str, str], str] | None"]


def find_update_tables(
    sheet: Sheet,
    *,
    mapping: Mapping[str, str] | None = None,
    tables: Mapping[str, Mapping[str, str]] | None = None,
    remembered: Remembered | None = None,
    ref_optional: bool = False,
) -> list[UpdateTable]:
    """The progress, evidence and measure tables of a sheet, top to bottom, with each one's columns read.

    `tables` maps a table's key ('Sheet!row', UpdateTable.key) to the {field: header} a person confirmed for it
    (its other columns are ignored); `mapping` is one {field: header} for every table where those headers are
    (the command line's --map); `remembered(header row)` gives a mapping kept for these headers and who
    confirmed it. With `ref_optional`, a table needs no column of refs (see `table_kind`).

    Example:
        >>> s = Sheet("Log", [["Evidence log"], ["Action ref", "Date", "Evidence of impact", "Type"],
        ...                   ["D1", "3 March 2020", "Network event: 75 technicians came", "Event"]])
        >>> [(t.header_row, t.kind, t.columns()) for t in find_update_tables(s)]  # doctest: +NORMALIZE_WHITESPACE
        [(2, 'evidence', {'ref': 'Action ref', 'date': 'Date', 'description': 'Evidence of impact',
                          'kind': 'Type'})]
    """
    rows = sheet.rows
    candidates = [i for i in range(min(SCAN_ROWS, len(rows))) if _headerish(rows[i], mapping)]
    below = (i for i in range(SCAN_ROWS, min(SCAN_BELOW, len(rows))) if is_blank(rows[i - 1]) and not is_blank(rows[i]))
    for i in below:
        if len(candidates) >= MAX_CANDIDATES:
            break
        if _headerish(rows[i], mapping):
            candidates.append(i)
    if tables:
        candidates = sorted({*candidates, *(n - 1 for k, n in _table_rows(tables, sheet.name) if n <= len(rows))})

    def read(i: int, end: int) -> UpdateTable | None:
        forced, complete, by = _forced_for(sheet, i, mapping, tables, remembered)
        if forced is None:
            return None
        reading = choose_columns(rows[i:end], 0, UPDATE_FIELDS, forced=forced, complete=complete)
        reading.header_index = i
        _settle(reading)
        kind = table_kind(reading, ref_optional=ref_optional)
        return UpdateTable(sheet.name, i + 1, end, kind, reading, by) if kind else None

    # First each candidate with the rows below it, then the ones that read as tables with their own rows only (a
    # table's rows end where the next table's header is). Of two headers with no row between (a title row over
    # the header, a two-row header), the better reading is the table's.
    found: list[UpdateTable] = []
    for i in candidates:
        t = read(i, min(len(rows), i + 301))
        if t is None:
            continue
        if found and _rows_between(rows, found[-1].header_row, i) == 0:
            if t.reading.total <= found[-1].reading.total:
                continue
            found.pop()
        found.append(t)
    out: list[UpdateTable] = []
    for k, t in enumerate(found):
        end = found[k + 1].header_row - 1 if k + 1 < len(found) else len(rows)
        again = read(t.header_row - 1, end)
        if again is not None:
            out.append(again)
    return out


_EVIDENCE_STEMS = ("evidence", "impact", "outcome", "achiev")


def _settle(reading: ColumnReading) -> None:
    """Guesses the scores alone get wrong: an Impact column with no description beside it is the evidence's
    description; a due date ('Target date', 'Deadline') is not the date of an update; see `_plain_description`."""
    fields = set(reading.index_of())
    for k, c in enumerate(reading.columns):
        if c.by_user:
            continue
        if c.field == "impact" and "description" not in fields:
            reading.columns[k] = replace(c, field="description")
        elif c.field == "date" and any(w in norm(c.label).split() for w in _DUE_WORDS):
            reading.columns[k] = replace(c, field=IGNORE, score=0.0)
    _plain_description(reading)


_DUE_WORDS = ("target", "due", "deadline", "timescale", "timescales", "completion", "end", "start", "by")


def _plain_description(reading: ColumnReading) -> None:
    """Beside a status or percent, a column headed only 'Description' (or 'What', 'Details') describes the action,
    not evidence of its impact: it is not read as evidence unless the person maps it so."""
    fields = set(reading.index_of())
    if not {"status", "percent"} & fields:
        return
    for k, c in enumerate(reading.columns):
        if c.field == "description" and not c.by_user and not any(w in norm(c.label) for w in _EVIDENCE_STEMS):
            reading.columns[k] = replace(c, field=IGNORE, score=0.0)


def _rows_between(rows: Sequence[Sequence[Cell]], header_row: int, i: int) -> int:
    """The non-blank rows between Excel row `header_row` and index `i`."""
    return sum(1 for r in rows[header_row:i] if not is_blank(r))


def _table_rows(tables: Mapping[str, Mapping[str, str]], sheet: str) -> list[tuple[str, int]]:
    out = []
    for key in tables:
        name, _, row = key.rpartition("!")
        if name == sheet and row.isdigit():
            out.append((key, int(row)))
    return out


def _forced_for(
    sheet: Sheet,
    i: int,
    mapping: Mapping[str, str] | None,
    tables: Mapping[str, Mapping[str, str]] | None,
    remembered: Remembered | None,
) -> tuple[dict[int, str] | None, bool, str]:
    """(forced columns, complete, kept by) for the header at index `i`; forced None when the row is no table's."""
    row = sheet.rows[i]
    if tables is not None and f"{sheet.name}!{i + 1}" in tables:
        return forced_columns(row, tables[f"{sheet.name}!{i + 1}"]) or {}, True, ""
    if mapping:
        return forced_columns(row, mapping) or {}, False, ""
    if remembered is not None and (kept := remembered(row)) is not None:
        return forced_columns(row, kept[0]) or {}, True, kept[1]
    return {}, False, ""


def _headerish(row: Sequence[Cell], mapping: Mapping[str, str] | None) -> bool:
    """A row of labels (a cheap test before scoring it): two or more short text cells whose words name update
    columns, at least half of its cells, and no cell holding a value (a date, a number, a ref, a status), so a
    row of data whose note mentions a date is not taken for a header."""
    wanted = {norm(h) for h in (mapping or {}).values()}
    hits = filled = 0
    for c in row:
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        filled += 1
        if not isinstance(c, str) or parse_date(c) is not None or _REF_CELL.match(c.strip()) or status_of(c):
            return False
        sentence = len(c.split()) > 8 or (len(c) > 40 and c.rstrip().endswith((".", ")")))
        if not sentence and (norm(c) in wanted or any(header_score(c, spec) >= 3 for spec in UPDATE_FIELDS)):
            hits += 1
    return hits >= 2 and 2 * hits >= filled


_REF_CELL = re.compile(r"^[A-Za-z]{0,3}\s?\d{1,3}(?:[.\-]\d{1,3}){0,2}[a-z]?\.?$")


@dataclass(frozen=True)
class ActionInfo:
    """What the loader needs to know of an action in the plan."""

    pillars: str
    withdrawn: bool


@dataclass
class PlanContext:
    """The plan an update file is checked against."""

    start: date
    end: date
    actions: Mapping[str, ActionInfo]
    evidence_refs: Mapping[int, str] = field(default_factory=dict)  # evidence id → action ref
    corrected: Mapping[int, int] = field(default_factory=dict)  # evidence id → the id that corrected it
    allowed: frozenset[str] | None = None  # a lead's own refs; None: every action may be updated


def load_updates(
    wb: Workbook,
    *,
    plan: PlanContext,
    uploaded_by: str = "",
    today: date | None = None,
    mapping: Mapping[str, str] | None = None,
    tables: Mapping[str, Mapping[str, str]] | None = None,
    remembered: Remembered | None = None,
) -> LoadResult:
    """Parse progress, evidence and measure rows; `rows` holds ProgressUpdateCreate, EvidenceCreate and
    MeasureValueCreate objects in file order, `meta` counts each kind and `meta["tables"]` lists the tables found
    (UpdateTable: where, what, and how each column was read). `mapping`, `tables` and `remembered` are a person's
    column choices, as `find_update_tables` takes them.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> plan = PlanContext(date(2018, 11, 1), date(2020, 10, 31), {"U1": ActionInfo("V", False)})
        >>> bad = b"Ref,As of,Status\\nU9,01/02/2019,Purple\\n"
        >>> [i.code for i in load_updates(read_workbook(bad, filename="u.csv"), plan=plan).issues]
        ['unknown_ref', 'bad_status']
    """
    today = today or date.today()
    result = LoadResult(kind="updates", filename=wb.filename)
    result.extend(wb.issues)  # what the reader found in single cells
    parser = _Parser(result, plan, uploaded_by, today)
    found: list[UpdateTable] = []
    wrong = sorted({f for m in [mapping or {}, *(tables or {}).values()] for f in m if f not in FIELDS})
    if wrong:
        result.add(
            wb.sheets[0].name,
            None,
            None,
            ", ".join(wrong),
            "unknown_field",
            f"{', '.join(wrong)}: not a field of an update log (fields: {', '.join(FIELDS)})",
        )
        result.close()
        result.meta.update(tables=[], progress=0, evidence=0, measures=0)
        return result
    # A lead with one action keeps a log of it: when no table has a ref column, a table without one is about that
    # action (only then: beside the template's tables, its README's list of columns is no log).
    only = next(iter(plan.allowed)) if plan.allowed is not None and len(plan.allowed) == 1 else None
    parser.only = only
    for ref_optional in (False, True) if only is not None else (False,):
        found = [
            t
            for sheet in wb.sheets
            for t in find_update_tables(
                sheet, mapping=mapping, tables=tables, remembered=remembered, ref_optional=ref_optional
            )
        ]
        if found:
            break
    for t in found:
        if t.mapped_by:
            result.note(
                t.sheet, t.header_row, None, None, f"columns mapped as {t.mapped_by} confirmed for these headers"
            )
        sheet = wb.sheet(t.sheet)
        assert sheet is not None
        parser.table(sheet, t)
    result.meta["tables"] = found
    if not found:
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "unrecognised_layout",
            "no progress, evidence or measures table found: a table needs a column of action refs and a date, with "
            "a status or percent complete (progress) or a description of the evidence (evidence); "
            f"headers seen: {_headers_seen(wb)}. Map the columns by hand (the mapping step on the Upload page, or "
            "--map FIELD=HEADER on the command line), or use the update template "
            f"(Progress: {', '.join(PROGRESS_COLUMNS)})",
        )
    elif not result.rows and result.valid:
        result.add(wb.sheets[0].name, None, None, None, "no_rows", "the file has no update rows filled in")
    result.close()
    result.meta.update(
        progress=sum(isinstance(r, ProgressUpdateCreate) for r in result.rows),
        evidence=sum(isinstance(r, EvidenceCreate) for r in result.rows),
        measures=sum(isinstance(r, MeasureValueCreate) for r in result.rows),
    )
    return result


def _headers_seen(wb: Workbook, limit: int = 12) -> str:
    """The texts of the first row with two or more of them, per sheet (what the person can map)."""
    out: list[str] = []
    for sheet in wb.sheets:
        row = next(
            (r for r in sheet.rows[:SCAN_ROWS] if sum(isinstance(c, str) and bool(c.strip()) for c in r) >= 2), None
        )
        if row:
            out += [f"'{' '.join(text(c).split())[:40]}'" for c in row if isinstance(c, str) and c.strip()]
    return ", ".join(out[:limit]) + ("…" if len(out) > limit else "") or "none"


def parse_percent(c: Cell) -> int | None:
    """40, '40', '40%', 0.4 (a cell formatted as a percentage) → 40; raises ValueError for anything else."""
    if c is None:
        return None
    if isinstance(c, bool):
        raise ValueError
    if isinstance(c, (int, float)):
        v = float(c)
        # Excel keeps 40% as 0.4; a bare 0.4 meaning "0.4 percent" is implausible in a progress report.
        if 0 < v < 1:
            v *= 100
    else:
        s = str(c).strip()
        v = float(s.rstrip("%").strip())
        if not s.endswith("%") and 0 < v < 1:
            v *= 100  # '0.4' from a CSV means what the number 0.4 means
    if not math.isfinite(v):  # NaN and infinity ('nan', 'inf', 1e400 in a CSV) are not percentages
        raise ValueError
    return round(v)


# A link is shown as a clickable link: only these schemes (or none, a path) are let through. A browser drops
# tabs and line breaks anywhere in a URL and spaces and control characters before it, so "java\tscript:" and
# " javascript:" are javascript: too. One letter before the colon is a Windows drive (C:\Reports\x.pdf).
_LEADING_REF = re.compile(
    r"^(?:action\s+)?([A-Za-z]{0,3}\s?\d{1,3}(?:\.\d{1,3}){0,2}[a-z]?)(?:\s*[:\-–]\s*|\s+)(?=\S)", re.I
)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)
_LINK_SCHEMES = {"http", "https", "mailto", "file", "ftp", "sftp"}


def _safe_link(link: str) -> bool:
    r"""True for a web address, an email address or a file path; False for javascript:, data:, vbscript: and
    every other scheme a browser would run or open as a page.

    Example:
        >>> [_safe_link(x) for x in ("https://a.ac.uk/r", r"C:\Reports\r.pdf", r"\\srv\share", "Reports/r.pdf")]
        [True, True, True, True]
        >>> [_safe_link(x) for x in ("javascript:alert(1)", "java\tscript:x", " data:text/html,x", "vbscript:x")]
        [False, False, False, False]
    """
    probe = re.sub(r"[\t\n\r]", "", link).lstrip("".join(map(chr, range(33))))
    m = _SCHEME.match(probe)
    return m is None or len(m.group(1)) == 1 or m.group(1).lower() in _LINK_SCHEMES


def _number(c: Cell) -> float:
    if isinstance(c, bool) or c is None:
        raise ValueError
    v = float(c) if isinstance(c, (int, float)) else float(str(c).replace(",", "").strip())
    if not math.isfinite(v):  # 'nan', 'inf' and 1e400 parse as floats, but are no value to store
        raise ValueError
    return v


class _Parser:
    def __init__(self, result: LoadResult, plan: PlanContext, uploaded_by: str, today: date) -> None:
        self.r = result
        self.plan = plan
        self.by = uploaded_by
        self.today = today
        self.lo = add_months(plan.start, -12)
        self.hi = min(add_months(plan.end, 12), today + timedelta(days=7))
        self.only: str | None = None  # the one action of a lead whose log has no ref column

    def table(self, sheet: Sheet, t: UpdateTable) -> None:
        """Every row of one table: progress, evidence or both from each row, or measures."""
        cols = t.reading.index_of()
        lab = {c.field: c.label for c in t.reading.columns if c.field != IGNORE}
        if "ref" not in cols:
            assert self.only is not None
            lab["ref"] = "Ref"
            self.r.note(sheet.name, t.header_row, None, None, f"no column of refs: every row read as {self.only}")
        rows = self._rows(sheet, t.header_row - 1, t.last_row, cols.get("ref"))
        if t.kind == "measures":
            self.measures(sheet, rows, cols, lab)
            return
        seen_progress: dict[tuple[str, date], int] = {}
        seen_evidence: dict[tuple[str, date, str], int] = {}
        corrections: dict[int, int] = {}
        for n, row in rows:
            progress = t.kind == "progress" or (
                t.kind == "both" and any(cell(row, cols.get(f)) is not None for f in ("status", "percent"))
            )
            evidence = t.kind == "evidence" or (t.kind == "both" and not is_blank([cell(row, cols["description"])]))
            if not (progress or evidence):
                self.r.add(
                    sheet.name,
                    n,
                    lab.get("status", lab.get("percent")),
                    None,
                    "required",
                    f"the row has no {lab.get('status', lab.get('percent'))} and no {lab['description']}: give the "
                    "progress, the evidence or both",
                )
                continue
            ref = self._ref(sheet, n, lab["ref"], cell(row, cols["ref"]) if "ref" in cols else self.only)
            when = self._date(sheet, n, lab["date"], cell(row, cols["date"]))
            if progress:
                self.progress(sheet, n, row, cols, lab, ref, when, seen_progress)
            if evidence:
                self.evidence(sheet, n, row, cols, lab, ref, when, seen_evidence, corrections)

    def _rows(self, sheet: Sheet, idx: int, end: int, ref_col: int | None) -> list[tuple[int, list[Cell]]]:
        """(Excel row, cells) of the rows below header index `idx` up to index `end`: not blank, not the header
        repeated, not a row with only its ref (the template pre-fills each of a lead's refs: a row left with only
        its ref was not reported on), not a line of text alone in the ref column (a key or a footnote)."""
        header = [norm(c) for c in sheet.rows[idx] if c is not None]
        out = []
        for i in range(idx + 1, min(end, len(sheet.rows))):
            row = sheet.rows[i]
            if is_blank(row) or [norm(c) for c in row if c is not None] == header:
                continue
            if ref_col is not None and is_blank([c for j, c in enumerate(row) if j != ref_col]):
                first = text(cell(row, ref_col))
                if len(first.split()) > 2 and first.strip() not in self.plan.actions:
                    self.r.note(sheet.name, i + 1, None, first, "read as a note below the table, not an update")
                continue
            out.append((i + 1, row))
        return out

    def _ref(self, sheet: Sheet, n: int, label: str, c: Cell) -> str | None:
        ref = text(c).strip()
        if not ref:
            self.r.add(sheet.name, n, label, None, "required", f"{label} is empty: which action is this for?")
            return None
        info = self.plan.actions.get(ref) or self.plan.actions.get(ref.upper())
        if info is None and (m := _LEADING_REF.match(ref)) and m.group(1).upper() in self.plan.actions:
            # 'D2 Career pathways', 'Action D2:': the action's ref with its title or a word before it
            self.r.note(sheet.name, n, label, ref, f"read as {m.group(1).upper()}")
            ref = m.group(1).upper()
            info = self.plan.actions[ref]
        if info is None:
            known = ", ".join(list(self.plan.actions)[:30])
            self.r.add(sheet.name, n, label, ref, "unknown_ref", f"{ref} is not an action in the plan (refs: {known})")
            return None
        ref = ref if ref in self.plan.actions else ref.upper()
        if self.plan.allowed is not None and ref not in self.plan.allowed:
            mine = ", ".join(sorted(self.plan.allowed)) or "none yet"
            self.r.add(
                sheet.name,
                n,
                label,
                ref,
                "not_your_action",
                f"{ref} is not one of your actions (yours: {mine}): its lead or an administrator updates it",
            )
            return None
        if info.withdrawn:
            self.r.add(
                sheet.name,
                n,
                label,
                ref,
                "withdrawn_action",
                f"{ref} has been withdrawn from the plan; the update is kept for the record",
                "warning",
            )
        return ref

    def _date(self, sheet: Sheet, n: int, label: str, c: Cell, *, required: bool = True) -> date | None:
        if c is None:
            if required:
                self.r.add(sheet.name, n, label, None, "required", f"{label} is empty: give the date (31/01/2019)")
            return None
        d = parse_date(c)
        if d is None:
            self.r.add(sheet.name, n, label, text(c), "bad_date", f"'{text(c)}' is not a date (write 31/01/2019)")
            return None
        if d > self.today + timedelta(days=7):
            self.r.add(sheet.name, n, label, d.isoformat(), "future_date", f"{day(d)} is in the future")
            return None
        if d < self.lo or d > self.hi:
            self.r.add(
                sheet.name,
                n,
                label,
                d.isoformat(),
                "date_out_of_range",
                f"{day(d)} is far outside the plan ({self.plan.start:%b %Y} – {self.plan.end:%b %Y})",
            )
            return None
        return d

    def progress(
        self,
        sheet: Sheet,
        n: int,
        row: list[Cell],
        cols: dict[str, int],
        lab: dict[str, str],
        ref: str | None,
        as_of: date | None,
        seen: dict[tuple[str, date], int],
    ) -> None:
        """One row's progress update (errors for what is wrong with it)."""
        ok = True
        status: str | None = None
        if "status" in cols:
            raw_status = cell(row, cols["status"])
            status = status_of(raw_status)
            if raw_status is None:
                self.r.add(sheet.name, n, lab["status"], None, "required", f"{lab['status']} is empty")
                ok = False
            elif status is None:
                self.r.add(
                    sheet.name,
                    n,
                    lab["status"],
                    text(raw_status),
                    "bad_status",
                    f"'{text(raw_status)}' is not a status: use Not started, On track, At risk, Delayed, "
                    "Complete or Suspended (or Green, Amber, Red, Blue)",
                )
                ok = False
        pct: int | None = None
        if "percent" in cols:
            raw = cell(row, cols["percent"])
            try:
                pct = parse_percent(raw)
            except ValueError:
                self.r.add(
                    sheet.name,
                    n,
                    lab["percent"],
                    text(raw),
                    "bad_percent",
                    f"'{text(raw)}' is not a percentage: write a whole number from 0 to 100",
                )
                ok = False
            else:
                if pct is not None and not 0 <= pct <= 100:
                    self.r.add(sheet.name, n, lab["percent"], text(raw), "bad_percent", f"{text(raw)} is outside 0–100")
                    ok = False
        if "status" not in cols and pct is not None and ok:
            # A log with only a percent column: 0 is not started, 100 complete, anything between on track.
            status = "not started" if pct == 0 else "complete" if pct == 100 else "on track"
            self.r.note(sheet.name, n, lab["percent"], str(pct), f"no status column: {pct}% read as {status}")
        elif "status" not in cols and pct is None and ok:
            self.r.add(sheet.name, n, lab["percent"], None, "required", f"{lab['percent']} is empty")
            ok = False
        if status == "complete" and pct is None:
            pct = 100
        elif status == "complete" and pct == 1:
            pct = 100  # a cell formatted as 100% arrives as 1
        elif status == "complete" and pct is not None and pct < 100:
            self.r.add(
                sheet.name,
                n,
                lab.get("percent", "Percent complete"),
                str(pct),
                "complete_not_100",
                f"status is Complete but percent complete is {pct}",
                "warning",
            )
        note = text(cell(row, cols.get("note")))
        if status in ("at risk", "delayed") and not note:
            self.r.add(
                sheet.name,
                n,
                lab.get("note", "Note"),
                None,
                "note_required",
                f"a note is required when the status is {status}: say what is wrong and what is being done",
            )
            ok = False
        if ref and as_of:
            if (ref, as_of) in seen:
                self.r.add(
                    sheet.name,
                    n,
                    lab["ref"],
                    ref,
                    "duplicate",
                    f"{ref} has two updates as of {as_of:%d/%m/%Y} (rows {seen[ref, as_of]} and {n})",
                )
                ok = False
            seen[ref, as_of] = n
        if ok and ref and as_of and status:
            self.r.rows.append(
                ProgressUpdateCreate(
                    ref=ref,
                    as_of=as_of,
                    status=status,
                    percent_complete=pct,
                    note=note,
                    reported_by=(text(cell(row, cols.get("by"))) or self.by)[:200],
                )
            )

    def evidence(
        self,
        sheet: Sheet,
        n: int,
        row: list[Cell],
        cols: dict[str, int],
        lab: dict[str, str],
        ref: str | None,
        when: date | None,
        seen: dict[tuple[str, date, str], int],
        corrections: dict[int, int],
    ) -> None:
        """One row's evidence item (errors for what is wrong with it)."""
        ok = True
        desc = text(cell(row, cols["description"]))
        impact = text(cell(row, cols.get("impact")))
        if impact and desc:
            desc = f"{desc}. Impact: {impact}" if desc[-1:] not in ".!?" else f"{desc} Impact: {impact}"
        if not desc:
            self.r.add(sheet.name, n, lab["description"], None, "required", "the evidence needs a description")
            ok = False
        raw_kind = cell(row, cols.get("kind"))
        kind = kind_of(raw_kind) if not is_blank([raw_kind]) else "other"
        if kind is None:
            kind = "other"
            self.r.add(
                sheet.name,
                n,
                lab["kind"],
                text(raw_kind),
                "unknown_kind",
                f"'{text(raw_kind)}' is not a kind the tracker knows: stored as other "
                f"(the kinds: {', '.join(EVIDENCE_KINDS)})",
                "warning",
            )
        link = text(cell(row, cols.get("link")))
        # A link as a hyperlink in a cell ('Workshop report' pointing at the report): its address is the link.
        target = sheet.links.get((n - 1, cols["link"])) if "link" in cols else None
        target = target or sheet.links.get((n - 1, cols["description"]))
        if target and (not link or "link" not in cols or sheet.links.get((n - 1, cols["link"]))):
            link = target
        if link and not _safe_link(link):
            self.r.add(
                sheet.name,
                n,
                lab.get("link", lab["description"]),
                link,
                "bad_link",
                "links must be web addresses or file paths",
            )
            ok = False
        pillars = pillars_from_words(cell(row, cols.get("pillars")))
        if not pillars and ref:
            pillars = self.plan.actions[ref].pillars
        sup: int | None = None
        raw_sup = cell(row, cols.get("supersedes"))
        if raw_sup is not None:
            try:
                sup = int(_number(raw_sup))
            except ValueError:
                sup = -1
            problem = self._correction(sup, text(raw_sup), ref, n, corrections)
            if problem:
                self.r.add(sheet.name, n, lab["supersedes"], text(raw_sup), *problem)
                ok = False
            else:
                corrections[sup] = n
        if ref and when and desc:
            key = (ref, when, desc.lower())
            if key in seen:
                self.r.add(
                    sheet.name,
                    n,
                    lab["description"],
                    desc,
                    "duplicate",
                    f"the same evidence appears twice (rows {seen[key]} and {n})",
                )
                ok = False
            seen[key] = n
        if ok and ref and when and desc:
            self.r.rows.append(
                EvidenceCreate(
                    ref=ref,
                    date=when,
                    description=desc,
                    kind=kind,
                    link=link,
                    pillars=pillars,
                    added_by=(text(cell(row, cols.get("by"))) or self.by)[:200],
                    supersedes_id=sup,
                )
            )

    def _correction(
        self, sup: int, raw: str, ref: str | None, n: int, corrections: dict[int, int]
    ) -> tuple[str, str] | None:
        """(code, message) when evidence item `sup` (written `raw`) cannot be corrected by row `n`, else None."""
        if sup not in self.plan.evidence_refs:
            return "unknown_evidence", f"there is no evidence item {raw} to correct"
        if ref and self.plan.evidence_refs[sup] != ref:
            return "wrong_action", f"evidence {sup} belongs to {self.plan.evidence_refs[sup]}, not {ref}"
        if sup in self.plan.corrected:
            newer = self.plan.corrected[sup]
            return "already_corrected", f"evidence {sup} was already corrected by item {newer}: correct {newer} instead"
        if sup in corrections:
            return "duplicate", f"evidence {sup} is corrected twice (rows {corrections[sup]} and {n})"
        return None

    def measures(
        self, sheet: Sheet, rows: list[tuple[int, list[Cell]]], cols: dict[str, int], lab: dict[str, str]
    ) -> None:
        seen: dict[tuple[str, str, date], int] = {}
        for n, row in rows:
            ok = True
            ref = self._ref(sheet, n, lab["ref"], cell(row, cols["ref"]) if "ref" in cols else self.only)
            name = text(cell(row, cols["measure"]))
            if not name:
                self.r.add(sheet.name, n, lab["measure"], None, "required", "the measure needs a name")
                ok = False
            as_of = self._date(sheet, n, lab.get("date", "As of"), cell(row, cols.get("date")))
            nums: dict[str, float | None] = {}
            for f in ("value", "baseline", "target"):
                raw = cell(row, cols.get(f))
                if raw is None:
                    nums[f] = None
                    if f == "value":
                        self.r.add(sheet.name, n, lab["value"], None, "required", "the measure needs a value")
                        ok = False
                    continue
                try:
                    nums[f] = _number(raw)
                except ValueError:
                    self.r.add(sheet.name, n, lab[f], text(raw), "bad_number", f"'{text(raw)}' is not a number")
                    ok = False
            if ref and name and as_of:
                key = (ref, name.lower(), as_of)
                if key in seen:
                    self.r.add(
                        sheet.name,
                        n,
                        lab["measure"],
                        name,
                        "duplicate",
                        f"{name} for {ref} has two values as of {as_of:%d/%m/%Y} (rows {seen[key]} and {n})",
                    )
                    ok = False
                seen[key] = n
            value = nums.get("value")
            if ok and ref and name and as_of and value is not None:
                self.r.rows.append(
                    MeasureValueCreate(
                        ref=ref,
                        name=name[:200],
                        unit=text(cell(row, cols.get("unit")))[:40],
                        baseline=nums.get("baseline"),
                        target=nums.get("target"),
                        as_of=as_of,
                        value=value,
                    )
                )
