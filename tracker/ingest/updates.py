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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from tracker.ingest.base import LoadResult
from tracker.ingest.cells import add_months, cell, find_header, is_blank, norm, parse_date, pillars_from_words, text
from tracker.ingest.reader import Cell, Sheet, Workbook
from tracker.models import EVIDENCE_KINDS, EvidenceCreate, MeasureValueCreate, ProgressUpdateCreate
from tracker.text import day

PROGRESS_COLUMNS = ("Ref", "As of", "Status", "Percent complete", "Note", "Updated by")
EVIDENCE_COLUMNS = ("Ref", "Date", "Description", "Kind", "Link", "Pillars", "Added by", "Supersedes ID")
MEASURE_COLUMNS = ("Ref", "Measure", "Unit", "Baseline", "Target", "As of", "Value")

ALIASES: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "action", "action ref", "action reference", "reference", "action no", "id"),
    "as_of": ("as of", "as at", "update date", "date of update", "reporting date", "as of date"),
    "status": ("status", "rag", "rag status", "progress status"),
    "percent": (
        "percent complete",
        "percent",
        "complete",
        "percent done",
        "progress",
        "progress percent",
        "percentage complete",
        "completion",
    ),
    "note": ("note", "notes", "comment", "comments", "commentary", "update", "progress note"),
    "by": ("updated by", "who", "by", "reported by", "added by", "submitted by", "lead"),
    "date": ("date", "evidence date", "date received", "when"),
    "description": ("description", "evidence", "evidence description", "what"),
    "kind": ("kind", "type", "evidence type", "evidence kind"),
    "link": ("link", "url", "location", "file", "where"),
    "pillars": ("pillars", "pillar", "key areas"),
    "supersedes": ("supersedes id", "supersedes", "corrects", "replaces", "correction of"),
    "measure": ("measure", "kpi", "indicator", "measure name"),
    "unit": ("unit", "units"),
    "baseline": ("baseline",),
    "target": ("target",),
    "value": ("value", "actual", "result", "figure"),
}

