"""Reading columns by meaning: the words in a header and what the column holds, scored per field.

Exact alias lists fail on real files ("Planned action/objective", "We commit to:", "Key challenge"), so each field
is described by the word stems its headers use and by the shape of its cells (ticks, pillar words, dates or
timescales, names and roles, long text). `choose_columns` scores every column of a candidate header row against
every field and picks the assignment with the best total, one column per field.

Example:
    >>> rows = [["Planned action/objective", "Lead", "Timescale"], ["Run a survey of technicians", "HR", "Y1"]]
    >>> choice = choose_columns(rows, 0, PLAN_FIELDS)
    >>> {c.field: c.label for c in choice.columns}
    {'activity': 'Planned action/objective', 'owner': 'Lead', 'timescale': 'Timescale'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tracker.ingest.cells import col_letter, is_mark, norm, parse_period, pillars_from_words, text
from tracker.ingest.reader import Cell
from tracker.vocab import IGNORE


@dataclass(frozen=True)
class FieldSpec:
    """What a field's header says and what its cells look like.

    `exact`: whole headers that mean it at once; `words`: stems any header word may start with; `shape`: the
    cell shape that supports it (a `shape_score` shape, or "fits": the share of cells `fits` accepts)."""

    name: str
    label: str
    exact: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    shape: str = ""
    required_shape: bool = False  # a column that does not look like this is never this field
    fits: Callable[[Cell], bool] | None = None  # for shape "fits": whether one cell looks like this field


@dataclass(frozen=True)
class ColumnChoice:
    """One column of the header row and the field it was mapped to (`ignore` when none)."""

    index: int
    letter: str
    label: str  # the header as written, or "(column B)" when unheaded; unique within the row
    field: str
    score: float
    by_user: bool = False


@dataclass
class ColumnReading:
    """The header row chosen and what each column was mapped to."""

    header_index: int  # 0-based: Excel row header_index + 1
    columns: list[ColumnChoice] = field(default_factory=list)
    total: float = 0.0

    def index_of(self) -> dict[str, int]:
        """{field: column index} for every mapped column."""
        return {c.field: c.index for c in self.columns if c.field != IGNORE}


PLAN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "ref",
        "Ref",
        ("ref", "ref no", "reference", "action ref", "action no", "action number", "no", "id", "action id", "number"),
        ("ref", "no", "number", "id"),
        "ref",
        required_shape=True,
    ),
    FieldSpec(
        "theme",
        "Theme",
        ("theme", "area", "strand", "workstream", "priority", "section", "category", "theme area", "key challenge"),
        ("theme", "area", "strand", "workstream", "priorit", "section", "categor", "challenge", "focus", "heading"),
        "short",
    ),
    FieldSpec(
        "purpose",
        "Purpose",
        ("purpose", "aim", "aims", "rationale", "issue", "issue identified", "why", "key issue", "goal", "goals"),
        ("purpose", "aim", "rationale", "issue", "why", "goal", "objective", "intent"),
        "long",
    ),
    FieldSpec(
        "activity",
        "Activity",
        (
            "activity",
            "activities",
            "action",
            "actions",
            "planned activity",
            "planned action",
            "actions to be taken",
            "proposed action",
            "what we will do",
            "we commit to",
            "action plan item",
        ),
        (
            "action",
            "activit",
            "commit",
            "pledge",
            "objective",
            "what",
            "task",
            "initiative",
            "item",
            "step",
            "deliverable",
            "goal",
        ),
        "long",
    ),
    FieldSpec(
        "impact",
        "Impact",
        ("impact", "expected impact", "outcome", "outcomes", "delivery and success", "intended impact"),
        ("impact", "outcome", "success", "deliver", "result", "benefit", "evidence"),
        "long",
    ),
    FieldSpec(
        "measures",
        "Success measures",
        ("success measure", "success measures", "success criteria", "measures of success", "kpi", "kpis"),
        ("measure", "kpi", "indicator", "criteria", "metric", "target"),
        "long",
    ),
    FieldSpec(
        "owner",
        "Who",
        ("who", "lead", "leads", "owner", "owners", "responsibility", "responsible", "by whom", "action owner"),
        ("who", "lead", "owner", "responsib", "accountab", "person", "sponsor", "champion"),
        "names",
    ),
    FieldSpec(
        "start",
        "Start",
        ("start", "start date", "from", "begin", "begins", "start by"),
        ("start", "begin", "commenc"),
        "dates",
    ),
    FieldSpec(
        "due",
        "Due",
        ("end", "end date", "due", "due date", "deadline", "completion date", "target date", "by when", "date"),
        ("due", "deadline", "complet", "end", "finish", "date"),
        "dates",
    ),
    FieldSpec(
        "timescale",
        "Timescale",
        ("timescale", "timescales", "timeframe", "time frame", "timeline", "when", "timing", "target"),
        ("time", "when", "timing", "schedul", "milestone", "by", "year"),
        "dates",
    ),
    FieldSpec(
        "evidence",
        "Evidence",
        ("evidence", "evidence of impact", "how impact will be evidenced", "evidence of success"),
        ("evidence",),
        "long",
    ),
    FieldSpec(
        "pillars",
        "Pillars",
        ("pillar", "pillars", "key area", "key areas", "tc pillar", "tc pillars", "technician commitment pillar"),
        ("pillar", "key area", "commitment area", "tc theme"),
        "pillar_words",
    ),
    FieldSpec("pV", "V (Visibility)", ("v", "visibility"), (), "marks", required_shape=True),
    FieldSpec("pR", "R (Recognition)", ("r", "recognition"), (), "marks", required_shape=True),
    FieldSpec(
        "pC",
        "C (Career development)",
        ("c", "cd", "career development", "career", "development"),
        (),
        "marks",
        required_shape=True,
    ),
    FieldSpec("pS", "S (Sustainability)", ("s", "sustainability"), (), "marks", required_shape=True),
)


@dataclass(frozen=True)
class Profile:
    """The shape of a column's cells below a header row (fractions of its non-blank cells)."""

    filled: int
    marks: float
    pillar_words: float
    dates: float
    names: float
    long: float
    short: float
    refs: float
    numbers: float


