"""AppTest flows for the Upload and Uploads pages: preview before writing, confirm, errors, refusals,
duplicates, the template, the history and its downloads; and the upload size limit in .streamlit/config.toml."""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import openpyxl
import pytest
import streamlit as st
from sqlalchemy import func, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.apputil import ROOT, open_app
from tracker.auth import actor_for
from tracker.config import Settings
from tracker.db import open_engine
from tracker.demo import DEMO_DIR, PLAN_FILE
from tracker.history import template_for
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.ingest.updates import EVIDENCE_COLUMNS, PROGRESS_COLUMNS
from tracker.load import load_file
from tracker.models import Evidence, ProgressUpdate, Upload
from tracker.text import unescape_literal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN, CAREERS, COP = "admin@demo.ac.uk", "careers.lead@demo.ac.uk", "cop.lead@demo.ac.uk"
UPLOAD, UPLOADS = "pages/upload.py", "pages/uploads.py"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def updates_xlsx(progress: Sequence[list[Any]] = (), evidence: Sequence[list[Any]] = ()) -> bytes:
    """An update file as a lead fills it in: Progress and Evidence sheets with the template's headers.
    A row `[]` leaves that Excel row blank."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Progress"
    ws.append(list(PROGRESS_COLUMNS))
    for row in progress:
        ws.append(row or [None])
    ev = wb.create_sheet("Evidence")
    ev.append(list(EVIDENCE_COLUMNS))
    for row in evidence:
        ev.append(row or [None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_D2 = updates_xlsx(
    [["D2", datetime(2020, 10, 31), "On track", 80, "Pathways agreed with HR"]],
    [["D2", datetime(2020, 10, 30), "Career pathways framework published", "document", "https://example.ac.uk/cp"]],
)


def counts(url: str) -> dict[str, int]:
    with Session(open_engine(url)) as s:
        return {
            m.__name__: s.exec(select(func.count()).select_from(m)).one()[0]  # type: ignore[call-overload]
            for m in (ProgressUpdate, Evidence, Upload)
        }


def plain(markdown: str) -> str:
    """What the reader sees of Markdown whose user text was escaped (file names, emails)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def upload(at: AppTest, name: str, data: bytes, mime: str = XLSX) -> AppTest:
    at.file_uploader[0].set_value((name, data, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, *columns: str) -> Any:
    """The first table (a grid or a plain table) with all of `columns`."""
    for df in [*at.dataframe, *at.table]:
        if set(columns) <= set(df.value.columns):
            # A plain table's cells are Markdown (the user's text in them escaped): compared as a viewer reads them.
            return df.value.map(lambda v: unescape_literal(v) if isinstance(v, str) else v)
    raise AssertionError(f"no table with columns {columns}")


def confirm(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == "Confirm and load"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- Upload ---------------------------------------------------------------------------------------------


def test_a_lead_sees_the_preview_then_confirms(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    before = counts(db)
    upload(at, "d2_update.xlsx", GOOD_D2)
    preview = table(at, "Change", "Action", "From", "To")
    rows = preview.to_dict("records")
    assert rows[0] == {
        "Change": "Status change",
        "Action": "D2",
        "From": "✕ Delayed",
        "To": "● On track",
        "Details": "as of 31 Oct 2020 80% Pathways agreed with HR",
    }
    assert rows[1]["Change"] == "New evidence item" and "Career pathways framework" in rows[1]["Details"]
    text = " ".join(m.value for m in at.markdown)
    assert "1 status change, 1 new evidence item" in text
    assert "Nothing has been written yet" in " ".join(c.value for c in at.caption)
    assert plain(at.status[0].label) == "Checked d2_update.xlsx: ready to load"
    assert counts(db) == before  # a preview writes nothing at all, not even an upload record
    at.run()  # a rerun neither loses the file nor checks it again
    assert counts(db) == before and table(at, "Change", "Action")["Action"].tolist() == ["D2", "D2"]

    confirm(at)
    after = counts(db)
    assert after["ProgressUpdate"] == before["ProgressUpdate"] + 1
    assert after["Evidence"] == before["Evidence"] + 1
    assert after["Upload"] == before["Upload"] + 1
    assert plain(at.success[0].value) == (
        "Loaded d2_update.xlsx (upload 15): 1 status change, 1 new evidence item. Status: D2 ✕ Delayed → ● On track."
    )
    links = {(p.proto.label, p.proto.query_string) for p in at.get("page_link")}
    assert ("See the evidence for D2", "ref=D2") in links
    assert ("See D2 on the action plan", "action=D2") in links
    # The uploader is a fresh one, so the same file cannot be loaded twice by a stray click.
    assert [u.key for u in at.file_uploader] == ["upload_file_1"]
    assert not [b for b in at.button if b.label == "Confirm and load"]
    at.run()
    assert counts(db) == after
    with Session(open_engine(db)) as s:
        up = s.get(Upload, 15)  # after the demo's 14
        assert up is not None and up.uploaded_by == CAREERS and up.content == GOOD_D2


def test_cancel_forgets_the_file(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    before = counts(db)
    upload(at, "d2_update.xlsx", GOOD_D2)
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert [u.key for u in at.file_uploader] == ["upload_file_1"] and not at.dataframe
    assert counts(db) == before


def test_a_file_with_errors_shows_the_issues_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    before = counts(db)
    bad = updates_xlsx(
        [
            ["D2", datetime(2020, 10, 31), "On track", 80, "fine"],
            [],
            [],
            ["D2", datetime(2020, 10, 20), "Purple", 50, "what colour is this?"],  # Excel row 5
        ],
        [["D2", "not a date", "Something happened", "document"]],  # Evidence row 2
    )
    upload(at, "bad.xlsx", bad)
    assert plain(at.error[0].value).startswith("2 problems: nothing was written")
    issues = table(at, "Sheet", "Row", "Column", "Value", "Problem")
    got = {(r.Sheet, r.Row, r.Column, r.Value) for r in issues.itertuples()}
    assert got == {("Progress", "5", "Status", "Purple"), ("Evidence", "2", "Date", "not a date")}
    assert "is not a status" in " ".join(issues["Problem"])
    assert not [b for b in at.button if b.label == "Confirm and load"]
    after = counts(db)
    assert (after["ProgressUpdate"], after["Evidence"]) == (before["ProgressUpdate"], before["Evidence"])
    assert after["Upload"] == before["Upload"] + 1  # the attempt is recorded (rejected, with its bytes) ...
    at.run()
    assert counts(db) == after  # ... once, not again on every rerun


def test_warnings_are_shown_apart_from_the_preview(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    upload(at, "w.xlsx", updates_xlsx([["D2", datetime(2020, 10, 31), "Complete", 90, "Nearly"]]))
    # The file's warning, apart from the round notice (careers.lead's D2 is overdue in the demo's open round).
    assert next(w.value for w in at.warning if "warning" in w.value).startswith("1 warning")
    assert table(at, "Sheet", "Row", "Problem")["Row"].tolist() == ["2"]
    assert [b for b in at.button if b.label == "Confirm and load"]  # a warning does not stop the load


def test_another_leads_action_is_refused(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    before = counts(db)
    upload(at, "d1.xlsx", updates_xlsx([["D1", datetime(2020, 10, 31), "On track", 90, "not mine"]]))
    assert "nothing was written" in plain(at.error[0].value)
    issues = table(at, "Sheet", "Row", "Column", "Problem")
    assert issues.iloc[0]["Row"] == "2" and issues.iloc[0]["Column"] == "Ref"
    assert "D1 is not one of your actions (yours: D2)" in issues.iloc[0]["Problem"]
    after = counts(db)
    assert (after["ProgressUpdate"], after["Evidence"]) == (before["ProgressUpdate"], before["Evidence"])


def test_a_lead_loading_a_plan_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    before = counts(db)
    upload(at, "plan.xlsx", PLAN_FILE.read_bytes())
    assert plain(at.error[0].value) == (
        "careers.lead@demo.ac.uk is a lead: leads can read the dashboard and load updates for their own actions "
        "but not load action plans"
    )
    assert counts(db) == before


def test_an_unreadable_file_is_an_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    upload(at, "broken.xlsx", b"this is not a workbook")
    assert plain(at.error[0].value) == "broken.xlsx is not a valid .xlsx workbook (it may be damaged or renamed)"
    assert plain(at.status[0].label) == "broken.xlsx was not loaded"


def test_a_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    monkeypatch.setenv("TRACKER_MAX_UPLOAD_BYTES", "4096")
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    before = counts(db)
    upload(at, "big.xlsx", GOOD_D2)
    assert plain(at.error[0].value).startswith("big.xlsx is ") and "over the" in plain(at.error[0].value)
    assert at.file_uploader[0].proto.max_upload_size_mb == 1  # the widget follows the setting too (rounded up)
    after = counts(db)
    assert (after["ProgressUpdate"], after["Evidence"]) == (before["ProgressUpdate"], before["Evidence"])


def test_a_duplicate_says_it_was_already_loaded(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=ADMIN)
    before = counts(db)
    demo = DEMO_DIR / "updates_2020-10.xlsx"
    upload(at, demo.name, demo.read_bytes())
    # (The other notice is where the demo's open round stands.)
    assert "updates_2020-10.xlsx was already loaded as upload 13: nothing changed." in [plain(i.value) for i in at.info]
    after = counts(db)
    assert (after["ProgressUpdate"], after["Evidence"]) == (before["ProgressUpdate"], before["Evidence"])


@pytest.mark.parametrize(
    ("email", "kinds"),
    [
        (CAREERS, ["Detect automatically", "Progress and evidence update"]),
        (
            ADMIN,
            [
                "Detect automatically",
                "Action plan",
                "Progress and evidence update",
                "Workforce extract (HR)",
                "Working-group list",
            ],
        ),
    ],
)
def test_kind_choices_follow_the_role(monkeypatch: pytest.MonkeyPatch, db: str, email: str, kinds: list[str]) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=email)
    assert at.selectbox(key="upload_kind").options == kinds
    dates = {d.key for d in at.date_input}
    if email == ADMIN:
        assert {"upload_plan_start", "upload_as_of"} <= dates
    else:
        assert not {"upload_plan_start", "upload_as_of"} & dates
    labels = [b.label for b in at.download_button]
    assert "Download the update template" in labels
    # A lead whose action the open round waits on gets its template too (the demo's careers.lead: D2).
    assert ("Download your template for D2" in labels) == (email == CAREERS)
    assert ("Plan template" in labels) == (email == ADMIN)


def test_an_admin_loads_a_workforce_extract_with_its_date(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=ADMIN)
    at.selectbox(key="upload_kind").set_value("workforce").run()
    at.date_input(key="upload_as_of").set_value(datetime(2021, 3, 31).date()).run()
    csv = b"Faculty,Sex,FTE,Headcount\nEngineering,Female,10.5,11\nEngineering,Male,20,20\n"
    upload(at, "hr.csv", csv, "text/csv")
    preview = table(at, "Change", "Snapshot", "From", "To")
    assert preview.iloc[0]["Snapshot"] == "2021-03-31"
    assert preview.iloc[0]["From"] == "none" and preview.iloc[0]["Details"] == "a new snapshot"
    confirm(at)
    assert "Loaded hr.csv" in plain(at.success[0].value)
    assert ("See the workforce snapshot of 31 Mar 2021", "snapshot=2021-03-31") in {
        (p.proto.label, p.proto.query_string) for p in at.get("page_link")
    }


def test_a_workforce_extract_without_a_date_says_where_to_give_it(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=ADMIN)
    upload(at, "hr.csv", b"Faculty,Sex,FTE,Headcount\nEngineering,Female,10.5,11\n", "text/csv")
    issues = table(at, "Sheet", "Row", "Problem")
    assert issues.iloc[0]["Row"] == ""  # a problem with the whole sheet has no row
    assert "On this page, the command line's --as-of is the 'As at (workforce extracts only)' date" in " ".join(
        c.value for c in at.caption
    )


def test_the_template_a_lead_downloads_is_prefilled_with_their_actions(db: str) -> None:
    # The page offers exactly what template_for makes (through the cached view); download bytes are not
    # exposed by AppTest, so the function is what is tested.
    with Session(open_engine(db)) as s:
        actor = actor_for(session=s, email=CAREERS)
        assert actor is not None
        name, data = template_for(session=s, actor=actor)
    progress = read_workbook(data, filename=name).sheet("Progress")
    assert progress is not None
    assert name == "update_template_D2.xlsx"
    assert [r[0] for r in progress.rows[1:] if r and r[0]] == ["D2"]


# --- Uploads --------------------------------------------------------------------------------------------


def _captured_downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Record (label, data) of every download button the pages draw (AppTest does not expose the bytes)."""
    seen: list[tuple[str, Any]] = []
    real = st.download_button

    def spy(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((label, data))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return seen


def test_uploads_shows_a_lead_only_their_own(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    bad = updates_xlsx([["D2", datetime(2020, 10, 31), "Purple", 80, "x"]])
    with Session(open_engine(db)) as s:
        for email, data, name in ((CAREERS, GOOD_D2, "mine.xlsx"), (CAREERS, bad, "bad.xlsx")):
            actor = actor_for(session=s, email=email)
            assert actor is not None
            load_file(data, session=s, actor=actor, filename=name)
        with pytest.raises(UnreadableFile):  # an administrator's unreadable file: recorded all the same
            load_file(b"", session=s, filename="x.csv", uploaded_by=ADMIN)
    seen = _captured_downloads(monkeypatch)
    at = open_app(monkeypatch, db, page=UPLOADS, as_user=CAREERS)
    df = table(at, "filename", "outcome")
    assert df["filename"].tolist() == ["bad.xlsx", "mine.xlsx"]
    assert set(df["uploaded_by"]) == {CAREERS}
    # The newest is selected: its issues, and the original file to download.
    issues = table(at, "Sheet", "Row", "Column", "Problem")
    assert issues.iloc[0]["Row"] == "2" and issues.iloc[0]["Column"] == "Status"
    label, data = seen[-1]
    assert plain(label) == "Download bad.xlsx" and data() == bad
    at.selectbox(key="upload_pick").set_value(15).run()
    assert at.query_params["upload"] == "15"
    label, data = seen[-1]
    assert plain(label) == "Download mine.xlsx" and data() == GOOD_D2
    assert "No issues were found" in " ".join(c.value for c in at.caption)


def test_uploads_shows_an_admin_everyone_and_any_file(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    with Session(open_engine(db)) as s:
        actor = actor_for(session=s, email=CAREERS)
        assert actor is not None
        load_file(GOOD_D2, session=s, actor=actor, filename="lead.xlsx")
        load_file(DEMO_DIR / "updates_2020-10.xlsx", session=s)  # a duplicate: no copy kept
    seen = _captured_downloads(monkeypatch)
    at = open_app(monkeypatch, db, page=UPLOADS, as_user=ADMIN, upload="15")
    df = table(at, "filename", "outcome", "uploaded_by")
    assert len(df) == 16
    assert df.iloc[0]["outcome"] == "duplicate"
    label, data = seen[-1]
    assert plain(label) == "Download lead.xlsx" and data() == GOOD_D2  # another user's file
    at.selectbox(key="upload_pick").set_value(16).run()
    assert "No copy kept: this was the same file as upload 13" in " ".join(c.value for c in at.caption)
    at.selectbox(key="upload_pick").set_value(1).run()
    label, data = seen[-1]
    assert plain(label) == "Download ucl_2018_action_plan.xlsx" and data() == PLAN_FILE.read_bytes()


def test_uploads_for_someone_with_none(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOADS, as_user=COP)
    assert "Nothing has been uploaded by you yet" in plain(at.info[0].value)


# --- the size limit -------------------------------------------------------------------------------------


def test_streamlit_upload_limit_agrees_with_the_tracker_setting() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == Settings().max_upload_bytes // 2**20


def test_a_file_name_is_shown_literally(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=CAREERS)
    upload(at, "D2 *final* $1 :red[x].xlsx", GOOD_D2)
    label = at.status[0].label
    assert r"\*final\* \$1 \:red\[x\]\.xlsx" in label  # no emphasis, maths or colour from a name
    assert plain(label) == "Checked D2 *final* $1 :red[x].xlsx: ready to load"


def test_an_admin_previews_a_plan_added_changed_and_withdrawn(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=UPLOAD, as_user=ADMIN)
    at.selectbox(key="upload_kind").set_value("plan").run()
    at.date_input(key="upload_plan_start").set_value(datetime(2018, 11, 15).date()).run()  # any day of the month
    csv = b"Ref,Theme,Activity,Who\nU1,Understand,Map skills again,HR\nX9,Value,A new action,OD\n"
    before = counts(db)
    upload(at, "plan.csv", csv, "text/csv")
    # Five of the plan's six actions would be withdrawn: refused until the administrator says it is meant.
    assert [e.value for e in at.error] == [
        "1 problem: nothing can be loaded yet. Fix it here (sheet, header row, columns, start, length) or in the "
        "file and upload it again."
    ]
    assert counts(db) == {**before, "Upload": before["Upload"] + 1}  # the refused check is recorded, nothing else
    at.checkbox(key="upload_map_withdraw").check().run()
    preview = table(at, "Change", "Action", "From", "To")
    changes = dict(zip(preview["Action"], preview["Change"], strict=True))
    assert changes == {
        "U1": "Action changed",
        "X9": "Action added",
        **{ref: "Action withdrawn" for ref in ("D1", "D2", "D3", "V1", "V2")},
    }
    assert "changed: " in preview.set_index("Action").loc["U1", "Details"]
    assert counts(db) == {**before, "Upload": before["Upload"] + 1}  # the preview wrote nothing more
