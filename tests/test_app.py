"""AppTest per page (Home, Action plan, Pillars, Evidence & impact, Uploads): values on the demo data,
filters and the as-of date, URL state, and empty databases."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app
from tracker.db import open_engine
from tracker.text import unescape_literal

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_file: Path) -> str:
    """A copy of the demo database (loaded once per session) for this module."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(demo_file, path)
    return f"sqlite:///{path}"


def _app(monkeypatch: pytest.MonkeyPatch, url: str, page: str | None = None, **params: Any) -> AppTest:
    return open_app(monkeypatch, url, page=page, **params)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _table(at: AppTest, *columns: str) -> Any:
    """The first table showing all of `columns` (chart data tables in expanders come earlier in the page)."""
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def _set_as_of(at: AppTest, d: date) -> None:
    at.date_input(key="as_of").set_value(d).run()
    assert not at.exception, [e.value for e in at.exception]


# --- Home ----------------------------------------------------------------------------------------------


def test_home_headline_at_the_end_of_the_plan(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db)
    assert at.date_input(key="as_of").value == date(2020, 10, 31)  # today is past the plan: its last day
    m = _metrics(at)
    assert m["Actions"] == "6"
    assert m["Work complete"] == "90%"
    # Per action, received against promised: U1 3 of 2, D1 2 of 1, D2 1 of 1, V1 2 of 1 have it all; D3 has none
    # of 2 (its one item is dated before the plan began) and V2 2 of 3.
    assert m["Evidence in full"] == "4 of 6"
    assert m["Pillars lacking evidence"] == "1"
    assert m["Technical staff"] == "1,095 FTE"  # 1092.7 at 31 July 2020, HESA-rounded
    captions = unescape_literal(" ".join(c.value for c in at.caption))
    assert "4 of 6 actions have all the evidence they promised; short: D3 (0 of 2) and V2 (2 of 3)" in captions
    assert "12 items received in all, 2 dated before the plan" in captions  # one count: the Evidence page's
    # The gap says what is true of Sustainability: evidence once, none lately.
    assert "Sustainability: no evidence since 3 Oct 2019 (none in the last 6 months)" in captions
    (chart,) = _charts(at)
    assert chart["layout"]["template"]["layout"]["colorway"][0] == "#0072B2"  # our template, not Streamlit's
    bars = {d["name"]: d["x"][0] for d in chart["data"]}
    assert bars == {"On track": 2, "Delayed": 1, "Complete": 3}


def test_home_follows_the_sidebar_date(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db)
    _set_as_of(at, date(2019, 8, 31))
    m = _metrics(at)
    assert m["Technical staff"] == "1,070 FTE"  # the 2019 snapshot, 1071.1
    # By then U1 (policy, survey) and D1 (the March 2019 launch) had theirs; V2 1 of 3, and D2, D3 and V1 none.
    assert m["Evidence in full"] == "2 of 6"
    assert at.query_params["as_of"] == "2019-08-31"  # the link reproduces the view


# --- Action plan ---------------------------------------------------------------------------------------


def _refs(at: AppTest) -> list[str]:
    return list(_table(at, "Ref", "Activity", "Owners")["Ref"])


