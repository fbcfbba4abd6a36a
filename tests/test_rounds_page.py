"""AppTest of the Update rounds page, and of the round notice a lead sees on Home and Upload: the demo's open round
(November 2020, expecting D2, D3 and V2, nobody reported), opening and closing rounds, a lead's update turning them
reported, who may do what, and reminders sent from the page through a real SMTP server."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import tracker.config
from tests.apputil import open_app
from tests.smtputil import Mailbox
from tracker.auth import actor_for
from tracker.db import open_engine
from tracker.load import load_file
from tracker.rounds import list_rounds, round_status
from tracker.text import unescape_literal

PAGE = "pages/rounds.py"
LEAD = "careers.lead@demo.ac.uk"  # owns D2
pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _texts(at: AppTest) -> list[str]:
    """Every piece of text on the page, unescaped (people's text is shown literally)."""
    found: list[Any] = [*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error]
    return [unescape_literal(str(e.value)) for e in found]


def _table(at: AppTest, first_column: str) -> list[dict[str, str]]:
    """The plain table whose first column is `first_column`, as rows of unescaped text."""
    for t in at.table:
        df = t.value
        if next(iter(df.columns)) == first_column:
            return [{k: unescape_literal(str(v)) for k, v in row.items()} for row in df.to_dict("records")]
    raise AssertionError(f"no table starting with {first_column}")


def _report_d2(url: str, day: date) -> None:
    """careers.lead's progress update for D2, dated `day`, loaded as the Upload page loads it."""
    with Session(open_engine(url)) as s:
        lead = actor_for(session=s, email=LEAD)
        assert lead is not None
        data = f"Ref,As of,Status,Percent,Note\nD2,{day:%d/%m/%Y},on track,80,Pathways drafted\n".encode()
        out = load_file(data, filename="d2.csv", session=s, actor=lead)
        assert out.outcome == "loaded", out.message


def test_the_open_round_as_an_administrator_sees_it(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    _ok(at)
    assert at.title[0].value == "Update rounds"
    assert at.selectbox(key="round_choice").value == "November 2020"
    texts = _texts(at)
    assert "0 of 3 actions reported; outstanding, overdue since 24 Nov 2020: D2, D3 and V2." in [
        t.strip("*") for t in texts
    ]
    leads = _table(at, "Lead")
    assert [(r["Actions"], r["State"]) for r in leads] == [
        ("D3", "✕ Overdue: D3"),
        ("D2", "✕ Overdue: D2"),
        ("V2", "✕ Overdue: V2"),
    ]
    actions = _table(at, "Ref")
    assert [(r["Ref"], r["State"], r["Latest update"]) for r in actions] == [
        ("D2", "✕ Overdue", "13 Oct 2020"),
        ("D3", "✕ Overdue", "14 Oct 2020"),
        ("V2", "✕ Overdue", "16 Oct 2020"),
    ]
    # The reminders are previewed, one per lead, each with its template; without a mail server nothing can go.
    previews = [unescape_literal(e.label) for e in at.expander if e.label.startswith("To ")]
    assert previews == [
        "To Apprenticeships Lead: D3",
        "To Career Pathways Lead: D2",
        "To Conference and Awards Lead: V2",
    ]
    assert any("TRACKER_SMTP_URL" in t for t in texts)
    assert not [b for b in at.button if b.key == "send_reminders"]


def test_a_closed_round_reads_as_it_closed(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE, round="April 2020")
    _ok(at)
    assert at.selectbox(key="round_choice").value == "April 2020"
    actions = _table(at, "Ref")
    assert [(r["Ref"], r["State"]) for r in actions] == [
        ("D1", "✔ Reported 20 Apr 2020"),
        ("D2", "✔ Reported 21 Apr 2020"),
        ("D3", "✔ Reported 22 Apr 2020"),
        ("V1", "✔ Reported 23 Apr 2020"),
        ("V2", "✔ Reported 24 Apr 2020"),
    ]
    assert not [e for e in at.expander if e.label.startswith("To ")]  # no reminders for a closed round
    assert not [b for b in at.button if b.key == "close_round"]


def test_an_administrator_opens_then_closes_a_round(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE)
    assert at.multiselect(key="round_refs").value == ["D2", "D3", "V2"]  # not complete, not withdrawn
    at.text_input(key="round_name").input("December 2020")
    at.date_input(key="round_from").set_value(date(2020, 12, 1))
    at.date_input(key="round_due").set_value(date(2020, 12, 18))
    at.multiselect(key="round_refs").set_value(["D2", "V2"])
    at.button[[b.label for b in at.button].index("Open the round")].click().run()
    _ok(at)
    assert any("Opened round December 2020" in t for t in _texts(at))
    assert at.selectbox(key="round_choice").value == "December 2020"
    with Session(open_engine(db)) as s:
        status = round_status(session=s, name="December 2020")
    assert [a.ref for a in status.actions] == ["D2", "V2"]

    at.button(key="close_round").click().run()
    _ok(at)
    assert any("Closed round December 2020: 0 of 2 expected actions reported" in t for t in _texts(at))
    with Session(open_engine(db)) as s:
        closed = [r for r in list_rounds(session=s) if r.name == "December 2020"]
    assert closed[0].closed_at is not None


@pytest.mark.parametrize(
    ("due", "name", "message"),
    [
        (date(2020, 12, 18), "", "a round needs a name"),
        (date(2020, 12, 18), "november 2020", "there is already a round called 'november 2020'"),
        (date(2020, 12, 1) - timedelta(days=3), "Late", "is before the round's first day"),
    ],
)
def test_a_bad_round_is_refused_with_why_and_nothing_written(
    monkeypatch: pytest.MonkeyPatch, db: str, due: date, name: str, message: str
) -> None:
    with Session(open_engine(db)) as s:
        before = len(list_rounds(session=s))
    at = open_app(monkeypatch, db, page=PAGE)
    at.text_input(key="round_name").input(name)
    at.date_input(key="round_from").set_value(date(2020, 12, 1))
    at.date_input(key="round_due").set_value(due)
    at.button[[b.label for b in at.button].index("Open the round")].click().run()
    _ok(at)
    assert any(message in unescape_literal(e.value) for e in at.error), [e.value for e in at.error]
    with Session(open_engine(db)) as s:
        assert len(list_rounds(session=s)) == before


def test_a_lead_sees_their_part_then_reported_after_their_upload(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page=PAGE, as_user=LEAD, role="lead")
    _ok(at)
    assert any(t.startswith("Yours: D2, overdue: due by 24 Nov 2020.") for t in _texts(at))
    (button,) = [b for b in at.get("download_button") if b.proto.label.startswith("Download the template")]
    assert button.proto.label == "Download the template for D2"
    # A lead reads the round but cannot open, close or remind.
    assert not [e for e in at.expander if e.label.startswith(("To ", "Open a round"))]
    assert not [b for b in at.button if b.key in ("close_round", "send_reminders")]

    _report_d2(db, date(2020, 11, 10))
    at = open_app(monkeypatch, db, page=PAGE, as_user=LEAD, role="lead")
    assert "Your actions in this round (D2) have all reported." in _texts(at)
    actions = {r["Ref"]: r["State"] for r in _table(at, "Ref")}
    assert actions == {"D2": "✔ Reported 10 Nov 2020", "D3": "✕ Overdue", "V2": "✕ Overdue"}


def test_an_update_dated_outside_the_round_does_not_count(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    _report_d2(db, date(2020, 11, 25))  # the day after the due date
    at = open_app(monkeypatch, db, page=PAGE)
    actions = {r["Ref"]: (r["State"], r["Latest update"]) for r in _table(at, "Ref")}
    assert actions["D2"] == ("✕ Overdue", "25 Nov 2020")


@pytest.mark.parametrize("page", ["pages/home.py", "pages/upload.py"])
def test_a_lead_sees_the_round_and_their_template_on_home_and_upload(
    monkeypatch: pytest.MonkeyPatch, db: str, page: str
) -> None:
    at = open_app(monkeypatch, db, page=page, as_user=LEAD, role="lead")
    _ok(at)
    assert "Round November 2020: your action overdue, was due by 24 Nov 2020 (D2)." in [
        unescape_literal(w.value) for w in at.warning
    ]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download your template for D2" in labels
    _report_d2(db, date(2020, 11, 20))
    at = open_app(monkeypatch, db, page=page, as_user=LEAD, role="lead")
    assert "Round November 2020: your action reported. Thank you." in [unescape_literal(s.value) for s in at.success]
    assert "Download your template for D2" not in [b.proto.label for b in at.get("download_button")]


def test_everyone_else_sees_where_the_open_round_stands_on_home(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    at = open_app(monkeypatch, db, page="pages/home.py", as_user="viewer@demo.ac.uk", role="viewer")
    _ok(at)
    assert any(t.startswith("Round November 2020 is open: 0 of 3 actions reported") for t in _texts(at))


def test_reminders_sent_from_the_page_reach_the_mail_server(
    monkeypatch: pytest.MonkeyPatch, db: str, mailbox: Mailbox
) -> None:
    monkeypatch.setenv("TRACKER_SMTP_URL", mailbox.url)
    tracker.config.get_settings.cache_clear()
    at = open_app(monkeypatch, db, page=PAGE)
    at.button(key="send_reminders").click().run()
    _ok(at)
    assert any("Sent 3 reminders" in t for t in _texts(at)), _texts(at)
    assert mailbox.recipients == [
        "apprentices.lead@demo.ac.uk",
        "careers.lead@demo.ac.uk",
        "events.lead@demo.ac.uk",
    ]
    # The previews now say each lead was reminded today, and the button is gone: not twice in a day.
    previews = [unescape_literal(e.label) for e in at.expander if e.label.startswith("To ")]
    assert all("reminded today at" in p for p in previews), previews
    assert not [b for b in at.button if b.key == "send_reminders"]
    sent_at = {r["Lead"]: r["Last reminded"] for r in _table(at, "Lead")}
    assert set(sent_at.values()) == {f"{datetime.now().date():%-d %b %Y}"}
