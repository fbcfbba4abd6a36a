"""Action plans as institutions publish them: title block, repeated headers, section rows, merged cells, ticks or
words, timescales in words.

Columns are read by meaning (`tracker.ingest.columns`): the header row and the mapping with the best total score
win, and the mapping chosen is reported in `meta["reading"]` so a person can confirm or correct it. Every guess
the reader makes (a section row, a carried-down pillar word, a date read from words) is a note in `result.notes`.

Example:
    >>> from tracker.ingest.reader import read_workbook
    >>> csv = b"Theme,Activity,Who,V,R,C,S\\nDevelop,Set up communities of practice,HR/Deans,X,,X,\\n"
    >>> r = load_plan(read_workbook(csv, filename="plan.csv"), plan_start=date(2018, 11, 1))
    >>> r.valid, r.rows[0].ref, r.rows[0].pillars, r.rows[0].owners, str(r.rows[0].due)
    (True, 'D1', 'VC', ['HR', 'Deans'], '2020-10-31')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from tracker.ingest.base import LoadResult
from tracker.ingest.cells import (
    add_months,
    cell,
    clean_bullets,
    is_blank,
    is_mark,
    norm,
    parse_date,
    parse_period,
    pillars_from_words,
    split_evidence,
    split_owners,
    text,
)
from tracker.ingest.columns import (
    IGNORE,
    PLAN_FIELDS,
    ColumnChoice,
    ColumnReading,
    choose_columns,
    forced_columns,
    header_score,
)
from tracker.ingest.reader import Cell, Sheet, Workbook
from tracker.models import ActionCreate
from tracker.plans import window_end
from tracker.text import day
from tracker.vocab import PLAN_FIELD_HELP

FIELDS = {f.name: f.label for f in PLAN_FIELDS}
FIELD_HELP = PLAN_FIELD_HELP
_BODY = ("activity", "purpose")
_OTHER = ("owner", "pillars", "pV", "pR", "pC", "pS", "impact", "measures", "theme", "start", "due", "timescale")

_TITLE_PREFIX = re.compile(r"^(?:theme|section|area|pillar|key area|priority)\s*\d*\s*[:.\-–]\s*", re.I)
_NUMBERED = re.compile(r"^\(?\d{1,2}(?:\.\d{1,2})?\)?\s*[.:)\-–—]?\s+(?=\D)")
_ORG = re.compile(r"^\s*(?:organi[sz]ation|institution|university|name of organi[sz]ation)\s*:\s*(.+)$", re.I)
_MONTHS_IN = re.compile(r"(\d{2})[\s\-]*months?\b", re.I)
_N_YEARS = re.compile(r"\b(\d|one|two|three|four|five)[\s\-]*(?:year|yr)s?\b(?![\s\-]*(?:\d|old))", re.I)
_WORD_N = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_DATE_WORDS = r"(?:\d{1,2}(?:st|nd|rd|th)?\s+)?[A-Za-z]{3,9}\.?,?\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}"
_RANGE_IN = re.compile(rf"({_DATE_WORDS})\s*(?:–|—|-|to|until|till|through)\s*({_DATE_WORDS})", re.I)
_YEARS_IN = re.compile(r"(?<![\d/])(20\d\d)\s*(?:-|–|—|to|/)\s*(20\d\d|\d\d)(?![\d/])")
_START_LABEL = re.compile(r"^\s*(?:plan\s+)?start(?:s|\s+date)?\s*[:\-]?\s*(.+)$", re.I)
_FROM = re.compile(rf"\b(?:from|starting|starts|beginning|commencing)\s+(?:on\s+)?({_DATE_WORDS})", re.I)
_FALSE_MARKS = {"", "no", "n", "0", "false", "-", "–", "n a", "na", "none"}


@dataclass
class Window:
    """The plan's window as read from the title block (any part may be missing) and where each part came from."""

    start: date | None = None
    months: int | None = None
    said: list[str] = field(default_factory=list)  # the title text each part was read from