STATUS_WORDS = {
    "not started": "not started",
    "not yet started": "not started",
    "grey": "not started",
    "gray": "not started",
    "on track": "on track",
    "on target": "on track",
    "in progress": "on track",
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
}


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
) -> LoadResult:
    """Parse progress, evidence and measure rows; `rows` holds ProgressUpdateCreate, EvidenceCreate and
    MeasureValueCreate objects in file order, and `meta` counts each kind.

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
    found = 0
    for sheet in wb.sheets:
        hit = find_header(sheet.rows, ALIASES, min_hits=2)
        if hit is None:
            continue
        idx, cols = hit
        # Either date column will do for either table.
        if "as_of" not in cols and "date" in cols:
            cols["as_of"] = cols["date"]
        if "date" not in cols and "as_of" in cols:
            cols["date"] = cols["as_of"]
        if "ref" in cols and "measure" in cols and "value" in cols:
            parser.measures(sheet, idx, cols)
        elif "ref" in cols and "status" in cols:
            parser.progress(sheet, idx, cols)
        elif "ref" in cols and "description" in cols:
            parser.evidence(sheet, idx, cols)
        else:
            continue
        found += 1
    if not found:
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "unrecognised_layout",
            "no Progress, Evidence or Measures table found: download the update template and use its "
            f"columns (Progress: {', '.join(PROGRESS_COLUMNS)})",
        )
    elif not result.rows and result.valid:
        result.add(wb.sheets[0].name, None, None, None, "no_rows", "the template has no rows filled in")
    result.close()
    result.meta.update(
        progress=sum(isinstance(r, ProgressUpdateCreate) for r in result.rows),
        evidence=sum(isinstance(r, EvidenceCreate) for r in result.rows),
        measures=sum(isinstance(r, MeasureValueCreate) for r in result.rows),
    )
    return result


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

    def _rows(self, sheet: Sheet, idx: int, ref_col: int | None = None) -> list[tuple[int, list[Cell]]]:
        header = [norm(c) for c in sheet.rows[idx] if c is not None]
        out = []
        for i in range(idx + 1, len(sheet.rows)):
            row = sheet.rows[i]
            if is_blank(row) or [norm(c) for c in row if c is not None] == header:
                continue
            # The template pre-fills each of a lead's refs: a row left with only its ref was not reported on.
            if ref_col is not None and is_blank([c for j, c in enumerate(row) if j != ref_col]):
                continue
            out.append((i + 1, row))
        return out

    def _labels(self, sheet: Sheet, idx: int, cols: dict[str, int]) -> dict[str, str]:
        return {f: text(sheet.rows[idx][j]) for f, j in cols.items()}

    def _ref(self, sheet: Sheet, n: int, label: str, c: Cell) -> str | None:
        ref = text(c).strip()
        if not ref:
            self.r.add(sheet.name, n, label, None, "required", f"{label} is empty: which action is this for?")
            return None
        info = self.plan.actions.get(ref) or self.plan.actions.get(ref.upper())
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

    def progress(self, sheet: Sheet, idx: int, cols: dict[str, int]) -> None:
        lab = self._labels(sheet, idx, cols)
        seen: dict[tuple[str, date], int] = {}
        for n, row in self._rows(sheet, idx, cols["ref"]):
            ok = True
            ref = self._ref(sheet, n, lab["ref"], cell(row, cols["ref"]))
            as_of = self._date(sheet, n, lab.get("as_of", "As of"), cell(row, cols.get("as_of")))
            raw_status = cell(row, cols["status"])
            status = STATUS_WORDS.get(norm(raw_status)) if raw_status is not None else None
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
                        self.r.add(
                            sheet.name, n, lab["percent"], text(raw), "bad_percent", f"{text(raw)} is outside 0–100"
                        )
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

    def evidence(self, sheet: Sheet, idx: int, cols: dict[str, int]) -> None:
        lab = self._labels(sheet, idx, cols)
        seen: dict[tuple[str, date, str], int] = {}
        corrections: dict[int, int] = {}
        for n, row in self._rows(sheet, idx, cols["ref"]):
            ok = True
            ref = self._ref(sheet, n, lab["ref"], cell(row, cols["ref"]))
            when = self._date(sheet, n, lab.get("date", "Date"), cell(row, cols.get("date")))
            desc = text(cell(row, cols["description"]))
            if not desc:
                self.r.add(sheet.name, n, lab["description"], None, "required", "the evidence needs a description")
                ok = False
            raw_kind = cell(row, cols.get("kind"))
            kind = KIND_WORDS.get(norm(raw_kind), None) if raw_kind is not None else "other"
            if kind is None:
                self.r.add(
                    sheet.name,
                    n,
                    lab["kind"],
                    text(raw_kind),
                    "bad_kind",
                    f"'{text(raw_kind)}' is not a kind of evidence: use {', '.join(EVIDENCE_KINDS)}",
                )
                ok = False
            link = text(cell(row, cols.get("link")))
            if link and not _safe_link(link):
                self.r.add(sheet.name, n, lab["link"], link, "bad_link", "links must be web addresses or file paths")
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
                if sup not in self.plan.evidence_refs:
                    self.r.add(
                        sheet.name,
                        n,
                        lab["supersedes"],
                        text(raw_sup),
                        "unknown_evidence",
                        f"there is no evidence item {text(raw_sup)} to correct",
                    )
                    ok = False
                elif ref and self.plan.evidence_refs[sup] != ref:
                    self.r.add(
                        sheet.name,
                        n,
                        lab["supersedes"],
                        text(raw_sup),
                        "wrong_action",
                        f"evidence {sup} belongs to {self.plan.evidence_refs[sup]}, not {ref}",
                    )
                    ok = False
                elif sup in self.plan.corrected:
                    newer = self.plan.corrected[sup]
                    self.r.add(
                        sheet.name,
                        n,
                        lab["supersedes"],
                        text(raw_sup),
                        "already_corrected",
                        f"evidence {sup} was already corrected by item {newer}: correct {newer} instead",
                    )
                    ok = False
                elif sup in corrections:
                    self.r.add(
                        sheet.name,
                        n,
                        lab["supersedes"],
                        text(raw_sup),
                        "duplicate",
                        f"evidence {sup} is corrected twice (rows {corrections[sup]} and {n})",
                    )
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
            if ok and ref and when and desc and kind:
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

    def measures(self, sheet: Sheet, idx: int, cols: dict[str, int]) -> None:
        lab = self._labels(sheet, idx, cols)
        seen: dict[tuple[str, str, date], int] = {}
        for n, row in self._rows(sheet, idx, cols["ref"]):
            ok = True
            ref = self._ref(sheet, n, lab["ref"], cell(row, cols["ref"]))
            name = text(cell(row, cols["measure"]))
            if not name:
                self.r.add(sheet.name, n, lab["measure"], None, "required", "the measure needs a name")
                ok = False
            as_of = self._date(sheet, n, lab.get("as_of", "As of"), cell(row, cols.get("as_of")))
            nums: dict[str, float | None] = {}
            for f in ("value", "baseline", "target"):
                raw = cell(row, cols.get(f))
                if raw is None:
                    nums[f] = None
                    if f == "value":
                        self.r.add(sheet.name, n, lab[f], None, "required", "the measure needs a value")
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
