"""`load_file` end to end on SQLite and PostgreSQL: all or nothing, upload records, duplicates, re-imports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from tracker import queries
from tracker.demo import DEMO_USERS, demo_files, load_demo
from tracker.ingest.base import UnreadableFile
from tracker.ingest.reader import read_workbook
from tracker.ingest.updates import EVIDENCE_COLUMNS, MEASURE_COLUMNS, PROGRESS_COLUMNS
from tracker.load import detect_kind, load_file
from tracker.models import (
    ROLES,
    Action,
    ActionRevision,
    Evidence,
    Measure,
    MeasureValue,
    Plan,
    ProgressUpdate,
    Upload,
    User,
    UserAction,
    WorkforceRecord,
)
from tracker.plans import current_plan
from tracker.records import MeasurePoint, WorkforceCell
from tracker.users import list_users

MakeXlsx = Callable[[dict[str, list[list[Any]]]], bytes]
TODAY = date(2019, 12, 1)
DATA_TABLES: tuple[type[SQLModel], ...] = (
    Plan,
    Action,
    ActionRevision,
    ProgressUpdate,
    Evidence,
    Measure,
    MeasureValue,
    WorkforceRecord,
    User,
    UserAction,
)
P = list(PROGRESS_COLUMNS)
E = list(EVIDENCE_COLUMNS)
M = list(MEASURE_COLUMNS)
PLAN_HEADER = ["Theme", "Purpose", "Activity", "Impact", "Who", "V", "R", "C", "S"]
PLAN_TITLE = [["Organisation: Test University"], ["24-month action plan, November 2018 – October 2020"], []]
PLAN_V1 = [
    *PLAN_TITLE,
    PLAN_HEADER,
    [
        "Understand",
        "Know our skills",
        "Skills survey",
        "Skills mapped (Evidence: survey report)",
        "HR",
        "X",
        None,
        None,
        "X",
    ],
    ["Develop", "Share practice", "Communities of practice", "More CPD", "HR/Deans", "X", None, "X", "X"],
    ["Develop", "Progression", "Career pathways", "Clarity", "HR", None, "X", "X", "X"],
]
WORKFORCE_CSV = (
    b"As at,Faculty,Sex,FTE\r\n"
    b"31/07/2018,Engineering,M,1\r\n"
    b"31/07/2018,Engineering,M,0.5\r\n"
    b"31/07/2018,Engineering,F,1\r\n"
    b"31/07/2018,Life Sciences,Female,0.8\r\n"
)


def counts(session: Session) -> dict[str, int]:
    return {t.__name__: session.exec(select(func.count()).select_from(t)).scalar_one() for t in DATA_TABLES}  # type: ignore[call-overload]


def uploads(session: Session) -> list[Upload]:
    return list(session.exec(select(Upload).order_by(Upload.id)).scalars())  # type: ignore[call-overload]


@pytest.fixture
def session(engine: Engine) -> Any:
    with Session(engine) as s:
        yield s


def load_plan_v1(session: Session, make_xlsx: MakeXlsx) -> None:
    out = load_file(make_xlsx({"Plan": PLAN_V1}), filename="plan.xlsx", session=session)
    assert out.outcome == "loaded", out.result and out.result.issue_lines()


# --- loading and reading back -----


def test_plan_updates_workforce_round_trip(session: Session, make_xlsx: MakeXlsx) -> None:
    out = load_file(make_xlsx({"Plan": PLAN_V1}), filename="plan.xlsx", session=session, uploaded_by="admin@x")
    assert (out.outcome, out.kind, out.counts["added"]) == ("loaded", "plan", 3)
    plan = current_plan(session=session)
    assert plan is not None
    assert (plan.institution, plan.start_date, plan.months) == ("Test University", date(2018, 11, 1), 24)

    jan = make_xlsx(
        {
            "Progress": [
                P,
                ["U1", datetime(2019, 1, 31), "Green", 20, None, None],
                ["D1", datetime(2019, 1, 31), "Amber", 10, "Rooms", None],
            ]
        }
    )
    mar = make_xlsx(
        {
            "Progress": [
                P,
                ["U1", datetime(2019, 3, 31), "Blue", None, None, None],
                ["D1", datetime(2019, 3, 31), "Green", 35, "Rooms found", "cop@x"],
            ],
            "Measures": [M, ["D1", "COP members", "people", 0, 300, datetime(2019, 3, 31), 120]],
        }
    )
    # An older report arriving late does not hide the newer one.
    feb = make_xlsx({"Progress": [P, ["D1", datetime(2019, 2, 28), "Red", 5, "Rooms lost", None]]})
    for name, data in (("jan.xlsx", jan), ("mar.xlsx", mar), ("feb.xlsx", feb)):
        out = load_file(data, filename=name, session=session, today=TODAY, uploaded_by="lead@x")
        assert (out.outcome, out.kind) == ("loaded", "updates"), out.result and out.result.issue_lines()
    assert out.counts == {"progress_updates": 1, "evidence": 0, "measure_values": 0}

    out = load_file(WORKFORCE_CSV, filename="hr.csv", session=session)
    assert (out.outcome, out.kind) == ("loaded", "workforce"), out.result and out.result.issue_lines()

    actions = queries.list_actions(session=session)
    assert [(a.ref, a.status, a.percent_complete, a.last_update) for a in actions] == [
        ("U1", "complete", 100, date(2019, 3, 31)),
        ("D1", "on track", 35, date(2019, 3, 31)),
        ("D2", "not started", 0, None),
    ]
    assert actions[1].latest_note == "Rooms found"
    assert [(a.pillars, a.owners) for a in actions] == [
        (["V", "S"], ["HR"]),
        (["V", "C", "S"], ["HR", "Deans"]),
        (["R", "C", "S"], ["HR"]),
    ]
    assert actions[0].expected_evidence == ["survey report"]
    assert [(u.ref, u.as_of.isoformat(), u.status, u.reported_by) for u in queries.list_updates(session=session)] == [
        ("U1", "2019-01-31", "on track", "lead@x"),
        ("D1", "2019-01-31", "at risk", "lead@x"),
        ("D1", "2019-02-28", "delayed", "lead@x"),
        ("U1", "2019-03-31", "complete", "lead@x"),
        ("D1", "2019-03-31", "on track", "cop@x"),
    ]
    latest_feb = queries.latest_updates(session=session, as_of=date(2019, 2, 28))
    assert sorted(u.status for u in latest_feb.values()) == ["delayed", "on track"]
    measures = queries.list_measures(session=session)
    assert [(m.ref, m.name, m.target, m.values) for m in measures] == [
        ("D1", "COP members", 300.0, [MeasurePoint(date(2019, 3, 31), 120.0)])
    ]
    snap = date(2018, 7, 31)
    assert queries.workforce_by_faculty(session=session) == [
        WorkforceCell(snap, "Engineering", "Female", 1, 1.0),
        WorkforceCell(snap, "Engineering", "Male", 2, 1.5),
        WorkforceCell(snap, "Life Sciences", "Female", 1, 0.8),
    ]
    ups = queries.list_uploads(session=session)
    assert [(u.filename, u.kind, u.outcome, u.rows_accepted) for u in ups] == [
        ("hr.csv", "workforce", "loaded", 3),
        ("feb.xlsx", "updates", "loaded", 1),
        ("mar.xlsx", "updates", "loaded", 3),
        ("jan.xlsx", "updates", "loaded", 2),
        ("plan.xlsx", "plan", "loaded", 3),
    ]
    stored = uploads(session)
    assert stored[0].uploaded_by == "admin@x"
    assert all(u.content is not None and len(u.content) == u.size_bytes for u in stored)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (PLAN_HEADER, "plan"),
        (P, "updates"),
        (E, "updates"),
        (M, "updates"),
        (["Action", "As of", "RAG", "Comments"], "updates"),
        (["As at", "Faculty", "Sex", "FTE"], "workforce"),
        (["Faculty", "Grade", "Gender", "Headcount"], "workforce"),
        # Plans that carry a Status column are still plans.
        (["Ref", "Activity", "Who", "Due", "Status", "Progress"], "plan"),
        (["Ref", "Action", "Lead", "Timescale", "Status"], "plan"),
        (["Ref", "Planned action", "Owner", "Date", "RAG status"], "plan"),
        (["Colour", "Size"], None),
    ],
)
def test_detect_kind(make_xlsx: MakeXlsx, header: list[str], kind: str | None) -> None:
    data = make_xlsx({"Sheet": [["A title"], header, ["x"] * len(header)]})
    assert detect_kind(read_workbook(data, filename="f.xlsx")) == kind


def test_detect_kind_of_demo_files() -> None:
    assert [(k, detect_kind(read_workbook(path))) for k, path in demo_files()] == [(k, k) for k, _ in demo_files()]


# --- all or nothing -----

BAD_FILES = {
    "plan": (
        "plan.xlsx",
        {
            "Plan": [
                *PLAN_TITLE,
                PLAN_HEADER,
                ["Value", "Celebrate", "Awards", "", "OD", "X"],
                ["Value", None, None, "Impact", "OD", "X"],
            ]
        },
        ("required", 6, "Activity"),
    ),
    "updates": (
        "u.xlsx",
        {
            "Progress": [
                P,
                ["U1", datetime(2019, 5, 31), "Green", 50, None, None],
                ["D1", datetime(2019, 5, 31), "Purple", 50, None, None],
            ]
        },
        ("bad_status", 3, "Status"),
    ),
    "evidence": (
        "e.xlsx",
        {
            "Evidence": [
                E,
                ["U1", datetime(2019, 5, 31), "Survey", "document", None, None, None, None],
                ["D2", datetime(2019, 5, 31), "Report", "document", None, None, None, 999],
            ]
        },
        ("unknown_evidence", 3, "Supersedes ID"),
    ),
    "measures": (
        "m.xlsx",
        {
            "Measures": [
                M,
                ["U1", "Responses", "people", 0, 500, datetime(2019, 5, 31), 200],
                ["U1", "Responses", None, None, None, datetime(2019, 6, 30), "lots"],
            ]
        },
        ("bad_number", 3, "Value"),
    ),
    "workforce": (
        "hr.xlsx",
        {
            "HR": [
                ["As at", "Faculty", "Sex", "FTE"],
                [datetime(2019, 7, 31), "Engineering", "F", 1],
                [datetime(2019, 7, 31), "Engineering", "M", "lots"],
            ]
        },
        (None, 3, "FTE"),
    ),
}


@pytest.mark.parametrize("which", BAD_FILES.keys())
def test_a_file_with_any_error_writes_nothing(session: Session, make_xlsx: MakeXlsx, which: str) -> None:
    load_plan_v1(session, make_xlsx)
    good = make_xlsx({"Progress": [P, ["U1", datetime(2019, 1, 31), "Green", 20, None, None]]})
    assert load_file(good, filename="good.xlsx", session=session, today=TODAY).outcome == "loaded"
    assert load_file(WORKFORCE_CSV, filename="hr.csv", session=session).outcome == "loaded"
    before = counts(session)
    n_uploads = len(uploads(session))

    name, sheets, (code, row, column) = BAD_FILES[which]
    data = make_xlsx(sheets)
    out = load_file(data, filename=name, session=session, today=TODAY, uploaded_by="lead@x")

    assert out.outcome == "rejected"
    assert out.ok is False
    assert counts(session) == before
    ups = uploads(session)
    assert len(ups) == n_uploads + 1
    up = ups[-1]
    assert (up.id, up.filename, up.outcome, up.uploaded_by, up.rows_accepted) == (
        out.upload_id,
        name,
        "rejected",
        "lead@x",
        0,
    )
    assert up.content == data
    assert up.size_bytes == len(data)
    assert up.issues_found >= 1
    errors = [i for i in up.issues if i["severity"] == "error"]
    assert errors and (errors[0]["row"], errors[0]["column"]) == (row, column)
    if code is not None:
        assert errors[0]["code"] == code
    assert "nothing was written" in up.message


def test_rejected_upload_is_readable_in_a_new_session(engine: Engine, make_xlsx: MakeXlsx) -> None:
    data = make_xlsx({"Progress": [P, ["U1", datetime(2019, 1, 31), "Green", 20, None, None]]})
    with Session(engine) as s:
        out = load_file(data, filename="early.xlsx", session=s, today=TODAY)
        assert out.outcome == "rejected"
        assert [i.code for i in out.result.issues] == ["no_plan"]  # type: ignore[union-attr]
    with Session(engine) as s:
        assert counts(s) == dict.fromkeys(counts(s), 0)
        (up,) = uploads(s)
        assert (up.outcome, up.kind, up.content) == ("rejected", "updates", data)
        assert [(i["code"], i["row"]) for i in up.issues] == [("no_plan", None)]
        # The same bytes are not a duplicate of a rejected attempt: once the plan is there they load.
        load_plan_v1(s, make_xlsx)
        out = load_file(data, filename="early.xlsx", session=s, today=TODAY)
        assert out.outcome == "loaded"
        assert s.exec(select(func.count()).select_from(ProgressUpdate)).scalar_one() == 1  # type: ignore[call-overload]


def test_same_bytes_twice_is_a_duplicate(session: Session, make_xlsx: MakeXlsx) -> None:
    plan_bytes = make_xlsx({"Plan": PLAN_V1})
    first = load_file(plan_bytes, filename="plan.xlsx", session=session)
    upd = make_xlsx({"Progress": [P, ["U1", datetime(2019, 1, 31), "Green", 20, None, None]]})
    load_file(upd, filename="u.xlsx", session=session, today=TODAY)
    before = counts(session)

    again = load_file(plan_bytes, filename="plan-copy.xlsx", session=session)
    twice = load_file(upd, filename="u.xlsx", session=session, today=TODAY)

    assert (again.outcome, twice.outcome) == ("duplicate", "duplicate")
    assert again.ok
    assert f"already loaded as upload {first.upload_id}" in again.message
    assert counts(session) == before
    ups = uploads(session)
    assert [(u.filename, u.kind, u.outcome, u.duplicate_of) for u in ups[-2:]] == [
        ("plan-copy.xlsx", "plan", "duplicate", first.upload_id),
        ("u.xlsx", "updates", "duplicate", ups[1].id),
    ]
    assert (again.kind, twice.kind) == ("plan", "updates")
    # The bytes are kept once, with the upload that loaded them.
    assert [(u.size_bytes, u.content) for u in ups[-2:]] == [(len(plan_bytes), None), (len(upd), None)]
    assert ups[-2].sha256 == ups[0].sha256
    assert [(a.ref, a.status) for a in queries.list_actions(session=session)] == [
        ("U1", "on track"),
        ("D1", "not started"),
        ("D2", "not started"),
    ]


def test_unreadable_file_raises_and_is_recorded(session: Session) -> None:
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
    with pytest.raises(UnreadableFile) as exc:
        load_file(data, filename="plan.xlsx", session=session)
    assert exc.value.code == "not_spreadsheet"
    assert "PDF" in exc.value.message
    (up,) = uploads(session)
    assert (up.filename, up.outcome, up.content, up.size_bytes) == (
        "plan.xlsx",
        "unreadable",
        data,
        len(data),
    )
    assert "PDF" in up.message
    assert counts(session) == dict.fromkeys(counts(session), 0)


def test_unknown_kind_is_rejected(session: Session) -> None:
    out = load_file(b"Colour,Size\nred,3\n", filename="x.csv", session=session)
    assert out.outcome == "rejected"
    assert [(i.code, i.sheet) for i in out.result.issues] == [("unknown_kind", "x")]  # type: ignore[union-attr]


# --- re-importing a plan -----


def test_reimport_updates_in_place_adds_and_withdraws(session: Session, make_xlsx: MakeXlsx) -> None:
    load_plan_v1(session, make_xlsx)
    ids_v1 = dict(session.exec(select(Action.ref, Action.id)).all())  # type: ignore[call-overload]
    upd = make_xlsx(
        {
            "Progress": [
                P,
                ["U1", datetime(2019, 1, 31), "Green", 20, None, None],
                ["D2", datetime(2019, 1, 31), "Amber", 10, "Waiting for NTDC", None],
            ],
            "Evidence": [
                E,
                ["D2", datetime(2019, 1, 15), "Pathway draft", "document", None, None, None, None],
            ],
        }
    )
    assert load_file(upd, filename="u.xlsx", session=session, today=TODAY).outcome == "loaded"

    v2 = [
        *PLAN_TITLE,
        PLAN_HEADER,
        [
            "Understand",
            "Know our skills",
            "Skills survey and interviews",
            "Skills mapped (Evidence: survey report)",
            "HR",
            "X",
            None,
            None,
            "X",
        ],
        ["Develop", "Share practice", "Communities of practice", "More CPD", "HR/Deans", "X", None, "X", "X"],
        ["Value", "Celebrate", "Annual conference", "Engagement", "OD", "X", "X", None, None],
    ]
    out = load_file(make_xlsx({"Plan": v2}), filename="plan-v2.xlsx", session=session)
    assert out.outcome == "loaded"
    assert out.counts == {"added": 1, "changed": 1, "withdrawn": 1, "restored": 0, "unchanged": 1}
    assert session.exec(select(func.count()).select_from(Plan)).scalar_one() == 1  # type: ignore[call-overload]

    actions = {a.ref: a for a in queries.list_actions(session=session)}
    assert list(actions) == ["U1", "D1", "D2", "V1"]
    assert actions["U1"].activity == "Skills survey and interviews"
    assert (actions["U1"].status, actions["U1"].percent_complete) == ("on track", 20)
    assert actions["D2"].withdrawn is True
    assert (actions["D2"].status, actions["D2"].latest_note) == ("at risk", "Waiting for NTDC")
    assert actions["V1"].withdrawn is False
    assert [a.ref for a in queries.list_actions(session=session, include_withdrawn=False)] == [
        "U1",
        "D1",
        "V1",
    ]

    ids_v2 = dict(session.exec(select(Action.ref, Action.id)).all())  # type: ignore[call-overload]
    assert {r: ids_v2[r] for r in ids_v1} == ids_v1  # same rows: nothing deleted, nothing re-created
    d2 = session.get(Action, ids_v1["D2"])
    assert d2 is not None and d2.withdrawn and d2.withdrawn_at is not None
    assert [e.description for e in queries.list_evidence(session=session)] == ["Pathway draft"]
    u1_updates = session.exec(select(ProgressUpdate).where(ProgressUpdate.action_id == ids_v1["U1"])).scalars().all()  # type: ignore[call-overload]
    assert [u.status for u in u1_updates] == ["on track"]

    revs = session.exec(  # type: ignore[call-overload]
        select(ActionRevision.change, Action.ref, ActionRevision.before, ActionRevision.upload_id)
        .join(Action, Action.id == ActionRevision.action_id)
        .order_by(ActionRevision.id)
    ).all()
    assert [(c, r) for c, r, _, _ in revs] == [
        ("added", "U1"),
        ("added", "D1"),
        ("added", "D2"),
        ("changed", "U1"),
        ("added", "V1"),
        ("withdrawn", "D2"),
    ]
    assert revs[3][2]["activity"] == "Skills survey"
    assert revs[3][2]["pillars"] == "VS"
    assert revs[5][2]["activity"] == "Career pathways"
    assert {u for _, _, _, u in revs[3:]} == {out.upload_id}

    # Updates for a withdrawn action are kept, with a warning.
    late = make_xlsx({"Progress": [P, ["D2", datetime(2019, 3, 31), "Suspended", 10, "Withdrawn", None]]})
    out = load_file(late, filename="late.xlsx", session=session, today=TODAY)
    assert out.outcome == "loaded"
    assert [(i.code, i.severity, i.row) for i in out.result.issues] == [("withdrawn_action", "warning", 2)]  # type: ignore[union-attr]

    # The action coming back in a later version is restored, not re-created.
    v3 = [["Revised December 2019"], *PLAN_V1]
    out = load_file(make_xlsx({"Plan": v3}), filename="plan-v3.xlsx", session=session)
    assert out.outcome == "loaded", out.result and out.result.issue_lines()
    assert (out.counts["restored"], out.counts["withdrawn"], out.counts["changed"]) == (1, 1, 1)
    restored = session.get(Action, ids_v1["D2"])
    assert restored is not None and not restored.withdrawn and restored.withdrawn_at is None
    assert [a.ref for a in queries.list_actions(session=session, include_withdrawn=False)] == [
        "U1",
        "D1",
        "D2",
    ]


def test_unchanged_reimport_with_other_bytes_changes_nothing(session: Session, make_xlsx: MakeXlsx) -> None:
    load_plan_v1(session, make_xlsx)
    before = counts(session)
    same = [["Re-issued with a new cover line"], *PLAN_V1]
    out = load_file(make_xlsx({"Plan": same}), filename="again.xlsx", session=session)
    assert out.outcome == "loaded"
    assert out.counts == {"added": 0, "changed": 0, "withdrawn": 0, "restored": 0, "unchanged": 3}
    assert counts(session) == before


# --- evidence corrections -----


def test_evidence_correction_supersedes(session: Session, make_xlsx: MakeXlsx) -> None:
    load_plan_v1(session, make_xlsx)
    first = make_xlsx(
        {
            "Evidence": [
                E,
                ["D1", datetime(2019, 2, 1), "COP launch, 40 people", "event", None, None, None, None],
            ]
        }
    )
    assert load_file(first, filename="e1.xlsx", session=session, today=TODAY).outcome == "loaded"
    (old,) = queries.list_evidence(session=session)
    assert (old.ref, old.pillars, old.kind) == ("D1", ["V", "C", "S"], "event")

    fix = make_xlsx(
        {
            "Evidence": [
                E,
                ["D1", datetime(2019, 2, 1), "COP launch, 60 people", "event", None, "V", None, old.id],
            ]
        }
    )
    out = load_file(fix, filename="e2.xlsx", session=session, today=TODAY)
    assert out.outcome == "loaded", out.result and out.result.issue_lines()

    current = queries.list_evidence(session=session)
    assert [(e.description, e.supersedes_id, e.pillars) for e in current] == [("COP launch, 60 people", old.id, ["V"])]
    every = queries.list_evidence(session=session, current_only=False)
    assert [e.description for e in every] == ["COP launch, 40 people", "COP launch, 60 people"]

    # Correcting it from another action's row is refused.
    wrong = make_xlsx({"Evidence": [E, ["U1", datetime(2019, 2, 1), "Oops", "event", None, None, None, current[0].id]]})
    out = load_file(wrong, filename="e3.xlsx", session=session, today=TODAY)
    assert out.outcome == "rejected"
    assert [(i.code, i.row, i.column) for i in out.result.issues] == [("wrong_action", 2, "Supersedes ID")]  # type: ignore[union-attr]

    # Correcting the old item again would leave two current versions: refused, pointing at the newer one.
    again = make_xlsx(
        {"Evidence": [E, ["D1", datetime(2019, 2, 1), "COP launch, 55 people", "event", None, None, None, old.id]]}
    )
    out = load_file(again, filename="e4.xlsx", session=session, today=TODAY)
    assert out.outcome == "rejected"
    (issue,) = out.result.issues  # type: ignore[union-attr]
    assert (issue.code, issue.row) == ("already_corrected", 2)
    assert str(current[0].id) in issue.message

    # Two rows of one file correcting the same item: the second is refused.
    twice = make_xlsx(
        {
            "Evidence": [
                E,
                ["D1", datetime(2019, 2, 2), "Recount A", "event", None, None, None, current[0].id],
                ["D1", datetime(2019, 2, 3), "Recount B", "event", None, None, None, current[0].id],
            ]
        }
    )
    out = load_file(twice, filename="e5.xlsx", session=session, today=TODAY)
    assert [(i.code, i.row) for i in out.result.issues] == [("duplicate", 3)]  # type: ignore[union-attr]
    assert len(queries.list_evidence(session=session)) == 1


# --- the demo data set -----


def test_demo_data_set_loads(session: Session) -> None:
    loaded = load_demo(session=session)
    assert loaded["plan"] == 1
    assert loaded["workforce"] >= 3
    assert loaded["updates"] >= 8

    actions = queries.list_actions(session=session)
    assert [a.ref for a in actions] == ["U1", "D1", "D2", "D3", "V1", "V2"]
    assert ["".join(a.pillars) for a in actions] == ["VS", "VCS", "RCS", "CS", "VRC", "VR"]
    assert all(a.last_update is not None for a in actions)

    wf = queries.workforce_by_faculty(session=session)
    snapshots = sorted({r.as_of for r in wf})
    assert len(snapshots) >= 3
    first = [r for r in wf if r.as_of == date(2018, 7, 31)]
    assert 1000 <= sum(r.fte for r in first) <= 1100
    assert len({r.faculty for r in first}) == 11

    users = list_users(session=session)
    assert sorted({u["role"] for u in users}) == sorted(ROLES)
    assert len(users) == len(DEMO_USERS)
    for role in ("admin", "board", "viewer"):
        assert sum(u["role"] == role for u in users) == 1
    leads = {u["email"]: u["actions"] for u in users if u["role"] == "lead"}
    assert leads["apprentices.lead@demo.ac.uk"] == ["D3"]
    assert sorted(r for refs in leads.values() for r in refs) == ["D1", "D2", "D3", "U1", "V1", "V2"]
    assert all(u.outcome == "loaded" for u in queries.list_uploads(session=session))