def load_plan(
    wb: Workbook,
    *,
    plan_start: date | None = None,
    default_start: date | None = None,
    months: int | None = None,
    mapping: Mapping[str, str] | None = None,
    complete: bool = False,
    header_row: int | None = None,
    sheet: str | None = None,
) -> LoadResult:
    """Parse the action plan in `wb` into `ActionCreate` rows (plan order) and plan details in `meta`.

    `plan_start` (the user's word) beats a start found in the title block, which beats `default_start` (the
    existing plan's, on a re-import), which beats the earliest date in the plan. `months` beats the title's length.
    `mapping` maps a field (activity, owner, …; see FIELD_HELP) to a header as written in the file (or
    '(column B)'); with `complete`, columns not in it are ignored rather than guessed. `header_row` (as Excel
    numbers it) and `sheet` pin the table when the guess is wrong.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> r = load_plan(read_workbook(b"What we do,Owner,When\\nRun a survey,HR,Y2\\n", filename="p.csv"),
        ...               plan_start=date(2019, 1, 1))
        >>> [(a.ref, a.activity, a.owners, str(a.due)) for a in r.rows]
        [('A1', 'Run a survey', ['HR'], '2020-12-31')]
        >>> r.meta["columns"]
        {'activity': 'What we do', 'owner': 'Owner', 'timescale': 'When'}
    """
    result = LoadResult(kind="plan", filename=wb.filename)
    result.extend(wb.issues)  # what the reader found in single cells
    found = find_plan_table(wb, mapping=mapping, complete=complete, header_row=header_row, sheet=sheet, lenient=True)
    if found is None:
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "unrecognised_layout",
            "could not find the action plan's table: no row in the first 30 names a column of actions (Activity, "
            f"Action, Objective, …) beside an owner, pillar, impact, theme or date column. Headers seen: "
            f"{headers_seen(wb)}. Map the columns by hand: the mapping step on the Upload page, or --map FIELD=HEADER "
            f"on the command line, FIELD one of {', '.join(FIELDS)}.",
        )
        return result
    sh, reading = found
    result.meta.update(
        sheet=sh.name,
        header_row=reading.header_index + 1,
        columns={c.field: c.label for c in reading.columns if c.field != IGNORE},
        reading=reading,
    )
    window = read_window(sh.rows[: reading.header_index])
    start = plan_start or window.start or default_start
    how_start = (
        "given"
        if plan_start
        else f"read from the title ('{window.said[0]}')"
        if window.start
        else "the plan held"
        if default_start
        else ""
    )
    if start is None:
        earliest = _earliest_date(sh, reading)
        if earliest is not None:
            start = earliest.replace(day=1)
            how_start = f"the earliest date in the plan ({day(earliest)})"
            result.note(sh.name, None, None, f"{start:%B %Y}", f"the plan's start is taken from {how_start}")
    if start is None:
        result.add(
            sh.name,
            None,
            None,
            None,
            "no_plan_start",
            "the plan's start date is not in its title block and no action has a date: give the month it starts "
            "(--plan-start YYYY-MM, or the Plan start field on the Upload page)",
        )
        return result
    length = months or window.months
    if length is None:
        length = 24
        result.note(
            sh.name,
            None,
            None,
            "24",
            "the plan's length is not in its title block (e.g. '2021-2023', '36-month', '3 year action plan'): 24 "
            "months, the Commitment's usual plan, assumed (set it with --months, or the Length field on the Upload "
            "page)",
        )
    elif not months:
        result.note(sh.name, None, None, str(length), f"the plan runs {length} months ({'; '.join(window.said)})")
    end = window_end(start, length)
    info = _title_block(sh.rows[: reading.header_index])
    result.meta.update(
        institution=info.get("institution", ""),
        title=info.get("title", "Technician Commitment action plan"),
        start_date=start,
        months=length,
        end_date=end,
        start_from=how_start,
    )
    _Rows(result, sh, reading, start, end).parse()
    return result


def headers_seen(wb: Workbook) -> str:
    """The first row with two or more text cells on each sheet, on one line (line breaks in cells as spaces)."""
    out = []
    for s in wb.sheets:
        row = next((r for r in s.rows[:30] if sum(isinstance(c, str) for c in r) >= 2), [])
        shown = ", ".join(" ".join(text(c).split()) for c in row if c is not None)
        out.append(f"'{s.name}': {shown[:200] or 'none'}")
    return "; ".join(out) or "none"


def is_plan(reading: ColumnReading, sheet: Sheet | None = None) -> bool:
    """A table is a plan only with an activity-like column and one of owners, pillars, impact, theme or dates
    (pillar section rows above blocks of actions count as pillars: "Visibility", then what the plan commits to)."""
    fields = {c.field for c in reading.columns}
    if not fields & set(_BODY):
        return False
    return bool(fields & set(_OTHER)) or (sheet is not None and _pillar_sections(sheet, reading) >= 1)


def _pillar_sections(sheet: Sheet, reading: ColumnReading) -> int:
    """How many rows under the header hold a pillar heading alone ("Visibility", "2. Recognition")."""
    n = 0
    for row in sheet.rows[reading.header_index + 1 : reading.header_index + 300]:
        filled = [c for c in row if c is not None]
        if len(set(map(str, filled))) == 1 and isinstance(filled[0], str) and _pillar_heading(filled[0]):
            n += 1
    return n


def _pillar_heading(value: str) -> str:
    """The pillar letters of a heading that names pillars: 'Visibility', '1. Visibility', 'Career development –
    enable progression…' (a pillar word, then its definition). '' for anything else."""
    s = _NUMBERED.sub("", _TITLE_PREFIX.sub("", value.strip())).strip()
    if _looks_like_pillar(s) and len(s) < 60:
        return pillars_from_words(s)
    m = re.match(r"^(visibility|recognition|career development|sustainability)\s*[–—:\-]\s+", s, re.I)
    return pillars_from_words(m.group(1)) if m else ""


def _theme_heading(value: str) -> bool:
    """The Commitment's fifth theme, a heading that names no pillar: 'Evaluating impact', '5. Evaluating impact'."""
    return norm(_NUMBERED.sub("", value.strip())) in ("evaluating impact", "evaluation", "evaluating and impact")


