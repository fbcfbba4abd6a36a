"""AppTest flows for a lead's own log on the Upload page (issue 17): each column shown with the field it was read
as, the updates and evidence as they will be stored, a column corrected or mapped by hand, and the confirmed
mapping offered again for the lead's next log with the same headers."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlmodel import Session, col
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app
from tests.test_upload_page import table, upload
from tracker.db import open_engine
from tracker.models import ColumnMapping, Evidence, ProgressUpdate

HERE = Path(__file__).parent / "data" / "update_logs"
UPLOAD = "pages/upload.py"
CAREERS, COP = "careers.lead@demo.ac.uk", "cop.lead@demo.ac.uk"

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def as_lead(monkeypatch: pytest.MonkeyPatch, db: str, email: str) -> AppTest:
    return open_app(monkeypatch, db, page=UPLOAD, as_user=email, role="lead")


def fields(at: AppTest, k: int = 0) -> dict[str, str]:
    """{column letter: field} of table `k`'s selects (the letter is in the select's label)."""
    out = {}
    for s in at.selectbox:
        key = str(s.key or "")
        if key.startswith(f"upload_log_{k}_"):
            out[s.label.split()[3]] = str(s.value)
    return out


def choose(at: AppTest, key: str, value: str) -> AppTest:
    at.selectbox(key=key).set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def confirm(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == "Confirm and load"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def headings(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def xlsx(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Log"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def counts(db: str) -> tuple[int, int]:
    with Session(open_engine(db)) as s:
        return (
            len(s.exec(select(ProgressUpdate)).scalars().all()),  # type: ignore[call-overload]
            len(s.exec(select(Evidence)).scalars().all()),  # type: ignore[call-overload]
        )


def test_a_lead_sees_how_their_log_was_read_and_loads_it(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    name = "careers_lead_status_text_dates.xlsx"
    at = as_lead(monkeypatch, db, CAREERS)
    before = counts(db)
    upload(at, name, (HERE / name).read_bytes())
    assert "3. Check how your file was read" in headings(at)
    assert fields(at) == {"A": "ref", "B": "note", "C": "by", "D": "ignore", "E": "date", "F": "status"}
    rows = table(at, "Ref", "Date", "Status", "% complete", "Note").to_dict("records")
    assert [(r["Ref"], r["Date"], r["Status"]) for r in rows] == [
        ("D2", "5 Nov 2019", "○ Not started"),
        ("D2", "12 Feb 2020", "● On track"),
        ("D2", "3 Mar 2020", "▲ At risk"),
        ("D2", "1 Jun 2020", "✕ Delayed"),
        ("D2", "30 Sep 2020", "✔ Complete"),
    ]
    assert counts(db) == before  # nothing written before the confirmation
    confirm(at)
    assert next(s.value for s in at.success).startswith("Loaded")
    assert counts(db) == (before[0] + 5, before[1])
    with Session(open_engine(db)) as s:
        kept = s.exec(select(ColumnMapping).where(col(ColumnMapping.owner) == CAREERS)).scalars().all()  # type: ignore[call-overload]
    assert [m.mapping["date"] for m in kept] == ["As at"]


def test_a_column_corrected_on_the_page_changes_the_preview(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    name = "evidence_log_title_rows.xlsx"
    at = open_app(monkeypatch, db, page=UPLOAD)
    upload(at, name, (HERE / name).read_bytes())
    assert fields(at)["F"] == "link"
    links = table(at, "Ref", "Evidence", "Link")["Link"].tolist()
    assert any(links)
    choose(at, "upload_log_0_5", "ignore")
    assert fields(at)["F"] == "ignore"
    assert not any(table(at, "Ref", "Evidence", "Link")["Link"].tolist())
    # A field moved onto another column leaves the first one: one column per field.
    choose(at, "upload_log_0_3", "pillars")
    assert fields(at)["D"] == "pillars" and fields(at)["E"] == "ignore"


ODD = [["Careers log"], ["Item", "Reported", "Colour", "Narrative"], ["D2", "14/01/2020", "Amber", "Mentors short"]]


def test_a_log_with_no_table_found_is_mapped_by_hand_and_remembered(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = as_lead(monkeypatch, db, CAREERS)
    before = counts(db)
    # Left on Detect automatically the file reads as a plan (a lead may not load one): the lead says what it is.
    at.selectbox(key="upload_kind").set_value("updates").run()
    upload(at, "odd.xlsx", xlsx(ODD))
    assert any("No progress or evidence table was found" in w.value for w in at.warning)
    assert at.number_input(key="upload_log_header").value == 2
    assert set(fields(at).values()) == {"ignore"}
    for j, f in enumerate(["ref", "date", "status", "note"]):
        choose(at, f"upload_log_0_{j}", f)
    rows = table(at, "Ref", "Date", "Status", "% complete", "Note").to_dict("records")
    assert [(r["Ref"], r["Date"], r["Note"]) for r in rows] == [("D2", "14 Jan 2020", "Mentors short")]
    confirm(at)
    assert counts(db) == (before[0] + 1, before[1])
    # The next month's log with the same headers is read as the lead mapped it.
    april = xlsx([*ODD[:2], ["D2", "14/04/2020", "Green", "Mentors found"]])
    upload(at, "april.xlsx", april)
    assert any("mapped them for these headers" in m.value for m in at.markdown)
    assert fields(at) == {"A": "ref", "B": "date", "C": "status", "D": "note"}
    confirm(at)
    assert counts(db) == (before[0] + 2, before[1])


def test_another_leads_action_in_a_log_is_named_and_nothing_is_loaded(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    name = "progress_log_with_evidence.xlsx"  # D1, D3, V1 and V2: only D1 is the CoP lead's
    at = as_lead(monkeypatch, db, COP)
    upload(at, name, (HERE / name).read_bytes())
    problems = table(at, "Sheet", "Row", "Column", "Problem").to_dict("records")
    assert problems and all("is not one of your actions (yours: D1)" in p["Problem"] for p in problems)
    assert not [b for b in at.button if b.label == "Confirm and load"]
