"""Update-round reminders against a real SMTP server (issue 15): `python -m tracker round status|remind` on a copy of
the demo database, with aiosmtpd on a free local port keeping every message it accepts.

The demo's open round is "November 2020" (1 to 24 Nov 2020, meeting 1 Dec 2020), expecting D2 (careers.lead), D3
(apprentices.lead) and V2 (events.lead), none reported. The command line sees it as of today, long after its due
date, so the reminders are sent as overdue; the once-a-day guard counts today.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

import tracker.config
import tracker.db
import tracker.rounds
from tests.smtputil import Mailbox, free_port
from tests.test_cli_users import session as database
from tests.test_rounds import ADMIN, LEAD_A, LEAD_B, open_may, setup_plan, who
from tracker.cli import main
from tracker.ingest.updates import PROGRESS_COLUMNS
from tracker.mail import MailServer
from tracker.models import AuditEvent, RoundReminder
from tracker.rounds import RemindResult, send_reminders
from tracker.users import assign_actions

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
CAREERS, APPRENTICES, EVENTS = "careers.lead@demo.ac.uk", "apprentices.lead@demo.ac.uk", "events.lead@demo.ac.uk"
ADMIN_DEMO = "admin@demo.ac.uk"
REPLY_TO, MAIL_FROM = "technicians@demo.ac.uk", "tracker@demo.ac.uk"
PUBLIC_URL = "https://tracker.demo.ac.uk"
PASSWORD = "s3cret-Pa55"


@pytest.fixture(autouse=True)
def mail_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reply-To, From and the public URL set; no mail server unless a test sets one (`use`)."""
    for name in ("SMTP_URL", "DATABASE_URL", "INSTITUTION"):
        monkeypatch.delenv(f"TRACKER_{name}", raising=False)
    monkeypatch.setenv("TRACKER_REPLY_TO", REPLY_TO)
    monkeypatch.setenv("TRACKER_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("TRACKER_PUBLIC_URL", PUBLIC_URL + "/")
    tracker.config.get_settings.cache_clear()


def use(monkeypatch: pytest.MonkeyPatch, smtp_url: str) -> None:
    monkeypatch.setenv("TRACKER_SMTP_URL", smtp_url)
    tracker.config.get_settings.cache_clear()


# --- the command line and the database --------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], db: str, *args: str | Path) -> tuple[int, str, str]:
    """`python -m tracker --db DB ARGS…` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(["--db", db, *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def status_json(capsys: pytest.CaptureFixture[str], db: str, *name: str) -> dict[str, dict[str, Any]]:
    code, out, err = cli(capsys, db, "round", "status", *name, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    return {r["ref"]: r for r in rows}


def lines(text: str) -> list[str]:
    return sorted(line for line in text.splitlines() if line)


def sent_record(db: str) -> tuple[list[tuple[str, list[str]]], list[tuple[str, str, str]]]:
    """What the database says was sent: round_reminder rows (email, refs) and reminder_sent audit events (actor,
    target, refs)."""
    with database(db) as s:
        rows = s.exec(select(RoundReminder).order_by(col(RoundReminder.email))).scalars()  # type: ignore[call-overload]
        reminded = [(r.email, list(r.refs)) for r in rows]
        q = select(AuditEvent).where(col(AuditEvent.action) == "reminder_sent").order_by(col(AuditEvent.target))
        events = [(e.actor, e.target, e.after) for e in s.exec(q).scalars()]  # type: ignore[call-overload]
    return reminded, events


def audit_text(db: str) -> str:
    with database(db) as s:
        return "\n".join(
            f"{e.target} {e.before} {e.after} {e.detail}"
            for e in s.exec(select(AuditEvent)).scalars()  # type: ignore[call-overload]
        )


def give(db: str, email: str, *refs: str) -> None:
    """Make `email` a lead of `refs` too (as an administrator would on the Users page)."""
    with database(db) as s:
        assign_actions(session=s, email=email, refs=refs)
        s.commit()


def updates_file(tmp_path: Path, make_xlsx: MakeXlsx, name: str, *rows: tuple[str, date, str, int]) -> Path:
    path = tmp_path / name
    body = [[ref, datetime.combine(d, datetime.min.time()), st, pct, f"{ref} moving", None] for ref, d, st, pct in rows]
    path.write_bytes(make_xlsx({"Progress": [list(PROGRESS_COLUMNS), *body]}))
    return path


def progress_refs(message: EmailMessage) -> list[str]:
    """The refs pre-filled on the Progress sheet of the message's one attachment, which must be an .xlsx."""
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert str(part.get_filename()).endswith(".xlsx")
    data = part.get_content()
    assert isinstance(data, bytes)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [str(row[0]) for row in wb["Progress"].iter_rows(min_row=2, values_only=True) if row[0] is not None]


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None and part.get_content_type() == f"text/{kind}", f"no text/{kind} part"
    return str(part.get_content())


# --- round status -----------------------------------------------------------------------------------------


def test_status_before_and_after_the_leads_upload(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, make_xlsx: MakeXlsx
) -> None:
    before = status_json(capsys, db)
    assert before == status_json(capsys, db, "November 2020")  # without a name: the newest open round
    assert list(before) == ["D2", "D3", "V2"]
    assert {r: row["leads"] for r, row in before.items()} == {"D2": [CAREERS], "D3": [APPRENTICES], "V2": [EVENTS]}
    for row in before.values():
        assert row["reported"] is False and row["reported_on"] is None
        assert row["last_update"] < "2020-11-01" and row["status"]  # the latest update, from an earlier round
        assert row["state"] == "overdue" and row["overdue"] is True  # today is long past 24 Nov 2020

    # D2's lead reports within the round; D3 gets an update dated the day before it opened (by an administrator),
    # V2 one dated the day after its due date: neither of those counts.
    d2 = updates_file(tmp_path, make_xlsx, "d2.xlsx", ("D2", date(2020, 11, 10), "On track", 90))
    code, out, err = cli(capsys, db, "load", d2, "--as", CAREERS)
    assert code == 0 and "loaded as updates" in out, err
    late = updates_file(
        tmp_path,
        make_xlsx,
        "late.xlsx",
        ("D3", date(2020, 10, 31), "At risk", 60),
        ("V2", date(2020, 11, 25), "Delayed", 70),
    )
    code, out, err = cli(capsys, db, "load", late)
    assert code == 0 and "loaded as updates" in out, err

    after = status_json(capsys, db)
    assert after["D2"] == {
        **before["D2"],
        "reported": True,
        "reported_on": "2020-11-10",
        "last_update": "2020-11-10",
        "status": "on track",
        "state": "reported",
        "overdue": False,
    }
    assert (after["D3"]["reported"], after["D3"]["last_update"], after["D3"]["status"]) == (
        False,
        "2020-10-31",
        "at risk",
    )
    assert (after["V2"]["reported"], after["V2"]["last_update"], after["V2"]["status"]) == (
        False,
        "2020-11-25",
        "delayed",
    )

    code, table, err = cli(capsys, db, "round", "status")
    assert code == 0, err
    assert "November 2020 (due 24 Nov 2020)" in table and "1 of 3 actions reported" in table
    code, csv_text, err = cli(capsys, db, "round", "status", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["ref"] for r in rows] == ["D2", "D3", "V2"] and [r["leads"] for r in rows] == [
        CAREERS,
        APPRENTICES,
        EVENTS,
    ]
    assert [r["reported"] for r in rows] == [str(after[r]["reported"]) for r in ("D2", "D3", "V2")]
    # A closed round, by name: everything it expected had reported.
    closed = status_json(capsys, db, "october 2020")
    assert closed and all(r["reported"] and r["state"] == "reported" for r in closed.values())
    code, _, err = cli(capsys, db, "round", "status", "December 2020")
    assert code == 2 and "no round called 'December 2020'" in err and "'November 2020'" in err


def test_open_a_round_on_the_command_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, db, "round", "open", "December 2020", "--from", "2020-12-01", "--due", "2020-12-18",
        "--meeting", "2021-01-05", "--actions", "v1,D1,d1",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("opened round 'December 2020': updates dated 1 Dec 2020 to 18 Dec 2020, for the meeting")
    assert "expects 2 actions (D1, V1)" in out
    assert list(status_json(capsys, db)) == ["D1", "V1"]  # the newest open round now
    assert list(status_json(capsys, db, "November 2020")) == ["D2", "D3", "V2"]
    for args, words in [
        (["November  2020", "--from", "2020-12-01", "--due", "2020-12-24"], "already a round called 'November 2020'"),
        (["Later", "--from", "2021-01-10", "--due", "2021-01-09"], "is before the round's first day"),
        (["Later", "--from", "2021-01-01", "--due", "2021-01-24", "--actions", "D1,X9"], "no action X9"),
        (["Later", "--from", "2021-01-01", "--due", "2021-01-24", "--actions", ","], "no actions named"),
    ]:
        code, out, err = cli(capsys, db, "round", "open", *args)
        assert code == 2 and words in err and out == "", (args, err)
    code, out, err = cli(capsys, db, "show", "rounds", "--format", "json")
    assert code == 0, err
    assert [r["name"] for r in json.loads(out)][:2] == ["December 2020", "November 2020"]
    assert len(json.loads(out)) == 10  # the demo's nine, and December; nothing from the refused ones


def test_everyone_may_read_a_round_but_only_an_administrator_reminds(
    db: str, capsys: pytest.CaptureFixture[str], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, mailbox.url)
    code, out, err = cli(capsys, db, "--as", "viewer@demo.ac.uk", "round", "status")
    assert code == 0 and "November 2020" in out, err
    for who_ in (CAREERS, "board@demo.ac.uk", "viewer@demo.ac.uk"):
        code, out, err = cli(capsys, db, "--as", who_, "round", "remind")
        assert code == 2 and err.startswith("refused:") and "send reminders" in err
        code, out, err = cli(capsys, db, "--as", who_, "round", "close")
        assert code == 2 and err.startswith("refused:")
    assert mailbox.received == [] and sent_record(db) == ([], [])


# --- reminders --------------------------------------------------------------------------------------------


def test_remind_sends_each_lead_one_email_with_their_outstanding_actions(
    db: str, capsys: pytest.CaptureFixture[str], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    give(db, CAREERS, "D3")  # careers.lead now leads D2 and D3 (D3 with apprentices.lead)
    use(monkeypatch, mailbox.url)
    expected = [f"{APPRENTICES}: D3", f"{CAREERS}: D2, D3", f"{EVENTS}: V2"]

    code, out, err = cli(capsys, db, "round", "remind", "--dry-run")
    assert code == 0, err
    assert lines(out) == expected and "nothing sent" in err
    assert mailbox.received == [] and sent_record(db) == ([], [])

    code, out, err = cli(capsys, db, "--as", ADMIN_DEMO, "round", "remind")
    assert code == 0, err
    assert lines(out) == expected
    assert "3 sent" in err
    assert mailbox.recipients == [APPRENTICES, CAREERS, EVENTS]  # one each: every envelope has one recipient
    assert all(len(tos) == 1 for tos, _ in mailbox.received)
    outstanding = {APPRENTICES: ["D3"], CAREERS: ["D2", "D3"], EVENTS: ["V2"]}
    for lead, refs in outstanding.items():
        m = mailbox.to(lead)
        assert lead in str(m["To"]) and MAIL_FROM in str(m["From"])
        assert str(m["Reply-To"]) == REPLY_TO
        assert "November 2020" in str(m["Subject"]) and ", ".join(refs) in str(m["Subject"])
        text, html = body(m, "plain"), body(m, "html")
        for part in (text, html):
            assert all(ref in part for ref in refs)
            assert not any(other in part for other in {"D2", "D3", "V2"} - set(refs))
            assert "24 Nov 2020" in part and "1 Dec 2020" in part  # the due date and the meeting
            assert f"{PUBLIC_URL}/upload" in part
        assert f'href="{PUBLIC_URL}/upload"' in html
        assert progress_refs(m) == refs  # the lead's template, pre-filled with exactly their outstanding refs

    reminded, events = sent_record(db)
    assert reminded == [(APPRENTICES, ["D3"]), (CAREERS, ["D2", "D3"]), (EVENTS, ["V2"])]
    assert events == [(ADMIN_DEMO, APPRENTICES, "D3"), (ADMIN_DEMO, CAREERS, "D2, D3"), (ADMIN_DEMO, EVENTS, "V2")]

    # The same day again: nobody is reminded twice.
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 0, err
    assert out == "" and err.count("reminded today already") == 3 and "0 sent" in err
    assert len(mailbox.received) == 3 and sent_record(db) == (reminded, events)
    code, out, err = cli(capsys, db, "round", "remind", "--dry-run")
    assert code == 0 and out == "" and err.count("reminded today already") == 3


def test_reply_to_is_the_administrator_when_not_set(
    db: str, capsys: pytest.CaptureFixture[str], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_REPLY_TO")
    monkeypatch.delenv("TRACKER_PUBLIC_URL")
    use(monkeypatch, mailbox.url)
    code, _, err = cli(capsys, db, "--as", ADMIN_DEMO, "round", "remind")
    assert code == 0, err
    assert len(mailbox.received) == 3
    assert {str(m["Reply-To"]) for _, m in mailbox.received} == {ADMIN_DEMO}
    assert not any("http" in body(m, "plain") for _, m in mailbox.received)  # no public URL, no link


def test_a_leads_upload_takes_them_out_of_the_reminders(
    db: str,
    capsys: pytest.CaptureFixture[str],
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    make_xlsx: MakeXlsx,
) -> None:
    give(db, CAREERS, "D3")
    use(monkeypatch, mailbox.url)
    d2 = updates_file(tmp_path, make_xlsx, "d2.xlsx", ("D2", date(2020, 11, 24), "On track", 95))  # the due date
    code, out, err = cli(capsys, db, "load", d2, "--as", CAREERS)
    assert code == 0, err

    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 0, err
    assert lines(out) == [f"{APPRENTICES}: D3", f"{CAREERS}: D3", f"{EVENTS}: V2"]
    assert progress_refs(mailbox.to(CAREERS)) == ["D3"]  # D2 is reported: not asked for again
    assert "D2" not in body(mailbox.to(CAREERS), "plain")

    # careers.lead reports D3 too: all done, so not even listed as reminded today.
    d3 = updates_file(tmp_path, make_xlsx, "d3.xlsx", ("D3", date(2020, 11, 1), "Complete", 100))  # the first day
    code, out, err = cli(capsys, db, "load", d3, "--as", CAREERS)
    assert code == 0, err
    code, out, err = cli(capsys, db, "round", "remind", "--dry-run")
    assert code == 0, err
    assert out == "" and CAREERS not in err and EVENTS in err  # D3 is reported for apprentices.lead too
    assert APPRENTICES not in err
    status = status_json(capsys, db)
    assert {r: row["reported"] for r, row in status.items()} == {"D2": True, "D3": True, "V2": False}


def test_no_mail_server_set(db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 2 and out == ""
    assert "no mail server is set" in err and "TRACKER_SMTP_URL" in err and "--dry-run" in err
    code, out, err = cli(capsys, db, "round", "remind", "--dry-run")  # a dry run needs no server
    assert code == 0 and lines(out) == [f"{APPRENTICES}: D3", f"{CAREERS}: D2", f"{EVENTS}: V2"]
    # A setting that is not an smtp:// URL is named, without its password (before: a traceback with --db).
    use(monkeypatch, f"https://tracker:{PASSWORD}@mail.demo.ac.uk")
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 2 and err.startswith("error: TRACKER_SMTP_URL: ") and "smtp://" in err
    assert PASSWORD not in err
    assert sent_record(db) == ([], [])


def test_a_closed_round_is_not_reminded(
    db: str, capsys: pytest.CaptureFixture[str], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, mailbox.url)
    code, out, err = cli(capsys, db, "round", "close")
    assert code == 0 and "closed round 'November 2020': 0 of 3" in out, err
    code, out, err = cli(capsys, db, "round", "remind", "October 2020", "--dry-run")
    assert code == 2 and "is closed" in err
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 2 and "no round is open" in err
    assert mailbox.received == []


# --- the server's password, and servers that fail --------------------------------------------------------


def test_the_password_is_used_and_never_shown(
    db: str, capsys: pytest.CaptureFixture[str], start_mailbox: Callable[..., Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    box = start_mailbox(login=("tracker@demo.ac.uk", PASSWORD + "/x"))
    # User and password percent-encoded in the URL, as the setting documents.
    wrong = f"smtp://tracker%40demo.ac.uk:wr0ng-Pa55@127.0.0.1:{box.port}"
    use(monkeypatch, wrong)
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 1 and out == ""
    assert f"smtp://tracker%40demo.ac.uk@127.0.0.1:{box.port} refused the user name or password: 535" in err
    assert "no reminder was sent" in err and "wr0ng" not in err
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN): every try refused.
    assert box.logins and set(box.logins) == {("tracker@demo.ac.uk", False)} and box.received == []
    assert sent_record(db) == ([], [])

    use(monkeypatch, f"smtp://tracker%40demo.ac.uk:{PASSWORD}%2Fx@127.0.0.1:{box.port}")
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 0, err
    assert box.logins[-1] == ("tracker@demo.ac.uk", True)
    assert len(box.received) == 3 and len(sent_record(db)[0]) == 3
    assert PASSWORD not in out + err
    assert PASSWORD not in audit_text(db)
    assert f"through smtp://tracker%40demo.ac.uk@127.0.0.1:{box.port}" in audit_text(db)


def test_a_server_that_refuses_every_message_records_nothing_as_sent(
    db: str, capsys: pytest.CaptureFixture[str], start_mailbox: Callable[..., Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = start_mailbox(refuse="554 5.7.1 rejected")
    use(monkeypatch, refusing.url)
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 1 and out == ""
    for lead in (APPRENTICES, CAREERS, EVENTS):
        assert f"error: {lead}: not sent: {refusing.url} refused the message: 554 5.7.1 rejected" in err
    assert "0 sent" in err
    assert refusing.received == [] and sent_record(db) == ([], [])

    # Nothing was recorded, so a working server today sends all three.
    working = start_mailbox()
    use(monkeypatch, working.url)
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 0, err
    assert working.recipients == [APPRENTICES, CAREERS, EVENTS]


def test_a_refused_recipient_is_not_recorded_the_others_are(
    db: str, capsys: pytest.CaptureFixture[str], start_mailbox: Callable[..., Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    box = start_mailbox(refuse_rcpt=CAREERS)
    use(monkeypatch, box.url)
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 1
    assert lines(out) == [f"{APPRENTICES}: D3", f"{EVENTS}: V2"]
    assert f"error: {CAREERS}: not sent: {box.url} refused the recipient" in err and "550" in err
    assert box.recipients == [APPRENTICES, EVENTS]
    reminded, events = sent_record(db)
    assert [r[0] for r in reminded] == [APPRENTICES, EVENTS] and [e[1] for e in events] == [APPRENTICES, EVENTS]

    box.refuse_rcpt = ""
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 0, err
    assert lines(out) == [f"{CAREERS}: D2"] and err.count("reminded today already") == 2
    assert box.recipients == [APPRENTICES, CAREERS, EVENTS]


def test_an_unreachable_server_says_so_and_records_nothing(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    use(monkeypatch, f"smtp://someone:{PASSWORD}@127.0.0.1:{port}")
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 1 and out == ""
    assert f"error: cannot reach smtp://someone@127.0.0.1:{port}: connection refused; no reminder was sent" in err
    assert PASSWORD not in err
    assert sent_record(db) == ([], [])


def test_tls_to_a_server_that_speaks_none_says_so(
    db: str, capsys: pytest.CaptureFixture[str], mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, f"smtps://someone:{PASSWORD}@127.0.0.1:{mailbox.port}")
    code, out, err = cli(capsys, db, "round", "remind")
    assert code == 1 and out == ""
    assert f"error: cannot reach smtps://someone@127.0.0.1:{mailbox.port}: TLS failed" in err
    assert PASSWORD not in err and mailbox.received == []
    assert sent_record(db) == ([], [])


# --- two administrators reminding at once -------------------------------------------------------------------


def test_two_reminding_at_once_send_each_lead_one_email(
    shared_engine: Engine, start_mailbox: Callable[..., Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both plan every reminder before either claims one (they meet at a barrier on the way to the server), so
    the database's once-a-day rule is all that stands between each lead and a second email."""
    today = date(2024, 5, 10)
    with Session(shared_engine, expire_on_commit=False) as s:
        setup_plan(s)
        open_may(s)
        admin = who(s, ADMIN)
    box = start_mailbox(delay=0.2)  # each email takes a moment: the other is trying meanwhile
    server = MailServer.parse(box.url)
    real_connect = tracker.rounds.connect
    barrier = threading.Barrier(2, timeout=30)

    @contextmanager
    def connect_together(server: MailServer) -> Iterator[Any]:
        barrier.wait()
        with real_connect(server) as mailer:
            yield mailer

    monkeypatch.setattr(tracker.rounds, "connect", connect_together)
    results: list[RemindResult] = []
    errors: list[BaseException] = []

    def remind() -> None:
        try:
            with Session(shared_engine, expire_on_commit=False) as s:
                results.append(send_reminders(session=s, actor=admin, today=today, server=server))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=remind) for _ in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 2
    assert box.recipients == [LEAD_A, LEAD_B]  # one email each, whoever sent it
    sent = sorted(r.to for res in results for r in res.sent)
    skipped = sorted(r.to for res in results for r in res.skipped)
    assert sent == [LEAD_A, LEAD_B] and skipped == [LEAD_A, LEAD_B]
    assert all(not res.failed for res in results)
    with Session(shared_engine) as s:
        rows = s.exec(select(RoundReminder.email, RoundReminder.refs)).all()  # type: ignore[call-overload]
        assert sorted((e, list(r)) for e, r in rows) == [(LEAD_A, ["D1", "D2"]), (LEAD_B, ["V1"])]
        n = s.exec(select(func.count()).select_from(AuditEvent).where(col(AuditEvent.action) == "reminder_sent"))  # type: ignore[call-overload]
        assert n.one()[0] == 2
    assert time.monotonic() - started < 30