_ROLEISH = re.compile(
    r"\b(?:hr|od|head|heads|manager|managers|director|directors|dean|deans|lead|leads|officer|team|group|committee|"
    r"board|chair|vp|pvc|provost|registrar|faculty|faculties|school|schools|technician|technicians|services|office|"
    r"network|partner|bp|comms|communications|all)\b",
    re.I,
)
_REF = re.compile(r"^[A-Za-z]{0,3}\s?\d{1,3}(?:[.\-]\d{1,3}){0,2}[a-z]?\.?$")


def profile(rows: Sequence[Sequence[Cell]], j: int, *, limit: int = 300) -> Profile:
    """How the cells of column `j` look in `rows` (the rows below a header)."""
    counts = dict(marks=0, pillar_words=0, dates=0, names=0, long=0, short=0, refs=0, numbers=0)
    n = 0
    for row in rows[:limit]:
        c = row[j] if j < len(row) else None
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        n += 1
        s = text(c)
        if is_mark(c):
            counts["marks"] += 1
        if isinstance(c, (int, float)) and not isinstance(c, bool):
            counts["numbers"] += 1
        if pillars_from_words(c) and len(_PILLARISH.sub(" ", s).split()) <= 1 and not is_mark(c):
            counts["pillar_words"] += 1
        if (len(s) < 60 and parse_period(c, plan_start=None) not in (None, (None, None))) or _OPEN_TIME.match(s):
            counts["dates"] += 1
        words = len(s.split())
        if words >= 8 or len(s) >= 60:
            counts["long"] += 1
        elif len(s) <= 40:
            counts["short"] += 1
        if 0 < len(s) <= 80 and (_ROLEISH.search(s) or "/" in s) and words <= 10:
            counts["names"] += 1
        if _REF.match(s):
            counts["refs"] += 1
    if n == 0:
        return Profile(0, 0, 0, 0, 0, 0, 0, 0, 0)
    return Profile(n, **{k: v / n for k, v in counts.items()})


