"""Working-group lists: one row per member, laid out as a self-assessment prints them (a lead-in sentence, then
a `Name | Title | Faculty` table), with optional Technician (Y/N), Joined and Left columns.

Headers are read by meaning: Job title / Role / Position / Post for the title; Faculty / School / Department /
Division / Area for the faculty. A title row before the header, blank rows and a sentence written under the
table are passed over. A file with no Technician column counts every member as a technician (a note says so).

Example:
    >>> from tracker.ingest.reader import read_workbook
    >>> csv = b"Name,Role,School\\nDr Ada Lovelace,Lab Manager,Engineering\\n"
    >>> r = load_group(read_workbook(csv, filename="group.csv"))
    >>> r.valid, [(m.name, m.job_title, m.faculty, m.technician) for m in r.rows]
    (True, [('Dr Ada Lovelace', 'Lab Manager', 'Engineering', True)])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tracker.ingest.base import LoadResult
from tracker.ingest.cells import find_header, is_blank, norm, parse_date, text
from tracker.ingest.reader import Cell, Sheet, Workbook
from tracker.models import WorkingGroupMemberCreate

ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "member", "members", "member name", "name of member"),
    "job_title": ("title", "job title", "role", "position", "post", "job", "job role", "role title"),
    "faculty": (
        "faculty",
        "school",
        "department",
        "dept",
        "division",
        "area",
        "faculty school",
        "faculty department",
        "college",
    ),
    "technician": ("technician", "technician?", "is technician", "technician y n", "technical", "technician yn"),
    "joined": ("joined", "date joined", "joined on", "member since", "from", "start", "start date"),
    "left": ("left", "date left", "left on", "until", "end", "end date", "to"),
}
LABELS = {
    "name": "Name",
    "job_title": "Title",
    "faculty": "Faculty",
    "technician": "Technician?",
    "joined": "Joined",
    "left": "Left",
}
MAX_LEN = {"name": 200, "job_title": 200, "faculty": 200}
YES = {"y", "yes", "true", "x", "1", "technician", "tick"}
NO = {"n", "no", "false", "0", "not a technician", "non technician"}
# Honorifics that do not tell two members apart ("Dr Lisa Sanderson" is "Lisa Sanderson").
HONORIFICS = {"dr", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "sir", "dame"}
# A cell of prose under the table (the seed's "The action plan was also informed by ...") is not a member.
PROSE_WORDS = 7


def member_key(name: str) -> str:
    """The name two rows (or a file and the database) are matched on: case, punctuation and honorifics ignored.

    Example:
        >>> member_key("Dr. Lisa  Sanderson"), member_key("lisa sanderson")
        ('lisa sanderson', 'lisa sanderson')
    """
    words = norm(name).split()
    while len(words) > 1 and words[0] in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def load_group(wb: Workbook, *, today: date | None = None) -> LoadResult:
    """Read a working-group list into `WorkingGroupMemberCreate` rows, one per member, in file order.

    The first sheet with a header naming a Name column and a title or faculty column is read. Errors (a row
    with no name, a name twice, a Technician value that is not yes or no, a date that is not a date, left
    before joined, text too long) name the sheet, the row as Excel numbers it, the column and the value; a
    file with any error is not loaded. `today` (default: today) is the load date, kept in `meta["load_date"]`:
    members held but absent from the file leave on that day when the file is loaded.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> csv = b"Name,Title,Faculty,Technician?\\nA Person,Manager,Laws,maybe\\n"
        >>> r = load_group(read_workbook(csv, filename="g.csv"))
        >>> r.valid, r.issue_lines()
        (False, ["g.csv:g:2:Technician?: 'maybe' is not yes or no: write Y or N (blank counts as a technician)"])
    """
    result = LoadResult(kind="group", filename=wb.filename)
    result.extend(wb.issues)
    result.meta["load_date"] = today or date.today()
    found = find_group_table(wb)
    if found is None:
        _report_unrecognised(wb, result)
        result.close()
        return result
    sheet, h, cols = found
    _read(sheet, h, cols, result)
    result.close()
    return result


def find_group_table(wb: Workbook) -> tuple[Sheet, int, dict[str, int]] | None:
    """The first sheet whose header names a member (Name) with a title or a faculty: (sheet, header index,
    {field: column})."""
    for sheet in wb.sheets:
        found = find_header(sheet.rows, ALIASES, scan=30, min_hits=2)
        if found is not None and "name" in found[1] and ({"job_title", "faculty"} & found[1].keys()):
            return sheet, found[0], found[1]
    return None


def _report_unrecognised(wb: Workbook, sink: LoadResult) -> None:
    sheet = wb.sheets[0] if wb.sheets else None
    seen: list[str] = []
    row = None
    if sheet is not None:
        found = find_header(sheet.rows, ALIASES, scan=30, min_hits=1)
        i = found[0] if found else 0
        if i < len(sheet.rows):
            seen = [text(c) for c in sheet.rows[i] if c is not None]
            row = i + 1 if seen else None
    shown = ", ".join(repr(s) for s in seen[:15]) or "(none)"
    sink.add(
        sheet.name if sheet else "",
        row,
        None,
        ", ".join(seen),
        "unrecognised_layout",
        f"This is not a working-group list: it needs a Name column and a Title (Job title, Role, Position) or "
        f"Faculty (School, Department, Division, Area) column; optional: Technician? (Y/N), Joined, Left. "
        f"Headers seen: {shown}",
    )


def _yes_no(c: Cell) -> bool | None:
    if isinstance(c, bool):
        return c
    n = norm(c)
    if n in YES or str(c).strip() in ("✓", "✔"):
        return True
    if n in NO:
        return False
    return None


def _read(sheet: Sheet, h: int, cols: dict[str, int], result: LoadResult) -> None:
    rows = sheet.rows
    header = rows[h]
    names = {f: text(header[j]) for f, j in cols.items()}
    sname = sheet.name
    seen: dict[str, int] = {}
    if "technician" not in cols:
        result.note(sname, h + 1, None, None, "no Technician? column: every member is counted as a technician")

    def get(row: Sequence[Cell], f: str) -> Cell:
        j = cols.get(f)
        return row[j] if j is not None and j < len(row) else None

    for i in range(h + 1, len(rows)):
        row = rows[i]
        if is_blank(row):
            continue
        r = i + 1
        name = text(get(row, "name"))
        # The header printed again (after a page break).
        if norm(name) == norm(names["name"]) and any(
            isinstance(get(row, f), str) and norm(get(row, f)) == norm(names[f]) for f in cols if f != "name"
        ):
            continue
        filled = [c for c in row if c is not None and text(c)]
        if len(filled) == 1 and len(text(filled[0]).split()) >= PROSE_WORDS:
            result.add(
                sname,
                r,
                None,
                text(filled[0]),
                "not_a_member",
                "Skipped a sentence written under the table: it is not a member",
                "warning",
            )
            continue
        ok = True
        if not name:
            result.add(
                sname,
                r,
                names["name"],
                None,
                "required",
                f"{names['name']} is empty: every member needs a name (delete the row if it is not a member)",
            )
            ok = False
        values: dict[str, str] = {"name": name}
        for f in ("job_title", "faculty"):
            values[f] = text(get(row, f))
        for f, limit in MAX_LEN.items():
            if len(values[f]) > limit:
                result.add(
                    sname,
                    r,
                    names.get(f),
                    values[f],
                    "too_long",
                    f"{LABELS[f]} is {len(values[f])} characters, over the {limit} limit",
                )
                ok = False
        technician = True
        if "technician" in cols and get(row, "technician") is not None and text(get(row, "technician")):
            yn = _yes_no(get(row, "technician"))
            if yn is None:
                result.add(
                    sname,
                    r,
                    names["technician"],
                    text(get(row, "technician")),
                    "bad_technician",
                    f"'{text(get(row, 'technician'))}' is not yes or no: write Y or N (blank counts as a technician)",
                )
                ok = False
            else:
                technician = yn
        dates: dict[str, date | None] = {}
        for f in ("joined", "left"):
            raw = get(row, f)
            dates[f] = None
            if raw is None or not text(raw):
                continue
            d = parse_date(raw)
            if d is None:
                result.add(
                    sname,
                    r,
                    names[f],
                    text(raw),
                    "bad_date",
                    f"'{text(raw)}' is not a date: write it as 31/10/2018, or October 2018",
                )
                ok = False
            else:
                dates[f] = d
        if dates["joined"] and dates["left"] and dates["left"] < dates["joined"]:
            result.add(
                sname,
                r,
                names["left"],
                text(get(row, "left")),
                "left_before_joined",
                f"{names['left']} ({dates['left']:%d/%m/%Y}) is before {names['joined']} ({dates['joined']:%d/%m/%Y})",
            )
            ok = False
        if name:
            key = member_key(name)
            first = seen.setdefault(key, r)
            if first != r:
                result.add(
                    sname,
                    r,
                    names["name"],
                    name,
                    "duplicate",
                    f"{name} is listed twice: rows {first} and {r}; keep one row per member",
                )
                ok = False
        if ok:
            result.rows.append(
                WorkingGroupMemberCreate(
                    name=name,
                    job_title=values["job_title"],
                    faculty=values["faculty"],
                    technician=technician,
                    joined=dates["joined"],
                    left=dates["left"],
                )
            )
    if not result.rows and not result.errors:
        result.add(sname, h + 1, None, None, "no_members", "The list has a header but no members under it")
    result.meta.update(sheet=sname, header_row=h + 1, columns=dict(names), members=len(result.rows))
