"""AppTest: the Workforce & gender page on the demo data, its filters and URL state, and on an empty database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

import tracker.charts
import tracker.config
from tests.apputil import open_app

if TYPE_CHECKING:
    from tests.conftest import DemoCopies

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/workforce.py"
ENG = "Engineering Sciences"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def _app(monkeypatch: pytest.MonkeyPatch, url: str, **kw: Any) -> AppTest:
    return open_app(monkeypatch, url, **kw)


def _open(at: AppTest, **params: str) -> AppTest:
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table(at: AppTest, *columns: str, last: str | None = None) -> list[dict[str, object]]:
    """The first dataframe with exactly these columns (and, if given, `last` in the first column's last row)."""
    for df in at.dataframe:
        v = df.value
        if list(v.columns) == list(columns) and (last is None or (len(v) and v.iloc[-1, 0] == last)):
            return list(v.to_dict("records"))
    raise AssertionError(f"no table with columns {columns}")


@pytest.fixture
def demo_url(demo_copies: DemoCopies) -> str:
    """This test's own copy of the demo database."""
    return demo_copies.sqlite_url()


def test_page_shows_rounded_metrics_and_charts_for_the_latest_snapshot(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    at = _open(_app(monkeypatch, demo_url), snapshot="2021-07-31")
    assert at.title[0].value == "Workforce & gender"
    assert at.selectbox[0].value == date(2021, 7, 31)
    m = _metrics(at)
    assert m["Technical staff FTE"] == "1,100"  # 1,099.1 exact, rounded to 5 (HESA)
    assert m["Headcount"] == "1,165"  # 1,166 exact
    assert m["Women, % of headcount"] == "49.1%"
    assert m["Faculties flagged"] == "2"
    assert not at.toggle(key="wf_exact").value
    assert any("HESA rounding" in c.value for c in at.caption)
    table1 = _table(at, "Faculty", "FTE", "Headcount", last="Total")
    assert len(table1) == 12 and table1[-1] == {"Faculty": "Total", "FTE": 1100, "Headcount": 1165}
    flags = _table(at, "Faculty", "Imbalance", "Mostly", "Headcount")
    assert flags[0] == {"Faculty": ENG, "Imbalance": "77.6% male (threshold 70%)", "Mostly": "Male", "Headcount": 160}

    charts = at.get("plotly_chart")
    assert len(charts) >= 3
    tracker_template = pio.templates[tracker.charts.TEMPLATE].to_plotly_json()["layout"]
    for el in charts:
        spec = json.loads(el.proto.spec)
        template = spec["layout"].get("template")
        assert template, "every figure sets its own template"
        assert template["layout"]["colorway"] == tracker_template["colorway"]
        assert template["layout"]["font"]["family"] == tracker_template["font"]["family"]
    captions = " ".join(c.value for c in at.caption)
    assert "1,100 technical staff FTE at 31 Jul 2021 across 11 faculties" in captions
    assert "2 faculties are past the 70% imbalance threshold" in captions


def test_snapshot_defaults_to_the_sidebar_as_of_date(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _open(_app(monkeypatch, demo_url))
    # The demo plan ends on 31 October 2020, the sidebar's default date: the 31 July 2020 snapshot.
    assert at.selectbox[0].value == date(2020, 7, 31)
    assert _metrics(at)["Technical staff FTE"] == "1,095"  # 1,092.7 exact
    at.date_input(key="as_of").set_value(date(2019, 12, 1)).run()
    _ok(at)
    assert at.selectbox[0].value == date(2019, 7, 31)
    assert _metrics(at)["Technical staff FTE"] == "1,070"  # 1,071.1 exact
    assert "snapshot" not in at.query_params  # following the sidebar needs no URL entry
    # A snapshot chosen here sticks (and goes in the URL) when the sidebar date moves on.
    at.selectbox[0].set_value(date(2018, 7, 31)).run()
    at.date_input(key="as_of").set_value(date(2020, 9, 1)).run()
    _ok(at)
    assert at.selectbox[0].value == date(2018, 7, 31)
    assert at.query_params.get("snapshot") in ("2018-07-31", ["2018-07-31"])


def test_exact_toggle_shows_exact_figures_and_goes_in_the_url(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _open(_app(monkeypatch, demo_url), snapshot="2021-07-31")
    assert _metrics(at)["Technical staff FTE"] == "1,100"
    at.toggle(key="wf_exact").set_value(True).run()
    _ok(at)
    m = _metrics(at)
    assert m["Technical staff FTE"] == "1,099.1"
    assert m["Headcount"] == "1,166"
    assert at.query_params.get("exact") in ("1", ["1"])
    assert _table(at, "Faculty", "FTE", "Headcount", last="Total")[-1] == {
        "Faculty": "Total",
        "FTE": 1099.1,
        "Headcount": 1166,
    }
    assert any("Exact figures" in c.value for c in at.caption)


def test_choosing_a_faculty_filters_everything(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _open(_app(monkeypatch, demo_url), snapshot="2021-07-31")
    at.multiselect(key="wf_faculty").set_value([ENG]).run()
    _ok(at)
    m = _metrics(at)
    assert m["Technical staff FTE"] == "155"  # 154.3 exact
    assert m["Faculties flagged"] == "1"
    assert m["Women, % of headcount"] == "21.1%"
    table1 = _table(at, "Faculty", "FTE", "Headcount", last="Total (selected faculties)")
    assert [r["Faculty"] for r in table1] == [ENG, "Total (selected faculties)"]
    q = at.query_params.get("faculty")
    assert q == ENG or q == [ENG]
    # The trend draws all faculties and the chosen one.
    names = [[t.get("name") for t in json.loads(c.proto.spec)["data"]] for c in at.get("plotly_chart")]
    assert names.count(["All faculties", ENG]) == 2  # FTE and women's share over time
    assert ["FTE"] in names and "Laws" not in str(names)


def test_a_shared_link_restores_the_view(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _app(monkeypatch, demo_url)
    at.query_params["faculty"] = ["Laws", "Not a faculty"]
    _open(at, snapshot="2018-07-31", exact="1")
    assert at.selectbox[0].value == date(2018, 7, 31)
    assert at.multiselect(key="wf_faculty").value == ["Laws"]
    assert at.toggle(key="wf_exact").value is True
    m = _metrics(at)
    assert m["Technical staff FTE"] == "6"
    assert m["Headcount"] == "7"
    assert m["Women, % of headcount"] == ".."  # 7 people: too few for a percentage
    assert m["Faculties flagged"] == "0"


def test_empty_database_explains_how_to_load_an_hr_extract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _open(_app(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}"))
    assert at.title[0].value == "Workforce & gender"
    assert at.info, "an empty database should explain what to do"
    assert "python -m tracker load HR.xlsx --kind workforce" in at.info[0].value
    assert not at.get("plotly_chart")