# Words a cell of pillar names is made of: what remains when they are removed is at most one word.
_PILLARISH = re.compile(
    r"\b(?:visibility|recognition|career|development|developing|sustainability|and|or|pillars?|v|r|c|s|cd|all)\b"
    r"|[,;/&+()\-–]",
    re.I,
)
_OPEN_TIME = re.compile(r"^(?:ongoing|annual(?:ly)?|throughout|continuous|tbc|tbd|y(?:ea)?r?\s*\d)", re.I)


def header_score(header: str, spec: FieldSpec) -> float:
    """How strongly a header's words say `spec`: 10 for a whole known header, 4 for its first word, 3 for
    another word, 0 for none.

    Example:
        >>> header_score("Planned action/objective", PLAN_FIELDS[3]), header_score("Lead", PLAN_FIELDS[3])
        (3.0, 0.0)
    """
    n = norm(header)
    if not n:
        return 0.0
    if n in spec.exact or n.rstrip(" s") in spec.exact:
        return 10.0
    words = n.split()
    best = 0.0
    # 'Support actions', 'Sub-actions', 'Further actions': the secondary column beside the main one.
    secondary = words[0] in _QUALIFIERS
    for i, w in enumerate(words):
        for stem in spec.words:
            if " " in stem:
                if stem in n:
                    best = max(best, 4.0)
            elif w == stem or (len(stem) >= 3 and w.startswith(stem)):
                best = max(best, 4.0 if i == 0 else 3.0)
    return max(best - 2.0, 1.0) if secondary and best else best


_QUALIFIERS = {"support", "supporting", "sub", "additional", "further", "other", "related", "previous", "existing"}


def fit_share(rows: Sequence[Sequence[Cell]], j: int, fits: Callable[[Cell], bool], *, limit: int = 300) -> float:
    """The share of column `j`'s non-blank cells (in the first `limit` rows) that `fits` accepts.

    Example:
        >>> fit_share([["Green"], ["Amber"], [None], ["n/a"]], 0, lambda c: c in ("Green", "Amber"))
        0.6666666666666666
    """
    n = hits = 0
    for row in rows[:limit]:
        c = row[j] if j < len(row) else None
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        n += 1
        hits += bool(fits(c))
    return hits / n if n else 0.0


def shape_score(p: Profile, spec: FieldSpec, fit: float = 0.0) -> float:
    """How well a column's cells fit `spec`'s shape, 0 to about 4 (`fit`: the share `spec.fits` accepts)."""
    if p.filled == 0:
        return 0.0
    if spec.shape == "fits":
        return 4.0 * fit - (2.0 if fit < 0.5 else 0.0) - 1.0 * p.long
    if spec.shape == "marks":
        return -4.0 if p.long > 0.5 else 4.0 * p.marks + 0.5  # an odd mark ('maybe') under 'V' is still a tick
    if spec.shape == "pillar_words":
        return 4.0 * p.pillar_words - 4.0 * p.refs - 1.0 * p.long
    if spec.shape == "dates":
        return 4.0 * p.dates - 2.0 * p.long
    if spec.shape == "names":
        return 3.0 * p.names - 2.0 * p.long - 2.0 * p.dates
    if spec.shape == "long":
        return 2.0 * p.long + 0.5 * (1 - p.marks) - 2.0 * p.marks - 1.0 * p.numbers - 1.0 * p.dates
    if spec.shape == "short":
        return 1.0 * p.short - 1.0 * p.long - 2.0 * p.marks - 1.5 * p.names - 4.0 * p.refs
    if spec.shape == "ref":
        return 3.0 * p.refs + (1.0 if p.refs >= 0.9 else 0.0) if p.refs >= 0.6 else -4.0
    return 0.0


def column_labels(header: Sequence[Cell]) -> list[str]:
    """A unique label per column: the header's text on one line, or '(column B)' when unheaded; a repeated header
    gets its column letter too.

    Example:
        >>> column_labels(["Who", None, "Who", "Time\\nscale"])
        ['Who', '(column B)', 'Who (column C)', 'Time scale']
    """
    raw = [" ".join(text(c).split()) for c in header]
    out: list[str] = []
    for j, h in enumerate(raw):
        if not h:
            out.append(f"(column {col_letter(j)})")
        elif raw.count(h) > 1 and raw.index(h) != j:
            out.append(f"{h} (column {col_letter(j)})")
        else:
            out.append(h)
    return out


