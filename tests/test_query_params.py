"""A link's values are checked before use: a bad one is ignored with a notice, never a traceback, never echoed."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.apputil import open_app

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

# Streamlit itself drops a whole query string over 512 Ki characters or 1,000 fields: these get past that.
HUGE = "x" * 100_000


def notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]  # the main area and the sidebar


def as_of_widget(at: AppTest) -> date:
    [widget] = [d for d in at.sidebar.date_input if d.label == "Status as of"]
    return widget.value  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1900-01-01", "outside"),  # once a traceback: the date widget's min_value is the plan's start
        ("2150-06-30", "outside"),
        ("0001-01-01", "outside"),
        ("not-a-date", "not a date"),
        ("2020-02-30", "not a date"),
        (HUGE, "not a date"),
        ("2019-01-01T00:00:00", "not a date"),
    ],
)
def test_a_bad_as_of_date_is_ignored_with_a_notice(
    monkeypatch: pytest.MonkeyPatch, db: str, value: str, why: str
) -> None:
    plain = open_app(monkeypatch, db)
    default = as_of_widget(plain)
    at = open_app(monkeypatch, db, as_of=value)  # open_app asserts there is no exception
    assert as_of_widget(at) == default
    [notice] = notices(at)
    assert "as_of" in notice and why in notice
    assert value not in notice
    assert "as_of" not in at.query_params  # dropped from the URL: the notice shows once
    at.run()
    assert not notices(at) and not at.exception


def test_a_good_as_of_date_is_kept(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, as_of="2020-01-31")
    assert as_of_widget(at) == date(2020, 1, 31)
    assert not notices(at)
    assert at.query_params["as_of"] in ("2020-01-31", ["2020-01-31"])


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("pages/action_plan.py", {"q": HUGE}),
        ("pages/action_plan.py", {"action": HUGE}),
        ("pages/action_plan.py", {"q": "awards\x00\x1b[31m"}),
        ("pages/action_plan.py", {"theme": HUGE}),
        ("pages/action_plan.py", {"theme": ["Develop"] * 900}),
        ("pages/evidence.py", {"ref": HUGE}),
        ("pages/changes.py", {"from": "1900-01-01", "to": "not-a-date"}),
        ("pages/workforce.py", {"snapshot": HUGE, "faculty": HUGE}),
        ("pages/uploads.py", {"upload": HUGE}),
    ],
)
def test_a_bad_filter_in_a_link_is_ignored_with_a_notice(
    monkeypatch: pytest.MonkeyPatch, db: str, page: str, params: dict[str, object]
) -> None:
    at = open_app(monkeypatch, db, page=page)
    for name, value in params.items():  # a link opened on this page (a page switch starts with no query)
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = notices(at)
    assert shown, "a notice says what was ignored"
    for name in params:
        assert any(f"“{name}”" in n for n in shown), (name, shown)
        # Dropped from the URL (a page may write its own choice back, as What changed does with its dates).
        assert str(params[name]) not in str(at.query_params.get(name, ""))
    assert not any(HUGE[:1000] in n or "\x1b" in n for n in shown)


def test_good_filters_in_a_link_give_no_notice(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page="pages/action_plan.py")
    at.query_params["theme"], at.query_params["q"] = ["Develop", "Value"], "awards"
    at.run()
    assert not at.exception and not notices(at)
