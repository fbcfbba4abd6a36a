"""Action plans as institutions publish them: title block, repeated headers, section rows, ticks or words.

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
from datetime import date

from tracker.ingest.base import LoadResult
from tracker.ingest.cells import (
    PILLAR_HEADERS,
    add_months,
    cell,
    clean_bullets,
    col_letter,
    find_header,
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
from tracker.ingest.reader import Cell, Sheet, Workbook
from tracker.models import ActionCreate
from tracker.plans import window_end

ALIASES: dict[str, tuple[str, ...]] = {
    "ref": (
        "ref",
        "ref no",
        "reference",
        "action ref",
        "action no",
        "action number",
        "no",
        "id",
        "action id",
        "item",
        "number",
    ),
    "theme": ("theme", "area", "strand", "workstream", "priority", "section", "category", "theme area"),
    "purpose": (
        "purpose",
        "objective",
        "objectives",
        "aim",
        "aims",
        "rationale",
        "issue",
        "issue identified",
        "goal",
        "why",
        "key issue",
    ),
    "activity": (
        "activity",
        "activities",
        "action",
        "actions",
        "planned activity",
        "planned activities",
        "planned action",
        "planned actions",
        "action to be taken",
        "actions to be taken",
        "what",
        "proposed action",
        "proposed actions",
        "description",
    ),
    "impact": (
        "impact",
        "expected impact",
        "outcome",
        "outcomes",
        "delivery and success",
        "impact and evidence",
        "intended impact",
        "expected outcome",
        "expected outcomes",
    ),
    "measures": (
        "success measure",
        "success measures",
        "success criteria",
        "measure of success",
        "measures of success",
        "measure",
        "measures",
        "kpi",
        "kpis",
        "success indicator",
        "success indicators",
    ),
    "owner": (
        "who",
        "lead",
        "leads",
        "owner",
        "owners",
        "responsibility",
        "responsible",
        "action owner",
        "responsible person",
        "lead person",
        "action lead",
        "responsibility for action",
        "by whom",
    ),
    "start": ("start", "start date", "from", "begin", "begins"),
    "due": (
        "end",
        "end date",
        "due",
        "due date",
        "deadline",
        "completion date",
        "target date",
        "by when",
        "complete by",
        "finish",
        "date",
    ),
    "timescale": (
        "timescale",
        "timescales",
        "timeframe",
        "time frame",
        "timeline",
        "when",
        "timing",
        "target",
        "timing and milestones",
    ),
    "evidence": ("evidence", "evidence of impact", "how impact will be evidenced", "evidence of success"),
    "pillars": (
        "pillar",
        "pillars",
        "key area",
        "key areas",
        "tc pillar",
        "tc pillars",
        "technician commitment pillar",
        "technician commitment pillars",
        "technician commitment theme",
        "commitment area",
        "tc theme",
        "tc key area",
        "technician commitment key area",
    ),
}
ALIASES.update({f"p{letter}": tuple(k for k, v in PILLAR_HEADERS.items() if v == letter) for letter in "VRCS"})
FIELD_LABEL = {"activity": "Activity", "purpose": "Purpose", "owner": "Who", "ref": "Ref", "theme": "Theme"}

_TITLE_PREFIX = re.compile(r"^(?:theme|section|area|pillar|key area)\s*\d*\s*[:.\-–]\s*", re.I)
_ORG = re.compile(r"^\s*(?:organi[sz]ation|institution|university|name of organi[sz]ation)\s*:\s*(.+)$", re.I)
_MONTHS_IN = re.compile(r"(\d{2})[\s\-]*month", re.I)
_RANGE_IN = re.compile(
    r"([A-Za-z]{3,9}\.?\s+\d{4})\s*(?:–|—|-|to)\s*([A-Za-z]{3,9}\.?\s+\d{4})",
)
_START_LABEL = re.compile(r"^\s*(?:plan\s+)?start(?:\s+date)?\s*:\s*(.+)$", re.I)
_FALSE_MARKS = {"", "no", "n", "0", "false", "-", "–", "n a", "na", "none"}


def load_plan(
    wb: Workbook,
    *,
    plan_start: date | None = None,
    default_start: date | None = None,
    mapping: Mapping[str, str] | None = None,
) -> LoadResult:
    """Parse the action plan in `wb` into `ActionCreate` rows (plan order) and plan details in `meta`.

    `plan_start` (the user's word) beats a start found in the title block, which beats `default_start`
    (the existing plan's, on a re-import). `mapping` maps a field (activity, owner, impact, …) to a header
    as written in the file, for layouts the aliases do not recognise.

    Example:
        >>> from tracker.ingest.reader import read_workbook
        >>> r = load_plan(read_workbook(b"Action,Owner\\nRun a survey,HR\\n", filename="p.csv"),
        ...               plan_start=date(2019, 1, 1))
        >>> [(a.ref, a.activity, a.owners) for a in r.rows]
        [('A1', 'Run a survey', ['HR'])]
    """
    result = LoadResult(kind="plan", filename=wb.filename)
    result.extend(wb.issues)  # what the reader found in single cells
    found = _pick_sheet(wb, mapping)
    if found is None:
        seen = "; ".join(
            f"'{s.name}': " + ", ".join(text(c) for c in _first_texty_row(s) if c is not None)[:200] for s in wb.sheets
        )
        result.add(
            wb.sheets[0].name,
            None,
            None,
            None,
            "unrecognised_layout",
            "could not find the action plan's header row (a row naming columns such as Activity, Who, Impact, "
            f"V R C S) in the first 30 rows. Headers seen: {seen or 'none'}. Map the columns by hand.",
        )
        return result
    sheet, header_idx, cols = found
    result.meta.update(sheet=sheet.name, header_row=header_idx + 1, columns=_describe(sheet, header_idx, cols))
    info = _title_block(sheet.rows[:header_idx])
    found_start = info.get("start")
    start = plan_start or (found_start if isinstance(found_start, date) else None) or default_start
    if start is None:
        start = date.today().replace(day=1)
        result.add(
            sheet.name,
            None,
            None,
            None,
            "no_plan_start",
            f"no plan start date found in the title block; using {start:%B %Y} (give --plan-start YYYY-MM to set it)",
            "warning",
        )
    months = int(str(info.get("months") or 24))
    end = window_end(start, months)
    result.meta.update(
        institution=info.get("institution", ""),
        title=info.get("title", "Technician Commitment action plan"),
        start_date=start,
        months=months,
        end_date=end,
    )
    _parse_rows(result, sheet, header_idx, cols, start, end)
    return result


def _first_texty_row(sheet: Sheet) -> list[Cell]:
    for row in sheet.rows[:30]:
        if sum(isinstance(c, str) for c in row) >= 2:
            return row
    return []


def _pick_sheet(wb: Workbook, mapping: Mapping[str, str] | None) -> tuple[Sheet, int, dict[str, int]] | None:
    best: tuple[Sheet, int, dict[str, int]] | None = None
    for sheet in wb.sheets:
        hit = find_header(sheet.rows, ALIASES, min_hits=2)
        if mapping:
            hit = _apply_mapping(sheet, hit, mapping)
        if hit is None:
            continue
        idx, cols = hit
        if "measures" in cols and "impact" not in cols:
            cols["impact"] = cols.pop("measures")
        if not ({"activity", "purpose"} & cols.keys()):
            continue
        if best is None or len(cols) > len(best[2]):
            best = (sheet, idx, cols)
    if best is None:
        return None
    sheet, idx, cols = best
    first = min(cols.values())
    header = sheet.rows[idx]
    # UCL's table: the theme sits in an unheaded first column.
    if "theme" not in cols and first > 0 and cell(header, 0) is None:
        cols["theme"] = 0
    return best


def _apply_mapping(
    sheet: Sheet, hit: tuple[int, dict[str, int]] | None, mapping: Mapping[str, str]
) -> tuple[int, dict[str, int]] | None:
    """Override detected columns with the user's field → header choices."""
    wanted = {norm(v): k for k, v in mapping.items()}
    for i, row in enumerate(sheet.rows[:30]):
        cols = {wanted[norm(c)]: j for j, c in enumerate(row) if isinstance(c, str) and norm(c) in wanted}
        if cols:
            base = dict(hit[1]) if hit and hit[0] == i else {}
            base = {k: v for k, v in base.items() if v not in cols.values()}
            base.update(cols)
            return i, base
    return hit


def _describe(sheet: Sheet, header_idx: int, cols: dict[str, int]) -> dict[str, str]:
    header = sheet.rows[header_idx]
    return {
        f: (text(cell(header, j)) or f"(column {col_letter(j)})") for f, j in sorted(cols.items(), key=lambda x: x[1])
    }


def _title_block(rows: list[list[Cell]]) -> dict[str, object]:
    """Institution, title, start and length from the lines above the header."""
    info: dict[str, object] = {}
    lines = [text(c) for row in rows for c in row if isinstance(c, str) and c.strip()]
    for line in lines:
        if "institution" not in info and (m := _ORG.match(line)):
            info["institution"] = m.group(1).strip()
        if "months" not in info and (m := _MONTHS_IN.search(line)) and int(m.group(1)) in (12, 18, 24, 36, 48):
            info["months"] = int(m.group(1))
        if "start" not in info and (m := _RANGE_IN.search(line)):
            a, b = parse_date(m.group(1)), parse_date(m.group(2), end=True)
            if a and b and b > a:
                info["start"] = a
                info.setdefault("months", (b.year - a.year) * 12 + b.month - a.month + 1)
        if "start" not in info and (m := _START_LABEL.match(line)):
            d = parse_date(m.group(1).strip())
            if d:
                info["start"] = d
    titled = [ln for ln in lines if "plan" in ln.lower() and not _ORG.match(ln) and len(ln) < 200]
    if titled:
        info["title"] = titled[0]
    elif lines and len(lines[0]) < 200:
        info["title"] = lines[0]
    return info


def _is_header_repeat(row: list[Cell], header: list[Cell]) -> bool:
    a = [norm(c) for c in row if c is not None]
    b = [norm(c) for c in header if c is not None]
    return bool(a) and a == b


def _section_text(row: list[Cell], cols: dict[str, int]) -> str | None:
    """The text of a section heading row (one text cell, nothing else), else None."""
    filled = [(j, c) for j, c in enumerate(row) if c is not None]
    if len(filled) != 1 or not isinstance(filled[0][1], str):
        return None
    j, c = filled[0]
    value = str(c).strip()
    if _looks_like_pillar(value) or _TITLE_PREFIX.match(value):
        return value  # "Visibility", "Theme 2: Recognition": headings whatever column they sit in
    body_cols = {cols.get("activity"), cols.get("purpose"), cols.get("impact")} - {None}
    if j in body_cols and j != min(cols.values()) and j != 0:
        return None  # a real action that only filled its activity
    if len(value) > 120:
        return None
    return value


def _prefix(theme: str, used: dict[str, str]) -> str:
    """A stable ref prefix for a theme: its initial, or two letters when another theme took it."""
    if theme in used:
        return used[theme]
    words = re.findall(r"[A-Za-z]+", _TITLE_PREFIX.sub("", theme))
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


def _parse_rows(
    result: LoadResult, sheet: Sheet, header_idx: int, cols: dict[str, int], start: date, end: date
) -> None:
    header = sheet.rows[header_idx]
    label = {f: text(cell(header, j)) or f"column {col_letter(j)}" for f, j in cols.items()}
    theme_col = cols.get("theme")
    pillar_cols = {f[1]: j for f, j in cols.items() if f.startswith("p") and len(f) == 2}
    section_theme = ""
    section_pillars = ""
    refs_seen: dict[str, int] = {}
    prefixes: dict[str, str] = {}
    counters: dict[str, int] = {}
    far_before, far_after = add_months(start, -12), add_months(end, 12)
    assigned = False

    for i in range(header_idx + 1, len(sheet.rows)):
        row = sheet.rows[i]
        excel_row = i + 1
        if is_blank(row) or _is_header_repeat(row, header):
            continue
        sec = _section_text(row, cols)
        if sec is not None:
            cleaned = _TITLE_PREFIX.sub("", sec).strip() or sec
            letters = pillars_from_words(cleaned) if _looks_like_pillar(cleaned) else ""
            section_pillars = letters
            section_theme = cleaned
            continue

        def get(f: str, row: list[Cell] = row) -> Cell:
            return cell(row, cols.get(f))

        theme_cell = text(cell(row, theme_col)) if theme_col is not None else ""
        if theme_cell:
            section_theme = _TITLE_PREFIX.sub("", theme_cell).strip() or theme_cell
            section_pillars = pillars_from_words(section_theme) if _looks_like_pillar(section_theme) else ""
        activity = clean_bullets(get("activity"))
        purpose = clean_bullets(get("purpose"))
        if not activity and not purpose:
            col = "activity" if "activity" in cols else "purpose"
            result.add(
                sheet.name,
                excel_row,
                label[col],
                None,
                "required",
                f"{label[col]} is empty: every action needs an activity or purpose",
            )
            continue

        # Pillars: ticks under V/R/C/S, else a words column, else the section the row sits in.
        pillars = ""
        for letter, j in pillar_cols.items():
            v = cell(row, j)
            if is_mark(v):
                pillars += letter
            elif v is not None and norm(v) not in _FALSE_MARKS:
                pillars += letter
                result.add(
                    sheet.name,
                    excel_row,
                    text(cell(header, j)),
                    text(v),
                    "unusual_mark",
                    f"'{text(v)}' is not a usual tick (X, ✓, Y, Yes); counted as ticked",
                    "warning",
                )
        if "pillars" in cols:
            pillars += pillars_from_words(get("pillars"))
        if not pillars:
            pillars = section_pillars
        pillars = "".join(p for p in "VRCS" if p in pillars)

        impact, promised = split_evidence(get("impact"))
        impact = clean_bullets(impact) if "\n" in impact or impact.startswith("•") else impact
        if "evidence" in cols:
            extra = clean_bullets(get("evidence"))
            promised += [e.lstrip("• ").strip() for e in re.split(r"[;\n]", extra) if e.strip("• ").strip()]

        act_start, act_due = start, end
        date_ok = True
        for f in ("start", "due", "timescale"):
            v = get(f)
            if v is None:
                continue
            if f == "timescale":
                per = parse_period(v, plan_start=start)
                if per is None:
                    date_ok = False
                else:
                    act_start = per[0] or act_start
                    act_due = per[1] or act_due
            else:
                d = parse_date(v, end=(f == "due"), plan_start=start)
                if d is None:
                    date_ok = False
                elif f == "start":
                    act_start = d
                else:
                    act_due = d
            if not date_ok:
                result.add(
                    sheet.name,
                    excel_row,
                    label[f],
                    text(v),
                    "bad_date",
                    f"'{text(v)}' is not a date (write 31/10/2019, Oct 2019, Oct-19, Q3 2019 or Y1)",
                )
                break
        if date_ok:
            for f, d in (("start", act_start), ("due", act_due)):
                if d < far_before or d > far_after:
                    col = f if f in cols else "timescale"
                    result.add(
                        sheet.name,
                        excel_row,
                        label.get(col, col),
                        d.isoformat(),
                        "date_out_of_range",
                        f"{d:%d %B %Y} is more than a year outside the plan ({start:%b %Y} – {end:%b %Y})",
                    )
                    break
            if act_due < act_start:
                result.add(
                    sheet.name,
                    excel_row,
                    label.get("due", label.get("timescale", "due")),
                    act_due.isoformat(),
                    "due_before_start",
                    f"due {act_due:%d %b %Y} is before the start {act_start:%d %b %Y}",
                )

        ref = text(get("ref")).strip()
        if not ref:
            prefix = _prefix(section_theme, prefixes)
            counters[prefix] = counters.get(prefix, 0) + 1
            ref = f"{prefix}{counters[prefix]}"
            assigned = True
        if ref in refs_seen:
            result.add(
                sheet.name,
                excel_row,
                label.get("ref", "Ref"),
                ref,
                "duplicate",
                f"ref {ref} is used twice (rows {refs_seen[ref]} and {excel_row})",
            )
            continue
        refs_seen[ref] = excel_row
        owners = split_owners(get("owner"))
        if not owners and "owner" in cols:
            result.add(
                sheet.name,
                excel_row,
                label["owner"],
                None,
                "no_owner",
                "no one is named as responsible for this action",
                "warning",
            )
        result.rows.append(
            ActionCreate(
                ref=ref[:40],
                theme=section_theme[:200],
                purpose=purpose,
                activity=activity,
                impact=impact,
                expected_evidence=promised,
                owners=owners,
                pillars=pillars,
                start=act_start,
                due=act_due,
                success_measures=clean_bullets(get("measures")),
            )
        )
    result.meta["refs_assigned"] = assigned
    if not result.rows and result.valid:
        result.add(sheet.name, None, None, None, "no_actions", "the plan has a header row but no actions under it")


def _looks_like_pillar(s: str) -> bool:
    n = norm(s)
    return any(w in n for w in ("visib", "recogn", "career", "sustain")) and len(n) < 60