def find_plan_table(
    wb: Workbook,
    *,
    mapping: Mapping[str, str] | None = None,
    complete: bool = False,
    header_row: int | None = None,
    sheet: str | None = None,
    lenient: bool = False,
) -> tuple[Sheet, ColumnReading] | None:
    """The sheet and header row whose columns read best as an action plan, with the mapping chosen.

    `lenient` (the person said the file is a plan): a table with only a column of actions will do, and a table with
    no header naming its columns is read by what its cells hold (numbers → refs, long text → actions).

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> wb = read_workbook(b"ID,Name,Description,Price\\n1,Kettle,A kettle for the lab,20\\n", filename="x.csv")
        >>> print(find_plan_table(wb))
        None
    """
    best: tuple[float, Sheet, ColumnReading] | None = None
    for sh in wb.sheets:
        if sheet is not None and sh.name != sheet:
            continue
        rows = range(header_row - 1, header_row) if header_row else range(min(30, len(sh.rows)))
        seen: set[tuple[str, ...]] = set()
        for i in rows:
            if i >= len(sh.rows):
                continue
            row = sh.rows[i]
            if not mapping and not _could_be_header(row):
                continue
            signature = tuple(norm(c) for c in row if c is not None)
            if signature in seen:
                continue  # the header repeated after a page break: the first one is the table's
            seen.add(signature)
            forced = forced_columns(row, mapping) if mapping else {}
            if mapping and forced is None:
                continue
            reading = choose_columns(sh.rows, i, PLAN_FIELDS, forced=forced, complete=complete)
            _prefer_activity(reading)
            texts = sum(1 for c in row if isinstance(c, str) and c.strip())
            if not mapping and texts == 1 and len(reading.columns) > 1:
                continue  # one heading over a table of several columns: a title, not the table's header
            if not (is_plan(reading, sh) or (lenient and {c.field for c in reading.columns} & set(_BODY))):
                continue
            _unheaded_theme(sh, reading)
            score = reading.total + 100 * len(forced or {})
            # Ties go to the later row: a list's lead-in line ('We commit to:') sits below the title lines.
            if best is None or score >= best[0] - 0.5:
                best = (score, sh, reading)
    if best is None and lenient and not mapping:
        return _headless(wb, sheet)
    return (best[1], best[2]) if best else None


def _headless(wb: Workbook, sheet: str | None) -> tuple[Sheet, ColumnReading] | None:
    """A table with no header naming its columns: the row above its first row of two or more cells is taken as
    the header, and columns are mapped by what they hold."""
    for sh in wb.sheets:
        if sheet is not None and sh.name != sheet:
            continue
        first = next((i for i, r in enumerate(sh.rows[:60]) if sum(c is not None for c in r) >= 2), None)
        if not first:
            continue
        reading = choose_columns(sh.rows, first - 1, PLAN_FIELDS, by_content=True)
        _prefer_activity(reading)
        if {c.field for c in reading.columns} & set(_BODY):
            return sh, reading
    return None


_BODY_SPECS = [f for f in PLAN_FIELDS if f.name in _BODY]


def _could_be_header(row: list[Cell]) -> bool:
    """A text cell naming a column of actions ('Action', 'We commit to:'; a cheap test before scoring the row)."""
    # A header is a label or a lead-in line ('We commit to:'), not a sentence of the table's body.
    texts = [c for c in row if isinstance(c, str) and c.strip() and len(c) <= 100]
    texts = [c for c in texts if not (c.strip().endswith(".") and len(c) > 40)]
    return any(header_score(c, spec) > 0 for c in texts for spec in _BODY_SPECS)


def _prefer_activity(reading: ColumnReading) -> None:
    """A plan whose only body column reads as 'purpose' (Objective, Goal) has that as its activity; a success
    measure column with no impact column beside it is the plan's impact."""
    fields = {c.field for c in reading.columns}
    rename = {}
    if "activity" not in fields and "purpose" in fields:
        rename["purpose"] = "activity"
    if "impact" not in fields and "measures" in fields:
        rename["measures"] = "impact"
    if rename:
        reading.columns = [
            ColumnChoice(c.index, c.letter, c.label, rename[c.field], c.score, c.by_user) if c.field in rename else c
            for c in reading.columns
        ]


def _unheaded_theme(sheet: Sheet, reading: ColumnReading) -> None:
    """UCL's table: the theme sits in an unheaded first column."""
    fields = {c.field for c in reading.columns}
    if "theme" in fields:
        return
    header = sheet.rows[reading.header_index]
    first = min((c.index for c in reading.columns if c.field != IGNORE), default=0)
    if first == 0 or cell(header, 0) is not None:
        return
    choices = [c for c in reading.columns if c.index != 0]
    reading.columns = [ColumnChoice(0, "A", "(column A)", "theme", 0.0), *choices]


def _title_block(rows: list[list[Cell]]) -> dict[str, str]:
    """Institution and title from the lines above the header."""
    info: dict[str, str] = {}
    lines = _lines(rows)
    for line in lines:
        if "institution" not in info and (m := _ORG.match(line)):
            info["institution"] = m.group(1).strip()
    titled = [ln for ln in lines if "plan" in ln.lower() and not _ORG.match(ln) and len(ln) < 200]
    if titled:
        info["title"] = titled[0]
    elif lines and len(lines[0]) < 200:
        info["title"] = lines[0]
    return info


