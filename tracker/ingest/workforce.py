"""HR workforce extracts (one row per person, or aggregated rows) summed into workforce snapshot cells.

Only aggregates leave this module: staff numbers are read to catch duplicates and then dropped.

Example:
    >>> from tracker.ingest.reader import read_workbook
    >>> csv = b"Faculty,Sex,FTE\\nEngineering,F,1\\nEngineering,F,0.5\\nEngineering,Man,1\\n"
    >>> r = load_workforce(read_workbook(csv, filename="hr.csv"), as_of=date(2018, 7, 31))
    >>> r.valid, [(x.faculty, x.sex, x.fte, x.headcount) for x in r.rows]
    (True, [('Engineering', 'Female', 1.5, 2), ('Engineering', 'Male', 1.0, 1)])
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from tracker.ingest.base import LoadResult
from tracker.ingest.cells import find_header, norm, parse_date, text
from tracker.ingest.reader import Cell, Sheet, Workbook
from tracker.models import WorkforceRecordCreate

ALIASES: dict[str, tuple[str, ...]] = {
    "as_of": ("as at", "as of", "as at date", "snapshot date", "census date", "date", "snapshot"),
    "staff_id": ("staff number", "staff no", "staff id", "employee number", "employee id", "person id", "id"),
    "faculty": ("faculty", "school", "college", "division", "faculty school"),
    "department": ("department", "dept", "department name", "unit"),
    "job_family": ("job family", "staff category", "occupation", "job category", "role family", "job group"),
    "grade": ("grade", "grade band", "pay grade", "level", "band"),
    "sex": ("sex", "gender", "legal sex", "sex gender"),
    "fte": ("fte", "full time equivalent", "fte total", "total fte"),
    "headcount": (
        "headcount",
        "head count",
        "no of staff",
        "number of staff",
        "staff count",
    ),
}
LABELS = {
    "as_of": "As at",
    "staff_id": "Staff number",
    "faculty": "Faculty",
    "department": "Department",
    "job_family": "Job family",
    "grade": "Grade",
    "sex": "Sex",
    "fte": "FTE",
    "headcount": "Headcount",
}

_FEMALE, _MALE, _OTHER, _NK = "Female", "Male", "Other", "Not known"
# Keyed on norm(value): 'Non-binary' and 'non binary' are the same key.
SEX_CODES: dict[str, str] = {
    "f": _FEMALE,
    "female": _FEMALE,
    "woman": _FEMALE,
    "w": _FEMALE,
    "m": _MALE,
    "male": _MALE,
    "man": _MALE,
    "other": _OTHER,
    "x": _OTHER,
    "non binary": _OTHER,
    "nonbinary": _OTHER,
    "in another way": _OTHER,
    "not known": _NK,
    "unknown": _NK,
    "u": _NK,
    "nk": _NK,
    "prefer not to say": _NK,
    "information refused": _NK,
    "": _NK,  # blank once punctuation is stripped ('-', '?')
}
SEX_HELP = (
    "use F/Female/Woman, M/Male/Man, Other/X/Non-binary/In another way, "
    "or Not known/Unknown/U/NK/Prefer not to say/Information refused (blank means Not known)"
)

MAX_FTE_PER_PERSON = 1.5
# More people than any institution employs on one row: a typo or a corrupt cell (and past it, a headcount the
# database cannot hold).
MAX_HEADCOUNT = 1_000_000
EARLIEST = date(1990, 1, 1)
# Longest text a snapshot cell may hold (models.WorkforceRecordBase max_length).
MAX_LEN = {"faculty": 200, "department": 200, "job_family": 200, "grade": 60}

_TOTAL_WORDS = {"total", "totals", "grand total", "sub total", "subtotal", "overall total", "overall", "all"}
_ALL_WORDS = {"All", "all", "ALL", "Overall", "overall", "OVERALL"}
_LABEL_FIELDS = ("as_of", "faculty", "department", "job_family", "grade", "sex")
# A plain decimal as people type it: '0.8', '-1', '.5', '1,045', '1,045.5'. No '%', no '1e3', no 'nan'.
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?$")
_TITLE_MARK = re.compile(r"\b(?:as\s+at|as\s+of|at|(?:snapshot|census)(?:\s+date)?)\b[\s:,\-]*", re.IGNORECASE)
_TITLE_LABELS = {"as at", "as of", "as at date", "snapshot date", "census date", "snapshot"}

_Err = tuple[str, Cell, str, str]  # field, value, code, message
_Entry = tuple[tuple[Any, ...] | None, tuple[_Err, ...], str | None, bool]


def load_workforce(wb: Workbook, *, as_of: date | None = None) -> LoadResult:
    """Read a workforce extract into `WorkforceRecordCreate` rows summed by snapshot cell.

    Rows are aggregated by (as_of, faculty, department, job_family, grade, sex). The as-of date comes from
    the row's "As at" column, else a title above the header ("... as at 31 July 2018"), else `as_of`.
    Rows with errors are left out of `rows` and reported in `issues` (at most 200, then a count).

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> csv = b"As at,Faculty,Sex,Headcount,FTE\\n31/07/2020,Laws,Female,3,2.5\\n31/07/2020,Laws,M,1,1\\n"
        >>> r = load_workforce(read_workbook(csv, filename="hr.csv"))
        >>> [(str(x.as_of), x.sex, x.fte, x.headcount) for x in r.rows], r.meta["individual"]
        ([('2020-07-31', 'Female', 2.5, 3), ('2020-07-31', 'Male', 1.0, 1)], False)
    """
    result = LoadResult(kind="workforce", filename=wb.filename)
    result.extend(wb.issues)  # what the reader found in single cells
    sink = result
    chosen = _choose_sheet(wb)
    if chosen is None:
        _report_unrecognised(wb, sink)
        result.close()
        return result
    sheet, h, cols, others = chosen
    if others:
        sink.add(
            sheet.name,
            None,
            None,
            ", ".join(others),
            "other_sheets",
            f"Only sheet '{sheet.name}' was read; sheet(s) {', '.join(repr(o) for o in others)} also look like "
            "workforce data: load them as separate files if they hold other snapshots",
            "warning",
        )
    _Loader(sheet, h, cols, as_of, sink).run()
    result.close()
    return result


def _choose_sheet(wb: Workbook) -> tuple[Sheet, int, dict[str, int], list[str]] | None:
    """The first sheet with a header naming faculty and FTE or headcount, and other sheets that also do."""
    chosen: tuple[Sheet, int, dict[str, int]] | None = None
    others: list[str] = []
    for sheet in wb.sheets:
        found = find_header(sheet.rows, ALIASES, scan=30, min_hits=2)
        if found is None or "faculty" not in found[1] or not ({"fte", "headcount"} & found[1].keys()):
            continue
        if chosen is None:
            chosen = (sheet, found[0], found[1])
        else:
            others.append(sheet.name)
    return None if chosen is None else (*chosen, others)


def _report_unrecognised(wb: Workbook, sink: LoadResult) -> None:
    need = (
        "needs a Faculty column (Faculty, School, College or Division) and an FTE or Headcount column; "
        "optional: As at, Staff number, Department, Job family, Grade, Sex"
    )
    for sheet in wb.sheets:
        found = find_header(sheet.rows, ALIASES, scan=30, min_hits=1)
        if found is not None:
            i = found[0]
            have = ", ".join(LABELS[f] for f in ALIASES if f in found[1])
            missing = [LABELS[f] for f in ("faculty",) if f not in found[1]]
            if not ({"fte", "headcount"} & found[1].keys()):
                missing.append("FTE or Headcount")
            why = f"found {have} but no {' or '.join(missing)} column"
        else:
            # No known header at all: show the row that looks most like one (most text cells).
            scan = sheet.rows[:30]
            i = max(range(len(scan)), key=lambda k: sum(isinstance(c, str) for c in scan[k]), default=0)
            why = "found none of the known column names"
        seen = [text(c) for c in sheet.rows[i] if c is not None] if i < len(sheet.rows) else []
        shown = ", ".join(repr(s) for s in seen[:15]) + (", ..." if len(seen) > 15 else "")
        sink.add(
            sheet.name,
            i + 1 if seen else None,
            None,
            ", ".join(seen),
            "unrecognised_layout",
            f"Sheet '{sheet.name}' is not a workforce extract: {why}. Headers seen: {shown or '(none)'}. It {need}",
        )


def _is_total(value: Cell) -> bool:
    """'Total', 'Grand total', 'Engineering total': a row summing the rows above it."""
    if not isinstance(value, str) or ("total" not in value.lower() and value.lower() not in ("all", "overall")):
        return False
    n = norm(value)
    return n in _TOTAL_WORDS or n.endswith((" total", " totals"))


def _number(c: Cell) -> float | None:
    """A finite number from a numeric cell or text like '0.8' or '1,045'; None for anything else."""
    if type(c) is float:
        return c if math.isfinite(c) else None
    if type(c) is int:
        return float(c)
    if isinstance(c, str):
        s = c.strip()
        if not s or not _NUMBER.match(s) or not any(ch.isdigit() for ch in s):
            return None
        return float(s.replace(",", ""))
    return None  # bool, dates, blank


def _snapshot_date(c: Cell) -> date | None:
    """A snapshot date from a cell; a month on its own means the end of that month (the census day)."""
    if isinstance(c, str) and c.strip().isdigit():
        c = int(c.strip())  # an Excel serial or a year that a CSV export left as text
    return parse_date(c, end=True)


def title_date(rows: Sequence[Sequence[Cell]]) -> tuple[date, int, str] | None:
    """The snapshot date a title block states ('UCL technical staff as at 31 July 2018'), its row, its text.

    Also reads a label cell ('As at') followed by a date cell in the same row.
    """
    for i, row in enumerate(rows):
        for j, c in enumerate(row):
            if not isinstance(c, str):
                continue
            if norm(c) in _TITLE_LABELS:
                nxt = next((x for x in row[j + 1 :] if x is not None), None)
                d = _snapshot_date(nxt) if nxt is not None else None
                if d is not None:
                    return d, i + 1, f"{c} {text(nxt)}"
            for m in _TITLE_MARK.finditer(c):
                d = _date_after(c[m.end() :])
                if d is not None:
                    return d, i + 1, c
    return None


def _date_after(s: str) -> date | None:
    """The date that opens `s`: the longest run of up to 4 words that parses ('31 July 2018', 'July 2018')."""
    words = s.replace(",", " ").split()[:4]
    for k in range(len(words), 0, -1):
        chunk = " ".join(words[:k]).strip(" .:;()[]")
        # A bare year ('staff at 2018 levels') is too weak a signal to date a whole snapshot.
        if k == 1 and chunk.isdigit():
            return None
        d = parse_date(chunk, end=True)
        if d is not None:
            return d
    return None


class _Loader:
    """One pass over the data rows of the chosen sheet; per-row work is a few dict lookups."""

    def __init__(self, sheet: Sheet, h: int, cols: dict[str, int], as_of: date | None, sink: LoadResult) -> None:
        self.sheet = sheet
        self.h = h
        self.cols = cols
        self.sink = sink
        self.result = sink
        header = sheet.rows[h]
        # Issues name columns as the file writes them, e.g. 'Gender' rather than our 'sex'.
        self.names = {f: text(header[j]) for f, j in cols.items()}
        self.individual = "headcount" not in cols
        self.today_limit = date.today() + timedelta(days=366)
        self.arg = as_of
        self.fallback = self._fallback(as_of)

    # --- as-of date -----------------------------------------------------------------------------

    def _check_range(self, d: date) -> str | None:
        if d < EARLIEST or d > self.today_limit:
            return (
                f"{d:%d/%m/%Y} is not a plausible snapshot date (expected between {EARLIEST:%d/%m/%Y} "
                f"and {self.today_limit:%d/%m/%Y})"
            )
        return None

    def _fallback(self, as_of: date | None) -> date | None:
        """The as-of date for rows without their own: the title's, else the argument's."""
        name = self.sheet.name
        if isinstance(as_of, datetime):
            as_of = as_of.date()
        found = title_date(self.sheet.rows[: self.h])
        if found is not None:
            d, row, title = found
            if (why := self._check_range(d)) is not None:
                self.sink.add(name, row, None, title, "date_out_of_range", f"The title's date {why}")
                return None
            if as_of is not None and as_of != d:
                self.sink.add(
                    name,
                    row,
                    None,
                    title,
                    "as_of_conflict",
                    f"The title says the snapshot is as at {d:%d/%m/%Y}; that date was used, "
                    f"not the {as_of:%d/%m/%Y} given with --as-of",
                    "warning",
                )
            return d
        if as_of is not None:
            if (why := self._check_range(as_of)) is not None:
                self.sink.add(name, None, None, as_of.isoformat(), "date_out_of_range", f"The as-of date {why}")
                return None
            return as_of
        return None

    # --- labels ---------------------------------------------------------------------------------

    def _entry(self, key: tuple[Cell, ...]) -> _Entry:
        """Everything the label cells of a row decide, computed once per distinct combination.

        Returns (output key or None, errors, total text or None, looks like a repeated header).
        """
        as_raw, fac, dep, job, grade, sex_raw = key
        names = self.names
        errs: list[_Err] = []
        total = next((v for v in (fac, dep, job, grade, sex_raw) if _is_total(v)), None)
        if total is not None:
            return None, (), str(total), False
        # A label equal to its own header may be the header printed again; run() checks the whole row.
        header_like = any(
            f in names and isinstance(v, str) and norm(v) == norm(names[f])
            for f, v in zip(("as_of", "faculty", "department", "job_family", "grade", "sex"), key, strict=True)
        )

        as_of: date | None
        if as_raw is None:
            as_of = self.fallback
            if as_of is None and "as_of" in self.cols:
                errs.append(
                    (
                        "as_of",
                        None,
                        "no_as_of",
                        f"{names['as_of']} is empty and there is no title date or --as-of to fall back on",
                    )
                )
        else:
            as_of = _snapshot_date(as_raw)
            if as_of is None:
                errs.append(
                    (
                        "as_of",
                        as_raw,
                        "bad_date",
                        f"'{text(as_raw)}' is not a date: write it as a date, 31/07/2019, or July 2019",
                    )
                )
            elif (why := self._check_range(as_of)) is not None:
                errs.append(("as_of", as_raw, "date_out_of_range", why[0].upper() + why[1:]))
                as_of = None

        out: dict[str, str] = {}
        for f, v in (("faculty", fac), ("department", dep), ("job_family", job), ("grade", grade)):
            t = text(v)
            if len(t) > MAX_LEN[f]:
                errs.append((f, v, "too_long", f"{LABELS[f]} is {len(t)} characters, over the {MAX_LEN[f]} limit"))
            out[f] = t
        if not out["faculty"] and "faculty" in names:
            errs.append(("faculty", None, "required", f"{names['faculty']} is empty: every row needs a faculty"))

        if sex_raw is None:
            sex: str | None = _NK
        else:
            sex = SEX_CODES.get(norm(sex_raw))
            if sex is None:
                errs.append(("sex", sex_raw, "bad_sex", f"'{text(sex_raw)}' is not a recognised sex code: {SEX_HELP}"))
        if errs or as_of is None:
            return None, tuple(errs), None, header_like
        return (
            (as_of, out["faculty"], out["department"], out["job_family"], out["grade"], sex),
            (),
            None,
            header_like,
        )

    def _is_header_repeat(self, row: Sequence[Cell]) -> bool:
        """The header printed again mid-sheet (after a page break): two or more cells equal their headers."""
        hits = 0
        for f, j in self.cols.items():
            v = row[j] if j < len(row) else None
            if isinstance(v, str) and norm(v) == norm(self.names[f]):
                hits += 1
        return hits >= 2

    # --- the pass -------------------------------------------------------------------------------

    def _data_rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(Excel row number, cells) of each row under the header: the sheet's rows, then, for a streamed sheet,
        the rest as they are parsed (with the reader's checks of each, which `read_workbook` made of the first)."""
        rows = self.sheet.rows
        for i in range(self.h + 1, len(rows)):
            yield i + 1, rows[i]
        sheet = self.sheet
        if sheet.rest is not None:
            r = len(rows)
            for row in sheet.rest():
                r += 1
                if sheet.found:  # the reader's findings in this row's cells, before the loader's own
                    self.sink.extend(sheet.found)
                    sheet.found.clear()
                yield r, row

    def run(self) -> None:
        sheet, cols, names, sink, res = self.sheet, self.cols, self.names, self.sink, self.result
        sname = sheet.name
        individual = self.individual
        if "as_of" not in cols and self.fallback is None:
            sink.add(
                sname,
                None,
                None,
                None,
                "no_as_of",
                "No as-of date: add an 'As at' column, a title such as 'Technical staff as at 31 July 2018' "
                "above the header, or pass --as-of YYYY-MM-DD",
            )
        jf = cols["faculty"]
        jsid, jfte, jhc = cols.get("staff_id", -1), cols.get("fte", -1), cols.get("headcount", -1)
        width = max(cols.values()) + 1
        # The label cells of a row, fetched in one C call; only present columns, expanded in _entry.
        label_cols = [(pos, cols[f]) for pos, f in enumerate(_LABEL_FIELDS) if f in cols]
        positions = tuple(pos for pos, _ in label_cols)
        get_labels = itemgetter(*(j for _, j in label_cols), jf)  # faculty again: the key is always a tuple
        entries: dict[tuple[Cell, ...], _Entry] = {}
        numbers: dict[str, float | None] = {}
        # {hash of (staff number, date): row}: a 64-bit hash, not the pair, so a million-row extract keeps 100 MB
        # less (two different staff numbers sharing a hash: about 1 in 10**13 for a million people).
        seen_ids: dict[int, int] = {}
        groups: dict[tuple[Any, ...], list[float]] = {}
        input_rows = skipped_totals = 0

        for r, row in self._data_rows():
            n = len(row)
            if row.count(None) + row.count("") == n:  # blank ('' only from sheets not built by read_workbook)
                continue
            if n < width:  # ragged CSV lines
                row = [*row, *([None] * (width - n))]

            key = get_labels(row)
            entry = entries.get(key)
            if entry is None:
                full: list[Cell] = [None] * len(_LABEL_FIELDS)
                for pos, label in zip(positions, key, strict=False):
                    full[pos] = label
                entry = entries[key] = self._entry(tuple(full))
            out, errs, total, header_like = entry

            first = row[0] if row[0] is not None else next(c for c in row if c is not None)
            # Cheap substring tests first: _is_total (norm, a regex) only runs on likely totals.
            if (
                total is None
                and type(first) is str
                and ("otal" in first or "OTAL" in first or first in _ALL_WORDS)
                and _is_total(first)
            ):
                total = first
            if total is not None:
                skipped_totals += 1
                sink.add(
                    sname,
                    r,
                    None,
                    total,
                    "total_row",
                    f"Skipped a total row ('{total}') so that it is not counted twice",
                    "warning",
                )
                continue
            if header_like and self._is_header_repeat(row):
                continue
            input_rows += 1
            ok = out is not None
            for f, value, code, message in errs:
                sink.add(sname, r, names.get(f), value, code, message)

            # FTE: numeric cells take the fast path; text ('0.8', '1,045') is parsed once per distinct value.
            raw = row[jfte] if jfte >= 0 else None
            fte: float | None
            if jfte < 0:
                fte = 0.0
            elif type(raw) is int:
                fte = raw
            elif type(raw) is float:
                fte = raw if raw - raw == 0 else None  # NaN and infinity are not FTEs
            elif isinstance(raw, str):
                fte = numbers[raw] if raw in numbers else numbers.setdefault(raw, _number(raw))
            else:
                fte = None
            max_fte = MAX_FTE_PER_PERSON if individual else MAX_FTE_PER_PERSON * MAX_HEADCOUNT
            if fte is None or fte < 0 or fte > max_fte:
                ok = False
                if raw is None:
                    why = f"{names['fte']} is empty: give the full-time equivalent, e.g. 1 or 0.6"
                elif fte is None:
                    why = f"'{text(raw)}' is not a number: give the full-time equivalent as 1, 0.6 or 0.5"
                elif fte < 0:
                    why = f"{names['fte']} cannot be negative ({text(raw)})"
                elif individual:
                    why = f"{text(raw)} is more than {MAX_FTE_PER_PERSON} FTE for one person"
                else:
                    why = f"{text(raw)} is more than {max_fte:,.0f} FTE on one row"
                sink.add(sname, r, names.get("fte"), raw, "bad_fte", why)

            if individual:
                hc = 1
            else:
                raw = row[jhc]
                if type(raw) is int:
                    v: float | None = raw
                elif isinstance(raw, str):
                    v = numbers[raw] if raw in numbers else numbers.setdefault(raw, _number(raw))
                else:
                    v = _number(raw)
                if v is None or v < 0 or not float(v).is_integer() or v > MAX_HEADCOUNT:
                    ok = False
                    hc = 0
                    sink.add(
                        sname,
                        r,
                        names["headcount"],
                        raw,
                        "bad_headcount",
                        f"{names['headcount']} is empty: give the number of people"
                        if raw is None
                        else f"{text(raw)} is more than {MAX_HEADCOUNT:,} people on one row"
                        if v is not None and v > MAX_HEADCOUNT
                        else f"'{text(raw)}' is not a headcount: give a whole number of people (0 or more)",
                    )
                else:
                    hc = int(v)
                    if fte is not None and jfte >= 0 and hc * MAX_FTE_PER_PERSON < fte <= max_fte:
                        ok = False
                        sink.add(
                            sname,
                            r,
                            names["fte"],
                            row[jfte],
                            "bad_fte",
                            f"FTE {text(row[jfte])} is more than {MAX_FTE_PER_PERSON} x the headcount {hc}: "
                            "FTE cannot exceed headcount",
                        )

            if individual and jsid >= 0 and out is not None:
                sid = row[jsid]
                if sid is not None:
                    ident = hash((sid if type(sid) is str else text(sid), out[0]))
                    before = seen_ids.setdefault(ident, r)
                    if before != r:
                        ok = False
                        sink.add(
                            sname,
                            r,
                            names["staff_id"],
                            sid,
                            "duplicate",
                            f"{names['staff_id']} {text(sid)} appears twice for {out[0]:%d/%m/%Y}: "
                            f"rows {before} and {r}",
                        )

            if ok and out is not None and fte is not None:
                acc = groups.get(out)
                if acc is None:
                    groups[out] = [fte, hc]
                else:
                    acc[0] += fte
                    acc[1] += hc

        if "fte" not in cols:
            sink.add(
                sname,
                None,
                None,
                None,
                "no_fte",
                "The file has no FTE column: FTE is recorded as 0 and only headcounts are meaningful",
                "warning",
            )
        res.rows = [
            WorkforceRecordCreate(
                as_of=k[0],
                faculty=k[1],
                department=k[2],
                job_family=k[3],
                grade=k[4],
                sex=k[5],
                fte=round(v[0], 2) + 0.0,  # + 0.0 turns -0.0 into 0.0
                headcount=int(v[1]),
            )
            for k, v in sorted(groups.items(), key=lambda kv: kv[0])
        ]
        res.meta.update(
            sheet=sname,
            header_row=self.h + 1,
            columns=dict(names),
            individual=individual,
            input_rows=input_rows,
            skipped_totals=skipped_totals,
            as_of_dates=sorted({k[0] for k in groups}),
            fte_total=round(sum(v[0] for v in groups.values()), 2),
            headcount_total=int(sum(v[1] for v in groups.values())),
        )