def test_action_plan_lists_actions_timeline_and_detail(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/action_plan.py")
    assert _refs(at) == ["U1", "D1", "D2", "D3", "V1", "V2"]
    table = _table(at, "Ref", "Activity", "Owners").set_index("Ref")
    assert table.loc["D2", "Status"] == "✕ Delayed"
    assert table.loc["U1", "Status"] == "✔ Complete"
    (timeline,) = _charts(at)
    labels = [t for d in timeline["data"] if d.get("type") == "bar" for t in d["text"]]
    assert "✕ Delayed · 75%" in labels
    summary = " ".join(c.value for c in at.caption)
    assert "5 of 6 actions on track or complete; D2 is delayed" in summary
    # The detail view: D2's history, newest first.
    at.selectbox(key="f_action").set_value("D2").run()
    history = _table(at, "As of", "Status", "Note")
    assert history.iloc[0]["Status"] == "✕ Delayed"
    assert len(history) >= 6
    assert at.query_params["action"] == "D2"


@pytest.mark.parametrize(
    ("widget", "value", "expected"),
    [
        ("f_theme", ["Develop"], ["D1", "D2", "D3"]),
        ("f_pillar", ["R"], ["D2", "V1", "V2"]),
        ("f_status", ["delayed"], ["D2"]),
        ("f_owner", ["OD"], ["D3", "V1", "V2"]),
    ],
)
def test_action_plan_filters(
    monkeypatch: pytest.MonkeyPatch, demo_db: str, widget: str, value: list[str], expected: list[str]
) -> None:
    at = _app(monkeypatch, demo_db, "pages/action_plan.py")
    at.multiselect(key=widget).set_value(value).run()
    assert _refs(at) == expected
    assert f"Showing {len(expected)} of 6 actions" in " ".join(c.value for c in at.caption)


def test_action_plan_search_and_url_state(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/action_plan.py")
    at.text_input(key="f_q").input("apprentice").run()
    assert _refs(at) == ["D3"]
    assert at.query_params["q"] == "apprentice"
    # A shared link with filters opens on the same view.
    at2 = _app(monkeypatch, demo_db, "pages/action_plan.py", theme="Value")
    assert _refs(at2) == ["V1", "V2"]


def test_action_plan_as_of_changes_status_and_overdue(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/action_plan.py")
    _set_as_of(at, date(2019, 2, 1))
    table = _table(at, "Ref", "Activity", "Owners").set_index("Ref")
    assert table.loc["U1", "Status"] == "● On track"  # complete only in October 2019
    assert not table["Overdue"].any()


def test_action_plan_no_match_says_so(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/action_plan.py")
    at.text_input(key="f_q").input("no such words anywhere").run()
    assert "No actions match" in at.info[0].value


# --- Pillars -------------------------------------------------------------------------------------------


def test_pillars_matrix_counts_and_gaps(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/pillars.py")
    pillars = _table(at, "Pillar", "Actions", "Gap").set_index("Pillar")
    assert list(pillars["Actions"]) == [4, 3, 4, 4]
    assert "Sustainability" in at.warning[0].value
    matrix = _table(at, "Ref", "V", "R", "C", "S").set_index("Ref")
    assert matrix.loc["U1", ["V", "R", "C", "S"]].tolist() == ["✓", "", "", "✓"]
    coverage, over_time = _charts(at)
    bars = [d for d in coverage["data"] if d["type"] == "bar"]
    v_total = sum(d["x"][d["y"].index("V – Visibility")] for d in bars)
    assert v_total == 4
    (totals,) = [d for d in coverage["data"] if d.get("mode") == "text"]  # each bar's total, beside it
    assert totals["text"][totals["y"].index("V – Visibility")].strip() == "4"
    # Small multiples: one panel of bars per pillar, on its own axis, titled with its name and count.
    assert [d["name"] for d in over_time["data"]] == [
        "Visibility",
        "Recognition",
        "Career development",
        "Sustainability",
    ]
    assert len({d["yaxis"] for d in over_time["data"]}) == 4
    titles = [a["text"] for a in over_time["layout"]["annotations"]]
    assert titles[0] == "V – Visibility (8 items)" and titles[3] == "S – Sustainability (3 items)"
    # The page says how the pillar counts (8 + 4 + 5 + 3 = 20) relate to the 12 items.
    text = unescape_literal(" ".join(m.value for m in at.markdown))
    assert "12 evidence items in all; 8 serve two or more pillars and count under each" in text
    assert "add up to 20" in text


def test_pillars_gap_moves_with_the_date(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/pillars.py")
    _set_as_of(at, date(2019, 6, 1))
    assert "Recognition: no evidence received yet" in at.warning[0].value


# --- Evidence & impact ---------------------------------------------------------------------------------


def test_evidence_promised_received_and_measures(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/evidence.py")
    text = unescape_literal(" ".join(m.value for m in at.markdown))
    assert "4 of 6 actions have all the evidence they promised. 12 evidence items received (2 dated before" in text
    assert "Short of what was promised: D3 (0 of 2) and V2 (2 of 3)" in text
    per_action = _table(at, "Ref", "Received of promised", "Gap").set_index("Ref")
    assert per_action.loc["U1", "Received of promised"] == "3 of 2"
    assert per_action.loc["V2", "Received of promised"] == "2 of 3"
    assert per_action.loc["V2", "Gap"] == "⚠ 1 missing"
    # D3's one item predates the plan: counted apart, not as evidence of the plan's impact.
    assert (per_action.loc["D3", "Received of promised"], per_action.loc["D3", "Dated before the plan"]) == (
        "0 of 2",
        1,
    )
    timeline, measures = _charts(at)
    assert sum(len(d["x"]) for d in timeline["data"]) == 12
    assert {d["marker"]["symbol"] for d in timeline["data"]} >= {"square", "circle", "star"}
    assert any("58% (target 50%) ✔ met" in label for label in measures["data"][0]["y"])
    received = _table(at, "Date", "Ref", "Kind", "Description", "Added by")
    assert len(received) == 12


def test_evidence_filters(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/evidence.py")
    at.multiselect(key="f_kind").set_value(["award"]).run()
    received = _table(at, "Date", "Ref", "Kind", "Description", "Added by")
    assert list(received["Ref"]) == ["V1"]
    assert at.query_params["kind"] in ("award", ["award"])


def test_evidence_before_any_arrived(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/evidence.py")
    _set_as_of(at, date(2018, 11, 1))
    per_action = _table(at, "Ref", "Received of promised", "Gap").set_index("Ref")
    assert per_action.loc["U1", "Gap"] == "⚠ 2 missing"


# --- Uploads, empty databases, bad settings ------------------------------------------------------------


def test_uploads_lists_every_demo_file(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = _app(monkeypatch, demo_db, "pages/uploads.py")
    df = _table(at, "filename", "outcome")
    assert (df["outcome"] == "loaded").all()
    assert len(df) == 14  # the demo's files, the working group's included
    assert "ucl_2018_action_plan.xlsx" in set(df["filename"])


@pytest.mark.parametrize(
    "page", ["pages/home.py", "pages/action_plan.py", "pages/pillars.py", "pages/evidence.py", "pages/uploads.py"]
)
def test_empty_database_explains_how_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str) -> None:
    at = _app(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}", page)
    assert at.info, "an empty database should explain what to do, not show nothing"
    text = at.info[0].value
    assert "python -m tracker" in text or "Nothing has been uploaded" in text


def test_bad_setting_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_MAX_ROWS", "lots")
    at = _app(monkeypatch, "sqlite://")
    assert "TRACKER_MAX_ROWS" in at.error[0].value


# --- sign-in and roles ---------------------------------------------------------------------------------


def _pages_offered(at: AppTest) -> set[str]:
    """File names of the pages app.py's navigation registered for this user (AppTest keeps them privately)."""
    return {Path(info["script_path"]).stem for info in at._registered_pages.values()}


def test_signed_out_sees_only_the_sign_in_page(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    at = open_app(monkeypatch, demo_db, as_user=None)
    assert at.title[0].value == "Technician Commitment Tracker"
    assert not at.metric  # no dashboard figure reaches a visitor
    assert [t.label for t in at.text_input] == ["Email", "Password"]


def test_wrong_password_is_refused_and_right_one_signs_in(monkeypatch: pytest.MonkeyPatch, demo_db: str) -> None:
    from tracker.users import set_password

    with Session(open_engine(demo_db)) as s:
        set_password(session=s, email="viewer@demo.ac.uk", password="a long enough secret")
        s.commit()
    at = open_app(monkeypatch, demo_db, as_user=None)
    at.text_input[0].input("viewer@demo.ac.uk")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert "wrong email or password" in at.error[0].value
    assert not at.metric
    at.text_input[1].input("a long enough secret")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["signed_in_as"] == "viewer@demo.ac.uk"
    assert _metrics(at)["Actions"] == "6"


@pytest.mark.parametrize(
    ("email", "visible", "hidden"),
    [
        ("viewer@demo.ac.uk", ["home", "workforce"], ["upload", "uploads", "admin", "audit", "board_report"]),
        ("board@demo.ac.uk", ["home", "changes", "board_report"], ["upload", "admin", "audit"]),
        ("careers.lead@demo.ac.uk", ["upload", "uploads"], ["admin", "audit", "board_report"]),
        ("admin@demo.ac.uk", ["upload", "uploads", "admin", "audit", "board_report"], []),
    ],
)
def test_pages_follow_the_role(
    monkeypatch: pytest.MonkeyPatch, demo_db: str, email: str, visible: list[str], hidden: list[str]
) -> None:
    at = open_app(monkeypatch, demo_db, as_user=email)
    sidebar = " ".join(str(c.value) for c in at.sidebar.caption)
    role = email.split("@")[0].split(".")[-1]  # viewer, board, lead, admin
    assert f"({role})" in sidebar
    pages = _pages_offered(at)
    assert set(visible) <= pages
    assert not set(hidden) & pages
    for name in hidden:  # not offered means not reachable, even by asking for it directly
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{name}.py")