def _lines(rows: list[list[Cell]]) -> list[str]:
    out: list[str] = []
    for row in rows:
        for c in row:
            if isinstance(c, str) and c.strip():
                s = " ".join(c.split())
                if s not in out:  # a merged title repeats in every cell it covers
                    out.append(s)
    return out


def read_window(rows: list[list[Cell]]) -> Window:
    """The plan's start and length from its title block: 'November 2018 – October 2020', '2021-2023',
    '2020-23', 'three years from 1 January 2021 until 31 December 2023', '36-month', '3 year action plan'.

    Bare years are read as whole years: '2021-2023' and '2021-23' run January 2021 to December 2023 (36 months), a
    three-year span written '2020-23' runs from August 2020, the UK academic year, for 36 months.

    Example:
        >>> w = read_window([["Technician Commitment Action Plan 2021-2023"]])
        >>> w.start, w.months
        (datetime.date(2021, 1, 1), 36)
        >>> read_window([["A 3 year action plan"]]).months
        36
    """
    w = Window()
    lines = _lines(rows)
    for line in lines:  # a stated range or start beats bare years wherever it sits
        if w.start is None and (m := _RANGE_IN.search(line)):
            a, b = _lenient_date(m.group(1)), _lenient_date(m.group(2), end=True)
            if a and b and b > a:
                if a.day > 1 and add_months(a, 1).replace(day=1) - a == timedelta(days=1):
                    a = add_months(a, 1).replace(day=1)  # 'from 30 June 2018': the plan starts in July
                w.start = a
                w.months = (b.year - a.year) * 12 + b.month - a.month + 1
                w.said.append(m.group(0))
        if w.start is None and ((m := _START_LABEL.match(line)) or (m := _FROM.search(line))):
            d = parse_date(m.group(1).strip(" .,"))
            if d:
                w.start = d
                w.said.append(m.group(0).strip())
    for line in lines:
        if w.months is None and (m := _MONTHS_IN.search(line)) and int(m.group(1)) in (12, 18, 24, 30, 36, 48, 60):
            w.months = int(m.group(1))
            w.said.append(m.group(0))
        if w.months is None and (m := _N_YEARS.search(line)):
            n = int(_WORD_N.get(m.group(1).lower(), m.group(1)))
            if 1 <= n <= 5:
                w.months = 12 * n
                w.said.append(m.group(0))
    for line in lines:
        if (w.start is None or w.months is None) and (m := _YEARS_IN.search(line)):
            y1 = int(m.group(1))
            y2 = int(m.group(2)) if len(m.group(2)) == 4 else (y1 // 100) * 100 + int(m.group(2))
            span = y2 - y1
            if 1 <= span <= 6:
                if w.start is None:
                    w.start = date(y1, 8, 1) if span == 3 else date(y1, 1, 1)
                if w.months is None:
                    w.months = 36 if span in (2, 3) else 24 if span == 1 else 12 * span
                w.said.append(m.group(0))
    return w


def _lenient_date(s: str, *, end: bool = False) -> date | None:
    """A title's date, with a day past its month's end ('31 June 2018', as one published plan has it) read as the
    month's last day."""
    d = parse_date(s, end=end)
    if d is None and (m := re.match(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9}\.?,?\s+\d{4})$", s.strip())):
        month = parse_date(m.group(2), end=True)
        if month is not None and int(m.group(1)) > month.day:
            return month
    return d


def _earliest_date(sheet: Sheet, reading: ColumnReading) -> date | None:
    """The earliest date written (not relative: Y1 needs a start) in the plan's date columns."""
    cols = [c.index for c in reading.columns if c.field in ("start", "due", "timescale")]
    found: list[date] = []
    for row in sheet.rows[reading.header_index + 1 :]:
        for j in cols:
            got = parse_period(cell(row, j), plan_start=None)
            if got:
                found += [d for d in got if d]
    return min(found) if found else None


def _looks_like_pillar(s: str) -> bool:
    n = norm(s)
    return any(w in n for w in ("visib", "recogn", "career", "sustain")) and len(n) < 60


_BRACKETS = re.compile(r"\(([^()]{4,60})\)")
_WILL_DATE = re.compile(
    r"\bwill be\s+\w+\s+(?:in|by|during)\s+((?:spring|summer|autumn|winter|[A-Za-z]{3,9})\.?\s+\d{4})\b", re.I
)
_BY_DATE = re.compile(r"\bby\s+((?:the\s+end\s+of\s+)?[A-Za-z]{3,9}\.?\s+\d{4})\b", re.I)
_TAIL_DATE = re.compile(
    r"((?:spring|summer|autumn|fall|winter|[A-Za-z]{3,9}\.?)\s+\d{4}(?:\s*[-–]\s*[A-Za-z]{3,9}\.?\s+\d{4})?)\s*$",
    re.I,
)


@dataclass
class _Open:
    """The action being read (a merged action spans several rows: continuation rows add to it)."""

    row: int  # as Excel numbers it
    ref: str
    theme: str
    purpose: str
    activity: str
    impact: str
    evidence: str
    owners: list[str]
    pillars: str
    start: date
    due: date
    measures: str


class _Rows:
    """Reads the rows under the header into actions."""

    def __init__(self, result: LoadResult, sheet: Sheet, reading: ColumnReading, start: date, end: date) -> None:
        self.result, self.sheet, self.reading = result, sheet, reading
        self.start, self.end = start, end
        self.cols = reading.index_of()
        self.label = {c.field: c.label for c in reading.columns}
        self.header = sheet.rows[reading.header_index]
        self.table_cols = sorted({c.index for c in reading.columns})
        self.pillar_cols = {f[1]: j for f, j in self.cols.items() if f.startswith("p") and len(f) == 2}
        self.theme = ""
        self.section_pillars = ""
        self.carried_pillars: tuple[str, int] | None = None
        self.pillar_fill: float | None = None  # (letters, row) of a key-area word above blanks
        self.refs_seen: dict[str, int] = {}
        self.ref_theme: dict[str, str] = {}
        self.qualify = False
        self.prefixes: dict[str, str] = {}
        self.counters: dict[str, int] = {}
        self.open: _Open | None = None
        self.assigned = False
        # A pillar heading just above the header row ('Visibility', then the table) heads the whole table.
        for row in reversed(sheet.rows[max(0, reading.header_index - 4) : reading.header_index]):
            values = {" ".join(str(c).split()) for c in row if c is not None}
            if len(values) == 1 and (letters := _pillar_heading(next(iter(values)))):
                self.theme, self.section_pillars = next(iter(values)), letters
                break

    def get(self, row: list[Cell], f: str) -> Cell:
        return cell(row, self.cols.get(f))

    def parse(self) -> None:
        body = "activity" if "activity" in self.cols else "purpose"
        body_col = self.cols[body]
        for i in range(self.reading.header_index + 1, len(self.sheet.rows)):
            row = self.sheet.rows[i]
            excel_row = i + 1
            if is_blank(row) or self._is_header_repeat(row):
                continue
            lone = [c for c in row if c is not None]
            if len(self.cols) == 1 and len(lone) == 1 and str(lone[0]).rstrip().endswith(":"):
                self.result.note(self.sheet.name, excel_row, None, str(lone[0])[:200], "read as a lead-in line")
                continue  # 'The programme will include:' introduces the list; it is not an action
            sec = self._section_text(i, row)
            if sec is not None:
                self._flush()
                cleaned = _TITLE_PREFIX.sub("", sec).strip() or sec
                self.section_pillars = _pillar_heading(sec)
                self.theme = cleaned
                self.carried_pillars = None
                self.result.note(
                    self.sheet.name,
                    excel_row,
                    None,
                    sec[:200],
                    "read as a section heading"
                    + (f" (pillars {self.section_pillars})" if self.section_pillars else ""),
                )
                continue
            # A merged action: this row's activity cell continues the merge that began on the open action's row.
            merge = self.sheet.merge_at(i, body_col)
            activity = clean_bullets(self.get(row, "activity"))
            purpose = clean_bullets(self.get(row, "purpose"))
            ref = text(self.get(row, "ref")).strip()
            if self.open is not None and merge is not None and merge[0] < i and merge[0] <= self.open.row - 1:
                self._continue(i, row, "its activity cell is merged with the action above")
                continue
            if not activity and not purpose:
                own_ticks = any(is_mark(cell(row, j)) for j in self.pillar_cols.values())
                if self.open is not None and not ref and not own_ticks:
                    self._continue(i, row, "it has no activity of its own")
                    continue
                self.result.add(
                    self.sheet.name,
                    excel_row,
                    self.label.get(body, body),
                    None,
                    "required",
                    f"{self.label.get(body, body)} is empty: every action needs an activity or purpose",
                )
                continue
            self._flush()
            self.open = self._values(i, row)
        self._flush()
        self.result.meta["refs_assigned"] = self.assigned
        self.number_refs()
        if not self.result.rows and self.result.valid:
            self.result.add(
                self.sheet.name, None, None, None, "no_actions", "the plan has a header row but no actions under it"
            )

    def _is_header_repeat(self, row: list[Cell]) -> bool:
        a = [norm(c) for c in row if c is not None]
        b = [norm(c) for c in self.header if c is not None]
        return bool(a) and a == b

    def _section_text(self, i: int, row: list[Cell]) -> str | None:
        """The text of a section heading row, by where it sits: merged across the table, or alone in the theme
        position (the theme column, or left of every mapped column). Else None."""
        filled = [(j, c) for j, c in enumerate(row) if c is not None and not (isinstance(c, str) and not c.strip())]
        if not filled or not all(isinstance(c, str) for _, c in filled):
            return None
        values = {" ".join(str(c).split()) for _, c in filled}
        if len(values) != 1:
            return None
        value = values.pop()
        j0 = filled[0][0]
        merge = self.sheet.merge_at(i, j0)
        if merge is not None and merge[0] == i:
            spanned = [j for j in self.table_cols if merge[1] <= j <= merge[3]]
            if len(spanned) >= 2 and all(merge[1] <= j <= merge[3] for j, _ in filled):
                return value  # merged across the table: a heading, whatever its length
        if len(filled) != 1:
            return None
        theme_col = self.cols.get("theme")
        if theme_col is not None and j0 == theme_col:
            return value
        first_mapped = min((c.index for c in self.reading.columns if c.field != IGNORE), default=0)
        if j0 < first_mapped:
            return value
        if _pillar_heading(value) or _theme_heading(value) or _TITLE_PREFIX.match(value):
            return value  # "Visibility", "Theme 2: Recognition" alone on a row: headings in any column
        if j0 == first_mapped and len(self.cols) >= 2 and len(value.split()) <= 4 and self._next_has_columns(i):
            # A name alone in the first column over actions that fill several ('Understand', 'Develop'): a
            # heading. A sentence there ('Reinstating the annual conference from 2021') is an action that left
            # its other cells blank.
            return value
        if _NUMBERED.match(value) and self._next_is_unnumbered_action(i):
            return value  # "2 – Continue to increase…" alone, over un-numbered actions: an objective heading
        return None

    def _next_has_columns(self, i: int) -> bool:
        """True when the next non-blank row fills two or more cells (an action of a table, not another line)."""
        for row in self.sheet.rows[i + 1 : i + 20]:
            if not is_blank(row):
                return sum(1 for c in row if c is not None) >= 2
        return False

    def _next_is_unnumbered_action(self, i: int) -> bool:
        """True when the next non-blank row is an action whose text is not numbered (several filled cells, or one
        in a one-column list)."""
        body = self.cols.get("activity", self.cols.get("purpose"))
        for row in self.sheet.rows[i + 1 : i + 20]:
            if is_blank(row):
                continue
            filled = sum(1 for c in row if c is not None)
            single = len(self.cols) == 1
            return (filled >= 2 or single) and not _NUMBERED.match(text(cell(row, body)))
        return False

    def _values(self, i: int, row: list[Cell]) -> _Open:
        excel_row = i + 1
        theme_cell = text(self.get(row, "theme")) if "theme" in self.cols else ""
        if theme_cell:
            theme = _TITLE_PREFIX.sub("", theme_cell).strip() or theme_cell
            if theme != self.theme:
                self.theme = theme
                self.section_pillars = pillars_from_words(theme) if _looks_like_pillar(theme) else ""
        start, due = self._dates(excel_row, row)
        if not {"start", "due", "timescale"} & self.cols.keys():
            start, due = self._dates_in_text(excel_row, row, start, due)
        return _Open(
            row=excel_row,
            ref=text(self.get(row, "ref")).strip().rstrip("."),  # "1." as lists number items
            theme=self.theme,
            purpose=clean_bullets(self.get(row, "purpose")),
            activity=clean_bullets(self.get(row, "activity")),
            impact=text(self.get(row, "impact")),
            evidence=clean_bullets(self.get(row, "evidence")),
            owners=split_owners(self.get(row, "owner")),
            pillars=self._pillars(excel_row, row) or self._leading_pillar(excel_row, row),
            start=start,
            due=due,
            measures=clean_bullets(self.get(row, "measures")),
        )

    def _continue(self, i: int, row: list[Cell], why: str) -> None:
        """Add a continuation row's owners, pillars, dates and texts to the open action."""
        o = self.open
        assert o is not None
        excel_row = i + 1
        for owner in split_owners(self.get(row, "owner")):
            if owner not in o.owners:
                o.owners.append(owner)
        more = self._pillars(excel_row, row, carry=False)
        o.pillars = "".join(p for p in "VRCS" if p in o.pillars + more)
        start, due = self._dates(excel_row, row, quiet=True)
        o.start, o.due = min(o.start, start), max(o.due, due)
        for f in ("measures", "evidence", "purpose", "impact"):
            extra = clean_bullets(self.get(row, f)) if f != "impact" else text(self.get(row, f))
            if extra and extra not in getattr(o, f):
                setattr(o, f, f"{getattr(o, f)}\n{extra}".strip())
        self.result.note(self.sheet.name, excel_row, None, None, f"read as part of the action on row {o.row}: {why}")

    def _pillars(self, excel_row: int, row: list[Cell], *, carry: bool = True) -> str:
        """Ticks under V/R/C/S, else a words column (a key-area word carries down blank cells below it), else
        the section or theme the row sits in."""
        pillars = ""
        for letter, j in self.pillar_cols.items():
            v = cell(row, j)
            if is_mark(v):
                pillars += letter
            elif v is not None and norm(v) not in _FALSE_MARKS:
                pillars += letter
                self.result.add(
                    self.sheet.name,
                    excel_row,
                    text(cell(self.header, j)),
                    text(v),
                    "unusual_mark",
                    f"'{text(v)}' is not a usual tick (X, ✓, Y, Yes); counted as ticked",
                    "warning",
                )
        if "pillars" in self.cols:
            words = self.get(row, "pillars")
            got = pillars_from_words(words)
            if got:
                pillars += got
                self.carried_pillars = (got, excel_row)
            elif words is None and carry and self.carried_pillars and not pillars and self._pillars_grouped():
                pillars = self.carried_pillars[0]
                self.result.note(
                    self.sheet.name,
                    excel_row,
                    self.label["pillars"],
                    pillars,
                    f"pillars carried down from row {self.carried_pillars[1]} (the cell is blank)",
                )
            elif words is not None and text(words):
                self.result.note(
                    self.sheet.name, excel_row, self.label["pillars"], text(words), "no pillar in these words"
                )
        if not pillars and carry:
            pillars = self.section_pillars
        return "".join(p for p in "VRCS" if p in pillars)

    def _leading_pillar(self, excel_row: int, row: list[Cell]) -> str:
        """Pillars named at the start of an action that has no other ('Visibility - to ensure that…'), in a plan
        with no pillar columns."""
        if self.pillar_cols or "pillars" in self.cols:
            return ""
        body = text(self.get(row, "activity") or self.get(row, "purpose"))
        m = re.match(r"^(visibility|recognition|career development|sustainability)\s*[–—:\-]\s+", body, re.I)
        if not m:
            return ""
        self.result.note(
            self.sheet.name, excel_row, None, m.group(1), "pillar read from the words the action starts with"
        )
        return pillars_from_words(m.group(1))

    def _pillars_grouped(self) -> bool:
        """True when the pillar column names a pillar once above a block (at most half its rows filled), so a blank
        cell means 'as above'; in a column filled row by row a blank means none."""
        if self.pillar_fill is None:
            j = self.cols["pillars"]
            body = [r for r in self.sheet.rows[self.reading.header_index + 1 :] if not is_blank(r)]
            filled = sum(1 for r in body if cell(r, j) is not None)
            self.pillar_fill = filled / len(body) if body else 1.0
        return self.pillar_fill <= 0.5

    def _dates_in_text(self, excel_row: int, row: list[Cell], start: date, due: date) -> tuple[date, date]:
        """A plan with no date column may give dates in its words: a period in brackets ('Exhibition (March
        2019-February 2020)', 'Webpage created (September 2022)', '(launched in Autumn 2023)') or a deadline ('6 by
        Aug 2023') in the action or its impact. The latest is the due date, with a note saying where it came from."""
        found: list[tuple[date | None, date | None, str]] = []
        for f in ("activity", "purpose", "impact", "measures", "evidence"):
            words = text(self.get(row, f))
            for inner in _BRACKETS.findall(words):
                got = parse_period(inner.strip(), plan_start=self.start)
                if got is None and (m := _TAIL_DATE.search(inner)):
                    got = parse_period(m.group(1), plan_start=self.start)
                if got and (got[0] or got[1]):
                    found.append((got[0], got[1], f"({inner})"))
            for m in _BY_DATE.finditer(words):
                got = parse_period(m.group(1), plan_start=self.start)
                if got and got[1]:
                    found.append((None, got[1], m.group(0)))
        # Sentences in the columns read as nothing ('Detail'): 'will be submitted in April 2019'.
        for j, c in enumerate(row):
            if j in self.cols.values() or not isinstance(c, str):
                continue
            for m in _WILL_DATE.finditer(c):
                got = parse_period(m.group(1), plan_start=self.start)
                if got and got[1]:
                    found.append((None, got[1], m.group(0)))
        if not found:
            return start, due
        ends = [f[1] for f in found if f[1]]
        firsts = [f[0] for f in found if f[0]]
        new_start, new_due = (min(firsts) if firsts else start), (max(ends) if ends else due)
        shown = "; ".join(f[2] for f in found)[:200]
        self.result.note(
            self.sheet.name,
            excel_row,
            None,
            shown,
            (f"due {day(new_due)}" if ends else f"starts {day(new_start)}") + ", read from the plan's words",
        )
        return min(new_start, new_due), new_due

    def _dates(self, excel_row: int, row: list[Cell], *, quiet: bool = False) -> tuple[date, date]:
        """(start, due) from Start/Due/Timescale cells; anything unread is a warning and the plan's window is used."""
        act_start, act_due = self.start, self.end
        got_start = got_due = False
        for f in ("start", "due", "timescale"):
            v = self.get(row, f)
            if v is None:
                continue
            per = parse_period(v, plan_start=self.start)
            if per is None:
                self.result.add(
                    self.sheet.name,
                    excel_row,
                    self.label.get(f, f),
                    text(v),
                    "unread_timescale",
                    f"'{text(v)}' is not a date or timescale the tracker reads: the plan's "
                    f"{'start' if f == 'start' else 'end'} ({day(self.start if f == 'start' else self.end)}) "
                    "is used",
                    "warning",
                )
                continue
            a, b = per
            if f == "start":
                if a or b:
                    act_start, got_start = (a or b), True  # type: ignore[assignment]
            else:
                if a and f == "timescale" and not got_start:
                    act_start = a
                if b:
                    act_due, got_due = b, True
            if not quiet and (a or b) and isinstance(v, str) and parse_date(v) is None:
                shown = ", ".join(f"{day(d)}" for d in (a, b) if d)
                self.result.note(self.sheet.name, excel_row, self.label.get(f, f), text(v), f"read as {shown}")
        if got_due and act_due > self.end:
            self.result.add(
                self.sheet.name,
                excel_row,
                self.label.get("due", self.label.get("timescale", "due")),
                act_due.isoformat(),
                "due_after_window",
                f"due {day(act_due)}, after the plan's end ({day(self.end)})",
                "warning",
            )
        if act_start < add_months(self.start, -12) and got_start:
            self.result.add(
                self.sheet.name,
                excel_row,
                self.label.get("start", "start"),
                act_start.isoformat(),
                "start_before_window",
                f"starts {day(act_start)}, over a year before the plan ({day(self.start)})",
                "warning",
            )
        if act_due < act_start:
            self.result.add(
                self.sheet.name,
                excel_row,
                self.label.get("due", self.label.get("timescale", "due")),
                act_due.isoformat(),
                "due_before_start",
                f"due {day(act_due)} is before the start {day(act_start)}: the plan's start is used",
                "warning",
            )
            act_start = min(self.start, act_due)
        return act_start, act_due

    def number_refs(self) -> None:
        """Refs from the numbers a plan writes at the start of each action ('1 – Increase awareness…'), when it
        has no Ref column and every action is numbered, each number once."""
        rows = self.result.rows
        if "ref" in self.cols or not rows or not self.assigned:
            return
        found = [_NUMBERED.match(a.activity) for a in rows]
        numbers = [re.sub(r"[^\d.]", "", m.group(0)).strip(".") if m else "" for m in found]
        if not all(numbers) or len(set(numbers)) != len(numbers):
            return
        for a, m, n in zip(rows, found, numbers, strict=True):
            assert m is not None
            a.ref, a.activity = n, a.activity[m.end() :].strip()
        self.result.note(self.sheet.name, None, None, None, "refs read from the numbers the actions start with")
        self.result.meta["refs_assigned"] = False

    def _qualify(self, theme: str, ref: str) -> str:
        """Numbers that restart in each area (Visibility 1-8, then Recognition 1-4) become 'V1', 'R1': refs must
        be unique in a plan. The actions already read are renamed the same way, once."""
        if not self.qualify:
            self.qualify = True
            self.refs_seen, self.ref_theme = {}, {}
            for a in self.result.rows:
                if re.fullmatch(r"\d+(?:\.\d+)*", a.ref):
                    a.ref = f"{self._prefix(a.theme or a.pillars)}{a.ref}"
                self.refs_seen[a.ref] = 0
                self.ref_theme[a.ref] = a.theme or a.pillars
            self.result.note(
                self.sheet.name,
                None,
                None,
                None,
                "the action numbers restart in each area: refs are the area's initial and the number (V1, R1)",
            )
        return f"{self._prefix(theme)}{ref}"

    def _flush(self) -> None:
        """Store the open action (after all its continuation rows)."""
        if self.open is None:
            return
        o, self.open = self.open, None
        ref = o.ref
        if not ref:
            prefix = self._prefix(o.theme)
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            ref = f"{prefix}{self.counters[prefix]}"
            self.assigned = True
        numbered = bool(o.ref) and bool(re.fullmatch(r"\d+(?:\.\d+)*", o.ref))
        area = o.theme or o.pillars  # the block the number counts within
        if numbered and (self.qualify or (ref in self.refs_seen and self.ref_theme.get(ref) != area)):
            ref = self._qualify(area, ref)
        if ref in self.refs_seen:
            self.result.add(
                self.sheet.name,
                o.row,
                self.label.get("ref", "Ref"),
                ref,
                "duplicate",
                f"ref {ref} is used twice (rows {self.refs_seen[ref]} and {o.row})",
            )
            return
        self.refs_seen[ref] = o.row
        self.ref_theme[ref] = area
        if not o.owners and "owner" in self.cols:
            self.result.add(
                self.sheet.name,
                o.row,
                self.label["owner"],
                None,
                "no_owner",
                "no one is named as responsible for this action",
                "warning",
            )
        impact, promised = split_evidence(o.impact)
        impact = clean_bullets(impact) if "\n" in impact or impact.startswith("•") else impact
        promised += [e.lstrip("• ").strip() for e in re.split(r"[;\n]", o.evidence) if e.strip("• ").strip()]
        self.result.rows.append(
            ActionCreate(
                ref=ref[:40],
                theme=o.theme[:200],
                purpose=o.purpose if o.activity else "",
                activity=o.activity or o.purpose,
                impact=impact,
                expected_evidence=promised,
                owners=o.owners,
                pillars=o.pillars,
                start=o.start,
                due=o.due,
                success_measures=o.measures,
            )
        )

    def _prefix(self, theme: str) -> str:
        """A stable ref prefix for a theme: its initial, or two letters when another theme took it."""
        used = self.prefixes
        if theme in used:
            return used[theme]
        words = re.findall(r"[A-Za-z]+", _NUMBERED.sub("", _TITLE_PREFIX.sub("", theme)))
        if not words:
            p = "A"
        else:
            p = words[0][0].upper()
            if p in used.values():
                p = words[0][:2].title() if len(words[0]) > 1 else p + "x"
                n = 2
                while p in used.values():
                    p = f"{words[0][0].upper()}{n}-"
                    n += 1
        used[theme] = p
        return p


__all__ = ["FIELDS", "FIELD_HELP", "find_plan_table", "headers_seen", "load_plan", "read_window"]
