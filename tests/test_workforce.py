"""Workforce extracts: per-person and aggregated layouts, dates from column/title/argument, every error code."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from tracker.ingest.base import LoadResult
from tracker.ingest.reader import read_workbook
from tracker.ingest.workforce import load_workforce

MAX_ISSUES = LoadResult(kind="", filename="").max_issues

Row = list[Any]


def xlsx(*sheets: tuple[str, list[Row]]) -> bytes:
    """An .xlsx with one sheet per (name, rows); rows[0] lands on Excel row 1."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load(data: bytes, filename: str = "hr.xlsx", **kw: object) -> LoadResult:
    return load_workforce(read_workbook(data, filename=filename), **kw)  # type: ignore[arg-type]


def by(result: LoadResult, field: str) -> dict[object, tuple[float, int]]:
    """(FTE, headcount) summed by one field of the output rows."""
    acc: dict[object, list[float]] = defaultdict(lambda: [0.0, 0])
    for r in result.rows:
        a = acc[getattr(r, field)]
        a[0] += r.fte
        a[1] += r.headcount
    return {k: (round(v[0], 2), int(v[1])) for k, v in acc.items()}


PERSON_HEADER = ["Staff Number", "Faculty", "Department", "Job Family", "Grade", "Gender", "FTE"]
PEOPLE: list[Row] = [
    ["1001", "Engineering", "Civil", "Laboratory", "Grade 6", "F", 1],
    ["1002", "Engineering", "Civil", "Laboratory", "Grade 6", "F", 0.8],
    ["1003", "Engineering", "Civil", "Laboratory", "Grade 6", "M", 1],
    ["1004", "Engineering", "Mechanical", "Workshop", "Grade 7", "M", 0.5],
    ["1005", "Life Sciences", "Biosciences", "Laboratory", "Grade 5", "F", 1],
    ["1006", "Life Sciences", "Biosciences", "Laboratory", "Grade 5", "F", 0.6],
    ["1007", "Life Sciences", "Biosciences", "Laboratory", "Grade 5", None, 1],
]


# --- layouts that load ---------------------------------------------------------------------------


def test_per_person_with_title_above_header() -> None:
    rows: list[Row] = [["UCL technical staff as at 31 July 2018"], [], PERSON_HEADER, *PEOPLE]
    r = load(xlsx(("Technical staff", rows)))
    assert r.valid, r.issue_lines()
    assert r.meta["as_of_dates"] == [date(2018, 7, 31)]
    assert r.meta["individual"] is True
    assert r.meta["input_rows"] == 7
    assert r.meta["header_row"] == 3
    assert by(r, "faculty") == {"Engineering": (3.3, 4), "Life Sciences": (2.6, 3)}
    assert by(r, "sex") == {"Female": (3.4, 4), "Male": (1.5, 2), "Not known": (1.0, 1)}
    # Seven people collapse into five cells; the two Civil F Grade 6 lab staff are one row.
    assert len(r.rows) == 5
    civil_f = [x for x in r.rows if x.department == "Civil" and x.sex == "Female"]
    assert [(x.fte, x.headcount, x.job_family, x.grade) for x in civil_f] == [(1.8, 2, "Laboratory", "Grade 6")]
    # No person identifier survives into the rows.
    assert all("1001" not in str(x.model_dump()) for x in r.rows)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Technical staff as at 31st July 2018", date(2018, 7, 31)),
        ("Technicians, as of July 2019 (census)", date(2019, 7, 31)),
        ("HR extract at 31/10/2018", date(2018, 10, 31)),
        ("Snapshot date: 1 August 2020", date(2020, 8, 1)),
    ],
)
def test_title_date_forms(title: str, expected: date) -> None:
    r = load(xlsx(("S", [[title], PERSON_HEADER, *PEOPLE[:2]])))
    assert r.valid, r.issue_lines()
    assert r.meta["as_of_dates"] == [expected]


def test_title_label_cell_then_date_cell() -> None:
    r = load(xlsx(("S", [["As at", datetime(2018, 7, 31)], PERSON_HEADER, *PEOPLE[:2]])))
    assert r.meta["as_of_dates"] == [date(2018, 7, 31)]