def choose_columns(
    rows: Sequence[Sequence[Cell]],
    header_index: int,
    fields: Sequence[FieldSpec],
    *,
    forced: Mapping[int, str] | None = None,
    complete: bool = False,
    by_content: bool = False,
) -> ColumnReading:
    """Map the columns under `rows[header_index]` to `fields`: the best-scoring assignment, one column per field.

    `forced` maps a column index to the field the user chose (or `ignore`); with `complete`, columns the user
    did not map are ignored instead of guessed. With `by_content` (a table whose header names nothing), refs and
    activities are mapped by what their cells hold too."""
    header = list(rows[header_index])
    body = rows[header_index + 1 :]
    width = max((len(r) for r in rows[header_index : header_index + 200]), default=len(header))
    header += [None] * (width - len(header))
    labels = column_labels(header)
    forced = dict(forced or {})
    candidates: list[tuple[float, int, str]] = []
    profiles = {j: profile(body, j) for j in range(width) if j not in forced}
    for j, p in profiles.items():
        if p.filled == 0 and not text(header[j]):
            continue
        # A header merged over several columns repeats in each: the first of them is the main one.
        repeat = j > 0 and text(header[j]) != "" and text(header[j]) == text(header[j - 1])
        for spec in fields:
            h = header_score(text(header[j]), spec)
            h = max(h - 1.5, 0.5) if repeat and h else h
            s = shape_score(p, spec, fit_share(body, j, spec.fits) if spec.fits and p.filled else 0.0)
            by_shape = ("pillars", "due", "timescale", "owner", "ref", "status") + (("activity",) if by_content else ())
            if spec.required_shape and h == 0 and spec.name not in by_shape:
                continue
            if spec.required_shape and s <= 0:
                if h < 10 or p.long >= 0.5:
                    continue
                s = 0.0  # 'Ref' over refs of any shape ('=1+1', 'A-7'): the header says it outright
            if h == 0 and s < (1.5 if by_content else 2.5):  # mapped by what it holds only when unmistakable
                continue
            if h == 0 and spec.name not in by_shape:
                continue
            candidates.append((h + s, j, spec.name))
    # On a tie a column is the plan's activity before anything else (a plan's one indispensable column).
    candidates.sort(key=lambda t: (-t[0], t[2] != "activity", t[1]))
    taken_cols: dict[int, tuple[str, float]] = {j: (f, 0.0) for j, f in forced.items()}
    taken_fields = {f for f in forced.values() if f != IGNORE}
    if not complete:
        for score, j, name in candidates:
            if score <= 0 or j in taken_cols or name in taken_fields:
                continue
            taken_cols[j] = (name, score)
            taken_fields.add(name)
    reading = ColumnReading(header_index)
    for j in range(width):
        if (
            j not in taken_cols
            and not text(header[j])
            and profiles.get(j, Profile(0, 0, 0, 0, 0, 0, 0, 0, 0)).filled == 0
        ):
            continue
        name, score = taken_cols.get(j, (IGNORE, 0.0))
        reading.columns.append(ColumnChoice(j, col_letter(j), labels[j], name, round(score, 2), j in forced))
        reading.total += score
    return reading


def forced_columns(row: Sequence[Cell], mapping: Mapping[str, str]) -> dict[int, str] | None:
    """{column index: field} for a person's field → header choices found in this header row (a header as the
    mapping step labels it, '(column B)' for an unheaded one, or as written); None when none of them is here.

    Example:
        >>> forced_columns(["Action ref", None, "Comment"], {"ref": "action ref", "note": "(column B)"})
        {0: 'ref', 1: 'note'}
    """
    labels = column_labels(row)
    by_label = {norm(label): j for j, label in enumerate(labels)}
    by_text = {norm(c): j for j, c in enumerate(row) if isinstance(c, str) and c.strip()}
    out: dict[int, str] = {}
    for f, header in mapping.items():
        j = by_label.get(norm(header), by_text.get(norm(header)))
        if j is None and re.fullmatch(r"[A-Za-z]{1,3}", header.strip()) and not by_text:
            continue
        if j is not None:
            out[j] = f
    return out or None
