"""Parsing the cell values people actually type: dates, pillar marks, statuses, owners, bullets, headers.

Example:
    >>> parse_date("31/10/2018"), parse_date("Dec 2019", end=True)
    (datetime.date(2018, 10, 31), datetime.date(2019, 12, 31))
    >>> pillars_from_words("Visibility and sustainability"), split_owners("OD/ COP Sponsors and Deans")
    ('VS', ['OD', 'COP Sponsors', 'Deans'])
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from tracker.ingest.reader import Cell
from tracker.ingest.sandbox import column_letters

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_name) if m})
MONTHS["sept"] = 9
EXCEL_EPOCH = date(1899, 12, 30)

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_MON_Y = re.compile(r"^([A-Za-z]{3,9})\.?[\s\-/']*(\d{2}|\d{4})$")
_D_MON_Y = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_MON_D_Y = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_Q = re.compile(r"^Q([1-4])\s*[\-/ ]?\s*(\d{4})$", re.I)
_REL = re.compile(r"^(?:Y|Yr|Year\s*)\s*([1-9])$", re.I)


def norm(text: object) -> str:
    """Header text reduced for matching: lower case, accents folded, letters and digits only, single spaces."""
    return _norm(str(text or ""))


@lru_cache(maxsize=8192)
def _norm(s: str) -> str:
    s = s.lower().replace("&", " and ").replace("%", " percent ")
    s = s.replace("(s)", "s")  # 'Pillar(s)', 'Owner(s)': the plural the aliases know
    if not s.isascii():  # 'Département' → 'departement', not 'd partement'
        s = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
    return " ".join(_NON_ALNUM.sub(" ", s).split())


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def text(c: Cell) -> str:
    """A cell as display text ('' for blank); whole floats lose their '.0' (huge ones stay short: 1e+308, not
    309 digits).

    Example:
        >>> text(50.0), text(1e308), text(-1e20), text(0.5)
        ('50', '1e+308', '-1e+20', '0.5')
    """
    if c is None:
        return ""
    if isinstance(c, datetime):
        return c.date().isoformat() if c.time() == datetime.min.time() else c.isoformat(sep=" ")
    if isinstance(c, date):
        return c.isoformat()
    if isinstance(c, float) and c.is_integer() and abs(c) < 1e15:
        return str(int(c))
    return str(c).strip()


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _year(s: str) -> int:
    y = int(s)
    return y + 2000 if y < 100 else y


def add_months(d: date, months: int) -> date:
    """`d` moved by whole months, clamped to the month's end."""
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def parse_date(c: Cell, *, end: bool = False, plan_start: date | None = None) -> date | None:
    """A date from a real Excel date, UK text (31/10/2018), 'May-19', 'Dec 2019', 'Q3 2019' or 'Y1'.

    Month-only and year-only values mean the first day, or the last with `end=True`. 'Y1'..'Y9' are
    plan years from `plan_start`. Returns None when the value is not a date. Raises nothing.
    """
    if c is None:
        return None
    if isinstance(c, datetime):
        return c.date()
    if isinstance(c, date):
        return c
    if isinstance(c, bool):
        return None
    if isinstance(c, (int, float)):
        # An Excel serial that arrived as a number (CSV, or a cell formatted as General).
        if 20000 <= c <= 80000:
            return EXCEL_EPOCH + timedelta(days=int(c))
        if 1900 <= c <= 2200 and float(c).is_integer():
            return date(int(c), 12, 31) if end else date(int(c), 1, 1)
        return None
    s = str(c).strip().rstrip(".")
    try:
        if m := _DMY.match(s):
            return date(_year(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _ISO.match(s):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _D_MON_Y.match(s):
            mon = MONTHS.get(m.group(2).lower())
            return date(int(m.group(3)), mon, int(m.group(1))) if mon else None
        if m := _MON_D_Y.match(s):
            mon = MONTHS.get(m.group(1).lower())
            return date(int(m.group(3)), mon, int(m.group(2))) if mon else None
        if m := _MON_Y.match(s):
            mon = MONTHS.get(m.group(1).lower())
            if not mon:
                return None
            y = _year(m.group(2))
            return _month_end(y, mon) if end else date(y, mon, 1)
        if m := _Q.match(s):
            q, y = int(m.group(1)), int(m.group(2))
            return _month_end(y, q * 3) if end else date(y, q * 3 - 2, 1)
        if m := _YEAR.match(s):
            y = int(m.group(1))
            return date(y, 12, 31) if end else date(y, 1, 1)
        if (m := _REL.match(s)) and plan_start is not None:
            n = int(m.group(1))
            if end:
                return add_months(plan_start, 12 * n) - timedelta(days=1)
            return add_months(plan_start, 12 * (n - 1))
    except ValueError:  # 31/02/2019 and friends
        return None
    return None


# Tried in order: spaced separators first, so 'May-19 - Dec-19' is not cut inside a date.
_RANGE_SPLITS = (
    re.compile(r"\s+(?:-|–|—|to|until|till)\s+", re.I),
    re.compile(r"\s*[–—]\s*"),
    re.compile(r"\s*-\s*"),
    re.compile(r"\s*/\s*"),  # 'Y1/Y2'
)


def parse_period(c: Cell, *, plan_start: date | None = None) -> tuple[date | None, date | None] | None:
    """A (start, end) pair from a timescale cell as plans write them.

    'Jan 2019 – Dec 2019', 'Y1-Y2', 'Y1-3', 'Yr1-3', 'Year 2', 'May-19', 'End of November 2020', '11 December 2020',
    'By July 2024', '2021/22' (an academic year, 1 August to 31 July), 'Q2 2024', 'Summer 2023', 'Sept 2021
    onwards', and lists such as 'Y1, Y2, Y1-3' (the earliest start and the latest end). Returns (None, None) for
    open wording (ongoing, annually, throughout), None when nothing can be read.

    Example:
        >>> parse_period("Y1, Y2, Y1-3", plan_start=date(2021, 1, 1))
        (datetime.date(2021, 1, 1), datetime.date(2023, 12, 31))
        >>> parse_period("2021/22")
        (datetime.date(2021, 8, 1), datetime.date(2022, 7, 31))
        >>> parse_period("Summer 2023")
        (datetime.date(2023, 6, 1), datetime.date(2023, 8, 31))
    """
    if c is None:
        return (None, None)
    if isinstance(c, (date, datetime, int, float)):
        d = parse_date(c, end=True, plan_start=plan_start)
        return (None, d) if d else None
    raw = " ".join(str(c).split()).strip(" .;,")
    if not raw:
        return (None, None)
    one = _one_period(raw, plan_start)
    if one is not None:
        return one
    # A list: 'Y1, Y2, Y1-3', 'Dec 2020 and ongoing', 'Phase 1: Jan 2021; phase 2: Jul 2021'.
    parts = [p for p in _LIST_SPLIT.split(raw) if p and p.strip(" .")]
    if len(parts) < 2:
        return None
    read = [_one_period(_LABEL.sub("", p.strip(" .")), plan_start) for p in parts]
    got = [r for r in read if r is not None]
    if not got or (len(got) < len(read) and not any(r[1] for r in got)):
        return None
    starts = [r[0] for r in got if r[0]]
    ends = [r[1] for r in got if r[1]]
    if not ends:
        return (min(starts) if starts else None, None)
    return (min(starts) if starts else None, max(ends))


_LIST_SPLIT = re.compile(r"\s*(?:[,;\n]|\band\b|&)\s*", re.I)
_LABEL = re.compile(r"^[^:]{1,30}:\s*")  # 'Phase 1: Jan 2021'
_OPEN = {
    "ongoing",
    "on going",
    "throughout",
    "continuous",
    "continuing",
    "annual",
    "annually",
    "yearly",
    "each year",
    "every year",
    "termly",
    "monthly",
    "quarterly",
    "tbc",
    "tbd",
    "n a",
    "na",
    "various",
    "as required",
    "as needed",
    "throughout the plan",
    "for the duration of the plan",
    "life of the plan",
}
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 14)}
_SEASON = re.compile(r"^(spring|summer|autumn|fall|winter)(?:\s+term)?\s+(\d{4})$", re.I)
_ACADEMIC = re.compile(r"^(?:ay\s*|academic year\s*)?(\d{4})\s*[/\-–]\s*(\d{2}|\d{4})$", re.I)
_YEARS_SPAN = re.compile(r"^(\d{4})\s*(?:-|–|—|to)\s*(\d{4})$")
_QY = re.compile(r"^(\d{4})\s*Q([1-4])$", re.I)
_ONWARDS = re.compile(r"^(?:from\s+)?(.+?)\s+(?:onwards?|and ongoing|ongoing)$|^from\s+(.+)$", re.I)
_DEADLINE = re.compile(
    r"^(?:by|before|no later than|complete by|completed by|due|deadline)?\s*(?:the\s+)?(?:end\s+of|close\s+of)"
    r"\s+(?:the\s+)?(.+)$"
    r"|^(?:by|before|no later than|complete by|completed by|due|deadline)\s+(?:the\s+)?(.+)$",
    re.I,
)


