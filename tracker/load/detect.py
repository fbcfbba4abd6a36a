"""Telling what a workbook is (an action plan, an update, a workforce extract) from the headers it carries."""

from __future__ import annotations

from tracker.ingest.cells import find_header
from tracker.ingest.plan import ALIASES as PLAN_ALIASES
from tracker.ingest.reader import Workbook
from tracker.ingest.updates import ALIASES as UPDATE_ALIASES


def detect_kind(wb: Workbook) -> str | None:
    """'plan', 'updates' or 'workforce' from the headers the workbook carries, or None."""
    scores: dict[str, int] = {}
    for sheet in wb.sheets:
        wf = find_header(sheet.rows, _WORKFORCE_HINTS, min_hits=2)
        if wf and "faculty" in wf[1] and ({"fte", "headcount", "sex"} & wf[1].keys()):
            scores["workforce"] = max(scores.get("workforce", 0), len(wf[1]) + 2)
        up = find_header(sheet.rows, UPDATE_ALIASES, min_hits=2)
        pl = find_header(sheet.rows, PLAN_ALIASES, min_hits=2)
        # An update table has no activity or purpose column: a plan with a Status column is still a plan.
        if up and pl and up[0] == pl[0]:
            plan_body = {pl[1][f] for f in ("activity", "purpose") if f in pl[1]}
            if plan_body - set(up[1].values()):
                up = None
        if up and "ref" in up[1] and ({"status", "description"} & up[1].keys() or "measure" in up[1]):
            scores["updates"] = max(scores.get("updates", 0), len(up[1]) + 1)
        if pl and ({"activity", "purpose"} & pl[1].keys()):
            scores["plan"] = max(scores.get("plan", 0), len(pl[1]))
    return max(scores, key=lambda k: scores[k]) if scores else None


_WORKFORCE_HINTS = {
    "faculty": ("faculty", "school", "college", "division"),
    "fte": ("fte", "full time equivalent", "total fte", "fte total"),
    "headcount": ("headcount", "head count", "number of staff", "staff count"),
    "sex": ("sex", "gender", "legal sex"),
    "grade": ("grade", "grade band", "pay grade"),
}
