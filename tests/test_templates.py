"""The templates the product hands out read back through its own importers."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime

import openpyxl
import pytest

from tracker.ingest.plan import load_plan
from tracker.ingest.reader import read_workbook
from tracker.ingest.updates import ActionInfo, PlanContext, load_updates
from tracker.ingest.workforce import load_workforce
from tracker.models import EVIDENCE_KINDS, EvidenceCreate, MeasureValueCreate, ProgressUpdateCreate
from tracker.templates import STATUS_CHOICES, TEMPLATES, plan_template, updates_template, workforce_template

REFS = ["U1", "D1", "D2", "D3", "V1", "V2"]
PLAN = PlanContext(
    start=date(2018, 11, 1),
    end=date(2020, 10, 31),
    actions={r: ActionInfo(p, False) for r, p in zip(REFS, ["VS", "VCS", "RCS", "CS", "VRC", "VR"], strict=True)},
)


def fill(ws: openpyxl.worksheet.worksheet.Worksheet, rows: list[list[object]]) -> None:
    """Type rows into a template sheet from row 2, as a lead would (formatted cells run to row 199)."""
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)


def _validations(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, tuple[str, str | None]]:
    """{cell range: (type, formula1)} for each data validation on the sheet."""
    return {str(dv.sqref): (dv.type, dv.formula1) for dv in ws.data_validations.dataValidation}


@pytest.mark.parametrize(
    ("kind", "sheets", "header_row", "header"),
    [
        (
            "updates",
            ["README", "Progress", "Evidence", "Measures", "Lists"],
            ("Progress", 0),
            ["Ref", "As of", "Status", "Percent complete", "Note", "Updated by"],
        ),
        (
            "plan",
            ["Action plan"],
            ("Action plan", 3),
            [
                "Ref",
                "Theme",
                "Purpose",
                "Activity",
                "Impact",
                "Who",
                "Start",
                "Due",
                "Success measures",
                "V",
                "R",
                "C",
                "S",
            ],
        ),
        (
            "workforce",
            ["Workforce"],
            ("Workforce", 0),
            ["As at", "Faculty", "Department", "Job family", "Grade", "Sex", "FTE", "Headcount"],
        ),
    ],
)
def test_each_template_reads_back(kind: str, sheets: list[str], header_row: tuple[str, int], header: list[str]) -> None:
    data = TEMPLATES[kind]()
    wb = read_workbook(data, filename=f"{kind}.xlsx")
    assert [s.name for s in wb.sheets] == sheets
    sheet = wb.sheet(header_row[0])
    assert sheet is not None
    assert sheet.rows[header_row[1]][: len(header)] == header


def test_templates_are_byte_stable() -> None:
    assert updates_template(refs=REFS) == updates_template(refs=REFS)
    assert plan_template() == plan_template()
    assert updates_template(refs=REFS) != updates_template(refs=REFS[:2])


def test_updates_template_validations_and_lists() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(updates_template(refs=REFS)))
    lists = wb["Lists"]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists[1]] == ["Refs", "Status", "Kind"]
    assert [lists.cell(row=r, column=1).value for r in range(2, 2 + len(REFS))] == REFS
    assert [lists.cell(row=r, column=2).value for r in range(2, 8)] == list(STATUS_CHOICES)
    assert [lists.cell(row=r, column=3).value for r in range(2, 2 + len(EVIDENCE_KINDS))] == list(EVIDENCE_KINDS)

    progress = _validations(wb["Progress"])
    assert progress["C2:C2000"] == ("list", "=Lists!$B$2:$B$7")
    assert progress["A2:A2000"] == ("list", "=Lists!$A$2:$A$7")
    assert progress["D2:D2000"] == ("whole", "0")
    assert progress["B2:B2000"][0] == "date"
    evidence = _validations(wb["Evidence"])
    assert evidence["D2:D2000"] == ("list", f"=Lists!$C$2:$C${len(EVIDENCE_KINDS) + 1}")
    assert evidence["A2:A2000"] == ("list", "=Lists!$A$2:$A$7")
    assert _validations(wb["Measures"])["F2:F2000"][0] == "date"

    readme = [r[0].value for r in wb["README"].iter_rows()]
    for column in ("Ref", "As of", "Status", "Percent complete", "Note", "Kind", "Supersedes ID"):
        assert column in readme


def test_updates_template_without_refs_has_no_ref_list() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(updates_template()))
    assert "A2:A2000" not in _validations(wb["Progress"])
    assert _validations(wb["Progress"])["C2:C2000"][0] == "list"


def test_prefilled_refs() -> None:
    wb = read_workbook(updates_template(refs=REFS, prefill=["D1", "D3"]), filename="t.xlsx")
    progress = wb.sheet("Progress")
    assert progress is not None
    assert [r[0] for r in progress.rows[1:3]] == ["D1", "D3"]


def test_empty_updates_template_loads_as_no_rows() -> None:
    r = load_updates(read_workbook(updates_template(refs=REFS), filename="t.xlsx"), plan=PLAN, today=date(2019, 6, 1))
    assert [(i.code, i.row) for i in r.issues] == [("no_rows", None)]


def test_filled_in_updates_template_loads() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(updates_template(refs=REFS)))
    fill(
        wb["Progress"],
        [
            ["D3", datetime(2019, 1, 31), "At risk", 40, "Levy funding delayed", "lead@uni.ac.uk"],
            ["V2", datetime(2019, 1, 31), "On track", 25],
        ],
    )
    fill(
        wb["Evidence"],
        [["V2", datetime(2019, 1, 10), "Conference programme", "event", "https://conf.demo.ac.uk"]],
    )
    fill(wb["Measures"], [["D3", "Apprentices started", "people", 0, 10, datetime(2018, 9, 30), 7]])
    buf = io.BytesIO()
    wb.save(buf)

    r = load_updates(
        read_workbook(buf.getvalue(), filename="filled.xlsx"),
        plan=PLAN,
        today=date(2019, 6, 1),
        uploaded_by="admin@uni.ac.uk",
    )
    assert r.issues == []
    assert {k: r.meta[k] for k in ("progress", "evidence", "measures")} == {"progress": 2, "evidence": 1, "measures": 1}
    p1, p2, ev, m = r.rows
    assert isinstance(p1, ProgressUpdateCreate) and isinstance(p2, ProgressUpdateCreate)
    assert (p1.ref, p1.as_of, p1.status, p1.percent_complete, p1.reported_by) == (
        "D3",
        date(2019, 1, 31),
        "at risk",
        40,
        "lead@uni.ac.uk",
    )
    assert (p2.ref, p2.status, p2.reported_by) == ("V2", "on track", "admin@uni.ac.uk")
    assert isinstance(ev, EvidenceCreate)
    assert (ev.ref, ev.date, ev.kind, ev.pillars, ev.link) == (
        "V2",
        date(2019, 1, 10),
        "event",
        "VR",
        "https://conf.demo.ac.uk",
    )
    assert isinstance(m, MeasureValueCreate)
    assert (m.ref, m.name, m.target, m.as_of, m.value) == (
        "D3",
        "Apprentices started",
        10.0,
        date(2018, 9, 30),
        7.0,
    )


def test_filled_in_template_reports_template_rows() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(updates_template(refs=REFS)))
    ws = wb["Progress"]
    ws["A7"], ws["B7"], ws["C7"], ws["D7"] = "D9", datetime(2019, 1, 31), "Delayed", 10
    buf = io.BytesIO()
    wb.save(buf)
    r = load_updates(read_workbook(buf.getvalue(), filename="filled.xlsx"), plan=PLAN, today=date(2019, 6, 1))
    assert [(i.code, i.sheet, i.row, i.column) for i in r.issues] == [
        ("unknown_ref", "Progress", 7, "Ref"),
        ("note_required", "Progress", 7, "Note"),
    ]


def test_plan_template_example_row_loads() -> None:
    r = load_plan(read_workbook(plan_template(), filename="plan.xlsx"), plan_start=date(2018, 11, 1))
    assert r.valid, r.issue_lines()
    assert r.meta["header_row"] == 4
    (a,) = r.rows
    assert (a.ref, a.theme, a.pillars, a.owners, a.start, a.due) == (
        "U1",
        "Understand",
        "VS",
        ["HR", "Working Group"],
        date(2018, 11, 1),
        date(2019, 10, 31),
    )
    assert a.expected_evidence == ["survey report"]
    assert a.activity == "• Agree scope\n• Run a survey"


def test_filled_in_workforce_template_loads() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(workforce_template()))
    ws = wb["Workforce"]
    assert _validations(ws)["F2:F5000"] == ("list", '"Female,Male,Other,Not known"')
    fill(
        ws,
        [
            [datetime(2019, 7, 31), "Engineering Sciences", "Mechanical", "Technical", "7", "Male", 1.0, 3],
            [datetime(2019, 7, 31), "Engineering Sciences", "Mechanical", "Technical", "7", "Female", 0.5, 1],
        ],
    )
    buf = io.BytesIO()
    wb.save(buf)
    r = load_workforce(read_workbook(buf.getvalue(), filename="hr.xlsx"))
    assert r.valid, r.issue_lines()
    assert sorted((x.as_of, x.faculty, x.sex, x.fte, x.headcount) for x in r.rows) == [
        (date(2019, 7, 31), "Engineering Sciences", "Female", 0.5, 1),
        (date(2019, 7, 31), "Engineering Sciences", "Male", 1.0, 3),
    ]


def test_prefilled_template_filled_in_for_those_refs_loads() -> None:
    # A lead's template arrives with their refs on the Progress sheet; they add the rest of each row.
    wb = openpyxl.load_workbook(io.BytesIO(updates_template(refs=REFS, prefill=["D2", "D3"])))
    assert [wb["Progress"].cell(row=r, column=1).value for r in (2, 3)] == ["D2", "D3"]
    for r, (status, pct) in ((2, ("On track", 60)), (3, ("Complete", 100))):
        for c, value in ((2, datetime(2019, 5, 31)), (3, status), (4, pct)):
            wb["Progress"].cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    r = load_updates(read_workbook(buf.getvalue(), filename="t.xlsx"), plan=PLAN, today=date(2019, 6, 1))
    assert r.valid, r.issue_lines()
    assert [(u.ref, u.status) for u in r.rows] == [("D2", "on track"), ("D3", "complete")]


@pytest.mark.parametrize("make", [lambda: updates_template(refs=["D1"]), plan_template, workforce_template])
def test_a_template_does_not_carry_the_time_it_was_made(make: Callable[[], bytes]) -> None:
    import zipfile
    from xml.etree import ElementTree

    # Read as XML: openpyxl writes the same document with its attributes in another order when lxml is installed.
    core = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(make())).read("docProps/core.xml"))
    dcterms = "{http://purl.org/dc/terms/}"
    assert core.findtext(f"{dcterms}modified") == "2018-11-01T00:00:00Z"
    assert core.findtext(f"{dcterms}created") == "2018-11-01T00:00:00Z"