def _one_period(s: str, plan_start: date | None) -> tuple[date | None, date | None] | None:
    """A single period (no lists); None when it cannot be read."""
    s = re.sub(r"^(?:during|in|within)\s+", "", s, flags=re.I).strip(" .")
    s = re.sub(r"^(?:Yrs?|Years?)\s*(?=\d)", "Y", s, flags=re.I)  # 'Yr1-3', 'Year 2', 'Years 1-3' → 'Y1-3', 'Y2'
    s = re.sub(r"^(Y)(\d)\s*(?:-|–|—|to)\s*(?:Y(?:rs?|ears?)?\s*)?(\d)$", r"\1\2-Y\3", s, flags=re.I)
    if norm(s) in _OPEN:
        return (None, None)
    if m := _DEADLINE.match(s):
        inner = (m.group(1) or m.group(2) or "").strip(" .")
        inner = re.sub(r"^(?:Yrs?|Years?)\s*(?=\d)", "Y", inner, flags=re.I)
        got = _one_period(inner, plan_start) if inner else None
        return (None, got[1]) if got and got[1] else None  # a deadline: it starts with the plan
    if m := _ONWARDS.match(s):
        got = _one_period((m.group(1) or m.group(2)).strip(), plan_start)
        return (got[0] or got[1], None) if got and (got[0] or got[1]) else None
    if m := _SEASON.match(s):
        a, b = _SEASONS[m.group(1).lower()]
        y = int(m.group(2))
        end_y, end_m = (y + 1, b - 12) if b > 12 else (y, b)
        return (date(y, a, 1), _month_end(end_y, end_m))
    if m := _ACADEMIC.match(s):
        y1, y2 = int(m.group(1)), _year(m.group(2)) if len(m.group(2)) == 2 else int(m.group(2))
        if len(m.group(2)) == 2:
            y2 = (y1 // 100) * 100 + int(m.group(2))
        if y2 == y1 + 1:  # '2021/22', '2021-22': the UK academic year
            return (date(y1, 8, 1), date(y2, 7, 31))
        if y1 < y2 <= y1 + 10:
            return (date(y1, 1, 1), date(y2, 12, 31))
        return None
    if m := _QY.match(s):
        s = f"Q{m.group(2)} {m.group(1)}"
    whole_start = parse_date(s, plan_start=plan_start)
    if whole_start is not None:
        # A lone month, quarter, year or plan year is a period of its own: start of it to end of it.
        if _MON_Y.match(s) or _REL.match(s) or _Q.match(s) or _YEAR.match(s):
            return (whole_start, parse_date(s, end=True, plan_start=plan_start))
        return (None, whole_start)
    for splitter in _RANGE_SPLITS:
        parts = [p for p in splitter.split(s) if p]
        if len(parts) == 2:
            first = _one_period(parts[0], plan_start) if parts[0] != s else None
            last = _one_period(parts[1], plan_start) if parts[1] != s else None
            if first and last and (first[0] or first[1]) and last[1]:
                return (first[0] or first[1], last[1])
    return None


_TRUE_MARKS = {"x", "y", "yes", "true", "1", "✓", "✔", "✔️", "☑", "tick", "•", "●", "*"}


def is_mark(c: Cell) -> bool:
    """True for a pillar tick: X, x, ✓, Y, Yes, TRUE, 1."""
    if c is None or c is False:
        return False
    if c is True:
        return True
    if isinstance(c, (int, float)):
        return c == 1
    return str(c).strip().lower() in _TRUE_MARKS


_PILLAR_WORDS = (("visib", "V"), ("recog", "R"), ("career", "C"), ("develop", "C"), ("sustain", "S"))


def pillars_from_words(c: Cell) -> str:
    """Pillar letters in VRCS order from words ('Career Development', 'Visibility and sustainability')
    or letters ('V, R', 'CD', 'R/S')."""
    s = text(c).lower()
    if not s:
        return ""
    if s.strip(" .") in ("all", "all four", "all pillars", "all 4", "all four pillars"):
        return "VRCS"
    found: set[str] = set()
    for stem, letter in _PILLAR_WORDS:
        if stem in s:
            found.add(letter)
    for tok in re.split(r"[\s,;/&+]+|\band\b", s):
        tok = tok.strip(" .()")
        if tok in ("v", "r", "c", "s"):
            found.add(tok.upper())
        elif tok == "cd":
            found.add("C")
    return "".join(p for p in "VRCS" if p in found)


PILLAR_HEADERS = {
    "v": "V",
    "visibility": "V",
    "r": "R",
    "recognition": "R",
    "c": "C",
    "cd": "C",
    "career development": "C",
    "career": "C",
    "s": "S",
    "sustainability": "S",
}


_OWNER_SPLIT = re.compile(r"\s*(?:[,;/\n]|\band\b)\s*", re.I)


def split_owners(c: Cell) -> list[str]:
    """Owners from 'OD/ COP Sponsors', 'VP Research, Deans', 'HR and Estates' (order kept, no repeats)."""
    out: list[str] = []
    for part in _OWNER_SPLIT.split(text(c)):
        part = part.strip(" .•-–")
        if part and part not in out:
            out.append(part)
    return out


_BULLET = re.compile(r"^\s*(?:[•●▪■◦‣∙·\-–*]|\d+[.)]|[a-z][.)])\s+", re.I)
_TAG = re.compile(r"<[^>]+>")


def clean_bullets(c: Cell) -> str:
    """Cell text with bullet lists normalised to '• item' lines and stray HTML list tags removed."""
    s = text(c)
    if not s:
        return ""
    s = _TAG.sub("\n", s).replace("\r\n", "\n").replace("\r", "\n")
    if "\n\n" in s.strip() and not any(_BULLET.match(ln) for ln in s.split("\n")):
        # Paragraphs, not a list: kept as paragraphs (one blank line between them).
        return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", s.strip()) if p.strip())
    lines = [ln.strip() for ln in s.split("\n")]
    lines = [ln for ln in lines if ln]
    if len(lines) <= 1:
        return _BULLET.sub("", lines[0]) if lines and _BULLET.match(lines[0]) else (lines[0] if lines else "")
    return "\n".join("• " + _BULLET.sub("", ln) for ln in lines)


_EVIDENCE = re.compile(r"\(\s*Evidence\s*(?::|from\b|-)\s*(.*?)\)\s*$", re.I | re.S)
# The same bracket in the middle of the text, its own brackets balanced: '(Evidence: survey (2019)). More.'
_EVIDENCE_INSIDE = re.compile(r"\(\s*Evidence\s*(?::|from\b|-)\s*((?:[^()]|\([^()]*\))*)\)", re.I)


def split_evidence(c: Cell) -> tuple[str, list[str]]:
    """Impact text without its '(Evidence: a; b)' or '(Evidence from X)' brackets, and the evidence list."""
    s = text(c)
    found: list[re.Match[str]] = list(_EVIDENCE_INSIDE.finditer(s))
    if not found:
        m = _EVIDENCE.search(s)
        if not m:
            # Unbalanced brackets inside the list (rare) fall back to a looser search.
            m = re.search(r"\(\s*Evidence\s*(?::|from\b)\s*(.*)\)?\s*$", s, re.I | re.S)
            if not m:
                return s, []
        found = [m]
    items: list[str] = []
    kept, pos = "", 0
    for m in found:
        for part in re.split(r"\s*[;\n]\s*", m.group(1)):
            part = re.sub(r"^from\s+", "", part.strip(" •-–"), flags=re.I).strip(" .")
            if part:
                items.append(part)
        kept, pos = _join_text(kept, s[pos : m.start()]), m.end()
    return _join_text(kept, s[pos:]), items


def _join_text(before: str, after: str) -> str:
    """Text either side of a removed bracket: '…skills' + '. More' → '…skills. More'."""
    before, after = before.rstrip(" \n"), after.strip()
    if not before or not after:
        return before or after
    return before + (after if after[0] in ".,;:" else " " + after)


def find_header(
    rows: Sequence[Sequence[Cell]],
    aliases: Mapping[str, Iterable[str]],
    *,
    scan: int = 30,
    min_hits: int = 2,
) -> tuple[int, dict[str, int]] | None:
    """The index of the header row in the first `scan` rows and {field: column index}.

    `aliases` maps a field to the normalised header texts that mean it; the row matching the most
    fields wins (at least `min_hits`).
    """
    lookup: dict[str, str] = {}
    for field, names in aliases.items():
        for n in names:
            lookup.setdefault(norm(n), field)
    best: tuple[int, dict[str, int]] | None = None
    for i, row in enumerate(rows[:scan]):
        cols: dict[str, int] = {}
        for j, c in enumerate(row):
            if c is None or not isinstance(c, str):
                continue
            f = lookup.get(norm(c))
            if f and f not in cols:
                cols[f] = j
        if len(cols) >= min_hits and (best is None or len(cols) > len(best[1])):
            best = (i, cols)
    return best


def is_blank(row: Sequence[Cell]) -> bool:
    """True when every cell is empty."""
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def cell(row: Sequence[Cell], j: int | None) -> Cell:
    """`row[j]`, or None when the column is absent or the row is short."""
    if j is None or j >= len(row):
        return None
    return row[j]


# Excel column letters for a 0-based index (0 → A, 27 → AB): one copy, the sandbox's (its child needs it alone).
col_letter = column_letters
