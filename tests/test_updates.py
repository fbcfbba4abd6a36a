"""Progress, evidence and measure updates on the product's template, checked against the plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from tracker.ingest.base import LoadResult
from tracker.ingest.reader import read_workbook
from tracker.ingest.updates import (
    EVIDENCE_COLUMNS,
    MEASURE_COLUMNS,
    PROGRESS_COLUMNS,
    ActionInfo,
    PlanContext,
    load_updates,
    parse_percent,
)
from tracker.models import EvidenceCreate, MeasureValueCreate, ProgressUpdateCreate

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
TODAY = date(2019, 6, 1)
PLAN = PlanContext(
    start=date(2018, 11, 1),
    end=date(2020, 10, 31),
    actions={
        "U1": ActionInfo("VS", False),
        "D1": ActionInfo("VCS", False),
        "D3": ActionInfo("CS", False),
        "X9": ActionInfo("R", True),
    },
    evidence_refs={11: "U1", 12: "D1"},
)
P = list(PROGRESS_COLUMNS)
E = list(EVIDENCE_COLUMNS)
M = list(MEASURE_COLUMNS)
JAN = datetime(2019, 1, 31)


def updates_of(make_xlsx: MakeXlsx, sheets: dict[str, list[list[Any]]], **kw: Any) -> LoadResult:
    kw.setdefault("today", TODAY)
    kw.setdefault("plan", PLAN)
    return load_updates(read_workbook(make_xlsx(sheets), filename="updates.xlsx"), **kw)


def issues(r: LoadResult) -> list[tuple[str, str, int | None, str | None, str | None]]:
    return [(i.code, i.sheet, i.row, i.column, i.value) for i in r.issues]


# --- progress -----


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Not started", "not started"),
        ("On track", "on track"),
        ("on track", "on track"),
        ("ON TRACK", "on track"),
        ("In progress", "on track"),
        ("At risk", "at risk"),
        ("Delayed", "delayed"),
        ("Complete", "complete"),
        ("Completed", "complete"),
        ("Suspended", "suspended"),
        ("On hold", "suspended"),
        ("Green", "on track"),
        ("Amber", "at risk"),
        ("Red", "delayed"),
        ("Blue", "complete"),
        ("G", "on track"),
        ("A", "at risk"),
    ],
)
def test_status_words(make_xlsx: MakeXlsx, word: str, status: str) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["D1", JAN, word, 50, "a note", None]]})
    assert r.valid, r.issue_lines()
    assert [(u.ref, u.as_of, u.status) for u in r.rows] == [("D1", date(2019, 1, 31), status)]


@pytest.mark.parametrize(
    ("raw", "pct"),
    [
        ("40%", 40),
        (40, 40),
        (0.4, 40),
        ("40", 40),
        (" 40 % ", 40),
        (0, 0),
        (100, 100),
        ("100%", 100),
        (None, None),
        (12.6, 13),
    ],
)
def test_percent_forms(make_xlsx: MakeXlsx, raw: Any, pct: int | None) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["U1", JAN, "On track", raw, None, None]]})
    assert r.valid, r.issue_lines()
    assert r.rows[0].percent_complete == pct


def test_complete_without_percent_means_100(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["U1", JAN, "Blue", None, None, None]]})
    assert (r.rows[0].status, r.rows[0].percent_complete) == ("complete", 100)


def test_parse_percent_refuses_words() -> None:
    with pytest.raises(ValueError):
        parse_percent("about half")
    with pytest.raises(ValueError):
        parse_percent(True)


def test_progress_rows_in_order_with_who_and_dates(make_xlsx: MakeXlsx) -> None:
    rows = [
        P,
        ["U1", JAN, "Green", "20%", "Survey drafted", "skills.lead@demo.ac.uk"],
        ["D1", "28/02/2019", "Amber", 40, "Room booking slipped", None],
        [],
        ["D3", datetime(2019, 3, 31, 0, 0), "Red", 0.1, "Levy funds frozen", None],
    ]
    r = updates_of(make_xlsx, {"Progress": rows}, uploaded_by="admin@demo.ac.uk")
    assert r.valid, r.issue_lines()
    assert all(isinstance(u, ProgressUpdateCreate) for u in r.rows)
    assert [(u.ref, u.as_of, u.status, u.percent_complete, u.note, u.reported_by) for u in r.rows] == [
        ("U1", date(2019, 1, 31), "on track", 20, "Survey drafted", "skills.lead@demo.ac.uk"),
        ("D1", date(2019, 2, 28), "at risk", 40, "Room booking slipped", "admin@demo.ac.uk"),
        ("D3", date(2019, 3, 31), "delayed", 10, "Levy funds frozen", "admin@demo.ac.uk"),
    ]
    assert {k: r.meta[k] for k in ("progress", "evidence", "measures")} == {"progress": 3, "evidence": 0, "measures": 0}


def test_lower_case_ref_is_matched(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["d1", JAN, "Green", 10, None, None]]})
    assert r.valid
    assert r.rows[0].ref == "D1"


def test_withdrawn_action_is_a_warning(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["X9", JAN, "Suspended", 0, "withdrawn", None]]})
    assert r.valid
    assert [(i.code, i.row, i.column, i.severity) for i in r.issues] == [("withdrawn_action", 2, "Ref", "warning")]
    assert [u.ref for u in r.rows] == ["X9"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["Z7", JAN, "Green", 10, None, None], [("unknown_ref", "Progress", 3, "Ref", "Z7")]),
        ([None, JAN, "Green", 10, None, None], [("required", "Progress", 3, "Ref", None)]),
        (["D1", JAN, "Purple", 10, None, None], [("bad_status", "Progress", 3, "Status", "Purple")]),
        (["D1", JAN, None, 10, None, None], [("required", "Progress", 3, "Status", None)]),
        (["D1", JAN, "Green", 150, None, None], [("bad_percent", "Progress", 3, "Percent complete", "150")]),
        (
            ["D1", JAN, "Green", "-5%", None, None],
            [("bad_percent", "Progress", 3, "Percent complete", "-5%")],
        ),
        (
            ["D1", JAN, "Green", "half", None, None],
            [("bad_percent", "Progress", 3, "Percent complete", "half")],
        ),
        (["D1", JAN, "At risk", 10, None, None], [("note_required", "Progress", 3, "Note", None)]),
        (["D1", JAN, "Red", 10, None, None], [("note_required", "Progress", 3, "Note", None)]),
        (["D1", "soonish", "Green", 10, None, None], [("bad_date", "Progress", 3, "As of", "soonish")]),
        (["D1", "31/02/2019", "Green", 10, None, None], [("bad_date", "Progress", 3, "As of", "31/02/2019")]),
        (["D1", None, "Green", 10, None, None], [("required", "Progress", 3, "As of", None)]),
        (
            ["D1", datetime(2019, 9, 30), "Green", 10, None, None],
            [("future_date", "Progress", 3, "As of", "2019-09-30")],
        ),
        (
            ["D1", datetime(2016, 1, 31), "Green", 10, None, None],
            [("date_out_of_range", "Progress", 3, "As of", "2016-01-31")],
        ),
        (["U1", JAN, "Green", 30, None, None], [("duplicate", "Progress", 3, "Ref", "U1")]),
    ],
    ids=[
        "unknown-ref",
        "no-ref",
        "bad-status",
        "no-status",
        "percent-150",
        "percent-negative",
        "percent-word",
        "at-risk-no-note",
        "red-no-note",
        "bad-date",
        "impossible-date",
        "no-date",
        "future-date",
        "far-past",
        "duplicate",
    ],
)
def test_progress_errors(make_xlsx: MakeXlsx, row: list[Any], expected: list[tuple[Any, ...]]) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["U1", JAN, "Green", 20, None, None], row]})
    assert not r.valid
    assert issues(r) == expected
    assert all(i.severity == "error" for i in r.issues)


def test_several_errors_on_one_row_and_issue_lines(make_xlsx: MakeXlsx) -> None:
    rows = [[], [], P, ["Q1", "soon", "Purple", 101, None, None]]
    r = updates_of(make_xlsx, {"Progress": rows})
    assert issues(r) == [
        ("unknown_ref", "Progress", 4, "Ref", "Q1"),
        ("bad_date", "Progress", 4, "As of", "soon"),
        ("bad_status", "Progress", 4, "Status", "Purple"),
        ("bad_percent", "Progress", 4, "Percent complete", "101"),
    ]
    assert r.issue_lines()[0].startswith("updates.xlsx:Progress:4:Ref: Q1 is not an action in the plan")
    assert r.rows == []


def test_duplicate_reports_both_rows(make_xlsx: MakeXlsx) -> None:
    rows = [
        P,
        ["D1", JAN, "Green", 10, None, None],
        ["D3", JAN, "Green", 10, None, None],
        ["D1", "31/01/2019", "Green", 20, None, None],
    ]
    r = updates_of(make_xlsx, {"Progress": rows})
    assert issues(r) == [("duplicate", "Progress", 4, "Ref", "D1")]
    assert "rows 2 and 4" in r.issues[0].message


def test_other_header_names_are_reported_as_written(make_xlsx: MakeXlsx) -> None:
    rows = [["Action ref", "Date of update", "RAG", "% complete", "Comments"], ["D1", JAN, "Amber", 30, None]]
    r = updates_of(make_xlsx, {"Sheet1": rows})
    assert issues(r) == [("note_required", "Sheet1", 2, "Comments", None)]


def test_no_table_found(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Notes": [["Hello"], ["nothing here"]]})
    assert issues(r) == [("unrecognised_layout", "Notes", None, None, None)]


def test_empty_template_is_an_error(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Progress": [P], "Evidence": [E]})
    assert [i.code for i in r.issues] == ["no_rows"]
    assert not r.valid


def test_rows_holding_only_their_prefilled_ref_are_skipped(make_xlsx: MakeXlsx) -> None:
    # The template pre-fills one Progress row per ref; a lead reports on some and leaves the rest untouched.
    rows = [P, ["U1", JAN, "Green", 20, None, None], ["D1"], ["D3", None, None, None, "  ", None]]
    r = updates_of(make_xlsx, {"Progress": rows})
    assert r.valid, r.issue_lines()
    assert [row.ref for row in r.rows] == ["U1"]


def test_a_template_with_only_prefilled_refs_has_no_rows(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["U1"], ["D1"]]})
    assert [i.code for i in r.issues] == ["no_rows"]


def test_a_ref_with_a_partial_report_is_still_checked(make_xlsx: MakeXlsx) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["D1", JAN]]})
    assert issues(r) == [("required", "Progress", 2, "Status", None)]


def test_csv_progress_file() -> None:
    data = "Ref,As of,Status,Percent complete,Note\r\nD1,31/01/2019,Amber,40%,Room booking – slipped\r\n"
    r = load_updates(read_workbook(data.encode("cp1252"), filename="u.csv"), plan=PLAN, today=TODAY)
    assert r.valid, r.issue_lines()
    assert (r.rows[0].status, r.rows[0].percent_complete, r.rows[0].note) == (
        "at risk",
        40,
        "Room booking – slipped",
    )


# --- evidence -----


def test_evidence_rows_and_pillar_default(make_xlsx: MakeXlsx) -> None:
    rows = [
        E,
        [
            "U1",
            JAN,
            "Skills survey report",
            "Document",
            "https://x.demo.ac.uk/r.pdf",
            None,
            "a@b.ac.uk",
            None,
        ],
        ["D1", "28/02/2019", "COP launch event", "workshop", None, "V, R", None, None],
        ["D3", datetime(2019, 3, 1), "Apprentice intake list", None, None, "Career development", None, None],
    ]
    r = updates_of(make_xlsx, {"Evidence": rows}, uploaded_by="lead@x.ac.uk")
    assert r.valid, r.issue_lines()
    assert all(isinstance(e, EvidenceCreate) for e in r.rows)
    assert [(e.ref, e.date, e.kind, e.pillars, e.added_by, e.supersedes_id) for e in r.rows] == [
        ("U1", date(2019, 1, 31), "document", "VS", "a@b.ac.uk", None),  # the action's pillars
        ("D1", date(2019, 2, 28), "event", "VR", "lead@x.ac.uk", None),
        ("D3", date(2019, 3, 1), "other", "C", "lead@x.ac.uk", None),
    ]
    assert r.rows[0].link == "https://x.demo.ac.uk/r.pdf"
    assert {k: r.meta[k] for k in ("progress", "evidence", "measures")} == {"progress": 0, "evidence": 3, "measures": 0}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["D1", JAN, None, "event", None, None, None, None],
            ("required", "Evidence", 3, "Description", None),
        ),
        (
            ["D1", JAN, "Leaflet", "event", "javascript:alert(1)", None, None, None],
            ("bad_link", "Evidence", 3, "Link", "javascript:alert(1)"),
        ),
        (
            ["D1", "last week", "Leaflet", "event", None, None, None, None],
            ("bad_date", "Evidence", 3, "Date", "last week"),
        ),
        (
            ["D1", datetime(2020, 1, 1), "Leaflet", "event", None, None, None, None],
            ("future_date", "Evidence", 3, "Date", "2020-01-01"),
        ),
        (
            ["D9", JAN, "Leaflet", "event", None, None, None, None],
            ("unknown_ref", "Evidence", 3, "Ref", "D9"),
        ),
        (
            ["D1", JAN, "Leaflet", "event", None, None, None, 99],
            ("unknown_evidence", "Evidence", 3, "Supersedes ID", "99"),
        ),
        (
            ["D1", JAN, "Leaflet", "event", None, None, None, "abc"],
            ("unknown_evidence", "Evidence", 3, "Supersedes ID", "abc"),
        ),
        (
            ["D1", JAN, "Leaflet", "event", None, None, None, 11],
            ("wrong_action", "Evidence", 3, "Supersedes ID", "11"),
        ),
        (
            ["U1", JAN, "Report", "document", None, None, None, None],
            ("duplicate", "Evidence", 3, "Description", "Report"),
        ),
    ],
    ids=[
        "no-description",
        "js-link",
        "bad-date",
        "future",
        "unknown-ref",
        "supersedes-unknown",
        "supersedes-text",
        "supersedes-other-action",
        "duplicate",
    ],
)
def test_evidence_errors(make_xlsx: MakeXlsx, row: list[Any], expected: tuple[Any, ...]) -> None:
    rows = [E, ["U1", JAN, "Report", "document", None, None, None, None], row]
    r = updates_of(make_xlsx, {"Evidence": rows})
    assert not r.valid
    assert issues(r) == [expected]


def test_evidence_correction_of_a_known_item(make_xlsx: MakeXlsx) -> None:
    rows = [E, ["D1", JAN, "COP launch (corrected date)", "event", None, None, None, 12]]
    r = updates_of(make_xlsx, {"Evidence": rows})
    assert r.valid, r.issue_lines()
    assert r.rows[0].supersedes_id == 12


# --- measures -----


def test_measure_values(make_xlsx: MakeXlsx) -> None:
    rows = [
        M,
        ["D3", "Apprentices started", "people", 0, 10, datetime(2018, 9, 30), 7],
        ["D3", "Apprentices started", None, None, None, "31/03/2019", "9"],
        ["D1", "COP members", "people", None, "1,000", JAN, "1,250"],
    ]
    r = updates_of(make_xlsx, {"Measures": rows})
    assert r.valid, r.issue_lines()
    assert all(isinstance(m, MeasureValueCreate) for m in r.rows)
    assert [(m.ref, m.name, m.unit, m.baseline, m.target, m.as_of, m.value) for m in r.rows] == [
        ("D3", "Apprentices started", "people", 0.0, 10.0, date(2018, 9, 30), 7.0),
        ("D3", "Apprentices started", "", None, None, date(2019, 3, 31), 9.0),
        ("D1", "COP members", "people", None, 1000.0, date(2019, 1, 31), 1250.0),
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["D3", "Apprentices", "people", 0, 10, JAN, "seven"],
            ("bad_number", "Measures", 3, "Value", "seven"),
        ),
        (
            ["D3", "Apprentices", "people", "none", 10, JAN, 7],
            ("bad_number", "Measures", 3, "Baseline", "none"),
        ),
        (["D3", "Apprentices", "people", 0, "lots", JAN, 7], ("bad_number", "Measures", 3, "Target", "lots")),
        (["D3", "Apprentices", "people", 0, 10, JAN, None], ("required", "Measures", 3, "Value", None)),
        (["D3", None, "people", 0, 10, JAN, 7], ("required", "Measures", 3, "Measure", None)),
        (
            ["D3", "Apprentices", None, None, None, datetime(2018, 12, 31), 8],
            ("duplicate", "Measures", 3, "Measure", "Apprentices"),
        ),
    ],
    ids=["bad-value", "bad-baseline", "bad-target", "no-value", "no-name", "duplicate"],
)
def test_measure_errors(make_xlsx: MakeXlsx, row: list[Any], expected: tuple[Any, ...]) -> None:
    rows = [M, ["D3", "Apprentices", "people", 0, 10, datetime(2018, 12, 31), 7], row]
    r = updates_of(make_xlsx, {"Measures": rows})
    assert not r.valid
    assert issues(r) == [expected]


def test_all_three_sheets_together(make_xlsx: MakeXlsx) -> None:
    sheets = {
        "README": [["How to use this template"], ["Ref", "The action's reference"]],
        "Progress": [P, ["D3", JAN, "On track", 30, "7 apprentices started", None]],
        "Evidence": [E, ["D3", JAN, "Intake list", "document", None, None, None, None]],
        "Measures": [M, ["D3", "Apprentices started", "people", 0, 10, JAN, 7]],
    }
    r = updates_of(make_xlsx, sheets)
    assert r.valid, r.issue_lines()
    assert {k: r.meta[k] for k in ("progress", "evidence", "measures")} == {"progress": 1, "evidence": 1, "measures": 1}
    assert [type(x).__name__ for x in r.rows] == [
        "ProgressUpdateCreate",
        "EvidenceCreate",
        "MeasureValueCreate",
    ]


def test_errors_on_several_sheets_keep_their_sheet_names(make_xlsx: MakeXlsx) -> None:
    sheets = {
        "Progress": [
            P,
            ["D3", JAN, "On track", 30, None, None],
            ["D3", datetime(2019, 2, 28), "Late", 30, None, None],
        ],
        "Evidence": [E, [], ["D3", JAN, "Intake list", "event", "vbscript:x", None, None, None]],
    }
    r = updates_of(make_xlsx, sheets)
    assert issues(r) == [
        ("bad_status", "Progress", 3, "Status", "Late"),
        ("bad_link", "Evidence", 3, "Link", "vbscript:x"),
    ]
    assert r.issue_lines() == [
        "updates.xlsx:Progress:3:Status: 'Late' is not a status: use Not started, On track, At risk, "
        "Delayed, Complete or Suspended (or Green, Amber, Red, Blue)",
        "updates.xlsx:Evidence:3:Link: links must be web addresses or file paths",
    ]


@pytest.mark.parametrize(
    ("word", "kind", "warned"),
    [
        ("Rumour", "other", True),
        ("Leaflet", "document", False),
        ("Event", "event", False),
        ("Report", "document", False),
        ("Staff survey", "survey", False),
        ("Policy", "policy", False),
        ("Award", "award", False),
        (None, "other", False),
    ],
)
def test_an_unknown_kind_of_evidence_is_stored_as_other_with_a_warning(
    make_xlsx: MakeXlsx, word: str | None, kind: str, warned: bool
) -> None:
    r = updates_of(make_xlsx, {"Evidence": [E, ["D1", JAN, "Leaflet to every lab", word, None, None, None, None]]})
    assert r.valid, r.issue_lines()
    assert [e.kind for e in r.rows] == [kind]
    assert [(i.code, i.severity, i.row, i.column) for i in r.issues] == (
        [("unknown_kind", "warning", 2, "Kind")] if warned else []
    )


def test_issue_list_is_capped(make_xlsx: MakeXlsx) -> None:
    rows = [P] + [[f"Z{i}", JAN, "Green", 10, None, None] for i in range(250)]
    r = updates_of(make_xlsx, {"Progress": rows})
    assert len(r.issues) == 201
    assert r.issues[-1].code == "too_many_issues"
    assert "50 more issue(s) not listed (50 of them errors)" in r.issues[-1].message
    assert not r.valid
    assert r.issues[199].row == 201


@pytest.mark.parametrize(
    ("percent", "stored", "warned"),
    [(None, 100, False), (1, 100, False), (100, 100, False), (80, 80, True)],
)
def test_complete_status_and_percent(make_xlsx: MakeXlsx, percent: Any, stored: int, warned: bool) -> None:
    r = updates_of(make_xlsx, {"Progress": [P, ["D1", JAN, "Complete", percent, None, None]]})
    assert r.valid
    assert r.rows[0].percent_complete == stored
    assert [(i.code, i.severity, i.row) for i in r.issues] == ([("complete_not_100", "warning", 2)] if warned else [])
