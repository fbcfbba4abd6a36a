"""AppTest: the What changed page on the demo data and on an empty database."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app
from tracker.text import unescape_literal

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/changes.py"


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory, demo_file: Path) -> str:
    """The demo database, copied once: these tests only read it."""
    path = tmp_path_factory.mktemp("changes") / "demo.db"
    shutil.copy(demo_file, path)
    return f"sqlite:///{path}"


def _page(monkeypatch: pytest.MonkeyPatch, url: str, **params: str) -> AppTest:
    return open_app(monkeypatch, url, page=PAGE, **params)


def _summary(at: AppTest) -> str:
    """The bold summary line as a viewer reads it (it names refs and people from the files: escaped)."""
    return next(unescape_literal(m.value) for m in at.markdown if m.value.startswith("**Between"))


def _window(at: AppTest) -> tuple[str, str]:
    """The dates the page wrote into the URL."""
    return at.query_params["from"], at.query_params["to"]


def shown_table(at: AppTest) -> Any:
    """The first plain table as a viewer reads it (st.table renders its cells as Markdown: they are escaped)."""
    return at.table[0].value.map(lambda v: unescape_literal(v) if isinstance(v, str) else v)


def _status_table(at: AppTest) -> list[tuple[str, str, str]]:
    """Ref, From, To of the status-change table (a plain table when short)."""
    df = shown_table(at)
    assert list(df.columns[:3]) == ["Ref", "From", "To"]
    return list(zip(df["Ref"], df["From"], df["To"], strict=True))


def test_link_with_dates_shows_those_status_changes(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _page(monkeypatch, demo_url, **{"from": "2019-12-31", "to": "2020-07-31"})
    assert at.title[0].value == "What changed"
    assert at.radio(key="changes_preset").value == "Custom"
    assert [d.value.isoformat() for d in at.date_input if d.key in ("changes_from", "changes_to")] == [
        "2019-12-31",
        "2020-07-31",
    ]
    assert _status_table(at) == [
        ("D2", "● On track", "✕ Delayed"),
        ("V1", "▲ At risk", "✔ Complete"),
        ("V2", "● On track", "‖ Suspended"),
    ]
    d2 = shown_table(at).iloc[0]
    assert (d2["Reported by"], d2["As of"]) == ("careers.lead@demo.ac.uk", "14 Jul 2020")
    assert d2["Note"].startswith("Consultations resumed online in July")
    assert _summary(at).startswith("**Between 1 Jan 2020 and 31 Jul 2020: 3 status changes (D2 on track → delayed")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Status changes"], metrics["New evidence"], metrics["Measure values"]) == ("3", "3", "3")
    assert "_No actions added, withdrawn or changed in this period._" in [m.value for m in at.markdown]
    workforce = at.dataframe[-1].value
    assert workforce.iloc[0]["Faculty"] == "All faculties"
    assert workforce.iloc[0]["FTE"] == "1,070 → 1,095"
    assert any("HESA" in c.value for c in at.caption)
    assert _window(at) == ("2019-12-31", "2020-07-31")


def test_default_is_the_latest_round_against_the_one_before(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    # The sidebar date defaults to the plan's end (31 Oct 2020): the last two rounds are July and October 2020, the
    # demo's recorded rounds (Rounds page), each ending on its due date, the 24th.
    at = _page(monkeypatch, demo_url)
    assert at.radio(key="changes_preset").value == "Since the last round"
    assert _status_table(at) == [("D1", "● On track", "✔ Complete"), ("V2", "‖ Suspended", "● On track")]
    assert unescape_literal(at.caption[0].value).startswith(
        "From the July 2020 round (due 24 Jul 2020) to the October 2020 round (due 24 Oct 2020)."
    )
    assert _window(at) == ("2020-07-24", "2020-10-24")


def test_sidebar_date_moves_the_last_round(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _page(monkeypatch, demo_url, as_of="2020-06-30")
    assert [r for r, _, _ in _status_table(at)] == ["D2", "D3", "V2"]
    assert _window(at) == ("2020-01-24", "2020-04-24")
    # Moving the sidebar date back to the winter moves "the last round" with it.
    at.date_input(key="as_of").set_value(date(2020, 2, 1)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _window(at) == ("2019-10-24", "2020-01-24")
    assert [r for r, _, _ in _status_table(at)] == ["V1"]


def test_a_link_matching_a_preset_opens_on_that_preset(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _page(monkeypatch, demo_url, **{"from": "2019-10-31", "to": "2020-10-31"})
    assert at.radio(key="changes_preset").value == "Last 12 months"
    assert not [d for d in at.date_input if d.key == "changes_from"]


@pytest.mark.parametrize(
    ("preset", "window", "refs"),
    [
        ("Last 12 months", ("2019-10-31", "2020-10-31"), ["D1", "D2", "V1"]),
        ("Last 3 months", ("2020-07-31", "2020-10-31"), ["D1", "V2"]),
    ],
)
def test_switching_preset_changes_the_window(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, preset: str, window: tuple[str, str], refs: list[str]
) -> None:
    at = _page(monkeypatch, demo_url)
    before = _summary(at)
    at.radio(key="changes_preset").set_value(preset).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _window(at) == window
    assert [r for r, _, _ in _status_table(at)] == refs
    assert _summary(at) != before


def test_custom_starts_from_the_window_shown_and_refuses_a_backwards_one(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    at = _page(monkeypatch, demo_url)
    at.radio(key="changes_preset").set_value("Custom").run()
    assert (at.date_input(key="changes_from").value.isoformat(), at.date_input(key="changes_to").value.isoformat()) == (
        "2020-07-24",
        "2020-10-24",
    )
    at.date_input(key="changes_from").set_value("2020-01-17").run()
    assert _window(at) == ("2020-01-17", "2020-10-24")
    assert [r for r, _, _ in _status_table(at)] == ["D1", "D2", "V1"]
    at.date_input(key="changes_from").set_value("2020-12-01").run()
    assert not at.exception
    assert "starts on 1 Dec 2020, after it ends on 24 Oct 2020" in at.error[0].value


def test_a_quiet_period_says_so_in_every_section(monkeypatch: pytest.MonkeyPatch, demo_url: str) -> None:
    at = _page(monkeypatch, demo_url, **{"from": "2021-01-01", "to": "2021-06-30"})
    texts = [m.value for m in at.markdown]
    assert "**Between 2 Jan 2021 and 30 Jun 2021: nothing changed.**" in [unescape_literal(t) for t in texts]
    for section in (
        "status changes",
        "new evidence",
        "actions added, withdrawn or changed",
        "new measure values",
        "new workforce snapshot",
    ):
        assert f"_No {section} in this period._" in texts
    # Only the status-by-date chart's data table is left.
    assert not at.table and len(at.dataframe) == 1


def test_empty_database_explains_how_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _page(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    assert at.title[0].value == "What changed"
    assert "python -m tracker" in at.info[0].value
    assert not at.dataframe and not at.table
