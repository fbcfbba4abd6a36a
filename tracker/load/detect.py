"""Telling what a workbook is (an action plan, an update, a workforce extract, a working-group list) from the headers
it carries."""

from __future__ import annotations

from tracker.ingest.cells import find_header
from tracker.ingest.group import ALIASES as GROUP_ALIASES
from tracker.ingest.plan import find_plan_table
from tracker.ingest.reader import Workbook
from tracker.ingest.updates import find_update_tables


def detect_kind(wb: Workbook) -> str | None:
    """'plan', 'updates', 'workforce' or 'group' from the headers the workbook carries, or None."""
    scores: dict[str, int] = {}
    for sheet in wb.sheets:
        wf = find_header(sheet.rows, _WORKFORCE_HINTS, min_hits=2)
        if wf and "faculty" in wf[1] and ({"fte", "headcount", "sex"} & wf[1].keys()):
            scores["workforce"] = max(scores.get("workforce", 0), len(wf[1]) + 2)
        found = find_plan_table(wb, sheet=sheet.name)
        pl = found[1] if found else None
        for t in find_update_tables(sheet):
            # An update table has no activity or purpose column: a plan with a Status column is still a plan.
            if pl and t.header_row - 1 == pl.header_index:
                plan_body = {c.index for c in pl.columns if c.field in ("activity", "purpose")}
                if plan_body - set(t.reading.index_of().values()):
                    continue
            scores["updates"] = max(scores.get("updates", 0), len(t.reading.index_of()) + 1)
        if pl:
            scores["plan"] = max(scores.get("plan", 0), len(pl.index_of()))
        # A list of people (Name with a title or faculty) and no figures: a working group, unless the same header
        # row is a plan's with an activity column.
        gr = find_header(sheet.rows, GROUP_ALIASES, min_hits=2)
        if gr and "name" in gr[1] and ({"job_title", "faculty"} & gr[1].keys()) and not (wf and "fte" in wf[1]):
            plan_body = {c.index for c in pl.columns if c.field in ("activity", "purpose")} if pl else set()
            if not plan_body - set(gr[1].values()):
                scores["group"] = max(scores.get("group", 0), len(gr[1]) + 3)
    if not scores and find_plan_table(wb, lenient=True) is not None:
        return "plan"  # a column headed as actions ('We commit to:') and nothing else: a plan of one column
    return max(scores, key=lambda k: scores[k]) if scores else None


_WORKFORCE_HINTS = {
    "faculty": ("faculty", "school", "college", "division"),
    "fte": ("fte", "full time equivalent", "total fte", "fte total"),
    "headcount": ("headcount", "head count", "number of staff", "staff count"),
    "sex": ("sex", "gender", "legal sex"),
    "grade": ("grade", "grade band", "pay grade"),
}