def test_per_person_real_date_column_all_sex_words() -> None:
    d = date(2019, 7, 31)
    header = ["As at", "Staff Number", "Faculty", "Department", "Job Family", "Grade", "Sex", "FTE"]
    rows: list[Row] = [
        header,
        [d, 1, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Female", 1],
        [d, 2, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Male", 0.5],
        [d, 3, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Other", 1],
        [d, 4, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Not known", 0.4],
        [d, 5, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Woman", 1],
        [d, 6, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Non-binary", 1],
        [d, 7, "Brain Sciences", "Neurology", "Lab", "Grade 6", "Prefer not to say", 1],
        [d, 8, "Brain Sciences", "Neurology", "Lab", "Grade 6", "u", 1],
    ]
    r = load(xlsx(("Extract", rows)), as_of=date(2020, 1, 1))  # the column wins over the argument
    assert r.valid, r.issue_lines()
    assert r.meta["as_of_dates"] == [d]
    assert by(r, "sex") == {"Female": (2.0, 2), "Male": (0.5, 1), "Other": (2.0, 2), "Not known": (2.4, 3)}
    assert {x.sex for x in r.rows} <= {"Female", "Male", "Other", "Not known"}


def test_aggregated_with_headcount() -> None:
    d = datetime(2020, 7, 31)
    rows: list[Row] = [
        ["As at", "Faculty", "Grade", "Sex", "Headcount", "FTE"],
        [d, "Laws", "Grade 6", "Female", 3, 2.5],
        [d, "Laws", "Grade 6", "Male", 2, 2],
        [d, "Laws", "Grade 7", "Female", "1,045", "1,000.5"],  # numbers typed as text with separators
        [d, "Laws", "Grade 7", "Female", 5, "4"],  # same cell again: summed
        [d, "Medical Sciences", "Grade 6", "Male", 0, 0],
    ]
    r = load(xlsx(("Summary", rows)))
    assert r.valid, r.issue_lines()
    assert r.meta["individual"] is False
    assert r.meta["input_rows"] == 5
    assert by(r, "faculty") == {"Laws": (1009.0, 1055), "Medical Sciences": (0.0, 0)}
    assert by(r, "grade") == {"Grade 6": (4.5, 5), "Grade 7": (1004.5, 1050)}
    assert r.meta["fte_total"] == 1009.0 and r.meta["headcount_total"] == 1055


@pytest.mark.parametrize(
    ("data", "department"),
    [
        (
            "\ufeffStaff Number,Faculty,Department,Sex,FTE,Snapshot Date\n"
            "1,Ingénierie,Département de Chimie,F,0.8,31/07/2021\n"
            "2,Ingénierie,Département de Chimie,M,1,31/07/2021\n".encode(),
            "Département de Chimie",
        ),
        (
            "Staff Number,Faculty,Department,Sex,FTE,Snapshot Date\n"
            "1,Ingénierie,Département £ Chimie,F,0.8,31/07/2021\n"
            "2,Ingénierie,Département £ Chimie,M,1,31/07/2021\n".encode("cp1252"),
            "Département £ Chimie",
        ),
    ],
    ids=["utf8-bom", "windows-1252"],
)
def test_csv_encodings(data: bytes, department: str) -> None:
    r = load(data, filename="hr.csv")
    assert r.valid, r.issue_lines()
    assert r.meta["columns"]["staff_id"] == "Staff Number"  # the BOM did not stick to the first header
    assert r.meta["as_of_dates"] == [date(2021, 7, 31)]
    assert by(r, "department") == {department: (1.8, 2)}
    assert by(r, "faculty") == {"Ingénierie": (1.8, 2)}


def test_as_of_from_argument_only() -> None:
    r = load(xlsx(("S", [PERSON_HEADER, *PEOPLE])), as_of=date(2022, 7, 31))
    assert r.valid, r.issue_lines()
    assert r.meta["as_of_dates"] == [date(2022, 7, 31)]
    assert sum(x.headcount for x in r.rows) == 7


def test_title_wins_over_argument_with_warning() -> None:
    r = load(xlsx(("S", [["Staff as at 31 July 2018"], PERSON_HEADER, *PEOPLE])), as_of=date(2022, 7, 31))
    assert r.valid
    assert r.meta["as_of_dates"] == [date(2018, 7, 31)]
    assert [(i.code, i.severity, i.row) for i in r.issues] == [("as_of_conflict", "warning", 1)]


def test_multiple_snapshots_and_month_names() -> None:
    header = ["Snapshot Date", "Staff Number", "Faculty", "Sex", "FTE"]
    rows: list[Row] = [
        header,
        ["July 2019", 1, "Laws", "F", 1],
        ["July 2019", 2, "Laws", "M", 0.5],
        ["31/07/2020", 1, "Laws", "F", 0.8],  # the same person in the next snapshot is not a duplicate
        [datetime(2020, 7, 31), 3, "Laws", "F", 1],
        ["31/07/2020", 2, "Laws", "M", "0.5"],
    ]
    r = load(xlsx(("S", rows)))
    assert r.valid, r.issue_lines()
    assert r.meta["as_of_dates"] == [date(2019, 7, 31), date(2020, 7, 31)]  # month-only = month end
    assert by(r, "as_of") == {date(2019, 7, 31): (1.5, 2), date(2020, 7, 31): (2.3, 3)}


def test_total_row_skipped_with_warning() -> None:
    d = date(2020, 7, 31)
    rows: list[Row] = [
        ["As at", "Faculty", "Sex", "Headcount", "FTE"],
        [d, "Laws", "F", 3, 2.5],
        [d, "Laws", "M", 2, 2],
        ["Total", None, None, 5, 4.5],
        [None, "Grand total", None, 5, 4.5],
    ]
    r = load(xlsx(("S", rows)))
    assert r.valid, r.issue_lines()
    assert by(r, "faculty") == {"Laws": (4.5, 5)}
    assert r.meta["input_rows"] == 2 and r.meta["skipped_totals"] == 2
    assert [(i.code, i.severity, i.row, i.value) for i in r.issues] == [
        ("total_row", "warning", 4, "Total"),
        ("total_row", "warning", 5, "Grand total"),
    ]


def test_repeated_header_and_blank_rows_skipped() -> None:
    rows: list[Row] = [PERSON_HEADER, PEOPLE[0], [], [None] * 7, PERSON_HEADER, PEOPLE[1]]
    r = load(xlsx(("S", rows)), as_of=date(2018, 7, 31))
    assert r.valid, r.issue_lines()
    assert r.meta["input_rows"] == 2
    assert by(r, "faculty") == {"Engineering": (1.8, 2)}


def test_blank_as_of_cell_falls_back_to_title_or_is_reported() -> None:
    header = ["As at", "Faculty", "Sex", "FTE"]
    body: list[Row] = [[D, "Laws", "F", 1], [None, "Laws", "M", 0.5]]
    r = load(xlsx(("S", [["Technicians as at 31 July 2019"], header, *body])))
    assert r.valid, r.issue_lines()
    assert by(r, "as_of") == {D: (1.0, 1), date(2019, 7, 31): (0.5, 1)}  # the column wins where it has a date
    r = load(xlsx(("S", [header, *body])))
    assert [(i.code, i.row, i.column, i.value) for i in r.errors] == [("no_as_of", 3, "As at", None)]


def test_headcount_only_file_warns_that_fte_is_zero() -> None:
    rows: list[Row] = [["Faculty", "Sex", "Headcount"], ["Laws", "F", 4]]
    r = load(xlsx(("S", rows)), as_of=date(2018, 7, 31))
    assert r.valid
    assert [(x.fte, x.headcount) for x in r.rows] == [(0.0, 4)]
    assert [i.code for i in r.issues] == ["no_fte"]


def test_workforce_sheet_found_after_a_cover_sheet() -> None:
    r = load(
        xlsx(("Notes", [["Read me"], ["Prepared by HR"]]), ("Data", [PERSON_HEADER, *PEOPLE])),
        as_of=date(2018, 7, 31),
    )
    assert r.valid and r.meta["sheet"] == "Data"
    assert sum(x.headcount for x in r.rows) == 7


# --- errors: code, Excel row, column as the file writes it, value ---------------------------------


D = date(2018, 7, 31)


def person_sheet_with(bad: Row) -> bytes:
    """Header on Excel row 1, five good people on rows 2-6, `bad` on row 7, one more good person on row 8."""
    good: list[Row] = [[D, f"20{i}", "Engineering", "Civil", "Lab", "Grade 6", "F", 1] for i in range(5)]
    last: Row = [D, "299", "Laws", None, None, None, "M", 1]
    return xlsx(("Staff", [["As at", *PERSON_HEADER], *good, bad, last]))


@pytest.mark.parametrize(
    ("bad", "code", "column", "value"),
    [
        ([D, "300", "Laws", None, None, None, "Q", 1], "bad_sex", "Gender", "Q"),
        ([D, "300", "Laws", None, None, None, "F", -0.5], "bad_fte", "FTE", "-0.5"),
        ([D, "300", "Laws", None, None, None, "F", "abc"], "bad_fte", "FTE", "abc"),
        ([D, "300", "Laws", None, None, None, "F", "80%"], "bad_fte", "FTE", "80%"),
        ([D, "300", "Laws", None, None, None, "F", 2], "bad_fte", "FTE", "2"),
        ([D, "300", None, "Civil", None, None, "F", 1], "required", "Faculty", None),
        ([D, "202", "Laws", None, None, None, "F", 1], "duplicate", "Staff Number", "202"),
        (["31/02/2018", "300", "Laws", None, None, None, "F", 1], "bad_date", "As at", "31/02/2018"),
        (
            [date(1985, 7, 31), "300", "Laws", None, None, None, "F", 1],
            "date_out_of_range",
            "As at",
            "1985-07-31",
        ),
    ],
    ids=[
        "bad-sex",
        "negative-fte",
        "fte-abc",
        "fte-percent",
        "fte-over-1.5",
        "no-faculty",
        "duplicate-id",
        "bad-date",
        "date-1985",
    ],
)
def test_row_errors(bad: Row, code: str, column: str, value: str | None) -> None:
    r = load(person_sheet_with(bad))
    assert r.valid is False
    assert [(i.code, i.row, i.column, i.value, i.sheet) for i in r.errors] == [(code, 7, column, value, "Staff")]
    # The bad row is left out; the six good people still add up.
    assert sum(x.headcount for x in r.rows) == 6
    assert round(sum(x.fte for x in r.rows), 2) == 6.0
    if code == "duplicate":
        assert "rows 4 and 7" in r.errors[0].message
    if code == "bad_sex":
        assert "'Q'" in r.errors[0].message and "Not known" in r.errors[0].message


@pytest.mark.parametrize(
    ("bad", "code", "column", "value"),
    [
        ([D, "Laws", "F", 2, 5], "bad_fte", "FTE", "5"),  # 5 FTE from 2 people
        ([D, "Laws", "F", 2.5, 1], "bad_headcount", "Headcount", "2.5"),
        ([D, "Laws", "F", -1, 0], "bad_headcount", "Headcount", "-1"),
        ([D, "Laws", "F", None, 1], "bad_headcount", "Headcount", None),
    ],
)
def test_aggregated_row_errors(bad: Row, code: str, column: str, value: str | None) -> None:
    good: list[Row] = [[D, "Laws", "M", 2, 2]] * 5
    r = load(xlsx(("Agg", [["As at", "Faculty", "Sex", "Headcount", "FTE"], *good, bad])))
    assert r.valid is False
    assert [(i.code, i.row, i.column, i.value) for i in r.errors] == [(code, 7, column, value)]
    assert by(r, "faculty") == {"Laws": (10.0, 10)}


def test_no_as_of_anywhere() -> None:
    r = load(xlsx(("Staff", [PERSON_HEADER, *PEOPLE])))
    assert r.valid is False
    assert [(i.code, i.row, i.column, i.value) for i in r.errors] == [("no_as_of", None, None, None)]
    msg = r.errors[0].message
    assert "As at" in msg and "as at 31 July 2018" in msg and "--as-of" in msg
    assert r.rows == []


def test_unrecognised_layout() -> None:
    rows: list[Row] = [["Name", "Role", "Start date"], ["A. Smith", "Technician", date(2018, 1, 1)]]
    r = load(xlsx(("People", rows)))
    assert r.valid is False
    [issue] = r.errors
    assert (issue.code, issue.sheet, issue.row, issue.value) == (
        "unrecognised_layout",
        "People",
        1,
        "Name, Role, Start date",
    )
    assert "'Name', 'Role', 'Start date'" in issue.message
    assert "Faculty" in issue.message and "FTE or Headcount" in issue.message
    assert r.rows == []


def test_unrecognised_layout_says_what_is_missing() -> None:
    r = load(xlsx(("Staff", [["Staff Number", "Gender", "FTE"], ["1", "F", 1]])))
    [issue] = r.errors
    assert issue.code == "unrecognised_layout"
    assert "found Staff number, Sex, FTE but no Faculty column" in issue.message


def test_issue_cap() -> None:
    rows: list[Row] = [PERSON_HEADER] + [[str(i), "Laws", "", "", "", "Q", 1] for i in range(MAX_ISSUES + 50)]
    r = load(xlsx(("S", rows)), as_of=D)
    assert len(r.issues) == MAX_ISSUES + 1
    last = r.issues[-1]
    assert (last.code, last.value, last.severity) == ("too_many_issues", "50", "error")
    assert r.issues[-2].row == MAX_ISSUES + 1  # issues are in row order, rows 2..201 listed


def test_other_workforce_sheets_are_flagged() -> None:
    r = load(xlsx(("2018", [PERSON_HEADER, *PEOPLE]), ("2019", [PERSON_HEADER, *PEOPLE])), as_of=D)
    assert r.valid
    assert [(i.code, i.severity, i.value) for i in r.issues] == [("other_sheets", "warning", "2019")]
